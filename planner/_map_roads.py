"""Roads on maps: one GeoJSON line per street segment, or one compact layer for a city.

Study maps are drawn without tiles (offline), so the roads are the base map. Up
to ``compact_above`` street segments (edges, one per two-way street) they are
one GeoJSON feature each, as they always were: about 270 bytes of HTML each.
A city of 10^5 nodes has 2.6 x 10^5 of them, 70 MB of HTML. Above
``compact_above``, the roads are one compact layer instead:

- consecutive segments of one street (same name and class) are merged into one
  line, wherever exactly two of them meet (``shapely.line_merge``);
- the lines are simplified at ``simplify_m`` metres (5 m by default: a street's
  width, less than a pixel at zoom 14) and their vertices rounded to 1e-5
  degrees (about 1 m);
- their vertices are written as Google's encoded polyline (integer deltas of
  1e-5 degrees, latitude then longitude, in base-64 text): a few
  characters a vertex. Every line's first point is a delta from the previous
  line's last point (the first from 0, 0); lines are separated by spaces;
- the names and classes are tables; each line holds an index into each.

A small inline script decodes the lines and draws them as Leaflet polylines on
the map's canvas, local streets first and main roads on top, with the colours,
weights and tooltip (name, class) of the GeoJSON path. On Amap tiles the
vertices are shifted to GCJ-02 before they are rounded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from planner._map_labels import Language, escape_html, labels_for, road_name
from planner._map_parts import (
    _LOCAL,
    _PATH,
    _PATH_CLASSES,
    _ROAD_CLASSES,
    add_script,
    display_datum,
    load_folium,
    script_json,
    to_geojson,
)
from planner.crs import WGS84, from_wgs84

if TYPE_CHECKING:
    import folium

    from planner.network import RoadNetwork

__all__ = [
    "ROADS_COMPACT_ABOVE",
    "add_roads",
    "decode_polylines",
    "encode_polylines",
    "roads_draw_compact",
]

# more street segments than this: one compact layer (the demo's 7,300 and a district's
# 5,000 stay GeoJSON; a city's 10^5 do not)
ROADS_COMPACT_ABOVE = 20_000

# the compact layer's precision: degrees of one unit of the encoded integers
_SCALE = 100_000

_ROADS_JS = """(function () {
var map = %(map)s, group = %(group)s, D = %(data)s;
var P = D.p, end = P.length, i = 0, y = 0, x = 0, k = 0;
function num() {
  var r = 0, s = 0, b;
  do { b = P.charCodeAt(i++) - 63; r |= (b & 31) << s; s += 5; } while (b >= 32);
  return r & 1 ? ~(r >> 1) : r >> 1;
}
var styles = D.classes.map(function (c) {
  return {color: c[1], weight: c[2], opacity: 0.9, smoothFactor: 1};
});
var on = map.hasLayer(group);
if (on) { map.removeLayer(group); }
while (i < end) {
  var ll = [];
  while (i < end && P.charCodeAt(i) !== 32) {
    y += num(); x += num(); ll.push([y / %(scale)d, x / %(scale)d]);
  }
  i++;
  group.addLayer(L.polyline(ll, L.extend({k: k}, styles[D.c[k]])));
  k++;
}
group.options.plannerRoads = k;
group.bindTooltip(function (l) {
  var j = l.options.k;
  return '<table><tr><td>' + D.names[D.n[j]] + '</td></tr><tr><td>'
    + D.classes[D.c[j]][0] + '</td></tr></table>';
}, {sticky: true, className: 'foliumtooltip'});
if (on) { map.addLayer(group); }
})();"""


def _road_style(highway: Any) -> tuple[str, str, float]:
    values = set(highway) if isinstance(highway, list) else {highway}
    # merged edges list their classes in no fixed order: the most important wins
    for value, style in _ROAD_CLASSES.items():
        if value in values:
            return style
    if values <= _PATH_CLASSES:
        return _PATH
    return _LOCAL


def roads_draw_compact(n: int, compact_above: int | None) -> bool:
    """Return whether ``n`` street segments are drawn as the compact layer (``None``: never)."""
    return compact_above is not None and n > compact_above


def encode_polylines(lines: list[np.ndarray]) -> str:
    """Encode integer lines as one text: Google's polyline code, deltas running across lines.

    Parameters
    ----------
    lines
        One ``(k, 2)`` integer array per line, ``(lat, lon)`` in units of the
        precision (e.g. 1e-5 degrees).

    Returns
    -------
    str
        The lines, separated by spaces (characters ``?`` to ``~`` otherwise).

    Examples
    --------
    >>> encode_polylines([np.array([[3850000, -12020000], [4070000, -12095000]])])
    '_p~iF~ps|U_ulLnnqC'
    """
    if not lines:
        return ""
    sizes = np.array([len(line) for line in lines])
    flat = np.concatenate(lines).astype(np.int64).reshape(-1, 2)
    delta = np.diff(flat, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    zig = np.where(delta < 0, ~(delta << 1), delta << 1)
    # 5-bit chunks, low first; every chunk but a number's last carries 0x20
    index = np.arange(7)
    chunks = (zig[:, None] >> (5 * index)) & 31
    count = 1 + (zig[:, None] >= 32 ** index[1:]).sum(axis=1)
    chunks = chunks + 63 + np.where(index < count[:, None] - 1, 32, 0)
    keep = index < count[:, None]
    # one more place after each line's last number (two per point): the space
    width = count.copy()
    width[np.cumsum(sizes)[:-1] * 2 - 1] += 1
    out = np.full(int(width.sum()), 32, dtype=np.uint8)
    pos = (np.cumsum(width) - width)[:, None] + index
    out[pos[keep]] = chunks[keep]
    return out.tobytes().decode("ascii")


def decode_polylines(text: str) -> list[np.ndarray]:
    """Decode :func:`encode_polylines`' text (as the page's script does).

    Parameters
    ----------
    text
        The encoded lines.

    Returns
    -------
    list of numpy.ndarray
        One ``(k, 2)`` integer array per line, ``(lat, lon)``.

    Examples
    --------
    >>> decode_polylines("_p~iF~ps|U_ulLnnqC")[0].tolist()
    [[3850000, -12020000], [4070000, -12095000]]
    """
    out: list[np.ndarray] = []
    if not text:
        return out
    total = [0, 0]
    for part in text.split(" "):
        values = []
        r = s = 0
        for char in part:
            b = ord(char) - 63
            r |= (b & 31) << s
            s += 5
            if b < 32:
                values.append(~(r >> 1) if r & 1 else r >> 1)
                r = s = 0
        points = []
        for k in range(0, len(values), 2):
            total = [total[0] + values[k], total[1] + values[k + 1]]
            points.append(total)
        out.append(np.array(points, dtype=np.int64).reshape(-1, 2))
    return out


def _segments(network: RoadNetwork) -> tuple[list[Any], list[Any], np.ndarray]:
    """Every street segment once (two-way twins and parallel edges dropped), in edge order.

    Returns the ``highway`` and ``name`` tags and the WGS84 lines, read from
    the graph (faster than :meth:`RoadNetwork.edges_gdf` for a city's 5 x 10^5 edges).
    """
    graph = network.graph
    seen: set[tuple[Any, Any]] = set()
    highway: list[Any] = []
    names: list[Any] = []
    lines: list[Any] = []
    straight: list[tuple[int, Any, Any]] = []
    for u, targets in graph.adj.items():
        for v, keyed in targets.items():
            pair = (u, v) if u <= v else (v, u)
            if pair in seen:
                continue
            seen.add(pair)
            data = next(iter(keyed.values()))
            highway.append(data.get("highway"))
            names.append(data.get("name"))
            line = data.get("geometry")
            if line is None:
                straight.append((len(lines), u, v))
            lines.append(line)
    if straight:
        x = dict(graph.nodes(data="x"))
        y = dict(graph.nodes(data="y"))
        coords = np.array([[x[u], y[u], x[v], y[v]] for _, u, v in straight], dtype=float)
        made = np.asarray(shapely.linestrings(coords.reshape(-1, 2, 2)), dtype=object)
        for (k, _, _), line in zip(straight, made, strict=True):
            lines[k] = line
    return highway, names, np.asarray(lines, dtype=object)


def _memo(function: Any, values: list[Any]) -> list[Any]:
    """Return ``function`` of each value, computed once per distinct value (tags repeat)."""
    done: dict[Any, Any] = {}
    out = []
    for value in values:
        key = tuple(value) if isinstance(value, list) else value
        if key not in done:
            done[key] = function(value)
        out.append(done[key])
    return out


def _compact_table(
    network: RoadNetwork,
    segments: tuple[list[Any], list[Any], np.ndarray],
    labels: Any,
    simplify_m: float,
    datum: str,
) -> dict[str, Any]:
    """Return the compact layer's table: classes, names, and the lines' encoded vertices."""
    highway, raw_names, lines = segments
    styles = _memo(_road_style, highway)
    style_list = sorted(set(styles), key=lambda s: (s[2], s[0], s[1]))
    style_of = {s: k for k, s in enumerate(style_list)}
    names = _memo(road_name, raw_names)
    name_list = sorted(set(names))
    name_of = {n: k for k, n in enumerate(name_list)}
    keys = pd.DataFrame({"c": [style_of[s] for s in styles], "n": [name_of[n] for n in names]})
    # one group per street and class; its segments merged where exactly two meet
    group = keys.groupby(["c", "n"], sort=True).ngroup().to_numpy()
    order = np.argsort(group, kind="stable")
    merged: np.ndarray = np.asarray(
        shapely.line_merge(shapely.multilinestrings(lines[order], indices=group[order])),
        dtype=object,
    )
    # the merged lines' parts, from flat arrays (get_parts makes an object per part: slow)
    _, xy, offsets = shapely.to_ragged_array(merged)
    part_at = offsets[0]
    group_at = offsets[1] if len(offsets) > 1 else np.arange(len(merged) + 1)
    n_parts = len(part_at) - 1
    at = np.repeat(np.arange(n_parts), np.diff(part_at))
    owner = np.repeat(np.arange(len(merged)), np.diff(group_at))
    groups = keys.assign(g=group).drop_duplicates("g").sort_values("g")
    c_of = groups["c"].to_numpy()[owner]
    n_of = groups["n"].to_numpy()[owner]
    # simplified in metres, then shifted to the map's datum and rounded
    to_m = Transformer.from_crs(WGS84, network.crs, always_xy=True)
    back = Transformer.from_crs(network.crs, WGS84, always_xy=True)
    mx, my = to_m.transform(xy[:, 0], xy[:, 1])
    metric = shapely.linestrings(np.column_stack([mx, my]), indices=at)
    simple = shapely.simplify(metric, simplify_m, preserve_topology=False)
    sxy, sat = shapely.get_coordinates(simple, return_index=True)
    lon, lat = back.transform(sxy[:, 0], sxy[:, 1])
    if datum != "wgs84":
        lon, lat = from_wgs84(np.asarray(lon), np.asarray(lat), datum)
    grid = np.column_stack([np.round(np.asarray(lat) * _SCALE), np.round(np.asarray(lon) * _SCALE)])
    grid = grid.astype(np.int64)
    # drop repeated vertices (closer than the precision); then lines of one point
    repeat = np.zeros(len(grid), dtype=bool)
    repeat[1:] = (sat[1:] == sat[:-1]) & (grid[1:] == grid[:-1]).all(axis=1)
    grid, sat = grid[~repeat], sat[~repeat]
    counts = np.bincount(sat, minlength=n_parts)
    # local streets first, main roads on top (the classes are sorted by weight)
    keep = np.flatnonzero(counts >= 2)
    keep = keep[np.argsort(c_of[keep], kind="stable")]
    split = np.split(grid, np.cumsum(counts)[:-1])
    return {
        "classes": [[escape_html(labels[s[0]]), s[1], s[2]] for s in style_list],
        "names": [escape_html(n) for n in name_list],
        "c": c_of[keep].tolist(),
        "n": n_of[keep].tolist(),
        "p": encode_polylines([split[k] for k in keep]),
    }


def _add_compact(m: folium.Map, layer: Any, table: dict[str, Any]) -> None:
    # the encoded lines hold "{": script_json keeps "{{", "{%" and "{#" from branca
    code = _ROADS_JS % {
        "map": m.get_name(),
        "group": layer.get_name(),
        "data": script_json(table),
        "scale": _SCALE,
    }
    add_script(layer, code)


def add_roads(
    m: folium.Map,
    network: RoadNetwork,
    *,
    language: Language = "en",
    simplify_m: float | None = None,
    compact_above: int | None = ROADS_COMPACT_ABOVE,
) -> folium.Map:
    """Add the network's roads as one layer, coloured by road class (muted colours).

    Local streets are drawn first and main roads on top; hovering a road shows
    its name and class. Up to ``compact_above`` street segments (one per
    two-way street) each is one GeoJSON line, simplified at 2 m, its
    coordinates to 1e-6 degrees. More are drawn as one compact layer (see this
    module's notes): consecutive segments of a street merged into one line,
    simplified at 5 m, vertices to 1e-5 degrees (about 1 m), written as
    encoded polylines and drawn on the map's canvas by a small script. The
    150,086-node metropolis' 260,629 segments then become 53,322 lines in
    2.4 MB of HTML instead of 69.5 MB.

    Parameters
    ----------
    m
        The map.
    network
        The road network.
    language
        Labels' language.
    simplify_m
        Simplification tolerance in metres (default: 2 m as GeoJSON, 5 m compact).
    compact_above
        Draw the compact layer when there are more street segments than this;
        ``None`` for GeoJSON whatever the number.

    Returns
    -------
    folium.Map
        The same map.

    Examples
    --------
    >>> from planner import datasets
    >>> from planner.maps import new_map
    >>> net = datasets.demo_network()
    >>> m = new_map(net.bounds, tiles=None)
    >>> page = add_roads(m, net, compact_above=100).get_root().render()
    >>> "plannerRoads" in page, '"type": "FeatureCollection"' in page
    (True, False)
    """
    folium = load_folium()
    labels = labels_for(language)
    segments = _segments(network)
    if roads_draw_compact(len(segments[0]), compact_above):
        layer = folium.FeatureGroup(name=labels["roads"])
        simplify = 5.0 if simplify_m is None else simplify_m
        table = _compact_table(network, segments, labels, simplify, display_datum(m))
        _add_compact(m, layer, table)
        layer.add_to(m)
        return m
    edges = network.edges_gdf().reset_index()
    # one line per street: drop the reverse twin of two-way streets
    pair = np.sort(edges[["u", "v"]].to_numpy(), axis=1)
    edges = edges.loc[~pd.DataFrame(pair).duplicated().to_numpy()]
    styles = [_road_style(h) for h in edges["highway"]]
    names = edges["name"] if "name" in edges else pd.Series("", index=edges.index)
    simplify = 2.0 if simplify_m is None else simplify_m
    frame = gpd.GeoDataFrame(
        {
            "class": [labels[s[0]] for s in styles],
            "colour": [s[1] for s in styles],
            "weight": [s[2] for s in styles],
            "name": [escape_html(road_name(n)) for n in names],
        },
        geometry=edges.geometry.to_crs(network.crs).simplify(simplify).to_crs(WGS84).values,
        crs=WGS84,
    )
    # draw local streets first so main roads lie on top
    frame = frame.sort_values("weight", kind="stable")
    folium.GeoJson(
        to_geojson(frame, datum=display_datum(m)),
        name=labels["roads"],
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": f["properties"]["weight"],
            "opacity": 0.9,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "class"], aliases=["", ""], labels=False),
        smooth_factor=1.0,
    ).add_to(m)
    return m
