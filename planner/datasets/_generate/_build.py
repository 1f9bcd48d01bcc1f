"""The generator's driver: roads, places, agents, then the files' bytes."""

from __future__ import annotations

import bz2
from pathlib import Path

import numpy as np

from planner.datasets._generate._agents import (
    World,
    fixes,
    sim_courier,
    sim_ride_hailing,
    sim_rider,
    sim_truck,
    truck_od,
)
from planner.datasets._generate._files import csv_bytes, iso_time, lonlat_str, readme
from planner.datasets._generate._pois import plant_pois
from planner.datasets._generate._region import (
    AGENTS,
    DEFAULT_SEED,
    FILES,
    FIX_INTERVAL_S,
    OSM_FILE,
    README_FILE,
    STATIONS_FILE,
    STOPS_FILE,
    TRACES_FILE,
    TRUCK_OD_FILE,
    xy_to_lonlat,
)
from planner.datasets._generate._roads import build_roads
from planner.datasets._generate._routing import Router, Stop, Track

_BZ2_LEVEL = 9


def build(seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    layout = build_roads(rng)
    places = plant_pois(layout, rng)
    osm = layout.osm
    xs, ys = np.array(osm.xs), np.array(osm.ys)
    ebike = Router.build(osm, "ebike")
    car = Router.build(osm, "car")
    truck = Router.build(osm, "truck")
    drop = np.array(
        sorted(n - 1 for n in layout.local_nodes if abs(xs[n - 1]) < 7000 and ys[n - 1] > -5000),
        dtype=np.int64,
    )
    drop = drop[np.isin(drop, ebike.nodes)]
    clusters = sorted(c - 1 for c, _ in places.clusters)
    world = World(
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
    od = truck_od(world, rng)
    services = osm.index[(round(-8800.0 + 100, 2), round(layout.services_xy[1], 2))]
    depots = [n - 1 for n in places.courier_depots]

    def emit(aid: str, group: str, track: Track, windows: list[tuple[float, float]]) -> None:
        t, x, y = fixes(track, windows, FIX_INTERVAL_S[group], rng)
        lon, lat = xy_to_lonlat(x, y)
        lines.extend(
            f"{aid},{group},{iso_time(float(ti))},{lo:.6f},{la:.6f}"
            for ti, lo, la in zip(t.tolist(), lon.tolist(), lat.tolist(), strict=True)
        )

    for a in range(AGENTS["rider"]):
        aid = f"R{a + 1:03d}"
        emit(aid, "rider", *sim_rider(aid, world, rng, stops))
    for a in range(AGENTS["courier"]):
        aid = f"C{a + 1:03d}"
        emit(aid, "courier", *sim_courier(aid, depots[a % len(depots)], world, rng, stops))
    for a in range(AGENTS["ride-hailing"]):
        aid = f"H{a + 1:03d}"
        emit(aid, "ride-hailing", *sim_ride_hailing(aid, world, rng, city, stops))
    for a in range(AGENTS["truck"]):
        aid = f"T{a + 1:03d}"
        emit(aid, "truck", *sim_truck(aid, world, rng, od, services, stops))

    stop_rows = []
    for aid, group, kind, t0, t1, x, y in stops:
        lo, la = lonlat_str(x, y)
        stop_rows.append(f"{aid},{group},{kind},{iso_time(t0)},{iso_time(t1)},{lo},{la}")
    st_rows = []
    for sid, name, kind, hours, x, y in places.stations:
        lo, la = lonlat_str(x, y)
        st_rows.append(f"{sid},{name},{kind},{hours},{lo},{la}")
    od_rows = []
    for o, d, n in od:
        on, onode = layout.zones[o]
        dn, dnode = layout.zones[d]
        olo, ola = lonlat_str(xs[onode - 1], ys[onode - 1])
        dlo, dla = lonlat_str(xs[dnode - 1], ys[dnode - 1])
        od_rows.append(f"{o},{on},{olo},{ola},{d},{dn},{dlo},{dla},{n}")
    counts = {k: sum(1 for s in stops if s[2] == k) for k in sorted({s[2] for s in stops})}
    return {
        OSM_FILE: bz2.compress(osm.xml(), _BZ2_LEVEL),
        STATIONS_FILE: csv_bytes("station_id,name,kind,hours,lon,lat", st_rows),
        TRACES_FILE: bz2.compress(csv_bytes("driver_id,group,time,lon,lat", lines), _BZ2_LEVEL),
        STOPS_FILE: bz2.compress(
            csv_bytes("driver_id,group,kind,start,end,lon,lat", stop_rows), _BZ2_LEVEL
        ),
        TRUCK_OD_FILE: csv_bytes(
            "origin,origin_name,origin_lon,origin_lat,destination,destination_name,"
            "destination_lon,destination_lat,trucks_per_day",
            od_rows,
        ),
        README_FILE: readme(seed, n_fixes=len(lines), stop_counts=counts).encode("utf-8"),
    }


def generate(out_dir: str | Path, *, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the synthetic demo region files into ``out_dir``; return their paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = build(seed)
    paths = {}
    for name in FILES:
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(data[name])
        tmp.replace(out / name)
        paths[name] = out / name
    return paths
