"""Benchmark: a plan map with many demand points, opened and panned in headless Chromium.

Usage: ``python benchmarks/bench_maps.py [--quick]``. For 10^4, 10^5 (and, without
``--quick``, 10^6) demand points spread over a 20 km x 20 km box around a small
network, prints the time to build the map in Python, the HTML size, the time until
the page's ``load`` event, and the mean time of a 300 px pan measured inside the
page (``performance.now()`` around ``map.panBy`` and two animation frames), with
the number of heat points drawn. Needs Debian's ``chromium`` and Playwright.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.maps import plan_map, save_map
from planner.network import TravelMode
from planner.plan import Plan
from tests.conftest import line_inputs, metric_network, points_gdf


def main() -> int:
    """Print the table; return 0."""
    quick = "--quick" in sys.argv
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
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
    print(
        f"{'points':>10} {'build s':>8} {'html MB':>8} {'load s':>7} {'pan ms':>7} {'heat pts':>9}"
    )
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
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
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
