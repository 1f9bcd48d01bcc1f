"""Points of interest and existing stations planted next to the demo roads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.datasets._generate._region import (
    PLANTED_POIS,
    PLANTED_TRUCK_PARKING,
    RESTAURANT_CLUSTER_SIZES,
    STATIONS,
    SYN,
)
from planner.datasets._generate._roads import ART, LAT_X0, LAT_Y0, NX, NY, STEP, Layout, corridor_y


@dataclass
class Places:
    clusters: list[tuple[int, int]]  # (road node id, size)
    courier_depots: list[int]  # road node ids next to office=courier nodes
    stations: list[tuple[str, str, str, str, float, float]]
    n_residential: int


def _near(
    layout: Layout, nid: int, rng: np.random.Generator, dist: float = 18.0
) -> tuple[float, float]:
    ang = rng.uniform(0, 2 * math.pi)
    return (
        layout.osm.xs[nid - 1] + dist * math.cos(ang),
        layout.osm.ys[nid - 1] + dist * math.sin(ang),
    )


def _pick_spread(
    cands: Sequence[int], k: int, min_d: float, layout: Layout, rng: np.random.Generator
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


def plant_pois(layout: Layout, rng: np.random.Generator) -> Places:
    """Plant the points of interest and the existing stations into ``layout.osm``.

    The steps run in the order of the output's ids and of the random draws.
    """
    osm = layout.osm
    xs, ys = osm.xs, osm.ys
    core = [n for n in layout.arterial_nodes if abs(xs[n - 1]) < 5600 and -3600 < ys[n - 1] < 5200]
    core_local = [
        n for n in layout.local_nodes if abs(xs[n - 1]) < 6500 and -4500 < ys[n - 1] < 6000
    ]
    clusters = _eateries(layout, core, core_local, rng)
    depots = _malls_and_depots(layout, core, clusters, rng)
    n_res = _residential_areas(layout, rng)
    _amenities(layout, core, core_local, rng)
    stations = _stations(layout, core, rng)
    return Places(clusters=clusters, courier_depots=depots, stations=stations, n_residential=n_res)


def _eateries(
    layout: Layout, core: list[int], core_local: list[int], rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Plant restaurants and fast food in clusters and scattered; return the clusters."""
    osm = layout.osm
    xs, ys = layout.osm.xs, layout.osm.ys
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
                    f"{c + 1:02d}-{s + 1:02d}{SYN}",
                    "cuisine": cuisines[int(rng.integers(len(cuisines)))],
                },
            )
    scatter = _pick_spread(core_local, len(kinds) - k, 150.0, layout, rng)
    for s, n in enumerate(scatter):
        kind = str(kinds[k])
        k += 1
        osm.node(*_near(layout, n, rng), {"amenity": kind, "name": f"Demo Eatery {s + 1:02d}{SYN}"})

    return clusters


def _malls_and_depots(
    layout: Layout, core: list[int], clusters: list[tuple[int, int]], rng: np.random.Generator
) -> list[int]:
    """Plant malls by the biggest clusters and express depots; return the courier offices' nodes."""
    osm = layout.osm
    xs, ys = layout.osm.xs, layout.osm.ys
    # malls next to the six biggest clusters
    for m, (centre, _size) in enumerate(clusters[: PLANTED_POIS["mall"]]):
        x0, y0 = xs[centre - 1] + 40, ys[centre - 1] + 40
        osm.area(
            [(x0, y0), (x0 + 140, y0), (x0 + 140, y0 + 90), (x0, y0 + 90)],
            {"building": "retail", "shop": "mall", "name": f"Demo Mall {m + 1}{SYN}"},
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
                "name": f"Demo Parcel Depot {d + 1}{SYN}",
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
                "name": f"Demo Courier Office {d + 1:02d}{SYN}",
            },
        )
    return depots


def _residential_areas(layout: Layout, rng: np.random.Generator) -> int:
    """Plant residential areas on one-kilometre blocks; return how many the OSM data holds."""
    osm = layout.osm
    # residential areas: 60 one-kilometre blocks plus the villages
    blocks = sorted(
        {(i - i % ART, j - j % ART) for (i, j) in layout.lattice if i + ART < NX and j + ART < NY}
    )
    blocks = [
        b
        for b in blocks
        if all((b[0] + a, b[1] + c) in layout.lattice for a in (1, ART - 1) for c in (1, ART - 1))
    ]
    chosen = sorted(int(i) for i in rng.choice(len(blocks), size=60, replace=False))
    for r, bi in enumerate(chosen):
        i, j = blocks[bi]
        x0 = LAT_X0 + STEP * i + 40
        y0 = LAT_Y0 + STEP * j + 40
        w = STEP * ART - 80
        osm.area(
            [(x0, y0), (x0 + w, y0), (x0 + w, y0 + w), (x0, y0 + w)],
            {"landuse": "residential", "name": f"Demo Residential Block {r + 1:02d}{SYN}"},
        )
    return sum(1 for _ids, t in osm.ways if t.get("landuse") == "residential")


def _amenities(
    layout: Layout, core: list[int], core_local: list[int], rng: np.random.Generator
) -> None:
    """Plant community centres, toilets, fuel stations and parkings."""
    osm = layout.osm
    for n_c, n in enumerate(
        _pick_spread(core_local, PLANTED_POIS["community_centre"], 900.0, layout, rng)
    ):
        osm.node(
            *_near(layout, n, rng),
            {"amenity": "community_centre", "name": f"Demo Community Centre {n_c + 1:02d}{SYN}"},
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
        (-4500.0, corridor_y(-4500.0) + 40),
        (2500.0, corridor_y(2500.0) - 40),
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
                "name": f"Demo Truck Fuel {f + 1}{SYN}",
            },
        )
    for f, n in enumerate(
        _pick_spread(core, PLANTED_POIS["fuel"] - len(hgv_fuel), 1500.0, layout, rng)
    ):
        osm.node(
            *_near(layout, n, rng, 30.0), {"amenity": "fuel", "name": f"Demo Fuel {f + 1}{SYN}"}
        )

    # parking: two truck parkings are areas (park, service area); four truck lots on G999
    for p, x in enumerate((-5500.0, 1500.0, 5500.0, 9300.0)):
        osm.node(
            x,
            corridor_y(x) - 60,
            {
                "amenity": "parking",
                "hgv": "designated",
                "parking": "surface",
                "name": f"Demo G999 Truck Lot {p + 1}{SYN}",
            },
        )
    n_car = PLANTED_POIS["parking"] - PLANTED_TRUCK_PARKING
    for p, n in enumerate(_pick_spread(core, n_car, 700.0, layout, rng)):
        osm.node(
            *_near(layout, n, rng, 30.0),
            {
                "amenity": "parking",
                "parking": "underground" if p % 3 == 0 else "surface",
                "name": f"Demo Parking {p + 1:02d}{SYN}",
            },
        )


def _stations(
    layout: Layout, core: list[int], rng: np.random.Generator
) -> list[tuple[str, str, str, str, float, float]]:
    """Place the existing stations: worker stations (west and centre only) and driver homes."""
    xs = layout.osm.xs
    sy = layout.services_xy[1]
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
                f"Demo Worker Station W{s + 1:02d} ({label}){SYN}",
                "worker_station",
                hours,
                x,
                y,
            )
        )
    stations.append(
        (
            "D01",
            f"Demo Driver Home D01 (logistics park){SYN}",
            "driver_home",
            "24/7",
            -2215.0,
            -8485.0,
        )
    )
    stations.append(
        (
            "D02",
            f"Demo Driver Home D02 (G999 service area){SYN}",
            "driver_home",
            "06:00-23:00",
            -8440.0,
            sy + 20,
        )
    )
    return stations
