"""Benchmark stay-point detection and hotspot clustering on millions of GPS fixes.

Run from the repository root::

    python benchmarks/bench_demand.py            # 1,000,000 and 5,000,000 fixes
    python benchmarks/bench_demand.py --quick    # 200,000 and 1,000,000 fixes

Traces are synthetic (``tests/traces_synth.py``, seeded): riders driving at 5 m/s
between planted stops of 8-40 minutes at 25 sites, sampled every 5-30 s with 8 m
GPS noise, rows shuffled. Both methods run in the same run, each in a fresh
process that reads the same Parquet file, so peak memory is the child's resident
set high-water mark (``ru_maxrss``), reported in full and above what it held
before the call. Times are the best of ``--repeat`` runs (3 for planner, 1 for the
slow baseline by default; other processes share the machine):

* ``planner``: ``stays_from_traces`` (vectorised Li et al. 2008, chunked by
  drivers) + ``hotspots_from_stays`` (DBSCAN), with ``merge=False`` (exactly Li's
  algorithm, as the baseline) and with the default merge of split stays;
* ``baseline``: the straightforward per-driver pandas loop: sort, project with
  pyproj, ``groupby("driver_id")``, Li's algorithm in a Python loop per driver,
  centroids with ``DataFrame.mean``, then the same DBSCAN.

The two Li runs must find the same number of stays (checked).

Trace files on Dask (``--dask``): ``stays_from_trace_files`` on a folder of Parquet
files partitioned by driver (one file per ~1M fixes, written in chunks by the same
generator), on a ``dask.distributed.LocalCluster`` of ``--workers`` worker
processes (one thread each) with ``--memory-limit`` each (2 x 4 GB: the 8 GB
target). It prints the generation time, the run time, fixes/s, and each worker's
peak resident memory (``ru_maxrss`` of the worker process); the baseline in the
same run is ``stays_from_traces`` in memory, in a fresh process, on the first
``--baseline-fixes`` fixes::

    python benchmarks/bench_demand.py --dask                      # 5 x 10^7 fixes
    python benchmarks/bench_demand.py --dask --fixes 10000000     # a smaller run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.traces_synth import planted_traces  # noqa: E402

POINTS_PER_DRIVER = 840  # what planted_traces draws on average with 6 stops per driver


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(fixes: pd.DataFrame) -> tuple[int, int]:
    """Per-driver pandas loop: Li et al. (2008) in Python, then DBSCAN."""
    from pyproj import Transformer
    from sklearn.cluster import DBSCAN

    d_max, t_min = 200.0, 300.0
    fixes = fixes.sort_values(["driver_id", "time"])
    transformer = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    x, y = transformer.transform(fixes["lon"].to_numpy(), fixes["lat"].to_numpy())
    seconds = fixes["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    fixes = fixes.assign(x=x, y=y, t=seconds)
    rows = []
    for driver, group in fixes.groupby("driver_id", sort=True):
        gx, gy, gt = group["x"].to_numpy(), group["y"].to_numpy(), group["t"].to_numpy()
        n = len(group)
        i = 0
        while i < n:
            j = i + 1
            while j < n:
                if gt[j] - gt[j - 1] > 3600:
                    break
                if (gx[j] - gx[i]) ** 2 + (gy[j] - gy[i]) ** 2 > d_max * d_max:
                    break
                j += 1
            if gt[j - 1] - gt[i] >= t_min:
                part = group.iloc[i:j]
                rows.append((driver, gt[i], gt[j - 1], j - i, part["x"].mean(), part["y"].mean()))
                i = j
            else:
                i += 1
    stays = pd.DataFrame(rows, columns=["driver", "start", "end", "n", "x", "y"])
    labels = DBSCAN(eps=150.0, min_samples=2).fit_predict(stays[["x", "y"]].to_numpy())
    return len(stays), int(labels.max()) + 1


def ours(fixes: pd.DataFrame, *, merge: bool) -> tuple[int, int]:
    from planner.demand import hotspots_from_stays, stays_from_traces

    stays = stays_from_traces(fixes, merge=merge)
    hotspots = hotspots_from_stays(stays)
    return len(stays), len(hotspots)


def child(method: str, path: str, repeat: int) -> None:
    """Run one method on the Parquet file in this (fresh) process; print JSON."""
    import sklearn.cluster  # noqa: F401  (import cost is not part of the measure)

    import planner.demand  # noqa: F401

    fixes = pd.read_parquet(path)
    before = rss_mb()
    seconds = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        if method == "baseline":
            n_stays, n_hot = baseline(fixes)
        else:
            n_stays, n_hot = ours(fixes, merge=method == "planner")
        seconds = min(seconds, time.perf_counter() - start)
    peak = peak_mb()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak,
                "above_input_mb": max(peak - before, 0.0),
                "stays": n_stays,
                "hotspots": n_hot,
            }
        )
    )


def run_child(method: str, path: Path, repeat: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def files_child(paths: list[str]) -> None:
    """In-memory baseline: read these Parquet files, find the stays; print JSON."""
    from planner.demand import stays_from_traces

    fixes = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    start = time.perf_counter()
    stays = stays_from_traces(fixes)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {"seconds": seconds, "peak_mb": peak_mb(), "stays": len(stays), "fixes": len(fixes)}
        )
    )


def write_trace_files(folder: Path, n_fixes: int, per_file: int) -> list[Path]:
    """Write about ``n_fixes`` synthetic fixes as Parquet files of whole drivers, in chunks."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    written = 0
    while written < n_fixes:
        k = len(paths)
        drivers = max(min(per_file, n_fixes - written) // POINTS_PER_DRIVER, 1)
        fixes, _, _ = planted_traces(n_drivers=drivers, seed=1000 + k, shuffle=False)
        fixes["driver_id"] = f"f{k:04d}-" + fixes["driver_id"]
        path = folder / f"part-{k:04d}.parquet"
        fixes.to_parquet(path, index=False)
        paths.append(path)
        written += len(fixes)
    return paths


def _worker_peak_mb() -> float:
    import resource as res

    return res.getrusage(res.RUSAGE_SELF).ru_maxrss / 1024


def dask_main(args: argparse.Namespace) -> None:
    from dask.distributed import Client, LocalCluster

    from planner.demand import stays_from_trace_files

    print(
        f"stay points from trace files on Dask; {args.workers} workers x {args.memory_limit}; "
        f"{os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory(prefix="bench-trace-files-") as tmp:
        folder = Path(tmp) / "fixes"
        start = time.perf_counter()
        paths = write_trace_files(folder, args.fixes, args.file_fixes)
        gen_s = time.perf_counter() - start
        n_fixes = sum(pq_rows(p) for p in paths)
        size_mb = sum(p.stat().st_size for p in paths) / 2**20
        print(
            f"generated {n_fixes:,} fixes in {len(paths)} Parquet files ({size_mb:,.0f} MB) "
            f"in {gen_s:.0f} s"
        )
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=args.memory_limit,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(lambda: __import__("planner.demand"))
            start = time.perf_counter()
            stays = stays_from_trace_files(folder, scheduler=client)
            seconds = time.perf_counter() - start
            peaks = client.run(_worker_peak_mb)
        rate = n_fixes / seconds
        worst = max(peaks.values())
        label = f"dask {args.workers} workers"
        print(
            f"{label:<20} {n_fixes:>12,} fixes {seconds:>8.1f} s "
            f"{rate:>10,.0f} fixes/s  {len(stays):>10,} stays  worker peak "
            f"{', '.join(f'{v:,.0f}' for v in sorted(peaks.values()))} MB "
            f"({stays.attrs['trace_files']['partitions']} partitions, "
            f"shuffled {stays.attrs['trace_files']['shuffled']})"
        )
        # the baseline: in memory, one process, on the first files
        base_paths: list[str] = []
        rows = 0
        for p in paths:
            if rows >= args.baseline_fixes:
                break
            base_paths.append(str(p))
            rows += pq_rows(p)
        out = subprocess.run(
            [sys.executable, __file__, "--files-child", *base_paths],
            check=True,
            capture_output=True,
            text=True,
        )
        base = json.loads(out.stdout.strip().splitlines()[-1])
        base_rate = base["fixes"] / base["seconds"]
        print(
            f"{'in memory, 1 process':<20} {base['fixes']:>12,} fixes {base['seconds']:>8.1f} s "
            f"{base_rate:>10,.0f} fixes/s  {base['stays']:>10,} stays  peak "
            f"{base['peak_mb']:,.0f} MB"
        )
        print(
            f"throughput ratio dask / in memory: {rate / base_rate:.2f}x; worst worker peak "
            f"{worst:,.0f} MB of {args.memory_limit}; at this rate 5 x 10^7 fixes take "
            f"{5e7 / rate / 60:.1f} min and 10^9 fixes {1e9 / rate / 3600:.1f} h on "
            f"{args.workers} workers"
        )


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dask", action="store_true", help="trace files on a Dask cluster")
    parser.add_argument("--fixes", type=int, default=50_000_000, help="fixes for --dask")
    parser.add_argument("--file-fixes", type=int, default=1_000_000, help="fixes per file")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--memory-limit", default="4GB", help="memory limit of each worker")
    parser.add_argument(
        "--baseline-fixes", type=int, default=5_000_000, help="fixes for the in-memory baseline"
    )
    parser.add_argument("--files-child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="200k and 1M fixes")
    parser.add_argument("--sizes", type=int, nargs="*", help="numbers of fixes")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of planner per size (best kept)"
    )
    parser.add_argument(
        "--baseline-repeat", type=int, default=1, help="runs of the pandas loop per size"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.files_child:
        files_child(args.files_child)
        return
    if args.dask:
        dask_main(args)
        return
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    sizes = args.sizes or ([200_000, 1_000_000] if args.quick else [1_000_000, 5_000_000])
    print(f"stay points + hotspots; {os.cpu_count()} cores; numpy {np.__version__}")
    header = (
        f"{'fixes':>10} {'method':<18} {'time s':>8} {'peak MB':>8} {'+MB':>7} "
        f"{'stays':>7} {'hotspots':>8} {'speed-up':>8}"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="bench-demand-") as tmp:
        for size in sizes:
            drivers = max(size // POINTS_PER_DRIVER, 1)
            fixes, _, _ = planted_traces(n_drivers=drivers, seed=42, shuffle=True)
            path = Path(tmp) / f"fixes_{size}.parquet"
            fixes.to_parquet(path)
            results = {
                method: run_child(
                    method, path, args.baseline_repeat if method == "baseline" else args.repeat
                )
                for method in ("planner-li", "planner", "baseline")
            }
            base = results["baseline"]
            if results["planner-li"]["stays"] != base["stays"]:
                raise SystemExit(
                    f"stay counts differ: planner {results['planner-li']['stays']} "
                    f"vs baseline {base['stays']}"
                )
            for method, r in results.items():
                label = {
                    "planner-li": "planner (Li)",
                    "planner": "planner (merged)",
                    "baseline": "pandas loop",
                }[method]
                print(
                    f"{len(fixes):>10,} {label:<18} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f} "
                    f"{r['above_input_mb']:>7.0f} {r['stays']:>7,} {r['hotspots']:>8,} "
                    f"{base['seconds'] / r['seconds']:>7.1f}x"
                )


if __name__ == "__main__":
    main()
