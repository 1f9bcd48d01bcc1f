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
4. map matching of synthetic traces along known paths, at a fix every 30 s with
   10 m GPS noise and every 60 s with 25 m, the first fix a random part of the
   interval after the start and none at the end (as real devices fix): fixes per
   second, and edge recall over the whole trip and over the span between the
   first and last fix (the part the fixes can tell), for ours (alone, and with
   the known trip ends passed as ``origins``/``destinations``) and for
   leuvenmapmatching (a maintained pure-Python HMM matcher) tuned
   (``max_lattice_width`` 20 and 50, observation noise = the GPS noise, a 300 m
   search and a low probability floor so that it does not stop early) on the
   same traces.
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
) -> tuple[pd.DataFrame, dict[str, list[int]], dict[str, set[tuple[int, int]]]]:
    """Fixes every ``every_s`` at the edges' truck speeds along known paths, with noise.

    The first fix comes a random part of ``every_s`` after the start and none
    falls at the end. Returns the fixes, the true paths, and per trace the true
    edges from the one holding the first fix to the one holding the last (the
    span the fixes can tell).
    """
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    back = Transformer.from_crs(net.crs, 4326, always_xy=True)
    rows: list[tuple[str, float, float, float]] = []
    truth: dict[str, list[int]] = {}
    span: dict[str, set[tuple[int, int]]] = {}
    for k, label in enumerate(routes):
        path = flows.path(label)
        xs, ys, ts, on = [], [], [], []
        t0 = 0.0
        phase = float(rng.uniform(0, every_s))
        for i, (a, b) in enumerate(itertools.pairwise(path)):
            edge = min(net.graph[a][b].values(), key=lambda e: e["time_truck"])
            geom = edge.get("geometry") or shapely.LineString(
                [(net.graph.nodes[n]["x"], net.graph.nodes[n]["y"]) for n in (a, b)]
            )
            x, y = to_m.transform(*np.asarray(geom.coords).T)
            line = shapely.LineString(np.column_stack([x, y]))
            dur = edge["time_truck"]
            first = np.ceil((t0 - phase) / every_s) * every_s + phase
            for t in np.arange(first, t0 + dur, every_s):
                pt = line.interpolate((t - t0) / dur * line.length)
                xs.append(pt.x)
                ys.append(pt.y)
                ts.append(t)
                on.append(i)
            t0 += dur
        if len(xs) < 2:
            continue
        px = np.asarray(xs) + rng.normal(0, noise_m, len(xs))
        py = np.asarray(ys) + rng.normal(0, noise_m, len(xs))
        lon, lat = back.transform(px, py)
        driver = f"T{k:05d}"
        truth[driver] = path
        span[driver] = set(itertools.pairwise(path[on[0] : on[-1] + 2]))
        rows += [(driver, t, a, b) for t, a, b in zip(ts, lon, lat, strict=True)]
    return pd.DataFrame(rows, columns=["driver_id", "time", "lon", "lat"]), truth, span


def score(
    paths: dict[str, list[int]], truth: dict[str, list[int]], span: dict[str, set[tuple[int, int]]]
) -> tuple[float, float, float]:
    """Edge recall over whole trips, over the first-to-last-fix spans, and precision."""
    hit = total = got_n = hit_s = total_s = 0
    for driver, true_path in truth.items():
        t = set(itertools.pairwise(true_path))
        g = set(itertools.pairwise(paths.get(driver, [])))
        hit += len(t & g)
        total += len(t)
        got_n += len(g)
        hit_s += len(span[driver] & g)
        total_s += len(span[driver])
    return hit / max(total, 1), hit_s / max(total_s, 1), hit / max(got_n, 1)


def leuven_map(net: Any) -> tuple[Any, float]:
    """The truck network as a leuvenmapmatching InMemMap (edge geometry as extra nodes)."""
    from leuvenmapmatching.map.inmem import InMemMap

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
    return m, time.perf_counter() - t0


def leuven_match(
    net: Any, m: Any, traces: pd.DataFrame, *, noise_m: float, lattice: int
) -> tuple[dict[str, list[int]], float]:
    """Match with leuvenmapmatching's DistanceMatcher, tuned for the noise."""
    from leuvenmapmatching.matcher.distance import DistanceMatcher

    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    out: dict[str, list[int]] = {}
    t1 = time.perf_counter()
    for driver, grp in traces.groupby("driver_id", sort=False):
        xs, ys = to_m.transform(grp["lon"].to_numpy(), grp["lat"].to_numpy())
        # tuned on these traces: a wide search (max_dist 300 m) and a low probability
        # floor keep it from stopping early; observation noise = the GPS noise
        matcher = DistanceMatcher(
            m,
            max_dist=max(300.0, 12 * noise_m),
            max_dist_init=max(100.0, 4 * noise_m),
            obs_noise=noise_m,
            obs_noise_ne=3 * noise_m,
            dist_noise=100,
            min_prob_norm=1e-4,
            non_emitting_states=True,
            max_lattice_width=lattice,
        )
        matcher.match(list(zip(xs, ys, strict=True)))
        nodes = [n for n in matcher.path_pred_onlynodes if n >= 0]
        out[str(driver)] = [a for a, b in itertools.pairwise([*nodes, None]) if a != b]
    return out, time.perf_counter() - t1


def ours_paths(res: Any) -> dict[str, list[int]]:
    return {
        str(res.flows.routes.loc[r, "driver"]): res.flows.path(r) for r in res.flows.routes.index
    }


def bench_matching(net: Any, flows: Any, *, n_traces: int, n_leuven: int) -> None:
    """Map matching: speed, and edge recall over whole trips and first-to-last-fix spans."""
    labels = list(flows.routes.index[:n_traces])
    try:
        lmap, build = leuven_map(net)
    except ImportError:
        lmap, build = None, 0.0
        print("\n(leuvenmapmatching not installed: pip install -e '.[bench]')")
    matcher, t_prep = timed(MapMatcher, net)
    for every_s, noise_m in ((30, 10), (60, 25)):
        traces, truth, span = synthetic_traces(
            net, flows, labels, noise_m=noise_m, every_s=every_s, seed=1
        )
        ends = {d: (p[0], p[-1]) for d, p in truth.items()}
        pos = pd.Index(net.node_ids)
        o = pos.get_indexer([a for a, _ in ends.values()])
        d = pos.get_indexer([b for _, b in ends.values()])
        origins = pd.DataFrame({"lon": net.lon[o], "lat": net.lat[o]}, index=list(ends))
        dests = pd.DataFrame({"lon": net.lon[d], "lat": net.lat[d]}, index=list(ends))
        res, t_ours = timed(match_traces, traces, net, sigma_m=float(noise_m))
        _, t_ours1 = timed(match_traces, traces, matcher, sigma_m=float(noise_m))
        _, t_ours2 = timed(match_traces, traces, matcher, sigma_m=float(noise_m), workers=2)
        ext = match_traces(
            traces, matcher, sigma_m=float(noise_m), origins=origins, destinations=dests
        )
        rec, rec_span, prec = score(ours_paths(res), truth, span)
        rec_e, rec_span_e, prec_e = score(ours_paths(ext), truth, span)
        print(
            f"\nmap matching, {len(traces):,} fixes in {len(truth)} traces "
            f"(a fix every {every_s} s, {noise_m} m noise, none at the trip ends):\n"
            f"  ours (HMM, compiled):       {t_ours:6.2f} s = {len(traces) / t_ours:8,.0f} fixes/s "
            f"(setup included)\n"
            f"  ours, prepared MapMatcher:  {t_ours1:6.2f} s = "
            f"{len(traces) / t_ours1:8,.0f} fixes/s (+ {t_prep:.2f} s once to prepare)\n"
            f"  ours, prepared, 2 threads:  {t_ours2:6.2f} s = "
            f"{len(traces) / t_ours2:8,.0f} fixes/s\n"
            f"  edge recall, whole trip / first-to-last-fix span / precision:\n"
            f"  ours:                       {rec:7.2%} / {rec_span:7.2%} / {prec:7.2%}\n"
            f"  ours with known trip ends:  {rec_e:7.2%} / {rec_span_e:7.2%} / {prec_e:7.2%}"
        )
        if lmap is None:
            continue
        sub_ids = list(truth)[:n_leuven]
        sub = traces[traces["driver_id"].isin(sub_ids)]
        sub_truth = {k: truth[k] for k in sub_ids}
        sub_span = {k: span[k] for k in sub_ids}
        res_s, t_s = timed(match_traces, sub, matcher, sigma_m=float(noise_m))
        r1, r2, p1 = score(ours_paths(res_s), sub_truth, sub_span)
        print(
            f"  same {len(sub):,} fixes ({len(sub_ids)} traces), recall whole / span / precision:\n"
            f"  ours:                       {r1:7.2%} / {r2:7.2%} / {p1:7.2%}  "
            f"{t_s:6.2f} s = {len(sub) / t_s:8,.0f} fixes/s"
        )
        for lattice in (20, 50):
            lv, t_lv = leuven_match(net, lmap, sub, noise_m=float(noise_m), lattice=lattice)
            q1, q2, q3 = score(lv, sub_truth, sub_span)
            print(
                f"  leuvenmapmatching, lattice {lattice}: {q1:7.2%} / {q2:7.2%} / {q3:7.2%}  "
                f"{t_lv:6.2f} s = {len(sub) / t_lv:8,.0f} fixes/s (+ {build:.1f} s map build); "
                f"ours {t_lv / t_s:,.0f}x faster"
            )


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
    bench_matching(net, flows, n_traces=n_traces, n_leuven=n_leuven)


if __name__ == "__main__":
    main()
