# ruff: noqa: N806  (matrix names A, B follow the maths)
"""Parts of the coverage models kept apart from their classes: capacities and minimums per area.

The capacitated MCLP's HiGHS model and ranking, and the "at least k sites per area"
rule (area codes, its exact solve); used by :class:`planner.locate.coverage.MCLP`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner._errors import InfeasibleError, InputError
from planner._progress import Progress
from planner.locate._base import (
    SolverName,
)
from planner.locate._engine import (
    AUTO_TIME_LIMIT,
    BenefitSolve,
    Prepared,
)
from planner.locate.solvers import (
    EXACT_NNZ_LIMIT,
    BenefitProblem,
    MipResult,
    coverage_fast,
    coverage_mip,
    group_rows,
    quota_fast,
    quota_met,
)

logger = logging.getLogger(__name__)

IntArray = NDArray[np.int64]


def capacitated_mip(
    prob: BenefitProblem,
    capacity: NDArray[np.float64],
    *,
    fixed: NDArray[np.bool_],
    allowed: NDArray[np.bool_],
    p: int | None,
    budget: float | None,
    relax: bool,
    time_limit: float | None,
    mip_gap: float,
    start: IntArray | None,
) -> tuple[MipResult, IntArray]:
    from planner.locate.solvers import solve_mip

    B = prob.B
    n_rows, n_c = B.shape
    nnz = B.nnz
    row_of = np.repeat(np.arange(n_rows), np.diff(B.indptr))
    yc = n_c + np.arange(nnz)
    cap = np.where(np.isfinite(capacity), capacity, float(prob.w.sum()) + 1.0)
    assign = sp.csr_array((np.ones(nnz), (row_of, yc)), shape=(n_rows, n_c + nnz))
    capr = sp.csr_array(
        (
            np.r_[-cap, prob.w[row_of]],
            (np.r_[np.arange(n_c), B.indices], np.r_[np.arange(n_c), yc]),
        ),
        shape=(n_c, n_c + nnz),
    )
    link = sp.csr_array(
        (
            np.r_[np.ones(nnz), -np.ones(nnz)],
            (np.r_[np.arange(nnz), np.arange(nnz)], np.r_[yc, B.indices]),
        ),
        shape=(nnz, n_c + nnz),
    )
    blocks = [assign, capr, link]
    lo = [np.full(n_rows, -np.inf), np.full(n_c, -np.inf), np.full(nnz, -np.inf)]
    hi = [np.ones(n_rows), np.zeros(n_c), np.zeros(nnz)]
    if budget is not None:
        assert prob.cost is not None
        blocks.append(sp.csr_array(np.r_[np.where(fixed, 0.0, prob.cost), np.zeros(nnz)][None, :]))
        lo.append(np.array([-np.inf]))
        hi.append(np.array([float(budget)]))
    elif p is not None:
        blocks.append(sp.csr_array(np.r_[np.ones(n_c), np.zeros(nnz)][None, :]))
        k = float(p + int(fixed.sum()))
        lo.append(np.array([k]))
        hi.append(np.array([k]))
    A = sp.vstack(blocks, format="csc")
    x_lo = np.where(fixed, 1.0, 0.0)
    x_hi = np.where(allowed, 1.0, 0.0)
    res = solve_mip(
        np.r_[np.zeros(n_c), prob.w[row_of]],
        np.r_[x_lo, np.zeros(nnz)],
        np.r_[x_hi, np.ones(nnz)],
        np.r_[np.full(n_c, 0 if relax else 1, dtype=np.int32), np.zeros(nnz, np.int32)],
        A,
        np.concatenate(lo),
        np.concatenate(hi),
        sense="max",
        time_limit=time_limit,
        mip_gap=mip_gap,
    )
    return res, np.flatnonzero(res.x[:n_c] > 0.5).astype(np.int64)


def capacitated_value(run: Any, open_mask: NDArray[np.bool_]) -> float:
    res, _ = run(False, open_mask, open_mask, None, None)
    return float(res.objective) if not math.isnan(res.objective) else 0.0


def rank_capacitated(
    prob: BenefitProblem,
    capacity: NDArray[np.float64],
    ex: NDArray[np.bool_],
    chosen: IntArray,
    run: Any,
) -> tuple[IntArray, NDArray[np.float64]]:
    """Greedy order of the chosen sites by the covered weight each adds (re-solving the LP)."""
    open_mask = ex.copy()
    value = capacitated_value(run, open_mask)
    left = [int(j) for j in chosen]
    order, marg = [], [value]
    while left:
        best_j, best_v = left[0], -np.inf
        for j in left:
            trial = open_mask.copy()
            trial[j] = True
            v = capacitated_value(run, trial)
            if v > best_v + 1e-12:
                best_j, best_v = j, v
        left.remove(best_j)
        open_mask[best_j] = True
        order.append(best_j)
        marg.append(best_v - value)
        value = best_v
    return np.asarray(order, dtype=np.int64), np.asarray(marg)


def min_text(area_min: NDArray[np.int64] | None) -> str:
    if area_min is None or not area_min.size:
        return "0"
    lo, hi = int(area_min.min()), int(area_min.max())
    return str(lo) if lo == hi else f"{lo}-{hi}"


def area_codes(
    site_areas: ArrayLike | pd.Series | None,
    min_per_area: int | Mapping[Hashable, int] | None,
    site_index: pd.Index,
) -> tuple[NDArray[np.int64], tuple[str, ...], NDArray[np.int64]] | None:
    """Area code per site (-1: none), the area names, and each area's minimum."""
    if min_per_area is None:
        return None
    if site_areas is None:
        raise InputError(
            "min_per_area needs the area of every site.",
            field="site_areas",
            fix="pass site_areas=... (the district of each site), or leave min_per_area out.",
        )
    if isinstance(site_areas, pd.Series):
        labels = site_areas.reindex(site_index)
    else:
        values = np.asarray(site_areas, dtype=object)
        if values.shape != (len(site_index),):
            raise InputError(
                f"site_areas has {values.size} entries for {len(site_index)} sites.",
                field="site_areas",
            )
        labels = pd.Series(values, index=site_index)
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    names = tuple(str(u) for u in uniques)
    if isinstance(min_per_area, Mapping):
        unknown = [k for k in min_per_area if str(k) not in names]
        if unknown:
            raise InputError(
                f"min_per_area names areas no site lies in: {unknown[:5]}.",
                field="min_per_area",
                fix=f"areas with sites: {list(names)[:10]}.",
            )
        mins = np.array([int(min_per_area.get(u, 0)) for u in uniques], dtype=np.int64)
    else:
        if isinstance(min_per_area, bool) or int(min_per_area) != min_per_area:
            raise InputError(
                f"min_per_area must be a whole number, got {min_per_area!r}.",
                field="min_per_area",
            )
        mins = np.full(len(uniques), int(min_per_area), dtype=np.int64)
    if (mins < 0).any():
        raise InputError("min_per_area must be 0 or more.", field="min_per_area")
    return codes.astype(np.int64), names, mins


def solve_with_minimums(
    prep: Prepared,
    p: int,
    col_group: NDArray[np.int64],
    need: NDArray[np.int64],
    *,
    solver: SolverName,
    time_limit: float | None,
    mip_gap: float,
    seed: int | None,
    tick: Progress,
) -> BenefitSolve:
    """Max coverage with at least ``need[g]`` new columns in every group (see quota.py)."""
    prob = prep.prob
    side = group_rows(col_group, need, prob.n_cols)
    use_exact = solver == "exact" or (solver == "auto" and prep.model_nnz <= EXACT_NNZ_LIMIT)
    # the bound of the problem without the minimums holds with them (fewer plans)
    free, _ = coverage_fast(prob, p, time_limit=time_limit, seed=seed, progress=tick)
    with tick.stage("greedy and swaps keeping the minimum per area"):
        fast = quota_fast(prob, p, col_group, need, bound=free.bound, time_limit=time_limit)
    if quota_met(free.selected, col_group, need) and free.value > fast.value:
        fast.selected, fast.value = free.selected, free.value
    chosen, value, bound = fast.selected, fast.value, fast.bound
    if not use_exact:
        status = "optimal" if bound - value <= 1e-9 * max(1.0, value) else "feasible"
        reason = (
            "fast solver asked for"
            if solver == "fast"
            else f"auto: the exact model would have {prep.model_nnz:,} non-zeros "
            f"(> {EXACT_NNZ_LIMIT:,})"
        ) + "; greedy + swaps keeping the minimum per area, bound of the model without it"
        return BenefitSolve(
            chosen, value, bound, "greedy+swap (minimum per area)", reason, status, fast
        )
    if solver == "auto" and time_limit is None:
        time_limit = AUTO_TIME_LIMIT
    with tick.stage("HiGHS MIP with the minimum per area"):
        res, cols = coverage_mip(
            prob, p, time_limit=time_limit, mip_gap=mip_gap, start=chosen, side=side
        )
    if res.status == "infeasible":
        raise InfeasibleError("HiGHS proved the minimum per area infeasible with this p.")
    if not math.isnan(res.objective) and quota_met(cols, col_group, need):
        mip_value = prob.value(np.isin(np.arange(prob.n_cols), cols))
        if mip_value >= value - 1e-9 * max(1.0, value):
            chosen, value = cols, mip_value
    if not math.isnan(res.bound):
        bound = min(bound, res.bound)
    status = res.status
    if bound - value <= 1e-9 * max(1.0, value):
        status = "optimal"
    reason = (
        "exact solver asked for (HiGHS)"
        if solver == "exact"
        else f"auto: the exact model has {prep.model_nnz:,} non-zeros (<= {EXACT_NNZ_LIMIT:,})"
    ) + "; HiGHS with one row per area short of the minimum"
    return BenefitSolve(
        chosen, value, max(bound, value), "highs (minimum per area)", reason, status, fast
    )
