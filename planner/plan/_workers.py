"""The worker-station programme: demand points within a travel time of a site.

:func:`site_workers` runs one study of a :class:`~planner.plan.Plan`: the access
matrix from demand points to existing stations and candidates (seconds, turned
into minutes once), the siting model (MCLP by ``p``, budget or phases, or LSCP),
and the tables of a :class:`~planner.plan.PlanResult`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner._errors import InputError, OffNetworkWarning, warn
from planner._i18n import Items, Term, say
from planner._stages import Stages
from planner.crs import WGS84
from planner.plan._areas import (
    area_of_points,
    community_table,
    district_polygons,
    district_table,
)
from planner.plan._demand_rows import SECONDS_PER_MINUTE, model_rows
from planner.plan._inputs import (
    SiteRun,
    digest,
    existing_stations,
    network_digest,
    run_parameters,
    site_costs,
    sites_frame,
)
from planner.plan._tables import (
    coverage_curve,
    coverage_table,
    hexes,
    ranked_sites,
)
from planner.plan.result import LaterAreas, PlanResult, merged_areas_frame

if TYPE_CHECKING:
    from planner.access import AccessMatrix, NodeAccess
    from planner.locate import MCLP, LocateResult
    from planner.network import RoadNetwork
    from planner.plan._plan import Plan

__all__ = ["demand_frame", "site_service_areas", "site_workers", "trim_phases"]


def _empty_curve() -> pd.DataFrame:
    return pd.DataFrame(columns=["p", "site", "covered", "share", "bound", "gap"])


@dataclass
class _Found:
    """What the siting found for the demand points (the defaults: nothing was solved)."""

    covered_before: pd.Series
    covered_after: pd.Series
    nearest_site: pd.Series
    time_min: pd.Series
    locate: LocateResult | None = None
    order: list[Any] = field(default_factory=list)
    added: list[float] = field(default_factory=list)
    phase_of: pd.Series | None = None
    curve: pd.DataFrame = field(default_factory=_empty_curve)

    @classmethod
    def nothing(cls, index: pd.Index) -> _Found:
        return cls(
            covered_before=pd.Series(False, index=index),
            covered_after=pd.Series(False, index=index),
            nearest_site=pd.Series(None, index=index, dtype=object),
            time_min=pd.Series(np.nan, index=index),
        )


def off_network_sites(
    plan: Plan,
    access: AccessMatrix | NodeAccess | None,
    existing: gpd.GeoDataFrame,
    notes: list[str],
) -> pd.DataFrame:
    """Return the stations and candidates left out as off the network; warn about stations.

    An existing station farther than ``max_snap_m`` from the mode's network counts
    for nothing (it covers no one), which changes every figure: the plan says so
    in its notes and with an :class:`~planner._errors.OffNetworkWarning`.
    """
    columns: dict[str, list[Any]] = {"role": [], "site": [], "name": [], "distance_m": []}
    table = pd.DataFrame(columns).astype({"distance_m": float})
    if access is None:
        return table
    far = access.excluded
    far = far[far["role"] == "site"]
    if len(far) == 0:
        return table
    is_station = far["label"].isin(existing.index).to_numpy()
    names = (existing["name"] if "name" in existing.columns else pd.Series(dtype=object)).reindex(
        far["label"].where(is_station)
    )
    table = pd.DataFrame(
        {
            "role": np.where(is_station, "station", "candidate"),
            "site": far["label"].to_numpy(dtype=object),
            "name": names.to_numpy(dtype=object),
            "distance_m": far["distance_m"].to_numpy(float),
        }
    )
    stations = table[table["role"] == "station"].sort_values("distance_m", ascending=False)
    if len(stations):
        shown = tuple(
            say("n_off_station", name=name if isinstance(name, str) and name else site, metres=m)
            for site, name, m in zip(
                stations["site"].head(5),
                stations["name"].head(5),
                stations["distance_m"].head(5),
                strict=True,
            )
        )
        text = say(
            "n_off_stations",
            n=len(stations),
            total=len(existing),
            m=plan.max_snap_m,
            mode=Term("mode", plan.mode),
            shown=Items(shown),
            more=say("n_off_more", k=len(stations) - 5) if len(stations) > 5 else "",
        )
        notes.append(text)
        warn(text, OffNetworkWarning)
    candidates = int((table["role"] == "candidate").sum())
    if candidates:
        notes.append(
            say("n_off_candidates", n=candidates, m=plan.max_snap_m, mode=Term("mode", plan.mode))
        )
    return table


def demand_frame(plan: Plan, notes: list[str]) -> gpd.GeoDataFrame:
    """Return the plan's demand with a checked ``weight`` column; notes say when it is empty."""
    demand = plan.demand
    if demand is None:
        notes.append(say("n_no_demand"))
        return gpd.GeoDataFrame({"weight": []}, geometry=[], crs=WGS84)
    notes.extend(n for n in demand.attrs.get("notes", ()) if n not in notes)
    out = demand.copy()
    if plan.weight is None:
        out["weight"] = 1.0
    elif plan.weight not in out:
        raise InputError(
            f"demand has no weight column {plan.weight!r}; columns are {list(out.columns)}.",
            field=plan.weight,
            fix="name the weight column with weight=..., or weight=None to count points.",
        )
    else:
        w = pd.to_numeric(out[plan.weight], errors="coerce").astype(float)
        bad = ~np.isfinite(w.to_numpy()) | (w.to_numpy() < 0)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{int(bad.sum())} demand weights are missing, negative or not numbers "
                f"(first: {out[plan.weight].iloc[first]!r}).",
                row=first + 1,
                field=plan.weight,
                fix="fill or drop these rows; weights must be >= 0.",
            )
        out["weight"] = w
    if len(out) == 0:
        notes.append(say("n_empty_demand"))
    return out


def site_workers(plan: Plan, run: SiteRun, *, curve_max_p: int | None) -> PlanResult:
    """Run the worker-station study of ``plan`` (see :meth:`Plan.site`).

    Demand points are never given a matrix row each: travel times are held per
    road node (:func:`planner.access.access_by_node`) and the model's rows group
    the points by the sites they reach (:mod:`planner.plan._demand_rows`), so
    memory grows with the network and the distinct demand locations; the
    per-point tables are recovered through the points' nodes and access times.
    """
    from planner.access import access_by_node

    stages = Stages("worker stations", progress=run.progress)
    notes: list[str] = [say("n_no_sites_asked")] if run.p == 0 else []
    started = time.perf_counter()
    # read: the inputs checked (the plan checked and converted them when made)
    existing = existing_stations(plan)
    if len(existing) == 0:
        notes.append(say("n_no_stations"))
    candidates = plan.candidates
    if candidates is None or len(candidates) == 0:
        notes.append(say("n_no_candidates"))
        candidates = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    demand = demand_frame(plan, notes)
    groups = [g for g in plan.groups if g in demand.columns]
    sites_all = sites_frame(existing, candidates)
    districts = district_polygons(plan)
    site_district = (
        area_of_points(districts, sites_all.geometry)
        if districts is not None
        else pd.Series(np.nan, index=sites_all.index, dtype=object)
    )
    stages.add("read", plan.read_seconds + time.perf_counter() - started)

    access = None
    off_network = off_network_sites(plan, None, existing, notes)
    kept = pd.Series(True, index=demand.index)
    total_weight = float(demand["weight"].sum()) if len(demand) else 0.0
    if len(demand) and len(sites_all):
        access = access_by_node(
            plan.network,
            demand,
            sites_all,
            mode=plan.mode,
            cutoff_min=plan.cutoff_min,
            max_snap_m=plan.max_snap_m,
            on_far="exclude",
            n_jobs=run.n_jobs,
            scheduler=run.scheduler,
            progress=run.progress,
        )
        stages.add("snap", access.metadata["snap_seconds"])
        stages.add("access", access.metadata["matrix_seconds"])
        kept = pd.Series(demand.index.isin(access.demand_index), index=demand.index)
        off_network = off_network_sites(plan, access, existing, notes)
        if (~kept).any():
            notes.append(say("n_off_demand", n=int((~kept).sum()), m=plan.max_snap_m))
    with stages("solve"):
        if access is not None and access.shape[0] and access.shape[1]:
            found = _solve(
                plan,
                run,
                access,
                demand,
                existing,
                candidates,
                notes,
                total_weight=total_weight,
                curve_max_p=curve_max_p,
                site_district=site_district if plan.min_per_area else None,
            )
        else:
            found = _Found.nothing(demand.index)
    covered_before, covered_after = found.covered_before, found.covered_after
    order, curve = found.order, found.curve
    if not len(existing) and not order:
        notes.append(say("n_nothing"))
    if len(demand) and total_weight > 0 and not (~covered_after[kept]).any():
        notes.append(say("n_all_covered"))

    # ---- tables
    with stages("coverage"):
        base = float(demand["weight"][covered_before.to_numpy(bool)].sum()) if len(demand) else 0.0
        sites = ranked_sites(
            plan, candidates, existing, order, found.added, total=total_weight, base=base
        )
        if found.phase_of is not None:
            sites.insert(1, "phase", found.phase_of.reindex(sites.index).to_numpy(np.int64))
        demand_out = gpd.GeoDataFrame(
            {
                "weight": demand["weight"],
                **{g: demand[g] for g in groups},
                "covered_before": covered_before.astype(bool),
                "covered_after": covered_after.astype(bool),
                "site": found.nearest_site,
                "time_min": found.time_min,
                "on_network": kept.astype(bool),
            },
            geometry=demand.geometry,
            crs=WGS84,
            index=demand.index,
        )
        coverage = coverage_table(
            demand_out["weight"],
            demand_out["covered_before"],
            demand_out["covered_after"],
            {g: demand_out[g] for g in groups},
        )
        uncovered = demand_out[~demand_out["covered_after"]]
        hex_table = hexes(demand_out, plan.network.crs, plan.hex_size_m)
        if "area" in demand.columns:
            demand_out["area"] = demand["area"]
        district_of_point = (
            area_of_points(districts, demand_out.geometry) if districts is not None else None
        )
        communities = community_table(
            demand_out, within_share=plan.within_share, district_of_point=district_of_point
        )
        district_rows = district_table(
            districts,
            demand_out,
            district_of_point,
            communities,
            site_district,
            existing.index,
            sites.index,
            min_per_area=plan.min_per_area,
        )
    with stages("service areas"):
        areas, merged, later = site_service_areas(
            plan, existing, sites, n_jobs=run.n_jobs, progress=run.progress
        )
    if len(curve):
        curve["chosen"] = curve["p"] == len(order)
    return PlanResult(
        name=plan.name,
        programme="worker_stations",
        parameters=run_parameters(plan, run) | {"service_areas_on_use": later},
        sites=sites,
        stations=existing,
        demand=demand_out,
        coverage=coverage,
        uncovered=uncovered,
        hexes=hex_table,
        curve=curve,
        _service_areas=areas,
        service_areas_merged=merged,
        routes=None,
        locate=found.locate,
        access=access,
        notes=tuple(notes),
        bounds=plan.network.bounds,
        off_network=off_network,
        inputs={
            "stations": digest(plan.stations),
            "demand": digest(plan.demand),
            "candidates": digest(plan.candidates),
            "network": network_digest(plan.network),
        },
        network=plan.network,
        communities=communities,
        districts=district_rows,
        stages=stages.close(),
    )


def _solve(
    plan: Plan,
    run: SiteRun,
    access: NodeAccess,
    demand: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    notes: list[str],
    *,
    total_weight: float,
    curve_max_p: int | None,
    site_district: pd.Series | None = None,
) -> _Found:
    """Site on the grouped demand rows: coverage before and after, new sites in order, the curve."""
    from planner.locate import MCLP

    found = _Found.nothing(demand.index)
    d_index, s_index = access.demand_index, access.site_index
    ex_labels = [s for s in existing.index if s in s_index]
    ex_mask = np.asarray(s_index.isin(ex_labels), dtype=bool)
    n_cand = int(len(s_index) - len(ex_labels))
    p_eff = None if run.p is None else min(run.p, n_cand)
    if run.p is not None and run.p > n_cand and n_cand > 0:
        notes.append(say("n_only_candidates", n=n_cand, p=run.p))
    costs = None
    if plan.cost is not None:
        costs = site_costs(candidates, plan.cost).reindex(s_index).fillna(1.0)
    weights = demand["weight"].reindex(d_index).to_numpy(float)
    rows = model_rows(access, weights, ex_mask, plan.cutoff_min)
    common: dict[str, Any] = {
        "cutoff": plan.cutoff_min,
        "weights": rows.weights,
        "existing": ex_labels,
        "demand_index": rows.labels,
        "site_index": s_index,
    }
    minimum: dict[str, Any] = {}
    if site_district is not None and plan.min_per_area:
        minimum = {
            "site_areas": site_district.reindex(s_index),
            "min_per_area": plan.min_per_area,
        }
    locate, new, phase_of, model = _choose(
        plan, run, rows.matrix, common, costs, p_eff, n_cand, notes, minimum
    )
    if model is None:  # the curve's model: the demand rows with the existing sites, no p
        model = MCLP.from_matrix(rows.matrix, **common)
    notes.extend(n for n in locate.notes if n not in notes)
    # per point: the nearest of the model's open sites (existing and chosen), in minutes
    column, best = access.nearest(
        np.asarray(s_index.isin(locate.sites.index), dtype=bool), unit_s=SECONDS_PER_MINUTE
    )
    labels = np.array(s_index.take(np.maximum(column, 0)), dtype=object)
    labels[column < 0] = None
    found.nearest_site.loc[d_index] = labels
    found.time_min.loc[d_index] = best
    found.covered_before.loc[d_index] = rows.covered_before
    if new is None:
        new = locate.sites[~locate.sites["existing"].to_numpy(bool)]
    gains = new["marginal_weight"].to_numpy(float)
    keep = gains > 1e-12
    asked = len(new) if p_eff is None else p_eff
    if minimum and (~keep).any():
        # sites the minimum per district asks for stay, even when they add no coverage
        notes.append(say("n_min_area", k=int((~keep).sum()), n=len(keep), m=plan.min_per_area))
        keep = np.ones(len(keep), dtype=bool)
    if (~keep).any() and asked > 0:
        if not keep.any():
            notes.append(say("n_no_gain"))
        else:
            notes.append(say("n_only_gain", k=int(keep.sum()), n=asked))
    order = list(new.index[keep])
    added = list(gains[keep])
    if run.budget is not None:
        spent = float(costs.reindex(order).sum()) if costs is not None else len(order)
        notes.append(say("n_budget_sites", b=run.budget, n=len(order), c=spent))
    covered_after = found.covered_before.copy()
    open_after = np.asarray(s_index.isin(ex_labels + order), dtype=bool)
    if open_after.any():
        _, after = access.nearest(open_after, unit_s=SECONDS_PER_MINUTE)
        covered_after.loc[d_index] = after <= plan.cutoff_min
    max_p = min(max(len(order), p_eff or 0, curve_max_p or 10), n_cand)
    curve = found.curve
    if max_p > 0:
        before_weight = float(
            demand["weight"].reindex(d_index)[found.covered_before.loc[d_index].to_numpy()].sum()
        )
        curve = coverage_curve(model, max_p, total_weight, before_weight)
    found.covered_after = covered_after
    found.locate, found.order, found.added, found.phase_of = locate, order, added, phase_of
    found.curve = curve
    return found


def _choose(
    plan: Plan,
    run: SiteRun,
    minutes: sp.csr_array,
    common: dict[str, Any],
    costs: pd.Series | None,
    p_eff: int | None,
    n_cand: int,
    notes: list[str],
    minimum: dict[str, Any] | None = None,
) -> tuple[LocateResult, pd.DataFrame | None, pd.Series | None, MCLP | None]:
    """Solve the run's model; return its result, the new sites of a phased plan and their phase.

    The last item is the model solved when the coverage curve can reuse it (an
    MCLP by ``p``: its reduced problem does not depend on ``p``, costs or
    minimums per area, so the curve is the same without a second model of
    10^8 entries and a second reduction), else ``None``.
    """
    from planner.locate import LSCP, MCLP

    solve_args: dict[str, Any] = {
        "solver": run.solver,
        "time_limit": run.time_limit,
        "mip_gap": run.mip_gap,
        "seed": plan.seed,
    }
    new: pd.DataFrame | None = None  # new sites in build order (phases: all phases)
    phase_of: pd.Series | None = None
    locate: LocateResult
    reused: MCLP | None = None
    if run.kind == "lscp":
        locate = LSCP.from_matrix(minutes, costs=costs, **common).solve(**solve_args)
        uncoverable = float(locate.figures.get("uncoverable_weight", 0.0))
        if uncoverable > 0:
            notes.append(say("n_uncoverable", w=uncoverable, m=plan.cutoff_min))
    elif run.budget is not None:
        locate = MCLP.from_matrix(minutes, budget=run.budget, costs=costs, **common).solve(
            **solve_args
        )
    elif run.phases is not None:
        too_many = p_eff is not None and p_eff < sum(run.phases)
        phases = trim_phases(run.phases, n_cand) if too_many else list(run.phases)
        phased = MCLP.from_matrix(minutes, p=sum(phases), **common).phased(phases, **solve_args)
        locate = phased.phases[-1]
        new = phased.sites
        phase_of = new["phase"]
        notes.append(
            say(
                "n_phased",
                phases=tuple(
                    say("n_phase_site" if n == 1 else "n_phase_sites", k=k, n=n)
                    for k, n in enumerate(phases, start=1)
                ),
            )
        )
    else:
        reused = MCLP.from_matrix(minutes, p=p_eff, costs=costs, **common, **(minimum or {}))
        locate = reused.solve(**solve_args)
    return locate, new, phase_of, reused


# the study's service areas are drawn at map scale: traced on a 10 m grid, vertices
# within 10 m of a straight side dropped, holes below 1 km2 (blocks between reached
# streets) filled
_MAP_TOLERANCE_M = 10.0
_MAP_SIMPLIFY_M = 10.0
_MAP_FILL_HOLES_KM2 = 1.0
# a state of more sites than this has its per-site areas traced on first use: the map
# draws them one by one only up to the same number (planner._map_parts.COMPACT_ABOVE)
PER_SITE_AT_ONCE = 500


def site_service_areas(
    plan: Plan,
    existing: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    n_jobs: int,
    progress: bool,
) -> tuple[gpd.GeoDataFrame | LaterAreas, gpd.GeoDataFrame, list[str]]:
    """Return the service area of each site, the merged area of each state, and the states left.

    Drawn at map scale (``service_areas`` with ``tolerance_m=10``, ``simplify_m=10``
    and ``fill_holes_km2=1``): the reached streets enclose blocks that are reachable
    too, so holes below 1 km2 are filled, and the outline keeps the shape to about
    10 m. ``street_km`` is exact (the access kernel's); ``area_km2`` is the area of
    the band traced on the 10 m grid (holes not filled), within 1% of the exact
    union of buffers.

    The merged areas (one row per state, ``"before"`` for the existing stations and
    ``"after"`` for the new sites) are traced directly with ``dissolve=True`` and
    the same settings: the band around every street piece a site of that state
    reaches, which is the union of the sites' bands (a city's 10,000 stations in
    seconds, where a polygon union of their areas takes minutes). Holes below
    1 km2 of the merged band are filled, so blocks enclosed only by the streets of
    several sites together are filled too; ``area_km2`` is the merged band's area.

    The sites of a state of more than :data:`PER_SITE_AT_ONCE` sites (a city's
    stations: the map draws their merged area only, and no file holds their
    polygons) are traced on first use of :attr:`PlanResult.service_areas`: then
    the first item is a :class:`LaterAreas`, and the states left are named in the
    third (``[]``: all traced). The polygons are the same:
    the later call lays the same grid over the same network and sites.
    """
    empty = gpd.GeoDataFrame(
        {"state": pd.Series(dtype=object), "site": pd.Series(dtype=object)},
        geometry=[],
        crs=WGS84,
    )
    merged_empty = merged_areas_frame([])
    if not plan.with_service_areas:
        return empty, merged_empty, []
    from planner.isochrones import service_areas_and_merged

    # one call for both states: the street layer, its grid cells and the searches once
    parts = [(state, points) for state, points in (("before", existing), ("after", sites))]
    parts = [(state, points) for state, points in parts if len(points)]
    if not parts:
        return empty, merged_empty, []
    settings: dict[str, Any] = {
        "mode": plan.mode,
        "cutoff_min": plan.cutoff_min,
        "tolerance_m": _MAP_TOLERANCE_M,
        "simplify_m": _MAP_SIMPLIFY_M,
        "fill_holes_km2": _MAP_FILL_HOLES_KM2,
        "max_snap_m": plan.max_snap_m,
        "on_far": "exclude",
        "n_jobs": n_jobs,
    }
    points = gpd.GeoDataFrame(
        geometry=pd.concat([p.geometry.to_crs(WGS84) for _, p in parts], ignore_index=True),
        crs=WGS84,
    )
    state = np.concatenate([np.full(len(p), s, dtype=object) for s, p in parts])
    site = np.concatenate([np.asarray([str(i) for i in p.index], dtype=object) for _, p in parts])
    later = [name for name, p in parts if len(p) > PER_SITE_AT_ONCE]
    now = [name for name, _ in parts if name not in later]
    areas, merged = service_areas_and_merged(
        plan.network, points, state, per_site_groups=now, progress=progress, **settings
    )
    # a state whose sites all lie beyond max_snap_m of the network has no merged row
    merged = merged_areas_frame([merged.loc[[name]] for name in merged.index])
    areas = _labelled(areas, state, site)
    if not later:
        return areas.reset_index(drop=True), merged, []
    trace = partial(
        _trace_later, plan.network, points, state, site, areas, later, progress, settings
    )
    return LaterAreas(areas.reset_index(drop=True), tuple(later), trace), merged, later


def _labelled(areas: gpd.GeoDataFrame, state: np.ndarray, site: np.ndarray) -> gpd.GeoDataFrame:
    """Per-site areas (indexed by position in the sites) with their state and site label."""
    at = areas.index.to_numpy()
    return areas.assign(state=state[at], site=site[at])


def _trace_later(
    network: RoadNetwork,
    points: gpd.GeoDataFrame,
    state: np.ndarray,
    site: np.ndarray,
    traced: gpd.GeoDataFrame,
    later: list[str],
    progress: bool,
    settings: dict[str, Any],
) -> gpd.GeoDataFrame:
    """Trace the per-site areas of the ``later`` states; return all, in the study's order."""
    from planner.isochrones import service_areas_and_merged

    areas, _ = service_areas_and_merged(
        network,
        points,
        state,
        per_site_groups=later,
        merged_groups=(),
        progress=progress,
        **settings,
    )
    both = pd.concat([traced, _labelled(areas, state, site)])
    return gpd.GeoDataFrame(both.sort_index(kind="stable"), crs=WGS84).reset_index(drop=True)


def trim_phases(phases: Sequence[int], n_cand: int) -> list[int]:
    """Cut the phases down to ``n_cand`` sites in all, dropping the latest first."""
    out, left = [], n_cand
    for n in phases:
        out.append(min(n, left))
        left -= out[-1]
    while out and out[-1] == 0:
        out.pop()
    return out or [0]
