"""Routes: OD routing, flows and passing volumes, map matching, driver-home candidates."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from planner._errors import InputError
from planner.locate.flows import FlowCapture, RestIntervalCoverage
from planner.routes import (
    MapMatcher,
    driver_home_candidates,
    flows_from_paths,
    match_traces,
    route_od,
    with_passing_volume,
)


@pytest.fixture(scope="module")
def demo_net() -> Any:
    from planner import datasets

    return datasets.demo_network(modes=["truck"])


@pytest.fixture(scope="module")
def demo_flows(demo_net: Any) -> Any:
    from planner import datasets

    return route_od(datasets.demo_truck_trips(), demo_net)


def fastest_digraph(net: Any, mode: str = "truck") -> nx.DiGraph:
    """The mode's network with the fastest of parallel edges, built independently."""
    g = nx.DiGraph()
    for u, v, d in net.graph.edges(data=True):
        t = d[f"time_{mode}"]
        if np.isfinite(t) and (not g.has_edge(u, v) or g[u][v]["w"] > t):
            g.add_edge(u, v, w=t, length=d["length"])
    return g


def path_edges(path: list[int]) -> set[tuple[int, int]]:
    return set(itertools.pairwise(path))


# ------------------------------------------------------------------ OD routing


def test_route_od_matches_networkx_on_demo(demo_net: Any, demo_flows: Any) -> None:
    g = fastest_digraph(demo_net)
    assert len(demo_flows) == 20
    assert demo_flows.excluded.empty
    for label, row in demo_flows.routes.iterrows():
        path = demo_flows.path(label)
        expect = nx.shortest_path_length(g, row["origin_node"], row["destination_node"], weight="w")
        assert row["time_s"] == pytest.approx(expect, rel=1e-9)
        assert sum(g[a][b]["w"] for a, b in itertools.pairwise(path)) == pytest.approx(expect)
        assert row["length_m"] == pytest.approx(
            sum(g[a][b]["length"] for a, b in itertools.pairwise(path))
        )


@pytest.mark.realdata
def test_route_od_shenzhen_against_networkx(shenzhen_network: Any) -> None:
    net = shenzhen_network
    rng = np.random.default_rng(11)
    usable = net.usable_nodes("truck")
    o, d = rng.choice(usable, 60), rng.choice(usable, 60)
    od = pd.DataFrame(
        {
            "origin_lon": net.lon[o],
            "origin_lat": net.lat[o],
            "destination_lon": net.lon[d],
            "destination_lat": net.lat[d],
            "trucks_per_day": rng.integers(1, 60, 60),
        }
    )
    flows = route_od(od, net)
    g = fastest_digraph(net)
    same = o == d
    assert len(flows) == int((~same).sum())
    assert set(flows.excluded.index) == set(np.flatnonzero(same))
    for label, row in flows.routes.iterrows():
        expect = nx.shortest_path_length(g, row["origin_node"], row["destination_node"], weight="w")
        assert row["time_s"] == pytest.approx(expect, rel=1e-9)
        assert row["volume"] == od.loc[label, "trucks_per_day"]


def test_edge_volumes_sum_route_volumes(demo_flows: Any) -> None:
    expect: dict[tuple[int, int], float] = {}
    for label, row in demo_flows.routes.iterrows():
        for e in itertools.pairwise(demo_flows.path(label)):
            expect[e] = expect.get(e, 0.0) + row["volume"]
    got = demo_flows.edge_volumes()
    assert len(got) == len(expect)
    for (u, v), vol in expect.items():
        assert got.loc[(u, v), "volume"] == pytest.approx(vol)
    nodes = demo_flows.node_volumes()
    first = demo_flows.routes.iloc[0]
    assert nodes[first["origin_node"]] >= first["volume"]


def test_zones_alternatives_and_exclusions(demo_net: Any) -> None:
    from planner import datasets

    trips = datasets.demo_truck_trips()
    zone_xy = pd.concat(
        [
            trips[["origin", "origin_lon", "origin_lat"]].set_axis(["z", "lon", "lat"], axis=1),
            trips[["destination", "destination_lon", "destination_lat"]].set_axis(
                ["z", "lon", "lat"], axis=1
            ),
        ]
    ).drop_duplicates("z")
    zones = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(zone_xy["lon"], zone_xy["lat"]),
        index=zone_xy["z"].to_numpy(),
        crs="EPSG:4326",
    ).to_crs(32649)
    # polygons around the points: representative points stay inside, routes unchanged
    zones_poly = zones.copy()
    zones_poly["geometry"] = zones.buffer(30)
    od = trips[["origin", "destination", "trucks_per_day"]].copy()
    a = route_od(od, demo_net, zones=zones)
    b = route_od(trips, demo_net)
    c = route_od(od, demo_net, zones=zones_poly)
    assert np.allclose(a.routes["time_s"], b.routes["time_s"])
    assert np.allclose(c.routes["time_s"], b.routes["time_s"], rtol=0.05)
    # a zone far off the network is excluded and reported
    far = zones.copy()
    far.loc[far.index[0], "geometry"] = shapely.Point(
        far.geometry.iloc[0].x + 50_000, far.geometry.iloc[0].y
    )
    flows = route_od(od, demo_net, zones=far)
    off = od.index[(od["origin"] == far.index[0]) | (od["destination"] == far.index[0])]
    assert set(flows.excluded.index) == set(off)
    assert flows.excluded["reason"].str.contains("off the truck network").all()
    with pytest.raises(InputError, match="not in the zone table"):
        route_od(od.assign(origin="nowhere"), demo_net, zones=zones)
    with pytest.raises(InputError, match="negative"):
        route_od(trips.assign(trucks_per_day=-1), demo_net)
    with pytest.raises(InputError, match="none of the"):
        route_od(od, demo_net, zones=zones.translate(80_000, 0))
    # k alternatives: distinct loopless paths, not faster than the first, volume split
    k2 = route_od(trips.head(3), demo_net, k=2)
    assert k2.routes.index.nlevels == 2
    for od_label in trips.head(3).index:
        rows = k2.routes.xs(od_label, level=0)
        assert rows["volume"].sum() == pytest.approx(trips.loc[od_label, "trucks_per_day"])
        if len(rows) == 2:
            p0, p1 = (k2.path((od_label, alt)) for alt in rows.index)
            assert p0 != p1
            assert len(set(p1)) == len(p1)
            assert rows["time_s"].iloc[1] >= rows["time_s"].iloc[0] - 1e-9


def test_flows_from_paths_rejects_non_edges(demo_net: Any, demo_flows: Any) -> None:
    path = demo_flows.path(demo_flows.routes.index[0])
    f = flows_from_paths(demo_net, [path], volumes=[3.0])
    assert f.routes["time_s"].iloc[0] == pytest.approx(demo_flows.routes["time_s"].iloc[0])
    with pytest.raises(InputError, match="not an edge"):
        flows_from_paths(demo_net, [[path[0], path[-1]]])
    with pytest.raises(InputError, match="not in the network"):
        flows_from_paths(demo_net, [[1, 2, 3]])


# ------------------------------------------------------------------ sites on routes


def test_site_incidence_on_path_and_detour(demo_net: Any, demo_flows: Any) -> None:
    # sites: the midpoint of a heavily used edge, and one node's position off all paths
    ev = demo_flows.edge_volumes()
    (u, v), top = ev.index[0], ev.iloc[0]
    edge = min(demo_net.graph[u][v].values(), key=lambda e: e["time_truck"])
    geom = edge.get("geometry") or shapely.LineString(
        [(demo_net.graph.nodes[n]["x"], demo_net.graph.nodes[n]["y"]) for n in (u, v)]
    )
    mid = geom.interpolate(0.5, normalized=True)
    # a site beside a two-way road is passed in both directions
    both = top["volume"] + (ev.loc[(v, u), "volume"] if (v, u) in ev.index else 0.0)
    on_path = {x for r in demo_flows.routes.index for x in demo_flows.path(r)}
    g = fastest_digraph(demo_net)
    # an off-path node two hops from a path node
    off = next(
        n for n in g.nodes if n not in on_path and any(m in on_path for m in g.predecessors(n))
    )
    sites = gpd.GeoDataFrame(
        geometry=[
            mid,
            shapely.Point(demo_net.graph.nodes[off]["x"], demo_net.graph.nodes[off]["y"]),
        ],
        index=["mid", "off"],
        crs="EPSG:4326",
    )
    inc = demo_flows.site_incidence(sites, detour_min=10)
    assert inc.sites.loc["mid", "passing_volume"] == pytest.approx(both)
    rows = inc.table[(inc.table["site"] == "mid") & (inc.table["detour_s"] == 0)]
    for _, row in rows.iterrows():
        path = demo_flows.path(row["route"])
        i = path.index(u) if (u, v) in path_edges(path) else path.index(v)
        assert {(u, v), (v, u)} & path_edges(path)
        before = sum(g[a][b]["w"] for a, b in itertools.pairwise(path[: i + 1]))
        assert before <= row["position_s"] <= before + g[path[i]][path[i + 1]]["w"] + 1e-6
    # detours checked by brute force with networkx: min over a <= b on the path
    to_site = nx.single_source_dijkstra_path_length(g.reverse(), off, weight="w")
    from_site = nx.single_source_dijkstra_path_length(g, off, weight="w")
    got = inc.table[inc.table["site"] == "off"].set_index("route")["detour_s"]
    for label in demo_flows.routes.index:
        path = demo_flows.path(label)
        cum = np.r_[0.0, np.cumsum([g[a][b]["w"] for a, b in itertools.pairwise(path)])]
        best = np.inf
        for i, a in enumerate(path):
            if to_site.get(a, np.inf) > 600:
                continue
            for j in range(i, len(path)):
                if from_site.get(path[j], np.inf) <= 600:
                    best = min(best, to_site[a] + from_site[path[j]] - (cum[j] - cum[i]))
        if best <= 600:
            assert got[label] == pytest.approx(best, abs=1e-3)
        else:
            assert label not in got.index
    assert inc.sites.loc["off", "passing_volume"] == 0
    assert inc.sites.loc["off", "reachable_volume"] > 0
    detour = inc.matrix("detour_min")
    assert detour.shape == (20, 2)


# ------------------------------------------------------------------ map matching


def synthetic_traces(
    net: Any,
    flows: Any,
    routes: list[Any],
    *,
    noise_m: float,
    every_s: float,
    seed: int,
    ends: bool = True,
) -> tuple[pd.DataFrame, dict[str, set[tuple[int, int]]]]:
    """GPS fixes every ``every_s`` at the edges' speeds along known paths, with noise.

    With ``ends`` a fix falls on each trip end; without, the first fix comes a
    random part of ``every_s`` after the start and none at the end (as in real
    traces, where the device does not fix at the moment the truck starts or stops).
    """
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    back = Transformer.from_crs(net.crs, 4326, always_xy=True)
    rows, truth = [], {}
    for k, label in enumerate(routes):
        path = flows.path(label)
        xs, ys, ts = [], [], []
        t0 = 0.0
        phase = 0.0 if ends else float(rng.uniform(0, every_s))
        for a, b in itertools.pairwise(path):
            edge = min(net.graph[a][b].values(), key=lambda e: e["time_truck"])
            geom = edge.get("geometry") or shapely.LineString(
                [(net.graph.nodes[n]["x"], net.graph.nodes[n]["y"]) for n in (a, b)]
            )
            x, y = to_m.transform(*np.asarray(geom.coords).T)
            line = shapely.LineString(np.column_stack([x, y]))
            dur = edge["time_truck"]
            first = np.ceil((t0 - phase) / every_s) * every_s + phase
            for t in np.arange(first, t0 + dur, every_s):
                pt = line.interpolate((t - t0) / dur * line.length)
                xs.append(pt.x)
                ys.append(pt.y)
                ts.append(t)
            t0 += dur
        if ends:
            xs.append(float(x[-1]))
            ys.append(float(y[-1]))
            ts.append(t0)
        px = np.asarray(xs) + rng.normal(0, noise_m, len(xs))
        py = np.asarray(ys) + rng.normal(0, noise_m, len(xs))
        lon, lat = back.transform(px, py)
        driver = f"T{k:03d}"
        truth[driver] = path_edges(path)
        rows += [
            (driver, pd.Timestamp("2024-05-15 08:00", tz="UTC") + pd.Timedelta(seconds=t), a, b)
            for t, a, b in zip(ts, lon, lat, strict=True)
        ]
    return pd.DataFrame(rows, columns=["driver_id", "time", "lon", "lat"]), truth


def edge_recall(res: Any, truth: dict[str, set[tuple[int, int]]]) -> tuple[float, float]:
    hit = total = got_n = 0
    for label, row in res.flows.routes.iterrows():
        got = path_edges(res.flows.path(label))
        hit += len(got & truth[row["driver"]])
        total += len(truth[row["driver"]])
        got_n += len(got)
    return hit / total, hit / got_n


def test_match_synthetic_traces_recovers_edges(demo_net: Any, demo_flows: Any) -> None:
    traces, truth = synthetic_traces(
        demo_net, demo_flows, list(demo_flows.routes.index), noise_m=10, every_s=30, seed=5
    )
    res = match_traces(traces, demo_net)
    assert (res.points["status"] == "matched").all()
    assert len(res.flows) == len(truth)
    recall, precision = edge_recall(res, truth)
    assert recall >= 0.95
    assert precision >= 0.9
    # two worker threads, and a matcher prepared once, give the same matches
    matcher = MapMatcher(demo_net)
    par = match_traces(traces, matcher, workers=2)
    assert par.points.equals(res.points)
    assert par.flows is not None
    assert [par.flows.path(r) for r in par.flows.routes.index] == [
        res.flows.path(r) for r in res.flows.routes.index
    ]


def test_match_recovers_trip_ends(demo_net: Any, demo_flows: Any) -> None:
    """Without a fix at the trip ends the path spans the fixes only, and says so; the known
    origins and destinations extend it to the whole trip."""
    labels = list(demo_flows.routes.index)
    traces, truth = synthetic_traces(
        demo_net, demo_flows, labels, noise_m=10, every_s=30, seed=7, ends=False
    )
    plain = match_traces(traces, demo_net)
    assert (plain.trips["span"] == "first to last fix").all()
    assert plain.flows is not None
    assert (plain.flows.routes["span"] == "first to last fix").all()
    true_paths = {f"T{k:03d}": demo_flows.path(label) for k, label in enumerate(labels)}
    xy = {
        d: (demo_net.graph.nodes[p[0]], demo_net.graph.nodes[p[-1]]) for d, p in true_paths.items()
    }
    origins = pd.DataFrame(
        {"lon": [o["x"] for o, _ in xy.values()], "lat": [o["y"] for o, _ in xy.values()]},
        index=list(xy),
    )
    dests = pd.DataFrame(
        {"lon": [d["x"] for _, d in xy.values()], "lat": [d["y"] for _, d in xy.values()]},
        index=list(xy),
    )
    ext = match_traces(traces, demo_net, origins=origins, destinations=dests)
    assert ext.flows is not None
    assert (ext.trips["span"] == "origin to destination").all()
    got = {ext.flows.routes.loc[r, "driver"]: ext.flows.path(r) for r in ext.flows.routes.index}
    # every trip now begins at its origin and ends at its destination
    assert all(got[d][0] == p[0] and got[d][-1] == p[-1] for d, p in true_paths.items())
    rec_plain, _ = edge_recall(plain, truth)
    rec_ext, prec_ext = edge_recall(ext, truth)
    # on the demo (long edges): 98.7% of the driven edges without the ends, all with them
    assert rec_ext == pytest.approx(1.0)
    assert prec_ext >= 0.99
    assert rec_plain < 0.99
    added = ext.trips["start_added_m"] + ext.trips["end_added_m"]
    assert (added > 0).any()
    # only some drivers' ends known: the others keep their span and say so
    some = match_traces(traces, demo_net, origins=origins.iloc[:3])
    spans = some.trips.set_index("driver")["span"]
    assert (spans[origins.index[:3]] == "origin to last fix").all()
    assert (spans.drop(origins.index[:3]) == "first to last fix").all()
    with pytest.raises(InputError, match="one row per driver"):
        match_traces(traces, demo_net, origins=pd.concat([origins, origins.iloc[:1]]))


def hmm_transition(
    graph: nx.DiGraph,
    g: Any,
    edge: np.ndarray,
    off: np.ndarray,
    a: int,
    b: int,
    gc: float,
    dt: float,
    beta: float,
    tau: float,
    tol: float,
    pad: float,
) -> float:
    """Log transition between candidates a and b, by networkx (fastest path by time)."""
    ea, eb, oa, ob = edge[a], edge[b], off[a], off[b]
    la, lb = g.length_m[ea], g.length_m[eb]
    if ea == eb and ob >= oa - tol:
        route = max(ob - oa, 0.0)
        drive = route / la * g.time_s[ea]
    else:
        try:
            path = nx.dijkstra_path(graph, int(g.indices[ea]), int(g.tail[eb]), weight="t")
        except nx.NetworkXNoPath:
            return -np.inf
        pairs = list(itertools.pairwise(path))
        mid = sum(graph[u][v]["m"] for u, v in pairs)
        if mid > 2 * gc + pad:
            return -np.inf
        route = (la - oa) + mid + ob
        drive = (la - oa) / la * g.time_s[ea] + sum(graph[u][v]["t"] for u, v in pairs)
        drive += ob / lb * g.time_s[eb]
    return -abs(route - gc) / beta - max(0.0, drive - dt) / tau


def test_match_kernel_viterbi_matches_brute_force(demo_net: Any, demo_flows: Any) -> None:
    """The compiled Viterbi picks the best-scoring sequence, found here by enumeration.

    Transitions are recomputed with networkx (fastest path by time, its length),
    and the node path is checked edge by edge against the network.
    """
    from planner.routes._match_kernel import match_batch
    from planner.routes._modes import nearest_edges

    traces, _truth = synthetic_traces(
        demo_net, demo_flows, list(demo_flows.routes.index[:4]), noise_m=15, every_s=20, seed=3
    )
    matcher = MapMatcher(demo_net)
    g = matcher.csr
    graph = nx.DiGraph()
    for j in range(g.indices.size):
        graph.add_edge(int(g.tail[j]), int(g.indices[j]), t=g.time_s[j], m=g.length_m[j])
    to_m = Transformer.from_crs(4326, demo_net.crs, always_xy=True)
    sigma, beta, tau, radius, k = 15.0, 60.0, 10.0, 80.0, 3
    tol, pad = 2 * sigma, 2 * radius + 200
    checked = 0
    for _driver, grp in traces.groupby("driver_id"):
        grp = grp.iloc[:7]
        x, y = (np.asarray(v) for v in to_m.transform(grp["lon"].to_numpy(), grp["lat"].to_numpy()))
        t = (grp["time"] - grp["time"].iloc[0]).dt.total_seconds().to_numpy()
        cp, ce, cd, co = nearest_edges(matcher.segs, x, y, radius, k)
        if np.unique(cp).size < x.size:
            continue
        edge = matcher.segs.edge_id[ce]
        lo = np.searchsorted(cp, np.arange(x.size))
        hi = np.searchsorted(cp, np.arange(x.size), side="right")
        gc = np.r_[0.0, np.hypot(np.diff(x), np.diff(y))]
        dt = np.r_[0.0, np.diff(t)]
        choice, breaks, ptr, nodes = match_batch(
            g.indptr, g.indices, g.length_m, g.time_s, g.tail, np.array([0, x.size]),
            lo, hi, gc, dt, edge, cd, co, sigma, beta, tau, tol, pad,
        )  # fmt: skip
        assert breaks[0] == 0

        steps = [range(lo[i], hi[i]) for i in range(x.size)]
        trans = {
            (a, b): hmm_transition(graph, g, edge, co, a, b, gc[i], dt[i], beta, tau, tol, pad)
            for i in range(1, x.size)
            for a in steps[i - 1]
            for b in steps[i]
        }
        emit = -0.5 * (cd / sigma) ** 2
        best = max(
            emit[seq[0]] + sum(trans[p] + emit[p[1]] for p in itertools.pairwise(seq))
            for seq in itertools.product(*steps)
        )
        got = emit[choice[0]] + sum(
            trans[(int(a), int(b))] + emit[b] for a, b in itertools.pairwise(choice)
        )
        assert got == pytest.approx(best, abs=1e-9)
        # the node path drives every matched edge, along network edges only
        seq = nodes[ptr[0] : ptr[1]].tolist()
        assert all(graph.has_edge(u, v) for u, v in itertools.pairwise(seq))
        driven = {(int(g.tail[e]), int(g.indices[e])) for e in edge[choice[1:-1]]}
        assert driven <= set(itertools.pairwise(seq))
        checked += 1
    assert checked >= 3


def test_match_bad_traces(demo_net: Any, demo_flows: Any) -> None:
    traces, _truth = synthetic_traces(
        demo_net, demo_flows, list(demo_flows.routes.index[:3]), noise_m=5, every_s=30, seed=2
    )
    # unsorted and mixed drivers: the same matches as sorted input
    shuffled = traces.sample(frac=1.0, random_state=1)
    a = match_traces(traces, demo_net)
    b = match_traces(shuffled, demo_net)
    assert a.flows is not None
    assert b.flows is not None
    assert [a.flows.path(r) for r in a.flows.routes.index] == [
        b.flows.path(r) for r in b.flows.routes.index
    ]
    assert b.points.index.equals(shuffled.index)
    # a teleport (50 km away), a duplicate, a lone fix, and a long gap that splits a trip
    bad = traces.copy()
    i = 5
    bad.loc[i, "lon"] += 0.5
    dup = bad.iloc[[10]]
    lone = pd.DataFrame(
        {"driver_id": ["Z"], "time": [bad["time"].iloc[0]], "lon": [112.9], "lat": [28.05]}
    )
    gap = bad["driver_id"] == "T001"
    bad.loc[gap & (bad.index > bad.index[gap][len(bad[gap]) // 2]), "time"] += pd.Timedelta(hours=2)
    bad = pd.concat([bad, dup, lone], ignore_index=True)
    res = match_traces(bad, demo_net)
    status = res.points["status"]
    assert status.iloc[i] == "teleport"
    assert (status == "duplicate").sum() == 1
    assert status.iloc[-1] == "short_trip"
    assert res.trips.loc[res.trips["driver"] == "Z", "excluded"].iloc[0] == "a single fix"
    assert (res.trips["driver"] == "T001").sum() == 2
    # repeated index labels (frames concatenated without ignore_index) are kept as given
    twice = pd.concat([traces.iloc[:20], traces.iloc[20:]])
    twice.index = np.r_[np.arange(20), np.arange(len(traces) - 20)]
    again = match_traces(twice, demo_net)
    assert again.points.index.equals(twice.index)
    assert again.points.reset_index(drop=True).equals(a.points.reset_index(drop=True))
    # traces nowhere near the network (e.g. a wrong datum or region): a clear error
    with pytest.raises(InputError, match=r"none of the \d+ usable fixes is within radius_m"):
        match_traces(traces.assign(lon=traces["lon"] + 0.3), demo_net)
    with pytest.raises(InputError, match="no driver column"):
        match_traces(traces.drop(columns="driver_id"), demo_net)
    with pytest.raises(InputError, match="no usable time"):
        match_traces(traces.assign(time="soon"), demo_net)


# ------------------------------------------------------------------ candidates


def test_driver_home_candidates_by_tag(tmp_path: Path, osm_writer: Any) -> None:
    lat0, lon0 = 28.0, 113.0
    step = 0.001

    def sq(first_id: int, col: float, row: float, size: float) -> list[Any]:
        return [
            (first_id, lon0 + col * step, lat0 + row * step, {}),
            (first_id + 1, lon0 + (col + size) * step, lat0 + row * step, {}),
            (first_id + 2, lon0 + (col + size) * step, lat0 + (row + size) * step, {}),
            (first_id + 3, lon0 + col * step, lat0 + (row + size) * step, {}),
        ]

    nodes = [
        (1, lon0, lat0, {"amenity": "fuel", "hgv": "yes", "name": "Truck fuel"}),
        (2, lon0 + step, lat0, {"amenity": "fuel"}),  # cars only: not a candidate
        (3, lon0 + 2 * step, lat0, {"amenity": "parking", "hgv": "designated"}),
        (4, lon0 + 3 * step, lat0, {"highway": "rest_area"}),
    ]
    nodes += sq(10, 0, 5, 1.0)  # ~100 m x 111 m: services area
    nodes += sq(20, 5, 5, 0.2)  # ~400 m2 parking: too small
    nodes += sq(30, 10, 5, 1.0)  # large parking
    nodes += sq(40, 15, 5, 0.2)  # small industrial: dropped
    nodes += sq(50, 20, 5, 0.2)  # small logistics: kept (logistics has no size floor)
    ways = [
        (100, [10, 11, 12, 13, 10], {"highway": "services", "name": "Svc"}),
        (101, [20, 21, 22, 23, 20], {"amenity": "parking"}),
        (102, [30, 31, 32, 33, 30], {"amenity": "parking"}),
        (103, [40, 41, 42, 43, 40], {"landuse": "industrial"}),
        (104, [50, 51, 52, 53, 50], {"landuse": "industrial", "industrial": "logistics"}),
    ]
    path = osm_writer(tmp_path / "homes.osm", nodes, ways)
    cands = driver_home_candidates(path)
    assert dict(cands["kind"]) == {
        "osm:node/1": "fuel_hgv",
        "osm:node/3": "truck_parking",
        "osm:node/4": "rest_area",
        "osm:way/100": "service_area",
        "osm:way/102": "truck_parking",
        "osm:way/104": "logistics",
    }
    assert cands.loc["osm:way/100", "area_m2"] == pytest.approx(98.3 * 111.2, rel=0.02)
    centre = cands.loc["osm:way/100", "geometry"]
    assert centre.x == pytest.approx(lon0 + 0.5 * step, abs=1e-6)
    assert centre.y == pytest.approx(lat0 + 5.5 * step, abs=1e-6)
    only = driver_home_candidates(path, kinds=["fuel_hgv"])
    assert list(only.index) == ["osm:node/1"]
    user = gpd.GeoDataFrame(geometry=[shapely.Point(lon0, lat0)], index=["U1"], crs=4326)
    both = driver_home_candidates(path, user=user)
    assert both.loc["user:U1", "kind"] == "user"
    with pytest.raises(InputError, match="unknown kinds"):
        driver_home_candidates(path, kinds=["castle"])


# ------------------------------------------------------------------ demo end to end


def test_demo_driver_home_recommendation(demo_net: Any, demo_flows: Any) -> None:
    from planner import datasets

    cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    stations = datasets.demo_stations()
    homes = stations[stations["kind"] == "driver_home"].set_index("station_id")
    sites = pd.concat([cands[["geometry"]], homes[["geometry"]]])
    busy = with_passing_volume(sites, demo_flows, min_volume=30)
    assert (busy["passing_volume"] >= 30).all()
    inc = demo_flows.site_incidence(sites)
    # passing volume checked against the paths: at least the routes driving the site's
    # edge (either way), at most those through either end of it
    for site in inc.sites.index[inc.sites["passing_volume"] > 0]:
        u, v = inc.sites.loc[site, ["u", "v"]]
        low = high = 0.0
        for label, row in demo_flows.routes.iterrows():
            path = demo_flows.path(label)
            low += row["volume"] if {(u, v), (v, u)} & path_edges(path) else 0.0
            high += row["volume"] if {u, v} & set(path) else 0.0
        assert low - 1e-9 <= inc.sites.loc[site, "passing_volume"] <= high + 1e-9
    vols = demo_flows.routes["volume"]
    model = FlowCapture.from_matrix(
        inc.matrix("detour_min"),
        p=1,
        volumes=vols.to_numpy(),
        existing=list(homes.index),
        min_volume=30,
        route_index=inc.routes.index,
        site_index=inc.sites.index,
    )
    res = model.solve()
    on = inc.table[inc.table["detour_s"] == 0]
    captured_by = on.groupby("site")["route"].apply(set)
    base = set().union(*(captured_by.get(h, set()) for h in homes.index))
    best = max(
        vols[list(base | captured_by[s])].sum()
        for s in captured_by.index
        if s not in homes.index and inc.sites.loc[s, "passing_volume"] >= 30
    )
    assert res.objective == pytest.approx(best)
    # a 4-hour rest rule: the demo's trips are shorter than that, so all are served
    rest = RestIntervalCoverage.from_matrix(
        inc.matrix("position_h"),
        lengths=inc.route_lengths("h"),
        interval=4.0,
        volumes=vols.to_numpy(),
        existing=list(homes.index),
        route_index=inc.routes.index,
        site_index=inc.sites.index,
    ).solve()
    assert rest.objective == 0
    assert rest.demand["served"].all()
    # a 10-minute rule needs stops, and the plan keeps every gap within 10 minutes
    short = RestIntervalCoverage.from_matrix(
        inc.matrix("position_h"),
        lengths=inc.route_lengths("h"),
        interval=10 / 60,
        volumes=vols.to_numpy(),
        existing=list(homes.index),
        route_index=inc.routes.index,
        site_index=inc.sites.index,
    ).solve()
    served = short.demand[short.demand["served"]]
    assert (served["max_gap"] <= 10 / 60 + 1e-9).all()
    assert (short.demand["servable"] == short.demand["served"]).all()
