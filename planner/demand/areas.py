"""Demand from areas: district totals spread over the road network's nodes."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import InputError
from planner.crs import WGS84
from planner.demand._common import datum_to_wgs84
from planner.demand.schema import check_group, make_demand, normal_groups

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = ["demand_from_areas"]


def demand_from_areas(
    areas: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    value: str,
    group: str = "other",
    group_field: str | None = "group",
    mode: str = "ebike",
    datum: str = "wgs84",
    label: str = "areas",
) -> gpd.GeoDataFrame:
    """Spread area totals (e.g. workers per district) over the road network's nodes.

    Each area's total is shared equally among the network nodes (usable by
    ``mode``) inside it; an area without a node puts its total on the node
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
    label
        What the areas are (a file name), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema, one row per (area, node), with ``area`` (the area's
        index label) and ``node`` (OSM id).

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
    if not isinstance(areas, gpd.GeoDataFrame) or areas.crs is None:
        raise InputError(
            f"{label} must be a GeoDataFrame of polygons with a CRS.",
            file=label,
            fix="read it with geopandas.read_file, or set_crs(...).",
        )
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
            f"{int(bad.sum())} totals are missing or negative.",
            file=label,
            row=row,
            field=value,
            fix="totals must be numbers >= 0.",
        )
    polys = areas.geometry.to_crs(WGS84) if not CRS(areas.crs).equals(WGS84) else areas.geometry
    if datum.lower() not in ("wgs84", "epsg:4326"):

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = datum_to_wgs84(xy[:, 0], xy[:, 1], datum, label)
            return np.column_stack([lon, lat])

        polys = gpd.GeoSeries(
            shapely.transform(polys.values, convert), index=polys.index, crs=WGS84
        )
    if group_field is not None and group_field in areas.columns:
        area_groups = normal_groups(areas[group_field]).to_numpy(dtype=object)
    else:
        area_groups = np.full(len(areas), check_group(group), dtype=object)
    usable = network.usable_nodes(mode)
    node_lon = network.lon[usable]
    node_lat = network.lat[usable]
    node_pts = gpd.GeoSeries(gpd.points_from_xy(node_lon, node_lat), crs=WGS84)
    tree_hits = node_pts.sindex.query(polys.values, predicate="intersects")
    area_pos, node_pos = tree_hits[0], tree_hits[1]
    counts = np.bincount(area_pos, minlength=len(areas))
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        names = ", ".join(repr(areas.index[e]) for e in empty[:5])
        warnings.warn(
            f"{label}: {len(empty)} areas contain no {mode} network node ({names}); "
            "their totals go to the node nearest each area.",
            UserWarning,
            stacklevel=2,
        )
        reps = polys.iloc[empty].representative_point()
        snapped = network.snap(reps, mode=mode, on_far="ignore", label=label)
        extra_nodes = np.searchsorted(usable, snapped.node_index)
        area_pos = np.concatenate([area_pos, empty])
        node_pos = np.concatenate([node_pos, extra_nodes])
        counts = np.bincount(area_pos, minlength=len(areas))
    share = totals[area_pos] / counts[area_pos]
    positions = usable[node_pos]
    return make_demand(
        share,
        area_groups[area_pos],
        "area",
        node_lon[node_pos],
        node_lat[node_pos],
        extra={"area": areas.index.to_numpy()[area_pos], "node": network.node_ids[positions]},
    )
