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
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from planner._errors import InputError
from planner.access import snap_points
from planner.crs import WGS84
from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = ["service_areas"]

_CHUNK = 64


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


def _reached_parts(
    dist: np.ndarray, budget: float, edges: _Edges, direction: str
) -> tuple[list[Any], float]:
    """Return the pieces of edges within ``budget`` seconds of one station, and their length.

    Each street is drawn once; the length (m) counts each direction reached.
    """
    # "to": a point at fraction f of edge u -> v needs (1 - f) t + d(v); keep the v end.
    # "from": it is reached at d(u) + f t; keep the u end.
    anchor = dist[edges.v] if direction == "to" else dist[edges.u]
    reached = np.flatnonzero(anchor <= budget)
    if len(reached) == 0:
        return [], 0.0
    slack = budget - anchor[reached]
    t = edges.times[reached]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(t > 0, np.minimum(slack / t, 1.0), 1.0)
    whole = fraction >= 1.0
    length = float(edges.lengths[reached[whole]].sum())
    # whole streets reached both ways are drawn once
    first = np.unique(edges.key[reached[whole]], return_index=True)[1]
    parts = list(edges.lines[reached[whole]][first])
    for line, frac in zip(edges.lines[reached[~whole]], fraction[~whole], strict=True):
        if frac <= 0:
            continue
        if direction == "to":
            part = shapely.ops.substring(line, 1.0 - frac, 1.0, normalized=True)
        else:
            part = shapely.ops.substring(line, 0.0, frac, normalized=True)
        parts.append(part)
        length += float(shapely.length(part))
    return parts, length


def service_areas(
    network: RoadNetwork,
    stations: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    mode: str,
    cutoff_min: float = 15.0,
    buffer_m: float = 25.0,
    direction: Literal["to", "from"] = "to",
    dissolve: bool = False,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    n_jobs: int = 1,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Return the area within a travel time of each station, built from reachable streets.

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
        Return one polygon for all stations together (index ``["all"]``).
    max_snap_m, on_far
        Snapping limit and what to do with stations beyond it (``"exclude"``
        leaves them out with a log message; ``"raise"`` a SnapError).
    n_jobs
        Threads merging the bands of different stations (``-1``: one per core);
        GEOS releases the GIL, so ``2`` or more work in parallel.
    progress
        Show a progress bar over stations.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, on the stations' index (or ``"all"``): ``cutoff_min``,
        ``mode``, ``street_km`` (length of the reached streets, each direction
        counted), ``area_km2`` and a valid polygon ``geometry`` (empty when the
        station's snap leg alone exceeds the cutoff).

    Examples
    --------
    >>> from planner import datasets
    >>> areas = service_areas(datasets.demo_network(), datasets.demo_stations(),
    ...                       mode="ebike", cutoff_min=10)
    >>> bool(areas.is_valid.all())
    True
    """
    from planner._progress import tqdm

    if not (np.isfinite(cutoff_min) and cutoff_min > 0):
        raise InputError(
            f"the cutoff must be a positive, finite time, got {cutoff_min!r} minutes.",
            field="cutoff_min",
        )
    if not (np.isfinite(buffer_m) and buffer_m > 0):
        raise InputError(
            f"buffer_m must be a positive number of metres, got {buffer_m!r}.", field="buffer_m"
        )
    if direction not in ("to", "from"):
        raise InputError(f"direction must be 'to' or 'from', got {direction!r}.", field="direction")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise InputError(
            f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}.",
            field="n_jobs",
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
    search = (graph.reverse() if direction == "to" else graph).to_scipy()
    station_xy = np.column_stack(
        [
            stations.geometry.to_crs(network.crs).x.to_numpy(),
            stations.geometry.to_crs(network.crs).y.to_numpy(),
        ]
    )
    station_pos = pd.Series(np.arange(len(stations)), index=stations.index)
    xy = network.xy  # node coordinates in the metric CRS

    bands: list[Any] = []  # per station: a geometry, or a future of one
    street_km = []
    labels = snap.index.to_list()
    budgets = cutoff_s - snap["access_s"].to_numpy()
    nodes = snap["node_index"].to_numpy()
    with (
        tqdm(total=len(labels), desc="service areas", disable=not progress) as bar,
        ThreadPoolExecutor(max_workers=threads) if threads > 1 else nullcontext() as pool,
    ):
        for start in range(0, len(labels), _CHUNK):
            stop = min(start + _CHUNK, len(labels))
            limit = float(max(budgets[start:stop].max(), 0.0))
            dist = csgraph.dijkstra(search, directed=True, indices=nodes[start:stop], limit=limit)
            for k in range(stop - start):
                budget = budgets[start + k]
                if budget < 0:
                    bands.append(shapely.Polygon())
                    street_km.append(0.0)
                    bar.update()
                    continue
                parts, length_m = _reached_parts(dist[k], budget, edges, direction)
                # the station's own snap leg
                node_xy = xy[nodes[start + k]]
                here = station_xy[station_pos[labels[start + k]]]
                parts.append(shapely.LineString([here, node_xy]))
                street_km.append(length_m / 1000)
                if pool is None:
                    bands.append(_band(parts, buffer_m))
                    bar.update()
                else:
                    future = pool.submit(_band, parts, buffer_m)
                    future.add_done_callback(lambda _: bar.update())
                    bands.append(future)
        geometries = [band.result() if isinstance(band, Future) else band for band in bands]
    index = pd.Index(labels, name=stations.index.name)
    frame = gpd.GeoDataFrame(
        {"cutoff_min": float(cutoff_min), "mode": mode, "street_km": street_km},
        geometry=geometries,
        index=index,
        crs=network.crs,
    )
    if dissolve:
        union = _valid(shapely.union_all(np.asarray(geometries, dtype=object)))
        frame = gpd.GeoDataFrame(
            {"cutoff_min": [float(cutoff_min)], "mode": [mode], "street_km": [np.nan]},
            geometry=[union],
            index=pd.Index(["all"]),
            crs=network.crs,
        )
    frame["area_km2"] = frame.geometry.area / 1e6
    return frame.to_crs(WGS84)


def _band(parts: list[Any], buffer_m: float) -> Any:
    """Buffer each line and merge the bands, as a valid polygon.

    Much faster than buffering one collection of lines (GEOS nodes the whole
    collection first); GEOS releases the GIL, so threads can band several stations.
    """
    lines = np.asarray(parts, dtype=object)
    return _valid(shapely.union_all(shapely.buffer(lines, buffer_m)))


def _valid(geometry: Any) -> Any:
    if geometry.is_empty or shapely.is_valid(geometry):
        return geometry
    return shapely.make_valid(geometry)
