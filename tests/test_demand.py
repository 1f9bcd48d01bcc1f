"""Tests of planner.demand: stay points, hotspots, demand schema, aggregation."""

from __future__ import annotations

import contextlib
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from planner._errors import InputError
from planner.demand import (
    GROUPS,
    POI_DEMAND_WEIGHTS,
    PoiWeight,
    demand_from_hotspots,
    demand_from_points,
    demand_from_pois,
    demand_from_stays,
    demand_to_grid,
    hotspots_from_stays,
    stays_from_traces,
    validate_demand,
)
from tests.traces_synth import li_stays_reference, planted_traces

GEOLIFE = "geolife/geolife_sample.txt.gz"  # in ../shared/data
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)


# ----------------------------------------------------------------- stays
@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return planted_traces(n_drivers=40, stops_per_driver=6, n_sites=25, seed=7)


def _match(
    stays: gpd.GeoDataFrame, planted: pd.DataFrame
) -> tuple[float, float, list[tuple[int, int]]]:
    """One-to-one matching: same driver, centroid within 100 m, overlapping times."""
    sx, sy = TO_UTM.transform(stays.geometry.x.to_numpy(), stays.geometry.y.to_numpy())
    used = np.zeros(len(planted), dtype=bool)
    pairs: list[tuple[int, int]] = []
    p_driver = planted["driver"].to_numpy()
    p_start = planted["start"].to_numpy()
    p_end = planted["end"].to_numpy()
    for a, (drv, start, end) in enumerate(
        zip(stays["driver"], stays["start"].to_numpy(), stays["end"].to_numpy(), strict=True)
    ):
        ok = (
            ~used
            & (p_driver == drv)
            & (np.hypot(planted["x"].to_numpy() - sx[a], planted["y"].to_numpy() - sy[a]) < 100)
            & (p_start < end)
            & (p_end > start)
        )
        if ok.any():
            b = int(np.flatnonzero(ok)[0])
            used[b] = True
            pairs.append((a, b))
    return len(pairs) / max(len(stays), 1), used.mean(), pairs


def test_planted_stops_recovered(planted):
    fixes, stops, _ = planted
    stays = stays_from_traces(fixes)
    precision, recall, pairs = _match(stays, stops)
    assert precision > 0.95
    assert recall > 0.95
    # durations: a stay also holds the fixes within 200 m before and after the stop
    # (under 1.5 min at 5 m/s, plus a traffic light of under 3 min when one is that
    # close) and never misses more than a sampling interval (30 s) of the stop;
    # places: within 30 m (GPS noise of 8 m averaged over the stop)
    a, b = np.array(pairs).T
    planted_min = (stops["end"] - stops["start"]).dt.total_seconds().to_numpy() / 60
    error = stays["duration_min"].to_numpy()[a] - planted_min[b]
    assert error.min() > -0.5
    assert error.max() < 5.0
    assert np.median(error) < 2.0
    sx, sy = TO_UTM.transform(stays.geometry.x.to_numpy(), stays.geometry.y.to_numpy())
    dist = np.hypot(
        np.asarray(sx)[a] - stops["x"].to_numpy()[b], np.asarray(sy)[a] - stops["y"].to_numpy()[b]
    )
    assert np.median(dist) < 10
    assert np.quantile(dist, 0.95) < 30


def test_planted_stops_without_merge_still_recall(planted):
    fixes, stops, _ = planted
    stays = stays_from_traces(fixes, merge=False)
    _, recall, _ = _match(stays, stops)
    assert recall > 0.95
    assert len(stays) >= len(stays_from_traces(fixes))


def _reference(fixes: pd.DataFrame, d: float, t_min: float, gap: float | None) -> pd.DataFrame:
    """Plain-Python Li et al. on independently sorted fixes; (driver, start, end) rows."""
    ordered = fixes.sort_values(["driver_id", "time"], kind="stable").reset_index(drop=True)
    x, y = TO_UTM.transform(ordered["lon"].to_numpy(), ordered["lat"].to_numpy())
    ns = ordered["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    codes = pd.factorize(ordered["driver_id"])[0]
    pairs = li_stays_reference(
        codes,
        ns,
        np.asarray(x),
        np.asarray(y),
        d,
        t_min * 60e9,
        None if gap is None else gap * 60e9,
    )
    return pd.DataFrame(
        {
            "driver": [ordered["driver_id"].iloc[i] for i, _ in pairs],
            "start": [ordered["time"].iloc[i] for i, _ in pairs],
            "end": [ordered["time"].iloc[j] for _, j in pairs],
            "n_points": [j - i + 1 for i, j in pairs],
        }
    )


def _key(frame: pd.DataFrame) -> list[tuple]:
    return sorted(
        zip(
            frame["driver"],
            pd.to_datetime(frame["start"]).astype("datetime64[ns]"),
            pd.to_datetime(frame["end"]).astype("datetime64[ns]"),
            frame["n_points"],
            strict=True,
        )
    )


def test_vectorised_equals_plain_li_algorithm(planted):
    fixes, _, _ = planted
    for d, t_min, gap in [(200.0, 5.0, 60.0), (50.0, 3.0, None), (500.0, 20.0, 2.0)]:
        ours = stays_from_traces(
            fixes, max_distance_m=d, min_duration_min=t_min, max_gap_min=gap, merge=False
        )
        assert _key(ours) == _key(_reference(fixes, d, t_min, gap))


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 2),  # driver
            st.integers(1, 120),  # seconds since the previous fix
            st.floats(-80, 80),  # metres east
            st.floats(-80, 80),  # metres north
        ),
        min_size=1,
        max_size=120,
    ),
    d=st.sampled_from([30.0, 100.0, 250.0]),
    t_min=st.sampled_from([1.0, 3.0, 10.0]),
)
def test_vectorised_equals_reference_on_random_walks(steps, d, t_min):
    to_ll = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
    rows = []
    state = {k: [440_000.0, 4_420_000.0, 0] for k in range(3)}
    for drv, dt, dx, dy in steps:
        s = state[drv]
        s[0] += dx
        s[1] += dy
        s[2] += dt
        rows.append((f"u{drv}", s[2], s[0], s[1]))
    frame = pd.DataFrame(rows, columns=["driver", "sec", "x", "y"])
    lon, lat = to_ll.transform(frame["x"].to_numpy(), frame["y"].to_numpy())
    fixes = pd.DataFrame(
        {
            "driver_id": frame["driver"],
            "time": pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["sec"], unit="s"),
            "lon": lon,
            "lat": lat,
        }
    )
    lonely = (fixes["driver_id"].value_counts() == 1).any()
    with pytest.warns(UserWarning, match="single fix") if lonely else contextlib.nullcontext():
        ours = stays_from_traces(
            fixes, max_distance_m=d, min_duration_min=t_min, max_gap_min=None, merge=False
        )
    assert _key(ours) == _key(_reference(fixes, d, t_min, None))


def test_stay_centroid_and_duration_hand_example():
    fixes = pd.DataFrame(
        {
            "driver_id": ["a"] * 12,
            "time": pd.date_range("2024-05-01 12:00", periods=12, freq="min"),
            "lon": [116.30] * 5 + [116.3002] * 5 + [116.32, 116.34],
            "lat": [39.98] * 12,
        }
    )
    stays = stays_from_traces(fixes)
    assert len(stays) == 1
    row = stays.iloc[0]
    assert row["n_points"] == 10
    assert row["duration_min"] == pytest.approx(9.0)
    assert row["start"] == pd.Timestamp("2024-05-01 12:00")
    assert row["end"] == pd.Timestamp("2024-05-01 12:09")
    assert row.geometry.x == pytest.approx(116.3001, abs=1e-7)
    assert row["group"] == "rider"


def test_max_gap_splits_a_stay():
    times = list(pd.date_range("2024-05-01 08:00", periods=6, freq="min")) + list(
        pd.date_range("2024-05-01 10:00", periods=6, freq="min")
    )
    fixes = pd.DataFrame({"driver_id": "a", "time": times, "lon": 116.3, "lat": 39.98})
    assert len(stays_from_traces(fixes, max_gap_min=60)) == 2
    merged = stays_from_traces(fixes, max_gap_min=None)
    assert len(merged) == 1
    assert merged["duration_min"].iloc[0] == pytest.approx(125.0)


def test_geodataframe_input_in_projected_crs(planted):
    fixes, _, _ = planted
    gdf = gpd.GeoDataFrame(
        fixes[["driver_id", "time"]],
        geometry=gpd.points_from_xy(fixes["lon"], fixes["lat"]),
        crs="EPSG:4326",
    ).to_crs("EPSG:32650")
    a = stays_from_traces(gdf)
    b = stays_from_traces(fixes)
    assert _key(a) == _key(b)


# ------------------------------------------------------------ bad input
def _fixes(times: list[str]) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {"driver_id": ["a"] * n, "time": times, "lon": [116.3] * n, "lat": [39.9] * n}
    )


def test_mixed_time_formats_name_row_and_field():
    with pytest.raises(InputError, match="ISO 8601") as info:
        stays_from_traces(
            _fixes(["2024-05-01 08:00:00", "2024-05-01 08:01:00", "01/05/2024 08:02"])
        )
    assert info.value.row == 3
    assert info.value.field == "time"


def test_zoned_and_unzoned_times_raise():
    with pytest.raises(InputError, match="UTC offset") as info:
        stays_from_traces(_fixes(["2024-05-01 08:00:00+08:00", "2024-05-01 08:01:00"]))
    assert info.value.row == 2


def test_mixed_offsets_warn_and_convert_to_utc():
    times = ["2024-05-01 08:00:00+08:00", "2024-05-01 00:10:00+00:00"]
    with pytest.warns(UserWarning, match="mixes UTC offsets"):
        stays = stays_from_traces(_fixes(times), min_duration_min=5)
    assert stays["start"].iloc[0] == pd.Timestamp("2024-05-01 00:00:00", tz="UTC")
    assert stays["duration_min"].iloc[0] == pytest.approx(10.0)
    # with tz given, no warning, and times are local
    local = stays_from_traces(_fixes(times), tz="Asia/Shanghai")
    assert local["start"].iloc[0].hour == 8


def test_single_fix_driver_warns():
    fixes = pd.concat(
        [_fixes([f"2024-05-01 08:0{i}:00" for i in range(8)]), _fixes(["2024-05-01 09:00:00"])]
    )
    fixes["driver_id"] = ["a"] * 8 + ["lonely"]
    with pytest.warns(UserWarning, match="single fix.*'lonely'"):
        stays = stays_from_traces(fixes)
    assert list(stays["driver"]) == ["a"]


def test_missing_columns_and_bad_coordinates_collected():
    bad = pd.DataFrame({"uid": ["a"], "time": ["2024-05-01"], "lon": [116.0], "lat": [39.0]})
    with pytest.raises(InputError, match="'driver_id' is missing") as info:
        stays_from_traces(bad)
    assert "pass driver='<your column>'" in str(info.value)
    wrong = _fixes(["2024-05-01 08:00", "2024-05-01 08:01"])
    wrong.loc[1, "lat"] = 116.3
    with pytest.raises(InputError, match="outside") as info:
        stays_from_traces(wrong)
    assert (info.value.row, info.value.field) == (2, "lat")


def test_numeric_times_rejected_with_fix():
    fixes = _fixes(["x", "y"])
    fixes["time"] = [1.7e9, 1.7e9 + 60]
    with pytest.raises(InputError, match="unit='s'"):
        stays_from_traces(fixes)


def test_unknown_datum_needs_conversion():
    fixes = _fixes(["2024-05-01 08:00", "2024-05-01 08:10"])
    with pytest.raises(InputError):
        stays_from_traces(fixes, datum="mars")


# ------------------------------------------------------------- hotspots
def test_hotspots_recover_planted_sites(planted):
    fixes, stops, sites = planted
    stays = stays_from_traces(fixes)
    hotspots = hotspots_from_stays(stays, eps_m=150, min_stays=2)
    hx, hy = TO_UTM.transform(hotspots.geometry.x.to_numpy(), hotspots.geometry.y.to_numpy())
    visited = stops.groupby("site").agg(n=("driver", "size"), drivers=("driver", "nunique"))
    busy = visited[visited["n"] >= 2]
    found = 0
    for site, row in busy.iterrows():
        d = np.hypot(hx - sites.loc[site, "x"], hy - sites.loc[site, "y"])
        nearest = int(np.argmin(d))
        if d[nearest] < 30:
            found += 1
            assert hotspots["n_drivers"].iloc[nearest] == row["drivers"]
            assert hotspots["n_stays"].iloc[nearest] == row["n"]
    assert found == len(busy)
    assert len(hotspots) == len(busy)
    # weights = distinct drivers; sorted heaviest first
    assert (hotspots["weight"] == hotspots["n_drivers"]).all()
    assert hotspots["weight"].is_monotonic_decreasing
    # the micro-cell approximation for many stays finds the same hotspots here
    approx = hotspots_from_stays(stays, eps_m=150, min_stays=2, exact_limit=10)
    ax, ay = TO_UTM.transform(approx.geometry.x.to_numpy(), approx.geometry.y.to_numpy())

    def table(frame: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> list[tuple]:
        return sorted(
            zip(frame["n_stays"], frame["n_drivers"], np.round(x, 3), np.round(y, 3), strict=True)
        )

    assert table(approx, np.asarray(ax), np.asarray(ay)) == table(hotspots, hx, hy)
    dwell = hotspots_from_stays(stays, weight_by="dwell_hours")
    assert dwell["weight"].sum() == pytest.approx(stays["duration_min"].sum() / 60.0)


def _stays(rows: list[tuple[str, str, float, float, str, str]]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["driver", "group", "lon", "lat", "start", "end"])
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    frame["duration_min"] = (frame["end"] - frame["start"]).dt.total_seconds() / 60
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    )


def test_hotspots_per_group_and_hour_histogram():
    stays = _stays(
        [
            ("a", "rider", 116.3000, 39.98, "2024-05-01 11:50", "2024-05-01 13:10"),
            ("b", "rider", 116.3005, 39.98, "2024-05-01 12:05", "2024-05-01 12:30"),
            ("c", "courier", 116.3003, 39.98, "2024-05-01 23:30", "2024-05-02 00:20"),
            ("d", "courier", 116.3004, 39.98, "2024-05-01 23:40", "2024-05-01 23:50"),
            ("e", "rider", 116.5000, 39.98, "2024-05-01 12:00", "2024-05-01 12:30"),
        ]
    )
    hot = hotspots_from_stays(stays, hour_histogram=True)
    assert sorted(hot["group"]) == ["courier", "rider"]
    rider = hot[hot["group"] == "rider"].iloc[0]
    assert rider["n_stays"] == 2
    assert [rider[f"h{h:02d}"] for h in (11, 12, 13, 14)] == [1, 2, 1, 0]
    courier = hot[hot["group"] == "courier"].iloc[0]
    assert [courier[f"h{h:02d}"] for h in (22, 23, 0, 1)] == [0, 2, 1, 0]
    lunch = hotspots_from_stays(stays, hours=[13])
    assert list(lunch["n_stays"]) == []  # only one stay (a) is there at 13h: no cluster of 2
    lunch1 = hotspots_from_stays(stays, hours=[13], min_stays=1)
    assert list(lunch1["n_drivers"]) == [1]


# --------------------------------------------------------- demand schema
def test_demand_schema_from_hotspots_stays_points():
    stays = _stays(
        [
            ("a", "rider", 116.3000, 39.98, "2024-05-01 11:00", "2024-05-01 12:30"),
            ("b", "rider", 116.3005, 39.98, "2024-05-01 12:00", "2024-05-01 12:30"),
        ]
    )
    for demand in (
        demand_from_hotspots(hotspots_from_stays(stays)),
        demand_from_stays(stays, weight_by="dwell_hours"),
    ):
        checked = validate_demand(demand)
        assert list(checked.columns[:3]) == ["weight", "group", "source"]
        assert set(checked["source"]) == {"stays"}
        assert checked.crs.to_epsg() == 4326
    assert demand_from_stays(stays, weight_by="dwell_hours")["weight"].tolist() == [1.5, 0.5]
    pts = gpd.GeoDataFrame(
        {"orders": [3, 5], "group": ["courier", "truck"]},
        geometry=gpd.points_from_xy([441_000, 442_000], [4_420_000, 4_420_000]),
        crs="EPSG:32650",
        index=["x", "y"],
    )
    demand = demand_from_points(pts, weight="orders")
    assert list(demand.index) == ["x", "y"]
    assert demand["group"].tolist() == ["courier", "truck"]
    assert demand.crs.to_epsg() == 4326
    assert 116 < demand.geometry.x.iloc[0] < 117


def test_validate_demand_collects_problems():
    bad = gpd.GeoDataFrame(
        {"weight": [-1.0, 1.0], "group": ["rider", "alien"], "source": ["user", "user"]},
        geometry=gpd.points_from_xy([0, 1], [0, 1]),
        crs="EPSG:4326",
    )
    with pytest.raises(InputError, match="2 problems") as info:
        validate_demand(bad)
    assert {p.field for p in info.value.problems} == {"weight", "group"}


def test_demand_from_pois_weights_and_unknown_tags():
    pois = gpd.GeoDataFrame(
        {
            "key": ["amenity", "amenity", "shop", "amenity"],
            "category": ["restaurant", "fast_food", "mall", "bench"],
        },
        geometry=gpd.points_from_xy([116.30, 116.31, 116.32, 116.33], [39.9] * 4),
        crs="EPSG:4326",
        index=pd.Index(["n1", "n2", "w3", "n4"], name="poi_id"),
    )
    with pytest.warns(UserWarning, match="amenity=bench"):
        demand = demand_from_pois(pois)
    assert list(demand.index) == ["n1", "n2", "w3"]
    assert demand["weight"].tolist() == [1.0, 2.0, 5.0]
    assert set(demand["group"]) == {"rider"}
    custom = demand_from_pois(
        pois.iloc[:1], weights={("amenity", "restaurant"): PoiWeight("courier", 7.0)}
    )
    assert custom["weight"].tolist() == [7.0]
    assert custom["group"].tolist() == ["courier"]
    assert all(w.group in GROUPS for w in POI_DEMAND_WEIGHTS.values())


# ----------------------------------------------------------- aggregation
def _random_demand(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "weight": rng.gamma(2.0, 3.0, n),
            "group": rng.choice(list(GROUPS), n),
            "source": "user",
        },
        geometry=gpd.points_from_xy(rng.uniform(116.25, 116.45, n), rng.uniform(39.9, 40.05, n)),
        crs="EPSG:4326",
    )


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_grid_conserves_weight_per_group(shape):
    demand = _random_demand(5000, 3)
    grid = demand_to_grid(demand, cell_m=400.0, shape=shape)
    assert abs(grid["weight"].sum() - demand["weight"].sum()) < 1e-9
    by_group = grid.groupby("group")["weight"].sum()
    expected = demand.groupby("group")["weight"].sum()
    np.testing.assert_allclose(by_group.sort_index(), expected.sort_index(), rtol=0, atol=1e-9)
    assert grid["n_points"].sum() == len(demand)
    assert set(grid["source"]) == {"grid"}
    validate_demand(grid)
    # every point lies in the polygon of its cell (independent check with shapely)
    polys = demand_to_grid(demand, cell_m=400.0, shape=shape, polygons=True)
    utm = polys.to_crs("EPSG:32650")
    joined = gpd.sjoin(
        demand.to_crs("EPSG:32650"), utm[["cell", "group", "geometry"]], predicate="intersects"
    )
    joined = joined[joined["group_left"] == joined["group_right"]]
    assert joined.index.nunique() == len(demand)
    expected_area = 400.0**2 * (np.sqrt(3) / 2 if shape == "hex" else 1.0)
    np.testing.assert_allclose(utm.area, expected_area, rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    weights=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60),
    cell=st.floats(50, 5000),
)
def test_grid_conservation_property(weights, cell):
    n = len(weights)
    rng = np.random.default_rng(n)
    demand = gpd.GeoDataFrame(
        {"weight": weights, "group": "rider", "source": "poi"},
        geometry=gpd.points_from_xy(rng.uniform(116.2, 116.5, n), rng.uniform(39.8, 40.1, n)),
        crs="EPSG:4326",
    )
    grid = demand_to_grid(demand, cell_m=cell)
    assert abs(grid["weight"].sum() - float(np.sum(weights))) <= 1e-9 * max(1.0, sum(weights))


# ------------------------------------------------------------ real data
@pytest.mark.realdata
def test_geolife_stays_in_beijing_match_reference():
    from tests.conftest import shared_file

    df = pd.read_csv(shared_file(GEOLIFE), dtype={"uid": str})
    # an independent plain-Python run of Li's algorithm on the first 15,000 fixes per person
    df = df.groupby("uid", group_keys=False).head(15_000)
    fixes = df.rename(columns={"uid": "driver_id", "datetime": "time", "lng": "lon"})
    fixes["time"] = pd.to_datetime(fixes["time"])
    # Li's algorithm as published: no fix dropped (GeoLife's volunteers also drove)
    ours = stays_from_traces(fixes, merge=False, max_speed_kmh=float("inf"))
    ref = _reference(fixes, 200.0, 5.0, 60.0)
    assert len(ref) > 20
    assert _key(ours) == _key(ref)
    merged = stays_from_traces(
        df, driver="uid", time="datetime", lon="lng", tz="Asia/Shanghai", group="other"
    )
    assert len(merged) <= len(ours)
    inside = merged.geometry.x.between(115.4, 117.5) & merged.geometry.y.between(39.4, 41.1)
    assert inside.mean() > 0.9
    hot = hotspots_from_stays(merged)
    top = hot.iloc[0]
    # the busiest hotspot is in Haidian (north-west Beijing), where GeoLife's volunteers worked
    assert 116.25 < top.geometry.x < 116.36
    assert 39.95 < top.geometry.y < 40.03


# ------------------------------------------------- datums and planner.io
def test_gcj02_traces_give_the_same_stays(planted):
    from planner.crs import from_wgs84

    fixes, _, _ = planted
    shifted = fixes.copy()
    shifted["lon"], shifted["lat"] = from_wgs84(
        fixes["lon"].to_numpy(), fixes["lat"].to_numpy(), "gcj02"
    )
    # read as WGS84, the shifted fixes are hundreds of metres off
    naive = stays_from_traces(shifted)
    truth = stays_from_traces(fixes)
    off = TO_UTM.transform(naive.geometry.x.to_numpy(), naive.geometry.y.to_numpy())
    ref = TO_UTM.transform(truth.geometry.x.to_numpy(), truth.geometry.y.to_numpy())
    assert np.hypot(off[0] - ref[0], off[1] - ref[1]).min() > 100
    fixed = stays_from_traces(shifted, datum="gcj02")
    assert _key(fixed) == _key(truth)
    back = TO_UTM.transform(fixed.geometry.x.to_numpy(), fixed.geometry.y.to_numpy())
    assert np.hypot(back[0] - ref[0], back[1] - ref[1]).max() < 0.01
    with pytest.raises(InputError, match="datum"):
        stays_from_traces(fixes, datum="mars")


def test_traces_from_planner_io(planted):
    from planner.io import read_traces

    fixes, _, _ = planted
    local = fixes.assign(time=fixes["time"].dt.strftime("%Y-%m-%d %H:%M:%S.%f"))
    traces = read_traces(local, tz="Asia/Shanghai", datum="wgs84")
    assert str(traces["time"].dt.tz) == "UTC"
    ours = stays_from_traces(traces, tz="Asia/Shanghai")
    direct = stays_from_traces(fixes, tz="Asia/Shanghai")
    assert len(ours) == len(direct)
    assert (ours["start"].to_numpy() == direct["start"].to_numpy()).all()
    assert ours["start"].iloc[0].tz is not None
    hist = hotspots_from_stays(ours, hour_histogram=True)
    # the planted day runs from 07:00 local time: no stay present before 07h
    assert hist[[f"h{h:02d}" for h in range(7)]].to_numpy().sum() == 0


# ------------------------------------------------ network aggregation
@pytest.fixture(scope="module")
def grid_net():
    from tests.conftest import grid_network

    return grid_network(5, 6, 100.0, modes=["ebike"])


def test_demand_to_nodes_conserves_and_snaps_to_nearest(grid_net):
    from planner.demand import demand_to_nodes
    from tests.conftest import X0, Y0, points_gdf

    rng = np.random.default_rng(5)
    n = 400
    xy = np.column_stack([rng.uniform(-50, 550, n), rng.uniform(-50, 450, n)])
    demand = points_gdf(
        xy,
        weight=rng.gamma(2.0, 2.0, n),
        group=rng.choice(["rider", "courier"], n),
        source=rng.choice(["stays", "poi"], n),
    )
    nodes = demand_to_nodes(demand, grid_net, mode="ebike")
    validate_demand(nodes)
    assert abs(nodes["weight"].sum() - demand["weight"].sum()) < 1e-9
    for column in ("group", "source"):
        ours = nodes.groupby(column)["weight"].sum().sort_index()
        expected = demand.groupby(column)["weight"].sum().sort_index()
        np.testing.assert_allclose(ours.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)
    assert nodes["n_points"].sum() == n
    # independent nearest node: node id = row * 6 + col on the 100 m grid
    col = np.clip(np.round(xy[:, 0] / 100), 0, 5).astype(int)
    row = np.clip(np.round(xy[:, 1] / 100), 0, 4).astype(int)
    expected_node = row * 6 + col
    per_node = pd.Series(demand["weight"].to_numpy()).groupby(expected_node).sum()
    ours_node = nodes.groupby("node")["weight"].sum()
    np.testing.assert_allclose(
        ours_node.sort_index().to_numpy(), per_node.sort_index().to_numpy(), atol=1e-9
    )
    assert (X0, Y0) != (0, 0)


def test_demand_from_areas_spreads_totals(grid_net):
    from planner.demand import demand_from_areas
    from tests.conftest import X0, Y0

    areas = gpd.GeoDataFrame(
        {"workers": [120.0, 7.0], "group": ["courier", "rider"]},
        index=["east", "away"],
        geometry=[
            shapely_box(X0 + 250, Y0 - 10, X0 + 560, Y0 + 110),  # nodes 3,4,5 and 9,10,11
            shapely_box(X0 + 1000, Y0 + 1000, X0 + 1100, Y0 + 1100),  # no node inside
        ],
        crs="EPSG:32650",
    )
    with pytest.warns(UserWarning, match="'away'"):
        demand = demand_from_areas(areas, grid_net, value="workers", spread="nodes")
    validate_demand(demand)
    east = demand[demand["area"] == "east"]
    assert sorted(east["node"]) == [3, 4, 5, 9, 10, 11]
    np.testing.assert_allclose(east["weight"], 20.0)
    assert set(east["group"]) == {"courier"}
    away = demand[demand["area"] == "away"]
    assert away["node"].tolist() == [29]  # the grid corner nearest (1000, 1000)
    assert away["weight"].tolist() == [7.0]
    assert demand["weight"].sum() == pytest.approx(127.0, abs=1e-9)
    with pytest.raises(InputError, match="negative"):
        demand_from_areas(areas.assign(workers=[-1.0, 2.0]), grid_net, value="workers")
    # the same district drawn on a Chinese web map (GCJ-02): converted back, same nodes
    from planner.crs import from_wgs84

    east_wgs = areas.iloc[:1].to_crs(4326)
    east_gcj = east_wgs.set_geometry(
        shapely.transform(
            east_wgs.geometry.values,
            lambda xy: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], "gcj02")),
        )
    )
    with pytest.warns(UserWarning, match="contain no ebike network node"):
        # read as WGS84, the district lies ~500 m off, beside the network
        shifted = demand_from_areas(east_gcj, grid_net, value="workers", spread="nodes")
    assert len(shifted) == 1
    fixed = demand_from_areas(east_gcj, grid_net, value="workers", datum="gcj02", spread="nodes")
    assert sorted(fixed["node"]) == [3, 4, 5, 9, 10, 11]


def test_demand_from_areas_along_roads_and_centroid(grid_net):
    """On the 100 m grid, street length per node is 100 m inside, 50-100 m on the edge.

    The box holds nodes 3, 4, 5 (bottom row) and 9, 10, 11: node 5 is the grid's corner
    (two half streets: 100 m), 3 and 4 and 11 lie on an edge (three: 150 m), 9 and 10
    inside (four: 200 m); 950 m in all. 120 workers spread by length: 120 * m / 950.
    """
    from planner.demand import demand_along_roads, demand_from_areas, node_road_length
    from tests.conftest import X0, Y0

    _nodes, metres = node_road_length(grid_net, "ebike")
    # 5 rows x 6 columns of 100 m streets: 5*5 + 4*6 = 49 streets, 4,900 m
    assert metres.sum() == pytest.approx(4900.0)
    areas = gpd.GeoDataFrame(
        {"workers": [120.0]},
        index=["east"],
        geometry=[shapely_box(X0 + 250, Y0 - 10, X0 + 560, Y0 + 110)],
        crs="EPSG:32650",
    )
    demand = demand_from_areas(areas, grid_net, value="workers")
    by_node = demand.set_index("node")["weight"].sort_index()
    expected = pd.Series({3: 150, 4: 150, 5: 100, 9: 200, 10: 200, 11: 150}) * 120 / 950
    np.testing.assert_allclose(by_node.to_numpy(), expected.sort_index().to_numpy())
    assert demand["weight"].sum() == pytest.approx(120.0)
    one = demand_from_areas(areas, grid_net, value="workers", spread="centroid")
    assert len(one) == 1
    assert one["weight"].tolist() == [120.0]
    assert one.geometry.iloc[0].within(areas.to_crs(4326).geometry.iloc[0])
    # uniform along the roads: 2 per km on 4.9 km of street
    along = demand_along_roads(grid_net, per_km=2.0)
    assert along["weight"].sum() == pytest.approx(9.8)
    with pytest.raises(InputError, match="holds no street open to ebike"):
        demand_along_roads(grid_net, area=shapely_box(0, 0, 1, 1), total=5.0)
    with pytest.raises(InputError, match="hold no workers"):
        demand_from_areas(areas.assign(workers=0.0), grid_net, value="workers")


def test_demand_from_raster_conserves_totals_and_reprojects(grid_net, tmp_path):
    """A 4 x 4 GeoTIFF in UTM (not the network's CRS) of known counts, one cell far away."""
    import rasterio
    from affine import Affine

    from planner.demand import demand_from_raster
    from tests.conftest import X0, Y0

    counts = np.arange(1, 17, dtype="float32").reshape(4, 4)
    counts[0, 0] = -9999.0  # nodata
    path = tmp_path / "pop.tif"
    # 4 cells of 150 m from (X0 - 50, Y0 + 550) down: centres (X0 + 25 + 150 i, ...)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        crs="EPSG:32650",
        nodata=-9999.0,
        transform=Affine(150.0, 0.0, X0 - 50.0, 0.0, -150.0, Y0 + 550.0),
    ) as dst:
        dst.write(counts[None])
    total = float(counts[counts > 0].sum())
    demand = demand_from_raster(path, grid_net, area=shapely_box(0, 0, 180, 90))
    validate_demand(demand)
    assert demand["weight"].sum() == pytest.approx(total)  # every populated cell counted
    assert (demand["source"] == "grid").all()
    assert demand["n_cells"].sum() == 15
    # the cell at row 3, column 0 has its centre at (X0 + 25, Y0 + 25): nearest node 0
    assert demand.set_index("node").loc[0, "weight"] >= counts[3, 0]
    # the top row's centres lie 475 m up, beyond the 5 x 100 m grid by 75 m: still on nodes
    far = demand_from_raster(path, grid_net, area=shapely_box(0, 0, 180, 90), max_distance_m=50.0)
    assert far["weight"].sum() == pytest.approx(total)
    assert (far["node"] == -1).sum() > 0  # far cells stay at their own centre
    with pytest.raises(InputError, match="no populated cell of the raster lies in the area"):
        demand_from_raster(path, grid_net, area=shapely_box(10, 10, 11, 11))


def test_demand_from_amap_type_codes(tmp_path):
    from planner.crs import from_wgs84
    from planner.demand import demand_from_amap

    lon, lat = from_wgs84(np.array([111.66, 111.67, 111.68]), np.array([40.82] * 3), "gcj02")
    path = tmp_path / "amap.csv"
    pd.DataFrame(
        {
            "name": ["KFC", "SF Express", "Wanda Plaza"],
            "typecode": ["050301", "070501|070500", "060101"],
            "location": [f"{x:.6f},{y:.6f}" for x, y in zip(lon, lat, strict=True)],
        }
    ).to_csv(path, index=False)
    demand = demand_from_amap(path)
    assert demand[["weight", "group"]].to_dict("records") == [
        {"weight": 2.0, "group": "rider"},
        {"weight": 5.0, "group": "courier"},
        {"weight": 5.0, "group": "rider"},
    ]
    # GCJ-02 converted back to WGS84 within a metre
    np.testing.assert_allclose(demand.geometry.x, [111.66, 111.67, 111.68], atol=1e-5)
    with pytest.raises(InputError, match="none of the 1 POIs has a type code"):
        demand_from_amap(pd.DataFrame({"typecode": ["190000"], "location": ["111.6,40.8"]}))


def shapely_box(x0: float, y0: float, x1: float, y1: float):  # type: ignore[no-untyped-def]
    import shapely

    return shapely.box(x0, y0, x1, y1)


# ------------------------------------------------------- OSM POI demand
HAIDIAN = "beijing_haidian/haidian_cau.osm"  # in ../shared/data


@pytest.mark.realdata
def test_haidian_poi_demand_matches_tag_counts():
    import xml.etree.ElementTree as ET

    from planner.demand import demand_from_osm
    from tests.conftest import shared_file

    haidian = shared_file(HAIDIAN)
    demand = demand_from_osm(haidian)
    validate_demand(demand)
    # independent: count tagged nodes and ways in the XML, first matching key wins
    expected = {}
    keys: list[str] = []
    for key, _ in POI_DEMAND_WEIGHTS:
        if key not in keys:
            keys.append(key)
    for element in ET.parse(haidian).getroot():
        if element.tag not in ("node", "way"):
            continue
        tags = {t.get("k"): t.get("v") for t in element.findall("tag")}
        for key in keys:
            if (key, tags.get(key)) in POI_DEMAND_WEIGHTS:
                spec = POI_DEMAND_WEIGHTS[(key, tags[key])]
                expected[spec.group] = expected.get(spec.group, 0.0) + spec.weight
                break
    ours = demand.groupby("group")["weight"].sum().to_dict()
    assert ours == pytest.approx(expected)
    # 33 restaurants (1.0), 10 fast food (2.0), 11 cafes (0.5) are all rider demand
    assert ours["rider"] >= 33 + 20 + 5.5
    assert (demand["source"] == "poi").all()


def test_roads_only_osm_is_an_input_error(tmp_path):
    from planner.demand import demand_from_osm

    osm = tmp_path / "roads.osm"
    osm.write_text(
        "<osm version='0.6'><node id='1' lat='39.9' lon='116.3'/>"
        "<node id='2' lat='39.91' lon='116.3'/>"
        "<way id='3'><nd ref='1'/><nd ref='2'/><tag k='highway' v='residential'/></way></osm>"
    )
    with pytest.raises(InputError, match=r"roads\.osm.*holds no POIs with a demand tag"):
        demand_from_osm(osm)
    # one POI: demand, with a warning that so few points say little
    osm.write_text(
        osm.read_text().replace(
            "</osm>",
            "<node id='4' lat='39.905' lon='116.3'><tag k='amenity' v='fast_food'/></node></osm>",
        )
    )
    with pytest.warns(UserWarning, match="only 1 POIs carry a demand tag"):
        demand = demand_from_osm(osm)
    assert demand["weight"].tolist() == [2.0]


def test_group_spellings_are_normalised():
    fixes = _fixes([f"2024-05-01 08:{m:02d}:00" for m in range(10)])
    fixes["group"] = "Ride-hailing"
    stays = stays_from_traces(fixes)
    assert stays["group"].tolist() == ["ride_hailing"]
    assert stays_from_traces(fixes.drop(columns="group"), group="ride hailing")[
        "group"
    ].tolist() == ["ride_hailing"]
    fixes["group"] = "astronaut"
    with pytest.raises(InputError, match="astronaut") as info:
        stays_from_traces(fixes)
    assert info.value.field == "group"


# ------------------------------------------- the embedded demo region
def test_demo_traces_planted_stops_recovered():
    from planner import datasets
    from planner.crs import local_metric_crs

    traces = datasets.demo_traces()
    stops = datasets.demo_stops()
    stays = stays_from_traces(traces, tz="Asia/Shanghai")
    assert set(stays["group"]) <= set(GROUPS)
    centre = stays.geometry.union_all().centroid
    to_m = Transformer.from_crs(4326, local_metric_crs(centre.x, centre.y), always_xy=True)
    sx, sy = to_m.transform(stays.geometry.x.to_numpy(), stays.geometry.y.to_numpy())
    px, py = to_m.transform(stops["lon"].to_numpy(), stops["lat"].to_numpy())

    def utc(s: pd.Series) -> np.ndarray:
        return s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()

    ps, pe, ss, se = utc(stops["start"]), utc(stops["end"]), utc(stays["start"]), utc(stays["end"])
    minutes = (pe - ps) / np.timedelta64(1, "m")
    by_driver = stops.groupby("driver_id").indices
    hit_stay = np.zeros(len(stays), dtype=bool)
    hit_stop = np.zeros(len(stops), dtype=bool)
    for a, drv in enumerate(stays["driver"]):
        near = np.asarray(by_driver.get(drv, []), dtype=int)
        near = near[
            (np.hypot(px[near] - sx[a], py[near] - sy[a]) < 100)
            & (ps[near] < se[a])
            & (pe[near] > ss[a])
        ]
        hit_stay[a] = len(near) > 0
        hit_stop[near] = True
    assert hit_stay.mean() > 0.95  # precision (stays that are planted stops)
    assert hit_stop[minutes >= 6].mean() > 0.95  # recall of stops of 6 minutes or more


# ------------------------------------------- stay tail extension, solved by hand
def _tail_trace(tail_x: float) -> pd.DataFrame:
    """A rider stop in UTM 50N metres, one fix a minute from 12:00, y constant.

    Fix 0 at x = 0 (the anchor, at the stop's edge), fixes 1-5 at x = 60, the tail
    fix 6 at ``tail_x``, then fix 7 far away at x = 1,000. With a 100 m radius and
    5 minutes, Li's stay is fixes 0-5 (fix 6 is over 100 m from the anchor), whose
    centroid is x = (0 + 5 * 60) / 6 = 50: the tail fix joins the stay when it lies
    within 100 m of that centroid (x <= 150), and the centroid moves to its mean.
    """
    x0, y0 = 200_000.0, 2_496_000.0
    xs = np.array([0.0, 60, 60, 60, 60, 60, tail_x, 1000.0])
    to_lonlat = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(x0 + xs, np.full(len(xs), y0))
    return pd.DataFrame(
        {
            "driver_id": "a",
            "time": pd.date_range("2024-05-01 12:00", periods=len(xs), freq="min"),
            "lon": lon,
            "lat": lat,
        }
    )


@pytest.mark.parametrize(
    ("tail_x", "merge", "n_points", "end_minute", "centroid_x"),
    [
        (149.0, True, 7, 6, (0 + 5 * 60 + 149) / 7),  # 99 m from the centroid: joins
        (151.0, True, 6, 5, 50.0),  # 101 m from the centroid: stays out
        (149.0, False, 6, 5, 50.0),  # merge=False is Li's algorithm exactly: no tail
    ],
)
def test_stay_tail_extends_within_the_radius_of_its_centroid(
    tail_x: float, merge: bool, n_points: int, end_minute: int, centroid_x: float
) -> None:
    stays = stays_from_traces(
        _tail_trace(tail_x), max_distance_m=100.0, min_duration_min=5.0, merge=merge
    )
    assert len(stays) == 1
    row = stays.iloc[0]
    assert row["n_points"] == n_points
    assert row["duration_min"] == pytest.approx(end_minute)
    assert row["start"] == pd.Timestamp("2024-05-01 12:00")
    assert row["end"] == pd.Timestamp("2024-05-01 12:00") + pd.Timedelta(minutes=end_minute)
    x, y = TO_UTM.transform(row.geometry.x, row.geometry.y)
    assert x - 200_000.0 == pytest.approx(centroid_x, abs=1e-3)
    assert y - 2_496_000.0 == pytest.approx(0.0, abs=1e-3)


# ------------------------------------------------------------ trace cleaning
HOHHOT_STOP = (111.6708, 40.8183)


def _stop(driver: str, start: str, n: int = 30, *, lon: float = HOHHOT_STOP[0]) -> pd.DataFrame:
    """A rider waiting ``n`` minutes at one place, a fix a minute, a few metres of noise."""
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "driver_id": driver,
            "time": pd.date_range(start, periods=n, freq="min"),
            "lon": lon + rng.normal(0, 5e-5, n),
            "lat": HOHHOT_STOP[1] + rng.normal(0, 5e-5, n),
        }
    )


def test_a_teleport_is_dropped_counted_and_announced():
    from planner._errors import DroppedFixesWarning

    fixes = _stop("r1", "2024-05-01 12:00")
    # one fix 1,900 km away, one second after the one before it
    glitch = fixes.iloc[[14]].assign(
        lon=HOHHOT_STOP[0] + 22.6, time=fixes["time"].iloc[14] + pd.Timedelta(seconds=1)
    )
    traced = pd.concat([fixes, glitch]).sort_values("time", kind="stable").reset_index(drop=True)
    with pytest.warns(DroppedFixesWarning) as record:
        stays = stays_from_traces(traced, label="rider_gps.csv")
    text = str(record[0].message)
    assert "rider_gps.csv: dropped 1 after impossible jumps (faster than 60 km/h" in text
    assert "driver_id 'r1', row 16) of 31 GPS fixes" in text
    assert stays.attrs["dropped_fixes"] == {
        "fixes": 31,
        "impossible_jumps": 1,
        "outside_area": 0,
        "jumps_left": 0,
    }
    assert len(stays) == 1
    assert stays["n_points"].tolist() == [30]
    assert abs(stays.geometry.x.iloc[0] - HOHHOT_STOP[0]) < 1e-3
    # kept (Li's algorithm as published), the teleport cuts the stop in two halves that
    # are merged again, and counts as one of its fixes
    kept = stays_from_traces(traced, max_speed_kmh=float("inf"))
    assert kept.attrs["dropped_fixes"]["impossible_jumps"] == 0
    assert kept["n_points"].tolist() == [31]
    assert len(stays_from_traces(traced, max_speed_kmh=float("inf"), merge=False)) == 2


def test_a_burst_and_a_stale_first_fix_are_dropped():
    from planner._errors import DroppedFixesWarning

    fixes = _stop("r1", "2024-05-01 12:00")
    burst = fixes.iloc[10:13].assign(lon=0.0, lat=0.0)  # three fixes at (0, 0)
    traced = pd.concat([fixes.drop(fixes.index[10:13]), burst]).sort_values("time")
    stale = fixes.iloc[[0]].assign(  # a phone's last known place, the day before, 40 km off
        lon=HOHHOT_STOP[0] + 0.5, time=fixes["time"].iloc[0] - pd.Timedelta(seconds=20)
    )
    traced = pd.concat([stale, traced]).reset_index(drop=True)
    with pytest.warns(DroppedFixesWarning, match=r"dropped 4 after impossible jumps"):
        stays = stays_from_traces(traced)
    assert stays.attrs["dropped_fixes"]["impossible_jumps"] == 4
    assert len(stays) == 1


def test_sustained_fast_travel_is_kept():
    # a ride-hailing car on a ring road at 110 km/h, read with the riders' 60 km/h limit:
    # every jump is too fast, but no fix is an outlier, so none is dropped
    n = 40
    metres = np.arange(n) * 110 / 3.6 * 60.0  # a fix a minute
    lon = HOHHOT_STOP[0] + metres / (111_320 * np.cos(np.radians(HOHHOT_STOP[1])))
    car = pd.DataFrame(
        {
            "driver_id": "c1",
            "time": pd.date_range("2024-05-01 08:00", periods=n, freq="min"),
            "lon": lon,
            "lat": HOHHOT_STOP[1],
        }
    )
    waiting = _stop("c1", "2024-05-01 08:40", lon=float(lon[-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stays = stays_from_traces(pd.concat([car, waiting], ignore_index=True), group="rider")
    assert stays.attrs["dropped_fixes"]["impossible_jumps"] == 0
    assert stays.attrs["dropped_fixes"]["jumps_left"] == n - 1
    assert len(stays) == 1


def test_fixes_outside_the_area_are_dropped_and_counted():
    from planner._errors import DroppedFixesWarning

    inside = _stop("r1", "2024-05-01 12:00")
    far = _stop("r2", "2024-05-01 12:00", lon=HOHHOT_STOP[0] + 1.0)  # 84 km east
    box = (111.6, 40.75, 111.75, 40.9)
    with pytest.warns(DroppedFixesWarning, match=r"dropped 30 outside the network's area of 60"):
        stays = stays_from_traces(pd.concat([inside, far], ignore_index=True), area=box)
    assert stays["driver"].tolist() == ["r1"]
    assert stays.attrs["dropped_fixes"]["outside_area"] == 30
    with pytest.raises(InputError, match="max_speed_kmh must be a positive number"):
        stays_from_traces(inside, max_speed_kmh=0)
