"""Words on maps, in English and Chinese: labels, kinds, datums, notes and site names.

Everything a map shows that planner writes (not the user's own names) comes from
here, so that ``language="zh"`` leaves no English on a page. Site names for
unnamed sites are described from their kind and the nearest named road
(:func:`site_names`), e.g. "公厕（建设路旁）" or "Public toilets near Jianshe Road".
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from planner import _i18n
from planner._errors import InputError
from planner._road_names import _missing, nearest_road_names, road_name

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = [
    "Language",
    "attribution_text",
    "datum_label",
    "escape_html",
    "kind_label",
    "labels_for",
    "note_text",
    "plan_name",
    "road_name",
    "site_names",
]

Language = Literal["en", "zh"]

_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "sep": ": ",
        "roads": "Roads",
        "stations": "Existing stations",
        "stations_compact": "{n:,} existing stations drawn as small shapes: tap one for details",
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
        "layers": "Layers",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "heat": "Demand (heat map)",
        "uncovered": "Uncovered demand (hexagons)",
        "uncovered_legend": "Demand left uncovered after the plan, per hexagon",
        "uncovered_tip": "Demand left uncovered after the plan",
        "areas_before": "Service areas before",
        "areas_after": "Service areas after (new sites)",
        "area_of": "{minutes:g}-minute service area of {name}",
        "area_new": "new site {rank}: {name}",
        "area_within_before": "Within {minutes:g} min of an existing station",
        "area_within_after": "Within {minutes:g} min of a new site",
        "areas_merged": "{layer}: {n:,} areas drawn as one, not one outline each",
        "routes": "Freight routes (trucks/day)",
        "route_tip": "Trucks a day on this route",
        "new_worker_station": "Recommended worker stations",
        "new_driver_home": "Recommended driver homes",
        "programme_worker_stations": "Worker stations",
        "programme_driver_homes": "Driver homes",
        "rank": "Rank",
        "phase": "Phase",
        "added": "Demand added",
        "added_trucks": "Trucks/day captured",
        "cumulative": "Cumulative coverage",
        "nearest": "Nearest existing station",
        "passing": "Trucks/day passing",
        "coordinates": "Coordinates",
        "empty": "Nothing to show",
        "no_sites": "No new sites recommended",
        "coverage_line": "{name}: Covered {before} before → {after} after",
        "volume": "trucks/day",
        "km": "km",
        "near": "{kind} near {road}",
        "site": "Site",
        "title_default": "Siting plan",
        "basemap_amap": "© AutoNavi (Amap)",
    },
    "zh": {
        "sep": "：",
        "roads": "道路",
        "stations": "现有站点",
        "stations_compact": "{n:,} 个现有站点以小图形显示，点击查看详情",
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
        "layers": "图层",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "heat": "需求热力图",
        "uncovered": "未覆盖需求（六边形）",
        "uncovered_legend": "规划后仍未覆盖的需求（每个六边形）",
        "uncovered_tip": "规划后仍未覆盖的需求",
        "areas_before": "现有服务范围",
        "areas_after": "新增服务范围（新站点）",
        "area_of": "{name}的{minutes:g}分钟服务范围",
        "area_new": "新站点 {rank}：{name}",
        "area_within_before": "距现有站点{minutes:g}分钟以内",
        "area_within_after": "距新站点{minutes:g}分钟以内",
        "areas_merged": "{layer}：{n:,} 个服务范围合并显示，不逐个勾勒",
        "routes": "货运线路（辆/日）",
        "route_tip": "本线路货车（辆/日）",
        "new_worker_station": "推荐新建服务站",
        "new_driver_home": "推荐新建司机之家",
        "programme_worker_stations": "户外劳动者服务站",
        "programme_driver_homes": "司机之家",
        "rank": "排名",
        "phase": "建设阶段",
        "added": "新增覆盖需求",
        "added_trucks": "新增覆盖货车（辆/日）",
        "cumulative": "累计覆盖率",
        "nearest": "最近的现有站点",
        "passing": "途经货车（辆/日）",
        "coordinates": "坐标",
        "empty": "无可显示内容",
        "no_sites": "未推荐新站点",
        "coverage_line": "{name}：覆盖率 建设前 {before} → 建设后 {after}",
        "volume": "辆/日",
        "km": "公里",
        "near": "{kind}（{road}旁）",
        "site": "站点",
        "title_default": "选址规划",
        "basemap_amap": "© 高德地图",
    },
}

# candidate, POI and driver-home kinds (planner.candidates) -> words
_KINDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "community_centre": "Community centre",
        "social_centre": "Social centre",
        "parking": "Car park",
        "truck_parking": "Truck park",
        "fuel": "Fuel station",
        "fuel_hgv": "Truck fuel station",
        "toilets": "Public toilets",
        "charging_station": "Charging station",
        "mall": "Shopping mall",
        "union": "Trade-union office",
        "service_area": "Service area",
        "rest_area": "Rest area",
        "logistics": "Logistics park",
        "industrial": "Industrial land",
        "hotspot": "Demand hotspot",
        "grid": "Grid point",
        "user": "Candidate site",
        "worker_station": "Worker station",
        "driver_home": "Driver home",
    },
    "zh": {
        "community_centre": "社区服务中心",
        "social_centre": "社会服务中心",
        "parking": "停车场",
        "truck_parking": "货车停车场",
        "fuel": "加油站",
        "fuel_hgv": "货车加油站",
        "toilets": "公厕",
        "charging_station": "充电站",
        "mall": "商场",
        "union": "工会",
        "service_area": "服务区",
        "rest_area": "停车休息区",
        "logistics": "物流园区",
        "industrial": "工业用地",
        "hotspot": "需求热点",
        "grid": "网格点",
        "user": "候选点",
        "worker_station": "户外劳动者服务站",
        "driver_home": "司机之家",
    },
}

_DATUMS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "wgs84": "WGS84 (GPS, OpenStreetMap)",
        "gcj02": "GCJ-02 (Amap, Tencent)",
        "bd09": "BD-09 (Baidu)",
    },
    "zh": {
        "wgs84": "WGS84（GPS、OpenStreetMap）",
        "gcj02": "GCJ-02（高德、腾讯）",
        "bd09": "BD-09（百度）",
    },
}


def escape_html(text: str) -> str:
    """Return ``text`` escaped for a map's HTML, braces included.

    Besides ``&``, ``<``, ``>`` and quotes, ``{`` and ``}`` become character
    references: folium renders every element's output once more as a Jinja
    template, where a station or road named with ``{{``, ``{%`` or ``{#`` would
    break the page (or vanish). On the page they read as the braces they were.
    """
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def labels_for(language: Language) -> Mapping[str, str]:
    """Return the map labels in a language, or raise naming the languages there are."""
    if language not in _LABELS:
        raise InputError(
            f"language must be one of {sorted(_LABELS)}, got {language!r}.", field="language"
        )
    return _LABELS[language]


def plan_name(name: str, programme: str, language: Language) -> str:
    """Return a plan's name for a page: an unnamed plan's default title in ``language``.

    A plan made from a preset without ``name=`` is called by its programme's English
    title ("Worker stations"), one made by ``Plan(...)`` without ``name=`` "Siting
    plan"; a Chinese page calls them by the Chinese ones. Names a user gave are kept
    as they are.
    """
    english = labels_for("en")
    for key in (f"programme_{programme}", "title_default"):
        if name == english.get(key):
            return labels_for(language).get(key, name)
    return name


def kind_label(kind: Any, language: Language) -> str:
    """Return a site or POI kind in words (an unknown kind is shown as given)."""
    text = "" if _missing(kind) else str(kind)
    known = _KINDS[language].get(text)
    if known is not None:
        return known
    if not text:
        return labels_for(language)["site"]
    return text.replace("_", " ").capitalize() if language == "en" else text


def datum_label(datum: str, language: Language) -> str:
    """Return a datum's name with the maps that use it (``datum`` canonical)."""
    return _DATUMS[language][datum]


def attribution_text(text: str, language: Language) -> str:
    """Return one of planner's attributions in a language (others unchanged).

    The words come from :mod:`planner._i18n`, as the report's do.
    """
    return _i18n.note(text, language)[0]


def note_text(text: str, language: Language) -> str:
    """Return one of the plan's notes in a language, from :mod:`planner._i18n`."""
    return _i18n.note(text, language)[0]


def site_names(
    sites: gpd.GeoDataFrame,
    network: RoadNetwork | None,
    *,
    language: Language = "en",
    max_distance_m: float = 500.0,
) -> pd.Series:
    """Name every site: its own ``name``, else its kind near the nearest named road.

    Parameters
    ----------
    sites
        Points (any CRS) with optional ``name`` and ``kind`` columns.
    network
        The road network whose edges' ``name`` tags describe unnamed sites; ``None``
        for kind only.
    language
        ``"en"`` ("Public toilets near Jianshe Road") or ``"zh"`` ("公厕（建设路旁）").
    max_distance_m
        Roads farther than this do not describe a site (its kind alone is used).

    Returns
    -------
    pandas.Series
        The names, on the sites' index.
    """
    labels = labels_for(language)
    own = list(sites["name"]) if "name" in sites.columns else [None] * len(sites)
    kinds = list(sites["kind"]) if "kind" in sites.columns else [None] * len(sites)
    names: list[str | None] = [None if _missing(v) else str(v) for v in own]
    unnamed = [i for i, name in enumerate(names) if name is None]
    roads = [""] * len(sites)
    if unnamed and network is not None:
        found, _ = nearest_road_names(
            sites.iloc[unnamed], network, max_distance_m=max_distance_m, label="first_name"
        )
        for i, road in zip(unnamed, found, strict=True):
            roads[i] = road or ""
    out = []
    for name, kind, road in zip(names, kinds, roads, strict=True):
        if name is not None:
            out.append(name)
        elif road:
            out.append(labels["near"].format(kind=kind_label(kind, language), road=road))
        else:
            out.append(kind_label(kind, language))
    return pd.Series(out, index=sites.index, dtype=object)
