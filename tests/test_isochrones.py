"""Tests of planner.isochrones: service areas with known shapes on hand-made streets."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from planner._errors import InputError, SnapError
from planner.access import access_matrix
from planner.isochrones import service_areas, service_areas_and_merged
from planner.network import TravelMode
from tests.conftest import UTM50N, X0, Y0, grid_network, metric_network, points_gdf

# 5 m/s on the street, 1 m/s off it
BIKE = TravelMode("bike", speed_kmh=18.0, access_speed_kmh=3.6)


def local(geometry):  # type: ignore[no-untyped-def]
    """A WGS84 geometry in metres offset from (X0, Y0)."""
    to_utm = Transformer.from_crs("EPSG:4326", UTM50N, always_xy=True)

    def move(xy):  # type: ignore[no-untyped-def]
        x, y = to_utm.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(x) - X0, np.asarray(y) - Y0])

    return shapely.transform(geometry, move)


def lines(*coords):  # type: ignore[no-untyped-def]
    return shapely.MultiLineString([list(c) for c in coords])


@pytest.fixture(scope="module")
def grid():  # type: ignore[no-untyped-def]
    """5 × 5 two-way streets, 100 m apart; the centre node is at (200, 200)."""
    return grid_network(5, 5, 100.0, modes=[BIKE])


def test_grid_service_area_has_the_known_shape(grid) -> None:  # type: ignore[no-untyped-def]
    station = points_gdf([(200, 200)], index=pd.Index(["s"]))
    # 30 s at 5 m/s = 150 m of street: the four arms to 150 m, and 50 m on each side of
    # the streets crossing 100 m away (the last edge is reached halfway)
    areas = service_areas(grid, station, mode="bike", cutoff_min=0.5, buffer_m=10, tolerance_m=0.5)
    expected_lines = lines(
        [(50, 200), (350, 200)],
        [(200, 50), (200, 350)],
        [(100, 150), (100, 250)],
        [(300, 150), (300, 250)],
        [(150, 100), (250, 100)],
        [(150, 300), (250, 300)],
    )
    expected = expected_lines.buffer(10)
    got = local(areas.geometry.iloc[0])
    assert areas.crs.to_epsg() == 4326
    assert shapely.is_valid(areas.geometry).all()
    # traced on a 0.5 m grid: exact along the straight sides, corners cut by < 0.5 m
    assert got.symmetric_difference(expected).area < 2e-3 * expected.area
    assert got.hausdorff_distance(expected) < 0.5
    assert got.area == pytest.approx(expected.area, rel=2e-3)
    assert areas["area_km2"].iloc[0] == pytest.approx(expected.area / 1e6, rel=2e-3)
    # reached street length, each direction counted: the 4 edges into the centre whole;
    # the 4 out of it only their last 50 m (a rider there must ride on and turn back);
    # 50 m of the 4 edges into the arms' ends and of the 8 crossing ones: 400 + 16 × 50 m
    assert areas["street_km"].iloc[0] == pytest.approx(1.2, rel=1e-9)
    # a cutoff of 1 min covers 300 m: nodes two streets away are inside, three are not
    bigger = local(service_areas(grid, station, mode="bike", cutoff_min=1).geometry.iloc[0])
    assert bigger.contains(shapely.Point(0, 100))  # 300 m away over the grid
    assert not bigger.buffer(-1).contains(shapely.Point(0, 0))  # 400 m away


def test_snap_leg_is_taken_from_the_budget(grid) -> None:  # type: ignore[no-untyped-def]
    # 20 m off the centre node: 20 s walked, 10 s (50 m) of street left
    station = points_gdf([(220, 200)], index=pd.Index(["s"]))
    area = service_areas(grid, station, mode="bike", cutoff_min=0.5, buffer_m=5, tolerance_m=0.25)
    assert area["street_km"].iloc[0] == pytest.approx(0.2, rel=1e-9)
    got = local(area.geometry.iloc[0])
    assert got.contains(shapely.Point(220, 200))
    expected = lines([(150, 200), (250, 200)], [(200, 150), (200, 250)], [(220, 200), (200, 200)])
    expected = expected.buffer(5)
    assert got.symmetric_difference(expected).area < 2e-3 * expected.area
    # a station 40 s off the network cannot reach anything within 30 s
    remote = points_gdf([(200, 240)], index=pd.Index(["r"]))
    empty = service_areas(grid, remote, mode="bike", cutoff_min=0.5)
    assert empty.geometry.iloc[0].is_empty


def test_one_way_street_direction() -> None:
    # a one-way block 0 -> 1 -> 2 -> 3 -> 0 and a two-way street 1 - 4; station on node 1
    net = metric_network(
        {0: (0, 0), 1: (100, 0), 2: (100, 100), 3: (0, 100), 4: (200, 0)},
        [(1, 4)],
        modes=[BIKE],
        oneway=[(0, 1), (1, 2), (2, 3), (3, 0)],
    )
    station = points_gdf([(100, 0)], index=pd.Index(["s"]))
    to = local(service_areas(net, station, mode="bike", cutoff_min=0.5).geometry.iloc[0])
    away = local(
        service_areas(net, station, mode="bike", cutoff_min=0.5, direction="from").geometry.iloc[0]
    )
    # riders on 0 -> 1 reach the station; from it, 0 -> 1 is 300 m round the block
    assert to.contains(shapely.Point(30, 0))
    assert not away.contains(shapely.Point(30, 0))
    assert to.contains(shapely.Point(0, 30))  # 130 m: down 3 -> 0, then 0 -> 1
    # riders on 1 -> 2 ride 300 m round the block to reach it; from it, 60 m
    assert away.contains(shapely.Point(100, 60))
    assert not to.contains(shapely.Point(100, 60))
    assert to.contains(shapely.Point(180, 0))
    assert away.contains(shapely.Point(180, 0))


def test_dissolve_and_bad_input(grid) -> None:  # type: ignore[no-untyped-def]
    stations = points_gdf([(0, 0), (400, 400)], index=pd.Index(["a", "b"]))
    each = service_areas(grid, stations, mode="bike", cutoff_min=0.7)
    union = service_areas(grid, stations, mode="bike", cutoff_min=0.7, dissolve=True)
    assert list(each.index) == ["a", "b"]
    assert list(union.index) == ["all"]
    assert union.is_valid.all()
    assert union["area_km2"].iloc[0] == pytest.approx(each["area_km2"].sum(), rel=1e-6)  # apart
    with pytest.raises(InputError, match="positive, finite"):
        service_areas(grid, stations, mode="bike", cutoff_min=0)
    with pytest.raises(InputError, match="direction"):
        service_areas(grid, stations, mode="bike", direction="both")  # type: ignore[arg-type]
    far = pd.concat([stations, points_gdf([(0, 5000)], index=pd.Index(["x"]))])
    with pytest.raises(SnapError, match="x"):
        service_areas(grid, far, mode="bike")
    kept = service_areas(grid, far, mode="bike", cutoff_min=0.7, on_far="exclude")
    assert list(kept.index) == ["a", "b"]


@pytest.mark.realdata
def test_shenzhen_service_areas_hold_the_reached_nodes(shenzhen_network) -> None:  # type: ignore[no-untyped-def]
    net = shenzhen_network
    nodes = net.nodes_gdf().iloc[net.usable_nodes("ebike")]
    stations = nodes.iloc[np.random.default_rng(5).choice(len(nodes), 5, replace=False)]
    areas = service_areas(net, stations, mode="ebike", cutoff_min=10, buffer_m=30)
    assert shapely.is_valid(areas.geometry).all()
    # within 10 min at 15 km/h nothing lies farther than 2.5 km from the station
    assert (areas["area_km2"] < np.pi * 2.5**2).all()
    assert (areas["area_km2"] > 0.2).all()
    am = access_matrix(net, nodes, stations, mode="ebike", cutoff_min=10)
    metric_areas = areas.to_crs(net.crs)
    metric_nodes = nodes.to_crs(net.crs)
    coo = am.matrix.tocoo()
    for j, label in enumerate(am.site_index):
        reached = am.demand_index[coo.row[coo.col == j]]
        polygon = metric_areas.geometry.loc[label].buffer(1e-3)
        assert shapely.contains(polygon, metric_nodes.geometry.loc[reached].to_numpy()).all()


def reference_areas(net, stations, *, mode, cutoff_min, buffer_m, direction="to"):  # type: ignore[no-untyped-def]
    """The exact band, built as the first implementation did, one station at a time.

    scipy's Dijkstra from each station, every reached piece of street cut with
    shapely's ``substring``, buffered with near-round caps (64 segments a quarter, so
    the reference is within 0.01% of the true area) and merged by GEOS. Returns the
    metric polygons, the street km and the reached node positions per station.
    """
    import shapely.ops
    from scipy.sparse import csgraph

    from planner.isochrones import _edge_lines

    edges = _edge_lines(net, mode)
    graph = net.csr(mode)
    search = (graph.reverse() if direction == "to" else graph).to_scipy()
    snap = net.snap(stations, mode=mode, max_distance_m=500.0).table
    here = stations.geometry.to_crs(net.crs)
    out, km, nodes = [], [], []
    for k, (node, access) in enumerate(zip(snap["node_index"], snap["access_s"], strict=True)):
        budget = cutoff_min * 60.0 - access
        dist = csgraph.dijkstra(search, indices=int(node), limit=max(budget, 0.0))
        nodes.append(set(np.flatnonzero(dist <= budget).tolist()))
        anchor = dist[edges.v] if direction == "to" else dist[edges.u]
        reached = np.flatnonzero(anchor <= budget)
        parts = [shapely.LineString([(here.x.iloc[k], here.y.iloc[k]), net.xy[node]])]
        length = 0.0
        for e in reached:
            t = edges.times[e]
            frac = min((budget - anchor[e]) / t, 1.0) if t > 0 else 1.0
            if frac <= 0:
                continue
            a, b = (1.0 - frac, 1.0) if direction == "to" else (0.0, frac)
            part = shapely.ops.substring(edges.lines[e], a, b, normalized=True)
            parts.append(part)
            length += part.length
        km.append(length / 1000)
        bands = shapely.buffer(np.asarray(parts, dtype=object), buffer_m, quad_segs=64)
        out.append(shapely.union_all(bands))
    return np.asarray(out, dtype=object), np.asarray(km), nodes


def test_bands_match_the_exact_union_of_every_reached_piece(grid) -> None:  # type: ignore[no-untyped-def]
    stations = points_gdf([(0, 0), (210, 190), (400, 330)], index=pd.Index(["a", "b", "c"]))
    for direction in ("to", "from"):
        exact, km, _ = reference_areas(
            grid, stations, mode="bike", cutoff_min=0.7, buffer_m=25, direction=direction
        )
        assert km == pytest.approx([0.9, 1.028629150064633, 0.18])  # the first implementation's
        for tolerance, within in ((5.0, 5e-3), (1.0, 1e-3)):
            one = service_areas(
                grid,
                stations,
                mode="bike",
                cutoff_min=0.7,
                buffer_m=25,
                direction=direction,
                tolerance_m=tolerance,
            )
            got = one.to_crs(grid.crs).geometry.to_numpy()
            rel = shapely.area(shapely.symmetric_difference(got, exact)) / shapely.area(exact)
            assert rel.max() < within, (direction, tolerance, rel)
            assert (shapely.hausdorff_distance(got, exact) < tolerance).all()
            assert one["street_km"].to_numpy() == pytest.approx(km, rel=1e-12)
        two = service_areas(
            grid,
            stations,
            mode="bike",
            cutoff_min=0.7,
            buffer_m=25,
            direction=direction,
            tolerance_m=1.0,
            n_jobs=2,
        )
        assert shapely.equals_exact(one.geometry.values, two.geometry.values, 0).all()
        assert one["street_km"].equals(two["street_km"])
        assert shapely.is_valid(two.geometry.values).all()
    with pytest.raises(InputError, match="n_jobs"):
        service_areas(grid, stations, mode="bike", n_jobs=0)
    with pytest.raises(InputError, match="tolerance_m"):
        service_areas(grid, stations, mode="bike", tolerance_m=30)


@pytest.mark.slow
def test_demo_areas_match_the_exact_bands_and_reach_the_same_nodes() -> None:
    """On the embedded demo region: the same streets as the exact per-station bands, and
    polygons within 1% of their area."""
    from planner import datasets
    from planner.access import node_access_matrix

    net = datasets.demo_network()
    stations = datasets.demo_stations().iloc[::2]  # 7 of the 14: the reference is slow
    exact, km, nodes = reference_areas(net, stations, mode="ebike", cutoff_min=10, buffer_m=25)
    areas = service_areas(net, stations, mode="ebike", cutoff_min=10, n_jobs=2)
    assert list(areas.index) == list(stations.index)
    got = areas.to_crs(net.crs).geometry.to_numpy()
    assert shapely.is_valid(got).all()
    rel = shapely.area(shapely.symmetric_difference(got, exact)) / shapely.area(exact)
    assert rel.max() < 0.01, rel
    assert areas["street_km"].to_numpy() == pytest.approx(km, rel=1e-9)
    # the nodes the areas are built from: those of the access engine, which service_areas
    # runs; identical to scipy's per-station search
    snap = net.snap(stations, mode="ebike", max_distance_m=500.0).table
    reach = node_access_matrix(
        net.csr("ebike"),
        np.arange(net.csr("ebike").n),
        snap["node_index"].to_numpy(),
        cutoff_s=600.0,
        site_access_s=snap["access_s"].to_numpy(),
    ).tocsc()
    for k, expected in enumerate(nodes):
        assert set(reach.indices[reach.indptr[k] : reach.indptr[k + 1]].tolist()) == expected
    # the merged area is the union of the stations' areas
    union = service_areas(net, stations, mode="ebike", cutoff_min=10, dissolve=True)
    merged = union.to_crs(net.crs).geometry.iloc[0]
    each = shapely.union_all(got)
    assert merged.symmetric_difference(each).area < 1e-3 * each.area


def test_tracing_kernel_on_hand_made_fields() -> None:
    """Marching squares: rings with the inside on the left, saddles by the cell's centre."""
    from planner._isoband import rings_to_geometry, trace_rings

    # one inside node in the middle of a 3 x 3 grid of spacing 2: a diamond of half-width
    # 1 (crossings halfway on each of its four grid edges), counter-clockwise
    field = np.full((3, 3), 2.0)
    field[1, 1] = 0.0
    coords, starts, area = trace_rings(field, 1.0, 10.0, 20.0, 2.0)
    assert starts.tolist() == [0, 4]
    assert area.tolist() == pytest.approx([2.0])
    assert sorted(map(tuple, coords.round(9).tolist())) == [
        (11.0, 22.0),
        (12.0, 21.0),
        (12.0, 23.0),
        (13.0, 22.0),
    ]
    # a saddle: two inside nodes on a diagonal. Centre inside (mean 0.9 <= 1): one shell
    # joining them; centre outside (mean 1.1): two shells
    joined = np.full((4, 4), 3.0)
    joined[1, 1] = joined[2, 2] = 0.0
    joined[1, 2] = joined[2, 1] = 1.8
    geometry = rings_to_geometry(*trace_rings(joined, 1.0, 0.0, 0.0, 1.0))
    assert geometry.geom_type == "Polygon"
    assert geometry.is_valid
    apart = joined.copy()
    apart[1, 2] = apart[2, 1] = 2.2
    geometry = rings_to_geometry(*trace_rings(apart, 1.0, 0.0, 0.0, 1.0))
    assert geometry.geom_type == "MultiPolygon"
    assert len(geometry.geoms) == 2
    assert geometry.is_valid
    # a ring of inside nodes around an outside one: a shell with a hole
    ring = np.full((5, 5), 3.0)
    ring[1:4, 1:4] = 0.0
    ring[2, 2] = 3.0
    geometry = rings_to_geometry(*trace_rings(ring, 1.0, 0.0, 0.0, 1.0))
    assert geometry.geom_type == "Polygon"
    assert len(geometry.interiors) == 1
    assert geometry.is_valid
    assert geometry.area == pytest.approx(
        shapely.Polygon(geometry.exterior).area - shapely.Polygon(geometry.interiors[0]).area
    )


def test_stations_at_one_place_share_their_trace(grid) -> None:  # type: ignore[no-untyped-def]
    # "a" and "c" stand at one point: one trace, the same row; "b" and "d" elsewhere (in
    # an order other than that of their nodes)
    stations = points_gdf(
        [(400, 330), (210, 190), (400, 330), (0, 10)], index=pd.Index(["a", "b", "c", "d"])
    )
    areas = service_areas(grid, stations, mode="bike", cutoff_min=0.7, buffer_m=25)
    assert list(areas.index) == ["a", "b", "c", "d"]
    assert shapely.equals_exact(areas.geometry["a"], areas.geometry["c"], 0)
    assert areas.loc["a", ["street_km", "area_km2"]].equals(
        areas.loc["c", ["street_km", "area_km2"]]
    )
    # each the same as when traced alone
    for label in ("a", "b", "d"):
        alone = service_areas(grid, stations.loc[[label]], mode="bike", cutoff_min=0.7, buffer_m=25)
        assert shapely.equals_exact(alone.geometry.iloc[0], areas.geometry[label], 0)
        assert alone["street_km"].iloc[0] == areas.loc[label, "street_km"]
        assert alone["area_km2"].iloc[0] == areas.loc[label, "area_km2"]
    assert not shapely.equals(areas.geometry["a"], areas.geometry["b"])


def test_areas_and_merged_equal_separate_calls(grid) -> None:  # type: ignore[no-untyped-def]
    # two groups; "a" and "c" at one place but in different groups (traced once, merged
    # into both); a group far from the grid has no row
    stations = points_gdf(
        [(400, 330), (210, 190), (400, 330), (0, 10), (9000, 9000)],
        index=pd.Index(["a", "b", "c", "d", "far"]),
    )
    groups = ["old", "old", "new", "new", "gone"]
    kw = {"mode": "bike", "cutoff_min": 0.7, "buffer_m": 25, "on_far": "exclude"}
    areas, merged = service_areas_and_merged(grid, stations, groups, **kw)
    alone = service_areas(grid, stations, **kw)
    assert list(areas.index) == list(alone.index) == ["a", "b", "c", "d"]
    assert all(
        shapely.equals_exact(x, y, 0) for x, y in zip(areas.geometry, alone.geometry, strict=True)
    )
    assert areas.drop(columns="geometry").equals(alone.drop(columns="geometry"))
    assert list(merged.index) == ["old", "new"]
    for name, rows in (("old", ["a", "b"]), ("new", ["c", "d"])):
        one = service_areas(grid, stations.loc[rows], dissolve=True, **kw)
        assert shapely.equals_exact(merged.geometry[name], one.geometry["all"], 0)
        assert merged.loc[name, "area_km2"] == one.loc["all", "area_km2"]
    with pytest.raises(InputError, match="groups has 2 labels for 5 stations"):
        service_areas_and_merged(grid, stations, ["x", "y"], **kw)


def test_simplified_rings_stay_within_simplify_m_and_keep_the_traced_area(grid) -> None:  # type: ignore[no-untyped-def]
    stations = points_gdf([(0, 0), (210, 190), (400, 330)], index=pd.Index(["a", "b", "c"]))
    kw = {"mode": "bike", "cutoff_min": 0.7, "buffer_m": 25, "tolerance_m": 5.0}
    exact, _, _ = reference_areas(grid, stations, mode="bike", cutoff_min=0.7, buffer_m=25)
    traced = service_areas(grid, stations, simplify_m=0.0, **kw)
    base = traced.to_crs(grid.crs).geometry.to_numpy()
    previous = None
    for simplify in (0.1, 1.0, 4.0):
        got = service_areas(grid, stations, simplify_m=simplify, **kw)
        geoms = got.to_crs(grid.crs).geometry.to_numpy()
        assert shapely.is_valid(geoms).all()
        # Douglas-Peucker: within simplify_m of the traced rings (to the projection's
        # round trip), with fewer vertices as simplify_m grows
        assert (shapely.hausdorff_distance(geoms, base) < simplify + 1e-6).all(), simplify
        count = shapely.get_num_coordinates(geoms)
        assert (count < shapely.get_num_coordinates(base)).all()
        if previous is not None:
            assert (count <= previous).all()
        previous = count
        # area_km2 is the traced band's, before vertices are dropped
        assert got["area_km2"].to_numpy() == pytest.approx(traced["area_km2"].to_numpy(), rel=1e-9)
    # the default (a fiftieth of tolerance_m) stays within 0.1% of the exact union
    default = service_areas(grid, stations, **kw).to_crs(grid.crs).geometry.to_numpy()
    rel = shapely.area(shapely.symmetric_difference(default, exact)) / shapely.area(exact)
    assert rel.max() < 5e-3
    assert (shapely.hausdorff_distance(default, base) <= 0.1 + 1e-6).all()
    with pytest.raises(InputError, match="simplify_m"):
        service_areas(grid, stations, simplify_m=-1.0, **kw)
    with pytest.raises(InputError, match="fill_holes_km2"):
        service_areas(grid, stations, fill_holes_km2=float("nan"), **kw)


def test_small_holes_are_filled_with_what_lies_in_them() -> None:
    from planner._isoband import rings_to_geometry, trace_rings

    # a 13 x 13 square shell (inside: field 0) with three holes (outside: 1), traced at level
    # 0.5 on a unit grid: 5 x 5 outside nodes (24.5 m2: 5 x 5 less four 0.125 corners)
    # holding an island (one inside node: a diamond of 0.5 m2), 5 x 5 empty, 5 x 11
    field = np.full((15, 15), 1.0)
    field[1:14, 1:14] = 0.0
    field[2:7, 2:7] = 1.0
    field[4, 4] = 0.0
    field[2:7, 8:13] = 1.0
    field[8:13, 2:13] = 1.0
    coords, starts, area = trace_rings(field, 0.5, 0.0, 0.0, 1.0)
    assert sorted(area.tolist()) == pytest.approx([-54.5, -24.5, -24.5, 0.5, 13**2 - 0.5])
    everything = rings_to_geometry(coords, starts, area)
    assert everything.geom_type == "MultiPolygon"
    assert sum(len(p.interiors) for p in everything.geoms) == 3
    filled = rings_to_geometry(coords, starts, area, min_hole=25.0)
    assert filled.geom_type == "Polygon"  # the island went with its hole
    assert len(filled.interiors) == 1
    assert filled.area == pytest.approx(13**2 - 0.5 - 54.5)
    assert filled.is_valid
    same = rings_to_geometry(coords, starts, area, min_hole=24.0)  # none that small
    assert same.equals(everything)


def test_study_areas_at_map_scale_keep_street_km_and_area_within_one_percent(grid) -> None:  # type: ignore[no-untyped-def]
    """The study's settings: 10 m grid, 10 m simplification, holes below 1 km2 filled."""
    stations = points_gdf([(0, 0), (210, 190), (400, 330)], index=pd.Index(["a", "b", "c"]))
    exact, km, _ = reference_areas(grid, stations, mode="bike", cutoff_min=1.0, buffer_m=25)
    study = service_areas(
        grid,
        stations,
        mode="bike",
        cutoff_min=1.0,
        buffer_m=25,
        tolerance_m=10.0,
        simplify_m=10.0,
        fill_holes_km2=1.0,
    )
    assert study["street_km"].to_numpy() == pytest.approx(km, rel=1e-12)
    assert study["area_km2"].to_numpy() == pytest.approx(shapely.area(exact) / 1e6, rel=1e-2)
    got = study.to_crs(grid.crs).geometry.to_numpy()
    assert shapely.is_valid(got).all()
    # the blocks between reached streets (50 x 50 m holes) are filled
    assert (shapely.get_num_interior_rings(got) == 0).all()
    assert shapely.get_num_interior_rings(exact).sum() > 0
    filled = shapely.polygons(shapely.get_exterior_ring(exact))
    assert (shapely.hausdorff_distance(got, filled) < 10.0 + 10.0).all()


def test_marching_squares_link_every_crossing_across_words() -> None:
    """Segments are linked as they are emitted, across the 64-node words of the mask."""
    from planner._isoband import distance_field, trace_rings
    from planner._isorings import _segments

    # bands of half-width 6 around lines crossing several words of 64 nodes (step 1),
    # and a blob whose inside nodes start at the first row and column of a 64 x 64
    # block, the nodes below and to the left outside
    xy = np.array([[10.0, 10.0], [250.0, 40.0], [150.0, 70.0], [200.0, 190.0]])
    xy = np.vstack([xy, [[69.5, 133.5], [70.5, 133.5]]])
    start = np.array([0, 2, 4, 6])
    cum = np.concatenate(
        [
            np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy[a:b], axis=0).T))])
            for a, b in itertools.pairwise(start)
        ]
    )
    field = np.full((240, 280), 50.0)
    distance_field(
        field, 0.0, 0.0, 1.0, 10.0, xy, start, cum, np.arange(3), np.zeros(3), cum[start[1:] - 1]
    )
    assert field[128, 70] <= 6.0  # (row, column)
    assert field[133, 64] <= 6.0
    assert (field[127, :128] > 6.0).all()
    assert (field[64:192, 63] > 6.0).all()
    seg_from, seg_to, _, following = _segments(field, 6.0, 0.0, 0.0, 1.0)
    # every segment is followed by the one starting on the grid edge where it ends
    assert sorted(following.tolist()) == list(range(len(following)))
    assert np.array_equal(seg_from[following], seg_to)
    sparse = trace_rings(field, 6.0, 0.0, 0.0, 1.0, simplify=0.02)
    # the traced band is the union of the lines' buffers, cut at corners by under a cell
    from planner._isoband import rings_to_geometry

    band = rings_to_geometry(*sparse)
    exact = shapely.union_all(
        [shapely.LineString(xy[a:b]).buffer(6.0) for a, b in itertools.pairwise(start)]
    )
    assert band.is_valid
    assert abs(band.area / exact.area - 1) < 5e-3
    assert shapely.hausdorff_distance(band, exact) < 1.0


def test_tracer_equals_the_field_drawn_over_the_whole_box(grid) -> None:  # type: ignore[no-untyped-def]
    """Precomputed street runs, scattered in grid order, in one kernel: the same rings."""
    from planner._isoband import distance_field, rings_to_geometry, trace_rings
    from planner.isochrones import _edge_lines, _layer, _Tracer

    edges = _edge_lines(grid, "bike")
    layer = _layer(edges.lines)
    tracer = _Tracer(layer, edges.key, 25.0, 1.0, 0.02)
    whole = np.flatnonzero(edges.u < 12)  # streets from the lower rows of nodes
    part = np.flatnonzero((edges.u >= 12) & (edges.u < 17))
    lo = np.zeros(len(part))
    hi = 0.4 * edges.lengths[part]
    got, m2 = tracer.trace(whole, part, lo, hi)
    # the same band drawn directly, every piece measured on a field over the whole box
    lines = np.concatenate([whole, part])
    field = np.full((tracer.nrows, tracer.ncols), 2 * tracer.reach, dtype=np.float32)
    distance_field(
        field,
        tracer.gx,
        tracer.gy,
        1.0,
        tracer.reach,
        layer.xy,
        layer.start,
        layer.cum,
        lines,
        np.concatenate([np.zeros(len(whole)), lo]),
        np.concatenate([edges.lengths[whole], hi]),
    )
    want = trace_rings(field, 25.0, tracer.gx, tracer.gy, 1.0, simplify=0.02)
    assert m2 == pytest.approx(want[2].sum(), rel=1e-9)
    expected = rings_to_geometry(*want)
    assert got.is_valid
    assert shapely.get_num_coordinates(got) == shapely.get_num_coordinates(expected)
    assert shapely.equals_exact(got, expected, tolerance=1e-6)
