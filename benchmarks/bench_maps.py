"""Benchmark: plan maps with many demand points and stations, opened and panned in Chromium.

Usage: ``python benchmarks/bench_maps.py [--quick] [--city-points N] [--city-stations N]``,
``python benchmarks/bench_maps.py --roads metropolis [--city-points N] [--city-stations N]``.

1. For 10^4, 10^5 (and, without ``--quick``, 10^6) demand points spread over a
   20 km x 20 km box around a small network, prints the time to build the map in
   Python, the HTML size, the time until the page's ``load`` event, and the mean
   time of a 300 px pan measured inside the page (``performance.now()`` around
   ``map.panBy`` and two animation frames), with the number of heat points drawn.
2. A city: on the Shenzhen extract of ``../shared/data`` (4,295 nodes), 10^6 demand
   points and 10^4 existing stations (10^5 and 3,000 with ``--quick``) scattered
   around road nodes as ``bench_e2e.py`` does, 5,000 candidates, p = 100, 10 min
   e-bike. The study is run once; then its map is built twice, with the stations
   as one compact canvas layer (the default above 500 stations) and as one icon
   marker each (``compact_stations_above=None``: the path before, clustered),
   and for each: build and render time, ``map.html`` size, time to the ``load``
   event and to two frames after it (everything drawn) at 1440x900, the median
   300 px pan (the pan and two frames: 33 ms at least at 60 Hz), and the heat
   points. Ratios printed.
3. ``--roads metropolis`` (only this case): the roads of the synthetic 150,086-node
   metropolis (:func:`planner.datasets.metropolis_path`), drawn as the compact layer
   (the default above 20,000 street segments) and as one GeoJSON line each
   (``compact_above=None``: the path before), on an empty map without tiles: build and
   render time and the HTML's size, then in Chromium the time to ``load`` and to two
   frames after it, and the median 300 px pan seen whole and at zoom 16; then the map
   of a Beijing-scale study without its solve: these roads, 10^4 existing stations
   (compact) and the heat of 10^6 demand points (``metropolis_stations``,
   ``metropolis_demand_points``), built and opened the same way. ``--roads PATH``
   takes any OSM file.

Needs Debian's ``chromium`` and Playwright.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.maps import plan_map, save_map
from planner.network import TravelMode
from planner.plan import Plan
from tests.conftest import line_inputs, metric_network, points_gdf

SHENZHEN = Path(__file__).resolve().parents[2] / "shared" / "data" / "shenzhen"


def _in_browser(browser: Any, path: Path, timeout_ms: float = 300_000) -> dict[str, float]:
    """Seconds to the ``load`` event and to two frames after it; a 300 px pan in ms."""
    name = re.search(r"var (map_[0-9a-f]+) = L\.map", path.read_text()).group(1)  # type: ignore[union-attr]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=timeout_ms)
    load = time.perf_counter() - started
    drawn = page.evaluate(
        "async () => { await new Promise(r => requestAnimationFrame(() => "
        "requestAnimationFrame(r))); return performance.now() / 1000; }"
    )
    # the median of 12 pans (after 2 unmeasured): one pan and two frames (33 ms at 60 Hz)
    pan = page.evaluate(
        f"""async () => {{ const times = [];
        for (let k = 0; k < 14; k++) {{
            const t0 = performance.now();
            {name}.panBy([k % 2 ? -300 : 300, 0], {{animate: false}});
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
            if (k >= 2) times.push(performance.now() - t0);
        }}
        times.sort((a, b) => a - b); return (times[5] + times[6]) / 2; }}"""
    )
    heat = page.evaluate(
        f"() => {{ let n = 0; {name}.eachLayer(l => "
        "{ if (l._heat) n = l._latlngs.length; }); return n; }"
    )
    page.close()
    if errors:
        print(f"  page errors: {errors[:3]}")
    return {"load": load, "drawn": drawn, "pan": pan, "heat": heat}


def _city_plan(n_points: int, n_stations: int) -> Any:
    """The Shenzhen study (points and stations scattered around road nodes), solved."""
    import geopandas as gpd
    import pandas as pd
    from pyproj import Transformer

    from planner import network_from_osm

    net = network_from_osm(SHENZHEN / "futian_nanshan_drive.osm.pbf", modes=["ebike"])
    rng = np.random.default_rng(20240601)
    xy = np.asarray(net.xy, dtype=float)
    west = xy[xy[:, 0] <= np.quantile(xy[:, 0], 0.6)]
    to_lonlat = Transformer.from_crs(net.crs, 4326, always_xy=True)

    def scatter(n: int, spread: float, nodes: np.ndarray = xy) -> Any:
        at = nodes[rng.integers(0, len(nodes), n)]
        angle = rng.uniform(0, 2 * np.pi, n)
        radius = spread * np.sqrt(rng.uniform(0, 1, n))
        lon, lat = to_lonlat.transform(
            at[:, 0] + radius * np.cos(angle), at[:, 1] + radius * np.sin(angle)
        )
        return gpd.points_from_xy(lon, lat)

    demand = gpd.GeoDataFrame(
        {
            "weight": rng.integers(1, 4, n_points).astype(float),
            "group": np.where(rng.uniform(size=n_points) < 0.6, "rider", "courier"),
        },
        geometry=scatter(n_points, 150.0),
        crs=4326,
    )
    stations = gpd.GeoDataFrame(
        {
            "name": [f"Station {k}" for k in range(n_stations)],
            "kind": "worker_station",
            "hours": np.where(rng.uniform(size=n_stations) < 0.3, "24/7", "08:00-20:00"),
        },
        geometry=scatter(n_stations, 60.0, west),
        crs=4326,
        index=pd.Index([f"S{k}" for k in range(n_stations)], name="id"),
    )
    candidates = gpd.GeoDataFrame(
        {"kind": "parking"},
        geometry=scatter(5000, 60.0),
        crs=4326,
        index=pd.Index([f"C{k}" for k in range(5000)], name="id"),
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stations far from the extract's roads are left out
        return Plan.worker_stations(
            net,
            stations=stations,
            demand=demand,
            candidates=candidates,
            cutoff_min=10.0,
            groups=("group",),
            name="Shenzhen bench",
            service_areas=False,
        ).site(p=100, solver="fast")


def city(browser: Any, tmp: Path, n_points: int, n_stations: int) -> None:
    """Print the city case: compact stations against one icon marker each."""
    from planner.maps import render_page

    started = time.perf_counter()
    res = _city_plan(n_points, n_stations)
    print(
        f"\nShenzhen, {n_points:,} demand points, {len(res.stations):,} existing stations mapped, "
        f"{len(res.sites)} new sites (study {time.perf_counter() - started:.0f} s)"
    )
    print(
        f"{'stations drawn as':>26} {'build s':>8} {'render s':>8} {'html MB':>8} {'load s':>7}"
        f" {'drawn s':>8} {'pan ms':>7} {'heat pts':>9}"
    )
    rows = {}
    for label, above in (("one compact layer (now)", 500), ("an icon each (before)", None)):
        t0 = time.perf_counter()
        m = plan_map(res, tiles=None, compact_stations_above=above)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = render_page(m, offline=True)
        render = time.perf_counter() - t0
        path = tmp / f"city_{above}.html"
        path.write_text(page, encoding="utf-8")
        seen = _in_browser(browser, path)
        rows[label] = {"build": build, "render": render, "mb": len(page.encode()) / 1e6} | seen
        r = rows[label]
        print(
            f"{label:>26} {build:>8.2f} {render:>8.2f} {r['mb']:>8.1f} {r['load']:>7.2f}"
            f" {r['drawn']:>8.2f} {r['pan']:>7.0f} {r['heat']:>9,}"
        )
    now, before = rows["one compact layer (now)"], rows["an icon each (before)"]
    print(
        f"{'before / now':>26} {before['build'] / now['build']:>7.1f}x"
        f" {before['render'] / now['render']:>7.1f}x {before['mb'] / now['mb']:>7.1f}x"
        f" {before['load'] / now['load']:>6.1f}x {before['drawn'] / now['drawn']:>7.1f}x"
        f" {before['pan'] / now['pan']:>6.1f}x"
    )


def _pan_at(browser: Any, path: Path, zoom: int) -> float:
    """The median 300 px pan (ms) at ``zoom``, centred on the map's middle."""
    name = re.search(r"var (map_[0-9a-f]+) = L\.map", path.read_text()).group(1)  # type: ignore[union-attr]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(path.as_uri(), wait_until="load", timeout=300_000)
    pan: float = page.evaluate(
        f"""async () => {{ {name}.setZoom({zoom}, {{animate: false}});
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const times = [];
        for (let k = 0; k < 14; k++) {{
            const t0 = performance.now();
            {name}.panBy([k % 2 ? -300 : 300, 0], {{animate: false}});
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
            if (k >= 2) times.push(performance.now() - t0);
        }}
        times.sort((a, b) => a - b); return (times[5] + times[6]) / 2; }}"""
    )
    page.close()
    return pan


def roads(browser: Any, tmp: Path, source: str, n_points: int, n_stations: int) -> None:
    """Print the roads case: the compact layer against one GeoJSON line each."""
    from planner import datasets, network_from_osm
    from planner._map_labels import labels_for
    from planner.maps import _heat_layer as heat_layer
    from planner.maps import add_roads, add_station_icons, new_map, render_page

    started = time.perf_counter()
    path = datasets.metropolis_path() if source == "metropolis" else Path(source)
    net = network_from_osm(path, modes=["ebike"])
    print(f"\nroads of {path.name}: {net} (loaded in {time.perf_counter() - started:.0f} s)")
    print(
        f"{'roads drawn as':>26} {'build s':>8} {'render s':>8} {'html MB':>8} {'load s':>7}"
        f" {'drawn s':>8} {'pan ms':>7} {'pan z16':>8}"
    )
    rows = {}
    for label, above in (("one compact layer (now)", 20_000), ("GeoJSON lines (before)", None)):
        t0 = time.perf_counter()
        m = add_roads(new_map(net.bounds, tiles=None), net, compact_above=above)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = render_page(m, offline=True)
        render = time.perf_counter() - t0
        out = tmp / f"roads_{above}.html"
        out.write_text(page, encoding="utf-8")
        from playwright.sync_api import TimeoutError as PageTimeout

        try:
            seen = _in_browser(browser, out, 150_000) | {"z16": _pan_at(browser, out, 16)}
        except PageTimeout:  # the GeoJSON lines of a city: no load event in 150 s
            seen = dict.fromkeys(("load", "drawn", "pan", "z16"), float("nan")) | {"heat": 0}
        rows[label] = r = {"build": build, "render": render, "mb": len(page.encode()) / 1e6} | seen
        print(
            f"{label:>26} {build:>8.2f} {render:>8.2f} {r['mb']:>8.1f} {r['load']:>7.2f}"
            f" {r['drawn']:>8.2f} {r['pan']:>7.0f} {r['z16']:>8.0f}"
        )
    now, before = rows["one compact layer (now)"], rows["GeoJSON lines (before)"]
    print(
        f"{'before / now':>26} {before['build'] / now['build']:>7.1f}x"
        f" {before['render'] / now['render']:>7.1f}x {before['mb'] / now['mb']:>7.1f}x"
        f" {before['load'] / now['load']:>6.1f}x {before['drawn'] / now['drawn']:>7.1f}x"
        f" {before['pan'] / now['pan']:>6.1f}x {before['z16'] / now['z16']:>7.1f}x"
    )
    if source != "metropolis":
        return
    demand = datasets.metropolis_demand_points(n_points, seed=1)
    stations = datasets.metropolis_stations(n_stations, seed=2)
    t0 = time.perf_counter()
    m = add_roads(new_map(net.bounds, tiles=None), net)
    heat_layer(m, demand, labels_for("en")["heat"], net.bounds)
    add_station_icons(m, stations)
    page = render_page(m, offline=True)
    build = time.perf_counter() - t0
    out = tmp / "study.html"
    out.write_text(page, encoding="utf-8")
    seen = _in_browser(browser, out)
    print(
        f"roads + {len(stations):,} stations + heat of {len(demand):,} points: built in "
        f"{build:.1f} s, {len(page.encode()) / 1e6:.1f} MB, load {seen['load']:.2f} s, "
        f"drawn {seen['drawn']:.2f} s, pan {seen['pan']:.0f} ms, {seen['heat']:,} heat points"
    )


def main() -> int:
    """Print the tables; return 0."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--city-points", type=int, default=None)
    ap.add_argument("--city-stations", type=int, default=None)
    ap.add_argument("--city-only", action="store_true")
    ap.add_argument("--roads", default=None, help="metropolis, or an OSM file: the roads case")
    args, _ = ap.parse_known_args()  # run_all.py passes every benchmark's flags
    quick = args.quick
    sizes = [] if args.city_only else [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("no chromium: apt-get install chromium")
        return 0
    from playwright.sync_api import sync_playwright

    ebike = TravelMode("ebike", speed_kmh=18.0, access_speed_kmh=3.6)
    nodes = {k: (300.0 * k, 0.0) for k in range(11)}
    net = metric_network(nodes, [(k, k + 1) for k in range(10)], modes=[ebike])
    inputs = line_inputs()
    rng = np.random.default_rng(7)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        if args.roads:
            roads(
                browser,
                Path(tmp),
                args.roads,
                args.city_points or 1_000_000,
                args.city_stations or 10_000,
            )
            browser.close()
            return 0
        print(
            f"{'points':>10} {'build s':>8} {'html MB':>8} {'load s':>7} {'pan ms':>7}"
            f" {'heat pts':>9}"
        )
        for n in sizes:
            xy = np.column_stack([rng.uniform(-8000, 12000, n), rng.uniform(-10000, 10000, n)])
            demand = points_gdf(xy, weight=rng.integers(1, 5, n).astype(float), group="rider")
            t0 = time.perf_counter()
            res = Plan(
                net,
                stations=inputs["stations"],
                demand=demand,
                candidates=inputs["candidates"],
                cutoff_min=2.5,
                service_areas=False,
            ).site(p=2)
            path = save_map(plan_map(res, tiles=None), Path(tmp) / f"m{n}.html", offline=True)
            build = time.perf_counter() - t0
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            t1 = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            load = time.perf_counter() - t1
            name = re.search(r"var (map_[0-9a-f]+) = L\.map", path.read_text()).group(1)  # type: ignore[union-attr]
            heat = page.evaluate(
                f"() => {{ let n = 0; {name}.eachLayer(l => "
                "{ if (l._heat) n = l._latlngs.length; }); return n; }"
            )
            pan = page.evaluate(
                f"""async () => {{ const t0 = performance.now();
                for (let k = 0; k < 5; k++) {{
                    {name}.panBy([300, 0], {{animate: false}});
                    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
                }}
                return (performance.now() - t0) / 5; }}"""
            )
            page.close()
            size = path.stat().st_size / 1e6
            print(f"{n:>10,} {build:>8.1f} {size:>8.1f} {load:>7.2f} {pan:>7.0f} {heat:>9,}")
        city(
            browser,
            Path(tmp),
            args.city_points or (100_000 if quick else 1_000_000),
            args.city_stations or (3_000 if quick else 10_000),
        )
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
