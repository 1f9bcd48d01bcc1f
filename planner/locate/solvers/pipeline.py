# ruff: noqa: N806  (matrix names A, B, BT follow the maths)
"""Max coverage end to end: dominance, heuristics, Lagrangian bound, core MIP, proof.

:func:`coverage_fast` (greedy + tabu, restarts, the Lagrangian bound and an exact
MIP on a small core) and :func:`coverage_exact` (the same, then
:func:`prove_coverage`: LP duals, reduced-cost fixing, HiGHS) solve the MCLP.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner._progress import Progress
from planner.locate import _kernels
from planner.locate.solvers.greedy import FastResult, greedy_swap, random_starts
from planner.locate.solvers.lagrangian import (
    coverage_fixing,
    coverage_lagrangian,
    lagrangian_value,
)
from planner.locate.solvers.mip import MipResult, coverage_mip
from planner.locate.solvers.problem import (
    BenefitProblem,
    FloatArray,
    IntArray,
    all_integral,
    restrict_columns,
    row_positions,
)

DOMINANCE_BITSET_WORDS = 16_000_000
"""Dominance is tested on row bitsets (fast on dense coverage) up to this many 64-bit words."""


def dominated_columns(prob: BenefitProblem, p: int, *, max_work: float = 1e8) -> NDArray[np.bool_]:
    """Columns whose covered rows are a subset of another column's (drop-safe for max coverage).

    With a cardinality constraint, replacing a dominated column by its
    dominator never loses coverage, so dropping dominated columns keeps the
    optimum (identical columns keep the first copy). At least ``p`` columns
    are kept (else nothing is dropped). Columns that cover nothing are kept.

    Parameters
    ----------
    prob
        Coverage problem (0/1, base 0).
    p
        Number of columns to choose.
    max_work
        When the problem has too many rows for row bitsets
        (:data:`DOMINANCE_BITSET_WORDS`), the candidate-intersection test gives
        up (drops nothing) after touching this many entries (~0.15 s).

    Returns
    -------
    numpy.ndarray
        Flags of the columns that can be dropped.
    """
    A = prob.B
    AT = prob.BT
    drop = np.zeros(A.shape[1], dtype=bool)
    # the kernels take scipy's int32 (or int64) index arrays as they are: no widened copies
    arrays = (A.indptr, A.indices, AT.indptr, AT.indices, drop)
    if A.shape[1] * -(-A.shape[0] // 64) <= DOMINANCE_BITSET_WORDS:
        _kernels.dominated_bits(*arrays)
        done = True
    else:
        done = _kernels.dominated(*arrays, int(max_work))
    if not done or int((~drop).sum()) < p:
        return np.zeros(A.shape[1], dtype=bool)
    return drop


def coverage_fast(
    prob: BenefitProblem,
    p: int,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    starts: int = 2,
    core_factor: int = 2,
    core_extra: int = 150,
    core_nnz_limit: int = 1_000_000,
    polish_stall: int = 3,
    lagrangian_iter: int = 600,
    patience: int = 30,
    reduce: bool = True,
    progress: Progress | None = None,
) -> tuple[FastResult, FloatArray]:
    """Greedy + tabu, random restarts, Lagrangian bound, an exact MIP on the merged core.

    Dominated columns are dropped first (same optimum). The plans of a few
    randomised greedy + tabu runs are merged with the columns the Lagrangian
    multipliers rate best into a small core (its own dominated columns
    dropped), which HiGHS solves exactly without its primal heuristics
    (construct, merge, solve: Blum et al. 2016); the winner is polished by a
    short tabu search on the whole problem.

    Parameters
    ----------
    prob
        Coverage problem (0/1, base 0).
    p
        Number of columns.
    time_limit
        Budget in seconds (default 10); most instances finish well within it.
    seed
        Seed of the random restarts and tabu tenures.
    starts
        Number of random restarts.
    core_factor, core_extra
        The core takes the ``min(core_factor * p, p + core_extra)`` columns the
        Lagrangian rates best.
    core_nnz_limit
        Largest core MIP attempted.
    polish_stall
        Tabu steps without a new best that end the polish of the core's plan.
    lagrangian_iter, patience
        Subgradient iterations, and iterations without a better bound before
        the step is halved.
    reduce
        Drop dominated columns first (off when the caller already did).
    progress
        Progress reporter (one step per stage).

    Returns
    -------
    result, lam
        Best plan with its proven bound, and the Lagrangian multipliers (rows
        of the problem solved: after the dominance reduction when it dropped
        columns).
    """
    t0 = time.perf_counter()
    budget = 10.0 if time_limit is None else max(time_limit, 0.1)
    tick = progress or Progress(None)
    greedy: FastResult | None = None
    if reduce:
        greedy = greedy_swap(prob, p, swaps=False)
        if greedy.bound - greedy.value <= 1e-9 * max(1.0, greedy.value):
            return greedy, np.zeros(prob.B.shape[0])  # proven optimal: nothing to reduce
        drop = dominated_columns(prob, p)
        if drop.any():  # same optimum, fewer columns: solve the reduced problem
            keep = np.flatnonzero(~drop)
            reduced, lam = coverage_fast(
                restrict_columns(prob, keep),
                p,
                time_limit=budget - (time.perf_counter() - t0),
                seed=seed,
                starts=starts,
                core_factor=core_factor,
                core_extra=core_extra,
                core_nnz_limit=core_nnz_limit,
                polish_stall=polish_stall,
                lagrangian_iter=lagrangian_iter,
                patience=patience,
                reduce=False,
                progress=tick,
            )
            reduced.selected = keep[reduced.selected]
            return reduced, lam
    # nothing dropped: the swaps start from the greedy plan already made, not a new greedy
    start = None if greedy is None else greedy.selected
    fast = greedy_swap(prob, p, start=start, time_limit=0.25 * budget, seed=seed, progress=tick)
    if greedy is not None:
        fast.bound = min(fast.bound, greedy.bound)  # the greedy steps' online bounds count too
    if fast.bound - fast.value <= 1e-9 * max(1.0, fast.value):  # proven optimal already
        return fast, np.zeros(prob.B.shape[0])
    pool = [(fast.selected, fast.value)]
    pool += random_starts(prob, p, count=starts, deadline=t0 + 0.5 * budget, seed=seed)
    tick.step("random restarts")
    best_cols, best_value = max(pool, key=lambda item: item[1])
    lag = coverage_lagrangian(
        prob,
        p,
        lower=best_value,
        start_cols=best_cols,
        max_iter=lagrangian_iter,
        patience=patience,
        time_limit=0.2 * budget,
    )
    tick.step("Lagrangian bound")
    bound = min(fast.bound, lag.bound)
    if all_integral(prob.w):  # the optimum is a whole number
        bound = math.floor(bound + 1e-7)
    if lag.best_value > best_value:
        best_cols, best_value = lag.best_cols, lag.best_value
    swaps = fast.swaps
    if bound - best_value > 1e-9 * max(1.0, best_value):
        best_cols, best_value, more = _core_solve(
            prob,
            p,
            lag.lam,
            pool,
            best_cols,
            best_value,
            core_factor=core_factor,
            core_extra=core_extra,
            core_nnz_limit=core_nnz_limit,
            polish_stall=polish_stall,
            seed=seed,
            budget=budget,
            t0=t0,
            tick=tick,
        )
        swaps += more
    out = FastResult(
        selected=np.asarray(best_cols, dtype=np.int64),
        value=best_value,
        bound=max(bound, best_value),
        greedy_value=fast.greedy_value,
        swaps=swaps,
    )
    return out, lag.lam


def _core_solve(
    prob: BenefitProblem,
    p: int,
    lam: FloatArray,
    pool: list[tuple[IntArray, float]],
    best_cols: IntArray,
    best_value: float,
    *,
    core_factor: int,
    core_extra: int,
    core_nnz_limit: int,
    polish_stall: int,
    seed: int | None,
    budget: float,
    t0: float,
    tick: Progress,
) -> tuple[IntArray, float, int]:
    """Solve the merged core exactly and polish its plan: the last stage of :func:`coverage_fast`.

    The core holds the columns the multipliers ``lam`` rate best and those of
    every plan in ``pool``, less those dominated within it (the incumbent's
    stay); HiGHS solves it warm-started, without its primal heuristics, within
    what is left of ``budget`` seconds since ``t0``.

    Returns
    -------
    best_cols, best_value, swaps
        The best plan (the incumbent when the core gives nothing better), its
        value, and the swaps of the polish.
    """
    swaps = 0
    _, scores = lagrangian_value(prob, p, lam)
    k = min(prob.n_cols, core_factor * p, p + core_extra)
    top = np.argpartition(-scores, k - 1)[:k] if k < prob.n_cols else np.arange(prob.n_cols)
    core = np.unique(np.concatenate([top, *(cols for cols, _ in pool)])).astype(np.int64)
    q = restrict_columns(prob, core) if core.size > p else None
    if q is not None:  # columns dominated within the core (the incumbent's stay)
        drop = dominated_columns(q, p) & ~np.isin(core, best_cols)
        if drop.any():
            core = core[~drop]
            q = restrict_columns(prob, core)
    if q is not None and q.B.nnz <= core_nnz_limit:
        left = budget - (time.perf_counter() - t0)
        with tick.stage("HiGHS on the core"):
            res, chosen = coverage_mip(  # presolve costs more than it saves here
                q,
                p,
                time_limit=max(left, 0.05),
                start=np.searchsorted(core, best_cols),
                presolve=False,
                heuristics=False,
            )
        if chosen.size and not math.isnan(res.objective) and res.objective > best_value:
            left = budget - (time.perf_counter() - t0)
            again = greedy_swap(
                prob,
                p,
                start=core[chosen],
                seed=seed,
                stall=polish_stall,
                time_limit=max(left, 0.05),
                progress=tick,
            )
            swaps += again.swaps
            best_cols, best_value = again.selected, again.value
    return best_cols, best_value, swaps


def coverage_exact(
    prob: BenefitProblem,
    p: int,
    *,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    seed: int | None = None,
    progress: Progress | None = None,
) -> tuple[IntArray, float, float, str, FastResult]:
    """Exact max coverage: dominance, heuristic, LP duals, reduced-cost fixing, then HiGHS.

    Parameters
    ----------
    prob
        Coverage problem (0/1, base 0).
    p
        Number of columns.
    time_limit
        Seconds for the whole solve; at the limit the best plan is returned with its gap.
    mip_gap
        Relative gap at which to stop.
    seed
        Seed of the local search order.
    progress
        Counts heuristic steps and HiGHS solves.

    Returns
    -------
    chosen, value, bound, status, fast
        Columns, value, proven bound, status and the heuristic's result.
    """
    t0 = time.perf_counter()

    def left() -> float | None:
        return None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.05)

    tick = progress or Progress(None)
    first = greedy_swap(prob, p, seed=seed, progress=tick)
    if first.bound - first.value <= 1e-9 * max(1.0, first.value):  # proven optimal already
        return first.selected, first.value, first.value, "optimal", first
    drop = dominated_columns(prob, p)
    keep = np.flatnonzero(~drop)
    q = restrict_columns(prob, keep) if drop.any() else prob
    fast, _ = coverage_fast(
        q,
        p,
        time_limit=None if time_limit is None else 0.2 * time_limit,
        seed=seed,
        reduce=False,
        progress=tick,
    )
    chosen_q, value, bound, status = prove_coverage(
        q,
        p,
        fast.selected,
        fast.value,
        fast.bound,
        time_limit=left(),
        mip_gap=mip_gap,
        progress=tick,
    )
    return keep[chosen_q], value, bound, status, fast


def prove_coverage(
    prob: BenefitProblem,
    p: int,
    chosen: IntArray,
    value: float,
    bound: float,
    *,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    progress: Progress | None = None,
) -> tuple[IntArray, float, float, str]:
    """Improve a max-coverage plan to the optimum and prove it: LP duals, fixing, HiGHS.

    The LP relaxation gives the bound and duals; reduced-cost fixing drops the
    columns no better plan uses and fixes those every better plan holds (with
    integral weights "better" means worth at least ``value + 1``); HiGHS
    solves what is left, warm-started with the plan when it fits.

    Parameters
    ----------
    prob
        Coverage problem (0/1, base 0).
    p
        Number of columns.
    chosen, value, bound
        A plan, its value, and a proven upper bound (e.g. from a heuristic).
    time_limit, mip_gap
        Seconds for the whole proof, and the relative gap at which to stop.
    progress
        Counts the HiGHS solves.

    Returns
    -------
    chosen, value, bound, status
        The best plan, its value, the proven bound and the status (optimal,
        gap_limit or time_limit).
    """
    t0 = time.perf_counter()

    def left() -> float | None:
        return None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.05)

    tick = progress or Progress(None)
    incumbent, chosen_q = value, np.asarray(chosen, dtype=np.int64)
    integral = all_integral(prob.w)

    def done(bound: float) -> bool:
        if integral:
            bound = math.floor(bound + 1e-7)
        return bound - value <= max(mip_gap * abs(value), 1e-9 * max(1.0, abs(value)))

    status = "optimal"
    if not done(bound):
        with tick.stage("HiGHS LP relaxation"):
            lp, _ = coverage_mip(prob, p, relax=True, time_limit=left())
        if lp.status == "optimal":
            pi = np.clip(np.abs(lp.row_dual[: prob.B.shape[0]]), 0.0, prob.w)
            lp_bound, _ = lagrangian_value(prob, p, pi)
            bound = min(bound, lp_bound, lp.objective)
            if not done(bound):
                # every plan better than the incumbent avoids `out` and holds `fixed_in`
                target = incumbent + 1.0 - 1e-6 if integral else incumbent
                out, fixed_in = coverage_fixing(prob, p, pi, target)
                r, cols, fixed, offset = _fixed_problem(prob, out, fixed_in)
                start = None
                if np.isin(fixed, chosen_q).all() and np.isin(chosen_q, np.r_[cols, fixed]).all():
                    start = np.searchsorted(cols, np.setdiff1d(chosen_q, fixed))
                res = MipResult("optimal", np.zeros(0), 0.0, 0.0, 0.0)  # nothing left to choose
                ch = np.zeros(0, dtype=np.int64)
                if p > fixed.size:
                    with tick.stage(
                        f"HiGHS MIP on {cols.size} columns ({fixed.size} fixed in, "
                        f"{int(out.sum())} out)"
                    ):
                        res, ch = coverage_mip(
                            r,
                            p - fixed.size,
                            time_limit=left(),
                            mip_gap=mip_gap,
                            presolve=False,
                            start=start,
                        )
                if not math.isnan(res.objective) and res.objective + offset > value:
                    chosen_q = np.sort(np.r_[cols[ch], fixed])
                    value = prob.value(_mask(chosen_q, prob.n_cols))
                if not math.isnan(res.bound):
                    # the reduced model holds every plan better than the incumbent
                    bound = min(bound, max(res.bound + offset, incumbent))
                status = res.status
        else:
            status = "time_limit"
    if integral:
        bound = max(math.floor(bound + 1e-7), value)
    if done(bound):
        status = "optimal" if bound - value <= 1e-9 * max(1.0, abs(value)) else "gap_limit"
    return chosen_q, value, max(bound, value), status


def _fixed_problem(
    prob: BenefitProblem, out: NDArray[np.bool_], fixed_in: NDArray[np.bool_]
) -> tuple[BenefitProblem, IntArray, IntArray, float]:
    """Coverage problem left once ``out`` columns are dropped and ``fixed_in`` ones chosen.

    Rows covered by a fixed column leave the problem (their weight is the
    offset); the other columns keep their order.

    Returns
    -------
    problem, cols, fixed, offset
        The smaller problem, its columns (numbers in ``prob``), the fixed
        columns, and the weight they cover.
    """
    fixed = np.flatnonzero(fixed_in).astype(np.int64)
    cols = np.flatnonzero(~out & ~fixed_in).astype(np.int64)
    pos, _ = row_positions(prob.BT.indptr, fixed)
    covered = np.zeros(prob.B.shape[0], dtype=bool)
    covered[prob.BT.indices[pos]] = True
    free = np.flatnonzero(~covered)
    rest = BenefitProblem(sp.csr_array(prob.B[free]), prob.w[free], prob.base[free], prob.cost)
    return restrict_columns(rest, cols), cols, fixed, float(prob.w[covered].sum())


def _mask(cols: IntArray, n: int) -> NDArray[np.bool_]:
    m = np.zeros(n, dtype=bool)
    m[np.asarray(cols, dtype=np.int64)] = True
    return m
