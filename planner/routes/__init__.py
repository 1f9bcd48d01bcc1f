"""Driver flows: origin-destination routing, GPS map matching, passing volumes.

Truck drivers do not live at demand points: they pass through. This package
turns what is known about their trips into **flows** — paths on the road network
with a volume (trucks per day) — and counts what passes each road edge and each
candidate site:

* :func:`route_od` (:mod:`planner.routes.od`) routes an origin-destination
  table (points, or zones with a zone table) on a travel mode's network
  (fastest path, optionally ``k`` alternatives) with bulk Dijkstra from
  ``scipy.sparse.csgraph``;
* :func:`match_traces` (:mod:`planner.routes.matching`) cleans GPS traces
  (duplicates, teleports above a plausible speed, long gaps split into trips)
  and map-matches each trip to a network path with a hidden Markov model
  (Newson & Krumm 2009), with a :class:`MapMatcher` to prepare a network once;
* :func:`flows_from_counts` (:mod:`planner.routes.counts`) estimates flows
  from truck counts per road section (traffic counts, ETC gantries): counts
  placed on directed edges, candidate routes between zones (or corridor
  routes chaining the counted sections), volumes by non-negative least
  squares, with the fit error per count in a :class:`CountFit`;
* :class:`Flows` (:mod:`planner.routes.volumes`) holds the paths (node
  sequences, length, time, volume) with :meth:`Flows.edge_volumes` (trucks per
  day on each edge) and :meth:`Flows.site_incidence` (which routes pass each
  candidate site, where along them, and optionally with a detour), which feed
  the flow-capturing and rest-interval models of :mod:`planner.locate.flows`;
* :func:`driver_home_candidates` and :func:`with_passing_volume` (candidate
  driver-home sites read from an OSM file by tag, and the volume passing them)
  live in :mod:`planner.candidates` and are re-exported here;
* :func:`driver_home_plan` and :class:`DriverHomePlan` (deprecated: the
  recommendation runs location models, so it is the plan layer's driver-home
  study, :meth:`planner.plan.Plan.driver_homes`; these old names are thin
  wrappers over it in :mod:`planner.plan._homes_deprecated`, answered here lazily).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.candidates import DRIVER_HOME_TAGS, driver_home_candidates, with_passing_volume
from planner.routes.counts import CountFit, flows_from_counts
from planner.routes.matching import MapMatcher, MatchResult, match_traces
from planner.routes.od import route_od
from planner.routes.volumes import Flows, SiteIncidence, flows_from_paths

if TYPE_CHECKING:
    from planner.plan._homes_deprecated import DriverHomePlan, driver_home_plan

__all__ = [
    "DRIVER_HOME_TAGS",
    "CountFit",
    "DriverHomePlan",
    "Flows",
    "MapMatcher",
    "MatchResult",
    "SiteIncidence",
    "driver_home_candidates",
    "driver_home_plan",
    "flows_from_counts",
    "flows_from_paths",
    "match_traces",
    "route_od",
    "with_passing_volume",
]

# The recommendation runs location models (the plan layer), which sits above this
# input layer: importing it here would make every ``import planner.routes`` load
# the models and turn the one-way data flow into a circle once the plan layer
# imports routes. Its old import paths keep working through this lazy lookup.
_LAZY = {"DriverHomePlan", "driver_home_plan"}


def __getattr__(name: str) -> Any:
    """Import :func:`driver_home_plan` and :class:`DriverHomePlan` on first use."""
    if name in _LAZY:
        from planner.plan import _homes_deprecated

        return getattr(_homes_deprecated, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the module's names, the lazy ones included."""
    return sorted(set(globals()) | _LAZY)
