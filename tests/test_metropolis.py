"""The synthetic metropolis: a deterministic, Beijing-like city for benchmarks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import planner
from planner import datasets
from planner._errors import InputError
from planner.datasets import _metropolis
from planner.osm import tagged_elements

TARGET = 2_000


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return datasets.generate_metropolis(tmp_path_factory.mktemp("a"), target_nodes=TARGET)


@pytest.fixture(scope="module")
def net(city: Path) -> planner.RoadNetwork:
    return planner.network_from_osm(city)


def test_same_bytes_twice_other_bytes_with_another_seed(city: Path, tmp_path: Path) -> None:
    again = datasets.generate_metropolis(tmp_path / "b", target_nodes=TARGET)
    assert again.read_bytes() == city.read_bytes()
    other = datasets.generate_metropolis(tmp_path / "c", target_nodes=TARGET, seed=7)
    assert other.read_bytes() != city.read_bytes()
    # the cache helper writes the same file once, then finds it
    cached = datasets.metropolis_path(target_nodes=TARGET, data_dir=tmp_path / "cache")
    assert cached.read_bytes() == city.read_bytes()
    mtime = cached.stat().st_mtime_ns
    assert datasets.metropolis_path(target_nodes=TARGET, data_dir=tmp_path / "cache") == cached
    assert cached.stat().st_mtime_ns == mtime


def test_one_strongly_connected_network_of_the_target_size(net: planner.RoadNetwork) -> None:
    n = net.graph.number_of_nodes()
    assert 0.8 * TARGET <= n <= 1.2 * TARGET
    assert nx.is_strongly_connected(net.graph)
    # the generated city is one piece: the loader dropped (almost) nothing
    assert net.dropped.nodes <= 0.01 * n


def test_road_classes_one_way_pairs_and_cul_de_sacs(net: planner.RoadNetwork) -> None:
    classes: Counter[str] = Counter()
    for _, _, data in net.graph.edges(data=True):
        hw = data["highway"]
        classes.update(hw if isinstance(hw, list) else [hw])
    assert set(_metropolis.ROAD_CLASSES) <= set(classes)
    # ring roads and ramps are one-way; some local streets are one-way too
    local_oneway = [
        d
        for _, _, d in net.graph.edges(data=True)
        if d.get("oneway") is True and d["highway"] in ("residential", "unclassified")
    ]
    assert len(local_oneway) > 10
    # cul-de-sacs: nodes reached from exactly one neighbour
    dead_ends = [v for v in net.graph if len(set(net.graph.successors(v))) == 1]
    assert len(dead_ends) > 0.03 * net.graph.number_of_nodes()


def test_names_rings_and_pois(city: Path) -> None:
    names = set()
    pois = Counter()
    for element in tagged_elements(city):
        if "name" in element.tags:
            names.add(element.tags["name"])
        if element.tags.get("amenity") or element.tags.get("shop"):
            pois[element.tags.get("amenity") or element.tags["shop"]] += 1
    assert names
    assert all(name.endswith("(synthetic)") for name in names)
    assert {f"{ring} (synthetic)" for ring, _, _ in _metropolis.RINGS} <= names
    assert {"restaurant", "mall", "fuel", "parking"} <= set(pois)


def test_points_lie_on_the_network_and_follow_the_density(net: planner.RoadNetwork) -> None:
    demand = datasets.metropolis_demand_points(3000, seed=2, target_nodes=TARGET)
    again = datasets.metropolis_demand_points(3000, seed=2, target_nodes=TARGET)
    assert demand.geom_equals(again).all()
    assert list(demand.columns) == ["weight", "group", "source", "geometry"]
    planner.demand.validate_demand(demand)
    snapped = net.snap(demand, mode="ebike")
    # within the snap limit, nearly all within a street spacing of a node (a corner
    # whose streets are all missing leaves a few farther)
    assert not snapped.table["far"].any()
    assert float(snapped.table["distance_m"].quantile(0.99)) < 150.0
    # denser in the centre: more points within a quarter of the half-width than the
    # share of the area there
    lon0, lat0 = _metropolis.LON0, _metropolis.LAT0
    x = (demand.geometry.x - lon0) * _metropolis.M_PER_DEG_LON
    y = (demand.geometry.y - lat0) * _metropolis.M_PER_DEG_LAT
    half = _metropolis._half_width(TARGET)
    inner = (np.abs(x) < 0.25 * half) & (np.abs(y) < 0.25 * half)
    assert inner.mean() > 2 * (0.5**2 / _metropolis._SHAPE_AREA)
    stations = datasets.metropolis_stations(50, seed=1, target_nodes=TARGET)
    assert stations["station_id"].is_unique
    assert len(stations) == 50
    assert not net.snap(stations, mode="car").table["far"].any()


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 500"):
        datasets.generate_metropolis(tmp_path, target_nodes=100)
    with pytest.raises(InputError, match="whole number"):
        datasets.generate_metropolis(tmp_path, target_nodes=2000.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="n must be"):
        datasets.metropolis_demand_points(-1)
