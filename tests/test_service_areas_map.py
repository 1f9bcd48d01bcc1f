"""Service areas at city scale: the merged area per state, and the map drawing it.

The study traces one merged area per state (``PlanResult.service_areas_merged``);
the map fills it, and draws each site's outline only up to
``compact_stations_above`` areas (above: the merged outline alone).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import shape

from planner.maps import plan_map, save_map
from planner.plan import _workers
from planner.plan.result import LaterAreas, merged_areas_frame
from tests.conftest import line_plan

_COLUMNS = ["cutoff_min", "mode", "area_km2", "sites", "geometry"]


def _features(page: str) -> list[dict[str, Any]]:
    """Every GeoJSON feature drawn on a rendered map."""
    out: list[dict[str, Any]] = []
    for found in re.finditer(r"geo_json_\w+_add\((\{.*\})\);", page):
        out += json.loads(found.group(1)).get("features", [])
    return out


def _area_tips(page: str) -> list[str]:
    """The tooltips of the service-area outlines (features with an ``area`` property)."""
    return [f["properties"]["area"] for f in _features(page) if "area" in f["properties"]]


def _fills(page: str) -> list[Any]:
    """The geometries of the one-feature layers without properties (the area fills)."""
    geoms = []
    for found in re.finditer(r"geo_json_\w+_add\((\{.*\})\);", page):
        features = json.loads(found.group(1)).get("features", [])
        if len(features) == 1 and not features[0]["properties"]:
            geoms.append(shape(features[0]["geometry"]))
    assert geoms
    return geoms


def _metric_area(geometry: Any) -> float:
    series = gpd.GeoSeries([geometry], crs=4326)
    return float(series.to_crs(series.estimate_utm_crs()).area.iloc[0])


def test_merged_area_is_the_union_of_the_site_areas(demo_run: Any) -> None:
    res = demo_run.workers
    merged = res.service_areas_merged
    assert merged.crs.to_epsg() == 4326
    assert merged.index.name == "state"
    assert list(merged.columns) == _COLUMNS
    states = sorted(set(res.service_areas["state"]))
    assert states == ["after", "before"]
    assert sorted(merged.index) == states
    assert (merged["cutoff_min"] == res.parameters["cutoff_min"]).all()
    assert (merged["mode"] == res.parameters["mode"]).all()
    assert merged["sites"].to_dict() == res.service_areas["state"].value_counts().to_dict()
    for state in states:
        areas = res.service_areas[res.service_areas["state"] == state]
        union = shapely.union_all(areas.geometry.to_numpy())
        traced = merged.loc[state].geometry
        assert traced.is_valid
        whole = _metric_area(union)
        # the same band, traced on the same 10 m grid and simplified to 10 m: what
        # differs is holes under 1 km2 that only several sites' streets enclose
        # together (filled in the merged area) and the simplification
        assert _metric_area(union.symmetric_difference(traced)) < 0.02 * whole
        assert _metric_area(union.difference(traced)) < 0.002 * whole
        # the band's own area (holes not filled) is no more than the union's
        assert merged.loc[state, "area_km2"] * 1e6 <= whole * 1.002


def test_no_merged_areas_without_service_areas(line_network: Any, demo_run: Any) -> None:
    res = line_plan(line_network, service_areas=False).site(p=1)
    assert len(res.service_areas) == 0
    assert len(res.service_areas_merged) == 0
    assert list(res.service_areas_merged.columns) == _COLUMNS
    assert res.service_areas_merged.crs.to_epsg() == 4326
    homes = demo_run.homes.service_areas_merged
    assert len(homes) == 0
    assert list(homes.columns) == _COLUMNS
    # with them, both states: the line's station and its one new site
    res = line_plan(line_network, service_areas=True).site(p=1)
    assert sorted(res.service_areas_merged.index) == ["after", "before"]


def test_city_scale_map_draws_one_area_per_state(demo_run: Any) -> None:
    res = demo_run.workers
    minutes = res.parameters["cutoff_min"]
    page = plan_map(res, tiles=None, compact_stations_above=3).get_root().render()
    assert sorted(_area_tips(page)) == [
        f"Within {minutes:g} min of a new site",
        f"Within {minutes:g} min of an existing station",
    ]
    n_before = int((res.service_areas["state"] == "before").sum())
    n_after = int((res.service_areas["state"] == "after").sum())
    assert f"Service areas before: {n_before:,} areas drawn as one" in page
    assert f"Service areas after (new sites): {n_after:,} areas drawn as one" in page
    zh = plan_map(res, tiles=None, language="zh", compact_stations_above=3).get_root().render()
    assert sorted(_area_tips(zh)) == [
        f"距新站点{minutes:g}分钟以内",
        f"距现有站点{minutes:g}分钟以内",
    ]
    # the fill is the traced merged area, not a union made by the map
    fills = _fills(page)
    before = res.service_areas_merged.loc["before"].geometry
    assert any(
        _metric_area(f.symmetric_difference(before)) < 1e-3 * _metric_area(before) for f in fills
    )


def test_below_the_threshold_each_site_keeps_its_outline(demo_run: Any) -> None:
    res = demo_run.workers
    page = plan_map(res, tiles=None).get_root().render()
    tips = _area_tips(page)
    assert len(tips) == len(res.service_areas) > 10
    minutes = res.parameters["cutoff_min"]
    assert all(t.startswith(f"{minutes:g}-minute service area of ") for t in tips)
    assert sum("new site " in t for t in tips) == int((res.service_areas["state"] == "after").sum())
    assert "areas drawn as one" not in page


def test_a_result_without_merged_areas_falls_back_to_the_union(demo_run: Any) -> None:
    res = demo_run.workers
    old = dataclasses.replace(res, service_areas_merged=merged_areas_frame())
    object.__delattr__(old, "service_areas_merged")  # as a result pickled by older code
    assert not hasattr(old, "service_areas_merged")
    page = plan_map(old, tiles=None, compact_stations_above=3).get_root().render()
    assert len(_area_tips(page)) == 2
    areas = res.service_areas[res.service_areas["state"] == "before"]
    union = shapely.union_all(areas.geometry.to_numpy())
    assert any(
        _metric_area(f.symmetric_difference(union)) < 1e-3 * _metric_area(union)
        for f in _fills(page)
    )
    # two plans on one map: one fill per state over both, each plan's outline
    both = plan_map([res, old], tiles=None, compact_stations_above=3).get_root().render()
    assert len(_area_tips(both)) == 4


def test_a_citys_per_site_areas_are_traced_on_first_use(
    line_network: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    eager = line_plan(line_network, service_areas=True).site(p=2)
    assert eager.parameters["service_areas_on_use"] == []
    # a state of more sites than PER_SITE_AT_ONCE (500 in a study): here the new sites
    monkeypatch.setattr(_workers, "PER_SITE_AT_ONCE", 1)
    lazy = line_plan(line_network, service_areas=True).site(p=2)
    assert lazy.parameters["service_areas_on_use"] == ["after"]
    assert isinstance(lazy._service_areas, LaterAreas)
    assert_geodataframe_equal(lazy.service_areas_merged, eager.service_areas_merged)
    assert lazy.service_areas_merged["sites"].to_dict() == {"before": 1, "after": 2}
    # the map draws the merged new sites' area (2 > 1) and counts them without tracing
    page = plan_map(lazy, tiles=None, compact_stations_above=1).get_root().render()
    assert isinstance(lazy._service_areas, LaterAreas)
    assert "Service areas after (new sites): 2 areas drawn as one" in page
    same = plan_map(eager, tiles=None, compact_stations_above=1).get_root().render()
    assert sorted(_area_tips(page)) == sorted(_area_tips(same))
    assert len(_area_tips(page)) == 2  # the station's outline, the new sites' merged one
    # first use traces them: the same polygons, rows and order as traced at once
    areas = lazy.service_areas
    assert not isinstance(lazy._service_areas, LaterAreas)
    assert lazy.service_areas is areas  # once
    assert list(areas["site"]) == list(eager.service_areas["site"]) == ["S0", "c8", "c5"]
    assert_geodataframe_equal(areas, eager.service_areas, check_less_precise=False)
    assert bool(areas.geometry.geom_equals_exact(eager.service_areas.geometry, 0).all())


@pytest.mark.browser
def test_merged_area_tooltip_in_chinese(demo_run: Any, open_page: Any, tmp_path: Path) -> None:
    res = demo_run.workers
    path = save_map(
        plan_map(res, tiles=None, language="zh", compact_stations_above=3),
        tmp_path / "map.html",
        offline=True,
    )
    page = open_page(path)
    assert page.errors == []
    # hover a vertex of each outline (the fills let the mouse through)
    points = page.js(
        """() => { const out = []; MAP.eachLayer(l => {
            if (!l.feature || !l.feature.properties.area) return;
            const ll = l.getLatLngs().flat(3)[0];
            const p = MAP.latLngToContainerPoint(ll);
            const r = MAP.getContainer().getBoundingClientRect();
            out.push([r.left + p.x, r.top + p.y]); });
            return out; }"""
    )
    assert len(points) == 2
    tips = []
    for x, y in points:
        page.page.mouse.move(0, 0)
        page.page.wait_for_timeout(100)
        page.page.mouse.move(x, y)
        page.page.wait_for_timeout(300)
        tips += page.page.locator(".leaflet-tooltip").all_inner_texts()
    tips.sort()
    minutes = res.parameters["cutoff_min"]
    assert tips == [f"距新站点{minutes:g}分钟以内", f"距现有站点{minutes:g}分钟以内"]
