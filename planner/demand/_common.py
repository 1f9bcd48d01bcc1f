"""Geometry helpers shared by the demand modules: metric CRS, lon/lat, point frames."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from planner._errors import DatumError
from planner._validate import points_lonlat
from planner.crs import WGS84, local_metric_crs

__all__ = [
    "datum_to_wgs84",
    "gdf_lonlat",
    "metric_crs_for",
    "points_gdf",
    "to_lonlat",
    "to_metric",
]


def metric_crs_for(lon: np.ndarray, lat: np.ndarray) -> CRS:
    if len(lon) == 0:
        return local_metric_crs(0.0, 0.0)
    return local_metric_crs(float(np.nanmedian(lon)), float(np.nanmedian(lat)))


def to_metric(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    transformer = Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def points_gdf(
    data: Mapping[str, Any] | pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    index: pd.Index | None = None,
) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(data, index=index)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def gdf_lonlat(gdf: gpd.GeoDataFrame | gpd.GeoSeries, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Return WGS84 lon/lat of points (areas and lines: representative points)."""
    _, lon, lat = points_lonlat(gdf, label=label, polygons="representative")
    return lon, lat


def datum_to_wgs84(
    lon: np.ndarray, lat: np.ndarray, datum: str, label: str
) -> tuple[np.ndarray, np.ndarray]:
    from planner.crs import to_wgs84

    try:
        x, y = to_wgs84(lon, lat, datum)
    except DatumError as error:
        raise DatumError(
            str(error.problems[0].message) if error.problems else str(error),
            file=label,
            field="datum",
            fix=error.fix or "use 'wgs84', 'gcj02' or 'bd09'.",
        ) from error
    return np.asarray(x, float), np.asarray(y, float)
