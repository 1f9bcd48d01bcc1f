"""Roads on maps: the compact layer of a city's streets, against the GeoJSON lines.

The compact layer is chosen through ``compact_roads_above`` on the demo region
(a city's 2.6 x 10^5 street segments are in ``benchmarks/bench_maps.py``); its
tooltips are read in a real Chromium against the GeoJSON lines' tooltips, and
the lines the page decodes against the network's coordinates.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from planner._map_labels import labels_for
from planner._map_roads import decode_polylines, encode_polylines
from planner.crs import from_wgs84
from planner.maps import add_roads, new_map, plan_map, render_page, save_map
from tests.conftest import UTM50N, X0, Y0, utm_to_lonlat

_STREET = "Demo North Avenue 0 (synthetic)"


def test_encoded_polylines_are_googles_and_round_trip() -> None:
    # Google's own example (developers.google.com/maps/documentation/utilities/polylinealgorithm)
    google = np.array([[3850000, -12020000], [4070000, -12095000], [4325200, -12645300]])
    assert encode_polylines([google]) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    # several lines: the first point of each a delta from the previous line's last
    first = np.array([[3850000, -12020000], [3850000, -12020000]])
    assert encode_polylines([first, google[1:]]) == "_p~iF~ps|U?? _ulLnnqC_mqNvxq`@"
    rng = np.random.default_rng(5)
    lines = [rng.integers(-(2**30), 2**30, (int(k), 2)) for k in rng.integers(1, 6, 300)]
    # zig-zag values at the edges of 5-bit chunks: 31, 32, 1023, 1024
    edges = np.array([[-1, 1], [31, -32], [32, 1023], [16, -16], [528, 16], [1040, 528]])
    lines += [np.zeros((2, 2), dtype=np.int64), edges]
    text = encode_polylines(lines)
    assert set(text) <= {chr(c) for c in range(63, 127)} | {" "}
    back = decode_polylines(text)
    assert len(back) == len(lines)
    assert all(np.array_equal(a, b) for a, b in zip(lines, back, strict=True))
    assert encode_polylines([]) == ""
    assert decode_polylines("") == []


def _named_network() -> Any:
    """Street A runs 0-1-2-3 east (300 m a segment), street B 4-1-5 north across it at 1.

    Segment 5-7 has no name; 3-8 is A again but a primary road (another class).
    """
    from planner.network import network_from_graph

    nodes = {0: (0, 0), 1: (300, 0), 2: (600, 0), 3: (900, 0), 4: (300, -300)}
    nodes |= {5: (300, 300), 7: (600, 300), 8: (1200, 0)}
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in nodes.items():
        lon, lat = utm_to_lonlat(X0 + x, Y0 + y)
        graph.add_node(node, x=float(lon), y=float(lat))
    streets = [(0, 1, "A", "residential"), (1, 2, "A", "residential"), (2, 3, "A", "residential")]
    streets += [(4, 1, "B <b>", "residential"), (1, 5, "B <b>", "residential")]
    streets += [(5, 7, None, "residential"), (3, 8, "A", "primary")]
    for u, v, name, highway in streets:
        length = float(np.hypot(*np.subtract(nodes[u], nodes[v])))
        tags = {"length": length, "highway": highway, "osmid": 1} | ({"name": name} if name else {})
        graph.add_edge(u, v, **tags)
        graph.add_edge(v, u, **tags)
    return network_from_graph(graph, modes=["walk"]), nodes


def _table(page: str) -> dict[str, Any]:
    (data,) = re.findall(r"D = (\{.*?\});\n", page)
    table: dict[str, Any] = json.loads(data)
    return table


def test_compact_roads_merge_streets_and_keep_their_coordinates() -> None:
    net, nodes = _named_network()
    pages = {
        tiles: render_page(add_roads(new_map(net.bounds, tiles=tiles), net, compact_above=6))
        for tiles in (None, "amap")
    }
    # 7 segments: GeoJSON up to 7, compact above 6
    few = render_page(add_roads(new_map(net.bounds, tiles=None), net, compact_above=7))
    assert "plannerRoads" not in few
    assert few.count('"type": "Feature"') == 7
    table = _table(pages[None])
    assert table["names"] == ["", "A", "B &lt;b&gt;"]
    assert table["classes"] == [["Local street", "#bfc5c9", 1.0], ["Arterial road", "#85929e", 2.5]]
    # A's three local segments are one line; B's two another; local streets first
    lines = decode_polylines(table["p"])
    named = [(table["names"][n], c) for n, c in zip(table["n"], table["c"], strict=True)]
    assert named == [("", 0), ("A", 0), ("B &lt;b&gt;", 0), ("A", 1)]
    to_lonlat = Transformer.from_crs(UTM50N, 4326, always_xy=True)

    def grid(path: list[int], datum: str = "wgs84") -> list[list[int]]:
        xy = np.array([nodes[k] for k in path], dtype=float)
        lon, lat = to_lonlat.transform(X0 + xy[:, 0], Y0 + xy[:, 1])
        if datum != "wgs84":
            lon, lat = from_wgs84(np.asarray(lon), np.asarray(lat), datum)
        return np.round(np.column_stack([lat, lon]) * 1e5).astype(int).tolist()

    # straight streets keep their ends only (5 m simplification), in either direction
    expected = [grid([5, 7]), grid([0, 3]), grid([4, 5]), grid([3, 8])]
    got = [line.tolist() for line in lines]
    assert [g if g in (e, e[::-1]) else None for g, e in zip(got, expected, strict=True)] == got
    # on Amap tiles the same lines shifted to GCJ-02 (about 500 m here)
    shifted = [line.tolist() for line in decode_polylines(_table(pages["amap"])["p"])]
    gcj = [grid([5, 7], "gcj02"), grid([0, 3], "gcj02"), grid([4, 5], "gcj02")]
    assert all(g in (e, e[::-1]) for g, e in zip(shifted, gcj, strict=False))
    assert shifted[0] != got[0]
    # the same network writes the same bytes
    again = render_page(add_roads(new_map(net.bounds, tiles=None), net, compact_above=6))
    assert again == pages[None]


def test_compact_roads_escape_template_braces() -> None:
    net, _ = _named_network()
    for _u, _v, data in net.graph.edges(data=True):
        if data.get("name") == "A":
            data["name"] = "A {{ x }} {% y %} {# z"
    page = render_page(add_roads(new_map(net.bounds, tiles=None), net, compact_above=0))
    names = [html.unescape(n) for n in _table(page)["names"]]
    assert "A {{ x }} {% y %} {# z" in names


def _demo_maps(tmp_path: Path, language: str, compact: bool) -> Path:
    from planner import datasets
    from planner.plan import Plan

    net = datasets.demo_network(modes=["ebike"])
    demand = datasets.demo_stops(groups=["rider"]).assign(weight=1.0).iloc[:50]
    res = Plan(net, demand=demand, service_areas=False).site(p=0)
    m = plan_map(
        res, tiles=None, language=language, heat=False, compact_roads_above=100 if compact else None
    )
    return save_map(m, tmp_path / f"{language}_{compact}.html", offline=True)


def _hover(visit: Any, lon: float, lat: float) -> list[str]:
    """Zoom 16 on the point, move the mouse onto it, return the tooltips shown."""
    visit.js(f"() => {{ MAP.setView([{lat}, {lon}], 16, {{animate: false}}); }}")
    visit.page.wait_for_timeout(300)
    x, y = visit.js(
        f"""() => {{ const r = MAP.getContainer().getBoundingClientRect();
        const p = MAP.latLngToContainerPoint([{lat}, {lon}]);
        return [r.left + p.x, r.top + p.y]; }}"""
    )
    # a few moves onto it (Leaflet's canvas reads the mouse every 32 ms at most)
    for dx in (10, 5, 0):
        visit.page.mouse.move(x + dx, y)
        visit.page.wait_for_timeout(100)
    visit.page.wait_for_timeout(300)
    return list(visit.page.locator(".leaflet-tooltip").all_inner_texts())


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh"])
def test_city_roads_are_one_compact_layer_with_the_same_tooltips(  # type: ignore[no-untyped-def]
    open_page, tmp_path: Path, language: str
) -> None:
    from planner import datasets

    net = datasets.demo_network(modes=["ebike"])
    compact = open_page(_demo_maps(tmp_path, language, True))
    lines = open_page(_demo_maps(tmp_path, language, False))
    assert compact.errors == lines.errors == []
    count = """() => { let n = null;
        MAP.eachLayer(l => { if (l.options && l.options.plannerRoads)
                             n = l.options.plannerRoads; });
        return n; }"""
    assert compact.js(count) > 100
    assert lines.js(count) is None
    # the middle of a segment of a primary road: its name and class, as on the GeoJSON lines
    edges = net.edges_gdf()
    edge = edges[(edges["name"] == _STREET) & (edges["highway"] == "primary")].iloc[1]
    mid = edge.geometry.interpolate(0.5, normalized=True)
    expected = f"{_STREET}\n{labels_for(language)['arterial']}"
    assert _hover(compact, mid.x, mid.y) == [expected]
    assert _hover(lines, mid.x, mid.y) == [expected]
    compact.screenshot(f"compact_roads_{language}")
    # the page's decoded lines of that street: their vertices are the network's (to 1e-5
    # degrees: the vertices simplification keeps) and the street lies within 5 m of them
    got = compact.js(
        """() => { let out = [];
        MAP.eachLayer(l => { if (l.options && l.options.plannerRoads) l.eachLayer(p => {
            out.push([p.options.k, p.getLatLngs().map(q => [q.lat, q.lng])]); }); });
        return out; }"""
    )
    page = (tmp_path / f"{language}_True.html").read_text(encoding="utf-8")
    table = _table(page)
    mine = {k for k, n in enumerate(table["n"]) if table["names"][n] == _STREET}
    decoded = decode_polylines(table["p"])
    assert len(got) == len(decoded)
    for k, latlngs in got:
        assert np.allclose(np.array(latlngs) * 1e5, decoded[k], atol=1e-6)
    street = edges[edges["name"] == _STREET].geometry
    vertices = shapely.get_coordinates(street.to_numpy())
    to_m = Transformer.from_crs(4326, net.crs, always_xy=True)
    line_m = [
        shapely.LineString(np.column_stack(to_m.transform(d[:, 1] / 1e5, d[:, 0] / 1e5)))
        for k, d in enumerate(decoded)
        if k in mine
    ]
    assert line_m
    for d in (decoded[k] for k in mine):
        gap = (
            np.abs(d[:, None, :] - np.round(vertices[None, :, ::-1] * 1e5)).max(axis=2).min(axis=1)
        )
        assert gap.max() <= 1
    xm, ym = to_m.transform(vertices[:, 0], vertices[:, 1])
    drawn = shapely.MultiLineString(line_m)
    assert shapely.distance(shapely.points(xm, ym), drawn).max() <= 5.0 + 1.5
