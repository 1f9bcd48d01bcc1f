"""The access-matrix engine: bulk shortest paths from sites, in chunks, up to a cutoff.

:func:`node_access_matrix` and :func:`node_nearest` work on node positions of a
:class:`~planner.network.CSRGraph`; :mod:`planner.access` snaps points, calls
them, and wraps the result in an :class:`~planner.access.AccessMatrix` (it also
re-exports both functions). Chunks of sites run on the compiled kernel of
:mod:`planner._dijkstra`, on threads of this process or on a Dask cluster; see
:mod:`planner.access` for the time rule and how it is computed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner._dask import broadcast, connect_scheduler, dask_client, wait_results
from planner._dijkstra import access_pairs, nearest_source
from planner._errors import InputError
from planner._progress import tqdm
from planner.network import CSRGraph

__all__ = ["check_cutoff_s", "connect_scheduler", "node_access_matrix", "node_nearest"]

# relative slack on Dijkstra's limit so that rounding never cuts a pair at the cutoff;
# the exact test ``time <= cutoff`` is applied afterwards
_LIMIT_SLACK = 1e-9


@dataclass(frozen=True)
class _Problem:
    """Everything a chunk needs, shared by the threads (or scattered once to Dask)."""

    indptr: np.ndarray  # reversed graph (edges point from a node to its predecessors), int64
    indices: np.ndarray  # int64
    weights: np.ndarray  # float64, seconds
    cutoff_s: float
    # demand points grouped by node: the points at node v are p in
    # point_start[v] <= p < point_start[v + 1], with their rows and access times
    point_start: np.ndarray
    point_rows: np.ndarray
    point_access: np.ndarray
    min_access: float  # the smallest demand access time
    rows32: bool  # demand rows fit in int32


@dataclass(frozen=True)
class _Chunk:
    """One chunk of sites: their columns, nodes and access times."""

    columns: np.ndarray
    nodes: np.ndarray
    access: np.ndarray


def _problem(
    graph: CSRGraph,
    demand_nodes: np.ndarray,
    demand_access: np.ndarray,
    cutoff_s: float,
) -> _Problem:
    reverse = graph.reverse()
    order = np.argsort(demand_nodes, kind="stable")
    point_start = np.zeros(graph.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(demand_nodes, minlength=graph.n), out=point_start[1:])
    rows32 = len(demand_nodes) < 2**31 - 1
    return _Problem(
        indptr=reverse.indptr.astype(np.int64),
        indices=reverse.indices.astype(np.int64),
        weights=reverse.weights.astype(np.float64),
        cutoff_s=float(cutoff_s),
        point_start=point_start,
        point_rows=order.astype(np.int32 if rows32 else np.int64),
        point_access=demand_access[order].astype(np.float64),
        min_access=float(demand_access.min()) if len(demand_access) else 0.0,
        rows32=rows32,
    )


def _solve_chunk(problem: _Problem, chunk: _Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return one chunk's entries: per site its count, then demand rows and times.

    Entries come grouped by site in the chunk's order (a CSC fragment). The search
    from a site stops at the cutoff less the site's and the smallest demand access
    time (with a hair of slack, so rounding never loses a pair); the exact test
    ``time <= cutoff`` is applied to each pair.
    """
    cutoff = problem.cutoff_s
    slack = cutoff - chunk.access - problem.min_access
    limits = np.where(
        slack < -_LIMIT_SLACK * cutoff,
        -1.0,  # the site's and the nearest demand's access legs alone exceed the cutoff
        np.maximum(slack, 0.0) * (1 + _LIMIT_SLACK) + _LIMIT_SLACK,
    )
    return access_pairs(
        problem.indptr,
        problem.indices,
        problem.weights,
        chunk.nodes,
        chunk.access,
        limits,
        cutoff,
        problem.point_start,
        problem.point_rows,
        problem.point_access,
        rows32=problem.rows32,
    )


def _run_chunks(
    problem: _Problem,
    chunks: list[_Chunk],
    *,
    n_jobs: int,
    scheduler: Any,
    progress: bool,
    scheduler_timeout_s: float | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield each chunk's result, in chunk order."""
    bar = tqdm(total=len(chunks), desc="access matrix", unit="chunk", disable=not progress)
    try:
        if scheduler is not None:
            client, own = dask_client(scheduler, timeout_s=scheduler_timeout_s)
            try:
                shared = broadcast(client, problem, timeout_s=scheduler_timeout_s)
                futures = client.map(_solve_chunk, [shared] * len(chunks), chunks, pure=False)
                # bounded: a cluster that loses its workers or its scheduler ends in an error
                for result in wait_results(
                    client, futures, timeout_s=scheduler_timeout_s, what="chunk"
                ):
                    yield result
                    bar.update()
            finally:
                if own:
                    client.close()
        elif n_jobs > 1 and len(chunks) > 1:
            # the kernel releases the GIL: threads share the graph and the results in place
            with ThreadPoolExecutor(max_workers=min(n_jobs, len(chunks))) as pool:
                for result in pool.map(partial(_solve_chunk, problem), chunks):
                    yield result
                    bar.update()
        else:
            for chunk in chunks:
                yield _solve_chunk(problem, chunk)
                bar.update()
    finally:
        bar.close()


def _auto_chunk_size(n_sources: int, n_jobs: int) -> int:
    """Chunks large enough to amortise a call, many enough to balance the threads."""
    return int(min(max(16, math.ceil(n_sources / (4 * max(n_jobs, 1)))), 1024))


def node_access_matrix(
    graph: CSRGraph,
    demand_nodes: np.ndarray | Sequence[int],
    site_nodes: np.ndarray | Sequence[int],
    *,
    cutoff_s: float,
    demand_access_s: np.ndarray | Sequence[float] | None = None,
    site_access_s: np.ndarray | Sequence[float] | None = None,
    chunk_size: int | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    scheduler_timeout_s: float | None = None,
    progress: bool = False,
) -> sp.csr_array:
    """Return the sparse demand × site travel times on CSR arrays, up to a cutoff.

    The engine behind :func:`access_matrix`, for callers that already have node
    positions. Entry ``(i, j)`` is ``demand_access_s[i] + d(demand_nodes[i] ->
    site_nodes[j]) + site_access_s[j]`` in seconds where that is ``<= cutoff_s``;
    explicit zeros are real times.

    Parameters
    ----------
    graph
        The mode's network (:meth:`planner.network.RoadNetwork.csr`); weights in seconds.
    demand_nodes, site_nodes
        Node positions (rows of ``graph``) of the demand points and sites.
    cutoff_s
        The largest time kept, in seconds (``> 0``).
    demand_access_s, site_access_s
        Off-network access times added at each end (default zero).
    chunk_size
        Sites per kernel call; default: four chunks per thread (16 to 1,024 sites).
    n_jobs
        Threads working on chunks (``1``: this thread only; ``-1``: one per core).
    scheduler
        A ``dask.distributed.Client`` or scheduler address to run chunks on
        instead (then ``n_jobs`` is ignored).
    scheduler_timeout_s
        Seconds allowed to reach the scheduler and find a worker (each step), and
        for a cluster that stops answering or has no worker while chunks run; then
        a :class:`~planner._errors.SchedulerError` (see :mod:`planner._dask`);
        ``None``: Dask's ``distributed.comm.timeouts.connect`` setting (30 s by
        default).
    progress
        Show a progress bar over chunks.

    Returns
    -------
    scipy.sparse.csr_array
        ``float64``, shape ``(len(demand_nodes), len(site_nodes))``, sorted indices.

    Examples
    --------
    >>> import numpy as np
    >>> from planner.network import CSRGraph
    >>> g = CSRGraph("walk", np.array([0, 1, 2, 2]), np.array([1, 2], dtype=np.int32),
    ...              np.array([60.0, 90.0]), np.array([10, 11, 12]))
    >>> node_access_matrix(g, [0, 1, 2], [2], cutoff_s=120).toarray().ravel().tolist()
    [0.0, 90.0, 0.0]
    """
    d_nodes = _positions(demand_nodes, graph.n, "demand_nodes")
    s_nodes = _positions(site_nodes, graph.n, "site_nodes")
    cutoff = check_cutoff_s(cutoff_s)
    d_access = _access(demand_access_s, len(d_nodes), "demand_access_s")
    s_access = _access(site_access_s, len(s_nodes), "site_access_s")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise InputError(
            f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}.",
            field="n_jobs",
        )
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise InputError(
            f"chunk_size must be a positive integer, got {chunk_size!r}.", field="chunk_size"
        )
    shape = (len(d_nodes), len(s_nodes))
    if 0 in shape:
        return _empty_csr(shape)
    problem = _problem(graph, d_nodes, d_access, cutoff)
    # chunks of consecutive columns; where sites share a node, columns go by node (then
    # by access time) so that the kernel runs one search for each run of them
    if len(np.unique(s_nodes)) < len(s_nodes):
        order = np.lexsort((s_access, s_nodes))
    else:
        order = np.arange(len(s_nodes))
    size = chunk_size or _auto_chunk_size(len(s_nodes), n_jobs)
    chunks = [
        _Chunk(cols, s_nodes[cols], s_access[cols])
        for cols in (order[i : i + size] for i in range(0, len(order), size))
    ]
    counts = np.zeros(shape[1], dtype=np.int64)
    rows_parts: list[np.ndarray] = []
    time_parts: list[np.ndarray] = []
    for chunk, (per_site, rows, times) in zip(
        chunks,
        _run_chunks(
            problem,
            chunks,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=progress,
            scheduler_timeout_s=scheduler_timeout_s,
        ),
        strict=True,
    ):
        counts[chunk.columns] = per_site
        rows_parts.append(rows)
        time_parts.append(times)
    return _assemble(shape, order, counts, rows_parts, time_parts)


def node_nearest(
    graph: CSRGraph,
    demand_nodes: np.ndarray | Sequence[int],
    site_nodes: np.ndarray | Sequence[int],
    *,
    cutoff_s: float | None = None,
    demand_access_s: np.ndarray | Sequence[float] | None = None,
    site_access_s: np.ndarray | Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return each demand point's nearest site and its time, by one multi-source Dijkstra.

    Much faster than a matrix when only the nearest site matters (no cutoff is
    needed). Every site starts the search at its node with its access time, so
    the rule is the one of :func:`node_access_matrix`. Of sites at one node the
    one with the smallest access time counts (the first column on ties); between
    equally near nodes the choice is Dijkstra's.

    Parameters
    ----------
    graph
        The mode's network; weights in seconds.
    demand_nodes, site_nodes
        Node positions of the demand points and sites.
    cutoff_s
        Ignore sites farther than this (seconds); ``None``: no limit.
    demand_access_s, site_access_s
        Off-network access times at each end (default zero).

    Returns
    -------
    tuple of numpy.ndarray
        The nearest site's column (``-1`` where none is reachable) and the time in
        seconds (``NaN`` where none).

    Examples
    --------
    >>> import numpy as np
    >>> from planner.network import CSRGraph
    >>> g = CSRGraph("walk", np.array([0, 1, 2, 2]), np.array([1, 2], dtype=np.int32),
    ...              np.array([60.0, 90.0]), np.array([10, 11, 12]))
    >>> site, time = node_nearest(g, [0, 1, 2], [1, 2])
    >>> site.tolist(), time.tolist()
    ([0, 0, 1], [60.0, 0.0, 0.0])
    """
    d_nodes = _positions(demand_nodes, graph.n, "demand_nodes")
    s_nodes = _positions(site_nodes, graph.n, "site_nodes")
    d_access = _access(demand_access_s, len(d_nodes), "demand_access_s")
    s_access = _access(site_access_s, len(s_nodes), "site_access_s")
    limit = np.inf if cutoff_s is None else check_cutoff_s(cutoff_s)
    column = np.full(len(d_nodes), -1, dtype=np.int64)
    times = np.full(len(d_nodes), np.nan)
    if len(d_nodes) == 0 or len(s_nodes) == 0:
        return column, times
    search = limit - float(d_access.min()) if np.isfinite(limit) else np.inf
    if search < 0:
        return column, times
    # one multi-source search on the reversed network, each site starting at its access
    # time; of sites at one node the kernel keeps the first with the smallest (by order)
    order = np.lexsort((np.arange(len(s_nodes)), s_access))
    reverse = graph.reverse()
    label, dist = nearest_source(
        reverse.indptr,
        reverse.indices,
        reverse.weights,
        s_nodes[order],
        s_access[order],
        search * (1 + _LIMIT_SLACK) + _LIMIT_SLACK if np.isfinite(search) else np.inf,
    )
    node_time = dist[d_nodes] + d_access
    ok = np.isfinite(node_time) & (node_time <= limit)
    column[ok] = order[label[d_nodes[ok]]]
    times[ok] = node_time[ok]
    return column, times


def _assemble(
    shape: tuple[int, int],
    order: np.ndarray,
    counts: np.ndarray,
    rows_parts: list[np.ndarray],
    time_parts: list[np.ndarray],
) -> sp.csr_array:
    """Build the CSR matrix from per-site fragments that arrived in ``order`` of columns."""
    rows = np.concatenate(rows_parts) if rows_parts else np.empty(0, np.int64)
    times = np.concatenate(time_parts) if time_parts else np.empty(0, np.float64)
    # the parts are no longer needed: let them go before the transposition copies
    rows_parts.clear()
    time_parts.clear()
    nnz = len(rows)
    if not np.array_equal(order, np.arange(len(order))):
        # fragments are grouped by column in ``order``: copy each group to its column's slot
        # (block by block: no index array as long as the entries)
        arrived = counts[order]
        start_arrived = (np.cumsum(arrived) - arrived).tolist()
        start_final = (np.cumsum(counts) - counts)[order].tolist()
        placed_rows = np.empty_like(rows)
        placed_times = np.empty_like(times)
        for a, f, size in zip(start_arrived, start_final, arrived.tolist(), strict=True):
            placed_rows[f : f + size] = rows[a : a + size]
            placed_times[f : f + size] = times[a : a + size]
        rows, times = placed_rows, placed_times
    indptr = np.zeros(shape[1] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    index_type = np.int32 if max(shape) < 2**31 and nnz < 2**31 else np.int64
    # CSC -> CSR keeps explicit zeros (format conversion never drops stored values)
    csc = sp.csc_array(
        (times, rows.astype(index_type, copy=False), indptr.astype(index_type)),
        shape=shape,
        copy=False,
    )
    matrix = sp.csr_array(csc.tocsr())
    matrix.sort_indices()
    return matrix


def _empty_csr(shape: tuple[int, int]) -> sp.csr_array:
    return sp.csr_array(
        (np.empty(0, np.float64), np.empty(0, np.int32), np.zeros(shape[0] + 1, np.int32)),
        shape=shape,
    )


def _positions(nodes: Any, n: int, name: str) -> np.ndarray:
    array = np.asarray(nodes)
    if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise InputError(f"{name} must be a 1-d array of node positions.", field=name)
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= n):
        raise InputError(
            f"{name} holds positions outside 0..{n - 1}.",
            field=name,
            fix="pass node positions (SnapResult.node_index), not OSM ids.",
        )
    return array


def _access(values: Any, length: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(length, dtype=np.float64)
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (length,) or not np.isfinite(array).all() or (array < 0).any():
        raise InputError(f"{name} must hold {length} finite non-negative seconds.", field=name)
    return array


def check_cutoff_s(cutoff_s: Any) -> float:
    """Return a cutoff as a positive, finite number of seconds, or raise naming it.

    Parameters
    ----------
    cutoff_s
        The cutoff (any number-like value).

    Returns
    -------
    float
        The cutoff in seconds.

    Raises
    ------
    InputError
        When it is not a positive, finite number.
    """
    try:
        value = float(cutoff_s)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(
            f"the cutoff must be a positive, finite time, got {cutoff_s!r}.",
            field="cutoff",
            fix="pass e.g. cutoff_min=15.",
        )
    return value
