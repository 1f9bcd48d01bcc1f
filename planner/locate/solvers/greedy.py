# ruff: noqa: N803, N806  (matrix names A, B, BT follow the maths)
"""Fast solvers: greedy with exact incremental gains, swap and tabu search, greedy set cover.

The greedy reports the *online bound* ``F(OPT) <= F(S) + sum of the p largest
marginal gains`` (Minoux 1978; Leskovec et al. 2007) at every step, so every
plan it returns comes with a proven gap.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner._progress import Progress
from planner.locate import _kernels
from planner.locate.solvers.mip import solve_mip
from planner.locate.solvers.problem import (
    LP_BOUND_NNZ_LIMIT,
    BenefitProblem,
    FloatArray,
    IntArray,
    row_positions,
)

DENSE_SWAP_LIMIT = 4_000_000
"""The swap table is kept dense (chosen × candidate columns) up to this many numbers."""


@dataclass
class FastResult:
    """Outcome of the fast solver on a benefit problem."""

    selected: IntArray  # columns in pick order (after swaps: final set)
    value: float  # F(S)
    bound: float  # proven upper bound on F(OPT)
    greedy_value: float
    swaps: int
    curve_values: FloatArray = field(default_factory=lambda: np.zeros(0))
    curve_bounds: FloatArray = field(default_factory=lambda: np.zeros(0))


class _State:
    """Incremental state for greedy and swaps on a :class:`BenefitProblem`."""

    def __init__(self, prob: BenefitProblem) -> None:
        self.prob = prob
        n_rows = prob.B.shape[0]
        self.b1 = prob.base.astype(np.float64).copy()
        self.c1 = np.full(n_rows, -1, dtype=np.int64)
        self.b2 = prob.base.astype(np.float64).copy()
        self.c2 = np.full(n_rows, -1, dtype=np.int64)
        self.selected = np.zeros(prob.n_cols, dtype=bool)
        B = prob.B
        # every entry's w * max(B - b1, 0) summed per column, in one pass (no per-entry arrays)
        self.gains: FloatArray = np.zeros(prob.n_cols, dtype=np.float64)
        _kernels.initial_gains(
            B.indptr, B.indices, B.data, np.asarray(prob.w, dtype=np.float64), self.b1, self.gains
        )
        self.value = float(np.dot(prob.w, self.b1))

    def add(self, j: int) -> None:
        B, BT = self.prob.B, self.prob.BT
        self.value += _kernels.state_add(
            j, BT.indptr, BT.indices, BT.data, B.indptr, B.indices, B.data, self.prob.w,
            self.b1, self.c1, self.b2, self.c2, self.gains,
        )  # fmt: skip
        self.selected[j] = True

    def removal(self, s: int) -> tuple[float, FloatArray]:
        """Loss of removing ``s`` and the extra gain of each column once it is gone."""
        BT, B, w = self.prob.BT, self.prob.B, self.prob.w
        lo, hi = BT.indptr[s], BT.indptr[s + 1]
        rows = BT.indices[lo:hi].astype(np.int64)
        rows = rows[self.c1[rows] == s]
        if rows.size == 0:
            return 0.0, np.zeros(self.prob.n_cols)
        loss = float(np.dot(w[rows], self.b1[rows] - self.b2[rows]))
        pos, local = row_positions(B.indptr, rows)
        data = B.data[pos]
        b1, b2 = self.b1[rows][local], self.b2[rows][local]
        extra = w[rows][local] * (np.maximum(data - b2, 0.0) - np.maximum(data - b1, 0.0))
        return loss, np.bincount(B.indices[pos], weights=extra, minlength=self.prob.n_cols).astype(
            np.float64
        )

    def remove(self, s: int) -> None:
        B, BT = self.prob.B, self.prob.BT
        self.selected[s] = False
        self.value += _kernels.state_remove(
            s, self.selected, self.prob.base, BT.indptr, BT.indices, B.indptr, B.indices, B.data,
            self.prob.w, self.b1, self.c1, self.b2, self.c2, self.gains,
        )  # fmt: skip

    def swap_table(self) -> tuple[IntArray, FloatArray, FloatArray | sp.csr_array]:
        """Every swap at once: the loss of removing each chosen column, and the extra gains.

        The value of swapping chosen ``s`` for free ``t`` is
        ``gains[t] + extra[s, t] - loss[s]``: ``extra`` is what ``t`` gains on the
        rows that lose ``s`` as their best column. Only rows where ``s`` is strictly
        best (``b1 > b2``) enter, so one pass over their entries prices every swap.

        Returns
        -------
        chosen, loss, extra
            Chosen columns, the loss of removing each, and the
            ``len(chosen) × n_cols`` extra gains: dense when it holds at most
            :data:`DENSE_SWAP_LIMIT` numbers, sparse otherwise.
        """
        B, w = self.prob.B, self.prob.w
        n = self.prob.n_cols
        chosen = np.flatnonzero(self.selected)
        slot = np.full(n, -1, dtype=np.int64)
        slot[chosen] = np.arange(chosen.size)
        rows = np.flatnonzero((self.c1 >= 0) & (self.b1 > self.b2))
        drop = w[rows] * (self.b1[rows] - self.b2[rows])
        loss = np.bincount(slot[self.c1[rows]], weights=drop, minlength=chosen.size)
        if chosen.size * n <= DENSE_SWAP_LIMIT:
            dense = np.zeros((chosen.size, n))
            _kernels.swap_extra(
                B.indptr, B.indices, B.data, w, self.b1, self.b2, slot[self.c1], rows, dense
            )
            return chosen, loss.astype(np.float64), dense
        pos, local = row_positions(B.indptr, rows)
        r = rows[local]
        data = B.data[pos]
        extra = w[r] * (np.maximum(data - self.b2[r], 0.0) - np.maximum(data - self.b1[r], 0.0))
        nz = extra > 0
        table = sp.csr_array(
            (extra[nz], (slot[self.c1[r[nz]]], B.indices[pos[nz]])), shape=(chosen.size, n)
        )
        table.sum_duplicates()
        return chosen, loss.astype(np.float64), table

    def free_gains(self) -> FloatArray:
        g: FloatArray = self.gains.copy()
        g[self.selected] = -np.inf
        return g


def _best_swap(
    st: _State, blocked_in: NDArray[np.bool_], blocked_out: NDArray[np.bool_], floor: float
) -> tuple[int, int, float]:
    """Best swap ``(s out, t in, change)`` among moves touching no blocked column.

    A blocked (tabu) move is taken instead when its change beats ``floor``, the
    change that would set a new best value (aspiration). Returns
    ``(-1, -1, -inf)`` when there is no move.
    """
    chosen, loss, table = st.swap_table()
    if chosen.size == 0:
        return -1, -1, -math.inf
    if isinstance(table, np.ndarray):
        s, t, v = _kernels.best_swap_dense(
            table, st.gains, st.selected, loss, chosen, blocked_in, blocked_out, floor
        )
        return int(s), int(t), float(v)
    gains = st.gains.copy()
    gains[st.selected] = -np.inf
    out_ok = ~blocked_out[chosen]
    row_of = np.repeat(np.arange(chosen.size), np.diff(table.indptr))
    vals = gains[table.indices] + table.data - loss[row_of]
    pair_ok = ~blocked_in[table.indices] & out_ok[row_of]

    def pick(g: FloatArray, lo: FloatArray, v: FloatArray) -> tuple[int, int, float]:
        cand = (-1, -1, -math.inf)
        if v.size:
            i = int(np.argmax(v))
            cand = (int(chosen[row_of[i]]), int(table.indices[i]), float(v[i]))
        t, s_slot = int(np.argmax(g)), int(np.argmin(lo))
        if np.isfinite(g[t]) and np.isfinite(lo[s_slot]):
            value = float(g[t] - lo[s_slot] + table[s_slot, t])
            if value > cand[2]:
                cand = (int(chosen[s_slot]), t, value)
        return cand

    best_any = pick(gains, loss, vals)
    best_ok = pick(
        np.where(blocked_in, -np.inf, gains),
        np.where(out_ok, loss, np.inf),
        np.where(pair_ok, vals, -np.inf),
    )
    if not math.isfinite(best_ok[2]) or best_any[2] > max(best_ok[2], floor):
        return best_any if math.isfinite(best_any[2]) else (-1, -1, -math.inf)
    return best_ok


def _tabu_swaps(
    st: _State,
    order: list[int],
    *,
    deadline: float | None,
    stall: int,
    seed: int | None,
    progress: Progress | None = None,
) -> tuple[NDArray[np.bool_], float, int]:
    """Swap local search with a short tabu memory (cardinality problems).

    Each step takes the best swap of the whole neighbourhood, priced at once by
    :meth:`_State.swap_table`; while it improves this is steepest descent, at a
    local optimum it takes the least bad move, and recently swapped columns are
    barred for a few steps (tenure drawn from ``seed``) so the search does not
    undo it, unless a barred move beats the best value met. Stops after
    ``stall`` steps without a new best, or at ``deadline``.

    Returns
    -------
    best_selected, best_value, moves
        The best set met (flags), its value and the number of moves made.
    """
    rng = np.random.default_rng(0 if seed is None else seed)  # reproducible by default
    n = st.prob.n_cols
    k = len(order)
    if k == 0 or k >= n:
        return st.selected.copy(), st.value, 0
    free_until = np.zeros(n, dtype=np.int64)  # column may enter again from this step
    keep_until = np.zeros(n, dtype=np.int64)  # column may leave again from this step
    best_sel, best_val = st.selected.copy(), st.value
    tol = 1e-9 * max(1.0, abs(best_val))
    moves, since_best, step = 0, 0, 0
    room = n - k
    lo_ten = max(3, min(k // 2, room // 4))  # a dropped column stays out this long
    hi_ten = max(lo_ten + 1, min(2 * k, room // 2))
    while since_best < stall:
        if deadline is not None and time.perf_counter() > deadline:
            break
        step += 1
        s, t, _ = _best_swap(st, free_until > step, keep_until > step, best_val - st.value + tol)
        if s < 0:
            break
        st.remove(s)
        st.add(t)
        moves += 1
        if progress is not None:
            progress.step("swap")
        free_until[s] = step + int(rng.integers(lo_ten, hi_ten + 1))
        keep_until[t] = step + int(rng.integers(1, max(2, k // 4) + 1))
        if st.value > best_val + tol:
            best_sel, best_val, since_best = st.selected.copy(), st.value, 0
        else:
            since_best += 1
    return best_sel, best_val, moves


def _topk_sum(values: FloatArray, k: int) -> float:
    values = values[np.isfinite(values)]
    if k <= 0 or values.size == 0:
        return 0.0
    if k >= values.size:
        return float(np.maximum(values, 0).sum())
    part = np.partition(values, values.size - k)[values.size - k :]
    return float(np.maximum(part, 0).sum())


def _knapsack_bound(gains: FloatArray, cost: FloatArray, budget: float) -> float:
    """Fractional knapsack value of ``gains`` with ``cost`` under ``budget`` (an upper bound)."""
    ok = np.isfinite(gains) & (gains > 0)
    g, c = gains[ok], cost[ok]
    free = c <= 0
    total = float(g[free].sum())
    g, c = g[~free], c[~free]
    order = np.argsort(-g / c, kind="stable")
    g, c = g[order], c[order]
    cum = np.cumsum(c)
    full = cum <= budget
    total += float(g[full].sum())
    k = int(full.sum())
    if k < g.size:
        left = budget - (cum[k - 1] if k else 0.0)
        total += float(g[k] * max(left, 0.0) / c[k])
    return total


def tabu_stall(k: int) -> int:
    """Return how many steps without a new best stop the tabu search (``k`` chosen columns)."""
    return max(10, k // 2)


def _swap_passes(
    st: _State,
    order: list[int],
    cost: FloatArray,
    budget: float | None,
    *,
    spent: float,
    max_passes: int,
    seed: int | None,
    deadline: float | None,
    tick: Progress,
) -> int:
    """Run first-improvement swap passes under a budget, then spend any budget freed (in place).

    Each chosen column is swapped for the free column that gains most once it is
    gone, when that gains and fits the budget; ``st`` and ``order`` are updated.

    Returns
    -------
    int
        The number of swaps made.
    """
    n_swaps = 0
    for _ in range(max_passes):
        improved = False
        tries = list(order)
        if seed is not None:
            tries = [
                tries[k] for k in np.random.default_rng(seed + n_swaps).permutation(len(tries))
            ]
        for s in tries:
            if deadline is not None and time.perf_counter() > deadline:
                break
            loss, extra = st.removal(s)
            cand = st.gains + extra
            cand[st.selected] = -np.inf
            if budget is not None:
                cand[cost > budget - spent + cost[s] + 1e-9] = -np.inf
            t = int(np.argmax(cand))
            if not np.isfinite(cand[t]):
                continue
            if cand[t] - loss > 1e-9 * max(1.0, abs(st.value)):
                st.remove(s)
                st.add(t)
                order[order.index(s)] = t
                spent += float(cost[t] - cost[s])
                n_swaps += 1
                improved = True
                tick.step("swap")
        if budget is not None:
            # use any budget freed by swaps
            while True:
                g = np.where(cost <= budget - spent + 1e-9, st.free_gains(), -np.inf)
                j = int(np.argmax(g))
                if not np.isfinite(g[j]) or g[j] <= 0:
                    break
                st.add(j)
                order.append(j)
                spent += float(cost[j])
                improved = True
        if not improved or (deadline is not None and time.perf_counter() > deadline):
            break
    return n_swaps


def greedy_swap(
    prob: BenefitProblem,
    p: int | None,
    *,
    budget: float | None = None,
    swaps: bool = True,
    time_limit: float | None = None,
    max_passes: int = 50,
    start: IntArray | None = None,
    curve: bool = False,
    seed: int | None = None,
    stall: int | None = None,
    progress: Progress | None = None,
) -> FastResult:
    """Lazy-free greedy (exact incremental gains) followed by swap local search.

    Gains are kept exact after every pick by touching only the rows whose best
    value changed, so the whole greedy run costs ``O(nnz + p * n_cols)``.

    Parameters
    ----------
    prob
        The benefit problem.
    p
        Number of columns to choose (cardinality), or None with ``budget``.
    budget
        Total cost allowed (``prob.cost`` must be set).
    swaps
        Run the swap local search after the greedy.
    time_limit
        Seconds for the local search (the greedy always finishes).
    max_passes
        Cap on full swap passes.
    start
        Columns to start from instead of the greedy (a warm start).
    seed
        Seed for the order in which the local search tries chosen columns.
    stall
        Tabu steps without a new best before the search stops (default
        :func:`tabu_stall`).
    curve
        Also compute, for every k = 1..p, an upper bound on the best value with
        k columns (``curve_bounds``), from the online bound at every greedy step.
    progress
        Counts greedy steps and swap moves.

    Returns
    -------
    FastResult
        Chosen columns, value, best proven upper bound and the greedy curve.
    """
    t0 = time.perf_counter()
    tick = progress or Progress(None)
    st = _State(prob)
    n = prob.n_cols
    curve_v: list[float] = []
    bound = math.inf
    cost = prob.cost if prob.cost is not None else np.ones(n)
    spent = 0.0
    order: list[int] = []

    curve_best = np.full(p if (curve and p) else 0, np.inf)

    def curve_update() -> None:
        if curve_best.size:
            g = st.free_gains()
            g = np.sort(g[np.isfinite(g)])[::-1][: curve_best.size]
            c = np.cumsum(np.maximum(g, 0.0))
            c = np.r_[c, np.full(curve_best.size - c.size, c[-1] if c.size else 0.0)]
            np.minimum(curve_best, st.value + c, out=curve_best)

    def current_bound() -> float:
        g = st.free_gains()
        if budget is not None:
            return st.value + _knapsack_bound(g, cost, budget)
        assert p is not None
        return st.value + _topk_sum(g, p)

    for j in start if start is not None else []:
        st.add(int(j))
        order.append(int(j))
        spent += float(cost[j])
    bound = min(bound, current_bound())
    curve_update()
    steps = (p - len(order)) if p is not None else n
    for _ in range(max(steps, 0)):
        g = st.free_gains()
        if budget is not None:
            afford = cost <= budget - spent + 1e-9
            g = np.where(afford, g, -np.inf)
            if not np.isfinite(g).any():
                break
            ratio = np.divide(g, cost, out=np.where(g > 0, np.inf, 0.0), where=cost > 0)
            ratio = np.where(afford & np.isfinite(g), ratio, -np.inf)
            j = int(np.argmax(ratio))
            if g[j] <= 0:
                break
        else:
            j = int(np.argmax(g))
        st.add(j)
        order.append(j)
        spent += float(cost[j])
        tick.step("greedy")
        curve_v.append(st.value)
        bound = min(bound, current_bound())
        curve_update()
    if budget is not None and order:
        # Khuller et al.: compare with the best single affordable site
        single = np.where(cost <= budget, _State(prob).gains, -np.inf)
        j1 = int(np.argmax(single))
        if single[j1] + float(np.dot(prob.w, prob.base)) > st.value + 1e-9:
            st = _State(prob)
            st.add(j1)
            order, spent = [j1], float(cost[j1])
    greedy_value = st.value
    n_swaps = 0
    if bound - st.value <= 1e-9 * max(1.0, abs(st.value)):
        swaps = False  # the greedy plan is proven optimal
    if swaps and order and budget is None:
        deadline = None if time_limit is None else t0 + time_limit
        best_sel, _, n_swaps = _tabu_swaps(
            st,
            order,
            deadline=deadline,
            stall=tabu_stall(len(order)) if stall is None else stall,
            seed=seed,
            progress=tick,
        )
        kept = [j for j in order if best_sel[j]]
        order = kept + [int(j) for j in np.flatnonzero(best_sel) if j not in set(kept)]
        if not np.array_equal(best_sel, st.selected):
            st = _State(prob)
            for j in order:
                st.add(j)
        bound = min(bound, current_bound())
    elif swaps and order:
        deadline = None if time_limit is None else t0 + time_limit
        n_swaps = _swap_passes(
            st,
            order,
            cost,
            budget,
            spent=spent,
            max_passes=max_passes,
            seed=seed,
            deadline=deadline,
            tick=tick,
        )
        bound = min(bound, current_bound())
    value = prob.value(st.selected)
    return FastResult(
        selected=np.asarray(order, dtype=np.int64),
        value=value,
        bound=max(bound, value),
        greedy_value=greedy_value,
        swaps=n_swaps,
        curve_values=np.asarray(curve_v),
        curve_bounds=np.maximum(curve_best, np.asarray(curve_v)[: curve_best.size])
        if curve_best.size
        else np.zeros(0),
    )


def rank_order(prob: BenefitProblem, cols: IntArray) -> tuple[IntArray, FloatArray]:
    """Order chosen columns greedily by marginal value (given earlier ones and the base).

    Parameters
    ----------
    prob
        The benefit problem.
    cols
        Chosen columns.

    Returns
    -------
    order, marginal
        Columns in rank order and what each adds.
    """
    cols = np.asarray(cols, dtype=np.int64)
    if cols.size == 0:
        return cols, np.zeros(0)
    sub = BenefitProblem(sp.csr_array(prob.B[:, cols]), prob.w, prob.base)
    st = _State(sub)
    out, marg = [], []
    for _ in range(cols.size):
        g = st.free_gains()
        j = int(np.argmax(g))
        before = st.value
        st.add(j)
        out.append(int(cols[j]))
        marg.append(st.value - before)
    return np.asarray(out, dtype=np.int64), np.asarray(marg)


def random_starts(
    prob: BenefitProblem,
    p: int,
    *,
    count: int,
    deadline: float,
    seed: int | None,
    top: int = 3,
) -> list[tuple[IntArray, float]]:
    """Randomised greedy (one of the ``top`` best gains at each step) + short tabu, ``count`` times.

    ``seed=None`` uses a fixed seed, so the same input gives the same plans.

    Parameters
    ----------
    prob
        Coverage problem.
    p
        Number of columns.
    count
        Number of plans to make.
    deadline
        ``time.perf_counter()`` value at which to stop.
    seed
        Seed of the random picks.
    top
        Each step picks at random among this many best gains.

    Returns
    -------
    list
        ``(columns, value)`` of every plan made before ``deadline``.
    """
    rng = np.random.default_rng(0 if seed is None else seed)
    out: list[tuple[IntArray, float]] = []
    for i in range(count):
        if time.perf_counter() > deadline:
            break
        st = _State(prob)
        for _ in range(p):
            g = st.free_gains()
            k = min(top, int(np.isfinite(g).sum()))
            if k == 0:
                break
            st.add(int(rng.choice(np.argpartition(-g, k - 1)[:k])))
        sel, value, _ = _tabu_swaps(
            st, list(np.flatnonzero(st.selected)), deadline=deadline, stall=5, seed=i
        )
        out.append((np.flatnonzero(sel).astype(np.int64), value))
    return out


@dataclass
class CoverResult:
    """Outcome of the set-cover heuristic."""

    selected: IntArray
    cost: float
    bound: float


def greedy_cover(
    A: sp.csr_array, cost: FloatArray, *, lp_bound: bool = True, time_limit: float | None = None
) -> CoverResult:
    """Greedy set cover (cost per newly covered row) plus removal of redundant columns.

    Parameters
    ----------
    A
        CSR rows × columns; every row has at least one entry.
    cost
        Column costs (> 0).
    lp_bound
        Also solve the LP relaxation with HiGHS for the bound.
    time_limit
        Seconds for the LP bound.

    Returns
    -------
    CoverResult
        Chosen columns, their cost and a proven lower bound on the optimum.
    """
    n_rows, n_cols = A.shape
    AT = sp.csr_array(A.T.tocsr())
    count = np.diff(AT.indptr).astype(np.float64)
    max_count = max(int(count.max()) if count.size else 1, 1)
    covered = np.zeros(n_rows, dtype=bool)
    times_covered = np.zeros(n_rows, dtype=np.int64)
    chosen: list[int] = []
    heap = [(-count[j] / cost[j], j) for j in range(n_cols) if count[j] > 0]
    heapq.heapify(heap)
    left = n_rows
    while left > 0 and heap:
        neg, j = heapq.heappop(heap)
        cur = -count[j] / cost[j]
        if count[j] <= 0:
            continue
        if cur > neg + 1e-12:  # stale entry: gain has dropped, push back (lazy greedy)
            heapq.heappush(heap, (cur, j))
            continue
        chosen.append(j)
        rows = AT.indices[AT.indptr[j] : AT.indptr[j + 1]].astype(np.int64)
        new = rows[~covered[rows]]
        covered[new] = True
        left -= new.size
        pos, _ = row_positions(A.indptr, new)
        np.subtract.at(count, A.indices[pos], 1.0)
        count[j] = 0
    greedy_cost = float(cost[chosen].sum())
    for j in chosen:
        rows = AT.indices[AT.indptr[j] : AT.indptr[j + 1]]
        times_covered[rows] += 1
    # drop redundant columns, most expensive first
    keep = set(chosen)
    for j in sorted(chosen, key=lambda c: -cost[c]):
        rows = AT.indices[AT.indptr[j] : AT.indptr[j + 1]]
        if np.all(times_covered[rows] >= 2):
            times_covered[rows] -= 1
            keep.discard(j)
    sel = np.asarray([j for j in chosen if j in keep], dtype=np.int64)
    harmonic = float(np.sum(1.0 / np.arange(1, max_count + 1)))
    bound = greedy_cost / harmonic
    if lp_bound and A.nnz <= LP_BOUND_NNZ_LIMIT:
        lp = solve_mip(
            cost,
            np.zeros(n_cols),
            np.ones(n_cols),
            np.zeros(n_cols, dtype=np.int32),
            sp.csc_array(A, dtype=np.float64),
            np.ones(n_rows),
            np.full(n_rows, np.inf),
            sense="min",
            time_limit=time_limit,
        )
        if lp.status == "optimal":
            bound = max(bound, lp.bound)
    if np.all(cost == np.round(cost)):
        bound = math.ceil(bound - 1e-7)
    return CoverResult(selected=sel, cost=float(cost[sel].sum()), bound=bound)
