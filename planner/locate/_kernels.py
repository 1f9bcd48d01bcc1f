"""Compiled inner loops of the fast solvers and the models (private to :mod:`planner.locate`).

Each kernel is one loop that numpy would spread over many small temporary
arrays: keeping the incremental state of greedy and swap moves
(:func:`state_add`, :func:`state_remove`, :func:`swap_extra`,
:func:`best_swap_dense`), dropping dominated columns (:func:`dominated_bits`,
:func:`dominated`), the subgradient steps of the Lagrangian bound
(:func:`subgradient_steps`), and two passes over the travel times
(:func:`coverage_rows`, :func:`nearest_open`) and the first gains of the greedy
(:func:`initial_gains`), each row's best selected value (:func:`row_best`), and the
hash of row patterns (:func:`pattern_hash`). They
are compiled on first use
and cached on disk (numba ``cache=True``); a fresh process loads them in about
0.3 s, once. They take the arrays of scipy's CSR as they are (``int32`` or
``int64`` indices), so no index array is copied.

Every kernel is checked in ``tests/test_locate_kernels.py`` against the numpy
expression it replaces or a brute-force answer.
"""

# ruff: noqa: N806  (L is the Lagrangian, as in the maths)
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def state_add(j, bt_ptr, bt_idx, bt_dat, b_ptr, b_idx, b_dat, w, b1, c1, b2, c2, gains):  # type: ignore[no-untyped-def]
    """Add column ``j`` to the top-two state of every row it reaches; return the value gained.

    ``b1, c1`` (``b2, c2``) are each row's best (second best) value and column
    (-1: the base); ``gains[t]`` is what column ``t`` would add now, kept exact
    by touching only the rows whose best value rises.
    """
    delta = 0.0
    for k in range(bt_ptr[j], bt_ptr[j + 1]):
        r = bt_idx[k]
        v = bt_dat[k]
        if v > b1[r]:
            old = b1[r]
            wr = w[r]
            for q in range(b_ptr[r], b_ptr[r + 1]):
                d = b_dat[q]
                if d > old:
                    gains[b_idx[q]] -= wr * ((d - old) - max(d - v, 0.0))
            delta += wr * (v - old)
            b2[r] = old
            c2[r] = c1[r]
            b1[r] = v
            c1[r] = j
        elif v > b2[r]:
            b2[r] = v
            c2[r] = j
    return delta


@numba.njit(cache=True, nogil=True)
def state_remove(s, selected, base, bt_ptr, bt_idx, b_ptr, b_idx, b_dat, w, b1, c1, b2, c2, gains):  # type: ignore[no-untyped-def]
    """Take column ``s`` (already unflagged in ``selected``) out of the state; return the change.

    The rows where ``s`` was best or second best get their top two again from
    the selected columns and the base (the base loses ties; equal columns keep
    row order), and the gains of their columns are corrected.
    """
    delta = 0.0
    for k in range(bt_ptr[s], bt_ptr[s + 1]):
        r = bt_idx[k]
        if c1[r] != s and c2[r] != s:
            continue
        v1 = -np.inf
        v2 = -np.inf
        k1 = -1
        k2 = -1
        for q in range(b_ptr[r], b_ptr[r + 1]):
            col = b_idx[q]
            if not selected[col]:
                continue
            d = b_dat[q]
            if d > v1:
                v2, k2 = v1, k1
                v1, k1 = d, col
            elif d > v2:
                v2, k2 = d, col
        bb = base[r]
        if bb > v1:
            v2, k2 = v1, k1
            v1, k1 = bb, -1
        elif bb > v2:
            v2, k2 = bb, -1
        if v2 == -np.inf:  # the base alone
            v2, k2 = v1, -1
        old = b1[r]
        if v1 != old:
            wr = w[r]
            for q in range(b_ptr[r], b_ptr[r + 1]):
                d = b_dat[q]
                if d > v1:
                    gains[b_idx[q]] -= wr * (max(d - old, 0.0) - (d - v1))
            delta += wr * (v1 - old)
        b1[r] = v1
        c1[r] = k1
        b2[r] = v2
        c2[r] = k2
    return delta


@numba.njit(cache=True, nogil=True)
def swap_extra(indptr, indices, data, w, b1, b2, slot_of_best, rows, out):  # type: ignore[no-untyped-def]
    """Add ``w_i (max(B_ij - b2_i, 0) - max(B_ij - b1_i, 0))`` to ``out[slot(best_i), j]``."""
    for i in rows:
        s = slot_of_best[i]
        hi, lo = b1[i], b2[i]
        wi = w[i]
        for k in range(indptr[i], indptr[i + 1]):
            v = data[k]
            if v > lo:
                out[s, indices[k]] += wi * ((v - lo) - max(v - hi, 0.0))


@numba.njit(cache=True, nogil=True)
def best_swap_dense(table, gains, selected, loss, chosen, blocked_in, blocked_out, floor):  # type: ignore[no-untyped-def]
    """Best swap ``(s out, t in, change)`` from a dense extra-gain table (tabu rules).

    The change of swapping ``chosen[a]`` for free ``t`` is
    ``table[a, t] + gains[t] - loss[a]``. The best move touching no blocked
    column wins, unless the best of all moves beats both it and ``floor`` (the
    change that sets a new best value: aspiration). Ties go to the first move
    in row-major order. ``(-1, -1, -inf)`` when there is no move.
    """
    any_v, any_s, any_t = -np.inf, -1, -1
    ok_v, ok_s, ok_t = -np.inf, -1, -1
    for a in range(chosen.size):
        out_ok = not blocked_out[chosen[a]]
        la = loss[a]
        for t in range(gains.size):
            if selected[t]:
                continue
            v = table[a, t] + gains[t] - la
            if v > any_v:
                any_v, any_s, any_t = v, chosen[a], t
            if out_ok and v > ok_v and not blocked_in[t]:
                ok_v, ok_s, ok_t = v, chosen[a], t
    if ok_s < 0 or any_v > max(ok_v, floor):
        return any_s, any_t, any_v
    return ok_s, ok_t, ok_v


@numba.njit(cache=True, nogil=True)
def dominated(r_ptr, r_col, c_ptr, c_row, drop, max_work):  # type: ignore[no-untyped-def]
    """Flag each column whose rows are a subset of another column's (ties: the later one).

    For column ``j`` the candidate dominators start as the columns of its
    sparsest row and are intersected with the columns of its other rows
    (sparsest first) until none is left or every row is seen. Gives up (returns
    False) once it has touched more than ``max_work`` entries.
    """
    n_cols = c_ptr.size - 1
    deg = np.diff(r_ptr)
    size = np.diff(c_ptr)
    stamp = np.zeros(n_cols, dtype=np.int64)
    tag = 0
    cand = np.empty(n_cols, dtype=np.int64)
    work = 0
    for j in range(n_cols):
        sj = size[j]
        if sj == 0:
            continue
        rows = c_row[c_ptr[j] : c_ptr[j + 1]]
        order = np.argsort(deg[rows])
        r0 = rows[order[0]]
        work += r_ptr[r0 + 1] - r_ptr[r0]
        n_c = 0
        for t in range(r_ptr[r0], r_ptr[r0 + 1]):
            k = r_col[t]
            if k != j and (size[k] > sj or (size[k] == sj and k < j)):
                cand[n_c] = k
                n_c += 1
        for q in range(1, order.size):
            if n_c == 0:
                break
            r = rows[order[q]]
            work += r_ptr[r + 1] - r_ptr[r] + n_c
            if work > max_work:
                return False
            tag += 1
            for t in range(r_ptr[r], r_ptr[r + 1]):
                stamp[r_col[t]] = tag
            m = 0
            for u in range(n_c):
                if stamp[cand[u]] == tag:
                    cand[m] = cand[u]
                    m += 1
            n_c = m
        if n_c > 0:
            drop[j] = True
    return True


@numba.njit(cache=True, nogil=True)
def dominated_bits(r_ptr, r_col, c_ptr, c_row, drop):  # type: ignore[no-untyped-def]
    """Flag the same columns as :func:`dominated`, testing subsets on row bitsets.

    The candidate dominators of ``j`` are the columns of its sparsest row; each
    is tested on the words spanning ``j``'s rows. Costs ``n_cols * ceil(n_rows / 64)``
    words of memory, so it suits problems with few (merged) rows: dense coverage,
    where the intersection test of :func:`dominated` touches too many entries.
    """
    n_rows = r_ptr.size - 1
    n_cols = c_ptr.size - 1
    words = (n_rows + 63) // 64
    bits = np.zeros((n_cols, words), dtype=np.uint64)
    one = np.uint64(1)
    for j in range(n_cols):
        for t in range(c_ptr[j], c_ptr[j + 1]):
            r = c_row[t]
            bits[j, r >> 6] |= one << np.uint64(r & 63)
    size = np.diff(c_ptr)
    for j in range(n_cols):
        sj = size[j]
        if sj == 0:
            continue
        r0 = c_row[c_ptr[j]]
        lo = r0
        hi = r0
        for t in range(c_ptr[j], c_ptr[j + 1]):
            r = c_row[t]
            if r_ptr[r + 1] - r_ptr[r] < r_ptr[r0 + 1] - r_ptr[r0]:
                r0 = r
            lo = min(lo, r)
            hi = max(hi, r)
        for t in range(r_ptr[r0], r_ptr[r0 + 1]):
            k = r_col[t]
            if k == j or not (size[k] > sj or (size[k] == sj and k < j)):
                continue
            subset = True
            for q in range(lo >> 6, (hi >> 6) + 1):
                if bits[j, q] & ~bits[k, q]:
                    subset = False
                    break
            if subset:
                drop[j] = True
                break


@numba.njit(cache=True, nogil=True)
def _top_indices(c, p):  # type: ignore[no-untyped-def]
    """Return the indices of the ``p`` largest values of ``c`` (ties: lowest index first)."""
    n = c.size
    out = np.empty(p, dtype=np.int64)
    if p == 0:
        return out
    thr = np.partition(c, n - p)[n - p]  # the p-th largest value
    k = 0
    for j in range(n):
        if c[j] > thr:
            out[k] = j
            k += 1
    for j in range(n):
        if k == p:
            break
        if c[j] == thr:
            out[k] = j
            k += 1
    return out


@numba.njit(cache=True, nogil=True)
def subgradient_steps(  # type: ignore[no-untyped-def]
    at_ptr, at_idx, w, lam, best_lam, best_cols, direction, state, p, patience, deflect, tol, steps
):
    """Run up to ``steps`` deflected subgradient steps on the Lagrangian of max coverage.

    ``L(lam) = sum_g max(0, w_g - lam_g) + (sum of the p largest c_j)`` with
    ``c_j = sum_{g in N(j)} lam_g``; the top-p columns of each step are scored
    as a plan. The subgradient is projected on the box ``0 <= lam <= w`` (a
    component that would only push a multiplier past its bound is zero) and
    deflected: the step follows ``d = g + deflect * d_previous`` (heavy ball),
    which damps the zigzag of the plain method; the step size is Polyak's,
    ``mu (L - best value) / |d|^2``. ``state`` holds ``[mu, stall, best bound,
    best value, steps done, finished]`` and is updated in place with ``lam``,
    ``direction``, ``best_lam`` (the multipliers of the best bound) and
    ``best_cols`` (the best plan met, when it beat the starting value).
    Returns True when the method has finished (bound within ``tol`` of the
    best value, step size spent, or a zero direction).
    """
    n = at_ptr.size - 1
    m = w.size
    c = np.empty(n)
    cov = np.zeros(m)
    mu, stall, best_bound, best_value = state[0], state[1], state[2], state[3]
    finished = False
    for _ in range(steps):
        state[4] += 1
        for j in range(n):  # four sums at once: one add chain would wait on each add
            hi = at_ptr[j + 1]
            k = at_ptr[j]
            a0 = a1 = a2 = a3 = 0.0
            while k + 4 <= hi:
                a0 += lam[at_idx[k]]
                a1 += lam[at_idx[k + 1]]
                a2 += lam[at_idx[k + 2]]
                a3 += lam[at_idx[k + 3]]
                k += 4
            while k < hi:
                a0 += lam[at_idx[k]]
                k += 1
            c[j] = (a0 + a1) + (a2 + a3)
        top = _top_indices(c, p)
        L = 0.0
        for r in range(m):
            if w[r] > lam[r]:
                L += w[r] - lam[r]
        for t in top:
            L += c[t]
        cov[:] = 0.0
        for t in top:
            for k in range(at_ptr[t], at_ptr[t + 1]):
                cov[at_idx[k]] += 1.0
        value = 0.0
        for r in range(m):
            if cov[r] > 0:
                value += w[r]
        if value > best_value:
            best_value = value
            best_cols[:] = top
        if best_bound - 1e-12 * max(1.0, abs(L)) > L:
            best_bound = L
            best_lam[:] = lam
            stall = 0
        else:
            stall += 1
            if stall >= patience:
                mu, stall = mu / 2, 0
        if best_bound - best_value <= max(tol, 1e-9 * max(1.0, abs(best_value))) or mu < 1e-4:
            finished = True
            break
        norm = 0.0
        for r in range(m):
            g = cov[r] - (1.0 if w[r] > lam[r] else 0.0)
            if (g > 0.0 and lam[r] <= 0.0) or (g < 0.0 and lam[r] >= w[r]):
                g = 0.0  # the box stops this multiplier: no move, no share of the step
            direction[r] = g + deflect * direction[r]
            norm += direction[r] * direction[r]
        if norm == 0:
            finished = True
            break
        step = mu * (L - best_value) / norm
        for r in range(m):
            lam[r] = min(max(lam[r] - step * direction[r], 0.0), w[r])
    state[0], state[1], state[2], state[3] = mu, stall, best_bound, best_value
    state[5] = 1.0 if finished else 0.0
    return finished


@numba.njit(cache=True, nogil=True)
def coverage_rows(indptr, indices, data, cutoff, existing, w):  # type: ignore[no-untyped-def]
    """Build the coverage pattern of the rows a new site could still win, in one pass.

    A row is kept when it has a site within ``cutoff`` (stored zeros count),
    none of them existing, and a positive weight. Returns ``row_ids``, the CSR
    ``indptr``/``indices`` of the kept rows over the candidate (non-existing)
    columns renumbered in order, and per row the flags ``reach`` (any site
    within the cutoff) and ``by_existing`` (an existing site within it).
    """
    n = indptr.size - 1
    reach = np.zeros(n, dtype=np.bool_)
    by_existing = np.zeros(n, dtype=np.bool_)
    counts = np.zeros(n, dtype=np.int64)
    for r in range(n):
        c = 0
        for k in range(indptr[r], indptr[r + 1]):
            if data[k] <= cutoff:
                reach[r] = True
                if existing[indices[k]]:
                    by_existing[r] = True
                else:
                    c += 1
        counts[r] = c
    col_map = np.full(existing.size, -1, dtype=np.int64)
    m = 0
    for j in range(existing.size):
        if not existing[j]:
            col_map[j] = m
            m += 1
    n_rows = 0
    for r in range(n):
        if reach[r] and not by_existing[r] and w[r] > 0:
            n_rows += 1
    row_ids = np.empty(n_rows, dtype=np.int64)
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    q = 0
    for r in range(n):
        if reach[r] and not by_existing[r] and w[r] > 0:
            row_ids[q] = r
            ptr[q + 1] = ptr[q] + counts[r]
            q += 1
    idx = np.empty(ptr[n_rows], dtype=np.int32)
    for q in range(n_rows):
        r = row_ids[q]
        t = ptr[q]
        for k in range(indptr[r], indptr[r + 1]):
            if data[k] <= cutoff:
                idx[t] = col_map[indices[k]]
                t += 1
    return row_ids, ptr, idx, reach, by_existing


@numba.njit(cache=True, nogil=True)
def nearest_open(indptr, indices, data, open_mask, site, best):  # type: ignore[no-untyped-def]
    """Write each row's nearest open column and its time (first stored on ties; -1 / inf: none)."""
    for r in range(indptr.size - 1):
        b = np.inf
        s = -1
        for k in range(indptr[r], indptr[r + 1]):
            if open_mask[indices[k]] and data[k] < b:
                b = data[k]
                s = indices[k]
        site[r] = s
        best[r] = b


@numba.njit(cache=True, nogil=True)
def initial_gains(indptr, indices, data, w, b1, gains):  # type: ignore[no-untyped-def]
    """Add ``w[r] * max(data - b1[r], 0)`` of every entry to its column's gain, in entry order.

    The same sums, in the same order, as ``numpy.bincount(indices, weights=...)``
    over the entries (a zero term changes no sum), without the four temporary
    arrays as long as the entries that the numpy expression needs.
    """
    for r in range(indptr.size - 1):
        wr = w[r]
        br = b1[r]
        for k in range(indptr[r], indptr[r + 1]):
            d = data[k] - br
            if d > 0.0:
                gains[indices[k]] += wr * d


@numba.njit(cache=True, nogil=True)
def pattern_hash(indptr, indices, mult, out):  # type: ignore[no-untyped-def]
    """Per row, the sum (mod 2**64) of ``mult`` over its columns: a hash of its pattern."""
    for r in range(indptr.size - 1):
        h = np.uint64(0)
        for k in range(indptr[r], indptr[r + 1]):
            h += mult[indices[k]]
        out[r] = h


@numba.njit(cache=True, nogil=True)
def row_best(indptr, indices, data, selected, base, best, arg):  # type: ignore[no-untyped-def]
    """Write each row's best value over the selected columns and the base, and its column.

    The rule of ``problem._top2``: the largest value; on ties the first stored
    column, and a column before the base (``-1``: the base is strictly best, or
    no selected column is stored in the row).
    """
    for r in range(indptr.size - 1):
        b = base[r]
        a = -1
        for k in range(indptr[r], indptr[r + 1]):
            col = indices[k]
            if selected[col]:
                v = data[k]
                if (a == -1 and v >= b) or v > b:
                    b = v
                    a = col
        best[r] = b
        arg[r] = a
