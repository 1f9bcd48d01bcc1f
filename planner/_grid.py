"""Square and hexagonal grids in a metric CRS (shared by demand and candidates).

Hexagons are pointy-topped; ``cell_m`` is the distance between the centres of
adjacent cells for both shapes (the side of a square; ``sqrt(3)`` times the
circumradius of a hexagon), so that both grids have one cell per ``cell_m``
step along a row.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
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
    q, r = hex_cells(x, y, cell_m / _SQRT3)
    return np.column_stack([q, r])


def cell_centre(
    cells: np.ndarray, cell_m: float, shape: GridShape
) -> tuple[np.ndarray, np.ndarray]:
    """Return the metric centres of integer cells from :func:`cell_of`."""
    a = cells[:, 0].astype(float)
    b = cells[:, 1].astype(float)
    if shape == "square":
        return (a + 0.5) * cell_m, (b + 0.5) * cell_m
    return _hex_centres(cells[:, 0], cells[:, 1], cell_m / _SQRT3)


def cell_polygons(cells: np.ndarray, cell_m: float, shape: GridShape) -> np.ndarray:
    """Return the cells as shapely polygons in the metric CRS."""
    cx, cy = cell_centre(cells, cell_m, shape)
    if shape == "square":
        half = cell_m / 2.0
        return np.asarray(shapely.box(cx - half, cy - half, cx + half, cy + half))
    return hex_polygons(cells[:, 0], cells[:, 1], cell_m / _SQRT3)


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


def hex_cells(x: np.ndarray, y: np.ndarray, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the axial ``(q, r)`` of the pointy-top hexagon of side ``size_m`` holding each point.

    Hexagons are anchored at the CRS origin (cube rounding), so the same points
    always fall in the same cells.

    Examples
    --------
    >>> q, r = hex_cells(np.array([0.0, 1000.0]), np.array([0.0, 0.0]), 500.0)
    >>> q.tolist(), r.tolist()
    ([0, 1], [0, 0])
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    fq = (math.sqrt(3) / 3 * x - y / 3) / size_m
    fr = (2 / 3 * y) / size_m
    fs = -fq - fr
    q, r, s = np.round(fq), np.round(fr), np.round(fs)
    dq, dr, ds = np.abs(q - fq), np.abs(r - fr), np.abs(s - fs)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def _hex_centres(q: np.ndarray, r: np.ndarray, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    q = np.asarray(q, dtype=float)
    r = np.asarray(r, dtype=float)
    return size_m * math.sqrt(3) * (q + r / 2), size_m * 1.5 * r


def hex_polygons(q: np.ndarray, r: np.ndarray, size_m: float) -> np.ndarray:
    """Return the pointy-top hexagons of side ``size_m`` of axial cells ``(q, r)``.

    The inverse of :func:`hex_cells`: cell ``(q, r)`` is the hexagon around
    ``(size_m * sqrt(3) * (q + r / 2), size_m * 1.5 * r)``.

    Examples
    --------
    >>> q, r = hex_cells(np.array([0.0, 1000.0]), np.array([0.0, 0.0]), 500.0)
    >>> cells = hex_polygons(q, r, 500.0)
    >>> round(cells[0].area), bool(cells[1].contains(shapely.Point(1000.0, 0.0)))
    (649519, True)
    """
    cx, cy = _hex_centres(q, r, size_m)
    angles = np.radians(np.arange(6) * 60 + 30)
    xs = cx[:, None] + size_m * np.cos(angles)[None, :]
    ys = cy[:, None] + size_m * np.sin(angles)[None, :]
    rings = np.stack([xs, ys], axis=-1)
    return np.asarray(shapely.polygons(rings), dtype=object)


def hex_totals(
    q: np.ndarray, r: np.ndarray, weight: np.ndarray, uncovered: np.ndarray, size_m: float
) -> tuple[pd.DataFrame, np.ndarray]:
    """Sum demand per hexagon of side ``size_m``: the one per-hexagon aggregation.

    ``q``, ``r`` are the points' cells from :func:`hex_cells` (callers that also
    label points by cell compute them once).

    Returns a table indexed by ``hex_id`` (``"q_r"``, sorted) with ``points``,
    ``weight``, ``weight_uncovered`` and ``share`` (covered share of the weight;
    NaN where the weight is 0), and the hexagons' polygons in the points' CRS.
    """
    frame = pd.DataFrame(
        {
            "hex_id": [f"{a}_{b}" for a, b in zip(q, r, strict=True)],
            "q": q,
            "r": r,
            "weight": np.asarray(weight, dtype=float),
            "weight_uncovered": np.asarray(uncovered, dtype=float),
        }
    )
    table = frame.groupby("hex_id", sort=True).agg(
        q=("q", "first"),
        r=("r", "first"),
        points=("weight", "size"),
        weight=("weight", "sum"),
        weight_uncovered=("weight_uncovered", "sum"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 1.0 - table["weight_uncovered"] / table["weight"]
    table["share"] = share.where(table["weight"] > 0)
    polygons = hex_polygons(table["q"].to_numpy(), table["r"].to_numpy(), size_m)
    return table.drop(columns=["q", "r"]), polygons
