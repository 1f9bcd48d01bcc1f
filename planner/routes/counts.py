"""Truck counts per road section turned into flows (routes with trucks per day).

Planners more often hold truck counts per road section (traffic counts, ETC
gantry tables: a position or a section id, and trucks per day) than an
origin-destination table. :func:`flows_from_counts` places each count on the
directed road edge it lies on and estimates routes whose volumes reproduce the
counts:

1. **Placing the counts.** A count point snaps to the nearest edge open to the
   mode (within ``max_snap_m``). A ``direction`` column (a bearing in degrees
   from north, or ``N``/``NE``/…/``NB``/``SB``/``EB``/``WB``) picks the edge
   driven that way. Without one, a two-way road's count is split evenly
   between its two directions (``two_way="split"``, said in the result) or
   fitted as the sum of both (``two_way="sum"``); a one-way road takes it all.
2. **Candidate routes.** With ``zones`` (points or areas of origin and
   destination), the fastest paths between every ordered pair of zones: the
   classic estimation of an OD matrix from link counts. Without zones,
   *corridor routes*: for every ordered pair of counted edges ``i``, ``j``, the
   route that drives ``i``, then the fastest path to ``j``, then ``j`` (and
   each counted edge alone). Such routes begin and end at counted sections, so
   their driving times are shorter than the real trips.
3. **Volumes.** Non-negative least squares (:func:`scipy.optimize.lsq_linear`)
   of the route volumes against the counts, with a tiny ridge (``1e-8``) that
   makes the answer unique: where several sets of volumes reproduce the counts
   equally well (counts cannot tell a through trip from two local ones), it
   takes the one with the smallest sum of squared volumes, which spreads the
   volume evenly over routes the counts cannot tell apart. Which route
   volumes the counts *do* determine is reported (``identifiable``: the
   route's unit vector lies in the row space of the count × route matrix).

:class:`CountFit` holds the flows, the fit per count and per direction, the
figures of the fit (error per count, RMSE, rank) and notes saying what was
assumed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.optimize import lsq_linear
from scipy.sparse import csgraph

from planner._errors import InputError, Problem
from planner._progress import tqdm
from planner._tables import Source, Table, load_table, read_point_table
from planner.crs import WGS84
from planner.routes._modes import ModeEdges, edge_segments, mode_edges
from planner.routes.volumes import Flows, assemble_flows

if TYPE_CHECKING:
    from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = ["CountFit", "flows_from_counts"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_COUNT_NAMES = (
    "trucks_per_day",
    "trucks",
    "truck_count",
    "count",
    "volume",
    "flow",
    "aadtt",
    "货车",
    "货车流量",
    "流量",
)
_DIRECTION_NAMES = ("direction", "bearing", "heading", "方向")
_SECTION_NAMES = ("section_id", "section", "gantry_id", "gantry", "路段")
_COMPASS = {
    "N": 0.0,
    "NE": 45.0,
    "E": 90.0,
    "SE": 135.0,
    "S": 180.0,
    "SW": 225.0,
    "W": 270.0,
    "NW": 315.0,
    "NORTH": 0.0,
    "EAST": 90.0,
    "SOUTH": 180.0,
    "WEST": 270.0,
    "NB": 0.0,
    "EB": 90.0,
    "SB": 180.0,
    "WB": 270.0,
    "NORTHBOUND": 0.0,
    "EASTBOUND": 90.0,
    "SOUTHBOUND": 180.0,
    "WESTBOUND": 270.0,
    "北": 0.0,
    "东": 90.0,
    "南": 180.0,
    "西": 270.0,
}
_BOTH = {"", "BOTH", "ALL", "2", "TWO-WAY", "TWO_WAY", "双向", "NAN", "NONE"}
_RIDGE = 1e-8
_DENSE_LIMIT = 3_000  # routes up to which the exact dense solver (BVLS) is used
_SVD_LIMIT = 4_000_000  # observations x routes up to which identifiability is computed


@dataclass(frozen=True)
class CountFit:
    """Flows estimated from truck counts per road section, and how well they fit.

    Build with :func:`flows_from_counts`.

    Attributes
    ----------
    flows
        The estimated routes with volume > 0 (trucks per day), for
        :meth:`Flows.site_incidence` and the siting models. Route table
        columns add ``origin``/``destination`` (zone labels) or
        ``from_count``/``to_count`` (count labels, corridor routes),
        ``counts_passed`` (directed counts the route drives through) and
        ``identifiable`` (the counts determine this volume; ``<NA>`` when too
        large to compute).
    counts
        One row per input count, on the input's index: ``u``, ``v`` (OSM ids of
        the counted edge; for two directions, the nearest one), ``snap_m``,
        ``directions`` (1 or 2), ``direction_from`` (``"column"``,
        ``"one-way road"``, ``"split evenly"`` or ``"sum of both"``),
        ``observed``, ``fitted``, ``error`` (fitted - observed) and
        ``rel_error`` (error / observed; NaN for a zero count).
    observations
        One row per fitted observation (a directed count, or the sum of two
        directions with ``two_way="sum"``): ``count`` (input label), ``u``,
        ``v``, ``observed``, ``fitted``, ``error``.
    method
        What was estimated and how, in words.
    figures
        ``counts``, ``observations``, ``candidate_routes``,
        ``observed_routes`` (passing a count), ``routes`` (volume > 0),
        ``rank`` (of the observation × route matrix), ``identifiable_routes``,
        ``rmse``, ``max_abs_error``, ``rel_abs_error`` (sum of |error| / sum of
        counts), ``r2``.
    notes
        What was assumed (directions split, corridor ends, counts on the same
        edge), one sentence each.
    """

    flows: Flows
    counts: pd.DataFrame
    observations: pd.DataFrame
    method: str
    figures: dict[str, float]
    notes: tuple[str, ...]

    def __repr__(self) -> str:
        f = self.figures
        return (
            f"CountFit({int(f['routes'])} routes from {int(f['counts'])} counts, "
            f"rmse {f['rmse']:.3g}, max |error| {f['max_abs_error']:.3g})"
        )


# --------------------------------------------------------------------------- reading


def _find(columns: Sequence[Hashable], given: str | None, names: Sequence[str]) -> Hashable | None:
    if given is not None:
        return given if given in columns else None
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _bearing_of(value: Any) -> float | None:
    """Read a direction cell as degrees from north (None: both ways); ValueError if bad."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        deg = float(value)
        if not math.isfinite(deg):
            return None
        return deg % 360.0
    text = str(value).strip().upper()
    if text in _BOTH:
        return None
    if text in _COMPASS:
        return _COMPASS[text]
    try:
        return float(text) % 360.0
    except ValueError:
        raise ValueError(text) from None


def _section_points(
    table: Table,
    section_col: Hashable,
    sections: gpd.GeoDataFrame | gpd.GeoSeries,
    problems: list[Problem],
) -> tuple[FloatArray, FloatArray]:
    """Points (lon, lat) of the sections named in the table; NaN where unknown."""
    if sections.crs is None:
        raise InputError(
            "the sections have no CRS.",
            field="sections",
            fix="set it, e.g. sections.set_crs('EPSG:4326').",
        )
    geoms = sections.geometry if isinstance(sections, gpd.GeoDataFrame) else sections
    from planner.crs import local_metric_crs

    wgs = geoms.to_crs(WGS84)
    c = wgs.union_all().centroid
    metric = wgs.to_crs(local_metric_crs(float(c.x), float(c.y)))
    # a line section counts at its middle; a point where it is
    mid = [
        g.interpolate(0.5, normalized=True)
        if g.geom_type in ("LineString", "MultiLineString")
        else g
        for g in metric
    ]
    pts = gpd.GeoSeries(mid, index=sections.index, crs=metric.crs).to_crs(WGS84)
    ids = table.frame[section_col]
    at = pts.index.get_indexer(pd.Index(ids))
    for pos in np.flatnonzero(at < 0):
        problems.append(
            Problem(
                f"section {ids.iloc[pos]!r} is not in the sections table.",
                file=table.name,
                row=int(pos) + 1,
                field=str(section_col),
                fix="use ids from the sections' index, or give the count's lon/lat.",
            )
        )
    ok = at >= 0
    lon = np.where(ok, pts.x.to_numpy()[np.maximum(at, 0)], np.nan)
    lat = np.where(ok, pts.y.to_numpy()[np.maximum(at, 0)], np.nan)
    return lon, lat


# --------------------------------------------------------------------------- placing


@dataclass(frozen=True)
class _Placed:
    """Counts placed on directed edges: observations as (row, edge positions)."""

    obs_row: IntArray  # input row of each observation
    obs_value: FloatArray
    obs_ptr: IntArray  # observation o covers edges obs_edges[obs_ptr[o]:obs_ptr[o+1]]
    obs_edges: IntArray  # positions in the mode's edges
    row_edge: IntArray  # the nearest counted edge of each row
    row_dirs: IntArray
    row_how: NDArray[np.object_]
    snap_m: FloatArray


def _place(
    net: RoadNetwork,
    mode: str,
    edges: ModeEdges,
    table: Table,
    lon: FloatArray,
    lat: FloatArray,
    values: FloatArray,
    bearing: FloatArray,
    *,
    max_snap_m: float,
    two_way: str,
    coord_field: str,
    problems: list[Problem],
) -> _Placed:
    segs = edge_segments(net, mode, edges)
    to_metric = Transformer.from_crs(WGS84, net.crs, always_xy=True)
    valid = np.isfinite(lon) & np.isfinite(lat)  # rows with bad coordinates are reported already
    lon, lat = np.where(valid, lon, 0.0), np.where(valid, lat, 0.0)
    px, py = (np.asarray(a, dtype=np.float64) for a in to_metric.transform(lon, lat))
    n = px.size
    radius = float(max_snap_m)
    boxes = shapely.box(px - radius, py - radius, px + radius, py + radius)
    pi, si = segs.tree.query(boxes)
    pi, si = pi.astype(np.int64), si.astype(np.int64)
    rx, ry = px[pi] - segs.x0[si], py[pi] - segs.y0[si]
    l2 = np.maximum(segs.seg_len[si] ** 2, 1e-12)
    t = np.clip((rx * segs.dx[si] + ry * segs.dy[si]) / l2, 0.0, 1.0)
    d = np.hypot(px[pi] - (segs.x0[si] + t * segs.dx[si]), py[pi] - (segs.y0[si] + t * segs.dy[si]))
    near = (d <= radius) & valid[pi]
    pi, si, d = pi[near], si[near], d[near]
    best = np.full(n, np.inf)
    np.minimum.at(best, pi, d)
    far = ~np.isfinite(best) & valid
    for pos in np.flatnonzero(far):
        pt = shapely.points(px[pos], py[pos])
        nearest = float(shapely.distance(pt, segs.tree.geometries[segs.tree.query_nearest(pt)[0]]))
        problems.append(
            Problem(
                f"the count point is {nearest:,.0f} m from the nearest {mode} road "
                f"(limit max_snap_m={max_snap_m:g} m).",
                file=table.name,
                row=int(pos) + 1,
                field=coord_field,
                fix="check the coordinates and their datum (datum='gcj02' for Amap/Tencent, "
                "'bd09' for Baidu), that the network covers them, or raise max_snap_m.",
            )
        )
    # candidates: every edge within 1 m of the nearest (the twin of a two-way road,
    # or the edges meeting at a node)
    keep = d <= best[pi] + 1.0
    pi, si, d = pi[keep], si[keep], d[keep]
    e = segs.edge_id[segs.edge[si]]
    seg_bearing = np.degrees(np.arctan2(segs.dx[si], segs.dy[si])) % 360.0
    order = np.lexsort((e, d, pi))
    pi, e, d, seg_bearing = pi[order], e[order], d[order], seg_bearing[order]
    start = np.searchsorted(pi, np.arange(n), side="left")
    stop = np.searchsorted(pi, np.arange(n), side="right")
    key_set = edges.keys
    obs_row: list[int] = []
    obs_val: list[float] = []
    obs_edges: list[list[int]] = []
    row_edge = np.full(n, -1, dtype=np.int64)
    row_dirs = np.zeros(n, dtype=np.int64)
    row_how = np.full(n, "", dtype=object)
    for r in range(n):
        if start[r] == stop[r]:
            continue
        ce, cb = e[start[r] : stop[r]], seg_bearing[start[r] : stop[r]]
        first = int(ce[0])
        row_edge[r] = first
        if np.isfinite(bearing[r]):
            diff = np.abs((cb - bearing[r] + 180.0) % 360.0 - 180.0)
            k = int(np.argmin(diff))
            if diff[k] > 90.0:
                problems.append(
                    Problem(
                        f"no {mode} road at the count point runs towards {bearing[r]:g}° "
                        f"(the nearest runs towards {cb[0]:.0f}°; a one-way road?).",
                        file=table.name,
                        row=r + 1,
                        field="direction",
                        fix="check the direction, or leave it empty to count both directions.",
                    )
                )
                continue
            row_edge[r] = int(ce[k])
            row_dirs[r] = 1
            row_how[r] = "column"
            obs_row.append(r)
            obs_val.append(float(values[r]))
            obs_edges.append([int(ce[k])])
            continue
        u, v = divmod(int(key_set[first]), edges.n)
        twin_key = v * edges.n + u
        tw = int(np.searchsorted(key_set, twin_key))
        has_twin = tw < key_set.size and key_set[tw] == twin_key
        if not has_twin:
            row_dirs[r] = 1
            row_how[r] = "one-way road"
            obs_row.append(r)
            obs_val.append(float(values[r]))
            obs_edges.append([first])
        elif two_way == "sum":
            row_dirs[r] = 2
            row_how[r] = "sum of both"
            obs_row.append(r)
            obs_val.append(float(values[r]))
            obs_edges.append([first, tw])
        else:
            row_dirs[r] = 2
            row_how[r] = "split evenly"
            for edge_pos in (first, tw):
                obs_row.append(r)
                obs_val.append(float(values[r]) / 2.0)
                obs_edges.append([edge_pos])
    lens = np.fromiter((len(x) for x in obs_edges), dtype=np.int64, count=len(obs_edges))
    return _Placed(
        obs_row=np.asarray(obs_row, dtype=np.int64),
        obs_value=np.asarray(obs_val, dtype=np.float64),
        obs_ptr=np.r_[0, np.cumsum(lens)].astype(np.int64),
        obs_edges=np.asarray([x for ee in obs_edges for x in ee], dtype=np.int64),
        row_edge=row_edge,
        row_dirs=row_dirs,
        row_how=row_how,
        snap_m=np.where(np.isfinite(best), best, np.nan),
    )


# --------------------------------------------------------------------------- routes


def _tree_paths(
    edges: ModeEdges,
    sources: IntArray,
    targets: IntArray,
    *,
    progress: bool,
    desc: str,
) -> list[IntArray | None]:
    """Fastest node paths sources[k] -> targets[k] (None where no path)."""
    out: list[IntArray | None] = [None] * sources.size
    uniq = np.unique(sources)
    chunk = 64
    bar = tqdm(total=sources.size, desc=desc, disable=not progress, unit="route")
    order = np.argsort(sources, kind="stable")
    srt = sources[order]
    for lo in range(0, uniq.size, chunk):
        src = uniq[lo : lo + chunk]
        dist, pred = csgraph.dijkstra(edges.csr_time, indices=src, return_predecessors=True)
        a = np.searchsorted(srt, src[0], side="left")
        b = np.searchsorted(srt, src[-1], side="right")
        for k in order[a:b]:
            row = int(np.searchsorted(src, sources[k]))
            s, t = int(sources[k]), int(targets[k])
            if not np.isfinite(dist[row, t]):
                continue
            seq = [t]
            p = pred[row]
            while seq[-1] != s:
                seq.append(int(p[seq[-1]]))
            out[int(k)] = np.asarray(seq[::-1], dtype=np.int64)
        bar.update(int(b - a))
    bar.close()
    return out


def _zone_nodes(
    net: RoadNetwork, mode: str, zones: gpd.GeoDataFrame | gpd.GeoSeries, max_snap_m: float
) -> tuple[pd.Index, IntArray, list[str]]:
    """Zone labels and their nodes (zones off the network left out, with a note)."""
    from planner.routes.od import _zone_points

    pts = _zone_points(zones)
    snapped = net.snap(
        pts[["lon", "lat"]].to_numpy(),
        mode=mode,
        max_distance_m=max_snap_m,
        on_far="ignore",
        label="zones",
    )
    far = snapped.table["far"].to_numpy(dtype=bool)
    notes = []
    if far.any():
        notes.append(
            f"{int(far.sum())} zones lie more than {max_snap_m:g} m from the {mode} network "
            f"and were left out: {pts.index[far][:10].tolist()}."
        )
    if (~far).sum() < 2:
        raise InputError(
            f"fewer than two zones lie within {max_snap_m:g} m of the {mode} network.",
            field="zones",
            fix="check the zones' CRS and datum, or raise max_snap_m.",
        )
    return pts.index[~far], snapped.table["node_index"].to_numpy(dtype=np.int64)[~far], notes


# --------------------------------------------------------------------------- entry


def flows_from_counts(
    counts: Source,
    network: RoadNetwork,
    *,
    mode: str = "truck",
    count: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    direction: str | None = None,
    section: str | None = None,
    sections: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    datum: str = "wgs84",
    crs: Any = None,
    zones: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    two_way: Literal["split", "sum"] = "split",
    max_snap_m: float = 50.0,
    zone_snap_m: float = 1000.0,
    progress: bool = False,
) -> CountFit:
    """Estimate truck flows (routes with trucks per day) from counts per road section.

    Each count is placed on the directed edge it lies on, candidate routes are
    built (fastest paths between ``zones``, or corridor routes chaining the
    counted sections when no zones are given), and their volumes are fitted to
    the counts by non-negative least squares; see :mod:`planner.routes.counts`
    for the method and what it can and cannot tell.

    Parameters
    ----------
    counts
        The count table: a file (CSV/TSV, GeoJSON, GeoPackage, Parquet; read
        by the readers of :mod:`planner.io`; for Excel, ``pandas.read_excel`` and pass the
        DataFrame) or a (Geo)DataFrame, one row per count point, with trucks
        per day and either a position (lon/lat columns, found by name as in
        :func:`planner.read_points`, or point geometry) or a section id with
        ``sections``.
    network
        The road network.
    mode
        Travel mode (default ``"truck"``).
    count
        Column of trucks per day (default: the first of ``trucks_per_day``,
        ``trucks``, ``truck_count``, ``count``, ``volume``, ``flow``,
        ``aadtt``, ``货车``, ``货车流量``, ``流量``, any case).
    lon, lat
        Coordinate columns, as for :func:`planner.read_points`.
    direction
        Column of the counted direction (default: ``direction``, ``bearing``,
        ``heading`` or ``方向`` if present): a bearing in degrees clockwise
        from north, or ``N``, ``NE``, …, ``NB``, ``SB``, ``EB``, ``WB``,
        ``北``/``东``/``南``/``西``; empty or ``both`` for both directions.
    section, sections
        Column of section ids (default: ``section_id``, ``section``,
        ``gantry_id``, ``gantry``) and the section table (points or lines
        indexed by section id; a line counts at its middle).
    datum, crs
        Datum and CRS of the coordinates, as for :func:`planner.read_points`.
    zones
        Origins and destinations (points or areas, indexed by zone label):
        candidate routes are the fastest paths between every ordered pair.
        Without zones, corridor routes between counted sections.
    two_way
        A count without direction on a two-way road: ``"split"`` evenly
        between the directions, or ``"sum"``: the fit matches the sum of both
        directions and chooses the split.
    max_snap_m
        A count point farther than this from the mode's roads is an error.
    zone_snap_m
        Zones farther than this from the network are left out (with a note).
    progress
        Show a progress bar while routing.

    Returns
    -------
    CountFit
        The flows, the fit per count and per direction, figures and notes.

    Raises
    ------
    InputError
        A missing or non-numeric count column, negative counts, missing
        coordinates, a count point far from any road, an unknown section, a
        bad direction; every problem with its file, row and field.

    Examples
    --------
    Counts on the eight busiest edges of the demo's routed truck trips, with
    the direction of travel as a bearing, fitted by corridor routes:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from planner import datasets
    >>> from planner.routes import route_od
    >>> net = datasets.demo_network(modes=["truck"])
    >>> ev = route_od(datasets.demo_truck_trips(), net).edge_volumes().head(8)
    >>> line = net.edges_gdf().xs(0, level="key").loc[ev.index].geometry.to_crs(net.crs)
    >>> mid, ahead = line.interpolate(0.5, normalized=True), line.interpolate(0.6, normalized=True)
    >>> bearing = np.degrees(np.arctan2(ahead.x - mid.x, ahead.y - mid.y)) % 360
    >>> table = mid.to_crs(4326).get_coordinates().assign(
    ...     trucks_per_day=ev["volume"].to_numpy(), direction=bearing.to_numpy())
    >>> fit = flows_from_counts(table, net)
    >>> bool(fit.figures["max_abs_error"] < 1e-3)
    True
    """
    if two_way not in ("split", "sum"):
        raise InputError(
            f"two_way must be 'split' or 'sum', got {two_way!r}.",
            field="two_way",
            fix="pass two_way='split' (half each way) or 'sum'.",
        )
    for name, value in (("max_snap_m", max_snap_m), ("zone_snap_m", zone_snap_m)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number of metres, got {value!r}.")
    table = load_table(counts, layer=None)
    frame = table.frame
    columns = list(frame.columns)
    problems: list[Problem] = []
    count_col = _find(columns, count, _COUNT_NAMES)
    if count_col is None:
        shown = [str(c) for c in columns]
        raise InputError(
            (f"no count column {count!r}" if count else "no count column found")
            + f"; the columns are {shown}"
            + ("." if count else f" and the names tried (any case) are {', '.join(_COUNT_NAMES)}."),
            file=table.name,
            field=count or "count",
            fix="pass count='<column of trucks per day>'.",
        )
    raw = frame[count_col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    for pos in np.flatnonzero(~np.isfinite(values) | (values < 0)):
        cell = raw.iloc[pos]
        what = (
            "empty count"
            if pd.isna(cell) or str(cell).strip() == ""
            else f"negative count {values[pos]:g}"
            if np.isfinite(values[pos])
            else f"non-numeric count {cell!r}"
        )
        problems.append(
            Problem(
                f"{what}.",
                file=table.name,
                row=int(pos) + 1,
                field=str(count_col),
                fix="write trucks per day as a number >= 0, or delete the row.",
            )
        )
    dir_col = _find(columns, direction, _DIRECTION_NAMES)
    if direction is not None and dir_col is None:
        problems.append(
            Problem(
                f"direction={direction!r} is not a column; the columns are "
                f"{[str(c) for c in columns]}.",
                file=table.name,
                field=direction,
                fix="pass direction= one of those names, or leave it out.",
            )
        )
    bearing = np.full(len(frame), np.nan)
    if dir_col is not None:
        for i, cell in enumerate(frame[dir_col].tolist()):
            try:
                b = _bearing_of(cell)
            except ValueError:
                problems.append(
                    Problem(
                        f"direction {cell!r} is neither a bearing in degrees nor a compass "
                        "direction.",
                        file=table.name,
                        row=i + 1,
                        field=str(dir_col),
                        fix="write degrees from north (0-360), N/NE/E/SE/S/SW/W/NW, NB/SB/EB/WB, "
                        "or leave it empty for both directions.",
                    )
                )
                continue
            if b is not None:
                bearing[i] = b
    if sections is not None:
        sec_col = _find(columns, section, _SECTION_NAMES)
        if sec_col is None:
            raise InputError(
                f"no section id column{f' {section!r}' if section else ''}; the columns are "
                f"{[str(c) for c in columns]}.",
                file=table.name,
                field=section or "section_id",
                fix="pass section='<column of section ids>'.",
            )
        lon_a, lat_a = _section_points(table, sec_col, sections, problems)
        coord_field = str(sec_col)
    else:
        pts = read_point_table(
            table,
            lon=lon,
            lat=lat,
            datum=datum,
            crs=crs,
            area=None,
            area_buffer_m=0.0,
            problems=problems,
        )
        lon_a = pts.geometry.x.to_numpy(dtype=np.float64)
        lat_a = pts.geometry.y.to_numpy(dtype=np.float64)
        coord_field = str(
            lon
            or _find(columns, None, ("lon", "lng", "long", "longitude", "x", "经度"))
            or "geometry"
        )
    edges = mode_edges(network, mode)
    placed = _place(
        network,
        mode,
        edges,
        table,
        lon_a,
        lat_a,
        values,
        bearing,
        max_snap_m=max_snap_m,
        two_way=two_way,
        coord_field=coord_field,
        problems=problems,
    )
    if problems:
        raise InputError(problems)
    return _fit(network, mode, edges, table, placed, values, zones, zone_snap_m, progress)


def _fit(
    net: RoadNetwork,
    mode: str,
    edges: ModeEdges,
    table: Table,
    placed: _Placed,
    values: FloatArray,
    zones: gpd.GeoDataFrame | gpd.GeoSeries | None,
    zone_snap_m: float,
    progress: bool,
) -> CountFit:
    labels = table.frame.index if not table.from_file else pd.RangeIndex(len(table.frame))
    notes: list[str] = []
    n_obs = placed.obs_row.size
    keys = edges.keys
    tails, heads = keys // edges.n, keys % edges.n
    extra: dict[str, Any]
    if zones is not None:
        zlabels, znodes, znotes = _zone_nodes(net, mode, zones, zone_snap_m)
        notes += znotes
        grid_o, grid_d = np.meshgrid(np.arange(znodes.size), np.arange(znodes.size), indexing="ij")
        oi, di = grid_o.ravel(), grid_d.ravel()
        pair = znodes[oi] != znodes[di]
        oi, di = oi[pair], di[pair]
        found = _tree_paths(edges, znodes[oi], znodes[di], progress=progress, desc="routing zones")
        got = [k for k, p in enumerate(found) if p is not None]
        seqs: list[IntArray] = [p for p in found if p is not None]
        extra = {
            "origin": zlabels.to_numpy()[oi[got]],
            "destination": zlabels.to_numpy()[di[got]],
        }
        what = (
            f"fastest {mode} paths between every ordered pair of the {zlabels.size} zones "
            f"({len(seqs)} candidate routes)"
        )
    else:
        ce = np.unique(placed.obs_edges)
        a, b = tails[ce], heads[ce]
        grid_i, grid_j = np.meshgrid(np.arange(ce.size), np.arange(ce.size), indexing="ij")
        ii, jj = grid_i.ravel(), grid_j.ravel()
        off = ii != jj
        found = _tree_paths(edges, b[ii[off]], a[jj[off]], progress=progress, desc="corridors")
        seqs_all: list[IntArray] = [np.array([a[k], b[k]], dtype=np.int64) for k in range(ce.size)]
        from_e = list(range(ce.size))
        to_e = list(range(ce.size))
        for k, mid in enumerate(found):
            if mid is None:
                continue
            i, j = int(ii[off][k]), int(jj[off][k])
            seq = np.r_[a[i], mid, b[j]].astype(np.int64)
            if np.unique(seq).size < seq.size:
                continue  # a U-turn or loop: not a through route
            seqs_all.append(seq)
            from_e.append(i)
            to_e.append(j)
        seqs = seqs_all
        # label corridor ends by the count rows that observe the edges
        row_of_entry = placed.obs_row[np.repeat(np.arange(n_obs), np.diff(placed.obs_ptr))]
        edge_row = dict(zip(placed.obs_edges.tolist(), row_of_entry.tolist(), strict=True))
        extra = {
            "from_count": labels.to_numpy()[[edge_row[int(ce[i])] for i in from_e]],
            "to_count": labels.to_numpy()[[edge_row[int(ce[j])] for j in to_e]],
        }
        what = (
            f"corridor routes chaining the {ce.size} counted directed edges (each edge alone, "
            f"and each ordered pair joined by the fastest {mode} path: {len(seqs)} candidate "
            "routes)"
        )
        notes.append(
            "without zones, routes begin and end at counted sections: driving before the "
            "first and after the last count is unknown, so route times understate the "
            "trips (this matters for rest-interval coverage; pass zones= for whole trips)."
        )
    n_routes = len(seqs)
    # observation x route matrix: how often route r drives an edge of observation o
    lens = np.fromiter((s.size - 1 for s in seqs), dtype=np.int64, count=n_routes)
    if n_routes:
        allnodes = np.concatenate(seqs)
        starts = np.r_[0, np.cumsum(lens + 1)[:-1]]
        step = np.concatenate([np.arange(s, s + m) for s, m in zip(starts, lens, strict=True)])
        rkeys = allnodes[step] * edges.n + allnodes[step + 1]
        r_of = np.repeat(np.arange(n_routes), lens)
    else:
        rkeys = np.zeros(0, dtype=np.int64)
        r_of = np.zeros(0, dtype=np.int64)
    okeys = keys[placed.obs_edges]
    o_of = np.repeat(np.arange(n_obs), np.diff(placed.obs_ptr))
    left = pd.DataFrame({"key": okeys, "o": o_of})
    right = pd.DataFrame({"key": rkeys, "r": r_of})
    pairs = left.merge(right, on="key")
    mat = sp.csr_array(
        (np.ones(len(pairs)), (pairs["o"].to_numpy(), pairs["r"].to_numpy())),
        shape=(n_obs, n_routes),
    )
    passed = np.asarray((mat > 0).sum(axis=0)).ravel()
    seen = np.flatnonzero(passed > 0)
    sub = mat[:, seen]
    c = placed.obs_value
    x = np.zeros(n_routes)
    if seen.size:
        x[seen] = _nnls(sub, c)
    fitted = mat @ x
    ident, rank = _identifiable(sub)
    identifiable = pd.array([pd.NA] * n_routes, dtype="boolean")
    if ident is not None:
        identifiable[seen] = ident
        identifiable[np.setdiff1d(np.arange(n_routes), seen)] = False
    # tables
    ids = net.node_ids
    obs_u, obs_v = (
        tails[placed.obs_edges[placed.obs_ptr[:-1]]],
        heads[placed.obs_edges[placed.obs_ptr[:-1]]],
    )
    observations = pd.DataFrame(
        {
            "count": labels.take(placed.obs_row),
            "u": ids[obs_u],
            "v": ids[obs_v],
            "observed": c,
            "fitted": fitted,
            "error": fitted - c,
        }
    )
    n_rows = len(labels)
    row_fit = np.bincount(placed.obs_row, weights=fitted, minlength=n_rows)
    re = np.maximum(placed.row_edge, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(values > 0, (row_fit - values) / values, np.nan)
    count_table = pd.DataFrame(
        {
            "u": ids[tails[re]],
            "v": ids[heads[re]],
            "snap_m": placed.snap_m,
            "directions": placed.row_dirs,
            "direction_from": placed.row_how,
            "observed": values,
            "fitted": row_fit,
            "error": row_fit - values,
            "rel_error": rel,
        },
        index=labels,
    )
    split = int((placed.row_how == "split evenly").sum())
    if split:
        notes.append(
            f"{split} counts gave no direction on a two-way road: each was split evenly "
            "between the two directions (give a direction column, or two_way='sum' to let "
            "the fit choose the split)."
        )
    dup = pd.Series(okeys).duplicated().sum()
    if dup:
        notes.append(
            f"{int(dup)} directed counts fall on an edge already counted: the fit "
            "matches their mean."
        )
    keep = x > 1e-9 * max(float(c.max()) if c.size else 1.0, 1.0)
    err = fitted - c
    ss_tot = float(((c - c.mean()) ** 2).sum()) if c.size else 0.0
    figures = {
        "counts": float(n_rows),
        "observations": float(n_obs),
        "candidate_routes": float(n_routes),
        "observed_routes": float(seen.size),
        "routes": float(keep.sum()),
        "rank": rank,
        "identifiable_routes": float(np.sum(ident)) if ident is not None else float("nan"),
        "rmse": float(np.sqrt(np.mean(err**2))) if err.size else 0.0,
        "max_abs_error": float(np.abs(err).max()) if err.size else 0.0,
        "rel_abs_error": float(np.abs(err).sum() / max(c.sum(), 1e-12)),
        "r2": 1.0 - float((err**2).sum()) / ss_tot if ss_tot > 0 else float("nan"),
    }
    method = (
        f"routes: {what}, {seen.size} of them passing a count; volumes: non-negative least "
        f"squares fit to {n_obs} directed counts (scipy lsq_linear) with a {_RIDGE:g} ridge "
        "that spreads volume evenly over routes the counts cannot tell apart; "
        + (
            f"the counts determine {int(np.sum(ident))} of the {seen.size} route volumes "
            f"(rank {int(rank)})"
            if ident is not None
            else "identifiability not computed (too large)"
        )
        + f"; fit RMSE {figures['rmse']:.3g} trucks/day, largest error "
        f"{figures['max_abs_error']:.3g}."
    )
    sel = np.flatnonzero(keep)
    if sel.size == 0:
        raise InputError(
            "no route carries volume: every count is zero or no candidate route passes one.",
            file=table.name,
            fix="check the counts, or pass zones= whose routes pass the counted roads.",
        )
    route_extra: dict[str, Any] = {k: np.asarray(v)[sel] for k, v in extra.items()}
    route_extra["counts_passed"] = passed[sel]
    route_extra["identifiable"] = identifiable[sel]
    flows = assemble_flows(
        net,
        mode,
        edges,
        [seqs[k] for k in sel],
        x[sel],
        pd.RangeIndex(sel.size, name="route"),
        extra=route_extra,
        excluded=None,
    )
    logger.info("flows_from_counts: %s", method)
    return CountFit(
        flows=flows,
        counts=count_table,
        observations=observations,
        method=method,
        figures=figures,
        notes=tuple(notes),
    )


def _nnls(a: sp.csr_array, c: FloatArray) -> FloatArray:
    """Min |a x - c|^2 + ridge |x|^2 over x >= 0 (exact BVLS when small)."""
    n = a.shape[1]
    scale = math.sqrt(_RIDGE)
    if n <= _DENSE_LIMIT:
        aug = np.vstack([a.toarray(), scale * np.eye(n)])
        res = lsq_linear(aug, np.r_[c, np.zeros(n)], bounds=(0.0, np.inf), method="bvls")
    else:
        aug_sp = sp.vstack([sp.csr_array(a), scale * sp.eye_array(n, format="csr")]).tocsr()
        res = lsq_linear(
            aug_sp,
            np.r_[c, np.zeros(n)],
            bounds=(0.0, np.inf),
            method="trf",
            lsmr_tol="auto",
            tol=1e-12,
            max_iter=2_000,
        )
    return np.maximum(np.asarray(res.x, dtype=np.float64), 0.0)


def _identifiable(a: sp.csr_array) -> tuple[NDArray[np.bool_] | None, float]:
    """Routes whose volume the counts determine (leverage 1 in the row space), and the rank."""
    m, n = a.shape
    if n == 0:
        return np.zeros(0, dtype=bool), 0.0
    if m * n > _SVD_LIMIT:
        return None, float("nan")
    dense = a.toarray()
    _u, s, vt = np.linalg.svd(dense, full_matrices=False)
    tol = s.max() * max(m, n) * np.finfo(float).eps if s.size else 0.0
    basis = vt[s > tol]
    leverage = (basis**2).sum(axis=0)
    out: NDArray[np.bool_] = leverage > 1.0 - 1e-8
    return out, float(basis.shape[0])
