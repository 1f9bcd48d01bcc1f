"""Maps at city scale: stations as one compact canvas layer, demand heat from summed cells.

The compact layer is chosen through ``compact_stations_above`` on a few stations
(a city's 10^4 are in ``benchmarks/bench_maps.py``); its popups are checked in a
real Chromium against the icons' popups and against coordinates computed here.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from planner.crs import from_wgs84
from planner.maps import plan_map, render_page, save_map
from tests.conftest import line_plan, points_gdf
from tests.test_maps import _popups, _script_strings


def _stations() -> Any:
    """Four stations off the line: a 24-hour one, a name with HTML, an unnamed driver home."""
    return points_gdf(
        [(0.0, 0.0), (600.0, 400.0), (1200.0, -400.0), (1800.0, 400.0)],
        index=pd.Index(["S0", "S1", "S2", "S3"]),
        name=["Station {{ zero }} {%", 'Shop <b>&"x"', None, "站三"],
        kind=["worker_station", "worker_station", "driver_home", "worker_station"],
        hours=["24/7", "08:00-20:00", None, "07:00-19:00"],
    )


def _compact_layer(page: Any) -> Any:
    """Number of stations in the page's compact layer (None when there is none)."""
    return page.js(
        """() => { let n = null;
        MAP.eachLayer(l => { if (l.options && l.options.plannerStations)
                                 n = l.options.plannerStations; });
        return n; }"""
    )


def _click_stations(page: Any) -> dict[str, str]:
    """Hover and click every station of the compact layer; its tooltip -> its popup's text."""
    where = """k => { let g = null;
        MAP.eachLayer(l => { if (l.options && l.options.plannerStations) g = l; });
        const r = MAP.getContainer().getBoundingClientRect();
        const p = MAP.latLngToContainerPoint(g.getLayers()[k].getLatLng());
        return [r.left + p.x, r.top + p.y]; }""".replace("MAP", page.map_name)
    out = {}
    for k in range(_compact_layer(page)):
        # each time: an open popup pans the map
        x, y = page.page.evaluate(where, k)
        page.page.mouse.move(x, y)
        page.page.wait_for_timeout(150)
        tip = page.page.locator(".leaflet-tooltip").all_inner_texts()
        page.page.mouse.click(x, y)
        page.page.wait_for_timeout(150)
        (text,) = page.page.locator(".leaflet-popup-content").all_inner_texts()
        out[tip[-1]] = text
        # the popup's pan into view, then its fading out (it covers the next station)
        page.js("() => MAP.closePopup()")
        page.page.wait_for_timeout(400)
    return out


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh"])
def test_many_stations_are_one_compact_layer_with_full_popups(  # type: ignore[no-untyped-def]
    line_network, open_page, tmp_path: Path, language: str
) -> None:
    res = line_plan(line_network, stations=_stations()).site(p=1)
    common: dict[str, Any] = {"tiles": None, "language": language, "datum": "gcj02"}
    # 4 stations: icons up to 4, the compact layer above 3
    icons = open_page(
        save_map(
            plan_map(res, compact_stations_above=4, **common), tmp_path / "i.html", offline=True
        )
    )
    compact_path = save_map(
        plan_map(res, compact_stations_above=3, **common), tmp_path / "c.html", offline=True
    )
    compact = open_page(compact_path)
    assert icons.errors == compact.errors == []
    assert icons.page.locator(".planner-station").count() == 4
    assert _compact_layer(icons) is None
    assert compact.page.locator(".planner-station").count() == 0
    assert _compact_layer(compact) == 4
    # a city's map opens without the heat map (it would hide the areas and hexagons);
    # switched on in the layer control, its canvas lies under the one the compact
    # stations are drawn on; on smaller maps it is on, over it, as before (the later
    # of two canvases at z-index 100)
    z_order = """() => [...document.querySelectorAll('.leaflet-overlay-pane > canvas')].map(c =>
        [c.classList.contains('leaflet-heatmap-layer'), +getComputedStyle(c).zIndex])"""
    assert compact.js(z_order) == [[False, 100]]
    heat = "需求热力图" if language == "zh" else "Demand (heat map)"
    switched = compact.page.evaluate(
        """(name) => { for (const label of document.querySelectorAll(
            '.leaflet-control-layers-overlays label')) {
            if (label.textContent.trim() === name) {
                const box = label.querySelector('input');
                const was = box.checked; box.click(); return [was, box.checked]; } }
            return null; }""",
        heat,
    )
    assert switched == [False, True]
    assert compact.js(z_order) == [[False, 100], [True, 99]]
    assert icons.js(z_order) == [[False, 100], [True, 100]]
    # the legend says how the stations are drawn
    note = (
        "4 个现有站点以小图形显示，点击查看详情"
        if language == "zh"
        else "4 existing stations drawn as small shapes: tap one for details"
    )
    assert note in compact.page.inner_text(".planner-legend")
    assert note not in icons.page.inner_text(".planner-legend")
    # every station's popup (opened by a real click on the canvas) says what its icon's says
    clicked = _click_stations(compact)
    expected = {t.split("\n", 1)[0]: t for t in _popups(icons, ".planner-station div")}
    assert clicked == expected
    # ... which is its name, type, hours and coordinates in GCJ-02 and WGS84
    lon, lat = res.stations.geometry.x["S1"], res.stations.geometry.y["S1"]
    glon, glat = from_wgs84(lon, lat, "gcj02")
    if language == "en":
        assert clicked['Shop <b>&"x"'] == (
            'Shop <b>&"x"\nType: Worker station\nHours: 08:00-20:00\n'
            f"Coordinates GCJ-02 (Amap, Tencent): {glon:.6f},{glat:.6f}\n"
            f"Coordinates WGS84 (GPS, OpenStreetMap): {lon:.6f},{lat:.6f}"
        )
        assert clicked["Driver home S2"].split("\n")[1] == "Type: Driver home"
        assert "Hours" not in clicked["Driver home S2"]
    else:
        assert clicked['Shop <b>&"x"'] == (
            'Shop <b>&"x"\n类型：户外劳动者服务站\n开放时间：08:00-20:00\n'
            f"坐标 GCJ-02（高德、腾讯）：{glon:.6f},{glat:.6f}\n"
            f"坐标 WGS84（GPS、OpenStreetMap）：{lon:.6f},{lat:.6f}"
        )
        assert clicked["站三"].split("\n")[1:3] == [
            "类型：户外劳动者服务站",
            "开放时间：07:00-19:00",
        ]
        assert clicked["司机之家 S2"].split("\n")[1] == "类型：司机之家"
        from tests.test_report import english_runs

        page = compact_path.read_text(encoding="utf-8")
        allowed = ["Station", "Shop", "Line town", "Parking", "GPS", "OpenStreetMap"]
        assert english_runs(_script_strings(page), allowed) == []
    compact.screenshot(f"compact_stations_{language}")


def test_compact_layer_is_reproducible_and_light(line_network) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network, stations=_stations()).site(p=1)
    pages = [
        render_page(plan_map(res, tiles="amap", compact_stations_above=0), offline=True)
        for _ in range(2)
    ]
    assert pages[0] == pages[1]
    (data,) = re.findall(r"D = (\{.*?\});\n", pages[0])
    # drawn in GCJ-02 on Amap tiles; popups give the WGS84 coordinates (the datum asked)
    x, y = res.stations.geometry.x.to_numpy(), res.stations.geometry.y.to_numpy()
    gx, gy = from_wgs84(x, y, "gcj02")
    for key, values in (("dx", gx), ("dy", gy)):
        micro = [int(f"{v:.6f}".replace(".", "")) for v in values]
        assert f'"{key}":[{",".join(map(str, micro))}]' in data
    assert '"at":["dx","dy"]' in data
    assert "GCJ-02" not in html.unescape(data)
    assert pages[0].count("L.marker(") == 1  # the new site's only: no marker per station


def test_heat_is_drawn_from_demand_summed_on_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    from planner import maps

    lon = np.array([114.05, 114.05 + 2e-6, 114.07, 114.09])
    lat = np.array([22.54, 22.54, 22.55, 22.56])
    w = np.array([1.0, 3.0, 2.0, 0.0])
    cells = maps._heat_cells(lon, lat, w, zoom=12)
    # the two points 0.2 m apart are one cell at their weighted mean; weight 0 is left out
    assert cells["w"].tolist() == [4.0, 2.0]
    assert cells["n"].tolist() == [2, 1]
    assert cells["lon"].tolist() == pytest.approx([114.05 + 1.5e-6, 114.07], abs=1e-12)
    assert cells["lat"].tolist() == pytest.approx([22.54, 22.55], abs=1e-12)
    # many points: weight and count kept, at most about the cap of cells
    rng = np.random.default_rng(1)
    n = 20_000
    lon, lat = rng.uniform(114.0, 114.1, n), rng.uniform(22.5, 22.6, n)
    w = rng.integers(1, 4, n).astype(float)
    monkeypatch.setattr(maps, "_HEAT_MAX_CELLS", 100)
    cells = maps._heat_cells(lon, lat, w, zoom=12)
    assert len(cells) <= 121  # (10 + 1)^2: the box, one cell wider each way
    assert cells["w"].sum() == pytest.approx(w.sum())
    assert cells["n"].sum() == n


def test_network_maps_draw_many_stations_compactly(line_network) -> None:  # type: ignore[no-untyped-def]
    from planner.maps import network_map

    few = render_page(network_map(line_network, stations=_stations(), tiles=None))
    assert few.count("L.circleMarker(") == 4
    assert "L.PlannerStation" not in few
    xy = [(6.0 * k, 100.0) for k in range(501)]
    many = points_gdf(xy, name=[f"S{k}" for k in range(501)], kind="worker_station")
    page = render_page(network_map(line_network, stations=many, tiles=None))
    assert page.count("L.circleMarker(") == 0
    assert "L.PlannerStation" in page
    assert "501 existing stations drawn as small shapes" in page
