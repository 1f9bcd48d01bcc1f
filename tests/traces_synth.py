"""Synthetic GPS traces with planted stops (shared by tests and benchmarks/bench_demand.py).

Drivers alternate between driving (5 m/s on straight lines, with short stops at
traffic lights of under 3 minutes) and planted stops of 8–40 minutes at sites on
a jittered grid 600 m apart. Fixes are sampled every ``interval_s`` seconds
(per-fix jitter) with Gaussian GPS noise. Everything is drawn from
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

ORIGIN_LON, ORIGIN_LAT = 116.35, 39.95  # Beijing
UTM = "EPSG:32650"


def planted_traces(
    *,
    n_drivers: int = 40,
    stops_per_driver: int = 6,
    n_sites: int = 25,
    interval_s: tuple[float, float] = (5.0, 30.0),
    noise_m: float = 8.0,
    seed: int = 0,
    shuffle: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return ``(fixes, planted_stops, sites)``.

    ``fixes``: driver, time, lon, lat (shuffled rows when ``shuffle``).
    ``planted_stops``: driver, site, x, y, lon, lat, start, end (one row per stop).
    ``sites``: site, x, y, lon, lat (metric coordinates in UTM zone 50N).
    """
    rng = np.random.default_rng(seed)
    to_metric = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    to_lonlat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    ox, oy = to_metric.transform(ORIGIN_LON, ORIGIN_LAT)
    side = int(np.ceil(np.sqrt(n_sites)))
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    sx = ox + gx.ravel()[:n_sites] * 600.0 + rng.uniform(-50, 50, n_sites)
    sy = oy + gy.ravel()[:n_sites] * 600.0 + rng.uniform(-50, 50, n_sites)
    day0 = np.datetime64("2024-05-01T07:00:00", "s").astype(np.int64)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ts: list[np.ndarray] = []
    ds: list[np.ndarray] = []
    stops: list[tuple[int, int, float, float, float, float]] = []
    speed = 5.0
    for d in range(n_drivers):
        dt = rng.uniform(*interval_s)
        # waypoints: start somewhere, then the stop sites (consecutive ones differ)
        sites = [int(rng.integers(n_sites))]
        while len(sites) < stops_per_driver:
            s = int(rng.integers(n_sites))
            if s != sites[-1]:
                sites.append(s)
        px, py = sx[sites[0]] + rng.uniform(-1500, 1500), sy[sites[0]] + rng.uniform(-1500, 1500)
        t = float(day0 + rng.uniform(0, 3600 * 3))
        seg_t: list[np.ndarray] = []
        seg_x: list[np.ndarray] = []
        seg_y: list[np.ndarray] = []
        for s in sites:
            tx, ty = sx[s], sy[s]
            dist = float(np.hypot(tx - px, ty - py))
            travel = dist / speed
            light_at = rng.uniform(0.2, 0.8) * travel
            light = rng.uniform(30, 170)  # a traffic light, under 3 minutes
            n = max(int((travel + light) / dt), 1)
            tt = t + np.arange(n) * dt
            rel = tt - t
            moved = np.where(
                rel < light_at, rel, np.where(rel < light_at + light, light_at, rel - light)
            )
            frac = np.clip(moved / travel, 0, 1) if travel > 0 else np.ones(n)
            seg_t.append(tt)
            seg_x.append(px + frac * (tx - px))
            seg_y.append(py + frac * (ty - py))
            t = t + travel + light
            stay = rng.uniform(8, 40) * 60.0
            m = max(int(stay / dt), 2)
            st = t + np.arange(m) * dt
            seg_t.append(st)
            seg_x.append(np.full(m, tx))
            seg_y.append(np.full(m, ty))
            stops.append((d, s, tx, ty, st[0], st[-1]))
            t = st[-1] + dt
            px, py = tx, ty
        # drive away at the end
        ang = rng.uniform(0, 2 * np.pi)
        n = int(900 / dt)
        tt = t + np.arange(n) * dt
        seg_t.append(tt)
        seg_x.append(px + np.cos(ang) * speed * (tt - t))
        seg_y.append(py + np.sin(ang) * speed * (tt - t))
        tcat = np.concatenate(seg_t)
        jitter = rng.uniform(-0.2, 0.2, len(tcat)) * dt
        ts.append(tcat + jitter)
        xs.append(np.concatenate(seg_x) + rng.normal(0, noise_m, len(tcat)))
        ys.append(np.concatenate(seg_y) + rng.normal(0, noise_m, len(tcat)))
        ds.append(np.full(len(tcat), d))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    lon, lat = to_lonlat.transform(x, y)
    seconds = np.concatenate(ts)
    fixes = pd.DataFrame(
        {
            "driver_id": np.array([f"d{d:05d}" for d in range(n_drivers)])[np.concatenate(ds)],
            "time": pd.to_datetime(np.round(seconds * 1000).astype(np.int64), unit="ms"),
            "lon": lon,
            "lat": lat,
        }
    )
    if shuffle:
        fixes = fixes.iloc[rng.permutation(len(fixes))].reset_index(drop=True)
    planted = pd.DataFrame(stops, columns=["driver", "site", "x", "y", "start", "end"])
    planted["driver"] = [f"d{d:05d}" for d in planted["driver"]]
    planted["lon"], planted["lat"] = to_lonlat.transform(
        planted["x"].to_numpy(), planted["y"].to_numpy()
    )
    planted["start"] = pd.to_datetime(np.round(planted["start"] * 1000).astype(np.int64), unit="ms")
    planted["end"] = pd.to_datetime(np.round(planted["end"] * 1000).astype(np.int64), unit="ms")
    slon, slat = to_lonlat.transform(sx, sy)
    sites_df = pd.DataFrame(
        {"site": np.arange(n_sites), "x": sx, "y": sy, "lon": slon, "lat": slat}
    )
    return fixes, planted, sites_df


def li_stays_reference(
    driver: np.ndarray,
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    d_max: float,
    t_min: float,
    max_gap: float | None = None,
) -> list[tuple[int, int]]:
    """Li et al. (2008) in plain Python on fixes sorted by driver and time: (first, last) pairs."""
    out: list[tuple[int, int]] = []
    n = len(t)
    i = 0
    while i < n:
        j = i + 1
        while j < n and driver[j] == driver[i]:
            if max_gap is not None and t[j] - t[j - 1] > max_gap:
                break
            if (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2 > d_max * d_max:
                break
            j += 1
        if t[j - 1] - t[i] >= t_min:
            out.append((i, j - 1))
            i = j
        else:
            i += 1
    return out
