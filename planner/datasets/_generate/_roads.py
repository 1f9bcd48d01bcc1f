"""The road layout of the synthetic demo region, built step by step into an `OsmData`.

The steps run in a fixed order: each draws from the one random number generator,
so their order is part of the output (reordering them changes every file).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.datasets._generate._osmxml import OsmData
from planner.datasets._generate._region import HALF_M, SYN

LAT_X0, LAT_Y0, STEP = -7000.0, -4800.0, 1000.0 / 6.0
NX, NY = 85, 67
ART = 6  # an arterial every 6th lattice line (1 km)
_COL_ART = [i % ART == 0 for i in range(NX)]
_ROW_ART = [j % ART == 0 for j in range(NY)]
_COUPLET_COLS = (42, 43)  # x = 0 northbound, x = 167 southbound
_COUPLET_ROWS = (30, 31)  # y = 200 eastbound, y = 367 westbound
_EXPRESSWAY_X = 8500.0
_ART_CLASSES = ("primary", "secondary", "tertiary")
_ART_SPEED = {"primary": "60", "secondary": "50", "tertiary": "40"}

Key = tuple[int, int]  # (column, row) of a lattice node
Edge = tuple[Key, Key, bool]  # two lattice nodes; True: on an arterial or a one-way pair


def corridor_y(x: float) -> float:
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
    anchors = [n for n, (i, j) in enumerate(best) if i % ART == 0 or j % ART == 0]
    return set(best[anchors[0] : anchors[-1] + 1])


@dataclass
class Layout:
    osm: OsmData
    lattice: dict[tuple[int, int], int]
    local_nodes: list[int]  # nodes on urban local streets (drop-off candidates)
    village_nodes: list[int]
    arterial_nodes: list[int]
    signals: set[int]
    zones: dict[str, tuple[str, int]]  # zone id -> (name, node id)
    park_xy: tuple[float, float]
    services_xy: tuple[float, float]


def build_roads(rng: np.random.Generator) -> Layout:
    """Lay out every road and area of the region into a new `OsmData`.

    The steps below run in the order of the output's node and way ids and of the
    random draws; changing their order changes every file.
    """
    osm = OsmData()
    pos = _lattice_positions(rng)
    lattice: dict[Key, int] = {}
    for key in sorted(pos):
        lattice[key] = osm.node(*pos[key])

    # the second halves of the one-way pairs: their longest unbroken runs
    col_run = _longest_run([(_COUPLET_COLS[1], j) for j in range(NY)], lattice)
    row_run = _longest_run([(i, _COUPLET_ROWS[1]) for i in range(NX)], lattice)
    edges = _lattice_edges(lattice, col_run, row_run)
    _arterials(osm, lattice, col_run, row_run)
    arterial_nodes = {lattice[k] for k in lattice if _COL_ART[k[0]] or _ROW_ART[k[1]]}
    signals = {lattice[k] for k in lattice if _COL_ART[k[0]] and _ROW_ART[k[1]]}
    local_nodes = _local_streets(osm, lattice, pos, edges, arterial_nodes, rng)
    _footways_and_dead_ends(osm, lattice, pos, local_nodes, rng)
    _parks(osm, pos)
    _corridor(osm)
    vill_nodes: set[int] = set()
    _rural_roads(osm, vill_nodes, rng)
    inter_y = _expressway(osm, vill_nodes, rng)
    _logistics_park(osm)
    sy = _service_area(osm)
    zones = {
        "W": ("G999 west gate", osm.node(-HALF_M, corridor_y(-HALF_M))),
        "E": ("G999 east gate", osm.node(HALF_M, corridor_y(HALF_M))),
        "N": ("Expressway north gate", osm.node(_EXPRESSWAY_X, HALF_M)),
        "P": ("Demo Logistics Park", osm.node(-2200.0, -8500.0)),
        "C": ("City east (East Avenue 7)", osm.node(9500.0, inter_y[1])),
    }
    return Layout(
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


def _lattice_positions(rng: np.random.Generator) -> dict[Key, tuple[float, float]]:
    """Place the urban lattice nodes: jittered off the straight lines, ragged at the edge.

    Returns the position of each kept node, all in one connected piece.
    """
    straight_cols = [a or i in _COUPLET_COLS for i, a in enumerate(_COL_ART)]
    straight_rows = [a or j in _COUPLET_ROWS for j, a in enumerate(_ROW_ART)]
    jx = rng.uniform(-40, 40, size=(NX, NY))
    jy = rng.uniform(-40, 40, size=(NX, NY))
    keep_noise = rng.uniform(-0.12, 0.12, size=(NX, NY))
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(NX):
        for j in range(NY):
            x = LAT_X0 + STEP * i
            y = LAT_Y0 + STEP * j
            on_art = _COL_ART[i] or _ROW_ART[j]
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
    return pos


def _lattice_edges(lattice: dict[Key, int], col_run: set[Key], row_run: set[Key]) -> list[Edge]:
    """List the lattice's edges, marking those on arterials and on the one-way pairs."""
    edges: list[tuple[tuple[int, int], tuple[int, int], bool]] = []
    for i, j in sorted(lattice):
        for di, dj in ((1, 0), (0, 1)):
            nb = (i + di, j + dj)
            if nb not in lattice:
                continue
            art = (dj == 0 and _ROW_ART[j]) or (di == 0 and _COL_ART[i])
            couplet = (di == 0 and (i, j) in col_run and nb in col_run) or (
                dj == 0 and (i, j) in row_run and nb in row_run
            )
            edges.append(((i, j), nb, art or couplet))
    return edges


def _art_tags(k: int, ns: bool) -> dict[str, str]:
    cls = _ART_CLASSES[k % 3]
    name = f"Demo {'North' if ns else 'East'} Avenue {k}{SYN}"
    t = {"highway": cls, "name": name, "maxspeed": _ART_SPEED[cls], "lanes": "4"}
    if cls == "primary":
        t["hgv"] = "no"  # city-centre truck ban on primaries
    return t


def _arterials(osm: OsmData, lattice: dict[Key, int], col_run: set[Key], row_run: set[Key]) -> None:
    """Write the arterials: whole lines, split where the class or direction changes."""
    for i in range(0, NX, ART):
        ids = [lattice[(i, j)] for j in range(NY) if (i, j) in lattice]
        tags = _art_tags(i // ART, True)
        if i == _COUPLET_COLS[0]:
            tags.update(oneway="yes", highway="secondary", maxspeed="50", lanes="3")
        osm.way(ids, tags)
    for j in range(0, NY, ART):
        ids = [lattice[(i, j)] for i in range(NX) if (i, j) in lattice]
        tags = _art_tags(j // ART, False)
        if j == _COUPLET_ROWS[0]:
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
            "name": f"Demo North Avenue 7 (southbound){SYN}",
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
            "name": f"Demo East Avenue 5 (westbound){SYN}",
        },
    )


def _local_streets(
    osm: OsmData,
    lattice: dict[Key, int],
    pos: dict[Key, tuple[float, float]],
    edges: list[Edge],
    arterial_nodes: set[int],
    rng: np.random.Generator,
) -> set[int]:
    """Write the local streets between arterials; return the nodes they reach.

    A random spanning tree of the lattice keeps every street reachable; other
    lattice edges are kept at random, some with a bend.
    """
    import networkx as nx

    g = nx.Graph()
    weights = rng.uniform(1.0, 2.0, size=len(edges))
    for (a, b, fixed), wgt in zip(edges, weights, strict=True):
        g.add_edge(a, b, weight=0.0 if fixed else float(wgt))
    tree = {tuple(sorted(e)) for e in nx.minimum_spanning_edges(g, data=False)}
    drop_draw = rng.uniform(size=len(edges))
    local_kind_draw = rng.uniform(size=len(edges))
    shape_draw = rng.uniform(size=len(edges))
    shape_off = rng.uniform(-18, 18, size=len(edges))

    local_nodes: set[int] = set()
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
            tags = {"highway": "pedestrian", "name": f"Demo Walking Street{SYN}"}
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
            tags["name"] = ln + SYN
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
    return local_nodes


def _footways_and_dead_ends(
    osm: OsmData,
    lattice: dict[Key, int],
    pos: dict[Key, tuple[float, float]],
    local_nodes: set[int],
    rng: np.random.Generator,
) -> None:
    """Write footways and steps across blocks, and dead ends (added to ``local_nodes``)."""
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


def _parks(osm: OsmData, pos: dict[Key, tuple[float, float]]) -> None:
    """Write two parks with paths, inside two arterial cells and attached to the lattice."""
    for pi, pj in ((20, 40), (45, 15)):
        ring = [
            pos[(pi + 1, pj + 1)],
            pos[(pi + 4, pj + 1)],
            pos[(pi + 4, pj + 4)],
            pos[(pi + 1, pj + 4)],
        ]
        osm.area(ring, {"leisure": "park", "name": f"Demo Park {pi}-{pj}{SYN}"})
        centres = []
        for ci, cj in ((pi + 1, pj + 1), (pi + 3, pj + 1), (pi + 3, pj + 3), (pi + 1, pj + 3)):
            corners = [pos[(ci + a, cj + b)] for a in (0, 1) for b in (0, 1)]
            centres.append((sum(c[0] for c in corners) / 4, sum(c[1] for c in corners) / 4))
        osm.line([*centres, centres[0]], {"highway": "path", "bicycle": "yes"})
        osm.line([pos[(pi + 1, pj + 1)], centres[0]], {"highway": "path", "bicycle": "yes"})


def _corridor(osm: OsmData) -> None:
    """Write the corridor G999 (trunk) and the arterial columns extended south to it."""
    cx = [float(x) for x in range(-10_000, 10_001, 100)]
    corridor = [(x, corridor_y(x)) for x in cx]
    cut = [0, 30, 170, 201]  # west rural / urban fringe / east rural
    for c0, c1 in itertools.pairwise(cut):
        urban = c0 == 30
        osm.line(
            corridor[c0 : c1 + 1],
            {
                "highway": "trunk",
                "ref": "G999",
                "name": f"G999 National Road{SYN}",
                "hgv": "yes",
                "maxspeed": "60" if urban else "80",
                "lanes": "4",
                "bicycle": "yes",
            },
        )
    # arterial columns extended south to the corridor
    for k in (1, 3, 5, 7, 9, 11, 13):
        i = ART * k
        x = round(LAT_X0 + STEP * i, 2)
        y_end = corridor_y(x)
        pts = [(x, LAT_Y0 - 200.0 * s) for s in range(int((LAT_Y0 - y_end) // 200) + 1)]
        pts.append((x, y_end))
        osm.line(
            pts,
            {
                "highway": "secondary",
                "name": f"Demo North Avenue {k}{SYN}",
                "maxspeed": "60",
                "hgv": "yes",
            },
        )


def _village(
    osm: OsmData, vill_nodes: set[int], rng: np.random.Generator, xc: float, yc: float, name: str
) -> int:
    """Write a village of four by four lanes around ``(xc, yc)``; return its corner node.

    Its nodes are added to ``vill_nodes``.
    """
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
            {"highway": "residential", "name": f"{name} Lane {a}{SYN}"},
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
    osm.area(ring, {"landuse": "residential", "name": f"{name}{SYN}"})
    return osm.node(*vp[(0, 0)])


def _rural_roads(osm: OsmData, vill_nodes: set[int], rng: np.random.Generator) -> None:
    """Write the rural roads south, north and west of the city, each to a village."""
    # rural roads south of the corridor to villages
    for xr in (-6000.0, 6000.0):
        y0 = corridor_y(xr)
        ys = [y0 - 200.0 * s for s in range(int((y0 + HALF_M) // 200) + 1)]
        pts = [(xr, y) for y in ys] + [(xr, -HALF_M)]
        ids = osm.line(
            pts,
            {
                "highway": "unclassified",
                "name": f"Demo Rural Road S{int(xr)}{SYN}",
                "maxspeed": "50",
            },
        )
        mid = ids[len(ids) // 2]
        vnode = _village(
            osm,
            vill_nodes,
            rng,
            osm.xs[mid - 1] + 500,
            osm.ys[mid - 1] - 60,
            f"Demo Village S{int(xr)}",
        )
        osm.line(
            [(osm.xs[mid - 1], osm.ys[mid - 1]), (osm.xs[vnode - 1], osm.ys[vnode - 1])],
            {"highway": "unclassified", "maxspeed": "40"},
        )
    # north extensions (rural tertiary) with villages
    top = round(LAT_Y0 + STEP * (NY - 1), 2)
    for k in (2, 6, 10):
        x = round(LAT_X0 + STEP * ART * k, 2)
        ys = [top + 200.0 * s for s in range(int((HALF_M - top) // 200) + 1)] + [HALF_M]
        osm.line(
            [(x, y) for y in ys],
            {"highway": "tertiary", "name": f"Demo North Avenue {k}{SYN}", "maxspeed": "60"},
        )
        vnode = _village(osm, vill_nodes, rng, x + 560, 8000.0 + 180, f"Demo Village N{k}")
        osm.line(
            [(x, 8000.0), (x + 250, 8090.0), (osm.xs[vnode - 1], osm.ys[vnode - 1])],
            {"highway": "unclassified", "maxspeed": "40"},
        )
    # west extension of East Avenue 4 with a village
    yw = round(LAT_Y0 + STEP * 24, 2)
    xs_w = [LAT_X0 - 200.0 * s for s in range(int((HALF_M + LAT_X0) // 200) + 1)] + [-HALF_M]
    osm.line(
        [(x, yw) for x in xs_w],
        {"highway": "tertiary", "name": f"Demo East Avenue 4{SYN}", "maxspeed": "60"},
    )
    vnode = _village(osm, vill_nodes, rng, -8600.0, yw + 520, "Demo Village W")
    osm.line([(-8600.0, yw), (osm.xs[vnode - 1], osm.ys[vnode - 1])], {"highway": "unclassified"})


def _expressway(osm: OsmData, vill_nodes: set[int], rng: np.random.Generator) -> list[float]:
    """Write the expressway G9901 and its two interchanges; return their ``y``."""
    # ---- expressway G9901: x = 8500, from the corridor north to the edge
    xm = _EXPRESSWAY_X
    yc = corridor_y(xm)
    xe_end = round(LAT_X0 + STEP * (NX - 1), 2)  # 7000, east end of the lattice rows
    inter_rows = (12, 42)  # y = -2800 and y = 2200
    inter_y = [round(LAT_Y0 + STEP * j, 2) for j in inter_rows]
    j0 = (xm, yc + 300.0)
    osm.line(
        [(xm, yc), j0],
        {
            "highway": "trunk",
            "ref": "G9901",
            "name": f"Demo Expressway Approach{SYN}",
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
            "name": f"Demo Expressway Approach North{SYN}",
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
        "name": f"Demo Expressway{SYN}",
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
                "name": f"Demo East Avenue {j // ART}{SYN}",
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
                "name": f"Demo East Avenue {j // ART}{SYN}",
            },
        )
        osm.line(
            [(8600.0, y), (9000.0, y), (9500.0, y), (HALF_M, y)],
            {
                "highway": "secondary",
                "hgv": "yes",
                "maxspeed": "60",
                "name": f"Demo East Avenue {j // ART}{SYN}",
            },
        )
        osm.line([(xm + 15, y - 400), (8580.0, y - 200), (8600.0, y)], link)  # NB off
        osm.line([(8600.0, y), (8580.0, y + 200), (xm + 15, y + 400)], link)  # NB on
        osm.line([(xm - 15, y + 400), (8420.0, y + 200), (8400.0, y)], link)  # SB off
        osm.line([(8400.0, y), (8420.0, y - 200), (xm - 15, y - 400)], link)  # SB on
    vnode = _village(osm, vill_nodes, rng, 9500.0, inter_y[1] + 700, "Demo Village E")
    osm.line(
        [(9500.0, inter_y[1]), (osm.xs[vnode - 1], osm.ys[vnode - 1])], {"highway": "unclassified"}
    )
    return inter_y


def _logistics_park(osm: OsmData) -> None:
    """Write the logistics park south of the corridor: roads, land, truck parking, warehouses."""
    park_cols = (-3400.0, -2800.0, -2200.0, -1600.0, -1000.0)
    park_rows = (-9000.0, -8500.0, -8000.0)
    park = {"highway": "service", "hgv": "designated", "maxspeed": "30"}
    for n, x in enumerate(park_cols):
        osm.line(
            [(x, y) for y in park_rows], {**park, "name": f"Demo Logistics Park Road {n + 1}{SYN}"}
        )
    for n, y in enumerate(park_rows):
        osm.line(
            [(x, y) for x in park_cols],
            {**park, "name": f"Demo Logistics Park Street {n + 1}{SYN}"},
        )
    for x in (-2800.0, -1600.0):
        y_top = corridor_y(x)
        ys = [park_rows[-1], *list(np.arange(park_rows[-1] + 200, y_top, 200).tolist()), y_top]
        osm.line(
            [(x, y) for y in ys],
            {
                "highway": "unclassified",
                "hgv": "yes",
                "maxspeed": "40",
                "name": f"Demo Logistics Park Access{SYN}",
            },
        )
    osm.area(
        [(-3500, -9100), (-900, -9100), (-900, -7900), (-3500, -7900)],
        {"landuse": "industrial", "industrial": "logistics", "name": f"Demo Logistics Park{SYN}"},
    )
    osm.area(
        [(-2750, -8950), (-2250, -8950), (-2250, -8550), (-2750, -8550)],
        {
            "amenity": "parking",
            "parking": "surface",
            "hgv": "designated",
            "capacity": "160",
            "name": f"Demo Logistics Park Truck Parking{SYN}",
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
            {"building": "warehouse", "name": f"Demo Warehouse {n + 1}{SYN}"},
        )


def _service_area(osm: OsmData) -> float:
    """Write the highway service area on the corridor, west of the city; return its ``y``."""
    sx0, sx1 = -8800.0, -8000.0
    sy = corridor_y(-8400.0) + 150.0
    osm.line(
        [
            (sx0, corridor_y(sx0)),
            (sx0 + 100, sy),
            (-8450.0, sy),
            (sx1 - 100, sy),
            (sx1, corridor_y(sx1)),
        ],
        {
            "highway": "service",
            "hgv": "yes",
            "maxspeed": "20",
            "name": f"Demo Service Area Road{SYN}",
        },
    )
    osm.line(
        [(-8450.0, sy), (-8450.0, sy + 150)],
        {"highway": "service", "service": "parking_aisle", "hgv": "yes", "maxspeed": "10"},
    )
    osm.area(
        [(sx0 + 50, sy - 60), (sx1 - 50, sy - 60), (sx1 - 50, sy + 260), (sx0 + 50, sy + 260)],
        {"highway": "services", "area": "yes", "name": f"Demo G999 Service Area{SYN}"},
    )
    osm.area(
        [(-8650, sy + 20), (-8250, sy + 20), (-8250, sy + 200), (-8650, sy + 200)],
        {
            "amenity": "parking",
            "parking": "surface",
            "hgv": "designated",
            "capacity": "60",
            "name": f"Demo Service Area Truck Parking{SYN}",
        },
    )
    return sy
