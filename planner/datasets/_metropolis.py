"""Generator of a large synthetic metropolis for benchmarks (not a real place).

The *synthetic metropolis* is an invented city laid out like Beijing: concentric
ring roads, radial avenues and expressways, and a dense, irregular street grid.
It exists because benchmarks at city scale need a road network of 150,000 nodes
and no real extract of that size ships with planner. It is generated on demand
(never committed) by :func:`generate_metropolis`, a seeded, deterministic
generator: the same seed, target size and generator version give the same
bytes. :func:`planner.datasets.metropolis_path` generates it once into a cache
folder.

The layout, in metres east (x) and north (y) of the centre, at a fictional place
(centre 117.2 E, 39.5 N, WGS84), its size set by ``target_nodes``:

* a street lattice 125 m apart, jittered, inside a rounded-square city edge that
  is ragged; a share of the local street segments is missing (more towards the
  edge), which leaves irregular blocks and dead ends, and some streets have
  bends; short cul-de-sacs (``highway=turning_circle`` at their end) branch off;
* arterials every 1 km on the lattice (``primary``, ``secondary``, ``tertiary``;
  the two through the centre are six-lane ``primary`` avenues), never broken;
* one-way pairs of local streets (``oneway=yes``, opposite directions, 125 m
  apart) in some blocks of the inner city;
* five ring roads (2nd to 6th, rounded squares at 15 % to 85 % of the city's
  half-width): dual carriageways (``oneway=yes``, ``trunk`` for the 2nd and 3rd,
  ``motorway`` beyond), grade-separated from the streets they cross, joined to
  every arterial and radial they cross by a diamond of ``*_link`` ramps;
* four diagonal radial expressways (``trunk``) from the 2nd ring to the edge,
  at grade with the arterials they cross;
* optionally, points of interest as tagged nodes (restaurants, fast food,
  cafes, malls, parcel depots, community centres, toilets, fuel, parkings),
  denser towards the centre.

Every name ends in "(synthetic)". Coordinates are WGS84 with fixed metres per
degree, so the output does not depend on the platform's trigonometry.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError

GENERATOR_VERSION = "1"
DEFAULT_SEED = 20250418
DEFAULT_TARGET_NODES = 150_000
METROPOLIS_LABEL = "synthetic metropolis"
OSM_SUFFIX = ".osm.pbf"

#: Centre (WGS84) and metres per degree there (fixed literals).
LON0 = 117.2
LAT0 = 39.5
M_PER_DEG_LON = 85_984.0
M_PER_DEG_LAT = 111_040.0

STEP_M = 125.0  # lattice spacing
ART = 8  # an arterial every 8th lattice line (1 km)
#: Ring roads: (name, half-width as a share of the city's, highway class).
RINGS = (
    ("2nd Ring Road", 0.15, "trunk"),
    ("3rd Ring Road", 0.27, "trunk"),
    ("4th Ring Road", 0.42, "motorway"),
    ("5th Ring Road", 0.62, "motorway"),
    ("6th Ring Road", 0.85, "motorway"),
)
#: Road classes the generator writes (``highway=*``), for tests and docs.
ROAD_CLASSES = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "secondary",
    "tertiary",
    "residential",
    "unclassified",
    "living_street",
)
#: Network nodes per lattice node, ``A + B / sqrt(target_nodes)`` (measured at 2,000,
#: 20,000 and 150,000 nodes: rings, radials and cul-de-sacs weigh more in small cities).
_NODES_PER_LATTICE = (0.859, 6.24)
_SHAPE_AREA = 3.41  # area of the city's superellipse (p = 2.5) per half-width squared
_SYN = " (synthetic)"
_ART_CLASSES = ("primary", "secondary", "tertiary")
_ART_SPEED = {"primary": "60", "secondary": "50", "tertiary": "40"}
_LOCAL_CLASSES = ("residential", "residential", "residential", "unclassified", "living_street")
_POI_TAGS = (
    ("amenity", "restaurant", 30),
    ("amenity", "fast_food", 20),
    ("amenity", "cafe", 10),
    ("shop", "mall", 2),
    ("amenity", "post_depot", 3),
    ("amenity", "community_centre", 4),
    ("amenity", "toilets", 6),
    ("amenity", "fuel", 3),
    ("amenity", "parking", 8),
)
_RAMP_OFFSET_M = 150.0  # diverge/merge points before/after a crossing, along the ring
_CARRIAGEWAY_M = 14.0  # half the distance between the two carriageways of a ring


def xy_to_lonlat(x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Convert local metres (east, north of the centre) to WGS84 lon/lat degrees."""
    return (
        LON0 + np.asarray(x, dtype=float) / M_PER_DEG_LON,
        LAT0 + np.asarray(y, dtype=float) / M_PER_DEG_LAT,
    )


def _half_width(target_nodes: int) -> float:
    """Half-width of the city (metres) whose network has about ``target_nodes`` nodes."""
    a, b = _NODES_PER_LATTICE
    lattice = target_nodes / (a + b / math.sqrt(target_nodes))
    return STEP_M * math.sqrt(lattice / _SHAPE_AREA)


def _check_target(target_nodes: int) -> int:
    if isinstance(target_nodes, bool) or not isinstance(target_nodes, (int, np.integer)):
        raise InputError(
            f"target_nodes must be a whole number, got {target_nodes!r}.",
            field="target_nodes",
            fix="pass e.g. target_nodes=150_000.",
        )
    if target_nodes < 500:
        raise InputError(
            f"target_nodes must be at least 500, got {target_nodes}.",
            field="target_nodes",
            fix="pass 500 or more (a smaller city has no room for its ring roads).",
        )
    return int(target_nodes)


# ------------------------------------------------------------------- the lattice
@dataclass
class _Lattice:
    """Lattice positions (metres) of the kept nodes, by index ``(i, j)`` offset by ``n``."""

    n: int  # indices run over -n..n, stored at 0..2n
    half: float  # the city's half-width
    x: np.ndarray  # (2n+1, 2n+1) positions, nan where no node
    y: np.ndarray
    keep: np.ndarray  # bool
    art_col: np.ndarray  # bool per column index: an arterial
    art_row: np.ndarray
    density: np.ndarray  # relative density of people and work at each node


def _density(x: np.ndarray, y: np.ndarray, half: float) -> np.ndarray:
    """Relative density: the centre, and four sub-centres between the 3rd and 4th rings."""
    r = np.hypot(x, y)
    d = np.exp(-r / (0.28 * half))
    for ax, ay, w in ((0.35, 0.1, 0.8), (-0.3, 0.25, 0.5), (0.05, -0.38, 0.5), (-0.2, -0.3, 0.4)):
        d = d + w * np.exp(-np.hypot(x - ax * half, y - ay * half) / (0.07 * half))
    return d + 0.03


def _lattice(seed: int, target_nodes: int) -> _Lattice:
    """Place the lattice nodes (the first draws of the generator's random numbers)."""
    rng = np.random.default_rng(seed)
    half = _half_width(target_nodes)
    n = math.ceil(half / STEP_M) + 1
    idx = np.arange(-n, n + 1)
    art = idx % ART == 0
    gx, gy = np.meshgrid(idx * STEP_M, idx * STEP_M, indexing="ij")
    jx = rng.uniform(-30.0, 30.0, gx.shape)
    jy = rng.uniform(-30.0, 30.0, gx.shape)
    noise = rng.uniform(-0.14, 0.04, gx.shape)
    # parks and lakes: holes in the local grid
    n_parks = max(2, round(target_nodes / 6000))
    park_xy = rng.uniform(-0.8 * half, 0.8 * half, (n_parks, 2))
    park_r = rng.uniform(180.0, 520.0, n_parks)
    shape = np.abs(gx / half) ** 2.5 + np.abs(gy / half) ** 2.5
    on_art = art[:, None] | art[None, :]
    keep = np.where(on_art, shape <= 1.0, shape <= 1.0 + noise)
    for (px, py), pr in zip(park_xy, park_r, strict=True):
        keep &= on_art | (np.hypot(gx - px, gy - py) > pr)
    x = np.where(art[:, None], gx, gx + jx)
    y = np.where(art[None, :], gy, gy + jy)
    # the diagonals carry the radial expressways: their nodes stay on the line
    diag = (np.abs(idx)[:, None] == np.abs(idx)[None, :]) & on_art
    x = np.where(diag, gx, x)
    y = np.where(diag, gy, y)
    x = np.where(keep, x, np.nan)
    y = np.where(keep, y, np.nan)
    return _Lattice(
        n=n,
        half=half,
        x=x,
        y=y,
        keep=keep,
        art_col=art,
        art_row=art,
        density=np.where(keep, _density(gx, gy, half), 0.0),
    )


# --------------------------------------------------------------------- OSM data
class _Osm:
    """Nodes (metres) and ways, ids in creation order."""

    def __init__(self) -> None:
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.node_tags: dict[int, dict[str, str]] = {}
        self.ways: list[tuple[list[int], dict[str, str]]] = []

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        self.xs.append(round(float(x), 2))
        self.ys.append(round(float(y), 2))
        nid = len(self.xs)
        if tags:
            self.node_tags[nid] = tags
        return nid

    def way(self, ids: list[int], tags: dict[str, str]) -> None:
        if len(ids) >= 2:
            self.ways.append((ids, tags))

    def write_pbf(self, path: Path) -> None:
        import osmium

        lon, lat = xy_to_lonlat(np.array(self.xs), np.array(self.ys))
        lon = np.round(lon, 7)
        lat = np.round(lat, 7)
        header = osmium.io.Header()
        header.set(
            "generator",
            f"planner {METROPOLIS_LABEL} generator v{GENERATOR_VERSION} "
            "(invented roads, not a real map; no third-party map data)",
        )
        node_cls = osmium.osm.mutable.Node
        way_cls = osmium.osm.mutable.Way
        empty: dict[str, str] = {}
        with osmium.SimpleWriter(str(path), header=header, overwrite=True) as writer:
            tags_of = self.node_tags
            for i, (lo, la) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
                nid = i + 1
                writer.add_node(
                    node_cls(id=nid, version=1, location=(lo, la), tags=tags_of.get(nid, empty))
                )
            for w, (ids, tags) in enumerate(self.ways, start=1):
                writer.add_way(way_cls(id=w, version=1, nodes=ids, tags=tags))


def _street_name(kind: str, k: int) -> str:
    return f"Metro {kind} {k}{_SYN}"


def _build(seed: int, target_nodes: int, *, pois: bool) -> _Osm:
    """Lay out the whole city. The steps run in a fixed order (their random draws too)."""
    lat = _lattice(seed, target_nodes)
    rng = np.random.default_rng([seed, 1])
    osm = _Osm()
    n2 = 2 * lat.n + 1
    nid = np.zeros((n2, n2), dtype=np.int64)
    for i, j in zip(*np.nonzero(lat.keep), strict=True):
        nid[i, j] = osm.node(lat.x[i, j], lat.y[i, j])
    half = lat.half
    r = np.hypot(np.nan_to_num(lat.x), np.nan_to_num(lat.y)) / half
    art_c, art_r = lat.art_col, lat.art_row

    # local edges: along columns (i fixed, j -> j+1) and rows (j fixed, i -> i+1)
    col_edge = lat.keep[:, :-1] & lat.keep[:, 1:]
    row_edge = lat.keep[:-1, :] & lat.keep[1:, :]
    # one-way pairs of local streets in some inner blocks: +1 along the index, -1 against
    col_dir = np.zeros(col_edge.shape, dtype=np.int8)
    row_dir = np.zeros(row_edge.shape, dtype=np.int8)
    idx = np.arange(n2) - lat.n
    blocks = range(-lat.n // ART, lat.n // ART + 1)
    pick = rng.random((len(blocks), len(blocks), 2))
    for a, bi in enumerate(blocks):
        for b, bj in enumerate(blocks):
            cx, cy = (bi + 0.5) * ART * STEP_M, (bj + 0.5) * ART * STEP_M
            if math.hypot(cx, cy) > 0.45 * half:
                continue
            j0, j1 = bj * ART + lat.n, (bj + 1) * ART + lat.n  # rows bounding the block
            i0, i1 = bi * ART + lat.n, (bi + 1) * ART + lat.n
            if not (i0 >= 0 and i1 < n2 and j0 >= 0 and j1 < n2):
                continue
            if pick[a, b, 0] < 0.35:  # a northbound/southbound pair of columns
                ci, cj = i0 + 3, i0 + 4
                if lat.keep[ci, j0 : j1 + 1].all() and lat.keep[cj, j0 : j1 + 1].all():
                    col_dir[ci, j0:j1] = 1
                    col_dir[cj, j0:j1] = -1
            if pick[a, b, 1] < 0.35:  # an eastbound/westbound pair of rows
                rj, rk = j0 + 3, j0 + 4
                if lat.keep[i0 : i1 + 1, rj].all() and lat.keep[i0 : i1 + 1, rk].all():
                    row_dir[i0:i1, rj] = 1
                    row_dir[i0:i1, rk] = -1
    # missing local segments: more towards the edge; never on arterials or one-way pairs
    rc = np.maximum(r[:, :-1], r[:, 1:])
    rr = np.maximum(r[:-1, :], r[1:, :])
    drop_c = rng.random(col_edge.shape) < 0.07 + 0.16 * rc
    drop_r = rng.random(row_edge.shape) < 0.07 + 0.16 * rr
    col_edge &= ~drop_c | art_c[:, None] | (col_dir != 0)
    row_edge &= ~drop_r | art_r[None, :] | (row_dir != 0)
    bend_c = rng.random(col_edge.shape) < 0.12
    bend_r = rng.random(row_edge.shape) < 0.12
    bend_off = rng.uniform(-35.0, 35.0, (2, n2, n2))
    local_class = rng.integers(0, len(_LOCAL_CLASSES), (2, n2))

    def line_ways(vertical: bool) -> None:
        edges = col_edge if vertical else row_edge
        dirs = col_dir if vertical else row_dir
        bends = bend_c if vertical else bend_r
        arts = art_c if vertical else art_r
        for a in range(n2):
            k = int(idx[a])
            if arts[a]:
                cls = _ART_CLASSES[(abs(k) // ART) % 3]
                tags = {
                    "highway": cls,
                    "name": _street_name("North Avenue" if vertical else "East Avenue", k // ART),
                    "maxspeed": _ART_SPEED[cls],
                    "lanes": "4",
                }
                if k == 0:
                    tags.update(highway="primary", maxspeed="60", lanes="6")
            else:
                cls = _LOCAL_CLASSES[int(local_class[0 if vertical else 1, a])]
                tags = {
                    "highway": cls,
                    "name": _street_name("North Street" if vertical else "East Street", k),
                }
            run: list[int] = []
            run_dir = 0
            for b in range(n2 - 1):
                e = (a, b) if vertical else (b, a)
                present = bool(edges[e])
                d = int(dirs[e]) if present else 0
                if run and (not present or d != run_dir):
                    _emit(osm, run, tags, run_dir)
                    run = []
                if not present:
                    continue
                p0 = (a, b) if vertical else (b, a)
                p1 = (a, b + 1) if vertical else (b + 1, a)
                if not run:
                    run = [int(nid[p0])]
                    run_dir = d
                if bends[e] and not arts[a]:
                    mx = (lat.x[p0] + lat.x[p1]) / 2
                    my = (lat.y[p0] + lat.y[p1]) / 2
                    off = bend_off[0 if vertical else 1][e]
                    run.append(osm.node(mx + off, my) if vertical else osm.node(mx, my + off))
                run.append(int(nid[p1]))
            if run:
                _emit(osm, run, tags, run_dir)

    line_ways(True)
    line_ways(False)
    _cul_de_sacs(osm, lat, nid, rng)
    radial = _radials(osm, lat, nid)
    _rings(osm, lat, nid, radial)
    _write_radials(osm, radial)
    if pois:
        _pois(osm, lat, rng, target_nodes)
    return osm


def _emit(osm: _Osm, run: list[int], tags: dict[str, str], direction: int) -> None:
    if direction == 0:
        osm.way(run, tags)
    else:
        osm.way(run if direction > 0 else run[::-1], {**tags, "oneway": "yes"})


def _cul_de_sacs(osm: _Osm, lat: _Lattice, nid: np.ndarray, rng: np.random.Generator) -> None:
    """Short dead-end streets into the blocks, with a turning circle at their end."""
    n2 = nid.shape[0]
    local = lat.keep & ~lat.art_col[:, None] & ~lat.art_row[None, :]
    chosen = local & (rng.random((n2, n2)) < 0.035)
    ii, jj = np.nonzero(chosen)
    angle = rng.integers(0, 4, len(ii)) * (math.pi / 2) + math.pi / 4
    length = rng.uniform(45.0, 70.0, len(ii))
    kink = rng.uniform(-12.0, 12.0, len(ii))
    for k, (i, j) in enumerate(zip(ii, jj, strict=True)):
        x0, y0 = lat.x[i, j], lat.y[i, j]
        ux, uy = math.cos(angle[k]), math.sin(angle[k])
        mid = osm.node(
            x0 + ux * length[k] / 2 - uy * kink[k], y0 + uy * length[k] / 2 + ux * kink[k]
        )
        end = osm.node(x0 + ux * length[k], y0 + uy * length[k], {"highway": "turning_circle"})
        osm.way(
            [int(nid[i, j]), mid, end],
            {"highway": "residential", "name": _street_name("Lane", k + 1), "noexit": "yes"},
        )


def _radials(osm: _Osm, lat: _Lattice, nid: np.ndarray) -> dict[tuple[int, int], list[int]]:
    """Four diagonal expressways from the 2nd ring outward, at grade with the arterials.

    Returns the node ids of each diagonal ``(sx, sy)`` from the centre outward; the
    rings insert their crossing nodes, then `_write_radials` writes them.
    """
    out: dict[tuple[int, int], list[int]] = {}
    inner = RINGS[0][1] * lat.half * 2**-0.25  # the 2nd ring's corner, on the diagonal
    for sx, sy in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        ids: list[int] = []
        for k in range(1, lat.n // ART + 1):
            i, j = lat.n + sx * k * ART, lat.n + sy * k * ART
            if not (0 <= i < nid.shape[0] and 0 <= j < nid.shape[0]) or not lat.keep[i, j]:
                break
            if k * ART * STEP_M < inner:
                continue
            ids.append(int(nid[i, j]))
        out[(sx, sy)] = ids
    return out


def _write_radials(osm: _Osm, radial: dict[tuple[int, int], list[int]]) -> None:
    names = {(1, 1): "Northeast", (-1, 1): "Northwest", (-1, -1): "Southwest", (1, -1): "Southeast"}
    for key, ids in radial.items():
        tags = {
            "highway": "trunk",
            "name": f"{names[key]} Expressway{_SYN}",
            "maxspeed": "80",
            "lanes": "6",
        }
        osm.way(ids, tags)


def _ring_point(a: float, theta: float) -> tuple[float, float]:
    c, s = math.cos(theta), math.sin(theta)
    return (a * math.copysign(abs(c) ** 0.5, c), a * math.copysign(abs(s) ** 0.5, s))


def _rings(
    osm: _Osm, lat: _Lattice, nid: np.ndarray, radial: dict[tuple[int, int], list[int]]
) -> None:
    """Ring roads: two one-way carriageways each, with ramps at every arterial and radial."""
    n = lat.n
    for number, (name, share, cls) in enumerate(RINGS, start=2):
        a = share * lat.half
        # crossings: (angle, node on the crossed road)
        crossings: list[tuple[float, int]] = []
        for k in range(-n // ART, n // ART + 1):
            c = k * ART * STEP_M
            if abs(c) >= 0.97 * a:
                continue
            q = (c / a) ** 2  # |cos| (vertical line x = c) or |sin| (horizontal y = c)
            for theta in (
                math.acos(math.copysign(q, c)),
                2 * math.pi - math.acos(math.copysign(q, c)),
            ):
                _, y = _ring_point(a, theta)
                j = n + round(y / STEP_M)
                if 0 <= j < nid.shape[0] and lat.keep[n + k * ART, j]:
                    crossings.append((theta, int(nid[n + k * ART, j])))
            for theta in (math.asin(math.copysign(q, c)), math.pi - math.asin(math.copysign(q, c))):
                theta %= 2 * math.pi
                x, _ = _ring_point(a, theta)
                i = n + round(x / STEP_M)
                if 0 <= i < nid.shape[0] and lat.keep[i, n + k * ART]:
                    crossings.append((theta, int(nid[i, n + k * ART])))
        for (sx, sy), ids in radial.items():
            theta = math.atan2(sy, sx) % (2 * math.pi)
            px, py = _ring_point(a, theta)
            # the ring crosses the diagonal between two of its nodes (the 2nd ring at
            # its start): insert a node there
            node = osm.node(px, py)
            ids.insert(sum(abs(osm.xs[m - 1]) < abs(px) for m in ids), node)
            crossings.append((theta, node))
        crossings.sort()
        # vertices along the ring: diverge and merge points around each crossing, fillers
        delta = _RAMP_OFFSET_M / a
        thetas = sorted(
            {round(t + s * delta, 9) % (2 * math.pi) for t, _ in crossings for s in (-1, 1)}
            | {round(t, 9) for t in np.linspace(0, 2 * math.pi, 64, endpoint=False)}
        )
        pts = [_ring_point(a, t) for t in thetas]
        m = len(pts)
        outer, inner = [], []
        for v in range(m):
            (x0, y0), (x1, y1) = pts[v - 1], pts[(v + 1) % m]
            tx, ty = x1 - x0, y1 - y0
            norm = math.hypot(tx, ty)
            nx_, ny_ = ty / norm, -tx / norm  # outward normal for counter-clockwise order
            outer.append(
                osm.node(pts[v][0] + nx_ * _CARRIAGEWAY_M, pts[v][1] + ny_ * _CARRIAGEWAY_M)
            )
            inner.append(
                osm.node(pts[v][0] - nx_ * _CARRIAGEWAY_M, pts[v][1] - ny_ * _CARRIAGEWAY_M)
            )
        tags = {
            "highway": cls,
            "name": f"{name}{_SYN}",
            "ref": f"R{number}",
            "oneway": "yes",
            "lanes": "4",
            "maxspeed": "80" if cls == "trunk" else "100",
        }
        osm.way([*outer, outer[0]], tags)  # counter-clockwise
        osm.way([*inner[::-1], inner[-1]], tags)  # clockwise
        link = {"highway": f"{cls}_link", "oneway": "yes", "maxspeed": "40"}
        where = {t: v for v, t in enumerate(thetas)}
        for t, target in crossings:
            before = where[round(t - delta, 9) % (2 * math.pi)]
            after = where[round(t + delta, 9) % (2 * math.pi)]
            # counter-clockwise carriageway: off before the crossing, on after it
            osm.way([outer[before], target], link)
            osm.way([target, outer[after]], link)
            # clockwise carriageway: off after (in its order, before), on before
            osm.way([inner[after], target], link)
            osm.way([target, inner[before]], link)


def _pois(osm: _Osm, lat: _Lattice, rng: np.random.Generator, target_nodes: int) -> None:
    """Points of interest as tagged nodes near streets, denser where the density is."""
    flat = lat.density.ravel()
    p = flat / flat.sum()
    total_weight = sum(w for _, _, w in _POI_TAGS)
    n_poi = max(len(_POI_TAGS), target_nodes // 15)
    cells = rng.choice(len(flat), size=n_poi, p=p)
    kinds = rng.choice(len(_POI_TAGS), size=n_poi, p=[w / total_weight for _, _, w in _POI_TAGS])
    off = rng.uniform(-40.0, 40.0, (n_poi, 2))
    xs = lat.x.ravel()[cells] + off[:, 0]
    ys = lat.y.ravel()[cells] + off[:, 1]
    for k in range(n_poi):
        key, value, _ = _POI_TAGS[int(kinds[k])]
        osm.node(
            xs[k],
            ys[k],
            {key: value, "name": f"{value.replace('_', ' ').title()} {k + 1}{_SYN}"},
        )


# ----------------------------------------------------------------- public face
def generate_metropolis(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    target_nodes: int = DEFAULT_TARGET_NODES,
    pois: bool = True,
) -> Path:
    """Generate the synthetic metropolis, a Beijing-like city for benchmarks, as OSM PBF.

    An invented city (not a real place) whose road network, loaded with
    :func:`planner.network.network_from_osm`, has about ``target_nodes`` nodes
    (within 2 % from 2,000 to 150,000): ring roads, radial avenues and
    expressways, a dense irregular street grid with one-way pairs and
    cul-de-sacs (see :mod:`planner.datasets._metropolis`). The output is
    deterministic: the same seed, size and generator version give the same
    bytes. The 150,000-node city takes about 8 s and 1.6 MB; loading it takes
    one to two minutes and 2 GB.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed).
    seed
        Seed of the random number generator.
    target_nodes
        About how many nodes the loaded network has (at least 500).
    pois
        Also write points of interest as tagged nodes (restaurants, malls, parcel
        depots, fuel, parkings, ...), denser towards the centre.

    Returns
    -------
    Path
        The file, ``metropolis-<target_nodes>-<seed>.osm.pbf`` in ``out_dir``.

    Raises
    ------
    InputError
        If ``target_nodes`` is not a whole number of at least 500.

    Examples
    --------
    >>> import tempfile
    >>> path = generate_metropolis(tempfile.mkdtemp(), target_nodes=2000)
    >>> path.name
    'metropolis-2000-20250418.osm.pbf'
    """
    target = _check_target(target_nodes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"metropolis-{target}-{int(seed)}{OSM_SUFFIX}"
    osm = _build(int(seed), target, pois=pois)
    tmp = out / f".{path.name}.{os.getpid()}.tmp{OSM_SUFFIX}"
    try:
        osm.write_pbf(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def metropolis_bounds(
    *, seed: int = DEFAULT_SEED, target_nodes: int = DEFAULT_TARGET_NODES
) -> tuple[float, float, float, float]:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` of the synthetic metropolis's streets."""
    lat = _lattice(int(seed), _check_target(target_nodes))
    lon, la = xy_to_lonlat(lat.x[lat.keep], lat.y[lat.keep])
    return (float(lon.min()), float(la.min()), float(lon.max()), float(la.max()))


def _draw(
    n: int, seed: int, city_seed: int, target_nodes: int, name: str
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(
            f"n must be a whole number >= 0, got {n!r}.", field="n", fix=f"pass e.g. {name}(1000)."
        )
    lat = _lattice(int(city_seed), _check_target(target_nodes))
    flat = lat.density.ravel()
    rng = np.random.default_rng(seed)
    cells = rng.choice(len(flat), size=int(n), p=flat / flat.sum())
    off = rng.uniform(-STEP_M / 2, STEP_M / 2, (int(n), 2))
    return xy_to_lonlat(lat.x.ravel()[cells] + off[:, 0], lat.y.ravel()[cells] + off[:, 1])


def metropolis_demand_points(
    n: int,
    seed: int = 0,
    *,
    city_seed: int = DEFAULT_SEED,
    target_nodes: int = DEFAULT_TARGET_NODES,
) -> gpd.GeoDataFrame:
    """Draw demand points in the synthetic metropolis, weighted by its density.

    Points fall within half a street spacing (62.5 m) of a street corner of the
    city, drawn with the city's density (a dense centre and four sub-centres),
    so every point snaps to the network within about 100 m.

    Parameters
    ----------
    n
        Number of points.
    seed
        Seed of the draw.
    city_seed, target_nodes
        The city drawn in: those given to :func:`generate_metropolis`.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema (EPSG:4326): ``weight`` 1.0, ``group`` ``"rider"``,
        ``source`` ``"user"`` and point geometry, indexed 0..n-1.

    Raises
    ------
    InputError
        If ``n`` is negative or ``target_nodes`` below 500.

    Examples
    --------
    >>> pts = metropolis_demand_points(3, seed=1, target_nodes=2000)
    >>> list(pts.columns), len(pts)
    (['weight', 'group', 'source', 'geometry'], 3)
    """
    lon, la = _draw(n, seed, city_seed, target_nodes, "metropolis_demand_points")
    frame = pd.DataFrame({"weight": np.ones(len(lon)), "group": "rider", "source": "user"})
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, la), crs="EPSG:4326")


def metropolis_stations(
    n: int,
    seed: int = 0,
    *,
    city_seed: int = DEFAULT_SEED,
    target_nodes: int = DEFAULT_TARGET_NODES,
) -> gpd.GeoDataFrame:
    """Draw station sites (existing stations or candidates) in the synthetic metropolis.

    Drawn like :func:`metropolis_demand_points`, with the city's density.

    Parameters
    ----------
    n
        Number of stations.
    seed
        Seed of the draw.
    city_seed, target_nodes
        The city drawn in: those given to :func:`generate_metropolis`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``station_id`` (``"S000001"`` ...), ``name``, ``kind``
        (``"worker_station"``), ``hours`` (``"24/7"``), ``lon``, ``lat`` and point
        geometry, in EPSG:4326.

    Raises
    ------
    InputError
        If ``n`` is negative or ``target_nodes`` below 500.

    Examples
    --------
    >>> metropolis_stations(2, seed=3, target_nodes=2000)["station_id"].tolist()
    ['S000001', 'S000002']
    """
    lon, la = _draw(n, seed, city_seed, target_nodes, "metropolis_stations")
    ids = [f"S{k + 1:06d}" for k in range(len(lon))]
    frame = pd.DataFrame(
        {
            "station_id": ids,
            "name": [f"Station {k}{_SYN}" for k in ids],
            "kind": "worker_station",
            "hours": "24/7",
            "lon": lon,
            "lat": la,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, la), crs="EPSG:4326")
