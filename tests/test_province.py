"""Tests of planner.datasets._province: the synthetic province for the driver-home programme."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import planner
from planner.datasets._province import FILES, ROAD_CLASSES, ROAD_KM_RANGES, generate_province
from planner.routes import Flows, driver_home_candidates, route_od

PROVINCE = Path(__file__).resolve().parents[1] / "data" / "province"
OSM = PROVINCE / "province.osm.bz2"


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    y1, y2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((y2 - y1) / 2) ** 2
    h += math.cos(y1) * math.cos(y2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * math.asin(math.sqrt(h)) * 6_371_009.0


@pytest.fixture(scope="module")
def net() -> planner.RoadNetwork:
    return planner.network_from_osm(OSM, modes=["truck"])


@pytest.fixture(scope="module")
def od() -> pd.DataFrame:
    return pd.read_csv(PROVINCE / "truck_od.csv")


@pytest.fixture(scope="module")
def flows(od: pd.DataFrame, net: planner.RoadNetwork) -> Flows:
    return route_od(od, net, mode="truck")


def test_regeneration_reproduces_the_committed_files(tmp_path: Path) -> None:
    paths = generate_province(tmp_path)
    assert sorted(paths) == sorted(FILES)
    for name in FILES:
        assert paths[name].read_bytes() == (PROVINCE / name).read_bytes(), name
    assert not list(tmp_path.glob(".*.tmp"))


def test_another_seed_gives_another_province(tmp_path: Path) -> None:
    paths = generate_province(tmp_path, seed=7)
    assert paths["province.osm.bz2"].read_bytes() != OSM.read_bytes()
    assert "seed=7" in paths["README.md"].read_text(encoding="utf-8")


def test_everything_is_labelled_synthetic() -> None:
    readme = (PROVINCE / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Synthetic province (not a real place)")
    stations = pd.read_csv(PROVINCE / "stations.csv")
    od = pd.read_csv(PROVINCE / "truck_od.csv")
    names = [*stations["name"], *od["origin_name"], *od["destination_name"]]
    assert all(n.endswith("(synthetic)") for n in names)
    cands = driver_home_candidates(OSM)
    assert cands["name"].str.endswith("(synthetic)").all()


def test_loads_as_one_strongly_connected_truck_network(net: planner.RoadNetwork) -> None:
    assert net.dropped.nodes == 0
    assert net.dropped.components == 0
    assert len(net.usable_nodes("truck")) == net.graph.number_of_nodes()
    lon0, lat0, lon1, lat1 = net.bounds
    assert 107.0 < lon0 < lon1 < 115.0
    assert 34.0 < lat0 < lat1 < 41.0
    assert net.graph.number_of_nodes() < 20_000


def test_road_km_by_class_within_the_stated_ranges(net: planner.RoadNetwork) -> None:
    stats = net.stats()
    by_class = stats["road_km_by_class"]
    assert set(by_class) == {c for classes in ROAD_CLASSES.values() for c in classes}
    for group, classes in ROAD_CLASSES.items():
        lo, hi = ROAD_KM_RANGES[group]
        km = sum(by_class[c] for c in classes)
        assert lo <= km <= hi, (group, km)
    lo, hi = ROAD_KM_RANGES["total"]
    assert lo <= stats["road_km"] <= hi
    assert stats["modes"]["truck"]["km"] == pytest.approx(stats["road_km"])
    # the README's figures are what the loaded graph measures
    readme = (PROVINCE / "README.md").read_text(encoding="utf-8")
    assert f"about {stats['road_km']:,.0f} km of roads" in readme


def test_trucks_drive_long_enough_for_the_4_hour_rule(od: pd.DataFrame, flows: Flows) -> None:
    assert 10_000 <= od["trucks_per_day"].sum() <= 100_000
    assert len(flows.excluded) == 0
    assert len(flows) == len(od)
    hours = flows.routes["time_s"].to_numpy() / 3600.0
    volume = flows.routes["volume"].to_numpy()
    assert hours.min() >= 2.0 - 1e-6
    assert hours.max() <= 14.0
    over = volume[hours > 4.0].sum() / volume.sum()
    assert over >= 0.5
    readme = (PROVINCE / "README.md").read_text(encoding="utf-8")
    assert f"{100 * over:.1f} % of the volume over 4 hours" in readme


def test_service_areas_every_60_km_along_expressways(
    net: planner.RoadNetwork, flows: Flows
) -> None:
    areas = driver_home_candidates(OSM, kinds=["service_area"])
    # beside the expressway: the trucks driving past pass them (no detour)
    assert (flows.site_incidence(areas).sites["passing_volume"] > 0).all()
    sa = np.column_stack([areas.geometry.x, areas.geometry.y])
    graph = net.graph
    refs = sorted(
        {d["ref"] for _, _, d in graph.edges(data=True) if d.get("highway") == "motorway"}
    )
    assert refs
    placed = 0
    for ref in refs:
        road = nx.Graph()
        for u, v, d in graph.edges(data=True):
            if d.get("highway") == "motorway" and d.get("ref") == ref:
                road.add_edge(u, v, length=d["length"])
        ends = [n for n in road if road.degree(n) == 1]
        assert len(ends) == 2, ref  # each expressway is one line from end to end
        path = nx.shortest_path(road, *sorted(ends), weight="length")
        pos = np.concatenate(
            [[0.0], np.cumsum([road[u][v]["length"] for u, v in itertools.pairwise(path)])]
        )
        lon = np.array([graph.nodes[n]["x"] for n in path])
        lat = np.array([graph.nodes[n]["y"] for n in path])
        at = []
        for x, y in sa:
            d = [_metres(x, y, lo, la) for lo, la in zip(lon, lat, strict=True)]
            if min(d) < 1000.0:  # beside this expressway
                at.append(pos[int(np.argmin(d))])
        placed += len(at)
        gaps = np.diff(np.sort([0.0, *at, pos[-1]]))
        assert gaps.max() <= 60_000.0, (ref, gaps.max())
    assert placed == len(areas)  # every service area is on an expressway


def test_driver_home_candidates_find_the_planted_sites() -> None:
    cands = driver_home_candidates(OSM)
    counts = cands["kind"].value_counts()
    readme = (PROVINCE / "README.md").read_text(encoding="utf-8")
    for kind in ("service_area", "fuel_hgv", "logistics", "truck_parking"):
        assert counts[kind] > 0
        assert f"| {kind} | {counts[kind]} |" in readme
    assert counts["logistics"] == 10  # one park per city
    homes = pd.read_csv(PROVINCE / "stations.csv")
    assert list(homes.columns) == ["station_id", "name", "kind", "hours", "lon", "lat"]
    assert (homes["kind"] == "driver_home").all()
    for lon, lat in zip(homes["lon"], homes["lat"], strict=True):  # at a candidate site
        near = min(
            _metres(lon, lat, x, y) for x, y in zip(cands.geometry.x, cands.geometry.y, strict=True)
        )
        assert near < 300.0
