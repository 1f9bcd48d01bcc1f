# ruff: noqa: N803, N806  (matrix names A, B, BT follow the maths)
"""Solvers behind every siting model: exact (HiGHS) and fast (greedy + swaps).

The models reduce to three internal problems, all on sparse arrays:

* **benefit** — choose sites ``S`` to maximise
  ``F(S) = sum_i w_i * max(base_i, max_{j in S} B_ij)``. Coverage (MCLP, ``B = 1``
  within the cutoff), distance decay (``B = f(time)``) and p-median
  (``B = M - time``) are all of this form. ``F`` is monotone submodular, so
  greedy has the ``1 - 1/e`` guarantee and, better, every set ``S`` gives the
  *online bound* ``F(OPT) <= F(S) + sum of the p largest marginal gains``
  (Minoux 1978; Leskovec et al. 2007), which the fast solver reports.
* **set cover** — the LSCP and the feasibility checks of p-center.
* the mixed-integer programs for HiGHS, built column-wise from the same arrays
  (no Python object per variable).

Nothing here knows about labels or DataFrames; the model modules translate.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner._errors import SolverError
from planner.locate import _kernels

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

EXACT_NNZ_LIMIT = 3_000_000
"""``solver="auto"`` uses HiGHS when the reduced model has at most this many non-zeros."""

DOMINANCE_BITSET_WORDS = 16_000_000
"""Dominance is tested on row bitsets (fast on dense coverage) up to this many 64-bit words."""

LP_BOUND_NNZ_LIMIT = 1_500_000
"""The fast solver adds the LP relaxation bound when the model is at most this large."""


# --------------------------------------------------------------------------- progress


class Progress:
    """Steps of a solve counted on one tqdm bar; silent when built without a bar (internal).

    Parameters
    ----------
    bar
        A tqdm bar (see :func:`planner._progress.tqdm`), or None for no output.
    """

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def step(self, label: str, n: int = 1) -> None:
        """Count ``n`` steps of the stage ``label``.

        Parameters
        ----------
        label
            What is being done (shown next to the bar).
        n
            Steps done.
        """
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        """Close the bar (nothing without one)."""
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        """Show ``label`` while a long call runs (a HiGHS solve), count one step after it.

        Parameters
        ----------
        label
            What is being done.

        Yields
        ------
        None
            Control, while the stage runs.
        """
        if self.bar is not None:
            self.bar.set_postfix_str(f"{label}...", refresh=True)
        yield
        self.step(label)


def progress_bar(desc: str, *, enabled: bool) -> Progress:
    """Return a :class:`Progress` on a new tqdm bar counting solver steps (none if disabled).

    Parameters
    ----------
    desc
        Bar title (the model's name).
    enabled
        Show the bar (the models' ``progress=`` argument).

    Returns
    -------
    Progress
        The reporter; call its ``close()`` when the solve is done.
    """
    if not enabled:
        return Progress(None)
    from planner._progress import tqdm

    return Progress(tqdm(desc=desc, unit="step", leave=True))


# --------------------------------------------------------------------------- helpers


def row_positions(indptr: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """Positions of the stored entries of ``rows`` in a CSR, and their local row number.

    Parameters
    ----------
    indptr
        CSR row pointer.
    rows
        Row numbers.

    Returns
    -------
    positions, local
        Entry positions into ``indices``/``data`` and, for each, the position of
        its row in ``rows``.
    """
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    total = int(lengths.sum())
    local = np.repeat(np.arange(rows.size), lengths)
    offsets = np.cumsum(lengths) - lengths
    positions = np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)
    return positions, local


def merge_rows(
    matrix: sp.csr_array, weights: FloatArray, *, by_values: bool, extra: FloatArray | None = None
) -> tuple[sp.csr_array, FloatArray, IntArray]:
    """Merge rows with the same pattern (and values, and ``extra``), summing weights.

    Rows are compared by a 128-bit hash of their column sets (and values), so
    the work is linear in the non-zeros.

    Parameters
    ----------
    matrix
        CSR matrix with sorted indices.
    weights
        Row weights.
    by_values
        Compare the stored values as well as the pattern.
    extra
        One more number per row that must match (e.g. the base value).

    Returns
    -------
    merged, merged_weights, group
        The merged matrix, the summed weights, and for each input row its merged row.
    """
    n_rows = matrix.shape[0]
    if n_rows == 0:
        return matrix, weights, np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(12345)
    lengths = np.diff(matrix.indptr)
    keys = [lengths.astype(np.uint64)]
    nonempty = np.flatnonzero(lengths > 0)
    for _ in range(2):
        mult = rng.integers(1, 2**63, size=matrix.shape[1], dtype=np.uint64) | np.uint64(1)
        vals = mult[matrix.indices]
        if by_values:
            bits = np.ascontiguousarray(matrix.data, dtype=np.float64).view(np.uint64)
            salt = np.uint64(rng.integers(1, 2**63))
            vals = vals * ((bits ^ salt) | np.uint64(1)) + (bits >> np.uint64(17))
        h = np.zeros(n_rows, dtype=np.uint64)
        if nonempty.size:
            h[nonempty] = np.add.reduceat(vals, matrix.indptr[nonempty])
        keys.append(h)
    if extra is not None:
        keys.append(np.ascontiguousarray(extra, dtype=np.float64).view(np.uint64))
    stacked = np.stack(keys, axis=1)
    _, first, group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    group = group.ravel().astype(np.int64)
    merged_w = np.bincount(group, weights=weights, minlength=first.size).astype(np.float64)
    merged = matrix[first]
    if not isinstance(merged, sp.csr_array):  # pragma: no cover - scipy returns csr
        merged = sp.csr_array(merged)
    return merged, merged_w, group


DENSE_SWAP_LIMIT = 4_000_000
"""The swap table is kept dense (chosen × candidate columns) up to this many numbers."""


# --------------------------------------------------------------------------- benefit problem


@dataclass
class BenefitProblem:
    """``max F(S) = sum_i w_i max(base_i, max_{j in S} B_ij)`` over candidate columns.

    Parameters
    ----------
    B
        CSR, rows × candidate columns; only entries with ``B_ij > base_i`` are kept.
    w
        Row weights (> 0).
    base
        Row value with no new site (what existing sites already give).
    cost
        Column costs (for budgets) or None.
    """

    B: sp.csr_array
    w: FloatArray
    base: FloatArray
    cost: FloatArray | None = None
    _BT: sp.csr_array | None = field(default=None, repr=False)

    @property
    def BT(self) -> sp.csr_array:  # noqa: N802 - matrix name
        """Transpose (columns → rows) as CSR, computed once."""
        if self._BT is None:
            self._BT = sp.csr_array(self.B.T.tocsr())
        return self._BT

    @property
    def n_cols(self) -> int:
        """Number of candidate columns."""
        return int(self.B.shape[1])

    def value(self, selected: NDArray[np.bool_]) -> float:
        """Objective ``F`` (without constants) of a set of columns.

        Parameters
        ----------
        selected
            One flag per column.

        Returns
        -------
        float
            ``sum_i w_i max(base_i, max_{j in S} B_ij)``.
        """
        best = self.row_best(selected)[0]
        return float(np.dot(self.w, best))

    def row_best(self, selected: NDArray[np.bool_]) -> tuple[FloatArray, IntArray]:
        """Best value per row and the column giving it (-1 = base).

        Parameters
        ----------
        selected
            One flag per column.

        Returns
        -------
        best, arg
            Per-row best value and its column.
        """
        best, arg, _, _ = _top2(self.B, np.arange(self.B.shape[0]), selected, self.base)
        return best, arg


def _top2(
    B: sp.csr_array, rows: IntArray, selected: NDArray[np.bool_], base: FloatArray
) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
    """Best and second-best (value, column) over selected columns for ``rows``."""
    if rows.size == 0:
        empty_f, empty_i = np.zeros(0), np.zeros(0, dtype=np.int64)
        return empty_f, empty_i, empty_f.copy(), empty_i.copy()
    pos, local = row_positions(B.indptr, rows)
    cols = B.indices[pos]
    keep = selected[cols]
    pos, local, cols = pos[keep], local[keep], cols[keep]
    vals = B.data[pos]
    n = rows.size
    # append the base as a pseudo-entry of every row (column -1)
    all_local = np.concatenate([local, np.arange(n)])
    all_vals = np.concatenate([vals, base[rows]])
    all_cols = np.concatenate([cols.astype(np.int64), np.full(n, -1, dtype=np.int64)])
    order = np.lexsort((all_cols == -1, -all_vals, all_local))
    sl = all_local[order]
    starts = np.flatnonzero(np.r_[True, sl[1:] != sl[:-1]])
    b1 = all_vals[order][starts]
    c1 = all_cols[order][starts]
    counts = np.diff(np.r_[starts, sl.size])
    has2 = counts >= 2
    b2 = b1.copy()
    c2 = np.full(n, -1, dtype=np.int64)
    b2[has2] = all_vals[order][starts[has2] + 1]
    c2[has2] = all_cols[order][starts[has2] + 1]
    return b1, c1, b2, c2


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
        rows_of = np.repeat(np.arange(n_rows), np.diff(B.indptr))
        contrib = prob.w[rows_of] * np.maximum(B.data - self.b1[rows_of], 0.0)
        self.gains: FloatArray = np.bincount(
            B.indices, weights=contrib, minlength=prob.n_cols
        ).astype(np.float64)
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


# --------------------------------------------------------------------------- set cover


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


# --------------------------------------------------------------------------- HiGHS


@dataclass
class MipResult:
    """Outcome of a HiGHS solve."""

    status: str  # optimal, gap_limit, time_limit, infeasible
    x: FloatArray
    objective: float
    bound: float
    seconds: float
    row_dual: FloatArray = field(default_factory=lambda: np.zeros(0))


def solve_mip(
    cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    integrality: NDArray[np.int32],
    A: sp.csc_array,
    row_lower: FloatArray,
    row_upper: FloatArray,
    *,
    sense: str,
    offset: float = 0.0,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: FloatArray | None = None,
    threads: int | None = None,
    log: bool = False,
    presolve: bool = True,
    heuristics: bool = True,
) -> MipResult:
    """Solve a MIP (or LP when nothing is integral) given as column-wise arrays.

    Parameters
    ----------
    cost, lower, upper, integrality
        One entry per column (integrality 1 = integer).
    A
        Constraint matrix, CSC.
    row_lower, row_upper
        Row bounds (``±inf`` allowed).
    sense
        ``"max"`` or ``"min"``.
    offset
        Constant added to the objective.
    time_limit
        Seconds; the best plan found by then is returned with its bound.
    mip_gap
        Relative gap at which HiGHS stops.
    start
        A feasible solution to start from.
    threads
        HiGHS threads (default: HiGHS's choice).
    log
        Print HiGHS's log.
    presolve
        Let HiGHS presolve (off for the reduced coverage models, where its
        presolve costs more than it saves).
    heuristics
        Let HiGHS run its primal heuristics (off for small cores warm-started
        with a good plan, where they take most of the time).

    Returns
    -------
    MipResult
        Status, solution, objective, bound and seconds.
    """
    t0 = time.perf_counter()
    A = sp.csc_array(A)
    A.sort_indices()
    is_mip = bool(np.any(integrality))
    arrays = _MipArrays(
        cost=np.ascontiguousarray(cost, dtype=np.float64),
        lower=np.ascontiguousarray(lower, dtype=np.float64),
        upper=np.ascontiguousarray(upper, dtype=np.float64),
        integrality=np.ascontiguousarray(integrality, dtype=np.int32),
        A=A,
        row_lower=np.ascontiguousarray(row_lower, dtype=np.float64),
        row_upper=np.ascontiguousarray(row_upper, dtype=np.float64),
    )
    options: dict[str, float | int | str] = {
        "mip_rel_gap": float(mip_gap),
        "mip_abs_gap": 1e-9 if mip_gap == 0 else 1e-6,
    }
    if time_limit is not None:
        options["time_limit"] = float(max(time_limit, 0.01))
    if threads is not None:
        options["threads"] = int(threads)
    if not presolve:
        options["presolve"] = "off"
    if not heuristics:
        options.update(
            mip_heuristic_effort=0.0,
            mip_heuristic_run_rins=False,
            mip_heuristic_run_rens=False,
            mip_heuristic_run_feasibility_jump=False,
            mip_heuristic_run_root_reduced_cost=False,
        )
    x0 = np.asarray(start, dtype=np.float64) if (start is not None and is_mip) else None
    res = _run_highs(arrays, options, sense=sense, offset=offset, start=x0, log=log, t0=t0)
    if res is None and x0 is not None:
        # HiGHS 1.16.0 mis-scores a MIP start in the presolved space (it drops the
        # offset of the columns presolve fixes) and can then return "optimal" with a
        # wrong objective *and* bound; the returned plan gives it away. Solve again
        # without the start, whose figures are then consistent.
        logger.debug("HiGHS figures disagree with its own plan; solving again without the start")
        res = _run_highs(arrays, options, sense=sense, offset=offset, start=None, log=log, t0=t0)
    if res is None:
        raise SolverError(
            "HiGHS returned a plan whose objective or feasibility disagrees with the "
            "figures it reported, even without a warm start; try another highspy version."
        )
    return res


@dataclass(frozen=True)
class _MipArrays:
    """A MIP in column-wise arrays (internal to :func:`solve_mip`)."""

    cost: FloatArray
    lower: FloatArray
    upper: FloatArray
    integrality: NDArray[np.int32]
    A: sp.csc_array
    row_lower: FloatArray
    row_upper: FloatArray


def new_highs(*, log: bool = False) -> Any:
    """Return a HiGHS instance, silent from its first call unless ``log``.

    ``highspy.Highs()`` (1.16) enables its callbacks in the constructor, which
    prints the HiGHS banner to standard output before ``silent()`` can act; the
    core class silenced first prints nothing. Older highspy falls back to
    ``Highs().silent()``.

    Parameters
    ----------
    log
        Let HiGHS write its log to the console.

    Returns
    -------
    highspy.Highs or its core class
        With ``passModel``, ``run``, ``getSolution``, ``getInfo`` and the options API.
    """
    try:
        from highspy._core import _Highs
    except ImportError:  # pragma: no cover - highspy < 1.8 has no _core module
        old = highspy.Highs()
        old.setOptionValue("output_flag", bool(log))
        return old
    core = _Highs()
    core.setOptionValue("output_flag", bool(log))
    return core


def _run_highs(
    m: _MipArrays,
    options: dict[str, float | int | str],
    *,
    sense: str,
    offset: float,
    start: FloatArray | None,
    log: bool,
    t0: float,
) -> MipResult | None:
    """One HiGHS run; ``None`` when its plan contradicts its reported figures.

    HiGHS runs on one thread unless ``options`` say otherwise: its branch and
    bound is serial, and a pool of worker threads costs ~5 ms per run (most of a
    small core MIP's time) and CPU time spent spinning.
    """

    def load(opts: dict[str, float | int | str]) -> Any:
        n_col, n_row = int(m.cost.size), int(m.A.shape[0])
        h = new_highs(log=log)
        h.setOptionValue("threads", 1)
        for key, value in opts.items():
            h.setOptionValue(key, value)
        inf = h.getInfinity()
        status = h.passModel(
            n_col,
            n_row,
            int(m.A.nnz),
            1,  # column-wise
            -1 if sense == "max" else 1,
            float(offset),
            m.cost,
            m.lower,
            np.minimum(m.upper, inf),
            np.maximum(m.row_lower, -inf),
            np.minimum(m.row_upper, inf),
            np.ascontiguousarray(m.A.indptr[:-1], dtype=np.int32),
            np.ascontiguousarray(m.A.indices, dtype=np.int32),
            np.ascontiguousarray(m.A.data, dtype=np.float64),
            m.integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model built for this instance.")
        if start is not None:
            h.setSolution(n_col, np.arange(n_col, dtype=np.int32), start)
        return h

    h = load(options)
    if h.run() == highspy.HighsStatus.kError and "threads" not in options:
        # HiGHS keeps one thread pool per process: if it was started with another size
        # (highspy used before us), a run asking for one thread fails; use the pool there is
        h = load({**options, "threads": 0})
        h.run()
    n_col = int(m.cost.size)
    model_status = h.getModelStatus()
    info = h.getInfo()
    is_mip = bool(np.any(m.integrality))
    seconds = time.perf_counter() - t0
    ms = highspy.HighsModelStatus
    if model_status == ms.kInfeasible:
        return MipResult("infeasible", np.zeros(n_col), math.nan, math.nan, seconds)
    has_solution = info.primal_solution_status == 2
    if not has_solution:
        if model_status == ms.kTimeLimit:
            return MipResult("time_limit", np.zeros(n_col), math.nan, math.nan, seconds)
        raise SolverError(f"HiGHS stopped without a plan: {h.modelStatusToString(model_status)}.")
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    reported = float(info.objective_function_value)
    integer = m.integrality > 0
    x[integer] = np.round(x[integer])  # integral within tolerance: snap (no -0.0 or 1e-9)
    x = np.clip(x, m.lower, m.upper)
    objective = float(np.dot(m.cost, x) + offset)
    tol = 1e-6 * max(1.0, abs(objective))
    activity = m.A @ x
    slack = 1e-5 * np.maximum(1.0, np.abs(activity))
    feasible = bool(
        np.all(activity >= m.row_lower - slack) and np.all(activity <= m.row_upper + slack)
    )
    if not feasible or abs(objective - reported) > tol:
        return None
    bound = float(info.mip_dual_bound) if is_mip else objective
    # a dual bound better than the plan's own value by more than the tolerance is wrong
    if is_mip and ((bound < objective - tol) if sense == "max" else (bound > objective + tol)):
        return None
    if model_status == ms.kOptimal:
        gap = abs(bound - objective) / max(abs(objective), 1e-12)
        status_name = "optimal" if gap <= 1e-9 else "gap_limit"
    elif model_status in (ms.kTimeLimit, ms.kInterrupt, ms.kSolutionLimit, ms.kIterationLimit):
        status_name = "time_limit"
    else:
        raise SolverError(f"HiGHS stopped: {h.modelStatusToString(model_status)}.")
    duals = np.asarray(solution.row_dual, dtype=np.float64) if not is_mip else np.zeros(0)
    return MipResult(status_name, x, objective, bound, seconds, duals)


def coverage_mip(
    prob: BenefitProblem,
    p: int | None,
    *,
    budget: float | None = None,
    capacity: FloatArray | None = None,
    relax: bool = False,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: IntArray | None = None,
    presolve: bool = True,
    heuristics: bool = True,
) -> tuple[MipResult, IntArray]:
    """Max coverage MIP: ``max sum_g w_g z_g``, ``z_g <= sum_{j in N(g)} x_j``.

    With ``capacity``, demand is assigned: ``y_gj`` (fraction of row ``g`` served
    by ``j``), ``sum_j y_gj <= 1``, ``sum_g w_g y_gj <= cap_j x_j``,
    ``y_gj <= x_j``.

    Parameters
    ----------
    prob
        Benefit problem with 0/1 entries (base 0 on every row kept).
    p
        Number of columns, or None with ``budget``.
    budget
        Cost budget (``prob.cost`` set).
    capacity
        Per-column capacity in weight units.
    relax
        Solve the LP relaxation only (for a bound).
    time_limit, mip_gap
        HiGHS limits.
    start
        Chosen columns of a heuristic plan.
    presolve
        Let HiGHS presolve.
    heuristics
        Let HiGHS run its primal heuristics.

    Returns
    -------
    result, selected
        The HiGHS result and the chosen columns.
    """
    B = prob.B
    n_rows, n_c = B.shape
    if capacity is None:
        # columns: x (n_c), z (n_rows); rows: coverage rows then the cardinality/budget row
        ind = sp.csr_array(
            (np.ones(B.nnz), B.indices, B.indptr), shape=(n_rows, n_c), dtype=np.float64
        )
        top = sp.hstack([-ind, sp.eye_array(n_rows, format="csr")], format="csr")
        n_extra = n_rows
        extra_cost = prob.w
        extra_upper = np.ones(n_rows)
        rows_lo = np.full(n_rows, -np.inf)
        rows_hi = np.zeros(n_rows)
        blocks = [top]
    else:
        # columns: x (n_c), y (nnz); rows: per-row sum y <= 1, capacity per column, y <= x
        nnz = B.nnz
        row_of = np.repeat(np.arange(n_rows), np.diff(B.indptr))
        ycols = np.arange(nnz)
        assign = sp.csr_array((np.ones(nnz), (row_of, n_c + ycols)), shape=(n_rows, n_c + nnz))
        capr = sp.csr_array(
            (
                np.r_[-capacity, prob.w[row_of]],
                (np.r_[np.arange(n_c), B.indices], np.r_[np.arange(n_c), n_c + ycols]),
            ),
            shape=(n_c, n_c + nnz),
        )
        link = sp.csr_array(
            (
                np.r_[np.ones(nnz), -np.ones(nnz)],
                (np.r_[ycols, ycols], np.r_[n_c + ycols, B.indices]),
            ),
            shape=(nnz, n_c + nnz),
        )
        blocks = [assign, capr, link]
        n_extra = nnz
        extra_cost = prob.w[row_of]
        extra_upper = np.ones(nnz)
        rows_lo = np.full(n_rows + n_c + nnz, -np.inf)
        rows_hi = np.r_[np.ones(n_rows), np.zeros(n_c), np.zeros(nnz)]
    if budget is None:
        assert p is not None
        card = sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_extra)][None, :])
        lo, hi = float(p), float(p)
    else:
        assert prob.cost is not None
        card = sp.csr_array(np.r_[prob.cost, np.zeros(n_extra)][None, :])
        lo, hi = -np.inf, float(budget)
    A = sp.vstack([*blocks, card], format="csc")
    n_col = n_c + n_extra
    cost = np.r_[np.zeros(n_c), extra_cost]
    integrality = np.r_[
        np.ones(n_c, dtype=np.int32) * (0 if relax else 1), np.zeros(n_extra, np.int32)
    ]
    x0 = None
    if start is not None and not relax:
        x0 = _coverage_start(prob, start, capacity)
    res = solve_mip(
        cost,
        np.zeros(n_col),
        np.r_[np.ones(n_c), extra_upper],
        integrality,
        A,
        np.r_[rows_lo, lo],
        np.r_[rows_hi, hi],
        sense="max",
        time_limit=time_limit,
        mip_gap=mip_gap,
        start=x0,
        presolve=presolve,
        heuristics=heuristics,
    )
    chosen = np.flatnonzero(res.x[:n_c] > 0.5).astype(np.int64)
    return res, chosen


def _coverage_start(
    prob: BenefitProblem, cols: IntArray, capacity: FloatArray | None
) -> FloatArray:
    n_rows, n_c = prob.B.shape
    x = np.zeros(n_c)
    x[cols] = 1.0
    B = prob.B
    if capacity is None:
        covered = (B @ x) > 0
        return np.r_[x, covered.astype(np.float64)]
    # greedy feasible assignment: rows in order, to the first open column with room
    left = capacity.copy()
    y = np.zeros(B.nnz)
    for i in range(n_rows):
        need = 1.0
        for pos in range(B.indptr[i], B.indptr[i + 1]):
            j = B.indices[pos]
            if x[j] > 0 and left[j] > 1e-12 and need > 0:
                take = min(need, left[j] / prob.w[i]) if prob.w[i] > 0 else need
                y[pos] = take
                left[j] -= take * prob.w[i]
                need -= take
    return np.r_[x, y]


def assignment_mip(
    prob: BenefitProblem,
    p: int,
    *,
    must_assign: NDArray[np.bool_] | None = None,
    relax: bool = False,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: IntArray | None = None,
) -> tuple[MipResult, IntArray]:
    """Solve the assignment MIP of a benefit problem (p-median, decay).

    ``max sum_i w_i (base_i + sum_j (B_ij - base_i) y_ij)`` with
    ``sum_j y_ij <= 1`` (``= 1`` where ``must_assign``), ``y_ij <= x_j`` and
    ``sum_j x_j = p``.

    Parameters
    ----------
    prob
        The benefit problem.
    p
        Number of columns.
    must_assign
        Rows that must be served by a new column (no base to fall back on).
    relax
        LP relaxation only.
    time_limit, mip_gap
        HiGHS limits.
    start
        Chosen columns of a heuristic plan.

    Returns
    -------
    result, selected
        The HiGHS result (objective includes the base) and the chosen columns.
    """
    B = prob.B
    n_rows, n_c = B.shape
    nnz = B.nnz
    row_of = np.repeat(np.arange(n_rows), np.diff(B.indptr))
    ycols = n_c + np.arange(nnz)
    assign = sp.csr_array((np.ones(nnz), (row_of, ycols)), shape=(n_rows, n_c + nnz))
    link = sp.csr_array(
        (
            np.r_[np.ones(nnz), -np.ones(nnz)],
            (np.r_[np.arange(nnz), np.arange(nnz)], np.r_[ycols, B.indices]),
        ),
        shape=(nnz, n_c + nnz),
    )
    card = sp.csr_array(np.r_[np.ones(n_c), np.zeros(nnz)][None, :])
    A = sp.vstack([assign, link, card], format="csc")
    cost = np.r_[np.zeros(n_c), prob.w[row_of] * (B.data - prob.base[row_of])]
    must = np.zeros(n_rows, dtype=bool) if must_assign is None else must_assign
    row_lo = np.r_[np.where(must, 1.0, -np.inf), np.full(nnz, -np.inf), float(p)]
    row_hi = np.r_[np.ones(n_rows), np.zeros(nnz), float(p)]
    integrality = np.r_[np.full(n_c, 0 if relax else 1, dtype=np.int32), np.zeros(nnz, np.int32)]
    x0 = None
    if start is not None and not relax:
        x = np.zeros(n_c)
        x[start] = 1
        sel = np.zeros(n_c, dtype=bool)
        sel[start] = True
        _, arg = prob.row_best(sel)
        y = np.zeros(nnz)
        # position of the best column within each row
        hit = (B.indices == arg[row_of]) & (arg[row_of] >= 0)
        y[hit] = 1.0
        x0 = np.r_[x, y]
    res = solve_mip(
        cost,
        np.zeros(n_c + nnz),
        np.ones(n_c + nnz),
        integrality,
        A,
        row_lo,
        row_hi,
        sense="max",
        offset=float(np.dot(prob.w, prob.base)),
        time_limit=time_limit,
        mip_gap=mip_gap,
        start=x0,
    )
    chosen = np.flatnonzero(res.x[:n_c] > 0.5).astype(np.int64)
    return res, chosen


def cover_mip(
    A: sp.csr_array,
    cost: FloatArray,
    *,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: IntArray | None = None,
) -> tuple[MipResult, IntArray]:
    """Set-cover MIP: ``min sum_j c_j x_j`` with every row covered at least once.

    Parameters
    ----------
    A
        Rows × columns (CSR), every row non-empty.
    cost
        Column costs.
    time_limit, mip_gap
        HiGHS limits.
    start
        Columns of a heuristic cover.

    Returns
    -------
    result, selected
        The HiGHS result and the chosen columns.
    """
    n_rows, n_c = A.shape
    x0 = None
    if start is not None:
        x0 = np.zeros(n_c)
        x0[start] = 1.0
    res = solve_mip(
        cost,
        np.zeros(n_c),
        np.ones(n_c),
        np.ones(n_c, dtype=np.int32),
        sp.csc_array(sp.csr_array((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)),
        np.ones(n_rows),
        np.full(n_rows, np.inf),
        sense="min",
        time_limit=time_limit,
        mip_gap=mip_gap,
        start=x0,
    )
    return res, np.flatnonzero(res.x > 0.5).astype(np.int64)


# --------------------------------------------------------------------------- Lagrangian (coverage)


@dataclass
class LagrangianResult:
    """Outcome of the Lagrangian relaxation of a max-coverage problem."""

    bound: float  # proven upper bound on the optimum
    lam: FloatArray  # multipliers giving it
    best_cols: IntArray  # best plan seen among the Lagrangian solutions
    best_value: float
    iterations: int


def coverage_lagrangian(
    prob: BenefitProblem,
    p: int,
    *,
    lower: float,
    start_cols: IntArray | None = None,
    max_iter: int = 400,
    patience: int = 30,
    deflect: float = 0.95,
    time_limit: float | None = None,
) -> LagrangianResult:
    """Bound max coverage by relaxing ``z_g <= sum_j a_gj x_j`` (subgradient method).

    ``L(lam) = sum_g max(0, w_g - lam_g) + (sum of the p largest c_j)`` with
    ``c_j = sum_{g in N(j)} lam_g`` is an upper bound for every ``lam >= 0``; its
    minimum equals the LP bound. The multipliers start from the known plan
    (complementary slackness: ``w_g`` on the rows it leaves uncovered, 0 on rows
    it covers twice or more, ``w_g / deg_g`` on the others); each step costs one
    pass over the matrix (compiled: :func:`planner.locate._kernels.subgradient_steps`),
    and the top-p columns of each step are scored as plans too. Steps follow the
    projected subgradient deflected by the previous step (Camerini, Fratta and
    Maffioli 1975): on the Shenzhen instances of ``benchmarks/bench_locate.py``
    600 steps end 2-20 times closer to the LP bound than plain steps do. With
    integral weights the method stops once the bound is below the best value + 1.

    Parameters
    ----------
    prob
        Coverage problem (0/1 entries, base 0).
    p
        Number of columns.
    lower
        Value of a known plan (for the step size and the stop test).
    start_cols
        That plan's columns.
    max_iter
        Iteration cap.
    patience
        Iterations without a better bound before the step size is halved.
    deflect
        Weight of the previous direction in each step (0: plain subgradient).
    time_limit
        Seconds.

    Returns
    -------
    LagrangianResult
        Bound, multipliers, and the best plan met.
    """
    t0 = time.perf_counter()
    AT = prob.BT
    w = np.asarray(prob.w, dtype=np.float64)
    n = AT.shape[0]
    p = min(p, n)
    deg = np.maximum(np.diff(prob.B.indptr), 1)
    best_cols = (
        np.asarray(start_cols, dtype=np.int64) if start_cols is not None else np.zeros(0, np.int64)
    )
    # complementary slackness with the known plan: a row it leaves uncovered is worth its
    # weight, a row it covers twice is worth nothing to the bound, the others share it
    pos, _ = row_positions(AT.indptr, best_cols)
    hits = np.bincount(AT.indices[pos], minlength=w.size)
    lam = np.where(hits == 0, w, np.where(hits == 1, w / deg, 0.0))
    best_lam = lam.copy()
    top_cols = np.zeros(p, dtype=np.int64)
    direction = np.zeros(w.size)
    # mu, stall, best bound, best value, steps done, finished
    state = np.array([2.0, 0.0, math.inf, lower, 0.0, 0.0])
    # integral weights: a bound below the best value + 1 proves that value optimal
    tol = 1.0 - 1e-6 if _integral(w) else 0.0
    # a few steps per call, so the clock is read often (one step costs ~2 passes over AT)
    chunk = max(1, min(50, int(2e6 // max(AT.nnz, 1))))
    while state[4] < max_iter:
        steps = int(min(chunk, max_iter - state[4]))
        if _kernels.subgradient_steps(
            AT.indptr,
            AT.indices,
            w,
            lam,
            best_lam,
            top_cols,
            direction,
            state,
            p,
            patience,
            deflect,
            tol,
            steps,
        ):
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    best_bound, best_value, it = float(state[2]), float(state[3]), int(state[4])
    if best_value > lower:
        best_cols = top_cols.copy()
    return LagrangianResult(best_bound, best_lam, best_cols, best_value, it)


def coverage_fixing(
    prob: BenefitProblem, p: int, lam: FloatArray, lower: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Reduced-cost fixing from Lagrangian multipliers.

    A column whose forced inclusion (exclusion) drives the Lagrangian bound
    below ``lower`` (the value of a known plan) is out of (in) every plan better
    than that one.

    Parameters
    ----------
    prob
        Coverage problem.
    p
        Number of columns.
    lam
        Multipliers.
    lower
        Value of a known plan.

    Returns
    -------
    out, in_
        Columns that can be dropped and columns that can be fixed to 1.
    """
    AT = prob.BT
    c = sp.csr_array((np.ones(AT.nnz), AT.indices, AT.indptr), shape=AT.shape) @ lam
    w = prob.w
    n = c.size
    order = np.argsort(-c, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[:p]] = True
    L = float(np.maximum(w - lam, 0.0).sum() + c[order[:p]].sum())
    c_p = c[order[p - 1]] if p > 0 else math.inf
    c_next = c[order[p]] if p < n else 0.0
    tol = 1e-9 * max(1.0, abs(lower))
    out = ~top & (L + c - c_p < lower - tol)
    fixed_in = top & (L - c + c_next < lower - tol)
    return out, fixed_in


def lagrangian_value(prob: BenefitProblem, p: int, lam: FloatArray) -> tuple[float, FloatArray]:
    """Upper bound ``L(lam)`` of max coverage with ``p`` columns, and the column scores.

    Parameters
    ----------
    prob
        Coverage problem.
    p
        Number of columns.
    lam
        Row multipliers in ``[0, w]``.

    Returns
    -------
    bound, scores
        ``sum_g max(0, w_g - lam_g) + (sum of the p largest c_j)`` and ``c``.
    """
    AT = prob.BT
    c = sp.csr_array((np.ones(AT.nnz), AT.indices, AT.indptr), shape=AT.shape) @ lam
    k = min(p, c.size)
    top = np.partition(c, c.size - k)[c.size - k :] if k > 0 else np.zeros(0)
    return float(np.maximum(prob.w - lam, 0.0).sum() + top.sum()), c


# --------------------------------------------------------------------------- coverage pipeline


def restrict_columns(prob: BenefitProblem, cols: IntArray) -> BenefitProblem:
    """Coverage problem on a subset of columns, rows re-merged (same values for same plans).

    Parameters
    ----------
    prob
        Coverage problem (0/1, base 0).
    cols
        Columns to keep (their order gives the new numbering).

    Returns
    -------
    BenefitProblem
        The restricted problem.
    """
    sub = sp.csr_array(prob.B[:, np.asarray(cols, dtype=np.int64)])
    keep = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sp.csr_array(sub[keep])
    merged, mw, _ = merge_rows(sub, prob.w[keep], by_values=False)
    ones = sp.csr_array((np.ones(merged.nnz), merged.indices, merged.indptr), shape=merged.shape)
    cost = prob.cost[cols] if prob.cost is not None else None
    return BenefitProblem(ones, mw, np.zeros(merged.shape[0]), cost)


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
    arrays = (
        np.asarray(A.indptr, dtype=np.int64),
        np.asarray(A.indices, dtype=np.int64),
        np.asarray(AT.indptr, dtype=np.int64),
        np.asarray(AT.indices, dtype=np.int64),
        drop,
    )
    if A.shape[1] * -(-A.shape[0] // 64) <= DOMINANCE_BITSET_WORDS:
        _kernels.dominated_bits(*arrays)
        done = True
    else:
        done = _kernels.dominated(*arrays, int(max_work))
    if not done or int((~drop).sum()) < p:
        return np.zeros(A.shape[1], dtype=bool)
    return drop


def _random_starts(
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
    pool += _random_starts(prob, p, count=starts, deadline=t0 + 0.5 * budget, seed=seed)
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
    if _integral(prob.w):  # the optimum is a whole number
        bound = math.floor(bound + 1e-7)
    if lag.best_value > best_value:
        best_cols, best_value = lag.best_cols, lag.best_value
    swaps = fast.swaps
    if bound - best_value > 1e-9 * max(1.0, best_value):
        _, scores = lagrangian_value(prob, p, lag.lam)
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
    out = FastResult(
        selected=np.asarray(best_cols, dtype=np.int64),
        value=best_value,
        bound=max(bound, best_value),
        greedy_value=fast.greedy_value,
        swaps=swaps,
    )
    return out, lag.lam


def _integral(w: FloatArray) -> bool:
    return bool(np.all(w == np.round(w)))


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
    integral = _integral(prob.w)

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
