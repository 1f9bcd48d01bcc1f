"""Existing stations on maps: type icons for a few hundred, one compact canvas layer for more.

A city holds thousands of stations. One folium marker per station (its icon,
tooltip and popup HTML written into the page) costs about 1.5 KB of HTML and
a Python object each, and seconds to build and render at 10^4 stations. Above
``compact_above`` stations, every station instead becomes one row of a compact
table (coordinates in micro-degrees, a kind index, an hours index, the name)
that a small inline script draws on Leaflet's canvas as small squares (24-hour
stations teal, driver homes purple diamonds), with the demand heat map under that
canvas rather than over it (so that the stations show); the tooltip and the popup (name,
type, hours, coordinates in the user's datum and in WGS84) are built from the
row when the station is hovered or clicked, with the same words as the icons'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner._map_labels import Language, datum_label, escape_html, labels_for
from planner._map_parts import (
    COMPACT_ABOVE,
    STATION_COLOURS,
    _station_points,
    _station_popup,
    add_script,
    coords_html,
    display_datum,
    load_folium,
    script_json,
    station_keys,
)
from planner.crs import from_wgs84, normalize_datum

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = ["COMPACT_ABOVE", "add_station_icons", "draws_compact"]

# drawn size (half the side of a square, in pixels) at full zoom, and the shape
_SHAPES: Mapping[str, tuple[float, str]] = {
    "worker_station": (6.0, "s"),
    "unattended": (6.0, "s"),
    "other": (6.0, "s"),
    "driver_home": (6.0, "d"),
}

# The compact layer's script. ``D`` is the table (see _compact_table). Squares and
# diamonds are drawn on Leaflet's canvas renderer (circles on SVG maps); they are
# smaller when zoomed out, so that a city's stations do not cover the map.
_COMPACT_JS = """(function () {
var map = %(map)s, group = %(group)s, D = %(data)s;
if (!L.PlannerStation) {
  L.PlannerStation = L.CircleMarker.extend({
    _project: function () {
      var z = this._map.getZoom();
      this._radius = this.options.radius * (z >= 15 ? 1 : z >= 13 ? 0.6 : 0.35);
      L.CircleMarker.prototype._project.call(this);
    },
    _updatePath: function () {
      var R = this._renderer;
      if (!(R instanceof L.Canvas)) { return L.CircleMarker.prototype._updatePath.call(this); }
      if (!R._drawing || this._empty()) { return; }
      var p = this._point, c = R._ctx, r = Math.max(Math.round(this._radius), 2);
      c.beginPath();
      if (this.options.shape === 'd') {
        r = Math.round(r * 1.3);
        c.moveTo(p.x, p.y - r); c.lineTo(p.x + r, p.y); c.lineTo(p.x, p.y + r);
        c.lineTo(p.x - r, p.y); c.closePath();
      } else { c.rect(p.x - r, p.y - r, 2 * r, 2 * r); }
      R._fillStroke(c, this);
    }
  });
}
function f6(v) {
  var s = String(Math.abs(v)).padStart(7, '0');
  return (v < 0 ? '-' : '') + s.slice(0, -6) + '.' + s.slice(-6);
}
function popup(i) {
  var kind = D.kinds[D.k[i]], out = ['<b>' + D.n[i] + '</b>', D.head_kind + kind[0]];
  if (D.h[i] >= 0) { out.push(D.head_hours + D.hours[D.h[i]]); }
  D.coords.forEach(function (c) {
    out.push(c[0] + f6(D[c[1]][i]) + ',' + f6(D[c[2]][i]) + '</span>');
  });
  return out.join('<br>');
}
var styles = D.kinds.map(function (s) {
  return {radius: s[2], shape: s[3], color: '#fff', weight: 1, opacity: 1,
          fillColor: s[1], fillOpacity: 0.95};
});
var X = D[D.at[0]], Y = D[D.at[1]], on = map.hasLayer(group);
if (on) { map.removeLayer(group); }
for (var i = 0; i < X.length; i++) {
  group.addLayer(new L.PlannerStation([Y[i] / 1e6, X[i] / 1e6],
                                      L.extend({k: i}, styles[D.k[i]])));
}
group.options.plannerStations = X.length;
map.getContainer().classList.add('planner-compact-stations');
group.bindTooltip(function (l) { return D.n[l.options.k]; });
group.on('click', function (e) {
  L.popup({maxWidth: 300}).setLatLng(e.layer.getLatLng())
    .setContent(popup(e.layer.options.k)).openOn(map);
});
if (on) { map.addLayer(group); }
})();"""


def draws_compact(n: int, compact_above: int | None) -> bool:
    """Return whether ``n`` stations are drawn as the compact layer (``None``: never)."""
    return compact_above is not None and n > compact_above


def _micro(values: np.ndarray) -> list[int]:
    """Micro-degrees of each value, with the digits ``f"{v:.6f}"`` prints (popups copy them)."""
    return [int(f"{v:.6f}".replace(".", "")) for v in values.tolist()]


def _compact_table(
    points: gpd.GeoDataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    names: list[str],
    keys: np.ndarray,
    display: str,
    datum: str,
    language: Language,
) -> dict[str, Any]:
    """Return the stations as columns: positions, kind and hours indices, escaped names."""
    labels = labels_for(language)
    sep = labels["sep"]
    x = points.geometry.x.to_numpy()
    y = points.geometry.y.to_numpy()
    table: dict[str, Any] = {"x": _micro(x), "y": _micro(y)}
    coords = []
    if datum != "wgs84":
        ux, uy = from_wgs84(x, y, datum)
        table |= {"ux": _micro(np.asarray(ux)), "uy": _micro(np.asarray(uy))}
        coords.append((datum, "ux", "uy"))
    coords.append(("wgs84", "x", "y"))
    table["coords"] = [
        [
            f"{labels['coordinates']} {escape_html(datum_label(name, language))}{sep}"
            '<span class="planner-coords">',
            cx,
            cy,
        ]
        for name, cx, cy in coords
    ]
    if display == "wgs84":
        table["at"] = ["x", "y"]
    elif display == datum:
        table["at"] = ["ux", "uy"]
    else:
        table |= {"dx": _micro(lon), "dy": _micro(lat), "at": ["dx", "dy"]}
    kinds = sorted(set(keys.tolist()))
    table["kinds"] = [
        [escape_html(labels[k]), STATION_COLOURS[k], *_SHAPES.get(k, _SHAPES["other"])]
        for k in kinds
    ]
    table["k"] = pd.Index(kinds).get_indexer(keys).tolist()
    if "hours" in points.columns:
        hours = points["hours"].astype(object).where(points["hours"].notna(), None)
        distinct = sorted({str(h) for h in hours if h is not None})
        where = {h: k for k, h in enumerate(distinct)}
        table["h"] = [-1 if h is None else where[str(h)] for h in hours]
        table["hours"] = [escape_html(h) for h in distinct]
    else:
        table["h"] = [-1] * len(points)
        table["hours"] = []
    table["head_kind"] = f"{labels['kind']}{sep}"
    table["head_hours"] = f"{labels['hours']}{sep}"
    table["n"] = [escape_html(n) for n in names]
    return table


def _add_compact(m: folium.Map, layer: Any, table: dict[str, Any]) -> None:
    # the table goes in as a value, never as template text (names may hold "{{")
    code = _COMPACT_JS % {
        "map": m.get_name(),
        "group": layer.get_name(),
        "data": script_json(table),
    }
    add_script(layer, code)


def _station_icon_html(key: str) -> str:
    colour = STATION_COLOURS[key]
    if key == "driver_home":
        return (
            f'<div style="width:14px;height:14px;margin:3px;background:{colour};'
            'border:2px solid #fff;transform:rotate(45deg);box-shadow:0 0 2px #000;"></div>'
        )
    text = "24" if key == "unattended" else ""
    return (
        f'<div style="width:16px;height:16px;background:{colour};border:2px solid #fff;'
        "box-shadow:0 0 2px #000;color:#fff;font:bold 9px/16px sans-serif;"
        f'text-align:center;">{text}</div>'
    )


def add_station_icons(
    m: folium.Map,
    stations: gpd.GeoDataFrame,
    *,
    language: Language = "en",
    name_column: str = "name",
    datum: str = "wgs84",
    compact_above: int | None = COMPACT_ABOVE,
    cluster_above: int = 500,
) -> folium.Map:
    """Add existing stations by type: icons (no web fonts), or one compact layer for many.

    Worker stations are blue squares, 24-hour unattended stations teal squares
    (marked "24" as icons), driver homes purple diamonds; each has a tooltip (its
    name) and a popup (name, type, hours, coordinates in ``datum`` and WGS84).
    Up to ``compact_above`` stations are drawn as one icon (a DOM marker) each;
    more are drawn as one compact layer: a table of the stations in the page,
    drawn on the map's canvas, whose tooltip and popup are built from the
    station's row when it is hovered or clicked (the same words). 10^4 stations
    then take about 0.5 MB of HTML and under a second to build, instead of
    about 15 MB and half a minute.

    Parameters
    ----------
    m
        The map.
    stations
        Point GeoDataFrame (any CRS) with ``kind`` and ``hours`` columns.
    language
        Labels' language.
    name_column
        The column with station names.
    datum
        The user's datum: popups give each station's coordinates in it (and in WGS84).
    compact_above
        Draw the compact layer when there are more stations than this; ``None``
        for icons whatever the number.
    cluster_above
        Icons only: cluster them when there are more stations than this.

    Returns
    -------
    folium.Map
        The same map.

    Examples
    --------
    >>> from planner import datasets
    >>> from planner.maps import new_map
    >>> stations = datasets.demo_stations()
    >>> m = new_map((112.8, 28.0, 113.0, 28.2), tiles=None)
    >>> page = add_station_icons(m, stations, compact_above=5).get_root().render()
    >>> "L.PlannerStation" in page, "planner-station" in page
    (True, False)
    """
    folium = load_folium()
    labels = labels_for(language)
    datum = normalize_datum(datum)
    points, lon, lat, names = _station_points(m, stations, name_column, language)
    keys = station_keys(points)
    layer = folium.FeatureGroup(name=labels["stations"])
    if draws_compact(len(points), compact_above):
        table = _compact_table(points, lon, lat, names, keys, display_datum(m), datum, language)
        _add_compact(m, layer, table)
        layer.add_to(m)
        return m
    target: Any = layer
    if len(points) > cluster_above:
        from folium.plugins import MarkerCluster

        target = MarkerCluster(control=False).add_to(layer)
    for k, (_, row) in enumerate(points.iterrows()):
        key = keys[k]
        name = names[k]
        coords = coords_html(row.geometry.x, row.geometry.y, datum, labels, language)
        folium.Marker(
            location=[lat[k], lon[k]],
            icon=folium.DivIcon(
                html=_station_icon_html(key),
                icon_size=(20, 20),
                icon_anchor=(10, 10),
                class_name="planner-station",
            ),
            tooltip=escape_html(name),
            popup=folium.Popup(_station_popup(row, name, key, labels, coords), max_width=300),
        ).add_to(target)
    layer.add_to(m)
    return m


def add_stations(
    m: folium.Map,
    stations: gpd.GeoDataFrame,
    *,
    language: Language = "en",
    name_column: str = "name",
    datum: str = "wgs84",
    compact_above: int | None = COMPACT_ABOVE,
) -> folium.Map:
    """Add existing stations as coloured circle markers with popups.

    More than ``compact_above`` stations are drawn as one compact canvas layer
    instead, as on plan maps (see :func:`planner.maps.add_station_icons`).

    Station types come from a ``kind`` column (``worker_station``, ``driver_home``)
    and 24-hour stations from ``hours == "24/7"``.

    Parameters
    ----------
    m
        The map.
    stations
        Point GeoDataFrame (any CRS).
    language
        Labels' language.
    name_column
        The column with station names.
    datum
        The user's datum: popups give each station's coordinates in it (and in WGS84).
    compact_above
        Draw the compact layer above this many stations (``None``: never).

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = load_folium()
    if compact_above is not None and len(stations) > compact_above:
        return add_station_icons(
            m,
            stations,
            language=language,
            name_column=name_column,
            datum=datum,
            compact_above=compact_above,
        )
    labels = labels_for(language)
    datum = normalize_datum(datum)
    points, lon, lat, names = _station_points(m, stations, name_column, language)
    keys = station_keys(points)
    layer = folium.FeatureGroup(name=labels["stations"])
    for k, (_, row) in enumerate(points.iterrows()):
        key = keys[k]
        name = names[k]
        coords = coords_html(row.geometry.x, row.geometry.y, datum, labels, language)
        folium.CircleMarker(
            location=[lat[k], lon[k]],
            radius=8 if key == "driver_home" else 6,
            color="white",
            weight=1.5,
            fill=True,
            fill_color=STATION_COLOURS[key],
            fill_opacity=0.95,
            tooltip=escape_html(name),
            popup=folium.Popup(_station_popup(row, name, key, labels, coords), max_width=300),
        ).add_to(layer)
    layer.add_to(m)
    return m
