"""Map building blocks: an empty map, titles, legends, attributions, roads and stations.

Every function only styles what it is given: nothing here computes access,
coverage or sites. Functions that add to a map take ``m`` and return it, so
layers can go onto a map the user already has (as with ``GeoDataFrame.explore``).
:mod:`planner.maps` re-exports the public ones and builds plan maps from them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputError
from planner._map_labels import (
    Language,
    datum_label,
    escape_html,
    kind_label,
    labels_for,
)
from planner.crs import WGS84, from_wgs84, normalize_datum

if TYPE_CHECKING:
    import folium


__all__ = [
    "AMAP_TILES",
    "COMPACT_ABOVE",
    "OSM_ATTRIBUTION",
    "ROAD_LEGEND",
    "STATION_COLOURS",
    "Language",
    "add_attribution",
    "add_layer_control",
    "add_legend",
    "add_script",
    "add_title",
    "coords_html",
    "display_datum",
    "labels_for",
    "load_folium",
    "map_figure",
    "new_map",
    "script_json",
    "station_key",
    "station_keys",
    "to_display",
    "to_geojson",
]


# branca renders a script element's text as a template once more: "{{", "{%" and "{#"
# must not reach it (road polylines and station names may hold them)
_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")


def script_json(value: Any) -> str:
    r"""Return ``value`` as JSON safe inside an inline ``<script>`` of a folium page.

    No ``</`` (it would close the script) and no ``{{``, ``{%`` or ``{#`` (branca
    renders the script as a template once more): ``{`` before them is written as
    the JSON escape ``\u007b``, which JavaScript reads back as ``{``. Outside
    strings, JSON has ``{`` only before ``"`` or ``}``, so only strings change.
    """
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return _TEMPLATE_OPEN.sub(r"\\u007b", data)


def add_script(parent: Any, code: str) -> None:
    """Add JavaScript ``code`` to a folium element, as a value, never as template text."""
    from branca.element import MacroElement
    from jinja2 import Template

    class _Script(MacroElement):
        _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    parent.add_child(_Script(code))


OSM_ATTRIBUTION = "Road data © OpenStreetMap contributors (ODbL)"

# road classes, most important first -> (legend key, colour, line weight); muted greys
# and browns, none of them a colour of stations, sites, areas or routes
_ROAD_CLASSES: Mapping[str, tuple[str, str, float]] = {
    "motorway": ("expressway", "#454545", 3.5),
    "trunk": ("freight", "#8d7b68", 3.0),
    "motorway_link": ("expressway", "#454545", 2.0),
    "trunk_link": ("freight", "#8d7b68", 2.0),
    "primary": ("arterial", "#85929e", 2.5),
    "secondary": ("arterial", "#99a3a4", 2.0),
    "primary_link": ("arterial", "#85929e", 1.5),
    "secondary_link": ("arterial", "#99a3a4", 1.5),
    "tertiary": ("arterial", "#a6acaf", 1.5),
}
_LOCAL = ("local", "#bfc5c9", 1.0)
_PATH = ("path", "#c9ced3", 0.8)
_PATH_CLASSES = frozenset({"footway", "path", "pedestrian", "steps", "cycleway", "track"})
ROAD_LEGEND: Mapping[str, str] = {
    "expressway": "#454545",
    "freight": "#8d7b68",
    "arterial": "#85929e",
    "local": _LOCAL[1],
}

# more existing stations than this: one compact canvas layer instead of a marker each
COMPACT_ABOVE = 500

STATION_COLOURS: Mapping[str, str] = {
    "worker_station": "#2471a3",
    "driver_home": "#7d3c98",
    "unattended": "#148f77",
    "other": "#566573",
}

# Amap (Gaode) road map tiles: GCJ-02, Chinese labels
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
# phones: narrow pages keep the boxes small; the layer control and legend start closed.
# The heat map's canvas lets the mouse through, so that the tooltips of what lies under
# it work; it is drawn over the vector canvas (leaflet.css puts every canvas of a pane at
# z-index 100: the -1 does not hold), except on maps whose stations are drawn as a
# compact layer on that canvas, where it goes under them (roads, hexagons, areas too).
NARROW_PX = 700
_PAGE_CSS = f"""<style>
.leaflet-container{{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",
"Noto Sans CJK SC",sans-serif;}}
.planner-title{{max-width:calc(100vw - 140px);}}
.leaflet-heatmap-layer{{pointer-events:none;z-index:-1;}}
.planner-compact-stations .leaflet-pane>canvas.leaflet-heatmap-layer{{z-index:99;}}
.planner-coords{{user-select:all;-webkit-user-select:all;font-family:monospace;}}
@media (max-width:{NARROW_PX}px){{
.planner-title{{font-size:13px !important;padding:4px 8px !important;}}
.planner-legend{{max-width:calc(100vw - 40px);max-height:45vh;overflow:auto;}}
.planner-message{{left:10px !important;right:10px;max-width:none !important;top:auto !important;
bottom:120px;}}
.leaflet-control-attribution{{font-size:9px;max-width:calc(100vw - 110px);}}
.leaflet-tooltip{{white-space:normal;max-width:200px;}}
.leaflet-tooltip table{{white-space:normal;}}
}}
</style>"""
_VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1" />'


def map_figure(m: folium.Map) -> Any:
    """Return the HTML figure holding the map (typed loosely: branca is untyped)."""
    return m.get_root()


def load_folium() -> Any:
    """Import folium, with an install hint when it is missing."""
    try:
        import folium
    except ImportError as error:  # pragma: no cover - folium is a core dependency
        msg = "maps need folium: pip install folium"
        raise ImportError(msg) from error
    return folium


@functools.cache
def _map_class() -> type:
    base: Any = load_folium().Map

    class PlannerMap(base):
        """A folium map that knows its display datum and renders offline in notebooks."""

        display_datum = "wgs84"
        language = "en"

        def _repr_html_(self, **kwargs: Any) -> str:
            from planner._page import notebook_html

            return notebook_html(self)

    return PlannerMap


def display_datum(m: folium.Map) -> str:
    """Return the datum a map draws in (``"gcj02"`` on Amap tiles, else ``"wgs84"``)."""
    return str(getattr(m, "display_datum", "wgs84"))


def to_display(m: folium.Map, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 coordinates into the map's display datum (arrays)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    datum = display_datum(m)
    if datum == "wgs84":
        return lon, lat
    return from_wgs84(lon, lat, datum)


def new_map(
    bounds: tuple[float, float, float, float],
    *,
    tiles: str | None = "OpenStreetMap",
    attribution: str = OSM_ATTRIBUTION,
    language: Language = "en",
) -> folium.Map:
    """Create an empty map fitted to a WGS84 box, with a metric scale bar.

    The page has a ``<title>``, a phone viewport and styles that keep the boxes
    small on narrow screens; in notebooks it renders with Leaflet embedded (no
    internet needed).

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)``.
    tiles
        A folium/xyzservices tile name (``"OpenStreetMap"``), ``"amap"`` for
        Amap/Gaode tiles (GCJ-02: every layer added later is shifted to GCJ-02 so
        that it lines up), or ``None`` / ``"none"`` for no basemap (offline use).
    attribution
        Data attribution shown in the corner (tile attribution is added by folium).
    language
        The page's language, ``"en"`` or ``"zh"``.

    Returns
    -------
    folium.Map
        The map.

    Examples
    --------
    >>> m = new_map((112.8, 28.0, 113.0, 28.2), tiles=None)
    >>> type(m).__name__
    'PlannerMap'
    """
    folium = load_folium()
    labels = labels_for(language)
    if isinstance(tiles, str) and tiles.strip().lower() == "none":
        tiles = None
    amap = isinstance(tiles, str) and tiles.strip().lower() in {"amap", "gaode", "autonavi"}
    m = _map_class()(location=[0, 0], tiles=None, control_scale=False, prefer_canvas=True)
    m.language = language
    if amap:
        m.display_datum = "gcj02"
    figure = map_figure(m)
    figure.title = escape_html(labels["title_default"])
    figure.header.add_child(folium.Element(_VIEWPORT), name="viewport")
    figure.header.add_child(folium.Element(_PAGE_CSS), name="planner_css")
    if amap:
        folium.TileLayer(
            AMAP_TILES,
            attr=labels["basemap_amap"],
            name="Basemap",
            control=False,
            subdomains="1234",
            max_zoom=18,
        ).add_to(m)
    elif tiles is not None:
        folium.TileLayer(tiles, name="Basemap", control=False).add_to(m)
    else:
        figure.header.add_child(
            folium.Element("<style>.leaflet-container{background:#f4f6f6 !important;}</style>")
        )
        # without tiles Leaflet has no highest zoom, which clustered markers need
        m.options["max_zoom"] = 19
    west, south, east, north = bounds
    xs, ys = to_display(m, [west, east], [south, north])
    m.location = [float(ys.mean()), float(xs.mean())]
    # wide screens: keep the plan clear of the layer control and legend on the right
    fit = json.dumps([[float(ys[0]), float(xs[0])], [float(ys[1]), float(xs[1])]])
    _add_script(
        m,
        f"{m.get_name()}.fitBounds({fit}, window.matchMedia('(max-width: {NARROW_PX}px)')"
        ".matches ? {padding: [20, 20]} : {paddingTopLeft: [60, 60], "
        "paddingBottomRight: [330, 40]});",
    )
    name = m.get_name()
    _add_script(m, f"L.control.scale({{metric: true, imperial: false}}).addTo({name});")
    # Leaflet's own words in the page's language
    for css, key in (("zoom-in", "zoom_in"), ("zoom-out", "zoom_out")):
        _add_script(
            m,
            f"{name}.getContainer().querySelectorAll('.leaflet-control-{css}').forEach(e => "
            f"{{e.title = {json.dumps(labels[key])}; "
            f"e.setAttribute('aria-label', {json.dumps(labels[key])});}});",
        )
    _add_script(
        m, f"{name}.attributionControl.setPrefix('<a href=\"https://leafletjs.com\">Leaflet</a>');"
    )
    add_attribution(m, attribution)
    return m


def _add_script(m: folium.Map, code: str) -> None:
    from branca.element import MacroElement
    from jinja2 import Template

    element = MacroElement()
    element._template = Template("{% macro script(this, kwargs) %}" + code + "{% endmacro %}")
    m.add_child(element)


def add_layer_control(m: folium.Map) -> folium.Map:
    """Add the layer control: open on wide screens, a button on phones.

    Parameters
    ----------
    m
        The map (add the control after its layers).

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = load_folium()
    from folium.template import Template

    control = folium.LayerControl(collapsed=False)
    # folium's own template, with "collapsed" decided by the screen's width
    control._template = Template(
        _LAYER_CONTROL_TEMPLATE.replace(
            "{{ this.options|tojavascript }}",
            "Object.assign({{ this.options|tojavascript }}, "
            f'{{collapsed: window.matchMedia("(max-width: {NARROW_PX}px)").matches}})',
        )
    )
    control.add_to(m)
    title = json.dumps(labels_for(getattr(m, "language", "en"))["layers"])
    _add_script(
        m,
        f"{m.get_name()}.getContainer().querySelectorAll('.leaflet-control-layers-toggle')"
        f".forEach(e => {{e.title = {title}; e.setAttribute('aria-label', {title});}});",
    )
    return m


_LAYER_CONTROL_TEMPLATE = """
{% macro script(this,kwargs) %}
    var {{ this.get_name() }}_layers = {
        base_layers : {
            {%- for key, val in this.base_layers.items() %}
            {{ key|tojson }} : {{val}},
            {%- endfor %}
        },
        overlays :  {
            {%- for key, val in this.overlays.items() %}
            {{ key|tojson }} : {{val}},
            {%- endfor %}
        },
    };
    let {{ this.get_name() }} = L.control.layers(
        {{ this.get_name() }}_layers.base_layers,
        {{ this.get_name() }}_layers.overlays,
        {{ this.options|tojavascript }}
    ).addTo({{this._parent.get_name()}});
{% endmacro %}
"""


def add_attribution(m: folium.Map, text: str) -> folium.Map:
    """Add a data source's attribution to the map's attribution corner.

    Parameters
    ----------
    m
        The map.
    text
        The attribution, e.g. ``"© OpenStreetMap contributors"``.

    Returns
    -------
    folium.Map
        The same map.
    """
    _add_script(m, f"{m.get_name()}.attributionControl.addAttribution({json.dumps(text)});")
    return m


def add_title(m: folium.Map, title: str, *, subtitle: str | None = None) -> folium.Map:
    """Put a title box at the top of the map (and the page's ``<title>``).

    Parameters
    ----------
    m
        The map.
    title
        The title (e.g. the scenario name).
    subtitle
        A second line (e.g. "synthetic demo region" or the data date).

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = load_folium()
    sub = (
        f'<div style="font-size:12px;font-weight:normal;color:#555;">{escape_html(subtitle)}</div>'
        if subtitle
        else ""
    )
    figure = map_figure(m)
    figure.title = escape_html(title)
    figure.html.add_child(
        folium.Element(
            '<div class="planner-title" style="position:fixed;top:10px;left:54px;z-index:1000;'
            "background:rgba(255,255,255,.9);padding:6px 10px;border-radius:4px;"
            'font:600 15px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"{escape_html(title)}{sub}</div>"
        )
    )
    return m


LegendItems = Mapping[str, "str | Mapping[str, str]"]


def add_legend(m: folium.Map, items: LegendItems, *, title: str = "Legend") -> folium.Map:
    """Add a legend box of coloured entries at the bottom right (closed on phones).

    Parameters
    ----------
    m
        The map.
    items
        Label to CSS colour (``"transparent"`` for a line of text), or label to a
        mapping of class label to colour (a heading with its classes below).
    title
        The legend's heading.

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = load_folium()

    def row(label: str, colour: str, indent: bool = False) -> str:
        swatch = (
            f'<span style="display:inline-block;width:18px;height:10px;margin-right:6px;'
            f'background:{colour};border-radius:2px;"></span>'
        )
        pad = "padding-left:12px;" if indent else ""
        return f'<div style="{pad}">{swatch}{escape_html(label)}</div>'

    rows = []
    for label, value in items.items():
        if isinstance(value, str):
            rows.append(row(label, value))
        else:
            rows.append(f"<div>{escape_html(label)}</div>")
            rows.extend(row(k, c, indent=True) for k, c in value.items())
    map_figure(m).html.add_child(
        folium.Element(
            '<div class="planner-legend" style="position:fixed;bottom:24px;right:10px;'
            "z-index:1000;background:rgba(255,255,255,.92);padding:6px 10px;border-radius:4px;"
            'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"<details><summary><b>{escape_html(title)}</b></summary>{''.join(rows)}</details>"
            "</div>"
        )
    )
    # open on wide screens; on phones a tap on the heading opens it
    map_figure(m).script.add_child(
        folium.Element(
            f'if (!window.matchMedia("(max-width: {NARROW_PX}px)").matches) '
            "document.querySelectorAll('.planner-legend details').forEach(d => d.open = true);"
        ),
        name="planner_legend_open",
    )
    return m


def to_geojson(frame: gpd.GeoDataFrame, *, datum: str = "wgs84") -> dict[str, Any]:
    """GeoJSON of a WGS84 frame, light: coordinates to 1e-6 degrees (~0.1 m), no bboxes.

    ``datum="gcj02"`` shifts the coordinates (for Amap tiles).
    """
    geoms = frame.geometry.to_numpy()
    if normalize_datum(datum) != "wgs84":
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], datum))
        )
    light = frame.set_geometry(shapely.set_precision(geoms, 1e-6), crs=frame.crs)
    data: dict[str, Any] = json.loads(light.to_json(drop_id=True, show_bbox=False, na="null"))
    return data


def station_key(row: pd.Series) -> str:
    """Return a station's legend key from its ``kind`` and ``hours`` columns."""
    kind = str(row.get("kind", "worker_station") or "worker_station")
    hours = str(row.get("hours", "") or "").replace(" ", "").lower()
    if kind == "worker_station" and hours in {"24/7", "00:00-24:00", "24h"}:
        return "unattended"
    return kind if kind in STATION_COLOURS else "other"


def station_keys(stations: pd.DataFrame) -> np.ndarray:
    """Return every station's legend key (:func:`station_key` of each row, at once)."""
    n = len(stations)

    def column(name: str) -> pd.Series:
        if name not in stations.columns:
            return pd.Series([""] * n, index=stations.index, dtype=object)
        values = stations[name]
        return values.where(values.notna() & (values.astype(str) != ""), "").astype(str)

    kind = column("kind").replace("", "worker_station")
    hours = column("hours").str.replace(" ", "", regex=False).str.lower()
    keys = np.where(kind.isin(list(STATION_COLOURS)), kind.to_numpy(), "other").astype(object)
    keys[(kind == "worker_station").to_numpy() & hours.isin(_ALWAYS_OPEN).to_numpy()] = "unattended"
    return keys


_ALWAYS_OPEN = ("24/7", "00:00-24:00", "24h")


def station_names(stations: pd.DataFrame, name_column: str, language: Language) -> list[str]:
    """Every station's name; unnamed ones are called by their kind and index ("Driver home 7")."""
    values = (
        stations[name_column]
        if name_column in stations.columns
        else pd.Series([None] * len(stations), index=stations.index, dtype=object)
    )
    kinds = stations["kind"] if "kind" in stations.columns else [None] * len(stations)
    out = []
    for idx, value, kind in zip(stations.index, values, kinds, strict=True):
        missing = value is None or (isinstance(value, float) and np.isnan(value))
        out.append(kind_label(kind, language) + f" {idx}" if missing else str(value))
    return out


def _station_points(
    m: folium.Map, stations: gpd.GeoDataFrame, name_column: str, language: Language
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray, list[str]]:
    if stations.crs is None:
        raise InputError(
            "stations have no CRS.", field="geometry", fix="set one, e.g. set_crs(4326)."
        )
    points = stations.to_crs(WGS84)
    lon, lat = to_display(m, points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    return points, lon, lat, station_names(points, name_column, language)


def coords_html(
    lon: float, lat: float, datum: str, labels: Mapping[str, str], language: Language
) -> str:
    """Coordinates in the user's datum (and WGS84), lon,lat with 6 decimals, to copy."""
    lines = []
    for name in [datum, "wgs84"] if datum != "wgs84" else ["wgs84"]:
        x, y = (lon, lat) if name == "wgs84" else from_wgs84(lon, lat, name)
        lines.append(
            f"{labels['coordinates']} {escape_html(datum_label(name, language))}{labels['sep']}"
            f'<span class="planner-coords">{x:.6f},{y:.6f}</span>'
        )
    return "<br>".join(lines)


def _station_popup(
    row: pd.Series, name: str, key: str, labels: Mapping[str, str], coords: str
) -> str:
    sep = labels["sep"]
    lines = [f"<b>{escape_html(name)}</b>", f"{labels['kind']}{sep}{labels[key]}"]
    if "hours" in row and pd.notna(row["hours"]):
        lines.append(f"{labels['hours']}{sep}{escape_html(str(row['hours']))}")
    return "<br>".join([*lines, coords])
