"""Compiled bounded Dijkstra kernels on CSR arrays (private to :mod:`planner.access`).

``scipy.sparse.csgraph.dijkstra`` answers one source in ~150 µs on a city
network even when a cutoff leaves a thousand nodes in reach: it fills a dense
row of ``n`` distances per source, uses a Fibonacci heap and holds the GIL. The
kernels here run Dijkstra with a 4-ary heap (lazy deletion) on the CSR arrays,
touch only the nodes they reach (and reset only those between sources), emit
sparse results directly, and release the GIL, so several threads can run them
at once on one shared graph.

Distances are sums ``d(u) + w(u, v)`` taken along the path in path order, as
scipy and networkx do, so the distances are identical to theirs bit for bit.

The kernels are compiled on first use and cached on disk (numba ``cache=True``;
where the package folder is not writable numba uses its user-wide cache). Every
argument is converted to one fixed dtype at the Python boundary
(:func:`access_pairs`, :func:`nearest_source`), so each kernel is compiled once.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["access_pairs", "nearest_source"]

_INT = np.int64
_FLOAT = np.float64


# ------------------------------------------------------------------------ 4-ary heap
# A min-heap of (key, node) in two parallel arrays, the caller keeping its size. Four
# children per node make it half as deep as a binary heap, with the children side by
# side in memory: on road networks it pops about a third faster.
@numba.njit(cache=True, nogil=True)
def _push(keys, nodes, size, key, node):  # type: ignore[no-untyped-def]
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node
    return size + 1


@numba.njit(cache=True, nogil=True)
def _pop(keys, nodes, size):  # type: ignore[no-untyped-def]
    """Remove the root; return the new size (the root must be read before)."""
    size -= 1
    key = keys[size]
    node = nodes[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        best = first
        best_key = keys[first]
        for child in range(first + 1, min(first + 4, size)):
            if keys[child] < best_key:
                best_key = keys[child]
                best = child
        if best_key >= key:
            break
        keys[i] = best_key
        nodes[i] = nodes[best]
        i = best
    if size > 0:
        keys[i] = key
        nodes[i] = node
    return size


# ----------------------------------------------------------------- one bounded search
@numba.njit(cache=True, nogil=True)
def _settle(indptr, indices, weights, one_in, source, limit, dist, heap_k, heap_n, order, stack):  # type: ignore[no-untyped-def]
    """Run Dijkstra from ``source`` up to ``limit``; return how many nodes it settled.

    ``dist`` must hold ``inf`` for every node on entry; on return it holds the
    distances of the settled nodes, listed (in no particular order) in ``order``.
    Heap entries are never removed early: an entry is stale when its key exceeds
    the node's distance. Weights are ``>= 0``, so a settled node never improves
    again, and every node given a distance is settled (the search runs until the
    heap is empty): resetting the settled nodes to ``inf`` restores ``dist``.

    A node with one in-edge (``one_in``, about a quarter of a road network's
    nodes) has its final distance as soon as its predecessor is settled, so it is
    settled then, through ``stack``, without a trip through the heap; what it
    pushes is no nearer than its predecessor, so the heap still pops in order.
    """
    if limit < 0.0:
        return 0
    settled = 0
    dist[source] = 0.0
    size = _push(heap_k, heap_n, 0, 0.0, source)
    while size > 0:
        d = heap_k[0]
        u = heap_n[0]
        size = _pop(heap_k, heap_n, size)
        if d > dist[u]:
            continue
        stack[0] = u
        top = 1
        while top > 0:
            top -= 1
            x = stack[top]
            dx = dist[x]
            order[settled] = x
            settled += 1
            for e in range(indptr[x], indptr[x + 1]):
                v = indices[e]
                nd = dx + weights[e]
                if nd < dist[v] and nd <= limit:
                    dist[v] = nd
                    if one_in[v]:
                        stack[top] = v
                        top += 1
                    else:
                        size = _push(heap_k, heap_n, size, nd, v)
    return settled


# --------------------------------------------------------------------- access pairs
@numba.njit(cache=True, nogil=True)
def _access_pairs(  # type: ignore[no-untyped-def]
    indptr,
    indices,
    weights,
    sources,
    source_access,
    limits,
    cutoff,
    point_start,
    point_rows,
    point_access,
):
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    heap_k = np.empty(len(indices) + 1, dtype=np.float64)
    heap_n = np.empty(len(indices) + 1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    one_in = np.zeros(n, dtype=np.int64)
    for e in range(len(indices)):
        one_in[indices[e]] += 1
    one_in = one_in == 1
    k = len(sources)
    counts = np.zeros(k, dtype=np.int64)
    capacity = max(1024, 64 * k)
    rows = np.empty(capacity, dtype=point_rows.dtype)
    times = np.empty(capacity, dtype=np.float64)
    used = 0
    settled = 0
    for s in range(k):
        source = sources[s]
        # sources at one node in a row share one search (the first has the largest limit)
        if s == 0 or source != sources[s - 1]:
            for i in range(settled):
                dist[order[i]] = np.inf
            settled = _settle(
                indptr,
                indices,
                weights,
                one_in,
                source,
                limits[s],
                dist,
                heap_k,
                heap_n,
                order,
                stack,
            )
        acc = source_access[s]
        before = used
        for i in range(settled):
            u = order[i]
            first = point_start[u]
            last = point_start[u + 1]
            if first == last:
                continue
            with_site = dist[u] + acc
            for p in range(first, last):
                t = with_site + point_access[p]
                if t <= cutoff:
                    if used == capacity:
                        # room for the sources left at the mean so far, plus a quarter
                        mean = used / (s + 1) + 1.0
                        capacity = max(2 * capacity, int(1.25 * mean * k) + 1024)
                        grown_r = np.empty(capacity, dtype=point_rows.dtype)
                        grown_r[:used] = rows[:used]
                        rows = grown_r
                        grown_t = np.empty(capacity, dtype=np.float64)
                        grown_t[:used] = times[:used]
                        times = grown_t
                    rows[used] = point_rows[p]
                    times[used] = t
                    used += 1
        counts[s] = used - before
    return counts, rows[:used], times[:used]


def access_pairs(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    sources: np.ndarray,
    source_access: np.ndarray,
    limits: np.ndarray,
    cutoff: float,
    point_start: np.ndarray,
    point_rows: np.ndarray,
    point_access: np.ndarray,
    *,
    rows32: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the points within ``cutoff`` of each source, as sparse triples.

    For source ``s`` (a node) Dijkstra runs up to ``limits[s]``; each settled node
    ``u`` contributes its points ``p`` (``point_start[u] <= p < point_start[u + 1]``)
    with ``time = (d(s, u) + source_access[s]) + point_access[p]`` where that is
    ``<= cutoff``. Consecutive sources at one node share one search, so
    ``limits`` must not grow along such a run.

    ``rows32`` gives the rows as ``int32`` (they must fit), else ``int64``.

    Returns
    -------
    tuple of numpy.ndarray
        Per source, its number of entries; then ``point_rows[p]`` and the time of
        every entry, grouped by source in order (within a source, in no set order).
    """
    return _access_pairs(
        np.ascontiguousarray(indptr, dtype=_INT),
        np.ascontiguousarray(indices, dtype=_INT),
        np.ascontiguousarray(weights, dtype=_FLOAT),
        np.ascontiguousarray(sources, dtype=_INT),
        np.ascontiguousarray(source_access, dtype=_FLOAT),
        np.ascontiguousarray(limits, dtype=_FLOAT),
        float(cutoff),
        np.ascontiguousarray(point_start, dtype=_INT),
        np.ascontiguousarray(point_rows, dtype=np.int32 if rows32 else _INT),
        np.ascontiguousarray(point_access, dtype=_FLOAT),
    )


# ------------------------------------------------------------------ nearest source
@numba.njit(cache=True, nogil=True)
def _nearest_source(indptr, indices, weights, sources, start, limit):  # type: ignore[no-untyped-def]
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    label = np.full(n, -1, dtype=np.int64)
    heap_k = np.empty(len(indices) + len(sources) + 1, dtype=np.float64)
    heap_n = np.empty(len(indices) + len(sources) + 1, dtype=np.int64)
    size = 0
    for s in range(len(sources)):
        v = sources[s]
        if start[s] <= limit and start[s] < dist[v]:
            dist[v] = start[s]
            label[v] = s
            size = _push(heap_k, heap_n, size, start[s], v)
    while size > 0:
        d = heap_k[0]
        u = heap_n[0]
        size = _pop(heap_k, heap_n, size)
        if d > dist[u]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                label[v] = label[u]
                size = _push(heap_k, heap_n, size, nd, v)
    return label, dist


def nearest_source(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    sources: np.ndarray,
    start: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per node, the source it is nearest to and that distance (multi-source).

    Source ``s`` starts at node ``sources[s]`` with distance ``start[s]``; of
    sources at one node the first with the smallest start counts. Nodes farther
    than ``limit`` get ``-1`` and ``inf``.
    """
    return _nearest_source(
        np.ascontiguousarray(indptr, dtype=_INT),
        np.ascontiguousarray(indices, dtype=_INT),
        np.ascontiguousarray(weights, dtype=_FLOAT),
        np.ascontiguousarray(sources, dtype=_INT),
        np.ascontiguousarray(start, dtype=_FLOAT),
        float(limit),
    )
