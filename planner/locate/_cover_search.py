# ruff: noqa: N803, N806  (matrix names W, A follow the maths)
"""Cheap set covers by local search: greedy repair, exchange moves, perturbed restarts.

The covering form of :class:`~planner.locate.RestIntervalCoverage` (fewest or
cheapest sites serving every servable route) is a set cover of its windows;
:func:`cover_search` improves the greedy and LP-rounded covers. The inner loops
are compiled with numba.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@njit(cache=True, nogil=True)
def _exchange_pass(
    w_ptr: IntArray,
    w_idx: IntArray,
    t_ptr: IntArray,
    t_idx: IntArray,
    cost: FloatArray,
    chosen: BoolArray,
    cnt: IntArray,
) -> int:
    """One pass of exchange moves on a set cover; returns the number of moves made.

    For every chosen column ``j``: drop it if redundant; else try each column
    ``k`` that covers every row only ``j`` covers, swap ``j`` for ``k`` and drop
    the columns that become redundant. The move is kept when the cost falls,
    or stays equal while more rows become covered twice (so a later move can
    drop a column; this order is strict, so passes cannot cycle). ``chosen``
    and ``cnt`` (times each row is covered) are updated in place.
    """
    n_rows = w_ptr.size - 1
    n_cols = t_ptr.size - 1
    mark = np.zeros(n_rows, dtype=np.int64)
    seen = np.zeros(n_cols, dtype=np.int64)
    unique = np.empty(n_rows, dtype=np.int64)
    removed = np.empty(n_cols, dtype=np.int64)
    stamp = 0
    moves = 0
    order = np.flatnonzero(chosen)
    for j in order:
        if not chosen[j]:
            continue
        n_u = 0
        r0 = -1
        for q in range(t_ptr[j], t_ptr[j + 1]):
            r = t_idx[q]
            if cnt[r] == 1:
                unique[n_u] = r
                n_u += 1
                if r0 < 0 or w_ptr[r + 1] - w_ptr[r] < w_ptr[r0 + 1] - w_ptr[r0]:
                    r0 = r
        if n_u == 0:
            chosen[j] = False
            for q in range(t_ptr[j], t_ptr[j + 1]):
                cnt[t_idx[q]] -= 1
            moves += 1
            continue
        for qk in range(w_ptr[r0], w_ptr[r0 + 1]):
            k = w_idx[qk]
            if chosen[k]:
                continue
            stamp += 1
            for q in range(t_ptr[k], t_ptr[k + 1]):
                mark[t_idx[q]] = stamp
            ok = True
            for i in range(n_u):
                if mark[unique[i]] != stamp:
                    ok = False
                    break
            if not ok:
                continue
            # swap j for k, counting rows that go from once to twice covered
            gain2 = 0
            for q in range(t_ptr[j], t_ptr[j + 1]):
                r = t_idx[q]
                if cnt[r] == 2:
                    gain2 -= 1
                cnt[r] -= 1
            for q in range(t_ptr[k], t_ptr[k + 1]):
                r = t_idx[q]
                if cnt[r] == 1:
                    gain2 += 1
                cnt[r] += 1
            chosen[j] = False
            chosen[k] = True
            # drop chosen columns made redundant (they share a row with k)
            n_rem = 0
            saved = 0.0
            seen[k] = stamp
            for q in range(t_ptr[k], t_ptr[k + 1]):
                r = t_idx[q]
                for q2 in range(w_ptr[r], w_ptr[r + 1]):
                    j2 = w_idx[q2]
                    if not chosen[j2] or seen[j2] == stamp:
                        continue
                    seen[j2] = stamp
                    redundant = True
                    for q3 in range(t_ptr[j2], t_ptr[j2 + 1]):
                        if cnt[t_idx[q3]] < 2:
                            redundant = False
                            break
                    if redundant:
                        chosen[j2] = False
                        for q3 in range(t_ptr[j2], t_ptr[j2 + 1]):
                            cnt[t_idx[q3]] -= 1
                        removed[n_rem] = j2
                        n_rem += 1
                        saved += cost[j2]
            delta = cost[k] - cost[j] - saved
            tol = 1e-9 * max(1.0, cost[j])
            if delta < -tol or (n_rem == 0 and abs(delta) <= tol and gain2 > 0):
                moves += 1
                break
            # undo
            for i in range(n_rem):
                j2 = removed[i]
                chosen[j2] = True
                for q3 in range(t_ptr[j2], t_ptr[j2 + 1]):
                    cnt[t_idx[q3]] += 1
            for q in range(t_ptr[k], t_ptr[k + 1]):
                cnt[t_idx[q]] -= 1
            for q in range(t_ptr[j], t_ptr[j + 1]):
                cnt[t_idx[q]] += 1
            chosen[j] = True
            chosen[k] = False
    return moves


@njit(cache=True, nogil=True)
def _repair(
    w_ptr: IntArray,
    w_idx: IntArray,
    t_ptr: IntArray,
    t_idx: IntArray,
    cost: FloatArray,
    chosen: BoolArray,
    cnt: IntArray,
) -> None:
    """Cover every uncovered row again, greedily (most uncovered rows per cost)."""
    for r in range(w_ptr.size - 1):
        if cnt[r] > 0:
            continue
        best = -1
        best_score = -1.0
        for q in range(w_ptr[r], w_ptr[r + 1]):
            k = w_idx[q]
            if chosen[k]:
                continue
            n_new = 0
            for q2 in range(t_ptr[k], t_ptr[k + 1]):
                if cnt[t_idx[q2]] == 0:
                    n_new += 1
            score = n_new / cost[k]
            if score > best_score:
                best_score = score
                best = k
        chosen[best] = True
        for q2 in range(t_ptr[best], t_ptr[best + 1]):
            cnt[t_idx[q2]] += 1


def cover_search(
    W: sp.csr_array,
    cost: FloatArray,
    starts: Sequence[IntArray],
    *,
    deadline: float | None = None,
    rounds: int = 50,
    seed: int | None = None,
) -> tuple[IntArray, int]:
    """Find a cheap set cover of the rows of ``W``: repair, exchanges, perturbed restarts.

    Each start (columns; need not cover every row) is completed greedily
    (:func:`_repair`) and improved by exchange passes (:func:`_exchange_pass`)
    until none helps; the cheapest result is the incumbent. Then, for
    ``rounds`` rounds (or until ``deadline``), a twentieth of its columns (at
    least two) are dropped at random (``numpy.random.default_rng(seed)``, seed
    0 when None), the cover is repaired and improved again; a cover no dearer
    than the incumbent replaces it. Returns the best cover (columns, sorted)
    and the number of exchange moves and improving rounds.
    """
    W = sp.csr_array(W)
    W.sort_indices()
    WT = sp.csr_array(W.T.tocsr())
    WT.sort_indices()
    n_c = W.shape[1]
    w_ptr, w_idx = W.indptr.astype(np.int64), W.indices.astype(np.int64)
    t_ptr, t_idx = WT.indptr.astype(np.int64), WT.indices.astype(np.int64)
    c = np.ascontiguousarray(cost, dtype=np.float64)
    tol = 1e-9 * max(1.0, float(c.sum()))

    def descend(chosen: BoolArray, cnt: IntArray) -> int:
        _repair(w_ptr, w_idx, t_ptr, t_idx, c, chosen, cnt)
        moves = 0
        while deadline is None or time.perf_counter() <= deadline:
            made = _exchange_pass(w_ptr, w_idx, t_ptr, t_idx, c, chosen, cnt)
            moves += made
            if made == 0:
                break
        return moves

    best = np.zeros(0, dtype=np.bool_)
    best_cnt = np.zeros(0, dtype=np.int64)
    best_cost = math.inf
    total = 0
    for start in starts:
        cur = np.zeros(n_c, dtype=np.bool_)
        cur[start] = True
        cnt = np.asarray(W @ cur.astype(np.float64)).round().astype(np.int64)
        total += descend(cur, cnt)
        cur_cost = float(c[cur].sum())
        if cur_cost < best_cost - tol:
            best, best_cnt, best_cost = cur, cnt, cur_cost
    rng = np.random.default_rng(0 if seed is None else seed)
    for _ in range(rounds):
        if deadline is not None and time.perf_counter() > deadline:
            break
        cols = np.flatnonzero(best)
        if cols.size < 2:
            break
        cur, cnt = best.copy(), best_cnt.copy()
        drop = rng.choice(cols, size=max(2, cols.size // 20), replace=False)
        cur[drop] = False
        for j in drop:
            cnt[t_idx[t_ptr[j] : t_ptr[j + 1]]] -= 1
        total += descend(cur, cnt)
        cur_cost = float(c[cur].sum())
        if cur_cost <= best_cost + tol:
            total += int(cur_cost < best_cost - tol)
            best, best_cnt, best_cost = cur, cnt, cur_cost
    return np.flatnonzero(best).astype(np.int64), total
