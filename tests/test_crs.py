"""Tests of planner.crs: local metric CRS and the GCJ-02 / BD-09 datums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from planner._errors import DatumError, InputError
from planner.crs import (
    CHINA_BBOX,
    datum_offset_m,
    from_wgs84,
    in_china,
    local_metric_crs,
    normalize_datum,
    to_wgs84,
)

GEOD = Geod(ellps="WGS84")


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    *_, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


# ---------------------------------------------------------------- local_metric_crs


def test_local_metric_crs_utm_zones():
    assert local_metric_crs(114.05, 22.54).to_epsg() == 32650  # Shenzhen
    assert local_metric_crs(111.67, 40.82).to_epsg() == 32649  # Hohhot
    assert local_metric_crs(-70.6, -33.4).to_epsg() == 32719  # Santiago, south
    assert local_metric_crs(180.0, 0.0).to_epsg() == 32660


def test_local_metric_crs_rejects_non_degrees():
    with pytest.raises(ValueError, match="not a longitude/latitude pair"):
        local_metric_crs(500000.0, 4500000.0)


# ---------------------------------------------------------------- published reference points

# googollee/eviltransform, go/transform_test.go (also javascript/test.js,
# csharp/EvilTransformUnitTest.cs): (wgs lat, wgs lng, gcj lat, gcj lng).
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_PAIRS)
def test_gcj02_matches_eviltransform(wlat, wlon, glat, glon):
    lon, lat = from_wgs84(wlon, wlat, "gcj02")
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)
    # eviltransform's exact inverse must land within 0.5 m; ours within 1 mm.
    lon, lat = to_wgs84(glon, glat, "gcj02")
    assert geodesic_m(lon, lat, wlon, wlat) < 1e-3


# feiquan123/coordtransform-go, coordtransform_test.go: every conversion of the
# point p = (114.363089, 30.517411) (Wuhan), checked there to 7 decimals.
P_WUHAN = (114.363089, 30.517411)


def test_forward_transforms_match_coordtransform_go():
    lon, lat = from_wgs84(*P_WUHAN, "gcj02")  # expWGS84toGCJ02
    assert (lon, lat) == pytest.approx((114.36861383019243, 30.515078352018758), abs=1e-9)
    lon, lat = from_wgs84(*P_WUHAN, "bd09")  # expWGS84toBD09
    assert (lon, lat) == pytest.approx((114.3750500836037, 30.521392123098003), abs=1e-9)


def test_inverse_transforms_near_coordtransform_go():
    # coordtransform-go inverts with the one-step approximations, so their results
    # (expGCJ02toWGS84, expBD09toWGS84) lie within a few metres of the exact inverse.
    lon, lat = to_wgs84(*P_WUHAN, "gcj02")
    assert 0.1 < geodesic_m(lon, lat, 114.35756416980757, 30.51974364798124) < 5
    lon, lat = to_wgs84(*P_WUHAN, "bd09")
    assert 0.1 < geodesic_m(lon, lat, 114.35114337613005, 30.513412637358606) < 5
    # ... and ours is exact: mapping it forward gives back p.
    assert from_wgs84(lon, lat, "bd09") == pytest.approx(P_WUHAN, abs=1e-9)


def test_bd09_matches_wandergis_readme():
    # wandergis/coordtransform README.md (116.404, 39.915) example:
    # gcj02tobd09 -> [116.41036949371029, 39.92133699351021],
    # wgs84togcj02 -> [116.41024449916938, 39.91640428150164].
    lon, lat = from_wgs84(*to_wgs84(116.404, 39.915, "gcj02"), "bd09")
    assert (lon, lat) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
    lon, lat = from_wgs84(116.404, 39.915, "gcj02")
    assert (lon, lat) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)
    # bd09togcj02 -> [116.39762729119315, 39.90865673957631] is Baidu's approximate
    # bd_decrypt: within a metre of the exact inverse.
    glon, glat = from_wgs84(*to_wgs84(116.404, 39.915, "bd09"), "gcj02")
    assert geodesic_m(glon, glat, 116.39762729119315, 39.90865673957631) < 1.0


# ---------------------------------------------------------------- round trips over China


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_round_trip_over_china_grid(datum):
    lon, lat = np.meshgrid(np.linspace(73.0, 135.0, 125), np.linspace(18.0, 53.5, 72))
    dlon, dlat = from_wgs84(lon, lat, datum)
    assert dlon.shape == lon.shape
    shift = geodesic_m(lon, lat, dlon, dlat)
    assert shift.min() > 1.0  # every grid point is offset ...
    back_lon, back_lat = to_wgs84(dlon, dlat, datum)
    err = geodesic_m(lon, lat, back_lon, back_lat)
    assert err.max() < 0.5  # ... and comes back to well under half a metre
    assert err.max() < 1e-3  # (in fact to under a millimetre)
    # the other direction: a datum point to WGS84 and back
    wlon, wlat = to_wgs84(lon, lat, datum)
    again = from_wgs84(wlon, wlat, datum)
    assert geodesic_m(lon, lat, *again).max() < 1e-3


def test_offset_size_over_china():
    lon, lat = np.meshgrid(np.linspace(73.0, 135.0, 63), np.linspace(18.0, 53.5, 36))
    gcj = datum_offset_m(lon, lat, "gcj02")
    bd = datum_offset_m(lon, lat, "bd09")
    # GCJ-02 moves points by tens to several hundred metres; BD-09 adds about 1 km.
    assert gcj.min() > 0
    assert gcj.max() < 1000
    assert bd.min() > 300
    assert bd.max() < 2500
    # Beijing: GCJ-02 is about 0.56 km off, BD-09 about 1.1 km more (known figures).
    assert 500 < datum_offset_m(116.39, 39.91, "gcj02") < 650
    assert 1000 < datum_offset_m(116.39, 39.91, "bd09") < 1500


@settings(max_examples=300, deadline=None)
@given(
    lon=st.floats(CHINA_BBOX[0] + 0.05, CHINA_BBOX[2] - 0.05),
    lat=st.floats(CHINA_BBOX[1] + 0.05, CHINA_BBOX[3] - 0.05),
    datum=st.sampled_from(["gcj02", "bd09"]),
)
def test_round_trip_property(lon, lat, datum):
    back = to_wgs84(*from_wgs84(lon, lat, datum), datum)
    assert geodesic_m(lon, lat, *back) < 1e-3


# ---------------------------------------------------------------- outside China, edge cases


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_no_offset_outside_china(datum):
    lon = np.array([2.35, -74.0, 151.2, 139.69, 37.6, 71.9, 120.0, 0.0, 180.0])
    lat = np.array([48.86, 40.7, -33.9, 35.69, 55.75, 30.0, 56.0, 90.0, -90.0])
    assert not in_china(lon, lat).any()
    for convert in (from_wgs84, to_wgs84):
        out_lon, out_lat = convert(lon, lat, datum)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)
    np.testing.assert_array_equal(datum_offset_m(lon, lat, datum), 0.0)


def test_in_china_box_edges():
    minx, miny, maxx, maxy = CHINA_BBOX
    assert CHINA_BBOX == (72.004, 0.8293, 137.8347, 55.8271)
    assert in_china([minx, maxx, 100.0, 100.0], [30.0, 30.0, miny, maxy]).all()
    assert not in_china([minx - 1e-6, maxx + 1e-6], [30.0, 30.0]).any()


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_round_trip_at_the_box_edges(datum):
    # WGS84 points just inside the box whose datum image falls outside it must
    # still convert back (the inverse tests where the solution lies, not the input).
    lon = np.array([72.0045, 137.834, 100.0, 100.0, 72.0045, 137.834])
    lat = np.array([30.0, 30.0, 0.8295, 55.827, 55.827, 0.8295])
    dlon, dlat = from_wgs84(lon, lat, datum)
    assert not in_china(dlon, dlat).all()
    back = to_wgs84(dlon, dlat, datum)
    assert geodesic_m(lon, lat, *back).max() < 1e-3


def test_wgs84_is_identity_and_nan_passes():
    lon = np.array([116.4, np.nan, 121.5])
    lat = np.array([39.9, 30.0, np.nan])
    out_lon, _ = from_wgs84(lon, lat, "wgs84")
    np.testing.assert_array_equal(out_lon, lon)
    g_lon, g_lat = to_wgs84(lon, lat, "gcj02")
    assert np.isnan(g_lon[1])
    assert np.isnan(g_lat[2])
    assert g_lon[0] != lon[0]
    assert not np.isnan(datum_offset_m(lon, lat, "gcj02")[0])


def test_scalars_give_floats_arrays_keep_shape_and_inputs_unchanged():
    out = from_wgs84(116.4, 39.9, "gcj02")
    assert isinstance(out[0], float)
    assert isinstance(out[1], float)
    assert isinstance(datum_offset_m(116.4, 39.9, "gcj02"), float)
    lon = np.array([[116.4, 121.5]])
    lat = np.array([[39.9, 31.2]])
    keep = lon.copy()
    out_lon, out_lat = to_wgs84(lon, lat, "bd09")
    assert out_lon.shape == (1, 2)
    assert out_lat.shape == (1, 2)
    np.testing.assert_array_equal(lon, keep)
    # lists and broadcasting a scalar latitude
    out_lon, _ = from_wgs84([116.4, 116.5], 39.9, "gcj02")
    assert out_lon.shape == (2,)


def test_empty_arrays():
    out_lon, out_lat = to_wgs84(np.array([]), np.array([]), "gcj02")
    assert out_lon.shape == (0,)
    assert out_lat.shape == (0,)


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [("GCJ-02", "gcj02"), ("bd_09", "bd09"), ("WGS84", "wgs84"), ("EPSG:4326", "wgs84")],
)
def test_normalize_datum_aliases(given_name, expected):
    assert normalize_datum(given_name) == expected


def test_unknown_datum_names_allowed_values():
    with pytest.raises(DatumError, match=r"unknown datum 'nad27'.*'wgs84', 'gcj02' and 'bd09'"):
        to_wgs84(116.4, 39.9, "nad27")
    with pytest.raises(InputError, match="Fix: pass datum='wgs84'"):
        datum_offset_m(116.4, 39.9, "baidu")


# ---------------------------------------------------------------- real data


@pytest.mark.realdata
def test_hohhot_districts_gcj02_shift():
    import geopandas as gpd
    import shapely

    from tests.conftest import shared_file

    path = shared_file("hohhot/hohhot_districts.geojson")

    districts = gpd.read_file(path)
    xy = shapely.get_coordinates(districts.geometry)
    assert len(xy) == 2240
    wlon, wlat = to_wgs84(xy[:, 0], xy[:, 1], "gcj02")
    azimuth, _, dist = GEOD.inv(xy[:, 0], xy[:, 1], wlon, wlat)
    # Measured: 515 m to 636 m (median 591 m), bearing -111 to -100 degrees:
    # GCJ-02 shows Hohhot about 0.6 km east-north-east of where WGS84 puts it.
    assert dist.min() > 480
    assert dist.max() < 680
    assert 560 < np.median(dist) < 620
    assert azimuth.min() > -116
    assert azimuth.max() < -95
    # and converting back restores the file's coordinates
    back = from_wgs84(wlon, wlat, "gcj02")
    assert geodesic_m(xy[:, 0], xy[:, 1], *back).max() < 1e-3
