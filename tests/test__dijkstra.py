"""Tests of planner._dijkstra: the compiled kernels against networkx and hand-solved graphs."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner._dijkstra import access_pairs, nearest_source


def csr(n: int, edges: list[tuple[int, int, float]]) -> tuple[np.ndarray, ...]:
    """CSR arrays keeping the fastest of parallel edges."""
    best: dict[tuple[int, int], float] = {}
    for u, v, w in edges:
        best[(u, v)] = min(w, best.get((u, v), math.inf))
    keys = sorted(best)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount([k[0] for k in keys], minlength=n), out=indptr[1:])
    indices = np.array([k[1] for k in keys], dtype=np.int64)
    weights = np.array([best[k] for k in keys], dtype=np.float64)
    return indptr, indices, weights


def one_point_per_node(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point ``p`` sits on node ``p`` with no access time."""
    return np.arange(n + 1, dtype=np.int64), np.arange(n, dtype=np.int64), np.zeros(n)


def pairs(
    graph: tuple[np.ndarray, ...],
    sources: list[int],
    limits: list[float],
    cutoff: float,
    *,
    source_access: list[float] | None = None,
    points: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[dict[int, float]]:
    """Run the kernel; return per source ``{row: time}`` (and check the grouping)."""
    n = len(graph[0]) - 1
    point_start, point_rows, point_access = points or one_point_per_node(n)
    counts, rows, times = access_pairs(
        *graph,
        np.array(sources, dtype=np.int64),
        np.array(source_access or [0.0] * len(sources)),
        np.array(limits, dtype=np.float64),
        cutoff,
        point_start,
        point_rows,
        point_access,
        rows32=False,
    )
    assert counts.sum() == len(rows) == len(times)
    out = []
    start = 0
    for count in counts:
        part = slice(start, start + count)
        chunk = dict(zip(rows[part].tolist(), times[part].tolist(), strict=True))
        assert len(chunk) == count  # no point twice for one source
        out.append(chunk)
        start += count
    return out


# ------------------------------------------------------------------------ hand-solved
def test_ties_zero_weights_and_the_cutoff_itself() -> None:
    # two equal ways 0 -> 3 (via 1 and via 2, 10 + 20 and 20 + 10 s), a zero-time edge
    # 3 -> 4, then 4 -> 5 in 5 s: node 5 is exactly 35 s away
    graph = csr(
        6, [(0, 1, 10.0), (1, 3, 20.0), (0, 2, 20.0), (2, 3, 10.0), (3, 4, 0.0), (4, 5, 5.0)]
    )
    (got,) = pairs(graph, [0], [35.0], 35.0)
    assert got == {0: 0.0, 1: 10.0, 2: 20.0, 3: 30.0, 4: 30.0, 5: 35.0}
    # a hair below: node 5 is out, the zero-time edge still reaches node 4
    (short,) = pairs(graph, [0], [35.0], 34.999)
    assert short == {0: 0.0, 1: 10.0, 2: 20.0, 3: 30.0, 4: 30.0}
    # a search limit below the cutoff stops the search itself
    (limited,) = pairs(graph, [0], [29.0], 100.0)
    assert limited == {0: 0.0, 1: 10.0, 2: 20.0}
    # a negative limit: no search at all, not even the source
    (none,) = pairs(graph, [0], [-1.0], 100.0)
    assert none == {}


def test_zero_weight_cycle_and_self_loop() -> None:
    # 0 <-> 1 at zero time, a self-loop on 1, then 1 -> 2 in 7 s
    graph = csr(3, [(0, 1, 0.0), (1, 0, 0.0), (1, 1, 0.0), (1, 2, 7.0)])
    assert pairs(graph, [1, 0], [10.0, 10.0], 10.0) == [
        {0: 0.0, 1: 0.0, 2: 7.0},
        {0: 0.0, 1: 0.0, 2: 7.0},
    ]


def test_sources_that_are_targets_and_duplicate_sources() -> None:
    # a line 0 -> 1 -> 2 -> 3, 10 s per edge; every node holds a point
    graph = csr(4, [(0, 1, 10.0), (1, 2, 10.0), (2, 3, 10.0)])
    # node 1 three times in a row (shared search; limits shrink along the run), then 0,
    # then 1 again (a new search); source access times shift the times
    got = pairs(
        graph,
        [1, 1, 1, 0, 1],
        [30.0, 15.0, 5.0, 30.0, 30.0],
        25.0,
        source_access=[0.0, 10.0, 20.0, 0.0, 5.0],
    )
    assert got == [
        {1: 0.0, 2: 10.0, 3: 20.0},
        {1: 10.0, 2: 20.0},  # 3 would be 30 s
        {1: 20.0},  # the shared search went further, the cutoff still binds
        {0: 0.0, 1: 10.0, 2: 20.0},
        {1: 5.0, 2: 15.0, 3: 25.0},  # 3 at exactly the cutoff is kept
    ]


def test_several_points_on_a_node_and_growing_output() -> None:
    # a two-way line of 40 nodes, 1 s per edge; 60 points per node (2,400 > the first
    # buffer), point p on node p // 60 with access time (p % 60) / 10 s
    n, per = 40, 60
    edges = [(i, i + 1, 1.0) for i in range(n - 1)] + [(i + 1, i, 1.0) for i in range(n - 1)]
    point_start = np.arange(0, n * per + 1, per, dtype=np.int64)
    rows = np.arange(n * per, dtype=np.int64)[::-1].copy()  # rows need not follow nodes
    access = (np.arange(n * per) % per) / 10.0
    got = pairs(csr(n, edges), [0, 20], [100.0, 100.0], 30.0, points=(point_start, rows, access))
    for source, found in zip([0, 20], got, strict=True):
        expected = {}
        for p in range(n * per):
            t = abs(p // per - source) + access[p]
            if t <= 30.0:
                expected[int(rows[p])] = t
        assert found == expected
    assert sum(len(found) for found in got) > 2 * 1024


def test_rows32_gives_int32_rows() -> None:
    graph = csr(2, [(0, 1, 1.0)])
    start, rows, access = one_point_per_node(2)
    counts, out_rows, times = access_pairs(
        *graph, np.array([0]), np.zeros(1), np.array([5.0]), 5.0, start, rows, access, rows32=True
    )
    assert out_rows.dtype == np.int32
    assert counts.tolist() == [2]
    assert sorted(zip(out_rows.tolist(), times.tolist(), strict=True)) == [(0, 0.0), (1, 1.0)]


def test_nearest_source_by_hand() -> None:
    # 0 -> 1 -> 2 -> 3, 10 s each; sources: A at node 0 (start 0), B at node 2 (start 15),
    # C at node 2 (start 15, tie with B: B is first), D at node 3 (start 0)
    graph = csr(4, [(0, 1, 10.0), (1, 2, 10.0), (2, 3, 10.0)])
    label, dist = nearest_source(
        *graph, np.array([0, 2, 2, 3]), np.array([0.0, 15.0, 15.0, 0.0]), math.inf
    )
    # node 2: A's 20 s against B's 15 s; node 3: D's 0 s
    assert label.tolist() == [0, 0, 1, 3]
    assert dist.tolist() == [0.0, 10.0, 15.0, 0.0]
    label, dist = nearest_source(*graph, np.array([0]), np.array([0.0]), 10.0)
    assert label.tolist() == [0, 0, -1, -1]
    assert dist.tolist() == [0.0, 10.0, math.inf, math.inf]


# ---------------------------------------------------------------- against networkx
@st.composite
def graphs(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 14))
    node = st.integers(0, n - 1)
    weight = st.one_of(
        st.just(0.0),
        st.integers(1, 20).map(float),  # integer times: ties and exact cutoff hits
        st.floats(0.001, 50.0, allow_nan=False, allow_infinity=False),
    )
    edges = draw(st.lists(st.tuples(node, node, weight), max_size=4 * n))
    sources = draw(st.lists(node, min_size=1, max_size=10))
    cutoff = draw(st.one_of(st.integers(0, 60).map(float), st.floats(0.0, 100.0)))
    return n, edges, sources, cutoff


def networkx_graph(n: int, edges: list[tuple[int, int, float]]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for u, v, w in edges:
        if not graph.has_edge(u, v) or graph[u][v]["weight"] > w:
            graph.add_edge(u, v, weight=w)
    return graph


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_access_pairs_equal_networkx_bit_for_bit(case) -> None:  # type: ignore[no-untyped-def]
    n, edges, sources, cutoff = case
    reference = networkx_graph(n, edges)
    got = pairs(csr(n, edges), sources, [cutoff] * len(sources), cutoff)
    for source, found in zip(sources, got, strict=True):
        expected = nx.single_source_dijkstra_path_length(reference, source, cutoff=cutoff)
        assert found == expected  # same pairs, same floats (sums in path order)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.data())
def test_nearest_source_equals_brute_force(case, data) -> None:  # type: ignore[no-untyped-def]
    n, edges, sources, cutoff = case
    starts = data.draw(
        st.lists(st.integers(0, 10).map(float), min_size=len(sources), max_size=len(sources))
    )
    limit = data.draw(st.sampled_from([math.inf, cutoff]))
    reference = networkx_graph(n, edges)
    label, dist = nearest_source(*csr(n, edges), np.array(sources), np.array(starts), limit)
    every = [nx.single_source_dijkstra_path_length(reference, s) for s in sources]
    for v in range(n):
        options = [starts[k] + every[k][v] for k in range(len(sources)) if v in every[k]]
        best = min(options, default=math.inf)
        if math.isinf(best) or best > limit:
            assert label[v] == -1
            assert dist[v] == math.inf
            continue
        assert dist[v] == pytest.approx(best, rel=1e-12, abs=1e-12)
        # the source named is one of the nearest
        assert options_of(every, starts, label[v], v) == pytest.approx(best, rel=1e-12, abs=1e-12)


def options_of(every: list[dict[int, float]], starts: list[float], k: int, v: int) -> float:
    return starts[k] + every[k][v]
