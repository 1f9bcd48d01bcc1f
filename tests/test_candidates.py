"""Tests of planner.candidates: generation from OSM, hotspots, grids, user points; filters."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

from planner._errors import InputError
from planner.candidates import (
    CANDIDATE_TAGS,
    candidates_from_grid,
    candidates_from_hotspots,
    candidates_from_osm,
    candidates_from_points,
    combine_candidates,
    dedupe_candidates,
    filter_candidates,
)

HAIDIAN = "beijing_haidian/haidian_cau.osm"  # in ../shared/data
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
GEOD = Geod(ellps="WGS84")


def _points(lon: list[float], lat: list[float], **columns: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


@pytest.mark.realdata
def test_haidian_candidates_by_tag_match_xml_parse():
    from tests.conftest import shared_file

    haidian = shared_file(HAIDIAN)
    sites = candidates_from_osm(haidian)
    root = ET.parse(haidian).getroot()
    expected: Counter = Counter()
    for element in root:
        if element.tag not in ("node", "way"):
            continue
        tags = {t.get("k"): t.get("v") for t in element.findall("tag")}
        for key, values in CANDIDATE_TAGS.items():
            if tags.get(key) in values:
                kind = tags[key]
                expected["service_area" if kind == "services" else kind] += 1
                break
    assert Counter(sites["kind"]) == expected
    assert expected["parking"] == 19
    assert expected["fuel"] == 1
    assert sites.index.is_unique
    assert set(sites["source"]) == {"poi"}
    only_parking = candidates_from_osm(haidian, tags={"amenity": ["parking"]})
    assert len(only_parking) == 19


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_grid_spacing_and_inside_area(shape):
    area = shapely.Polygon([(116.30, 39.90), (116.34, 39.90), (116.34, 39.93), (116.30, 39.92)])
    sites = candidates_from_grid(area, spacing_m=300, shape=shape, crs="EPSG:32650")
    assert shapely.contains_xy(area, sites.geometry.x, sites.geometry.y).all()
    x, y = TO_UTM.transform(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
    xy = np.column_stack([x, y])
    dist, _ = cKDTree(xy).query(xy, k=7 if shape == "hex" else 5)
    np.testing.assert_allclose(dist[:, 1], 300.0, rtol=1e-6)
    # sites over 300 m from the boundary have 6 (hex) or 4 (square) neighbours at the spacing
    full = np.isclose(dist[:, 1:], 300.0).all(axis=1)
    metric = shapely.transform(area, lambda c: np.column_stack(TO_UTM.transform(*c.T)))
    interior = shapely.distance(metric.boundary, shapely.points(xy)) > 301
    assert interior.sum() > 30
    assert full[interior].all()
    # count ~ area / cell area (independent: the area measured on the ellipsoid)
    geod_area = abs(GEOD.geometry_area_perimeter(area)[0])
    cell = 300.0**2 * (np.sqrt(3) / 2 if shape == "hex" else 1.0)
    assert len(sites) == pytest.approx(geod_area / cell, rel=0.08)


def test_grid_from_projected_geodataframe_and_bad_area():
    area = gpd.GeoSeries([shapely.box(440_000, 4_420_000, 442_000, 4_421_000)], crs="EPSG:32650")
    sites = candidates_from_grid(area, spacing_m=500, crs="EPSG:32650")
    # square cells of 500 m whose centres fall in a 2 km x 1 km box: 4 x 2
    assert len(sites) == 8
    with pytest.raises(InputError, match="not longitude/latitude"):
        candidates_from_grid(shapely.box(440_000, 4_420_000, 442_000, 4_421_000))
    with pytest.raises(InputError, match="spacing_m"):
        candidates_from_grid(shapely.box(116, 39, 116.1, 39.1), spacing_m=0)


def test_hotspots_and_user_points():
    hot = _points([116.30, 116.31, 116.32], [39.9] * 3, weight=[5.0, 1.0, 3.0])
    cands = candidates_from_hotspots(hot, min_weight=2.0)
    assert list(cands.index) == ["hotspot/0", "hotspot/2"]
    assert set(cands["kind"]) == {"hotspot"}
    mine = _points(
        [116.30, 116.31], [39.9, 39.9], kind=["union", "depot"], name=["总工会", "Depot"]
    ).set_axis(["u1", "d1"])
    user = candidates_from_points(mine)
    assert list(user.index) == ["user/u1", "user/d1"]
    assert user.loc["user/u1", "kind"] == "union"
    assert user.loc["user/u1", "name"] == "总工会"
    polygons = gpd.GeoDataFrame(
        geometry=[shapely.box(440_000, 4_420_000, 440_100, 4_420_100)], crs="EPSG:32650"
    )
    poly_site = candidates_from_points(polygons, kind="premises")
    assert poly_site["kind"].tolist() == ["premises"]
    assert 116 < poly_site.geometry.x.iloc[0] < 117
    with pytest.raises(InputError, match="duplicate"):
        candidates_from_points(mine.set_axis(["a", "a"]))
    with pytest.raises(InputError, match="no CRS"):
        candidates_from_points(gpd.GeoDataFrame(geometry=gpd.points_from_xy([1], [2])))
    with pytest.raises(InputError, match="more than one table"):
        combine_candidates(user, user)


def test_user_sites_from_planner_io_keep_ids_cost_capacity():
    from planner.io import read_candidates

    table = pd.DataFrame(
        {
            "id": ["A7", "B2"],
            "lon": [116.30, 116.31],
            "lat": [39.90, 39.91],
            "cost": ["100", "250.5"],
            "capacity": [20, 35],
        }
    )
    sites = candidates_from_points(read_candidates(table, datum="wgs84"), kind="premises")
    assert list(sites.index) == ["user/A7", "user/B2"]
    assert sites["cost"].tolist() == [100.0, 250.5]
    assert sites["capacity"].tolist() == [20, 35]
    kept = dedupe_candidates(combine_candidates(sites), radius_m=10)
    assert kept["cost"].tolist() == [100.0, 250.5]
    with pytest.raises(InputError, match="duplicate site ids") as info:
        candidates_from_points(
            read_candidates(table.assign(id=["A7", "A7"]), id_column=None, datum="wgs84")
        )
    assert info.value.field == "id"


def test_filters_kind_distance_exclude():
    sites = combine_candidates(
        candidates_from_points(
            _points(
                [116.300, 116.302, 116.310, 116.320],
                [39.90] * 4,
                kind=["parking", "fuel", "parking", "toilets"],
            )
        )
    )
    assert list(filter_candidates(sites, kinds=["parking"]).index) == ["user/0", "user/2"]
    station = gpd.GeoSeries(shapely.points([(116.3005, 39.90)]), crs="EPSG:4326")
    kept = filter_candidates(sites, existing=station, min_distance_m=200)
    # independent geodesic distances
    _, _, dist = GEOD.inv(
        np.full(4, 116.3005), np.full(4, 39.90), sites.geometry.x.to_numpy(), np.full(4, 39.90)
    )
    assert list(kept.index) == list(sites.index[dist >= 200])
    assert len(kept) == 2
    zone = gpd.GeoDataFrame(geometry=[shapely.box(116.305, 39.89, 116.315, 39.91)], crs=4326)
    assert "user/2" not in filter_candidates(sites, exclude=zone).index
    assert len(filter_candidates(sites, exclude=zone.geometry.iloc[0])) == 3


def test_dedupe_prefers_user_then_poi_and_counts_merged():
    grid = candidates_from_points(_points([116.3000], [39.9])).set_axis(["grid/0"])
    grid["source"] = "grid"
    poi = candidates_from_points(_points([116.3003], [39.9])).set_axis(["poi/node/1"])
    poi["source"] = "poi"
    user = candidates_from_points(_points([116.3006], [39.9]))
    far = candidates_from_points(_points([116.31], [39.9])).set_axis(["user/far"])
    allc = combine_candidates(grid, poi, user, far)
    # 0.0003 deg lon at 39.9 N is about 25.6 m: the user site absorbs the POI, and the
    # grid point (51 m from the user site) stays, since the POI that was near it is gone
    out = dedupe_candidates(allc, radius_m=30)
    assert list(out.index) == ["grid/0", "user/0", "user/far"]
    assert out["n_merged"].tolist() == [1, 2, 1]
    assert out["n_merged"].sum() == len(allc)
    wide = dedupe_candidates(allc, radius_m=60)
    assert list(wide.index) == ["user/0", "user/far"]


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 80),
    radius=st.floats(10, 400),
    seed=st.integers(0, 10_000),
)
def test_dedupe_properties(n, radius, seed):
    rng = np.random.default_rng(seed)
    sources = rng.choice(["user", "poi", "hotspot", "grid"], n)
    sites = gpd.GeoDataFrame(
        {"kind": "x", "source": sources},
        index=pd.Index([f"s{k}" for k in range(n)], name="site_id"),
        geometry=gpd.points_from_xy(rng.uniform(116.30, 116.31, n), rng.uniform(39.90, 39.91, n)),
        crs="EPSG:4326",
    )
    out = dedupe_candidates(sites, radius_m=radius)
    x, y = TO_UTM.transform(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
    xy = np.column_stack([x, y])
    kept = sites.index.get_indexer(out.index)
    # no two kept sites within the radius (up to projection differences of < 0.1%)
    if len(kept) > 1:
        d, _ = cKDTree(xy[kept]).query(xy[kept], k=2)
        assert d[:, 1].min() >= radius * 0.999
    # every dropped site lies within the radius of a kept site of equal or better source
    rank = {"user": 0, "poi": 1, "hotspot": 2, "grid": 3}
    dropped = np.setdiff1d(np.arange(n), kept)
    for k in dropped:
        near = kept[np.hypot(*(xy[kept] - xy[k]).T) <= radius * 1.001]
        assert len(near) > 0
        assert min(rank[sources[j]] for j in near) <= rank[sources[k]]
    assert out["n_merged"].sum() == n
