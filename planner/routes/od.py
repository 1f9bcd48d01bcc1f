"""Origin-destination routing: an OD table routed on a travel mode's network.

:func:`route_od` routes an origin-destination table (points, or zones with a
zone table) on a travel mode's network (fastest path, optionally ``k``
alternatives) with bulk Dijkstra from ``scipy.sparse.csgraph``, and returns
:class:`~planner.routes.Flows`.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import csgraph

from planner._errors import InputError, Problem
from planner._progress import tqdm
from planner._validate import points_lonlat
from planner.routes._modes import ModeEdges, mode_edges
from planner.routes.volumes import Flows, assemble_flows

if TYPE_CHECKING:
    from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = ["route_od"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_VOLUME_NAMES = ("trucks_per_day", "volume", "trips_per_day", "trips", "flow", "count")


def _find_volume(od: pd.DataFrame, volume: str | None) -> FloatArray:
    if volume is not None:
        if volume not in od.columns:
            raise InputError(
                f"no volume column {volume!r}; the columns are {[str(c) for c in od.columns]}.",
                field=volume,
                fix="pass volume='<column of trucks per day>'.",
            )
        name: str | None = volume
    else:
        name = next((c for c in _VOLUME_NAMES if c in od.columns), None)
    if name is None:
        return np.ones(len(od))
    vals = pd.to_numeric(od[name], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(vals) | (vals < 0)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{int(bad.sum())} rows have a missing, negative or non-numeric {name!r} "
            f"(rows {rows}).",
            row=rows[0],
            field=name,
            fix="give trucks per day as numbers >= 0.",
        )
    return vals


def _zone_points(zones: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.DataFrame:
    if zones.crs is None:
        raise InputError(
            "zones has no CRS.", field="zones", fix="set it, e.g. zones.set_crs('EPSG:4326')."
        )
    if not zones.index.is_unique:
        raise InputError(
            "zone labels (the zones' index) must be unique.",
            field="zones",
            fix="index the zones by their id.",
        )
    _, lon, lat = points_lonlat(zones, label="zones", polygons="representative")
    return pd.DataFrame({"lon": lon, "lat": lat}, index=zones.index)


def _od_coordinates(
    od: pd.DataFrame,
    zones: gpd.GeoDataFrame | gpd.GeoSeries | None,
    origin: str,
    destination: str,
) -> tuple[FloatArray, FloatArray]:
    cols = {str(c) for c in od.columns}
    names = [f"{origin}_lon", f"{origin}_lat", f"{destination}_lon", f"{destination}_lat"]
    if zones is None and set(names) <= cols:
        o = od[[names[0], names[1]]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        d = od[[names[2], names[3]]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        problems = []
        for what, arr, pair in (("origin", o, names[:2]), ("destination", d, names[2:])):
            bad = (
                ~np.isfinite(arr).all(axis=1) | (np.abs(arr[:, 0]) > 180) | (np.abs(arr[:, 1]) > 90)
            )
            for pos in np.flatnonzero(bad)[:20]:
                problems.append(
                    Problem(
                        f"{what} coordinates {arr[pos].tolist()} are not lon/lat degrees.",
                        row=int(pos) + 1,
                        field=pair[0],
                        fix="give WGS84 longitude and latitude.",
                    )
                )
        if problems:
            raise InputError(problems)
        return o, d
    if zones is None:
        raise InputError(
            f"the OD table has neither coordinate columns {names} nor zone ids with a zone table.",
            field=origin,
            fix="add those columns, or pass zones= (a GeoDataFrame indexed by zone id) "
            f"and zone ids in {origin!r} and {destination!r}.",
        )
    for col in (origin, destination):
        if col not in od.columns:
            raise InputError(
                f"no {col!r} column of zone ids; the columns are {sorted(cols)}.",
                field=col,
                fix="pass origin= / destination= naming the zone id columns.",
            )
    pts = _zone_points(zones)
    problems = []
    out = []
    for col in (origin, destination):
        at = pts.index.get_indexer(pd.Index(od[col]))
        for pos in np.flatnonzero(at < 0)[:20]:
            problems.append(
                Problem(
                    f"zone {od[col].iloc[pos]!r} is not in the zone table.",
                    row=int(pos) + 1,
                    field=col,
                    fix="use zone ids from the zones' index.",
                )
            )
        out.append(pts.to_numpy()[np.maximum(at, 0)])
    if problems:
        raise InputError(problems)
    return out[0], out[1]


def route_od(
    od: pd.DataFrame,
    network: RoadNetwork,
    *,
    mode: str = "truck",
    zones: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    origin: str = "origin",
    destination: str = "destination",
    volume: str | None = None,
    k: int = 1,
    max_snap_m: float = 1000.0,
    progress: bool = False,
) -> Flows:
    """Route an origin-destination table on a travel mode's network (fastest paths).

    Origins and destinations are given as coordinates (columns
    ``<origin>_lon``, ``<origin>_lat``, ``<destination>_lon``,
    ``<destination>_lat`` in WGS84), or as zone ids in the ``origin`` and
    ``destination`` columns with ``zones`` (points or polygons indexed by zone
    id; a polygon's representative point is used). Each end snaps to the
    nearest node open to the mode; an end farther than ``max_snap_m`` (a zone
    off the network), an origin and destination on the same node, and a pair
    without a path are *excluded* and reported in :attr:`Flows.excluded`, not
    raised.

    Parameters
    ----------
    od
        The OD table, one row per pair, with trucks per day in ``volume`` (or a
        column named ``trucks_per_day``, ``volume``, ``trips_per_day``,
        ``trips``, ``flow`` or ``count``; 1 per row if none).
    network
        The road network.
    mode
        Travel mode (default ``"truck"``: roads open to heavy goods vehicles).
    zones
        Zone table when the OD table holds zone ids.
    origin, destination
        Column prefix (coordinates) or column name (zone ids) of the two ends.
    volume
        Column of trucks per day.
    k
        Number of paths per pair: the fastest and ``k - 1`` next fastest
        loopless alternatives (Yen's algorithm via networkx); the pair's volume
        is split equally among them.
    max_snap_m
        Largest distance from an end to the network.
    progress
        Show a progress bar.

    Returns
    -------
    Flows
        One route per routed pair (``k`` per pair with alternatives, keyed by
        ``(od label, alternative)``), with ``origin``, ``destination`` (input
        labels or zone ids where given), ``access_m`` (snap distances of both
        ends) and ``alternative``.

    Raises
    ------
    InputError
        Missing columns, bad coordinates or volumes, unknown zones, or no pair
        that can be routed.

    Examples
    --------
    >>> from planner import datasets
    >>> flows = route_od(datasets.demo_truck_trips(), datasets.demo_network())
    >>> len(flows), len(flows.excluded)
    (20, 0)
    """
    if not isinstance(od, pd.DataFrame):
        raise InputError("od must be a pandas DataFrame.", field="od")
    if int(k) != k or k < 1:
        raise InputError(f"k must be a whole number >= 1, got {k!r}.", field="k")
    if not od.index.is_unique:
        raise InputError(
            "the OD table's index must be unique (it labels the routes).",
            field="od",
            fix="call od.reset_index(drop=True).",
        )
    vols = _find_volume(od, volume)
    o_xy, d_xy = _od_coordinates(od, zones, origin, destination)
    edges = mode_edges(network, mode)
    n_od = len(od)
    so = network.snap(o_xy, mode=mode, max_distance_m=max_snap_m, on_far="ignore", label="origins")
    sd = network.snap(
        d_xy, mode=mode, max_distance_m=max_snap_m, on_far="ignore", label="destinations"
    )
    onode = so.table["node_index"].to_numpy(dtype=np.int64)
    dnode = sd.table["node_index"].to_numpy(dtype=np.int64)
    reasons = np.full(n_od, "", dtype=object)
    o_far = so.table["far"].to_numpy(dtype=bool)
    d_far = sd.table["far"].to_numpy(dtype=bool)
    om = so.table["distance_m"].to_numpy()
    dm = sd.table["distance_m"].to_numpy()
    for i in np.flatnonzero(o_far | d_far):
        parts = []
        if o_far[i]:
            parts.append(f"origin {om[i]:,.0f} m off the {mode} network")
        if d_far[i]:
            parts.append(f"destination {dm[i]:,.0f} m off the {mode} network")
        reasons[i] = (
            "; ".join(parts) + f" (limit {max_snap_m:,.0f} m: check the coordinates and their "
            "datum, or raise max_snap_m)"
        )
    same = (onode == dnode) & (reasons == "")
    reasons[same] = "origin and destination snap to the same node"
    ok = reasons == ""
    paths: dict[int, list[IntArray]] = {}
    todo = np.flatnonzero(ok)
    uniq = np.unique(onode[todo])
    chunk = 64
    bar = tqdm(total=todo.size, desc="routing", disable=not progress, unit="pair")
    graph_nx = None
    for start in range(0, uniq.size, chunk):
        src = uniq[start : start + chunk]
        dist, pred = csgraph.dijkstra(edges.csr_time, indices=src, return_predecessors=True)
        row_of = {int(s): i for i, s in enumerate(src)}
        mine = todo[np.isin(onode[todo], src)]
        for i in mine:
            row = row_of[int(onode[i])]
            t = int(dnode[i])
            if not np.isfinite(dist[row, t]):
                reasons[i] = "no path on the network"
                continue
            seq = [t]
            p = pred[row]
            s0 = int(onode[i])
            while seq[-1] != s0:
                seq.append(int(p[seq[-1]]))
            first = np.asarray(seq[::-1], dtype=np.int64)
            if k == 1:
                paths[int(i)] = [first]
            else:
                if graph_nx is None:
                    graph_nx = _nx_digraph(edges)
                import networkx as nx

                found = itertools.islice(
                    nx.shortest_simple_paths(graph_nx, s0, t, weight="weight"), k
                )
                paths[int(i)] = [np.asarray(a, dtype=np.int64) for a in found]
        bar.update(mine.size)
    bar.close()
    ok = reasons == ""
    if not ok.any():
        shown = ", ".join(f"{od.index[i]!r}: {reasons[i]}" for i in range(min(n_od, 10)))
        raise InputError(
            f"none of the {n_od} OD pairs could be routed on the {mode} network ({shown}).",
            field="od",
            fix="check the coordinates (datum, swapped lon/lat), that the network covers "
            "them, or raise max_snap_m.",
        )
    seqs: list[IntArray] = []
    labels: list[Any] = []
    alt: list[int] = []
    route_vol: list[float] = []
    src_row: list[int] = []
    for i in np.flatnonzero(ok):
        alts = paths[int(i)]
        for a, path_arr in enumerate(alts):
            seqs.append(path_arr)
            label = od.index[int(i)]
            labels.append((label, a) if k > 1 else label)
            alt.append(a)
            route_vol.append(float(vols[i]) / len(alts))
            src_row.append(int(i))
    rows = np.asarray(src_row, dtype=np.int64)
    if k > 1:
        index: pd.Index = pd.MultiIndex.from_tuples(
            labels, names=[od.index.name or "od", "alternative"]
        )
    else:
        index = pd.Index(labels, name=od.index.name)
    extra: dict[str, Any] = {}
    if zones is not None:
        extra["origin"] = od[origin].to_numpy()[rows]
        extra["destination"] = od[destination].to_numpy()[rows]
    extra["alternative"] = np.asarray(alt, dtype=np.int64)
    extra["access_m"] = om[rows] + dm[rows]
    bad = ~ok
    excluded = pd.DataFrame({"reason": reasons[bad]}, index=od.index[bad])
    if bad.any():
        logger.info("route_od: %d of %d OD pairs excluded", int(bad.sum()), n_od)
    return assemble_flows(
        network,
        mode,
        edges,
        seqs,
        np.asarray(route_vol, dtype=np.float64),
        index,
        extra=extra,
        excluded=excluded,
    )


def _nx_digraph(edges: ModeEdges) -> Any:
    import networkx as nx

    g = nx.DiGraph()
    u = edges.keys // edges.n
    v = edges.keys % edges.n
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), edges.time_s.tolist(), strict=True))
    return g
