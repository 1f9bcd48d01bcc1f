"""Tests of planner.coverage on a hand-made street with hand-computed shares and hours."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner._errors import InputError
from planner.coverage import coverage, hex_cells, hours_mask, stations_open
from planner.network import TravelMode
from tests.conftest import metric_network, points_gdf

# 5 m/s on the street (20 s per 100 m edge), 1 m/s off it
BIKE = TravelMode("bike", speed_kmh=18.0, access_speed_kmh=3.6)


@pytest.fixture(scope="module")
def street():  # type: ignore[no-untyped-def]
    """A straight street of 10 nodes, 100 m apart: node k at x = 100 k."""
    nodes = {k: (100.0 * k, 0.0) for k in range(10)}
    return metric_network(nodes, [(k, k + 1) for k in range(9)], modes=[BIKE])


@pytest.fixture(scope="module")
def stations():  # type: ignore[no-untyped-def]
    return points_gdf(
        [(0, 0), (900, 0), (500, 0)],
        index=pd.Index(["A", "B", "C"], name="station"),
        hours=["24/7", "22:00-06:00", "08:00-20:00"],
    )


@pytest.fixture(scope="module")
def demand():  # type: ignore[no-untyped-def]
    # d6 stands 50 m off node 2: 50 s on foot to the street
    return points_gdf(
        [(100, 0), (300, 0), (400, 0), (800, 0), (900, 0), (200, 50)],
        index=pd.Index([f"d{i}" for i in range(1, 7)], name="rider"),
        weight=[10.0, 20.0, 30.0, 40.0, 5.0, 15.0],
        worker=["rider", "rider", "courier", "courier", "driver", "rider"],
        district=["west", "west", "mid", None, "east", "west"],
    )


def share(result, cutoff, group_by="all", group="all"):  # type: ignore[no-untyped-def]
    s = result.shares
    row = s[(s["cutoff_min"] == cutoff) & (s["group_by"] == group_by) & (s["group"] == group)]
    assert len(row) == 1
    return float(row["share"].iloc[0])


def test_shares_nearest_and_gaps(street, stations, demand) -> None:  # type: ignore[no-untyped-def]
    # cutoffs 54 s and 120 s; hand-computed times to the nearest station:
    # d1 A 20 s, d2 C 40 s, d3 C 20 s, d4 B 20 s, d5 B 0 s, d6 A 50 + 40 = 90 s
    result = coverage(
        street,
        stations,
        demand,
        mode="bike",
        cutoffs_min=(0.9, 2),
        cutoff_min=0.9,
        groups=("worker", "district"),
        hex_size_m=1000,
    )
    points = result.points
    assert points.index.equals(demand.index)
    assert points["nearest_station"].tolist() == ["A", "C", "C", "B", "B", "A"]
    assert points["time_min"].to_numpy() * 60 == pytest.approx([20, 40, 20, 20, 0, 90], abs=1e-6)
    assert points["covered_0.9"].tolist() == [True] * 5 + [False]
    assert points["covered_2"].all()
    assert result.curve.to_dict() == pytest.approx({0.9: 105 / 120, 2.0: 1.0})
    assert share(result, 0.9, "worker", "rider") == pytest.approx(30 / 45)
    assert share(result, 0.9, "worker", "courier") == 1.0
    assert share(result, 0.9, "worker", "driver") == 1.0
    assert share(result, 0.9, "district", "west") == pytest.approx(30 / 45)
    assert share(result, 0.9, "district", "<missing>") == 1.0  # d4 has no district
    assert list(result.uncovered.index) == ["d6"]
    assert result.uncovered.crs.to_epsg() == 4326
    # hexagons hold all the weight and the uncovered 15
    assert result.hexes["weight"].sum() == pytest.approx(120.0)
    assert result.hexes["weight_uncovered"].sum() == pytest.approx(15.0)
    assert result.hexes.crs.to_epsg() == 4326
    assert shapely.is_valid(result.hexes.geometry).all()
    # catchments: demand covered at 0.9 min whose nearest station it is
    assert result.stations["weight_nearest"].to_dict() == {"A": 10.0, "B": 45.0, "C": 50.0}
    assert result.stations["open"].all()


@pytest.mark.parametrize(
    ("window", "rule", "open_", "at_09", "at_2"),
    [
        # 09-10: B (night) closed; d4 -> C 60 s, d5 -> C 80 s, d6 90 s
        (("09:00", "10:00"), "whole", ["A", "C"], 60 / 120, 1.0),
        # 23-01 over midnight: C closed; d2 -> A 60 s, d3 -> A 80 s, d6 90 s
        (("23:00", "01:00"), "whole", ["A", "B"], 55 / 120, 1.0),
        # 19-21: C closes at 20:00 and B opens at 22:00, so only A for the whole window:
        # d1 20, d2 60, d3 80, d4 160, d5 180, d6 90 s
        (("19:00", "21:00"), "whole", ["A"], 10 / 120, 75 / 120),
        (("19:00", "21:00"), "any", ["A", "C"], 60 / 120, 1.0),
    ],
)
def test_time_windows(street, stations, demand, window, rule, open_, at_09, at_2) -> None:  # type: ignore[no-untyped-def]
    result = coverage(
        street,
        stations,
        demand,
        mode="bike",
        cutoffs_min=(0.9, 2),
        cutoff_min=0.9,
        hours=window,
        open_rule=rule,
    )
    assert result.stations.index[result.stations["open"]].tolist() == open_
    assert list(result.access.site_index) == open_
    assert result.curve.to_dict() == pytest.approx({0.9: at_09, 2.0: at_2})


def test_no_station_open_covers_nothing(street, stations, demand) -> None:  # type: ignore[no-untyped-def]
    result = coverage(
        street, stations.loc[["B", "C"]], demand, mode="bike", hours=("06:30", "07:00")
    )
    assert result.access is None
    assert (result.curve == 0.0).all()
    assert result.points["nearest_station"].isna().all()
    assert len(result.uncovered) == len(demand)
    assert result.hexes["weight_uncovered"].sum() == pytest.approx(120.0)


def test_weight_none_counts_points_and_far_points_are_reported(street, stations, demand) -> None:  # type: ignore[no-untyped-def]
    far = pd.concat([demand, points_gdf([(450, 3000)], index=pd.Index(["lost"]), weight=[99.0])])
    with pytest.raises(InputError, match="lost"):
        coverage(street, stations, far, mode="bike", weight=None)
    result = coverage(
        street,
        stations,
        far,
        mode="bike",
        weight=None,
        cutoffs_min=(0.9,),
        cutoff_min=0.9,
        on_far="exclude",
    )
    assert result.points.loc["lost", "excluded"]
    assert not result.points.loc["lost", "covered_0.9"]
    assert result.excluded["label"].tolist() == ["lost"]
    assert share(result, 0.9) == pytest.approx(5 / 6)  # 6 points counted, 5 covered
    assert "lost" not in result.uncovered.index
    # a station off the network is reported, and the others still serve
    far_stations = pd.concat(
        [stations, points_gdf([(450, -3000)], index=pd.Index(["Z"]), hours=["24/7"])]
    )
    with_far = coverage(
        street,
        far_stations,
        demand,
        mode="bike",
        cutoffs_min=(0.9,),
        cutoff_min=0.9,
        on_far="exclude",
    )
    assert with_far.stations["excluded"].to_dict() == {
        "A": False,
        "B": False,
        "C": False,
        "Z": True,
    }
    assert with_far.excluded[["role", "label"]].values.tolist() == [["site", "Z"]]
    assert with_far.curve.to_dict() == pytest.approx({0.9: 105 / 120})


def test_bad_input(street, stations, demand) -> None:  # type: ignore[no-untyped-def]
    bad = demand.copy()
    bad.loc["d2", "weight"] = np.nan
    bad.loc["d5", "weight"] = -1.0
    with pytest.raises(InputError, match="2 problems") as info:
        coverage(street, stations, bad, mode="bike")
    assert [p.row for p in info.value.problems] == [2, 5]
    assert all(p.field == "weight" for p in info.value.problems)
    with pytest.raises(InputError, match="group column 'shift' is missing"):
        coverage(street, stations, demand, mode="bike", groups=("shift",))
    with pytest.raises(InputError, match="weight column 'riders' is missing"):
        coverage(street, stations, demand, mode="bike", weight="riders")
    with pytest.raises(InputError, match="positive, finite"):
        coverage(street, stations, demand, mode="bike", cutoffs_min=(5, 0))
    with pytest.raises(InputError, match="demand is empty"):
        coverage(street, stations, demand.iloc[:0], mode="bike")
    hours = stations.copy()
    hours["hours"] = ["24/7", None, "Mo-Fr 08:00-20:00"]
    with pytest.raises(InputError, match="2 problems") as info:
        coverage(street, hours, demand, mode="bike", hours=("09:00", "10:00"))
    assert [p.row for p in info.value.problems] == [2, 3]
    with pytest.raises(InputError, match="no 'hours' column"):
        coverage(
            street, stations.drop(columns="hours"), demand, mode="bike", hours=("9:00", "10:00")
        )
    with pytest.raises(InputError, match="not a time"):
        coverage(street, stations, demand, mode="bike", hours=("9h", "10:00"))


# ------------------------------------------------------------------------ opening hours
def test_hours_mask() -> None:
    assert hours_mask("24/7").all()
    assert hours_mask("00:00-24:00").all()
    day = hours_mask("08:00-20:00")
    assert day.sum() == 12 * 60
    assert day[8 * 60]
    assert not day[20 * 60]
    split = hours_mask("08:00-12:00, 14:00-18:00")
    assert split.sum() == 8 * 60
    assert not split[13 * 60]
    night = hours_mask("22:00-06:00")
    assert night.sum() == 8 * 60
    assert night[0]
    for bad in ("8-20", "08:00", "08:00-08:00", "25:00-26:00", "Mo-Fr 08:00-20:00"):
        with pytest.raises(ValueError):  # noqa: PT011
            hours_mask(bad)


def test_stations_open_rules() -> None:
    s = pd.DataFrame({"hours": ["24/7", "08:00-20:00", "22:00-06:00", "08:00-12:00,14:00-18:00"]})
    assert stations_open(s, ("11:00", "15:00")).tolist() == [True, True, False, False]
    assert stations_open(s, ("11:00", "15:00"), open_rule="any").tolist() == [True] * 2 + [
        False,
        True,
    ]
    assert stations_open(s, ("05:00", "05:00")).tolist() == [True, False, True, False]
    assert stations_open(s, ("20:00", "22:00"), open_rule="any").tolist() == [True] + [False] * 3


# ------------------------------------------------------------------------------ hexagons
@settings(max_examples=100, deadline=None)
@given(
    st.floats(-1e5, 1e5, allow_nan=False),
    st.floats(-1e5, 1e5, allow_nan=False),
    st.floats(10, 2000),
)
def test_hex_cell_contains_its_point(x: float, y: float, size: float) -> None:
    from planner.coverage import hex_polygons

    q, r = hex_cells(np.array([x]), np.array([y]), size)
    polygon = hex_polygons(q, r, size)[0]
    assert polygon.area == pytest.approx(3 * math.sqrt(3) / 2 * size**2, rel=1e-9)
    assert polygon.buffer(1e-6 * size).contains(shapely.Point(x, y))


# ------------------------------------------------------------------------ demo region
def test_demo_region_coverage_is_consistent(access_demo_network) -> None:  # type: ignore[no-untyped-def]
    from planner import datasets

    stations, stops = datasets.demo_stations(), datasets.demo_stops()
    stops = stops[stops["group"].isin(["rider", "courier"])]
    full = coverage(
        access_demo_network, stations, stops, mode="ebike", weight=None, groups=("group",)
    )
    night = coverage(
        access_demo_network, stations, stops, mode="ebike", weight=None, hours=("22:00", "23:00")
    )
    # only the 24/7 stations are open at 22-23 (D02 closes at 23:00)
    assert night.stations["open"].sum() == 6
    assert (night.curve <= full.curve + 1e-12).all()
    assert full.curve.is_monotonic_increasing
    # every point's nearest time is the smallest time in its row of the matrix
    am = full.access
    dense = np.full(am.shape, np.inf)
    coo = am.matrix.tocoo()
    dense[coo.row, coo.col] = coo.data
    best = dense.min(axis=1)
    times = full.points.loc[am.demand_index, "time_min"].to_numpy() * 60
    within = np.isfinite(best)
    assert times[within] == pytest.approx(best[within], rel=1e-9)
    # points with no station within 20 min still get their nearest one, farther away
    assert (times[~within] > 20 * 60).all()
    assert full.points["nearest_station"].notna().all()
    # group shares add up to the overall share
    s = full.shares
    for cut in (5.0, 10.0, 15.0, 20.0):
        groups = s[(s["cutoff_min"] == cut) & (s["group_by"] == "group")]
        overall = s[(s["cutoff_min"] == cut) & (s["group_by"] == "all")]
        assert groups["weight_covered"].sum() == pytest.approx(overall["weight_covered"].iloc[0])
    # the east is under-served: the uncovered hexagons hold all uncovered weight
    assert full.hexes["weight_uncovered"].sum() == pytest.approx(len(full.uncovered))
