"""Coordinate reference systems and Chinese map datums.

Planner works in WGS84 longitude/latitude (EPSG:4326) at its edges and in a
local metric CRS (a UTM zone chosen from the data) wherever it measures metres.

Chinese web maps do not publish WGS84 coordinates. Amap (Gaode), Tencent and
Apple's map of China use **GCJ-02** ("Mars coordinates"), an obfuscated datum
shifted from WGS84 by a smooth, non-linear offset of a few hundred metres; Baidu
uses **BD-09**, a further rotation and shift of GCJ-02. Points copied from those
maps must be converted before they are laid over OpenStreetMap roads (WGS84).

Sources of the formulas
-----------------------
The WGS84 -> GCJ-02 transform is the one published by the open-source
"eviltransform" family (googollee/eviltransform, wandergis/coordtransform,
Artoria2e5/PRCoords, all MIT-licensed): the Krasovsky 1940 ellipsoid
(``a = 6378245.0``, ``ee = 0.00669342162296594323``) and two trigonometric
series in ``(lon - 105, lat - 35)``. GCJ-02 -> BD-09 is Baidu's ``bd_encrypt``
with ``x_pi = pi * 3000 / 180``. Both are written here afresh, vectorised.

Neither has a closed-form inverse. The inverses here solve ``forward(w) = g``
by fixed-point iteration, ``w <- w + (g - forward(w))``, which converges fast
because each forward map is the identity plus a shift whose derivative is of
the order of 1e-3. Iteration stops once no point moves by more than 1e-10
degree (about 0.01 mm), so conversions round-trip to far better than 1 mm. (The
usual one-step inverse, ``2 g - forward(g)``, is off by up to a few metres, and
Baidu's own ``bd_decrypt`` by up to about a metre.)

Outside China no offset is applied. "China" is the rough bounding box used by
those implementations (:data:`CHINA_BBOX`, :func:`in_china`): longitude 72.004
to 137.8347 E and latitude 0.8293 to 55.8271 N. It also holds parts of
neighbouring countries and seas, where the offset is applied all the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal, overload

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Geod

from planner._errors import DatumError

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


Datum = Literal["wgs84", "gcj02", "bd09"]
"""The map datums planner converts: WGS84 (GPS, OSM), GCJ-02 (Amap, Tencent), BD-09 (Baidu)."""

DATUMS: Final[tuple[Datum, ...]] = ("wgs84", "gcj02", "bd09")

CHINA_BBOX: Final[tuple[float, float, float, float]] = (72.004, 0.8293, 137.8347, 55.8271)
"""(min lon, min lat, max lon, max lat) of the box where GCJ-02 and BD-09 offsets apply."""

_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE: Final = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI: Final = math.pi * 3000.0 / 180.0
_TOL_DEG: Final = 1e-10
_MAX_ITER: Final = 50
# Points this far (degrees) outside the box cannot map into it: skip them in inverses.
_MARGIN_DEG: Final = 0.1
_GEOD: Final = Geod(ellps="WGS84")
_ALIASES: Final[dict[str, Datum]] = {
    "wgs84": "wgs84",
    "epsg:4326": "wgs84",
    "gcj02": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
}

FloatArray = npt.NDArray[np.float64]
_Transform = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def normalize_datum(datum: str) -> Datum:
    """Return the canonical name of a map datum, or raise :class:`DatumError`.

    Case, hyphens, underscores and spaces are ignored, so ``"GCJ-02"`` and
    ``"BD_09"`` are accepted; ``"EPSG:4326"`` means ``"wgs84"``.

    Parameters
    ----------
    datum
        The datum name as given by the user.

    Returns
    -------
    str
        One of ``"wgs84"``, ``"gcj02"``, ``"bd09"``.

    Raises
    ------
    DatumError
        If the name is none of those.

    Examples
    --------
    >>> normalize_datum("GCJ-02")
    'gcj02'
    """
    key = str(datum).strip().lower()
    for char in "-_ ":
        key = key.replace(char, "")
    if key not in _ALIASES:
        msg = f"unknown datum {datum!r}; the allowed values are 'wgs84', 'gcj02' and 'bd09'."
        raise DatumError(
            msg,
            field="datum",
            fix=(
                "pass datum='wgs84' for GPS and OpenStreetMap coordinates, 'gcj02' for "
                "Amap/Gaode/Tencent, 'bd09' for Baidu."
            ),
        )
    return _ALIASES[key]


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Tell which points fall in the rough China box where the offsets apply.

    The box is longitude 72.004 to 137.8347 E and latitude 0.8293 to 55.8271 N
    (:data:`CHINA_BBOX`), the test used by the reference implementations.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (scalars or arrays).

    Returns
    -------
    numpy.ndarray of bool
        True where a point is inside the box (0-d for scalar input).

    Examples
    --------
    >>> in_china([116.4, 2.35], [39.9, 48.86]).tolist()
    [True, False]
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    return _in_box(x, y, 0.0)


def _in_box(x: FloatArray, y: FloatArray, margin: float) -> npt.NDArray[np.bool_]:
    minx, miny, maxx, maxy = CHINA_BBOX
    inside = (x >= minx - margin) & (x <= maxx + margin)
    inside &= (y >= miny - margin) & (y <= maxy + margin)
    return np.asarray(inside)


def _gcj_shift(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the GCJ-02 shift (dlon, dlat) in degrees at WGS84 points."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat += common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon += common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = dlon * 180.0 / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def _wgs_to_gcj(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS84 -> GCJ-02 without the China test."""
    dlon, dlat = _gcj_shift(lon, lat)
    return lon + dlon, lat + dlat


def _gcj_to_bd(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> BD-09 (Baidu's bd_encrypt) without the China test."""
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _wgs_to_bd(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS84 -> BD-09 without the China test."""
    return _gcj_to_bd(*_wgs_to_gcj(lon, lat))


def _invert(forward: _Transform, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(x, y) = (lon, lat)`` by fixed-point iteration."""
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        dx, dy = lon - fx, lat - fy
        x += dx
        y += dy
        if x.size == 0 or max(float(np.max(np.abs(dx))), float(np.max(np.abs(dy)))) < _TOL_DEG:
            break
    return x, y


_FORWARD: Final[dict[Datum, _Transform]] = {"gcj02": _wgs_to_gcj, "bd09": _wgs_to_bd}


def _is_scalar(lon: npt.ArrayLike, lat: npt.ArrayLike) -> bool:
    return np.ndim(lon) == 0 and np.ndim(lat) == 0


def _prepare(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    # Copies: callers' arrays are never changed in place.
    return np.array(x, dtype=float), np.array(y, dtype=float)


def _convert(
    lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str, *, inverse: bool
) -> tuple[FloatArray, FloatArray]:
    name = normalize_datum(datum)
    x0, y0 = _prepare(lon, lat)
    if name == "wgs84":
        return x0, y0
    shape = x0.shape
    x, y = x0.ravel(), y0.ravel()
    forward = _FORWARD[name]
    finite = np.isfinite(x) & np.isfinite(y)
    if not inverse:
        todo = finite & _in_box(x, y, 0.0)
        x[todo], y[todo] = forward(x[todo], y[todo])
        return x.reshape(shape), y.reshape(shape)
    # Points far outside the box cannot come from inside it: leave them as they are.
    todo = finite & _in_box(x, y, _MARGIN_DEG)
    wx, wy = _invert(forward, x[todo], y[todo])
    # The forward map shifts only points inside the box, so a solution is valid
    # only if it lies inside; otherwise the point was not shifted.
    valid = _in_box(wx, wy, 0.0)
    idx = np.flatnonzero(todo)[valid]
    x[idx], y[idx] = wx[valid], wy[valid]
    return x.reshape(shape), y.reshape(shape)


@overload
def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]: ...
@overload
def to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str
) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert coordinates from a Chinese map datum to WGS84.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees in ``datum`` (scalars or arrays of
        broadcastable shapes). NaN stays NaN.
    datum
        ``"gcj02"`` (Amap/Gaode, Tencent), ``"bd09"`` (Baidu) or ``"wgs84"``
        (no change).

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``: floats for scalar input, arrays otherwise. Points
        outside the China box (:func:`in_china`) are returned unchanged.

    Raises
    ------
    DatumError
        If ``datum`` is not one of the names above.

    Examples
    --------
    >>> lon, lat = to_wgs84(121.531541859215, 31.17530398364597, "gcj02")
    >>> round(lon, 6), round(lat, 6)
    (121.527211, 31.177428)
    """
    x, y = _convert(lon, lat, datum, inverse=True)
    if _is_scalar(lon, lat):
        return float(x), float(y)
    return x, y


@overload
def from_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]: ...
@overload
def from_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str
) -> tuple[FloatArray, FloatArray]: ...
def from_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert WGS84 coordinates to a Chinese map datum.

    Parameters
    ----------
    lon, lat
        WGS84 longitudes and latitudes in degrees (scalars or arrays of
        broadcastable shapes). NaN stays NaN.
    datum
        ``"gcj02"`` (Amap/Gaode, Tencent), ``"bd09"`` (Baidu) or ``"wgs84"``
        (no change).

    Returns
    -------
    tuple
        ``(lon, lat)`` in ``datum``: floats for scalar input, arrays otherwise.
        Points outside the China box (:func:`in_china`) are returned unchanged.

    Raises
    ------
    DatumError
        If ``datum`` is not one of the names above.

    Examples
    --------
    >>> lon, lat = from_wgs84(121.5272106, 31.1774276, "gcj02")
    >>> round(lon, 6), round(lat, 6)
    (121.531542, 31.175304)
    """
    x, y = _convert(lon, lat, datum, inverse=False)
    if _is_scalar(lon, lat):
        return float(x), float(y)
    return x, y


@overload
def datum_offset_m(lon: float, lat: float, datum: str) -> float: ...
@overload
def datum_offset_m(lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str) -> FloatArray: ...
def datum_offset_m(lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str) -> float | FloatArray:
    """Return how far, in metres, a datum moves WGS84 points.

    The distance is geodesic on the WGS84 ellipsoid between each point and its
    image under :func:`from_wgs84`. Use it to tell users how much a wrong datum
    would misplace their data.

    Parameters
    ----------
    lon, lat
        WGS84 longitudes and latitudes in degrees (scalars or arrays).
    datum
        ``"gcj02"``, ``"bd09"`` or ``"wgs84"`` (always 0).

    Returns
    -------
    float or numpy.ndarray
        Offsets in metres (0 outside the China box; NaN where input is NaN).

    Examples
    --------
    >>> round(datum_offset_m(116.39, 39.91, "gcj02"))
    556
    """
    x, y = _prepare(lon, lat)
    dx, dy = from_wgs84(x, y, datum)
    *_, dist = _GEOD.inv(x, y, dx, dy)
    dist = np.asarray(dist, dtype=float)
    if _is_scalar(lon, lat):
        return float(dist)
    return dist
