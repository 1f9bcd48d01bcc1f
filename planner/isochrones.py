"""Service areas (isochrones): the streets within N minutes of each station, as polygons.

A service area is built from the road network itself, not from a hull of nodes:
every edge fully within the time budget is taken whole, the edge at the boundary
is cut at the fraction of it that can still be covered, and the kept lines are
buffered by ``buffer_m`` metres and merged per station (and, on request, for all
stations together).

The time rule is the one of :mod:`planner.access`: by default the area holds the
places *from which the station is reached* within the cutoff (``direction="to"``,
the direction of coverage, so one-way streets count as a rider would ride them);
``direction="from"`` gives the places reached *from* the station. The station's
own snap leg (at the mode's access speed) is taken from the budget and drawn;
the buffer stands in for the last metres off the street at the demand end and
is not timed.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from planner._access_engine import node_access_matrix
from planner._errors import InputError
from planner._isoband import (
    BLOCK_SHIFT,
    band_window,
    line_runs,
    rings_to_geometry,
    trace_band,
    warm_up,
)
from planner.access import snap_points
from planner.crs import WGS84
from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = ["service_areas", "service_areas_and_merged"]


@dataclass(frozen=True)
class _Edges:
    """Edges open to the mode, one per direction of travel.

    Tail and head positions, times (s), metric lines oriented u -> v, their lengths
    (m), and a key shared by the lines that are one street drawn both ways (a band
    needs each street once).
    """

    u: np.ndarray
    v: np.ndarray
    times: np.ndarray
    lines: np.ndarray
    lengths: np.ndarray
    key: np.ndarray


def _edge_lines(network: RoadNetwork, mode: str) -> _Edges:
    travel = network.mode(mode)
    edges = network.edges_gdf()
    times = edges[travel.attr].to_numpy(dtype=float)
    keep = np.isfinite(times)
    edges, times = edges[keep], times[keep]
    position = pd.Index(network.node_ids)
    u = position.get_indexer(edges.index.get_level_values(0))
    v = position.get_indexer(edges.index.get_level_values(1))
    lines = np.asarray(edges.geometry.to_crs(network.crs).to_numpy(), dtype=object)
    # orient every line from u to v
    xy = network.xy  # node coordinates in the metric CRS
    start = shapely.get_point(lines, 0)
    start_xy = np.column_stack([shapely.get_x(start), shapely.get_y(start)])
    flip = np.hypot(*(start_xy - xy[v]).T) < np.hypot(*(start_xy - xy[u]).T)
    if flip.any():
        lines[flip] = shapely.reverse(lines[flip])
    if not travel.oneway:
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        times = np.concatenate([times, times])
        lines = np.concatenate([lines, shapely.reverse(lines)])
    # a two-way street is two edges whose lines are one line reversed: same normal form
    key = np.unique(shapely.to_wkb(shapely.normalize(lines)), return_inverse=True)[1]
    return _Edges(u, v, times, lines, shapely.length(lines), key.astype(np.int64))


@dataclass(frozen=True)
class _Layer:
    """The street lines as flat arrays for the distance-field kernel, with their boxes."""

    xy: np.ndarray  # vertices of every line, line after line
    start: np.ndarray  # line l: xy[start[l]:start[l + 1]]
    cum: np.ndarray  # cumulative length along its line at each vertex (m)
    bounds: np.ndarray  # (lines, 4): minx, miny, maxx, maxy


def _layer(lines: np.ndarray) -> _Layer:
    coords, which = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(which, minlength=len(lines))
    start = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    step = np.hypot(*np.diff(coords, axis=0).T) if len(coords) > 1 else np.empty(0)
    cum = np.zeros(len(coords))
    if len(coords) > 1:
        cum[1:] = np.cumsum(step)
        cum -= np.repeat(cum[start[:-1]], counts)  # restart at 0 on each line
    return _Layer(coords, start, cum, shapely.bounds(lines))


@dataclass(frozen=True)
class _Pieces:
    """Reached pieces of lines, grouped by station: line, from, to (metres along it)."""

    station_start: np.ndarray  # station k: rows station_start[k]:station_start[k + 1]
    whole: np.ndarray  # the whole line (then drawn from the precomputed cells of its street)
    line: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    street_km: np.ndarray  # per station: reached street length, each direction counted
    best: np.ndarray  # per edge: the largest fraction any of the stations reaches


def _reached_pieces(
    reach: sp.csc_array,
    cutoff_s: float,
    edges: _Edges,
    by_anchor: tuple[np.ndarray, np.ndarray],
    direction: str,
    n_keys: int,
) -> _Pieces:
    """Return the reached pieces per station, street km per station, and best fractions.

    The best fraction of an edge is the largest reached by any station.

    ``reach`` holds, per station (column), the time from each reached node (row) to
    the station (``"to"``) or from it (``"from"``), snap leg included.
    "to": a point at fraction f of edge u -> v needs (1 - f) t + T(v) <= cutoff; the
    piece at the v end. "from": T(u) + f t <= cutoff; the piece at the u end.
    """
    ptr, anchored = by_anchor
    n_stations = reach.shape[1]
    station_of_pair = np.repeat(np.arange(n_stations), np.diff(reach.indptr))
    node = reach.indices.astype(np.int64)
    slack = cutoff_s - reach.data
    per_pair = ptr[node + 1] - ptr[node]
    station = np.repeat(station_of_pair, per_pair)
    # the edges at each pair's node: ptr[node] + 0, 1, ... per pair
    offsets = np.arange(per_pair.sum()) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    edge = anchored[np.repeat(ptr[node], per_pair) + offsets]
    t = edges.times[edge]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(t > 0, np.minimum(np.repeat(slack, per_pair) / t, 1.0), 1.0)
    length = edges.lengths[edge]
    street_km = np.bincount(station, weights=fraction * length, minlength=n_stations) / 1000
    best = np.zeros(len(edges.u))
    np.maximum.at(best, edge, fraction)
    # a street reached whole both ways is drawn once
    whole = fraction >= 1.0
    key = np.where(whole, edges.key[edge], -1 - edge)
    _, first = np.unique(station * (n_keys + len(edges.u) + 1) + key, return_index=True)
    keep = np.zeros(len(edge), dtype=bool)
    keep[first] = True
    keep &= fraction > 0
    station, edge, fraction, length = station[keep], edge[keep], fraction[keep], length[keep]
    order = np.argsort(station, kind="stable")
    station, edge, fraction, length = station[order], edge[order], fraction[order], length[order]
    if direction == "to":
        lo, hi = (1.0 - fraction) * length, length
    else:
        lo, hi = np.zeros(len(edge)), fraction * length
    start = np.zeros(n_stations + 1, dtype=np.int64)
    np.cumsum(np.bincount(station, minlength=n_stations), out=start[1:])
    return _Pieces(start, fraction >= 1.0, edge, lo, hi, street_km, best)


def service_areas(
    network: RoadNetwork,
    stations: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    mode: str,
    cutoff_min: float = 15.0,
    buffer_m: float = 25.0,
    direction: Literal["to", "from"] = "to",
    dissolve: bool = False,
    tolerance_m: float = 5.0,
    simplify_m: float | None = None,
    fill_holes_km2: float = 0.0,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    n_jobs: int = 1,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Return the area within a travel time of each station, built from reachable streets.

    One bounded search per station on the compiled access-matrix kernel gives the
    reached nodes (the same rule, and the same nodes, as :func:`planner.access_matrix`
    with the nodes as demand: who is covered comes from the matrix, not from these
    polygons); every edge wholly within the time is taken whole, the edge at the
    boundary is cut at the fraction that can still be covered, and the band within
    ``buffer_m`` of the reached pieces (and of the station's own snap leg) is traced
    as a polygon from a distance field on a grid of ``tolerance_m``: no polygon union
    is run, so 10,000 stations take seconds, not hours.

    Parameters
    ----------
    network
        The road network.
    stations
        Station points (any CRS).
    mode
        The travel mode's name.
    cutoff_min
        The travel time in minutes.
    buffer_m
        Half-width in metres of the band drawn around each reached street.
    direction
        ``"to"``: places from which the station is reached within the cutoff (the
        direction of coverage); ``"from"``: places reached from the station.
    dissolve
        Return one polygon for all stations together (index ``["all"]``): the band
        around every street piece that any station reaches, traced once (exactly the
        union of the stations' areas, without computing them one by one).
    tolerance_m
        Map-scale precision in metres: the grid spacing on which the band's edge is
        traced. Along straight band sides the edge is exact; where bands meet at an
        angle it cuts corners by less than ``tolerance_m``, and openings between
        bands narrower than about ``tolerance_m`` close. With the defaults the areas
        differ from the exact union of buffers by well under 1% of their area.
        Time and memory grow as ``1 / tolerance_m**2``.
    simplify_m
        Then vertices within this many metres of the segment between the kept
        vertices around them are dropped (Douglas-Peucker on each traced ring);
        ``None``: a fiftieth of ``tolerance_m`` (0.1 m by default: a third of the
        vertices, the polygons within 0.05% of the traced ones). ``area_km2`` is the
        area traced before this step. Long sides move by up to ``simplify_m``, so
        coarse values (a map's 10 m) shift areas by about ``simplify_m / buffer_m``;
        a polygon whose rings come to cross is repaired with ``shapely.make_valid``.
    fill_holes_km2
        Fill the holes (and what lies in them) smaller than this many km2 in the
        drawn polygon: the blocks between reached streets, reachable too on foot
        (0: none). ``area_km2`` stays the area of the band, holes left out.
    max_snap_m, on_far
        Snapping limit and what to do with stations beyond it (``"exclude"``
        leaves them out with a log message; ``"raise"`` a SnapError).
    n_jobs
        Threads for the searches and the tracing (``-1``: one per core); the
        kernels and GEOS release the GIL, so ``2`` or more work in parallel.
    progress
        Show a progress bar over stations.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, on the stations' index (or ``"all"``): ``cutoff_min``,
        ``mode``, ``street_km`` (length of the reached streets, each direction
        counted), ``area_km2`` (the traced band's area, in the network's metric
        CRS) and a valid polygon ``geometry`` (empty when the station's snap leg
        alone exceeds the cutoff). Stations at the same place share one trace.
        With ``dissolve``: one row ``"all"`` (``street_km`` NaN), with ``sites``,
        the number of stations within ``max_snap_m``.

    Examples
    --------
    >>> from planner import datasets
    >>> areas = service_areas(datasets.demo_network(), datasets.demo_stations(),
    ...                       mode="ebike", cutoff_min=10)
    >>> bool(areas.is_valid.all())
    True
    """
    frame, merged = _service_areas(
        network,
        stations,
        None,
        per_site=not dissolve,
        merge=dissolve,
        mode=mode,
        cutoff_min=cutoff_min,
        buffer_m=buffer_m,
        direction=direction,
        tolerance_m=tolerance_m,
        simplify_m=simplify_m,
        fill_holes_km2=fill_holes_km2,
        max_snap_m=max_snap_m,
        on_far=on_far,
        n_jobs=n_jobs,
        progress=progress,
    )
    return merged if dissolve else frame


def service_areas_and_merged(
    network: RoadNetwork,
    stations: gpd.GeoDataFrame | gpd.GeoSeries,
    groups: Any,
    *,
    per_site_groups: Collection[Any] | None = None,
    merged_groups: Collection[Any] | None = None,
    **options: Any,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return each station's service area and the merged area of each group of stations.

    The same as :func:`service_areas` per station and :func:`service_areas` with
    ``dissolve=True`` per group, from one street layer, one grid and one search per
    station (a study's existing stations and new sites: the setup is paid once).
    The grid is laid over the network and all the stations given, so a station's
    polygon is the same whichever of these groups are traced in one call.

    Parameters
    ----------
    network, stations
        As for :func:`service_areas`.
    groups
        One label per station (array-like, in the stations' order).
    per_site_groups
        The groups whose stations' own areas are traced (``None``: all); the
        per-station frame holds only their stations.
    merged_groups
        The groups whose merged area is traced (``None``: all).
    **options
        The keyword options of :func:`service_areas` (not ``dissolve``).

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        The per-station frame of :func:`service_areas`, and one row per group that has
        a station within ``max_snap_m`` of the network and is in ``merged_groups``
        (index: the group labels, in order of first appearance), with
        ``cutoff_min``, ``mode``, ``street_km`` (NaN), ``area_km2``, ``sites`` (the
        group's stations within ``max_snap_m``: its rows in a per-station frame)
        and ``geometry``.
    """
    if "dissolve" in options:
        raise InputError("service_areas_and_merged takes no dissolve option.", field="dissolve")
    labels = np.asarray(groups, dtype=object)
    if len(labels) != len(stations):
        raise InputError(
            f"groups has {len(labels)} labels for {len(stations)} stations.",
            field="groups",
            fix="pass one group label per station, in the stations' order.",
        )
    return _service_areas(
        network,
        stations,
        labels,
        per_site=True if per_site_groups is None else frozenset(per_site_groups),
        merge=True if merged_groups is None else frozenset(merged_groups),
        **options,
    )


def _service_areas(
    network: RoadNetwork,
    stations: gpd.GeoDataFrame | gpd.GeoSeries,
    groups: np.ndarray | None,
    *,
    per_site: bool | frozenset[Any],
    merge: bool | frozenset[Any] = True,
    mode: str,
    cutoff_min: float = 15.0,
    buffer_m: float = 25.0,
    direction: Literal["to", "from"] = "to",
    tolerance_m: float = 5.0,
    simplify_m: float | None = None,
    fill_holes_km2: float = 0.0,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    n_jobs: int = 1,
    progress: bool = False,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Trace the per-station areas (``per_site``) and each group's merged area.

    ``groups`` is ``None`` for one group of all stations (index ``"all"``).
    ``per_site`` and ``merge``: for every group (a bool) or for the groups named
    (a set). The per-station frame holds the stations of the groups traced one
    by one; the merged frame a row per group merged (one trace per group: a city
    in about a second).
    """
    from planner._progress import tqdm

    simplify = _check_options(
        cutoff_min=cutoff_min,
        buffer_m=buffer_m,
        tolerance_m=tolerance_m,
        simplify_m=simplify_m,
        fill_holes_km2=fill_holes_km2,
        direction=direction,
        n_jobs=n_jobs,
    )
    threads = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    network.mode(mode)
    if len(stations) == 0:
        raise InputError("stations is empty.", field="stations", fix="pass at least one station.")
    snap = snap_points(
        network, stations, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="stations"
    ).table
    snap = snap[~snap["far"]]
    cutoff_s = float(cutoff_min) * 60.0
    edges = _edge_lines(network, mode)
    graph = network.csr(mode)
    labels = snap.index.to_list()
    metric = stations.geometry.to_crs(network.crs)
    position = pd.Series(np.arange(len(stations)), index=stations.index)
    here = np.column_stack([metric.x.to_numpy(), metric.y.to_numpy()])[
        position.loc[labels].to_numpy()
    ]
    once, copy_of = _places(snap, here)
    nodes = snap["node_index"].to_numpy().astype(np.int64)[once]
    access = snap["access_s"].to_numpy(dtype=float)[once]
    here = here[once]
    # the station's own snap leg: one more line per station, after the streets
    legs = shapely.linestrings(
        np.stack([here, network.xy[nodes]], axis=1).reshape(-1, 2),
        indices=np.repeat(np.arange(len(once)), 2),
    )
    layer = _layer(np.concatenate([edges.lines, legs]))
    warm_up()  # compile the kernels here, never first in two threads at once
    tracer = _Tracer(layer, edges.key, float(buffer_m), float(tolerance_m), simplify)
    min_hole = float(fill_holes_km2) * 1e6
    to_wgs84 = _Projector(network.crs)
    in_time = access <= cutoff_s
    n_edges = len(edges.u)
    search = graph if direction == "to" else graph.reverse()
    kept = position.loc[labels].to_numpy()
    if groups is None:
        code, group_names = np.zeros(len(labels), dtype=np.int64), ["all"]
    else:
        code, uniques = pd.factorize(pd.Series(groups[kept], dtype=object), sort=False)
        group_names = list(uniques)
    members = [np.unique(copy_of[code == g]) for g in range(len(group_names))]
    n_sites = np.bincount(code, minlength=len(group_names))
    one_by_one = [_named(per_site, name) for name in group_names]
    merging = [_named(merge, name) for name in group_names]
    geometries: list[Any] = [shapely.Polygon()] * len(once)
    area = np.zeros(len(once))
    street_km = np.zeros(len(once))
    traced = np.zeros(len(once), dtype=bool)
    merged: list[tuple[Any, float, Any, int]] = []
    with (
        tqdm(total=sum(len(m) for m in members), desc="service areas", disable=not progress) as bar,
        ThreadPoolExecutor(max_workers=threads) if threads > 1 else nullcontext() as pool,
    ):
        for g, mine in enumerate(members):
            if not (one_by_one[g] or merging[g]):
                bar.update(len(mine))
                continue
            best = np.zeros(n_edges)
            for local, pieces in _searches(
                search, edges, nodes[mine], access[mine], cutoff_s, direction, threads=threads
            ):
                cols = mine[local]
                street_km[cols] = pieces.street_km
                np.maximum(best, pieces.best, out=best)
                todo = [k for k in range(len(cols)) if one_by_one[g] and not traced[cols[k]]]

                def one(k: int, cols: np.ndarray = cols, pieces: _Pieces = pieces) -> Any:
                    if not in_time[cols[k]]:
                        return shapely.Polygon(), 0.0
                    rows = slice(pieces.station_start[k], pieces.station_start[k + 1])
                    whole = pieces.whole[rows]
                    part = ~whole
                    leg = n_edges + cols[k]
                    geometry, m2 = tracer.trace(
                        pieces.line[rows][whole],
                        np.append(pieces.line[rows][part], leg),
                        np.append(pieces.lo[rows][part], 0.0),
                        np.append(pieces.hi[rows][part], layer.cum[layer.start[leg + 1] - 1]),
                        min_hole=min_hole,
                    )
                    return to_wgs84(geometry), m2  # in the thread, once per place

                results = pool.map(one, todo) if pool is not None else map(one, todo)
                for k, (geometry, m2) in zip(todo, results, strict=True):
                    geometries[cols[k]] = geometry
                    area[cols[k]] = m2
                    traced[cols[k]] = True
                    bar.update()
                bar.update(len(cols) - len(todo))
            if not merging[g]:
                continue
            # the group's merged band: every street piece any of its stations reaches
            whole = np.flatnonzero(best >= 1.0)
            reached = np.flatnonzero((best > 0) & (best < 1.0))
            length = edges.lengths[reached]
            if direction == "to":
                lo, hi = (1.0 - best[reached]) * length, length
            else:
                lo, hi = np.zeros(len(reached)), best[reached] * length
            leg_ids = n_edges + mine[in_time[mine]]
            union, m2 = tracer.trace(
                whole,
                np.concatenate([reached, leg_ids]),
                np.concatenate([lo, np.zeros(len(leg_ids))]),
                np.concatenate([hi, layer.cum[layer.start[leg_ids + 1] - 1]]),
                min_hole=min_hole,
            )
            merged.append((to_wgs84(union), m2, group_names[g], int(n_sites[g])))
    merged_frame = gpd.GeoDataFrame(
        {
            "cutoff_min": float(cutoff_min),
            "mode": mode,
            "street_km": np.full(len(merged), np.nan),
        },
        geometry=[row[0] for row in merged],
        index=pd.Index([row[2] for row in merged], dtype=object),
        crs=WGS84,
    )
    merged_frame["area_km2"] = np.asarray([row[1] for row in merged], dtype=float) / 1e6
    merged_frame["sites"] = np.asarray([row[3] for row in merged], dtype=np.int64)
    rows = np.asarray([one_by_one[c] for c in code], dtype=bool)
    frame = gpd.GeoDataFrame(
        {"cutoff_min": float(cutoff_min), "mode": mode, "street_km": street_km[copy_of]},
        geometry=np.asarray(geometries, dtype=object)[copy_of],
        index=pd.Index(labels, name=stations.index.name),
        crs=WGS84,
    )
    frame["area_km2"] = area[copy_of] / 1e6
    return frame[rows], merged_frame


def _named(which: bool | frozenset[Any], name: Any) -> bool:
    """Whether group ``name`` is among ``which`` (a bool: every group or none)."""
    return which if isinstance(which, bool) else name in which


def _check_options(
    *,
    cutoff_min: float,
    buffer_m: float,
    tolerance_m: float,
    simplify_m: float | None,
    fill_holes_km2: float,
    direction: str,
    n_jobs: int,
) -> float:
    """Raise InputError on a bad option of :func:`service_areas`; return ``simplify_m``."""
    if not (np.isfinite(cutoff_min) and cutoff_min > 0):
        raise InputError(
            f"the cutoff must be a positive, finite time, got {cutoff_min!r} minutes.",
            field="cutoff_min",
        )
    if not (np.isfinite(buffer_m) and buffer_m > 0):
        raise InputError(
            f"buffer_m must be a positive number of metres, got {buffer_m!r}.", field="buffer_m"
        )
    if not (np.isfinite(tolerance_m) and 0 < tolerance_m <= buffer_m):
        raise InputError(
            f"tolerance_m must be a positive number of metres no larger than buffer_m "
            f"({buffer_m!r}), got {tolerance_m!r}.",
            field="tolerance_m",
            fix="pass e.g. tolerance_m=2 (finer: slower; 1 m is about the width of a line "
            "on a city map).",
        )
    if direction not in ("to", "from"):
        raise InputError(f"direction must be 'to' or 'from', got {direction!r}.", field="direction")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise InputError(
            f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}.",
            field="n_jobs",
        )
    simplify = float(tolerance_m) / 50 if simplify_m is None else float(simplify_m)
    if not (np.isfinite(simplify) and simplify >= 0):
        raise InputError(
            f"simplify_m must be a non-negative number of metres, got {simplify_m!r}.",
            field="simplify_m",
        )
    if not (np.isfinite(fill_holes_km2) and fill_holes_km2 >= 0):
        raise InputError(
            f"fill_holes_km2 must be a non-negative area, got {fill_holes_km2!r}.",
            field="fill_holes_km2",
        )
    return simplify


def _places(snap: pd.DataFrame, here: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the first station at each place, in input order, and each station's place.

    Stations at one place (same point, hence same node and snap time) have the same
    area: it is traced once.
    """
    if len(snap) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    place = np.column_stack([snap["node_index"].to_numpy(dtype=float), snap["access_s"], here])
    _, once, copy_of = np.unique(place, axis=0, return_index=True, return_inverse=True)
    rank = np.argsort(once)
    renumber = np.empty(len(rank), dtype=np.int64)
    renumber[rank] = np.arange(len(rank))
    return once[rank], renumber[copy_of.ravel()]


def _searches(
    search: Any,
    edges: _Edges,
    nodes: np.ndarray,
    access: np.ndarray,
    cutoff_s: float,
    direction: str,
    *,
    threads: int,
) -> Any:
    """Yield, block of stations after block, their positions and reached pieces."""
    anchor = edges.v if direction == "to" else edges.u
    order = np.argsort(anchor, kind="stable")
    by_anchor_ptr = np.zeros(search.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(anchor, minlength=search.n), out=by_anchor_ptr[1:])
    n_keys = int(edges.key.max()) + 1 if len(edges.key) else 0
    block = max(256, 64 * threads)
    for first in range(0, len(nodes), block):
        cols = np.arange(first, min(first + block, len(nodes)))
        reach = sp.csc_array(
            node_access_matrix(
                search,
                np.arange(search.n),
                nodes[cols],
                cutoff_s=cutoff_s,
                site_access_s=access[cols],
                n_jobs=threads,
            )
        )
        yield (
            cols,
            _reached_pieces(reach, cutoff_s, edges, (by_anchor_ptr, order), direction, n_keys),
        )


# largest field traced at once (float64 cells); bigger windows go in overlapping strips
_MAX_CELLS = 16_000_000


class _Tracer:
    """Trace the band within ``width`` of pieces of the layer's lines, on one global grid.

    The grid nodes near each street, with their distances, are computed once
    (shared by every station); streets reached in part, and snap legs, are drawn
    into each station's field directly.
    """

    def __init__(
        self, layer: _Layer, key: np.ndarray, width: float, step: float, simplify: float
    ) -> None:
        self.layer = layer
        self.width = width
        self.step = step
        self.simplify = simplify
        # the field is exact wherever a cell crossing the band's edge can be: within
        # width + one cell diagonal of a piece
        self.reach = width + 1.5 * step
        self.margin = self.reach + 2 * step
        bounds = layer.bounds
        self.gx = float(np.floor(np.nanmin(bounds[:, 0]) - self.margin))
        self.gy = float(np.floor(np.nanmin(bounds[:, 1]) - self.margin))
        self.ncols = int(np.ceil((np.nanmax(bounds[:, 2]) + self.margin - self.gx) / step)) + 1
        self.nrows = int(np.ceil((np.nanmax(bounds[:, 3]) + self.margin - self.gy) / step)) + 1
        n_edges = len(key)
        street = np.unique(key, return_index=True)[1]  # one line per street
        # streets in the order of their block on the grid (row after row of blocks), so
        # that the streets a station reaches are scattered block by block (cache-local)
        box = bounds[street]
        block = np.floor(
            ((box[:, :2] + box[:, 2:]) / 2 - (self.gx, self.gy)) / (step * (1 << BLOCK_SHIFT))
        ).astype(np.int64)
        spatial = np.lexsort((block[:, 0], block[:, 1]))
        self.slot = np.empty(len(street), dtype=np.int64)  # a street's place in that order
        self.slot[spatial] = np.arange(len(street))
        self.key = np.ascontiguousarray(key, dtype=np.int64)
        self.runs = line_runs(
            self.gx,
            self.gy,
            step,
            self.reach,
            (self.nrows, self.ncols),
            layer.xy,
            layer.start[: n_edges + 1],
            street[spatial],
        )
        # the lines as the kernels take them
        self.bounds = np.ascontiguousarray(bounds, dtype=np.float64)
        self.pieces = (
            np.ascontiguousarray(layer.xy, dtype=np.float64),
            np.ascontiguousarray(layer.start, dtype=np.int64),
            np.ascontiguousarray(layer.cum, dtype=np.float64),
            self.bounds,
        )

    def trace(
        self,
        whole: np.ndarray,
        lines: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        *,
        min_hole: float = 0.0,
    ) -> tuple[Any, float]:
        """Return the valid (multi)polygon within ``width`` of the pieces, and its area.

        ``whole``: streets (edge positions) reached whole; ``lines``, ``lo``, ``hi``:
        pieces of lines (edges or legs) from ``lo`` to ``hi`` metres along them. The
        area (m2) is the traced band's, before vertices are dropped and before the
        holes smaller than ``min_hole`` (m2) are filled in the polygon.
        """
        if len(whole) + len(lines) == 0:
            return shapely.Polygon(), 0.0
        step = self.step
        i0, i1, j0, j1, streets = band_window(
            self.bounds, whole, lines, self.slot, self.key, (self.gx, self.gy), step, self.margin
        )
        nx = j1 - j0 + 1
        rows_per_strip = max(16, _MAX_CELLS // nx)
        parts: list[Any] = []
        area = 0.0
        for top in range(i0, i1 + 1, rows_per_strip - 8):
            bottom = min(top + rows_per_strip, i1 + 1)
            # (a side cut off is closed along its outer row)
            coords, starts, rings = trace_band(
                (bottom - top, nx),
                (top, j0),
                self.runs,
                streets,
                (*self.pieces, lines, lo, hi),
                origin=(self.gx + j0 * step, self.gy + top * step),
                step=step,
                reach=self.reach,
                level=self.width,
                simplify=self.simplify,
                cut=(top > i0, bottom <= i1),
            )
            area += float(rings.sum())
            parts.append(rings_to_geometry(coords, starts, rings, min_hole=min_hole))
            if bottom > i1:
                break
        if len(parts) == 1:
            # traced rings never cross; dropping vertices (within ``simplify``) can
            # make close rings touch or cross: then repaired. The check is not
            # redundant: traced rings come within micrometres of each other where
            # crossings lie near one grid node (a saddle, a corner cut), well inside
            # the default ``simplify`` (0.1 m), so no construction guarantee holds
            return _valid(parts[0]), area
        # strips overlap by 8 rows: the rows next to a cut are traced exactly by the
        # neighbouring strip, so the union of the strips is the band
        union = _valid(shapely.union_all(np.asarray(parts, dtype=object)))
        # (the strips' own areas would count the overlaps twice)
        return _fill_holes(union, min_hole), float(union.area)


class _Projector:
    """Metric CRS -> WGS84, as ``GeoSeries.to_crs`` does it, with one transformer per thread.

    (pyproj transformers must not be shared between threads.)
    """

    def __init__(self, crs: Any) -> None:
        self.crs = crs
        self.local = threading.local()

    def __call__(self, geometry: Any) -> Any:
        if geometry.is_empty:
            return geometry
        transformer = getattr(self.local, "transformer", None)
        if transformer is None:
            from pyproj import Transformer

            transformer = Transformer.from_crs(self.crs, WGS84, always_xy=True)
            self.local.transformer = transformer

        def move(xy: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geometry, move)


def _valid(geometry: Any) -> Any:
    if geometry.is_empty or shapely.is_valid(geometry):
        return geometry
    return shapely.make_valid(geometry, method="structure", keep_collapsed=False)


def _fill_holes(geometry: Any, min_hole: float) -> Any:
    """Fill the holes smaller than ``min_hole`` (m2), with whatever lies in them."""
    if min_hole <= 0 or geometry.is_empty:
        return geometry
    parts = list(getattr(geometry, "geoms", [geometry]))
    shells = [shapely.Polygon(p.exterior) for p in parts]
    kept = [
        shapely.Polygon(p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= min_hole])
        for p in parts
    ]
    # a part inside a filled hole of another part is covered by that part now
    out = [
        k
        for i, k in enumerate(kept)
        if not any(
            j != i and shells[j].contains(shells[i]) and kept[j].contains(k)
            for j in range(len(kept))
        )
    ]
    return out[0] if len(out) == 1 else shapely.MultiPolygon(out)
