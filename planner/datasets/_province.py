"""Generator of the synthetic province shipped with planner (driver-home programme).

Everything here is invented: the cities, roads, names, points of interest,
driver homes and truck flows of the *synthetic province* are drawn from a seeded
random number generator (Python's :class:`random.Random`) over an area of about
640 km x 520 km placed at a plausible but fictional location in northern China
(centre 110.8 E, 37.5 N). No third-party map data is used. It exists so that the
"rest at least every 4 hours of driving" rule of the driver-home programme binds:
most truck volume drives for more than 4 hours.

The output is deterministic: the same seed and generator version give
byte-identical files (fixed timestamps, sequential ids, fixed number formats,
bzip2 compression; no clock, no hash order).

The layout, in metres east (x) and north (y) of the centre:

* ten cities ("Synthetic City A" to "J", sizes in invented millions of residents),
  each a square ring road (``highway=secondary``) with two or six cross avenues
  (``highway=tertiary``);
* expressways (``highway=motorway``, ``ref=S1xx``, 100 or 120 km/h, one two-way
  way per stretch) along the minimum spanning tree of the cities, each city
  reached by an interchange (``motorway_link``) and a connector road; highway
  service areas (``highway=services``, a service road loop, truck parking, fuel for
  trucks) about every 50 km;
* national roads (``highway=trunk`` / ``primary``, ``ref=G1xx``, 70-80 km/h)
  between neighbouring cities not joined by an expressway (Gabriel graph), with
  fuel stations and truck stops along them;
* a logistics park per city at its interchange (``landuse=industrial`` +
  ``industrial=logistics``, truck parking, fuel for trucks);
* existing driver homes (``stations.csv``) and a truck origin-destination table
  (``truck_od.csv``) from a gravity model between city centres and logistics parks.
"""

from __future__ import annotations

import bz2
import heapq
import itertools
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

GENERATOR_VERSION = "1"
DEFAULT_SEED = 20240601
PROVINCE_LABEL = "synthetic province"

#: Centre of the province (WGS84) and the sphere osmnx measures lengths on.
LON0 = 110.8
LAT0 = 37.5
EARTH_RADIUS_M = 6_371_009.0
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0
#: Half extent of the area the cities are placed in (metres east-west, north-south).
HALF_X_M = 320_000.0
HALF_Y_M = 260_000.0

OSM_FILE = "province.osm.bz2"
STATIONS_FILE = "stations.csv"
TRUCK_OD_FILE = "truck_od.csv"
README_FILE = "README.md"
FILES = (OSM_FILE, STATIONS_FILE, TRUCK_OD_FILE, README_FILE)

#: City sizes (invented millions of residents), largest first: "Synthetic City A" ...
CITY_SIZES = (4.6, 3.0, 2.4, 1.9, 1.5, 1.2, 1.0, 0.85, 0.7, 0.6)
MIN_CITY_SPACING_M = 125_000.0
#: Straight-line budget of the national roads beyond the expressway tree.
NATIONAL_BUDGET_M = 800_000.0
SERVICE_SPACING_M = 50_000.0
#: Trucks per day in the OD table (before rounding) and the trip durations kept.
TRUCKS_PER_DAY = 40_000
TRIP_HOURS = (2.0, 14.0)
#: Gravity model with a gamma deterrence (long-haul freight peaks at mid lengths):
#: volume ~ mass_o * mass_d * hours * exp(-hours / PEAK_HOURS), largest at PEAK_HOURS.
PEAK_HOURS = 5.0
#: Truck speeds (km/h) by road class used to estimate trip durations when the OD
#: table is drawn: those of planner's default ``truck`` mode (class cap, lowered by
#: ``maxspeed``, at most 90 km/h). Fixed here so that the files do not change when
#: the library's defaults do.
TRUCK_KMH = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "primary": 45.0,
    "secondary": 35.0,
    "tertiary": 30.0,
    "service": 10.0,
}
#: The ranges the road network's length falls in (km; each two-way road counted
#: once), by group of ``highway`` classes.
ROAD_CLASSES = {
    "expressway": ("motorway",),
    "national": ("trunk", "primary"),
    "city": ("secondary", "tertiary"),
    "link and service": ("motorway_link", "service"),
}
ROAD_KM_RANGES = {
    "expressway": (1200.0, 1700.0),
    "national": (500.0, 900.0),
    "city": (400.0, 600.0),
    "link and service": (40.0, 80.0),
    "total": (2300.0, 3000.0),
}

_TIMESTAMP = "2024-06-01T00:00:00Z"
_BZ2_LEVEL = 9
_SYN = " (synthetic)"


# --------------------------------------------------------------------------- geometry


def xy_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Convert local metres (east, north of the centre) to WGS84 lon/lat degrees.

    North-south distances are kept on the meridians and east-west distances on
    every parallel (a sinusoidal-like mapping), so lengths measured in metres here
    are close to the great-circle lengths of the written coordinates.
    """
    lat = LAT0 + y / M_PER_DEG
    lon = LON0 + x / (M_PER_DEG * math.cos(math.radians(lat)))
    return round(lon, 7), round(lat, 7)


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the great-circle distance in metres, as osmnx measures edge lengths."""
    y1, y2 = math.radians(lat1), math.radians(lat2)
    dy = y2 - y1
    dx = math.radians(lon2 - lon1)
    h = math.sin(dy / 2) ** 2 + math.cos(y1) * math.cos(y2) * math.sin(dx / 2) ** 2
    return 2 * math.asin(math.sqrt(min(1.0, h))) * EARTH_RADIUS_M


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    return math.sqrt(dx * dx + dy * dy)


def _unit(dx: float, dy: float) -> tuple[float, float]:
    n = math.sqrt(dx * dx + dy * dy)
    return (dx / n, dy / n) if n > 0 else (1.0, 0.0)


@dataclass
class _Curve:
    """A road's centre line, finely sampled, with arc positions in metres."""

    xs: list[float]
    ys: list[float]
    s: list[float]

    @classmethod
    def between(
        cls, a: tuple[float, float], b: tuple[float, float], rng: random.Random, wiggle: float
    ) -> _Curve:
        dx, dy = b[0] - a[0], b[1] - a[1]
        d = math.sqrt(dx * dx + dy * dy)
        nx, ny = -dy / d, dx / d
        amp = [wiggle * (2 * rng.random() - 1) / k for k in (1, 2, 3)]
        xs: list[float] = []
        ys: list[float] = []
        s: list[float] = []
        steps = 400
        for i in range(steps + 1):
            t = i / steps
            off = d * sum(a_k * math.sin((k + 1) * math.pi * t) for k, a_k in enumerate(amp))
            x, y = a[0] + t * dx + off * nx, a[1] + t * dy + off * ny
            s.append(0.0 if i == 0 else s[-1] + _dist((xs[-1], ys[-1]), (x, y)))
            xs.append(x)
            ys.append(y)
        xs[-1], ys[-1] = b  # exact end
        return cls(xs, ys, s)

    @property
    def length(self) -> float:
        return self.s[-1]

    def at(self, pos: float) -> tuple[float, float, float, float]:
        """Point ``(x, y)`` and unit direction ``(ux, uy)`` at arc position ``pos``."""
        pos = min(max(pos, 0.0), self.length)
        lo, hi = 0, len(self.s) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.s[mid] <= pos:
                lo = mid
            else:
                hi = mid
        seg = self.s[hi] - self.s[lo]
        f = (pos - self.s[lo]) / seg if seg > 0 else 0.0
        x = self.xs[lo] + f * (self.xs[hi] - self.xs[lo])
        y = self.ys[lo] + f * (self.ys[hi] - self.ys[lo])
        ux, uy = _unit(self.xs[hi] - self.xs[lo], self.ys[hi] - self.ys[lo])
        return x, y, ux, uy


# --------------------------------------------------------------------------- OSM model


@dataclass
class _Osm:
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)
    index: dict[tuple[float, float], int] = field(default_factory=dict)

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        x, y = round(float(x), 2), round(float(y), 2)
        if not tags and (x, y) in self.index:
            return self.index[(x, y)]
        self.xs.append(x)
        self.ys.append(y)
        nid = len(self.xs)
        if tags:
            self.node_tags[nid] = dict(tags)
        else:
            self.index[(x, y)] = nid
        return nid

    def xy(self, nid: int) -> tuple[float, float]:
        return self.xs[nid - 1], self.ys[nid - 1]

    def lonlat(self, nid: int) -> tuple[float, float]:
        return xy_to_lonlat(self.xs[nid - 1], self.ys[nid - 1])

    def way(self, ids: Sequence[int], tags: dict[str, str]) -> None:
        clean = [ids[0]]
        clean.extend(i for prev, i in itertools.pairwise(ids) if i != prev)
        if len(clean) < 2:
            msg = "a way needs two distinct nodes"
            raise ValueError(msg)
        self.ways.append((clean, dict(tags)))

    def line(self, pts: Iterable[tuple[float, float]], tags: dict[str, str]) -> list[int]:
        ids = [self.node(x, y) for x, y in pts]
        self.way(ids, tags)
        return ids

    def area(self, ring: Sequence[tuple[float, float]], tags: dict[str, str]) -> None:
        ids = []
        for x, y in ring:  # area corners are never shared with roads
            self.xs.append(round(float(x), 2))
            self.ys.append(round(float(y), 2))
            ids.append(len(self.xs))
        self.way([*ids, ids[0]], tags)

    def road_km(self) -> dict[str, float]:
        """Length of the roads (km) by ``highway`` class, measured like osmnx does."""
        km: dict[str, float] = {}
        for ids, tags in self.ways:
            hw = tags.get("highway")
            if hw is None:
                continue
            pts = [self.lonlat(i) for i in ids]
            m = sum(great_circle_m(*p, *q) for p, q in itertools.pairwise(pts))
            km[hw] = km.get(hw, 0.0) + m / 1000.0
        return dict(sorted(km.items()))

    def bounds(self) -> tuple[float, float, float, float]:
        pts = [xy_to_lonlat(x, y) for x, y in zip(self.xs, self.ys, strict=True)]
        lons = [p[0] for p in pts]
        lats = [p[1] for p in pts]
        return min(lons), min(lats), max(lons), max(lats)

    def xml(self) -> bytes:
        b = self.bounds()
        out = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f'<osm version="0.6" generator="planner {PROVINCE_LABEL} generator '
            f'v{GENERATOR_VERSION}">',
            f"  <note>{escape(PROVINCE_LABEL)}: invented cities, roads and places, not a real "
            "map; generated by planner.datasets._province (no third-party map data).</note>",
            f'  <bounds minlat="{b[1]:.7f}" minlon="{b[0]:.7f}" maxlat="{b[3]:.7f}" '
            f'maxlon="{b[2]:.7f}"/>',
        ]
        attrs = f'version="1" timestamp="{_TIMESTAMP}" changeset="1" visible="true"'
        for i, (x, y) in enumerate(zip(self.xs, self.ys, strict=True)):
            nid = i + 1
            lon, lat = xy_to_lonlat(x, y)
            head = f'  <node id="{nid}" {attrs} lat="{lat:.7f}" lon="{lon:.7f}"'
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


# --------------------------------------------------------------------------- cities


@dataclass
class _City:
    letter: str
    size: float
    x: float
    y: float
    half: float  # half side of the ring road (m)
    ring: list[int] = field(default_factory=list)  # ring node ids, closed order
    centre: int = 0
    hub: int = 0  # where the expressways meet (the interchange, or the connector's end)
    gate: int = 0  # the logistics park's gate node

    @property
    def name(self) -> str:
        return f"Synthetic City {self.letter}"


def _place_cities(rng: random.Random) -> list[_City]:
    """Draw city centres with a minimum spacing; the largest city near the middle."""
    cities: list[_City] = []
    margin = 15_000.0
    for k, size in enumerate(CITY_SIZES):
        for _ in range(10_000):
            if k == 0:
                x, y = (2 * rng.random() - 1) * 60_000.0, (2 * rng.random() - 1) * 50_000.0
            else:
                x = (2 * rng.random() - 1) * (HALF_X_M - margin)
                y = (2 * rng.random() - 1) * (HALF_Y_M - margin)
            if all(_dist((x, y), (c.x, c.y)) >= MIN_CITY_SPACING_M for c in cities):
                break
        else:  # pragma: no cover - the area holds ten cities with room to spare
            msg = "could not place the cities"
            raise RuntimeError(msg)
        half = 1000.0 * round(1.5 + 1.2 * math.sqrt(size))
        cities.append(_City(chr(ord("A") + k), size, round(x, -2), round(y, -2), half))
    return cities


def _mst(cities: Sequence[_City]) -> list[tuple[int, int]]:
    """Minimum spanning tree of the city centres (Prim), as sorted index pairs."""
    n = len(cities)
    inside = {0}
    edges: list[tuple[int, int]] = []
    while len(inside) < n:
        best = min(
            (_dist((cities[i].x, cities[i].y), (cities[j].x, cities[j].y)), i, j)
            for i in sorted(inside)
            for j in range(n)
            if j not in inside
        )
        edges.append((min(best[1], best[2]), max(best[1], best[2])))
        inside.add(best[2])
    return sorted(edges)


def _gabriel(cities: Sequence[_City]) -> list[tuple[int, int]]:
    """Pairs of cities with no other city in the circle on their diameter."""
    pts = [(c.x, c.y) for c in cities]
    out = []
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            mid = ((pts[i][0] + pts[j][0]) / 2, (pts[i][1] + pts[j][1]) / 2)
            r = _dist(pts[i], pts[j]) / 2
            if all(_dist(pts[k], mid) > r for k in range(len(pts)) if k not in (i, j)):
                out.append((i, j))
    return out


def _chains(edges: Sequence[tuple[int, int]], cities: Sequence[_City]) -> list[list[int]]:
    """Split a tree's edges into paths, longest first (one expressway ``ref`` each)."""
    left = set(edges)
    chains: list[list[int]] = []

    def length(path: list[int]) -> float:
        return sum(
            _dist((cities[a].x, cities[a].y), (cities[b].x, cities[b].y))
            for a, b in itertools.pairwise(path)
        )

    while left:
        adj: dict[int, list[int]] = {}
        for a, b in sorted(left):
            adj.setdefault(a, []).append(b)
            adj.setdefault(b, []).append(a)
        best: list[int] = []
        for start in sorted(adj):  # every simple path from every start (the tree is small)
            stack = [[start]]
            while stack:
                path = stack.pop()
                if length(path) > length(best) + 1e-6:
                    best = path
                stack.extend([*path, nxt] for nxt in adj[path[-1]] if nxt not in path)
        if best[0] > best[-1]:
            best.reverse()
        chains.append(best)
        left -= {(min(a, b), max(a, b)) for a, b in itertools.pairwise(best)}
    return chains


def _city_roads(osm: _Osm, city: _City) -> None:
    """Ring road (secondary) and cross avenues (tertiary) of one city."""
    h = city.half
    off = [-h + k * h / 4 for k in range(9)]
    cx, cy = city.x, city.y
    side = [(off[k], -h) for k in range(8)] + [(h, off[k]) for k in range(8)]
    side += [(off[8 - k], h) for k in range(8)] + [(-h, off[8 - k]) for k in range(8)]
    pts = [(cx + dx, cy + dy) for dx, dy in side]
    city.ring = osm.line(
        [*pts, pts[0]],
        {
            "highway": "secondary",
            "maxspeed": "60",
            "oneway": "no",
            "name": f"{city.name} Ring Road{_SYN}",
        },
    )[:-1]
    lines = (2, 4, 6) if city.size >= 2.0 else (4,)
    n = 0
    for k in lines:
        for vertical in (True, False):
            n += 1
            seq = [(off[k], off[j]) if vertical else (off[j], off[k]) for j in range(9)]
            osm.line(
                [(cx + dx, cy + dy) for dx, dy in seq],
                {
                    "highway": "tertiary",
                    "maxspeed": "50",
                    "oneway": "no",
                    "name": f"{city.name} Avenue {n}{_SYN}",
                },
            )
    city.centre = osm.node(cx, cy)


def _ring_node_towards(osm: _Osm, city: _City, x: float, y: float) -> int:
    return min(city.ring, key=lambda n: (_dist(osm.xy(n), (x, y)), n))


def _road_tags(highway: str, maxspeed: str, name: str, **extra: str) -> dict[str, str]:
    """Tags of a two-way road named ``name`` (marked synthetic)."""
    return {"highway": highway, "maxspeed": maxspeed, "oneway": "no", "name": name + _SYN, **extra}


_TRUCK_FUEL = {"amenity": "fuel", "hgv": "yes", "fuel:diesel": "yes"}
_TRUCK_PARKING = {"amenity": "parking", "hgv": "designated", "parking": "surface"}


def _interchange(
    osm: _Osm, city: _City, neighbours: Sequence[_City], rng: random.Random
) -> list[str]:
    """Lay one city's interchange, connector and logistics park; return the POI kinds."""
    vecs = [_unit(c.x - city.x, c.y - city.y) for c in neighbours]
    mx, my = sum(v[0] for v in vecs), sum(v[1] for v in vecs)
    if math.sqrt(mx * mx + my * my) < 0.35 * len(vecs):  # roads from both sides: bypass
        mx, my = -vecs[0][1], vecs[0][0]
    ux, uy = _unit(mx, my)
    cheb = max(abs(ux), abs(uy))  # distances below are from the square ring road
    h = city.half
    jx, jy = city.x + ux * (h + 2000.0) / cheb, city.y + uy * (h + 2000.0) / cheb
    junction = osm.node(jx, jy)
    ring = _ring_node_towards(osm, city, jx, jy)
    osm.way([junction, ring], _road_tags("secondary", "60", f"{city.name} Expressway Connector"))
    if len(neighbours) > 1:
        hx, hy = city.x + ux * (h + 4000.0) / cheb, city.y + uy * (h + 4000.0) / cheb
        city.hub = osm.node(hx, hy)
        bend = ((hx + jx) / 2 + 150 * uy, (hy + jy) / 2 - 150 * ux)
        tags = _road_tags("motorway_link", "60", f"{city.name} Interchange", hgv="yes")
        osm.line([(hx, hy), bend, (jx, jy)], tags)
    else:  # the expressway ends at the connector (no interchange needed)
        city.hub = junction
    # the logistics park beside the connector's outer end
    side = 1.0 if rng.random() < 0.5 else -1.0
    px, py = -uy * side, ux * side
    gx, gy = jx + 1000.0 * px, jy + 1000.0 * py  # the gate, in the middle of the park
    city.gate = osm.node(gx, gy)
    park = f"{city.name} Logistics Park"
    osm.way([junction, city.gate], _road_tags("service", "30", f"{park} Road", hgv="designated"))
    osm.area(
        [(gx - 500, gy - 350), (gx + 500, gy - 350), (gx + 500, gy + 350), (gx - 500, gy + 350)],
        {"landuse": "industrial", "industrial": "logistics", "name": park + _SYN},
    )
    cap = str(50 * round(2 + 2 * city.size))
    parking = {**_TRUCK_PARKING, "capacity": cap, "name": f"{park} Truck Parking{_SYN}"}
    osm.node(gx + 120 * px - 80 * py, gy + 120 * py + 80 * px, parking)
    fuel = {**_TRUCK_FUEL, "name": f"{park} Fuel{_SYN}"}
    osm.node(gx + 60 * px + 80 * py, gy + 60 * py - 80 * px, fuel)
    kinds = ["logistics", "truck_parking", "fuel_hgv"]
    for f in range(3):  # town fuel stations (cars) beside the ring road
        n = city.ring[(4 + 11 * f + int(rng.random() * 4)) % len(city.ring)]
        x, y = osm.xy(n)
        dx, dy = _unit(x - city.x, y - city.y)
        tags = {"amenity": "fuel", "name": f"{city.name} Fuel {f + 1}{_SYN}"}
        osm.node(x + 40 * dx, y + 40 * dy, tags)
        kinds.append("fuel")
    return kinds


# --------------------------------------------------------------------------- intercity roads


def _road(
    osm: _Osm, a: int, b: int, curve: _Curve, step_m: float, cuts: Sequence[float] = ()
) -> tuple[list[int], dict[float, int]]:
    """Lay nodes along ``curve`` from node ``a`` to node ``b``.

    Nodes are at most ``step_m`` apart, plus one at every arc position in
    ``cuts``; returns the ids and the cut positions' nodes.
    """
    n = max(1, math.ceil(curve.length / step_m))
    pos = sorted({*(curve.length * k / n for k in range(1, n)), *cuts})
    ids = [a]
    cut_ids: dict[float, int] = {}
    for p in pos:
        x, y, _, _ = curve.at(p)
        nid = osm.node(x, y)
        ids.append(nid)
        if p in cuts:
            cut_ids[p] = nid
    ids.append(b)
    return ids, cut_ids


def _expressway(
    osm: _Osm,
    chain: Sequence[_City],
    ref: str,
    rng: random.Random,
    services: list[tuple[str, float, float]],
) -> list[str]:
    """Lay one expressway through the cities of ``chain``, with its service areas.

    Appends ``(name, x, y)`` of each service area to ``services``; returns the
    POI kinds planted.
    """
    kinds: list[str] = []
    km0 = 0.0
    for ca, cb in itertools.pairwise(chain):
        a, b = ca.hub, cb.hub
        curve = _Curve.between(osm.xy(a), osm.xy(b), rng, 0.05)
        n_sa = max(1, math.ceil(curve.length / SERVICE_SPACING_M))
        sa_pos = [curve.length * (k + 0.5) / n_sa for k in range(n_sa)]
        cuts = sorted(p + d for p in sa_pos for d in (-400.0, 400.0))
        ids, cut_ids = _road(osm, a, b, curve, 2000.0, cuts)
        speed = "120" if rng.random() < 0.6 else "100"
        name = f"Synthetic Expressway {ref}"
        osm.way(ids, _road_tags("motorway", speed, name, ref=ref, hgv="yes", lanes="4"))
        for k, p in enumerate(sa_pos):
            x, y, ux, uy = curve.at(p)
            side = 1.0 if k % 2 == 0 else -1.0
            nx, ny = -uy * side, ux * side
            sx, sy = x + 250 * nx, y + 250 * ny
            name = f"Synthetic {ref} Km {round((km0 + p) / 1000.0)} Service Area"
            s = osm.node(sx, sy)
            osm.way(
                [cut_ids[p - 400.0], s, cut_ids[p + 400.0]],
                _road_tags("service", "30", name + " Road", hgv="yes"),
            )
            osm.way(
                [s, osm.node(sx + 150 * nx, sy + 150 * ny)],
                _road_tags("service", "10", name + " Parking", hgv="yes", service="parking_aisle"),
            )
            # the services, fuel and truck parking stand between the expressway and the
            # loop, nearer the expressway: trucks driving past pass them
            poi_x, poi_y = x + 60 * nx, y + 60 * ny
            osm.node(poi_x, poi_y, {"highway": "services", "name": name + _SYN})
            fuel = {**_TRUCK_FUEL, "name": f"{name} Fuel{_SYN}"}
            osm.node(x + 50 * nx + 100 * ux, y + 50 * ny + 100 * uy, fuel)
            parking = {**_TRUCK_PARKING, "capacity": "80", "name": f"{name} Truck Parking{_SYN}"}
            osm.node(x + 60 * nx - 100 * ux, y + 60 * ny - 100 * uy, parking)
            services.append((name + _SYN, poi_x, poi_y))
            kinds += ["service_area", "fuel_hgv", "truck_parking"]
        km0 += curve.length
    return kinds


def _national_road(
    osm: _Osm, ca: _City, cb: _City, ref: str, highway: str, rng: random.Random
) -> list[str]:
    """Lay one national road between two cities' ring roads, with fuel and truck stops."""
    a = _ring_node_towards(osm, ca, cb.x, cb.y)
    b = _ring_node_towards(osm, cb, ca.x, ca.y)
    curve = _Curve.between(osm.xy(a), osm.xy(b), rng, 0.08)
    ids, _ = _road(osm, a, b, curve, 1500.0)
    speed = "80" if highway == "trunk" else "70"
    osm.way(ids, _road_tags(highway, speed, f"Synthetic National Road {ref}", ref=ref, hgv="yes"))
    kinds: list[str] = []
    n_fuel = max(1, math.floor(curve.length / 40_000.0))
    for k in range(n_fuel):
        p = curve.length * (k + 0.5) / n_fuel
        x, y, ux, uy = curve.at(p)
        side = 1.0 if k % 2 == 0 else -1.0
        name = f"Synthetic {ref} Km {round(p / 1000.0)}"
        hgv = k % 2 == 0
        tags = {**(_TRUCK_FUEL if hgv else {"amenity": "fuel"}), "name": f"{name} Fuel{_SYN}"}
        osm.node(x - 40 * uy * side, y + 40 * ux * side, tags)
        kinds.append("fuel_hgv" if hgv else "fuel")
        if hgv and k % 4 == 0:
            tags = {**_TRUCK_PARKING, "capacity": "30", "name": f"{name} Truck Stop{_SYN}"}
            osm.node(x - 90 * uy * side, y + 90 * ux * side, tags)
            kinds.append("truck_parking")
    return kinds


# --------------------------------------------------------------------------- truck times


def _truck_graph(osm: _Osm) -> dict[int, list[tuple[int, float]]]:
    """Two-way adjacency of the roads with truck travel times in seconds."""
    adj: dict[int, list[tuple[int, float]]] = {}
    for ids, tags in osm.ways:
        hw = tags.get("highway")
        if hw not in TRUCK_KMH:
            continue
        kmh = min(TRUCK_KMH[hw], float(tags.get("maxspeed", "999")), 90.0)
        for u, v in itertools.pairwise(ids):
            t = great_circle_m(*osm.lonlat(u), *osm.lonlat(v)) / (kmh / 3.6)
            adj.setdefault(u, []).append((v, t))
            adj.setdefault(v, []).append((u, t))
    return adj


def _times_from(adj: dict[int, list[tuple[int, float]]], src: int) -> dict[int, float]:
    dist = {src: 0.0}
    heap = [(0.0, src)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, t in adj[u]:
            nd = d + t
            if nd < dist.get(v, math.inf):
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


@dataclass(frozen=True)
class _Zone:
    zid: str
    name: str
    node: int
    mass: float


def _truck_od(
    osm: _Osm, cities: Sequence[_City], rng: random.Random
) -> list[tuple[_Zone, _Zone, int, float]]:
    """Draw gravity-model truck flows between city centres and logistics parks.

    Pairs of zones in different cities are kept where the trip takes
    ``TRIP_HOURS`` at truck speeds; returns ``(origin, destination, trucks per
    day, hours)`` rows.
    """
    zones = []
    for c in cities:
        zones.append(_Zone(f"P{c.letter}", f"{c.name} Logistics Park{_SYN}", c.gate, 1.5 * c.size))
        zones.append(_Zone(f"C{c.letter}", f"{c.name} centre{_SYN}", c.centre, c.size))
    adj = _truck_graph(osm)
    raw: list[tuple[_Zone, _Zone, float, float]] = []
    for o in zones:
        times = _times_from(adj, o.node)
        for d in zones:
            if o.zid[1] == d.zid[1]:
                continue
            hours = times[d.node] / 3600.0
            noise = 0.8 + 0.4 * rng.random()
            if TRIP_HOURS[0] <= hours <= TRIP_HOURS[1]:
                deter = hours * math.exp(-hours / PEAK_HOURS)
                raw.append((o, d, o.mass * d.mass * deter * noise, hours))
    scale = TRUCKS_PER_DAY / sum(r[2] for r in raw)
    out = [(o, d, round(v * scale), h) for o, d, v, h in raw]
    return sorted((r for r in out if r[2] >= 2), key=lambda r: (r[0].zid, r[1].zid))


# --------------------------------------------------------------------------- build


def _csv(header: str, rows: Iterable[str]) -> bytes:
    return (header + "\n" + "".join(r + "\n" for r in rows)).encode("utf-8")


@dataclass
class _Figures:
    seed: int
    cities: list[_City]
    road_km: dict[str, float]
    refs: dict[str, list[str]]
    pois: dict[str, int]
    n_nodes: int
    n_ways: int
    bounds: tuple[float, float, float, float]
    od: list[tuple[_Zone, _Zone, int, float]]
    stations: list[tuple[str, str, str, str, float, float]]


def _national_pairs(
    cities: Sequence[_City], tree: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Pick neighbouring cities not joined by an expressway, shortest first, in budget."""

    def straight(e: tuple[int, int]) -> float:
        return _dist((cities[e[0]].x, cities[e[0]].y), (cities[e[1]].x, cities[e[1]].y))

    budget = NATIONAL_BUDGET_M
    out = []
    for e in sorted((e for e in _gabriel(cities) if e not in tree), key=lambda e: (straight(e), e)):
        if straight(e) <= budget:
            out.append(e)
            budget -= straight(e)
    return out


def _driver_homes(
    osm: _Osm, cities: Sequence[_City], services: Sequence[tuple[str, float, float]]
) -> list[tuple[str, str, str, str, float, float]]:
    """Place the existing driver homes: the two largest cities' parks, two service areas."""
    rows: list[tuple[str, str, str, str, float, float]] = []
    for c in cities[:2]:
        x, y = osm.xy(c.gate)
        sid = f"D{len(rows) + 1:02d}"
        name = f"Driver Home {sid} ({c.name} Logistics Park){_SYN}"
        rows.append((sid, name, "driver_home", "24/7", x + 30.0, y + 30.0))
    for place, x, y in (services[1], services[len(services) // 2]):
        sid = f"D{len(rows) + 1:02d}"
        name = f"Driver Home {sid} ({place.removesuffix(_SYN)}){_SYN}"
        rows.append((sid, name, "driver_home", "06:00-23:00", x, y))
    return rows


def _build(seed: int) -> dict[str, bytes]:
    """Lay out the province and return the files' contents by name."""
    rng = random.Random(seed)
    cities = _place_cities(rng)
    osm = _Osm()
    for c in cities:
        _city_roads(osm, c)
    tree = _mst(cities)
    neighbours = {
        i: [cities[b if a == i else a] for a, b in tree if i in (a, b)] for i in range(len(cities))
    }
    pois: list[str] = []
    for i, c in enumerate(cities):
        pois += _interchange(osm, c, neighbours[i], rng)
    services: list[tuple[str, float, float]] = []
    refs: dict[str, list[str]] = {"expressway": [], "national": []}
    for k, chain in enumerate(_chains(tree, cities)):
        ref = f"S{101 + k}"
        refs["expressway"].append(f"{ref} ({'-'.join(cities[i].letter for i in chain)})")
        pois += _expressway(osm, [cities[i] for i in chain], ref, rng, services)
    national = _national_pairs(cities, tree)
    for k, (a, b) in enumerate(national):
        ref = f"G{101 + k}"
        highway = "trunk" if k % 2 == 0 else "primary"
        refs["national"].append(f"{ref} ({cities[a].letter}-{cities[b].letter}, {highway})")
        pois += _national_road(osm, cities[a], cities[b], ref, highway, rng)
    stations = _driver_homes(osm, cities, services)
    od = _truck_od(osm, cities, rng)
    counts: dict[str, int] = {}
    for kind in pois:
        counts[kind] = counts.get(kind, 0) + 1
    figures = _Figures(
        seed=seed,
        cities=cities,
        road_km=osm.road_km(),
        refs=refs,
        pois=dict(sorted(counts.items())),
        n_nodes=len(osm.xs),
        n_ways=len(osm.ways),
        bounds=osm.bounds(),
        od=od,
        stations=stations,
    )
    st_rows = []
    for sid, name, kind, hours, x, y in stations:
        lon, lat = xy_to_lonlat(x, y)
        st_rows.append(f"{sid},{name},{kind},{hours},{lon:.6f},{lat:.6f}")
    od_rows = []
    for o, d, n, _ in od:
        olo, ola = osm.lonlat(o.node)
        dlo, dla = osm.lonlat(d.node)
        od_rows.append(
            f"{o.zid},{o.name},{olo:.6f},{ola:.6f},{d.zid},{d.name},{dlo:.6f},{dla:.6f},{n}"
        )
    return {
        OSM_FILE: bz2.compress(osm.xml(), _BZ2_LEVEL),
        STATIONS_FILE: _csv("station_id,name,kind,hours,lon,lat", st_rows),
        TRUCK_OD_FILE: _csv(
            "origin,origin_name,origin_lon,origin_lat,destination,destination_name,"
            "destination_lon,destination_lat,trucks_per_day",
            od_rows,
        ),
        README_FILE: _readme(figures).encode("utf-8"),
    }


def generate_province(out_dir: str | Path, *, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the synthetic province's files into ``out_dir``.

    Parameters
    ----------
    out_dir
        The folder to write into (created if missing); files of the same names
        are replaced, each atomically.
    seed
        Seed of the random number generator; the same seed gives byte-identical
        files.

    Returns
    -------
    dict of str to pathlib.Path
        The written files by name (``province.osm.bz2``, ``stations.csv``,
        ``truck_od.csv``, ``README.md``).
    """
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


# --------------------------------------------------------------------------- README


def _duration_bins(od: Sequence[tuple[_Zone, _Zone, int, float]]) -> list[tuple[str, int, int]]:
    edges = (2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 14.0)
    out = []
    for lo, hi in itertools.pairwise(edges):
        rows = [r for r in od if lo <= r[3] < hi or (hi == edges[-1] and r[3] == hi)]
        out.append((f"{lo:g}-{hi:g} h", len(rows), sum(r[2] for r in rows)))
    return out


def _readme(f: _Figures) -> str:
    """Write the README of the generated folder: what it is, how it was made, its figures."""
    total_km = sum(f.road_km.values())
    group_km = {g: sum(f.road_km.get(c, 0.0) for c in cls) for g, cls in ROAD_CLASSES.items()}
    roads = "\n".join(
        f"| {g} | {', '.join(f'`{c}`' for c in ROAD_CLASSES[g])} | {group_km[g]:,.0f} | "
        f"{ROAD_KM_RANGES[g][0]:,.0f}-{ROAD_KM_RANGES[g][1]:,.0f} |"
        for g in ROAD_CLASSES
    )
    lo, hi = ROAD_KM_RANGES["total"]
    roads += f"\n| total | | {total_km:,.0f} | {lo:,.0f}-{hi:,.0f} |"
    by_class = ", ".join(f"`{k}` {v:,.1f}" for k, v in f.road_km.items())
    cities = "\n".join(
        f"| {c.name}{_SYN} | {c.size:g} | {xy_to_lonlat(c.x, c.y)[0]:.4f} | "
        f"{xy_to_lonlat(c.x, c.y)[1]:.4f} | {2 * c.half / 1000:g} km |"
        for c in f.cities
    )
    pois = "\n".join(f"| {k} | {v} |" for k, v in f.pois.items())
    vol = sum(r[2] for r in f.od)
    over4 = sum(r[2] for r in f.od if r[3] > 4.0)
    hours = sorted(h for r in f.od for h in [r[3]] * r[2])
    median = hours[len(hours) // 2]
    mean = sum(hours) / len(hours)
    bins = "\n".join(
        f"| {label} | {n} | {v:,} | {100 * v / vol:.1f} % |" for label, n, v in _duration_bins(f.od)
    )
    stations = "\n".join(f"| {s[0]} | {s[1]} | {s[3]} |" for s in f.stations)
    b = f.bounds
    width = (b[2] - b[0]) * M_PER_DEG * math.cos(math.radians(LAT0)) / 1000.0
    height = (b[3] - b[1]) * M_PER_DEG / 1000.0
    return f"""# Synthetic province (not a real place)

**Everything in this folder is synthetic.** The {PROVINCE_LABEL} is a made-up province
of ten cities and about {total_km:,.0f} km of roads, spread over about {width:,.0f} km x
{height:,.0f} km (the cities are drawn within 640 km x 520 km) at a plausible but fictional
location in northern China (centre {LON0} E, {LAT0} N; bounds lon {b[0]:.7f}..{b[2]:.7f},
lat {b[1]:.7f}..{b[3]:.7f}, WGS84).
Cities, roads, names, service areas, logistics parks, driver homes and truck flows are
invented by `planner.datasets._province` from a seeded random number generator; no
third-party map data is used or shipped. Every name ends in "(synthetic)".

It serves the driver-home (truck driver rest stop) programme: trips are long enough
that the rule "rest at least every 4 hours of driving" binds for most truck volume
({100 * over4 / vol:.0f} % of the trucks drive more than 4 hours).

Generated by generator version {GENERATOR_VERSION} with seed {f.seed}:

```python
from planner.datasets import generate_province
generate_province("data/province", seed={f.seed})
```

The output is deterministic: the same seed and generator version give byte-identical
files (fixed timestamps and ids, fixed number formats, bzip2). `tests/test_province.py`
regenerates the province and compares it with these files. Do not edit them by hand.

## Files

* `{OSM_FILE}`: OSM XML 0.6 (bzip2) with roads as `highway=*` ways and points of
  interest as tagged nodes and closed ways, like an OSM extract ({f.n_nodes:,} nodes,
  {f.n_ways:,} ways). Load it with `planner.network_from_osm(path, modes=["truck"])`;
  read the candidate sites with `planner.routes.driver_home_candidates(path)`.
* `{STATIONS_FILE}`: existing driver homes: `station_id`, `name`, `kind` (`driver_home`),
  `hours` (`HH:MM-HH:MM` or `24/7`), `lon`, `lat` (WGS84).
* `{TRUCK_OD_FILE}`: truck origin-destination table between the city centres (`C*`) and
  logistics parks (`P*`) of different cities: `origin`, `origin_name`, `origin_lon`,
  `origin_lat`, `destination`, `destination_name`, `destination_lon`, `destination_lat`,
  `trucks_per_day`. Every end lies on a road node.

## Cities

| city | size (invented, million residents) | lon | lat | ring road |
|---|---|---|---|---|
{cities}

Each city has a square ring road (`highway=secondary`, 60 km/h) and two (size under 2)
or six cross avenues (`highway=tertiary`, 50 km/h), a connector road to its expressway
interchange (`motorway_link`; where only one expressway reaches the city it ends at the
connector) and a logistics park beside the interchange.

## Roads

Every road is one two-way way (`oneway=no`; expressways are not split into carriageways)
open to trucks (`hgv=yes`, or `hgv=designated` on logistics park roads).

| group | classes | km | stated range (km) |
|---|---|---|---|
{roads}

By class (km, each road counted once, great-circle lengths as osmnx measures them):
{by_class}.

* Expressways (`highway=motorway`, 100 or 120 km/h, `ref` S1xx) follow the minimum
  spanning tree of the city centres: {", ".join(f.refs["expressway"])}.
  A highway service area every 50 km or less, the first one at most 25 km from each city:
  a service road loop off the expressway (250 m aside, with a parking aisle) and, 50-60 m
  beside the expressway, the `highway=services` node, fuel for trucks and a truck parking.
* National roads (`ref` G1xx; `highway=trunk` 80 km/h or `highway=primary` 70 km/h) join
  neighbouring cities (Gabriel graph) not joined by an expressway, up to
  {NATIONAL_BUDGET_M / 1000:,.0f} km in straight line: {", ".join(f.refs["national"])}.
  Fuel stations about every 40 km (every other one with `hgv=yes`) and truck stops.

## Points of interest planted in the OSM file

| kind (`planner.routes.driver_home_candidates`; `fuel`: cars only) | count |
|---|---|
{pois}

Tags: service areas `highway=services` (nodes); fuel `amenity=fuel` (for trucks with
`hgv=yes` and `fuel:diesel=yes`); logistics parks `landuse=industrial` +
`industrial=logistics` (closed ways, 1.0 km x 0.7 km, the park road ending at their
centre); truck parking `amenity=parking` + `hgv=designated` (nodes, with `capacity`).

## Existing driver homes

| id | name | hours |
|---|---|---|
{stations}

## Truck flows

{vol:,} trucks a day on {len(f.od)} origin-destination pairs, from a gravity model over the
pairs of zones in different cities whose trip takes {TRIP_HOURS[0]:g} to {TRIP_HOURS[1]:g} hours:
volume proportional to the product of the zones' masses (city size; 1.5 x size for a
logistics park) times hours x exp(-hours / {PEAK_HOURS:g}) (a gamma deterrence, largest at
{PEAK_HOURS:g} hours), with +-20 % noise, scaled to {TRUCKS_PER_DAY:,} trucks a day and rounded;
pairs under 2 trucks a day dropped. Hours are driving times on the fastest path at the
speeds of planner's default `truck` mode (class cap lowered by `maxspeed`, at most
90 km/h), as `planner.routes.route_od(od, network, mode="truck")` measures them.

Trip durations (driving time on the network at truck speeds; mean {mean:.1f} h, median
{median:.1f} h; {100 * over4 / vol:.1f} % of the volume over 4 hours):

| driving time | pairs | trucks/day | share |
|---|---|---|---|
{bins}
"""
