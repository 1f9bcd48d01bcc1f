"""Marching squares on a distance field, and rings to polygons (private to :mod:`planner._isoband`).

:func:`trace_rings` (and the kernel :func:`field_rings`) runs marching squares on a
field at a level: the inside nodes are read as 64-bit words, and the crossed cells
(a few in a hundred) found by word operations; each crossing is placed by linear
interpolation on a grid edge, and the boundary segments are linked into closed
rings as they are emitted (inside on the left, so shells run counter-clockwise and
holes clockwise), their signed areas taken, and each ring simplified
(Douglas-Peucker to a given distance, at least the collinear vertices dropped).
:func:`rings_to_geometry` puts each hole in the smallest shell around it, and fills
holes below a given area (with what lies in them). The kernels are compiled once
(numba ``cache=True``) and release the GIL.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = [
    "field_rings",
    "raise_if_open",
    "rings_to_geometry",
    "simplify_tolerance",
    "trace_rings",
]

# a crossing never sits exactly on a grid node (two crossings would then touch)
_EPS = 1e-7
# the edges of a cell, as marching squares name them: its lower, upper, left and right side
_BOTTOM, _TOP, _LEFT, _RIGHT = 0, 1, 2, 3
# per case (bits: 1 lower left, 2 lower right, 4 upper right, 8 upper left corner
# inside), the sides the boundary segment leaves and reaches, inside on its left; the
# saddles (5, 10) are decided by the cell's centre
_CASE_FROM = np.array([-1, 0, 3, 3, 1, -1, 1, 1, 2, 0, -1, 3, 2, 0, 2, -1], dtype=np.int64)
_CASE_TO = np.array([-1, 2, 0, 2, 3, -1, 0, 2, 1, 1, -1, 1, 3, 3, 0, -1], dtype=np.int64)
# the lowest set bit of a 64-bit word, by a de Bruijn sequence
_DE_BRUIJN = 0x03F79D71B4CB0A89
_LOWEST_BIT = np.zeros(64, dtype=np.int64)
for _k in range(64):
    _LOWEST_BIT[(((1 << _k) * _DE_BRUIJN) % (1 << 64)) >> 58] = _k
_LOW_63 = (1 << 63) - 1
_M1 = 0x5555555555555555
_M2 = 0x3333333333333333
_M4 = 0x0F0F0F0F0F0F0F0F
_H01 = 0x0101010101010101


@numba.njit(cache=True, nogil=True)
def _inside_bits(field, level):  # type: ignore[no-untyped-def]
    """Return the nodes at or below ``level`` as bits: row ``i``, bit ``j & 63`` of word ``j >> 6``.

    A last word of zeros ends every row. (The loop is vectorised: reading the whole
    field costs a fraction of a nanosecond per node, less than skipping blocks did.)
    """
    ny, nx = field.shape
    n_words = (nx + 63) >> 6
    bits = np.zeros((ny, n_words + 1), dtype=np.int64)
    for i in range(ny):
        row = field[i]
        for w in range(n_words):
            first = w << 6
            word = 0
            for k in range(min(64, nx - first)):
                if row[first + k] <= level:
                    word |= 1 << k
            bits[i, w] = word
    return bits


@numba.njit(cache=True, nogil=True)
def _corners(bits, i, w, nx):  # type: ignore[no-untyped-def]
    """Return the corners of cells ``(i, 64 w + k)`` as bit ``k`` of words; and the crossed ones.

    Lower left, lower right, upper right, upper left corner inside; crossed: the
    cells whose corners are not all inside, nor all outside.
    """
    lower = bits[i, w]
    upper = bits[i + 1, w]
    lower_right = ((lower >> 1) & _LOW_63) | (bits[i, w + 1] << 63)
    upper_right = ((upper >> 1) & _LOW_63) | (bits[i + 1, w + 1] << 63)
    crossed = (lower ^ lower_right) | (lower ^ upper) | (lower ^ upper_right)
    first = w << 6
    if first + 64 > nx - 1:  # the last column of nodes starts no cell
        crossed &= (1 << (nx - 1 - first)) - 1
    return lower, lower_right, upper_right, upper, crossed


@numba.njit(cache=True, nogil=True)
def _count_bits(x):  # type: ignore[no-untyped-def]
    """Return the number of set bits of a 64-bit word."""
    x = x - ((x >> 1) & _M1)
    x = (x & _M2) + ((x >> 2) & _M2)
    x = (x + (x >> 4)) & _M4
    return ((x * _H01) >> 56) & 127


@numba.njit(cache=True, nogil=True)
def _side_id(side, i, j, nx, n_h):  # type: ignore[no-untyped-def]
    """Return the grid edge id of a side of cell ``(i, j)`` (horizontal ids first)."""
    if side == _BOTTOM:
        return i * nx + j
    if side == _TOP:
        return (i + 1) * nx + j
    if side == _LEFT:
        return n_h + i * nx + j
    return n_h + i * nx + j + 1


@numba.njit(cache=True, nogil=True)
def _side_slot(side, i, j, nx):  # type: ignore[no-untyped-def]
    """Return the linking slot of a side of cell ``(i, j)``.

    Horizontal edges: one slot per column for each parity of their grid row
    (``0:2 nx``); vertical edges: one slot per column (``2 nx:3 nx``).
    """
    if side == _BOTTOM:
        return (i & 1) * nx + j
    if side == _TOP:
        return ((i + 1) & 1) * nx + j
    if side == _LEFT:
        return 2 * nx + j
    return 2 * nx + j + 1


@numba.njit(cache=True, nogil=True)
def _cross(field, level, x0, y0, step, side, i, j):  # type: ignore[no-untyped-def]
    """Return the crossing point on a side of cell ``(i, j)``."""
    if side in (_BOTTOM, _TOP):
        r = i if side == _BOTTOM else i + 1
        f0 = field[r, j]
        f1 = field[r, j + 1]
        t = (level - f0) / (f1 - f0)
        t = min(max(t, _EPS), 1.0 - _EPS)
        return x0 + (j + t) * step, y0 + r * step
    c = j if side == _LEFT else j + 1
    f0 = field[i, c]
    f1 = field[i + 1, c]
    t = (level - f0) / (f1 - f0)
    t = min(max(t, _EPS), 1.0 - _EPS)
    return x0 + c * step, y0 + (i + t) * step


@numba.njit(cache=True, nogil=True)
def _segments(field, level, x0, y0, step):  # type: ignore[no-untyped-def]
    """Return the boundary segments of every cell, from one crossed grid edge to another.

    Per segment (in row-major order of the cells): its first crossing's edge, last
    crossing's edge, the first crossing's coordinates, and the segment that follows
    it (the one whose first edge is this one's last). The inside nodes are read as
    bits, and the crossed cells of 64 in a row found by a few word operations (most
    cells are not crossed: all four corners inside, or all outside). The segments
    are linked as they are emitted: a crossed grid edge is shared by two cells of
    one row (a vertical edge) or of two neighbouring rows (a horizontal one), so
    per-column slots for the current and next grid rows hold the segments still
    waiting for their partner (a stale slot is told apart by its segment's edge, so
    the slots are never cleared).
    """
    ny, nx = field.shape
    n_h = ny * nx
    bits = _inside_bits(field, level)
    n_words = bits.shape[1] - 1
    # at most two segments per crossed cell: the arrays never grow in the loop below
    # (growing them there, even never, made it twice as slow)
    n_crossed = 0
    for i in range(ny - 1):
        for w in range(n_words):
            n_crossed += _count_bits(_corners(bits, i, w, nx)[4])
    capacity = 2 * n_crossed
    seg_from = np.empty(capacity, dtype=np.int64)
    seg_to = np.empty(capacity, dtype=np.int64)
    seg_xy = np.empty((capacity, 2), dtype=np.float64)
    following = np.empty(capacity, dtype=np.int64)
    used = 0
    # per slot (see _side_slot): the segment starting, and the one ending, there
    starts = np.full(3 * nx, -1, dtype=np.int64)
    ends = np.full(3 * nx, -1, dtype=np.int64)
    for i in range(ny - 1):
        for w in range(n_words):
            lower, lower_right, upper_right, upper, crossed = _corners(bits, i, w, nx)
            first = w << 6
            while crossed != 0:
                low = crossed & -crossed
                crossed ^= low
                k = _LOWEST_BIT[((low * _DE_BRUIJN) >> 58) & 63]
                j = first + k
                case = (
                    ((lower >> k) & 1)
                    | (((lower_right >> k) & 1) << 1)
                    | (((upper_right >> k) & 1) << 2)
                    | (((upper >> k) & 1) << 3)
                )
                f1 = _CASE_FROM[case]
                t1 = _CASE_TO[case]
                f2 = -1
                t2 = -1
                if f1 < 0:
                    centre = 0.25 * (
                        field[i, j] + field[i, j + 1] + field[i + 1, j + 1] + field[i + 1, j]
                    )
                    joined = centre <= level
                    if case == 5:
                        if joined:
                            f1, t1, f2, t2 = _BOTTOM, _RIGHT, _TOP, _LEFT
                        else:
                            f1, t1, f2, t2 = _BOTTOM, _LEFT, _TOP, _RIGHT
                    elif joined:  # case 10
                        f1, t1, f2, t2 = _LEFT, _BOTTOM, _RIGHT, _TOP
                    else:
                        f1, t1, f2, t2 = _RIGHT, _BOTTOM, _LEFT, _TOP
                for pair in range(2):
                    f_side = f1 if pair == 0 else f2
                    t_side = t1 if pair == 0 else t2
                    if f_side < 0:
                        break
                    f = _side_id(f_side, i, j, nx, n_h)
                    t = _side_id(t_side, i, j, nx, n_h)
                    s = used
                    used += 1
                    seg_from[s] = f
                    seg_to[s] = t
                    following[s] = -1
                    x, y = _cross(field, level, x0, y0, step, f_side, i, j)
                    seg_xy[s, 0] = x
                    seg_xy[s, 1] = y
                    # the segment starting at t, if emitted already
                    slot = _side_slot(t_side, i, j, nx)
                    cand = starts[slot]
                    if cand >= 0 and seg_from[cand] == t:
                        following[s] = cand
                    else:
                        ends[slot] = s
                    # the segment ending at f, if emitted already
                    slot = _side_slot(f_side, i, j, nx)
                    starts[slot] = s
                    before = ends[slot]
                    if before >= 0 and seg_to[before] == f and following[before] < 0:
                        following[before] = s
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
def _off_segments(xs, ys, out, ax, ay, bx, by):  # type: ignore[no-untyped-def]
    """Write the distance from each point ``(xs, ys)`` to the segment a-b, as _off_segment does.

    (Arrays indexed from 0 and no branch in the loop: it is vectorised.)
    """
    dx = bx - ax
    dy = by - ay
    length2 = dx * dx + dy * dy
    if length2 > 0.0:
        for m in range(len(out)):
            t = ((xs[m] - ax) * dx + (ys[m] - ay) * dy) / length2
            t = t if t > 0.0 else 0.0
            t = t if t < 1.0 else 1.0
            qx = ax + t * dx - xs[m]
            qy = ay + t * dy - ys[m]
            out[m] = np.sqrt(qx * qx + qy * qy)
    else:
        for m in range(len(out)):
            qx = ax + 0.0 * dx - xs[m]
            qy = ay + 0.0 * dy - ys[m]
            out[m] = np.sqrt(qx * qx + qy * qy)


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
    # the spans on the stack are disjoint parts of one ring: never more than its vertices
    # (a stack grown in the loop made the loop slower, even when it never grew)
    longest = 0
    for r in range(n_rings):
        longest = max(longest, ring_start[r + 1] - ring_start[r])
    stack = np.empty((longest + 2, 2), dtype=np.int64)
    xs = np.ascontiguousarray(coords[:, 0])
    ys = np.ascontiguousarray(coords[:, 1])
    off = np.empty(len(coords), dtype=np.float64)
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
            _off_segments(
                xs[a + 1 : b], ys[a + 1 : b], off[: b - a - 1], xs[a], ys[a], xs[bb], ys[bb]
            )
            worst = -1.0
            at = a
            for m in range(b - a - 1):
                if off[m] > worst:
                    worst = off[m]
                    at = a + 1 + m
            if worst > eps:
                keep[at] = True
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the rings of ``{field <= level}``: coordinates, ring starts and signed areas.

    Ring ``r`` is ``coords[starts[r]:starts[r + 1]]`` (not repeating its first
    point); shells have a positive signed area (counter-clockwise), holes a
    negative one. The field's border nodes must lie outside (above ``level``).
    The areas are those of the traced rings; then vertices within ``simplify`` of
    the segment between the kept vertices around them are dropped (Douglas-Peucker
    per ring; at least the collinear ones, to ``1e-9 * step``).
    """
    if field.dtype != np.float32:
        field = np.ascontiguousarray(field, dtype=np.float64)
    field = np.ascontiguousarray(field)
    coords, starts, area, closed = field_rings(
        field, float(level), float(x0), float(y0), float(step), simplify_tolerance(simplify, step)
    )
    raise_if_open(closed)
    return coords, starts, area


def raise_if_open(closed: bool) -> None:
    """Raise the error of a traced boundary that does not close (``closed`` False)."""
    if not closed:
        raise ValueError("a traced boundary does not close: the field's border is inside.")


def simplify_tolerance(simplify: float, step: float) -> float:
    """Douglas-Peucker tolerance: ``simplify``, at least enough to drop collinear vertices."""
    return max(float(simplify), 1e-9 * float(step))


@numba.njit(cache=True, nogil=True)
def field_rings(field, level, x0, y0, step, eps):  # type: ignore[no-untyped-def]
    """Trace, close and simplify the rings; ``closed`` is False if a boundary stays open."""
    _, _, seg_xy, following = _segments(field, level, x0, y0, step)
    # every crossing starts exactly one segment and ends exactly one
    closed = len(following) == 0 or following.min() >= 0
    if not closed:
        return np.empty((0, 2), dtype=np.float64), np.zeros(1, np.int64), np.empty(0), False
    coords, starts, area = _walk(seg_xy, following, eps)
    return coords, starts, area, True


def rings_to_geometry(
    coords: np.ndarray, starts: np.ndarray, area: np.ndarray, *, min_hole: float = 0.0
) -> Any:
    """Return the (multi)polygon of traced rings: holes go to the smallest shell around them.

    Holes of area below ``min_hole`` are filled, and with them whatever lies inside
    them (shells inside a filled hole are dropped: they would overlap its polygon).
    ``area`` holds the rings' signed areas (shells positive).
    """
    import shapely

    shells = np.flatnonzero(area > 0)
    holes = np.flatnonzero(area < 0)
    filled = holes[-area[holes] < min_hole]
    holes = holes[-area[holes] >= min_hole]
    if len(shells) == 0:
        return shapely.Polygon()
    # only the rings used below are built (most are small holes filled)
    used = np.zeros(len(area), dtype=bool)
    used[shells] = used[holes] = True
    if len(shells) > 1:
        used[filled] = True
    ring_id = np.repeat(np.cumsum(used) - 1, np.diff(starts))
    on = np.repeat(used, np.diff(starts))
    rings: Any = np.empty(len(area), dtype=object)
    rings[used] = shapely.linearrings(coords[on], indices=ring_id[on])
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
