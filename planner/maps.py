"""Interactive folium maps: roads, stations, titles, legends, and offline saving.

Every function only styles what it is given: nothing here computes access,
coverage or sites. Functions that add to a map take ``m`` and return it, so
layers can go onto a map the user already has (as with ``GeoDataFrame.explore``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._atomic import write_text
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
    "add_station_icons",
    "add_stations",
    "add_title",
    "network_map",
    "new_map",
    "plan_map",
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
        f'<div><span style="display:inline-block;width:18px;height:10px;margin-right:6px;'
        f'background:{colour};border-radius:2px;"></span>{html.escape(label)}</div>'
        for label, colour in items.items()
    )
    _figure(m).html.add_child(
        folium.Element(
            '<div class="planner-legend" style="position:fixed;bottom:24px;right:10px;'
            "z-index:1000;background:rgba(255,255,255,.9);padding:6px 10px;border-radius:4px;"
            'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"<details open><summary><b>{html.escape(title)}</b></summary>{rows}</details></div>"
        )
    )
    return m


def _geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
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
        _geojson(frame),
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


# ================================================================ plan maps
_NEW_COLOURS: Mapping[str, str] = {"worker_stations": "#e67e22", "driver_homes": "#c0392b"}
_AREA_COLOURS: Mapping[str, str] = {"before": "#2471a3", "after": "#e67e22"}
# phased plans: later phases darker (the last colour repeats beyond five phases)
_PHASE_COLOURS: tuple[str, ...] = ("#e67e22", "#ba6a1c", "#8e5316", "#633c10", "#3b250a")
_VOLUME_CLASSES: tuple[str, ...] = ("#fdd49e", "#fdae6b", "#f16913", "#d94801", "#7f2704")
_HEX_COLOURS: tuple[str, ...] = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")


def _station_icon_html(key: str) -> str:
    colour = _STATION_COLOURS[key]
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


def _rank_icon_html(rank: int, colour: str) -> str:
    return (
        f'<div class="planner-rank" style="width:24px;height:24px;border-radius:50%;'
        f"background:{colour};border:2px solid #fff;box-shadow:0 0 3px #000;color:#fff;"
        f'font:bold 12px/24px sans-serif;text-align:center;">{rank}</div>'
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
    folium = _folium()
    labels = _labels(language)
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
        key = _station_key(row)
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


def _classes(values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Class of each value among ``n`` quantile classes, and the class upper bounds."""
    if values.size == 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n + 1)[1:], method="inverted_cdf"))
    return np.searchsorted(edges, values, side="left").clip(0, len(edges) - 1), edges


def _span(classes: list[tuple[str, str]]) -> str:
    return classes[0][0] if len(classes) == 1 else f"{classes[0][0]} … {classes[-1][0]}"


def _gradient(colours: list[str]) -> str:
    if len(colours) == 1:
        return colours[0]
    return f"linear-gradient(90deg,{','.join(colours)})"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.2g}"


def _site_popup(row: pd.Series, result: Any, labels: Mapping[str, str]) -> str:
    title = row.get("name")
    kind = row.get("kind")
    if not (isinstance(title, str) and title):
        title = f"{kind} {row.name}" if isinstance(kind, str) else str(row.name)
    added = labels["added_trucks"] if result.programme == "driver_homes" else labels["added"]
    lines = [
        f"<b>{html.escape(title)}</b>",
        f"{labels['rank']}: {int(row['rank'])}",
        f"{added}: {row['added']:,.1f} ({row['added_share']:.1%})",
        f"{labels['cumulative']}: {row['cumulative_share']:.1%}",
    ]
    if "phase" in row and pd.notna(row["phase"]):
        lines.insert(2, f"{labels['phase']}: {int(row['phase'])}")
    if "passing_volume" in row and pd.notna(row["passing_volume"]):
        lines.append(f"{labels['passing']}: {row['passing_volume']:,.0f}")
    if pd.notna(row.get("nearest_station")):
        lines.append(
            f"{labels['nearest']}: {html.escape(str(row['nearest_station']))} "
            f"({row['nearest_station_m'] / 1000:,.1f} km)"
        )
    if "kind" in row and isinstance(row["kind"], str):
        lines.append(f"{labels['kind']}: {html.escape(row['kind'])}")
    return "<br>".join(lines)


def _fit_zoom(bounds: tuple[float, float, float, float], pixels: int = 900) -> int:
    """Return the zoom at which a box about fills ``pixels`` (Web Mercator, 256 px tiles)."""
    west, south, east, north = bounds
    span = max(east - west, (north - south) / max(np.cos(np.radians((north + south) / 2)), 0.1))
    return int(np.clip(np.floor(np.log2(360.0 * pixels / 256.0 / max(span, 1e-6))), 1, 18))


def _heat_layer(
    m: folium.Map, demand: gpd.GeoDataFrame, name: str, bounds: tuple[float, float, float, float]
) -> None:
    folium = _folium()
    from folium.plugins import HeatMap

    if len(demand) == 0:
        return
    weights = demand["weight"].to_numpy(dtype=float) if "weight" in demand else np.ones(len(demand))
    frame = pd.DataFrame(
        {
            "lat": np.round(demand.geometry.y.to_numpy(), 4),
            "lon": np.round(demand.geometry.x.to_numpy(), 4),
            "w": weights,
        }
    )
    # points on one ~10 m cell are one heat point (keeps 10^5-10^6 points light)
    cells = frame.groupby(["lat", "lon"], sort=True)["w"].sum().reset_index()
    top = float(np.quantile(cells["w"], 0.98)) if len(cells) else 1.0
    cells["w"] = (cells["w"] / (top if top > 0 else 1.0)).clip(upper=1.0).round(3)
    # leaflet.heat fades points below max_zoom: full strength from the fitted view in;
    # the heat sits in a feature group so that the layer control never greys it out
    group = folium.FeatureGroup(name=name).add_to(m)
    HeatMap(
        cells[["lat", "lon", "w"]].to_numpy().tolist(),
        control=False,
        radius=12,
        blur=14,
        min_opacity=0.05,
        max_zoom=_fit_zoom(bounds),
        gradient={0.2: "#ffffb2", 0.45: "#fecc5c", 0.7: "#fd8d3c", 0.9: "#f03b20", 1.0: "#bd0026"},
        max=2.0,
    ).add_to(group)


def _polygons_layer(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    name: str,
    *,
    colour: str,
    fill_opacity: float,
    dash: str | None = None,
) -> None:
    folium = _folium()
    if len(frame) == 0:
        return
    # one outline per layer: overlapping areas would stack their opacity
    union = shapely.union_all(frame.geometry.to_numpy())
    data = gpd.GeoDataFrame(geometry=[union], crs=WGS84)
    data = data[~data.geometry.is_empty]
    style = {
        "color": colour,
        "weight": 1.5,
        "fillColor": colour,
        "fillOpacity": fill_opacity,
        "opacity": 0.8,
    }
    if dash:
        style["dashArray"] = dash
    folium.GeoJson(_geojson(data), name=name, style_function=lambda _f, s=style: s).add_to(m)


def _hex_layer(
    m: folium.Map, hexes: gpd.GeoDataFrame, name: str, unit: str
) -> list[tuple[str, str]]:
    folium = _folium()
    if len(hexes) == 0:
        return []
    values = hexes["weight_uncovered"].to_numpy(dtype=float)
    cls, edges = _classes(values, len(_HEX_COLOURS))
    palette = _HEX_COLOURS[len(_HEX_COLOURS) - len(edges) :]
    colours = [palette[c] for c in cls]
    data = gpd.GeoDataFrame(
        {"uncovered": np.round(values, 2), "colour": colours},
        geometry=hexes.geometry.to_numpy(),
        crs=WGS84,
    )
    folium.GeoJson(
        _geojson(data),
        name=name,
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": 0.5,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(fields=["uncovered"], aliases=[unit]),
    ).add_to(m)
    return [(f"≤ {_fmt(e)}", palette[i]) for i, e in enumerate(edges)]


def _routes_layer(
    m: folium.Map, routes: gpd.GeoDataFrame, name: str, unit: str
) -> list[tuple[str, str]]:
    folium = _folium()
    if routes is None or len(routes) == 0:
        return []
    values = routes["volume"].to_numpy(dtype=float)
    cls, edges = _classes(values, len(_VOLUME_CLASSES))
    colours = [_VOLUME_CLASSES[c] for c in cls]
    widths = 2.0 + 2.0 * cls
    data = gpd.GeoDataFrame(
        {"volume": np.round(values, 1), "colour": colours, "width": widths},
        geometry=routes.geometry.to_numpy(),
        crs=WGS84,
    ).sort_values("volume", kind="stable")
    folium.GeoJson(
        _geojson(data),
        name=name,
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": f["properties"]["width"],
            "opacity": 0.9,
        },
        tooltip=folium.GeoJsonTooltip(fields=["volume"], aliases=[unit]),
    ).add_to(m)
    return [(f"≤ {_fmt(e)}", _VOLUME_CLASSES[i]) for i, e in enumerate(edges)]


def _add_message(m: folium.Map, title: str, lines: list[str]) -> None:
    folium = _folium()
    body = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    _figure(m).html.add_child(
        folium.Element(
            '<div class="planner-message" style="position:fixed;top:70px;left:60px;'
            "z-index:1000;max-width:420px;background:rgba(255,250,230,.95);padding:8px 10px;"
            'border-radius:4px;font:13px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"<b>{html.escape(title)}</b>{body}</div>"
        )
    )


def plan_map(
    results: Any,
    *,
    m: folium.Map | None = None,
    tiles: str | None = "OpenStreetMap",
    title: str | None = None,
    language: Language = "en",
    roads: bool = True,
    heat: bool = True,
    attribution: Sequence[str] | None = None,
) -> folium.Map:
    """Map one or more siting plans on one map with a layer control.

    Layers: demand heat map, uncovered demand hexagons, service areas before
    (existing stations) and after (new sites), freight routes coloured by trucks
    a day, existing stations by type, and the recommended sites numbered by rank
    with popups (rank, demand added, cumulative coverage, nearest existing
    station). A legend, a scale, a title and every data source's attribution
    are shown; when a plan has nothing to show the map says why.

    Parameters
    ----------
    results
        A :class:`planner.plan.PlanResult` or a list of them (e.g. worker
        stations and driver homes of one region).
    m
        A map to add to; a new one fitted to the plans when ``None``.
    tiles
        Basemap tiles, or ``None`` for none (offline).
    title
        Title (default: the first plan's name).
    language
        Labels' language, ``"en"`` or ``"zh"``.
    roads
        Draw the plan's road network (when the result holds it).
    heat
        Draw the demand heat map.
    attribution
        Data sources to credit (default: each plan's ``parameters["attribution"]``,
        else OpenStreetMap).

    Returns
    -------
    folium.Map
        The map (``save_map(m, path, offline=True)`` writes it).

    Examples
    --------
    >>> from planner import datasets
    >>> from planner.plan import Plan
    >>> net = datasets.demo_network(modes=["ebike"])
    >>> res = Plan(net, demand=datasets.demo_stops(groups=["rider"]).assign(weight=1.0),
    ...            stations=datasets.demo_stations(), service_areas=False).site(p=0)
    >>> "Existing stations" in plan_map(res, tiles=None).get_root().render()
    True
    """
    folium = _folium()
    labels = _labels(language)
    plans = list(results) if isinstance(results, list | tuple) else [results]
    if not plans:
        raise InputError("plan_map needs at least one plan result.", field="results")
    west = min(p.bounds[0] for p in plans)
    south = min(p.bounds[1] for p in plans)
    east = max(p.bounds[2] for p in plans)
    north = max(p.bounds[3] for p in plans)
    sources: list[str] = []
    for plan in plans:
        for text in plan.parameters.get("attribution") or []:
            if text not in sources:
                sources.append(text)
    if attribution is not None:
        sources = list(attribution)
    if not sources:
        sources = [OSM_ATTRIBUTION]
    if m is None:
        m = new_map((west, south, east, north), tiles=tiles, attribution=sources[0])
        rest = sources[1:]
    else:
        rest = sources
    for text in rest:
        add_attribution(m, text)
    legend: dict[str, str] = {}
    network = next((p.network for p in plans if getattr(p, "network", None) is not None), None)
    if roads and network is not None:
        add_roads(m, network, language=language)
    workers = [p for p in plans if p.programme == "worker_stations"]
    homes = [p for p in plans if p.programme == "driver_homes"]
    if heat:
        for plan in workers:
            _heat_layer(m, plan.demand, labels["heat"], (west, south, east, north))
    for plan in workers:
        classes = _hex_layer(m, plan.hexes, labels["uncovered"], labels["added"])
        if classes:
            legend[f"{labels['uncovered']}: {_span(classes)}"] = _gradient([c for _, c in classes])
    for state, key, opacity, dash in (
        ("before", "areas_before", 0.12, None),
        ("after", "areas_after", 0.22, "6 4"),
    ):
        frames = [p.service_areas[p.service_areas["state"] == state] for p in plans]
        frames = [f for f in frames if len(f)]
        if frames:
            merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
            _polygons_layer(
                m,
                merged,
                labels[key],
                colour=_AREA_COLOURS[state],
                fill_opacity=opacity,
                dash=dash,
            )
            legend[labels[key]] = _AREA_COLOURS[state]
    for plan in homes:
        classes = _routes_layer(m, plan.routes, labels["routes"], labels["volume"])
        if classes:
            legend[f"{labels['routes']}: {_span(classes)}"] = _gradient([c for _, c in classes])
    station_frames = [p.stations for p in plans if len(p.stations)]
    if station_frames:
        stations = gpd.GeoDataFrame(pd.concat(station_frames), crs=WGS84)
        stations = stations[~stations.index.duplicated()]
        add_station_icons(m, stations, language=language)
        for key in sorted({_station_key(row) for _, row in stations.iterrows()}):
            legend[labels[key]] = _STATION_COLOURS[key]
    messages: list[str] = []
    for plan in plans:
        key = "new_worker_station" if plan.programme == "worker_stations" else "new_driver_home"
        colour = _NEW_COLOURS[plan.programme]
        if len(plan.sites) == 0:
            reason = " ".join(plan.notes) or labels["no_sites"]
            messages.append(f"{labels[key]}: {reason}" if len(plans) > 1 else reason)
            continue
        layer = folium.FeatureGroup(name=labels[key])
        phased = "phase" in plan.sites.columns
        for _, row in plan.sites.sort_values("rank", ascending=False).iterrows():
            if phased:
                colour = _PHASE_COLOURS[min(int(row["phase"]), len(_PHASE_COLOURS)) - 1]
            folium.Marker(
                location=[row.geometry.y, row.geometry.x],
                icon=folium.DivIcon(
                    html=_rank_icon_html(int(row["rank"]), colour),
                    icon_size=(28, 28),
                    icon_anchor=(14, 14),
                    class_name="planner-site",
                ),
                tooltip=f"{labels['rank']} {int(row['rank'])}",
                popup=folium.Popup(_site_popup(row, plan, labels), max_width=320),
                z_index_offset=1000 - int(row["rank"]),
            ).add_to(layer)
        layer.add_to(m)
        if phased:
            for phase in sorted(set(plan.sites["phase"].astype(int))):
                shade = _PHASE_COLOURS[min(phase, len(_PHASE_COLOURS)) - 1]
                legend[f"{labels[key]}, {labels['phase'].lower()} {phase}"] = shade
        else:
            legend[labels[key]] = colour
    for plan in plans:
        c = plan.coverage.iloc[0]
        if c["weight"] > 0:
            legend[
                f"{plan.name}: {labels['covered']} {c['share_before']:.0%} {labels['before']} → "
                f"{c['share_after']:.0%} {labels['after']}"
            ] = "transparent"
    nothing = all(len(p.sites) == 0 and len(p.stations) == 0 and len(p.demand) == 0 for p in plans)
    if messages:
        _add_message(m, labels["empty"] if nothing else labels["no_sites"], messages)
    add_title(m, title or plans[0].name, subtitle=None)
    if legend:
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
    return write_text(path, render_page(m, offline=offline))


_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def render_page(m: folium.Map, *, offline: bool = False) -> str:
    """Render a map to the HTML of a page, the same for the same map every time.

    folium names every element with a random id; they are renumbered in order of
    appearance, so that re-running a study reproduces its map file byte for byte.

    Parameters
    ----------
    m
        The map.
    offline
        Embed Leaflet's JavaScript and CSS (see :func:`save_map`).

    Returns
    -------
    str
        The page.
    """
    page = m.get_root().render()
    if offline:
        page = _inline_assets(page)
    ids: dict[str, str] = {}
    return _ELEMENT_ID.sub(lambda found: ids.setdefault(found.group(0), f"{len(ids):032x}"), page)
