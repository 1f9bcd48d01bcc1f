"""Benchmark service areas at city scale: thousands of stations, new against previous code.

Run from the repository root (a git clone: the previous tracer is read from history)::

    python benchmarks/bench_isochrones.py            # 2,000 and 10,000 stations
    python benchmarks/bench_isochrones.py --quick    # 300 and 1,000 stations

Instance: the Shenzhen Futian-Nanshan network (../shared/data, skipped when absent)
and the embedded demo region; e-bike (the default mode), 15 minutes, 25 m bands.
Stations are network nodes drawn with ``default_rng(42)`` (with replacement once
there are more stations than usable nodes: then several stations stand at one place,
as they do in a real city with more stations than network nodes) and moved 20 m
east and 15 m north, so that each has its own snap leg.

planner's ``service_areas`` runs one bounded search per station on the access
engine and traces each band from a distance field (``tolerance_m``, default 5 m;
marching squares on the inside nodes read as 64-bit words, the crossed cells found
by word operations), its rings simplified in the tracer (``simplify_m``, default a
fiftieth of it), and traces stations at the same place once. It is timed on all
stations, on 1 thread and on ``--jobs`` threads, with ``dissolve=True`` (the merged
area), and as the study draws it (10 m grid and simplification, holes below 1 km2 filled).

Baselines, measured in the same run:

* **dense tracer** (the previous code, commit ``dd59221``, read with ``git show``
  and imported beside the current package): the same searches and distance field,
  float64, every station traced on its own, rings kept to their collinear vertices.
  Timed at ``--jobs`` threads (and on 1 with ``--dense-one-thread``) on at most
  ``--dense-max`` stations (2,000: on 10,000 it held over 20 GB, ~25,000 vertices
  per polygon and a projected copy; beyond that its time is scaled per station and
  marked ``*``);
  the ratio compares it with the new code on as many threads. The printout gives
  the largest difference of ``area_km2`` and of the polygons (symmetric difference
  over area, on up to 500 stations) against it, and whether ``street_km`` is
  identical.
* **whole-box tracer** (commit ``3bb3c44``, read the same way): the same code before
  the field's blocks were tracked, filling and scanning each station's whole box
  and linking the rings with a sort; timed at ``--jobs`` threads on all stations.
  Its polygons, ``area_km2`` and ``street_km`` must be identical to the new ones
  (the printout says how many are).
* **GEOS union** (the first implementation: per station a scipy Dijkstra row, every
  boundary edge cut with ``shapely.ops.substring``, a buffer per reached street and
  a GEOS ``union_all``), rebuilt below. It costs ~0.1-0.5 s per station, so it runs
  on a subset of ``--baseline`` stations and its time is EXTRAPOLATED per station to
  the full count (printed as such).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
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
DENSE_COMMIT = "dd59221"  # the dense tracer, before stations shared work and rings were simplified
BOX_COMMIT = "3bb3c44"  # the tracer that filled and scanned each station's whole box
_HERE = tempfile.mkdtemp(prefix="previous_isochrones_")


def dense_tracer(commit: str = DENSE_COMMIT) -> Any:
    """Import ``service_areas`` as it was at ``commit`` (None when git cannot tell)."""
    sources = {}
    tag = f"_{commit}"
    for name in ("isochrones", "_isoband"):
        try:
            sources[name] = subprocess.run(
                ["git", "show", f"{commit}:planner/{name}.py"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    # the old tracer uses the old kernels; everything else from today's package
    sources["isochrones"] = sources["isochrones"].replace(
        "from planner._isoband import", f"from isoband{tag} import"
    )
    module = None
    for name, target in (("_isoband", f"isoband{tag}"), ("isochrones", f"isochrones{tag}")):
        path = Path(_HERE) / f"{target}.py"
        path.write_text(sources[name])
        spec = importlib.util.spec_from_file_location(target, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[target] = module
        spec.loader.exec_module(module)
    return getattr(module, "service_areas", None)


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
    kw: dict[str, Any] = {"mode": MODE, "cutoff_min": CUTOFF_MIN, "on_far": "exclude"}
    study: dict[str, Any] = {"tolerance_m": 10.0, "simplify_m": 10.0, "fill_holes_km2": 1.0}
    dense = dense_tracer()
    box = dense_tracer(BOX_COMMIT)
    service_areas(network, draw_stations(network, 2), **kw)  # warm up
    if box is not None:
        box(network, draw_stations(network, 2), **kw)
    if dense is not None:
        dense(network, draw_stations(network, 2), **kw)
    else:
        print(f"the dense tracer of {DENSE_COMMIT} is not in git history here: skipped")
    subset = draw_stations(network, args.baseline)
    t_prev, (prev, prev_km) = timed(lambda: previous_areas(network, subset))
    per_prev = t_prev / len(subset)
    new = service_areas(network, subset, **kw)
    got = new.to_crs(network.crs).geometry.to_numpy()
    want = np.asarray(prev, dtype=object)
    rel = shapely.area(shapely.symmetric_difference(got, want)) / shapely.area(want)
    same_km = np.allclose(new["street_km"].to_numpy(), prev_km, rtol=1e-9)
    print(
        f"GEOS union (first implementation): {per_prev * 1000:.0f} ms per station on "
        f"{len(subset)} stations; new vs it on them: symmetric difference / area max "
        f"{rel.max():.2%}, mean {rel.mean():.2%}; street km equal: {same_km}"
    )
    jobs = args.jobs
    if box is not None:
        print(
            f"whole-box tracer of {BOX_COMMIT} (each station's field filled and scanned over "
            f"its whole box): 'box {jobs}', on {jobs} threads, all stations"
        )
    print(
        f"{'stations':>9}{'places':>8} | {'new 1 th':>9}{f'new {jobs} th':>9}{'dissolve':>9}"
        f"{f'study {jobs}':>9}{f'box {jobs}':>8}{'ratio':>7} | "
        f"{'dense 1':>8}{f'dense {jobs}':>8}{'ratio':>7} | "
        f"{'GEOS (extrap.)':>15}{'ratio':>7}"
    )
    for count in counts:
        stations = draw_stations(network, count)
        places = len(stations.geometry.drop_duplicates())
        t_one, _ = timed(lambda: service_areas(network, stations, **kw))  # noqa: B023
        t_many, areas = timed(lambda: service_areas(network, stations, n_jobs=jobs, **kw))  # noqa: B023
        t_union, _ = timed(lambda: service_areas(network, stations, dissolve=True, **kw))  # noqa: B023
        t_study, _ = timed(
            lambda: service_areas(network, stations, n_jobs=jobs, **study, **kw)  # noqa: B023
        )
        print(
            f"    ({count:,} stations, new: {t_one:.1f} s on 1 thread, {t_many:.1f} s on {jobs}, "
            f"merged {t_union:.1f} s, as a study draws them {t_study:.1f} s)",
            flush=True,
        )
        box_cells = "skipped".rjust(15)
        if box is not None:
            t_box, boxed = timed(lambda: box(network, stations, n_jobs=jobs, **kw))  # noqa: B023
            box_cells = f"{t_box:>7.1f}s{t_box / t_many:>6.1f}x"
            same = shapely.equals_exact(
                areas.geometry.to_numpy(), boxed.geometry.to_numpy(), tolerance=0.0
            ) & (
                shapely.get_num_coordinates(areas.geometry.to_numpy())
                == shapely.get_num_coordinates(boxed.geometry.to_numpy())
            )
            print(
                f"    new vs whole-box tracer: identical polygons {int(same.sum()):,} of "
                f"{len(same):,}; area_km2 equal: "
                f"{areas['area_km2'].equals(boxed['area_km2'])}; street_km equal: "
                f"{areas['street_km'].equals(boxed['street_km'])}",
                flush=True,
            )
        t_prev_all = per_prev * len(areas)
        cells = "skipped".rjust(23)
        diff = ""
        if dense is not None:
            # the dense tracer keeps ~25,000 vertices per polygon and projects a copy of
            # them all: 10,000 stations took over 20 GB (killed); beyond --dense-max
            # stations it runs on the first ones and its time is scaled per station
            some_st = stations.iloc[: args.dense_max]
            scale = len(stations) / len(some_st)
            t_d1 = float("nan")
            if args.dense_one_thread:
                t_d1, _ = timed(lambda: dense(network, some_st, **kw))  # noqa: B023
            t_dm, old = timed(lambda: dense(network, some_st, n_jobs=jobs, **kw))  # noqa: B023
            t_d1, t_dm = t_d1 * scale, t_dm * scale
            mark = "*" if scale > 1 else " "
            cells = f"{t_d1:>6.1f}s{mark}{t_dm:>6.1f}s{mark}{t_dm / t_many:>6.1f}x"
            areas = areas.iloc[: len(some_st)]
            area_rel = np.abs(areas["area_km2"].to_numpy() / old["area_km2"].to_numpy() - 1)
            some = slice(0, 500)
            a = areas.geometry.iloc[some].to_crs(network.crs).to_numpy()
            b = old.geometry.iloc[some].to_crs(network.crs).to_numpy()
            sym = shapely.area(shapely.symmetric_difference(a, b)) / shapely.area(b)
            km_same = areas["street_km"].equals(old["street_km"])
            diff = (
                (
                    f"    * dense tracer on the first {len(some_st):,} stations, scaled\n"
                    if scale > 1
                    else ""
                )
                + f"    new vs dense: area_km2 max difference {np.nanmax(area_rel):.4%}, "
                f"polygons (symmetric difference / area, first 500) max {np.nanmax(sym):.4%}; "
                f"street_km identical: {km_same}; vertices per polygon "
                f"{shapely.get_num_coordinates(areas.geometry.to_numpy()).mean():,.0f} "
                f"(dense {shapely.get_num_coordinates(old.geometry.to_numpy()).mean():,.0f})"
            )
        print(
            f"{count:>9,}{places:>8,} | {t_one:>8.1f}s{t_many:>8.1f}s{t_union:>8.1f}s"
            f"{t_study:>8.1f}s{box_cells} | {cells} | "
            f"{t_prev_all:>14.0f}s{t_prev_all / min(t_one, t_many):>6.0f}x",
            flush=True,
        )
        if diff:
            print(diff, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 and 1,000 stations")
    parser.add_argument("--jobs", type=int, default=2, help="threads (default 2)")
    parser.add_argument(
        "--baseline", type=int, default=None, help="stations the previous code runs on"
    )
    parser.add_argument("--counts", default=None, help="station counts, e.g. 10000")
    parser.add_argument("--shenzhen-only", action="store_true", help="skip the demo region")
    parser.add_argument(
        "--dense-one-thread", action="store_true", help="time the dense tracer on 1 thread too"
    )
    parser.add_argument(
        "--dense-max", type=int, default=2000, help="stations the dense tracer runs on at most"
    )
    args = parser.parse_args()
    counts = [300, 1000] if args.quick else [2000, 10000]
    if args.counts:
        counts = [int(c) for c in args.counts.split(",")]
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
    if not args.shenzhen_only:
        from planner import datasets

        case(datasets.demo_network(), "embedded demo region", counts, args)


if __name__ == "__main__":
    main()
