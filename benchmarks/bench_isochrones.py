"""Benchmark service areas at city scale: thousands of stations, new against previous code.

Run from the repository root::

    python benchmarks/bench_isochrones.py            # 2,000 and 10,000 stations
    python benchmarks/bench_isochrones.py --quick    # 300 and 1,000 stations

Instance: the Shenzhen Futian-Nanshan network (../shared/data, skipped when absent)
and the embedded demo region; e-bike (the default mode), 15 minutes, 25 m bands.
Stations are network nodes drawn with ``default_rng(42)`` and moved 20 m east and
15 m north, so that each has its own snap leg.

planner's ``service_areas`` runs one bounded search per station on the access
engine and traces each band from a distance field (``tolerance_m``, default 5 m);
it is timed on all stations, on 1 thread and on ``--jobs`` threads, and with
``dissolve=True`` (the merged area).

Baseline, measured in the same run: the previous implementation (per station a
scipy Dijkstra row, every boundary edge cut with ``shapely.ops.substring``, a
buffer per reached street and a GEOS ``union_all`` per station), rebuilt below. It
costs ~0.1-0.5 s per station, so it runs on a subset of ``--baseline`` stations and
its time is EXTRAPOLATED per station to the full count (printed as such). On that
subset the printout also gives how far the new polygons are from the previous ones
(symmetric difference over area) and whether the street lengths agree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.ops

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.isochrones import _edge_lines, service_areas  # noqa: E402
from planner.network import RoadNetwork, network_from_osm  # noqa: E402

SHENZHEN = ROOT.parent / "shared" / "data" / "shenzhen" / "futian_nanshan_drive.osm.pbf"
MODE = "ebike"
CUTOFF_MIN = 15.0
BUFFER_M = 25.0


def previous_areas(network: RoadNetwork, stations: Any) -> tuple[list[Any], np.ndarray]:
    """The previous per-station implementation ("to" direction), in the metric CRS."""
    from scipy.sparse import csgraph

    snap = network.snap(stations, mode=MODE, max_distance_m=500.0).table
    edges = _edge_lines(network, MODE)  # timed: the previous code built it on each call
    search = network.csr(MODE).reverse().to_scipy()
    here = stations.geometry.to_crs(network.crs)
    cutoff_s = CUTOFF_MIN * 60.0
    out, km = [], []
    nodes = snap["node_index"].to_numpy()
    budgets = cutoff_s - snap["access_s"].to_numpy()
    for start in range(0, len(nodes), 64):
        stop = min(start + 64, len(nodes))
        limit = float(max(budgets[start:stop].max(), 0.0))
        dist = csgraph.dijkstra(search, indices=nodes[start:stop], limit=limit)
        for k in range(stop - start):
            budget = budgets[start + k]
            anchor = dist[k][edges.v]
            reached = np.flatnonzero(anchor <= budget)
            slack, t = budget - anchor[reached], edges.times[reached]
            with np.errstate(divide="ignore", invalid="ignore"):
                fraction = np.where(t > 0, np.minimum(slack / t, 1.0), 1.0)
            whole = fraction >= 1.0
            length = float(edges.lengths[reached[whole]].sum())
            first = np.unique(edges.key[reached[whole]], return_index=True)[1]
            parts = list(edges.lines[reached[whole]][first])
            for line, frac in zip(edges.lines[reached[~whole]], fraction[~whole], strict=True):
                if frac > 0:
                    part = shapely.ops.substring(line, 1.0 - frac, 1.0, normalized=True)
                    parts.append(part)
                    length += float(part.length)
            i = start + k
            parts.append(
                shapely.LineString([(here.x.iloc[i], here.y.iloc[i]), network.xy[nodes[i]]])
            )
            bands = shapely.buffer(np.asarray(parts, dtype=object), BUFFER_M)
            out.append(shapely.union_all(bands))
            km.append(length / 1000)
    return out, np.asarray(km)


def draw_stations(network: RoadNetwork, count: int) -> Any:
    nodes = network.nodes_gdf()
    usable = nodes.iloc[network.usable_nodes(MODE)]
    pick = np.random.default_rng(42).choice(len(usable), count, replace=count > len(usable))
    chosen = usable.iloc[pick].reset_index(drop=True)
    moved = chosen.to_crs(network.crs).geometry.translate(20.0, 15.0)
    return chosen.set_geometry(moved).to_crs(4326)


def timed(func: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def case(network: RoadNetwork, label: str, counts: list[int], args: argparse.Namespace) -> None:
    print(f"\n-- {label}: e-bike, {CUTOFF_MIN:g} min, {BUFFER_M:g} m bands --")
    service_areas(network, draw_stations(network, 2), mode=MODE, cutoff_min=CUTOFF_MIN)  # warm up
    subset = draw_stations(network, args.baseline)
    t_prev, (prev, prev_km) = timed(lambda: previous_areas(network, subset))
    per_prev = t_prev / len(subset)
    new = service_areas(network, subset, mode=MODE, cutoff_min=CUTOFF_MIN, on_far="exclude")
    got = new.to_crs(network.crs).geometry.to_numpy()
    want = np.asarray(prev, dtype=object)
    rel = shapely.area(shapely.symmetric_difference(got, want)) / shapely.area(want)
    same_km = np.allclose(new["street_km"].to_numpy(), prev_km, rtol=1e-9)
    print(
        f"previous implementation: {per_prev * 1000:.0f} ms per station on {len(subset)} "
        f"stations; new vs previous on them: symmetric difference / area max {rel.max():.2%}, "
        f"mean {rel.mean():.2%}; street km equal: {same_km}"
    )
    print(
        f"{'stations':>9}{'new, 1 thread':>15}{f'new, {args.jobs} threads':>18}"
        f"{'dissolve':>10}{'previous (extrap.)':>20}{'speed-up':>10}"
    )
    for count in counts:
        stations = draw_stations(network, count)
        kw: dict[str, Any] = {"mode": MODE, "cutoff_min": CUTOFF_MIN, "on_far": "exclude"}
        t_one, _ = timed(lambda: service_areas(network, stations, **kw))  # noqa: B023
        t_many, areas = timed(lambda: service_areas(network, stations, n_jobs=args.jobs, **kw))  # noqa: B023
        t_union, _ = timed(lambda: service_areas(network, stations, dissolve=True, **kw))  # noqa: B023
        t_prev_all = per_prev * len(areas)
        print(
            f"{count:>9,}{t_one:>14.1f}s{t_many:>17.1f}s{t_union:>9.1f}s"
            f"{t_prev_all:>19.0f}s{t_prev_all / min(t_one, t_many):>9.1f}x",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 and 1,000 stations")
    parser.add_argument("--jobs", type=int, default=2, help="threads (default 2)")
    parser.add_argument(
        "--baseline", type=int, default=None, help="stations the previous code runs on"
    )
    args = parser.parse_args()
    counts = [300, 1000] if args.quick else [2000, 10000]
    if args.baseline is None:
        args.baseline = 8 if args.quick else 24
    print(
        f"planner service-area benchmark; {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.2f} (other processes distort timings; ratios hold better)"
    )
    if SHENZHEN.is_file():
        start = time.perf_counter()
        network = network_from_osm(SHENZHEN)
        print(f"loaded Shenzhen Futian-Nanshan in {time.perf_counter() - start:.1f} s")
        case(network, "Shenzhen Futian-Nanshan", counts, args)
    else:
        print(f"Shenzhen network not found at {SHENZHEN}: skipped")
    from planner import datasets

    case(datasets.demo_network(), "embedded demo region", counts, args)


if __name__ == "__main__":
    main()
