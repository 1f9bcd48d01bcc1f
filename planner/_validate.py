"""The one path from point input to validated WGS84 longitude/latitude.

Every entry point that takes places (demand, stations, candidates, sites, zones,
trace fixes as geometry, points to snap) reads them here, so that a missing CRS,
an empty geometry, a polygon where a point is needed or coordinates outside the
degree ranges get the same checks and the same messages everywhere.

Polygons and lines are either refused (``polygons="reject"``: places that must be
points, such as stations to snap) or replaced by their representative point
(``polygons="representative"``: a point guaranteed to lie inside the polygon or on
the line, unlike a centroid, e.g. for candidate sites given as building outlines
or OD zones given as districts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner._errors import InputError
from planner.crs import WGS84

PolygonRule = Literal["reject", "representative"]

__all__ = ["PolygonRule", "points_lonlat"]


def points_lonlat(
    points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray | Sequence[tuple[float, float]],
    *,
    label: str,
    polygons: PolygonRule = "reject",
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Return the index and WGS84 longitude/latitude arrays of point input.

    Parameters
    ----------
    points
        A GeoDataFrame or GeoSeries with a CRS, or an ``(n, 2)`` array of
        ``(lon, lat)`` pairs in WGS84 degrees (indexed ``0..n-1``).
    label
        What the input is called in error messages (e.g. ``"stations"``).
    polygons
        ``"reject"`` refuses geometries other than points; ``"representative"``
        takes each one's representative point (computed in WGS84 degrees).

    Returns
    -------
    tuple
        The input's index, longitudes and latitudes (float arrays).

    Raises
    ------
    InputError
        No CRS, empty geometries, non-points where points are required, or
        coordinates that are not finite degrees; the message names the row.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> gdf = gpd.GeoDataFrame(geometry=[Point(113.0, 28.0), box(0, 0, 2, 2)], crs=4326)
    >>> idx, lon, lat = points_lonlat(gdf, label="sites", polygons="representative")
    >>> lon.tolist(), lat.tolist()
    ([113.0, 1.0], [28.0, 1.0])
    """
    if not isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        return _array_lonlat(points, label=label)
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs is None:
        raise InputError(
            f"{label} has no CRS, so its coordinates cannot be placed on the map.",
            file=label,
            field="geometry",
            fix="set it, e.g. gdf.set_crs('EPSG:4326') for WGS84 longitude/latitude.",
        )
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    if missing.any():
        rows = (np.flatnonzero(missing)[:10] + 1).tolist()
        raise InputError(
            f"{label} has {int(missing.sum())} rows without geometry (rows {rows}).",
            file=label,
            row=rows[0],
            field="geometry",
            fix="drop those rows or give them coordinates.",
        )
    if not CRS(geoms.crs).equals(WGS84):
        geoms = geoms.to_crs(WGS84)
    not_point = (geoms.geom_type != "Point").to_numpy()
    if not_point.any():
        if polygons == "reject":
            first = int(np.flatnonzero(not_point)[0])
            raise InputError(
                f"{label} must hold points; row {first + 1} is a {geoms.iloc[first].geom_type} "
                f"({int(not_point.sum())} rows are not points).",
                file=label,
                row=first + 1,
                field="geometry",
                fix="use points, e.g. gdf.representative_point() of areas.",
            )
        geoms = geoms.copy()
        geoms[not_point] = geoms[not_point].representative_point()
    lon = np.asarray(geoms.x, dtype=float)
    lat = np.asarray(geoms.y, dtype=float)
    _check_degrees(lon, lat, label=label)
    return points.index, lon, lat


def _array_lonlat(
    points: np.ndarray | Sequence[tuple[float, float]], *, label: str
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    array = np.asarray(points, dtype=float)
    if array.size == 0:
        array = array.reshape(0, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise InputError(
            f"{label} must be an (n, 2) array of (lon, lat) pairs, got shape {array.shape}.",
            file=label,
            fix="pass a GeoDataFrame or an array of longitude/latitude pairs.",
        )
    lon, lat = array[:, 0], array[:, 1]
    _check_degrees(lon, lat, label=label)
    return pd.RangeIndex(len(array)), lon, lat


def _check_degrees(lon: np.ndarray, lat: np.ndarray, *, label: str) -> None:
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{label} has coordinates that are not finite longitude/latitude degrees "
            f"at rows {rows}.",
            file=label,
            row=rows[0],
            fix="pass (lon, lat) pairs in degrees (WGS84), longitude first.",
        )
