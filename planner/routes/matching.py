"""GPS map matching: traces cleaned and matched to network paths.

:func:`match_traces` cleans GPS traces (duplicates, teleports above a plausible
speed, long gaps split into trips) and map-matches each trip to a network path
with a hidden Markov model (Newson & Krumm 2009): candidate edges within a
radius of each fix (an STRtree on edge segments), emission by the distance to
the edge, transition by how far the network distance between consecutive
candidates departs from the straight-line distance between the fixes (bounded
multi-source Dijkstra on the network's CSR arrays, in the compiled kernel of
:mod:`planner.routes._match_kernel`), Viterbi. A :class:`MapMatcher` prepares a
network once for many batches of traces.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from planner._errors import InputError, Problem
from planner._progress import tqdm
from planner._validate import points_lonlat
from planner.crs import WGS84
from planner.io import parse_timestamps
from planner.routes._modes import ModeEdges, edge_segments, mode_edges, nearest_edges, ranges
from planner.routes.volumes import Flows, assemble_flows

if TYPE_CHECKING:
    from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = ["MapMatcher", "MatchResult", "match_traces"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MatchResult:
    """GPS traces cleaned and matched to network paths.

    Attributes
    ----------
    points
        One row per input point, on the input's index: ``trip`` (trip id, NA
        for dropped points), ``status`` (``"matched"``, ``"duplicate"``,
        ``"teleport"``, ``"unmatched"`` (no edge within the radius),
        ``"short_trip"`` (a trip of one point)), ``u``, ``v`` (OSM ids of the
        matched edge) and ``distance_m`` (from the fix to the matched edge).
    trips
        One row per trip: ``driver``, ``start``, ``end``, ``points``,
        ``matched_points``, ``breaks`` (times the HMM had to restart because no
        network path joined two fixes), ``excluded`` (why the trip has no path),
        and what the path spans: ``span`` (``"first to last fix"``,
        ``"origin to last fix"``, ``"first fix to destination"`` or
        ``"origin to destination"``), ``start_added_m`` and ``end_added_m``
        (metres of fastest path added to reach the known origin or destination;
        negative where the matched first or last edge was cut back to it).
    flows
        The matched paths as :class:`Flows`, one route per trip (volume
        ``trip_volume``), with the ``span`` columns of :attr:`trips`.

    Notes
    -----
    A matched path runs from the start of the first fix's edge to the end of
    the last fix's edge. What the truck drove before its first fix and after
    its last one is not in the traces: with a fix every 30 s that is up to
    half a kilometre at each end, so a path of ``span == "first to last fix"``
    is shorter than the trip. Pass ``origins=`` / ``destinations=`` to
    :func:`match_traces` to extend the paths to known trip ends.
    """

    points: pd.DataFrame
    trips: pd.DataFrame
    flows: Flows | None


def _clean(
    frame: pd.DataFrame,
    *,
    max_speed_ms: float,
    max_gap_s: float,
    max_drop: int,
    slack_m: float,
) -> tuple[NDArray[np.object_], IntArray]:
    """Status per point (in frame order, frame sorted by driver and time) and trip number."""
    n = len(frame)
    status = np.full(n, "matched", dtype=object)
    trip = np.full(n, -1, dtype=np.int64)
    drv = frame["_driver"].to_numpy()
    t = frame["_t"].to_numpy(dtype=np.float64)
    x = frame["_x"].to_numpy(dtype=np.float64)
    y = frame["_y"].to_numpy(dtype=np.float64)
    trip_no = -1
    last = -1
    dropped = 0
    for i in range(n):
        new_driver = i == 0 or drv[i] != drv[i - 1]
        if new_driver:
            trip_no += 1
            trip[i] = trip_no
            last, dropped = i, 0
            continue
        dt = t[i] - t[last]
        dist = math.hypot(x[i] - x[last], y[i] - y[last])
        if (dt <= 0 and dist < 1.0) or dt <= 0:
            status[i] = "duplicate"
            continue
        if dt > max_gap_s:
            trip_no += 1
            trip[i] = trip_no
            last, dropped = i, 0
            continue
        if dist > max_speed_ms * dt + slack_m:
            if dropped < max_drop:
                status[i] = "teleport"
                dropped += 1
                continue
            # the device really moved: start a new trip here
            trip_no += 1
            trip[i] = trip_no
            last, dropped = i, 0
            continue
        trip[i] = trip_no
        last, dropped = i, 0
    return status, trip


@dataclass(frozen=True)
class _MatchGraph:
    """The mode's edges as CSR arrays for the compiled matcher (edge j = CSR position j)."""

    indptr: IntArray
    indices: IntArray
    length_m: FloatArray
    time_s: FloatArray
    tail: IntArray


class MapMatcher:
    """A road network prepared for map matching, to match many batches of traces.

    Holds the mode's edges cut into straight segments with a spatial index
    (STRtree) and as CSR arrays for the compiled matcher; :func:`match_traces`
    builds one per call unless given one.

    Parameters
    ----------
    network
        The road network.
    mode
        The travel mode whose edges the traces may follow.

    Examples
    --------
    >>> from planner import datasets
    >>> matcher = MapMatcher(datasets.demo_network(modes=["truck"]))
    >>> traces = datasets.demo_traces(groups=["truck"])
    >>> first = match_traces(traces.head(200), matcher)
    >>> second = match_traces(traces.tail(200), matcher)
    >>> len(first.points) + len(second.points)
    400
    """

    def __init__(self, network: RoadNetwork, *, mode: str = "truck") -> None:
        self.network = network
        self.mode = mode
        self.edges = mode_edges(network, mode)
        self.segs = edge_segments(network, mode, self.edges)
        e = self.edges
        tail = (e.keys // e.n).astype(np.int64)
        # the mode's edges are sorted by (tail, head): edge j is CSR position j
        self.csr = _MatchGraph(
            indptr=np.searchsorted(tail, np.arange(e.n + 1)).astype(np.int64),
            indices=(e.keys % e.n).astype(np.int64),
            length_m=np.ascontiguousarray(e.length_m, dtype=np.float64),
            time_s=np.ascontiguousarray(e.time_s, dtype=np.float64),
            tail=tail,
        )

    def __repr__(self) -> str:
        return f"MapMatcher({self.segs.edge.size:,} segments, mode={self.mode!r})"


def match_traces(
    traces: pd.DataFrame,
    network: RoadNetwork | MapMatcher,
    *,
    mode: str | None = None,
    driver: str = "driver_id",
    time: str = "time",
    sigma_m: float = 10.0,
    radius_m: float = 60.0,
    max_candidates: int = 6,
    beta_m: float = 60.0,
    tau_s: float | None = 10.0,
    max_speed_kmh: float = 150.0,
    max_gap_s: float = 600.0,
    trip_volume: float = 1.0,
    origins: pd.DataFrame | None = None,
    destinations: pd.DataFrame | None = None,
    end_snap_m: float = 500.0,
    workers: int = 1,
    progress: bool = False,
) -> MatchResult:
    """Clean GPS traces, split them into trips and map-match each trip to a network path.

    Cleaning, per driver in time order: a fix at the same time as the previous
    one is a ``duplicate``; a fix that would need more than ``max_speed_kmh``
    from the last kept fix (beyond ``5 * sigma_m`` of GPS noise) is a ``teleport`` and
    dropped (after three teleports
    in a row the device is taken to have moved and a new trip starts); a gap
    longer than ``max_gap_s`` starts a new trip. Unsorted input is sorted by
    driver and time; fixes of different drivers are never joined.

    Matching is a hidden Markov model (Newson & Krumm 2009): the states of a
    fix are the (at most ``max_candidates``) edges open to ``mode`` within
    ``radius_m``; emission ``-0.5 (d / sigma_m)^2`` for a fix ``d`` metres from
    the edge; transition ``-|route - straight| / beta_m - max(0, drive - dt) /
    tau_s`` where ``route`` is the length of the fastest network path between
    the two projected positions, ``straight`` the distance between the fixes,
    ``drive`` that path's free-flow driving time and ``dt`` the time between
    the fixes: a path the truck could not have driven in the time is unlikely
    (this tells a main road from the side road beside it). Paths come from a
    compiled Dijkstra on the mode's edges from each candidate's end node,
    driving at most ``2 * straight + 2 * radius_m + 200`` metres and stopping
    once the next fix's candidates are reached. The most likely sequence
    (Viterbi) is joined into a node path by the same fastest paths between
    consecutive matches. Where no path joins two fixes the chain restarts
    (counted in ``breaks``) and the two parts are joined by the fastest path
    without a length limit.

    A matched path spans the fixes only: from the start of the first fix's
    edge to the end of the last fix's edge (column ``span`` says
    ``"first to last fix"``). Known trip ends extend it: ``origins`` and
    ``destinations`` give, per driver, the point where the driver's first trip
    began and where the last one ended; the end snaps to the nearest node open
    to ``mode`` (within ``end_snap_m``) and the path is joined to it by the
    fastest path (or cut back to it when it lies on the first or last matched
    edge). ``start_added_m`` / ``end_added_m`` say how much was added.

    Parameters
    ----------
    traces
        GPS points: a (Geo)DataFrame with ``driver`` and ``time`` columns and
        WGS84 point geometry (as :func:`planner.read_traces` returns) or
        ``lon``/``lat`` columns. Times are datetimes or seconds.
    network
        The road network, or a :class:`MapMatcher` prepared once for many calls.
    mode
        The travel mode whose edges the traces may follow (default ``"truck"``,
        or the matcher's mode).
    driver, time
        Column names.
    sigma_m
        GPS noise (standard deviation, metres).
    radius_m
        Search radius for candidate edges.
    max_candidates
        Candidate edges kept per fix (nearest first).
    beta_m
        Scale of the transition penalty (metres).
    tau_s
        Scale of the penalty on driving time beyond the time between the fixes
        (seconds); ``None`` leaves time out (distance only, as Newson & Krumm).
    max_speed_kmh
        Fixes implying a faster jump are teleports.
    max_gap_s
        A longer gap between fixes starts a new trip.
    trip_volume
        Volume given to each matched trip in :attr:`MatchResult.flows`
        (e.g. ``1 / days observed`` for trucks per day).
    origins, destinations
        Known trip ends, indexed by driver id (as in the ``driver`` column):
        point geometry (any CRS) or ``lon``/``lat`` columns in WGS84. The
        origin extends the driver's first trip, the destination the last.
        Drivers not listed keep paths that span their fixes only.
    end_snap_m
        Trip ends farther than this from the network are not used (the
        trip's ``span`` says so).
    workers
        Threads matching trips in parallel (the compiled matcher releases the
        GIL); the result does not depend on it.
    progress
        Show a progress bar.

    Returns
    -------
    MatchResult
        Per-point status and matched edge, per-trip summary, and the paths.

    Raises
    ------
    InputError
        Missing columns, bad times or coordinates, or no point at all.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> traces = datasets.demo_traces(groups=["truck"]).head(300)
    >>> res = match_traces(traces, net)
    >>> bool((res.points["status"] == "matched").mean() > 0.5)
    True
    """
    matcher = network if isinstance(network, MapMatcher) else None
    if matcher is not None:
        if mode is not None and mode != matcher.mode:
            raise InputError(
                f"mode {mode!r} differs from the matcher's mode {matcher.mode!r}.",
                field="mode",
                fix="leave mode out, or prepare a MapMatcher for that mode.",
            )
        mode = matcher.mode
    net = network.network if isinstance(network, MapMatcher) else network
    mode = "truck" if mode is None else mode
    problems: list[Problem] = []
    for name, col in (("driver", driver), ("time", time)):
        if col not in traces.columns:
            problems.append(
                Problem(
                    f"no {name} column {col!r}; the columns are "
                    f"{[str(c) for c in traces.columns]}.",
                    field=col,
                    fix=f"pass {name}='<column>'.",
                )
            )
    if problems:
        raise InputError(problems)
    for name, value in (
        ("sigma_m", sigma_m),
        ("radius_m", radius_m),
        ("beta_m", beta_m),
        ("tau_s", 1.0 if tau_s is None else tau_s),
        ("max_speed_kmh", max_speed_kmh),
        ("max_gap_s", max_gap_s),
    ):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number, got {value!r}.", field=name)
    if len(traces) == 0:
        raise InputError("the traces hold no points.", field="traces")
    if not (np.isfinite(end_snap_m) and end_snap_m > 0):
        raise InputError(
            f"end_snap_m must be a positive number, got {end_snap_m!r}.", field="end_snap_m"
        )
    if int(workers) != workers or workers < 1:
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}.", field="workers")
    index, lon, lat = _trace_lonlat(traces)
    t = _trace_seconds(traces[time])
    bad = ~np.isfinite(t)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{int(bad.sum())} points have no usable time (rows {rows}).",
            row=rows[0],
            field=time,
            fix="give datetimes, or read the file with planner.read_traces.",
        )
    drv = traces[driver]
    if drv.isna().any():
        rows = (np.flatnonzero(drv.isna().to_numpy())[:10] + 1).tolist()
        raise InputError(
            f"{int(drv.isna().sum())} points have no driver id (rows {rows}).",
            row=rows[0],
            field=driver,
            fix="fill in the driver or drop those rows.",
        )
    to_metric = Transformer.from_crs(WGS84, net.crs, always_xy=True)
    x, y = to_metric.transform(lon, lat)
    frame = pd.DataFrame(
        {"_driver": drv.astype(str).to_numpy(), "_t": t, "_x": np.asarray(x), "_y": np.asarray(y)}
    )
    frame["_row"] = np.arange(len(frame))
    if not frame.sort_values(["_driver", "_t"], kind="stable")["_row"].is_monotonic_increasing:
        logger.info("match_traces: points were not sorted by driver and time; sorting them")
    frame = frame.sort_values(["_driver", "_t"], kind="stable").reset_index(drop=True)
    status, trip = _clean(
        frame,
        max_speed_ms=max_speed_kmh / 3.6,
        max_gap_s=max_gap_s,
        max_drop=3,
        slack_m=5.0 * sigma_m,
    )
    prepared = matcher if matcher is not None else MapMatcher(net, mode=mode)
    edges, segs = prepared.edges, prepared.segs
    kept = np.flatnonzero(status == "matched")
    px, py = frame["_x"].to_numpy()[kept], frame["_y"].to_numpy()[kept]
    pt = frame["_t"].to_numpy(dtype=np.float64)[kept]
    cp, ce, cd, co = nearest_edges(segs, px, py, radius_m, int(max_candidates))
    has = np.zeros(kept.size, dtype=bool)
    has[cp] = True
    if kept.size and not has.any():
        nearest = float(
            shapely.distance(
                shapely.points(px[0], py[0]),
                segs.tree.geometries[segs.tree.query_nearest(shapely.points(px[0], py[0]))[0]],
            )
        )
        raise InputError(
            f"none of the {kept.size:,} usable fixes is within radius_m={radius_m:g} m of a "
            f"{mode} road (the first is {nearest:,.0f} m away).",
            field="geometry",
            fix="check that the traces are WGS84 (read GCJ-02/BD-09 files with "
            "planner.read_traces(..., datum='gcj02')), that the network covers them, "
            "or raise radius_m.",
        )
    status[kept[~has]] = "unmatched"
    # candidate lists per kept point
    cstart = np.searchsorted(cp, np.arange(kept.size), side="left")
    cend = np.searchsorted(cp, np.arange(kept.size), side="right")
    kept_trip = trip[kept]
    matched_edge = np.full(len(frame), -1, dtype=np.int64)
    matched_dist = np.full(len(frame), np.nan)
    trip_rows = []
    seqs: list[IntArray] = []
    seq_trip: list[int] = []
    n_trips = int(trip.max()) + 1 if trip.size else 0
    # kept points and rows are in frame order, where trip numbers never decrease
    k_lo = np.searchsorted(kept_trip, np.arange(n_trips), side="left")
    k_hi = np.searchsorted(kept_trip, np.arange(n_trips), side="right")
    in_trip = np.flatnonzero(trip >= 0)
    r_lo = in_trip[np.searchsorted(trip[in_trip], np.arange(n_trips), side="left")]
    r_n = np.bincount(trip[in_trip], minlength=n_trips)
    drivers = frame["_driver"].to_numpy()
    times = frame["_t"].to_numpy(dtype=np.float64)
    # the fixes of each trip that have candidates, in order
    members = np.flatnonzero(cend > cstart)
    m_trip = kept_trip[members]
    per_trip = np.bincount(m_trip, minlength=n_trips)
    matchable = per_trip >= 2
    bar = tqdm(total=kept.size, desc="map matching", disable=not progress, unit="fix")
    results = _match_trips(
        prepared,
        members[matchable[m_trip]],
        m_trip[matchable[m_trip]],
        cstart,
        cend,
        segs.edge_id[ce],
        cd,
        co,
        px,
        py,
        pt,
        sigma=sigma_m,
        beta=beta_m,
        tau=0.0 if tau_s is None else float(tau_s),
        radius=radius_m,
        workers=int(workers),
        bar=bar,
    )
    ends = _trip_ends(net, mode, origins, destinations, drivers, r_lo, end_snap_m)
    for tr in range(n_trips):
        all_members = np.arange(k_lo[tr], k_hi[tr])
        first_row, n_rows = int(r_lo[tr]), int(r_n[tr])
        last_row = int(in_trip[np.searchsorted(in_trip, first_row) + n_rows - 1])
        row_info = {
            "trip": tr,
            "driver": drivers[first_row],
            "start": float(times[first_row]),
            "end": float(times[last_row]),
            "points": n_rows,
            "matched_points": 0,
            "breaks": 0,
            "excluded": "",
            "span": "first to last fix",
            "start_added_m": 0.0,
            "end_added_m": 0.0,
        }
        if not matchable[tr]:
            for m in all_members:
                if status[kept[m]] == "matched":
                    status[kept[m]] = "short_trip"
            row_info["excluded"] = (
                "fewer than two fixes near the net" if per_trip[tr] else "no fix near the net"
            )
            if n_rows == 1:
                row_info["excluded"] = "a single fix"
            trip_rows.append(row_info)
            bar.update(all_members.size)
            continue
        trip_members, choice, breaks, nodes = results[tr]
        matched_edge[kept[trip_members]] = ce[choice]
        matched_dist[kept[trip_members]] = cd[choice]
        row_info["matched_points"] = trip_members.size
        row_info["breaks"] = breaks
        nodes = _drop_small_loops(nodes, edges, 2.0 * radius_m)
        if nodes.size >= 2:
            nodes = _extend_to_ends(nodes, tr, ends, edges, row_info)
        if nodes.size >= 2:
            seqs.append(nodes)
            seq_trip.append(tr)
        else:
            row_info["excluded"] = "the matched path has no edge"
        trip_rows.append(row_info)
    bar.close()
    ids = net.node_ids
    me = matched_edge
    points = pd.DataFrame(
        {
            "trip": pd.array(np.where(trip >= 0, trip, -1), dtype="Int64"),
            "status": status,
            "u": pd.array(np.where(me >= 0, ids[segs.edge_u[np.maximum(me, 0)]], 0), dtype="Int64"),
            "v": pd.array(np.where(me >= 0, ids[segs.edge_v[np.maximum(me, 0)]], 0), dtype="Int64"),
            "distance_m": matched_dist,
        }
    )
    points.loc[me < 0, ["u", "v"]] = pd.NA
    points.loc[trip < 0, "trip"] = pd.NA
    # back to input order by position (input labels may repeat)
    points = points.iloc[np.argsort(frame["_row"].to_numpy(), kind="stable")]
    points.index = index
    trips = pd.DataFrame(trip_rows).set_index("trip") if trip_rows else pd.DataFrame()
    if len(trips):
        for col in ("start", "end"):
            trips[col] = pd.to_datetime(trips[col], unit="s", utc=True)
    flows = None
    if seqs:
        excluded = trips.loc[trips["excluded"] != "", ["excluded"]].rename(
            columns={"excluded": "reason"}
        )
        flows = assemble_flows(
            net,
            mode,
            edges,
            seqs,
            np.full(len(seqs), float(trip_volume)),
            pd.Index(seq_trip, name="trip"),
            extra={
                col: trips.loc[seq_trip, col].to_numpy()
                for col in ("driver", "span", "start_added_m", "end_added_m")
            },
            excluded=excluded,
        )
    return MatchResult(points=points, trips=trips, flows=flows)


@dataclass(frozen=True)
class _Ends:
    """Known trip ends as node positions per trip (-1: none)."""

    origin: IntArray
    destination: IntArray


def _end_nodes(
    net: RoadNetwork, mode: str, table: pd.DataFrame, what: str, end_snap_m: float
) -> dict[str, int]:
    """Driver id -> node position of a table of trip ends (far ones left out)."""
    if not table.index.is_unique:
        dup = table.index[table.index.duplicated()][:5].tolist()
        raise InputError(
            f"{what} must have one row per driver; repeated: {dup}.",
            field=what,
            fix="index the table by driver id, one row each.",
        )
    _, lon, lat = _trace_lonlat(table)
    snapped = net.snap(
        np.column_stack([lon, lat]),
        mode=mode,
        max_distance_m=end_snap_m,
        on_far="ignore",
        label=what,
    )
    node = snapped.table["node_index"].to_numpy(dtype=np.int64)
    far = snapped.table["far"].to_numpy(dtype=bool)
    if far.any():
        logger.info(
            "match_traces: %d %s lie more than %g m from the %s network and are not used",
            int(far.sum()),
            what,
            end_snap_m,
            mode,
        )
    return {str(k): int(n) for k, n, f in zip(table.index, node, far, strict=True) if not f}


def _trip_ends(
    net: RoadNetwork,
    mode: str,
    origins: pd.DataFrame | None,
    destinations: pd.DataFrame | None,
    drivers: NDArray[np.object_],
    first_row: IntArray,
    end_snap_m: float,
) -> _Ends:
    """Find the known origin of each driver's first trip and destination of the last."""
    n_trips = first_row.size
    out = _Ends(np.full(n_trips, -1, np.int64), np.full(n_trips, -1, np.int64))
    trip_driver = drivers[first_row] if n_trips else np.zeros(0, dtype=object)
    first = np.r_[True, trip_driver[1:] != trip_driver[:-1]] if n_trips else np.zeros(0, bool)
    last = np.r_[trip_driver[1:] != trip_driver[:-1], True] if n_trips else np.zeros(0, bool)
    for table, what, mask, arr in (
        (origins, "origins", first, out.origin),
        (destinations, "destinations", last, out.destination),
    ):
        if table is None:
            continue
        nodes = _end_nodes(net, mode, table, what, end_snap_m)
        for tr in np.flatnonzero(mask):
            arr[tr] = nodes.get(str(trip_driver[tr]), -1)
    return out


def _fastest(edges: ModeEdges, src: int, dst: int) -> IntArray | None:
    """Return the fastest node path src -> dst on the mode's edges (None if there is none)."""
    from scipy.sparse import csgraph

    dist, pred = csgraph.dijkstra(edges.csr_time, indices=src, return_predecessors=True)
    if not np.isfinite(dist[dst]):
        return None
    seq = [dst]
    while seq[-1] != src:
        seq.append(int(pred[seq[-1]]))
    return np.asarray(seq[::-1], dtype=np.int64)


def _path_m(edges: ModeEdges, seq: IntArray) -> float:
    if seq.size < 2:
        return 0.0
    at = np.searchsorted(edges.keys, seq[:-1] * edges.n + seq[1:])
    return float(edges.length_m[at].sum())


def _extend_to_ends(
    nodes: IntArray, tr: int, ends: _Ends, edges: ModeEdges, info: dict[str, Any]
) -> IntArray:
    """Join a matched path to its trip's known origin and destination (see match_traces)."""
    o, d = int(ends.origin[tr]), int(ends.destination[tr])
    got_o = got_d = False
    if o >= 0:
        before = _path_m(edges, nodes)
        if nodes[0] == o:
            got_o = True
        elif nodes.size >= 2 and nodes[1] == o:
            nodes, got_o = nodes[1:], True  # began on the first matched edge
        else:
            head = _fastest(edges, o, int(nodes[0]))
            if head is not None:
                hit = np.flatnonzero(head == nodes[1]) if nodes.size >= 2 else np.zeros(0)
                # a head path through the first edge's end: join there (no U-turn)
                nodes = (
                    np.r_[head[: int(hit[0])], nodes[1:]] if hit.size else np.r_[head[:-1], nodes]
                )
                got_o = True
        info["start_added_m"] = _path_m(edges, nodes) - before
    if d >= 0 and nodes.size >= 2:
        before = _path_m(edges, nodes)
        if nodes[-1] == d:
            got_d = True
        elif nodes[-2] == d:
            nodes, got_d = nodes[:-1], True  # ended on the last matched edge
        else:
            tail = _fastest(edges, int(nodes[-1]), d)
            if tail is not None:
                hit = np.flatnonzero(tail == nodes[-2])
                nodes = (
                    np.r_[nodes[:-2], tail[int(hit[-1]) :]] if hit.size else np.r_[nodes, tail[1:]]
                )
                got_d = True
        info["end_added_m"] = _path_m(edges, nodes) - before
    info["span"] = {
        (False, False): "first to last fix",
        (True, False): "origin to last fix",
        (False, True): "first fix to destination",
        (True, True): "origin to destination",
    }[(got_o, got_d)]
    return nodes


def _trace_lonlat(traces: pd.DataFrame) -> tuple[pd.Index, FloatArray, FloatArray]:
    if isinstance(traces, gpd.GeoDataFrame) and traces.geometry.name in traces.columns:
        return points_lonlat(traces, label="traces")
    lower = {str(c).lower(): c for c in traces.columns}
    lon_c = next((lower[c] for c in ("lon", "lng", "longitude", "x") if c in lower), None)
    lat_c = next((lower[c] for c in ("lat", "latitude", "y") if c in lower), None)
    if lon_c is None or lat_c is None:
        raise InputError(
            "the traces have neither point geometry nor lon/lat columns.",
            field="geometry",
            fix="read them with planner.read_traces.",
        )
    lon = pd.to_numeric(traces[lon_c], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(traces[lat_c], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{int(bad.sum())} points have bad coordinates (rows {rows}).",
            row=rows[0],
            field=str(lon_c),
            fix="give WGS84 degrees, or read the file with planner.read_traces.",
        )
    return traces.index, lon, lat


def _trace_seconds(col: pd.Series) -> FloatArray:
    """Return seconds on the fixes' own clock (UTC for zoned times), NaN where unreadable.

    Times are read by :func:`planner.io.parse_timestamps` (the one timestamp
    rule) without a time zone; the caller reports the rows left NaN.
    """
    problems: list[Problem] = []
    parsed = parse_timestamps(col, field=str(col.name), problems=problems)
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    ns[parsed.isna().to_numpy()] = np.nan
    return ns / 1e9


def _match_trips(
    matcher: MapMatcher,
    members: IntArray,
    member_trip: IntArray,
    cstart: IntArray,
    cend: IntArray,
    cand_edge: IntArray,
    cand_dist: FloatArray,
    cand_off: FloatArray,
    px: FloatArray,
    py: FloatArray,
    pt: FloatArray,
    *,
    sigma: float,
    beta: float,
    tau: float,
    radius: float,
    workers: int,
    bar: Any,
) -> dict[int, tuple[IntArray, IntArray, int, IntArray]]:
    """Run the compiled matcher over trips (``members`` grouped by trip, in time order).

    Returns, per trip: its members, the chosen candidate of each, the number of
    chain restarts, and the node path (positions).
    """
    from planner.routes._match_kernel import match_batch

    out: dict[int, tuple[IntArray, IntArray, int, IntArray]] = {}
    if members.size == 0:
        return out
    starts = np.flatnonzero(np.r_[True, member_trip[1:] != member_trip[:-1]])
    bounds = np.r_[starts, members.size]
    trip_ids = member_trip[starts]
    g = matcher.csr
    # interleave trips so that threads get similar loads
    n_groups = max(1, min(int(workers), trip_ids.size))
    groups = [np.arange(k, trip_ids.size, n_groups) for k in range(n_groups)]

    def run(group: IntArray) -> list[tuple[int, tuple[IntArray, IntArray, int, IntArray]]]:
        lens = bounds[group + 1] - bounds[group]
        steps = members[ranges(lens) + np.repeat(bounds[group], lens)]
        trip_ptr = np.r_[0, np.cumsum(lens)].astype(np.int64)
        first = np.zeros(steps.size, dtype=bool)
        first[trip_ptr[:-1]] = True
        prev = np.maximum(np.arange(steps.size) - 1, 0)
        gc = np.hypot(px[steps] - px[steps[prev]], py[steps] - py[steps[prev]])
        dt = pt[steps] - pt[steps[prev]]
        gc[first] = 0.0
        dt[first] = 0.0
        choice, breaks, path_ptr, nodes = match_batch(
            g.indptr,
            g.indices,
            g.length_m,
            g.time_s,
            g.tail,
            trip_ptr,
            cstart[steps].astype(np.int64),
            cend[steps].astype(np.int64),
            np.ascontiguousarray(gc, dtype=np.float64),
            np.ascontiguousarray(dt, dtype=np.float64),
            cand_edge,
            cand_dist,
            cand_off,
            float(sigma),
            float(beta),
            float(tau),
            2.0 * float(sigma),
            2.0 * float(radius) + 200.0,
        )
        res = []
        for q, k in enumerate(group.tolist()):
            a, b = trip_ptr[q], trip_ptr[q + 1]
            res.append(
                (
                    int(trip_ids[k]),
                    (
                        steps[a:b],
                        choice[a:b],
                        int(breaks[q]),
                        nodes[path_ptr[q] : path_ptr[q + 1]],
                    ),
                )
            )
        return res

    if n_groups == 1:
        parts = [run(groups[0])]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_groups) as pool:
            parts = list(pool.map(run, groups))
    for part in parts:
        for tr, res in part:
            out[tr] = res
            bar.update(res[0].size)
    return out


def _drop_small_loops(seq: IntArray, edges: ModeEdges, max_len: float) -> IntArray:
    """Cut cycles shorter than ``max_len`` metres (GPS noise read as a U-turn loop)."""
    if seq.size < 3 or np.unique(seq).size == seq.size:
        return seq
    keys = seq[:-1] * edges.n + seq[1:]
    at = np.minimum(np.searchsorted(edges.keys, keys), edges.keys.size - 1)
    cum = np.r_[0.0, np.cumsum(edges.length_m[at])]
    out: list[int] = []
    out_pos: list[int] = []
    where: dict[int, int] = {}
    for i, node in enumerate(seq.tolist()):
        j = where.get(node)
        if j is not None and cum[i] - cum[out_pos[j]] <= max_len:
            for dropped in out[j + 1 :]:
                where.pop(dropped, None)
            del out[j + 1 :]
            del out_pos[j + 1 :]
            continue
        where[node] = len(out)
        out.append(node)
        out_pos.append(i)
    return np.asarray(out, dtype=np.int64)
