"""Access matrices: network travel times from demand points to sites, up to a cutoff.

An :class:`AccessMatrix` is the sparse demand × site matrix that the rest of
planner works from (coverage, siting models). Entry ``(i, j)`` is the travel time
in **seconds** from demand point ``i`` to site ``j`` when it is at most the cutoff;
pairs farther apart are not stored. A stored ``0.0`` is a real time (a demand
point at a site), never "no entry": explicit zeros are kept.

The time rule
-------------
Points are snapped to the nearest node of the mode's network
(:meth:`planner.network.RoadNetwork.snap`). The straight-line snap distance of
each end is walked/ridden at the mode's ``access_speed_kmh``, so::

    time(i, j) = access_s(i) + network_s(node(i) -> node(j)) + access_s(j)

and the pair is stored when ``time(i, j) <= cutoff_s``. ``network_s`` is the
exact shortest-path time on the mode's directed network (one-way streets bind).

How it is computed
------------------
Sites are usually fewer than demand points, so shortest paths run *from the
sites on the reversed network*, each search stopping at the cutoff less the
site's and the smallest demand access time. A compiled kernel
(:mod:`planner._dijkstra`, numba) runs the searches in chunks of sites: a
Dijkstra with a 4-ary heap on the CSR arrays that touches only the nodes it
reaches and emits (demand point, time) pairs straight away, so no dense row per
source and no dense demand × site array is ever built: peak memory is about
2.2 times the sparse result. Distances are summed along paths as scipy and networkx sum
them, so the times are theirs bit for bit. Sites sharing a node share a search.

The kernel releases the GIL, so chunks run on ``n_jobs`` threads of this
process, sharing the graph and the results without copies, or on a Dask
cluster (``scheduler``, whose workers need planner installed); results are
identical, bit for bit, whatever the chunking.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner._access_engine import check_cutoff_s, node_access_matrix, node_nearest
from planner._access_matrix import AccessMatrix, is_number
from planner._errors import InputError
from planner._node_access import NodeAccess
from planner.network import RoadNetwork, SnapResult

logger = logging.getLogger(__name__)

__all__ = [
    "AccessMatrix",
    "NodeAccess",
    "access_by_node",
    "access_matrix",
    "nearest_sites",
    "node_access_matrix",
    "node_nearest",
]

PointsLike = Any  # GeoDataFrame | GeoSeries | (n, 2) array of WGS84 (lon, lat)


# ============================================================================ the front door


def snap_points(
    network: RoadNetwork,
    points: PointsLike,
    *,
    mode: str,
    max_snap_m: float,
    on_far: Literal["raise", "exclude"],
    label: str,
) -> SnapResult:
    """Snap points for a matrix, raising on far points or flagging them for exclusion."""
    if on_far not in ("raise", "exclude"):
        raise InputError(
            f"on_far must be 'raise' or 'exclude', got {on_far!r}.",
            field="on_far",
            fix="'exclude' leaves far points out and lists them in AccessMatrix.excluded.",
        )
    snap = network.snap(
        points,
        mode=mode,
        max_distance_m=max_snap_m,
        on_far="raise" if on_far == "raise" else "ignore",
        label=label,
    )
    if snap.table.index.has_duplicates:
        dup = snap.table.index[snap.table.index.duplicated()][:5].to_list()
        raise InputError(
            f"{label} has duplicate index labels {dup}; rows and columns of the matrix are "
            "keyed by the input index.",
            file=label,
            fix="reset_index(drop=True) or give each point a unique label.",
        )
    far = int(snap.table["far"].sum())
    if far:
        logger.info(
            "%s: excluded %d of %d points beyond %g m of the %s network",
            label,
            far,
            len(snap.table),
            max_snap_m,
            mode,
        )
    return snap


def access_matrix(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float = 15.0,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    chunk_size: int | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> AccessMatrix:
    """Build the sparse travel-time matrix from demand points to sites, up to a cutoff.

    Both point sets are snapped to the mode's network; each snap distance becomes
    time at the mode's ``access_speed_kmh`` and is added to the network time
    (``time = access(demand) + network + access(site)``); pairs with
    ``time <= cutoff`` are stored, in seconds.

    Parameters
    ----------
    network
        The road network.
    demand, sites
        GeoDataFrames/GeoSeries of points (any CRS), or ``(n, 2)`` arrays of WGS84
        ``(lon, lat)``. Rows and columns are keyed by their indexes.
    mode
        The travel mode's name (it must be one of the network's modes).
    cutoff_min
        The largest travel time kept, in minutes (``> 0``).
    max_snap_m
        Points farther than this from the mode's network are off it.
    on_far
        ``"raise"`` a :class:`~planner.SnapError` naming off-network points, or
        ``"exclude"`` them: they get no row/column and are listed in
        :attr:`AccessMatrix.excluded`.
    chunk_size
        Sites per Dijkstra call (default: automatic, see :func:`node_access_matrix`).
    n_jobs
        Threads working on chunks (``-1``: one per core). The compiled kernel
        releases the GIL, so ``2`` or more run chunks in parallel with no start-up
        or copying cost; the default ``1`` leaves the other cores to the caller.
    scheduler
        A ``dask.distributed.Client`` or scheduler address: run the chunks there
        (same results).
    progress
        Show a progress bar.

    Returns
    -------
    AccessMatrix
        Times in seconds, demand × site.

    Raises
    ------
    InputError
        Empty demand or sites, a cutoff ``<= 0``, duplicate labels.
    SnapError
        Points beyond ``max_snap_m`` with ``on_far="raise"``.
    NetworkError
        A mode the network lacks.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
    >>> am = access_matrix(net, stops, stations, mode="ebike", cutoff_min=15)
    >>> am.shape == (len(stops), len(stations))
    True
    >>> bool((am.matrix.data <= 15 * 60).all())
    True
    """
    started = time.perf_counter()
    cutoff_s, d_snap, s_snap, d_table, s_table = _snapped(
        network,
        demand,
        sites,
        mode=mode,
        cutoff_min=cutoff_min,
        max_snap_m=max_snap_m,
        on_far=on_far,
    )
    matrix = node_access_matrix(
        network.csr(mode),
        d_table["node_index"].to_numpy(),
        s_table["node_index"].to_numpy(),
        cutoff_s=cutoff_s,
        demand_access_s=d_table["access_s"].to_numpy(),
        site_access_s=s_table["access_s"].to_numpy(),
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
    )
    metadata = {
        "network": network.source,
        "max_snap_m": float(max_snap_m),
        "access_speed_kmh": network.mode(mode).access_speed_kmh,
        "excluded_demand": int(d_snap.table["far"].sum()),
        "excluded_sites": int(s_snap.table["far"].sum()),
        "seconds": round(time.perf_counter() - started, 6),
        "rule": "access(demand) + network + access(site) <= cutoff",
    }
    return AccessMatrix(
        matrix,
        d_table.index,
        s_table.index,
        cutoff_s,
        mode,
        d_snap.table,
        s_snap.table,
        metadata,
    )


def _snapped(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float,
    max_snap_m: float,
    on_far: Literal["raise", "exclude"],
) -> tuple[float, SnapResult, SnapResult, pd.DataFrame, pd.DataFrame]:
    """Check the inputs and snap both point sets: cutoff, snaps, and the points kept."""
    network.mode(mode)  # NetworkError naming the modes it has
    cutoff_s = check_cutoff_s(cutoff_min * 60.0 if is_number(cutoff_min) else cutoff_min)
    for label, points in (("demand", demand), ("sites", sites)):
        if _length(points) == 0:
            raise InputError(
                f"{label} is empty: there is nothing to compute.",
                field=label,
                fix=f"pass at least one {label[:-1] if label == 'sites' else label} point.",
            )
    d_snap = snap_points(
        network, demand, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="demand"
    )
    s_snap = snap_points(
        network, sites, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="sites"
    )
    d_table = d_snap.table[~d_snap.table["far"]]
    s_table = s_snap.table[~s_snap.table["far"]]
    for label, table, total in (
        ("demand", d_table, d_snap.table),
        ("sites", s_table, s_snap.table),
    ):
        if len(table) == 0:
            raise InputError(
                f"all {len(total)} {label} points lie beyond {max_snap_m:g} m of the {mode} "
                "network, so none is left.",
                field=label,
                fix="check their coordinates and CRS, or raise max_snap_m.",
            )
    return cutoff_s, d_snap, s_snap, d_table, s_table


def access_by_node(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float = 15.0,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    chunk_size: int | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> NodeAccess:
    """Build the travel times from demand points to sites with one row per demand node.

    The same times as :func:`access_matrix`, bit for bit, held as a matrix over
    the distinct road nodes the demand points snap to plus each point's access
    leg (see :class:`NodeAccess`): memory grows with the network and the sites,
    not with the number of demand points. Use it for hundreds of thousands or
    millions of points; :meth:`NodeAccess.to_matrix` expands it per point.

    Parameters
    ----------
    network, demand, sites, mode, cutoff_min, max_snap_m, on_far
        As in :func:`access_matrix`.
    chunk_size, n_jobs, scheduler, progress
        As in :func:`access_matrix`.

    Returns
    -------
    NodeAccess
        Times in seconds; ``metadata`` holds ``snap_seconds`` and ``matrix_seconds``.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
    >>> na = access_by_node(net, stops, stations, mode="ebike", cutoff_min=15)
    >>> na.n_nodes < len(stops)
    True
    >>> am = access_matrix(net, stops, stations, mode="ebike", cutoff_min=15)
    >>> bool((na.to_matrix().matrix != am.matrix).nnz == 0)
    True
    """
    started = time.perf_counter()
    cutoff_s, d_snap, s_snap, d_table, s_table = _snapped(
        network,
        demand,
        sites,
        mode=mode,
        cutoff_min=cutoff_min,
        max_snap_m=max_snap_m,
        on_far=on_far,
    )
    snapped = time.perf_counter()
    nodes, row_of = np.unique(d_table["node_index"].to_numpy(), return_inverse=True)
    # the demand leg is added per point afterwards: the node rows keep every pair a
    # point with no access leg could use (fl(t + a) >= t for a >= 0)
    matrix = node_access_matrix(
        network.csr(mode),
        nodes,
        s_table["node_index"].to_numpy(),
        cutoff_s=cutoff_s,
        site_access_s=s_table["access_s"].to_numpy(),
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
    )
    done = time.perf_counter()
    metadata = {
        "network": network.source,
        "max_snap_m": float(max_snap_m),
        "access_speed_kmh": network.mode(mode).access_speed_kmh,
        "excluded_demand": int(d_snap.table["far"].sum()),
        "excluded_sites": int(s_snap.table["far"].sum()),
        "demand_nodes": len(nodes),
        "snap_seconds": round(snapped - started, 6),
        "matrix_seconds": round(done - snapped, 6),
        "seconds": round(done - started, 6),
        "rule": "(network + access(site)) per node, + access(demand) per point <= cutoff",
    }
    return NodeAccess(
        matrix,
        np.asarray(row_of, dtype=np.int64).ravel(),
        d_table["access_s"].to_numpy(dtype=np.float64),
        d_table.index,
        s_table.index,
        cutoff_s,
        mode,
        d_snap.table,
        s_snap.table,
        metadata,
    )


def nearest_sites(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float | None = None,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
) -> pd.DataFrame:
    """Return every demand point's nearest site over the network, with no matrix.

    One multi-source Dijkstra (see :func:`node_nearest`), with the time rule of
    :func:`access_matrix`: the answer for "where is the nearest station, however
    far?".

    Parameters
    ----------
    network
        The road network.
    demand, sites
        Points as in :func:`access_matrix`.
    mode
        The travel mode's name.
    cutoff_min
        Ignore sites farther than this (minutes); ``None``: no limit.
    max_snap_m, on_far
        As in :func:`access_matrix`; excluded demand points get no site.

    Returns
    -------
    pandas.DataFrame
        On the demand index: ``site`` (label, missing where none), ``time_s``
        (``NaN`` where none) and ``excluded`` (off the network).

    Examples
    --------
    >>> from planner import datasets
    >>> near = nearest_sites(datasets.demo_network(), datasets.demo_stops(),
    ...                      datasets.demo_stations(), mode="ebike")
    >>> bool(near["time_s"].notna().all())
    True
    """
    network.mode(mode)
    cutoff_s = None
    if cutoff_min is not None:
        cutoff_s = check_cutoff_s(cutoff_min * 60.0 if is_number(cutoff_min) else cutoff_min)
    for label, points in (("demand", demand), ("sites", sites)):
        if _length(points) == 0:
            raise InputError(f"{label} is empty: there is nothing to compute.", field=label)
    d_snap = snap_points(
        network, demand, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="demand"
    ).table
    s_snap = snap_points(
        network, sites, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="sites"
    ).table
    d_ok = ~d_snap["far"].to_numpy()
    s_table = s_snap[~s_snap["far"]]
    column, times = node_nearest(
        network.csr(mode),
        d_snap["node_index"].to_numpy()[d_ok],
        s_table["node_index"].to_numpy(),
        cutoff_s=cutoff_s,
        demand_access_s=d_snap["access_s"].to_numpy()[d_ok],
        site_access_s=s_table["access_s"].to_numpy(),
    )
    site = pd.Series(pd.NA, index=d_snap.index, dtype=object)
    time_s = np.full(len(d_snap), np.nan)
    found = column >= 0
    positions = np.flatnonzero(d_ok)
    site.iloc[positions[found]] = s_table.index[column[found]].to_numpy(dtype=object)
    time_s[positions] = times
    return pd.DataFrame({"site": site, "time_s": time_s, "excluded": ~d_ok}, index=d_snap.index)


def _length(points: Any) -> int:
    try:
        return len(points)
    except TypeError:
        return int(np.asarray(points).size)
