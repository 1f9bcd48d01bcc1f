"""Tests of planner.maps: rendered pages opened in a real headless Chromium, and their HTML.

Only the tests that open a page are marked ``browser``: the HTML checks run everywhere.
"""

from __future__ import annotations

import colorsys
import contextlib
import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import shape

from planner import InputError
from planner._map_labels import site_names
from planner.crs import from_wgs84
from planner.maps import network_map, plan_map, render_page, save_map
from planner.network import network_from_graph
from tests.conftest import line_inputs, line_plan, points_gdf, toy_lonlat


def _stations() -> gpd.GeoDataFrame:
    lonlat = [toy_lonlat(0, 0), toy_lonlat(3, 1), toy_lonlat(2, 0)]
    return gpd.GeoDataFrame(
        {
            "name": ["Station A", "Driver home B", "Night post C"],
            "kind": ["worker_station", "driver_home", "worker_station"],
            "hours": ["08:00-20:00", "24/7", "24/7"],
        },
        geometry=gpd.points_from_xy(*zip(*lonlat, strict=True)),
        crs=4326,
    )


@pytest.mark.browser
def test_network_map_in_browser(toy_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    m = network_map(
        toy_network, stations=_stations(), tiles=None, title="Toy town", subtitle="test"
    )
    path = save_map(m, tmp_path / "map.html", offline=True)
    page = open_page(path)
    assert page.errors == []
    labels = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in labels] == ["Roads", "Existing stations"]
    # seven streets (two-way ones drawn once), three stations
    counts = page.js(
        """() => { let lines = 0, circles = 0;
        MAP.eachLayer(l => { if (l instanceof L.CircleMarker) circles++;
                             else if (l instanceof L.Polyline) lines++; });
        return [lines, circles]; }"""
    )
    assert counts == [7, 3]
    popups = page.js(
        """() => { const out = [];
        MAP.eachLayer(l => { if (l instanceof L.CircleMarker) {
            l.openPopup();
            out.push(l.getPopup().getElement().querySelector('.leaflet-popup-content').innerText);
        }}); return out; }"""
    )
    assert any("Driver home B" in p and "Type: Driver home" in p for p in popups)
    assert any("Night post C" in p and "24-hour unattended station" in p for p in popups)
    assert any("Station A" in p and "Hours: 08:00-20:00" in p for p in popups)
    assert "OpenStreetMap contributors" in page.page.inner_text(".leaflet-control-attribution")
    assert "Toy town" in page.page.inner_text(".planner-title")
    assert page.screenshot("network_map").stat().st_size > 10_000


def test_offline_page_loads_nothing_remote(toy_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = save_map(network_map(toy_network, tiles=None), tmp_path / "m.html", offline=True)
    text = page.read_text(encoding="utf-8")
    assert re.findall(r'<script[^>]+src="http', text) == []
    assert re.findall(r'<link[^>]+href="http', text) == []
    assert "L.map(" in text


@pytest.mark.browser
def test_chinese_labels(toy_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    m = network_map(toy_network, stations=_stations(), tiles=None, language="zh")
    page = open_page(save_map(m, tmp_path / "zh.html", offline=True))
    labels = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in labels] == ["道路", "现有站点"]
    assert "司机之家" in page.page.inner_text(".planner-legend")


def test_failed_save_keeps_the_earlier_file(toy_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = save_map(network_map(toy_network, tiles=None), tmp_path / "map.html")
    before = path.read_bytes()

    class Broken(folium.Element):  # type: ignore[misc]
        def render(self, **kwargs: object) -> str:
            raise RuntimeError("rendering failed")

    m = network_map(toy_network, tiles=None)
    m.get_root().html.add_child(Broken())
    with pytest.raises(RuntimeError, match="rendering failed"):
        save_map(m, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_bad_map_input(toy_network) -> None:  # type: ignore[no-untyped-def]
    stations = _stations().set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="stations have no CRS"):
        network_map(toy_network, stations=stations, tiles=None)
    with pytest.raises(InputError, match="language must be one of"):
        network_map(toy_network, tiles=None, language="fr")  # type: ignore[arg-type]


# ------------------------------------------------------------------------ plan maps
def _popups(page: Any, css: str) -> list[str]:
    return page.js(  # type: ignore[no-any-return]
        """() => { const out = [];
        MAP.eachLayer(l => { if (l instanceof L.Marker && l.getPopup() &&
                                 l.getElement().querySelector('CSS')) {
            l.openPopup();
            out.push(l.getPopup().getElement().querySelector('.leaflet-popup-content').innerText);
            l.closePopup();
        }}); return out; }""".replace("CSS", css)
    )


def _overlays(page: Any) -> list[str]:
    labels = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    return [t.strip() for t in labels]


@pytest.mark.browser
def test_plan_map_in_browser(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network, service_areas=True).site(p=1)
    path = save_map(plan_map(res, tiles=None), tmp_path / "plan.html", offline=True)
    page = open_page(path)
    assert page.errors == []
    assert _overlays(page) == [
        "Roads",
        "Demand (heat map)",
        "Uncovered demand (hexagons)",
        "Service areas before",
        "Service areas after (new sites)",
        "Existing stations",
        "Recommended worker stations",
    ]
    # one ranked site (node 8: +18 of 28), numbered 1, with its figures
    assert page.page.locator(".planner-site").all_inner_texts() == ["1"]
    (site,) = _popups(page, ".planner-rank")
    assert "Parking" in site
    assert "Rank: 1" in site
    assert "Demand added: 18.0 (64.3%)" in site
    assert "Cumulative coverage: 75.0%" in site
    assert "Nearest existing station: Station zero (2.4 km)" in site
    (station,) = _popups(page, ".planner-station div")
    assert "Station zero" in station
    assert "24-hour unattended station" in station
    assert page.page.inner_text(".planner-station") == "24"
    legend = page.page.inner_text(".planner-legend")
    assert "Line town: Covered 11% before → 75% after" in legend
    assert "OpenStreetMap contributors" in page.page.inner_text(".leaflet-control-attribution")
    assert "Line town" in page.page.inner_text(".planner-title")
    assert page.page.locator(".leaflet-control-scale").count() == 1
    # nodes 3-5 stay uncovered (weight 7): drawn as hexagons; heat drawn on a canvas
    hexes = page.js(
        """() => { let n = 0; MAP.eachLayer(l => { if (l.feature &&
            l.feature.properties.uncovered !== undefined) n += l.feature.properties.uncovered; });
            return n; }"""
    )
    assert hexes == pytest.approx(7.0)
    assert page.page.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert page.screenshot("plan_map_line").stat().st_size > 10_000


@pytest.mark.browser
def test_plan_map_in_chinese(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    page = open_page(
        save_map(plan_map(res, tiles=None, language="zh"), tmp_path / "zh.html", offline=True)
    )
    assert page.errors == []
    assert "推荐新建服务站" in _overlays(page)
    (site,) = _popups(page, ".planner-rank")
    # Chinese text takes the full-width colon
    assert "排名：1" in site
    assert "最近的现有站点：Station zero" in site


@pytest.mark.browser
def test_empty_plans_say_why(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inputs = line_inputs()
    no_candidates = line_plan(line_network, candidates=inputs["candidates"].iloc[:0]).site(p=2)
    page = open_page(
        save_map(plan_map(no_candidates, tiles=None), tmp_path / "a.html", offline=True)
    )
    assert page.errors == []
    message = page.page.inner_text(".planner-message")
    assert "No new sites recommended" in message
    assert "No candidate sites were given" in message
    assert "Recommended worker stations" not in _overlays(page)
    nothing = line_plan(
        line_network,
        stations=None,
        candidates=inputs["candidates"].iloc[:0],
        demand=inputs["demand"].iloc[:0],
    ).site(p=2)
    page = open_page(save_map(plan_map(nothing, tiles=None), tmp_path / "b.html", offline=True))
    assert page.errors == []
    message = page.page.inner_text(".planner-message")
    assert message.startswith("Nothing to show")
    assert "The demand table is empty" in message
    page.screenshot("plan_map_empty")


def _heat_pixels(page: Any) -> tuple[int, int]:
    """Pixels of the heat canvas at the top of the ramp (alpha >= 90%), and all coloured ones."""
    return tuple(  # type: ignore[return-value]
        page.js(
            """() => { const c = document.querySelector('canvas.leaflet-heatmap-layer');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let red = 0, coloured = 0;
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) coloured++;
                                                    if (d[i] >= 230) red++; }
            return [red, coloured]; }"""
        )
    )


@pytest.mark.browser
def test_hundred_thousand_demand_points_stay_responsive(  # type: ignore[no-untyped-def]
    line_network, open_page, tmp_path: Path
) -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    xy = np.column_stack([rng.uniform(-8000, 12000, n), rng.uniform(-10000, 10000, n)])
    demand = points_gdf(xy, weight=rng.integers(1, 5, n).astype(float), group="rider")
    res = line_plan(line_network, demand=demand).site(p=2)
    assert len(res.demand) == n
    path = save_map(plan_map(res, tiles=None), tmp_path / "big.html", offline=True)
    page = open_page(path, wait_ms=2000)
    assert page.errors == []
    heat_points = page.js(
        """() => { let n = 0;
        MAP.eachLayer(l => { if (l._latlngs && l._heat) n = l._latlngs.length; });
        return n; }"""
    )
    # the heat is drawn from demand summed on cells, one heat point per cell
    from planner.maps import _fit_zoom, _heat_cells

    cells = _heat_cells(
        demand.geometry.x.to_numpy(),
        demand.geometry.y.to_numpy(),
        demand["weight"].to_numpy(),
        _fit_zoom(res.bounds),
    )
    assert heat_points == len(cells) < n
    ms = page.page.evaluate(
        """async () => { const t0 = performance.now();
        for (let k = 0; k < 5; k++) {
            MAP_NAME.panBy([200, 120], {animate: false});
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        }
        return (performance.now() - t0) / 5; }""".replace("MAP_NAME", page.map_name)
    )
    assert ms < 5000, f"a pan took {ms:.0f} ms"
    page.screenshot("plan_map_100k")


@pytest.mark.browser
def test_demo_map_in_browser(demo_run: Any, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(demo_run.paths["map"], wait_ms=2500)
    assert page.errors == []
    assert _overlays(page) == [
        "Roads",
        "Demand (heat map)",
        "Uncovered demand (hexagons)",
        "Service areas before",
        "Service areas after (new sites)",
        "Freight routes (trucks/day)",
        "Existing stations",
        "Recommended worker stations",
        "Recommended driver homes",
    ]
    workers, homes = demo_run.workers, demo_run.homes
    ranks = page.page.locator(".planner-site").all_inner_texts()
    assert sorted(ranks) == sorted(
        [str(r) for r in workers.sites["rank"]] + [str(r) for r in homes.sites["rank"]]
    )
    popups = _popups(page, ".planner-rank")
    top_home = homes.sites.iloc[0]
    assert any(
        str(top_home["name"]) in p and f"Trucks/day captured: {top_home['added']:,.1f}" in p
        for p in popups
    )
    top_worker = workers.sites.iloc[0]
    assert any(
        str(top_worker["name"]) in p
        and f"Cumulative coverage: {top_worker['cumulative_share']:.1%}" in p
        for p in popups
    )
    # existing stations by type: 12 worker stations (5 of them 24-hour), 2 driver homes
    stations = page.page.locator(".planner-station").all_inner_texts()
    assert len(stations) == 14
    assert stations.count("24") == 4
    attribution = page.page.inner_text(".leaflet-control-attribution")
    assert "Synthetic demo region generated by planner" in attribution
    assert "Worker stations and driver homes" in page.page.inner_text(".planner-title")
    assert page.screenshot("plan_map_demo").stat().st_size > 50_000


# ------------------------------------------------- legend and layers, from the HTML
_LEGEND_ROW = re.compile(r'background:([^;"]+);border-radius:2px;"></span>([^<]*)</div>')
_OVERLAY = re.compile(r'("(?:[^"\\]|\\.)*") : ((?:geo_json|feature_group)_[0-9a-f]+),')


def _legend_rows(page: str) -> dict[str, str]:
    """The legend's label -> colour, as drawn (no browser: read from the HTML)."""
    (box,) = re.findall(r'<div class="planner-legend".*?</details></div>', page, flags=re.S)
    return {html.unescape(label): colour for colour, label in _LEGEND_ROW.findall(box)}


def _geojson_layer(page: str, var: str) -> tuple[dict[str, Any], Any]:
    """A folium GeoJson layer's style and its geometry (a shapely union)."""
    styler = re.search(rf"function {var}_styler\(feature\) \{{.*?return (\{{.*?\}});", page, re.S)
    data = re.search(rf"{var}_add\((\{{.*?\}})\);\n", page, re.S)
    assert styler is not None, var
    assert data is not None, var
    features = json.loads(data.group(1))["features"]
    return json.loads(styler.group(1)), shapely.union_all([shape(f["geometry"]) for f in features])


def _area_layers(page: str, group: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """A service-area overlay (a feature group): its fill's and outlines' styles, its area."""
    fill_var, outline_var = re.findall(rf"(geo_json_[0-9a-f]+)\.addTo\({group}\);", page)
    fill, area = _geojson_layer(page, fill_var)
    outline, _ = _geojson_layer(page, outline_var)
    return fill, outline, area


@pytest.mark.parametrize(
    ("language", "before", "after", "covered"),
    [
        (
            "en",
            "Service areas before",
            "Service areas after (new sites)",
            ": Covered 11% before → 75% after",
        ),
        ("zh", "现有服务范围", "新增服务范围（新站点）", "：覆盖率 建设前 11% → 建设后 75%"),
    ],
)
def test_legend_before_and_after_name_the_right_layers(  # type: ignore[no-untyped-def]
    line_network, language: str, before: str, after: str, covered: str
) -> None:
    """Legend "before" is the existing station's layer and colour, "after" the new site's."""
    res = line_plan(line_network, service_areas=True).site(p=1)
    page = plan_map(res, tiles=None, language=language).get_root().render()
    legend = _legend_rows(page)
    overlays = {json.loads(name): var for name, var in _OVERLAY.findall(page)}
    station = res.stations.geometry.iloc[0]  # S0 at node 0
    (site,) = res.sites.geometry  # c8 at node 8, 2.4 km east: its circle does not reach S0
    style_before, outline_before, area_before = _area_layers(page, overlays[before])
    style_after, outline_after, area_after = _area_layers(page, overlays[after])
    # each label's colour is its own layer's colour (fill and outlines), and the two differ
    assert legend[before] == outline_before["color"] == style_before["fillColor"]
    assert legend[after] == outline_after["color"] == style_after["fillColor"]
    assert legend[before] != legend[after]
    # each layer holds its own areas: before around the existing station, after the new site's
    assert area_before.contains(station)
    assert not area_before.contains(site)
    assert area_after.contains(site)
    assert not area_after.contains(station)
    assert "dashArray" not in outline_before
    assert outline_after["dashArray"] == "6 4"
    assert style_before["fillOpacity"] < style_after["fillOpacity"]
    # the coverage line: 3 of 28 covered before, 21 of 28 after (see test_plan_map_in_browser)
    assert (res.share_before, res.share_after) == (pytest.approx(3 / 28), pytest.approx(0.75))
    assert legend[f"Line town{covered}"] == "transparent"


# -------------------------------------------------- phones, languages, datums, offline
# every English word planner writes on a map; none may appear on a Chinese page
ENGLISH_UI = [
    "Roads",
    "Existing stations",
    "Worker station",
    "Driver home",
    "24-hour unattended station",
    "Other station",
    "Hours",
    "Type",
    '"Expressway"',  # as a road class (data names "Demo Expressway")
    "National / trunk road",
    "Arterial road",
    "Local street",
    "Footway / path",
    "Legend",
    "Demand (heat map)",
    "Uncovered demand",
    "Demand left uncovered",
    "per hexagon",
    "Service areas",
    "service area of",
    "new site",
    "Freight routes",
    "Trucks a day",
    "Recommended worker stations",
    "Recommended driver homes",
    "Rank",
    "Phase",
    "Demand added",
    "Trucks/day captured",
    "Trucks/day passing",
    "Cumulative coverage",
    "Nearest existing station",
    "Coordinates",
    "GPS, OpenStreetMap",
    "Amap, Tencent",
    "Nothing to show",
    "No new sites",
    "Covered",
    " before",
    " after",
    "trucks/day",
    " km)",
    "Car park",
    "Truck park",
    "Public toilets",
    "Community centre",
    "Fuel station",
    "Truck fuel station",
    "Service area",
    "Logistics park",
    "Candidate site",
    " near ",
    "Synthetic demo region",
    "Road data",
    "contributors",
    "Siting plan",
    "Layers",
    "Zoom in",
    "Zoom out",
]
VIEWPORTS = [(390, 844), (1440, 900)]
ZH_TITLE = "户外劳动者服务站与司机之家 — 虚构示例区域"


@pytest.fixture(scope="module")
def demo_pages(demo_run: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo's map.html (English) and the same plans mapped in Chinese.

    The Chinese page renames the two plans as a Chinese user would name them
    (plan names are the user's words, shown as given).
    """
    plans = [
        dataclasses.replace(demo_run.workers, name="示例区域户外劳动者服务站"),
        dataclasses.replace(demo_run.homes, name="示例区域司机之家"),
    ]
    zh = save_map(
        plan_map(plans, tiles=None, language="zh", title=ZH_TITLE),
        tmp_path_factory.mktemp("zh") / "map.html",
        offline=True,
    )
    return {"en": demo_run.paths["map"], "zh": zh, "run": demo_run}


def _hover_hexagon(page: Any) -> str:
    """Hover the centre of an uncovered hexagon (projected with the page's map); its tooltip."""
    point = page.js(
        """() => { let found = null;
        MAP.eachLayer(l => { if (found || !l.feature ||
                                 l.feature.properties.uncovered === undefined) return;
            const p = MAP.latLngToContainerPoint(l.getBounds().getCenter());
            const r = MAP.getContainer().getBoundingClientRect();
            const x = r.left + p.x, y = r.top + p.y;
            const top = document.elementFromPoint(x, y);
            if (top && top.tagName === 'CANVAS') found = [x, y]; });
        return found; }"""
    )
    assert point is not None, "no uncovered hexagon is free to hover"
    page.page.mouse.move(point[0], point[1])
    page.page.wait_for_timeout(300)
    return " ".join(page.page.locator(".leaflet-tooltip").all_inner_texts())


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_demo_page_on_phone_and_desktop(  # type: ignore[no-untyped-def]
    demo_pages, open_page, language: str, size: tuple[int, int]
) -> None:
    width, height = size
    page = open_page(demo_pages[language], wait_ms=200)
    page.page.set_viewport_size({"width": width, "height": height})
    page.page.reload()
    page.page.wait_for_timeout(1500)
    assert page.errors == []
    assert page.js("() => document.scrollingElement.scrollWidth <= innerWidth")
    title = ZH_TITLE if language == "zh" else "Worker stations and driver homes"
    assert title in page.page.title()
    expanded = page.page.locator(".leaflet-control-layers-expanded").count()
    assert expanded == (0 if width < 700 else 1)
    legend_open = page.js("() => document.querySelector('.planner-legend details').open")
    assert legend_open == (width >= 700)
    tip = _hover_hexagon(page)
    assert ("规划后仍未覆盖的需求" if language == "zh" else "Demand left uncovered") in tip
    popups = _popups(page, ".planner-rank")
    assert len(popups) == 8
    label = "坐标 WGS84" if language == "zh" else "Coordinates WGS84"
    assert all(re.search(label + r".*\b1\d\d\.\d{6},\d\d\.\d{6}\b", p) for p in popups)
    scale = page.page.inner_text(".leaflet-control-scale")
    assert re.fullmatch(r"\d+ k?m", scale.strip()), scale
    assert page.screenshot(f"demo_{language}_{width}x{height}").stat().st_size > 20_000
    # every station's and new site's own service area, each named in its tooltip
    areas = page.js(
        """() => { const out = []; MAP.eachLayer(l => {
            if (l.feature && l.feature.properties.area) out.push(l.feature.properties.area); });
            return out; }"""
    )
    runs = [demo_pages["run"].workers, demo_pages["run"].homes]
    assert len(areas) == sum(len(r.service_areas) for r in runs) > 14
    if language == "zh":
        text = [page.page.inner_text("body"), tip, *popups, page.page.title()]
        text += page.js(
            "() => [...document.querySelectorAll('[title],[aria-label]')]"
            ".map(e => (e.title || '') + ' ' + (e.getAttribute('aria-label') || ''))"
        )
        # the map's script holds every layer name, popup, tooltip and feature label
        text.append(demo_pages["zh"].read_text(encoding="utf-8").split("</body>", 1)[1])
        found = sorted({word for word in ENGLISH_UI for t in text if word in t})
        assert found == []


def _numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+", text)])


def _drawn_coordinates(page: str) -> dict[str, np.ndarray]:
    """Every coordinate drawn: GeoJSON layers (lon, lat), heat points and markers (lat, lon)."""
    geo = [
        np.array(re.findall(r"\[(-?\d+\.\d+), (-?\d+\.\d+)\]", m.group(1)), dtype=float)
        for m in re.finditer(r"geo_json_\w+_add\((\{.*\})\);", page)
    ]
    heat = re.search(r"L\.heatLayer\(\s*(\[\[.*\]\]),", page)
    markers = re.findall(r"L\.(?:marker|circleMarker)\(\s*\[(-?\d+\.\d+), (-?\d+\.\d+)\]", page)
    return {
        "geojson": np.vstack(geo),
        "heat": _numbers(heat.group(1)).reshape(-1, 3)[:, [1, 0]] if heat else np.zeros((0, 2)),
        "markers": np.array(markers, dtype=float)[:, ::-1],
    }


def test_amap_tiles_shift_every_layer_to_gcj02(line_network) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network, service_areas=True).site(p=1)
    plain = _drawn_coordinates(render_page(plan_map(res, tiles=None)))
    amap_page = render_page(plan_map(res, tiles="amap"))
    assert "webrd0{s}.is.autonavi.com/appmaptile" in amap_page
    assert "openstreetmap.org/{z}" not in amap_page
    amap = _drawn_coordinates(amap_page)
    for layer in ("geojson", "heat", "markers"):
        wgs, gcj = plain[layer], amap[layer]
        assert len(wgs) == len(gcj) > 0, layer
        expected = np.column_stack(from_wgs84(wgs[:, 0], wgs[:, 1], "gcj02"))
        step = 1e-4 if layer == "heat" else 2e-6  # heat points on a 1e-4 degree grid
        # (rings may start at another vertex: compare as point sets, both ways)
        assert cKDTree(gcj).query(expected)[0].max() < step, layer
        assert cKDTree(expected).query(gcj)[0].max() < step, layer
        assert np.abs(gcj - wgs).min() > 1e-3, layer  # a real shift (~500 m in Shenzhen)
    assert "none" not in str(render_page(plan_map(res, tiles="none")).count("tileLayer"))
    assert "L.tileLayer(" not in render_page(plan_map(res, tiles="none"))


def test_popups_give_coordinates_in_the_users_datum(line_network) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    site = res.sites.geometry.iloc[0]
    page = html.unescape(render_page(plan_map(res, tiles=None, datum="GCJ-02")))
    lon, lat = from_wgs84(site.x, site.y, "gcj02")
    assert "Coordinates GCJ-02 (Amap, Tencent): " in page
    assert f'<span class="planner-coords">{lon:.6f},{lat:.6f}</span>' in page
    assert f'<span class="planner-coords">{site.x:.6f},{site.y:.6f}</span>' in page
    plain = html.unescape(render_page(plan_map(res, tiles=None)))
    assert "GCJ-02" not in plain
    assert "Coordinates WGS84 (GPS, OpenStreetMap): " in plain
    from planner import DatumError

    with pytest.raises(DatumError, match="unknown datum"):
        plan_map(res, tiles=None, datum="mars")


def _named_line_network(line_network: Any, names: list[Any], highway: Any) -> Any:
    graph = line_network.graph.copy()
    for _u, _v, data in graph.edges(data=True):
        data["name"] = names
        data["highway"] = highway
    return network_from_graph(graph, modes=list(line_network.modes.values()))


def test_unnamed_sites_are_named_by_kind_and_nearest_road(line_network) -> None:  # type: ignore[no-untyped-def]
    net = _named_line_network(line_network, "Jianshe Road", "primary")
    sites = points_gdf(
        [(1500.0, 50.0), (2400.0, 0.0), (900.0, 5000.0), (300.0, 0.0)],
        kind=["toilets", "parking", "toilets", "community_centre"],
        name=[float("nan"), "nan", None, "Union hall"],
    )
    assert site_names(sites, net).tolist() == [
        "Public toilets near Jianshe Road",
        "Car park near Jianshe Road",
        "Public toilets",  # 5 km from any road: its kind alone
        "Union hall",
    ]
    assert site_names(sites, net, language="zh").tolist() == [
        "公厕（Jianshe Road旁）",
        "停车场（Jianshe Road旁）",
        "公厕",
        "Union hall",
    ]
    inputs = line_inputs()
    candidates = inputs["candidates"].assign(name=[None, None, None])
    res = line_plan(net, candidates=candidates).site(p=1)
    page = render_page(plan_map(res, tiles=None, language="zh"))
    assert "停车场（Jianshe Road旁）" in page
    assert "parking c8" not in page  # the former "kind id" name


def test_same_inputs_give_the_same_bytes(line_network) -> None:  # type: ignore[no-untyped-def]
    # osmnx merges edges into name and class lists in set order, which changes between runs
    names, classes = ["Jianshe Road", "Renmin Road"], ["tertiary", "primary"]
    one = _named_line_network(line_network, names, classes)
    two = _named_line_network(line_network, names[::-1], classes[::-1])
    pages = [render_page(network_map(n, tiles=None), offline=True) for n in (one, two)]
    assert pages[0] == pages[1]
    assert "Jianshe Road / Renmin Road" in pages[0]
    assert '"class": "Arterial road", "colour": "#85929e"' in pages[0]  # primary wins


def test_road_colours_are_muted_and_unlike_every_site_colour() -> None:
    from planner import maps
    from planner._map_parts import _LOCAL, _PATH, _ROAD_CLASSES, STATION_COLOURS

    roads = {c for _, c, _ in _ROAD_CLASSES.values()} | {_LOCAL[1], _PATH[1]}
    others = set(STATION_COLOURS.values()) | set(maps._NEW_COLOURS.values())
    others |= set(maps._AREA_COLOURS.values()) | set(maps._PHASE_COLOURS)
    others |= set(maps._VOLUME_CLASSES) | set(maps._HEX_COLOURS)

    def rgb(colour: str) -> np.ndarray:
        return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255

    for road in roads:
        saturation = colorsys.rgb_to_hsv(*rgb(road))[1]
        assert saturation < 0.3, road
        distance = min(np.abs(rgb(road) - rgb(other)).sum() for other in others)
        assert distance > 0.25, road


def test_legend_classes() -> None:
    from planner.maps import _classes

    cls, texts = _classes(np.full(7, 2.0), 5)
    assert texts == ["≤ 0.5", "0.5 – 1", "1 – 1.5", "1.5 – 2"]
    assert cls.tolist() == [3] * 7
    cls, texts = _classes(np.array([1, 1, 2, 3, 4, 7, 9, 30, 120, 464.0]), 5)
    # quantiles 1, 3, 7, 30 rounded up to 1, 5, 10, 50
    assert texts == ["≤ 1", "1 – 5", "5 – 10", "10 – 50", "50 – 464"]
    assert cls.tolist() == [0, 0, 1, 1, 1, 2, 2, 3, 4, 4]


@pytest.mark.browser
def test_service_areas_per_station(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network, service_areas=True).site(p=1)
    page = open_page(save_map(plan_map(res, tiles=None), tmp_path / "a.html", offline=True))
    areas = page.js(
        """() => { const out = [];
        MAP.eachLayer(l => { if (l.feature && l.feature.properties.area)
                                 out.push(l.feature.properties.area); });
        return out.sort(); }"""
    )
    assert len(areas) == len(res.service_areas) == 2
    assert areas == [
        "2.5-minute service area of Station zero",
        "2.5-minute service area of new site 1: Parking",
    ]


@pytest.mark.browser
def test_notebook_maps_are_offline(line_network, browser) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    cell = res.map(tiles=None)._repr_html_()
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', cell).group(1))  # type: ignore[union-attr]
    assert re.findall(r'<script[^>]+src="http', inner) == []
    assert re.findall(r'<link[^>]+href="http', inner) == []
    page = browser.new_page()
    try:
        # nothing may leave the machine: every request but the page itself fails
        page.route("**/*", lambda route: route.abort())
        page.set_content(cell)
        page.wait_for_timeout(800)
        frame = page.frames[1]
        assert frame.evaluate("() => typeof L") == "object"
        assert frame.locator(".planner-site").count() == 1
    finally:
        page.close()


@pytest.mark.browser
def test_dense_demand_heat_stays_graded(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a dense city: 60,000 points in 40 clusters over 3 km x 3 km
    rng = np.random.default_rng(3)
    centres = rng.uniform([-1200, -1500], [1800, 1500], size=(40, 2))
    sizes = rng.lognormal(0, 1.0, 40)
    k = rng.choice(40, size=48_000, p=sizes / sizes.sum())
    xy = np.vstack(
        [
            centres[k] + rng.normal(0, 90, (len(k), 2)),
            rng.uniform([-1200, -1500], [1800, 1500], (12_000, 2)),
        ]
    )
    demand = points_gdf(xy, weight=rng.integers(1, 5, len(xy)).astype(float), group="rider")
    res = line_plan(line_network, demand=demand).site(p=1)
    page = open_page(save_map(plan_map(res, tiles=None), tmp_path / "d.html", offline=True))
    red, coloured = _heat_pixels(page)
    assert coloured > 200_000
    assert red / coloured < 0.2, f"{red / coloured:.0%} of the heat map is at full colour"
    page.screenshot("plan_map_dense_heat")


def _script_strings(page: str) -> str:
    """Every string of a map page's own script (layer names, popups, tooltips), tags cut."""
    script = page.split("</body>", 1)[1]
    found = re.findall(r'"((?:[^"\\\n]|\\.)*)"', script) + re.findall(
        r"`((?:[^`\\]|\\.)*)`", script
    )
    out = []
    for raw in found:
        with contextlib.suppress(ValueError):
            raw = json.loads(f'"{raw}"')
        out.append(html.unescape(re.sub(r"<[^>]+>", " ", raw)))
    return "\n".join(out)


def test_chinese_demo_map_has_no_english_sentence(demo_pages) -> None:  # type: ignore[no-untyped-def]
    """Every string the Chinese map holds (popups, tooltips, legends, notes) is Chinese."""
    from tests.test_report import data_words, english_notes, english_runs, visible_text

    run = demo_pages["run"]
    page = demo_pages["zh"].read_text(encoding="utf-8")
    text = _script_strings(page) + visible_text(page.split("</body>", 1)[0])
    allowed = data_words(run.workers, run.homes)
    assert english_runs(text, allowed) == []
    assert english_notes(text) == []
    # the guard can fail: the English page holds English sentences
    english = _script_strings(demo_pages["en"].read_text(encoding="utf-8"))
    assert len(english_runs(english, allowed)) > 10


def test_map_notes_come_from_the_catalogue(line_network) -> None:  # type: ignore[no-untyped-def]
    """A plan with nothing to site says why on the map, in Chinese, from planner._i18n."""
    from planner import _i18n

    res = line_plan(line_network, candidates=None).site(p=1)
    page = render_page(plan_map(res, tiles=None, language="zh"))
    assert _i18n.note(_i18n.say("n_no_candidates"), "zh")[0] in page
    assert "No candidate sites" not in page
