"""Benchmark: the whole worker-station study, points -> sites -> map and report files.

Usage::

    python benchmarks/bench_e2e.py [--quick] [--network PATH] [--points 100000,300000]
                                   [--stations 2000,9000] [--candidates 5000] [--p 100]
                                   [--cutoff 10] [--baseline-max 100000] [--no-browser]
    python benchmarks/bench_e2e.py --beijing [--no-browser]

``--beijing`` is the Beijing-scale case of issue 18, the same as::

    python benchmarks/bench_e2e.py --network metropolis --points 1000000 --stations 9000 \
        --candidates 50000 --p 1000 --cutoff 15 --baseline-max 0 --service-areas all --jobs 2

(the synthetic 150,086-node metropolis, 10^6 demand points, 9,000 existing
stations, 50,000 candidates, 1,000 new sites, 15 min e-bike; target: under 10
minutes and 8 GB). It needs about 8 GB free and a few minutes.

On a road network (default: the Shenzhen Futian-Nanshan extract of
``../shared/data``; ``--network`` takes any OSM file, ``--network metropolis`` the
synthetic 150,000-node city of :func:`planner.datasets.metropolis_path`), with demand points,
existing stations and candidates scattered around random road nodes (up to about
150 m off the road, so that every point has its own access time) and written to
CSV files, each case runs ``read_points``/``read_stations``/``read_candidates``,
``Plan.worker_stations(...).site(p)`` (e-bike, fast solver) and ``to_files`` in
a **forked child**, and prints the time of every stage (read, snap, access,
solve, coverage, service areas, map, report: the ``stages`` of ``run.json``), the
child's peak memory (``ru_maxrss``; the network and imports alone are printed as
the floor), the size of ``map.html`` and the time until its ``load`` event in
headless Chromium.

Baseline in the same run: the per-point path the study used before demand was
grouped by node (one access-matrix row per demand point, the model built on
them, the per-point tables read off the model), for the sizes up to
``--baseline-max`` (it needs about 36 KB per point); its covered shares are
checked equal to ours, and the ratios are printed.

Existing stations stand in the western 60% of the network (so that new sites
add coverage); candidates anywhere. Service areas (polygons around every
existing and new site; independent of the number of points) are computed in
the first case of each station count only (``--service-areas all`` for every
case); the other cases print them in brackets from that case. ``--service-areas
pair`` runs every case without and then with them, and prints the ratio (target:
at most 1.5x). A state of more than 500 sites (the existing stations here) has
its per-site polygons traced on first use of ``result.service_areas``, not by
the study (the map draws their merged area): that time is printed on its own,
with the ratio it would give.

Every case prints the fast solver's proven gap (``gap``: 0 is proven optimal) and
its model rows. Targets: Shenzhen, 300,000 points, 2,000 stations: under 3 GB peak
(10.8 GB before); Beijing scale: under 10 minutes (read to report) and 8 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHENZHEN = ROOT.parent / "shared" / "data" / "shenzhen" / "futian_nanshan_drive.osm.pbf"
TARGET = "Shenzhen 300,000 points, 2,000 stations: under 3 GB peak (10.8 GB before)"
BEIJING = "Beijing scale (1,000,000 points, 9,000 + 1,000 stations, 50,000 candidates, 15 min)"
BEIJING_ARGS = {
    "network": "metropolis",
    "points": "1000000",
    "stations": "9000",
    "candidates": 50000,
    "p": 1000,
    "cutoff": 15.0,
    "baseline_max": 0,
    "service_areas": "all",
    "jobs": 2,
}


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _reset_peak() -> float:
    """Reset the peak resident memory (Linux ``clear_refs``); return the current one, MB."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS") or _peak_mb()


def _peak_mb() -> float:
    """Peak resident memory of this process since the last reset, MB."""
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _in_child(target: Any, *args: Any) -> dict[str, Any]:
    """Run ``target(*args)`` in a forked child; return its dict (or the error)."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def run() -> None:
        try:
            child.send(target(*args))
        except BaseException as error:  # report any failure to the parent
            child.send({"error": f"{type(error).__name__}: {error}"})

    proc = ctx.Process(target=run)
    proc.start()
    out = parent.recv() if parent.poll(None) else {"error": "no answer"}
    proc.join()
    if proc.exitcode not in (0, None) and "error" not in out:
        out["error"] = f"exit code {proc.exitcode}"
    return out


def _prepare(
    network: str, folder: str, sizes: list[int], stations: list[int], n_cand: int
) -> dict[str, Any]:
    """Write demand, station and candidate CSV files around random road nodes."""
    import numpy as np
    import pandas as pd
    from pyproj import Transformer

    from planner import network_from_osm

    net = network_from_osm(network, modes=["ebike"])
    rng = np.random.default_rng(20240601)
    xy = np.asarray(net.xy, dtype=float)
    # existing stations in the western 60% of the area only, so that new sites matter
    west = xy[xy[:, 0] <= np.quantile(xy[:, 0], 0.6)]
    to_lonlat = Transformer.from_crs(net.crs, 4326, always_xy=True)

    def scatter(n: int, spread: float, nodes: np.ndarray = xy) -> tuple[np.ndarray, np.ndarray]:
        at = nodes[rng.integers(0, len(nodes), n)]
        angle = rng.uniform(0, 2 * np.pi, n)
        radius = spread * np.sqrt(rng.uniform(0, 1, n))
        lon, lat = to_lonlat.transform(
            at[:, 0] + radius * np.cos(angle), at[:, 1] + radius * np.sin(angle)
        )
        return np.round(lon, 7), np.round(lat, 7)

    files: dict[str, str] = {}
    for n in sizes:
        lon, lat = scatter(n, 150.0)
        path = Path(folder) / f"demand_{n}.csv"
        pd.DataFrame(
            {
                "lon": lon,
                "lat": lat,
                "weight": rng.integers(1, 4, n),
                "group": np.where(rng.uniform(size=n) < 0.6, "rider", "courier"),
            }
        ).to_csv(path, index=False)
        files[f"demand_{n}"] = str(path)
    for n in stations:
        lon, lat = scatter(n, 60.0, west)
        path = Path(folder) / f"stations_{n}.csv"
        pd.DataFrame({"id": [f"S{i}" for i in range(n)], "lon": lon, "lat": lat}).to_csv(
            path, index=False
        )
        files[f"stations_{n}"] = str(path)
    lon, lat = scatter(n_cand, 60.0)
    path = Path(folder) / "candidates.csv"
    pd.DataFrame({"id": [f"C{i}" for i in range(n_cand)], "lon": lon, "lat": lat}).to_csv(
        path, index=False
    )
    files["candidates"] = str(path)
    files["nodes"] = str(len(xy))
    return files


def _load(network: str, files: dict[str, str], n: int, n_st: int) -> tuple[Any, ...]:
    import planner

    started = time.perf_counter()
    net = planner.network_from_osm(network, modes=["ebike"])
    net.csr("ebike")
    # the study's peak, not the network build's: the peak is reset once the network is in
    floor = _reset_peak()
    network_s = time.perf_counter() - started
    started = time.perf_counter()
    demand = planner.read_points(files[f"demand_{n}"], datum="wgs84")
    stations = planner.read_stations(files[f"stations_{n_st}"], datum="wgs84").set_index("id")
    candidates = planner.read_candidates(files["candidates"], datum="wgs84").set_index("id")
    read_s = time.perf_counter() - started
    return net, demand, stations, candidates, floor, network_s, read_s


def _study(
    network: str,
    files: dict[str, str],
    n: int,
    n_st: int,
    p: int,
    cutoff: float,
    out: str,
    areas: bool,
    jobs: int = 1,
) -> dict[str, Any]:
    """Our study, end to end, in this (forked) process."""
    from planner.plan import Plan

    net, demand, stations, candidates, floor, network_s, read_s = _load(network, files, n, n_st)
    started = time.perf_counter()
    plan = Plan.worker_stations(
        net,
        stations=stations,
        demand=demand,
        candidates=candidates,
        cutoff_min=cutoff,
        groups=("group",),
        name=f"bench {n:,} points",
        service_areas=areas,
    )
    result = plan.site(p=p, solver="fast", n_jobs=jobs)
    result.to_files(out, tiles=None)
    total_s = time.perf_counter() - started + read_s
    # per-site polygons of a state of over 500 sites, traced on first use (a notebook's)
    later = result.parameters.get("service_areas_on_use", [])
    started = time.perf_counter()
    n_areas = len(result.service_areas)
    on_use_s = time.perf_counter() - started if later else 0.0
    run = json.loads((Path(out) / "run.json").read_text())
    stages = {s["name"]: s["seconds"] for s in run["stages"]}
    stages["read"] = stages.get("read", 0.0) + read_s
    access = result.access
    return {
        "stages": stages,
        "total_s": total_s,
        "network_s": network_s,
        "floor_mb": floor,
        "peak_mb": _peak_mb(),
        "map_mb": (Path(out) / "map.html").stat().st_size / 1e6,
        "share_before": result.share_before,
        "share_after": result.share_after,
        "sites": len(result.sites),
        "demand_nodes": access.n_nodes if access is not None else 0,
        "model_rows": len(result.locate.demand) if result.locate is not None else 0,
        "gap": result.gap,
        "later": list(later),
        "on_use_s": on_use_s,
        "n_areas": n_areas,
    }


def _per_point(
    network: str, files: dict[str, str], n: int, n_st: int, p: int, cutoff: float
) -> dict[str, Any]:
    """The per-point path as the study ran it before: one matrix row per demand point."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from planner.access import access_matrix
    from planner.locate import MCLP
    from planner.plan import Plan
    from planner.plan._inputs import existing_stations, sites_frame
    from planner.presets import minutes

    net, demand, stations, candidates, floor, _, read_s = _load(network, files, n, n_st)
    stages = {"read": read_s}
    plan = Plan.worker_stations(
        net, stations=stations, demand=demand, candidates=candidates, cutoff_min=cutoff
    )
    existing = existing_stations(plan)
    t = time.perf_counter()
    am = access_matrix(
        net,
        plan.demand,
        sites_frame(existing, plan.candidates),
        mode="ebike",
        cutoff_min=cutoff,
        on_far="exclude",
    )
    stages["snap + access"] = time.perf_counter() - t
    t = time.perf_counter()
    m = am.matrix
    in_min = sp.csr_array((minutes(m.data), m.indices, m.indptr), shape=m.shape)
    ex = [s for s in existing.index if s in am.site_index]
    weights = plan.demand["weight"].reindex(am.demand_index).to_numpy(float)
    common = {
        "cutoff": cutoff,
        "weights": weights,
        "existing": ex,
        "demand_index": am.demand_index,
        "site_index": am.site_index,
    }
    locate = MCLP.from_matrix(in_min, p=p, **common).solve(solver="fast", seed=plan.seed)
    stages["solve"] = time.perf_counter() - t
    t = time.perf_counter()
    reach = MCLP.from_matrix(in_min, **common).data.within(cutoff)
    cols = np.flatnonzero(pd.Index(am.site_index).isin(ex))
    before = np.diff(sp.csr_array(reach[:, cols]).indptr) > 0
    cols = np.flatnonzero(pd.Index(am.site_index).isin(ex + list(locate.selected)))
    after = np.diff(sp.csr_array(reach[:, cols]).indptr) > 0
    table = locate.demand
    stages["coverage"] = time.perf_counter() - t
    total = float(plan.demand["weight"].sum())
    return {
        "stages": stages,
        "total_s": sum(stages.values()),
        "floor_mb": floor,
        "peak_mb": _peak_mb(),
        "pairs": int(m.nnz),
        "share_before": float(weights[before].sum()) / total,
        "share_after": float(weights[after].sum()) / total,
        "rows": len(table),
    }


def _metropolis() -> dict[str, Any]:
    from planner.datasets import metropolis_path

    return {"path": str(metropolis_path())}


def _map_load_s(path: Path) -> float | None:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=300_000)
        seconds = time.perf_counter() - started
        browser.close()
    return seconds


def main() -> int:
    """Run the cases and print the table; return 0 (1 if a case failed)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--network", default=str(SHENZHEN))
    ap.add_argument("--points", default=None)
    ap.add_argument("--stations", default=None)
    ap.add_argument("--candidates", type=int, default=None)
    ap.add_argument("--p", type=int, default=None)
    ap.add_argument("--cutoff", type=float, default=10.0)
    ap.add_argument("--baseline-max", type=int, default=None)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument(
        "--service-areas",
        choices=["first", "all", "none", "pair"],
        default="first",
        help="pair: every case with and without them, and the ratio (target: at most 1.5x)",
    )
    ap.add_argument("--jobs", type=int, default=1, help="threads for the study (n_jobs)")
    ap.add_argument("--beijing", action="store_true", help="the Beijing-scale case (see above)")
    args, _ = ap.parse_known_args()  # run_all.py passes every benchmark's flags
    if args.beijing:
        for key, value in BEIJING_ARGS.items():
            setattr(args, key, value)
    sizes = [
        int(x)
        for x in (args.points or ("20000" if args.quick else "100000,300000,1000000")).split(",")
    ]
    stations = [
        int(x) for x in (args.stations or ("2000" if args.quick else "2000,9000")).split(",")
    ]
    n_cand = args.candidates or (1000 if args.quick else 5000)
    p = args.p or (20 if args.quick else 100)
    baseline_max = (
        args.baseline_max if args.baseline_max is not None else (20000 if args.quick else 100000)
    )
    if args.network == "metropolis":  # the synthetic 150,000-node city (made once, cached)
        made = _in_child(_metropolis)
        if "error" in made:
            print("making the metropolis failed:", made["error"])
            return 1
        args.network = made["path"]
    if not Path(args.network).exists():
        print(f"no network file {args.network} (pass --network PATH to an OSM extract)")
        return 0
    print(
        f"network {args.network}; {n_cand:,} candidates, p = {p}, {args.cutoff:g} min e-bike, "
        f"fast solver, {args.jobs} thread(s)"
    )
    print(f"target: {TARGET}")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = _in_child(_prepare, args.network, tmp, sizes, stations, n_cand)
        if "error" in files:
            print("preparing the inputs failed:", files["error"])
            return 1
        print(f"{int(files['nodes']):,} network nodes\n")
        names = ["read", "snap", "access", "solve", "coverage", "service areas", "map", "report"]
        head = f"{'points':>9} {'stations':>8} | " + " ".join(f"{s[:8]:>8}" for s in names)
        print(
            head
            + f" | {'total s':>7} {'peak MB':>8} {'floor MB':>8} {'map MB':>6} {'load s':>6}"
            + f" | {'gap':>8} {'rows':>8}"
        )
        rows = []
        for n_st in stations:
            areas_s = None
            runs = [
                (
                    n,
                    args.service_areas in ("all", "pair")
                    or (args.service_areas == "first" and k == 0),
                )
                for k, n in enumerate(sizes)
            ]
            if args.service_areas == "pair":  # without, then with, back to back
                runs = [(n, areas) for n, _ in runs for areas in (False, True)]
            for n, areas in runs:
                out = Path(tmp) / f"out_{n}_{n_st}"
                ours = _in_child(
                    _study, args.network, files, n, n_st, p, args.cutoff, str(out), areas, args.jobs
                )
                if "error" in ours:
                    print(f"{n:>9,} {n_st:>8,} | failed: {ours['error']}")
                    failed += 1
                    continue
                load = None if args.no_browser else _map_load_s(out / "map.html")
                st = ours["stages"]
                cells = [f"{st.get(s, float('nan')):>8.2f}" for s in names]
                if areas:
                    areas_s = st.get("service areas")
                elif areas_s is not None:
                    cells[names.index("service areas")] = f"{f'({areas_s:.2f})':>8}"
                print(
                    f"{n:>9,} {n_st:>8,} | "
                    + " ".join(cells)
                    + f" | {ours['total_s']:>7.1f} {ours['peak_mb']:>8,.0f}"
                    + f" {ours['floor_mb']:>8,.0f} {ours['map_mb']:>6.1f}"
                    + f" {load if load is not None else float('nan'):>6.2f}"
                    + f" | {ours['gap']:>8.2e} {ours['model_rows']:>8,}",
                    flush=True,
                )
                if areas and ours["later"]:
                    print(
                        f"{'':>9} {'':>8} | per-site polygons of {', '.join(ours['later'])} "
                        f"(over 500 sites; the map draws their merged area) traced on first use "
                        f"of result.service_areas: {ours['on_use_s']:.2f} s more, "
                        f"{ours['n_areas']:,} polygons in all",
                        flush=True,
                    )
                if args.service_areas == "pair" and areas and rows and rows[-1][:2] == (n, n_st):
                    bare = rows[-1][2]["total_s"]
                    ratio = ours["total_s"] / bare
                    print(
                        f"{'':>9} {'':>8} | with service areas {ours['total_s']:.1f} s against "
                        f"{bare:.1f} s without: {ratio:.2f}x (target at most 1.5x: "
                        f"{'met' if ratio <= 1.5 else 'NOT met'}); with every per-site polygon "
                        f"traced too: {(ours['total_s'] + ours['on_use_s']) / bare:.2f}x",
                        flush=True,
                    )
                rows.append((n, n_st, ours))
                shutil.rmtree(out, ignore_errors=True)
        print("\nper-point baseline (one access row per point, as before), same inputs:")
        for n, n_st, ours in {(n, n_st): (n, n_st, ours) for n, n_st, ours in rows}.values():
            if n > baseline_max:
                continue
            base = _in_child(_per_point, args.network, files, n, n_st, p, args.cutoff)
            if "error" in base:
                print(f"{n:>9,} {n_st:>8,} | baseline failed: {base['error']}")
                continue
            same = (
                abs(base["share_before"] - ours["share_before"]) < 1e-12
                and abs(base["share_after"] - ours["share_after"]) < 1e-12
            )
            bs = base["stages"]
            ours_core = sum(
                ours["stages"].get(s, 0.0) for s in ("read", "snap", "access", "solve", "coverage")
            )
            print(
                f"{n:>9,} {n_st:>8,} | per point: {base['pairs']:,} pairs, {base['rows']:,} rows; "
                + ", ".join(f"{k} {v:.2f} s" for k, v in bs.items())
                + f"; peak {base['peak_mb']:,.0f} MB"
            )
            above = (base["peak_mb"] - base["floor_mb"]) / max(
                ours["peak_mb"] - ours["floor_mb"], 1
            )
            print(
                f"{'':>9} {'':>8} | ours: {ours['demand_nodes']:,} node rows, "
                f"{ours['model_rows']:,} model rows; "
                f"same stages {ours_core:.2f} s; peak {ours['peak_mb']:,.0f} MB -> "
                f"memory {base['peak_mb'] / ours['peak_mb']:.1f}x less, "
                f"above the floor {above:.1f}x less, "
                f"time {base['total_s'] / max(ours_core, 1e-9):.1f}x; "
                f"coverage before/after {ours['share_before']:.4%} / {ours['share_after']:.4%} "
                f"({'equal' if same else 'DIFFERENT'} to the baseline's "
                f"{base['share_before']:.4%} / {base['share_after']:.4%})",
                flush=True,
            )
        # one verdict per case (with --service-areas pair: the run with them)
        for n, n_st, ours in {(n, n_st): (n, n_st, ours) for n, n_st, ours in rows}.values():
            if n == 300_000 and n_st == 2000 and Path(args.network) == SHENZHEN:
                verdict = "met" if ours["peak_mb"] < 3 * 1024 else "NOT met"
                print(f"\ntarget {TARGET}: peak {ours['peak_mb']:,.0f} MB, {verdict}")
            beijing = n >= 1_000_000 and n_st >= 9000 and int(files["nodes"]) >= 150_000
            if beijing and n_cand >= 50_000 and p >= 1000 and args.cutoff == 15:
                met = ours["peak_mb"] < 8 * 1024 and ours["total_s"] < 600
                print(
                    f"\ntarget {BEIJING}: under 10 min and 8 GB: {ours['total_s']:.0f} s, "
                    f"peak {ours['peak_mb']:,.0f} MB, gap {ours['gap']:.2e} "
                    f"({ours['share_after']:.4%} covered after), " + ("met" if met else "NOT met")
                )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
