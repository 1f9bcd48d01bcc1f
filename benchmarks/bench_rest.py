"""Benchmark: rest-interval driver homes on a province-sized synthetic corridor network.

Usage: ``python benchmarks/bench_rest.py [--quick] [--no-exact] [--no-baseline]``

The instance is built here, seeded (``numpy.random.default_rng(2024)``), no files:

* 64 cities on a jittered 8 x 8 grid 130 km apart (a province of ~1,000 km square);
  corridors join grid neighbours and one diagonal per cell, driven at 75 km/h;
* 2,400 candidate sites (``--quick``: 600) gathered at 600 places (``--quick``:
  150: towns, interchanges, service areas) at uniform random points of the
  corridors, each site within 1 km of its place; 30 of them existing driver homes;
* 100,000 routes (``--quick``: 10,000): origin and destination cities drawn by a
  gravity rule, the fastest corridor path between them, plus 0-45 min of access
  driving without sites at each end; routes of 2-14 h are kept; 1-100 trucks a day;
* a rest every 4 hours, candidates passed by at least 30 trucks a day.

``--uniform`` spreads the sites uniformly along the corridors instead (a harder
instance: no two sites share their windows, and the LP bound is ~3% above the optimum).

Printed: for p = 100 built over 5 phases of 20 (each phase keeping the earlier ones),
per phase and in total, the old fast solver (greedy with partial window credit +
swaps, ``solver="greedy"``) as the baseline, the fast solver (value, proven bound,
gap, seconds) and the exact solver (value, bound, status, seconds) with the fast
value's share of the proven optimum. When ``data/province`` is present (the embedded
synthetic province), its truck OD table is routed on its network, its driver-home
candidates matched to the routes, and the same table printed for it.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.locate import RestIntervalCoverage  # noqa: E402

SPEED_KMH = 75.0


def corridor_province(
    *,
    n_routes: int = 100_000,
    n_sites: int = 2_400,
    n_existing: int = 30,
    grid: int = 8,
    spacing_km: float = 130.0,
    places: int | None = 600,
    seed: int = 2024,
) -> dict[str, Any]:
    """Build the synthetic province instance: positions, lengths, volumes, existing sites.

    Returns
    -------
    dict
        ``positions`` (sparse route x site, hours from the origin), ``lengths``
        (hours), ``volumes``, ``existing`` (site columns), ``n_edges``.
    """
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(grid), np.arange(grid))
    xy = np.c_[gx.ravel(), gy.ravel()] * spacing_km + rng.normal(0, 18, (grid * grid, 2))
    n_c = grid * grid
    pop = rng.lognormal(0.0, 0.8, n_c)
    edges = []
    for i in range(grid):
        for j in range(grid):
            a = i * grid + j
            if j + 1 < grid:
                edges.append((a, a + 1))
            if i + 1 < grid:
                edges.append((a, a + grid))
            if i + 1 < grid and j + 1 < grid:
                edges.append((a, a + grid + 1) if rng.random() < 0.5 else (a + 1, a + grid))
    e = np.asarray(edges)
    hours = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T) * rng.uniform(1.05, 1.25, len(e)) / SPEED_KMH
    n_e = len(e)
    # sites along corridors: corridor k, offset (hours from its first city); with `places`,
    # the sites gather at that many places (towns, interchanges, service areas), each
    # site within 1 km of its place
    if places is None:
        site_edge = rng.choice(n_e, n_sites, p=hours / hours.sum())
        site_off = rng.uniform(0, hours[site_edge])
    else:
        place_edge = rng.choice(n_e, places, p=hours / hours.sum())
        place_off = rng.uniform(0, hours[place_edge])
        at = rng.choice(places, n_sites)
        site_edge = place_edge[at]
        site_off = np.clip(place_off[at] + rng.uniform(-1, 1, n_sites) / SPEED_KMH, 0, None)
        site_off = np.minimum(site_off, hours[site_edge])
    graph = sp.csr_array(
        (np.r_[hours, hours], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n_c, n_c)
    )
    dist, pred = shortest_path(graph, directed=False, return_predecessors=True)
    edge_id = {(int(a), int(b)): k for k, (a, b) in enumerate(e)}
    by_edge = [np.flatnonzero(site_edge == k) for k in range(n_e)]
    by_edge = [s[np.argsort(site_off[s])] for s in by_edge]
    # origin-destination pairs by a gravity rule, routes 2-14 h (access legs added below)
    grav = np.outer(pop, pop) / np.maximum(dist, 1.0) ** 1.2
    np.fill_diagonal(grav, 0.0)
    pair = rng.choice(n_c * n_c, 3 * n_routes, p=(grav / grav.sum()).ravel())
    acc_o = rng.uniform(0, 0.75, pair.size)
    acc_d = rng.uniform(0, 0.75, pair.size)
    length = dist.ravel()[pair] + acc_o + acc_d
    ok = (length >= 2.0) & (length <= 14.0)
    pair, acc_o, acc_d, length = (
        pair[ok][:n_routes],
        acc_o[ok][:n_routes],
        acc_d[ok][:n_routes],
        (length[ok][:n_routes]),
    )
    # pass templates per OD pair: sites and hours from the origin city
    templates: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for q in np.unique(pair):
        o, d = divmod(int(q), n_c)
        path = [d]
        while path[-1] != o:
            path.append(int(pred[o, path[-1]]))
        path.reverse()
        cols, pos, clock = [], [], 0.0
        for a, b in itertools.pairwise(path):
            k = edge_id.get((a, b), edge_id.get((b, a)))
            assert k is not None
            s = by_edge[k]
            off = site_off[s] if (a, b) in edge_id else hours[k] - site_off[s][::-1]
            cols.append(s if (a, b) in edge_id else s[::-1])
            pos.append(clock + off)
            clock += hours[k]
        templates[int(q)] = (np.concatenate(cols), np.concatenate(pos))
    counts = np.array([templates[int(q)][0].size for q in pair])
    rows = np.repeat(np.arange(pair.size), counts)
    cols = np.concatenate([templates[int(q)][0] for q in pair])
    pos = np.concatenate([templates[int(q)][1] for q in pair]) + np.repeat(acc_o, counts)
    positions = sp.coo_array((pos, (rows, cols)), shape=(pair.size, n_sites))
    existing = rng.choice(n_sites, n_existing, replace=False)
    volumes = rng.integers(1, 101, pair.size).astype(np.float64)
    return {
        "positions": positions,
        "lengths": length,
        "volumes": volumes,
        "existing": existing,
        "n_edges": n_e,
    }


def legacy_fast(model: RestIntervalCoverage, *, seconds: float) -> float:
    """The fast solver before issue 19 (the baseline): greedy with partial window credit + swaps.

    Kept here, verbatim in method, to measure it in the same run: greedy on the
    full route windows (credit ``v_r / unmet windows`` per window met), then for
    each chosen site the 25 best-scored replacements tried by a full evaluation,
    until no swap helps or ``seconds`` have passed. Returns the served volume
    (existing sites included).
    """
    win = model.windows
    n_c = win.cand_cols.size
    n_routes = model.lengths.size
    wt_matrix = win.WT
    const = float(model.volumes[win.by_existing].sum())

    def credit(base: np.ndarray) -> np.ndarray:
        served = model._served(base)
        needs = win.servable & ~win.by_existing & ~served
        unmet = (win.W @ base.astype(np.float64) <= 0) & needs[win.win_route]
        n_unmet = np.bincount(win.win_route[unmet], minlength=n_routes)
        wt = np.where(
            unmet, model.volumes[win.win_route] / np.maximum(n_unmet[win.win_route], 1), 0
        )
        return np.asarray(wt_matrix @ wt)

    chosen = np.zeros(n_c, dtype=bool)
    for _ in range(int(model.p or 0)):
        score = credit(chosen)
        score[chosen] = -np.inf
        j = int(np.argmax(score))
        if not np.isfinite(score[j]) or score[j] <= 0:
            break
        chosen[j] = True
    value = model._value(chosen)
    deadline = time.perf_counter() + seconds
    in_any = np.diff(wt_matrix.indptr) > 0
    for _ in range(20):
        improved = False
        for s in np.flatnonzero(chosen):
            if time.perf_counter() > deadline:
                return const + value
            base = chosen.copy()
            base[s] = False
            score = credit(base)
            score[base | ~in_any] = -np.inf
            score[s] = -np.inf
            best_v, best_t = value, -1
            for t in np.argsort(-score)[:25]:
                if not np.isfinite(score[t]):
                    break
                trial = base.copy()
                trial[t] = True
                v = model._value(trial)
                if v > best_v + 1e-9 * max(1.0, best_v):
                    best_v, best_t = v, int(t)
            if best_t >= 0:
                chosen = base
                chosen[best_t] = True
                value = best_v
                improved = True
        if not improved:
            break
    return const + value


def run_phases(
    label: str,
    model: RestIntervalCoverage,
    phases: list[int],
    *,
    exact: bool,
    baseline: bool,
    exact_limit: float = 600.0,
) -> None:
    """Solve ``phases`` with the old fast, the fast and the exact solver; print the table."""
    print(f"\n{label}: p = {sum(phases)} over {len(phases)} phases of {phases[0]}")
    print(
        "phase windows s |   old fast   s |      fast     bound    gap      s |     exact     "
        "bound status         s | fast/opt  old/opt"
    )
    existing = model.existing.copy()
    totals = {"windows": 0.0, "old": 0.0, "fast": 0.0, "exact": 0.0}
    for k, n_new in enumerate(phases, start=1):
        m = model._with(existing=existing, p=n_new)
        t = time.perf_counter()
        _ = m.windows  # built once per phase (both solvers use them), timed apart
        t_win = time.perf_counter() - t
        totals["windows"] += t_win
        old, t_old = (math.nan, 0.0)
        if baseline:
            t = time.perf_counter()
            old = legacy_fast(m, seconds=60.0)
            t_old = time.perf_counter() - t
        t = time.perf_counter()
        fast = m.solve(solver="fast", time_limit=60)
        t_fast = time.perf_counter() - t
        row = (
            f"{k:5d} {t_win:9.1f} | {old:10,.0f} {t_old:3.0f} | "
            f"{fast.objective:9,.0f} {fast.bound:9,.0f} {fast.gap:6.2%} {t_fast:6.1f} |"
        )
        chosen = fast
        if exact:
            t = time.perf_counter()
            ex = m.solve(solver="exact", time_limit=exact_limit)
            t_ex = time.perf_counter() - t
            # a fast value's share of the optimum, or at least of the exact bound
            opt = ex.objective if ex.status == "optimal" else ex.bound
            row += (
                f" {ex.objective:9,.0f} {ex.bound:9,.0f} {ex.status:10s} {t_ex:6.1f} |"
                f" {fast.objective / opt:8.3%} {old / opt:8.3%}"
            )
            totals["exact"] += t_ex
            chosen = ex
        totals["old"] += t_old
        totals["fast"] += t_fast
        print(row, flush=True)
        existing = existing.copy()
        existing[m.site_index.get_indexer(chosen.selected)] = True
    print(
        f"seconds in total: windows {totals['windows']:.1f}, old fast {totals['old']:.1f}, "
        f"fast {totals['fast']:.1f}, exact {totals['exact']:.1f} (each phase continues from "
        "the exact plan when it ran; without proven optimum, */opt is a share of the bound)"
    )


def province_model() -> tuple[RestIntervalCoverage, int] | None:
    """The embedded synthetic province (``data/province``): OD table routed, sites from OSM.

    Candidates are its driver-home sites by tag (HGV fuel, service and rest
    areas, logistics land, truck parks), existing sites its ``stations.csv``.
    Returns the model (rest every 4 h, >= 30 trucks a day) and the sites per
    phase (20, or a tenth of the candidates when fewer), or None without the data.
    """
    folder = ROOT / "data" / "province"
    osm = folder / "province.osm.bz2"
    if not osm.is_file():
        print(f"\n(no embedded province at {folder.name}; skipped)")
        return None
    import geopandas as gpd
    import pandas as pd

    from planner.candidates import driver_home_candidates
    from planner.network import network_from_osm
    from planner.routes import route_od

    t0 = time.perf_counter()
    net = network_from_osm(osm, modes=["truck"])
    flows = route_od(pd.read_csv(folder / "truck_od.csv"), net)
    cands = driver_home_candidates(osm)
    stations = pd.read_csv(folder / "stations.csv")
    homes = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(stations["lon"], stations["lat"]),
        index=stations["station_id"].astype(str),
        crs="EPSG:4326",
    )
    sites = pd.concat([cands[["geometry"]], homes])
    inc = flows.site_incidence(sites)
    n_cand = len(cands)
    per_phase = max(1, min(20, n_cand // 10))
    model = RestIntervalCoverage.from_matrix(
        inc.matrix("position_h"),
        lengths=inc.route_lengths("h"),
        interval=4.0,
        p=per_phase,
        volumes=flows.routes["volume"].to_numpy(),
        existing=list(homes.index),
        min_volume=30,
        site_index=sites.index,
    )
    print(
        f"\nembedded province: {len(flows):,} routes, {n_cand:,} candidates + {len(homes)} "
        f"existing homes, routed and matched in {time.perf_counter() - t0:.1f} s"
    )
    return model, per_phase


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--uniform", action="store_true", help="sites spread uniformly (harder)")
    parser.add_argument("--no-exact", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--exact-limit", type=float, default=600.0, help="seconds per phase")
    parser.add_argument("--no-province", action="store_true", help="skip data/province")
    args = parser.parse_args()
    n_routes = 10_000 if args.quick else 100_000
    n_sites = 600 if args.quick else 2_400
    places = None if args.uniform else (150 if args.quick else 600)
    phases = [4] * 5 if args.quick else [20] * 5
    print(f"cores: {os.cpu_count()}")
    # warm-up: load the compiled kernels once (as in any session that has solved before)
    small = corridor_province(n_routes=300, n_sites=60, places=None)
    warm = RestIntervalCoverage.from_matrix(
        small["positions"], lengths=small["lengths"], interval=4.0, p=3, volumes=small["volumes"]
    )
    warm.solve(solver="exact")
    warm.solve(solver="fast")
    t0 = time.perf_counter()
    inst = corridor_province(n_routes=n_routes, n_sites=n_sites, places=places)
    print(
        f"instance built in {time.perf_counter() - t0:.1f} s: {n_routes:,} routes, {n_sites:,} "
        f"sites ({'uniform' if places is None else f'at {places} places'}), "
        f"{inst['positions'].nnz:,} passes"
    )
    t0 = time.perf_counter()
    model = RestIntervalCoverage.from_matrix(
        inst["positions"],
        lengths=inst["lengths"],
        interval=4.0,
        p=phases[0],
        volumes=inst["volumes"],
        existing=inst["existing"],
        min_volume=30,
    )
    win = model.windows
    prob, _ = model.reduced()
    print(
        f"windows built in {time.perf_counter() - t0:.1f} s: {win.n_windows:,} route windows "
        f"({win.W.nnz:,} non-zeros) -> {prob.D.shape[0]:,} distinct windows; "
        f"{int((win.servable & ~win.by_existing).sum()):,} routes needing a stop -> "
        f"{prob.G.shape[0]:,} merged"
    )
    run_phases(
        "synthetic corridor province", model, phases,
        exact=not args.no_exact, baseline=not args.no_baseline, exact_limit=args.exact_limit,
    )  # fmt: skip
    got = None if args.no_province else province_model()
    if got is not None:
        run_phases(
            "embedded synthetic province", got[0], [got[1]] * 5,
            exact=not args.no_exact, baseline=not args.no_baseline, exact_limit=args.exact_limit,
        )  # fmt: skip


if __name__ == "__main__":
    main()
