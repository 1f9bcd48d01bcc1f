"""Driver homes recommended along truck flows: rest every few hours, then capture.

:func:`driver_home_plan` runs the location models of :mod:`planner.locate.flows`
on the route × site matrices of :meth:`planner.routes.Flows.site_incidence`, so
it belongs to the plan layer, not to :mod:`planner.routes` (the input layer);
:mod:`planner.routes` still answers ``planner.routes.driver_home_plan`` and
``planner.routes.DriverHomePlan``, importing this module only when they are asked
for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError
from planner.crs import WGS84

if TYPE_CHECKING:
    from planner.routes import Flows

__all__ = ["DriverHomePlan", "driver_home_plan"]


@dataclass(frozen=True)
class DriverHomePlan:
    """Recommended driver homes for a set of truck flows.

    Attributes
    ----------
    sites
        Existing and recommended sites (WGS84 points) keyed by site label:
        ``existing``, ``reason`` (``"existing"``, ``"rest interval"``: needed so
        that routes meet a rest place every ``interval_h``; ``"flow capture"``:
        added to catch the most passing trucks), ``rank`` (build order, 0 for
        existing), ``passing_volume`` and the ``kind``/``name`` columns of the
        candidates when present.
    routes
        One row per route: ``volume``, ``time_s``, ``servable``, ``served``
        (meets a rest place at least every ``interval_h``), ``max_gap_h``,
        ``captured`` (passes an open site).
    rest
        The rest-interval coverage result.
    capture
        The flow-capturing result (None when ``p == 0``).
    candidates
        All candidates with ``passing_volume`` and ``eligible`` (at least
        ``min_volume``).
    """

    sites: gpd.GeoDataFrame
    routes: pd.DataFrame
    rest: Any
    capture: Any
    candidates: gpd.GeoDataFrame


def driver_home_plan(
    flows: Flows,
    candidates: gpd.GeoDataFrame,
    *,
    existing: gpd.GeoDataFrame | None = None,
    p: int = 3,
    interval_h: float = 4.0,
    min_volume: float = 30.0,
    detour_min: float = 0.0,
    max_snap_m: float = 300.0,
    solver: Literal["auto", "exact", "fast"] = "auto",
) -> DriverHomePlan:
    """Recommend driver homes along truck flows: rest every ``interval_h``, then capture.

    Two steps, existing homes fixed throughout:

    1. the fewest candidates (passed by at least ``min_volume`` trucks a day)
       such that every route that can be served meets a rest place at least
       every ``interval_h`` hours of driving (its origin and destination count:
       trips start and end at depots) — :class:`~planner.locate.flows.RestIntervalCoverage`;
    2. ``p`` more sites capturing the most trucks passing an open site
       (optionally within ``detour_min``) — :class:`~planner.locate.flows.FlowCapture`.

    Parameters
    ----------
    flows
        Truck flows (from :func:`route_od` or :func:`match_traces`).
    candidates
        Candidate sites (e.g. :func:`driver_home_candidates`).
    existing
        Existing driver homes (points), fixed.
    p
        Sites added in step 2.
    interval_h
        Longest driving between rests (hours; Chinese rules: 4).
    min_volume
        Smallest passing volume (trucks per day) for a candidate to be eligible.
    detour_min
        Detour allowed to capture a route in step 2.
    max_snap_m
        Sites farther from the truck network pass nothing.
    solver
        As in the models' ``solve``.

    Returns
    -------
    DriverHomePlan
        Sites, routes and both model results.

    Examples
    --------
    >>> from planner import datasets
    >>> from planner.routes import driver_home_candidates, route_od
    >>> net = datasets.demo_network(modes=["truck"])
    >>> flows = route_od(datasets.demo_truck_trips(), net)
    >>> cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    >>> st = datasets.demo_stations()
    >>> plan = driver_home_plan(flows, cands, existing=st[st["kind"] == "driver_home"], p=1)
    >>> int((plan.sites["reason"] == "flow capture").sum())
    1
    """
    from planner.locate.flows import FlowCapture, RestIntervalCoverage

    if existing is not None and len(existing):
        ex = existing.copy()
        ex.index = pd.Index([f"existing:{i}" for i in existing.index], name="site")
        ex = ex.to_crs(WGS84)
        all_sites = pd.concat([candidates.to_crs(WGS84), ex])
        ex_labels = list(ex.index)
    else:
        all_sites = candidates.to_crs(WGS84)
        ex_labels = []
    if not all_sites.index.is_unique:
        raise InputError(
            "candidate labels must be unique.", field="candidates", fix="reset the index."
        )
    inc = flows.site_incidence(all_sites, max_snap_m=max_snap_m, detour_min=detour_min)
    vols = flows.routes["volume"].to_numpy(dtype=np.float64)
    rest_model = RestIntervalCoverage.from_matrix(
        inc.matrix("position_h"),
        lengths=inc.route_lengths("h"),
        interval=float(interval_h),
        volumes=vols,
        existing=ex_labels,
        min_volume=min_volume,
        route_index=inc.routes.index,
        site_index=inc.sites.index,
    )
    rest = rest_model.solve(solver=solver)
    fixed = ex_labels + list(rest.selected)
    eligible = (inc.sites["passing_volume"] >= min_volume) & ~inc.sites.index.isin(fixed)
    capture = None
    added: list[Any] = []
    n_new = min(int(p), int(eligible.sum()))
    if n_new > 0:
        capture = FlowCapture.from_matrix(
            inc.matrix("detour_min"),
            p=n_new,
            detour=detour_min,
            volumes=vols,
            existing=fixed,
            min_volume=min_volume,
            route_index=inc.routes.index,
            site_index=inc.sites.index,
        ).solve(solver=solver)
        added = list(capture.selected)
    reason = (
        [("existing", 0) for _ in ex_labels]
        + [("rest interval", k + 1) for k in range(len(rest.selected))]
        + [("flow capture", len(rest.selected) + k + 1) for k in range(len(added))]
    )
    labels = ex_labels + list(rest.selected) + added
    sites = all_sites.loc[labels].copy()
    sites["existing"] = [r == "existing" for r, _ in reason]
    sites["reason"] = [r for r, _ in reason]
    sites["rank"] = [k for _, k in reason]
    sites["passing_volume"] = inc.sites.loc[labels, "passing_volume"].to_numpy()
    on = inc.table[(inc.table["detour_s"] <= detour_min * 60) & inc.table["site"].isin(labels)]
    captured = flows.routes.index.isin(on["route"].unique())
    routes = pd.DataFrame(
        {
            "volume": vols,
            "time_s": flows.routes["time_s"].to_numpy(),
            "servable": rest.demand["servable"].to_numpy(),
            "served": rest.demand["served"].to_numpy(),
            "max_gap_h": rest.demand["max_gap"].to_numpy(),
            "captured": captured,
        },
        index=flows.routes.index,
    )
    cands = all_sites.drop(index=ex_labels).copy()
    cands["passing_volume"] = inc.sites.loc[cands.index, "passing_volume"].to_numpy()
    cands["eligible"] = cands["passing_volume"] >= min_volume
    return DriverHomePlan(sites=sites, routes=routes, rest=rest, capture=capture, candidates=cands)
