"""Tests of planner.access: exact travel times against networkx, chunking, I/O, bad input."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner._errors import InputError, NetworkError, SnapError
from planner.access import (
    AccessMatrix,
    access_matrix,
    nearest_sites,
    node_access_matrix,
    node_nearest,
)
from planner.network import CSRGraph, TravelMode
from tests.conftest import grid_network, metric_network, points_gdf

REL = 1e-9

# e-bike at 18 km/h (5 m/s) on every street; off-network legs at 3.6 km/h (1 m/s)
BIKE = TravelMode("bike", speed_kmh=18.0, access_speed_kmh=3.6)


# ----------------------------------------------------------------------------- helpers
def csr_from_edges(n: int, edges: list[tuple[int, int, float]]) -> CSRGraph:
    """A CSRGraph keeping the fastest of parallel edges (as RoadNetwork.csr does)."""
    best: dict[tuple[int, int], float] = {}
    for u, v, w in edges:
        best[(u, v)] = min(w, best.get((u, v), math.inf))
    keys = sorted(best)
    src = np.array([k[0] for k in keys], dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return CSRGraph(
        "m",
        indptr,
        np.array([k[1] for k in keys], dtype=np.int32),
        np.array([best[k] for k in keys], dtype=np.float64),
        np.arange(n, dtype=np.int64) + 100,
    )


def networkx_pairs(
    n: int,
    edges: list[tuple[int, int, float]],
    demand: np.ndarray,
    sites: np.ndarray,
    cutoff: float,
    d_acc: np.ndarray,
    s_acc: np.ndarray,
) -> dict[tuple[int, int], float]:
    """Expected entries by networkx's Dijkstra from each demand node (no shortcuts)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for u, v, w in edges:
        if not graph.has_edge(u, v) or graph[u][v]["w"] > w:
            graph.add_edge(u, v, w=w)
    out = {}
    for i, d in enumerate(demand):
        lengths = nx.single_source_dijkstra_path_length(graph, int(d), weight="w")
        for j, s in enumerate(sites):
            if int(s) in lengths:
                t = d_acc[i] + lengths[int(s)] + s_acc[j]
                if t <= cutoff * (1 + REL):
                    out[(i, j)] = t
    return out


def stored(matrix: sp.csr_array) -> np.ndarray:
    """Boolean mask of the stored entries (``nonzero()`` would hide explicit zeros)."""
    coo = matrix.tocoo()
    mask = np.zeros(matrix.shape, dtype=bool)
    mask[coo.row, coo.col] = True
    return mask


def pairs(matrix: sp.csr_array) -> set[tuple[int, int]]:
    coo = matrix.tocoo()
    return {(int(i), int(j)) for i, j in zip(coo.row, coo.col, strict=True)}


def assert_same_pairs(
    matrix: sp.csr_array, expected: dict[tuple[int, int], float], cutoff: float
) -> None:
    coo = matrix.tocoo()
    got = {(int(i), int(j)): float(t) for i, j, t in zip(coo.row, coo.col, coo.data, strict=True)}
    # a pair within rounding of the cutoff may fall either way; every other pair must match
    near = {k for k, t in expected.items() if abs(t - cutoff) <= REL * cutoff}
    assert set(got) - near == set(expected) - near
    for key, t in got.items():
        if key in expected:
            assert t == pytest.approx(expected[key], rel=REL, abs=1e-12)


# ---------------------------------------------------------------- property-based tests
@st.composite
def instances(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 12))
    weight = st.one_of(
        st.just(0.0),
        st.integers(1, 50).map(float),
        st.floats(0.01, 100.0, allow_nan=False, allow_infinity=False),
    )
    node = st.integers(0, n - 1)
    # directed edges: one-way streets, parallel edges, self-loops, disconnected parts
    edges = draw(st.lists(st.tuples(node, node, weight), max_size=3 * n))
    demand = np.array(draw(st.lists(node, min_size=1, max_size=15)), dtype=np.int64)
    sites = np.array(draw(st.lists(node, min_size=1, max_size=8)), dtype=np.int64)
    access = st.one_of(st.just(0.0), st.floats(0.0, 30.0))
    d_acc = np.array(draw(st.lists(access, min_size=len(demand), max_size=len(demand))))
    s_acc = np.array(draw(st.lists(access, min_size=len(sites), max_size=len(sites))))
    cutoff = draw(st.one_of(st.integers(1, 150).map(float), st.floats(0.5, 200.0)))
    chunk = draw(st.integers(1, 9))
    return n, edges, demand, sites, d_acc, s_acc, cutoff, chunk


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_matches_networkx_on_random_graphs(instance) -> None:  # type: ignore[no-untyped-def]
    n, edges, demand, sites, d_acc, s_acc, cutoff, chunk = instance
    graph = csr_from_edges(n, edges)
    matrix = node_access_matrix(
        graph,
        demand,
        sites,
        cutoff_s=cutoff,
        demand_access_s=d_acc,
        site_access_s=s_acc,
        chunk_size=chunk,
    )
    assert matrix.shape == (len(demand), len(sites))
    assert matrix.has_sorted_indices
    expected = networkx_pairs(n, edges, demand, sites, cutoff, d_acc, s_acc)
    assert_same_pairs(matrix, expected, cutoff)
    # chunking never changes a single value
    whole = node_access_matrix(
        graph, demand, sites, cutoff_s=cutoff, demand_access_s=d_acc, site_access_s=s_acc
    )
    assert (whole != matrix).nnz == 0
    assert np.array_equal(whole.indptr, matrix.indptr)
    assert np.array_equal(whole.indices, matrix.indices)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.booleans())
def test_nearest_matches_brute_force(instance, limited) -> None:  # type: ignore[no-untyped-def]
    n, edges, demand, sites, d_acc, s_acc, cutoff, _ = instance
    graph = csr_from_edges(n, edges)
    column, times = node_nearest(
        graph,
        demand,
        sites,
        cutoff_s=cutoff if limited else None,
        demand_access_s=d_acc,
        site_access_s=s_acc,
    )
    every = networkx_pairs(n, edges, demand, sites, math.inf, d_acc, s_acc)
    for i in range(len(demand)):
        options = {j: t for (row, j), t in every.items() if row == i}
        best = min(options.values(), default=math.inf)
        if limited and best > cutoff * (1 + REL):
            best = math.inf
        if math.isinf(best) or (limited and abs(best - cutoff) <= REL * cutoff):
            if math.isinf(best):
                assert column[i] == -1
                assert math.isnan(times[i])
            continue
        assert times[i] == pytest.approx(best, rel=REL, abs=1e-12)
        # the site chosen is one of the nearest
        assert options[int(column[i])] == pytest.approx(best, rel=REL, abs=1e-12)


def test_one_way_street_is_directed() -> None:
    # 0 -> 1 one-way (60 s), 1 -> 0 only around the block 1 -> 2 -> 0 (50 + 70 s)
    graph = csr_from_edges(3, [(0, 1, 60.0), (1, 2, 50.0), (2, 0, 70.0)])
    matrix = node_access_matrix(graph, [0, 1, 2], [0, 1], cutoff_s=1000)
    assert matrix.toarray().tolist() == [[0.0, 60.0], [120.0, 0.0], [70.0, 130.0]]
    # with a cutoff of 100 s the long ways are not stored, and the zeros are
    short = node_access_matrix(graph, [0, 1, 2], [0, 1], cutoff_s=100)
    assert short.nnz == 4
    assert sorted(pairs(short)) == [(0, 0), (0, 1), (1, 1), (2, 0)]


def test_explicit_zeros_survive_everything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    graph = csr_from_edges(3, [(0, 1, 0.0), (1, 2, 10.0), (2, 0, 20.0)])
    matrix = node_access_matrix(graph, [0, 1, 2], [1], cutoff_s=15, n_jobs=1)
    # node 0 -> 1 takes 0 s on a zero-time edge, node 1 is the site itself
    assert matrix.nnz == 2
    assert matrix.indices.tolist() == [0, 0]
    assert matrix.data.tolist() == [0.0, 0.0]
    assert np.diff(matrix.indptr).tolist() == [1, 1, 0]
    am = AccessMatrix(
        matrix,
        pd.Index(["a", "b", "c"]),
        pd.Index(["s"]),
        15.0,
        "m",
        pd.DataFrame(),
        pd.DataFrame(),
    )
    assert am.within(0.1).nnz == 2  # 6 s cutoff keeps both zeros
    back = AccessMatrix.load(am.save(tmp_path / "m.npz"))
    assert back.nnz == 2
    assert back.matrix.data.tolist() == [0.0, 0.0]
    nearest = am.nearest()
    assert nearest["time_s"].tolist()[:2] == [0.0, 0.0]
    assert nearest["site"].tolist()[:2] == ["s", "s"]
    assert pd.isna(nearest["site"].iloc[2])
    assert math.isnan(nearest["time_s"].iloc[2])


# ------------------------------------------------------------------- the time rule
def test_access_time_rule_on_a_hand_made_line() -> None:
    # a 200 m street 0 - 1 - 2 (100 m each); the bike rides it at 5 m/s
    net = metric_network({0: (0, 0), 1: (100, 0), 2: (200, 0)}, [(0, 1), (1, 2)], modes=[BIKE])
    demand = points_gdf([(0, 30), (100, -10), (205, 0)], index=pd.Index(["d0", "d1", "d2"]))
    sites = points_gdf([(200, 20), (0, 0)], index=pd.Index(["far_end", "start"]))
    am = access_matrix(net, demand, sites, mode="bike", cutoff_min=1.5)
    # d0: 30 m off node 0 (30 s) + 200 m (40 s) + 20 m off node 2 (20 s) = 90 s = the cutoff
    # d1: 10 s + 20 s + 20 s = 50 s to far_end; 10 s + 20 s + 0 s = 30 s to start
    # d2: 5 s + 0 s + 20 s = 25 s to far_end; 5 s + 40 s = 45 s to start
    expected = np.array([[90.0, 30.0], [50.0, 30.0], [25.0, 45.0]])
    assert am.matrix.toarray() == pytest.approx(expected, rel=1e-9)
    assert am.nnz == 6
    assert list(am.demand_index) == ["d0", "d1", "d2"]
    assert list(am.site_index) == ["far_end", "start"]
    assert am.demand_snap["access_s"].to_numpy() == pytest.approx([30.0, 10.0, 5.0], rel=1e-6)
    # one second less and the 90 s pair is gone
    tighter = access_matrix(net, demand, sites, mode="bike", cutoff_min=89 / 60)
    assert tighter.nnz == 5
    assert (0, 0) not in pairs(tighter.matrix)
    nearest = am.nearest()
    assert nearest["site"].tolist() == ["start", "start", "far_end"]
    assert nearest["time_s"].to_numpy() == pytest.approx([30.0, 30.0, 25.0], rel=1e-9)
    assert nearest["n_sites"].tolist() == [2, 2, 2]


@pytest.fixture(scope="module")
def grid():  # type: ignore[no-untyped-def]
    return grid_network(6, 7, 100.0, modes=[BIKE])


def _grid_points(seed: int, count: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return points_gdf(rng.uniform([-40, -40], [640, 540], size=(count, 2)))


def test_chunked_parallel_and_dask_are_identical(grid) -> None:  # type: ignore[no-untyped-def]
    demand, sites = _grid_points(1, 300), _grid_points(2, 40)
    base = access_matrix(grid, demand, sites, mode="bike", cutoff_min=2.0, chunk_size=40)
    assert base.nnz > 0
    variants = [
        access_matrix(grid, demand, sites, mode="bike", cutoff_min=2.0, chunk_size=3),
        access_matrix(grid, demand, sites, mode="bike", cutoff_min=2.0, chunk_size=7, n_jobs=2),
        access_matrix(grid, demand, sites, mode="bike", cutoff_min=2.0, chunk_size=2, n_jobs=-1),
    ]
    from dask.distributed import Client, LocalCluster

    with LocalCluster(
        processes=False, dashboard_address=":0", n_workers=1, threads_per_worker=2
    ) as cluster:
        with Client(cluster) as client:
            variants.append(
                access_matrix(
                    grid, demand, sites, mode="bike", cutoff_min=2.0, chunk_size=5, scheduler=client
                )
            )
        # an address: the function opens (and closes) its own client
        variants.append(
            access_matrix(
                grid,
                demand,
                sites,
                mode="bike",
                cutoff_min=2.0,
                chunk_size=4,
                scheduler=cluster.scheduler_address,
            )
        )
    with pytest.raises(InputError, match="scheduler must be"):
        access_matrix(grid, demand, sites, mode="bike", scheduler=42)
    for other in variants:
        assert np.array_equal(other.matrix.indptr, base.matrix.indptr)
        assert np.array_equal(other.matrix.indices, base.matrix.indices)
        assert np.array_equal(other.matrix.data, base.matrix.data)
    # and the grid numbers against networkx on the network's own graph
    expected = _networkx_times(grid, base)
    dense = base.matrix.toarray()
    mask = stored(base.matrix)
    assert np.array_equal(mask, expected <= base.cutoff_s)
    assert dense[mask] == pytest.approx(expected[mask], rel=REL)


def _networkx_times(network, am: AccessMatrix) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Dense demand × site times by networkx on the osmnx graph, with the access rule."""
    attr = network.mode(am.mode).attr

    def weight(u, v, data):  # type: ignore[no-untyped-def]
        w = min(d[attr] for d in data.values())
        return None if math.isinf(w) else w

    d_nodes = am.demand_snap.loc[am.demand_index, "node"].to_numpy()
    s_nodes = am.site_snap.loc[am.site_index, "node"].to_numpy()
    d_acc = am.demand_snap.loc[am.demand_index, "access_s"].to_numpy()
    s_acc = am.site_snap.loc[am.site_index, "access_s"].to_numpy()
    reverse = network.graph.reverse(copy=False)
    out = np.full(am.shape, np.inf)
    for j, s in enumerate(s_nodes):
        lengths = nx.single_source_dijkstra_path_length(reverse, s, weight=weight)
        for i, d in enumerate(d_nodes):
            if d in lengths:
                out[i, j] = d_acc[i] + lengths[d] + s_acc[j]
    return out


def test_nearest_sites_agrees_with_the_matrix(grid) -> None:  # type: ignore[no-untyped-def]
    demand, sites = _grid_points(11, 200), _grid_points(12, 15)
    near = nearest_sites(grid, demand, sites, mode="bike")
    assert near.index.equals(demand.index)
    assert near["time_s"].notna().all()
    am = access_matrix(grid, demand, sites, mode="bike", cutoff_min=20)  # every pair
    assert am.nnz == 200 * 15
    from_matrix = am.nearest()
    assert near["time_s"].to_numpy() == pytest.approx(from_matrix["time_s"].to_numpy(), rel=REL)
    assert (near["site"] == from_matrix["site"]).all()
    # with a cutoff, points farther than it get no site
    short = nearest_sites(grid, demand, sites, mode="bike", cutoff_min=0.5)
    beyond = near["time_s"] > 30
    assert beyond.any()
    assert short.loc[beyond, "site"].isna().all()
    assert short.loc[~beyond, "time_s"].to_numpy() == pytest.approx(
        near.loc[~beyond, "time_s"].to_numpy(), rel=REL
    )
    far = pd.concat([demand, points_gdf([(0, -3000)], index=pd.Index([999]))])
    excluded = nearest_sites(grid, far, sites, mode="bike", on_far="exclude")
    assert excluded.loc[999, "excluded"]
    assert pd.isna(excluded.loc[999, "site"])


def test_save_load_round_trip(grid, tmp_path) -> None:  # type: ignore[no-untyped-def]
    demand = _grid_points(3, 50)
    demand.index = pd.Index([f"p{i}" for i in range(50)], name="point")
    sites = _grid_points(4, 6)
    am = access_matrix(grid, demand, sites, mode="bike", cutoff_min=1.0)
    path = am.save(tmp_path / "sub" / "access.npz")
    assert path.is_file()
    assert list(path.parent.iterdir()) == [path]
    back = AccessMatrix.load(path)
    assert (back.matrix != am.matrix).nnz == 0
    assert back.nnz == am.nnz
    assert back.demand_index.equals(am.demand_index)
    assert back.demand_index.name == "point"
    assert back.site_index.equals(am.site_index)
    assert back.cutoff_s == am.cutoff_s
    assert back.mode == "bike"
    pd.testing.assert_frame_equal(back.demand_snap, am.demand_snap)
    pd.testing.assert_frame_equal(back.site_snap, am.site_snap)
    assert back.metadata == am.metadata
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not an access matrix file"):
        AccessMatrix.load(bad)


def test_within_and_select_sites(grid) -> None:  # type: ignore[no-untyped-def]
    demand, sites = _grid_points(5, 80), _grid_points(6, 10)
    wide = access_matrix(grid, demand, sites, mode="bike", cutoff_min=2.0)
    narrow = access_matrix(grid, demand, sites, mode="bike", cutoff_min=1.0)
    cut = wide.within(1.0)
    assert (cut.matrix != narrow.matrix).nnz == 0
    assert cut.nnz == narrow.nnz
    assert cut.cutoff_s == 60.0
    with pytest.raises(InputError, match="cannot widen"):
        narrow.within(2.0)
    picked = wide.select_sites([7, 2])
    assert picked.matrix.toarray() == pytest.approx(wide.matrix.toarray()[:, [7, 2]])
    assert list(picked.site_index) == [7, 2]
    frame = wide.to_frame()
    assert len(frame) == wide.nnz
    assert set(frame.columns) == {"demand", "site", "time_s"}


# ---------------------------------------------------------------------------- bad input
def test_bad_input_is_refused_or_reported(grid) -> None:  # type: ignore[no-untyped-def]
    demand, sites = _grid_points(7, 20), _grid_points(8, 4)
    with pytest.raises(InputError, match="cutoff must be a positive"):
        access_matrix(grid, demand, sites, mode="bike", cutoff_min=0)
    with pytest.raises(InputError, match="cutoff must be a positive"):
        access_matrix(grid, demand, sites, mode="bike", cutoff_min=-5)
    with pytest.raises(InputError, match="cutoff must be a positive"):
        access_matrix(grid, demand, sites, mode="bike", cutoff_min=float("nan"))
    with pytest.raises(InputError, match="demand is empty"):
        access_matrix(grid, demand.iloc[:0], sites, mode="bike")
    with pytest.raises(InputError, match="sites is empty"):
        access_matrix(grid, demand, np.empty((0, 2)), mode="bike")
    with pytest.raises(NetworkError, match=r"no travel mode 'truck'.*'bike'"):
        access_matrix(grid, demand, sites, mode="truck")
    with pytest.raises(InputError, match="on_far must be"):
        access_matrix(grid, demand, sites, mode="bike", on_far="drop")  # type: ignore[arg-type]
    # points off the network: 2 km away
    far_sites = pd.concat([sites, points_gdf([(2600, 0)], index=pd.Index([99]))])
    with pytest.raises(SnapError, match=r"sites: 1 of 5 points.*99 \(2,0"):
        access_matrix(grid, demand, far_sites, mode="bike")
    far_demand = pd.concat([demand, points_gdf([(0, -3000)], index=pd.Index(["x"]))])
    am = access_matrix(grid, far_demand, far_sites, mode="bike", on_far="exclude")
    assert am.shape == (20, 4)
    assert "x" not in am.demand_index
    assert 99 not in am.site_index
    excluded = am.excluded
    assert excluded[["role", "label"]].values.tolist() == [["demand", "x"], ["site", 99]]
    assert excluded["distance_m"].min() > 1900
    assert am.metadata["excluded_demand"] == 1
    assert am.metadata["excluded_sites"] == 1
    only_far = points_gdf([(0, -3000)])
    with pytest.raises(InputError, match="all 1 demand points lie beyond"):
        access_matrix(grid, only_far, sites, mode="bike", on_far="exclude")
    dup = pd.concat([sites, sites.iloc[:1]])
    with pytest.raises(InputError, match="duplicate index labels"):
        access_matrix(grid, demand, dup, mode="bike")
    g = grid.csr("bike")
    with pytest.raises(InputError, match="positions outside"):
        node_access_matrix(g, [0, g.n], [1], cutoff_s=10)
    with pytest.raises(InputError, match="n_jobs"):
        node_access_matrix(g, [0], [1], cutoff_s=10, n_jobs=0)
    with pytest.raises(InputError, match="site_access_s"):
        node_access_matrix(g, [0], [1], cutoff_s=10, site_access_s=[math.nan])


# ----------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_shenzhen_matches_networkx(shenzhen_network) -> None:  # type: ignore[no-untyped-def]
    net = shenzhen_network
    usable = net.usable_nodes("ebike")
    nodes = net.nodes_gdf().iloc[usable]
    rng = np.random.default_rng(3)
    sites = nodes.iloc[rng.choice(len(nodes), 50, replace=False)]
    am = access_matrix(net, nodes, sites, mode="ebike", cutoff_min=15, n_jobs=2)
    assert am.shape == (len(nodes), 50)
    assert (am.demand_snap["distance_m"] < 1e-6).all()  # every node snaps onto itself
    expected = _networkx_times(net, am)
    dense = am.matrix.toarray()
    mask = stored(am.matrix)
    assert mask.sum() == am.nnz
    assert np.array_equal(mask, expected <= 900.0)
    assert dense[mask] == pytest.approx(expected[mask], rel=REL)
    # each site is 0 s from its own node
    own = am.demand_index.get_indexer(sites.index)
    assert dense[own, np.arange(50)].tolist() == [0.0] * 50
    assert 0.05 < am.nnz / np.prod(am.shape) < 0.5


# ------------------------------------------------------------ a cluster that does not answer
def test_a_port_that_accepts_and_says_nothing_is_refused_in_time(grid, silent_server) -> None:  # type: ignore[no-untyped-def]
    """dask.distributed alone would wait here forever (its own timeout does not bound it)."""
    import dask

    from planner._errors import SchedulerError
    from planner.batch import check_scheduler

    demand, sites = _grid_points(1, 30), _grid_points(2, 4)
    csr = grid.csr("bike")
    with pytest.raises(SchedulerError, match="handshake never completed") as caught:
        node_access_matrix(
            csr,
            [0, 1, 2],
            [3],
            cutoff_s=60,
            scheduler=silent_server.address,
            scheduler_timeout_s=1.0,
        )
    message = str(caught.value)
    assert silent_server.address in message
    assert "within 1 s" in message
    assert "field 'scheduler'" in message
    assert "dask scheduler" in message
    assert isinstance(caught.value, InputError)  # the CLI reports it as bad input
    assert len(silent_server.accepted) >= 1  # the port did accept: the wait was the handshake
    # the front door takes its timeout from Dask's own setting, as users set it
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(SchedulerError, match="within 1 s"),
    ):
        access_matrix(grid, demand, sites, mode="bike", scheduler=silent_server.address)
    # the command line's early check (field named as the option)
    with pytest.raises(SchedulerError, match="field '--scheduler'"):
        check_scheduler(silent_server.address, timeout_s=1.0)
    with pytest.raises(InputError, match="scheduler timeout"):
        node_access_matrix(csr, [0], [1], cutoff_s=60, scheduler="tcp://x:1", scheduler_timeout_s=0)


def test_an_http_server_or_a_scheduler_without_workers_is_refused(grid) -> None:  # type: ignore[no-untyped-def]
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from dask.distributed import LocalCluster

    from planner._errors import SchedulerError

    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    http = HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    csr = grid.csr("bike")
    try:
        address = f"tcp://127.0.0.1:{http.server_address[1]}"
        with pytest.raises(SchedulerError, match=address):
            node_access_matrix(csr, [0], [1], cutoff_s=60, scheduler=address, scheduler_timeout_s=1)
    finally:
        http.shutdown()
        http.server_close()
    with (
        LocalCluster(processes=False, dashboard_address=":0", n_workers=0) as cluster,
        pytest.raises(SchedulerError, match="has no worker after 1 s"),
    ):
        node_access_matrix(
            csr,
            [0],
            [1],
            cutoff_s=60,
            scheduler=cluster.scheduler_address,
            scheduler_timeout_s=1,
        )
