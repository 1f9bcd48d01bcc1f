"""Map building blocks: an empty map, titles, legends, attributions, roads and stations.

Every function only styles what it is given: nothing here computes access,
coverage or sites. Functions that add to a map take ``m`` and return it, so
layers can go onto a map the user already has (as with ``GeoDataFrame.explore``).
:mod:`planner.maps` re-exports the public ones and builds plan maps from them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputError
from planner.crs import WGS84

if TYPE_CHECKING:
    import folium

    from planner.network import RoadNetwork

__all__ = [
    "OSM_ATTRIBUTION",
    "STATION_COLOURS",
    "Language",
    "add_attribution",
    "add_legend",
    "add_roads",
    "add_station_icons",
    "add_stations",
    "add_title",
    "labels_for",
    "load_folium",
    "map_figure",
    "network_map",
    "new_map",
    "station_key",
    "to_geojson",
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
        "heat": "Demand (heat map)",
        "uncovered": "Uncovered demand (hexagons)",
        "areas_before": "Service areas before",
        "areas_after": "Service areas after (new sites)",
        "routes": "Freight routes (trucks/day)",
        "new_worker_station": "Recommended worker stations",
        "new_driver_home": "Recommended driver homes",
        "rank": "Rank",
        "phase": "Phase",
        "added": "Demand added",
        "added_trucks": "Trucks/day captured",
        "cumulative": "Cumulative coverage",
        "nearest": "Nearest existing station",
        "passing": "Trucks/day passing",
        "empty": "Nothing to show",
        "no_sites": "No new sites recommended",
        "covered": "Covered",
        "before": "before",
        "after": "after",
        "volume": "trucks/day",
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
        "heat": "需求热力图",
        "uncovered": "未覆盖需求（六边形）",
        "areas_before": "现有服务范围",
        "areas_after": "新增服务范围（新站点）",
        "routes": "货运线路（辆/日）",
        "new_worker_station": "推荐新建服务站",
        "new_driver_home": "推荐新建司机之家",
        "rank": "排名",
        "phase": "建设阶段",
        "added": "新增覆盖需求",
        "added_trucks": "新增覆盖货车（辆/日）",
        "cumulative": "累计覆盖率",
        "nearest": "最近的现有站点",
        "passing": "途经货车（辆/日）",
        "empty": "无可显示内容",
        "no_sites": "未推荐新站点",
        "covered": "覆盖率",
        "before": "建设前",
        "after": "建设后",
        "volume": "辆/日",
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

STATION_COLOURS: Mapping[str, str] = {
    "worker_station": "#2471a3",
    "driver_home": "#7d3c98",
    "unattended": "#148f77",
    "other": "#566573",
}


def map_figure(m: folium.Map) -> Any:
    """Return the HTML figure holding the map (typed loosely: branca is untyped)."""
    return m.get_root()


def labels_for(language: Language) -> Mapping[str, str]:
    """Return the map labels in a language, or raise naming the languages there are."""
    if language not in _LABELS:
        raise InputError(
            f"language must be one of {sorted(_LABELS)}, got {language!r}.", field="language"
        )
    return _LABELS[language]


def load_folium() -> Any:
    """Import folium, with an install hint when it is missing."""
    try:
        import folium
    except ImportError as error:  # pragma: no cover - folium is a core dependency
        msg = "maps need folium: pip install folium"
        raise ImportError(msg) from error
    return folium


def new_map(
    bounds: tuple[float, float, float, float],
    *,
    tiles: str | None = "OpenStreetMap",
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
    folium = load_folium()
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
        map_figure(m).header.add_child(
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
    folium = load_folium()
    sub = (
        f'<div style="font-size:12px;color:#555;">{html.escape(subtitle)}</div>' if subtitle else ""
    )
    map_figure(m).html.add_child(
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
    folium = load_folium()
    rows = "".join(
        f'<div><span style="display:inline-block;width:18px;height:10px;margin-right:6px;'
        f'background:{colour};border-radius:2px;"></span>{html.escape(label)}</div>'
        for label, colour in items.items()
    )
    map_figure(m).html.add_child(
        folium.Element(
            '<div class="planner-legend" style="position:fixed;bottom:24px;right:10px;'
            "z-index:1000;background:rgba(255,255,255,.9);padding:6px 10px;border-radius:4px;"
            'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"<details open><summary><b>{html.escape(title)}</b></summary>{rows}</details></div>"
        )
    )
    return m


def to_geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """GeoJSON of a WGS84 frame, light: coordinates to 1e-6 degrees (~0.1 m), no bboxes."""
    light = frame.set_geometry(shapely.set_precision(frame.geometry.to_numpy(), 1e-6))
    data: dict[str, Any] = json.loads(light.to_json(drop_id=True, show_bbox=False, na="null"))
    return data


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
    folium = load_folium()
    labels = labels_for(language)
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
        to_geojson(frame),
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


def station_key(row: pd.Series) -> str:
    """Return a station's legend key from its ``kind`` and ``hours`` columns."""
    kind = str(row.get("kind", "worker_station") or "worker_station")
    hours = str(row.get("hours", "") or "").replace(" ", "").lower()
    if kind == "worker_station" and hours in {"24/7", "00:00-24:00", "24h"}:
        return "unattended"
    return kind if kind in STATION_COLOURS else "other"


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
    folium = load_folium()
    labels = labels_for(language)
    if stations.crs is None:
        raise InputError(
            "stations have no CRS.", field="geometry", fix="set one, e.g. set_crs(4326)."
        )
    points = stations.to_crs(WGS84)
    layer = folium.FeatureGroup(name=labels["stations"])
    for idx, row in points.iterrows():
        key = station_key(row)
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
            fill_color=STATION_COLOURS[key],
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
    tiles: str | None = "OpenStreetMap",
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
    folium = load_folium()
    labels = labels_for(language)
    if m is None:
        m = new_map(network.bounds, tiles=tiles, attribution=attribution)
    add_roads(m, network, language=language)
    legend = {labels["expressway"]: "#c0392b", labels["freight"]: "#e67e22"}
    legend |= {labels["arterial"]: "#7f8c8d"}
    legend |= {labels["local"]: _LOCAL[1]}
    if stations is not None and len(stations):
        add_stations(m, stations, language=language)
        keys = sorted({station_key(row) for _, row in stations.iterrows()})
        legend |= {labels[k]: STATION_COLOURS[k] for k in keys}
    if title:
        add_title(m, title, subtitle=subtitle)
    add_legend(m, legend, title=labels["legend"])
    folium.LayerControl(collapsed=False).add_to(m)
    return m


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
    cluster_above: int = 500,
) -> folium.Map:
    """Add existing stations as type icons (no web fonts): squares, diamonds, "24" squares.

    Worker stations are blue squares, 24-hour unattended stations teal squares
    marked "24", driver homes purple diamonds. More than ``cluster_above``
    stations are clustered.

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
    cluster_above
        Cluster markers when there are more stations than this.

    Returns
    -------
    folium.Map
        The same map.
    """
    folium = load_folium()
    labels = labels_for(language)
    if stations.crs is None:
        raise InputError(
            "stations have no CRS.", field="geometry", fix="set one, e.g. set_crs(4326)."
        )
    points = stations.to_crs(WGS84)
    layer = folium.FeatureGroup(name=labels["stations"])
    target: Any = layer
    if len(points) > cluster_above:
        from folium.plugins import MarkerCluster

        target = MarkerCluster(control=False).add_to(layer)
    for idx, row in points.iterrows():
        key = station_key(row)
        name = str(row.get(name_column, idx))
        lines = [f"<b>{html.escape(name)}</b>", f"{labels['kind']}: {labels[key]}"]
        if "hours" in row and pd.notna(row["hours"]):
            lines.append(f"{labels['hours']}: {html.escape(str(row['hours']))}")
        folium.Marker(
            location=[row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=_station_icon_html(key),
                icon_size=(20, 20),
                icon_anchor=(10, 10),
                class_name="planner-station",
            ),
            tooltip=html.escape(name),
            popup=folium.Popup("<br>".join(lines), max_width=300),
        ).add_to(target)
    layer.add_to(m)
    return m
