"""Interactive folium maps: road networks, siting plans, and offline saving.

Every function only styles what it is given: nothing here computes access,
coverage or sites. Functions that add to a map take ``m`` and return it, so
layers can go onto a map the user already has (as with ``GeoDataFrame.explore``).

This module holds :func:`plan_map` and its layers; the building blocks it uses
(:func:`new_map`, :func:`add_title`, :func:`add_legend`, :func:`add_roads`,
:func:`add_stations`, :func:`network_map`, ...) live in ``planner._map_parts`` and
page rendering (:func:`save_map`, :func:`render_page`) in ``planner._page``; all
are re-exported here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputError
from planner._map_parts import (
    OSM_ATTRIBUTION,
    STATION_COLOURS,
    Language,
    add_attribution,
    add_legend,
    add_roads,
    add_station_icons,
    add_stations,
    add_title,
    labels_for,
    load_folium,
    map_figure,
    network_map,
    new_map,
    station_key,
    to_geojson,
)
from planner._page import render_page, save_map
from planner.crs import WGS84

if TYPE_CHECKING:
    import folium

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
    "render_page",
    "save_map",
]

_NEW_COLOURS: Mapping[str, str] = {"worker_stations": "#e67e22", "driver_homes": "#c0392b"}
_AREA_COLOURS: Mapping[str, str] = {"before": "#2471a3", "after": "#e67e22"}
# phased plans: later phases darker (the last colour repeats beyond five phases)
_PHASE_COLOURS: tuple[str, ...] = ("#e67e22", "#ba6a1c", "#8e5316", "#633c10", "#3b250a")
_VOLUME_CLASSES: tuple[str, ...] = ("#fdd49e", "#fdae6b", "#f16913", "#d94801", "#7f2704")
_HEX_COLOURS: tuple[str, ...] = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")


def _rank_icon_html(rank: int, colour: str) -> str:
    return (
        f'<div class="planner-rank" style="width:24px;height:24px;border-radius:50%;'
        f"background:{colour};border:2px solid #fff;box-shadow:0 0 3px #000;color:#fff;"
        f'font:bold 12px/24px sans-serif;text-align:center;">{rank}</div>'
    )


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
    folium = load_folium()
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
    folium = load_folium()
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
    folium.GeoJson(to_geojson(data), name=name, style_function=lambda _f, s=style: s).add_to(m)


def _hex_layer(
    m: folium.Map, hexes: gpd.GeoDataFrame, name: str, unit: str
) -> list[tuple[str, str]]:
    folium = load_folium()
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
        to_geojson(data),
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
    folium = load_folium()
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
        to_geojson(data),
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
    folium = load_folium()
    body = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    map_figure(m).html.add_child(
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
    folium = load_folium()
    labels = labels_for(language)
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
        from planner._province_map import add_rest_gaps  # rest gaps before/after (one call)

        legend |= add_rest_gaps(m, plan, language=language)
    station_frames = [p.stations for p in plans if len(p.stations)]
    if station_frames:
        stations = gpd.GeoDataFrame(pd.concat(station_frames), crs=WGS84)
        stations = stations[~stations.index.duplicated()]
        add_station_icons(m, stations, language=language)
        for key in sorted({station_key(row) for _, row in stations.iterrows()}):
            legend[labels[key]] = STATION_COLOURS[key]
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
