"""Tests of planner.maps: rendered pages opened in a real headless Chromium, and their HTML.

Only the tests that open a page are marked ``browser``: the HTML checks run everywhere.
"""

from __future__ import annotations

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
from shapely.geometry import shape

from planner import InputError
from planner.maps import network_map, plan_map, save_map
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
    assert "排名: 1" in site
    assert "最近的现有站点: Station zero" in site


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


@pytest.mark.browser
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
    assert heat_points > 90_000  # ~10 m cells: nearly every point is its own heat point
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
_OVERLAY = re.compile(r'("(?:[^"\\]|\\.)*") : (geo_json_[0-9a-f]+),')  # JSON-quoted names


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


@pytest.mark.parametrize(
    ("language", "before", "after", "covered"),
    [
        (
            "en",
            "Service areas before",
            "Service areas after (new sites)",
            "Covered 11% before → 75% after",
        ),
        ("zh", "现有服务范围", "新增服务范围（新站点）", "覆盖率 11% 建设前 → 75% 建设后"),
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
    style_before, area_before = _geojson_layer(page, overlays[before])
    style_after, area_after = _geojson_layer(page, overlays[after])
    # each label's colour is its own layer's colour, and the two differ
    assert legend[before] == style_before["color"] == style_before["fillColor"]
    assert legend[after] == style_after["color"] == style_after["fillColor"]
    assert legend[before] != legend[after]
    # each layer holds its own areas: before around the existing station, after the new site's
    assert area_before.contains(station)
    assert not area_before.contains(site)
    assert area_after.contains(site)
    assert not area_after.contains(station)
    assert "dashArray" not in style_before
    assert style_after["dashArray"] == "6 4"
    assert style_before["fillOpacity"] < style_after["fillOpacity"]
    # the coverage line: 3 of 28 covered before, 21 of 28 after (see test_plan_map_in_browser)
    assert (res.share_before, res.share_after) == (pytest.approx(3 / 28), pytest.approx(0.75))
    assert legend[f"Line town: {covered}"] == "transparent"
