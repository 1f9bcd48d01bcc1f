"""Stay points in GPS traces: validate and sort the fixes, then find where drivers stop.

:func:`stays_from_traces` finds stay points per driver (Li et al. 2008: a driver
stays within ``max_distance_m`` of the first fix of the stay for at least
``min_duration_min``), vectorised over fixes sorted by driver and time.
Timestamps are read by :func:`planner.io.parse_timestamps`.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from planner._errors import DroppedFixesWarning, InputError, Problem, warn
from planner._progress import tqdm
from planner._tables import Area, area_geometry
from planner.demand._common import (
    datum_to_wgs84,
    gdf_lonlat,
    metric_crs_for,
    points_gdf,
    to_lonlat,
    to_metric,
)
from planner.demand.schema import GROUPS, check_group, normal_groups
from planner.io import parse_timestamps

logger = logging.getLogger(__name__)

__all__ = ["MAX_SPEED_KMH", "stays_from_traces"]

MAX_SPEED_KMH: dict[str, float] = {
    "rider": 60.0,
    "courier": 60.0,
    "ride_hailing": 200.0,
    "truck": 200.0,
    "other": 200.0,
}
"""Fastest believable speed between two fixes, by worker group (e-bikes 60, vehicles 200)."""

# GPS noise: a jump counts as impossible only beyond this many metres plus the distance
# the limit allows in the time between the two fixes.
_JUMP_TOLERANCE_M = 100.0
_EARTH_RADIUS_M = 6_371_008.8
_MAX_BURST = 5  # the most fixes in a row a glitch is taken to last


# ---------------------------------------------------------- traces validation
def _wall_ns(parsed: pd.Series) -> np.ndarray:
    """Return int64 nanoseconds on the timestamps' own clock (UTC for aware ones)."""
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)


@dataclass
class _Traces:
    driver_codes: np.ndarray  # int64 codes, sorted
    drivers: pd.Index  # code -> driver label
    ns: np.ndarray  # int64 ns, sorted within driver
    lon: np.ndarray
    lat: np.ndarray
    times: pd.Series  # parsed timestamps in input order
    order: np.ndarray  # input position of each sorted fix
    group: np.ndarray  # group per driver code (object)
    dropped: dict[str, int]  # fixes dropped: impossible jumps, outside the area
    drop_message: str = ""  # what was dropped and the fix, for a DroppedFixesWarning


def _sort_order(codes: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """Return the stable order by (driver code, time): one int64 key where it fits."""
    span = int(ns.max()) - int(ns.min()) + 1
    if (int(codes.max()) + 1) * span < 2**62:
        key = codes.astype(np.int64) * span + (ns - ns.min())
        return np.argsort(key, kind="stable")
    return np.lexsort((ns, codes))


def _prepare_traces(
    traces: pd.DataFrame,
    *,
    driver: str,
    time: str,
    lon: str,
    lat: str,
    group: str,
    group_field: str | None,
    datum: str,
    tz: str | None,
    label: str,
) -> _Traces:
    if not isinstance(traces, pd.DataFrame):
        raise InputError(
            f"traces must be a (Geo)DataFrame, got {type(traces).__name__}.",
            file=label,
            fix="load the file with planner.io.read_traces or pandas.read_csv first.",
        )
    # a GeoDataFrame's geometry wins over lon/lat columns: planner.io.read_traces keeps
    # the file's raw columns next to the WGS84 geometry it converted them to
    use_geometry = isinstance(traces, gpd.GeoDataFrame) and traces.active_geometry_name is not None
    problems: list[Problem] = []
    needed = [("driver", driver), ("time", time)]
    if not use_geometry:
        needed += [("lon", lon), ("lat", lat)]
    for arg, name in needed:
        if name not in traces.columns:
            problems.append(
                Problem(
                    f"column {name!r} is missing; the columns are {list(traces.columns)}.",
                    file=label,
                    field=name,
                    fix=f"rename your column to {name!r} or pass {arg}='<your column>'.",
                )
            )
    if problems:
        raise InputError(problems)
    if use_geometry:
        assert isinstance(traces, gpd.GeoDataFrame)
        x, y = gdf_lonlat(traces, label)
    else:
        x = pd.to_numeric(traces[lon], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(traces[lat], errors="coerce").to_numpy(dtype=float)
    for name, values, limit in ((lon, x, 180.0), (lat, y, 90.0)):
        bad = ~np.isfinite(values) | (np.abs(values) > limit)
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            problems.append(
                Problem(
                    f"{int(bad.sum())} values are missing or outside ±{limit:g} degrees, "
                    f"e.g. {traces[name].iloc[row - 1] if name in traces else values[row - 1]!r}.",
                    file=label,
                    row=row,
                    field=name,
                    fix="give WGS84 longitude/latitude in degrees (check for swapped columns).",
                )
            )
    drivers = traces[driver]
    if drivers.isna().any():
        row = int(np.flatnonzero(drivers.isna().to_numpy())[0]) + 1
        problems.append(
            Problem(
                f"{int(drivers.isna().sum())} rows have no driver id.",
                file=label,
                row=row,
                field=driver,
                fix="drop them or fill in the driver id.",
            )
        )
    if problems:
        raise InputError(problems)
    if datum.lower() not in ("wgs84", "epsg:4326"):
        x, y = datum_to_wgs84(x, y, datum, label)
    if len(x) and (np.all(np.abs(y) > 60) & np.all(np.abs(x) < 60)):
        warnings.warn(
            f"{label}: every {lat!r} value is beyond ±60° while every {lon!r} value is within "
            "±60°: longitude and latitude may be swapped.",
            UserWarning,
            stacklevel=3,
        )
    raw_times = traces[time]
    if pd.api.types.is_numeric_dtype(raw_times):
        raise InputError(
            f"{time} holds numbers ({raw_times.iloc[0]!r} in row 1), not timestamps.",
            file=label,
            field=time,
            fix=(
                f"convert them first, e.g. pd.to_datetime(df[{time!r}], unit='s') for "
                "Unix seconds, or read the file with planner.io.read_traces."
            ),
        )
    parsed = parse_timestamps(raw_times, tz=tz, field=time, file=label)
    try:
        codes, uniques = pd.factorize(drivers, sort=True)
    except TypeError:  # ids of mixed types: keep the order of first appearance
        codes, uniques = pd.factorize(drivers, sort=False)
    ns = _wall_ns(parsed)
    sorted_already = len(codes) < 2 or bool(
        np.all((codes[1:] > codes[:-1]) | ((codes[1:] == codes[:-1]) & (ns[1:] >= ns[:-1])))
    )
    if sorted_already:
        order = np.arange(len(codes))
    else:
        logger.info("%s: fixes were not sorted by driver and time; sorting them", label)
        order = _sort_order(codes, ns)
    if group_field is not None and group_field in traces.columns:
        groups = normal_groups(traces[group_field])
        unknown = sorted(set(groups.dropna().unique()) - set(GROUPS))
        if unknown or groups.isna().any():
            row = int(np.flatnonzero((~groups.isin(GROUPS)).to_numpy())[0]) + 1
            raise InputError(
                f"unknown worker groups {unknown or ['<missing>']}.",
                file=label,
                row=row,
                field=group_field,
                fix=f"use one of {', '.join(GROUPS)}.",
            )
        per_driver = pd.Series(groups.to_numpy(dtype=object)).groupby(codes).first()
        group_of = per_driver.reindex(np.arange(len(uniques))).to_numpy(dtype=object)
    else:
        group_of = np.full(len(uniques), check_group(group), dtype=object)
    return _Traces(
        driver_codes=codes[order].astype(np.int64),
        drivers=pd.Index(uniques),
        ns=ns[order],
        lon=x[order],
        lat=y[order],
        times=parsed.reset_index(drop=True),
        order=order,
        group=group_of,
        dropped={},
    )


# ------------------------------------------------------------- trace cleaning
def _haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres between paired points in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def impossible_fixes(
    codes: np.ndarray,
    ns: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    limit_mps: np.ndarray,
    *,
    tolerance_m: float = _JUMP_TOLERANCE_M,
    max_rounds: int = 50,
) -> tuple[np.ndarray, int]:
    """Find fixes that a driver cannot have reached: the far side of impossible jumps.

    Fixes are sorted by driver and time. A jump from one fix to the next is
    impossible when it is longer than ``tolerance_m`` plus the distance the
    speed limit (``limit_mps``, per fix) allows in the time between them. The
    jumps cut each driver's fixes into pieces. A piece is dropped when

    - it lies between two impossible jumps, holds at most 5 fixes and no more
      than either neighbour, and the trace is possible without it (the fix
      before it to the fix after it): a lone fix 1,900 km away, or a burst;
    - or it starts or ends the driver's trace, holds at most 3 fixes, and the
      piece across the jump holds 5 or more (a stale first fix from a phone's
      cold start).

    Sustained fast travel (every jump impossible) keeps its fixes: no piece is
    smaller than its neighbours and no bridge is possible. Rounds repeat until
    nothing more is dropped.

    Returns
    -------
    tuple
        The mask of dropped fixes, and the number of impossible jumps left.
    """
    keep = np.ones(len(codes), dtype=bool)
    left = 0
    for _ in range(max_rounds):
        idx = np.flatnonzero(keep)
        if len(idx) < 2:
            return ~keep, 0
        c = codes[idx]
        same = c[1:] == c[:-1]
        dist = _haversine_m(lon[idx[:-1]], lat[idx[:-1]], lon[idx[1:]], lat[idx[1:]])
        dt_s = (ns[idx[1:]] - ns[idx[:-1]]) / 1e9
        fast = same & (dist > tolerance_m + limit_mps[idx[1:]] * dt_s)
        left = int(fast.sum())
        if not left:
            break
        cut = np.r_[True, ~same | fast]
        starts = np.flatnonzero(cut)  # positions in idx of each piece's first fix
        piece = np.cumsum(cut) - 1
        size = np.bincount(piece)
        ends = np.r_[starts[1:], len(idx)] - 1
        entry = np.r_[False, fast][starts]  # the piece starts with an impossible jump
        leave = np.r_[entry[1:], False]  # ... ends with one
        before = np.r_[0, size[:-1]]
        after = np.r_[size[1:], 0]
        inner = entry & leave
        bridge = np.zeros(len(size), dtype=bool)
        k = np.flatnonzero(inner)
        if len(k):
            a, b = idx[ends[k - 1]], idx[starts[k + 1]]
            gap = _haversine_m(lon[a], lat[a], lon[b], lat[b])
            bridge[k] = gap <= tolerance_m + limit_mps[b] * (ns[b] - ns[a]) / 1e9
        drop = inner & bridge & (size <= _MAX_BURST) & (size <= before) & (size <= after)
        edge = entry ^ leave
        across = after.copy()
        across[entry] = before[entry]
        drop |= edge & (size <= 3) & (across >= 5)
        if not drop.any():
            break
        keep[idx[drop[piece]]] = False
    return ~keep, left


def _clean_traces(
    prepared: _Traces, *, max_speed_kmh: float | None, area: Area | None, label: str, driver: str
) -> _Traces:
    """Drop impossible jumps and fixes outside ``area``; count them and say so."""
    n = len(prepared.driver_codes)
    if n == 0:
        return prepared
    if max_speed_kmh is None:
        per_driver = np.array(
            [MAX_SPEED_KMH.get(str(g), MAX_SPEED_KMH["other"]) for g in prepared.group]
        )
    else:
        per_driver = np.full(len(prepared.drivers), float(max_speed_kmh))
    limit = per_driver[prepared.driver_codes] / 3.6
    jumps, left = impossible_fixes(
        prepared.driver_codes, prepared.ns, prepared.lon, prepared.lat, limit
    )
    outside = np.zeros(n, dtype=bool)
    if area is not None:
        import shapely

        geometry = area_geometry(area)
        shapely.prepare(geometry)
        inside = shapely.intersects_xy(geometry, prepared.lon, prepared.lat)
        outside = ~inside & ~jumps
    dropped = {
        "fixes": n,
        "impossible_jumps": int(jumps.sum()),
        "outside_area": int(outside.sum()),
        "jumps_left": left,
    }
    parts = []
    if jumps.any():
        first = int(np.flatnonzero(jumps)[0])
        who = prepared.drivers[prepared.driver_codes[first]]
        limits = sorted({f"{v:g}" for v in per_driver[np.unique(prepared.driver_codes[jumps])]})
        parts.append(
            f"{int(jumps.sum()):,} after impossible jumps (faster than {'/'.join(limits)} km/h; "
            f"e.g. {driver} {who!r}, row {int(prepared.order[first]) + 1})"
        )
    if outside.any():
        parts.append(f"{int(outside.sum()):,} outside the network's area")
    if parts:
        text = f"{label}: dropped {' and '.join(parts)} of {n:,} GPS fixes before finding stays."
        fix = (
            " Pass max_speed_kmh= to change the speed limit"
            + (", or a larger area=" if outside.any() else "")
            + "; the counts are in the result's attrs['dropped_fixes']."
        )
        message = text + fix
    else:
        message = ""
    if left:
        logger.info("%s: %d impossible jumps kept (neither side is an outlier)", label, left)
    keep = ~(jumps | outside)
    return _Traces(
        driver_codes=prepared.driver_codes[keep],
        drivers=prepared.drivers,
        ns=prepared.ns[keep],
        lon=prepared.lon[keep],
        lat=prepared.lat[keep],
        times=prepared.times,
        order=prepared.order[keep],
        group=prepared.group,
        dropped=dropped,
        drop_message=message,
    )


# ------------------------------------------------------------- stay points
def _metric_crs(value: str | CRS) -> CRS:
    """Return ``value`` as a projected CRS in metres, or raise naming the argument."""
    try:
        crs = CRS.from_user_input(value)
    except CRSError as error:
        raise InputError(
            f"metric_crs {value!r} is not a CRS pyproj knows: {error}.",
            field="metric_crs",
            fix="pass a projected CRS in metres such as 'EPSG:32650', or None.",
        ) from error
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in ("metre", "meter"):
        raise InputError(
            f"metric_crs {crs.to_string()} is not a projected CRS in metres.",
            field="metric_crs",
            fix="pass a projected CRS in metres such as a UTM zone ('EPSG:32650'), or None.",
        )
    return crs


def _segments(codes: np.ndarray, ns: np.ndarray, max_gap_ns: int | None) -> np.ndarray:
    """Return a segment id per fix: a new segment at each driver change or long gap."""
    n = len(codes)
    brk = np.zeros(n, dtype=bool)
    if n:
        brk[0] = True
        brk[1:] = codes[1:] != codes[:-1]
        if max_gap_ns is not None:
            brk[1:] |= (ns[1:] - ns[:-1]) > max_gap_ns
    return np.cumsum(brk) - 1


def _stays_sorted(
    x: np.ndarray,
    y: np.ndarray,
    ns: np.ndarray,
    seg: np.ndarray,
    *,
    d_max: float,
    t_min_ns: int,
    batch: int = 4,
    window_budget: int = 1_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Li et al. (2008) stay points on fixes sorted by segment and time.

    Returns the first and last fix positions ``(i, j)`` (inclusive) of every stay.

    The algorithm walks an anchor ``i`` along each segment; ``j(i)`` is the first
    later fix farther than ``d_max`` from the anchor. If the fixes ``i..j-1``
    span at least ``t_min`` they form a stay and the anchor jumps to ``j``, else it
    moves to ``i + 1``. Vectorised as follows:

    1. ``k(i)``: the first fix at least ``t_min`` after ``i`` in the segment
       (``searchsorted``). Anchor ``i`` starts a stay iff all fixes ``i+1..k(i)``
       lie within ``d_max`` of it. Cheap necessary conditions (the next fix, the
       middle one and fix ``k(i)`` within reach), checked for every fix at once,
       leave the candidate anchors.
    2. The walk proceeds in rounds over all segments at once: each segment's
       pointer takes its next ``batch`` candidates, checks them exactly (all
       fixes of their windows, flattened), and the first that holds starts a
       stay whose end ``j`` is found for all segments together (blocks of
       growing size); the pointer jumps to ``j``, or past the candidates that
       failed. Anchors inside stays are never checked, and there are about as
       many rounds as the largest number of stays in one segment.
    """
    n = len(x)
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return empty, empty
    d2max = d_max * d_max
    # segment bounds
    seg_start_flag = np.r_[True, seg[1:] != seg[:-1]]
    starts = np.flatnonzero(seg_start_flag)
    ends = np.r_[starts[1:], n]  # exclusive
    seg_end = ends[seg]  # exclusive end of each fix's segment
    # 1. k(i): first fix with t >= t_i + t_min in the same segment. The float key
    # orders (segment, time); integer nanoseconds then settle rounding exactly.
    rel = ns - ns[starts[seg]]
    t = rel.astype(np.float64) / 1e9
    span = float(t.max()) + t_min_ns / 1e9 + 1.0
    key = seg.astype(np.float64) * span + t
    k = np.searchsorted(key, key + t_min_ns / 1e9, side="left")
    ar = np.arange(n)
    for _ in range(64):
        prev = np.maximum(k - 1, ar)
        back = (k - 1 > ar) & (rel[prev] - rel >= t_min_ns)
        kc = np.minimum(k, n - 1)
        fwd = (k < seg_end) & (rel[kc] - rel < t_min_ns)
        if not (back.any() or fwd.any()):
            break
        k = k - back + fwd
    k = np.minimum(k, seg_end)
    cand = k < seg_end
    idx = np.flatnonzero(cand)
    kk = k[idx]

    def d2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        dx = x[a] - x[b]
        dy = y[a] - y[b]
        return dx * dx + dy * dy

    # cheap necessary conditions: the next fix, the middle one and the fix at t_min
    # are within reach of the anchor
    mid = (idx + kk) // 2
    ok = (d2(idx, idx + 1) <= d2max) & (d2(idx, kk) <= d2max) & (d2(idx, mid) <= d2max)
    cands = idx[ok]
    if len(cands) == 0:
        return empty, empty
    # 2. the walk, in rounds over all segments at once. Each round checks exactly the
    # next `batch` candidate anchors at or after each segment's pointer; the first that
    # holds starts a stay, whose end j is then found, and the pointer jumps to j.
    # Anchors inside a stay are never checked.
    seg_ids = np.unique(seg[cands])
    pointer = starts[seg_ids].copy()
    active_seg = seg_ids
    out_i: list[np.ndarray] = []
    out_j: list[np.ndarray] = []
    steps = np.arange(batch)
    last_c = len(cands) - 1
    while len(pointer):
        pos = np.searchsorted(cands, pointer, side="left")
        cols = pos[:, None] + steps[None, :]
        valid = cols <= last_c
        anchor = cands[np.minimum(cols, last_c)]
        valid &= seg[anchor] == active_seg[:, None]
        alive = valid[:, 0]
        if not alive.all():
            pointer, active_seg = pointer[alive], active_seg[alive]
            anchor, valid = anchor[alive], valid[alive]
        if len(pointer) == 0:
            break
        holds = np.zeros(valid.shape, dtype=bool)
        holds[valid] = _all_within(x, y, anchor[valid], k[anchor[valid]], d2max, window_budget)
        found = holds.any(axis=1)
        rows = np.flatnonzero(found)
        start_at = anchor[rows, np.argmax(holds[rows], axis=1)]
        j = _first_far(x, y, x[start_at], y[start_at], k[start_at] + 1, seg_end[start_at], d2max)
        out_i.append(start_at)
        out_j.append(j - 1)
        last_valid = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
        pointer = np.where(found, 0, anchor[np.arange(len(anchor)), last_valid] + 1)
        pointer[rows] = j
    if not out_i:
        return empty, empty
    first = np.concatenate(out_i)
    last = np.concatenate(out_j)
    order = np.argsort(first, kind="stable")
    return first[order], last[order]


def _all_within(
    x: np.ndarray,
    y: np.ndarray,
    anchors: np.ndarray,
    until: np.ndarray,
    d2max: float,
    budget: int,
) -> np.ndarray:
    """Return whether all fixes ``anchor+1..until`` lie within reach of each anchor."""
    out = np.zeros(len(anchors), dtype=bool)
    lengths = until - anchors
    cum = np.cumsum(lengths)
    start = 0
    while start < len(anchors):
        base = cum[start - 1] if start else 0
        stop = max(int(np.searchsorted(cum, base + budget, side="right")), start + 1)
        lens = lengths[start:stop]
        part = anchors[start:stop]
        total = int(lens.sum())
        offsets = np.cumsum(lens) - lens
        rep = np.repeat(part, lens)
        other = rep + (np.arange(total) - np.repeat(offsets, lens) + 1)
        dx = x[other] - x[rep]
        dy = y[other] - y[rep]
        far = (dx * dx + dy * dy) > d2max
        out[start:stop] = ~np.logical_or.reduceat(far, offsets)
        start = stop
    return out


def _first_far(
    x: np.ndarray,
    y: np.ndarray,
    ax: np.ndarray,
    ay: np.ndarray,
    begin: np.ndarray,
    end: np.ndarray,
    d2max: float,
) -> np.ndarray:
    """Return the first position in ``[begin, end)`` beyond reach of each centre, else ``end``."""
    result = end.copy()
    todo = np.flatnonzero(begin < end)
    pos = begin.copy()
    block = 16
    while len(todo):
        cx = ax[todo]
        cy = ay[todo]
        p = pos[todo]
        e = end[todo]
        steps = np.arange(block)
        cols = p[:, None] + steps[None, :]
        inside = cols < e[:, None]
        cols = np.minimum(cols, e[:, None] - 1)
        dx = x[cols] - cx[:, None]
        dy = y[cols] - cy[:, None]
        far = ((dx * dx + dy * dy) > d2max) & inside
        hit = far.any(axis=1)
        first = np.argmax(far, axis=1)
        result[todo[hit]] = p[hit] + first[hit]
        nxt = p + block
        more = ~hit & (nxt < e)
        pos[todo[more]] = nxt[more]
        todo = todo[more]
        block = min(block * 2, 4096)
    return result


def _centroids_and_merge(
    x: np.ndarray,
    y: np.ndarray,
    ns: np.ndarray,
    seg: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    *,
    d_max: float,
    merge_gap_ns: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centroids of stays ``i..j``; merge consecutive stays of a segment that are one stop.

    Li's algorithm splits a stop in two when a noisy fix lands just beyond
    ``d_max`` from the anchor. Consecutive stays of one segment whose centroids
    lie within ``d_max`` of each other and that are separated by less than
    ``merge_gap_ns`` are merged; the merged centroid is the mean of their fixes.
    Each stay is then extended over the following fixes within ``d_max`` of its
    centroid (the tail of a stop that was too short to be a stay of its own).
    """
    if len(i) == 0:
        return i, j, np.empty(0), np.empty(0)
    # sums of each stay's fixes relative to the first fix of its segment, each from its
    # own fixes only: a driver's stays do not depend on the other drivers processed with
    # it (chunks, partitions of a cluster run)
    seg_start = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])[seg]
    dx = x - x[seg_start]
    dy = y - y[seg_start]
    sx = _range_sums(dx, i, j + 1)
    sy = _range_sums(dy, i, j + 1)
    cnt = (j - i + 1).astype(float)
    if merge_gap_ns is not None:
        mx, my = sx / cnt, sy / cnt
        join = (
            (seg[i[1:]] == seg[i[:-1]])
            & ((ns[i[1:]] - ns[j[:-1]]) <= merge_gap_ns)
            & (np.hypot(mx[1:] - mx[:-1], my[1:] - my[:-1]) <= d_max)
        )
        if join.any():
            label = np.cumsum(np.r_[True, ~join]) - 1
            starts = np.flatnonzero(np.r_[True, ~join])
            ends = np.r_[starts[1:], len(i)] - 1
            sx = np.bincount(label, weights=sx)
            sy = np.bincount(label, weights=sy)
            cnt = np.bincount(label, weights=cnt)
            i, j = i[starts], j[ends]
        # a stay ends when a fix leaves the radius around its anchor, which may be an
        # early fix at the edge of the stop: extend it over the following fixes that
        # stay within the radius of its centroid (up to the next stay or segment end)
        n = len(x)
        seg_end = np.r_[np.flatnonzero(seg[1:] != seg[:-1]) + 1, n]
        limit = seg_end[np.searchsorted(seg_end, j, side="right")]
        limit = np.minimum(limit, np.r_[i[1:], n])
        ref = seg_start[i]
        centre_x = sx / cnt + x[ref]
        centre_y = sy / cnt + y[ref]
        new_j = _first_far(x, y, centre_x, centre_y, j + 1, limit, d_max * d_max) - 1
        grown = np.flatnonzero(new_j > j)
        if len(grown):
            sx[grown] += _range_sums(dx, j[grown] + 1, new_j[grown] + 1)
            sy[grown] += _range_sums(dy, j[grown] + 1, new_j[grown] + 1)
            cnt[grown] += new_j[grown] - j[grown]
            j = new_j
    ref = seg_start[i]
    return i, j, sx / cnt + x[ref], sy / cnt + y[ref]


def _range_sums(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return ``values[lo[k]:hi[k]].sum()`` for sorted, disjoint, non-empty ranges.

    Each sum is computed from its own range only (``np.add.reduceat``), so it does
    not depend on the values around it.
    """
    if len(lo) == 0:
        return np.empty(0)
    bounds = np.empty(2 * len(lo), dtype=np.intp)
    bounds[0::2] = lo
    bounds[1::2] = hi
    padded = np.r_[values, 0.0]  # hi may be len(values)
    return np.add.reduceat(padded, bounds)[0::2]


def stays_from_traces(
    traces: pd.DataFrame,
    *,
    driver: str = "driver_id",
    time: str = "time",
    lon: str = "lon",
    lat: str = "lat",
    max_distance_m: float = 200.0,
    min_duration_min: float = 5.0,
    max_gap_min: float | None = 60.0,
    merge: bool = True,
    metric_crs: str | CRS | None = None,
    group: str = "rider",
    group_field: str | None = "group",
    datum: str = "wgs84",
    tz: str | None = None,
    max_speed_kmh: float | None = None,
    area: Area | None = None,
    chunk_points: int = 2_000_000,
    label: str = "traces",
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Detect stay points (stops) in GPS traces, per driver.

    A stay is a run of a driver's consecutive fixes that all lie within
    ``max_distance_m`` of the run's first fix and span at least
    ``min_duration_min`` (Li et al., 2008, "Mining user similarity based on
    location history"). The defaults (200 m, 5 minutes) find riders waiting at a
    restaurant or a mall and couriers at a depot, but not traffic lights. Fixes
    may come in any order; they are sorted by driver and time. A gap longer than
    ``max_gap_min`` between two fixes of a driver ends any stay (a phone switched
    off overnight is not a stay of ten hours).

    Distances are measured in a local metric CRS (UTM) chosen from the data.
    Work is vectorised with numpy over drivers in chunks of about
    ``chunk_points`` fixes, so millions of fixes take seconds.

    Parameters
    ----------
    traces
        One row per GPS fix: a DataFrame with driver, time, lon and lat columns,
        or a GeoDataFrame of points (any CRS) with driver and time columns, such
        as :func:`planner.io.read_traces` returns (its geometry is used, not its
        lon/lat columns).
    driver, time, lon, lat
        Column names (the defaults are those of :func:`planner.io.read_traces`).
        Times may be datetimes or text, read by :func:`planner.io.parse_timestamps`
        (ISO 8601, with or without a UTC offset; a mix of both needs ``tz``), but
        not numbers.
    max_distance_m
        Radius of a stay around its first fix, in metres.
    min_duration_min
        Minimum duration of a stay, in minutes.
    max_gap_min
        Longest gap between fixes inside a stay, in minutes; ``None`` for no limit.
    merge
        Merge consecutive stays of a driver whose centroids lie within
        ``max_distance_m`` and that are less than ``min_duration_min`` apart: Li's
        algorithm splits a stop when one noisy fix lands just beyond the radius.
        ``False`` gives Li's algorithm exactly.
    metric_crs
        Projected CRS (metres) to measure distances in, e.g. ``"EPSG:32650"``;
        ``None``: the UTM zone of the median longitude and latitude of the fixes as
        given (before ``max_speed_kmh`` and ``area`` drop any).
        A driver's stays depend only on that driver's fixes and this CRS, never on
        the other drivers or on ``chunk_points``.
    group
        Worker group of every driver (one of :data:`GROUPS`) unless ``group_field``
        is a column of ``traces``.
    group_field
        Column holding each driver's worker group (its first value per driver is used).
    datum
        Datum of the coordinates: ``"wgs84"``, or ``"gcj02"`` / ``"bd09"`` (Chinese
        web maps), converted with :mod:`planner.crs`.
    tz
        Time zone (e.g. ``"Asia/Shanghai"``) of times without an offset, and the
        zone that times with an offset are converted to; it sets the hour of day
        used by :func:`hotspots_from_stays`. Without it, times that all carry one
        offset keep their local clock (a fix at ``12:00+08:00`` is hour 12).
        :func:`planner.io.read_traces` returns UTC times: pass ``tz`` to get local
        hours.
    max_speed_kmh
        Fastest believable speed between two fixes; a fix reached faster (beyond
        100 m of GPS noise) is the far side of an impossible jump: the fewer
        fixes on either side of such jumps are dropped, so a lone fix 1,900 km
        away goes and the trace around it stays. ``None``: by worker group
        (:data:`MAX_SPEED_KMH`: 60 km/h for riders and couriers, 200 km/h for
        ride-hailing and trucks); ``float("inf")`` keeps every fix.
    area
        The area fixes must lie in (WGS84 geometry, box or GeoSeries, e.g.
        ``net.area(buffer_m=500)``); fixes outside are dropped. Every drop is
        counted in ``attrs["dropped_fixes"]`` and announced with a
        :class:`~planner._errors.DroppedFixesWarning`.
    chunk_points
        Approximate number of fixes processed at once (drivers are never split).
    label
        What the traces are (a file name), for messages.
    progress
        Show a progress bar over chunks.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per stay (EPSG:4326), sorted by driver and start: ``driver``,
        ``group``, ``start``, ``end``, ``duration_min``, ``n_points`` (fixes from
        start to end) and the centroid of its fixes as ``geometry``.
        ``attrs["dropped_fixes"]`` counts the fixes read (``fixes``) and dropped
        (``impossible_jumps``, ``outside_area``).

    Raises
    ------
    InputError
        Missing columns, coordinates out of range, missing driver ids, timestamps
        that cannot be read or mix zoned and unzoned times without ``tz``; the
        message names the field and the bad rows.

    Examples
    --------
    >>> import pandas as pd
    >>> fixes = pd.DataFrame({
    ...     "driver_id": ["a"] * 12,
    ...     "time": pd.date_range("2024-05-01 12:00", periods=12, freq="min"),
    ...     "lon": [116.30] * 10 + [116.32, 116.34],
    ...     "lat": [39.98] * 12,
    ... })
    >>> stays = stays_from_traces(fixes)
    >>> stays[["driver", "duration_min", "n_points"]].to_dict("records")
    [{'driver': 'a', 'duration_min': 9.0, 'n_points': 10}]
    """
    result, notes = _stays(
        traces,
        driver=driver,
        time=time,
        lon=lon,
        lat=lat,
        max_distance_m=max_distance_m,
        min_duration_min=min_duration_min,
        max_gap_min=max_gap_min,
        merge=merge,
        metric_crs=metric_crs,
        group=group,
        group_field=group_field,
        datum=datum,
        tz=tz,
        max_speed_kmh=max_speed_kmh,
        area=area,
        chunk_points=chunk_points,
        label=label,
        progress=progress,
    )
    if notes.drop_message:
        logger.warning("%s", notes.drop_message)
        warn(notes.drop_message, DroppedFixesWarning)
    if notes.single:
        names = ", ".join(repr(d) for d in notes.single[:5])
        more = f" and {len(notes.single) - 5} more" if len(notes.single) > 5 else ""
        warnings.warn(
            f"{label}: {len(notes.single)} drivers have a single fix and cannot have stays "
            f"(field {driver!r}: {names}{more}).",
            UserWarning,
            stacklevel=2,
        )
    return result


@dataclass
class _Notes:
    """What a stay search has to say: fixes dropped (and the fix), drivers with one fix."""

    drop_message: str
    single: list[Any]


def _stays(
    traces: pd.DataFrame,
    *,
    driver: str,
    time: str,
    lon: str,
    lat: str,
    max_distance_m: float,
    min_duration_min: float,
    max_gap_min: float | None,
    merge: bool,
    metric_crs: str | CRS | None,
    group: str,
    group_field: str | None,
    datum: str,
    tz: str | None,
    max_speed_kmh: float | None,
    area: Area | None,
    chunk_points: int,
    label: str,
    progress: bool,
) -> tuple[gpd.GeoDataFrame, _Notes]:
    """Find the stays (the work of :func:`stays_from_traces`), returning what to announce.

    :mod:`planner.demand.dask_stays` runs it on each partition and announces once.
    """
    if not (np.isfinite(max_distance_m) and max_distance_m > 0):
        raise InputError(
            f"max_distance_m must be a positive number of metres, got {max_distance_m!r}.",
            field="max_distance_m",
        )
    if not (np.isfinite(min_duration_min) and min_duration_min > 0):
        raise InputError(
            f"min_duration_min must be a positive number of minutes, got {min_duration_min!r}.",
            field="min_duration_min",
        )
    if max_gap_min is not None and not max_gap_min > 0:
        raise InputError(
            f"max_gap_min must be positive or None, got {max_gap_min!r}.", field="max_gap_min"
        )
    prepared = _prepare_traces(
        traces,
        driver=driver,
        time=time,
        lon=lon,
        lat=lat,
        group=group,
        group_field=group_field,
        datum=datum,
        tz=tz,
        label=label,
    )
    if max_speed_kmh is not None and not max_speed_kmh > 0:
        raise InputError(
            f"max_speed_kmh must be a positive number, got {max_speed_kmh!r}.",
            field="max_speed_kmh",
            fix="pass e.g. 60 for e-bikes or 200 for vehicles, None for the group defaults, "
            "or float('inf') to keep every fix.",
        )
    # the metric CRS from the fixes as given (before cleaning): a function of the input
    # alone, which a cluster can take from a first pass over the files
    crs = _metric_crs(metric_crs) if metric_crs is not None else None
    crs = crs or metric_crs_for(prepared.lon, prepared.lat)
    prepared = _clean_traces(
        prepared, max_speed_kmh=max_speed_kmh, area=area, label=label, driver=driver
    )
    codes = prepared.driver_codes
    n = len(codes)
    counts = np.bincount(codes, minlength=len(prepared.drivers)) if n else np.zeros(0, int)
    single = list(prepared.drivers[np.flatnonzero(counts == 1)])
    t_min_ns = round(min_duration_min * 60e9)
    # chunks of whole drivers
    driver_start = np.r_[0, np.cumsum(counts)]
    bounds = [0]
    if n:
        targets = np.arange(chunk_points, n, chunk_points)
        cuts = np.unique(driver_start[np.searchsorted(driver_start, targets)])
        bounds.extend(int(c) for c in cuts if 0 < c < n)
    bounds.append(n)
    firsts: list[np.ndarray] = []
    lasts: list[np.ndarray] = []
    sum_x: list[np.ndarray] = []
    sum_y: list[np.ndarray] = []
    gap = None if max_gap_min is None else round(max_gap_min * 60e9)
    for lo, hi in tqdm(
        list(itertools.pairwise(bounds)),
        desc="stay points",
        disable=not progress,
        unit="chunk",
    ):
        x, y = to_metric(prepared.lon[lo:hi], prepared.lat[lo:hi], crs)
        seg = _segments(codes[lo:hi], prepared.ns[lo:hi], gap)
        i, j = _stays_sorted(x, y, prepared.ns[lo:hi], seg, d_max=max_distance_m, t_min_ns=t_min_ns)
        i, j, mx, my = _centroids_and_merge(
            x,
            y,
            prepared.ns[lo:hi],
            seg,
            i,
            j,
            d_max=max_distance_m,
            merge_gap_ns=t_min_ns if merge else None,
        )
        sum_x.append(mx)
        sum_y.append(my)
        firsts.append(i + lo)
        lasts.append(j + lo)
    first = np.concatenate(firsts) if firsts else np.empty(0, np.int64)
    last = np.concatenate(lasts) if lasts else np.empty(0, np.int64)
    mx = np.concatenate(sum_x) if sum_x else np.empty(0)
    my = np.concatenate(sum_y) if sum_y else np.empty(0)
    clon, clat = to_lonlat(mx, my, crs) if len(mx) else (np.empty(0), np.empty(0))
    code = codes[first]
    start = prepared.times.iloc[prepared.order[first]].reset_index(drop=True)
    end = prepared.times.iloc[prepared.order[last]].reset_index(drop=True)
    driver_values = prepared.drivers.take(code)
    result = points_gdf(
        {
            "driver": np.asarray(driver_values),
            "group": np.asarray(prepared.group[code], dtype=object),
            "start": start,
            "end": end,
            "duration_min": (prepared.ns[last] - prepared.ns[first]) / 6e10,
            "n_points": (last - first + 1).astype(np.int64),
        },
        clon,
        clat,
    )
    result.index.name = "stay"
    result.attrs["dropped_fixes"] = dict(prepared.dropped)
    return result, _Notes(drop_message=prepared.drop_message, single=single)
