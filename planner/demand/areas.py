"""Demand from areas: district or community totals spread over the area's roads.

A community's population (or a district's worker count) is put where people are
reached: along the streets inside it (``spread="roads"``, the default), on its
buildings (``"buildings"``, by footprint area), equally on its network nodes
(``"nodes"``) or, when asked, on one point inside it (``"centroid"``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import InputError
from planner._tables import plain
from planner.crs import WGS84
from planner.demand._common import datum_to_wgs84
from planner.demand.roads import node_road_length
from planner.demand.schema import check_group, make_demand, normal_groups

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = ["SPREADS", "areas_to_wgs84", "demand_from_areas"]

Spread = Literal["roads", "nodes", "centroid", "buildings"]
#: How :func:`demand_from_areas` places an area's total.
SPREADS: tuple[str, ...] = ("roads", "nodes", "centroid", "buildings")


def areas_to_wgs84(
    areas: gpd.GeoDataFrame, *, datum: str = "wgs84", label: str = "areas"
) -> gpd.GeoSeries:
    """Return the areas' polygons in WGS84, converted from GCJ-02 or BD-09 when asked.

    Parameters
    ----------
    areas
        Polygons with a CRS.
    datum
        ``"wgs84"``, or ``"gcj02"`` / ``"bd09"`` for boundaries drawn on Chinese web maps.
    label
        What the areas are (a file name), for messages.

    Returns
    -------
    geopandas.GeoSeries
        The polygons on the areas' index, EPSG:4326.
    """
    if not isinstance(areas, gpd.GeoDataFrame) or areas.crs is None:
        raise InputError(
            f"{label} must be a GeoDataFrame of polygons with a CRS.",
            file=label,
            fix="read it with geopandas.read_file, or set_crs(...).",
        )
    kinds = set(areas.geometry.geom_type.dropna().unique())
    if kinds - {"Polygon", "MultiPolygon"}:
        raise InputError(
            f"{label} must hold polygons; it holds {sorted(kinds)}.",
            file=label,
            field="geometry",
            fix="give the areas' boundaries (community or district polygons).",
        )
    polys = areas.geometry.to_crs(WGS84) if not CRS(areas.crs).equals(WGS84) else areas.geometry
    if datum.lower() not in ("wgs84", "epsg:4326"):

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = datum_to_wgs84(xy[:, 0], xy[:, 1], datum, label)
            return np.column_stack([lon, lat])

        polys = gpd.GeoSeries(
            shapely.transform(polys.values, convert), index=polys.index, crs=WGS84
        )
    return polys


def demand_from_areas(
    areas: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    value: str,
    group: str = "other",
    group_field: str | None = "group",
    mode: str = "ebike",
    datum: str = "wgs84",
    spread: Spread = "roads",
    buildings: gpd.GeoDataFrame | None = None,
    label: str = "areas",
) -> gpd.GeoDataFrame:
    """Spread area totals (population per community, workers per district) over the roads.

    With ``spread="roads"`` (the default) each area's total is spread evenly
    along the streets inside it: the network nodes (usable by ``mode``) inside
    the area share it in proportion to the street length each stands for
    (:func:`~planner.demand.roads.node_road_length`). ``"nodes"`` shares it
    equally among those nodes, ``"buildings"`` among the ``buildings`` inside
    it by footprint area (times ``building:levels`` where given), and
    ``"centroid"`` puts it on one point inside the area (its representative
    point). An area without a node (or building) puts its total on the node
    nearest its representative point, with a warning. Totals are kept exactly
    (up to floating-point rounding).

    Parameters
    ----------
    areas
        Polygons with a CRS and a column of totals.
    network
        The road network.
    value
        Column holding each area's total (>= 0).
    group
        Worker group unless ``group_field`` is a column of ``areas``.
    group_field
        Column holding each area's worker group.
    mode
        Travel mode whose usable nodes receive demand.
    datum
        Datum of the polygons' longitude/latitude: ``"wgs84"``, or ``"gcj02"`` /
        ``"bd09"`` for boundaries taken from Chinese web maps (converted with
        :func:`planner.crs.to_wgs84`).
    spread
        ``"roads"``, ``"nodes"``, ``"buildings"`` or ``"centroid"`` (see above).
    buildings
        Building footprints (polygons, any CRS; WGS84 datum) for ``spread="buildings"``.
    label
        What the areas are (a file name), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema (``source`` ``"area"``), one row per (area, node) (or
        building, or area), with ``area`` (the area's index label) and ``node``
        (OSM id; -1 for a building or centroid).

    Raises
    ------
    InputError
        A missing or negative total, no polygons, an unknown ``spread``, or
        areas that together hold no weight.

    Examples
    --------
    >>> from planner import datasets
    >>> import geopandas as gpd
    >>> net = datasets.demo_network()
    >>> area = gpd.GeoDataFrame({"workers": [120.0]}, geometry=[datasets.demo_area()],
    ...                         crs="EPSG:4326")
    >>> round(float(demand_from_areas(area, net, value="workers")["weight"].sum()), 6)
    120.0
    """
    if spread not in SPREADS:
        raise InputError(
            f"spread must be one of {', '.join(SPREADS)}; got {spread!r}.",
            field="spread",
            fix="'roads' spreads each total along the area's streets.",
        )
    if spread == "buildings" and buildings is None:
        raise InputError(
            "spread='buildings' needs the building footprints.",
            field="buildings",
            fix="pass buildings=geopandas.read_file(...), or use spread='roads'.",
        )
    polys = areas_to_wgs84(areas, datum=datum, label=label)
    if value not in areas.columns:
        raise InputError(
            f"column {value!r} is missing; the columns are {list(areas.columns)}.",
            file=label,
            field=value,
        )
    totals = pd.to_numeric(areas[value], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(totals) | (totals < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(
            f"{int(bad.sum())} totals are missing or negative (first: "
            f"{plain(areas[value].iloc[row - 1])!r}).",
            file=label,
            row=row,
            field=value,
            fix="totals must be numbers >= 0.",
        )
    if not len(areas) or not totals.sum() > 0:
        raise InputError(
            f"the {len(areas)} areas hold no {value} (total {totals.sum():g}): no demand.",
            file=label,
            field=value,
            fix="name the column of population or worker counts.",
        )
    if group_field is not None and group_field in areas.columns:
        area_groups = normal_groups(areas[group_field]).to_numpy(dtype=object)
    else:
        area_groups = np.full(len(areas), check_group(group), dtype=object)
    labels = areas.index.to_numpy()
    if spread == "centroid":
        reps = polys.representative_point()
        return make_demand(
            totals,
            area_groups,
            "area",
            reps.x.to_numpy(float),
            reps.y.to_numpy(float),
            extra={"area": labels, "node": np.full(len(areas), -1, dtype=np.int64)},
        )
    if spread == "buildings":
        assert buildings is not None
        placed = _on_buildings(polys, totals, buildings, network, label)
        if placed is not None:
            share, area_pos, lon, lat = placed
            return make_demand(
                share,
                area_groups[area_pos],
                "area",
                lon,
                lat,
                extra={"area": labels[area_pos], "node": np.full(len(share), -1, np.int64)},
            )
    return _on_nodes(polys, totals, area_groups, labels, network, mode, spread, label)


def _on_nodes(
    polys: gpd.GeoSeries,
    totals: np.ndarray,
    area_groups: np.ndarray,
    labels: np.ndarray,
    network: RoadNetwork,
    mode: str,
    spread: str,
    label: str,
) -> gpd.GeoDataFrame:
    """Share each area's total among the network nodes inside it (by street length or equally)."""
    usable, metres = node_road_length(network, mode)
    node_lon = network.lon[usable]
    node_lat = network.lat[usable]
    mass = metres if spread == "roads" else np.ones(len(usable))
    node_pts = gpd.GeoSeries(gpd.points_from_xy(node_lon, node_lat), crs=WGS84)
    tree_hits = node_pts.sindex.query(polys.values, predicate="intersects")
    area_pos, node_pos = tree_hits[0], tree_hits[1]
    keep = mass[node_pos] > 0
    area_pos, node_pos = area_pos[keep], node_pos[keep]
    n_areas = len(polys)
    counts = np.bincount(area_pos, weights=mass[node_pos], minlength=n_areas)
    empty = np.flatnonzero(counts <= 0)
    if len(empty):
        names = ", ".join(repr(labels[e]) for e in empty[:5])
        warnings.warn(
            f"{label}: {len(empty)} areas contain no {mode} network node ({names}); "
            "their totals go to the node nearest each area.",
            UserWarning,
            stacklevel=3,
        )
        reps = polys.iloc[empty].representative_point()
        snapped = network.snap(reps, mode=mode, on_far="ignore", label=label)
        extra_nodes = np.searchsorted(usable, snapped.node_index)
        area_pos = np.concatenate([area_pos, empty])
        node_pos = np.concatenate([node_pos, extra_nodes])
        mass_rows = np.concatenate(
            [mass[node_pos[: len(node_pos) - len(empty)]], np.ones(len(empty))]
        )
        counts = np.bincount(area_pos, weights=mass_rows, minlength=n_areas)
    else:
        mass_rows = mass[node_pos]
    share = totals[area_pos] * mass_rows / counts[area_pos]
    positions = usable[node_pos]
    return make_demand(
        share,
        area_groups[area_pos],
        "area",
        node_lon[node_pos],
        node_lat[node_pos],
        extra={"area": labels[area_pos], "node": network.node_ids[positions]},
    )


def _on_buildings(
    polys: gpd.GeoSeries,
    totals: np.ndarray,
    buildings: gpd.GeoDataFrame,
    network: RoadNetwork,
    label: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Share each area's total among its buildings by floor area; None when an area has none."""
    if not isinstance(buildings, gpd.GeoDataFrame) or buildings.crs is None:
        raise InputError(
            "buildings must be a GeoDataFrame of footprints with a CRS.",
            field="buildings",
            fix="read them with geopandas.read_file, or set_crs(...).",
        )
    footprints = buildings[buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    metric = footprints.geometry.to_crs(network.crs)
    floor = metric.area.to_numpy(float)
    if "building:levels" in footprints.columns:
        levels = pd.to_numeric(footprints["building:levels"], errors="coerce").to_numpy(float)
        floor = floor * np.where(np.isfinite(levels) & (levels > 0), levels, 1.0)
    points = footprints.geometry.to_crs(WGS84).representative_point()
    hits = points.sindex.query(polys.values, predicate="intersects")
    area_pos, b_pos = hits[0], hits[1]
    keep = floor[b_pos] > 0
    area_pos, b_pos = area_pos[keep], b_pos[keep]
    per_area = np.bincount(area_pos, weights=floor[b_pos], minlength=len(polys))
    empty = np.flatnonzero((per_area <= 0) & (totals > 0))
    if len(empty):
        names = ", ".join(repr(polys.index[e]) for e in empty[:5])
        warnings.warn(
            f"{label}: {len(empty)} areas hold no building ({names}); their totals are "
            "spread along their roads instead (spread='roads').",
            UserWarning,
            stacklevel=3,
        )
        return None
    share = totals[area_pos] * floor[b_pos] / per_area[area_pos]
    return share, area_pos, points.x.to_numpy(float)[b_pos], points.y.to_numpy(float)[b_pos]
