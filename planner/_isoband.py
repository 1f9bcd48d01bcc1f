"""Bands around lines traced from a distance field (private to :mod:`planner.isochrones`).

The polygon ``{x : distance(x, lines) <= width}`` (the union of the lines'
round-capped buffers) is what GEOS builds by unioning one buffer per line, at a
cost that grows with the number of lines and the levels of the union. Here it is
traced instead, in time proportional to the lines' length and the boundary's:

1. :func:`distance_field` writes, on a square grid of spacing ``step``, the
   distance from each grid node to the nearest line segment (only the nodes within
   ``reach`` of a segment are visited; the others keep their initial value);
2. :func:`trace_rings` runs marching squares on that field at the level
   ``width``, visiting only the cells around blocks of ``2**BLOCK_SHIFT`` nodes a side
   that hold an inside node (marked while the field is drawn, or found by
   :func:`active_blocks`): each crossing is placed by linear interpolation on a grid
   edge, and the boundary segments are linked into closed rings as they are
   emitted (inside on the left, so shells run counter-clockwise and holes
   clockwise), their signed areas taken, and each ring simplified (Douglas-Peucker
   to a given distance, at least the collinear vertices dropped);
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

from typing import Any

import numba
import numpy as np

__all__ = [
    "BLOCK_SHIFT",
    "active_blocks",
    "distance_field",
    "line_cells",
    "mark_boxes",
    "rings_to_geometry",
    "scatter_cells",
    "trace_rings",
    "warm_up",
]

# a crossing never sits exactly on a grid node (two crossings would then touch)
_EPS = 1e-7
# blocks of the activity mask: 2**BLOCK_SHIFT grid nodes a side
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
        for j in range(j0, j1 + 1):
            px = x0 + j * step
            t = 0.0
            if length2 > 0.0:
                t = ((px - ax) * dx + (py - ay) * dy) / length2
                t = min(max(t, 0.0), 1.0)
            qx = ax + t * dx - px
            qy = ay + t * dy - py
            d = np.sqrt(qx * qx + qy * qy)
            if d < field[i, j]:
                field[i, j] = d


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
def _line_cells(gx, gy, step, reach, ncols, nrows, xy, start, lines):  # type: ignore[no-untyped-def]
    """Per line, the global grid nodes within ``reach`` of it and their distance."""
    ptr = np.zeros(len(lines) + 1, dtype=np.int64)
    capacity = 1024
    cells = np.empty((capacity, 2), dtype=np.int32)
    dists = np.empty(capacity, dtype=np.float32)
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
        for i in range(local.shape[0]):
            for j in range(w):
                d = local[i, j]
                if d <= reach:
                    if used == capacity:
                        capacity *= 2
                        grown_c = np.empty((capacity, 2), dtype=np.int32)
                        grown_c[:used] = cells[:used]
                        cells = grown_c
                        grown_d = np.empty(capacity, dtype=np.float32)
                        grown_d[:used] = dists[:used]
                        dists = grown_d
                    cells[used, 0] = i0 + i
                    cells[used, 1] = j0 + j
                    dists[used] = d
                    used += 1
        ptr[k + 1] = used
    return ptr, cells[:used], dists[:used]


def line_cells(
    gx: float,
    gy: float,
    step: float,
    reach: float,
    shape: tuple[int, int],
    xy: np.ndarray,
    start: np.ndarray,
    lines: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, per line, the grid nodes within ``reach`` of it, and their distances.

    Grid of origin ``(gx, gy)`` and ``shape`` ``(nrows, ncols)``; nodes as rows
    ``(i, j)`` of ``cells``. Line ``k``'s are ``cells[ptr[k]:ptr[k + 1]]``.
    """
    return _line_cells(
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
def _scatter_cells(field, i0, j0, ptr, cells, dists, lines, level, active):  # type: ignore[no-untyped-def]
    ny, nx = field.shape
    for k in range(len(lines)):
        line = lines[k]
        for c in range(ptr[line], ptr[line + 1]):
            i = cells[c, 0] - i0
            j = cells[c, 1] - j0
            if 0 <= i < ny and 0 <= j < nx:
                d = dists[c]
                if d < field[i, j]:
                    field[i, j] = d
                if d <= level:
                    active[i >> BLOCK_SHIFT, j >> BLOCK_SHIFT] = True


def scatter_cells(
    field: np.ndarray,
    i0: int,
    j0: int,
    ptr: np.ndarray,
    cells: np.ndarray,
    dists: np.ndarray,
    lines: np.ndarray,
    *,
    level: float = -np.inf,
    active: np.ndarray | None = None,
) -> None:
    """Lower ``field`` (grid rows from ``i0``, columns from ``j0``) to the lines' cells.

    ``active`` (blocks of ``2**BLOCK_SHIFT`` nodes a side, see :func:`active_blocks`):
    the blocks where a node comes to lie at or below ``level`` are marked.
    """
    _scatter_cells(
        field,
        int(i0),
        int(j0),
        ptr,
        cells,
        dists,
        np.ascontiguousarray(lines, dtype=np.int64),
        float(level),
        np.zeros((1, 1), dtype=np.bool_) if active is None else active,
    )


@numba.njit(cache=True, nogil=True)
def _mark_boxes(active, x0, y0, step, reach, boxes):  # type: ignore[no-untyped-def]
    nby, nbx = active.shape
    for k in range(len(boxes)):
        j0 = max(0, int(np.floor((boxes[k, 0] - reach - x0) / step)) >> BLOCK_SHIFT)
        i0 = max(0, int(np.floor((boxes[k, 1] - reach - y0) / step)) >> BLOCK_SHIFT)
        j1 = min(nbx - 1, int(np.ceil((boxes[k, 2] + reach - x0) / step)) >> BLOCK_SHIFT)
        i1 = min(nby - 1, int(np.ceil((boxes[k, 3] + reach - y0) / step)) >> BLOCK_SHIFT)
        for i in range(i0, i1 + 1):
            for j in range(j0, j1 + 1):
                active[i, j] = True


def mark_boxes(
    active: np.ndarray, x0: float, y0: float, step: float, reach: float, boxes: np.ndarray
) -> None:
    """Mark the blocks of ``active`` within ``reach`` of boxes ``(minx, miny, maxx, maxy)``.

    The grid's node ``(0, 0)`` sits at ``(x0, y0)``; boxes lying off the grid mark nothing.
    """
    if len(boxes):
        _mark_boxes(
            active,
            float(x0),
            float(y0),
            float(step),
            float(reach),
            np.ascontiguousarray(boxes, dtype=np.float64),
        )


@numba.njit(cache=True, nogil=True)
def _cross(field, level, x0, y0, step, edge, nx, n_h):  # type: ignore[no-untyped-def]
    """Return the crossing point on a grid edge (horizontal ids first, then vertical)."""
    if edge < n_h:
        i = edge // nx
        j = edge % nx
        f0 = field[i, j]
        f1 = field[i, j + 1]
        t = (level - f0) / (f1 - f0)
        t = min(max(t, _EPS), 1.0 - _EPS)
        return x0 + (j + t) * step, y0 + i * step
    edge -= n_h
    i = edge // nx
    j = edge % nx
    f0 = field[i, j]
    f1 = field[i + 1, j]
    t = (level - f0) / (f1 - f0)
    t = min(max(t, _EPS), 1.0 - _EPS)
    return x0 + j * step, y0 + (i + t) * step


@numba.njit(cache=True, nogil=True)
def _link(s, e, starts, ends, slot, seg_from, seg_to, following):  # type: ignore[no-untyped-def]
    """Record that segment ``s`` starts at edge ``e``; link it to the one ending there."""
    starts[slot] = s
    t = ends[slot]
    if t >= 0 and seg_to[t] == e and following[t] < 0:
        following[t] = s


@numba.njit(cache=True, nogil=True)
def _segments(field, level, x0, y0, step, active):  # type: ignore[no-untyped-def]
    """Return the boundary segments of every cell, from one crossed grid edge to another.

    Per segment (in row-major order of the cells): its first crossing's edge, last
    crossing's edge, the first crossing's coordinates, and the segment that follows
    it (the one whose first edge is this one's last). Only cells with a corner in an
    ``active`` block (``2**BLOCK_SHIFT`` nodes a side) are visited: a block left
    inactive must hold no inside node, and the cells around it then have no
    crossing. The segments are linked as they are emitted: a crossed grid edge is
    shared by two cells of one row (a vertical edge) or of two neighbouring rows (a
    horizontal one), so per-column slots for the current and next grid rows hold the
    segments still waiting for their partner (a stale slot is told apart by its
    segment's edge, so the slots are never cleared).
    """
    ny, nx = field.shape
    n_h = ny * nx
    nby, nbx = active.shape
    capacity = 1024
    seg_from = np.empty(capacity, dtype=np.int64)
    seg_to = np.empty(capacity, dtype=np.int64)
    seg_xy = np.empty((capacity, 2), dtype=np.float64)
    following = np.empty(capacity, dtype=np.int64)
    used = 0
    # slots: [grid row parity, column] for horizontal edges, [column] for vertical ones
    start_h = np.full((2, nx), -1, dtype=np.int64)
    end_h = np.full((2, nx), -1, dtype=np.int64)
    start_v = np.full(nx, -1, dtype=np.int64)
    end_v = np.full(nx, -1, dtype=np.int64)
    for i in range(ny - 1):
        b0 = i >> BLOCK_SHIFT
        b1 = min((i + 1) >> BLOCK_SHIFT, nby - 1)
        for bj in range(nbx):
            bk = min(bj + 1, nbx - 1)
            if not (active[b0, bj] or active[b1, bj] or active[b0, bk] or active[b1, bk]):
                continue
            for j in range(bj << BLOCK_SHIFT, min((bj + 1) << BLOCK_SHIFT, nx - 1)):
                a = field[i, j] <= level
                b = field[i, j + 1] <= level
                c = field[i + 1, j + 1] <= level
                d = field[i + 1, j] <= level
                if a == b and b == c and c == d:
                    continue
                case = (1 if a else 0) + (2 if b else 0) + (4 if c else 0) + (8 if d else 0)
                bottom = i * nx + j
                top = (i + 1) * nx + j
                left = n_h + i * nx + j
                right = n_h + i * nx + j + 1
                # inside on the left of every segment
                f1 = -1
                t1 = -1
                f2 = -1
                t2 = -1
                if case == 1:
                    f1, t1 = bottom, left
                elif case == 2:
                    f1, t1 = right, bottom
                elif case == 3:
                    f1, t1 = right, left
                elif case == 4:
                    f1, t1 = top, right
                elif case == 6:
                    f1, t1 = top, bottom
                elif case == 7:
                    f1, t1 = top, left
                elif case == 8:
                    f1, t1 = left, top
                elif case == 9:
                    f1, t1 = bottom, top
                elif case == 11:
                    f1, t1 = right, top
                elif case == 12:
                    f1, t1 = left, right
                elif case == 13:
                    f1, t1 = bottom, right
                elif case == 14:
                    f1, t1 = left, bottom
                else:
                    centre = 0.25 * (
                        field[i, j] + field[i, j + 1] + field[i + 1, j + 1] + field[i + 1, j]
                    )
                    joined = centre <= level
                    if case == 5:
                        if joined:
                            f1, t1, f2, t2 = bottom, right, top, left
                        else:
                            f1, t1, f2, t2 = bottom, left, top, right
                    elif joined:  # case 10
                        f1, t1, f2, t2 = left, bottom, right, top
                    else:
                        f1, t1, f2, t2 = right, bottom, left, top
                if used + 2 > capacity:
                    capacity *= 2
                    grown = np.empty(capacity, dtype=np.int64)
                    grown[:used] = seg_from[:used]
                    seg_from = grown
                    grown = np.empty(capacity, dtype=np.int64)
                    grown[:used] = seg_to[:used]
                    seg_to = grown
                    grown = np.empty(capacity, dtype=np.int64)
                    grown[:used] = following[:used]
                    following = grown
                    grown_xy = np.empty((capacity, 2), dtype=np.float64)
                    grown_xy[:used] = seg_xy[:used]
                    seg_xy = grown_xy
                for pair in range(2):
                    f = f1 if pair == 0 else f2
                    t = t1 if pair == 0 else t2
                    if f < 0:
                        break
                    s = used
                    used += 1
                    seg_from[s] = f
                    seg_to[s] = t
                    following[s] = -1
                    x, y = _cross(field, level, x0, y0, step, f, nx, n_h)
                    seg_xy[s, 0] = x
                    seg_xy[s, 1] = y
                    # the segment starting at t, if emitted already
                    if t < n_h:
                        r = t // nx
                        cand = start_h[r & 1, t - r * nx]
                    else:
                        cand = start_v[(t - n_h) % nx]
                    if cand >= 0 and seg_from[cand] == t:
                        following[s] = cand
                    elif t < n_h:
                        end_h[r & 1, t - r * nx] = s
                    else:
                        end_v[(t - n_h) % nx] = s
                    # the segment ending at f, if emitted already
                    if f < n_h:
                        r = f // nx
                        _link(
                            s,
                            f,
                            start_h[r & 1],
                            end_h[r & 1],
                            f - r * nx,
                            seg_from,
                            seg_to,
                            following,
                        )
                    else:
                        _link(s, f, start_v, end_v, (f - n_h) % nx, seg_from, seg_to, following)
    return seg_from[:used], seg_to[:used], seg_xy[:used], following[:used]


@numba.njit(cache=True, nogil=True)
def _walk(seg_xy, following, eps):  # type: ignore[no-untyped-def]
    """Follow the segments into rings; return coordinates, ring starts and signed areas."""
    used = len(following)
    coords = np.empty((used, 2), dtype=np.float64)
    ring_start = np.empty(used + 1, dtype=np.int64)
    seen = np.zeros(used, dtype=np.bool_)
    n_rings = 0
    k = 0
    for s in range(used):
        if seen[s]:
            continue
        ring_start[n_rings] = k
        n_rings += 1
        cur = s
        while not seen[cur]:
            seen[cur] = True
            coords[k, 0] = seg_xy[cur, 0]
            coords[k, 1] = seg_xy[cur, 1]
            k += 1
            cur = following[cur]
    ring_start[n_rings] = k
    ring_start = ring_start[: n_rings + 1]
    # signed areas of the traced rings, before any vertex is dropped
    area = _ring_areas(coords, ring_start, n_rings)
    coords, ring_start = _simplify_rings(coords, ring_start, n_rings, eps)
    return coords, ring_start, area


@numba.njit(cache=True, nogil=True)
def _ring_areas(coords, ring_start, n_rings):  # type: ignore[no-untyped-def]
    """Signed area of every ring (shoelace, about the ring's first vertex)."""
    area = np.zeros(n_rings, dtype=np.float64)
    for r in range(n_rings):
        first = ring_start[r]
        last = ring_start[r + 1]
        ox = coords[first, 0]
        oy = coords[first, 1]
        total = 0.0
        for m in range(first, last):
            nxt = m + 1 if m + 1 < last else first
            ax = coords[m, 0] - ox
            ay = coords[m, 1] - oy
            bx = coords[nxt, 0] - ox
            by = coords[nxt, 1] - oy
            total += ax * by - bx * ay
        area[r] = 0.5 * total
    return area


@numba.njit(cache=True, nogil=True)
def _off_segment(px, py, ax, ay, bx, by):  # type: ignore[no-untyped-def]
    """Distance from point p to the segment a-b."""
    dx = bx - ax
    dy = by - ay
    length2 = dx * dx + dy * dy
    t = 0.0
    if length2 > 0.0:
        t = min(max(((px - ax) * dx + (py - ay) * dy) / length2, 0.0), 1.0)
    qx = ax + t * dx - px
    qy = ay + t * dy - py
    return np.sqrt(qx * qx + qy * qy)


@numba.njit(cache=True, nogil=True)
def _simplify_rings(coords, ring_start, n_rings, eps):  # type: ignore[no-untyped-def]
    """Douglas-Peucker on every closed ring, to ``eps``.

    Every dropped vertex lies within ``eps`` of the segment between the kept
    vertices around it.
    A ring is split at its first vertex and the vertex farthest from it; each half is
    simplified on its own, so the two split vertices are kept. A ring never falls
    below four vertices (those kept are then its first, farthest, and the farthest of
    each half).
    """
    keep = np.zeros(len(coords), dtype=np.bool_)
    stack = np.empty((64, 2), dtype=np.int64)
    for r in range(n_rings):
        first = ring_start[r]
        last = ring_start[r + 1]  # exclusive; the ring closes on coords[first]
        n = last - first
        if n <= 4:
            for m in range(first, last):
                keep[m] = True
            continue
        far = first
        best = -1.0
        for m in range(first + 1, last):
            d = (coords[m, 0] - coords[first, 0]) ** 2 + (coords[m, 1] - coords[first, 1]) ** 2
            if d > best:
                best = d
                far = m
        keep[first] = True
        keep[far] = True
        # spans (a, b) of vertex positions; b == last stands for first again
        top = 0
        stack[0, 0] = first
        stack[0, 1] = far
        stack[1, 0] = far
        stack[1, 1] = last
        top = 2
        while top > 0:
            top -= 1
            a = stack[top, 0]
            b = stack[top, 1]
            if b - a < 2:
                continue
            bb = first if b == last else b
            worst = -1.0
            at = a
            for m in range(a + 1, b):
                d = _off_segment(
                    coords[m, 0],
                    coords[m, 1],
                    coords[a, 0],
                    coords[a, 1],
                    coords[bb, 0],
                    coords[bb, 1],
                )
                if d > worst:
                    worst = d
                    at = m
            if worst > eps:
                keep[at] = True
                if top + 2 > len(stack):
                    grown = np.empty((2 * len(stack), 2), dtype=np.int64)
                    grown[:top] = stack[:top]
                    stack = grown
                stack[top, 0] = a
                stack[top, 1] = at
                stack[top + 1, 0] = at
                stack[top + 1, 1] = b
                top += 2
        kept = 0
        for m in range(first, last):
            if keep[m]:
                kept += 1
        if kept < 4:  # never collapse a ring: keep the farthest vertex of each half
            for half in range(2):
                a = first if half == 0 else far
                b = far if half == 0 else last
                bb = first if b == last else b
                worst = -1.0
                at = -1
                for m in range(a + 1, b):
                    d = _off_segment(
                        coords[m, 0],
                        coords[m, 1],
                        coords[a, 0],
                        coords[a, 1],
                        coords[bb, 0],
                        coords[bb, 1],
                    )
                    if d > worst:
                        worst = d
                        at = m
                if at >= 0:
                    keep[at] = True
    out = np.empty((int(keep.sum()), 2), dtype=np.float64)
    out_start = np.empty(n_rings + 1, dtype=np.int64)
    k = 0
    for r in range(n_rings):
        out_start[r] = k
        for m in range(ring_start[r], ring_start[r + 1]):
            if keep[m]:
                out[k] = coords[m]
                k += 1
    out_start[n_rings] = k
    return out, out_start


def trace_rings(
    field: np.ndarray,
    level: float,
    x0: float,
    y0: float,
    step: float,
    *,
    simplify: float = 0.0,
    active: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the rings of ``{field <= level}``: coordinates, ring starts and signed areas.

    Ring ``r`` is ``coords[starts[r]:starts[r + 1]]`` (not repeating its first
    point); shells have a positive signed area (counter-clockwise), holes a
    negative one. The field's border nodes must lie outside (above ``level``).
    The areas are those of the traced rings; then vertices within ``simplify`` of
    the segment between the kept vertices around them are dropped (Douglas-Peucker
    per ring; at least the collinear ones, to ``1e-9 * step``).
    ``active`` (see :func:`active_blocks`, computed when not given) may mark more
    blocks, never fewer: cells with no corner in a marked block are not visited.
    """
    if field.dtype != np.float32:
        field = np.ascontiguousarray(field, dtype=np.float64)
    field = np.ascontiguousarray(field)
    if active is None:
        active = active_blocks(field, level)
    _, _, seg_xy, following = _segments(
        field, float(level), float(x0), float(y0), float(step), np.ascontiguousarray(active)
    )
    # every crossing starts exactly one segment and ends exactly one
    if len(following) and following.min() < 0:
        raise ValueError(
            "a traced boundary does not close: the field's border is inside (or a block "
            "holding an inside node was left out of `active`)."
        )
    return _walk(seg_xy, following, max(float(simplify), 1e-9 * float(step)))


def active_blocks(field: np.ndarray, level: float) -> np.ndarray:
    """Return which blocks of ``2**BLOCK_SHIFT`` nodes a side hold a node at or below ``level``."""
    side = 1 << BLOCK_SHIFT
    ny, nx = field.shape
    nby, nbx = -(-ny // side), -(-nx // side)
    inside = np.zeros((nby * side, nbx * side), dtype=bool)
    inside[:ny, :nx] = field <= level
    return np.asarray(inside.reshape(nby, side, nbx, side).any(axis=(1, 3)))


def rings_to_geometry(
    coords: np.ndarray, starts: np.ndarray, area: np.ndarray, *, min_hole: float = 0.0
) -> Any:
    """Return the (multi)polygon of traced rings: holes go to the smallest shell around them.

    Holes of area below ``min_hole`` are filled, and with them whatever lies inside
    them (shells inside a filled hole are dropped: they would overlap its polygon).
    ``area`` holds the rings' signed areas (shells positive).
    """
    import shapely

    ring_id = np.repeat(np.arange(len(area)), np.diff(starts))
    rings: Any = shapely.linearrings(coords, indices=ring_id)
    shells = np.flatnonzero(area > 0)
    holes = np.flatnonzero(area < 0)
    filled = holes[-area[holes] < min_hole]
    holes = holes[-area[holes] >= min_hole]
    if len(shells) == 0:
        return shapely.Polygon()
    if len(shells) > 1 and len(filled):
        # a shell inside a filled hole: its first vertex lies within the hole's ring
        tree = shapely.STRtree(shapely.polygons(rings[filled]))
        inside = tree.query(shapely.points(coords[starts[shells]]), predicate="within")[0]
        shells = np.delete(shells, np.unique(inside))
    if len(shells) == 1:
        # (the holes of a dropped shell are smaller than the filled hole around it)
        owner = np.zeros(len(holes), dtype=np.int64)
    else:
        shell_polygons: Any = shapely.polygons(rings[shells])
        tree = shapely.STRtree(shell_polygons)
        probe = shapely.points(coords[starts[holes]])
        hole_at, shell_at = tree.query(probe, predicate="within")
        # the innermost shell around each hole: the smallest by area
        rank = np.lexsort((area[shells][shell_at], hole_at))
        hole_at, shell_at = hole_at[rank], shell_at[rank]
        first = np.unique(hole_at, return_index=True)[1]
        owner = np.full(len(holes), -1, dtype=np.int64)
        owner[hole_at[first]] = shell_at[first]
        holes, owner = holes[owner >= 0], owner[owner >= 0]
    # rings of one polygon together, its shell first
    polygon_of = np.concatenate([np.arange(len(shells)), owner])
    members = np.concatenate([shells, holes])
    order = np.lexsort((np.concatenate([np.zeros(len(shells)), np.ones(len(holes))]), polygon_of))
    polygons: Any = shapely.polygons(rings[members[order]], indices=polygon_of[order])
    if len(polygons) == 1:
        return polygons[0]
    return shapely.multipolygons(polygons)


def warm_up() -> None:
    """Compile (or load) every kernel in this thread, before threads call them at once.

    Two threads making the first call of one numba kernel together can crash the
    process (seen while the on-disk cache was being written); one call here first
    makes later calls from any thread plain function calls.
    """
    xy = np.array([[1.0, 1.0], [2.0, 2.0]])
    start = np.array([0, 2])
    one = np.array([0])
    ptr, cells, dists = line_cells(0.0, 0.0, 1.0, 2.0, (4, 4), xy, start, one)
    for dtype in (np.float32, np.float64):
        field = np.full((4, 4), 3.0, dtype=dtype)
        distance_field(
            field, 0.0, 0.0, 1.0, 2.0, xy, start, np.array([0.0, 1.4]), one, np.zeros(1), np.ones(1)
        )
        active = np.zeros((1, 1), dtype=bool)
        scatter_cells(field, 0, 0, ptr, cells, dists, one, level=1.0, active=active)
        mark_boxes(active, 0.0, 0.0, 1.0, 2.0, np.array([[1.0, 1.0, 2.0, 2.0]]))
        field[0] = field[-1] = field[:, 0] = field[:, -1] = 3.0
        trace_rings(field, 1.0, 0.0, 0.0, 1.0, simplify=0.1, active=active)
