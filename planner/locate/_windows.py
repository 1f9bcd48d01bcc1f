# ruff: noqa: N806  (matrix names W, R follow the maths)
"""The window constraints of :class:`~planner.locate.RestIntervalCoverage`.

A route is served when it meets a rest place at least every ``interval`` of
driving. In Capar et al.'s (2013) arc-cover form this is one constraint per
*window*: for the route's start and for every site it passes, the sites in the
next ``interval`` must hold an open one. This module turns the passes (route,
site, position along the route) into the windows × candidate matrix and the
per-route figures the model solves on.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numba import njit
from numpy.typing import ArrayLike, NDArray

from planner._errors import InputError

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclasses.dataclass
class Windows:
    """The window constraints of the rest-interval model."""

    W: sp.csr_array  # windows × candidate columns (0/1)
    win_route: IntArray  # route of each window
    servable: BoolArray  # per route
    by_existing: BoolArray  # per route: served by existing sites alone
    cand_cols: IntArray  # global site column of each candidate column
    min_stops: IntArray  # per route: fewest new stops it needs (0 if served / unservable)
    WT: sp.csr_array  # candidate columns × windows

    @property
    def n_windows(self) -> int:
        """Number of windows."""
        return int(self.W.shape[0])


def positions_coo(
    matrix: sp.sparray | sp.spmatrix | ArrayLike,
) -> tuple[IntArray, IntArray, FloatArray, tuple[int, int]]:
    """Entries of a route × site positions matrix: rows, columns, positions and shape.

    Parameters
    ----------
    matrix
        scipy sparse (every stored entry is a pass, zeros included), or dense
        with ``nan`` (any non-finite value) where the route does not pass the site.

    Returns
    -------
    rows, cols, positions, shape
        One entry per pass, and the matrix shape.
    """
    if sp.issparse(matrix):
        coo = sp.coo_array(matrix)
        return (
            coo.row.astype(np.int64),
            coo.col.astype(np.int64),
            coo.data.astype(np.float64),
            (int(coo.shape[0]), int(coo.shape[1])),
        )
    dense = np.asarray(matrix, dtype=np.float64)
    if dense.ndim != 2:
        raise InputError(
            f"`positions` must be a 2-D route × site matrix; got {dense.ndim}-D.",
            field="positions",
        )
    r, c = np.nonzero(np.isfinite(dense))
    return r.astype(np.int64), c.astype(np.int64), dense[r, c], (dense.shape[0], dense.shape[1])


def sort_order(r: IntArray, x: FloatArray) -> IntArray:
    """Order sorting by route ``r``, then position ``x`` (stable).

    One stable argsort of the key ``r * span + x`` (``span`` more than the
    range of ``x``), nearly sorted already when the passes come route by
    route: many times faster than ``np.lexsort((x, r))`` on millions of
    passes. Positions closer than about 1e-9 of ``r * span`` may swap, which
    no gap or window notices.

    Parameters
    ----------
    r
        Route of each entry.
    x
        Position of each entry.

    Returns
    -------
    numpy.ndarray
        The permutation.
    """
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    lo = float(x.min())
    span = float(x.max()) - lo + 1.0
    return np.argsort(r * span + (x - lo), kind="stable").astype(np.int64)


def route_anchors(
    lengths: FloatArray,
    interval: float,
    end_share: float,
    origin_rest: BoolArray,
    destination_rest: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """Where each route's driving clock starts and must end (its first and last rest place).

    Parameters
    ----------
    lengths
        Route lengths.
    interval
        Longest driving between rests.
    end_share
        Share of ``interval`` already driven at an origin (still needed at a
        destination) that is not a rest place.
    origin_rest, destination_rest
        Per route: whether its ends are rest places.

    Returns
    -------
    start, end
        Per route, in the unit of the positions.
    """
    R, s = interval, end_share
    start = np.where(origin_rest, 0.0, -s * R)
    end = lengths + np.where(destination_rest, 0.0, s * R)
    return start, end


def build_windows(
    rows: IntArray,
    cols: IntArray,
    pos: FloatArray,
    *,
    allowed: BoolArray,
    existing: BoolArray,
    start: FloatArray,
    end: FloatArray,
    interval: float,
) -> Windows:
    """Build the window constraints (Capar et al. 2013) of the rest-interval model.

    For a route's start anchor and every site entry, the window holds the sites
    in the next ``interval`` of driving; windows holding another are dropped,
    and so are windows met by an existing site.

    Parameters
    ----------
    rows, cols, pos
        The passes: route, site and position along the route.
    allowed, existing
        Per site: eligible (candidate or existing), and existing (fixed, open).
    start, end
        Per route: its anchors (:func:`route_anchors`).
    interval
        Longest driving between rests.

    Returns
    -------
    Windows
        The windows × candidate matrix and the per-route figures.
    """
    R = interval
    n_routes = start.size
    keep = allowed[cols]
    r, c, x = rows[keep], cols[keep], pos[keep]
    tol = 1e-9 * max(R, 1.0)
    span = float(np.max(end - start, initial=0.0)) + 2 * R + 1.0
    shift = -start  # positions relative to each route's start anchor, >= 0
    key = r * span + (x + shift[r])
    order = np.argsort(key, kind="stable")  # nearly sorted when passes come route by route
    r, c, x, key = r[order], c[order], x[order], key[order]
    # anchors: each route's start, then every site entry
    a_route = np.r_[np.arange(n_routes), r]
    a_pos = np.r_[start, x]
    a_key = a_route * span + (a_pos + shift[a_route])
    need = a_pos + R < end[a_route] - tol
    lo = np.searchsorted(key, a_key + tol, side="right")
    hi = np.searchsorted(key, a_key + R + tol, side="right")
    a_route, lo, hi = a_route[need], lo[need], hi[need]
    empty = hi <= lo
    servable = np.ones(n_routes, dtype=bool)
    servable[a_route[empty]] = False
    ok = ~empty & servable[a_route]
    a_route, lo, hi = a_route[ok], lo[ok], hi[ok]
    # drop windows holding another: per (route, hi) keep the largest lo
    frame = pd.DataFrame({"r": a_route, "lo": lo, "hi": hi})
    frame = (
        frame.groupby(["r", "hi"], sort=True)["lo"]
        .max()
        .reset_index()
        .drop_duplicates(["lo", "hi"])
    )
    lo, hi, wr = (
        frame["lo"].to_numpy(np.int64),
        frame["hi"].to_numpy(np.int64),
        frame["r"].to_numpy(np.int64),
    )
    # windows met by an existing site
    ex_cum = np.r_[0, np.cumsum(existing[c])]
    met = ex_cum[hi] - ex_cum[lo] > 0
    lo, hi, wr = lo[~met], hi[~met], wr[~met]
    cand = allowed & ~existing
    cand_cols = np.flatnonzero(cand)
    col_map = np.full(existing.size, -1, dtype=np.int64)
    col_map[cand_cols] = np.arange(cand_cols.size)
    cnt = hi - lo
    win_of = np.repeat(np.arange(lo.size), cnt)
    ent = np.repeat(lo, cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    W = sp.csr_array(
        (np.ones(ent.size), (win_of, col_map[c[ent]])), shape=(lo.size, cand_cols.size)
    )
    W.sum_duplicates()
    W.data[:] = 1.0
    has_window = np.zeros(n_routes, dtype=bool)
    has_window[wr] = True
    by_existing = servable & ~has_window
    stops = min_stops(
        r, x, c, start, end, servable & has_window, existing=existing, interval=interval
    )
    WT = sp.csr_array(W.T.tocsr())
    return Windows(W, wr, servable, by_existing, cand_cols, stops, WT)


def min_stops(
    r: IntArray,
    x: FloatArray,
    c: IntArray,
    start: FloatArray,
    end: FloatArray,
    todo: BoolArray,
    *,
    existing: BoolArray,
    interval: float,
) -> IntArray:
    """Fewest new sites each route needs on its own (a lower bound; existing sites are free).

    The fewest stops at new sites is a shortest path over the route's passes;
    a route that passes a site ``k`` times may rest there each time, so the
    count is divided by its most passes of one site (exact when no site
    repeats).

    Parameters
    ----------
    r, x, c
        The passes of eligible sites, sorted by route then position: route,
        position, site.
    start, end
        Per route: its anchors.
    todo
        Routes to count (the others get 0).
    existing
        Per site: existing (a free stop).
    interval
        Longest driving between rests.

    Returns
    -------
    numpy.ndarray
        New sites per route.
    """
    bounds = np.searchsorted(r, np.arange(end.size + 1))
    passes = _min_stops(
        bounds,
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(existing[c]),
        np.ascontiguousarray(start, dtype=np.float64),
        np.ascontiguousarray(end, dtype=np.float64),
        np.ascontiguousarray(todo),
        float(interval),
    )
    # a route passing a site k times can rest there k times: at least passes / k sites
    new = ~existing[c]
    pair, times = np.unique(r[new] * existing.size + c[new], return_counts=True)
    most = np.ones(end.size, dtype=np.int64)
    np.maximum.at(most, pair // existing.size, times)
    return -(-passes // most)


@njit(cache=True, nogil=True)
def _min_stops(bounds, x, ex, start, end, todo, R):  # type: ignore[no-untyped-def]  # noqa: N803
    """Fewest new stops per route (compiled loop of :func:`min_stops`).

    A shortest path over the route's passes in position order: a stop at a
    new site costs 1, at an existing site 0, and consecutive stops are at
    most ``R`` apart (the start and end anchors included).
    """
    n_routes = end.size
    out = np.zeros(n_routes, dtype=np.int64)
    tol = 1e-9 * max(R, 1.0)
    big = 1 << 40
    for k in range(n_routes):
        if not todo[k]:
            continue
        lo, hi = bounds[k], bounds[k + 1]
        n = hi - lo
        f = np.full(n, big, dtype=np.int64)
        best = big
        for i in range(n):
            xi = x[lo + i]
            c = 0 if ex[lo + i] else 1
            if xi - start[k] <= R + tol:
                f[i] = c
            for j in range(i - 1, -1, -1):
                if xi - x[lo + j] > R + tol:
                    break
                if f[j] + c < f[i]:
                    f[i] = f[j] + c
            if end[k] - xi <= R + tol and f[i] < best:
                best = f[i]
        if end[k] - start[k] <= R + tol:
            best = 0
        out[k] = best if best < big else 0
    return out


def smallest_gap(
    rows: IntArray,
    cols: IntArray,
    pos: FloatArray,
    allowed: BoolArray,
    start: FloatArray,
    end: FloatArray,
) -> float:
    """Return the shortest, over routes, of each route's longest stretch without a site.

    Parameters
    ----------
    rows, cols, pos
        The passes: route, site and position along the route.
    allowed
        Per site: eligible.
    start, end
        Per route: its anchors.

    Returns
    -------
    float
        The smallest longest gap (nan without routes).
    """
    keep = allowed[cols]
    r, x = rows[keep], pos[keep]
    gaps = []
    for k in range(start.size):
        xs = np.sort(np.r_[start[k], x[r == k], end[k]])
        gaps.append(float(np.diff(xs).max(initial=0.0)))
    return min(gaps) if gaps else math.nan
