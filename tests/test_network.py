"""Tests of planner.network on hand-made OSM files with known answers and on real extracts."""

from __future__ import annotations

import dataclasses
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra

from planner import InputError, NetworkError, OfflineError, SnapError
from planner.modes import parse_maxspeed
from planner.network import (
    DEFAULT_MODES,
    TravelMode,
    _cache_path,
    network_from_bbox,
    network_from_graph,
    network_from_graphml,
    network_from_osm,
    network_from_place,
)
from tests.conftest import TOY_GRID, shared_file, toy_lonlat, write_osm, write_toy_osm

GEOD = Geod(ellps="WGS84")
_lonlat = toy_lonlat


@pytest.fixture
def toy_osm(tmp_path: Path) -> Path:
    return write_toy_osm(tmp_path / "toy.osm")


@pytest.fixture
def toy(toy_network):  # type: ignore[no-untyped-def]
    return toy_network


def _length(a: int, b: int) -> float:
    (lon1, lat1), (lon2, lat2) = _lonlat(*TOY_GRID[a]), _lonlat(*TOY_GRID[b])
    # osmnx measures edges as great circles on a sphere of radius 6,371,009 m (haversine)
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6_371_009 * np.arcsin(np.sqrt(h)))


def test_toy_topology_and_dropped_parts(toy) -> None:  # type: ignore[no-untyped-def]
    assert sorted(toy.graph.nodes) == [1, 2, 3, 4, 5, 6, 8]
    # 3 residential segments x 2 + 1-5 x 2 + motorway 1 + 6-4 x 2 + footway x 2
    assert toy.graph.number_of_edges() == 13
    assert not toy.graph.has_edge(6, 5)  # one-way
    assert toy.dropped.nodes == 2
    assert toy.dropped.edges == 2
    assert toy.dropped.components == 1


def test_toy_travel_times_per_mode(toy) -> None:  # type: ignore[no-untyped-def]
    d12 = toy.graph.edges[1, 2, 0]
    assert d12["length"] == pytest.approx(_length(1, 2), rel=1e-3)
    assert d12["time_ebike"] == pytest.approx(d12["length"] / (15 / 3.6))
    assert d12["time_walk"] == pytest.approx(d12["length"] / (4.5 / 3.6))
    assert d12["time_car"] == pytest.approx(d12["length"] / (25 / 3.6))
    assert d12["time_truck"] == pytest.approx(d12["length"] / (20 / 3.6))
    m = toy.graph.edges[5, 6, 0]
    assert np.isinf(m["time_ebike"])
    assert np.isinf(m["time_walk"])
    assert m["time_car"] == pytest.approx(m["length"] / (60 / 3.6))  # maxspeed replaces 100
    assert m["time_truck"] == pytest.approx(m["length"] / (60 / 3.6))  # maxspeed caps 80
    foot = toy.graph.edges[2, 8, 0]
    assert np.isinf(foot["time_car"])
    assert np.isinf(foot["time_truck"])
    assert np.isfinite(foot["time_walk"])


def test_simplification_keeps_travel_times(toy_osm: Path, toy) -> None:  # type: ignore[no-untyped-def]
    simple = network_from_osm(toy_osm, simplify=True)
    assert 3 not in simple.graph  # a node with two neighbours is merged away
    positions = [int(np.flatnonzero(toy.node_ids == n)[0]) for n in simple.node_ids]
    for mode in simple.modes:
        full = dijkstra(toy.csr(mode).to_scipy())[np.ix_(positions, positions)]
        np.testing.assert_allclose(dijkstra(simple.csr(mode).to_scipy()), full, rtol=1e-12)


@pytest.mark.parametrize("mode", ["walk", "ebike", "car", "truck"])
def test_csr_shortest_paths_equal_networkx(toy, mode: str) -> None:  # type: ignore[no-untyped-def]
    csr = toy.csr(mode)
    attr = toy.mode(mode).attr
    graph = nx.DiGraph()
    graph.add_nodes_from(toy.graph.nodes)
    for u, v, t in toy.graph.edges(data=attr):
        if np.isfinite(t):
            pairs = [(u, v)] if toy.mode(mode).oneway else [(u, v), (v, u)]
            for a, b in pairs:
                if not graph.has_edge(a, b) or graph.edges[a, b]["w"] > t:
                    graph.add_edge(a, b, w=t)
    ours = dijkstra(csr.to_scipy())
    for i, source in enumerate(csr.node_ids):
        expected = nx.single_source_dijkstra_path_length(graph, int(source), weight="w")
        for j, target in enumerate(csr.node_ids):
            want = expected.get(int(target), np.inf)
            assert ours[i, j] == pytest.approx(want, rel=1e-12), (mode, source, target)


def test_csr_reverse_is_transpose(toy) -> None:  # type: ignore[no-untyped-def]
    forward = toy.csr("car").to_scipy().toarray()
    backward = toy.csr("car").reverse().to_scipy().toarray()
    np.testing.assert_array_equal(forward.T, backward)


def test_usable_nodes_exclude_nodes_closed_to_the_mode(toy) -> None:  # type: ignore[no-untyped-def]
    node_8 = int(np.flatnonzero(toy.node_ids == 8)[0])
    assert node_8 not in toy.usable_nodes("car")
    assert node_8 in toy.usable_nodes("walk")
    assert len(toy.usable_nodes("ebike")) == 7


def test_snap_distance_and_access_time(toy) -> None:  # type: ignore[no-untyped-def]
    lon1, lat1 = _lonlat(0, 0)
    lon, lat, _ = GEOD.fwd(lon1, lat1, 180.0, 40.0)  # 40 m south of node 1
    lon8, lat8 = _lonlat(1, -1)
    snapped = toy.snap(np.array([[lon, lat], [lon8, lat8]]), mode="ebike")
    table = snapped.table
    assert table.loc[0, "node"] == 1
    assert table.loc[0, "distance_m"] == pytest.approx(40.0, abs=0.05)
    assert table.loc[0, "access_s"] == pytest.approx(40.0 / (10 / 3.6), abs=0.02)
    assert table.loc[1, "node"] == 8
    # node 8 is footway-only: a car snaps to node 2, one grid step away
    car = toy.snap(np.array([[lon8, lat8]]), mode="car").table
    assert car.loc[0, "node"] == 2
    # UTM zone 50's scale factor at 114 E is 1.0008
    geodesic = GEOD.inv(*_lonlat(1, 0), lon8, lat8)[2]
    assert car.loc[0, "distance_m"] == pytest.approx(geodesic, rel=1e-3)
    assert not table["far"].any()


def test_snap_keeps_geodataframe_index_and_reprojects(toy) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    lon, lat = _lonlat(3, 1)
    gdf = gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=gpd.points_from_xy([lon], [lat]), index=["s-1"], crs=4326
    )
    projected = gdf.to_crs(toy.crs)
    for points in (gdf, projected):
        table = toy.snap(points, mode="car").table
        assert list(table.index) == ["s-1"]
        assert table.loc["s-1", "node"] == 6
        assert table.loc["s-1", "distance_m"] < 0.01


def test_snap_far_points_raise_warn_or_flag(toy) -> None:  # type: ignore[no-untyped-def]
    lon1, lat1 = _lonlat(0, 0)
    lon, lat, _ = GEOD.fwd(lon1, lat1, 270.0, 2000.0)
    points = np.array([[lon1, lat1], [lon, lat]])
    with pytest.raises(SnapError, match=r"stations\.csv.*1 of 2 points lie farther than 500 m"):
        toy.snap(points, mode="walk", label="stations.csv")
    with pytest.warns(UserWarning, match="farther than 500 m"):
        warned = toy.snap(points, mode="walk", on_far="warn")
    assert warned.far.tolist() == [False, True]
    flagged = toy.snap(points, mode="walk", on_far="ignore", max_distance_m=2500)
    assert flagged.far.tolist() == [False, False]


def test_snap_bad_input(toy) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    with pytest.raises(InputError, match=r"rows \[2\].*longitude first"):
        toy.snap(np.array([[114.0, 22.5], [114.0, 95.0]]), mode="walk")
    with pytest.raises(InputError, match="no CRS"):
        toy.snap(gpd.GeoDataFrame(geometry=gpd.points_from_xy([114.0], [22.5])), mode="walk")
    with pytest.raises(NetworkError, match=r"no travel mode 'bus'.*\['car', 'ebike'"):
        toy.snap(np.array([[114.0, 22.5]]), mode="bus")
    with pytest.raises(InputError, match="max_distance_m must be a positive"):
        toy.snap(np.array([[114.0, 22.5]]), mode="walk", max_distance_m=-1)


def test_stats_of_toy(toy) -> None:  # type: ignore[no-untyped-def]
    stats = toy.stats()
    streets = [(1, 2), (2, 3), (3, 4), (1, 5), (5, 6), (6, 4), (2, 8)]
    assert stats["road_km"] == pytest.approx(sum(_length(a, b) for a, b in streets) / 1000, 1e-3)
    assert stats["nodes"] == 7
    assert stats["dropped"] == {"nodes": 2, "edges": 2, "components": 1}
    assert stats["modes"]["car"]["usable_nodes"] == 6
    assert stats["road_km_by_class"]["motorway"] == pytest.approx(_length(5, 6) / 1000, 1e-3)


def test_graphml_round_trip_keeps_times(toy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = toy.to_graphml(tmp_path / "toy.graphml")
    back = network_from_graphml(path)
    assert back.dropped == toy.dropped
    for mode in toy.modes:
        a, b = toy.csr(mode), back.csr(mode)
        np.testing.assert_array_equal(a.node_ids, b.node_ids)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_allclose(a.weights, b.weights, rtol=1e-12)


def test_graphml_with_other_modes_recomputes(toy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = toy.to_graphml(tmp_path / "toy.graphml")
    fast = dataclasses.replace(DEFAULT_MODES["ebike"], speed_kmh=20.0)
    back = network_from_graphml(path, modes=[fast])
    assert list(back.modes) == ["ebike"]
    np.testing.assert_allclose(back.csr("ebike").weights, toy.csr("ebike").weights * 15 / 20)


def test_pbf_equals_xml(toy_osm: Path, tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "toy.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(toy_osm)):
            writer.add(obj)
    a = network_from_osm(toy_osm)
    b = network_from_osm(pbf)
    assert sorted(a.graph.edges) == sorted(b.graph.edges)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such OSM file"):
        network_from_osm(tmp_path / "missing.osm")
    (tmp_path / "roads.csv").write_text("a,b\n")
    with pytest.raises(InputError, match=r"roads\.csv is not an OSM file.*network_from_graphml"):
        network_from_osm(tmp_path / "roads.csv")
    only_pois = write_osm(tmp_path / "pois.osm", [(1, 114.0, 22.5, {"amenity": "cafe"})], [])
    with pytest.raises(NetworkError, match="holds no usable roads"):
        network_from_osm(only_pois)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id=")
    with pytest.raises(InputError, match=r"cannot read broken\.osm as OSM data"):
        network_from_osm(broken)


def test_modes_validation() -> None:
    with pytest.raises(InputError, match="speed_kmh must be a positive number"):
        TravelMode("scooter", speed_kmh=-3)
    with pytest.raises(InputError, match=r"unknown travel mode 'bus'.*\['car', 'ebike'"):
        network_from_osm(Path("whatever.osm"), modes=["bus"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50", 50.0), ("30 mph", 30 * 1.609344), ("60;80", 60.0), ("none", None), (70, 70.0)],
)
def test_maxspeed_parsing(value: object, expected: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(expected) if expected else None)


def test_graph_in_projected_crs_is_refused(toy) -> None:  # type: ignore[no-untyped-def]
    import osmnx as ox

    projected = ox.project_graph(toy.graph)
    with pytest.raises(InputError, match="projected CRS"):
        network_from_graph(projected)


def test_place_from_cache_needs_no_internet(toy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    modes = dict(DEFAULT_MODES)
    toy.to_graphml(_cache_path("place:Toytown", modes, tmp_path))
    net = network_from_place("Toytown", cache_dir=tmp_path)
    assert sorted(net.graph.nodes) == sorted(toy.graph.nodes)


def _online() -> bool:
    try:
        socket.create_connection(("nominatim.openstreetmap.org", 443), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(_online(), reason="this machine is online; the offline error cannot show")
def test_place_offline_error(tmp_path: Path) -> None:
    with pytest.raises(OfflineError, match=r"network_from_osm\(path\)"):
        network_from_place("Futian District, Shenzhen, China", cache_dir=tmp_path, timeout=5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_place_with_server_unreachable_fails_at_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import osmnx as ox

    # a port nobody listens on: the connection is refused, as for a machine offline
    monkeypatch.setattr(ox.settings, "nominatim_url", f"http://127.0.0.1:{_free_port()}/")
    with pytest.raises(OfflineError) as caught:
        network_from_place("Xincheng District, Hohhot", cache_dir=tmp_path, timeout=5)
    text = str(caught.value)
    assert "place 'Xincheng District, Hohhot'" in text
    assert "[network] osm = 'extract.osm.pbf'" in text
    assert "ConnectionRefusedError" in text


def test_download_timeout_is_the_users(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import osmnx as ox

    # a server that accepts the connection and never answers (a black hole after connect)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        monkeypatch.setattr(ox.settings, "nominatim_url", url)
        monkeypatch.setattr(ox.settings, "overpass_url", url)
        monkeypatch.setattr(ox.settings, "use_cache", False)
        # requests names the read timeout it was given: the user's, not osmnx's 180 s
        with pytest.raises(OfflineError, match=r"ReadTimeout: .*read timeout=1\b"):
            network_from_place("Saihan District, Hohhot", cache_dir=tmp_path, timeout=1)
    assert ox.settings.requests_timeout != 1  # osmnx's setting is restored


def test_download_timeout_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"timeout must be a positive number"):
        network_from_bbox((111.6, 40.8, 111.7, 40.9), cache_dir=tmp_path, timeout=0)


# ----------------------------------------------------------------- real data
@pytest.mark.realdata
def test_shenzhen_matches_independent_osmnx_pipeline(shenzhen_network) -> None:  # type: ignore[no-untyped-def]
    import osmnx as ox

    path = shared_file("shenzhen/futian_nanshan_drive.osm.bz2")
    graph = ox.graph_from_xml(path, simplify=True)
    graph = ox.truncate.largest_component(graph, strongly=True)
    # figures from ../shared/BENCHMARKS.md, and the same node set as plain osmnx
    assert shenzhen_network.graph.number_of_nodes() == len(graph) == 4295
    assert shenzhen_network.graph.number_of_edges() == graph.number_of_edges() == 8861
    assert set(shenzhen_network.graph.nodes) == set(graph.nodes)
    lengths = sum(d["length"] for _, _, d in graph.edges(data=True))
    ours = sum(d["length"] for _, _, d in shenzhen_network.graph.edges(data=True))
    assert ours == pytest.approx(lengths, rel=1e-9)


@pytest.mark.realdata
def test_shenzhen_pbf_equals_bz2(shenzhen_network) -> None:  # type: ignore[no-untyped-def]
    pbf = network_from_osm(shared_file("shenzhen/futian_nanshan_drive.osm.pbf"))
    assert set(pbf.graph.nodes) == set(shenzhen_network.graph.nodes)
    assert pbf.graph.number_of_edges() == shenzhen_network.graph.number_of_edges()
    np.testing.assert_array_equal(pbf.csr("car").indices, shenzhen_network.csr("car").indices)


@pytest.mark.realdata
def test_shenzhen_benchmark_mode_pairs(shenzhen_network) -> None:  # type: ignore[no-untyped-def]
    bench = network_from_graph(shenzhen_network.graph, modes=[TravelMode("bench", speed_kmh=15)])
    csr = bench.csr("bench")
    # BENCHMARKS.md: 8,776 directed node pairs after taking the shortest of parallel edges
    assert len(csr.indices) == 8776
    lengths = {}
    for u, v, d in shenzhen_network.graph.edges(data=True):
        lengths[(u, v)] = min(lengths.get((u, v), np.inf), d["length"])
    expected = np.sort(np.array(list(lengths.values())) / (15 / 3.6))
    np.testing.assert_allclose(np.sort(csr.weights), expected, rtol=1e-12)


@pytest.mark.realdata
def test_haidian_raw_extract_keeps_only_roads() -> None:
    path = shared_file("beijing_haidian/haidian_cau.osm")
    never = {"abandoned", "construction", "proposed", "platform", "planned", "razed", "no"}
    roads = set()
    for way in ET.parse(path).getroot().iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if "highway" in tags and tags["highway"] not in never and tags.get("area") != "yes":
            roads.add(int(way.get("id")))
    net = network_from_osm(path, simplify=False)
    osmids = set()
    for _, _, data in net.graph.edges(data=True):
        ids = data["osmid"] if isinstance(data["osmid"], list) else [data["osmid"]]
        osmids.update(ids)
        assert "highway" in data
    assert osmids <= roads
    assert len(osmids) > 0.5 * len(roads)  # most roads are in the largest connected part


def test_area_holds_every_node_and_its_buffer(toy) -> None:  # type: ignore[no-untyped-def]
    import shapely

    hull = toy.area()
    buffered = toy.area(buffer_m=500)
    points = shapely.points(toy.lon, toy.lat)
    assert shapely.covers(hull.buffer(1e-9), points).all()
    lon, lat, _ = GEOD.fwd(*_lonlat(0, 0), 270.0, 400.0)  # 400 m west of node 1
    assert not hull.contains(shapely.Point(lon, lat))
    assert buffered.contains(shapely.Point(lon, lat))
