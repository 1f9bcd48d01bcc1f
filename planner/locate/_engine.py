"""Shared machinery of the models: solver choice, result tables, phasing (internal)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from planner._errors import InfeasibleError, InputError
from planner._progress import Progress, progress_bar
from planner.locate import _kernels
from planner.locate._base import AccessData, LocateResult, SolverName, relative_gap
from planner.locate.solvers import (
    EXACT_NNZ_LIMIT,
    LP_BOUND_NNZ_LIMIT,
    BenefitProblem,
    FastResult,
    MipResult,
    coverage_exact,
    coverage_fast,
    greedy_swap,
)

logger = logging.getLogger(__name__)

IntArray = NDArray[np.int64]

AUTO_TIME_LIMIT = 120.0
"""Seconds given to HiGHS by ``solver="auto"`` when no ``time_limit`` is set."""


def check_solver(solver: str) -> str:
    """Refuse an unknown ``solver=`` value.

    Parameters
    ----------
    solver
        The value given.

    Returns
    -------
    str
        The value.
    """
    if solver not in ("auto", "exact", "fast"):
        raise InputError(
            f"`solver` must be 'auto', 'exact' or 'fast'; got {solver!r}.",
            field="solver",
            fix="use solver='exact' for HiGHS, 'fast' for greedy + swaps, 'auto' to choose.",
        )
    return solver


@dataclass
class BenefitSolve:
    """A solved benefit problem, in the problem's own units (internal)."""

    chosen: IntArray  # candidate columns (local numbering)
    value: float
    bound: float
    solver: str
    reason: str
    status: str
    fast: FastResult


MipBuilder = Callable[..., tuple[MipResult, IntArray]]


def solve_benefit(
    prob: BenefitProblem,
    *,
    p: int | None,
    budget: float | None,
    solver: SolverName,
    time_limit: float | None,
    mip_gap: float,
    seed: int | None,
    mip: MipBuilder,
    model_nnz: int,
    lp_bound: bool = True,
    coverage: bool = False,
    must: NDArray[np.bool_] | None = None,
    progress: Progress | None = None,
) -> BenefitSolve:
    """Choose a solver, run it, and return the best plan with its proven bound.

    Parameters
    ----------
    prob
        The benefit problem.
    p, budget
        Cardinality or budget.
    solver, time_limit, mip_gap, seed
        As in the models' ``solve``.
    mip
        Builds and solves the exact model: ``mip(relax=, time_limit=, mip_gap=, start=)``.
    model_nnz
        Non-zeros of the exact model, for the ``auto`` choice.
    lp_bound
        Let the fast solver add the LP relaxation bound when the model is small enough.
    coverage
        The problem is max coverage (0/1, base 0): use the coverage pipeline
        (Lagrangian bound and core MIP; dominance and reduced-cost fixing when exact).
    must
        Rows the exact model must serve with a new column (p-median): a
        heuristic plan that leaves one unserved is no incumbent for it.
    progress
        Counts greedy steps, swap moves and HiGHS solves.

    Returns
    -------
    BenefitSolve
        The plan, bound, solver and status.
    """
    check_solver(solver)
    t0 = time.perf_counter()
    tick = progress or Progress(None)
    if prob.n_cols == 0 or prob.B.nnz == 0:
        fast = greedy_swap(prob, p, budget=budget, swaps=False)
        value = prob.value(np.zeros(prob.n_cols, dtype=bool))
        chosen = fast.selected
        return BenefitSolve(
            chosen,
            prob.value(_mask(chosen, prob.n_cols)),
            value,
            "trivial",
            "no candidate site can add anything",
            "optimal",
            fast,
        )
    if solver == "auto":
        if model_nnz <= EXACT_NNZ_LIMIT:
            use_exact = True
            reason = (
                f"auto: the exact model has {model_nnz:,} non-zeros (<= {EXACT_NNZ_LIMIT:,}), "
                "so HiGHS, warm-started with greedy + swaps"
            )
        else:
            use_exact = False
            reason = (
                f"auto: the exact model would have {model_nnz:,} non-zeros "
                f"(> {EXACT_NNZ_LIMIT:,}), so greedy + swaps with a proven bound"
            )
        if use_exact and time_limit is None:
            time_limit = AUTO_TIME_LIMIT
    elif solver == "exact":
        use_exact = True
        reason = "exact solver asked for (HiGHS), warm-started with greedy + swaps"
    else:
        use_exact = False
        reason = "fast solver asked for"
    if coverage and budget is None and p is not None:
        if use_exact:
            chosen, value, bound, status, fast = coverage_exact(
                prob, p, time_limit=time_limit, mip_gap=mip_gap, seed=seed, progress=tick
            )
            name = "highs (dominance + reduced-cost fixing, heuristic incumbent)"
        else:
            fast, _ = coverage_fast(prob, p, time_limit=time_limit, seed=seed, progress=tick)
            chosen, value, bound = fast.selected, fast.value, fast.bound
            name = "greedy+swap, Lagrangian bound, core MIP"
            status = "optimal" if relative_gap(value, bound, "max") == 0 else "feasible"
        return BenefitSolve(chosen, value, bound, name, reason, status, fast)
    ls_limit = None if time_limit is None else 0.25 * time_limit
    fast = greedy_swap(prob, p, budget=budget, time_limit=ls_limit, seed=seed, progress=tick)
    bound = fast.bound
    name = "greedy+swap"
    chosen = fast.selected
    value = fast.value
    status = "feasible"
    if not use_exact:
        small = model_nnz <= LP_BOUND_NNZ_LIMIT
        if lp_bound and small and relative_gap(value, bound, "max") > 0:
            left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1.0)
            with tick.stage("HiGHS LP bound"):
                lp, _ = mip(relax=True, time_limit=left, mip_gap=0.0, start=None)
            if lp.status == "optimal" and lp.objective < bound:
                bound = lp.objective
                name = "greedy+swap, LP bound"
        if relative_gap(value, bound, "max") == 0:
            status = "optimal"
        return BenefitSolve(chosen, value, max(bound, value), name, reason, status, fast)
    left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.5)
    with tick.stage("HiGHS MIP"):
        res, mip_chosen = mip(relax=False, time_limit=left, mip_gap=mip_gap, start=fast.selected)
    if res.status == "infeasible":
        raise InfeasibleError("HiGHS proved the model infeasible.")
    name = "highs"
    if res.status != "time_limit" or not math.isnan(res.objective):
        mip_value = prob.value(_mask(mip_chosen, prob.n_cols))
        # the heuristic ignores `must`: its plan (and value) only count if it serves them
        heuristic_ok = must is None or _serves(prob, chosen, must)
        if mip_value >= value - 1e-9 * max(1.0, abs(value)) or not heuristic_ok:
            chosen, value = mip_chosen, mip_value
        bound = min(bound, res.bound) if not math.isnan(res.bound) else bound
    status = res.status
    if relative_gap(value, bound, "max") == 0:
        status = "optimal"
    elif status == "optimal":
        status = "gap_limit"
    return BenefitSolve(chosen, value, max(bound, value), name, reason, status, fast)


def _serves(prob: BenefitProblem, cols: IntArray, rows: NDArray[np.bool_]) -> bool:
    """Whether every flagged row has an entry in one of ``cols``."""
    hit = np.diff(sp.csr_array(prob.B[:, np.asarray(cols, dtype=np.int64)]).indptr) > 0
    return bool(np.all(hit[rows]))


def _mask(cols: IntArray, n: int) -> NDArray[np.bool_]:
    m = np.zeros(n, dtype=bool)
    m[np.asarray(cols, dtype=np.int64)] = True
    return m


def nearest_open(
    times: sp.csr_array, open_mask: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Nearest open site (column, time) per demand row; -1 / inf where none is reachable.

    Parameters
    ----------
    times
        Demand × site times (stored entries are reachable, zeros included).
    open_mask
        Open (existing or chosen) sites.

    Returns
    -------
    site, time
        Column of the nearest open site and its time, per row.
    """
    n = times.shape[0]
    site = np.full(n, -1, dtype=np.int64)
    best = np.full(n, np.inf)
    mask = np.asarray(open_mask, dtype=np.bool_)
    _kernels.nearest_open(times.indptr, times.indices, times.data, mask, site, best)
    return site, best


def site_table(
    site_index: pd.Index,
    existing: NDArray[np.bool_],
    order: IntArray,
    marginal: NDArray[np.float64],
    *,
    base: float,
    total: float | None,
    name: str = "marginal",
) -> pd.DataFrame:
    """Tabulate the selected sites in rank order (existing first, rank 0) by label.

    Parameters
    ----------
    site_index
        Site labels.
    existing
        Existing-site mask.
    order
        New sites (global columns) in rank order.
    marginal
        What each adds, same order.
    base
        Value before any new site (what existing sites give).
    total
        Total demand weight, for ``cumulative_share`` (None: no share column).
    name
        Name of the marginal column.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``existing``, marginal, ``cumulative`` (and ``cumulative_share``).
    """
    ex = np.flatnonzero(existing)
    cols = np.r_[ex, order].astype(np.int64)
    cum = base + np.cumsum(np.r_[np.zeros(ex.size), marginal])
    df = pd.DataFrame(
        {
            "rank": np.r_[np.zeros(ex.size, dtype=np.int64), np.arange(1, order.size + 1)],
            "existing": np.r_[np.ones(ex.size, dtype=bool), np.zeros(order.size, dtype=bool)],
            name: np.r_[np.full(ex.size, np.nan), marginal],
            "cumulative": cum,
        },
        index=site_index[cols],
    )
    if total is not None:
        df["cumulative_share"] = cum / total if total > 0 else np.nan
    return df


def demand_table(
    data: AccessData,
    weights: NDArray[np.float64],
    open_mask: NDArray[np.bool_],
    *,
    cutoff: float | None,
) -> pd.DataFrame:
    """Per demand point: weight, nearest open site, its time, and covered flag.

    Parameters
    ----------
    data
        The access matrix.
    weights
        Demand weights.
    open_mask
        Existing and chosen sites.
    cutoff
        Coverage cutoff, if the model has one.

    Returns
    -------
    pandas.DataFrame
        Indexed by demand label.
    """
    site, best = nearest_open(data.times, open_mask)
    labels = pd.Series(data.site_index.take(np.maximum(site, 0)), dtype=object)
    labels[site < 0] = None
    df = pd.DataFrame(
        {"weight": weights, "site": labels.to_numpy(), "time": best}, index=data.demand_index
    )
    if cutoff is not None:
        df["covered"] = best <= cutoff
    return df


def make_result(
    *,
    model: str,
    sites: pd.DataFrame,
    demand: pd.DataFrame,
    objective: float,
    bound: float,
    sense: str,
    solver: str,
    reason: str,
    status: str,
    t0: float,
    figures: dict[str, float],
    notes: tuple[str, ...] = (),
) -> LocateResult:
    """Assemble a :class:`LocateResult` with its gap.

    Parameters
    ----------
    model, sites, demand, objective, bound, sense, solver, reason, status, figures, notes
        Fields of the result.
    t0
        ``time.perf_counter()`` at the start of the solve.

    Returns
    -------
    LocateResult
        The result.
    """
    gap = relative_gap(objective, bound, sense)
    if gap == 0 and status in ("feasible", "gap_limit", "time_limit"):
        status = "optimal"
    return LocateResult(
        model=model,
        sites=sites,
        demand=demand,
        objective=float(objective),
        bound=float(bound),
        gap=gap,
        sense="max" if sense == "max" else "min",
        solver=solver,
        reason=reason,
        status=status,
        seconds=time.perf_counter() - t0,
        figures=figures,
        notes=notes,
    )


@dataclass
class Prepared:
    """A model reduced to a benefit problem (internal).

    Attributes
    ----------
    prob
        The benefit problem over candidate columns.
    cand_cols
        Global column of every candidate column.
    const
        Benefit of the rows dropped from the problem (constant).
    to_objective
        Maps ``const + F`` to the model's objective.
    mip
        The exact model builder.
    model_nnz
        Size of the exact model.
    figures
        Figures known before solving.
    coverage
        The problem is max coverage (0/1, base 0).
    must
        Rows the exact model must serve with a new column.
    """

    prob: BenefitProblem
    cand_cols: IntArray
    const: float
    to_objective: Callable[[float], float]
    mip: MipBuilder
    model_nnz: int
    figures: dict[str, float]
    coverage: bool = False
    must: NDArray[np.bool_] | None = None


@dataclass(frozen=True)
class PhasePlan:
    """A phased plan: sites per phase, each phase keeping earlier choices.

    Attributes
    ----------
    sites
        New sites in build order, keyed by site label: ``phase`` (1-based),
        ``rank`` (overall), ``rank_in_phase``, ``marginal``, ``cumulative``
        and, for coverage models, ``cumulative_share``.
    phases
        The result of every phase.
    """

    sites: pd.DataFrame
    phases: tuple[LocateResult, ...]


class BenefitModel:
    """Common solve / curve / phasing logic of MCLP, p-median and decay models."""

    name = "model"
    sense = "max"
    marginal_name = "marginal"

    def __init__(
        self,
        data: AccessData,
        *,
        weights: NDArray[np.float64],
        existing: NDArray[np.bool_],
        p: int | None,
        budget: float | None = None,
        costs: NDArray[np.float64] | None = None,
    ) -> None:
        self.data = data
        self.weights = weights
        self.existing = existing
        self.p = p
        self.budget = budget
        self.costs = costs
        self._prep: Prepared | None = None

    # subclasses provide -------------------------------------------------------
    def _prepare(self) -> Prepared:  # pragma: no cover - abstract
        raise NotImplementedError

    def _share_total(self) -> float | None:
        return None

    def _cutoff(self) -> float | None:
        return None

    def _demand(self, open_mask: NDArray[np.bool_]) -> pd.DataFrame:
        return demand_table(self.data, self.weights, open_mask, cutoff=self._cutoff())

    def _check_plan(self, open_mask: NDArray[np.bool_], solver: str) -> None:
        """Raise if a plan violates a hard requirement (p-median: everyone served)."""

    # shared --------------------------------------------------------------------
    @property
    def prepared(self) -> Prepared:
        """The reduced problem, built once."""
        if self._prep is None:
            self._prep = self._prepare()
        return self._prep

    def _with(self, *, existing: NDArray[np.bool_], p: int | None) -> BenefitModel:
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.existing = existing
        other.p = p
        other._prep = None
        return other

    def _marginal(self, gains: NDArray[np.float64]) -> NDArray[np.float64]:
        return gains

    def _solve_prepared(
        self,
        prep: Prepared,
        *,
        solver: SolverName,
        time_limit: float | None,
        mip_gap: float,
        seed: int | None,
        tick: Progress,
    ) -> BenefitSolve:
        """Solve the reduced problem (a model with side constraints replaces this)."""
        return solve_benefit(
            prep.prob,
            p=self.p if self.budget is None else None,
            budget=self.budget,
            solver=solver,
            time_limit=time_limit,
            mip_gap=mip_gap,
            seed=seed,
            mip=prep.mip,
            model_nnz=prep.model_nnz,
            coverage=prep.coverage,
            must=prep.must,
            progress=tick,
        )

    def solve(
        self,
        *,
        solver: SolverName = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        seed: int | None = None,
        progress: bool = False,
    ) -> LocateResult:
        """Solve the model; see the class docstring for the arguments."""
        t0 = time.perf_counter()
        check_solver(solver)
        if self.p is None and self.budget is None:
            raise InputError(
                "this model needs `p` (number of new sites) or `budget`.",
                field="p",
                fix="pass p=... (or budget=... with costs=...) to from_matrix.",
            )
        prep = self.prepared
        logger.debug("%s: %s", self.name, prep.figures)
        with progress_bar(self.name, enabled=progress) as tick:
            res = self._solve_prepared(
                prep, solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed, tick=tick
            )
        chosen = res.chosen
        # fill up to p with sites that add nothing (ties), so exactly p are returned
        if self.budget is None and self.p is not None and chosen.size < self.p:
            rest = np.setdiff1d(np.arange(prep.prob.n_cols), chosen)[: self.p - chosen.size]
            chosen = np.r_[chosen, rest]
        order, gains = rank_order_global(prep, chosen)
        open_mask = self.existing.copy()
        open_mask[order] = True
        self._check_plan(open_mask, res.solver)
        objective = prep.to_objective(prep.const + res.value)
        bound = prep.to_objective(prep.const + res.bound)
        base_obj = prep.to_objective(prep.const + float(np.dot(prep.prob.w, prep.prob.base)))
        marg = self._marginal(gains)
        sites = site_table(
            self.data.site_index,
            self.existing,
            order,
            marg,
            base=base_obj,
            total=self._share_total(),
            name=self.marginal_name,
        )
        if self.sense == "min":
            sites["cumulative"] = (
                base_obj - np.r_[np.zeros(int(self.existing.sum())), np.cumsum(marg)]
            )
        figures = dict(prep.figures)
        figures["greedy_objective"] = prep.to_objective(prep.const + res.fast.greedy_value)
        figures["heuristic_objective"] = prep.to_objective(prep.const + res.fast.value)
        figures["swaps"] = float(res.fast.swaps)
        figures["new_sites"] = float(order.size)
        figures["new_sites_cost"] = (
            float(self.costs[order].sum()) if self.costs is not None else float(order.size)
        )
        figures["objective_before"] = base_obj
        return make_result(
            model=self.name,
            sites=sites,
            demand=self._demand(open_mask),
            objective=objective,
            bound=bound,
            sense=self.sense,
            solver=res.solver,
            reason=res.reason,
            status=res.status,
            t0=t0,
            figures=figures,
        )

    def coverage_curve(
        self,
        max_p: int | None = None,
        *,
        solver: SolverName = "fast",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
    ) -> pd.DataFrame:
        """Objective for p = 1..max_p new sites in one call.

        With ``solver="fast"`` the curve is nested (the greedy order: each p adds
        one site to p - 1) and every row carries a proven bound on the best
        objective with that many sites; with ``"exact"`` (or ``"auto"``) each p
        is solved to optimality (or to ``time_limit`` per p) and the sets need
        not be nested.

        Parameters
        ----------
        max_p
            Largest number of new sites (default: the model's ``p``).
        solver
            ``"fast"`` (nested greedy) or ``"exact"``/``"auto"`` (one solve per p).
        time_limit, mip_gap
            Per-p limits for the exact solver.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``p``: ``site`` (label added at that p, nested curve only),
            ``sites`` (all new labels), ``marginal``, ``objective``, ``bound``,
            ``gap`` and, for coverage models, ``share``.
        """
        check_solver(solver)
        max_p = self.p if max_p is None else max_p
        if max_p is None:
            raise InputError("`max_p` is needed when the model has no `p`.", field="max_p")
        prep = self.prepared
        from planner.locate._base import check_p

        check_p(
            max_p,
            prep.prob.n_cols if prep.prob.n_cols else int((~self.existing).sum()),
            int(self.existing.sum()),
        )
        rows = []
        total = self._share_total()
        if solver == "fast":
            fast = greedy_swap(prep.prob, max_p, swaps=False, curve=True)
            picked = prep.cand_cols[fast.selected]
            vals = fast.curve_values
            bnds = fast.curve_bounds
            prev = prep.to_objective(prep.const + float(np.dot(prep.prob.w, prep.prob.base)))
            for k in range(max_p):
                if k < vals.size:
                    obj = prep.to_objective(prep.const + vals[k])
                    bnd = prep.to_objective(prep.const + bnds[k])
                    site = self.data.site_index[picked[k]]
                else:  # nothing left to add
                    obj, bnd, site = prev, prev, None
                rows.append(
                    {
                        "p": k + 1,
                        "site": site,
                        "sites": tuple(self.data.site_index[picked[: k + 1]]),
                        "marginal": abs(obj - prev),
                        "objective": obj,
                        "bound": bnd,
                        "gap": relative_gap(obj, bnd, self.sense),
                    }
                )
                prev = obj
        else:
            prev = None
            for k in range(1, max_p + 1):
                res = self._with(existing=self.existing, p=k).solve(
                    solver="exact", time_limit=time_limit, mip_gap=mip_gap
                )
                obj = res.objective
                base = res.figures["objective_before"]
                rows.append(
                    {
                        "p": k,
                        "site": None,
                        "sites": tuple(res.selected),
                        "marginal": abs(obj - (base if prev is None else prev)),
                        "objective": obj,
                        "bound": res.bound,
                        "gap": res.gap,
                    }
                )
                prev = obj
        df = pd.DataFrame(rows).set_index("p")
        if total is not None:
            df["share"] = df["objective"] / total if total > 0 else np.nan
        return df

    def phased(
        self,
        phases: list[int] | tuple[int, ...],
        *,
        solver: SolverName = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        seed: int | None = None,
    ) -> PhasePlan:
        """Plan in phases: phase k chooses ``phases[k]`` sites with all earlier ones fixed.

        Parameters
        ----------
        phases
            New sites per phase, e.g. ``[20, 20, 20, 20, 20]`` for 20 a year.
        solver, time_limit, mip_gap, seed
            As in :meth:`solve`, applied to every phase.

        Returns
        -------
        PhasePlan
            All new sites with their phase, and every phase's result.
        """
        if not phases or any(int(k) != k or k < 0 for k in phases):
            raise InputError(
                f"`phases` must be a non-empty list of whole numbers >= 0; got {phases}.",
                field="phases",
            )
        from planner.locate._base import check_p

        check_p(int(sum(phases)), int((~self.existing).sum()), int(self.existing.sum()))
        existing = self.existing.copy()
        results = []
        frames = []
        for k, n_new in enumerate(phases, start=1):
            res = self._with(existing=existing, p=int(n_new)).solve(
                solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed
            )
            results.append(res)
            new = res.sites[~res.sites["existing"]].copy()
            new.insert(0, "phase", k)
            new = new.rename(columns={"rank": "rank_in_phase"})
            frames.append(new)
            existing = existing.copy()
            existing[self.data.site_index.get_indexer(res.selected)] = True
        sites = pd.concat(frames)
        sites.insert(1, "rank", np.arange(1, len(sites) + 1))
        sites = sites.drop(columns=["existing"])
        return PhasePlan(sites=sites, phases=tuple(results))


def rank_order_global(prep: Prepared, chosen: IntArray) -> tuple[IntArray, NDArray[np.float64]]:
    """Rank chosen candidate columns and return global columns with their gains.

    Parameters
    ----------
    prep
        The prepared problem.
    chosen
        Chosen candidate columns (local numbering).

    Returns
    -------
    order, gains
        Global site columns in rank order, and the benefit each adds.
    """
    from planner.locate.solvers import rank_order

    order, gains = rank_order(prep.prob, chosen)
    return prep.cand_cols[order], gains
