"""Generator of the synthetic demo region shipped with planner.

Everything here is invented: the roads, names, points of interest, stations and
GPS traces of the *synthetic demo region* are drawn from a seeded random number
generator around a fictional place near 112.9 E, 28.1 N. No third-party map
data is used. The output is deterministic: the same seed gives byte-identical
files (fixed timestamps, sorted ids, fixed number formats, bzip2 compression).

The layout, in metres east (x) and north (y) of the centre, 20 km across:

* an urban lattice (14 km x 11 km) of arterial roads every kilometre (primary,
  secondary, tertiary; one one-way pair each way downtown) filled with irregular
  local streets (residential, service, living_street, unclassified), footways
  across blocks, steps, a pedestrian street and park paths;
* the national-road freight corridor ``G999`` (``highway=trunk``, ``hgv=yes``)
  crossing the region south of the city from west to east;
* an expressway segment (``highway=motorway``, dual carriageway, ``ref=G9901``)
  east of the city with two diamond interchanges and motorway links;
* a logistics park south of the corridor (service roads, ``landuse=industrial``,
  a large truck parking, warehouses, parcel depots) and a highway service area
  (``highway=services``) on the corridor;
* villages in the countryside, linked by rural roads;
* points of interest as tagged OSM nodes and closed ways (restaurants and fast
  food in clusters, malls, express-delivery depots, residential areas, community
  centres, toilets, fuel stations, parkings);
* existing worker stations and driver homes, a day of GPS traces of delivery
  riders, couriers, ride-hailing drivers and trucks, the stops planted in them,
  and a truck origin-destination table.
"""

from __future__ import annotations

import bz2
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

GENERATOR_VERSION = "1"
DEFAULT_SEED = 20240515
DEMO_LABEL = "synthetic demo region"
DEMO_DATE = "2024-05-15"

#: Centre of the region (WGS84) and metres per degree there (fixed literals so
#: that the output does not depend on the platform's trigonometry).
LON0 = 112.9
LAT0 = 28.1
M_PER_DEG_LON = 98198.363
M_PER_DEG_LAT = 110574.0
HALF_M = 10_000.0

OSM_FILE = "demo_region.osm.bz2"
STATIONS_FILE = "stations.csv"
TRACES_FILE = "traces.csv.bz2"
STOPS_FILE = "stops.csv.bz2"
TRUCK_OD_FILE = "truck_od.csv"
README_FILE = "README.md"
FILES = (OSM_FILE, STATIONS_FILE, TRACES_FILE, STOPS_FILE, TRUCK_OD_FILE, README_FILE)

#: Number of agents in the traces, by group.
AGENTS = {"rider": 200, "courier": 60, "ride-hailing": 40, "truck": 24}
#: Fix interval (seconds) by group.
FIX_INTERVAL_S = {"rider": 30, "courier": 30, "ride-hailing": 30, "truck": 60}
#: Points of interest planted in the OSM file, by category (see ``poi_category``).
PLANTED_POIS = {
    "restaurant": 120,
    "fast_food": 80,
    "mall": 6,
    "express_depot": 16,
    "community_centre": 18,
    "toilets": 40,
    "fuel": 12,
    "parking": 30,
    "residential": 67,
}
#: Of which: fuel stations with ``hgv=yes`` and parkings with ``hgv=designated``.
PLANTED_HGV_FUEL = 5
PLANTED_TRUCK_PARKING = 6
#: Existing stations by kind, and how many are open 24/7.
STATIONS = {"worker_station": 12, "driver_home": 2}
STATIONS_24H = 5
RESTAURANT_CLUSTER_SIZES = (22, 18, 16, 15, 14, 13, 12, 11, 10, 9, 8, 8, 7, 7)

_TIMESTAMP = "2024-05-01T00:00:00Z"
_BZ2_LEVEL = 9


def xy_to_lonlat(x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Convert local metres (east, north of the centre) to WGS84 lon/lat degrees."""
    return (
        LON0 + np.asarray(x, dtype=float) / M_PER_DEG_LON,
        LAT0 + np.asarray(y, dtype=float) / M_PER_DEG_LAT,
    )


def lonlat_to_xy(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 lon/lat degrees to local metres (inverse of `xy_to_lonlat`)."""
    return (
        (np.asarray(lon, dtype=float) - LON0) * M_PER_DEG_LON,
        (np.asarray(lat, dtype=float) - LAT0) * M_PER_DEG_LAT,
    )


def region_bounds() -> tuple[float, float, float, float]:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` of the synthetic demo region."""
    lo = xy_to_lonlat(-HALF_M, -HALF_M)
    hi = xy_to_lonlat(HALF_M, HALF_M)
    return (
        round(float(lo[0]), 7),
        round(float(lo[1]), 7),
        round(float(hi[0]), 7),
        round(float(hi[1]), 7),
    )


def poi_category(tags: dict[str, str]) -> str | None:
    """Return the demo POI category of an OSM object's tags, or ``None``."""
    amenity = tags.get("amenity")
    if amenity in {"restaurant", "fast_food", "community_centre", "toilets", "fuel", "parking"}:
        return amenity
    if amenity == "post_depot" or tags.get("office") == "courier":
        return "express_depot"
    if tags.get("shop") == "mall":
        return "mall"
    if tags.get("landuse") == "residential":
        return "residential"
    if tags.get("landuse") == "industrial":
        return "industrial"
    if tags.get("highway") == "services":
        return "services"
    return None


# --------------------------------------------------------------------------- OSM model


@dataclass
class _Osm:
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)
    index: dict[tuple[float, float], int] = field(default_factory=dict)

    def node(
        self, x: float, y: float, tags: dict[str, str] | None = None, *, share: bool = True
    ) -> int:
        x = round(float(x), 2)
        y = round(float(y), 2)
        key = (x, y)
        if share and key in self.index and not tags:
            return self.index[key]
        self.xs.append(x)
        self.ys.append(y)
        nid = len(self.xs)
        if tags:
            self.node_tags[nid] = dict(tags)
        elif share:
            self.index[key] = nid
        return nid

    def way(self, ids: Sequence[int], tags: dict[str, str]) -> int:
        clean = [ids[0]]
        for i in ids[1:]:
            if i != clean[-1]:
                clean.append(i)
        if len(clean) < 2:
            msg = "a way needs two distinct nodes"
            raise ValueError(msg)
        self.ways.append((clean, dict(tags)))
        return len(self.ways)

    def line(self, pts: Iterable[tuple[float, float]], tags: dict[str, str]) -> list[int]:
        ids = [self.node(x, y) for x, y in pts]
        self.way(ids, tags)
        return ids

    def area(self, ring: Sequence[tuple[float, float]], tags: dict[str, str]) -> int:
        ids = [self.node(x, y, share=False) for x, y in ring]
        return self.way([*ids, ids[0]], tags)

    def xml(self) -> bytes:
        lon, lat = xy_to_lonlat(np.array(self.xs), np.array(self.ys))
        b = region_bounds()
        out = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f'<osm version="0.6" generator="planner {DEMO_LABEL} generator v{GENERATOR_VERSION}">',
            f"  <note>{escape(DEMO_LABEL)}: invented roads and places, not a real map; "
            f"generated by planner._demo_gen (no third-party map data).</note>",
            f'  <bounds minlat="{b[1]:.7f}" minlon="{b[0]:.7f}" maxlat="{b[3]:.7f}" '
            f'maxlon="{b[2]:.7f}"/>',
        ]
        attrs = f'version="1" timestamp="{_TIMESTAMP}" changeset="1" visible="true"'
        for i in range(len(self.xs)):
            nid = i + 1
            head = f'  <node id="{nid}" {attrs} lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"'
            tags = self.node_tags.get(nid)
            if not tags:
                out.append(head + "/>")
                continue
            out.append(head + ">")
            out.extend(
                f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())
            )
            out.append("  </node>")
        for w, (ids, tags) in enumerate(self.ways, start=1):
            out.append(f'  <way id="{w}" {attrs}>')
            out.extend(f'    <nd ref="{n}"/>' for n in ids)
            out.extend(
                f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())
            )
            out.append("  </way>")
        out.append("</osm>")
        return ("\n".join(out) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- road layout

_LAT_X0, _LAT_Y0, _STEP = -7000.0, -4800.0, 1000.0 / 6.0
_NX, _NY = 85, 67
_ART = 6  # an arterial every 6th lattice line (1 km)
_ART_CLASSES = ("primary", "secondary", "tertiary")
_ART_SPEED = {"primary": "60", "secondary": "50", "tertiary": "40"}
_SYN = " (synthetic)"


def _corridor_y(x: float) -> float:
    return -6600.0 + 0.1 * x + 400.0 * math.sin(x / 2500.0)


def _longest_run(
    keys: Sequence[tuple[int, int]], present: dict[tuple[int, int], int]
) -> set[tuple[int, int]]:
    best: list[tuple[int, int]] = []
    cur: list[tuple[int, int]] = []
    for k in keys:
        cur = [*cur, k] if k in present else []
        if len(cur) > len(best):
            best = cur
    # end the one-way line where it meets arterials, so that no one-way dead end remains
    anchors = [n for n, (i, j) in enumerate(best) if i % _ART == 0 or j % _ART == 0]
    return set(best[anchors[0] : anchors[-1] + 1])


@dataclass
class _Layout:
    osm: _Osm
    lattice: dict[tuple[int, int], int]
    local_nodes: list[int]  # nodes on urban local streets (drop-off candidates)
    village_nodes: list[int]
    arterial_nodes: list[int]
    signals: set[int]
    zones: dict[str, tuple[str, int]]  # zone id -> (name, node id)
    park_xy: tuple[float, float]
    services_xy: tuple[float, float]


def _build_roads(rng: np.random.Generator) -> _Layout:
    osm = _Osm()

    # ---- urban lattice nodes
    col_art = [i % _ART == 0 for i in range(_NX)]
    row_art = [j % _ART == 0 for j in range(_NY)]
    couplet_cols = (42, 43)  # x = 0 northbound, x = 167 southbound
    couplet_rows = (30, 31)  # y = 200 eastbound, y = 367 westbound
    straight_cols = [a or i in couplet_cols for i, a in enumerate(col_art)]
    straight_rows = [a or j in couplet_rows for j, a in enumerate(row_art)]
    jx = rng.uniform(-40, 40, size=(_NX, _NY))
    jy = rng.uniform(-40, 40, size=(_NX, _NY))
    keep_noise = rng.uniform(-0.12, 0.12, size=(_NX, _NY))
    lattice: dict[tuple[int, int], int] = {}
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(_NX):
        for j in range(_NY):
            x = _LAT_X0 + _STEP * i
            y = _LAT_Y0 + _STEP * j
            on_art = col_art[i] or row_art[j]
            shape = (abs(x) / 7100.0) ** 4 + (abs(y - 700.0) / 5600.0) ** 4
            if not on_art and shape > 0.55 + keep_noise[i, j]:
                continue
            if not straight_cols[i]:
                x += jx[i, j]
            if not straight_rows[j]:
                y += jy[i, j]
            pos[(i, j)] = (x, y)
    # drop islands of local nodes cut off by the ragged city edge
    import networkx as nx

    grid = nx.Graph()
    grid.add_nodes_from(pos)
    grid.add_edges_from(
        (k, (k[0] + di, k[1] + dj))
        for k in pos
        for di, dj in ((1, 0), (0, 1))
        if (k[0] + di, k[1] + dj) in pos
    )
    main = max(nx.connected_components(grid), key=len)
    pos = {k: v for k, v in pos.items() if k in main}
    for key in sorted(pos):
        lattice[key] = osm.node(*pos[key])

    # the second halves of the one-way pairs: their longest unbroken runs
    col_run = _longest_run([(couplet_cols[1], j) for j in range(_NY)], lattice)
    row_run = _longest_run([(i, couplet_rows[1]) for i in range(_NX)], lattice)

    # ---- lattice edges and which local ones to keep (spanning tree keeps it connected)
    edges: list[tuple[tuple[int, int], tuple[int, int], bool]] = []
    for i, j in sorted(lattice):
        for di, dj in ((1, 0), (0, 1)):
            nb = (i + di, j + dj)
            if nb not in lattice:
                continue
            art = (dj == 0 and row_art[j]) or (di == 0 and col_art[i])
            couplet = (di == 0 and (i, j) in col_run and nb in col_run) or (
                dj == 0 and (i, j) in row_run and nb in row_run
            )
            edges.append(((i, j), nb, art or couplet))

    g = nx.Graph()
    weights = rng.uniform(1.0, 2.0, size=len(edges))
    for (a, b, fixed), wgt in zip(edges, weights, strict=True):
        g.add_edge(a, b, weight=0.0 if fixed else float(wgt))
    tree = {tuple(sorted(e)) for e in nx.minimum_spanning_edges(g, data=False)}
    drop_draw = rng.uniform(size=len(edges))
    local_kind_draw = rng.uniform(size=len(edges))
    shape_draw = rng.uniform(size=len(edges))
    shape_off = rng.uniform(-18, 18, size=len(edges))

    # arterial ways: whole lines, split where the class or direction changes
    def art_tags(k: int, ns: bool) -> dict[str, str]:
        cls = _ART_CLASSES[k % 3]
        name = f"Demo {'North' if ns else 'East'} Avenue {k}{_SYN}"
        t = {"highway": cls, "name": name, "maxspeed": _ART_SPEED[cls], "lanes": "4"}
        if cls == "primary":
            t["hgv"] = "no"  # city-centre truck ban on primaries
        return t

    for i in range(0, _NX, _ART):
        ids = [lattice[(i, j)] for j in range(_NY) if (i, j) in lattice]
        tags = art_tags(i // _ART, True)
        if i == couplet_cols[0]:
            tags.update(oneway="yes", highway="secondary", maxspeed="50", lanes="3")
        osm.way(ids, tags)
    for j in range(0, _NY, _ART):
        ids = [lattice[(i, j)] for i in range(_NX) if (i, j) in lattice]
        tags = art_tags(j // _ART, False)
        if j == couplet_rows[0]:
            tags.update(oneway="yes", highway="secondary", maxspeed="50", lanes="3")
        osm.way(ids, tags)
    # the other halves of the one-way pairs (full lines, drawn against the grid)
    ids = [lattice[k] for k in sorted(col_run)]
    osm.way(
        ids[::-1],
        {
            "highway": "secondary",
            "oneway": "yes",
            "maxspeed": "50",
            "lanes": "3",
            "name": f"Demo North Avenue 7 (southbound){_SYN}",
        },
    )
    ids = [lattice[k] for k in sorted(row_run)]
    osm.way(
        ids[::-1],
        {
            "highway": "secondary",
            "oneway": "yes",
            "maxspeed": "50",
            "lanes": "3",
            "name": f"Demo East Avenue 5 (westbound){_SYN}",
        },
    )

    local_nodes: set[int] = set()
    arterial_nodes = {lattice[k] for k in lattice if col_art[k[0]] or row_art[k[1]]}
    signals = {lattice[k] for k in lattice if col_art[k[0]] and row_art[k[1]]}
    ped_done = 0
    for e, (a, b, fixed) in enumerate(edges):
        if fixed:
            continue
        ekey = (a, b) if a < b else (b, a)
        in_tree = ekey in tree
        if not in_tree and drop_draw[e] < 0.3:
            continue
        ua, ub = lattice[a], lattice[b]
        (xa, ya), (xb, yb) = pos[a], pos[b]
        r = local_kind_draw[e]
        if not in_tree and ped_done < 12 and abs(xa) < 1200 and abs(ya - 300) < 1200 and r < 0.5:
            tags = {"highway": "pedestrian", "name": f"Demo Walking Street{_SYN}"}
            ped_done += 1
        elif r < 0.68:
            tags = {"highway": "residential", "maxspeed": "30"}
        elif r < 0.83:
            tags = {"highway": "service"}
        elif r < 0.91:
            tags = {"highway": "living_street"}
        else:
            tags = {"highway": "unclassified", "maxspeed": "40"}
        if tags["highway"] in {"residential", "unclassified", "living_street"}:
            street, seg = (a[0], min(a[1], b[1])) if a[0] == b[0] else (a[1], min(a[0], b[0]))
            ln = f"Demo Lane {street}-{seg}"
            tags["name"] = ln + _SYN
        pts = [(xa, ya)]
        if shape_draw[e] < 0.4:
            # a bend: one or two shape nodes that osmnx simplification removes
            dx, dy = xb - xa, yb - ya
            nrm = math.hypot(dx, dy)
            px, py = -dy / nrm, dx / nrm
            n_shape = 1 if shape_draw[e] < 0.25 else 2
            for s in range(1, n_shape + 1):
                f = s / (n_shape + 1)
                pts.append((xa + f * dx + px * shape_off[e], ya + f * dy + py * shape_off[e]))
        pts.append((xb, yb))
        ids = osm.line(pts, tags)
        for n in (ua, ub):
            if n not in arterial_nodes:
                local_nodes.add(n)
        del ids

    # ---- footways across blocks, steps, cul-de-sacs
    cells = sorted(
        (i, j)
        for (i, j) in lattice
        if (i + 1, j + 1) in lattice and (i + 1, j) in lattice and (i, j + 1) in lattice
    )
    foot_draw = rng.uniform(size=len(cells))
    for c, (i, j) in enumerate(cells):
        if foot_draw[c] < 0.10:
            a, b = ((i, j), (i + 1, j + 1)) if foot_draw[c] < 0.05 else ((i + 1, j), (i, j + 1))
            hw = "steps" if foot_draw[c] < 0.006 else "footway"
            t = {"highway": hw}
            if hw == "footway" and foot_draw[c] < 0.03:
                t["bicycle"] = "no"
            osm.line([pos[a], pos[b]], t)
    spur_nodes = sorted(local_nodes)
    spur_draw = rng.uniform(size=len(spur_nodes))
    spur_ang = rng.uniform(0, 2 * math.pi, size=len(spur_nodes))
    spur_len = rng.uniform(45, 85, size=len(spur_nodes))
    for s, n in enumerate(spur_nodes):
        if spur_draw[s] < 0.18:
            x0, y0 = osm.xs[n - 1], osm.ys[n - 1]
            ang = spur_ang[s]
            # point the dead end diagonally, into a block, never along a street
            ang = (math.floor(ang / (math.pi / 2)) + 0.5) * (math.pi / 2)
            end = (x0 + spur_len[s] * math.cos(ang), y0 + spur_len[s] * math.sin(ang))
            tags = (
                {"highway": "service", "service": "driveway"}
                if spur_draw[s] < 0.08
                else {"highway": "residential", "maxspeed": "20"}
            )
            ids = osm.line([(x0, y0), end], tags)
            local_nodes.add(ids[-1])

    # ---- parks with paths (inside two arterial cells, attached to the lattice)
    for pi, pj in ((20, 40), (45, 15)):
        ring = [
            pos[(pi + 1, pj + 1)],
            pos[(pi + 4, pj + 1)],
            pos[(pi + 4, pj + 4)],
            pos[(pi + 1, pj + 4)],
        ]
        osm.area(ring, {"leisure": "park", "name": f"Demo Park {pi}-{pj}{_SYN}"})
        centres = []
        for ci, cj in ((pi + 1, pj + 1), (pi + 3, pj + 1), (pi + 3, pj + 3), (pi + 1, pj + 3)):
            corners = [pos[(ci + a, cj + b)] for a in (0, 1) for b in (0, 1)]
            centres.append((sum(c[0] for c in corners) / 4, sum(c[1] for c in corners) / 4))
        osm.line([*centres, centres[0]], {"highway": "path", "bicycle": "yes"})
        osm.line([pos[(pi + 1, pj + 1)], centres[0]], {"highway": "path", "bicycle": "yes"})

    # ---- corridor G999 (trunk) with its junctions
    cx = [float(x) for x in range(-10_000, 10_001, 100)]
    corridor = [(x, _corridor_y(x)) for x in cx]
    cut = [0, 30, 170, 201]  # west rural / urban fringe / east rural
    for c0, c1 in itertools.pairwise(cut):
        urban = c0 == 30
        osm.line(
            corridor[c0 : c1 + 1],
            {
                "highway": "trunk",
                "ref": "G999",
                "name": f"G999 National Road{_SYN}",
                "hgv": "yes",
                "maxspeed": "60" if urban else "80",
                "lanes": "4",
                "bicycle": "yes",
            },
        )
    # arterial columns extended south to the corridor
    for k in (1, 3, 5, 7, 9, 11, 13):
        i = _ART * k
        x = round(_LAT_X0 + _STEP * i, 2)
        y_end = _corridor_y(x)
        pts = [(x, _LAT_Y0 - 200.0 * s) for s in range(int((_LAT_Y0 - y_end) // 200) + 1)]
        pts.append((x, y_end))
        osm.line(
            pts,
            {
                "highway": "secondary",
                "name": f"Demo North Avenue {k}{_SYN}",
                "maxspeed": "60",
                "hgv": "yes",
            },
        )
    # rural roads south of the corridor to villages
    vill_nodes: set[int] = set()

    def village(xc: float, yc: float, name: str) -> int:
        n = 4
        vx = rng.uniform(-25, 25, size=(n, n))
        vy = rng.uniform(-25, 25, size=(n, n))
        vp = {
            (a, b): (xc + 120 * (a - 1.5) + vx[a, b], yc + 120 * (b - 1.5) + vy[a, b])
            for a in range(n)
            for b in range(n)
        }
        for a in range(n):
            osm.line(
                [vp[(a, b)] for b in range(n)],
                {"highway": "residential", "name": f"{name} Lane {a}{_SYN}"},
            )
            osm.line([vp[(b, a)] for b in range(n)], {"highway": "residential"})
        for p in vp.values():
            vill_nodes.add(osm.node(*p))
        ring = [
            (xc - 240, yc - 240),
            (xc + 240, yc - 240),
            (xc + 240, yc + 240),
            (xc - 240, yc + 240),
        ]
        osm.area(ring, {"landuse": "residential", "name": f"{name}{_SYN}"})
        return osm.node(*vp[(0, 0)])

    for xr in (-6000.0, 6000.0):
        y0 = _corridor_y(xr)
        ys = [y0 - 200.0 * s for s in range(int((y0 + HALF_M) // 200) + 1)]
        pts = [(xr, y) for y in ys] + [(xr, -HALF_M)]
        ids = osm.line(
            pts,
            {
                "highway": "unclassified",
                "name": f"Demo Rural Road S{int(xr)}{_SYN}",
                "maxspeed": "50",
            },
        )
        mid = ids[len(ids) // 2]
        vnode = village(osm.xs[mid - 1] + 500, osm.ys[mid - 1] - 60, f"Demo Village S{int(xr)}")
        osm.line(
            [(osm.xs[mid - 1], osm.ys[mid - 1]), (osm.xs[vnode - 1], osm.ys[vnode - 1])],
            {"highway": "unclassified", "maxspeed": "40"},
        )
    # north extensions (rural tertiary) with villages
    top = round(_LAT_Y0 + _STEP * (_NY - 1), 2)
    for k in (2, 6, 10):
        x = round(_LAT_X0 + _STEP * _ART * k, 2)
        ys = [top + 200.0 * s for s in range(int((HALF_M - top) // 200) + 1)] + [HALF_M]
        osm.line(
            [(x, y) for y in ys],
            {"highway": "tertiary", "name": f"Demo North Avenue {k}{_SYN}", "maxspeed": "60"},
        )
        vnode = village(x + 560, 8000.0 + 180, f"Demo Village N{k}")
        osm.line(
            [(x, 8000.0), (x + 250, 8090.0), (osm.xs[vnode - 1], osm.ys[vnode - 1])],
            {"highway": "unclassified", "maxspeed": "40"},
        )
    # west extension of East Avenue 4 with a village
    yw = round(_LAT_Y0 + _STEP * 24, 2)
    xs_w = [_LAT_X0 - 200.0 * s for s in range(int((HALF_M + _LAT_X0) // 200) + 1)] + [-HALF_M]
    osm.line(
        [(x, yw) for x in xs_w],
        {"highway": "tertiary", "name": f"Demo East Avenue 4{_SYN}", "maxspeed": "60"},
    )
    vnode = village(-8600.0, yw + 520, "Demo Village W")
    osm.line([(-8600.0, yw), (osm.xs[vnode - 1], osm.ys[vnode - 1])], {"highway": "unclassified"})

    # ---- expressway G9901: x = 8500, from the corridor north to the edge
    xm = 8500.0
    yc = _corridor_y(xm)
    xe_end = round(_LAT_X0 + _STEP * (_NX - 1), 2)  # 7000, east end of the lattice rows
    inter_rows = (12, 42)  # y = -2800 and y = 2200
    inter_y = [round(_LAT_Y0 + _STEP * j, 2) for j in inter_rows]
    j0 = (xm, yc + 300.0)
    osm.line(
        [(xm, yc), j0],
        {
            "highway": "trunk",
            "ref": "G9901",
            "name": f"Demo Expressway Approach{_SYN}",
            "hgv": "yes",
            "maxspeed": "60",
            "lanes": "4",
        },
    )
    j1 = (xm, 9700.0)
    osm.line(
        [j1, (xm, HALF_M)],
        {
            "highway": "primary",
            "ref": "G9901",
            "hgv": "yes",
            "maxspeed": "60",
            "name": f"Demo Expressway Approach North{_SYN}",
        },
    )
    ys_mw = sorted(
        {
            *np.arange(math.ceil((yc + 700) / 400) * 400, 9500, 400).tolist(),
            *(y - 400 for y in inter_y),
            *(y + 400 for y in inter_y),
        }
    )
    mw = {
        "highway": "motorway",
        "ref": "G9901",
        "name": f"Demo Expressway{_SYN}",
        "oneway": "yes",
        "maxspeed": "100",
        "hgv": "yes",
        "lanes": "2",
    }
    osm.line([j0] + [(xm + 15, y) for y in ys_mw] + [j1], mw)
    osm.line([j1] + [(xm - 15, y) for y in reversed(ys_mw)] + [j0], mw)
    link = {"highway": "motorway_link", "oneway": "yes", "hgv": "yes", "maxspeed": "40"}
    for j, y in zip(inter_rows, inter_y, strict=True):
        pts = [(xe_end + 500.0 * s, y) for s in range(1, 3)] + [(8400.0, y)]
        osm.line(
            [(xe_end, y), *pts],
            {
                "highway": "secondary",
                "hgv": "yes",
                "maxspeed": "60",
                "name": f"Demo East Avenue {j // _ART}{_SYN}",
            },
        )
        osm.line(
            [(8400.0, y), (8600.0, y)],
            {
                "highway": "secondary",
                "hgv": "yes",
                "bridge": "yes",
                "layer": "1",
                "maxspeed": "60",
                "name": f"Demo East Avenue {j // _ART}{_SYN}",
            },
        )
        osm.line(
            [(8600.0, y), (9000.0, y), (9500.0, y), (HALF_M, y)],
            {
                "highway": "secondary",
                "hgv": "yes",
                "maxspeed": "60",
                "name": f"Demo East Avenue {j // _ART}{_SYN}",
            },
        )
        osm.line([(xm + 15, y - 400), (8580.0, y - 200), (8600.0, y)], link)  # NB off
        osm.line([(8600.0, y), (8580.0, y + 200), (xm + 15, y + 400)], link)  # NB on
        osm.line([(xm - 15, y + 400), (8420.0, y + 200), (8400.0, y)], link)  # SB off
        osm.line([(8400.0, y), (8420.0, y - 200), (xm - 15, y - 400)], link)  # SB on
    vnode = village(9500.0, inter_y[1] + 700, "Demo Village E")
    osm.line(
        [(9500.0, inter_y[1]), (osm.xs[vnode - 1], osm.ys[vnode - 1])], {"highway": "unclassified"}
    )

    # ---- logistics park south of the corridor
    park_cols = (-3400.0, -2800.0, -2200.0, -1600.0, -1000.0)
    park_rows = (-9000.0, -8500.0, -8000.0)
    park = {"highway": "service", "hgv": "designated", "maxspeed": "30"}
    for n, x in enumerate(park_cols):
        osm.line(
            [(x, y) for y in park_rows], {**park, "name": f"Demo Logistics Park Road {n + 1}{_SYN}"}
        )
    for n, y in enumerate(park_rows):
        osm.line(
            [(x, y) for x in park_cols],
            {**park, "name": f"Demo Logistics Park Street {n + 1}{_SYN}"},
        )
    for x in (-2800.0, -1600.0):
        y_top = _corridor_y(x)
        ys = [park_rows[-1], *list(np.arange(park_rows[-1] + 200, y_top, 200).tolist()), y_top]
        osm.line(
            [(x, y) for y in ys],
            {
                "highway": "unclassified",
                "hgv": "yes",
                "maxspeed": "40",
                "name": f"Demo Logistics Park Access{_SYN}",
            },
        )
    osm.area(
        [(-3500, -9100), (-900, -9100), (-900, -7900), (-3500, -7900)],
        {"landuse": "industrial", "industrial": "logistics", "name": f"Demo Logistics Park{_SYN}"},
    )
    osm.area(
        [(-2750, -8950), (-2250, -8950), (-2250, -8550), (-2750, -8550)],
        {
            "amenity": "parking",
            "parking": "surface",
            "hgv": "designated",
            "capacity": "160",
            "name": f"Demo Logistics Park Truck Parking{_SYN}",
        },
    )
    for n, (x0, y0) in enumerate(
        (
            (-3300, -8900),
            (-3300, -8400),
            (-2100, -8400),
            (-1500, -8900),
            (-1500, -8400),
            (-2100, -8900),
        )
    ):
        osm.area(
            [(x0, y0), (x0 + 400, y0), (x0 + 400, y0 + 300), (x0, y0 + 300)],
            {"building": "warehouse", "name": f"Demo Warehouse {n + 1}{_SYN}"},
        )

    # ---- highway service area on the corridor (west of the city)
    sx0, sx1 = -8800.0, -8000.0
    sy = _corridor_y(-8400.0) + 150.0
    osm.line(
        [
            (sx0, _corridor_y(sx0)),
            (sx0 + 100, sy),
            (-8450.0, sy),
            (sx1 - 100, sy),
            (sx1, _corridor_y(sx1)),
        ],
        {
            "highway": "service",
            "hgv": "yes",
            "maxspeed": "20",
            "name": f"Demo Service Area Road{_SYN}",
        },
    )
    osm.line(
        [(-8450.0, sy), (-8450.0, sy + 150)],
        {"highway": "service", "service": "parking_aisle", "hgv": "yes", "maxspeed": "10"},
    )
    osm.area(
        [(sx0 + 50, sy - 60), (sx1 - 50, sy - 60), (sx1 - 50, sy + 260), (sx0 + 50, sy + 260)],
        {"highway": "services", "area": "yes", "name": f"Demo G999 Service Area{_SYN}"},
    )
    osm.area(
        [(-8650, sy + 20), (-8250, sy + 20), (-8250, sy + 200), (-8650, sy + 200)],
        {
            "amenity": "parking",
            "parking": "surface",
            "hgv": "designated",
            "capacity": "60",
            "name": f"Demo Service Area Truck Parking{_SYN}",
        },
    )

    zones = {
        "W": ("G999 west gate", osm.node(-HALF_M, _corridor_y(-HALF_M))),
        "E": ("G999 east gate", osm.node(HALF_M, _corridor_y(HALF_M))),
        "N": ("Expressway north gate", osm.node(xm, HALF_M)),
        "P": ("Demo Logistics Park", osm.node(-2200.0, -8500.0)),
        "C": ("City east (East Avenue 7)", osm.node(9500.0, inter_y[1])),
    }
    return _Layout(
        osm=osm,
        lattice=lattice,
        local_nodes=sorted(local_nodes),
        village_nodes=sorted(vill_nodes),
        arterial_nodes=sorted(arterial_nodes),
        signals=signals,
        zones=zones,
        park_xy=(-2200.0, -8500.0),
        services_xy=(-8400.0, sy),
    )


# --------------------------------------------------------------------------- points of interest


@dataclass
class _Places:
    clusters: list[tuple[int, int]]  # (road node id, size)
    courier_depots: list[int]  # road node ids next to office=courier nodes
    stations: list[tuple[str, str, str, str, float, float]]
    n_residential: int


def _near(
    layout: _Layout, nid: int, rng: np.random.Generator, dist: float = 18.0
) -> tuple[float, float]:
    ang = rng.uniform(0, 2 * math.pi)
    return (
        layout.osm.xs[nid - 1] + dist * math.cos(ang),
        layout.osm.ys[nid - 1] + dist * math.sin(ang),
    )


def _pick_spread(
    cands: Sequence[int], k: int, min_d: float, layout: _Layout, rng: np.random.Generator
) -> list[int]:
    order = rng.permutation(len(cands))
    out: list[int] = []
    xs, ys = layout.osm.xs, layout.osm.ys
    for o in order:
        n = cands[int(o)]
        if all(math.hypot(xs[n - 1] - xs[m - 1], ys[n - 1] - ys[m - 1]) >= min_d for m in out):
            out.append(n)
            if len(out) == k:
                return out
    msg = f"could not place {k} points {min_d} m apart"
    raise RuntimeError(msg)


def _plant_pois(layout: _Layout, rng: np.random.Generator) -> _Places:
    osm = layout.osm
    xs, ys = osm.xs, osm.ys
    core = [n for n in layout.arterial_nodes if abs(xs[n - 1]) < 5600 and -3600 < ys[n - 1] < 5200]
    core_local = [
        n for n in layout.local_nodes if abs(xs[n - 1]) < 6500 and -4500 < ys[n - 1] < 6000
    ]
    kinds = np.array(
        ["restaurant"] * PLANTED_POIS["restaurant"] + ["fast_food"] * PLANTED_POIS["fast_food"]
    )
    kinds = kinds[rng.permutation(len(kinds))]
    cuisines = ("chinese", "hunan", "noodle", "dumpling", "barbecue", "hotpot", "burger", "tea")
    centres = _pick_spread(core, len(RESTAURANT_CLUSTER_SIZES), 1500.0, layout, rng)
    k = 0
    clusters = []
    for c, (centre, size) in enumerate(zip(centres, RESTAURANT_CLUSTER_SIZES, strict=True)):
        clusters.append((centre, size))
        off = rng.normal(0, 55, size=(size, 2))
        for s in range(size):
            kind = str(kinds[k])
            k += 1
            osm.node(
                xs[centre - 1] + off[s, 0],
                ys[centre - 1] + off[s, 1],
                {
                    "amenity": kind,
                    "name": f"Demo {'Restaurant' if kind == 'restaurant' else 'Snack'} "
                    f"{c + 1:02d}-{s + 1:02d}{_SYN}",
                    "cuisine": cuisines[int(rng.integers(len(cuisines)))],
                },
            )
    scatter = _pick_spread(core_local, len(kinds) - k, 150.0, layout, rng)
    for s, n in enumerate(scatter):
        kind = str(kinds[k])
        k += 1
        osm.node(
            *_near(layout, n, rng), {"amenity": kind, "name": f"Demo Eatery {s + 1:02d}{_SYN}"}
        )

    # malls next to the six biggest clusters
    for m, (centre, _size) in enumerate(clusters[: PLANTED_POIS["mall"]]):
        x0, y0 = xs[centre - 1] + 40, ys[centre - 1] + 40
        osm.area(
            [(x0, y0), (x0 + 140, y0), (x0 + 140, y0 + 90), (x0, y0 + 90)],
            {"building": "retail", "shop": "mall", "name": f"Demo Mall {m + 1}{_SYN}"},
        )

    # express-delivery depots: parcel depots in the logistics park, courier offices in town
    operators = ("Demo Express A", "Demo Express B", "Demo Express C")
    for d, (x, y) in enumerate(
        ((-3100.0, -8700.0), (-1850.0, -8700.0), (-3100.0, -8200.0), (-1300.0, -8200.0))
    ):
        osm.node(
            x,
            y,
            {
                "amenity": "post_depot",
                "operator": operators[d % 3],
                "name": f"Demo Parcel Depot {d + 1}{_SYN}",
            },
        )
    n_off = PLANTED_POIS["express_depot"] - 4
    depots = _pick_spread(core, n_off, 1200.0, layout, rng)
    for d, n in enumerate(depots):
        osm.node(
            *_near(layout, n, rng, 25.0),
            {
                "office": "courier",
                "operator": operators[d % 3],
                "name": f"Demo Courier Office {d + 1:02d}{_SYN}",
            },
        )

    # residential areas: 60 one-kilometre blocks plus the villages
    blocks = sorted(
        {
            (i - i % _ART, j - j % _ART)
            for (i, j) in layout.lattice
            if i + _ART < _NX and j + _ART < _NY
        }
    )
    blocks = [
        b
        for b in blocks
        if all((b[0] + a, b[1] + c) in layout.lattice for a in (1, _ART - 1) for c in (1, _ART - 1))
    ]
    chosen = sorted(int(i) for i in rng.choice(len(blocks), size=60, replace=False))
    for r, bi in enumerate(chosen):
        i, j = blocks[bi]
        x0 = _LAT_X0 + _STEP * i + 40
        y0 = _LAT_Y0 + _STEP * j + 40
        w = _STEP * _ART - 80
        osm.area(
            [(x0, y0), (x0 + w, y0), (x0 + w, y0 + w), (x0, y0 + w)],
            {"landuse": "residential", "name": f"Demo Residential Block {r + 1:02d}{_SYN}"},
        )
    n_res = sum(1 for _ids, t in osm.ways if t.get("landuse") == "residential")

    for n_c, n in enumerate(
        _pick_spread(core_local, PLANTED_POIS["community_centre"], 900.0, layout, rng)
    ):
        osm.node(
            *_near(layout, n, rng),
            {"amenity": "community_centre", "name": f"Demo Community Centre {n_c + 1:02d}{_SYN}"},
        )
    sx, sy = layout.services_xy
    osm.node(sx - 150, sy + 230, {"amenity": "toilets", "access": "yes"})
    osm.node(sx + 150, sy + 230, {"amenity": "toilets", "access": "yes"})
    osm.node(-2300, -8300, {"amenity": "toilets"})
    osm.node(-1300, -8950, {"amenity": "toilets"})
    for n in _pick_spread(core, PLANTED_POIS["toilets"] - 4, 500.0, layout, rng):
        osm.node(*_near(layout, n, rng), {"amenity": "toilets", "fee": "no"})

    # fuel: five for trucks on the corridor / park / service area / expressway approach
    hgv_fuel = [
        (-4500.0, _corridor_y(-4500.0) + 40),
        (2500.0, _corridor_y(2500.0) - 40),
        (sx + 250, sy + 120),
        (-1000.0, -7950.0),
        (8560.0, 9800.0),
    ]
    for f, (x, y) in enumerate(hgv_fuel):
        osm.node(
            x,
            y,
            {
                "amenity": "fuel",
                "hgv": "yes",
                "fuel:diesel": "yes",
                "name": f"Demo Truck Fuel {f + 1}{_SYN}",
            },
        )
    for f, n in enumerate(
        _pick_spread(core, PLANTED_POIS["fuel"] - len(hgv_fuel), 1500.0, layout, rng)
    ):
        osm.node(
            *_near(layout, n, rng, 30.0), {"amenity": "fuel", "name": f"Demo Fuel {f + 1}{_SYN}"}
        )

    # parking: two truck parkings are areas (park, service area); four truck lots on G999
    for p, x in enumerate((-5500.0, 1500.0, 5500.0, 9300.0)):
        osm.node(
            x,
            _corridor_y(x) - 60,
            {
                "amenity": "parking",
                "hgv": "designated",
                "parking": "surface",
                "name": f"Demo G999 Truck Lot {p + 1}{_SYN}",
            },
        )
    n_car = PLANTED_POIS["parking"] - PLANTED_TRUCK_PARKING
    for p, n in enumerate(_pick_spread(core, n_car, 700.0, layout, rng)):
        osm.node(
            *_near(layout, n, rng, 30.0),
            {
                "amenity": "parking",
                "parking": "underground" if p % 3 == 0 else "surface",
                "name": f"Demo Parking {p + 1:02d}{_SYN}",
            },
        )

    # existing stations: 12 worker stations (west and centre only) and 2 driver homes
    west = [n for n in core if xs[n - 1] < 2500]
    st_nodes = _pick_spread(west, STATIONS["worker_station"], 1400.0, layout, rng)
    hours_day = ("08:00-20:00", "07:00-22:00", "09:00-21:00")
    stations: list[tuple[str, str, str, str, float, float]] = []
    for s, n in enumerate(st_nodes):
        x, y = _near(layout, n, rng, 15.0)
        hours = "24/7" if s % 3 == 1 else hours_day[s % 3]
        label = "unattended 24-hour" if hours == "24/7" else "staffed"
        stations.append(
            (
                f"W{s + 1:02d}",
                f"Demo Worker Station W{s + 1:02d} ({label}){_SYN}",
                "worker_station",
                hours,
                x,
                y,
            )
        )
    stations.append(
        (
            "D01",
            f"Demo Driver Home D01 (logistics park){_SYN}",
            "driver_home",
            "24/7",
            -2215.0,
            -8485.0,
        )
    )
    stations.append(
        (
            "D02",
            f"Demo Driver Home D02 (G999 service area){_SYN}",
            "driver_home",
            "06:00-23:00",
            -8440.0,
            sy + 20,
        )
    )
    return _Places(clusters=clusters, courier_depots=depots, stations=stations, n_residential=n_res)


# --------------------------------------------------------------------------- routing

_EBIKE_FACTOR = {
    "footway": 0.55,
    "path": 0.55,
    "pedestrian": 0.5,
    "living_street": 0.7,
    "service": 0.8,
    "residential": 0.9,
}
_CAR_DEFAULT = {
    "residential": 30.0,
    "service": 20.0,
    "living_street": 15.0,
    "unclassified": 40.0,
    "tertiary": 40.0,
    "secondary": 50.0,
    "primary": 60.0,
    "trunk": 80.0,
    "motorway": 100.0,
    "motorway_link": 40.0,
}
_NO_CAR = {"footway", "path", "steps", "pedestrian", "cycleway"}


def _road_ways(osm: _Osm) -> list[tuple[list[int], dict[str, str]]]:
    return [
        (ids, t)
        for ids, t in osm.ways
        if "highway" in t and t["highway"] != "services" and t.get("area") != "yes"
    ]


@dataclass
class _Router:
    """Shortest paths over the generated roads for one mode (times in seconds)."""

    graph: csr_array
    rgraph: csr_array
    weight: dict[tuple[int, int], float]
    nodes: np.ndarray  # usable node ids - 1

    @classmethod
    def build(cls, osm: _Osm, mode: str) -> _Router:
        xs, ys = np.array(osm.xs), np.array(osm.ys)
        best: dict[tuple[int, int], float] = {}
        for ids, t in _road_ways(osm):
            hw = t["highway"]
            if mode == "ebike":
                if hw in {"motorway", "motorway_link", "steps"} or t.get("bicycle") == "no":
                    continue
                v = 5.0 * _EBIKE_FACTOR.get(hw, 1.0)
            elif mode == "car":
                if hw in _NO_CAR:
                    continue
                v = min(
                    float(t.get("maxspeed", _CAR_DEFAULT.get(hw, 30.0))), _CAR_DEFAULT.get(hw, 30.0)
                )
                v = (
                    v * 0.6 / 3.6
                    if hw not in {"motorway", "trunk", "motorway_link"}
                    else v * 0.8 / 3.6
                )
            else:  # truck
                ok = t.get("hgv") in {"yes", "designated"} or hw.startswith(("motorway", "trunk"))
                if not ok or t.get("hgv") == "no":
                    continue
                v = min(float(t.get("maxspeed", 40.0)), 80.0) * 0.85 / 3.6
            oneway = t.get("oneway") == "yes"
            for a, b in itertools.pairwise(ids):
                u, w = a - 1, b - 1
                secs = math.hypot(xs[w] - xs[u], ys[w] - ys[u]) / v
                pairs = [(u, w)] if oneway else [(u, w), (w, u)]
                for pr in pairs:
                    if secs < best.get(pr, math.inf):
                        best[pr] = secs
        keys = sorted(best)
        n = len(xs)
        rows = np.array([k[0] for k in keys])
        cols = np.array([k[1] for k in keys])
        vals = np.array([best[k] for k in keys])
        graph = csr_array((vals, (rows, cols)), shape=(n, n))
        rgraph = csr_array((vals, (cols, rows)), shape=(n, n))
        return cls(graph=graph, rgraph=rgraph, weight=best, nodes=np.unique(rows))

    def tree(
        self, src: int, *, reverse: bool = False, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        d, p = dijkstra(
            self.rgraph if reverse else self.graph,
            directed=True,
            indices=src,
            return_predecessors=True,
            limit=limit,
        )
        return d, p

    @staticmethod
    def path(pred: np.ndarray, src: int, dst: int, *, reverse: bool = False) -> list[int]:
        """Path src -> dst from a forward tree rooted at src, or a reverse tree rooted at dst."""
        out = [dst] if not reverse else [src]
        cur = out[0]
        end = src if not reverse else dst
        while cur != end:
            cur = int(pred[cur])
            if cur < 0:
                msg = "no path"
                raise RuntimeError(msg)
            out.append(cur)
        return out[::-1] if not reverse else out


@dataclass
class _Track:
    """Piecewise-linear movement of one agent (local metres, seconds since midnight UTC)."""

    t: list[float]
    x: list[float]
    y: list[float]
    node: int

    @classmethod
    def at(cls, t: float, node: int, xs: np.ndarray, ys: np.ndarray) -> _Track:
        return cls([t], [float(xs[node])], [float(ys[node])], node)

    @property
    def now(self) -> float:
        return self.t[-1]

    def stay(self, secs: float) -> tuple[float, float]:
        start = self.t[-1]
        self.t.append(start + secs)
        self.x.append(self.x[-1])
        self.y.append(self.y[-1])
        return start, self.t[-1]

    def go(
        self,
        path: list[int],
        router: _Router,
        scale: float,
        xs: np.ndarray,
        ys: np.ndarray,
        signals: set[int],
        rng: np.random.Generator,
    ) -> None:
        waits = rng.uniform(size=len(path))
        wait_s = rng.uniform(15, 60, size=len(path))
        for k, (u, w) in enumerate(itertools.pairwise(path)):
            self.t.append(self.t[-1] + router.weight[(u, w)] * scale)
            self.x.append(float(xs[w]))
            self.y.append(float(ys[w]))
            if (w + 1) in signals and waits[k] < 0.35 and k < len(path) - 2:
                self.stay(float(wait_s[k]))
        self.node = path[-1]


Stop = tuple[str, str, str, float, float, float, float]  # id, group, kind, start, end, x, y


# --------------------------------------------------------------------------- agents


@dataclass
class _World:
    osm: _Osm
    layout: _Layout
    places: _Places
    xs: np.ndarray
    ys: np.ndarray
    ebike: _Router
    car: _Router
    truck: _Router
    signals: set[int]  # osm ids
    drop_nodes: np.ndarray  # graph indices of residential drop-off nodes
    fwd: dict[int, tuple[np.ndarray, np.ndarray]]
    bwd: dict[int, tuple[np.ndarray, np.ndarray]]


def _leg(world: _World, router: _Router, src: int, dst: int, limit: float = np.inf) -> list[int]:
    _d, p = router.tree(src, limit=limit)
    if p[dst] < 0 and src != dst:
        _d, p = router.tree(src)
    return _Router.path(p, src, dst)


def _sim_rider(
    aid: str, world: _World, rng: np.random.Generator, stops: list[Stop]
) -> tuple[_Track, list[tuple[float, float]]]:
    w = world
    clusters = [c - 1 for c, _ in w.places.clusters]
    sizes = np.array([s for _, s in w.places.clusters], dtype=float)
    home = int(w.drop_nodes[rng.integers(len(w.drop_nodes))])
    scale = 5.0 / rng.uniform(4.0, 5.6)  # 14.4-20 km/h on arterials
    r = rng.uniform()
    shifts = []
    if r < 0.85:
        shifts.append((9000 + rng.uniform(-1200, 1200), 19800 + rng.uniform(0, 3600)))
    if r > 0.15:
        shifts.append((31500 + rng.uniform(0, 2700), 45000 + rng.uniform(0, 3600)))
    track = _Track.at(shifts[0][0], home, w.xs, w.ys)
    windows = []
    for s0, s1 in shifts:
        if track.now < s0:
            track.stay(s0 - track.now)
        took_break = False
        while track.now < s1 - 600:
            u = track.node
            d_to = np.array([w.bwd[c][0][u] for c in clusters])
            ok = d_to <= 1200
            if ok.any():
                wts = np.where(ok, sizes, 0.0)
                ci = int(rng.choice(len(clusters), p=wts / wts.sum()))
            else:
                ci = int(np.argmin(d_to))
            c = clusters[ci]
            if u != c:
                track.go(
                    _Router.path(w.bwd[c][1], u, c, reverse=True),
                    w.ebike,
                    scale,
                    w.xs,
                    w.ys,
                    w.signals,
                    rng,
                )
            t0, t1 = track.stay(rng.uniform(180, 900))
            stops.append((aid, "rider", "pickup", t0, t1, track.x[-1], track.y[-1]))
            dist = w.fwd[c][0][w.drop_nodes]
            cand = w.drop_nodes[(dist >= 150) & (dist <= 900)]
            d1 = int(cand[rng.integers(len(cand))])
            track.go(_Router.path(w.fwd[c][1], c, d1), w.ebike, scale, w.xs, w.ys, w.signals, rng)
            t0, t1 = track.stay(rng.uniform(60, 300))
            stops.append((aid, "rider", "dropoff", t0, t1, track.x[-1], track.y[-1]))
            if rng.uniform() < 0.3:
                dd, pp = w.ebike.tree(d1, limit=600)
                dn = dd[w.drop_nodes]
                cand = w.drop_nodes[(dn >= 60) & (dn <= 500)]
                if len(cand):
                    d2 = int(cand[rng.integers(len(cand))])
                    track.go(_Router.path(pp, d1, d2), w.ebike, scale, w.xs, w.ys, w.signals, rng)
                    t0, t1 = track.stay(rng.uniform(60, 300))
                    stops.append((aid, "rider", "dropoff", t0, t1, track.x[-1], track.y[-1]))
            if not took_break and track.now > (s0 + s1) / 2 and rng.uniform() < 0.6:
                took_break = True
                t0, t1 = track.stay(rng.uniform(900, 2400))
                stops.append((aid, "rider", "break", t0, t1, track.x[-1], track.y[-1]))
        windows.append((s0, track.now))
    return track, windows


def _sim_courier(
    aid: str, depot: int, world: _World, rng: np.random.Generator, stops: list[Stop]
) -> tuple[_Track, list[tuple[float, float]]]:
    w = world
    scale = 5.0 / rng.uniform(3.3, 4.4)  # 12-16 km/h
    start = 1800 + rng.uniform(0, 1800)
    track = _Track.at(start, depot, w.xs, w.ys)
    near = w.drop_nodes[
        np.hypot(w.xs[w.drop_nodes] - w.xs[depot], w.ys[w.drop_nodes] - w.ys[depot]) < 1200
    ]
    for rnd in range(3):
        t0, t1 = track.stay(rng.uniform(900, 1800))
        stops.append((aid, "courier", "depot", t0, t1, track.x[-1], track.y[-1]))
        k = int(rng.integers(8, 15))
        todo = [int(n) for n in rng.choice(near, size=min(k, len(near)), replace=False)]
        while todo:
            cur = track.node
            nxt = min(todo, key=lambda n: (math.hypot(w.xs[n] - w.xs[cur], w.ys[n] - w.ys[cur]), n))
            todo.remove(nxt)
            track.go(_leg(w, w.ebike, cur, nxt, 1500), w.ebike, scale, w.xs, w.ys, w.signals, rng)
            t0, t1 = track.stay(rng.uniform(60, 300))
            stops.append((aid, "courier", "dropoff", t0, t1, track.x[-1], track.y[-1]))
        track.go(
            _leg(w, w.ebike, track.node, depot, 2400), w.ebike, scale, w.xs, w.ys, w.signals, rng
        )
        if rnd == 0:
            t0, t1 = track.stay(rng.uniform(2400, 3600))
            stops.append((aid, "courier", "break", t0, t1, track.x[-1], track.y[-1]))
    return track, [(start, track.now)]


def _sim_ride_hailing(
    aid: str, world: _World, rng: np.random.Generator, city: np.ndarray, stops: list[Stop]
) -> tuple[_Track, list[tuple[float, float]]]:
    w = world
    scale = 1.0 / rng.uniform(0.9, 1.1)
    start = rng.uniform(0, 7200)
    end = start + rng.uniform(8, 10) * 3600
    track = _Track.at(start, int(city[rng.integers(len(city))]), w.xs, w.ys)
    took_break = False
    while track.now < end:
        cur = track.node
        dist = np.hypot(w.xs[city] - w.xs[cur], w.ys[city] - w.ys[cur])
        pick = city[(dist > 300) & (dist < 2000)]
        pu = int(pick[rng.integers(len(pick))])
        _d, p = w.car.tree(cur)
        track.go(_Router.path(p, cur, pu), w.car, scale, w.xs, w.ys, w.signals, rng)
        t0, t1 = track.stay(rng.uniform(60, 180))
        stops.append((aid, "ride-hailing", "pickup", t0, t1, track.x[-1], track.y[-1]))
        dist = np.hypot(w.xs[city] - w.xs[pu], w.ys[city] - w.ys[pu])
        dests = city[(dist > 2000) & (dist < 8000)]
        do = int(dests[rng.integers(len(dests))])
        _d, p = w.car.tree(pu)
        track.go(_Router.path(p, pu, do), w.car, scale, w.xs, w.ys, w.signals, rng)
        t0, t1 = track.stay(rng.uniform(30, 90))
        stops.append((aid, "ride-hailing", "dropoff", t0, t1, track.x[-1], track.y[-1]))
        if not took_break and track.now > (start + end) / 2:
            took_break = True
            t0, t1 = track.stay(rng.uniform(1800, 3600))
            stops.append((aid, "ride-hailing", "break", t0, t1, track.x[-1], track.y[-1]))
        elif rng.uniform() < 0.5:
            t0, t1 = track.stay(rng.uniform(180, 1200))
            stops.append((aid, "ride-hailing", "wait", t0, t1, track.x[-1], track.y[-1]))
    return track, [(start, track.now)]


def _truck_od(world: _World, rng: np.random.Generator) -> list[tuple[str, str, int]]:
    base = {
        ("P", "W"): 120,
        ("P", "E"): 90,
        ("P", "N"): 80,
        ("P", "C"): 60,
        ("W", "E"): 150,
        ("W", "N"): 40,
        ("E", "N"): 30,
        ("W", "C"): 25,
        ("E", "C"): 20,
        ("N", "C"): 15,
    }
    rows = []
    for (a, b), v in sorted(base.items()):
        for o, d in ((a, b), (b, a)):
            rows.append((o, d, round(v * float(rng.uniform(0.85, 1.15)))))
    return sorted(rows)


_GATES = frozenset({"W", "E", "N"})  # truck zones at the edge of the region


def _sim_truck(
    aid: str,
    world: _World,
    rng: np.random.Generator,
    od: list[tuple[str, str, int]],
    services: int,
    stops: list[Stop],
) -> tuple[_Track, list[tuple[float, float]]]:
    w = world
    zones = {z: n - 1 for z, (_name, n) in w.layout.zones.items()}
    weights = np.array([r[2] for r in od], dtype=float)
    first = od[int(rng.choice(len(od), p=weights / weights.sum()))]
    start = rng.uniform(3600, 14 * 3600)
    track = _Track.at(start, zones[first[0]], w.xs, w.ys)
    scale = 1.0 / rng.uniform(0.9, 1.05)
    o, d = first[0], first[1]
    windows: list[tuple[float, float]] = []
    window_start = start
    for _trip in range(int(rng.integers(1, 4))):
        legs = [zones[d]]
        if "W" in (o, d) and rng.uniform() < 0.5:
            legs = [services - 1, zones[d]]
        for n, target in enumerate(legs):
            track.go(_leg(w, w.truck, track.node, target), w.truck, scale, w.xs, w.ys, set(), rng)
            if n < len(legs) - 1:
                t0, t1 = track.stay(rng.uniform(1800, 2700))
                stops.append((aid, "truck", "rest", t0, t1, track.x[-1], track.y[-1]))
        if d in _GATES:
            # the truck leaves the region: no fixes until it comes back in
            windows.append((window_start, track.now))
            track.stay(rng.uniform(3600, 3 * 3600))
            window_start = track.now
        else:
            t0, t1 = track.stay(rng.uniform(1800, 5400) if d == "P" else rng.uniform(600, 1800))
            stops.append((aid, "truck", "unload", t0, t1, track.x[-1], track.y[-1]))
        nxt = [r for r in od if r[0] == d]
        wts = np.array([r[2] for r in nxt], dtype=float)
        o, d = d, nxt[int(rng.choice(len(nxt), p=wts / wts.sum()))][1]
    if track.now > window_start:
        windows.append((window_start, track.now))
    return track, windows


def _fixes(
    track: _Track, windows: list[tuple[float, float]], interval: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times = []
    for t0, t1 in windows:
        n = int((t1 - t0) / interval) + 2
        steps = interval + rng.integers(-2, 3, size=n)
        ts = math.ceil(t0) + np.concatenate([[0], np.cumsum(steps)])
        times.append(ts[ts <= t1])
    t = np.concatenate(times).astype(np.int64)
    keep = rng.uniform(size=len(t)) >= 0.015
    t = t[keep]
    kt = np.array(track.t)
    x = np.interp(t, kt, np.array(track.x)) + rng.normal(0, 6.0, size=len(t))
    y = np.interp(t, kt, np.array(track.y)) + rng.normal(0, 6.0, size=len(t))
    # a fix at a gate on the edge stays inside the region (the noise could push it out)
    lim = HALF_M - 1.0
    return t, np.clip(x, -lim, lim), np.clip(y, -lim, lim)


def _iso(secs: float) -> str:
    s = round(secs)
    day, s = divmod(s, 86400)
    if day:
        msg = "demo times must stay within the demo day"
        raise ValueError(msg)
    return f"{DEMO_DATE}T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}Z"


# --------------------------------------------------------------------------- files


def _lonlat_str(x: float, y: float, digits: int = 6) -> tuple[str, str]:
    lon, lat = xy_to_lonlat(x, y)
    return f"{float(lon):.{digits}f}", f"{float(lat):.{digits}f}"


def _csv(header: str, rows: Iterable[str]) -> bytes:
    return (header + "\n" + "".join(r + "\n" for r in rows)).encode("utf-8")


def _build(seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    layout = _build_roads(rng)
    places = _plant_pois(layout, rng)
    osm = layout.osm
    xs, ys = np.array(osm.xs), np.array(osm.ys)
    ebike = _Router.build(osm, "ebike")
    car = _Router.build(osm, "car")
    truck = _Router.build(osm, "truck")
    drop = np.array(
        sorted(n - 1 for n in layout.local_nodes if abs(xs[n - 1]) < 7000 and ys[n - 1] > -5000),
        dtype=np.int64,
    )
    drop = drop[np.isin(drop, ebike.nodes)]
    clusters = sorted(c - 1 for c, _ in places.clusters)
    world = _World(
        osm=osm,
        layout=layout,
        places=places,
        xs=xs,
        ys=ys,
        ebike=ebike,
        car=car,
        truck=truck,
        signals=layout.signals,
        drop_nodes=drop,
        fwd={c: ebike.tree(c) for c in clusters},
        bwd={c: ebike.tree(c, reverse=True) for c in clusters},
    )
    stops: list[Stop] = []
    lines: list[str] = []
    city = np.array(
        sorted(
            n - 1
            for n in (*layout.local_nodes, *layout.arterial_nodes)
            if abs(xs[n - 1]) < 6800 and -4600 < ys[n - 1] < 6000
        ),
        dtype=np.int64,
    )
    city = city[np.isin(city, car.nodes)]
    od = _truck_od(world, rng)
    services = osm.index[(round(-8800.0 + 100, 2), round(layout.services_xy[1], 2))]
    depots = [n - 1 for n in places.courier_depots]

    def emit(aid: str, group: str, track: _Track, windows: list[tuple[float, float]]) -> None:
        t, x, y = _fixes(track, windows, FIX_INTERVAL_S[group], rng)
        lon, lat = xy_to_lonlat(x, y)
        lines.extend(
            f"{aid},{group},{_iso(float(ti))},{lo:.6f},{la:.6f}"
            for ti, lo, la in zip(t.tolist(), lon.tolist(), lat.tolist(), strict=True)
        )

    for a in range(AGENTS["rider"]):
        aid = f"R{a + 1:03d}"
        emit(aid, "rider", *_sim_rider(aid, world, rng, stops))
    for a in range(AGENTS["courier"]):
        aid = f"C{a + 1:03d}"
        emit(aid, "courier", *_sim_courier(aid, depots[a % len(depots)], world, rng, stops))
    for a in range(AGENTS["ride-hailing"]):
        aid = f"H{a + 1:03d}"
        emit(aid, "ride-hailing", *_sim_ride_hailing(aid, world, rng, city, stops))
    for a in range(AGENTS["truck"]):
        aid = f"T{a + 1:03d}"
        emit(aid, "truck", *_sim_truck(aid, world, rng, od, services, stops))

    stop_rows = []
    for aid, group, kind, t0, t1, x, y in stops:
        lo, la = _lonlat_str(x, y)
        stop_rows.append(f"{aid},{group},{kind},{_iso(t0)},{_iso(t1)},{lo},{la}")
    st_rows = []
    for sid, name, kind, hours, x, y in places.stations:
        lo, la = _lonlat_str(x, y)
        st_rows.append(f"{sid},{name},{kind},{hours},{lo},{la}")
    od_rows = []
    for o, d, n in od:
        on, onode = layout.zones[o]
        dn, dnode = layout.zones[d]
        olo, ola = _lonlat_str(xs[onode - 1], ys[onode - 1])
        dlo, dla = _lonlat_str(xs[dnode - 1], ys[dnode - 1])
        od_rows.append(f"{o},{on},{olo},{ola},{d},{dn},{dlo},{dla},{n}")
    counts = {k: sum(1 for s in stops if s[2] == k) for k in sorted({s[2] for s in stops})}
    return {
        OSM_FILE: bz2.compress(osm.xml(), _BZ2_LEVEL),
        STATIONS_FILE: _csv("station_id,name,kind,hours,lon,lat", st_rows),
        TRACES_FILE: bz2.compress(_csv("driver_id,group,time,lon,lat", lines), _BZ2_LEVEL),
        STOPS_FILE: bz2.compress(
            _csv("driver_id,group,kind,start,end,lon,lat", stop_rows), _BZ2_LEVEL
        ),
        TRUCK_OD_FILE: _csv(
            "origin,origin_name,origin_lon,origin_lat,destination,destination_name,"
            "destination_lon,destination_lat,trucks_per_day",
            od_rows,
        ),
        README_FILE: _readme(seed, n_fixes=len(lines), stop_counts=counts).encode("utf-8"),
    }


def generate(out_dir: str | Path, *, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the synthetic demo region files into ``out_dir``; return their paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = _build(seed)
    paths = {}
    for name in FILES:
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(data[name])
        tmp.replace(out / name)
        paths[name] = out / name
    return paths


def _readme(seed: int, *, n_fixes: int, stop_counts: dict[str, int]) -> str:
    b = region_bounds()
    pois = "\n".join(f"| {k} | {v} |" for k, v in PLANTED_POIS.items())
    agents = "\n".join(f"| {k} | {v} | {FIX_INTERVAL_S[k]} s |" for k, v in AGENTS.items())
    stops = ", ".join(f"{k} {v}" for k, v in stop_counts.items())
    return f"""# Synthetic demo region (not a real place)

**Everything in this folder is synthetic.** The {DEMO_LABEL} is a made-up city of
about 20 km x 20 km placed at a plausible but fictional location in China (centre
{LON0} E, {LAT0} N; bounds lon {b[0]}..{b[2]}, lat {b[1]}..{b[3]}, WGS84). Roads, names,
shops, stations and GPS traces are invented by `planner._demo_gen` from a seeded random
number generator; no third-party map data is used or shipped. Every name ends in
"(synthetic)".

Generated by generator version {GENERATOR_VERSION} with seed {seed}:

```python
from planner.datasets import generate_demo_region
generate_demo_region("data/demo", seed={seed})
```

The output is deterministic: the same seed and generator version give byte-identical
files (fixed timestamps and ids, fixed number formats, bzip2). `tests/test_datasets.py`
regenerates the region and compares it with these files. Do not edit them by hand.

## Files

* `{OSM_FILE}`: OSM XML 0.6 (bzip2) with roads as `highway=*` ways and points of
  interest as tagged nodes and closed ways, like an OSM extract. Load it with
  `planner.network.network_from_osm` (or `osmnx.graph_from_xml` on its highway ways).
* `{STATIONS_FILE}`: existing stations: `station_id`, `name`, `kind` (`worker_station`
  or `driver_home`), `hours` (`HH:MM-HH:MM` or `24/7`), `lon`, `lat` (WGS84).
* `{TRACES_FILE}`: one day ({DEMO_DATE}) of GPS fixes: `driver_id`, `group` (`rider`,
  `courier`, `ride-hailing`, `truck`), `time` (ISO 8601, UTC; local time is UTC+8),
  `lon`, `lat` (WGS84, with about 6 m of noise); {n_fixes} fixes.
* `{STOPS_FILE}`: the stops planted in the traces (ground truth for stay-point
  detection): `driver_id`, `group`, `kind`, `start`, `end` (UTC), `lon`, `lat` (true
  position, no noise); {stops}.
* `{TRUCK_OD_FILE}`: truck origin-destination table between five zones at the ends of
  the freight network: `origin`, `origin_name`, `origin_lon`, `origin_lat`,
  `destination`, `destination_name`, `destination_lon`, `destination_lat`,
  `trucks_per_day`.

## The road network

* City: a 14 km x 11 km lattice of arterials every kilometre ("Demo North/East Avenue k":
  primary with `hgv=no`, secondary, tertiary; one one-way pair each way downtown at x = 0 and
  y = 200 m) filled with irregular local streets (residential, service, living_street,
  unclassified; some dead ends and bends), footways and steps across blocks, a pedestrian
  street and two parks with paths, so walking differs from riding and driving.
* Freight corridor `ref=G999` (`highway=trunk`, `hgv=yes`, 80 km/h, 60 km/h near the city)
  crossing the region south of the city from west to east, with a highway service area
  (`highway=services`, truck parking, fuel, toilets) west of the city.
* Expressway `ref=G9901` (`highway=motorway`, dual carriageway, `oneway=yes`) from G999
  north to the edge east of the city, with two diamond interchanges (`motorway_link`).
* Logistics park south of G999 (`landuse=industrial`, service roads with `hgv=designated`,
  warehouses, a 160-truck parking, parcel depots).
* Seven villages linked by rural roads.

## Points of interest planted in the OSM file

| category (`planner.datasets.demo_pois`) | count |
|---|---|
{pois}

Of these, {PLANTED_HGV_FUEL} fuel stations have `hgv=yes` and {PLANTED_TRUCK_PARKING} parkings
have `hgv=designated`. Restaurants and fast food stand in {len(RESTAURANT_CLUSTER_SIZES)} clusters
(sizes {", ".join(map(str, RESTAURANT_CLUSTER_SIZES))}) plus scattered ones. Tags: restaurants
`amenity=restaurant` / `amenity=fast_food`; malls `shop=mall` (closed ways); express-delivery
depots `amenity=post_depot` (logistics park) and `office=courier` (town); residential areas
`landuse=residential` (closed ways); `amenity=community_centre`, `amenity=toilets`,
`amenity=fuel`, `amenity=parking`.

## Stations

{STATIONS["worker_station"]} worker stations (all in the west and centre of the city, leaving the
east under-served) and {STATIONS["driver_home"]} driver homes (logistics park, service area);
{STATIONS_24H} of them are open 24/7 (unattended).

## Agents

| group | agents | fix interval |
|---|---|---|
{agents}

Riders work a lunch and/or a dinner shift (e-bike, 14-20 km/h): they ride to a restaurant
cluster, wait 3-15 min, ride to one or two residential drop-offs (1-5 min each) and take a
15-40 min break in about half of their shifts. Couriers (12-16 km/h) do three rounds of 8-14
drop-offs from a courier office with loading stops there. Ride-hailing drivers drive by car
between pick-ups and drop-offs. Trucks drive between the zones of the OD table over roads
open to trucks, resting at the service area on some trips. Traces miss about 1.5 % of fixes.
"""
