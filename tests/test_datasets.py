"""Tests of planner.datasets: the synthetic demo region and its generator."""

from __future__ import annotations

import bz2
import hashlib
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from planner import datasets
from planner._errors import InputError
from planner.datasets._generate import lonlat_to_xy

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"

# Known answers: what the generator plants with the shipped seed.
POIS = {
    "restaurant": 120,
    "fast_food": 80,
    "mall": 6,
    "express_depot": 16,
    "community_centre": 18,
    "toilets": 40,
    "fuel": 12,
    "parking": 30,
    "residential": 67,
    "industrial": 1,
    "services": 1,
}
AGENTS = {"rider": 200, "courier": 60, "ride-hailing": 40, "truck": 24}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def traces() -> pd.DataFrame:
    df = datasets.demo_traces(data_dir=DEMO)
    x, y = lonlat_to_xy(df["lon"].to_numpy(), df["lat"].to_numpy())
    return df.assign(x=x, y=y, t=(df["time"] - df["time"].min()).dt.total_seconds())


@pytest.fixture(scope="module")
def road_graph(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    """The highway ways of the OSM file (written with pyosmium), loaded by osmnx."""
    import osmium
    import osmnx as ox

    src = str(DEMO / "demo_region.osm.bz2")
    keep = []
    for way in osmium.FileProcessor(src, osmium.osm.WAY):
        tags = {t.k: t.v for t in way.tags}
        if "highway" in tags and tags["highway"] != "services" and tags.get("area") != "yes":
            keep.append(way.id)
    out = tmp_path_factory.mktemp("osm") / "roads.osm"
    with osmium.BackReferenceWriter(str(out), ref_src=src, overwrite=True) as writer:
        for way in osmium.FileProcessor(src, osmium.osm.WAY).with_filter(
            osmium.filter.IdFilter(keep)
        ):
            writer.add_way(way)
    saved = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = [*saved, "hgv", "foot", "bicycle"]
    try:
        return ox.graph_from_xml(out, retain_all=True)
    finally:
        ox.settings.useful_tags_way = saved


# ----------------------------------------------------------------------------- files


def test_regeneration_reproduces_the_committed_files(tmp_path: Path) -> None:
    # demo_dir generates into an incomplete folder: the fallback used by wheels
    folder = datasets.demo_dir(data_dir=tmp_path / "regen")
    for name in datasets.DEMO_FILES:
        new, old = folder / name, DEMO / name
        if name.endswith(".bz2"):  # the content first, for a readable failure
            assert bz2.decompress(new.read_bytes()) == bz2.decompress(old.read_bytes()), name
        assert _sha(new) == _sha(old), name


def test_demo_dir_prefers_the_repo_then_the_cache(tmp_path: Path) -> None:
    from planner.datasets._access import _resolve_dir

    cache = tmp_path / "cache"
    assert _resolve_dir(None, repo_dir=DEMO, cache_dir=cache) == DEMO
    assert not cache.exists()
    shutil.copytree(DEMO, cache)
    stamps = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    # no repo folder (installed wheel): the complete cache is used as it is
    assert _resolve_dir(None, repo_dir=tmp_path / "absent", cache_dir=cache) == cache
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == stamps


def test_files_are_small_and_labelled() -> None:
    total = sum((DEMO / n).stat().st_size for n in datasets.DEMO_FILES)
    assert total < 8_000_000
    xml = bz2.decompress((DEMO / "demo_region.osm.bz2").read_bytes())[:2000].decode()
    assert "synthetic demo region" in xml.split("<note>")[1].split("</note>")[0]
    assert 'generator="planner synthetic demo region generator' in xml
    assert "synthetic" in (DEMO / "README.md").read_text().splitlines()[0].lower()


def test_demo_path_names_the_files_on_a_bad_name() -> None:
    assert datasets.demo_path("stations.csv", data_dir=DEMO) == DEMO / "stations.csv"
    with pytest.raises(InputError, match=r"demo_region\.osm\.bz2"):
        datasets.demo_path("roads.osm", data_dir=DEMO)
    with pytest.raises(InputError, match="unknown worker group"):
        datasets.demo_traces(groups=["pilot"], data_dir=DEMO)


# ----------------------------------------------------------------------------- OSM file


def test_osm_file_is_valid_osm_xml() -> None:
    import osmium

    path = str(DEMO / "demo_region.osm.bz2")
    header = osmium.io.Reader(path).header()
    box = header.box()
    assert (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat) == (
        pytest.approx(datasets.demo_area().bounds, abs=1e-7)
    )
    node_ids, way_ids = [], []
    n_refs = 0
    for obj in osmium.FileProcessor(path).with_locations():
        assert obj.version == 1
        if isinstance(obj, osmium.osm.Node):
            node_ids.append(obj.id)
            assert box.contains(obj.location)
        elif isinstance(obj, osmium.osm.Way):
            way_ids.append(obj.id)
            assert len(obj.nodes) >= 2
            for nd in obj.nodes:  # every reference resolves to a node location
                assert nd.location.valid()
                n_refs += 1
    for ids in (node_ids, way_ids):
        assert ids[0] >= 1
        assert ids == sorted(set(ids))
    assert len(node_ids) > 8000
    assert n_refs > 2 * len(way_ids)


def test_road_graph_size_and_connectivity(road_graph: nx.MultiDiGraph) -> None:
    assert 3000 <= len(road_graph) <= 8000
    assert nx.number_weakly_connected_components(road_graph) == 1
    # one-way streets and motorway carriageways never trap a driver
    assert nx.number_strongly_connected_components(road_graph) == 1


def _has(value: object, wanted: str) -> bool:
    return wanted in value if isinstance(value, list) else value == wanted


def test_corridor_and_expressway_are_tagged(road_graph: nx.MultiDiGraph) -> None:
    edges = [d for _u, _v, d in road_graph.edges(data=True)]
    corridor = [d for d in edges if _has(d.get("ref"), "G999") and _has(d["highway"], "trunk")]
    # two-way: each stretch twice; the corridor crosses the 20 km wide region west to east
    assert sum(d["length"] for d in corridor) / 2 / 1000 == pytest.approx(20.4, abs=0.6)
    assert all(d["oneway"] is False for d in corridor)
    motorway = [d for d in edges if _has(d["highway"], "motorway")]
    assert all(d["oneway"] is True and _has(d.get("ref"), "G9901") for d in motorway)
    # two carriageways of about 14.5 km each
    assert sum(d["length"] for d in motorway) / 1000 == pytest.approx(29.3, abs=1.5)
    links = [d for d in edges if _has(d["highway"], "motorway_link")]
    assert len(links) == 8  # two diamond interchanges
    classes = {
        h
        for d in edges
        for h in (d["highway"] if isinstance(d["highway"], list) else [d["highway"]])
    }
    assert {
        "primary",
        "secondary",
        "tertiary",
        "residential",
        "service",
        "living_street",
        "footway",
        "steps",
        "pedestrian",
        "path",
        "unclassified",
    } <= classes
    primaries = [d for d in edges if d["highway"] == "primary" and d.get("ref") is None]
    assert primaries
    assert all(d.get("hgv") == "no" for d in primaries)


@pytest.fixture(scope="module")
def demo_net():  # planner.network's RoadNetwork of the demo region
    return datasets.demo_network(data_dir=DEMO)


def test_network_loads_with_planner_network(demo_net) -> None:
    stats = demo_net.stats()
    assert 3000 <= stats["nodes"] <= 8000
    assert demo_net.dropped.nodes == 0  # strongly connected as generated
    km = {mode: figures["km"] for mode, figures in stats["modes"].items()}
    # steps and bicycle=no footways: riders lose some of the walkable network;
    # cars lose footways, paths and the pedestrian street; trucks most city streets
    assert km["walk"] > km["ebike"] > km["car"] > km["truck"]
    assert stats["road_km_by_class"]["trunk"] > 19


def test_truck_zones_are_linked_by_truck_roads(demo_net) -> None:
    from scipy.sparse.csgraph import dijkstra

    od = datasets.demo_truck_trips(data_dir=DEMO)
    zones = od.drop_duplicates("origin")[["origin", "origin_lon", "origin_lat"]]
    snapped = demo_net.snap(zones[["origin_lon", "origin_lat"]].to_numpy(), mode="truck")
    assert (snapped.table["distance_m"] < 5).all()
    graph = demo_net.csr("truck").to_scipy()
    times = dijkstra(graph, indices=snapped.node_index)[:, snapped.node_index]
    assert np.isfinite(times).all()
    # the 20 km corridor from gate to gate takes 15-30 min by truck
    w, e = list(zones["origin"]).index("W"), list(zones["origin"]).index("E")
    assert 15 * 60 < times[w, e] < 30 * 60


def test_stations_snap_to_their_networks(demo_net) -> None:
    stations = datasets.demo_stations(data_dir=DEMO)
    snapped = demo_net.snap(stations, mode="ebike")
    assert (snapped.table["distance_m"] < 40).all()
    homes = stations[stations["kind"] == "driver_home"]
    snapped = demo_net.snap(homes, mode="truck")
    assert (snapped.table["distance_m"] < 40).all()


# ----------------------------------------------------------------------------- tables


def test_pois_counts_as_planted() -> None:
    pois = datasets.demo_pois(data_dir=DEMO)
    assert pois.crs.to_epsg() == 4326
    assert pois["category"].value_counts().to_dict() == POIS
    fuel = pois[pois["category"] == "fuel"]
    assert (fuel["hgv"] == "yes").sum() == 5
    parking = pois[pois["category"] == "parking"]
    assert (parking["hgv"] == "designated").sum() == 6
    by_type = pois.groupby("category")["osm_type"].agg(set).to_dict()
    assert by_type["restaurant"] == {"node"}
    assert by_type["mall"] == {"way"}
    assert by_type["residential"] == {"way"}
    assert pois.within(datasets.demo_area()).all()
    named = pois["name"].dropna()
    assert named.str.endswith("(synthetic)").all()
    depots = datasets.demo_pois(categories=["express_depot"], data_dir=DEMO)
    assert len(depots) == 16
    assert set(depots["operator"]) == {"Demo Express A", "Demo Express B", "Demo Express C"}


def test_stations() -> None:
    st = datasets.demo_stations(data_dir=DEMO)
    assert st.crs.to_epsg() == 4326
    assert st["kind"].value_counts().to_dict() == {"worker_station": 12, "driver_home": 2}
    assert (st["hours"] == "24/7").sum() == 5
    assert st["hours"].str.fullmatch(r"24/7|\d\d:\d\d-\d\d:\d\d").all()
    assert st["station_id"].is_unique
    assert st.within(datasets.demo_area()).all()
    # worker stations only in the west and centre: the east is left under-served
    x, _y = lonlat_to_xy(st["lon"].to_numpy(), st["lat"].to_numpy())
    assert (x[st["kind"] == "worker_station"] < 2600).all()


def test_truck_trips(road_graph: nx.MultiDiGraph) -> None:
    od = datasets.demo_truck_trips(data_dir=DEMO)
    assert len(od) == 20
    assert set(zip(od["origin"], od["destination"], strict=True)) == {
        (a, b) for a in "CENPW" for b in "CENPW" if a != b
    }
    assert (od["trucks_per_day"] > 0).all()
    assert 1240 <= od["trucks_per_day"].sum() <= 1680
    # every zone point is a node of the road network
    nodes = shapely.points([(d["x"], d["y"]) for _n, d in road_graph.nodes(data=True)])
    tree = shapely.STRtree(nodes)
    for lon, lat in zip(od["origin_lon"], od["origin_lat"], strict=True):
        idx = tree.nearest(shapely.Point(lon, lat))
        assert shapely.Point(lon, lat).distance(nodes[idx]) < 2e-6


# ----------------------------------------------------------------------------- traces


def test_traces_groups_area_and_times(traces: pd.DataFrame) -> None:
    assert traces.groupby("group")["driver_id"].nunique().to_dict() == AGENTS
    assert str(traces["time"].dt.tz) == "UTC"
    assert traces["time"].dt.date.astype(str).eq("2024-05-15").all()
    assert traces.within(datasets.demo_area()).all()
    assert traces.crs.to_epsg() == 4326
    ordered = traces.groupby("driver_id")["time"].apply(lambda s: s.is_monotonic_increasing)
    assert ordered.all()
    gaps = traces.groupby("driver_id")["t"].diff()
    riders = traces["group"] == "rider"
    assert gaps[riders].median() == pytest.approx(30, abs=1)
    only_riders = datasets.demo_traces(groups="rider", data_dir=DEMO)
    assert len(only_riders) == riders.sum()


def test_trace_speeds_are_plausible(traces: pd.DataFrame) -> None:
    g = traces.groupby("driver_id")
    dt = g["t"].diff()
    step = np.hypot(g["x"].diff(), g["y"].diff())
    kmh = (step / dt * 3.6)[dt <= 90]
    p95 = kmh.groupby(traces["group"]).quantile(0.95)
    assert 12 < p95["rider"] < 35
    assert 8 < p95["courier"] < 35
    assert 20 < p95["ride-hailing"] < 60
    assert 40 < p95["truck"] < 90


def test_trucks_stay_on_truck_roads(traces: pd.DataFrame) -> None:
    trucks = traces[traces["group"] == "truck"]
    # no truck enters the city lattice (x -7000..7000 m, y above -4800 m)
    inside = (trucks["x"].abs() < 6900) & (trucks["y"] > -4700)
    assert not inside.any()


def _stays(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Stay points: fixes within 60 m of an anchor for >= 3 min, no gap > 2 min."""
    out = []
    i, n = 0, len(t)
    while i < n:
        j = i + 1
        while j < n and t[j] - t[j - 1] <= 120 and np.hypot(x[j] - x[i], y[j] - y[i]) <= 60:
            j += 1
        if t[j - 1] - t[i] >= 180:
            out.append((t[i], t[j - 1], x[i:j].mean(), y[i:j].mean()))
            i = j
        else:
            i += 1
    return out


def test_planted_rider_stops_are_recoverable(traces: pd.DataFrame) -> None:
    stops = datasets.demo_stops(groups=["rider"], data_dir=DEMO)
    assert set(stops["kind"]) == {"pickup", "dropoff", "break"}
    base = traces["time"].min()
    sx, sy = lonlat_to_xy(stops["lon"].to_numpy(), stops["lat"].to_numpy())
    stops = stops.assign(
        x=sx,
        y=sy,
        s=(stops["start"] - base).dt.total_seconds(),
        e=(stops["end"] - base).dt.total_seconds(),
    )
    riders = traces[traces["group"] == "rider"]
    ok = 0
    far = 0
    n_detected = 0
    for rid, fixes in riders.groupby("driver_id"):
        found = _stays(fixes["t"].to_numpy(), fixes["x"].to_numpy(), fixes["y"].to_numpy())
        planted = stops[stops["driver_id"] == rid].sort_values("s")
        # a drop-off followed at once by a break is one stay
        merged: list[list[float]] = []
        for s, e, x, y in planted[["s", "e", "x", "y"]].itertuples(index=False):
            if (
                merged
                and s - merged[-1][1] < 1
                and np.hypot(x - merged[-1][2], y - merged[-1][3]) < 1
            ):
                merged[-1][1] = e
            else:
                merged.append([s, e, x, y])
        dur = np.array([e - s for s, e, _x, _y in merged])
        if (dur >= 240).sum() - 1 <= len(found) <= (dur >= 150).sum() + 1:
            ok += 1
        n_detected += len(found)
        px = np.array([m[2] for m in merged])
        py = np.array([m[3] for m in merged])
        for _s, _e, x, y in found:
            if np.hypot(px - x, py - y).min() > 50:
                far += 1
    assert ok >= 0.95 * AGENTS["rider"]
    assert far <= 0.02 * n_detected
    # riders wait 3-15 min at restaurants: every pickup is a stay of >= 3 min
    pickups = stops[stops["kind"] == "pickup"]
    assert (pickups["e"] - pickups["s"]).between(180, 900).all()
