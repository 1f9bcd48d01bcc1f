"""Demand from points: the user's own points, stays and hotspots, in the demand schema."""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError
from planner.demand._common import gdf_lonlat
from planner.demand.schema import SOURCES, check_group, make_demand, normal_groups, validate_demand

__all__ = ["demand_from_hotspots", "demand_from_points", "demand_from_stays"]


def demand_from_points(
    points: gpd.GeoDataFrame,
    *,
    weight: str | float = 1.0,
    group: str = "other",
    group_field: str | None = "group",
    source: str = "user",
    label: str = "points",
) -> gpd.GeoDataFrame:
    """Turn any points (the user's own file, an order table) into the demand schema.

    Parameters
    ----------
    points
        A GeoDataFrame with a CRS; polygons become representative points.
    weight
        A column name holding weights, or one weight for every point.
    group
        Worker group of every point unless ``group_field`` is a column.
    group_field
        Column holding each point's worker group.
    source
        The ``source`` value (one of :data:`SOURCES`).
    label
        What the points are (a file name), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema on the input's index.

    Examples
    --------
    >>> import geopandas as gpd
    >>> orders = gpd.GeoDataFrame({"orders": [3, 5]},
    ...                           geometry=gpd.points_from_xy([116.3, 116.4], [39.9, 39.9]),
    ...                           crs="EPSG:4326")
    >>> demand_from_points(orders, weight="orders", group="rider")["weight"].tolist()
    [3.0, 5.0]
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise InputError(
            f"{label} must be a GeoDataFrame, got {type(points).__name__}.", file=label
        )
    if source not in SOURCES:
        raise InputError(
            f"unknown source {source!r}.", field="source", fix=f"use one of {SOURCES}."
        )
    lon, lat = gdf_lonlat(points, label)
    if isinstance(weight, str):
        if weight not in points.columns:
            raise InputError(
                f"weight column {weight!r} is missing; the columns are {list(points.columns)}.",
                file=label,
                field=weight,
            )
        weights = pd.to_numeric(points[weight], errors="coerce").to_numpy(dtype=float)
    else:
        weights = np.full(len(points), float(weight))
    if group_field is not None and group_field in points.columns:
        groups: np.ndarray | str = normal_groups(points[group_field]).to_numpy(dtype=object)
    else:
        groups = check_group(group)
    out = make_demand(weights, groups, source, lon, lat, index=points.index)
    if isinstance(weight, str):
        bad = ~np.isfinite(weights) | (weights < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            raise InputError(
                f"{int(bad.sum())} weights are missing or negative, e.g. "
                f"{points[weight].iloc[row - 1]!r}.",
                file=label,
                row=row,
                field=weight,
                fix="weights must be numbers >= 0.",
            )
    return validate_demand(out, label=label)


def demand_from_stays(
    stays: gpd.GeoDataFrame, *, weight_by: Literal["stays", "dwell_hours"] = "stays"
) -> gpd.GeoDataFrame:
    """Use every stay as a demand point (no clustering).

    Parameters
    ----------
    stays
        Stays from :func:`stays_from_traces`.
    weight_by
        1 per stay, or the stay's duration in hours.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema on the stays' index, plus ``driver``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> stays = gpd.GeoDataFrame({"driver": ["a"], "group": ["rider"], "duration_min": [90.0]},
    ...                          geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> demand_from_stays(stays, weight_by="dwell_hours")["weight"].tolist()
    [1.5]
    """
    if weight_by not in ("stays", "dwell_hours"):
        raise InputError(
            f"weight_by must be 'stays' or 'dwell_hours', got {weight_by!r}.", field="weight_by"
        )
    lon, lat = gdf_lonlat(stays, "stays")
    weights = (
        np.ones(len(stays))
        if weight_by == "stays"
        else stays["duration_min"].to_numpy(dtype=float) / 60.0
    )
    return make_demand(
        weights,
        stays["group"].astype("string").to_numpy(dtype=object),
        "stays",
        lon,
        lat,
        index=stays.index,
        extra={"driver": stays["driver"].to_numpy()},
    )


def demand_from_hotspots(hotspots: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn hotspots from :func:`hotspots_from_stays` into the demand schema.

    Parameters
    ----------
    hotspots
        Hotspots (their ``weight`` and ``group`` are kept).

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema on the hotspots' index, with ``n_stays``, ``n_drivers``
        and ``dwell_minutes`` kept.

    Examples
    --------
    >>> import geopandas as gpd
    >>> h = gpd.GeoDataFrame({"group": ["rider"], "weight": [4.0], "n_stays": [9],
    ...                       "n_drivers": [4], "dwell_minutes": [300.0]},
    ...                      geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> demand_from_hotspots(h)[["weight", "group", "source"]].to_dict("records")
    [{'weight': 4.0, 'group': 'rider', 'source': 'stays'}]
    """
    lon, lat = gdf_lonlat(hotspots, "hotspots")
    extra = {
        c: hotspots[c].to_numpy()
        for c in ("n_stays", "n_drivers", "dwell_minutes")
        if c in hotspots
    }
    return make_demand(
        hotspots["weight"].to_numpy(dtype=float),
        hotspots["group"].astype("string").to_numpy(dtype=object),
        "stays",
        lon,
        lat,
        index=hotspots.index,
        extra=extra,
    )
