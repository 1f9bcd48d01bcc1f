"""The driver-home programme: truck routes passing sites, a rest at least every few hours.

:func:`site_homes` runs one study of a :class:`~planner.plan.Plan`: which routes
pass each existing home and candidate (:meth:`planner.routes.Flows.site_incidence`),
the siting model (rest-interval coverage when some route drives longer than the
rest interval, flow capturing otherwise) and the tables of a
:class:`~planner.plan.PlanResult`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from planner._errors import InfeasibleError, InputError
from planner.crs import WGS84
from planner.plan._inputs import (
    SiteRun,
    digest,
    existing_stations,
    network_digest,
    run_parameters,
    sites_frame,
)
from planner.plan._tables import coverage_curve, coverage_table, ranked_sites
from planner.plan.result import PlanResult
from planner.presets import hours

if TYPE_CHECKING:
    from planner.locate import LocateResult, RestIntervalCoverage
    from planner.plan._plan import Plan
    from planner.routes import Flows, SiteIncidence

__all__ = ["captured", "edge_routes", "rest_curve", "rest_served", "site_homes"]


@dataclass
class _Found:
    """What the siting found for the routes (the defaults: nothing was solved)."""

    captured_before: np.ndarray
    captured_after: np.ndarray
    served_before: np.ndarray
    served_after: np.ndarray
    covered_before: np.ndarray
    covered_after: np.ndarray
    passing: pd.Series
    locate: LocateResult | None = None
    order: list[Any] = field(default_factory=list)
    added: list[float] = field(default_factory=list)
    curve: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["p", "site", "covered", "share", "bound", "gap"]
        )
    )


def site_homes(plan: Plan, run: SiteRun) -> PlanResult:
    """Run the driver-home study of ``plan`` (see :meth:`Plan.site`)."""
    p = 20 if run.p is None else run.p
    notes: list[str] = []
    flows = plan.flows
    assert flows is not None  # Plan checks that driver homes have flows
    existing = existing_stations(plan)
    if len(existing) == 0:
        notes.append("No existing driver homes: every route starts uncaptured.")
    candidates = plan.candidates
    if candidates is None or len(candidates) == 0:
        notes.append("No candidate sites were given: no new site can be recommended.")
        candidates = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    sites_all = sites_frame(existing, candidates)
    routes_table = flows.routes
    volumes = routes_table["volume"].to_numpy(float)
    total = float(volumes.sum())
    paths = flows.paths_gdf()
    # with no site at all, a route meets the rest rule when it is short enough (its
    # origin and destination count as rest places)
    route_hours = hours(routes_table["time_s"].to_numpy(float))
    short = route_hours <= (plan.rest_interval_h or math.inf) + 1e-12
    found = _Found(
        captured_before=np.zeros(len(routes_table), dtype=bool),
        captured_after=np.zeros(len(routes_table), dtype=bool),
        served_before=short.copy(),
        served_after=short.copy(),
        covered_before=np.zeros(len(routes_table), dtype=bool),
        covered_after=np.zeros(len(routes_table), dtype=bool),
        passing=pd.Series(np.nan, index=candidates.index),
    )
    if len(routes_table) == 0:
        notes.append("No routes: there is no truck flow to serve.")
    if len(routes_table) and len(sites_all):
        _solve(plan, run, flows, found, sites_all, existing, candidates, p, route_hours, notes)
    covered_before, covered_after = found.covered_before, found.covered_after
    sites = ranked_sites(
        plan,
        candidates,
        existing,
        found.order,
        found.added,
        total=total,
        base=float(volumes[np.asarray(covered_before, dtype=bool)].sum()),
        passing=found.passing,
    )
    demand_out = gpd.GeoDataFrame(
        {
            "volume": volumes,
            "captured_before": found.captured_before,
            "captured_after": found.captured_after,
            "served_before": found.served_before,
            "served_after": found.served_after,
            "time_h": hours(routes_table["time_s"].to_numpy(float)),
        },
        geometry=paths.geometry.to_numpy(),
        crs=WGS84,
        index=routes_table.index,
    )
    coverage = coverage_table(
        demand_out["volume"],
        pd.Series(covered_before, index=demand_out.index),
        pd.Series(covered_after, index=demand_out.index),
        {},
    )
    return PlanResult(
        name=plan.name,
        programme="driver_homes",
        parameters=run_parameters(plan, run),
        sites=sites,
        stations=existing,
        demand=demand_out,
        coverage=coverage,
        uncovered=demand_out[~np.asarray(covered_after, dtype=bool)],
        hexes=gpd.GeoDataFrame({"weight_uncovered": []}, geometry=[], crs=WGS84),
        curve=found.curve,
        service_areas=gpd.GeoDataFrame({"state": pd.Series(dtype=object)}, geometry=[], crs=WGS84),
        routes=edge_routes(flows),
        locate=found.locate,
        access=None,
        notes=tuple(notes),
        bounds=plan.network.bounds,
        inputs={
            "stations": digest(plan.stations),
            "routes": digest(routes_table),
            "candidates": digest(plan.candidates),
            "network": network_digest(plan.network),
        },
        network=plan.network,
    )


def _solve(
    plan: Plan,
    run: SiteRun,
    flows: Flows,
    found: _Found,
    sites_all: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    p: int,
    route_hours: np.ndarray,
    notes: list[str],
) -> None:
    """Site on the routes passing the sites; fill ``found`` (a fresh record of this study)."""
    from planner.locate.flows import FlowCapture, RestIntervalCoverage

    solver, time_limit, progress = run.solver, run.time_limit, run.progress
    routes_table = flows.routes
    volumes = routes_table["volume"].to_numpy(float)
    total = float(volumes.sum())
    inc = flows.site_incidence(
        sites_all,
        max_snap_m=plan.max_snap_m,
        detour_min=plan.detour_min,
        progress=progress,
    )
    ex_labels = list(existing.index)
    eligible = inc.sites["passing_volume"].reindex(candidates.index).fillna(0.0)
    found.passing = eligible
    minv = plan.min_volume or 0.0
    n_cand = int((eligible >= minv).sum())
    p_eff = min(p, n_cand)
    if p > n_cand:
        notes.append(
            f"Only {n_cand} candidate sites are passed by {minv:g}+ trucks a day; asked for {p}."
        )
    model = FlowCapture.from_matrix(
        inc.matrix("detour_min"),
        p=p_eff,
        volumes=volumes,
        detour=plan.detour_min,
        existing=ex_labels,
        min_volume=plan.min_volume,
        route_index=inc.routes.index,
        site_index=inc.sites.index,
    )
    rest_model = None
    interval_h = plan.rest_interval_h
    if run.kind == "rest_interval" and interval_h is not None and (route_hours > interval_h).any():
        # routes longer than the rest interval: site for the rest rule itself
        rest_model = RestIntervalCoverage.from_matrix(
            inc.matrix("position_h"),
            lengths=inc.route_lengths("h"),
            interval=interval_h,
            p=p_eff,
            volumes=volumes,
            existing=ex_labels,
            min_volume=plan.min_volume,
            route_index=inc.routes.index,
            site_index=inc.sites.index,
        )
        notes.append(
            f"Some routes drive longer than {plan.rest_interval_h:g} h: sites are chosen "
            "to meet the rest rule (rest-interval model); coverage counts routes "
            "meeting it."
        )
    locate: LocateResult | None
    if rest_model is not None:
        try:
            locate = rest_model.solve(solver=solver, time_limit=time_limit, seed=plan.seed)
        except InfeasibleError as error:
            notes.append(str(error))
            locate = None
    else:
        locate = model.solve(solver=solver, time_limit=time_limit, seed=plan.seed)
    found.locate = locate
    if locate is None:
        new = pd.DataFrame({"marginal_volume": []})
        gains = np.zeros(0)
    else:
        new = locate.sites[~locate.sites["existing"].to_numpy(bool)]
        gains = new["marginal_volume" if rest_model is not None else "marginal_weight"].to_numpy(
            float
        )
    keep = gains > 1e-12
    if (~keep).any() and p_eff > 0:
        notes.append(
            "No candidate captures more trucks: every route passing an eligible site "
            "already passes a driver home."
            if not keep.any()
            else f"Only {int(keep.sum())} of the {p_eff} sites asked for capture more "
            "trucks; the rest were left out."
        )
    order = list(new.index[keep])
    found.order, found.added = order, list(gains[keep])
    detour = sp.csr_array(inc.matrix("detour_min"))
    found.captured_before = captured(detour, inc.sites.index, ex_labels, plan.detour_min)
    found.captured_after = captured(detour, inc.sites.index, ex_labels + order, plan.detour_min)
    found.covered_before, found.covered_after = found.captured_before, found.captured_after
    if plan.rest_interval_h is not None:
        position = inc.matrix("position_h")
        lengths = inc.route_lengths("h")
        found.served_before, found.served_after = (
            rest_served(
                RestIntervalCoverage,
                position,
                lengths,
                plan.rest_interval_h,
                volumes,
                open_labels,
                inc,
            )
            for open_labels in (ex_labels, ex_labels + order)
        )
    max_p = min(max(p_eff, 5), n_cand)
    if rest_model is not None:
        found.covered_before, found.covered_after = found.served_before, found.served_after
        found.curve = rest_curve(rest_model, max_p, volumes, found.served_before)
    elif max_p > 0 and locate is not None:
        found.curve = coverage_curve(
            model.mclp, max_p, total, float(locate.figures["objective_before"])
        )
    if len(found.curve):
        found.curve["chosen"] = found.curve["p"] == len(order)


def captured(
    on: sp.csr_array, site_index: pd.Index, labels: Sequence[Any], detour_min: float
) -> np.ndarray:
    """Which routes pass an open site (one of ``labels``) within ``detour_min`` minutes."""
    cols = np.flatnonzero(site_index.isin(list(labels)))
    if cols.size == 0:
        return np.zeros(on.shape[0], dtype=bool)
    sub = sp.csr_array(on[:, cols])
    data = sub.data <= detour_min + 1e-12
    rows = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
    hit = np.zeros(sub.shape[0], dtype=bool)
    hit[rows[data]] = True
    return hit


def rest_served(
    model_cls: type[RestIntervalCoverage],
    position: sp.csr_array | sp.coo_array,
    lengths: np.ndarray,
    interval: float,
    volumes: np.ndarray,
    open_labels: Sequence[Any],
    inc: SiteIncidence,
) -> np.ndarray:
    """Which routes meet an open site at least every ``interval`` hours (no siting)."""
    cols = np.flatnonzero(inc.sites.index.isin(list(open_labels)))
    n = position.shape[0]
    if cols.size == 0:
        # no site at all: only routes shorter than the interval are served
        return np.asarray(lengths, dtype=float) <= interval + 1e-12
    # keep COO semantics: a route passing a site twice keeps two entries (CSR would sum them)
    coo = sp.coo_array(position)
    col_map = np.full(coo.shape[1], -1, dtype=np.int64)
    col_map[cols] = np.arange(cols.size)
    keep = col_map[coo.col] >= 0
    sub = sp.coo_array(
        (coo.data[keep], (coo.row[keep], col_map[coo.col[keep]])), shape=(n, cols.size)
    )
    model = model_cls.from_matrix(
        sub,
        lengths=lengths,
        interval=interval,
        volumes=volumes,
        existing=list(inc.sites.index[cols]),
        route_index=inc.routes.index,
        site_index=inc.sites.index[cols],
    )
    try:
        res = model.solve()
    except InfeasibleError:
        # every route has a stretch longer than the interval without an open site
        return np.zeros(n, dtype=bool)
    served = res.demand["served"].reindex(inc.routes.index).to_numpy(bool)
    assert served.shape[0] == n
    return served


def edge_routes(flows: Flows) -> gpd.GeoDataFrame:
    """Return the road edges the flows use, with their volume, as WGS84 lines."""
    volumes = flows.edge_volumes()
    if len(volumes) == 0:
        return gpd.GeoDataFrame({"volume": []}, geometry=[], crs=WGS84)
    net = flows.network
    ids = pd.Index(net.node_ids)
    u = ids.get_indexer(volumes.index.get_level_values(0))
    v = ids.get_indexer(volumes.index.get_level_values(1))
    lines = shapely.linestrings(
        np.stack(
            [np.column_stack([net.lon[u], net.lat[u]]), np.column_stack([net.lon[v], net.lat[v]])],
            axis=1,
        )
    )
    return gpd.GeoDataFrame(
        {"volume": volumes["volume"].to_numpy(float), "routes": volumes["routes"].to_numpy()},
        geometry=lines,
        crs=WGS84,
        index=volumes.index,
    )


def rest_curve(
    model: RestIntervalCoverage, max_p: int, volumes: np.ndarray, served_before: np.ndarray
) -> pd.DataFrame:
    """Return the served volume by number of new sites (rest-interval model, fast solver)."""
    total = float(volumes.sum())
    before = float(volumes[served_before].sum())
    rows = [{"p": 0, "site": None, "covered": before, "share": before / total, "bound": before}]
    for k in range(1, max_p + 1):
        try:
            variant = copy.copy(model)
            variant.p = k
            res = variant.solve(solver="fast")
        except (InfeasibleError, InputError):
            break
        rows.append(
            {
                "p": k,
                "site": None,
                "covered": res.objective,
                "share": res.objective / total if total > 0 else math.nan,
                "bound": res.bound,
            }
        )
    frame = pd.DataFrame(rows)
    frame["gap"] = (frame["bound"] - frame["covered"]).clip(lower=0) / frame["covered"].where(
        frame["covered"] > 0
    )
    return frame
