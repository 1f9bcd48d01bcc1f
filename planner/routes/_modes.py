"""A travel mode's edges as arrays, shared by the modules of :mod:`planner.routes`.

* :func:`mode_edges`: the mode's open edges (fastest of parallel edges) as
  sorted ``(u, v)`` keys with times, lengths and CSR matrices, for routing and
  for looking up the edges a path steps on;
* :func:`edge_segments` and :func:`nearest_edges`: the same edges cut into
  straight segments in the network's metric CRS with an STRtree, and the
  nearest edges of points (map matching, placing sites on the road);
* :func:`ranges`: the index helper the vectorised path code repeats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from planner.crs import WGS84

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = ["EdgeSegments", "ModeEdges", "edge_segments", "mode_edges", "nearest_edges", "ranges"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ModeEdges:
    """The mode's open edges, fastest of parallel edges, as sorted (u, v) keys."""

    n: int
    keys: IntArray  # u * n + v, sorted
    time_s: FloatArray
    length_m: FloatArray
    csr_time: sp.csr_array
    csr_length: sp.csr_array


def mode_edges(network: RoadNetwork, mode: str) -> ModeEdges:
    """Return the mode's open edges as :class:`ModeEdges` (fastest of parallel edges)."""
    travel = network.mode(mode)
    attr = travel.attr
    pos = pd.Index(network.node_ids)
    u, v, t, length = [], [], [], []
    for a, b, data in network.graph.edges(data=True):
        time = data.get(attr)
        if time is None or not np.isfinite(time):
            continue
        u.append(a)
        v.append(b)
        t.append(float(time))
        length.append(float(data.get("length", 0.0)))
    src = pos.get_indexer(pd.Index(np.asarray(u, dtype=np.int64)))
    dst = pos.get_indexer(pd.Index(np.asarray(v, dtype=np.int64)))
    times = np.asarray(t, dtype=np.float64)
    lengths = np.asarray(length, dtype=np.float64)
    if not travel.oneway:
        src, dst = np.r_[src, dst], np.r_[dst, src]
        times, lengths = np.r_[times, times], np.r_[lengths, lengths]
    n = len(network.node_ids)
    order = np.lexsort((lengths, times, dst, src))
    src, dst, times, lengths = src[order], dst[order], times[order], lengths[order]
    first = np.ones(src.size, dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    src, dst, times, lengths = src[first], dst[first], times[first], lengths[first]
    keys = src.astype(np.int64) * n + dst
    # scipy drops explicit zeros in some paths: keep zero-time edges with a tiny weight
    csr_t = sp.csr_array((np.maximum(times, 1e-9), (src, dst)), shape=(n, n))
    csr_l = sp.csr_array((np.maximum(lengths, 1e-6), (src, dst)), shape=(n, n))
    return ModeEdges(n, keys, times, lengths, csr_t, csr_l)


@dataclass(frozen=True)
class EdgeSegments:
    """Edge segments in the network's metric CRS, for candidate search."""

    tree: shapely.STRtree
    x0: FloatArray
    y0: FloatArray
    dx: FloatArray
    dy: FloatArray
    seg_len: FloatArray
    seg_start: FloatArray  # offset of the segment start along its edge (metres of geometry)
    edge: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_len: FloatArray  # network length of the edge (metres)
    edge_geom_len: FloatArray
    edge_id: IntArray  # position of the edge in the mode's edges (and CSR arrays)


def edge_segments(network: RoadNetwork, mode: str, edges: ModeEdges) -> EdgeSegments:
    """Cut the mode's open edges (those kept in ``edges``) into straight segments."""
    attr = network.mode(mode).attr
    pos = pd.Index(network.node_ids)
    coords_list: list[FloatArray] = []
    eu, ev, et, el = [], [], [], []
    lon, lat = network.lon, network.lat
    key_set = edges.keys
    for a, b, data in network.graph.edges(data=True):
        time = data.get(attr)
        if time is None or not np.isfinite(time):
            continue
        eu.append(a)
        ev.append(b)
        et.append(float(time))
        el.append(float(data.get("length", 0.0)))
        geom = data.get("geometry")
        if geom is not None:
            coords_list.append(np.asarray(geom.coords, dtype=np.float64))
        else:
            coords_list.append(np.array([[math.nan, math.nan], [math.nan, math.nan]]))
    u = pos.get_indexer(pd.Index(np.asarray(eu, dtype=np.int64)))
    v = pos.get_indexer(pd.Index(np.asarray(ev, dtype=np.int64)))
    for i, c in enumerate(coords_list):
        if np.isnan(c[0, 0]):
            coords_list[i] = np.array([[lon[u[i]], lat[u[i]]], [lon[v[i]], lat[v[i]]]])
    # keep only the fastest of parallel edges (the one routing uses), as mode_edges does
    keys = u.astype(np.int64) * edges.n + v
    order = np.lexsort((np.asarray(el), np.asarray(et), keys))
    first_of_key = np.r_[True, keys[order][1:] != keys[order][:-1]] if order.size else order
    idx = np.sort(order[first_of_key.astype(bool)])
    counts = np.array([coords_list[i].shape[0] for i in idx], dtype=np.int64)
    allc = np.concatenate([coords_list[i] for i in idx]) if idx.size else np.zeros((0, 2))
    to_metric = Transformer.from_crs(WGS84, network.crs, always_xy=True)
    x, y = to_metric.transform(allc[:, 0], allc[:, 1])
    x, y = np.asarray(x), np.asarray(y)
    edge_of_pt = np.repeat(np.arange(idx.size), counts)
    first = np.zeros(x.size, dtype=bool)
    first[np.r_[0, np.cumsum(counts)[:-1]]] = True
    s = np.flatnonzero(~first)  # segment ends
    x0, y0, x1, y1 = x[s - 1], y[s - 1], x[s], y[s]
    seg_edge = edge_of_pt[s]
    seg_len = np.hypot(x1 - x0, y1 - y0)
    cum = np.cumsum(seg_len)
    edge_first_seg = np.r_[0, np.cumsum(counts - 1)[:-1]]
    base = np.r_[0.0, cum][edge_first_seg]
    seg_start = np.r_[0.0, cum[:-1]] - base[seg_edge]
    geom_len = np.bincount(seg_edge, weights=seg_len, minlength=idx.size)
    eu_pos, ev_pos = u[idx].astype(np.int64), v[idx].astype(np.int64)
    at = np.searchsorted(key_set, eu_pos * edges.n + ev_pos)
    lines = np.asarray(
        shapely.linestrings(
            np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
        )
    )
    return EdgeSegments(
        tree=shapely.STRtree(lines),
        x0=x0,
        y0=y0,
        dx=x1 - x0,
        dy=y1 - y0,
        seg_len=seg_len,
        seg_start=seg_start,
        edge=seg_edge.astype(np.int64),
        edge_u=eu_pos,
        edge_v=ev_pos,
        edge_len=edges.length_m[at],
        edge_geom_len=np.maximum(geom_len, 1e-9),
        edge_id=at.astype(np.int64),
    )


def nearest_edges(
    segs: EdgeSegments, px: FloatArray, py: FloatArray, radius: float, k: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Up to ``k`` nearest edges within ``radius`` of each point.

    Returns (point, edge, distance, offset along the edge in network metres),
    sorted by point then distance.
    """
    # bounding boxes first (fast in the tree), exact distances here
    boxes = shapely.box(px - radius, py - radius, px + radius, py + radius)
    pi, si = segs.tree.query(boxes)
    pi = pi.astype(np.int64)
    si = si.astype(np.int64)
    rx, ry = px[pi] - segs.x0[si], py[pi] - segs.y0[si]
    l2 = np.maximum(segs.seg_len[si] ** 2, 1e-12)
    t = np.clip((rx * segs.dx[si] + ry * segs.dy[si]) / l2, 0.0, 1.0)
    cx = segs.x0[si] + t * segs.dx[si]
    cy = segs.y0[si] + t * segs.dy[si]
    d = np.hypot(px[pi] - cx, py[pi] - cy)
    near = d <= radius
    pi, si, t, d = pi[near], si[near], t[near], d[near]
    e = segs.edge[si]
    off_geom = segs.seg_start[si] + t * segs.seg_len[si]
    off = off_geom / segs.edge_geom_len[e] * segs.edge_len[e]
    order = np.lexsort((d, e, pi))
    pi, e, d, off = pi[order], e[order], d[order], off[order]
    first = np.r_[True, (pi[1:] != pi[:-1]) | (e[1:] != e[:-1])] if pi.size else np.zeros(0, bool)
    pi, e, d, off = pi[first], e[first], d[first], off[first]
    order = np.lexsort((d, pi))
    pi, e, d, off = pi[order], e[order], d[order], off[order]
    if pi.size:
        start = np.r_[True, pi[1:] != pi[:-1]]
        group_start = np.maximum.accumulate(np.where(start, np.arange(pi.size), 0))
        rank = np.arange(pi.size) - group_start
        keep = rank < k
        pi, e, d, off = pi[keep], e[keep], d[keep], off[keep]
    return pi, e, d, off


def ranges(cnt: IntArray) -> IntArray:
    """``[0..c0-1, 0..c1-1, ...]`` for counts ``c``."""
    total = int(cnt.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
