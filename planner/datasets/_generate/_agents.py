"""The demo day of riders, couriers, ride-hailing drivers and trucks, and their GPS fixes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.datasets._generate._osmxml import OsmData
from planner.datasets._generate._pois import Places
from planner.datasets._generate._region import HALF_M
from planner.datasets._generate._roads import Layout
from planner.datasets._generate._routing import Router, Stop, Track


@dataclass
class World:
    osm: OsmData
    layout: Layout
    places: Places
    xs: np.ndarray
    ys: np.ndarray
    ebike: Router
    car: Router
    truck: Router
    signals: set[int]  # osm ids
    drop_nodes: np.ndarray  # graph indices of residential drop-off nodes
    fwd: dict[int, tuple[np.ndarray, np.ndarray]]
    bwd: dict[int, tuple[np.ndarray, np.ndarray]]


def _leg(world: World, router: Router, src: int, dst: int, limit: float = np.inf) -> list[int]:
    _d, p = router.tree(src, limit=limit)
    if p[dst] < 0 and src != dst:
        _d, p = router.tree(src)
    return Router.path(p, src, dst)


def sim_rider(
    aid: str, world: World, rng: np.random.Generator, stops: list[Stop]
) -> tuple[Track, list[tuple[float, float]]]:
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
    track = Track.at(shifts[0][0], home, w.xs, w.ys)
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
                    Router.path(w.bwd[c][1], u, c, reverse=True),
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
            track.go(Router.path(w.fwd[c][1], c, d1), w.ebike, scale, w.xs, w.ys, w.signals, rng)
            t0, t1 = track.stay(rng.uniform(60, 300))
            stops.append((aid, "rider", "dropoff", t0, t1, track.x[-1], track.y[-1]))
            if rng.uniform() < 0.3:
                dd, pp = w.ebike.tree(d1, limit=600)
                dn = dd[w.drop_nodes]
                cand = w.drop_nodes[(dn >= 60) & (dn <= 500)]
                if len(cand):
                    d2 = int(cand[rng.integers(len(cand))])
                    track.go(Router.path(pp, d1, d2), w.ebike, scale, w.xs, w.ys, w.signals, rng)
                    t0, t1 = track.stay(rng.uniform(60, 300))
                    stops.append((aid, "rider", "dropoff", t0, t1, track.x[-1], track.y[-1]))
            if not took_break and track.now > (s0 + s1) / 2 and rng.uniform() < 0.6:
                took_break = True
                t0, t1 = track.stay(rng.uniform(900, 2400))
                stops.append((aid, "rider", "break", t0, t1, track.x[-1], track.y[-1]))
        windows.append((s0, track.now))
    return track, windows


def sim_courier(
    aid: str, depot: int, world: World, rng: np.random.Generator, stops: list[Stop]
) -> tuple[Track, list[tuple[float, float]]]:
    w = world
    scale = 5.0 / rng.uniform(3.3, 4.4)  # 12-16 km/h
    start = 1800 + rng.uniform(0, 1800)
    track = Track.at(start, depot, w.xs, w.ys)
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


def sim_ride_hailing(
    aid: str, world: World, rng: np.random.Generator, city: np.ndarray, stops: list[Stop]
) -> tuple[Track, list[tuple[float, float]]]:
    w = world
    scale = 1.0 / rng.uniform(0.9, 1.1)
    start = rng.uniform(0, 7200)
    end = start + rng.uniform(8, 10) * 3600
    track = Track.at(start, int(city[rng.integers(len(city))]), w.xs, w.ys)
    took_break = False
    while track.now < end:
        cur = track.node
        dist = np.hypot(w.xs[city] - w.xs[cur], w.ys[city] - w.ys[cur])
        pick = city[(dist > 300) & (dist < 2000)]
        pu = int(pick[rng.integers(len(pick))])
        _d, p = w.car.tree(cur)
        track.go(Router.path(p, cur, pu), w.car, scale, w.xs, w.ys, w.signals, rng)
        t0, t1 = track.stay(rng.uniform(60, 180))
        stops.append((aid, "ride-hailing", "pickup", t0, t1, track.x[-1], track.y[-1]))
        dist = np.hypot(w.xs[city] - w.xs[pu], w.ys[city] - w.ys[pu])
        dests = city[(dist > 2000) & (dist < 8000)]
        do = int(dests[rng.integers(len(dests))])
        _d, p = w.car.tree(pu)
        track.go(Router.path(p, pu, do), w.car, scale, w.xs, w.ys, w.signals, rng)
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


def truck_od(world: World, rng: np.random.Generator) -> list[tuple[str, str, int]]:
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


def sim_truck(
    aid: str,
    world: World,
    rng: np.random.Generator,
    od: list[tuple[str, str, int]],
    services: int,
    stops: list[Stop],
) -> tuple[Track, list[tuple[float, float]]]:
    w = world
    zones = {z: n - 1 for z, (_name, n) in w.layout.zones.items()}
    weights = np.array([r[2] for r in od], dtype=float)
    first = od[int(rng.choice(len(od), p=weights / weights.sum()))]
    start = rng.uniform(3600, 14 * 3600)
    track = Track.at(start, zones[first[0]], w.xs, w.ys)
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


def fixes(
    track: Track, windows: list[tuple[float, float]], interval: int, rng: np.random.Generator
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
