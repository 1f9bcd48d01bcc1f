"""Tests of planner.io: readers, format round trips and every validation error."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from planner._errors import DatumError, DatumWarning, InputError, Problem
from planner.crs import to_wgs84
from planner.io import (
    check_file,
    parse_hours,
    parse_timestamps,
    read_candidates,
    read_points,
    read_stations,
    read_traces,
)

# The fixtures lie in Beijing and say no datum: the datum warning is tested on its own
# (test_datum_*), and is noise for the tests of everything else.
pytestmark = pytest.mark.filterwarnings("ignore::planner._errors.DatumWarning")

LON = [116.3975, 116.4100, 116.3500]
LAT = [39.9087, 39.9200, 39.9900]


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"name": ["a", "b", "c"], "lon": LON, "lat": LAT, "weight": [1, 2, 3]})


@pytest.fixture
def gdf(frame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame[["name", "weight"]],
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=4326,
    )


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def assert_points(result: gpd.GeoDataFrame, lon=LON, lat=LAT, atol=1e-9) -> None:
    assert isinstance(result, gpd.GeoDataFrame)
    assert result.crs.to_epsg() == 4326
    np.testing.assert_allclose(result.geometry.x, lon, atol=atol, rtol=0)
    np.testing.assert_allclose(result.geometry.y, lat, atol=atol, rtol=0)


# ---------------------------------------------------------------- formats round trip


@pytest.mark.parametrize(
    ("filename", "writer"),
    [
        ("p.csv", lambda df, p: df.to_csv(p, index=False)),
        ("p.tsv", lambda df, p: df.to_csv(p, index=False, sep="\t")),
        ("p.txt", lambda df, p: df.to_csv(p, index=False, sep=";")),
        ("p.csv.gz", lambda df, p: df.to_csv(p, index=False)),
        ("p.parquet", lambda df, p: df.to_parquet(p)),
    ],
)
def test_table_formats_round_trip(tmp_path, frame, filename, writer):
    path = tmp_path / filename
    writer(frame, path)
    result = read_points(path)
    assert_points(result)
    assert list(result.columns) == ["name", "lon", "lat", "weight", "geometry"]
    assert result["name"].tolist() == ["a", "b", "c"]
    assert result["weight"].tolist() == [1, 2, 3]
    pd.testing.assert_index_equal(result.index, pd.RangeIndex(3))


@pytest.mark.parametrize(
    ("filename", "kwargs"),
    [
        ("p.geojson", {}),
        ("p.gpkg", {"layer": "stations"}),
        ("p.shp", {}),
        ("p.fgb", {}),
    ],
)
def test_vector_formats_round_trip(tmp_path, gdf, filename, kwargs):
    path = tmp_path / filename
    gdf.to_file(path, **kwargs)
    result = read_points(path, **kwargs)
    # FlatGeobuf stores features in the order of its spatial index: sort back by name.
    result = result.sort_values("name")
    assert_points(result)
    assert result["name"].tolist() == ["a", "b", "c"]
    assert result["weight"].tolist() == [1, 2, 3]


def test_geoparquet_round_trip(tmp_path, gdf):
    path = tmp_path / "p.parquet"
    gdf.to_parquet(path)
    result = read_points(path)
    assert_points(result)
    assert list(result.columns) == ["name", "weight", "geometry"]


def test_projected_crs_is_converted(tmp_path, gdf):
    path = tmp_path / "utm.gpkg"
    gdf.to_crs(32650).to_file(path)
    assert_points(read_points(path), atol=1e-8)


def test_coordinate_columns_in_a_given_crs(tmp_path):
    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)
    x, y = to_utm.transform(LON, LAT)
    path = tmp_path / "utm.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    assert_points(read_points(path, crs="EPSG:32650"), atol=1e-8)
    # Without crs= the metres are out of range, and the message says what to do.
    with pytest.raises(InputError, match=r"longitude .* is outside \[-180, 180\].*pass crs="):
        read_points(path)


def test_geometry_crs_other_than_wgs84(tmp_path, gdf):
    # CGCS2000 (EPSG:4490), China's geodetic datum, is within centimetres of WGS84.
    path = tmp_path / "cgcs.geojson"
    gdf.set_crs(4490, allow_override=True).to_file(path)
    assert_points(read_points(path), atol=1e-6)


# ---------------------------------------------------------------- column detection


@pytest.mark.parametrize(
    ("lon_name", "lat_name"),
    [
        ("lon", "lat"),
        ("LNG", "LAT"),
        ("Longitude", "Latitude"),
        ("long", "lat"),
        ("X", "Y"),
        (" lng ", " lat "),
        ("经度", "纬度"),
    ],
)
def test_column_names_detected(tmp_path, lon_name, lat_name):
    path = tmp_path / "p.csv"
    pd.DataFrame({"id": [1, 2, 3], lon_name: LON, lat_name: LAT}).to_csv(path, index=False)
    assert_points(read_points(path))


def test_chinese_headers_in_gb18030_csv(tmp_path):
    text = "名称,经度,纬度\n天安门,116.3975,39.9087\n"
    path = write(tmp_path / "gbk.csv", text, encoding="gb18030")
    result = read_points(path)
    assert_points(result, LON[:1], LAT[:1])
    assert result["name"].tolist() == ["天安门"]
    assert result.attrs["columns"] == {"name": "名称"}
    assert result.attrs["encoding"] == "gb18030"


def test_utf8_bom_csv(tmp_path):
    path = write(tmp_path / "bom.csv", "\ufefflng,lat\n116.3975,39.9087\n")
    assert_points(read_points(path), LON[:1], LAT[:1])


def test_explicit_columns(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"east": LON, "north": LAT, "lon": [0, 0, 0]}).to_csv(path, index=False)
    assert_points(read_points(path, lon="east", lat="north"))


def test_explicit_columns_override_geometry(gdf):
    other = gdf.assign(gx=[1.0, 2.0, 3.0], gy=[4.0, 5.0, 6.0])
    result = read_points(other, lon="gx", lat="gy")
    assert_points(result, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0])


# ---------------------------------------------------------------- datum


@pytest.mark.parametrize("datum", ["gcj02", "bd09", "GCJ-02"])
def test_datum_conversion_applied(frame, datum):
    result = read_points(frame, datum=datum)
    lon, lat = to_wgs84(np.array(LON), np.array(LAT), datum)
    assert_points(result, lon, lat, atol=1e-12)
    # the shift is a few hundred metres (GCJ-02) to about a kilometre (BD-09) in Beijing
    shift = np.hypot(result.geometry.x - LON, result.geometry.y - LAT)
    assert (shift > 0.003).all()
    # the source columns keep the values as given
    assert result["lon"].tolist() == LON


def test_datum_conversion_on_geometry_file(tmp_path, gdf):
    path = tmp_path / "amap.geojson"
    gdf.to_file(path)
    lon, lat = to_wgs84(np.array(LON), np.array(LAT), "gcj02")
    assert_points(read_points(path, datum="gcj02"), lon, lat, atol=1e-12)


def test_datum_outside_china_is_logged(caplog):
    paris = pd.DataFrame({"lon": [2.35, 116.4], "lat": [48.86, 39.9]})
    with caplog.at_level("WARNING", logger="planner.io"):
        result = read_points(paris, datum="gcj02")
    assert "1 of 2 points lie outside China, where datum='gcj02' applies no offset" in caplog.text
    assert (result.geometry.x.iloc[0], result.geometry.y.iloc[0]) == (2.35, 48.86)


def test_geojson_numeric_ids_become_text(tmp_path, gdf):
    path = tmp_path / "ids.geojson"
    gdf.assign(id=[101, 102, 103]).to_file(path)
    assert read_stations(path)["id"].tolist() == ["101", "102", "103"]


def test_unknown_datum(frame):
    with pytest.raises(DatumError, match=r"unknown datum 'baidu'.*'wgs84', 'gcj02' and 'bd09'"):
        read_points(frame, datum="baidu")


# ---------------------------------------------------------------- DataFrame inputs


def test_dataframe_index_kept_and_input_unchanged(frame):
    frame.index = pd.Index(["s1", "s2", "s3"], name="station")
    before = frame.copy()
    result = read_points(frame, datum="gcj02")
    pd.testing.assert_index_equal(result.index, frame.index)
    pd.testing.assert_frame_equal(frame, before)
    assert result.loc["s2", "name"] == "b"


def test_geodataframe_index_kept(gdf):
    gdf.index = [10, 20, 30]
    before = gdf.copy()
    result = read_points(gdf.to_crs(3857))
    pd.testing.assert_index_equal(result.index, pd.Index([10, 20, 30]))
    assert_points(result, atol=1e-8)
    pd.testing.assert_frame_equal(gdf, before)


def test_geometry_column_with_another_name(gdf):
    renamed = gdf.rename_geometry("geom").to_crs(32650)
    result = read_points(renamed)
    assert_points(result, atol=1e-8)
    assert list(result.columns) == ["name", "weight", "geometry"]


def test_dataframe_problem_names_index_label(frame):
    frame.index = pd.Index(["s1", "s2", "s3"])
    frame.loc["s2", "lat"] = np.nan
    with pytest.raises(InputError, match=r"<DataFrame>, row 2, field 'lat'.*\(index 's2'\)"):
        read_points(frame)


# ---------------------------------------------------------------- errors: files


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=f"{re.escape(str(path))}: file not found"):
        read_points(path)


def test_unsupported_extension(tmp_path):
    path = write(tmp_path / "stations.docx", "x")
    with pytest.raises(
        InputError, match=r"stations.docx: unsupported file type '.docx'.*Fix: save it as CSV"
    ):
        read_points(path)


def test_broken_workbook(tmp_path):
    path = write(tmp_path / "stations.xlsx", "x")
    with pytest.raises(InputError, match=r"stations.xlsx: cannot read the file as Excel"):
        read_points(path)


def test_unreadable_file(tmp_path):
    path = write(tmp_path / "broken.gpkg", "this is not a geopackage")
    with pytest.raises(InputError, match=r"broken.gpkg: cannot read the file as GPKG"):
        read_points(path)


def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(InputError, match=r"empty.csv: the file is empty"):
        read_points(path)


def test_header_only(tmp_path):
    path = write(tmp_path / "header.csv", "lon,lat\n")
    with pytest.raises(InputError, match=r"header.csv: the file has no data rows"):
        read_points(path)


def test_empty_geojson(tmp_path):
    path = write(tmp_path / "none.geojson", '{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="no data rows"):
        read_points(path)


def test_empty_dataframe():
    with pytest.raises(InputError, match="the DataFrame has no rows"):
        read_points(pd.DataFrame({"lon": [], "lat": []}))


def test_multi_layer_file_needs_layer(tmp_path, gdf):
    path = tmp_path / "two.gpkg"
    gdf.to_file(path, layer="stations")
    gdf.to_file(path, layer="sites")
    with pytest.raises(InputError, match=r"2 layers: 'stations', 'sites'.*layer='<name>'"):
        read_points(path)
    assert len(read_points(path, layer="sites")) == 3


def test_geometry_without_crs(tmp_path, gdf):
    path = tmp_path / "nocrs.parquet"
    gdf.set_crs(None, allow_override=True).to_parquet(path)
    with pytest.raises(InputError, match=r"nocrs.parquet.*has no CRS.*pass crs='EPSG:4326'"):
        read_points(path)
    assert_points(read_points(path, crs="EPSG:4326"))
    with pytest.raises(InputError, match=r"has no CRS.*gdf.set_crs"):
        read_points(gdf.set_crs(None, allow_override=True))


def test_crs_conflicting_with_source(gdf):
    with pytest.raises(DatumError, match=r"crs='EPSG:3857' conflicts with the source's CRS"):
        read_points(gdf, crs="EPSG:3857")


def test_unknown_crs(frame):
    with pytest.raises(
        DatumError, match=r"field 'crs': unknown CRS 'EPSG:99999'.*Fix: pass an EPSG"
    ):
        read_points(frame, crs="EPSG:99999")


def test_non_point_geometries(gdf):
    shapes = gdf.copy()
    shapes.loc[1, "geometry"] = shapely.box(116, 39, 117, 40)
    shapes.loc[2, "geometry"] = None
    with pytest.raises(InputError) as info:
        read_points(shapes)
    text = str(info.value)
    assert "2 problems found" in text
    assert "row 2, field 'geometry': geometry is a Polygon, not a Point" in text
    assert "row 3, field 'geometry': missing or empty geometry" in text


# ---------------------------------------------------------------- errors: columns and values


def test_missing_columns_lists_found_and_tried(tmp_path):
    path = write(tmp_path / "p.csv", "name,east,north\na,116.4,39.9\n")
    with pytest.raises(InputError) as info:
        read_points(path)
    text = str(info.value)
    assert "no longitude column found; the columns are ['name', 'east', 'north']" in text
    assert "names tried (any case) are lon, lng, long, longitude, x, 经度" in text
    assert "names tried (any case) are lat, latitude, y, 纬度" in text
    assert "pass lon='<longitude column>' and lat='<latitude column>'" in text


def test_explicit_column_missing(frame):
    with pytest.raises(
        InputError, match=r"lon='east' is not a column; the columns are \['name', 'lon'"
    ):
        read_points(frame, lon="east", lat="lat")


def test_ambiguous_columns(tmp_path):
    path = write(tmp_path / "p.csv", "lng,Longitude,lat\n116.4,116.4,39.9\n")
    with pytest.raises(
        InputError,
        match=r"p.csv, field 'lng': ambiguous longitude column: 'lng' and 'Longitude' "
        r"could each be the longitude.*lon='<column>'",
    ):
        read_points(path)


def test_value_problems_collected_once(tmp_path):
    text = "id,lon,lat\n1,116.4,39.9\n2,abc,39.9\n3,,39.9\n4,200,39.9\n5,116.4,-95\n6,116.4,nan\n"
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError) as info:
        read_points(path)
    error = info.value
    assert len(error.problems) == 5
    assert [(p.row, p.field) for p in error.problems] == [
        (2, "lon"),
        (3, "lon"),
        (6, "lat"),
        (4, "lon"),
        (5, "lat"),
    ]
    message = str(error)
    assert "bad.csv, row 2, field 'lon': non-numeric coordinate 'abc'" in message
    assert "bad.csv, row 3, field 'lon': empty coordinate (missing value)" in message
    assert "bad.csv, row 6, field 'lat': empty coordinate" in message
    assert "bad.csv, row 4, field 'lon': longitude 200.0 is outside [-180, 180]" in message
    assert "bad.csv, row 5, field 'lat': latitude -95.0 is outside [-90, 90]" in message


def test_swapped_by_range(tmp_path):
    path = write(tmp_path / "s.csv", "Lng,Lat\n39.9,116.4\n39.8,116.3\n")
    with pytest.raises(
        InputError,
        match=r"longitude and latitude look swapped: 2 of 2 rows .* pass lon='Lat' lat='Lng'",
    ):
        read_points(path)


def test_swapped_by_area(tmp_path):
    # (30, 60) and (60, 30) are both valid; the area tells which one is meant.
    path = write(tmp_path / "s.csv", "lon,lat\n30.1,60.1\n30.2,60.2\n")
    with pytest.raises(
        InputError, match=r"longitude and latitude look swapped.*pass lon='lat' lat='lon'"
    ):
        read_points(path, area=(59.0, 29.0, 61.0, 31.0))
    result = read_points(path, lon="lat", lat="lon", area=(59.0, 29.0, 61.0, 31.0))
    assert_points(result, [60.1, 60.2], [30.1, 30.2])


def test_swapped_geometry(gdf):
    swapped = gdf.set_geometry(gpd.points_from_xy(LAT, LON, crs=4326))
    with pytest.raises(InputError, match=r"look swapped.*swap x and y in the geometry"):
        read_points(swapped)


def test_one_row_swapped_among_good_rows(frame):
    bad = frame.copy()
    bad.loc[1, ["lon", "lat"]] = [39.92, 116.41]
    with pytest.raises(InputError) as info:
        read_points(bad)
    (problem,) = info.value.problems
    assert (problem.row, problem.field) == (2, "lon/lat")
    assert "longitude and latitude look swapped in this row: lon=39.92, lat=116.41" in str(problem)
    assert "Fix: exchange the two values in this row." in str(problem)


def test_typo_is_not_taken_for_a_swap():
    # Paris: every row would be valid swapped, but one bad latitude is just a typo.
    paris = pd.DataFrame({"lon": [2.35, 2.36, 2.34, 2.33], "lat": [48.86, 48.85, 95.0, 48.87]})
    with pytest.raises(InputError) as info:
        read_points(paris)
    (problem,) = info.value.problems
    assert "row 3, field 'lat': latitude 95.0 is outside [-90, 90]" in str(problem)


def test_one_row_swapped_by_area():
    pts = pd.DataFrame({"lon": [30.1, 60.2, 30.3], "lat": [60.1, 30.2, 60.3]})
    with pytest.raises(InputError) as info:
        read_points(pts, area=(30.0, 60.0, 30.5, 60.5))
    (problem,) = info.value.problems
    assert problem.row == 2
    assert "look swapped in this row: (60.200000, 30.200000) is outside the network's area" in (
        problem.message
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-180, 180), st.floats(-90, 90)),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(["wgs84", "gcj02", "bd09"]),
)
def test_valid_points_always_read(points, datum):
    # Any valid coordinates are accepted unless they all look swapped; index and
    # values are kept and the geometry is the datum conversion of the input.
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    df = pd.DataFrame({"lng": lon, "lat": lat}, index=np.arange(len(lon))[::-1] * 3)
    result = read_points(df, datum=datum)
    pd.testing.assert_index_equal(result.index, df.index)
    expected = to_wgs84(lon, lat, datum)
    np.testing.assert_allclose(result.geometry.x, expected[0], atol=1e-9)
    np.testing.assert_allclose(result.geometry.y, expected[1], atol=1e-9)


def test_outside_area_bbox_and_buffer(frame):
    # rows 1-2 inside the box; row 3 (116.35, 39.99) is north-west of its corner
    # (116.39, 39.93), at a geodesic distance of 7.49 km.
    box = (116.39, 39.90, 116.42, 39.93)
    *_, corner_m = Geod(ellps="WGS84").inv(116.35, 39.99, 116.39, 39.93)
    assert 7400 < corner_m < 7600
    with pytest.raises(InputError) as info:
        read_points(frame, area=box)
    (problem,) = info.value.problems
    assert problem.row == 3
    assert re.search(r"point \(116.350000, 39.990000\) is \d\.\d\d km outside", problem.message)
    distance_km = float(re.search(r"is (\d\.\d\d) km", problem.message).group(1))
    assert distance_km == pytest.approx(corner_m / 1000, rel=0.005)
    assert "area_buffer_m" in str(info.value)
    assert len(read_points(frame, area=box, area_buffer_m=corner_m + 50)) == 3
    with pytest.raises(InputError, match="outside the network's area"):
        read_points(frame, area=box, area_buffer_m=corner_m - 50)


def test_outside_area_polygon_and_geoseries(frame):
    hull = shapely.MultiPoint(list(zip(LON[:2], LAT[:2], strict=True))).buffer(0.01)
    with pytest.raises(InputError, match=r"row 3.*outside the network's area"):
        read_points(frame, area=hull)
    series = gpd.GeoSeries([hull], crs=4326).to_crs(3857)
    with pytest.raises(InputError, match=r"row 3.*outside the network's area"):
        read_points(frame, area=series)
    assert len(read_points(frame.iloc[:2], area=series)) == 2


def test_area_checked_after_datum_conversion(frame):
    # A tight box around the WGS84 positions of GCJ-02 points: fine only once converted.
    lon, lat = to_wgs84(np.array(LON), np.array(LAT), "gcj02")
    box = (lon.min() - 0.001, lat.min() - 0.001, lon.max() + 0.001, lat.max() + 0.001)
    assert len(read_points(frame, datum="gcj02", area=box)) == 3
    with pytest.raises(InputError, match="outside the network's area"):
        read_points(frame, area=box)


def test_bad_area_argument(frame):
    with pytest.raises(InputError, match=r"area box .* is empty"):
        read_points(frame, area=(117.0, 39.0, 116.0, 40.0))
    with pytest.raises(InputError, match="area must be a shapely geometry"):
        read_points(frame, area="Beijing")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="area_buffer_m must be a non-negative"):
        read_points(frame, area=(116, 39, 117, 40), area_buffer_m=-1)


# ---------------------------------------------------------------- stations and candidates


def test_read_stations_valid(tmp_path):
    text = (
        "id,kind,lon,lat,hours,capacity,cost\n"
        "001,worker_station,116.40,39.91,24/7,12,\n"
        "002,driver_home,116.41,39.92,08:00-20:00,,1500.5\n"
        "003,worker_station,116.35,39.99,,4,0\n"
    )
    stations = read_stations(write(tmp_path / "st.csv", text))
    assert stations["id"].tolist() == ["001", "002", "003"]  # ids stay text
    assert stations["kind"].tolist() == ["worker_station", "driver_home", "worker_station"]
    assert stations["capacity"].tolist()[::2] == [12.0, 4.0]
    assert np.isnan(stations["capacity"].iloc[1])
    assert stations["cost"].dtype == float
    assert_points(stations, [116.40, 116.41, 116.35], [39.91, 39.92, 39.99])


def test_read_stations_problems(tmp_path):
    text = (
        "id,lon,lat,hours,capacity,cost\n"
        "s1,116.40,39.91,24/7,3,\n"
        "s1,116.41,39.92,8-20,x,-1\n"
        ",116.42,39.93,08:00-25:00,,\n"
        "s4,116.43,39.94,08:00-12:00;14:00-18:00,,\n"
    )
    with pytest.raises(InputError) as info:
        read_stations(write(tmp_path / "st.csv", text))
    message = str(info.value)
    assert "7 problems found" in message
    assert "row 2, field 'id': id 's1' is used by rows 1, 2; ids must be unique" in message
    assert "row 3, field 'id': missing id" in message
    assert "row 2, field 'capacity': non-numeric capacity 'x'" in message
    assert "row 2, field 'cost': negative cost -1.0" in message
    assert "row 2, field 'hours': opening hours '8-20' are not like '08:00-20:00' or '24/7'" in (
        message
    )
    assert "row 3, field 'hours': opening hours '08:00-25:00'" in message
    # ranges are separated by commas, not semicolons
    assert "row 4, field 'hours': opening hours '08:00-12:00;14:00-18:00'" in message


def test_read_stations_hours_separator(tmp_path):
    text = "id,lon,lat,hours\ns4,116.43,39.94,08:00-12:00;14:00-18:00\n"
    with pytest.raises(InputError, match=r"row 1, field 'hours'.*Fix: write 'HH:MM-HH:MM'"):
        read_stations(write(tmp_path / "st.csv", text))


def test_read_candidates(frame):
    sites = frame.assign(id=[7, 8, 9], cost=["10", "20.5", None])
    result = read_candidates(sites)
    assert result["cost"].tolist()[:2] == [10.0, 20.5]
    with pytest.raises(InputError, match=r"id 7 is used by rows 1, 3"):
        read_candidates(sites.assign(id=[7, 8, 7]))
    # no id column at all is fine; id_column=None skips the check
    assert len(read_candidates(frame)) == 3
    assert len(read_candidates(sites.assign(id=[7, 7, 7]), id_column=None)) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24/7", ((0, 1440),)),
        ("08:00-20:00", ((480, 1200),)),
        ("00:00-24:00", ((0, 1440),)),
        ("22:00-06:00", ((1320, 360),)),
        ("08:00-12:00, 14:00-20:30", ((480, 720), (840, 1230))),
        ("09:30–17:00", ((570, 1020),)),  # en dash
    ],
)
def test_parse_hours(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize("text", ["8-20", "08:00", "25:00-26:00", "08:00-08:00", "24:30-01:00", ""])
def test_parse_hours_rejects(text):
    with pytest.raises(ValueError, match="opening hours"):
        parse_hours(text)


# ---------------------------------------------------------------- traces


@pytest.fixture
def traces() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "driver_id": ["b", "a", "a", "b"],
            "time": [
                "2024-05-01 08:01:00",
                "2024-05-01T09:00:00+08:00",
                "2024-05-01 00:30:00Z",
                "2024/05/01 07:59",
            ],
            "lng": [116.30, 116.31, 116.32, 116.33],
            "lat": [39.90, 39.91, 39.92, 39.93],
        },
        index=[10, 11, 12, 13],
    )


def test_traces_sorted_and_times_utc(traces):
    before = traces.copy()
    result = read_traces(traces)
    # driver a: 00:30Z (row 12) is before 09:00+08:00 = 01:00Z (row 11);
    # driver b: naive times are Asia/Shanghai: 07:59 (row 13) = 23:59Z the day before.
    assert result.index.tolist() == [12, 11, 13, 10]
    assert result["driver_id"].tolist() == ["a", "a", "b", "b"]
    assert str(result["time"].dtype).endswith(", UTC]")
    assert [str(t) for t in result["time"]] == [
        "2024-05-01 00:30:00+00:00",
        "2024-05-01 01:00:00+00:00",
        "2024-04-30 23:59:00+00:00",
        "2024-05-01 00:01:00+00:00",
    ]
    assert result.loc[11, "lng"] == 116.31  # rows keep their values when sorted
    pd.testing.assert_frame_equal(traces, before)


def test_traces_other_tz_and_datetime_columns(traces):
    utc = read_traces(traces, tz="UTC")
    assert str(utc.loc[10, "time"]) == "2024-05-01 08:01:00+00:00"
    naive = traces.assign(
        time=pd.to_datetime(["2024-05-01 08:00"] * 4) + pd.to_timedelta([3, 2, 1, 0], unit="min")
    )
    result = read_traces(naive)
    assert str(result.loc[12, "time"]) == "2024-05-01 00:01:00+00:00"
    aware = naive.assign(time=naive["time"].dt.tz_localize("Europe/Berlin"))
    assert str(read_traces(aware).loc[12, "time"]) == "2024-05-01 06:01:00+00:00"


def test_traces_epoch_numbers(traces):
    seconds = traces.assign(time=[1714521600, 1714521660, 1714521720, 1714521780])
    result = read_traces(seconds)
    assert str(result.loc[10, "time"]) == "2024-05-01 00:00:00+00:00"
    millis = seconds.assign(time=seconds["time"] * 1000)
    assert str(read_traces(millis).loc[13, "time"]) == "2024-05-01 00:03:00+00:00"


def test_traces_bad_timestamps_by_row(tmp_path):
    text = (
        "driver_id,time,lon,lat\n"
        "7,2024-05-01 08:00:00,116.3,39.9\n"
        "7,yesterday-ish,116.3,39.9\n"
        "7,,116.3,39.9\n"
        "7,2024-02-30 10:00:00,116.3,39.9\n"
    )
    with pytest.raises(InputError) as info:
        read_traces(write(tmp_path / "t.csv", text))
    message = str(info.value)
    assert "3 problems found" in message
    assert "t.csv, row 2, field 'time': cannot read timestamp 'yesterday-ish'" in message
    assert "t.csv, row 3, field 'time': missing timestamp" in message
    assert "t.csv, row 4, field 'time': cannot read timestamp '2024-02-30 10:00:00'" in message


def test_traces_nonexistent_local_time(traces):
    # 2024-03-31 02:30 does not exist in Berlin (clocks jump from 02:00 to 03:00).
    gap = traces.assign(time=["2024-03-31 02:30:00"] + ["2024-03-31 04:00:00"] * 3)
    with pytest.raises(InputError, match=r"row 1, field 'time'.*does not exist in Europe/Berlin"):
        read_traces(gap, tz="Europe/Berlin")


def test_traces_driver_ids_stay_text(tmp_path):
    text = (
        "uid,time,lon,lat\n001,2024-05-01 08:00:00,116.3,39.9\n010,2024-05-01 08:00:00,116.3,39.9\n"
    )
    result = read_traces(write(tmp_path / "t.csv", text), driver="uid")
    assert result["uid"].tolist() == ["001", "010"]


def test_traces_missing_columns_and_values(traces):
    with pytest.raises(InputError) as info:
        read_traces(traces, driver="rider", time="ts")
    message = str(info.value)
    assert "no driver column 'rider'; the columns are ['driver_id', 'time', 'lng', 'lat']" in (
        message
    )
    assert "Fix: pass driver='<column>'" in message
    assert "no time column 'ts'" in message
    with pytest.raises(InputError, match=r"row 2, field 'driver_id': missing driver id"):
        read_traces(traces.assign(driver_id=["a", None, "a", "b"]))


def test_traces_unknown_tz(traces):
    with pytest.raises(InputError, match=r"field 'tz': unknown time zone 'China/Beijing'"):
        read_traces(traces, tz="China/Beijing")


def test_traces_datum_and_geometry(traces):
    result = read_traces(traces, datum="gcj02")
    lon, _ = to_wgs84(traces["lng"].to_numpy(), traces["lat"].to_numpy(), "gcj02")
    expected = pd.Series(lon, index=traces.index).loc[result.index]
    np.testing.assert_allclose(result.geometry.x, expected, atol=1e-12)


# ---------------------------------------------------------------- the one timestamp rule


def _hours(times: pd.Series) -> list[int]:
    return [int(h) for h in times.dt.hour]


def test_timestamps_epoch_seconds_and_milliseconds():
    seconds = pd.Series([1714521600, 1714521660])
    utc = parse_timestamps(seconds)
    assert [str(t) for t in utc] == ["2024-05-01 00:00:00+00:00", "2024-05-01 00:01:00+00:00"]
    assert parse_timestamps(seconds * 1000).equals(utc)
    assert parse_timestamps(seconds.astype(float) + 0.5).dt.second.tolist() == [0, 0]
    local = parse_timestamps(seconds, tz="Asia/Shanghai")
    assert [str(t) for t in local] == ["2024-05-01 08:00:00+08:00", "2024-05-01 08:01:00+08:00"]


def test_timestamps_naive_text_is_local_in_tz_or_kept_naive():
    text = pd.Series(["2024-05-01 12:00:00", "2024/05/01 12:30"], index=["x", "y"])
    local = parse_timestamps(text, tz="Asia/Shanghai")
    assert local.index.tolist() == ["x", "y"]
    assert str(local.dt.tz) == "Asia/Shanghai"
    assert _hours(local) == [12, 12]
    assert _hours(local.dt.tz_convert("UTC")) == [4, 4]
    naive = parse_timestamps(text)
    assert naive.dt.tz is None
    assert _hours(naive) == [12, 12]


def test_timestamps_one_offset_without_tz_keep_the_local_clock():
    # every fix "+08:00" (some spelled +0800): a noon fix stays hour 12, not UTC hour 4
    text = pd.Series(["2024-05-01 12:00:00+08:00", "2024-05-01T12:30:00+0800"])
    kept = parse_timestamps(text)
    assert _hours(kept) == [12, 12]
    assert kept.iloc[0] == pd.Timestamp("2024-05-01 04:00", tz="UTC")  # the same instant
    assert _hours(parse_timestamps(text, tz="UTC")) == [4, 4]


def test_timestamps_mixed_offsets():
    text = pd.Series(["2024-05-01 12:00:00+08:00", "2024-05-01 05:00:00+01:00"])
    with pytest.warns(UserWarning, match="mixes UTC offsets"):
        utc = parse_timestamps(text)
    assert str(utc.dt.tz) == "UTC"
    assert _hours(utc) == [4, 4]
    assert _hours(parse_timestamps(text, tz="Asia/Shanghai")) == [12, 12]


def test_timestamps_with_and_without_offset_need_tz():
    text = pd.Series(["2024-05-01 12:00:00+08:00", "2024-05-01 12:30:00"])
    with pytest.raises(InputError, match="UTC offset") as info:
        parse_timestamps(text, field="when", file="t.csv")
    assert (info.value.file, info.value.row, info.value.field) == ("t.csv", 2, "when")
    assert _hours(parse_timestamps(text, tz="Asia/Shanghai")) == [12, 12]


def test_timestamps_bad_rows_raise_or_are_collected():
    text = pd.Series(["2024-05-01 08:00", "01/05/2024 08:00", "", "soon"])
    with pytest.raises(InputError) as info:
        parse_timestamps(text, tz="Asia/Shanghai")
    assert [(p.row, p.message.split(" ")[0]) for p in info.value.problems] == [
        (2, "timestamp"),
        (3, "missing"),
        (4, "cannot"),
    ]
    assert "ambiguous" in info.value.problems[0].message
    problems: list[Problem] = []
    parsed = parse_timestamps(text, tz="Asia/Shanghai", problems=problems)
    assert len(problems) == 3
    assert parsed.isna().tolist() == [False, True, True, True]
    with pytest.raises(InputError, match="unknown time zone"):
        parse_timestamps(text, tz="Mars/Olympus")


def test_stays_from_traces_report_the_local_hour_of_offset_times():
    from planner.demand import hotspots_from_stays, stays_from_traces

    times = pd.date_range("2024-05-01 12:00", periods=10, freq="min")
    fixes = pd.DataFrame(
        {
            "driver_id": np.repeat(["a", "b"], 10),
            "time": [t.strftime("%Y-%m-%d %H:%M:%S+08:00") for t in times] * 2,
            "lon": 116.30,
            "lat": 39.98,
        }
    )
    stays = stays_from_traces(fixes)
    assert _hours(stays["start"]) == [12, 12]
    assert stays["duration_min"].tolist() == [9.0, 9.0]
    hotspots = hotspots_from_stays(stays, hour_histogram=True, hours=[12])
    assert hotspots.loc[0, "h12"] == 2
    assert hotspots.loc[0, "h04"] == 0


# ---------------------------------------------------------------- real data


@pytest.mark.realdata
def test_geolife_traces():
    from tests.conftest import shared_file

    path = shared_file("geolife/geolife_sample.txt.gz")
    # GeoLife times are in GMT: columns lat,lng,datetime,uid.
    result = read_traces(path, driver="uid", time="datetime", tz="UTC")
    assert len(result) == 217_653
    assert result["uid"].value_counts().to_dict() == {"005": 109_046, "001": 108_607}
    assert str(result["datetime"].min()) == "2008-10-23 05:53:05+00:00"
    assert str(result["datetime"].max()) == "2009-03-19 05:46:37+00:00"
    for _, group in result.groupby("uid"):
        assert group["datetime"].is_monotonic_increasing
    first = result.iloc[0]
    assert (first.geometry.x, first.geometry.y) == (116.319236, 39.984094)
    minx, miny, maxx, maxy = result.total_bounds
    assert 113 < minx < maxx < 122
    assert 22 < miny < maxy < 42


# ---------------------------------------------------------------- tables the way planners have them
# The Hohhot planner's case: union stations exported from Amap (GCJ-02), Chinese headers.
HOHHOT = [
    ("新城区职工驿站", "新华大街1号", 111.6708, 40.8183),
    ("赛罕区职工驿站", "大学西街2号", 111.7012, 40.8047),
]


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _hohhot_rows() -> list[list[object]]:
    rows: list[list[object]] = [["站点名称", "地址", "经度", "纬度"]]
    rows += [list(r) for r in HOHHOT]
    return rows


def test_xlsx_with_chinese_headers_gives_planner_columns(tmp_path):
    path = _xlsx(tmp_path / "驿站.xlsx", {"站点": _hohhot_rows(), "Sheet2": []})
    stations = read_stations(path, datum="gcj02")
    assert stations["name"].tolist() == [r[0] for r in HOHHOT]
    assert stations["address"].tolist() == [r[1] for r in HOHHOT]
    lon, lat = to_wgs84(np.array([r[2] for r in HOHHOT]), np.array([r[3] for r in HOHHOT]), "gcj02")
    assert_points(stations, lon, lat)
    assert stations.attrs["sheet"] == "站点"  # the one sheet with data
    assert stations.attrs["columns"] == {"name": "站点名称", "address": "地址"}
    assert stations.attrs["datum"] == "gcj02"
    # the GCJ-02 offset is the ~600 m the warning speaks of, here in Hohhot
    shift = Geod(ellps="WGS84").inv(HOHHOT[0][2], HOHHOT[0][3], lon[0], lat[0])[2]
    assert 300 < shift < 700


def test_xlsx_sheet_is_chosen_by_name_or_position(tmp_path):
    other = [["name", "lng", "lat"], ["x", 111.0, 40.0]]
    path = _xlsx(tmp_path / "book.xlsx", {"说明": other, "站点": _hohhot_rows()})
    with pytest.raises(InputError) as info:
        read_stations(path, datum="gcj02")
    assert "book.xlsx: the workbook has 2 sheets with data: '说明', '站点'." in str(info.value)
    assert "Fix: choose one with sheet='<name>'." in str(info.value)
    assert read_stations(path, datum="gcj02", sheet="站点")["name"].tolist()[0] == HOHHOT[0][0]
    assert read_stations(path, datum="gcj02", sheet=0)["name"].tolist() == ["x"]
    with pytest.raises(InputError, match=r"field 'sheet': no sheet 'stations'; the sheets are"):
        read_stations(path, sheet="stations")
    with pytest.raises(InputError, match=r"sheet=3 is out of range: the workbook has 2 sheets"):
        read_stations(path, sheet=3)


def test_xlsx_ids_are_text_and_checked(tmp_path):
    rows = [
        ["编号", "名称", "lng", "lat", "人数"],
        [1, "a", 111.67, 40.81, 10],
        [1, "b", 111.68, 40.82, -2],
    ]
    path = _xlsx(tmp_path / "s.xlsx", {"s": rows})
    with pytest.raises(InputError) as info:
        read_stations(path, datum="gcj02")
    text = str(info.value)
    assert "s.xlsx, row 2, field '编号': id '1' is used by rows 1, 2; ids must be unique." in text
    assert "s.xlsx, row 2, field '人数': negative weight -2.0." in text


def test_a_named_id_column_that_is_not_there_is_bad_input(tmp_path):
    """id_column="站点编号" on a sheet headed 编号: not silently numbered by rows."""
    rows = [["编号", "名称", "经度", "纬度"], ["A1", "a", 111.67, 40.81]]
    path = _xlsx(tmp_path / "s.xlsx", {"驿站": rows})
    with pytest.raises(InputError) as info:
        read_stations(path, datum="gcj02", id_column="站点编号")
    assert str(info.value).startswith(
        f"{path}, field '站点编号': the id column '站点编号' is not in the stations table; "
        "its columns are ['编号', '名称', '经度', '纬度']. Fix: name one of those columns"
    )
    with pytest.raises(InputError, match="the id column 'code' is not in the candidates table"):
        read_candidates(path, datum="gcj02", id_column="code")
    # the default "id" stays optional (a table without ids is numbered), and 编号 is it
    assert read_stations(path, datum="gcj02")["id"].tolist() == ["A1"]
    assert read_stations(path, datum="gcj02", id_column="编号")["编号"].tolist() == ["A1"]


def test_amap_location_column(tmp_path):
    text = 'name,location\n甲,"111.6708,40.8183"\n乙,111.7012，40.8047\n'
    path = write(tmp_path / "amap.csv", text)
    result = read_points(path, datum="gcj02")
    lon, lat = to_wgs84(np.array([111.6708, 111.7012]), np.array([40.8183, 40.8047]), "gcj02")
    assert_points(result, lon, lat)
    assert result["location"].tolist() == ["111.6708,40.8183", "111.7012，40.8047"]
    # or named: the same column for lon= and lat=
    renamed = write(tmp_path / "named.csv", text.replace("location", "坐标点"))
    assert_points(read_points(renamed, lon="坐标点", lat="坐标点", datum="gcj02"), lon, lat)


def test_amap_location_column_problems(tmp_path):
    path = write(tmp_path / "amap.csv", 'name,经纬度\n甲,"111.6708,40.8183"\n乙,中山路\n丙,\n')
    with pytest.raises(InputError) as info:
        read_points(path, datum="gcj02")
    text = str(info.value)
    assert "amap.csv, row 2, field '经纬度': cannot read '中山路' as 'longitude,latitude'." in text
    assert "Fix: write two decimal numbers in degrees, longitude first" in text
    assert "amap.csv, row 3, field '经纬度': empty location (missing value)." in text


def test_amap_location_column_swapped(tmp_path):
    path = write(tmp_path / "amap.csv", 'location\n"40.8183,111.6708"\n"40.8047,111.7012"\n')
    with pytest.raises(InputError) as info:
        read_points(path, datum="gcj02")
    assert "field 'location': longitude and latitude look swapped: 2 of 2 rows" in str(info.value)
    assert "Fix: write longitude first in 'location': 'lng,lat'." in str(info.value)


def test_decimal_comma_is_named(tmp_path):
    path = write(tmp_path / "eu.csv", "name;lon;lat;weight\na;116,3975;39,9087;2,5\n")
    with pytest.raises(InputError) as info:
        read_points(path, datum="wgs84")
    text = str(info.value)
    assert "eu.csv, row 1, field 'lon': coordinate '116,3975' is written with a decimal comma." in (
        text
    )
    assert "Fix: write a decimal point (116.3975)" in text
    assert "field 'weight': weight '2,5' is written with a decimal comma." in text


def test_decimal_comma_in_a_comma_separated_file_is_explained(tmp_path):
    path = write(tmp_path / "broken.csv", "lon,lat\n116,3975,39,9087\n116.41,39.92\n")
    with pytest.raises(InputError) as info:
        read_points(path, datum="wgs84")
    assert "broken.csv, row 1: row 1 has 4 values but the header names 2 columns" in str(info.value)
    assert "a decimal comma such as 116,39 in a comma-separated file splits a value" in str(
        info.value
    )
    later = write(tmp_path / "later.csv", "lon,lat\n116.41,39.92\n116,3975,39,9087\n")
    with pytest.raises(InputError) as info:
        read_points(later, datum="wgs84")
    assert "later.csv: cannot read the file as CSV: Error tokenizing data" in str(info.value)
    assert "a decimal comma such as 116,39" in str(info.value)


def test_binary_files_are_named_for_what_they_are(tmp_path):
    book = _xlsx(tmp_path / "real.xlsx", {"s": _hohhot_rows()})
    saved_as_csv = tmp_path / "stations.csv"
    saved_as_csv.write_bytes(book.read_bytes())
    with pytest.raises(InputError) as info:
        read_stations(saved_as_csv)
    assert "stations.csv: this is not a text table: it is a ZIP archive, most likely an " in str(
        info.value
    )
    assert "Fix: give it its real name (.xlsx)" in str(info.value)
    blob = tmp_path / "data.txt"
    blob.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"data.txt: this is not a text table: it holds binary"):
        read_points(blob)


def test_gbk_file_names_its_encoding(tmp_path):
    path = write(
        tmp_path / "gbk.csv", "站点名称,地址,东经,北纬\n驿站,新华大街,111.67,40.81\n", "gbk"
    )
    with pytest.raises(InputError) as info:
        read_stations(path)
    text = str(info.value)
    assert (
        "gbk.csv: no longitude column found; the columns are ['站点名称', '地址', '东经', " in text
    )
    assert "(read as GB18030/GBK)" in text
    good = write(tmp_path / "ok.csv", "站点名称,经度,纬度\n驿站,111.67,40.81\n", "gbk")
    assert read_stations(good, datum="gcj02")["name"].tolist() == ["驿站"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "utf-8", "gb18030"])
def test_every_common_encoding_is_detected(tmp_path, encoding):
    text = "名称\t经度\t纬度\n新城区驿站\t111.67\t40.81\n"
    path = tmp_path / "s.txt"
    path.write_bytes(text.encode(encoding))
    result = read_points(path, datum="gcj02")
    assert result["name"].tolist() == ["新城区驿站"]
    expected = {"utf-16": "utf-16", "utf-16-le": "utf-16-le", "utf-8-sig": "utf-8-sig"}
    assert result.attrs["encoding"] == expected.get(encoding, encoding)


def test_text_in_no_known_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"lon,lat\n1,2\n" + b"\xff\xfe\xfd\xfc\x80\x80\n")
    with pytest.raises(InputError, match=r"latin.csv: the text is in no encoding planner knows"):
        read_points(path)


def test_projected_geojson_without_crs_takes_crs(tmp_path):
    x, y = Transformer.from_crs(4326, 32649, always_xy=True).transform(111.6708, 40.8183)
    feature = {
        "type": "Feature",
        "properties": {"name": "驿站"},
        "geometry": {"type": "Point", "coordinates": [x, y]},
    }
    path = tmp_path / "utm.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [' + str(feature).replace("'", '"') + "]}",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_points(path, datum="wgs84")
    assert "If these are projected coordinates (metres), pass crs='EPSG:<code>'." in str(info.value)
    result = read_points(path, crs="EPSG:32649", datum="wgs84")
    assert_points(result, [111.6708], [40.8183], atol=1e-7)


def test_gpkg_without_crs_takes_crs(tmp_path, gdf):
    projected = gdf.to_crs(32650)
    path = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        projected.set_crs(None, allow_override=True).to_file(path)
    assert_points(read_points(path, crs="EPSG:32650"), atol=1e-7)


def test_padded_headers_are_trimmed_and_ids_checked(tmp_path):
    path = write(tmp_path / "s.csv", " id , lon ,lat \nA7,116.3975,39.9087\nA7 ,116.41,39.92\n")
    with pytest.raises(InputError) as info:
        read_stations(path)
    assert "s.csv, row 2, field 'id': id 'A7' is used by rows 1, 2; ids must be unique." in str(
        info.value
    )


def test_headers_that_coincide_once_trimmed(tmp_path):
    path = write(tmp_path / "s.csv", "id, id,lon,lat\n1,2,116.39,39.90\n")
    with pytest.raises(InputError, match=r"the columns 'id', ' id' have the same name 'id'"):
        read_stations(path)


def test_trailing_empty_rows_are_skipped_with_a_note(tmp_path, caplog):
    path = write(
        tmp_path / "s.csv", "name,lon,lat\na,116.3975,39.9087\nb,116.41,39.92\n,,\n,,\n , ,\n"
    )
    with caplog.at_level("INFO", logger="planner"):
        result = read_points(path)
    assert len(result) == 2
    assert result.attrs["skipped_rows"] == 3
    assert "s.csv: skipped 3 empty rows at the end of the table" in caplog.text
    # an empty row among data rows is still a problem, by row
    middle = write(tmp_path / "m.csv", "name,lon,lat\na,116.3975,39.9087\n,,\nb,116.41,39.92\n")
    with pytest.raises(InputError, match=r"m.csv, row 2, field 'lon': empty coordinate"):
        read_points(middle)


@pytest.mark.parametrize("reader", [read_stations, read_candidates, read_points])
def test_negative_nan_and_text_weights(tmp_path, reader):
    text = (
        "id,人口,lon,lat\na,10,116.39,39.90\nb,-1,116.40,39.91\nc,,116.41,39.92\n"
        "d,nan,116.42,39.93\n"
    )
    with pytest.raises(InputError) as info:
        reader(write(tmp_path / "w.csv", text + "e,many,116.43,39.94\n"), datum="wgs84")
    text = str(info.value)
    # the problems name the file's own header
    assert "w.csv, row 2, field '人口': negative weight -1.0." in text
    assert "w.csv, row 3, field '人口': missing weight (empty or NaN)." in text
    assert "w.csv, row 4, field '人口': missing weight (empty or NaN)." in text
    assert "w.csv, row 5, field '人口': non-numeric weight 'many'." in text
    good = reader(write(tmp_path / "ok.csv", "id,人口,lon,lat\na,10,116.39,39.90\n"), datum="wgs84")
    assert good["weight"].tolist() == [10.0]


def test_weight_nan_in_a_dataframe():
    frame = pd.DataFrame({"lon": [116.39, 116.40], "lat": [39.90, 39.91], "weight": [1.0, np.nan]})
    with pytest.raises(InputError, match=r"<DataFrame>, row 2, field 'weight': missing weight"):
        read_stations(frame, id_column=None, datum="wgs84")


def test_wrong_column_names_the_columns_and_the_fix(tmp_path):
    path = write(tmp_path / "s.csv", "名称,X坐标,Y坐标\n驿站,111.67,40.81\n")
    with pytest.raises(InputError) as info:
        read_stations(path)
    text = str(info.value)
    assert "s.csv: no longitude column found; the columns are ['名称', 'X坐标', 'Y坐标']" in text
    assert "Fix: pass lon='<longitude column>' and lat='<latitude column>'" in text
    assert_points(read_stations(path, lon="X坐标", lat="Y坐标", datum="wgs84"), [111.67], [40.81])


def test_aliases_leave_named_and_ambiguous_columns_alone(tmp_path):
    # 名称 and 站点名称 could both be the name: neither is renamed
    both = pd.DataFrame({"名称": ["a"], "站点名称": ["b"], "lon": [2.35], "lat": [48.85]})
    assert list(read_stations(both).columns[:2]) == ["名称", "站点名称"]
    # an id column named by the caller keeps 编号 as it is
    named = pd.DataFrame({"code": ["x"], "编号": ["y"], "lon": [2.35], "lat": [48.85]})
    result = read_stations(named, id_column="code")
    assert "编号" in result.columns


def test_traces_find_their_columns_by_alias(tmp_path):
    text = "骑手编号,定位时间,经度,纬度\n007,2024-05-01 08:00:00,111.67,40.81\n"
    path = write(tmp_path / "gps.csv", text.replace("骑手编号", "骑手"))
    traces = read_traces(path, datum="wgs84")
    assert traces["driver_id"].tolist() == ["007"]
    assert traces.attrs["columns"] == {"driver_id": "骑手", "time": "定位时间"}
    named = read_traces(write(tmp_path / "n.csv", text), driver="骑手编号", datum="wgs84")
    assert named["骑手编号"].tolist() == ["007"]
    assert "time" in named


# ---------------------------------------------------------------- the datum warning


def test_datum_warning_for_points_in_china(tmp_path):
    path = write(tmp_path / "amap.csv", "name,lng,lat\na,111.6708,40.8183\nb,2.35,48.85\n")
    with pytest.warns(DatumWarning) as record:
        result = read_points(path)
    text = str(record[0].message)
    assert "amap.csv: 1 of 2 points lie in China and no datum was given" in text
    assert "about 600 m" in text
    assert "datum='wgs84'" in text
    assert "datum='gcj02'" in text
    assert "datum='bd09'" in text
    assert record[0].filename == __file__  # attributed to the caller, not to planner
    assert result.attrs["datum"] == "wgs84"
    assert result.attrs["datum_stated"] is False


@pytest.mark.parametrize("reader", [read_points, read_stations, read_candidates, read_traces])
def test_no_datum_warning_when_stated_or_outside_china(reader):
    frame = pd.DataFrame(
        {"driver_id": ["a"], "time": ["2024-05-01 08:00"], "lon": [111.67], "lat": [40.81]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reader(frame, datum="wgs84").attrs["datum_stated"] is True
        assert reader(frame.assign(lon=2.35, lat=48.85)).attrs["datum"] == "wgs84"
    with pytest.warns(DatumWarning):
        reader(frame)


def test_check_file_reports_instead_of_raising(tmp_path):
    path = write(tmp_path / "s.csv", "id,名称,经度,纬度\n1,a,111.67,40.81\n1,b,111.68,abc\n")
    problems = check_file(path, kind="stations")
    found = {(p.row, p.field) for p in problems}
    assert found == {(None, "datum"), (2, "id"), (2, "纬度")}
    assert check_file(write(tmp_path / "e.csv", "id,lon\n"), kind="stations")[0].message == (
        "the file has no data rows (only a header)."
    )
    assert check_file(path, kind="points", sample_rows=1, datum="gcj02") == []
