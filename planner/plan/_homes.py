"""The driver-home programme: truck routes passing homes, a rest at least every few hours.

:func:`site_homes` runs the one driver-home study of a :class:`~planner.plan.Plan`.
``p`` (or each phase, or a budget) counts the **new** homes; existing homes are
fixed. Each phase, with the homes of the earlier phases fixed:

1. **the rest rule** (model ``"rest_interval"``, the default):
   :class:`~planner.locate.RestIntervalCoverage` chooses the homes that let the
   most trucks a day drive every stretch of at most ``rest_interval_h`` hours
   between rest places (a route's origin and destination, and the homes it
   passes, or reaches within ``detour_min``); homes the rule does not need are
   dropped;
2. **flow capturing** for the homes left over when the rule needs no more (every
   truck that can be served is): :class:`~planner.locate.FlowCapture` places them
   where the most trucks not yet passing a home pass (model ``"flow_capture"``
   uses this step alone).

Only candidates passed by at least ``min_volume`` trucks a day are eligible.
Nothing is swapped silently: the result's :attr:`~planner.plan.PlanResult.model_run`
names the models that chose homes, :attr:`~planner.plan.PlanResult.model_note`
says why when it differs from the model asked for (e.g. no trip drives longer
than the interval, so the rest rule is met without homes), and every solve is in
:attr:`~planner.plan.PlanResult.solves`.

:func:`planner.driver_home_plan` (deprecated, in :mod:`planner.plan._homes_deprecated`)
is the old entry point, a thin wrapper over the same study.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from planner._i18n import say
from planner.crs import WGS84
from planner.plan._inputs import (
    SiteRun,
    digest,
    existing_stations,
    network_digest,
    run_parameters,
    site_costs,
    sites_frame,
)
from planner.plan._rest import RestPlaces, gap_roads, gap_stretches, rest_places
from planner.plan._tables import coverage_curve, coverage_table, ranked_sites
from planner.plan.result import PlanResult, merged_areas_frame
from planner.presets import hours

if TYPE_CHECKING:
    from planner.locate import FlowCapture, LocateResult
    from planner.locate._base import SolverName
    from planner.plan._plan import Plan
    from planner.routes import Flows

__all__ = ["CAPTURE_MODEL", "REST_MODEL", "captured", "edge_routes", "run_homes", "site_homes"]

#: Largest number of new homes on the coverage curve (each point is one solve).
CURVE_MAX_P = 40
#: Seconds for each solve of the rest-rule curve (the best plan and its bound then).
CURVE_TIME_LIMIT = 10.0
_EPS = 1e-9
#: The names of the two models of the study (``PlanResult.model_run`` joins them with "+").
REST_MODEL, CAPTURE_MODEL = "RestIntervalCoverage", "FlowCapture"
_REST, _CAPTURE = REST_MODEL, CAPTURE_MODEL
_STAGE_NAME = {_REST: "rest interval", _CAPTURE: "flow capture"}


@dataclass
class _Stage:
    """One solve of the study: which phase, which model, what it chose."""

    phase: int
    model: str
    result: LocateResult
    chosen: list[Any]


@dataclass
class _Study:
    """The route × site data of one study, restricted to existing homes and eligible candidates."""

    flows: Flows
    cols: pd.Index  # existing labels, then eligible candidate labels
    existing: list[Any]
    volumes: np.ndarray
    detour: sp.csr_array  # route × cols, detour minutes (stored zeros: on the path)
    detour_min: float
    places: RestPlaces | None  # None when the plan has no rest interval
    passing: pd.Series  # trucks a day passing each site (existing homes and all candidates)
    costs: pd.Series | None  # cost of each eligible candidate
    stages: list[_Stage] = field(default_factory=list)

    def mask(self, labels: Sequence[Any]) -> np.ndarray:
        return np.asarray(self.cols.isin(list(labels)), dtype=bool)

    def captured(self, labels: Sequence[Any]) -> np.ndarray:
        return captured(self.detour, self.cols, labels, self.detour_min)

    def served(self, labels: Sequence[Any]) -> np.ndarray:
        if self.places is None:
            return np.ones(self.volumes.size, dtype=bool)
        return self.places.served(self.mask(labels))

    def served_volume(self, labels: Sequence[Any]) -> float:
        return float(self.volumes[self.served(labels)].sum())

    def captured_volume(self, labels: Sequence[Any]) -> float:
        return float(self.volumes[self.captured(labels)].sum())


def site_homes(plan: Plan, run: SiteRun) -> PlanResult:
    """Run the driver-home study of ``plan`` (see :meth:`Plan.site`)."""
    return run_homes(plan, run)[0]


def run_homes(plan: Plan, run: SiteRun) -> tuple[PlanResult, list[Any]]:
    """Run the study; return its result and its solves (``phase``, ``model``, ``result``)."""
    notes: list[str] = [say("n_no_sites_asked")] if run.p == 0 else []
    flows = plan.flows
    assert flows is not None  # Plan checks that driver homes have flows
    existing = existing_stations(plan)
    if len(existing) == 0:
        notes.append(say("n_no_homes"))
    candidates = plan.candidates
    if candidates is None or len(candidates) == 0:
        notes.append(say("n_no_candidates"))
        candidates = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    sites_all = sites_frame(existing, candidates)
    routes_table = flows.routes
    volumes = routes_table["volume"].to_numpy(float)
    total = float(volumes.sum())
    route_hours = hours(routes_table["time_s"].to_numpy(float))
    interval = plan.rest_interval_h
    # no site at all: a route meets the rest rule when it is short enough (its origin
    # and destination count as rest places)
    short = route_hours <= (interval or math.inf) * (1 + _EPS) + _EPS
    n = len(routes_table)
    out: dict[str, Any] = {
        "captured_before": np.zeros(n, dtype=bool),
        "captured_after": np.zeros(n, dtype=bool),
        "served_before": short.copy(),
        "served_after": short.copy(),
        "servable": np.ones(n, dtype=bool),
        "max_gap_before_h": route_hours.copy(),
        "max_gap_after_h": route_hours.copy(),
    }
    rest_primary = run.kind == "rest_interval" and interval is not None and bool((~short).any())
    study: _Study | None = None
    order: list[Any] = []
    phase_of: dict[Any, int] = {}
    passing = pd.Series(np.nan, index=candidates.index)
    if n == 0:
        notes.append(say("n_no_routes"))
    if n and len(sites_all):
        study = _build_study(plan, run, flows, sites_all, existing, candidates, notes)
        passing = study.passing.reindex(candidates.index)
        existing = existing.assign(
            passing_volume=study.passing.reindex(existing.index).to_numpy(float)
        )
        order, phase_of = _choose(plan, run, study, rest_primary, route_hours, notes)
        ex = list(existing.index)
        out["captured_before"] = study.captured(ex)
        out["captured_after"] = study.captured(ex + order)
        if study.places is not None:
            out["served_before"] = study.served(ex)
            out["served_after"] = study.served(ex + order)
            out["servable"] = study.served(list(study.cols))
            out["max_gap_before_h"] = study.places.max_gap(study.mask(ex))
            out["max_gap_after_h"] = study.places.max_gap(study.mask(ex + order))
    measure = "served" if rest_primary else "captured"
    covered_before, covered_after = out[f"{measure}_before"], out[f"{measure}_after"]
    added = _marginals(study, list(existing.index), order, measure)
    stages = study.stages if study is not None else []
    reason_of = {s: _STAGE_NAME[st.model] for st in stages for s in st.chosen}
    sites = ranked_sites(
        plan,
        candidates,
        existing,
        order,
        added,
        total=total,
        base=float(volumes[np.asarray(covered_before, dtype=bool)].sum()),
        passing=passing,
    )
    sites.insert(1, "reason", pd.Series([reason_of.get(s) for s in order], dtype=object).to_numpy())
    if run.phases is not None:
        sites.insert(1, "phase", np.asarray([phase_of[s] for s in order], dtype=np.int64))
    if study is not None and study.costs is not None:
        sites["cost"] = study.costs.reindex(sites.index).to_numpy(float)
    paths = flows.paths_gdf()
    demand_out = gpd.GeoDataFrame(
        {
            "volume": volumes,
            **out,
            "time_h": route_hours,
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
    curve = _curve(plan, run, study, rest_primary, order, measure)
    phases, gaps = _phase_figures(plan, run, study, flows, list(existing.index), order, phase_of)
    model_run, model_note, locate = _models(run, stages, rest_primary, interval, route_hours)
    if model_note:
        notes.append(model_note)
    return (
        PlanResult(
            name=plan.name,
            programme="driver_homes",
            parameters=run_parameters(plan, run),
            sites=sites,
            stations=existing,
            demand=demand_out,
            coverage=coverage,
            uncovered=demand_out[~np.asarray(covered_after, dtype=bool)],
            hexes=gpd.GeoDataFrame({"weight_uncovered": []}, geometry=[], crs=WGS84),
            curve=curve,
            _service_areas=gpd.GeoDataFrame(
                {"state": pd.Series(dtype=object)}, geometry=[], crs=WGS84
            ),
            service_areas_merged=merged_areas_frame(),
            routes=edge_routes(flows),
            locate=locate,
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
            model_run=model_run,
            model_note=model_note,
            phases=phases,
            gaps=gaps,
            gap_roads=gap_roads(gaps, flows),
            solves=_solves_table(stages),
        ),
        stages,
    )


# --------------------------------------------------------------------------- the data


def _build_study(
    plan: Plan,
    run: SiteRun,
    flows: Flows,
    sites_all: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    notes: list[str],
) -> _Study:
    """Which routes pass which sites; the eligible candidates; their costs."""
    inc = flows.site_incidence(
        sites_all, max_snap_m=plan.max_snap_m, detour_min=plan.detour_min, progress=run.progress
    )
    passing_all = inc.sites["passing_volume"]
    # with a detour limit, trucks reaching a site within it pass it for eligibility
    near = inc.sites["reachable_volume" if plan.detour_min > 0 else "passing_volume"]
    reach = near.reindex(candidates.index).fillna(0.0)
    minv = plan.min_volume or 0.0
    eligible = list(candidates.index[(reach >= minv).to_numpy()])
    if len(eligible) < len(candidates):
        within = say("n_within", d=plan.detour_min) if plan.detour_min > 0 else ""
        notes.append(
            say(
                "n_not_eligible",
                k=len(candidates) - len(eligible),
                n=len(candidates),
                within=within,
                v=minv,
            )
        )
    cols = pd.Index(list(existing.index) + eligible)
    detour_all = sp.csr_array(inc.matrix("detour_min"))
    take = inc.sites.index.get_indexer(cols)
    detour = sp.csr_array(detour_all[:, take])
    places = None
    if plan.rest_interval_h is not None:
        places = rest_places(
            inc, interval_h=plan.rest_interval_h, detour_min=plan.detour_min, site_index=cols
        )
    costs = None
    if plan.cost is not None:
        costs = site_costs(candidates, plan.cost).reindex(eligible)
    elif plan.subsidy_per_home is not None:
        costs = pd.Series(float(plan.subsidy_per_home), index=pd.Index(eligible), dtype=float)
    return _Study(
        flows=flows,
        cols=cols,
        existing=list(existing.index),
        volumes=flows.routes["volume"].to_numpy(float),
        detour=detour,
        detour_min=plan.detour_min,
        places=places,
        passing=passing_all,
        costs=costs,
    )


# --------------------------------------------------------------------------- choosing


def _choose(
    plan: Plan,
    run: SiteRun,
    study: _Study,
    rest_primary: bool,
    route_hours: np.ndarray,
    notes: list[str],
) -> tuple[list[Any], dict[Any, int]]:
    """Choose the new homes phase by phase; return them in build order and their phases."""
    n_cand = len(study.cols) - len(study.existing)
    minv = plan.min_volume or 0.0
    if run.phases is not None:
        counts: list[int | None] = list(run.phases)
    elif run.budget is not None:
        counts = [None]
    else:
        counts = [20 if run.p is None else run.p]
    asked = sum(c for c in counts if c is not None)
    if run.budget is None and asked > n_cand:
        notes.append(say("n_only_eligible", n=n_cand, v=minv, p=asked))
    rest_asked = run.kind == "rest_interval" and study.places is not None
    if rest_asked and not rest_primary:
        longest = float(route_hours.max(initial=0.0))
        notes.append(say("n_short_trips", h=plan.rest_interval_h, longest=longest))
    built: list[Any] = []
    phase_of: dict[Any, int] = {}
    short: list[tuple[int, int, int]] = []  # phases building fewer homes than asked
    spent = 0.0
    for k, count in enumerate(counts, start=1):
        left = n_cand - len(built)
        want = None if count is None else min(count, left)
        budget = None if run.budget is None else run.budget - spent
        fixed = study.existing + built
        chosen: list[Any] = []
        if rest_asked and (want is None or want > 0) and left > 0:
            chosen = _rest_stage(run, plan, study, k, fixed, want, budget)
        more = None if want is None else want - len(chosen)
        if budget is not None and study.costs is not None:
            budget -= float(study.costs.reindex(chosen).sum())
        if (more is None or more > 0) and left - len(chosen) > 0:
            chosen = chosen + _capture_stage(run, plan, study, k, fixed + chosen, more, budget)
        if count is not None and count > 0 and len(chosen) < min(count, left):
            short.append((k, len(chosen), min(count, left)))
        for s in chosen:
            phase_of[s] = k
        built += chosen
        if study.costs is not None:
            spent += float(study.costs.reindex(chosen).sum())
    if short:
        rule = say("n_fewer_rule") if rest_asked and rest_primary else ""
        said = tuple(
            say(
                "n_fewer_phase" if run.phases is not None else "n_fewer_count",
                k=k,
                got=got,
                asked=n,
            )
            for k, got, n in short
        )
        notes.append(say("n_fewer_homes", said=said, rule=rule))
    if run.phases is not None:
        notes.append(
            say(
                "n_phased",
                phases=tuple(
                    say("n_phase_homes", k=k, n=sum(v == k for v in phase_of.values()), c=c)
                    for k, c in enumerate(counts, start=1)
                ),
            )
        )
    if run.budget is not None:
        notes.append(say("n_budget_homes", b=run.budget, n=len(built), c=spent))
    elif study.costs is not None and built:
        notes.append(say("n_cost_homes", n=len(built), c=spent))
    if rest_primary and study.places is not None:
        notes.append(say("n_rest_primary", h=plan.rest_interval_h))
        unservable = ~study.served(list(study.cols))
        if unservable.any():
            notes.append(
                say(
                    "n_unservable",
                    n=int(unservable.sum()),
                    v=float(study.volumes[unservable].sum()),
                    h=plan.rest_interval_h,
                )
            )
    return built, phase_of


def _cand_costs(study: _Study) -> np.ndarray | None:
    if study.costs is None:
        return None
    costs = pd.Series(1.0, index=study.cols)
    costs.loc[study.costs.index] = study.costs.to_numpy(float)
    return costs.to_numpy(float)


def _affordable(study: _Study, fixed: Sequence[Any], budget: float | None) -> bool:
    if budget is None or study.costs is None:
        return True
    left = study.costs.drop(index=[s for s in fixed if s in study.costs.index])
    return bool(len(left)) and budget >= float(left.min()) - 1e-9


def _rest_stage(
    run: SiteRun,
    plan: Plan,
    study: _Study,
    phase: int,
    fixed: list[Any],
    want: int | None,
    budget: float | None,
) -> list[Any]:
    """Choose by the rest rule: homes serving the most trucks, without homes it does not need."""
    from planner.locate import RestIntervalCoverage

    places = study.places
    assert places is not None
    if not _affordable(study, fixed, budget):
        return []
    model = RestIntervalCoverage.from_matrix(
        places.positions(),
        lengths=places.lengths_h,
        interval=places.interval_h,
        p=want,
        volumes=study.volumes,
        existing=study.mask(fixed),  # a mask: mixed label types stay apart
        costs=_cand_costs(study) if budget is not None else None,
        budget=budget,
        route_index=study.flows.routes.index,
        site_index=study.cols,
    )
    res = model.solve(
        solver=run.solver, time_limit=run.time_limit, mip_gap=run.mip_gap, seed=plan.seed
    )
    new = list(res.sites.index[~res.sites["existing"].to_numpy(bool)])
    chosen = _prune(new, lambda labels: study.served_volume(fixed + labels))
    study.stages.append(_Stage(phase, _REST, res, chosen))
    return chosen


def _capture_stage(
    run: SiteRun,
    plan: Plan,
    study: _Study,
    phase: int,
    fixed: list[Any],
    want: int | None,
    budget: float | None,
) -> list[Any]:
    """Flow capturing: homes where the most trucks not yet passing a home pass."""
    from planner.locate import FlowCapture

    left = len(study.cols) - len(fixed)
    if want is not None:
        want = min(want, left)
    if left <= 0 or want == 0 or not _affordable(study, fixed, budget):
        return []
    model: FlowCapture = FlowCapture.from_matrix(
        study.detour,
        p=want,
        volumes=study.volumes,
        detour=study.detour_min,
        existing=study.mask(fixed),  # a mask: mixed label types stay apart
        costs=_cand_costs(study) if budget is not None else None,
        budget=budget,
        route_index=study.flows.routes.index,
        site_index=study.cols,
    )
    res = model.solve(
        solver=run.solver, time_limit=run.time_limit, mip_gap=run.mip_gap, seed=plan.seed
    )
    new = res.sites[~res.sites["existing"].to_numpy(bool)]
    chosen = list(new.index[new["marginal_weight"].to_numpy(float) > 1e-12])
    study.stages.append(_Stage(phase, _CAPTURE, res, chosen))
    return chosen


def _prune(order: list[Any], value: Any) -> list[Any]:
    """Drop chosen homes the measure does not need (the latest first); keep the order."""
    keep = list(order)
    best = value(keep)
    for s in reversed(order):
        trial = [x for x in keep if x != s]
        if value(trial) >= best - 1e-9 * max(1.0, abs(best)):
            keep = trial
    return keep


def _marginals(
    study: _Study | None, existing: list[Any], order: list[Any], measure: str
) -> list[float]:
    """Return what each new home adds to the plan's measure given the homes built before it."""
    if study is None or not order:
        return []
    value = study.served_volume if measure == "served" else study.captured_volume
    vals = [value(existing + order[:k]) for k in range(len(order) + 1)]
    return list(np.diff(vals))


# --------------------------------------------------------------------------- figures


def _curve(
    plan: Plan,
    run: SiteRun,
    study: _Study | None,
    rest_primary: bool,
    order: list[Any],
    measure: str,
) -> pd.DataFrame:
    """Covered share by number of new homes (fast solves from the existing homes)."""
    empty = pd.DataFrame(columns=["p", "site", "covered", "share", "bound", "gap"])
    if study is None:
        return empty
    n_cand = len(study.cols) - len(study.existing)
    max_p = min(max(len(order), 5), n_cand, CURVE_MAX_P)
    total = float(study.volumes.sum())
    if max_p <= 0 or total <= 0:
        return empty
    if rest_primary:
        curve = _rest_curve(study, max_p, run.solver)
    else:
        from planner.locate import FlowCapture

        model = FlowCapture.from_matrix(
            study.detour,
            p=max_p,
            volumes=study.volumes,
            detour=study.detour_min,
            existing=study.mask(study.existing),
            route_index=study.flows.routes.index,
            site_index=study.cols,
        )
        curve = coverage_curve(model.mclp, max_p, total, study.captured_volume(study.existing))
    curve["chosen"] = curve["p"] == len(order)
    return curve


def _rest_curve(study: _Study, max_p: int, solver: SolverName) -> pd.DataFrame:
    """Return the served volume by number of new homes (rest-interval model, fast solver).

    Stops once every truck that can be served is served.
    """
    from planner.locate import RestIntervalCoverage

    places = study.places
    assert places is not None
    total = float(study.volumes.sum())
    before = study.served_volume(study.existing)
    best = study.served_volume(list(study.cols))
    rows: list[dict[str, Any]] = [
        {"p": 0, "site": None, "covered": before, "share": before / total, "bound": before}
    ]
    for k in range(1, max_p + 1):
        if float(rows[-1]["covered"]) >= best - 1e-9:
            break
        res = RestIntervalCoverage.from_matrix(
            places.positions(),
            lengths=places.lengths_h,
            interval=places.interval_h,
            p=k,
            volumes=study.volumes,
            existing=study.mask(study.existing),
            route_index=study.flows.routes.index,
            site_index=study.cols,
        ).solve(solver=solver, time_limit=CURVE_TIME_LIMIT)
        rows.append(
            {
                "p": k,
                "site": None,
                "covered": res.objective,
                "share": res.objective / total,
                "bound": res.bound,
            }
        )
    frame = pd.DataFrame(rows)
    frame["gap"] = (frame["bound"] - frame["covered"]).clip(lower=0) / frame["covered"].where(
        frame["covered"] > 0
    )
    return frame


def _phase_figures(
    plan: Plan,
    run: SiteRun,
    study: _Study | None,
    flows: Flows,
    existing: list[Any],
    order: list[Any],
    phase_of: dict[Any, int],
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Return the figures after each phase (phase 0: existing homes only), and the gaps."""
    n_phases = len(run.phases) if run.phases is not None else 1
    volumes = flows.routes["volume"].to_numpy(float)
    total = float(volumes.sum())
    rows = []
    gap_frames = []
    for k in range(n_phases + 1):
        built = [s for s in order if phase_of.get(s, 1) <= k] if k else []
        new = [s for s in order if phase_of.get(s, 1) == k] if k else []
        labels = existing + built
        if study is not None:
            served = study.served(labels)
            captured_ = study.captured(labels)
        else:
            served = np.asarray(
                flows.routes["time_s"].to_numpy(float) / 3600.0
                <= (plan.rest_interval_h or math.inf) + 1e-9
            )
            captured_ = np.zeros(len(volumes), dtype=bool)
        state = "before" if k == 0 else ("after" if k == n_phases else f"after phase {k}")
        gaps = None
        if study is not None and study.places is not None:
            gaps = gap_stretches(study.places, study.mask(labels), flows, state=state)
            gap_frames.append(gaps)
        cost = (
            float(study.costs.reindex(new).sum())
            if study is not None and study.costs is not None
            else math.nan
        )
        rows.append(
            {
                "phase": k,
                "state": state,
                "new_homes": len(new),
                "homes": len(labels),
                "cost": cost if k else 0.0,
                "served": float(volumes[served].sum()),
                "served_share": float(volumes[served].sum()) / total if total > 0 else math.nan,
                "captured": float(volumes[captured_].sum()),
                "captured_share": (
                    float(volumes[captured_].sum()) / total if total > 0 else math.nan
                ),
                "gaps": 0 if gaps is None else len(gaps),
                "trucks_in_gaps": 0.0 if gaps is None else float(gaps["volume"].sum()),
                "routes_with_gaps": 0 if gaps is None else int(gaps["route"].nunique()),
                "longest_gap_h": (
                    float(gaps["hours"].max()) if gaps is not None and len(gaps) else 0.0
                ),
            }
        )
    if gap_frames:
        gaps_all = gpd.GeoDataFrame(pd.concat(gap_frames, ignore_index=True), crs=WGS84)
    else:
        gaps_all = gpd.GeoDataFrame(
            {
                "state": pd.Series(dtype=object),
                "route": pd.Series(dtype=object),
                "start_h": [],
                "end_h": [],
                "hours": [],
                "volume": [],
            },
            geometry=[],
            crs=WGS84,
        )
    return pd.DataFrame(rows), gaps_all


def _models(
    run: SiteRun,
    stages: list[_Stage],
    rest_primary: bool,
    interval: float | None,
    route_hours: np.ndarray,
) -> tuple[str, str, LocateResult | None]:
    """Name the models that chose homes; say why when it is not the one asked for."""
    asked = _REST if run.kind == "rest_interval" else _CAPTURE
    used = [m for m in (_REST, _CAPTURE) if any(st.model == m and st.chosen for st in stages)]
    ran = [m for m in (_REST, _CAPTURE) if any(st.model == m for st in stages)]
    model_run = "+".join(used) if used else (ran[0] if ran else "")
    primary = used[0] if used else (ran[0] if ran else None)
    picks = [st for st in stages if st.model == primary]
    picks = [st for st in picks if st.chosen] or picks  # the solves that chose homes
    locate = max(picks, key=lambda st: (st.result.gap, st.phase)).result if picks else None
    note: str = ""
    n_rest = sum(len(st.chosen) for st in stages if st.model == _REST)
    n_cap = sum(len(st.chosen) for st in stages if st.model == _CAPTURE)
    if asked == _REST and interval is not None and _REST in ran and not rest_primary:
        longest = float(route_hours.max(initial=0.0))
        note = say("n_model_short_trips", h=interval, longest=longest, n=n_cap)
    elif asked == _REST and interval is None and run.kind == "rest_interval":
        note = say("n_model_no_interval")
    elif asked == _REST and n_cap:
        note = say("n_model_rest_then_capture", r=n_rest, n=n_cap)
    return model_run, note, locate


def _solves_table(stages: list[_Stage]) -> pd.DataFrame:
    """One row per solve: phase, model, homes chosen, solver, status, objective, bound, gap."""
    columns = [
        "phase",
        "model",
        "homes",
        "solver",
        "status",
        "objective",
        "bound",
        "gap",
        "seconds",
    ]
    rows = [
        {
            "phase": st.phase,
            "model": st.model,
            "homes": len(st.chosen),
            "solver": st.result.solver,
            "status": st.result.status,
            "objective": float(st.result.objective),
            "bound": float(st.result.bound),
            "gap": float(st.result.gap),
            "seconds": round(float(st.result.seconds), 3),
        }
        for st in stages
    ]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- helpers


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
