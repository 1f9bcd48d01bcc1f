"""Benchmark the access matrix against networkx, bare scipy and pandana.

Run from the repository root::

    python benchmarks/bench_access.py            # the full benchmark (a few minutes)
    python benchmarks/bench_access.py --quick    # 500 sites, fewer repeats

The instance is the shared one (../shared/BENCHMARKS.md): the Shenzhen
Futian-Nanshan network, e-bike at 15 km/h on edge length with no exclusions, all
nodes as demand, sites drawn with ``default_rng(42).choice(n, 2000, replace=False)``,
times demand -> site within 15 minutes. Baselines, measured in the same run:

* networkx: ``single_source_dijkstra_path_length`` from each site on the reversed
  graph with ``cutoff`` (what osmnx users do today), on a DiGraph with the fastest
  of parallel edges (the ratios printed) and on the osmnx MultiDiGraph itself;
* bare scipy: one ``scipy.sparse.csgraph.dijkstra`` call from all sites on one core
  with ``limit`` (dense output; the floor of this stack);
* pandana 0.8 (if installed): a contraction hierarchy built with ``twoway=False``
  on the reversed edges, ``nodes_in_range`` from the sites; it truncates edge
  times to milliseconds, so pairs at the cutoff may differ.

planner runs its compiled kernel (planner._dijkstra) on 1 thread and on
``--jobs`` threads. Times are the best of ``--repeat`` runs (other processes
share this machine: CPU times are printed too). Peak memory is the growth of the
resident set during one call in a fresh process that holds only the CSR arrays
(the kernel allocates outside Python, so ``tracemalloc`` would not see it).

Service areas are timed per site against the first implementation (every
reached piece buffered, each direction of a two-way street separately, and all
merged), rebuilt here, on the same stations.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.access import access_matrix, node_access_matrix, node_nearest  # noqa: E402
from planner.network import RoadNetwork, TravelMode, network_from_osm  # noqa: E402

SHENZHEN = ROOT.parent / "shared" / "data" / "shenzhen" / "futian_nanshan_drive.osm.bz2"
MODE = TravelMode("ebike", speed_kmh=15.0)


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    return best_of_cpu(repeat, func)[::2]  # type: ignore[return-value]


def cpu_time() -> float:
    """CPU seconds of this process and of its finished children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of_cpu(repeat: int, func: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall-clock time, best CPU time (all processes), and the result."""
    wall, cpu, result = np.inf, np.inf, None
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), cpu_time()
        result = func()
        cpu = min(cpu, cpu_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start)
    return wall, cpu, result


_PEAK_SCRIPT = """
import sys, numpy as np, resource
sys.path.insert(0, sys.argv[1])
from planner.access import node_access_matrix
from planner.network import CSRGraph
from scipy.sparse import csgraph
z = np.load(sys.argv[2])
g = CSRGraph("m", z["indptr"], z["indices"], z["weights"], np.arange(len(z["indptr"]) - 1))
sites, cutoff, what, jobs = z["sites"], float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
demand = np.arange(g.n)
node_access_matrix(g, demand, sites[:2], cutoff_s=cutoff)  # load the kernel, warm up
reverse = g.reverse().to_scipy()
def hwm():
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) * 1024 for x in f if x.startswith("VmHWM"))
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak resident set (VmHWM) to the current one
before = rss()
if what == "planner":
    out = node_access_matrix(g, demand, sites, cutoff_s=cutoff, n_jobs=jobs)
else:
    out = csgraph.dijkstra(reverse, indices=sites, limit=cutoff)
print(hwm() - before)
"""


def peak_rss(csr: Any, sites: np.ndarray, cutoff: float, what: str, jobs: int = 1) -> int:
    """Growth of the resident set during one call, in a fresh process (bytes)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "csr.npz"
        np.savez(path, indptr=csr.indptr, indices=csr.indices, weights=csr.weights, sites=sites)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _PEAK_SCRIPT,
                str(ROOT),
                str(path),
                str(cutoff),
                what,
                str(jobs),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    return max(int(done.stdout.split()[-1]), 0)


def mb(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.1f} MB"


def networkx_graph(network: RoadNetwork) -> nx.DiGraph:
    """The reversed graph as a networkx DiGraph, fastest of parallel edges."""
    csr = network.csr(MODE.name)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(csr.n))
    rows = np.repeat(np.arange(csr.n), np.diff(csr.indptr))
    graph.add_weighted_edges_from(
        zip(csr.indices.tolist(), rows.tolist(), csr.weights.tolist(), strict=True)
    )
    return graph


def run_networkx(graph: nx.DiGraph, sites: np.ndarray, cutoff: float) -> sp.csr_array:
    rows, cols, vals = [], [], []
    for j, site in enumerate(sites.tolist()):
        lengths = nx.single_source_dijkstra_path_length(graph, site, cutoff=cutoff)
        rows.extend(lengths.keys())
        cols.extend([j] * len(lengths))
        vals.extend(lengths.values())
    n = graph.number_of_nodes()
    coo = sp.coo_array((vals, (rows, cols)), shape=(n, len(sites)))
    return sp.csr_array(coo.tocsr())


def compare(ours: sp.csr_array, ref: sp.csr_array) -> tuple[int, int, float]:
    """Pairs only in ours, pairs only in ref, largest relative difference on shared pairs."""
    a, b = ours.tocoo(), ref.tocoo()
    n = ours.shape[1]
    ka, kb = a.row.astype(np.int64) * n + a.col, b.row.astype(np.int64) * n + b.col
    oa, ob = np.argsort(ka), np.argsort(kb)
    ka, va, kb, vb = ka[oa], a.data[oa], kb[ob], b.data[ob]
    common, ia, ib = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    rel = np.abs(va[ia] - vb[ib]) / np.maximum(np.abs(vb[ib]), 1e-300)
    rel[(va[ia] == 0) & (vb[ib] == 0)] = 0.0
    return len(ka) - len(common), len(kb) - len(common), float(rel.max(initial=0.0))


def pandana_case(
    network: RoadNetwork, sites: np.ndarray, cutoff: float, repeat: int
) -> dict[str, Any] | None:
    try:
        import pandana
    except ImportError:
        print("pandana: not installed (pip install pandana), skipped")
        return None
    csr = network.csr(MODE.name)
    rows = np.repeat(np.arange(csr.n), np.diff(csr.indptr))
    # reversed edges: range queries from the sites then give times demand -> site
    start = time.perf_counter()
    net = pandana.Network(
        pd.Series(network.lon, index=np.arange(csr.n)),
        pd.Series(network.lat, index=np.arange(csr.n)),
        pd.Series(csr.indices.astype(np.int64)),
        pd.Series(rows),
        pd.DataFrame({"time": csr.weights}),
        twoway=False,
    )
    build = time.perf_counter() - start
    seconds, frame = best_of(repeat, lambda: net.nodes_in_range(sites.tolist(), cutoff))
    position = pd.Series(np.arange(len(sites)), index=sites)
    matrix = sp.csr_array(
        sp.coo_array(
            (
                frame.iloc[:, 2].to_numpy(float),
                (frame.iloc[:, 1].to_numpy(np.int64), position[frame.iloc[:, 0]].to_numpy()),
            ),
            shape=(csr.n, len(sites)),
        ).tocsr()
    )
    return {"build": build, "seconds": seconds, "matrix": matrix}


def main_case(network: RoadNetwork, args: argparse.Namespace, label: str) -> None:
    csr = network.csr(MODE.name)
    n = csr.n
    n_sites = 500 if args.quick else 2000
    rng = np.random.default_rng(42)
    sites = rng.choice(n, min(n_sites, n), replace=False)
    cutoff = 15 * 60.0
    nodes = network.nodes_gdf()
    demand_points, site_points = nodes, nodes.iloc[sites]
    jobs = args.jobs
    print(
        f"\n== {label}: {n:,} nodes, {len(csr.indices):,} edges; all nodes as demand, "
        f"{len(sites):,} sites, e-bike 15 km/h, 15 min =="
    )
    start = time.perf_counter()
    node_access_matrix(csr, np.arange(n), sites[:2], cutoff_s=cutoff)
    first = time.perf_counter() - start
    print(f"first call in this process (kernel loaded from cache or compiled): {first:.2f} s")

    # ours, end to end from points (snapping included), parallel
    t_ours, c_ours, am = best_of_cpu(
        args.repeat,
        lambda: access_matrix(
            network, demand_points, site_points, mode=MODE.name, cutoff_min=15, n_jobs=jobs
        ),
    )
    assert (am.demand_snap["node_index"].to_numpy() == np.arange(n)).all()
    t_engine, c_engine, engine = best_of_cpu(
        args.repeat,
        lambda: node_access_matrix(csr, np.arange(n), sites, cutoff_s=cutoff, n_jobs=jobs),
    )
    t_one, c_one, one = best_of_cpu(
        args.repeat, lambda: node_access_matrix(csr, np.arange(n), sites, cutoff_s=cutoff)
    )
    reverse = csr.reverse().to_scipy()
    t_bare, c_bare, dense = best_of_cpu(
        args.repeat, lambda: csgraph.dijkstra(reverse, indices=sites, limit=cutoff)
    )
    bare_nnz = int(np.isfinite(dense).sum())
    del dense

    graph = networkx_graph(network)
    start, start_cpu = time.perf_counter(), cpu_time()
    ref = run_networkx(graph, sites, cutoff)
    t_nx, c_nx = time.perf_counter() - start, cpu_time() - start_cpu
    # what osmnx users write: the MultiDiGraph with the travel-time attribute
    multi = network.graph.reverse(copy=True)
    ids = network.node_ids
    start, start_cpu = time.perf_counter(), cpu_time()
    for site in ids[sites].tolist():
        nx.single_source_dijkstra_path_length(multi, site, cutoff=cutoff, weight=MODE.attr)
    t_osmnx, c_osmnx = time.perf_counter() - start, cpu_time() - start_cpu
    only_ours, only_nx, rel = compare(am.matrix, ref)
    identical_nx = only_ours == 0 and only_nx == 0 and rel == 0.0
    same = all(
        np.array_equal(m.indptr, am.matrix.indptr)
        and np.array_equal(m.indices, am.matrix.indices)
        and np.array_equal(m.data, am.matrix.data)
        for m in (engine, one)
    )

    nnz = am.nnz
    result_bytes = am.matrix.data.nbytes + am.matrix.indices.nbytes + am.matrix.indptr.nbytes
    print(
        f"non-zeros (pairs within 15 min): {nnz:,} "
        f"({nnz / (n * len(sites)):.1%} of {n * len(sites):,} pairs); bare scipy reaches "
        f"{bare_nnz:,}"
    )
    print(
        f"identical to networkx, bit for bit: {identical_nx} (pairs only ours {only_ours}, "
        f"only networkx {only_nx}, max rel diff {rel:.1e}); 1 thread == {jobs} threads == "
        f"end to end: {same}"
    )
    # ratios are wall time against wall time, as measured in this run; on a shared
    # machine other processes inflate every wall time, so CPU time is shown too, and
    # single-thread rows get a CPU-time ratio against networkx, which load barely changes
    print(f"{'method':<52}{'wall':>9}{'CPU':>9}{'x networkx':>12}{'x bare':>9}{'x nx CPU':>10}")
    rows = [
        (f"planner access_matrix (points, snapping, {jobs} threads)", t_ours, c_ours, False),
        (f"planner node_access_matrix ({jobs} threads)", t_engine, c_engine, False),
        ("planner node_access_matrix (1 thread)", t_one, c_one, True),
        ("bare scipy csgraph.dijkstra (1 core, dense)", t_bare, c_bare, True),
        ("networkx per-source Dijkstra (DiGraph)", t_nx, c_nx, True),
        ("networkx per-source Dijkstra (osmnx MultiDiGraph)", t_osmnx, c_osmnx, True),
    ]
    pandana = pandana_case(network, sites, cutoff, args.repeat)
    if pandana is not None:
        rows.append(
            ("pandana 0.8 nodes_in_range (CH, 2 threads)", pandana["seconds"], np.nan, False)
        )
    for name, wall, cpu, single in rows:
        by_cpu = f"{c_nx / cpu:>9.1f}x" if single else f"{'-':>10}"
        print(
            f"{name:<52}{wall:>8.3f}s{cpu:>8.3f}s{t_nx / wall:>11.1f}x{t_bare / wall:>8.2f}x"
            + by_cpu
        )
    print(
        f"networkx per source: {t_nx / len(sites) * 1000:.2f} ms (DiGraph), "
        f"{t_osmnx / len(sites) * 1000:.2f} ms (osmnx MultiDiGraph), wall; planner per "
        f"source (1 thread): {t_one / len(sites) * 1e6:.0f} µs; 'x networkx' is against the "
        "faster DiGraph"
    )
    if pandana is not None:
        p_ours, p_ref, _ = compare(am.matrix, pandana["matrix"])
        print(
            f"pandana: build {pandana['build']:.3f} s; ours / pandana query "
            f"{pandana['seconds'] / t_ours:.2f}x faster, incl. build "
            f"{(pandana['seconds'] + pandana['build']) / t_ours:.2f}x; pairs differing "
            f"(ms truncation at the cutoff): {p_ours} only ours, {p_ref} only pandana"
        )
    peak_one = peak_rss(csr, sites, cutoff, "planner")
    peak_two = peak_rss(csr, sites, cutoff, "planner", jobs)
    peak_bare = peak_rss(csr, sites, cutoff, "scipy")
    print(
        f"peak memory (RSS growth, fresh process): planner {mb(peak_one)} (1 thread), "
        f"{mb(peak_two)} ({jobs} threads) for a {mb(result_bytes)} CSR result "
        f"({peak_one / result_bytes:.1f}x); bare scipy dense {mb(peak_bare)}; a dense "
        f"demand × site float64 array would be {mb(n * len(sites) * 8)}"
    )
    print(f"load average now {os.getloadavg()[0]:.2f}")

    print("\n-- nearest site of every node (no cutoff) --")
    t_near, c_near, (_column, near_s) = best_of_cpu(
        args.repeat, lambda: node_nearest(csr, np.arange(n), sites)
    )
    t_min, c_min, min_only = best_of_cpu(
        args.repeat, lambda: csgraph.dijkstra(reverse, indices=sites, min_only=True)
    )
    start, start_cpu = time.perf_counter(), cpu_time()
    nx_near = nx.multi_source_dijkstra_path_length(graph, set(sites.tolist()))
    t_nxn, c_nxn = time.perf_counter() - start, cpu_time() - start_cpu
    nx_times = np.array([nx_near[v] for v in range(n)])
    same_near = np.array_equal(near_s, nx_times) and np.array_equal(near_s, min_only)
    print(f"identical times to networkx and scipy min_only: {same_near}")
    for name, wall, cpu in (
        ("planner node_nearest (site and time)", t_near, c_near),
        ("bare scipy dijkstra min_only (times only)", t_min, c_min),
        ("networkx multi_source_dijkstra_path_length", t_nxn, c_nxn),
    ):
        print(f"{name:<52}{wall * 1000:>8.2f}ms{cpu * 1000:>8.2f}ms{t_nxn / wall:>10.1f}x")

    # growth: networkx is timed on a sample of sources and scaled (8,000 sources at
    # 30 min would take minutes); its ratio is against planner on `jobs` threads
    sample = min(len(sites), 100 if args.quick else 250)

    def networkx_estimate(picked: np.ndarray, limit: float) -> float:
        part = picked[:sample].tolist()
        start = time.perf_counter()
        for site in part:
            nx.single_source_dijkstra_path_length(graph, site, cutoff=limit)
        return (time.perf_counter() - start) * len(picked) / len(part)

    header = (
        f"{'planner ' + str(jobs) + 't':>12}{'planner 1t':>12}{'bare scipy':>12}"
        f"{'networkx*':>11}{'x nx':>8}{'non-zeros':>12}{'peak RSS':>12}"
    )
    print(f"\n-- growth with the number of sites (15 min; * networkx scaled from {sample}) --")
    print(f"{'sites':>8}" + header)
    for count in (500, 2000, 8000):
        pick = np.random.default_rng(42).choice(n, count, replace=count > n)
        growth_row(csr, pick, cutoff, args, f"{count:>8,}", networkx_estimate)

    print(f"\n-- growth with the cutoff ({len(sites):,} sites) --")
    print(f"{'cutoff':>8}" + header)
    for minutes in (5, 15, 30):
        growth_row(csr, sites, minutes * 60.0, args, f"{minutes:>5}min", networkx_estimate)


def growth_row(
    csr: Any,
    pick: np.ndarray,
    cutoff: float,
    args: argparse.Namespace,
    label: str,
    networkx_estimate: Callable[[np.ndarray, float], float],
) -> None:
    n = csr.n
    reverse = csr.reverse().to_scipy()
    t_p, m = best_of(
        args.repeat,
        lambda: node_access_matrix(csr, np.arange(n), pick, cutoff_s=cutoff, n_jobs=args.jobs),
    )
    t_1, _ = best_of(
        args.repeat, lambda: node_access_matrix(csr, np.arange(n), pick, cutoff_s=cutoff)
    )
    t_b, _ = best_of(args.repeat, lambda: csgraph.dijkstra(reverse, indices=pick, limit=cutoff))
    t_nx = networkx_estimate(pick, cutoff)
    peak = peak_rss(csr, pick, cutoff, "planner", args.jobs)
    print(
        f"{label}{t_p:>11.3f}s{t_1:>11.3f}s{t_b:>11.3f}s{t_nx:>10.2f}s{t_nx / t_p:>7.1f}x"
        f"{m.nnz:>12,}{mb(peak):>12}"
    )


def areas_before(
    network: RoadNetwork, edges: Any, stations: Any, cutoff_min: float, buffer_m: float
) -> list[Any]:
    """The first service-area implementation: every reached piece banded and merged.

    ``edges`` (the street layer) is built outside, so the time leaves it out: the
    speed-up printed is a lower bound.
    """
    import shapely

    snap = network.snap(stations, mode=MODE.name, max_distance_m=500.0).table
    search = network.csr(MODE.name).reverse().to_scipy()
    out = []
    for node, access in zip(snap["node_index"], snap["access_s"], strict=True):
        budget = cutoff_min * 60.0 - access
        dist = csgraph.dijkstra(search, indices=int(node), limit=budget)
        anchor = dist[edges.v]
        reached = anchor <= budget
        slack, t = budget - anchor[reached], edges.times[reached]
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(t > 0, np.minimum(slack / t, 1.0), 1.0)
        whole = fraction >= 1.0
        parts = list(edges.lines[reached][whole])
        for line, frac in zip(edges.lines[reached][~whole], fraction[~whole], strict=True):
            if frac > 0:
                parts.append(shapely.ops.substring(line, 1.0 - frac, 1.0, normalized=True))
        out.append(shapely.union_all(shapely.buffer(np.asarray(parts, dtype=object), buffer_m)))
    return out


def areas_case(network: RoadNetwork, args: argparse.Namespace, label: str) -> None:
    """Service areas per site: now (1 and ``jobs`` threads) against the first implementation."""
    import shapely

    from planner.isochrones import _edge_lines, service_areas

    count = 4 if args.quick else 12
    nodes = network.nodes_gdf()
    stations = nodes.iloc[np.random.default_rng(7).choice(len(nodes), count, replace=False)]
    print(f"\n-- service areas, {label}: {count} stations, 15 min, 25 m bands --")
    service_areas(network, stations.iloc[:1], mode=MODE.name, cutoff_min=15)  # warm up
    edges = _edge_lines(network, MODE.name)
    repeat = max(1, args.repeat // 2)
    t_before, c_before, before = best_of_cpu(
        repeat, lambda: areas_before(network, edges, stations, 15.0, 25.0)
    )
    t_one, c_one, one = best_of_cpu(
        repeat, lambda: service_areas(network, stations, mode=MODE.name, cutoff_min=15)
    )
    t_two, c_two, two = best_of_cpu(
        repeat,
        lambda: service_areas(network, stations, mode=MODE.name, cutoff_min=15, n_jobs=args.jobs),
    )
    metric = one.to_crs(network.crs).geometry.to_numpy()
    area_before = shapely.area(np.asarray(before, dtype=object))
    rel = np.abs(shapely.area(metric) - area_before) / area_before
    same = bool(shapely.equals_exact(one.geometry.to_numpy(), two.geometry.to_numpy(), 0).all())
    print(
        f"areas equal to the first implementation's within {rel.max():.1e} (relative); "
        f"1 thread == {args.jobs} threads: {same}"
    )
    print(f"{'method':<52}{'per site':>10}{'CPU/site':>10}{'speed-up':>10}")
    for name, wall, cpu in (
        ("first implementation (street layer not timed)", t_before, c_before),
        ("service_areas (each street once, 1 thread)", t_one, c_one),
        (f"service_areas (each street once, {args.jobs} threads)", t_two, c_two),
    ):
        print(f"{name:<52}{wall / count:>9.3f}s{cpu / count:>9.3f}s{t_before / wall:>9.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 sites, 2 repeats")
    parser.add_argument("--repeat", type=int, default=None, help="runs per timing (best kept)")
    parser.add_argument("--jobs", type=int, default=2, help="threads (default 2)")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 2 if args.quick else 5
    print(
        f"planner access benchmark; {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.2f} (other processes distort timings)"
    )
    cases: list[tuple[str, Callable[[], RoadNetwork]]] = []
    if SHENZHEN.is_file():
        cases.append(("Shenzhen Futian-Nanshan", lambda: network_from_osm(SHENZHEN, modes=[MODE])))
    else:
        print(f"Shenzhen network not found at {SHENZHEN}: skipped")
    try:
        from planner import datasets

        cases.append(("embedded demo region", lambda: datasets.demo_network(modes=[MODE])))
    except ImportError:
        print("planner.datasets not available yet: demo region skipped")
    for label, load in cases:
        start = time.perf_counter()
        network = load()
        print(f"\nloaded {label} in {time.perf_counter() - start:.1f} s")
        main_case(network, args, label)
        areas_case(network, args, label)


if __name__ == "__main__":
    main()
