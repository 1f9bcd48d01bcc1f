"""Interactive folium maps: roads, stations, titles, legends, and offline saving.

Every function only styles what it is given: nothing here computes access,
coverage or sites. Functions that add to a map take ``m`` and return it, so
layers can go onto a map the user already has (as with ``GeoDataFrame.explore``).
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError
from planner.crs import WGS84

if TYPE_CHECKING:
    import folium

    from planner.network import RoadNetwork

__all__ = [
    "OSM_ATTRIBUTION",
    "add_attribution",
    "add_legend",
    "add_roads",
    "add_stations",
    "add_title",
    "network_map",
    "new_map",
    "save_map",
]

OSM_ATTRIBUTION = "Road data © OpenStreetMap contributors (ODbL)"

Language = Literal["en", "zh"]

_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "roads": "Roads",
        "stations": "Existing stations",
        "worker_station": "Worker station",
        "driver_home": "Driver home",
        "unattended": "24-hour unattended station",
        "other": "Other station",
        "hours": "Hours",
        "kind": "Type",
        "expressway": "Expressway",
        "freight": "National / trunk road",
        "arterial": "Arterial road",
        "local": "Local street",
        "path": "Footway / path",
        "legend": "Legend",
    },
    "zh": {
        "roads": "道路",
        "stations": "现有站点",
        "worker_station": "户外劳动者服务站",
        "driver_home": "司机之家",
        "unattended": "24小时无人值守站",
        "other": "其他站点",
        "hours": "开放时间",
        "kind": "类型",
        "expressway": "高速公路",
        "freight": "国道 / 干线公路",
        "arterial": "主干道",
        "local": "支路",
        "path": "步行道",
        "legend": "图例",
    },
}

# road classes -> (legend key, colour, line weight)
_ROAD_CLASSES: Mapping[str, tuple[str, str, float]] = {
    "motorway": ("expressway", "#c0392b", 3.5),
    "motorway_link": ("expressway", "#c0392b", 2.0),
    "trunk": ("freight", "#e67e22", 3.0),
    "trunk_link": ("freight", "#e67e22", 2.0),
    "primary": ("arterial", "#7f8c8d", 2.5),
    "primary_link": ("arterial", "#7f8c8d", 1.5),
    "secondary": ("arterial", "#95a5a6", 2.0),
    "secondary_link": ("arterial", "#95a5a6", 1.5),
    "tertiary": ("arterial", "#a6acaf", 1.5),
}
_LOCAL = ("local", "#aab0b6", 1.0)
_PATH = ("path", "#d5d8dc", 0.8)
_PATH_CLASSES = frozenset({"footway", "path", "pedestrian", "steps", "cycleway", "track"})

_STATION_COLOURS: Mapping[str, str] = {
    "worker_station": "#2471a3",
    "driver_home": "#7d3c98",
    "unattended": "#148f77",
    "other": "#566573",
}


def _figure(m: folium.Map) -> Any:
    """Return the HTML figure holding the map (typed loosely: branca is untyped)."""
    return m.get_root()


def _labels(language: Language) -> Mapping[str, str]:
    if language not in _LABELS:
        raise InputError(
            f"language must be one of {sorted(_LABELS)}, got {language!r}.", field="language"
        )
    return _LABELS[language]


def _folium() -> Any:
    try:
        import folium
    except ImportError as error:  # pragma: no cover - folium is a core dependency
        msg = "maps need folium: pip install folium"
        raise ImportError(msg) from error
    return folium


def new_map(
    bounds: tuple[float, float, float, float],
    *,
    tiles: str | None = "CartoDB positron",
    attribution: str = OSM_ATTRIBUTION,
) -> folium.Map:
    """Create an empty map fitted to a WGS84 box, with a scale bar.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)``.
    tiles
        A folium/xyzservices tile name, or ``None`` for no basemap (offline use).
    attribution
        Data attribution shown in the corner (tile attribution is added by folium).

    Returns
    -------
    folium.Map
        The map.

    Examples
    --------
    >>> m = new_map((112.8, 28.0, 113.0, 28.2), tiles=None)
    >>> type(m).__name__
    'Map'
    """
    folium = _folium()
    west, south, east, north = bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    if tiles is not None:
        folium.TileLayer(tiles, name="Basemap", control=False).add_to(m)
    else:
        _figure(m).header.add_child(
            folium.Element("<style>.leaflet-container{background:#f4f6f6 !important;}</style>")
        )
    m.fit_bounds([[south, west], [north, east]], padding=(40, 40))
    add_attribution(m, attribution)
    return m


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
    from branca.element import MacroElement
    from jinja2 import Template

    element = MacroElement()
    element._template = Template(
        "{% macro script(this, kwargs) %}"
        f"{m.get_name()}.attributionControl.addAttribution({json.dumps(text)});"
        "{% endmacro %}"
    )
    m.add_child(element)
    return m


def add_title(m: folium.Map, title: str, *, subtitle: str | None = None) -> folium.Map:
    """Put a title box at the top of the map.

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
    folium = _folium()
    sub = (
        f'<div style="font-size:12px;color:#555;">{html.escape(subtitle)}</div>' if subtitle else ""
    )
    _figure(m).html.add_child(
        folium.Element(
            '<div class="planner-title" style="position:fixed;top:10px;left:60px;z-index:1000;'
            "background:rgba(255,255,255,.9);padding:6px 10px;border-radius:4px;"
            'font:600 15px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"{html.escape(title)}{sub}</div>"
        )
    )
    return m


def add_legend(m: folium.Map, items: Mapping[str, str], *, title: str = "Legend") -> folium.Map:
    """Add a legend box of coloured entries at the bottom right.

    Parameters
    ----------
    m
        The map.
    items
        Label to CSS colour.
    title
        The legend's heading.

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = _folium()
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{colour};border-radius:2px;"></span>{html.escape(label)}</div>'
        for label, colour in items.items()
    )
    _figure(m).html.add_child(
        folium.Element(
            '<div class="planner-legend" style="position:fixed;bottom:24px;right:10px;'
            "z-index:1000;background:rgba(255,255,255,.9);padding:6px 10px;border-radius:4px;"
            'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"<b>{html.escape(title)}</b>{rows}</div>"
        )
    )
    return m


def _road_style(highway: Any) -> tuple[str, str, float]:
    values = highway if isinstance(highway, list) else [highway]
    for value in values:
        if value in _ROAD_CLASSES:
            return _ROAD_CLASSES[value]
    if all(v in _PATH_CLASSES for v in values):
        return _PATH
    return _LOCAL


def add_roads(
    m: folium.Map,
    network: RoadNetwork,
    *,
    language: Language = "en",
    simplify_m: float = 2.0,
) -> folium.Map:
    """Add the network's roads as one layer, coloured by road class.

    Parameters
    ----------
    m
        The map.
    network
        The road network.
    language
        Labels' language.
    simplify_m
        Geometry simplification tolerance in metres (keeps large maps light).

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = _folium()
    labels = _labels(language)
    edges = network.edges_gdf().reset_index()
    # one line per street: drop the reverse twin of two-way streets
    pair = np.sort(edges[["u", "v"]].to_numpy(), axis=1)
    edges = edges.loc[~pd.DataFrame(pair).duplicated().to_numpy()]
    styles = [_road_style(h) for h in edges["highway"]]
    names = edges["name"] if "name" in edges else pd.Series("", index=edges.index)
    frame = gpd.GeoDataFrame(
        {
            "class": [labels[s[0]] for s in styles],
            "colour": [s[1] for s in styles],
            "weight": [s[2] for s in styles],
            "name": [
                "/".join(map(str, n)) if isinstance(n, list) else ("" if pd.isna(n) else str(n))
                for n in names
            ],
        },
        geometry=edges.geometry.to_crs(network.crs).simplify(simplify_m).to_crs(WGS84).values,
        crs=WGS84,
    )
    # draw local streets first so main roads lie on top
    frame = frame.sort_values("weight", kind="stable")
    folium.GeoJson(
        frame.__geo_interface__,
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


def _station_key(row: pd.Series) -> str:
    kind = str(row.get("kind", "worker_station") or "worker_station")
    hours = str(row.get("hours", "") or "").replace(" ", "").lower()
    if kind == "worker_station" and hours in {"24/7", "00:00-24:00", "24h"}:
        return "unattended"
    return kind if kind in _STATION_COLOURS else "other"


def add_stations(
    m: folium.Map,
    stations: gpd.GeoDataFrame,
    *,
    language: Language = "en",
    name_column: str = "name",
) -> folium.Map:
    """Add existing stations as coloured circle markers with popups.

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

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = _folium()
    labels = _labels(language)
    if stations.crs is None:
        raise InputError(
            "stations have no CRS.", field="geometry", fix="set one, e.g. set_crs(4326)."
        )
    points = stations.to_crs(WGS84)
    layer = folium.FeatureGroup(name=labels["stations"])
    for idx, row in points.iterrows():
        key = _station_key(row)
        name = str(row.get(name_column, idx))
        lines = [f"<b>{html.escape(name)}</b>", f"{labels['kind']}: {labels[key]}"]
        if "hours" in row and pd.notna(row["hours"]):
            lines.append(f"{labels['hours']}: {html.escape(str(row['hours']))}")
        folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x],
            radius=8 if key == "driver_home" else 6,
            color="white",
            weight=1.5,
            fill=True,
            fill_color=_STATION_COLOURS[key],
            fill_opacity=0.95,
            tooltip=html.escape(name),
            popup=folium.Popup("<br>".join(lines), max_width=300),
        ).add_to(layer)
    layer.add_to(m)
    return m


def network_map(
    network: RoadNetwork,
    *,
    stations: gpd.GeoDataFrame | None = None,
    m: folium.Map | None = None,
    tiles: str | None = "CartoDB positron",
    title: str | None = None,
    subtitle: str | None = None,
    attribution: str = OSM_ATTRIBUTION,
    language: Language = "en",
) -> folium.Map:
    """Map a road network and, optionally, existing stations.

    Parameters
    ----------
    network
        The road network.
    stations
        Existing stations (points).
    m
        A map to add to; a new one fitted to the network when ``None``.
    tiles
        Basemap tiles, or ``None`` for none (offline).
    title, subtitle
        Title box text; ``None`` for no title.
    attribution
        Data attribution (OpenStreetMap by default).
    language
        Labels' language, ``"en"`` or ``"zh"``.

    Returns
    -------
    folium.Map
        The map, with a layer control.

    Examples
    --------
    >>> from planner import datasets
    >>> m = network_map(datasets.demo_network(), tiles=None)
    >>> "Roads" in m.get_root().render()
    True
    """
    folium = _folium()
    labels = _labels(language)
    if m is None:
        m = new_map(network.bounds, tiles=tiles, attribution=attribution)
    add_roads(m, network, language=language)
    legend = {labels["expressway"]: "#c0392b", labels["freight"]: "#e67e22"}
    legend |= {labels["arterial"]: "#7f8c8d"}
    legend |= {labels["local"]: _LOCAL[1]}
    if stations is not None and len(stations):
        add_stations(m, stations, language=language)
        keys = sorted({_station_key(row) for _, row in stations.iterrows()})
        legend |= {labels[k]: _STATION_COLOURS[k] for k in keys}
    if title:
        add_title(m, title, subtitle=subtitle)
    add_legend(m, legend, title=labels["legend"])
    folium.LayerControl(collapsed=False).add_to(m)
    return m


_ASSETS = {
    "jquery-3.7.1.min.js": "jquery.min.js",
    "leaflet.js": "leaflet.js",
    "leaflet.css": "leaflet.css",
    "leaflet.markercluster.js": "leaflet.markercluster.js",
    "MarkerCluster.css": "MarkerCluster.css",
    "MarkerCluster.Default.css": "MarkerCluster.Default.css",
    "leaflet_heat.min.js": "leaflet-heat.js",
    "leaflet-heat.js": "leaflet-heat.js",
}
_SCRIPT = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_STYLESHEET = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')


def _inline_assets(page: str) -> str:
    """Inline the vendored Leaflet assets; drop other remote scripts and styles.

    The dropped ones (Bootstrap, Font Awesome, awesome-markers) are not
    used by planner's layers.
    """
    static = resources.files("planner") / "_static"

    def script(match: re.Match[str]) -> str:
        name = match.group(1).rsplit("/", 1)[-1]
        if name in _ASSETS:
            code = (static / _ASSETS[name]).read_text(encoding="utf-8")
            return f"<script>{code}</script>"
        return f"<!-- offline: left out {html.escape(match.group(1))} -->"

    def style(match: re.Match[str]) -> str:
        name = match.group(1).rsplit("/", 1)[-1]
        if name in _ASSETS:
            css = (static / _ASSETS[name]).read_text(encoding="utf-8")
            return f"<style>{css}</style>"
        return f"<!-- offline: left out {html.escape(match.group(1))} -->"

    return _STYLESHEET.sub(style, _SCRIPT.sub(script, page))


def save_map(m: folium.Map, path: str | Path, *, offline: bool = False) -> Path:
    """Write a map to an HTML file atomically (whole or not at all).

    Parameters
    ----------
    m
        The map.
    path
        The HTML file to write; its folder is created.
    offline
        Embed Leaflet's JavaScript and CSS in the file so that it opens without
        internet (basemap tiles still need it: use ``tiles=None`` for none).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    page = m.get_root().render()
    if offline:
        page = _inline_assets(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(page)
        tmp = Path(handle.name)
    tmp.replace(path)
    return path
