"""Coordinate reference systems and Chinese map datums.

Planner works in WGS84 longitude/latitude (EPSG:4326) at its edges and in a
local metric CRS (a UTM zone chosen from the data) wherever it measures metres.
"""

from __future__ import annotations

import math

from pyproj import CRS

WGS84 = CRS.from_epsg(4326)


def local_metric_crs(lon: float, lat: float) -> CRS:
    """Return the UTM zone CRS (WGS84 datum) that contains a point.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees (WGS84).

    Returns
    -------
    pyproj.CRS
        The projected CRS of that UTM zone, in metres.

    Examples
    --------
    >>> local_metric_crs(114.05, 22.54).to_epsg()
    32650
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        msg = f"({lon}, {lat}) is not a longitude/latitude pair in degrees."
        raise ValueError(msg)
    zone = min(math.floor((lon + 180.0) / 6.0) + 1, 60)
    epsg = (32600 if lat >= 0 else 32700) + zone
    return CRS.from_epsg(epsg)
