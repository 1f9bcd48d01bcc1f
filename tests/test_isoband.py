"""Tests of planner._isoband and _isorings: the band tracer's kernels against plain references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planner._isoband import (
    distance_field,
    line_runs,
    scatter_runs,
    trace_band,
    trace_rings,
)
from planner._isorings import _segments, _simplify_rings

# marching squares, as the first tracer wrote it: per case (bits: 1 lower left, 2 lower
# right, 4 upper right, 8 upper left corner inside), the segments from one side of the
# cell to another, inside on the left; saddles (5, 10) by the cell's centre
_CASES = {
    1: [("bottom", "left")],
    2: [("right", "bottom")],
    3: [("right", "left")],
    4: [("top", "right")],
    6: [("top", "bottom")],
    7: [("top", "left")],
    8: [("left", "top")],
    9: [("bottom", "top")],
    11: [("right", "top")],
    12: [("left", "right")],
    13: [("bottom", "right")],
    14: [("left", "bottom")],
}
_SADDLES = {
    (5, True): [("bottom", "right"), ("top", "left")],
    (5, False): [("bottom", "left"), ("top", "right")],
    (10, True): [("left", "bottom"), ("right", "top")],
    (10, False): [("right", "bottom"), ("left", "top")],
}


def plain_segments(field, level, x0, y0, step):  # type: ignore[no-untyped-def]
    """Every cell visited in row-major order, its segments emitted, then linked by edge."""
    ny, nx = field.shape
    n_h = ny * nx
    emitted = []
    for i, j in itertools.product(range(ny - 1), range(nx - 1)):
        corners = [field[i, j], field[i, j + 1], field[i + 1, j + 1], field[i + 1, j]]
        case = sum(1 << b for b, f in enumerate(corners) if float(f) <= level)
        if case in (0, 15):
            continue
        if case in (5, 10):
            centre = 0.25 * float(sum(corners[1:], corners[0]))
            pairs = _SADDLES[case, centre <= level]
        else:
            pairs = _CASES[case]
        # side: (edge id, the grid nodes at its ends, the first one's row and column)
        sides = {
            "bottom": (i * nx + j, (i, j), (i, j + 1)),
            "top": ((i + 1) * nx + j, (i + 1, j), (i + 1, j + 1)),
            "left": (n_h + i * nx + j, (i, j), (i + 1, j)),
            "right": (n_h + i * nx + j + 1, (i, j + 1), (i + 1, j + 1)),
        }
        for a, b in pairs:
            edge, p, q = sides[a]
            # (the difference in the field's precision, as the kernel takes it)
            f0, f1 = field[p], field[q]
            t = min(max((level - float(f0)) / float(f1 - f0), 1e-7), 1.0 - 1e-7)
            if a in ("bottom", "top"):
                xy = (x0 + (p[1] + t) * step, y0 + p[0] * step)
            else:
                xy = (x0 + p[1] * step, y0 + (p[0] + t) * step)
            emitted.append((edge, sides[b][0], xy))
    starting = {f: s for s, (f, _, _) in enumerate(emitted)}
    return (
        np.array([f for f, _, _ in emitted], dtype=np.int64),
        np.array([t for _, t, _ in emitted], dtype=np.int64),
        np.array([xy for _, _, xy in emitted], dtype=np.float64).reshape(-1, 2),
        np.array([starting[t] for _, t, _ in emitted], dtype=np.int64),
    )


@pytest.mark.parametrize("nx", [5, 63, 64, 65, 128, 130])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_marching_squares_by_words_equal_every_cell_visited(nx: int, dtype: type) -> None:
    """Crossed cells found 64 at a time: the segments, crossings and links of a plain scan."""
    rng = np.random.default_rng(nx)
    # a few values about the level, the level itself among them (inside): many saddles,
    # shells and holes, crossings on every side of the 64-node words
    field = rng.choice(np.array([1.0, 2.5, 3.0, 3.5, 6.0], dtype=dtype), size=(23, nx))
    field[rng.random(field.shape) < 0.3] = 9.0
    field[0] = field[-1] = field[:, 0] = field[:, -1] = 9.0
    # a band along the words' first and last columns, and across the rows
    if nx > 66:
        field[3:20, 63:65] = 1.0
    field[5, 1:-1] = 2.5
    got = _segments(field, 3.0, 100.0, -50.0, 2.0)
    want = plain_segments(field, 3.0, 100.0, -50.0, 2.0)
    assert len(want[0]) > 4 * nx
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)


def test_runs_hold_each_lines_nodes_and_scatter_their_least_distance() -> None:
    """Runs: a row's consecutive nodes within reach of a line; scattered, the least distance."""
    rng = np.random.default_rng(1)
    starts = np.array([0, 2, 5, 9, 10])  # a segment, two bends, a zigzag, one vertex
    xy = rng.uniform(20.0, 180.0, size=(10, 2))
    gx, gy, step, reach, shape = -3.0, 7.0, 2.0, 9.0, (100, 110)
    lines = np.array([2, 0, 3, 1])
    ptr, runs, dists = line_runs(gx, gy, step, reach, shape, xy, starts, lines)
    assert ptr[0] == 0
    assert ptr[-1] == len(runs) - 1
    assert runs[-1, 2] == len(dists)
    length = np.diff(runs[:, 2])
    assert (length > 0).all()
    # each line's nodes, measured directly on the whole grid
    fields = []
    for k, line in enumerate(lines):
        alone = np.full(shape, np.inf)
        cum = np.concatenate(
            [[0.0], np.cumsum(np.hypot(*np.diff(xy[starts[line] : starts[line + 1]], axis=0).T))]
        )
        distance_field(
            alone, gx, gy, step, reach, xy[starts[line] :], np.array([0, len(cum)]), cum,
            np.array([0]), np.zeros(1), cum[-1:],
        )  # fmt: skip
        mine = np.full(shape, np.inf)
        for r in range(ptr[k], ptr[k + 1]):
            i, j, at = runs[r]
            assert r == ptr[k] or (i, j) > tuple(runs[r - 1, :2])  # row after row
            mine[i, j : j + length[r]] = dists[at : at + length[r]]
        near = np.abs(alone - reach) > 1e-9
        assert np.array_equal((mine <= reach)[near], (alone <= reach)[near])
        assert np.isinf(mine[alone > reach + 1e-9]).all()
        np.testing.assert_allclose(mine[mine <= reach], alone[mine <= reach], rtol=1e-6)
        fields.append(mine)
    # scattered: the least of the lines' distances, on any window of the grid
    whole = np.full(shape, 50.0, dtype=np.float32)
    scatter_runs(whole, 0, 0, ptr, runs, dists, np.array([3, 0, 2]))
    least = np.minimum(np.min([fields[k] for k in (0, 2, 3)], axis=0), 50.0)
    assert np.array_equal(whole, least.astype(np.float32))
    assert (whole < 50.0).sum() > 1000
    # runs cut off on both sides of a window
    assert (whole[30:70, 39] < 50.0).any()
    assert (whole[30:70, 70] < 50.0).any()
    window = np.full((40, 30), 50.0, dtype=np.float32)
    scatter_runs(window, 30, 40, ptr, runs, dists, np.array([0, 2, 3]))
    assert np.array_equal(window, whole[30:70, 40:70])
    # a window reaching off the grid: rows and columns below 0
    window = np.full((40, 30), 50.0, dtype=np.float32)
    scatter_runs(window, -10, -5, ptr, runs, dists, np.array([0, 2, 3]))
    assert np.array_equal(window[10:, 5:], whole[:30, :25])
    assert (window[:10] == 50.0).all()
    assert (window[:, :5] == 50.0).all()


def test_a_float32_field_holds_the_rounded_least_distance() -> None:
    """Drawn into float32, each node holds its float64 distance rounded: nothing else."""
    xy = np.array([[3.3, 4.1], [40.7, 22.9], [12.5, 37.0], [30.0, 30.0]])
    start = np.array([0, 3, 4])
    cum = np.array([0.0, np.hypot(37.4, 18.8), np.hypot(37.4, 18.8) + np.hypot(28.2, 14.1), 0.0])
    wide = np.full((30, 30), 20.0)
    narrow = np.full((30, 30), 20.0, dtype=np.float32)
    for field in (wide, narrow):
        distance_field(
            field, 0.0, 0.0, 1.7, 12.0, xy, start, cum, np.array([0, 1, 0]),
            np.array([2.0, 0.0, 50.0]), np.array([45.0, 0.0, 60.0]),
        )  # fmt: skip
    assert (wide < 12.0).sum() > 200
    assert np.array_equal(narrow, wide.astype(np.float32))


def test_a_band_in_one_call_equals_its_steps_one_after_the_other() -> None:
    """trace_band: the field scattered, drawn, its cut rows closed, traced; as the steps do."""
    rng = np.random.default_rng(3)
    xy = np.cumsum(rng.normal(0.0, 15.0, size=(40, 2)), axis=0) + 300.0
    start = np.arange(0, 41, 4)  # ten lines of four vertices
    cum = np.concatenate(
        [
            np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy[a:b], axis=0).T))])
            for a, b in itertools.pairwise(start)
        ]
    )
    bounds = np.array(
        [[*xy[a:b].min(axis=0), *xy[a:b].max(axis=0)] for a, b in itertools.pairwise(start)]
    )
    gx, gy, step, reach, width = 0.0, 0.0, 3.0, 14.5, 10.0
    ptr, runs, dists = line_runs(gx, gy, step, reach, (300, 300), xy, start, np.arange(10))
    streets = np.array([1, 4, 6])
    lines = np.array([0, 2, 7, 9])
    lo = np.array([0.0, 5.0, 10.0, 0.0])
    hi = cum[start[lines + 1] - 1] * np.array([1.0, 0.5, 0.8, 0.3])
    pieces = (xy, start, cum, bounds, lines, lo, hi)
    for top, rows, cut in [
        (40, 220, (False, False)),
        (90, 60, (True, False)),
        (60, 70, (False, True)),
    ]:
        shape, corner = (rows, 250), (top, 20)
        origin = (gx + corner[1] * step, gy + top * step)
        got = trace_band(
            shape, corner, (ptr, runs, dists), streets, pieces, origin=origin, step=step,
            reach=reach, level=width, simplify=0.5, cut=cut,
        )  # fmt: skip
        field = np.full(shape, 2 * reach, dtype=np.float32)
        scatter_runs(field, top, corner[1], ptr, runs, dists, streets)
        distance_field(field, *origin, step, reach, xy, start, cum, lines, lo, hi)
        if cut[0]:
            field[0] = 2 * reach
        if cut[1]:
            field[-1] = 2 * reach
        want = trace_rings(field, width, *origin, step, simplify=0.5)
        assert len(want[2]) >= 2
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)
    # a field whose border is inside does not close
    with pytest.raises(ValueError, match="does not close"):
        trace_band(
            (60, 60), (100, 100), (ptr, runs, dists), streets, pieces, origin=(300.0, 300.0),
            step=step, reach=reach, level=width, simplify=0.5,
        )  # fmt: skip


def plain_off_segment(p, a, b):  # type: ignore[no-untyped-def]
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0
    if length2 > 0.0:
        t = min(max(((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2, 0.0), 1.0)
    qx, qy = a[0] + t * dx - p[0], a[1] + t * dy - p[1]
    return float(np.sqrt(qx * qx + qy * qy))


def plain_douglas_peucker(ring, eps):  # type: ignore[no-untyped-def]
    """Split at the first vertex and the farthest from it, each half by recursion."""
    ring = [tuple(map(float, p)) for p in ring]
    n = len(ring)
    if n <= 4:
        return ring
    keep = {0}
    far = max(range(1, n), key=lambda m: (
        (ring[m][0] - ring[0][0]) ** 2 + (ring[m][1] - ring[0][1]) ** 2, -m))  # fmt: skip
    keep.add(far)

    def farthest(a, b):  # type: ignore[no-untyped-def]
        off = [plain_off_segment(ring[m], ring[a], ring[b % n]) for m in range(a + 1, b)]
        at = a + 1 + int(np.argmax(off))  # the first of equals
        return at, off[at - a - 1]

    def span(a, b):  # type: ignore[no-untyped-def]
        if b - a < 2:
            return
        at, worst = farthest(a, b)
        if worst > eps:
            keep.add(at)
            span(a, at)
            span(at, b)

    span(0, far)
    span(far, n)
    if len(keep) < 4:
        keep |= {farthest(a, b)[0] for a, b in ((0, far), (far, n)) if b - a >= 2}
    return [ring[m] for m in sorted(keep)]


def test_rings_simplified_as_a_plain_douglas_peucker() -> None:
    """Distances measured many at a time: the same vertices kept as one by one."""
    rng = np.random.default_rng(5)
    rings = [rng.normal(0.0, 1.0, size=(n, 2)).cumsum(axis=0) for n in (3, 5, 40, 300, 2000)]
    angle = np.linspace(0.0, 2 * np.pi, 500, endpoint=False)
    rings.append(np.column_stack([np.cos(angle), np.sin(angle)]) * 100.0)  # deep spans
    rings.append(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [2.0, 1e-12], [1.0, 1e-12]]))
    coords = np.concatenate(rings)
    starts = np.concatenate([[0], np.cumsum([len(r) for r in rings])])
    for eps in (1e-9, 0.5, 3.0, 50.0):
        got, got_starts = _simplify_rings(coords, starts, len(rings), eps)
        assert got_starts[-1] == len(got)
        for r, ring in enumerate(rings):
            want = plain_douglas_peucker(ring, eps)
            assert got[got_starts[r] : got_starts[r + 1]].tolist() == [list(p) for p in want]


def test_a_band_traced_in_strips_equals_it_traced_at_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Fields too big for one go are traced in overlapping strips: their union is the band."""
    import shapely

    import planner.isochrones as isochrones
    from planner.network import TravelMode
    from tests.conftest import grid_network

    bike = TravelMode("bike", speed_kmh=18.0, access_speed_kmh=3.6)
    edges = isochrones._edge_lines(grid_network(5, 5, 100.0, modes=[bike]), "bike")
    tracer = isochrones._Tracer(isochrones._layer(edges.lines), edges.key, 25.0, 1.0, 0.02)
    whole = np.flatnonzero(edges.u < 15)
    part = np.flatnonzero((edges.u >= 15) & (edges.u < 20))
    lo, hi = np.zeros(len(part)), 0.6 * edges.lengths[part]
    once, once_m2 = tracer.trace(whole, part, lo, hi, min_hole=1000.0)
    monkeypatch.setattr(isochrones, "_MAX_CELLS", 40 * 500)  # strips of 40 rows
    strips, strips_m2 = tracer.trace(whole, part, lo, hi, min_hole=1000.0)
    assert strips.is_valid
    assert shapely.get_num_interior_rings(once) == shapely.get_num_interior_rings(strips) > 0
    # (each strip simplified on its own: its vertices within ``simplify`` of the band)
    assert shapely.symmetric_difference(once, strips).area < 0.02 * once.length
    assert shapely.hausdorff_distance(once, strips) < 2 * 0.02
    assert strips_m2 == pytest.approx(once_m2, rel=1e-4)
