"""The old driver-home entry point, :func:`driver_home_plan` (deprecated).

It runs the one driver-home study of :mod:`planner.plan._homes` (what
``Plan.driver_homes(...).site(p=...)`` runs) and returns a :class:`DriverHomePlan`
view of it; ``p`` counts every new home, as everywhere in planner. It stays
importable as ``planner.driver_home_plan`` and ``planner.routes.driver_home_plan``
and warns (:class:`DeprecationWarning`) when called.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.crs import WGS84
from planner.plan._homes import CAPTURE_MODEL, REST_MODEL, run_homes
from planner.plan._inputs import SiteRun
from planner.plan.result import PlanResult

if TYPE_CHECKING:
    from planner.routes import Flows

__all__ = ["DriverHomePlan", "driver_home_plan"]


@dataclass(frozen=True)
class DriverHomePlan:
    """What the deprecated :func:`driver_home_plan` returns (a view of a :class:`PlanResult`).

    Attributes
    ----------
    sites
        Existing and new homes (WGS84 points) keyed by site label: ``existing``,
        ``reason`` (``"existing"``, ``"rest interval"``: chosen by the rest rule;
        ``"flow capture"``: chosen to pass the most trucks once the rule needs no
        more), ``rank`` (build order, 0 for existing), ``passing_volume`` and the
        candidates' ``kind``/``name`` columns when present.
    routes
        One row per route: ``volume``, ``time_s``, ``servable``, ``served``
        (meets a rest place at least every ``interval_h``), ``max_gap_h``,
        ``captured`` (passes an open site).
    rest
        The rest-interval result (None when it was not solved).
    capture
        The flow-capturing result (None when it was not solved).
    candidates
        All candidates with ``passing_volume`` and ``eligible``.
    result
        The full :class:`~planner.plan.PlanResult` of the study.
    """

    sites: gpd.GeoDataFrame
    routes: pd.DataFrame
    rest: Any
    capture: Any
    candidates: gpd.GeoDataFrame
    result: PlanResult


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
    """Recommend ``p`` new driver homes along truck flows (deprecated: use :class:`Plan`).

    .. deprecated::
        Use ``Plan.driver_homes(flows.network, flows=flows, candidates=...,
        stations=...).site(p=...)``. This function runs that same study and
        returns a view of it. ``p`` now counts **every new home**, the homes the
        rest rule needs included (it used to count only the homes added after
        them), as everywhere in planner; a :class:`DeprecationWarning` says so.

    Parameters
    ----------
    flows
        Truck flows (from :func:`~planner.routes.route_od` or
        :func:`~planner.routes.match_traces`).
    candidates
        Candidate sites (e.g. :func:`~planner.routes.driver_home_candidates`).
    existing
        Existing driver homes (points), fixed; labelled ``existing:<index>``.
    p
        New homes, in all.
    interval_h
        Longest driving between rests (hours; Chinese rules: 4).
    min_volume
        Smallest passing volume (trucks per day) for a candidate to be eligible.
    detour_min
        Detour allowed to reach a home (minutes).
    max_snap_m
        Sites farther from the truck network pass nothing.
    solver
        As in :meth:`Plan.site`.

    Returns
    -------
    DriverHomePlan
        Sites, routes, both model results and the full plan result.

    Examples
    --------
    >>> import warnings
    >>> from planner import datasets
    >>> from planner.routes import driver_home_candidates, route_od
    >>> net = datasets.demo_network(modes=["truck"])
    >>> flows = route_od(datasets.demo_truck_trips(), net)
    >>> cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    >>> st = datasets.demo_stations()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     plan = driver_home_plan(flows, cands, existing=st[st["kind"] == "driver_home"], p=1)
    >>> plan.sites["reason"].tolist()
    ['existing', 'existing', 'flow capture']
    """
    from planner.plan._plan import Plan

    warnings.warn(
        "planner.driver_home_plan is deprecated: use Plan.driver_homes(network, flows=..., "
        "candidates=..., stations=...).site(p=...), which this now runs. Its `p` now counts "
        "every new home, the homes the rest rule needs included (it used to count only the "
        "homes added after them).",
        DeprecationWarning,
        stacklevel=2,
    )
    stations = None
    if existing is not None and len(existing):
        stations = existing.copy()
        stations.index = pd.Index([f"existing:{i}" for i in existing.index], name="site")
        stations["kind"] = "driver_home"
    plan = Plan.driver_homes(
        flows.network,
        flows=flows,
        candidates=candidates,
        stations=stations,
        mode=flows.mode,
        rest_interval_h=float(interval_h),
        min_volume=float(min_volume),
        detour_min=float(detour_min),
        max_snap_m=float(max_snap_m),
        service_areas=False,
    )
    result, stages = run_homes(
        plan,
        SiteRun(
            kind="rest_interval",
            p=int(p),
            budget=None,
            phases=None,
            solver=solver,
            time_limit=None,
            n_jobs=1,
            scheduler=None,
            progress=False,
        ),
    )
    ex = result.stations
    ex_sites = gpd.GeoDataFrame(
        {"existing": True, "reason": "existing", "rank": 0},
        geometry=ex.geometry.to_numpy(),
        crs=WGS84,
        index=ex.index,
    )
    new = result.sites
    new_sites = gpd.GeoDataFrame(
        {"existing": False, "reason": new["reason"].to_numpy(), "rank": new["rank"].to_numpy()},
        geometry=new.geometry.to_numpy(),
        crs=WGS84,
        index=new.index,
    )
    sites = gpd.GeoDataFrame(pd.concat([ex_sites, new_sites]), crs=WGS84)
    sites["passing_volume"] = np.r_[
        ex["passing_volume"].to_numpy(float) if "passing_volume" in ex else np.full(len(ex), 0.0),
        new["passing_volume"].to_numpy(float),
    ]
    for column in ("kind", "name"):
        if column in candidates.columns:
            sites[column] = [
                candidates[column].get(s) if s in candidates.index else None for s in sites.index
            ]
    demand = result.demand
    routes = pd.DataFrame(
        {
            "volume": demand["volume"].to_numpy(float),
            "time_s": flows.routes["time_s"].to_numpy(float),
            "servable": demand["servable"].to_numpy(bool),
            "served": demand["served_after"].to_numpy(bool),
            "max_gap_h": demand["max_gap_after_h"].to_numpy(float),
            "captured": demand["captured_after"].to_numpy(bool),
        },
        index=flows.routes.index,
    )
    cands = candidates.to_crs(WGS84).copy()
    cands["passing_volume"] = (
        flows.site_incidence(cands, max_snap_m=max_snap_m).sites["passing_volume"].to_numpy(float)
        if len(cands)
        else np.zeros(0)
    )
    cands["eligible"] = cands["passing_volume"] >= min_volume
    rest = next((st.result for st in reversed(stages) if st.model == REST_MODEL), None)
    capture = next((st.result for st in reversed(stages) if st.model == CAPTURE_MODEL), None)
    return DriverHomePlan(
        sites=sites, routes=routes, rest=rest, capture=capture, candidates=cands, result=result
    )
