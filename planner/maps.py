"""Interactive folium maps: road networks, siting plans, and offline saving.

Every function only styles what it is given: nothing here computes access,
coverage or sites. Functions that add to a map take ``m`` and return it, so
layers can go onto a map the user already has (as with ``GeoDataFrame.explore``).

This module holds :func:`plan_map`, :func:`network_map` and their layers; the
building blocks they use live in ``planner._map_parts`` (:func:`new_map`,
:func:`add_title`, :func:`add_legend`, ...), ``planner._map_stations``
(:func:`add_stations`, :func:`add_station_icons`) and ``planner._map_roads``
(:func:`add_roads`), the words in English and Chinese in ``planner._map_labels`` and
page rendering (:func:`save_map`, :func:`render_page`) in ``planner._page``; all
public ones are re-exported here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputError
from planner._map_labels import (
    attribution_text,
    escape_html,
    kind_label,
    note_text,
    plan_name,
    site_names,
)
from planner._map_parts import (
    AMAP_TILES,
    OSM_ATTRIBUTION,
    ROAD_LEGEND,
    STATION_COLOURS,
    Language,
    add_attribution,
    add_layer_control,
    add_legend,
    add_title,
    coords_html,
    display_datum,
    labels_for,
    load_folium,
    map_figure,
    new_map,
    station_keys,
    to_display,
    to_geojson,
)
from planner._map_roads import ROADS_COMPACT_ABOVE, add_roads
from planner._map_stations import COMPACT_ABOVE, add_station_icons, add_stations, draws_compact
from planner._page import render_page, save_map
from planner.crs import WGS84, normalize_datum

if TYPE_CHECKING:
    import folium

    from planner.network import RoadNetwork

__all__ = [
    "AMAP_TILES",
    "OSM_ATTRIBUTION",
    "add_attribution",
    "add_layer_control",
    "add_legend",
    "add_roads",
    "add_station_icons",
    "add_stations",
    "add_title",
    "network_map",
    "new_map",
    "plan_map",
    "province_map",
    "render_page",
    "save_map",
    "site_names",
]

_NEW_COLOURS: Mapping[str, str] = {"worker_stations": "#e67e22", "driver_homes": "#c0392b"}
_AREA_COLOURS: Mapping[str, str] = {"before": "#2471a3", "after": "#e67e22"}
# phased plans: later phases darker (the last colour repeats beyond five phases)
_PHASE_COLOURS: tuple[str, ...] = ("#e67e22", "#ba6a1c", "#8e5316", "#633c10", "#3b250a")
# trucks a day: greens (no site, station, area or road uses them)
_VOLUME_CLASSES: tuple[str, ...] = ("#a1d99b", "#74c476", "#41ab5d", "#238b45", "#005a32")
_HEX_COLOURS: tuple[str, ...] = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
_HEAT_RADIUS = 12


def _rank_icon_html(rank: int, colour: str) -> str:
    return (
        f'<div class="planner-rank" style="width:24px;height:24px;border-radius:50%;'
        f"background:{colour};border:2px solid #fff;box-shadow:0 0 3px #000;color:#fff;"
        f'font:bold 12px/24px sans-serif;text-align:center;">{rank}</div>'
    )


def _nice_ceil(value: float) -> float:
    """Return the smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (> 0)."""
    power = 10.0 ** np.floor(np.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _breaks(values: np.ndarray, n: int) -> np.ndarray:
    """Class upper bounds for positive values: rounded quantiles, the top one the maximum.

    With few distinct values (e.g. every hexagon holds 2) the classes are equal
    steps from 0, so that the legend still shows a scale.
    """
    top = float(values.max())
    inner = np.quantile(values, np.linspace(0, 1, n + 1)[1:-1], method="inverted_cdf")
    edges = sorted({_nice_ceil(float(q)) for q in inner if q > 0} - {top})
    edges = [e for e in edges if e < top]
    if len(edges) < 2:
        step = _nice_ceil(top / n)
        edges = [step * k for k in range(1, n) if step * k < top * (1 - 1e-9)]
    return np.array([*edges, top])


def _classes(values: np.ndarray, n: int) -> tuple[np.ndarray, list[str]]:
    """Class of each value and the legend text of each class ("≤ 2", "2 – 5", ...)."""
    edges = _breaks(values, n)
    cls = np.searchsorted(edges, values, side="left").clip(0, len(edges) - 1)
    texts = [f"≤ {_fmt(edges[0])}"] + [
        f"{_fmt(lo)} – {_fmt(hi)}" for lo, hi in itertools.pairwise(edges)
    ]
    return cls, texts


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == round(value) else f"{value:,.2g}"


def _site_popup(
    row: pd.Series,
    name: str,
    result: Any,
    labels: Mapping[str, str],
    language: Language,
    datum: str,
) -> str:
    sep = labels["sep"]
    added = labels["added_trucks"] if result.programme == "driver_homes" else labels["added"]
    lines = [f"<b>{escape_html(name)}</b>"]
    if "kind" in row and isinstance(row["kind"], str):
        lines.append(f"{labels['kind']}{sep}{escape_html(kind_label(row['kind'], language))}")
    lines += [
        f"{labels['rank']}{sep}{int(row['rank'])}",
        f"{added}{sep}{row['added']:,.1f} ({row['added_share']:.1%})",
        f"{labels['cumulative']}{sep}{row['cumulative_share']:.1%}",
    ]
    if "phase" in row and pd.notna(row["phase"]):
        lines.insert(3, f"{labels['phase']}{sep}{int(row['phase'])}")
    if "passing_volume" in row and pd.notna(row["passing_volume"]):
        lines.append(f"{labels['passing']}{sep}{row['passing_volume']:,.0f}")
    if pd.notna(row.get("nearest_station")):
        lines.append(
            f"{labels['nearest']}{sep}{escape_html(str(row['nearest_station']))} "
            f"({row['nearest_station_m'] / 1000:,.1f} {labels['km']})"
        )
    lines.append(coords_html(row.geometry.x, row.geometry.y, datum, labels, language))
    return "<br>".join(lines)


def _fit_zoom(bounds: tuple[float, float, float, float], pixels: int = 900) -> int:
    """Return the zoom at which a box about fills ``pixels`` (Web Mercator, 256 px tiles)."""
    west, south, east, north = bounds
    span = max(east - west, (north - south) / max(np.cos(np.radians((north + south) / 2)), 0.1))
    return int(np.clip(np.floor(np.log2(360.0 * pixels / 256.0 / max(span, 1e-6))), 1, 18))


def _heat_max(
    lon: np.ndarray, lat: np.ndarray, w: np.ndarray, zoom: int, count: np.ndarray | None = None
) -> float:
    """Return the heat map's full-colour weight: the 98th percentile of heat cells.

    leaflet.heat sums the points in cells of half its radius (in pixels) and draws
    each cell as a blurred disc whose strength is the cell's sum over this
    weight. Measuring it on those cells at the fitted zoom, rather than on the
    ~10 m cells of the points, keeps dense cities graded instead of red from edge
    to edge. The percentile is taken over the demand's points (``count`` points
    at each of the given places), so that it is where the demand is.
    """
    lat0 = float(np.mean(lat))
    metres_per_px = 156_543.03 * np.cos(np.radians(lat0)) / 2.0**zoom
    cell = metres_per_px * _HEAT_RADIUS / 2 / 111_320.0
    iy = np.floor((lat - lat.min()) / cell).astype(np.int64)
    ix = np.floor((lon - lon.min()) * np.cos(np.radians(lat0)) / cell).astype(np.int64)
    # each place's cell total, repeated for each point there
    sums = pd.Series(w).groupby([iy, ix]).transform("sum").to_numpy()
    if count is not None:
        sums = np.repeat(sums, count)
    top = float(np.quantile(sums, 0.98)) if sums.size else 1.0
    return top if top > 0 else 1.0


# demand is summed on cells of a quarter of a heat cell at the fitted zoom (1.5 px there):
# leaflet.heat bins its points on cells of half its radius, so up to two zoom levels in
# the picture is the one the points themselves would draw
_HEAT_CELLS_PER_BIN = 4
# and never more cells than this over the demand's box (a page of at most ~5 MB of heat)
_HEAT_MAX_CELLS = 200_000


def _heat_cells(lon: np.ndarray, lat: np.ndarray, w: np.ndarray, zoom: int) -> pd.DataFrame:
    """Sum the demand on a grid finer than leaflet.heat's own; each cell at its demand's centre.

    The grid is fixed in degrees: cells of ``_HEAT_CELLS_PER_BIN`` to a heat bin at
    the fitted zoom (about 50 m in a city seen whole), coarser when the demand's
    box would hold more than ``_HEAT_MAX_CELLS`` of them. A million points become
    at most one heat point per cell; each cell is drawn at the weighted mean of
    its points, with their summed weight (before, points were merged on ~10 m
    cells only, which left 358,000 heat points of 10^6 points in Shenzhen).
    Returns ``lon``, ``lat``, ``w`` (WGS84) and ``n`` (points), cells of positive
    weight only, in grid order.
    """
    keep = w > 0
    lon, lat, w = lon[keep], lat[keep], w[keep]
    if len(w) == 0:
        return pd.DataFrame({"lon": [], "lat": [], "w": [], "n": []})
    lat0 = float(np.mean(lat))
    metres_per_px = 156_543.03 * np.cos(np.radians(lat0)) / 2.0**zoom
    cell = metres_per_px * _HEAT_RADIUS / 2 / _HEAT_CELLS_PER_BIN / 111_320.0
    # demand spread far beyond the fitted view: cells coarse enough for a bounded page
    # (the smallest cell with (X / cell + 1) (Y / cell + 1) <= _HEAT_MAX_CELLS)
    x, y, n = float(np.ptp(lon) * np.cos(np.radians(lat0))), float(np.ptp(lat)), _HEAT_MAX_CELLS - 1
    cell = max(cell, ((x + y) + np.sqrt((x + y) ** 2 + 4 * n * x * y)) / (2 * n))
    iy = np.floor(lat / cell).astype(np.int64)
    ix = np.floor(lon * np.cos(np.radians(lat0)) / cell).astype(np.int64)
    # one key per cell in grid order (the box holds at most about _HEAT_MAX_CELLS)
    ix -= ix.min()
    key = (iy - iy.min()) * (int(ix.max()) + 1) + ix
    counts = np.bincount(key)
    occupied = np.flatnonzero(counts)
    lookup = np.zeros(len(counts), dtype=np.int64)
    lookup[occupied] = np.arange(len(occupied))
    inverse = lookup[key]
    total = np.bincount(inverse, weights=w)
    return pd.DataFrame(
        {
            "lon": np.bincount(inverse, weights=w * lon) / total,
            "lat": np.bincount(inverse, weights=w * lat) / total,
            "w": total,
            "n": counts[occupied],
        }
    )


def _heat_layer(
    m: folium.Map,
    demand: gpd.GeoDataFrame,
    name: str,
    bounds: tuple[float, float, float, float],
    *,
    show: bool = True,
) -> None:
    """Add the demand heat map, drawn from demand summed on cells (see :func:`_heat_cells`).

    A study of 10^6 points draws some 10^4-10^5 heat points, not one per point.
    ``show=False``: in the layer control, off when the page opens.
    """
    folium = load_folium()
    from folium.plugins import HeatMap

    if len(demand) == 0:
        return
    weights = demand["weight"].to_numpy(dtype=float) if "weight" in demand else np.ones(len(demand))
    zoom = _fit_zoom(bounds)
    cells = _heat_cells(demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy(), weights, zoom)
    if len(cells) == 0:
        return
    lon, lat = to_display(m, cells["lon"].to_numpy(), cells["lat"].to_numpy())
    count = cells["n"].to_numpy()
    cells = pd.DataFrame({"lat": np.round(lat, 5), "lon": np.round(lon, 5), "w": cells["w"]})
    top = _heat_max(
        cells["lon"].to_numpy(), cells["lat"].to_numpy(), cells["w"].to_numpy(), zoom, count
    )
    cells["w"] = (cells["w"] / top).round(4)
    # leaflet.heat fades points below max_zoom: full strength from the fitted view in;
    # the heat sits in a feature group so that the layer control never greys it out;
    # its canvas lets the mouse through (page CSS) so tooltips below it still work
    group = folium.FeatureGroup(name=name, show=show).add_to(m)
    HeatMap(
        cells[["lat", "lon", "w"]].to_numpy().tolist(),
        control=False,
        radius=_HEAT_RADIUS,
        blur=14,
        min_opacity=0.05,
        max_zoom=zoom,
        gradient={0.2: "#ffffb2", 0.45: "#fecc5c", 0.7: "#fd8d3c", 0.9: "#f03b20", 1.0: "#bd0026"},
        max=1.0,
    ).add_to(group)


def _areas_layer(
    m: folium.Map,
    fill: Any,
    outlines: gpd.GeoDataFrame,
    name: str,
    *,
    colour: str,
    fill_opacity: float,
    dash: str | None = None,
) -> None:
    """One fill for the merged area (overlaps would stack their opacity), and outlines.

    ``fill`` is one (multi)polygon: the state's merged area, traced by the study,
    so no polygon union runs here. ``outlines`` holds polygons and their ``label``:
    each site's area, or for many sites the merged area itself. The fill lets the
    mouse through to the hexagons below; each outline is a line whose tooltip is
    its label.
    """
    folium = load_folium()
    datum = display_datum(m)
    group = folium.FeatureGroup(name=name)
    if not fill.is_empty:
        folium.GeoJson(
            to_geojson(gpd.GeoDataFrame(geometry=[fill], crs=WGS84), datum=datum),
            style_function=lambda _f, c=colour, o=fill_opacity: {
                "stroke": False,
                "fillColor": c,
                "fillOpacity": o,
            },
            interactive=False,
        ).add_to(group)
    outline = {"color": colour, "weight": 1.2, "opacity": 0.7}
    if dash:
        outline["dashArray"] = dash
    lines = gpd.GeoDataFrame(
        {"area": outlines["label"].to_numpy()},
        geometry=shapely.boundary(outlines.geometry.to_numpy()),
        crs=WGS84,
    )
    # outlines of buffered streets are ragged: smoothed to ~15 m, they read as areas
    metric = lines.estimate_utm_crs() if len(lines) else WGS84
    lines = lines.set_geometry(lines.geometry.to_crs(metric).simplify(15.0).to_crs(WGS84))
    lines = lines[~lines.geometry.is_empty]
    if len(lines):
        folium.GeoJson(
            to_geojson(lines, datum=datum),
            style_function=lambda _f, s=outline: s,
            highlight_function=lambda _f: {"weight": 4},
            tooltip=folium.GeoJsonTooltip(fields=["area"], labels=False),
        ).add_to(group)
    group.add_to(m)


def _merged_row(plan: Any, state: str) -> pd.Series | None:
    """Return the plan's row of ``state`` in ``service_areas_merged`` (study-traced), if any."""
    merged = getattr(plan, "service_areas_merged", None)
    return merged.loc[state] if merged is not None and state in merged.index else None


def _area_count(plan: Any, state: str) -> int:
    """Return how many sites of ``state`` have a service area, without tracing any.

    Read from the merged row (the study's count): a city's per-site areas are
    traced only when :attr:`PlanResult.service_areas` is first read.
    """
    row = _merged_row(plan, state)
    if row is not None and pd.notna(row.get("sites")):
        return int(row["sites"])
    return len(_areas_of(plan, state))


def _areas_of(plan: Any, state: str) -> gpd.GeoDataFrame:
    """Return the plan's per-site areas of ``state`` (older results: filtered here)."""
    if hasattr(plan, "service_areas_of"):
        return plan.service_areas_of(state)
    return plan.service_areas[plan.service_areas["state"] == state]


def _merged_area(plan: Any, state: str) -> tuple[Any, float]:
    """Return the plan's merged area of ``state`` and its cutoff in minutes.

    Read from ``plan.service_areas_merged`` (traced by the study); a result without
    it (older code paths, hand-made results) falls back to the union of the areas.
    """
    minutes = float(plan.parameters.get("cutoff_min", 0) or 0)
    row = _merged_row(plan, state)
    if row is not None:
        return row.geometry, float(row.get("cutoff_min", minutes))
    areas = _areas_of(plan, state)
    if "cutoff_min" in areas.columns:
        minutes = float(areas["cutoff_min"].iloc[0])
    return shapely.union_all(areas.geometry.to_numpy()), minutes


def _add_service_areas(
    m: folium.Map,
    plans: Sequence[Any],
    names: Mapping[int, pd.Series],
    labels: Mapping[str, str],
    *,
    compact_above: int | None,
) -> dict[str, str]:
    """Draw the service areas before and after of ``plans``; return their legend rows.

    Each state gets one fill, its merged area. With at most ``compact_above``
    areas in the state, each site's outline is drawn with its name; above, only
    the merged area's outline (a city's 10^4 overlapping outlines are unreadable
    and weigh megabytes), which the legend says; the per-site areas are then
    not read (a city's are traced on first use of ``service_areas``).
    """
    legend: dict[str, str] = {}
    counts = {state: [(p, _area_count(p, state)) for p in plans] for state in ("before", "after")}
    for state, key, opacity, dash in (
        ("before", "areas_before", 0.10, None),
        ("after", "areas_after", 0.18, "6 4"),
    ):
        with_areas = [p for p, n_p in counts[state] if n_p]
        if not with_areas:
            continue
        n = sum(n_p for _, n_p in counts[state])
        merged = [_merged_area(p, state) for p in with_areas]
        fills = [geometry for geometry, _ in merged]
        fill = fills[0] if len(fills) == 1 else shapely.union_all(fills)
        if draws_compact(n, compact_above):
            within = labels[f"area_within_{state}"]
            outlines = gpd.GeoDataFrame(
                {"label": [within.format(minutes=minutes) for _, minutes in merged]},
                geometry=fills,
                crs=WGS84,
            )
        else:
            per_plan = [(p, _areas_of(p, state)) for p in with_areas]
            frames = [
                areas.assign(label=_area_labels(areas, p, names[id(p)], labels))
                for p, areas in per_plan
            ]
            outlines = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
        _areas_layer(
            m,
            fill,
            outlines,
            labels[key],
            colour=_AREA_COLOURS[state],
            fill_opacity=opacity,
            dash=dash,
        )
        legend[labels[key]] = _AREA_COLOURS[state]
    for state, key in (("before", "areas_before"), ("after", "areas_after")):
        n = sum(n_p for _, n_p in counts[state])
        if n and draws_compact(n, compact_above):
            legend[labels["areas_merged"].format(layer=labels[key], n=n)] = "transparent"
    return legend


def _area_labels(
    areas: gpd.GeoDataFrame, plan: Any, names: pd.Series, labels: Mapping[str, str]
) -> list[str]:
    station_names = plan.stations["name"] if "name" in plan.stations.columns else pd.Series()
    out = []
    for _, row in areas.iterrows():
        minutes = float(row.get("cutoff_min", plan.parameters.get("cutoff_min", 0)) or 0)
        site = row.get("site")
        if row["state"] == "after" and site in names.index:
            rank = int(plan.sites.loc[site, "rank"])
            name = labels["area_new"].format(rank=rank, name=names[site])
        elif site in station_names.index and pd.notna(station_names[site]):
            name = str(station_names[site])
        else:
            name = str(site)
        out.append(escape_html(labels["area_of"].format(minutes=minutes, name=name)))
    return out


def _hex_layer(m: folium.Map, hexes: gpd.GeoDataFrame, name: str, tip: str) -> dict[str, str]:
    folium = load_folium()
    hexes = hexes[hexes["weight_uncovered"].to_numpy(dtype=float) > 0]
    if len(hexes) == 0:
        return {}
    values = hexes["weight_uncovered"].to_numpy(dtype=float)
    cls, texts = _classes(values, len(_HEX_COLOURS))
    palette = _HEX_COLOURS[len(_HEX_COLOURS) - len(texts) :]
    data = gpd.GeoDataFrame(
        {"uncovered": np.round(values, 2), "colour": [palette[c] for c in cls]},
        geometry=hexes.geometry.to_numpy(),
        crs=WGS84,
    )
    folium.GeoJson(
        to_geojson(data, datum=display_datum(m)),
        name=name,
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": 0.5,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.6,
        },
        highlight_function=lambda _f: {"weight": 2.5, "color": "#333"},
        tooltip=folium.GeoJsonTooltip(fields=["uncovered"], aliases=[tip]),
    ).add_to(m)
    return dict(zip(texts, palette, strict=True))


def _routes_layer(m: folium.Map, routes: gpd.GeoDataFrame, name: str, tip: str) -> dict[str, str]:
    folium = load_folium()
    if routes is None or len(routes) == 0:
        return {}
    values = routes["volume"].to_numpy(dtype=float)
    cls, texts = _classes(np.maximum(values, 0), len(_VOLUME_CLASSES))
    palette = _VOLUME_CLASSES[len(_VOLUME_CLASSES) - len(texts) :]
    data = gpd.GeoDataFrame(
        {
            "volume": np.round(values, 1),
            "colour": [palette[c] for c in cls],
            "width": 2.0 + 1.5 * (cls + len(_VOLUME_CLASSES) - len(texts)),
        },
        geometry=routes.geometry.to_numpy(),
        crs=WGS84,
    ).sort_values("volume", kind="stable")
    folium.GeoJson(
        to_geojson(data, datum=display_datum(m)),
        name=name,
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": f["properties"]["width"],
            "opacity": 0.95,
        },
        tooltip=folium.GeoJsonTooltip(fields=["volume"], aliases=[tip]),
    ).add_to(m)
    return dict(zip(texts, palette, strict=True))


def _add_message(m: folium.Map, title: str, lines: list[str]) -> None:
    folium = load_folium()
    body = "".join(f"<div>{escape_html(line)}</div>" for line in lines)
    map_figure(m).html.add_child(
        folium.Element(
            '<div class="planner-message" style="position:fixed;top:70px;left:54px;'
            "z-index:1000;max-width:420px;background:rgba(255,250,230,.95);padding:8px 10px;"
            'border-radius:4px;font:13px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
            f"<b>{escape_html(title)}</b>{body}</div>"
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
    datum: str = "wgs84",
    compact_stations_above: int | None = COMPACT_ABOVE,
    compact_roads_above: int | None = ROADS_COMPACT_ABOVE,
) -> folium.Map:
    """Map one or more siting plans on one map with a layer control.

    Layers: demand heat map, demand left uncovered after the plan (hexagons, by
    class), each site's service area before (existing stations) and after (new
    sites), freight routes coloured by trucks a day, existing stations by type,
    and the recommended sites numbered by rank with popups (name, kind, rank,
    demand added, cumulative coverage, nearest existing station, coordinates to
    copy). Unnamed sites are named by their kind and the nearest named road. A
    legend, a metric scale, a title and every data source's attribution are
    shown; when a plan has nothing to show the map says why. The page fits
    phones: on narrow screens the layer control and legend start closed.

    Parameters
    ----------
    results
        A :class:`planner.plan.PlanResult` or a list of them (e.g. worker
        stations and driver homes of one region).
    m
        A map to add to; a new one fitted to the plans when ``None``.
    tiles
        Basemap tiles: ``"OpenStreetMap"`` (default), ``"amap"`` (Amap/Gaode,
        GCJ-02: every layer is shifted to GCJ-02 to line up with it), another
        folium/xyzservices name, or ``None`` / ``"none"`` for none (offline).
    title
        Title (default: the first plan's name).
    language
        Every word planner writes on the map, ``"en"`` or ``"zh"``.
    roads
        Draw the plan's road network (when the result holds it).
    heat
        Draw the demand heat map. On a city's map (existing stations drawn as
        one compact layer, above ``compact_stations_above``) it is in the layer
        control but off when the page opens: over a whole city it turns every
        street red and hides the service areas and the uncovered hexagons.
    attribution
        Data sources to credit (default: each plan's ``parameters["attribution"]``,
        else OpenStreetMap).
    datum
        The datum the user's own coordinates are in (``"wgs84"``, ``"gcj02"``,
        ``"bd09"``): site and station popups give coordinates in it, and in WGS84.
    compact_stations_above
        More existing stations than this (500 by default) are drawn as one compact
        layer on the map's canvas (small squares and diamonds, popups built when
        clicked; the legend says so) instead of one icon each, which keeps a city's
        10^4 stations to about 0.5 MB of HTML; ``None`` draws icons whatever the
        number (clustered above 500). Service areas likewise: above this many in
        a state (before, after), only their merged area's outline is drawn, not
        one per site (the legend says so); the fill is always the merged area.
    compact_roads_above
        More street segments than this (20,000 by default) are drawn as one compact
        layer (streets merged, simplified at 5 m, vertices to 1e-5 degrees, encoded
        polylines drawn on the canvas; same colours and tooltips) instead of one
        GeoJSON line each; ``None`` draws GeoJSON whatever the number.

    Returns
    -------
    folium.Map
        The map (``save_map(m, path, offline=True)`` writes it; in a notebook it
        renders with Leaflet embedded, without internet).

    Raises
    ------
    InputError
        If there is no plan or the language is unknown.
    DatumError
        If ``datum`` is not a known datum.

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
    datum = normalize_datum(datum)
    sep = labels["sep"]
    plans = list(results) if isinstance(results, list | tuple) else [results]
    if not plans:
        raise InputError("plan_map needs at least one plan result.", field="results")
    west = min(p.bounds[0] for p in plans)
    south = min(p.bounds[1] for p in plans)
    east = max(p.bounds[2] for p in plans)
    north = max(p.bounds[3] for p in plans)
    bounds = (west, south, east, north)
    sources: list[str] = []
    for plan in plans:
        for text in plan.parameters.get("attribution") or []:
            if text not in sources:
                sources.append(text)
    if attribution is not None:
        sources = list(attribution)
    if not sources:
        sources = [OSM_ATTRIBUTION]
    sources = [attribution_text(text, language) for text in sources]
    if m is None:
        m = new_map(bounds, tiles=tiles, attribution=sources[0], language=language)
        rest = sources[1:]
    else:
        rest = sources
    for text in rest:
        add_attribution(m, text)
    legend: dict[str, Any] = {}
    network = next((p.network for p in plans if getattr(p, "network", None) is not None), None)
    if roads and network is not None:
        add_roads(m, network, language=language, compact_above=compact_roads_above)
    workers = [p for p in plans if p.programme == "worker_stations"]
    homes = [p for p in plans if p.programme == "driver_homes"]
    names = {id(p): site_names(p.sites, p.network, language=language) for p in plans}
    station_frames = [p.stations for p in plans if len(p.stations)]
    stations = gpd.GeoDataFrame(pd.concat(station_frames), crs=WGS84) if station_frames else None
    if stations is not None:
        stations = stations[~stations.index.duplicated()]
    city = stations is not None and draws_compact(len(stations), compact_stations_above)
    if heat:
        for plan in workers:
            _heat_layer(m, plan.demand, labels["heat"], bounds, show=not city)
    for plan in workers:
        classes = _hex_layer(m, plan.hexes, labels["uncovered"], labels["uncovered_tip"])
        if classes:
            legend[labels["uncovered_legend"]] = classes
    legend |= _add_service_areas(m, plans, names, labels, compact_above=compact_stations_above)
    for plan in homes:
        classes = _routes_layer(m, plan.routes, labels["routes"], labels["route_tip"])
        if classes:
            legend[labels["routes"]] = classes
        from planner._province_map import add_rest_gaps  # rest gaps before/after (one call)

        legend |= add_rest_gaps(m, plan, language=language)
    if stations is not None:
        add_station_icons(
            m, stations, language=language, datum=datum, compact_above=compact_stations_above
        )
        for key in sorted(set(station_keys(stations))):
            legend[labels[key]] = STATION_COLOURS[key]
        if city:
            legend[labels["stations_compact"].format(n=len(stations))] = "transparent"
    messages: list[str] = []
    for plan in plans:
        key = "new_worker_station" if plan.programme == "worker_stations" else "new_driver_home"
        colour = _NEW_COLOURS[plan.programme]
        if len(plan.sites) == 0:
            reason = " ".join(note_text(n, language) for n in plan.notes) or labels["no_sites"]
            messages.append(f"{labels[key]}{sep}{reason}" if len(plans) > 1 else reason)
            continue
        layer = folium.FeatureGroup(name=labels[key])
        phased = "phase" in plan.sites.columns
        sites = plan.sites.sort_values("rank", ascending=False)
        lon, lat = to_display(m, sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
        for k, (idx, row) in enumerate(sites.iterrows()):
            if phased:
                colour = _PHASE_COLOURS[min(int(row["phase"]), len(_PHASE_COLOURS)) - 1]
            name = str(names[id(plan)][idx])
            folium.Marker(
                location=[lat[k], lon[k]],
                icon=folium.DivIcon(
                    html=_rank_icon_html(int(row["rank"]), colour),
                    icon_size=(28, 28),
                    icon_anchor=(14, 14),
                    class_name="planner-site",
                ),
                tooltip=escape_html(f"{int(row['rank'])}. {name}"),
                popup=folium.Popup(
                    _site_popup(row, name, plan, labels, language, datum), max_width=320
                ),
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
            line = labels["coverage_line"].format(
                name=plan_name(plan.name, plan.programme, language),
                before=f"{c['share_before']:.0%}",
                after=f"{c['share_after']:.0%}",
            )
            legend[line] = "transparent"
    nothing = all(len(p.sites) == 0 and len(p.stations) == 0 and len(p.demand) == 0 for p in plans)
    if messages:
        _add_message(m, labels["empty"] if nothing else labels["no_sites"], messages)
    add_title(m, title or plan_name(plans[0].name, plans[0].programme, language), subtitle=None)
    if legend:
        add_legend(m, legend, title=labels["legend"])
    add_layer_control(m)
    return m


def province_map(
    result: Any,
    *,
    m: folium.Map | None = None,
    tiles: str | None = None,
    title: str | None = None,
    language: Literal["en", "zh"] = "en",
) -> folium.Map:
    """Map a driver-home programme: corridors by volume, rest gaps, homes by phase.

    :func:`planner.maps.plan_map` of the plan (freight corridors coloured by
    trucks a day, existing homes, new homes numbered by rank and coloured by
    phase, rest gaps before and after) with a table of the phases: homes open,
    share of trucks meeting the rest rule, gaps left.

    Parameters
    ----------
    result
        A driver-home :class:`planner.plan.PlanResult`.
    m
        A map to add to (a new one when ``None``).
    tiles
        Basemap, ``None`` for none (the default: the synthetic province is invented).
    title
        Title (default: the plan's name).
    language
        Labels' language.

    Returns
    -------
    folium.Map
        The map.

    Examples
    --------
    >>> from planner import datasets
    >>> from planner.datasets.demo import province_homes_plan
    >>> res = province_homes_plan().site(phases=[3, 3])  # doctest: +SKIP
    >>> "Rest gaps before" in province_map(res).get_root().render()  # doctest: +SKIP
    True
    """
    from planner._province_map import add_phase_table

    out = plan_map(result, m=m, tiles=tiles, title=title, language=language)
    return add_phase_table(out, result, language)


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
    load_folium()
    labels = labels_for(language)
    if m is None:
        m = new_map(
            network.bounds,
            tiles=tiles,
            attribution=attribution_text(attribution, language),
            language=language,
        )
    add_roads(m, network, language=language)
    legend: dict[str, Any] = {labels[key]: colour for key, colour in ROAD_LEGEND.items()}
    if stations is not None and len(stations):
        add_stations(m, stations, language=language)
        keys = sorted(set(station_keys(stations)))
        legend |= {labels[k]: STATION_COLOURS[k] for k in keys}
        if len(stations) > COMPACT_ABOVE:
            legend[labels["stations_compact"].format(n=len(stations))] = "transparent"
    if title:
        add_title(m, title, subtitle=subtitle)
    add_legend(m, legend, title=labels["legend"])
    add_layer_control(m)
    return m
