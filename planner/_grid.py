"""Square and hexagonal grids in a metric CRS (shared by demand and candidates).

Hexagons are pointy-topped; ``cell_m`` is the distance between the centres of
adjacent cells for both shapes (the side of a square; ``sqrt(3)`` times the
circumradius of a hexagon), so that both grids have one cell per ``cell_m``
step along a row.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import shapely

GridShape = Literal["hex", "square"]

_SQRT3 = float(np.sqrt(3.0))


def cell_of(x: np.ndarray, y: np.ndarray, cell_m: float, shape: GridShape) -> np.ndarray:
    """Return integer cell coordinates ``(n, 2)`` of metric points.

    Squares use ``(column, row)``; hexagons use axial ``(q, r)`` found by cube
    rounding, so every point falls in exactly one cell.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if shape == "square":
        return np.column_stack([np.floor(x / cell_m), np.floor(y / cell_m)]).astype(np.int64)
    size = cell_m / _SQRT3  # circumradius
    qf = (_SQRT3 / 3.0 * x - y / 3.0) / size
    rf = (2.0 / 3.0 * y) / size
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return np.column_stack([q, r]).astype(np.int64)


def cell_centre(
    cells: np.ndarray, cell_m: float, shape: GridShape
) -> tuple[np.ndarray, np.ndarray]:
    """Return the metric centres of integer cells from :func:`cell_of`."""
    a = cells[:, 0].astype(float)
    b = cells[:, 1].astype(float)
    if shape == "square":
        return (a + 0.5) * cell_m, (b + 0.5) * cell_m
    size = cell_m / _SQRT3
    return size * (_SQRT3 * a + _SQRT3 / 2.0 * b), size * 1.5 * b


def cell_polygons(cells: np.ndarray, cell_m: float, shape: GridShape) -> np.ndarray:
    """Return the cells as shapely polygons in the metric CRS."""
    cx, cy = cell_centre(cells, cell_m, shape)
    if shape == "square":
        half = cell_m / 2.0
        return np.asarray(shapely.box(cx - half, cy - half, cx + half, cy + half))
    size = cell_m / _SQRT3
    angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
    xs = cx[:, None] + size * np.cos(angles)[None, :]
    ys = cy[:, None] + size * np.sin(angles)[None, :]
    rings = np.stack([xs, ys], axis=-1)
    return np.asarray(shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1)))


def centres_in_bounds(
    bounds: tuple[float, float, float, float], cell_m: float, shape: GridShape
) -> tuple[np.ndarray, np.ndarray]:
    """Return the metric centres of all cells whose centre lies within ``bounds``."""
    xmin, ymin, xmax, ymax = bounds
    if shape == "square":
        cols = np.arange(np.floor(xmin / cell_m), np.ceil(xmax / cell_m) + 1)
        rows = np.arange(np.floor(ymin / cell_m), np.ceil(ymax / cell_m) + 1)
    else:
        size = cell_m / _SQRT3
        rows = np.arange(np.floor(ymin / (1.5 * size)) - 1, np.ceil(ymax / (1.5 * size)) + 2)
        lo = np.floor(xmin / cell_m - rows.max() / 2.0) - 1
        hi = np.ceil(xmax / cell_m - rows.min() / 2.0) + 1
        cols = np.arange(lo, hi + 1)
    aa, bb = np.meshgrid(cols, rows)
    cells = np.column_stack([aa.ravel(), bb.ravel()]).astype(np.int64)
    cx, cy = cell_centre(cells, cell_m, shape)
    inside = (cx >= xmin) & (cx <= xmax) & (cy >= ymin) & (cy <= ymax)
    return cx[inside], cy[inside]
