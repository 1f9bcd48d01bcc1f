"""Benchmark: truck flows, sites on routes, flow-capturing and rest-interval models, map matching.

Usage: ``python benchmarks/bench_routes.py [--quick]``

On the Shenzhen Futian-Nanshan network (``../shared/data``; the demo region when it
is absent), truck mode:

1. 10,000 random OD pairs (``--quick``: 1,000) routed to fastest paths;
2. the route × site incidence with 2,000 candidate sites (``--quick``: 300),
   on-path and with a 2-minute detour;
3. flow capturing (p = 20) and rest-interval coverage (p = 20, and the fewest
   sites serving every route) with the exact (HiGHS) and the fast solver; the
   city's trips last minutes, not hours, so the rest interval is scaled to
   5 minutes of driving;
4. map matching of synthetic traces (fixes every 30 s along known paths, 10 m GPS
   noise): fixes per second and edge recall/precision for ours and for
   leuvenmapmatching (a maintained pure-Python HMM matcher) on the same traces.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.locate.flows import FlowCapture, RestIntervalCoverage  # noqa: E402
from planner.network import network_from_osm  # noqa: E402
from planner.routes import MapMatcher, match_traces, route_od  # noqa: E402

SHENZHEN = ROOT.parent / "shared" / "data" / "shenzhen" / "futian_nanshan_drive.osm.bz2"


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def load_network() -> Any:
    if SHENZHEN.is_file():
        return network_from_osm(SHENZHEN, modes=["truck"])
    from planner import datasets

    print(f"(Shenzhen data not found at {SHENZHEN}; using the demo region)")
    return datasets.demo_network(modes=["truck"])


def synthetic_traces(
    net: Any, flows: Any, routes: list[Any], *, noise_m: float, every_s: float, seed: int
) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    """Fixes every ``every_s`` at the edges' truck speeds along known paths, with noise."""
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    back = Transformer.from_crs(net.crs, 4326, always_xy=True)
    rows: list[tuple[str, float, float, float]] = []
    truth = {}
    for k, label in enumerate(routes):
        path = flows.path(label)
        xs, ys, ts = [], [], []
        t0 = 0.0
        x = y = np.zeros(1)
        for a, b in itertools.pairwise(path):
            edge = min(net.graph[a][b].values(), key=lambda e: e["time_truck"])
            geom = edge.get("geometry") or shapely.LineString(
                [(net.graph.nodes[n]["x"], net.graph.nodes[n]["y"]) for n in (a, b)]
            )
            x, y = to_m.transform(*np.asarray(geom.coords).T)
            line = shapely.LineString(np.column_stack([x, y]))
            dur = edge["time_truck"]
            for t in np.arange(np.ceil(t0 / every_s) * every_s, t0 + dur, every_s):
                pt = line.interpolate((t - t0) / dur * line.length)
                xs.append(pt.x)
                ys.append(pt.y)
                ts.append(t)
            t0 += dur
        xs.append(float(x[-1]))
        ys.append(float(y[-1]))
        ts.append(t0)
        px = np.asarray(xs) + rng.normal(0, noise_m, len(xs))
        py = np.asarray(ys) + rng.normal(0, noise_m, len(xs))
        lon, lat = back.transform(px, py)
        driver = f"T{k:05d}"
        truth[driver] = path
        rows += [(driver, t, a, b) for t, a, b in zip(ts, lon, lat, strict=True)]
    return pd.DataFrame(rows, columns=["driver_id", "time", "lon", "lat"]), truth


def score(paths: dict[str, list[int]], truth: dict[str, list[int]]) -> tuple[float, float]:
    hit = total = got_n = 0
    for driver, true_path in truth.items():
        t = set(itertools.pairwise(true_path))
        g = set(itertools.pairwise(paths.get(driver, [])))
        hit += len(t & g)
        total += len(t)
        got_n += len(g)
    return hit / max(total, 1), hit / max(got_n, 1)


def leuven_match(
    net: Any, traces: pd.DataFrame, truth: dict[str, list[int]]
) -> tuple[dict[str, list[int]], float, float]:
    """Match with leuvenmapmatching (DistanceMatcher) on the same truck network."""
    from leuvenmapmatching.map.inmem import InMemMap
    from leuvenmapmatching.matcher.distance import DistanceMatcher

    t0 = time.perf_counter()
    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    m = InMemMap("truck", use_latlon=False, use_rtree=True, index_edges=True)
    nodes_xy = dict(
        zip(net.node_ids.tolist(), zip(*to_m.transform(net.lon, net.lat), strict=True), strict=True)
    )
    for n, xy in nodes_xy.items():
        m.add_node(n, xy)
    # simplified edges carry their geometry: its inner vertices become extra nodes
    inner = -1
    seen = set()
    for u, v, d in net.graph.edges(data=True):
        if not np.isfinite(d.get("time_truck", np.inf)) or (u, v) in seen:
            continue
        seen.add((u, v))
        geom = d.get("geometry")
        chain = [u]
        if geom is not None:
            cx, cy = to_m.transform(*np.asarray(geom.coords).T)
            for x, y in list(zip(cx, cy, strict=True))[1:-1]:
                m.add_node(inner, (x, y))
                chain.append(inner)
                inner -= 1
        chain.append(v)
        for a, b in itertools.pairwise(chain):
            m.add_edge(a, b)
    m.purge()
    build = time.perf_counter() - t0
    out: dict[str, list[int]] = {}
    t1 = time.perf_counter()
    for driver, grp in traces.groupby("driver_id", sort=False):
        xs, ys = to_m.transform(grp["lon"].to_numpy(), grp["lat"].to_numpy())
        matcher = DistanceMatcher(
            m,
            max_dist=100,
            obs_noise=10,
            obs_noise_ne=20,
            dist_noise=30,
            non_emitting_states=True,
            max_lattice_width=8,
        )
        matcher.match(list(zip(xs, ys, strict=True)))
        nodes = [n for n in matcher.path_pred_onlynodes if n >= 0]
        out[str(driver)] = [a for a, b in itertools.pairwise([*nodes, None]) if a != b]
    return out, build, time.perf_counter() - t1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_routes = 1_000 if args.quick else 10_000
    n_sites = 300 if args.quick else 2_000
    n_traces = 60 if args.quick else 400
    n_leuven = 15 if args.quick else 60
    rng = np.random.default_rng(42)
    print(f"cores: {os.cpu_count()}")
    net, t = timed(load_network)
    print(f"network: {net} loaded in {t:.1f} s")
    usable = net.usable_nodes("truck")
    o = rng.choice(usable, n_routes)
    d = rng.choice(usable, n_routes)
    od = pd.DataFrame(
        {
            "origin_lon": net.lon[o],
            "origin_lat": net.lat[o],
            "destination_lon": net.lon[d],
            "destination_lat": net.lat[d],
            "trucks_per_day": rng.integers(1, 101, n_routes),
        }
    )
    flows, t_route = timed(route_od, od, net)
    print(
        f"\nOD routing: {len(flows):,} routes ({len(flows.excluded)} excluded) in "
        f"{t_route:.2f} s; mean {flows.routes['time_s'].mean() / 60:.1f} min, "
        f"{np.diff(flows.indptr).mean():.0f} nodes per path"
    )
    ev, t_ev = timed(flows.edge_volumes)
    print(f"edge volumes: {len(ev):,} edges in {t_ev:.2f} s")
    import geopandas as gpd

    sites_pos = rng.choice(usable, n_sites, replace=False)
    sites = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(net.lon[sites_pos] + 0.0001, net.lat[sites_pos]),
        index=[f"S{i}" for i in range(n_sites)],
        crs="EPSG:4326",
    )
    inc, t_inc = timed(flows.site_incidence, sites)
    print(
        f"route × site incidence, on path: {len(inc.table):,} passes in {t_inc:.2f} s; "
        f"{int((inc.sites['passing_volume'] >= 30).sum())} sites passed by >= 30/day"
    )
    inc2, t_inc2 = timed(flows.site_incidence, sites, detour_min=2.0)
    print(f"route × site incidence, 2-min detour: {len(inc2.table):,} pairs in {t_inc2:.2f} s")
    vols = flows.routes["volume"].to_numpy()
    det = inc.matrix("detour_min")
    head = "model".ljust(39) + "solver  seconds    objective        bound   share of opt"
    print("\n" + head)
    fc = {}
    for solver in ("exact", "fast"):
        model = FlowCapture.from_matrix(det, p=20, volumes=vols, min_volume=30)
        res, t = timed(model.solve, solver=solver, time_limit=600)
        fc[solver] = res
        print(
            f"flow capture p=20 (>=30/day)          {solver:6s} {t:8.2f} {res.objective:12,.0f} "
            f"{res.bound:12,.0f}   {res.objective / fc['exact'].objective:.4%}"
        )
    pos = inc.matrix("position_h")
    lengths = inc.route_lengths("h")
    interval = 5 / 60
    for p, label in ((20, "max volume p=20"), (None, "fewest sites, all routes")):
        out = {}
        for solver in ("exact", "fast"):
            model = RestIntervalCoverage.from_matrix(
                pos, lengths=lengths, interval=interval, volumes=vols, p=p
            )
            res, t = timed(model.solve, solver=solver, time_limit=120)
            out[solver] = res
            share = (
                res.objective / out["exact"].objective
                if p is not None
                else out["exact"].objective / res.objective
            )
            print(
                f"rest interval 5 min, {label:25s} {solver:6s} {t:8.2f} {res.objective:12,.0f} "
                f"{res.bound:12,.0f}   {share:.4%}"
            )
        r = out["exact"]
        print(
            f"   ({int(r.figures['windows']):,} windows; {int(r.figures['unservable_routes']):,} "
            f"routes unservable with these sites)"
        )
    # map matching
    labels = list(flows.routes.index[:n_traces])
    traces, truth = synthetic_traces(net, flows, labels, noise_m=10, every_s=30, seed=1)
    res, t_ours = timed(match_traces, traces, net)
    matcher, t_prep = timed(MapMatcher, net)
    _, t_ours1 = timed(match_traces, traces, matcher)
    _, t_ours2 = timed(match_traces, traces, matcher, workers=2)
    ours = {
        str(res.flows.routes.loc[r, "driver"]): res.flows.path(r) for r in res.flows.routes.index
    }
    rec, prec = score(ours, truth)
    print(
        f"\nmap matching, {len(traces):,} fixes in {len(truth)} traces (30 s, 10 m noise):\n"
        f"  ours (HMM, compiled):       {t_ours:6.2f} s = {len(traces) / t_ours:8,.0f} fixes/s "
        f"(setup included), edge recall {rec:.2%}, precision {prec:.2%}\n"
        f"  ours, prepared MapMatcher:  {t_ours1:6.2f} s = {len(traces) / t_ours1:8,.0f} fixes/s "
        f"(+ {t_prep:.2f} s once to prepare)\n"
        f"  ours, prepared, 2 threads:  {t_ours2:6.2f} s = {len(traces) / t_ours2:8,.0f} fixes/s"
    )
    sub = traces[traces["driver_id"].isin(list(truth)[:n_leuven])]
    sub_truth = {k: truth[k] for k in list(truth)[:n_leuven]}
    res_s, t_s = timed(match_traces, sub, net)
    ours_s = {
        str(res_s.flows.routes.loc[r, "driver"]): res_s.flows.path(r)
        for r in res_s.flows.routes.index
    }
    rec_s, prec_s = score(ours_s, sub_truth)
    try:
        lv, build, t_lv = leuven_match(net, sub, sub_truth)
        rec_l, prec_l = score(lv, sub_truth)
        print(
            f"  same {len(sub):,} fixes ({n_leuven} traces):\n"
            f"  ours:                       {t_s:6.2f} s = {len(sub) / t_s:8,.0f} fixes/s, "
            f"recall {rec_s:.2%}, precision {prec_s:.2%}\n"
            f"  leuvenmapmatching 1.1.4:    {t_lv:6.2f} s = {len(sub) / t_lv:8,.0f} fixes/s "
            f"(+ {build:.1f} s map build), recall {rec_l:.2%}, precision {prec_l:.2%}\n"
            f"  speed ratio ours / leuven:  {t_lv / t_s:.1f}x"
        )
    except ImportError:
        print("  leuvenmapmatching not installed: pip install leuvenmapmatching")


if __name__ == "__main__":
    main()
