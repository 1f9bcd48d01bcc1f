"""Compiled kernel for map matching: bounded Dijkstra, Viterbi and path reconstruction.

Private to :mod:`planner.routes`. One call matches a batch of trips; it holds no
Python objects and releases the GIL, so :func:`planner.routes.match_traces` runs
batches on threads.

The network is a CSR graph of the travel mode's edges (``indptr``, ``indices``;
edge ``j`` runs from the row it sits in to ``indices[j]``), with a length and a
free-flow time per edge. A trip is a run of steps (fixes); each step has a range
of candidates (an edge id, the fix's distance to the edge and the position of
its projection along the edge, in metres of edge length).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_INF = np.inf


@njit(cache=True, nogil=True)
def _heap_push(hk: FloatArray, hv: IntArray, size: int, key: float, val: int) -> int:
    i = size
    hk[i] = key
    hv[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if hk[parent] <= hk[i]:
            break
        hk[parent], hk[i] = hk[i], hk[parent]
        hv[parent], hv[i] = hv[i], hv[parent]
        i = parent
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(hk: FloatArray, hv: IntArray, size: int) -> tuple[float, int, int]:
    key = hk[0]
    val = hv[0]
    size -= 1
    hk[0] = hk[size]
    hv[0] = hv[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and hk[left + 1] < hk[left]:
            child = left + 1
        if hk[i] <= hk[child]:
            break
        hk[child], hk[i] = hk[i], hk[child]
        hv[child], hv[i] = hv[i], hv[child]
        i = child
    return key, val, size


@njit(cache=True, nogil=True)
def _search(
    src: int,
    limit_m: float,
    need: int,
    tmark: IntArray,
    stamp: int,
    indptr: IntArray,
    indices: IntArray,
    w_len: FloatArray,
    w_time: FloatArray,
    d_time: FloatArray,
    d_len: FloatArray,
    pred: IntArray,
    done: NDArray[np.bool_],
    touched: IntArray,
    hk: FloatArray,
    hv: IntArray,
) -> int:
    """Fastest paths from ``src``, driving at most ``limit_m`` metres.

    Stops once ``need`` distinct nodes marked ``tmark == stamp`` are settled.
    Leaves times, lengths (along the fastest path) and predecessors in the
    work arrays, which must hold ``inf`` / ``False`` on entry; returns how many
    nodes it touched (listed in ``touched``) so the caller can reset them.
    """
    n_touched = 1
    touched[0] = src
    d_time[src] = 0.0
    d_len[src] = 0.0
    pred[src] = -1
    size = _heap_push(hk, hv, 0, 0.0, src)
    found = 0
    while size > 0:
        key, u, size = _heap_pop(hk, hv, size)
        if done[u]:
            continue
        done[u] = True
        if tmark[u] == stamp:
            found += 1
            if found >= need:
                break
        base_len = d_len[u]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            if done[v]:
                continue
            new_len = base_len + w_len[j]
            if new_len > limit_m:
                continue
            new_time = key + w_time[j]
            if new_time < d_time[v]:
                if d_time[v] == _INF:
                    touched[n_touched] = v
                    n_touched += 1
                d_time[v] = new_time
                d_len[v] = new_len
                pred[v] = u
                size = _heap_push(hk, hv, size, new_time, v)
    return n_touched


@njit(cache=True, nogil=True)
def _reset(
    n_touched: int,
    touched: IntArray,
    d_time: FloatArray,
    done: NDArray[np.bool_],
) -> None:
    for k in range(n_touched):
        v = touched[k]
        d_time[v] = _INF
        done[v] = False


@njit(cache=True, nogil=True)
def _append(buf: IntArray, size: int, value: int) -> IntArray:
    if size >= buf.size:
        grown = np.empty(buf.size * 2, dtype=np.int64)
        grown[: buf.size] = buf
        buf = grown
    buf[size] = value
    return buf


@njit(cache=True, nogil=True)
def match_batch(
    indptr: IntArray,
    indices: IntArray,
    w_len: FloatArray,
    w_time: FloatArray,
    edge_u: IntArray,
    trip_ptr: IntArray,
    step_lo: IntArray,
    step_hi: IntArray,
    step_gc: FloatArray,
    step_dt: FloatArray,
    cand_edge: IntArray,
    cand_dist: FloatArray,
    cand_off: FloatArray,
    sigma: float,
    beta: float,
    tau: float,
    tol: float,
    pad_m: float,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Match a batch of trips.

    Parameters
    ----------
    indptr, indices, w_len, w_time
        The mode's CSR graph: edge ``j`` joins ``edge_u[j]`` to ``indices[j]``.
    edge_u
        Tail node of each edge.
    trip_ptr
        Trip ``r`` owns steps ``trip_ptr[r]:trip_ptr[r+1]`` (at least two).
    step_lo, step_hi
        Candidate range of each step (at least one candidate).
    step_gc, step_dt
        Straight-line distance (m) and time (s) from the previous step's fix.
    cand_edge, cand_dist, cand_off
        Candidate edge id, distance from the fix (m), position along the edge (m).
    sigma, beta
        GPS noise and transition scale (m).
    tau
        Scale (s) of the penalty on driving time beyond the time between the
        fixes at free-flow speed; ``<= 0`` turns it off.
    tol
        A candidate up to ``tol`` metres behind the previous one on the same
        edge is taken as standing still, not as a loop.
    pad_m
        The search for a transition drives at most ``2 * gc + pad_m`` metres.

    Returns
    -------
    tuple
        ``choice`` (candidate index per step), ``breaks`` per trip, and the
        node paths as ``path_ptr`` / ``path_nodes``.
    """
    n = indptr.size - 1
    n_trips = trip_ptr.size - 1
    n_steps = step_lo.size
    d_time = np.full(n, _INF)
    d_len = np.zeros(n)
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int64)
    tmark = np.full(n, -1, dtype=np.int64)
    hk = np.empty(indices.size + n + 1)
    hv = np.empty(indices.size + n + 1, dtype=np.int64)
    choice = np.full(n_steps, -1, dtype=np.int64)
    breaks = np.zeros(n_trips, dtype=np.int64)
    path_ptr = np.zeros(n_trips + 1, dtype=np.int64)
    nodes = np.empty(max(64, 8 * n_steps), dtype=np.int64)
    n_nodes = 0
    back = np.full(cand_edge.size, -1, dtype=np.int64)  # best previous candidate
    score = np.full(cand_edge.size, -_INF)
    broke = np.zeros(n_steps, dtype=np.bool_)  # no path reaches this step
    inv_2s2 = 0.5 / (sigma * sigma)
    stamp = 0
    max_k = 1
    for s in range(n_steps):
        max_k = max(max_k, step_hi[s] - step_lo[s])
    link_time = np.empty((max_k, max_k))
    link_len = np.empty((max_k, max_k))
    for r in range(n_trips):
        s0 = trip_ptr[r]
        s1 = trip_ptr[r + 1]
        for c in range(step_lo[s0], step_hi[s0]):
            score[c] = -inv_2s2 * cand_dist[c] ** 2
        for s in range(s0 + 1, s1):
            a_lo, a_hi = step_lo[s - 1], step_hi[s - 1]
            b_lo, b_hi = step_lo[s], step_hi[s]
            gc = step_gc[s]
            limit = 2.0 * gc + pad_m
            # mark the target nodes (tails of this step's candidate edges)
            stamp += 1
            need = 0
            for b in range(b_lo, b_hi):
                t = edge_u[cand_edge[b]]
                if tmark[t] != stamp:
                    tmark[t] = stamp
                    need += 1
            for a in range(a_lo, a_hi):
                ia = a - a_lo
                src = indices[cand_edge[a]]
                # reuse a search from the same head node
                same = -1
                for a2 in range(a_lo, a):
                    if indices[cand_edge[a2]] == src:
                        same = a2 - a_lo
                        break
                if same >= 0:
                    for ib in range(b_hi - b_lo):
                        link_time[ia, ib] = link_time[same, ib]
                        link_len[ia, ib] = link_len[same, ib]
                    continue
                nt = _search(
                    src, limit, need, tmark, stamp, indptr, indices, w_len, w_time,
                    d_time, d_len, pred, done, touched, hk, hv,
                )  # fmt: skip
                for b in range(b_lo, b_hi):
                    t = edge_u[cand_edge[b]]
                    if done[t]:
                        link_time[ia, b - b_lo] = d_time[t]
                        link_len[ia, b - b_lo] = d_len[t]
                    else:
                        link_time[ia, b - b_lo] = _INF
                        link_len[ia, b - b_lo] = _INF
                _reset(nt, touched, d_time, done)
            any_finite = False
            for b in range(b_lo, b_hi):
                eb = cand_edge[b]
                ob = cand_off[b]
                best = -_INF
                arg = -1
                for a in range(a_lo, a_hi):
                    if score[a] == -_INF:
                        continue
                    ea = cand_edge[a]
                    oa = cand_off[a]
                    if ea == eb and ob >= oa - tol:
                        route = max(ob - oa, 0.0)
                        time = route / w_len[ea] * w_time[ea] if w_len[ea] > 0 else 0.0
                    else:
                        mid = link_len[a - a_lo, b - b_lo]
                        if mid == _INF:
                            continue
                        rest_a = max(w_len[ea] - oa, 0.0)
                        route = rest_a + mid + ob
                        time = link_time[a - a_lo, b - b_lo]
                        if w_len[ea] > 0:
                            time += rest_a / w_len[ea] * w_time[ea]
                        if w_len[eb] > 0:
                            time += ob / w_len[eb] * w_time[eb]
                    value = score[a] - abs(route - gc) / beta
                    if tau > 0.0 and time > step_dt[s]:
                        value -= (time - step_dt[s]) / tau
                    if value > best:
                        best = value
                        arg = a
                back[b] = arg
                if arg >= 0:
                    any_finite = True
                    score[b] = best - inv_2s2 * cand_dist[b] ** 2
                else:
                    score[b] = -_INF
            if not any_finite:
                # no path joins the fixes: restart the chain here
                broke[s] = True
                for b in range(b_lo, b_hi):
                    score[b] = -inv_2s2 * cand_dist[b] ** 2
                    back[b] = -1
            else:
                broke[s] = False
        # backtrack
        last_lo, last_hi = step_lo[s1 - 1], step_hi[s1 - 1]
        k = last_lo
        for c in range(last_lo, last_hi):
            if score[c] > score[k]:
                k = c
        for s in range(s1 - 1, s0 - 1, -1):
            choice[s] = k
            if s == s0:
                break
            prev = back[k]
            if prev < 0:
                # chain restart: the best end of the previous stretch
                breaks[r] += 1
                prev = step_lo[s - 1]
                for c in range(step_lo[s - 1], step_hi[s - 1]):
                    if score[c] > score[prev]:
                        prev = c
            k = prev
        # node path
        start = n_nodes
        e0 = cand_edge[choice[s0]]
        nodes = _append(nodes, n_nodes, edge_u[e0])
        n_nodes += 1
        nodes = _append(nodes, n_nodes, indices[e0])
        n_nodes += 1
        for s in range(s0 + 1, s1):
            pc = choice[s - 1]
            c = choice[s]
            pe = cand_edge[pc]
            e = cand_edge[c]
            if pe == e and cand_off[c] >= cand_off[pc] - tol:
                continue
            src = indices[pe]
            tgt = edge_u[e]
            if src != tgt:
                stamp += 1
                tmark[tgt] = stamp
                limit = _INF if broke[s] else 2.0 * step_gc[s] + pad_m
                nt = _search(
                    src, limit, 1, tmark, stamp, indptr, indices, w_len, w_time,
                    d_time, d_len, pred, done, touched, hk, hv,
                )  # fmt: skip
                if done[tgt]:
                    # walk back from the target, then write the nodes in order
                    count = 0
                    v = tgt
                    while v != src:
                        count += 1
                        v = pred[v]
                    for _ in range(count):
                        nodes = _append(nodes, n_nodes, 0)
                        n_nodes += 1
                    v = tgt
                    for q in range(count):
                        nodes[n_nodes - 1 - q] = v
                        v = pred[v]
                else:
                    # disconnected: jump to the edge
                    nodes = _append(nodes, n_nodes, tgt)
                    n_nodes += 1
                _reset(nt, touched, d_time, done)
            nodes = _append(nodes, n_nodes, indices[e])
            n_nodes += 1
        # a trip that starts at the end of its first edge (or ends at the start of
        # its last) does not drive that edge
        c0 = choice[s0]
        c1 = choice[s1 - 1]
        lo = start
        hi = n_nodes
        if hi - lo > 2 and cand_off[c0] >= w_len[cand_edge[c0]] - sigma:
            lo += 1
        if hi - lo > 2 and cand_off[c1] <= sigma:
            hi -= 1
        # drop repeated consecutive nodes, compacting in place
        out = start
        for q in range(lo, hi):
            if out > start and nodes[out - 1] == nodes[q]:
                continue
            nodes[out] = nodes[q]
            out += 1
        n_nodes = out
        path_ptr[r + 1] = n_nodes
    return choice, breaks, path_ptr, nodes[:n_nodes].copy()
