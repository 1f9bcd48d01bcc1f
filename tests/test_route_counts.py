"""Flows from truck counts per road section (planner.routes.counts).

Hand-built networks where the true OD is known and the counts come from it: the
fitted flows reproduce the counts exactly, the OD where the counts determine
it, and the stated tie-break (least sum of squared volumes) where they do not.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from planner._errors import InputError
from planner.routes import CountFit, flows_from_counts, route_od
from tests.conftest import X0, Y0, metric_network, points_gdf, utm_to_lonlat

# a triangle junction: zones A, B, C on spokes to junction nodes a, b, c, whose
# three sides are two-way links; each turn (A->B uses a->b only) has its own link
TRI = {
    "A": (-800.0, -400.0),
    "B": (1000.0, -400.0),
    "C": (100.0, 1100.0),
    "a": (0.0, 0.0),
    "b": (200.0, 0.0),
    "c": (100.0, 173.0),
}
TRI_IDS = {name: k + 1 for k, name in enumerate(TRI)}
TRI_OD = {
    ("A", "B"): 30,
    ("A", "C"): 20,
    ("B", "A"): 10,
    ("B", "C"): 40,
    ("C", "A"): 25,
    ("C", "B"): 5,
}

LINE = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (2000.0, 0.0)}


@pytest.fixture(scope="module")
def tri_net() -> Any:
    nodes = {TRI_IDS[k]: xy for k, xy in TRI.items()}
    pairs = [("A", "a"), ("B", "b"), ("C", "c"), ("a", "b"), ("b", "c"), ("c", "a")]
    return metric_network(nodes, [(TRI_IDS[u], TRI_IDS[v]) for u, v in pairs], modes=["truck"])


@pytest.fixture(scope="module")
def line_net() -> Any:
    return metric_network(LINE, [(1, 2), (2, 3)], modes=["truck"])


def one_way_loop() -> Any:
    """LINE with a one-way loop 2 -> 3 -> 4 -> 2 (the network keeps strongly connected parts)."""
    nodes = LINE | {4: (1000.0, 600.0)}
    return metric_network(nodes, [(1, 2)], modes=["truck"], oneway=[(2, 3), (3, 4), (4, 2)])


def count_point(
    xy: dict[Any, tuple[float, float]], u: Any, v: Any, at: float = 0.5
) -> dict[str, float]:
    """A count on the straight edge u -> v, ``at`` along it, with the bearing of u -> v."""
    (x1, y1), (x2, y2) = xy[u], xy[v]
    x, y = x1 + at * (x2 - x1), y1 + at * (y2 - y1)
    lon, lat = utm_to_lonlat(X0 + x, Y0 + y)
    bearing = math.degrees(math.atan2(x2 - x1, y2 - y1)) % 360
    return {"lon": float(lon), "lat": float(lat), "direction": bearing}


def zone_gdf(xy: dict[Any, tuple[float, float]], names: list[Any]) -> Any:
    return points_gdf([xy[n] for n in names], index=names)


def od_table(od: dict[tuple[str, str], float], xy: dict[str, tuple[float, float]]) -> pd.DataFrame:
    rows = []
    for (o, d), vol in od.items():
        olon, olat = utm_to_lonlat(X0 + xy[o][0], Y0 + xy[o][1])
        dlon, dlat = utm_to_lonlat(X0 + xy[d][0], Y0 + xy[d][1])
        rows.append((o, d, olon, olat, dlon, dlat, vol))
    cols = ["o", "d", "origin_lon", "origin_lat", "destination_lon", "destination_lat", "trucks"]
    return pd.DataFrame(rows, columns=cols)


def test_triangle_junction_recovers_the_od(tri_net: Any) -> None:
    """Every turn has its own link: the counts determine the whole OD, and it is recovered."""
    truth = route_od(od_table(TRI_OD, TRI), tri_net, volume="trucks")
    ev = truth.edge_volumes()
    name = {v: k for k, v in TRI_IDS.items()}
    xy = {TRI_IDS[k]: p for k, p in TRI.items()}
    counts = pd.DataFrame(
        [count_point(xy, u, v) | {"trucks_per_day": vol} for (u, v), vol in ev["volume"].items()],
        index=[f"{name[u]}{name[v]}" for u, v in ev.index],
    )
    fit = flows_from_counts(counts, tri_net, zones=zone_gdf(TRI, ["A", "B", "C"]))
    assert isinstance(fit, CountFit)
    assert fit.counts["direction_from"].eq("column").all()
    assert fit.counts["fitted"].to_numpy() == pytest.approx(counts["trucks_per_day"], abs=1e-5)
    assert fit.figures["max_abs_error"] < 1e-5
    assert fit.figures["identifiable_routes"] == 6
    assert fit.figures["rank"] == 6
    got = fit.flows.routes.set_index(["origin", "destination"])
    assert got["identifiable"].all()
    for od, vol in TRI_OD.items():
        assert got.loc[od, "volume"] == pytest.approx(vol, abs=1e-5)
    # the counted edges are those the counts table names
    assert {
        f"{name[u]}{name[v]}" for u, v in zip(fit.counts["u"], fit.counts["v"], strict=True)
    } == set(counts.index)
    assert "determine 6 of the 6 route volumes" in fit.method


def test_corridor_counts_fit_exactly_and_the_tie_break_is_least_squares(line_net: Any) -> None:
    """A -> B -> C with 100 eastbound on each section: a through trip cannot be told from two
    local ones. Every split reproduces the counts; the estimate is the least-norm one:
    minimise 2 (100 - t)^2 + t^2, t = 200/3 through and 100/3 on each section alone."""
    counts = pd.DataFrame(
        [count_point(LINE, 1, 2) | {"count": 100}, count_point(LINE, 2, 3) | {"count": 100}]
    )
    zones = zone_gdf(LINE, [1, 2, 3])
    fit = flows_from_counts(counts, line_net, zones=zones)
    got = fit.flows.routes.set_index(["origin", "destination"])["volume"]
    assert got.to_dict() == pytest.approx(
        {(1, 3): 200 / 3, (1, 2): 100 / 3, (2, 3): 100 / 3}, abs=1e-4
    )
    assert fit.counts["error"].abs().max() < 1e-5
    assert not fit.flows.routes["identifiable"].any()
    assert fit.figures["rank"] == 2
    # the iterative solver used for many routes gives the same estimate
    import planner.routes.counts as counts_module

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(counts_module, "_DENSE_LIMIT", 0)
        big = flows_from_counts(counts, line_net, zones=zones)
    assert big.flows.routes["volume"].to_numpy() == pytest.approx(
        fit.flows.routes["volume"].to_numpy(), abs=1e-3
    )
    # westbound routes pass no count: not observed, no volume
    assert fit.figures["candidate_routes"] == 6
    assert fit.figures["observed_routes"] == 3
    # without zones: corridor routes chain the counted sections, with the same answer
    corr = flows_from_counts(counts, line_net)
    paths = {tuple(corr.flows.path(r)): v for r, v in corr.flows.routes["volume"].items()}
    assert paths == pytest.approx({(1, 2, 3): 200 / 3, (1, 2): 100 / 3, (2, 3): 100 / 3}, abs=1e-4)
    assert corr.flows.routes[["from_count", "to_count"]].to_numpy().tolist() == [
        [0, 0],
        [1, 1],
        [0, 1],
    ]
    assert any("begin and end at counted sections" in n for n in corr.notes)
    assert corr.flows.routes["time_s"].max() == pytest.approx(
        route_od(od_table({("A", "C"): 1}, {"A": LINE[1], "C": LINE[3]}), line_net)
        .routes["time_s"]
        .iloc[0]
    )


def test_counts_without_direction(line_net: Any) -> None:
    """No direction on a two-way road: split evenly (said), or fit the sum of both ways;
    a one-way road takes the whole count."""
    pt = count_point(LINE, 1, 2)
    del pt["direction"]
    counts = pd.DataFrame([pt | {"trucks_per_day": 90}])
    zones = zone_gdf(LINE, [1, 2])
    split = flows_from_counts(counts, line_net, zones=zones)
    assert split.counts["direction_from"].iloc[0] == "split evenly"
    assert split.counts["directions"].iloc[0] == 2
    assert split.observations["observed"].tolist() == [45, 45]
    assert split.observations["fitted"].to_numpy() == pytest.approx([45, 45], abs=1e-5)
    assert any("split evenly" in n for n in split.notes)
    assert split.flows.routes["volume"].sum() == pytest.approx(90, abs=1e-5)
    both = flows_from_counts(counts, line_net, zones=zones, two_way="sum")
    assert both.counts["direction_from"].iloc[0] == "sum of both"
    assert len(both.observations) == 1
    assert both.counts["fitted"].iloc[0] == pytest.approx(90, abs=1e-5)
    # a direction column with "both" is the same as no direction
    assert (
        flows_from_counts(counts.assign(direction="both"), line_net, zones=zones)
        .counts["direction_from"]
        .iloc[0]
        == "split evenly"
    )
    one_way = one_way_loop()
    pt2 = count_point(LINE, 2, 3)
    del pt2["direction"]
    fit = flows_from_counts(pd.DataFrame([pt2 | {"trucks_per_day": 70}]), one_way)
    assert fit.counts["direction_from"].iloc[0] == "one-way road"
    assert fit.counts["fitted"].iloc[0] == pytest.approx(70, abs=1e-5)
    # compass letters pick the direction
    west = count_point(LINE, 2, 1) | {"trucks_per_day": 12}
    fit = flows_from_counts(pd.DataFrame([west | {"direction": "WB"}]), line_net)
    assert (fit.counts["u"].iloc[0], fit.counts["v"].iloc[0]) == (2, 1)


def test_sections_by_id(line_net: Any) -> None:
    import geopandas as gpd
    import shapely

    lon, lat = utm_to_lonlat(X0 + np.array([0.0, 1000.0, 2000.0]), Y0 + np.zeros(3))
    sections = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(lon[0], lat[0]), (lon[1], lat[1])]),
                  shapely.LineString([(lon[1], lat[1]), (lon[2], lat[2])])],
        index=["S1", "S2"],
        crs="EPSG:4326",
    )  # fmt: skip
    counts = pd.DataFrame({"section_id": ["S1", "S2"], "trucks": [40, 40], "direction": ["E", "E"]})
    fit = flows_from_counts(counts, line_net, sections=sections)
    assert fit.counts[["u", "v"]].to_numpy().tolist() == [[1, 2], [2, 3]]
    assert fit.counts["snap_m"].max() < 1.0
    with pytest.raises(InputError, match="not in the sections table") as err:
        flows_from_counts(counts.assign(section_id=["S1", "S9"]), line_net, sections=sections)
    assert (err.value.row, err.value.field) == (2, "section_id")


def test_bad_count_tables(tmp_path: Path, line_net: Any) -> None:
    good = count_point(LINE, 1, 2)
    far = count_point(LINE, 2, 3)
    far["lat"] += 0.05  # about 5.5 km north of the road
    table = pd.DataFrame(
        [good | {"trucks_per_day": 10}, good | {"trucks_per_day": -3}, far | {"trucks_per_day": 5}]
    )
    path = tmp_path / "gantries.csv"
    table.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        flows_from_counts(path, line_net)
    problems = {(p.row, p.field): p for p in err.value.problems}
    assert set(problems) == {(2, "trucks_per_day"), (3, "lon")}
    assert all(p.file == str(path) for p in problems.values())
    assert "negative count -3" in problems[(2, "trucks_per_day")].message
    assert "5,5" in problems[(3, "lon")].message  # 5,5xx m
    assert "max_snap_m" in (problems[(3, "lon")].fix or "")
    # a missing count column names the columns and the fix
    table.drop(columns="trucks_per_day").to_csv(path, index=False)
    with pytest.raises(InputError, match="no count column found") as err:
        flows_from_counts(path, line_net)
    assert err.value.file == str(path)
    assert "count=" in (err.value.fix or "")
    with pytest.raises(InputError, match="no count column 'aadt'"):
        flows_from_counts(table, line_net, count="aadt")
    # missing coordinates, a bad direction, a direction no road runs
    with pytest.raises(InputError, match="no longitude column"):
        flows_from_counts(pd.DataFrame({"trucks_per_day": [1]}), line_net)
    with pytest.raises(InputError, match="neither a bearing") as err:
        flows_from_counts(pd.DataFrame([good | {"trucks_per_day": 1, "direction": "up"}]), line_net)
    assert (err.value.row, err.value.field) == (1, "direction")
    one_way = one_way_loop()
    with pytest.raises(InputError, match="runs towards 270"):
        flows_from_counts(
            pd.DataFrame([count_point(LINE, 2, 3) | {"trucks_per_day": 1, "direction": 270}]),
            one_way,
        )


def test_demo_counts_reproduce_the_demo_od() -> None:
    """Counts on every edge the demo's routed truck OD uses, with their bearings: the fit with
    the OD zones reproduces every count and the OD volumes the counts determine."""
    from planner import datasets

    net = datasets.demo_network(modes=["truck"])
    trips = datasets.demo_truck_trips()
    truth = route_od(trips, net)
    ev = truth.edge_volumes()
    line = net.edges_gdf().xs(0, level="key").loc[ev.index].geometry.to_crs(net.crs)
    mid = line.interpolate(0.5, normalized=True)
    ahead = line.interpolate(0.51, normalized=True)
    bearing = np.degrees(np.arctan2(ahead.x - mid.x, ahead.y - mid.y)) % 360
    counts = (
        mid.to_crs(4326)
        .get_coordinates()
        .assign(trucks_per_day=ev["volume"].to_numpy(), direction=bearing.to_numpy())
    )
    zone_xy = trips.drop_duplicates("origin").set_index("origin")[["origin_lon", "origin_lat"]]
    import geopandas as gpd

    zones = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(zone_xy["origin_lon"], zone_xy["origin_lat"]),
        index=zone_xy.index,
        crs=4326,
    )
    fit = flows_from_counts(counts.reset_index(drop=True), net, zones=zones)
    assert (fit.counts[["u", "v"]].to_numpy() == np.array(ev.index.tolist())).all()
    assert fit.figures["max_abs_error"] < 1e-4 * ev["volume"].max()
    got = fit.flows.routes.set_index(["origin", "destination"])
    want = trips.set_index(["origin", "destination"])["trucks_per_day"]
    ident = got.index[got["identifiable"].astype(bool)]
    assert len(ident) >= 4  # the rest share their edges with other pairs (a corridor)
    for od in ident:
        assert got.loc[od, "volume"] == pytest.approx(want[od], rel=1e-5)
    # the flows feed the siting models like OD flows do
    assert fit.flows.edge_volumes()["volume"].sort_index().to_numpy() == pytest.approx(
        ev["volume"].sort_index().to_numpy(), abs=1e-3
    )
