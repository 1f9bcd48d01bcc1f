"""Tests of planner.maps: rendered pages opened in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import geopandas as gpd
import pytest

from planner import InputError
from planner.maps import network_map, save_map
from tests.conftest import toy_lonlat

pytestmark = pytest.mark.browser


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
