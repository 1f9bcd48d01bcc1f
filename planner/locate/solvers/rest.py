# ruff: noqa: N806  (matrix names A, D, G follow the maths)
"""Rest-interval solvers on the reduced problem: greedy, swaps, Lagrangian bound, HiGHS.

:func:`rest_fast` — greedy with partial window credit, swap local search
(close one site, open the best other, exact gains), perturbed restarts, the
Lagrangian bound of the window links (its minimum is the LP bound) and an
exact MIP on a core of the columns the plans and the multipliers rate best
(construct, merge, solve: Blum et al. 2016). :func:`rest_exact` — the same,
then reduced-cost fixing from the multipliers and HiGHS on what is left,
warm-started with the fast plan. Both work on a
:class:`~planner.locate.solvers.rest_problem.RestProblem`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from planner._progress import Progress
from planner.locate import _rest_kernels as K  # noqa: N812
from planner.locate.solvers.mip import MipResult, solve_mip
from planner.locate.solvers.problem import all_integral
from planner.locate.solvers.rest_problem import (
    BoolArray,
    FloatArray,
    IntArray,
    RestProblem,
    dominated_rest_columns,
    fix_columns,
)


@dataclass
class RestFast:
    """A plan of the reduced rest-interval problem with its proven bound."""

    selected: IntArray
    value: float
    bound: float
    greedy_value: float
    swaps: int
    lam: FloatArray = field(default_factory=lambda: np.zeros(0))
    figures: dict[str, float] = field(default_factory=dict)


class _Plan:
    """A plan with its window and route counters, changed one column at a time."""

    def __init__(self, prob: RestProblem, selected: BoolArray | None = None) -> None:
        (self.d_ptr, self.d_idx, self.t_ptr, self.t_idx, self.g_ptr, self.g_idx, self.h_ptr,
         self.h_idx) = prob.kernel_arrays()  # fmt: skip
        self.v = np.ascontiguousarray(prob.v, dtype=np.float64)
        self.cost = prob.cost
        n_c = prob.n_cols
        self.sel = np.zeros(n_c, dtype=np.bool_) if selected is None else selected.copy()
        self.cnt = np.asarray(prob.D @ self.sel.astype(np.float64)).round().astype(np.int64)
        self.miss = np.asarray(prob.G @ (self.cnt == 0).astype(np.float64)).round().astype(np.int64)
        self.value = float(self.v[self.miss == 0].sum())
        self.gain = np.zeros(n_c)
        self.credit = np.zeros(n_c)
        self.last = np.full(self.v.size, -1, dtype=np.int64)
        self.hits = np.zeros(self.v.size, dtype=np.int64)

    def add(self, j: int) -> None:
        self.sel[j] = True
        self.value += K.add_column(
            j, self.t_ptr, self.t_idx, self.h_ptr, self.h_idx, self.cnt, self.miss, self.v
        )

    def remove(self, j: int) -> float:
        self.sel[j] = False
        loss = K.remove_column(
            j, self.t_ptr, self.t_idx, self.h_ptr, self.h_idx, self.cnt, self.miss, self.v
        )
        self.value -= loss
        return float(loss)

    def scan(self) -> None:
        """Fill ``gain`` and ``credit`` for every closed column."""
        K.gains(
            self.t_ptr, self.t_idx, self.h_ptr, self.h_idx, self.cnt, self.miss, self.v,
            self.sel, self.gain, self.credit, self.last, self.hits,
        )  # fmt: skip

    def spent(self) -> float:
        return float(self.cost[self.sel].sum()) if self.cost is not None else float(self.sel.sum())


def _cost(prob: RestProblem) -> FloatArray:
    return prob.cost if prob.cost is not None else np.ones(prob.n_cols)


def _greedy_fill(plan: _Plan, prob: RestProblem, p: int | None, budget: float | None) -> None:
    """Open columns by partial window credit (per cost with a budget) until full."""
    cost = _cost(prob)
    while True:
        if p is not None and int(plan.sel.sum()) >= p:
            return
        plan.scan()
        score = plan.credit + plan.gain  # completed routes count twice: finish what is started
        score[plan.sel] = -np.inf
        if budget is not None:
            room = budget - plan.spent() + 1e-9
            score = np.where(cost <= room, score / np.maximum(cost, 1e-12), -np.inf)
        j = int(np.argmax(score))
        if not np.isfinite(score[j]) or score[j] <= 0:
            return
        plan.add(j)


def _swaps(
    plan: _Plan,
    prob: RestProblem,
    budget: float | None,
    deadline: float | None,
    rng: np.random.Generator | None,
    max_passes: int = 50,
) -> int:
    """Swap local search: close a column, open the best other when that serves more."""
    cost = _cost(prob)
    moves = 0
    for _ in range(max_passes):
        improved = False
        order = np.flatnonzero(plan.sel)
        if rng is not None:
            order = rng.permutation(order)
        for i in order:
            if deadline is not None and time.perf_counter() > deadline:
                return moves
            before = plan.value
            plan.remove(int(i))
            plan.scan()
            g = plan.gain.copy()
            g[plan.sel] = -np.inf
            g[i] = -np.inf
            if budget is not None:
                g[cost > budget - plan.spent() + 1e-9] = -np.inf
            j = int(np.argmax(g))
            tol = 1e-9 * max(1.0, abs(before))
            if np.isfinite(g[j]) and plan.value + g[j] > before + tol:
                plan.add(j)
                moves += 1
                improved = True
            else:
                plan.add(int(i))
        if not improved:
            break
    return moves


def _cardinality(prob: RestProblem, p: int | None, budget: float | None) -> int:
    """Most columns a plan can hold (``p``, or the cheapest columns within the budget)."""
    if p is not None:
        return min(p, prob.n_cols)
    cum = np.cumsum(np.sort(_cost(prob)))
    return int(np.searchsorted(cum, float(budget or 0.0) + 1e-9, side="right"))


def rest_lagrangian(
    prob: RestProblem,
    k: int,
    *,
    lower: float,
    start: BoolArray,
    max_iter: int = 1500,
    patience: int = 40,
    deflect: float = 0.7,
    time_limit: float | None = None,
) -> tuple[float, FloatArray]:
    """Upper bound on the served volume with at most ``k`` columns (Lagrangian, subgradient).

    The window links ``y_r <= sum_{j in w} x_j`` are relaxed with one
    multiplier per route and window; the bound at any multipliers is proven,
    and its minimum is the LP relaxation's value. The multipliers start from
    the plan ``start`` by complementary slackness (a route it leaves unserved
    spreads its volume over its unmet windows; a served route over the
    windows it meets once).

    Parameters
    ----------
    prob
        The reduced problem.
    k
        Most columns a plan holds.
    lower
        Value of a known plan.
    start
        That plan (one flag per column).
    max_iter, patience, deflect
        Subgradient steps, steps without a better bound before the step
        halves, and the weight of the previous direction.
    time_limit
        Seconds.

    Returns
    -------
    bound, lam
        The best bound and its multipliers (one per entry of ``prob.G``).
    """
    t0 = time.perf_counter()
    G = prob.G
    d_ptr, d_idx, t_ptr, t_idx, g_ptr, g_idx, _, _ = prob.kernel_arrays()
    v = np.ascontiguousarray(prob.v, dtype=np.float64)
    cnt = np.asarray(prob.D @ start.astype(np.float64)).round()
    route_of = np.repeat(np.arange(G.shape[0]), np.diff(G.indptr))
    unmet = cnt[g_idx] == 0
    n_unmet = np.bincount(route_of[unmet], minlength=G.shape[0])
    once = cnt[g_idx] == 1
    n_once = np.bincount(route_of[once], minlength=G.shape[0])
    served = n_unmet[route_of] == 0
    lam = np.where(
        served,
        np.where(once, v[route_of] / np.maximum(n_once[route_of], 1), 0.0),
        np.where(unmet, v[route_of] / np.maximum(n_unmet[route_of], 1), 0.0),
    )
    best_lam = lam.copy()
    direction = np.zeros(lam.size)
    state = np.array([1.0, 0.0, math.inf, lower, 0.0])
    tol = 1.0 - 1e-6 if all_integral(v) else 1e-9 * max(1.0, lower)
    chunk = max(1, min(100, int(4e6 // max(G.nnz + prob.D.nnz, 1))))
    while state[4] < max_iter:
        steps = int(min(chunk, max_iter - state[4]))
        if K.lagrangian_steps(
            g_ptr, g_idx, d_ptr, d_idx, t_ptr, t_idx, v, lam, best_lam, direction, state,
            k, patience, deflect, tol, steps,
        ):  # fmt: skip
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        if state[0] < 1e-4:
            break
    return float(state[2]), best_lam


def lagrangian_fixing(
    prob: RestProblem, k: int, lam: FloatArray, target: float
) -> tuple[BoolArray, BoolArray, float]:
    """Reduced-cost fixing: columns out of (in) every plan worth at least ``target``.

    Parameters
    ----------
    prob
        The reduced problem.
    k
        Most columns a plan holds.
    lam
        Multipliers (one per entry of ``prob.G``).
    target
        Value a plan must reach (the incumbent's, + 1 with whole volumes).

    Returns
    -------
    out, in_, bound
        Flags of the columns that can be dropped and fixed open, and the bound.
    """
    _, _, t_ptr, t_idx, g_ptr, g_idx, _, _ = prob.kernel_arrays()
    route_term, c = K.column_scores(
        g_ptr, g_idx, prob.D.shape[0], t_ptr, t_idx, np.asarray(prob.v, dtype=np.float64), lam
    )
    n = c.size
    order = np.argsort(-c, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[:k]] = True
    L = float(route_term + c[order[:k]].sum())
    c_k = c[order[k - 1]] if k > 0 else math.inf
    c_next = c[order[k]] if k < n else 0.0
    # with at most k columns a plan may hold fewer: forcing one in costs c_k only when k are full
    out = ~top & (L + c - max(c_k, 0.0) < target)
    in_ = top & (L - c + max(c_next, 0.0) < target)
    return out, in_, L


def rest_mip(
    prob: RestProblem,
    p: int | None,
    budget: float | None,
    *,
    relax: bool = False,
    start: BoolArray | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    heuristics: bool = True,
) -> tuple[MipResult, BoolArray]:
    """Solve the MIP of the reduced problem (or its LP), built column-wise for HiGHS.

    Columns ``x_j`` (sites, binary), ``z_w`` (window met) and ``y_r`` (route
    served); rows ``z_w <= sum_{j in w} x_j``, ``y_r <= z_w`` for each window
    of each route, and ``sum_j x_j <= p`` (or ``sum_j cost_j x_j <= budget``);
    maximise ``sum_r v_r y_r``. Each distinct window is written once, however
    many routes hold it.

    Parameters
    ----------
    prob
        The reduced problem.
    p, budget
        Number of columns, or the budget.
    relax
        The LP relaxation.
    start
        A plan to warm-start from.
    time_limit, mip_gap
        HiGHS limits.
    heuristics
        Let HiGHS run its primal heuristics.

    Returns
    -------
    result, selected
        HiGHS's result and the plan (one flag per column).
    """
    D, G = prob.D, prob.G
    n_w, n_c = D.shape
    n_r = G.shape[0]
    n_pair = G.nnz
    route_of = np.repeat(np.arange(n_r), np.diff(G.indptr))
    n_all = n_c + n_w + n_r
    w_rows = np.r_[np.repeat(np.arange(n_w), np.diff(D.indptr)), np.arange(n_w)]
    w_cols = np.r_[D.indices, n_c + np.arange(n_w)]
    link = sp.csr_array(
        (np.r_[-np.ones(D.nnz), np.ones(n_w)], (w_rows, w_cols)), shape=(n_w, n_all)
    )
    p_rows = np.r_[np.arange(n_pair), np.arange(n_pair)]
    p_cols = np.r_[n_c + G.indices, n_c + n_w + route_of]
    pairs = sp.csr_array(
        (np.r_[-np.ones(n_pair), np.ones(n_pair)], (p_rows, p_cols)), shape=(n_pair, n_all)
    )
    weights = _cost(prob) if budget is not None else np.ones(n_c)
    limit = float(budget) if budget is not None else float(p if p is not None else n_c)
    card = sp.csr_array(np.r_[weights, np.zeros(n_w + n_r)][None, :])
    A = sp.vstack([link, pairs, card], format="csc")
    n = n_c + n_w + n_r
    x0 = None
    if start is not None and not relax:
        cnt = prob.D @ start.astype(np.float64)
        met = (cnt > 0).astype(np.float64)
        x0 = np.r_[start.astype(np.float64), met, prob.served(start).astype(np.float64)]
    res = solve_mip(
        np.r_[np.zeros(n_c + n_w), prob.v],
        np.zeros(n),
        np.ones(n),
        np.r_[np.full(n_c, 0 if relax else 1, dtype=np.int32), np.zeros(n_w + n_r, np.int32)],
        A,
        np.full(A.shape[0], -np.inf),
        np.r_[np.zeros(n_w + n_pair), limit],
        sense="max",
        time_limit=time_limit,
        mip_gap=mip_gap,
        start=x0,
        heuristics=heuristics,
    )
    return res, res.x[:n_c] > 0.5


def _core_mip(
    prob: RestProblem,
    p: int | None,
    budget: float | None,
    core: IntArray,
    best: BoolArray,
    time_limit: float,
) -> BoolArray | None:
    """Solve the problem restricted to the ``core`` columns exactly; the plan, or None."""
    core = np.unique(core)
    sub, _ = fix_columns(prob, np.zeros(0, dtype=np.int64), core)
    if sub.G.shape[0] == 0:
        return None
    start = best[core]
    res, x = rest_mip(sub, p, budget, start=start, time_limit=time_limit, heuristics=False)
    if math.isnan(res.objective):
        return None
    plan = np.zeros(prob.n_cols, dtype=bool)
    plan[core[x]] = True
    return plan


def rest_fast(
    prob: RestProblem,
    p: int | None,
    budget: float | None,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    rounds: int = 8,
    core_size: int = 3,
    lagrangian_iter: int = 1500,
    reduce: bool = True,
    progress: Progress | None = None,
) -> RestFast:
    """Greedy, swaps, perturbed restarts, the Lagrangian bound and a core MIP.

    Dominated columns are dropped first (same optimum, a closer bound).

    Parameters
    ----------
    prob
        The reduced problem.
    p, budget
        Number of columns, or the budget (``prob.cost`` set).
    time_limit
        Seconds (default 60); most instances finish well within.
    seed
        Seed of the restarts (0 when None).
    rounds
        Perturbed restarts: each closes a fifth of the plan's columns at
        random, refills greedily and swaps again; a better plan replaces it.
    core_size
        The core MIP takes ``core_size * p`` columns (the plans', then the
        best by Lagrangian score and by gain).
    lagrangian_iter
        Subgradient steps of the bound.
    reduce
        Drop dominated columns first (off when the caller already did).
    progress
        Progress reporter (one step per stage).

    Returns
    -------
    RestFast
        The plan, its value, the proven bound and the stage figures.
    """
    t0 = time.perf_counter()
    budget_s = 60.0 if time_limit is None else max(time_limit, 0.1)
    tick = progress or Progress(None)
    if reduce:
        drop = dominated_rest_columns(prob, p)
        if drop.any():
            keep = np.flatnonzero(~drop).astype(np.int64)
            sub, _ = fix_columns(prob, np.zeros(0, dtype=np.int64), keep)
            out = rest_fast(
                sub, p, budget, time_limit=budget_s, seed=seed, rounds=rounds,
                core_size=core_size, lagrangian_iter=lagrangian_iter, reduce=False,
                progress=tick,
            )  # fmt: skip
            out.selected = keep[out.selected]
            out.figures["dominated_columns"] = float(drop.sum())
            return out
    k = _cardinality(prob, p, budget)
    if prob.G.shape[0] == 0 or k == 0:
        return RestFast(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, 0)
    plan = _Plan(prob)
    _greedy_fill(plan, prob, p, budget)
    greedy_value = plan.value
    tick.step("greedy")
    rng = np.random.default_rng(0 if seed is None else seed)
    swaps = _swaps(plan, prob, budget, t0 + 0.3 * budget_s, None)
    tick.step("swaps")
    best, best_value = plan.sel.copy(), plan.value
    seen = best.copy()
    for _ in range(rounds):
        if time.perf_counter() > t0 + 0.5 * budget_s:
            break
        cols = np.flatnonzero(best)
        if cols.size < 2:
            break
        trial = _Plan(prob, best)
        for j in rng.choice(cols, size=max(2, cols.size // 5), replace=False):
            trial.remove(int(j))
        _greedy_fill(trial, prob, p, budget)
        swaps += _swaps(trial, prob, budget, t0 + 0.5 * budget_s, rng)
        seen |= trial.sel
        if trial.value > best_value + 1e-9 * max(1.0, best_value):
            best, best_value = trial.sel.copy(), trial.value
    tick.step("restarts")
    t_lag = time.perf_counter()
    bound, lam = rest_lagrangian(
        prob, k, lower=best_value, start=best, max_iter=lagrangian_iter, time_limit=0.3 * budget_s
    )
    if all_integral(prob.v):
        bound = math.floor(bound + 1e-7)
    tick.step("Lagrangian bound")
    figures = {"lagrangian_seconds": time.perf_counter() - t_lag, "core_columns": 0.0}
    if bound - best_value > 1e-9 * max(1.0, best_value):
        _, _, t_ptr, t_idx, g_ptr, g_idx, _, _ = prob.kernel_arrays()
        _, scores = K.column_scores(
            g_ptr, g_idx, prob.D.shape[0], t_ptr, t_idx, np.asarray(prob.v, np.float64), lam
        )
        size = min(prob.n_cols, core_size * k)
        probe = _Plan(prob, best)
        probe.scan()
        by_score = np.argsort(-scores)[:size]
        by_gain = np.argsort(-(probe.credit + probe.gain))[: max(size // 3, 1)]
        core = np.unique(np.r_[np.flatnonzero(seen), by_score, by_gain]).astype(np.int64)
        figures["core_columns"] = float(core.size)
        left = budget_s - (time.perf_counter() - t0)
        if left > 0.05:
            with tick.stage(f"HiGHS on a core of {core.size} columns"):
                got = _core_mip(prob, p, budget, core, best, left)
            if got is not None:
                again = _Plan(prob, got)
                swaps += _swaps(again, prob, budget, t0 + budget_s, rng)
                if again.value > best_value + 1e-9 * max(1.0, best_value):
                    best, best_value = again.sel.copy(), again.value
    return RestFast(
        selected=np.flatnonzero(best).astype(np.int64),
        value=best_value,
        bound=max(bound, best_value),
        greedy_value=greedy_value,
        swaps=swaps,
        lam=lam,
        figures=figures,
    )


def rest_exact(
    prob: RestProblem,
    p: int | None,
    budget: float | None,
    *,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    seed: int | None = None,
    progress: Progress | None = None,
) -> tuple[IntArray, float, float, str, RestFast]:
    """Exact: dominance, the fast plan, Lagrangian fixing, HiGHS on what is left.

    Dominated columns are dropped (same optimum); the fast solver's plan is
    the incumbent; its multipliers fix out the columns no plan better than
    the incumbent can hold (and fix in those every such plan holds); HiGHS
    solves the rest warm-started and proves the optimum.

    Parameters
    ----------
    prob
        The reduced problem.
    p, budget
        Number of columns, or the budget.
    time_limit
        Seconds for the whole solve; at the limit the best plan comes back
        with its proven bound.
    mip_gap
        Relative gap at which to stop.
    seed
        Seed of the fast solver's restarts.
    progress
        Progress reporter.

    Returns
    -------
    selected, value, bound, status, fast
        Columns, value, proven bound, status and the fast solver's result.
    """
    t0 = time.perf_counter()

    def left() -> float | None:
        return None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.05)

    tick = progress or Progress(None)
    drop = dominated_rest_columns(prob, p)
    keep = np.flatnonzero(~drop).astype(np.int64)
    q, _ = fix_columns(prob, np.zeros(0, dtype=np.int64), keep) if drop.any() else (prob, 0.0)
    # the incumbent matters most: a fifth of the time, or up to half when that is short
    share = None if time_limit is None else max(0.2 * time_limit, min(60.0, 0.5 * time_limit))
    fast = rest_fast(
        q, p, budget, time_limit=share, seed=seed,
        reduce=False, progress=tick,
    )  # fmt: skip
    fast.figures["dominated_columns"] = float(drop.sum())
    value, bound = fast.value, fast.bound
    chosen = fast.selected
    integral = all_integral(q.v)
    status = "optimal"

    def done(b: float) -> bool:
        return b - value <= max(mip_gap * abs(value), 1e-9 * max(1.0, abs(value)))

    if not done(bound):
        k = _cardinality(q, p, budget)
        target = value + 1.0 - 1e-6 if integral else value * (1 + 1e-12)
        out, in_, _ = lagrangian_fixing(q, k, fast.lam, target)
        if budget is not None:
            in_[:] = False  # forcing a column out changes what the budget affords
        fixed = np.flatnonzero(in_).astype(np.int64)
        cols = np.flatnonzero(~out & ~in_).astype(np.int64)
        sub, const = fix_columns(q, fixed, cols)
        start_mask = np.zeros(q.n_cols, dtype=bool)
        start_mask[chosen] = True
        start = None
        if start_mask[fixed].all() and not (start_mask & out).any():
            start = start_mask[cols]
        sub_p = None if p is None else p - fixed.size
        sub_budget = None if budget is None else budget
        res = MipResult("optimal", np.zeros(0), 0.0, 0.0, 0.0)
        x = np.zeros(cols.size, dtype=bool)
        if sub.G.shape[0] and (sub_p is None or sub_p > 0):
            with tick.stage(
                f"HiGHS MIP on {cols.size} columns ({fixed.size} fixed in, {int(out.sum())} out)"
            ):
                res, x = rest_mip(
                    sub, sub_p, sub_budget, start=start, time_limit=left(), mip_gap=mip_gap
                )
        plan = np.zeros(q.n_cols, dtype=bool)
        plan[fixed] = True
        plan[cols[x]] = True
        got = q.value(plan)
        if not math.isnan(res.objective) and got > value:
            chosen, value = np.flatnonzero(plan).astype(np.int64), got
        if not math.isnan(res.bound):
            # the reduced model holds every plan better than the incumbent
            bound = min(bound, max(res.bound + const, fast.value))
        status = res.status
    if integral:
        bound = max(math.floor(bound + 1e-7), value)
    if done(bound):
        status = "optimal" if bound - value <= 1e-9 * max(1.0, abs(value)) else "gap_limit"
    fast.selected = keep[fast.selected]
    return keep[chosen], value, max(bound, value), status, fast
