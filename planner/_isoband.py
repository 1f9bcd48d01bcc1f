"""Bands around lines traced from a distance field (private to :mod:`planner.isochrones`).

The polygon ``{x : distance(x, lines) <= width}`` (the union of the lines'
round-capped buffers) is what GEOS builds by unioning one buffer per line, at a
cost that grows with the number of lines and the levels of the union. Here it is
traced instead, in time proportional to the lines' length and the boundary's:

1. :func:`distance_field` writes, on a square grid of spacing ``step``, the
   distance from each grid node to the nearest line segment (only the nodes within
   ``reach`` of a segment are visited; the others keep their initial value), or
   :func:`scatter_runs` lowers the field to distances measured once per line on a
   global grid (:func:`line_runs`, kept as runs of consecutive nodes in a row);
2. :func:`trace_rings` runs marching squares on that field at the level
   ``width`` (see :mod:`planner._isorings`): boundary segments linked into closed
   rings, inside on their left, their signed areas taken, each ring simplified;
   :func:`trace_band` draws a window's field and traces it in one compiled call;
3. :func:`rings_to_geometry` puts each hole in the smallest shell around it, and
   fills holes below a given area (with what lies in them).

Where the distance is linear across a cell (along a straight band side) the
interpolated boundary is exact; it cuts a corner of less than one cell where two
bands meet at an angle, and an opening narrower than about one cell between
bands may close. The field may be float32 (half the memory; distances of tens of
metres are then kept to micrometres). The kernels are compiled once (numba
``cache=True``) and release the GIL.
"""

from __future__ import annotations

import numba
import numpy as np

from planner._isorings import (
    field_rings,
    raise_if_open,
    rings_to_geometry,
    simplify_tolerance,
    trace_rings,
)

__all__ = [
    "BLOCK_SHIFT",
    "band_window",
    "distance_field",
    "line_runs",
    "rings_to_geometry",
    "scatter_runs",
    "trace_band",
    "trace_rings",
    "warm_up",
]

# blocks of 2**BLOCK_SHIFT grid nodes a side: lines are scattered block after block
BLOCK_SHIFT = 6


@numba.njit(cache=True, nogil=True)
def _segment(field, x0, y0, step, reach, ax, ay, bx, by):  # type: ignore[no-untyped-def]
    ny, nx = field.shape
    j0 = max(0, int(np.floor((min(ax, bx) - reach - x0) / step)))
    j1 = min(nx - 1, int(np.ceil((max(ax, bx) + reach - x0) / step)))
    i0 = max(0, int(np.floor((min(ay, by) - reach - y0) / step)))
    i1 = min(ny - 1, int(np.ceil((max(ay, by) + reach - y0) / step)))
    dx = bx - ax
    dy = by - ay
    length2 = dx * dx + dy * dy
    for i in range(i0, i1 + 1):
        py = y0 + i * step
        # (a row's slice, indexed from 0, and no branch but selects: the loop is
        # vectorised, four to five times as fast, each value computed as before)
        row = field[i, j0 : j1 + 1]
        for m in range(len(row)):
            px = x0 + (j0 + m) * step
            t = 0.0
            if length2 > 0.0:
                t = ((px - ax) * dx + (py - ay) * dy) / length2
                t = t if t > 0.0 else 0.0
                t = t if t < 1.0 else 1.0
            qx = ax + t * dx - px
            qy = ay + t * dy - py
            d = np.sqrt(qx * qx + qy * qy)
            # (compared in float64, then rounded into a float32 field: as storing d
            # only where it is less)
            row[m] = row[m] if row[m] <= d else d


@numba.njit(cache=True, nogil=True)
def _distance_field(field, x0, y0, step, reach, xy, start, cum, lines, lo, hi):  # type: ignore[no-untyped-def]
    for k in range(len(lines)):
        line = lines[k]
        a = lo[k]
        b = hi[k]
        if b < a:
            continue
        first = start[line]
        last = start[line + 1]
        if last - first == 1 or b == a:
            # a point (a line cut to nothing, or a one-vertex line)
            p = first
            for m in range(first, last - 1):
                if cum[m + 1] >= a:
                    p = m
                    break
            seg = cum[p + 1] - cum[p] if last - first > 1 else 0.0
            f = (a - cum[p]) / seg if seg > 0.0 else 0.0
            px = xy[p, 0] + f * (xy[min(p + 1, last - 1), 0] - xy[p, 0])
            py = xy[p, 1] + f * (xy[min(p + 1, last - 1), 1] - xy[p, 1])
            _segment(field, x0, y0, step, reach, px, py, px, py)
            continue
        for m in range(first, last - 1):
            c0 = cum[m]
            c1 = cum[m + 1]
            if c1 < a or c0 > b:
                continue
            seg = c1 - c0
            ax = xy[m, 0]
            ay = xy[m, 1]
            bx = xy[m + 1, 0]
            by = xy[m + 1, 1]
            if seg > 0.0 and (c0 < a or c1 > b):
                f0 = (max(a, c0) - c0) / seg
                f1 = (min(b, c1) - c0) / seg
                ax, ay, bx, by = (
                    xy[m, 0] + f0 * (xy[m + 1, 0] - xy[m, 0]),
                    xy[m, 1] + f0 * (xy[m + 1, 1] - xy[m, 1]),
                    xy[m, 0] + f1 * (xy[m + 1, 0] - xy[m, 0]),
                    xy[m, 1] + f1 * (xy[m + 1, 1] - xy[m, 1]),
                )
            _segment(field, x0, y0, step, reach, ax, ay, bx, by)


def distance_field(
    field: np.ndarray,
    x0: float,
    y0: float,
    step: float,
    reach: float,
    xy: np.ndarray,
    start: np.ndarray,
    cum: np.ndarray,
    lines: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> None:
    """Lower ``field`` to the distance from each grid node to the given pieces of lines.

    Grid node ``(i, j)`` sits at ``(x0 + j * step, y0 + i * step)``. Line ``l``
    has vertices ``xy[start[l]:start[l + 1]]`` with cumulative lengths ``cum``
    (0 at each line's first vertex); piece ``k`` is line ``lines[k]`` from
    ``lo[k]`` to ``hi[k]`` metres along it (``lo == hi``: a point). Only nodes
    within ``reach`` of a piece (a box around each segment) are visited.
    """
    _distance_field(
        field,
        float(x0),
        float(y0),
        float(step),
        float(reach),
        np.ascontiguousarray(xy, dtype=np.float64),
        np.ascontiguousarray(start, dtype=np.int64),
        np.ascontiguousarray(cum, dtype=np.float64),
        np.ascontiguousarray(lines, dtype=np.int64),
        np.ascontiguousarray(lo, dtype=np.float64),
        np.ascontiguousarray(hi, dtype=np.float64),
    )


@numba.njit(cache=True, nogil=True)
def _line_runs(gx, gy, step, reach, ncols, nrows, xy, start, lines):  # type: ignore[no-untyped-def]
    """Per line, the runs of global grid nodes within ``reach`` of it and their distances."""
    ptr = np.zeros(len(lines) + 1, dtype=np.int64)
    capacity = 1024
    runs = np.empty((capacity, 3), dtype=np.int64)
    n_runs = 0
    dists = np.empty(4 * capacity, dtype=np.float32)
    used = 0
    for k in range(len(lines)):
        line = lines[k]
        first = start[line]
        last = start[line + 1]
        x_lo = np.inf
        x_hi = -np.inf
        y_lo = np.inf
        y_hi = -np.inf
        for m in range(first, last):
            x_lo = min(x_lo, xy[m, 0])
            x_hi = max(x_hi, xy[m, 0])
            y_lo = min(y_lo, xy[m, 1])
            y_hi = max(y_hi, xy[m, 1])
        j0 = max(0, int(np.floor((x_lo - reach - gx) / step)))
        j1 = min(ncols - 1, int(np.ceil((x_hi + reach - gx) / step)))
        i0 = max(0, int(np.floor((y_lo - reach - gy) / step)))
        i1 = min(nrows - 1, int(np.ceil((y_hi + reach - gy) / step)))
        w = j1 - j0 + 1
        local = np.full((i1 - i0 + 1, w), np.inf)
        for m in range(first, max(first + 1, last - 1)):
            n2 = min(m + 1, last - 1)
            _segment(
                local,
                gx + j0 * step,
                gy + i0 * step,
                step,
                reach,
                xy[m, 0],
                xy[m, 1],
                xy[n2, 0],
                xy[n2, 1],
            )
        if used + local.size > len(dists):
            grown_d = np.empty(2 * (used + local.size), dtype=np.float32)
            grown_d[:used] = dists[:used]
            dists = grown_d
        for i in range(local.shape[0]):
            open_run = False
            for j in range(w):
                d = local[i, j]
                if d > reach:
                    open_run = False
                    continue
                if not open_run:
                    if n_runs + 1 >= capacity:
                        capacity *= 2
                        grown_r = np.empty((capacity, 3), dtype=np.int64)
                        grown_r[:n_runs] = runs[:n_runs]
                        runs = grown_r
                    runs[n_runs, 0] = i0 + i
                    runs[n_runs, 1] = j0 + j
                    runs[n_runs, 2] = used
                    n_runs += 1
                    open_run = True
                dists[used] = d
                used += 1
        ptr[k + 1] = n_runs
    # the run after the last one: where its distances would start
    runs[n_runs, 0] = 0
    runs[n_runs, 1] = 0
    runs[n_runs, 2] = used
    return ptr, runs[: n_runs + 1].copy(), dists[:used].copy()


def line_runs(
    gx: float,
    gy: float,
    step: float,
    reach: float,
    shape: tuple[int, int],
    xy: np.ndarray,
    start: np.ndarray,
    lines: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, per line, the grid nodes within ``reach`` of it and their distances, in runs.

    Grid of origin ``(gx, gy)`` and ``shape`` ``(nrows, ncols)``. A run is a row's
    span of consecutive nodes: ``runs[r]`` holds its row, first column and the
    position of its first distance in ``dists`` (its length is where the next run's
    distances start, less that: ``runs`` ends with one more row for the last run).
    Line ``k``'s runs are ``runs[ptr[k]:ptr[k + 1]]``, row after row.
    """
    return _line_runs(
        float(gx),
        float(gy),
        float(step),
        float(reach),
        int(shape[1]),
        int(shape[0]),
        np.ascontiguousarray(xy, dtype=np.float64),
        np.ascontiguousarray(start, dtype=np.int64),
        np.ascontiguousarray(lines, dtype=np.int64),
    )


@numba.njit(cache=True, nogil=True)
def _scatter_runs(field, i0, j0, ptr, runs, dists, lines):  # type: ignore[no-untyped-def]
    ny, nx = field.shape
    for k in range(len(lines)):
        line = lines[k]
        for r in range(ptr[line], ptr[line + 1]):
            i = runs[r, 0] - i0
            if i < 0 or i >= ny:
                continue
            j = runs[r, 1] - j0
            at = runs[r, 2]
            # the run, cut to the field's columns
            lo = max(0, -j)
            hi = min(runs[r + 1, 2] - at, nx - j)
            if hi <= lo:
                continue
            # (slices indexed from 0: the loop is vectorised)
            row = field[i, j + lo : j + hi]
            run = dists[at + lo : at + hi]
            for m in range(len(row)):
                row[m] = row[m] if row[m] <= run[m] else run[m]


def scatter_runs(
    field: np.ndarray,
    i0: int,
    j0: int,
    ptr: np.ndarray,
    runs: np.ndarray,
    dists: np.ndarray,
    lines: np.ndarray,
) -> None:
    """Lower ``field`` (grid rows from ``i0``, columns from ``j0``) to the lines' runs.

    ``ptr``, ``runs``, ``dists``: as :func:`line_runs` returns them; nodes off the
    field are left out.
    """
    _scatter_runs(
        field,
        int(i0),
        int(j0),
        ptr,
        runs,
        dists,
        np.ascontiguousarray(lines, dtype=np.int64),
    )


@numba.njit(cache=True, nogil=True)
def _window(bounds, whole, lines, slot, key, gx, gy, step, margin):  # type: ignore[no-untyped-def]
    """Return the grid window around the lines' boxes, and the whole streets' slots, sorted."""
    x_lo = np.inf
    y_lo = np.inf
    x_hi = -np.inf
    y_hi = -np.inf
    for group in (whole, lines):
        for k in range(len(group)):
            line = group[k]
            x_lo = min(x_lo, bounds[line, 0])
            y_lo = min(y_lo, bounds[line, 1])
            x_hi = max(x_hi, bounds[line, 2])
            y_hi = max(y_hi, bounds[line, 3])
    j0 = int(np.floor((x_lo - margin - gx) / step))
    i0 = int(np.floor((y_lo - margin - gy) / step))
    j1 = int(np.ceil((x_hi + margin - gx) / step))
    i1 = int(np.ceil((y_hi + margin - gy) / step))
    streets = np.empty(len(whole), dtype=np.int64)
    for k in range(len(whole)):
        streets[k] = slot[key[whole[k]]]
    return i0, i1, j0, j1, np.sort(streets)


def band_window(
    bounds: np.ndarray,
    whole: np.ndarray,
    lines: np.ndarray,
    slot: np.ndarray,
    key: np.ndarray,
    origin: tuple[float, float],
    step: float,
    margin: float,
) -> tuple[int, int, int, int, np.ndarray]:
    """Return the grid window of a band, rows ``i0..i1`` and columns ``j0..j1``, and its streets.

    The window holds the boxes (``bounds``, as ``minx, miny, maxx, maxy`` rows) of
    lines ``whole`` and ``lines`` (at least one) and ``margin`` around them, on the
    grid of spacing ``step`` whose node ``(0, 0)`` sits at ``origin``; the streets are
    ``slot[key[whole]]``, sorted.
    """
    i0, i1, j0, j1, streets = _window(
        bounds,
        np.ascontiguousarray(whole, dtype=np.int64),
        np.ascontiguousarray(lines, dtype=np.int64),
        slot,
        key,
        float(origin[0]),
        float(origin[1]),
        float(step),
        float(margin),
    )
    return int(i0), int(i1), int(j0), int(j1), streets


@numba.njit(cache=True, nogil=True)
def _band(  # type: ignore[no-untyped-def]
    shape, i0, j0, runs, streets, pieces, origin, step, reach, level, eps, cut
):
    ny, nx = shape
    ptr, run_rows, dists = runs
    xy, start, cum, bounds, lines, lo, hi = pieces
    x0, y0 = origin
    # float32: distances of tens of metres to a few micrometres, half the memory
    field = np.full((ny, nx), 2 * reach, dtype=np.float32)
    _scatter_runs(field, i0, j0, ptr, run_rows, dists, streets)
    # the pieces whose box comes within reach of the window's rows
    keep = np.zeros(len(lines), dtype=np.bool_)
    for k in range(len(lines)):
        line = lines[k]
        keep[k] = bounds[line, 3] >= y0 - reach and bounds[line, 1] <= y0 + ny * step + reach
    _distance_field(field, x0, y0, step, reach, xy, start, cum, lines[keep], lo[keep], hi[keep])
    # a side cut by a strip is closed along its outer row
    if cut[0]:
        field[0] = 2 * reach
    if cut[1]:
        field[ny - 1] = 2 * reach
    return field_rings(field, level, x0, y0, step, eps)


def trace_band(
    shape: tuple[int, int],
    corner: tuple[int, int],
    runs: tuple[np.ndarray, np.ndarray, np.ndarray],
    streets: np.ndarray,
    pieces: tuple[np.ndarray, ...],
    *,
    origin: tuple[float, float],
    step: float,
    reach: float,
    level: float,
    simplify: float,
    cut: tuple[bool, bool] = (False, False),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw a window's field and return its rings, as :func:`trace_rings` does.

    The field (float32, ``shape`` rows and columns, grid node ``(0, 0)`` at
    ``origin``, at row and column ``corner`` of the grid of :func:`line_runs`) starts
    at ``2 * reach``, is lowered to ``runs`` (``ptr, runs, dists`` of
    :func:`line_runs`) of lines ``streets`` (:func:`scatter_runs`), then to the
    pieces ``(xy, start, cum, bounds, lines, lo, hi)`` whose box comes within
    ``reach`` of its rows (:func:`distance_field`); ``cut``: its first, last row is
    set back to ``2 * reach`` (a strip's side cut off). One compiled call: the same
    field and rings as those functions called one after the other.
    """
    xy, start, cum, bounds, lines, lo, hi = pieces
    coords, starts, area, closed = _band(
        (int(shape[0]), int(shape[1])),
        int(corner[0]),
        int(corner[1]),
        runs,
        np.ascontiguousarray(streets, dtype=np.int64),
        (
            xy,
            start,
            cum,
            bounds,
            np.ascontiguousarray(lines, dtype=np.int64),
            np.ascontiguousarray(lo, dtype=np.float64),
            np.ascontiguousarray(hi, dtype=np.float64),
        ),
        (float(origin[0]), float(origin[1])),
        float(step),
        float(reach),
        float(level),
        simplify_tolerance(simplify, step),
        (bool(cut[0]), bool(cut[1])),
    )
    raise_if_open(closed)
    return coords, starts, area


def warm_up() -> None:
    """Compile (or load) every kernel in this thread, before threads call them at once.

    Two threads making the first call of one numba kernel together can crash the
    process (seen while the on-disk cache was being written); one call here first
    makes later calls from any thread plain function calls.
    """
    xy = np.array([[1.0, 1.0], [2.0, 2.0]])
    start = np.array([0, 2])
    one = np.array([0])
    ptr, runs, dists = line_runs(0.0, 0.0, 1.0, 2.0, (4, 4), xy, start, one)
    for dtype in (np.float32, np.float64):
        field = np.full((4, 4), 3.0, dtype=dtype)
        distance_field(
            field, 0.0, 0.0, 1.0, 2.0, xy, start, np.array([0.0, 1.4]), one, np.zeros(1), np.ones(1)
        )
        scatter_runs(field, 0, 0, ptr, runs, dists, one)
        field[0] = field[-1] = field[:, 0] = field[:, -1] = 3.0
        trace_rings(field, 1.0, 0.0, 0.0, 1.0, simplify=0.1)
    bounds = np.array([[1.0, 1.0, 2.0, 2.0]])
    _, _, _, _, streets = band_window(bounds, one, one, one, one, (0.0, 0.0), 1.0, 1.0)
    pieces = (xy, start, np.array([0.0, 1.4]), bounds, one, np.zeros(1), np.ones(1))
    trace_band(
        (4, 4),
        (0, 0),
        (ptr, runs, dists),
        streets,
        pieces,
        origin=(0.0, 0.0),
        step=1.0,
        reach=2.0,
        level=0.5,
        simplify=0.1,
    )
