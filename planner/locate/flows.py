"""Models for sites that serve the routes passing them: flow capturing and rest intervals.

Truck drivers meet a driver home on the way; what matters is whether a route
passes one (flow capturing) or passes one often enough (rest-interval coverage).
Both models take matrices, no geography: rows are routes (with a volume, e.g.
trucks per day), columns are sites. :meth:`planner.routes.Flows.site_incidence`
builds them from a road network.

* :class:`FlowCapture` (Hodgson 1990): choose ``p`` sites (or a budget) to
  maximise the volume of routes passing at least one open site, optionally
  within a detour. It is a maximal covering problem on the route × site detour
  matrix, solved by :class:`~planner.locate.MCLP`'s machinery.
* :class:`RestIntervalCoverage` (after Kuby & Lim's flow-refuelling model,
  2005, in Capar et al.'s 2013 arc-cover form): a route is *served* only if,
  along its length, it meets an open site at least every ``interval`` (hours
  or kilometres of driving); maximise the served volume with ``p`` sites (or a
  budget), or find the fewest (cheapest) sites serving every servable route.

Both fix existing sites, accept site costs and a budget, drop candidates with
less than a minimum passing volume (``min_volume``, e.g. 30 trucks a day), and
have an exact (HiGHS) and a fast solver reporting a proven gap, returning a
:class:`~planner.locate.LocateResult` whose ``demand`` table holds the routes.

The models live in :mod:`planner.locate.flow_capture` and
:mod:`planner.locate.rest_interval`; this module keeps their public path.
"""

from planner.locate.flow_capture import FlowCapture
from planner.locate.rest_interval import RestIntervalCoverage

__all__ = ["FlowCapture", "RestIntervalCoverage"]
