"""Weighted demand points: GPS stay points and hotspots, POI proxies, areas, grids.

Every ``demand_*`` function returns the **demand schema** that coverage and the
siting models consume: a GeoDataFrame in EPSG:4326 of points with columns

- ``weight`` — float, >= 0;
- ``group`` — the worker group, one of :data:`GROUPS`
  (``rider``, ``courier``, ``ride_hailing``, ``truck``, ``other``);
- ``source`` — where it came from, one of :data:`SOURCES`
  (``stays``, ``poi``, ``area``, ``grid``, ``user``).

From GPS traces (one row per fix: driver, time, lon, lat):

1. :func:`stays_from_traces` finds stay points per driver (Li et al. 2008: a
   driver stays within ``max_distance_m`` of the first fix of the stay for at
   least ``min_duration_min``), vectorised over sorted arrays;
2. :func:`hotspots_from_stays` clusters stays across drivers (DBSCAN on metric
   coordinates, per worker group) into hotspots weighted by distinct drivers,
   stays or dwell time, optionally with an hour-of-day histogram;
3. :func:`demand_from_hotspots` / :func:`demand_from_stays` give the demand schema.

Without traces: :func:`demand_from_pois` (OSM POIs as proxies, weights in
:data:`POI_DEMAND_WEIGHTS`), :func:`demand_from_areas` (district totals spread
over the road network) and :func:`demand_from_points` (the user's own points).

Aggregation keeps totals exact: :func:`demand_to_nodes` (road network nodes)
and :func:`demand_to_grid` (hexagonal or square cells).
"""

from __future__ import annotations

import itertools
import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from planner import _grid
from planner._errors import DatumError, InputError, Problem
from planner._progress import tqdm
from planner.crs import WGS84, local_metric_crs

if TYPE_CHECKING:
    from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = [
    "GROUPS",
    "POI_DEMAND_TAGS",
    "POI_DEMAND_WEIGHTS",
    "SOURCES",
    "PoiWeight",
    "demand_from_areas",
    "demand_from_hotspots",
    "demand_from_osm",
    "demand_from_points",
    "demand_from_pois",
    "demand_from_stays",
    "demand_to_grid",
    "demand_to_nodes",
    "hotspots_from_stays",
    "stays_from_traces",
    "validate_demand",
]

#: Worker groups that demand (and coverage reports) are split by.
GROUPS: tuple[str, ...] = ("rider", "courier", "ride_hailing", "truck", "other")
#: Where a demand point came from.
SOURCES: tuple[str, ...] = ("stays", "poi", "area", "grid", "user")

DEMAND_COLUMNS = ["weight", "group", "source"]


@dataclass(frozen=True)
class PoiWeight:
    """The demand one POI stands for.

    Parameters
    ----------
    group
        The worker group the POI draws (one of :data:`GROUPS`).
    weight
        Relative demand of one POI of this kind (a restaurant = 1).
    """

    group: str
    weight: float


#: Default demand weights of OSM POIs, by ``(key, value)``. They are relative
#: (one ordinary restaurant = 1 rider unit) and reflect where riders and couriers
#: wait or deliver, not measured order counts; replace them with local figures
#: (e.g. order shares by POI type from a platform) where you have them.
#:
#: ================================ ============ ====== =====================================
#: tag                              group        weight why
#: ================================ ============ ====== =====================================
#: amenity=restaurant               rider        1.0    order pick-up
#: amenity=fast_food                rider        2.0    the largest share of delivery orders
#: amenity=cafe                     rider        0.5    tea/coffee orders, smaller
#: amenity=food_court               rider        3.0    many vendors, one pick-up place
#: amenity=marketplace              rider        1.0    fresh-food orders
#: shop=mall                        rider        5.0    many restaurants inside
#: shop=department_store            rider        2.0
#: shop=supermarket                 rider        1.0    grocery delivery
#: shop=convenience                 rider        0.5
#: amenity=post_depot               courier      5.0    express-delivery sorting depots
#: office=courier                   courier      3.0    express-company branch offices
#: amenity=post_office              courier      1.0
#: amenity=parcel_locker            courier      0.3    drop-off points
#: building=apartments              courier      1.0    delivery destinations
#: building=residential             courier      1.0    delivery destinations
#: building=dormitory               courier      1.0    delivery destinations
#: landuse=residential              courier      2.0    a residential compound (小区)
#: railway=station                  ride_hailing 5.0    drivers wait at transport hubs
#: amenity=bus_station              ride_hailing 2.0
#: aeroway=terminal                 ride_hailing 10.0
#: amenity=taxi                     ride_hailing 1.0    taxi ranks
#: highway=services                 truck        2.0    motorway service areas
#: highway=rest_area                truck        1.0
#: ================================ ============ ====== =====================================
POI_DEMAND_WEIGHTS: Mapping[tuple[str, str], PoiWeight] = {
    ("amenity", "restaurant"): PoiWeight("rider", 1.0),
    ("amenity", "fast_food"): PoiWeight("rider", 2.0),
    ("amenity", "cafe"): PoiWeight("rider", 0.5),
    ("amenity", "food_court"): PoiWeight("rider", 3.0),
    ("amenity", "marketplace"): PoiWeight("rider", 1.0),
    ("shop", "mall"): PoiWeight("rider", 5.0),
    ("shop", "department_store"): PoiWeight("rider", 2.0),
    ("shop", "supermarket"): PoiWeight("rider", 1.0),
    ("shop", "convenience"): PoiWeight("rider", 0.5),
    ("amenity", "post_depot"): PoiWeight("courier", 5.0),
    ("office", "courier"): PoiWeight("courier", 3.0),
    ("amenity", "post_office"): PoiWeight("courier", 1.0),
    ("amenity", "parcel_locker"): PoiWeight("courier", 0.3),
    ("building", "apartments"): PoiWeight("courier", 1.0),
    ("building", "residential"): PoiWeight("courier", 1.0),
    ("building", "dormitory"): PoiWeight("courier", 1.0),
    ("landuse", "residential"): PoiWeight("courier", 2.0),
    ("railway", "station"): PoiWeight("ride_hailing", 5.0),
    ("amenity", "bus_station"): PoiWeight("ride_hailing", 2.0),
    ("aeroway", "terminal"): PoiWeight("ride_hailing", 10.0),
    ("amenity", "taxi"): PoiWeight("ride_hailing", 1.0),
    ("highway", "services"): PoiWeight("truck", 2.0),
    ("highway", "rest_area"): PoiWeight("truck", 1.0),
}


def _tags_of(weights: Mapping[tuple[str, str], PoiWeight]) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for key, value in weights:
        tags.setdefault(key, []).append(value)
    return tags


#: The tags :func:`demand_from_osm` reads by default (those of :data:`POI_DEMAND_WEIGHTS`).
POI_DEMAND_TAGS: Mapping[str, list[str]] = _tags_of(POI_DEMAND_WEIGHTS)


# --------------------------------------------------------------------- helpers
def _normal_groups(values: pd.Series) -> pd.Series:
    """Spell worker groups the canonical way: ``Ride-hailing`` becomes ``ride_hailing``."""
    text = values.astype("string").str.strip().str.lower()
    return text.str.replace(r"[\s\-]+", "_", regex=True)


def _check_group(group: str, *, field: str = "group") -> str:
    normal = str(_normal_groups(pd.Series([group])).iloc[0])
    if normal not in GROUPS:
        raise InputError(
            f"unknown worker group {group!r}.",
            field=field,
            fix=f"use one of {', '.join(GROUPS)}.",
        )
    return normal


def _metric_crs_for(lon: np.ndarray, lat: np.ndarray) -> CRS:
    if len(lon) == 0:
        return local_metric_crs(0.0, 0.0)
    return local_metric_crs(float(np.nanmedian(lon)), float(np.nanmedian(lat)))


def _to_metric(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    transformer = Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def _to_lonlat(x: np.ndarray, y: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def _points_gdf(
    data: Mapping[str, Any] | pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    index: pd.Index | None = None,
) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(data, index=index)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def _gdf_lonlat(gdf: gpd.GeoDataFrame | gpd.GeoSeries, label: str) -> tuple[np.ndarray, np.ndarray]:
    if gdf.crs is None:
        raise InputError(
            f"{label} has no CRS.",
            file=label,
            field="geometry",
            fix="set it, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude in WGS84.",
        )
    geom = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    if not CRS(gdf.crs).equals(WGS84):
        geom = geom.to_crs(WGS84)
    kinds = set(geom.geom_type.dropna().unique())
    if kinds - {"Point"}:
        geom = geom.representative_point() if kinds & {"Polygon", "MultiPolygon"} else geom.centroid
    return np.asarray(geom.x, float), np.asarray(geom.y, float)


# ---------------------------------------------------------- traces validation
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)\s*$", re.IGNORECASE)


def _parse_times(values: pd.Series, *, field: str, label: str, tz: str | None) -> pd.Series:
    """Parse a time column to datetimes; raise naming the first bad row."""
    series = values
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
    elif pd.api.types.is_numeric_dtype(series):
        raise InputError(
            f"{field} holds numbers ({series.iloc[0]!r} in row 1), not timestamps.",
            file=label,
            field=field,
            fix=(
                f"convert them first, e.g. pd.to_datetime(df[{field!r}], unit='s') for "
                "Unix seconds."
            ),
        )
    else:
        text = series.astype("string")
        missing = text.isna().to_numpy()
        if missing.any():
            row = int(np.flatnonzero(missing)[0]) + 1
            raise InputError(
                f"{int(missing.sum())} timestamps are missing.",
                file=label,
                row=row,
                field=field,
                fix="drop those rows or fill in the times.",
            )
        has_offset = text.str.contains(_OFFSET).to_numpy(dtype=bool)
        if has_offset.any() and not has_offset.all():
            naive_row = int(np.flatnonzero(~has_offset)[0]) + 1
            aware_row = int(np.flatnonzero(has_offset)[0]) + 1
            raise InputError(
                f"timestamps mix local times without a time zone (row {naive_row}: "
                f"{text.iloc[naive_row - 1]!r}) with times that carry a UTC offset "
                f"(row {aware_row}: {text.iloc[aware_row - 1]!r}).",
                file=label,
                row=naive_row,
                field=field,
                fix="give every timestamp a UTC offset (e.g. +08:00) or none.",
            )
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=bool(has_offset.any()))
        except (ValueError, TypeError) as error:
            bad = pd.to_datetime(
                text, format="ISO8601", errors="coerce", utc=bool(has_offset.any())
            )
            rows = np.flatnonzero(bad.isna().to_numpy())
            bad_row: int | None = int(rows[0]) + 1 if len(rows) else None
            value = text.iloc[bad_row - 1] if bad_row else None
            raise InputError(
                f"{len(rows)} timestamps are not in ISO 8601 form, e.g. {value!r}; "
                "mixed formats (such as 2024-05-01 and 01/05/2024) are ambiguous.",
                file=label,
                row=bad_row,
                field=field,
                fix=(
                    "write every time as ISO 8601 (2024-05-01 08:30:00, optionally with "
                    "+08:00), or parse the column yourself with pandas.to_datetime(format=...)."
                ),
            ) from error
        if has_offset.any():
            offsets = text.str.extract(r"((?:Z|[+-]\d{2}(?::?\d{2})?))\s*$", expand=False)
            distinct = sorted(str(o) for o in offsets.unique())
            if len(distinct) > 1 and tz is None:
                warnings.warn(
                    f"{label}: field {field!r} mixes UTC offsets ({', '.join(distinct[:4])}); "
                    "times were converted to UTC, so hours of day are UTC hours. "
                    "Pass tz='Asia/Shanghai' (or your zone) for local hours.",
                    UserWarning,
                    stacklevel=4,
                )
            elif tz is None:
                first = text.iloc[0]
                parsed = parsed.dt.tz_convert(pd.Timestamp(first).tz)
    if tz is not None:
        if parsed.dt.tz is None:
            parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        else:
            parsed = parsed.dt.tz_convert(tz)
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0]) + 1
        raise InputError(
            f"{int(parsed.isna().sum())} timestamps are missing or do not exist in the time zone.",
            file=label,
            row=row,
            field=field,
            fix="drop those rows or correct the times.",
        )
    return parsed


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
        x, y = _gdf_lonlat(traces, label)
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
        x, y = _datum_to_wgs84(x, y, datum, label)
    if len(x) and (np.all(np.abs(y) > 60) & np.all(np.abs(x) < 60)):
        warnings.warn(
            f"{label}: every {lat!r} value is beyond ±60° while every {lon!r} value is within "
            "±60°: longitude and latitude may be swapped.",
            UserWarning,
            stacklevel=3,
        )
    parsed = _parse_times(traces[time], field=time, label=label, tz=tz)
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
        groups = _normal_groups(traces[group_field])
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
        group_of = np.full(len(uniques), _check_group(group), dtype=object)
    return _Traces(
        driver_codes=codes[order].astype(np.int64),
        drivers=pd.Index(uniques),
        ns=ns[order],
        lon=x[order],
        lat=y[order],
        times=parsed.reset_index(drop=True),
        order=order,
        group=group_of,
    )


def _datum_to_wgs84(
    lon: np.ndarray, lat: np.ndarray, datum: str, label: str
) -> tuple[np.ndarray, np.ndarray]:
    from planner.crs import to_wgs84

    try:
        x, y = to_wgs84(lon, lat, datum)
    except DatumError as error:
        raise DatumError(
            str(error.problems[0].message) if error.problems else str(error),
            file=label,
            field="datum",
            fix=error.fix or "use 'wgs84', 'gcj02' or 'bd09'.",
        ) from error
    return np.asarray(x, float), np.asarray(y, float)


# ------------------------------------------------------------- stay points
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
    x0, y0 = float(x.mean()), float(y.mean())
    cx = np.r_[0.0, np.cumsum(x - x0)]
    cy = np.r_[0.0, np.cumsum(y - y0)]
    sx = cx[j + 1] - cx[i]
    sy = cy[j + 1] - cy[i]
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
        new_j = _first_far(x, y, sx / cnt + x0, sy / cnt + y0, j + 1, limit, d_max * d_max) - 1
        grown = new_j > j
        if grown.any():
            sx = sx + np.where(grown, cx[new_j + 1] - cx[j + 1], 0.0)
            sy = sy + np.where(grown, cy[new_j + 1] - cy[j + 1], 0.0)
            cnt = cnt + (new_j - j)
            j = new_j
    return i, j, sx / cnt + x0, sy / cnt + y0


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
    group: str = "rider",
    group_field: str | None = "group",
    datum: str = "wgs84",
    tz: str | None = None,
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
        Times may be datetimes or ISO 8601 strings (with or without a UTC
        offset, but not a mix of both).
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
        used by :func:`hotspots_from_stays`. :func:`planner.io.read_traces` returns
        UTC times: pass ``tz`` to get local hours.
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

    Raises
    ------
    InputError
        Missing columns, coordinates out of range, missing driver ids, timestamps
        that cannot be read or mix zoned and unzoned times; the message names the
        field and the first bad row.

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
    codes = prepared.driver_codes
    n = len(codes)
    counts = np.bincount(codes, minlength=len(prepared.drivers)) if n else np.zeros(0, int)
    single = np.flatnonzero(counts == 1)
    if len(single):
        names = ", ".join(repr(prepared.drivers[c]) for c in single[:5])
        more = f" and {len(single) - 5} more" if len(single) > 5 else ""
        warnings.warn(
            f"{label}: {len(single)} drivers have a single fix and cannot have stays "
            f"(field {driver!r}: {names}{more}).",
            UserWarning,
            stacklevel=2,
        )
    crs = _metric_crs_for(prepared.lon, prepared.lat)
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
        x, y = _to_metric(prepared.lon[lo:hi], prepared.lat[lo:hi], crs)
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
    clon, clat = _to_lonlat(mx, my, crs) if len(mx) else (np.empty(0), np.empty(0))
    code = codes[first]
    start = prepared.times.iloc[prepared.order[first]].reset_index(drop=True)
    end = prepared.times.iloc[prepared.order[last]].reset_index(drop=True)
    driver_values = prepared.drivers.take(code)
    result = _points_gdf(
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
    return result


# ---------------------------------------------------------------- hotspots
def _dbscan(
    x: np.ndarray, y: np.ndarray, eps: float, min_samples: int, exact_limit: int
) -> np.ndarray:
    """DBSCAN labels; above ``exact_limit`` points, on weighted micro-cells of ``eps / 8``.

    DBSCAN keeps every point's neighbour list, so thousands of stays at one mall
    cost memory quadratic in their number. Above ``exact_limit`` stays, points are
    first merged into square cells of ``eps / 8`` (each cell at the mean of its
    points, weighted by their count, which DBSCAN's ``sample_weight`` honours);
    distances then move by at most ``eps / 8 * sqrt(2)``.
    """
    from sklearn.cluster import DBSCAN

    xy = np.column_stack([x, y])
    if len(xy) <= exact_limit:
        return np.asarray(DBSCAN(eps=eps, min_samples=min_samples).fit_predict(xy))
    size = eps / 8.0
    cells = np.floor(xy / size).astype(np.int64)
    _, inverse, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    cx = np.bincount(inverse, weights=xy[:, 0]) / counts
    cy = np.bincount(inverse, weights=xy[:, 1]) / counts
    labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(
        np.column_stack([cx, cy]), sample_weight=counts
    )
    return np.asarray(labels)[inverse]


def _hour_matrix(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Return a boolean ``(n, 24)`` matrix: whether each stay is present in each hour."""
    n = len(start)
    if n == 0:
        return np.zeros((0, 24), dtype=bool)
    s_ns = start.dt.tz_localize(None) if start.dt.tz is not None else start
    e_ns = end.dt.tz_localize(None) if end.dt.tz is not None else end
    s_h = s_ns.to_numpy(dtype="datetime64[h]").astype(np.int64)
    e_h = e_ns.to_numpy(dtype="datetime64[h]").astype(np.int64)
    span = e_h - s_h + 1
    first_hour = start.dt.hour.to_numpy(dtype=np.int64)
    steps = np.arange(24)
    present = steps[None, :] < span[:, None]
    hours = (first_hour[:, None] + steps[None, :]) % 24
    out = np.zeros((n, 24), dtype=bool)
    rows = np.broadcast_to(np.arange(n)[:, None], hours.shape)
    out[rows[present], hours[present]] = True
    return out


def hotspots_from_stays(
    stays: gpd.GeoDataFrame,
    *,
    eps_m: float = 150.0,
    min_stays: int = 2,
    min_drivers: int = 1,
    weight_by: Literal["drivers", "stays", "dwell_hours"] = "drivers",
    hours: Iterable[int] | None = None,
    hour_histogram: bool = False,
    exact_limit: int = 20_000,
) -> gpd.GeoDataFrame:
    """Cluster stays across drivers into hotspots (DBSCAN on metric coordinates).

    Stays are clustered per worker group with scikit-learn's DBSCAN (Euclidean
    distance in a local UTM CRS, ``eps_m``, ``min_samples = min_stays``); stays in
    no cluster (noise) are left out. Each hotspot lies at the mean of its stays'
    centroids.

    Parameters
    ----------
    stays
        Stays from :func:`stays_from_traces` (columns ``driver``, ``group``,
        ``start``, ``end``, ``duration_min``; point geometry with a CRS).
    eps_m
        DBSCAN neighbourhood radius in metres.
    min_stays
        Minimum number of stays within ``eps_m`` of a core stay (DBSCAN
        ``min_samples``); 1 makes every stay part of a hotspot.
    min_drivers
        Drop hotspots visited by fewer distinct drivers.
    weight_by
        The hotspot's ``weight``: distinct drivers (``"drivers"``, the default: a
        station serves people, and one courier waiting all day is one person),
        number of stays, or total dwell time in hours.
    hours
        Keep only stays present during one of these hours of day (0–23), e.g.
        ``range(11, 14)`` for the lunch peak.
    hour_histogram
        Add columns ``h00`` … ``h23``: the number of stays present in each hour.
    exact_limit
        Above this many stays in a group, stays are first merged into cells of
        ``eps_m / 8`` weighted by their count (DBSCAN's memory grows with the
        square of the stays at one place); distances move by at most 0.18 ``eps_m``.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``hotspot`` (0 = heaviest), EPSG:4326: ``group``, ``n_stays``,
        ``n_drivers``, ``dwell_minutes``, ``weight``, ``radius_m`` (farthest
        member stay from the centre) and point ``geometry``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> stays = gpd.GeoDataFrame(
    ...     {"driver": ["a", "b", "c"], "group": "rider",
    ...      "start": pd.to_datetime(["2024-05-01 12:00"] * 3),
    ...      "end": pd.to_datetime(["2024-05-01 12:30"] * 3), "duration_min": 30.0},
    ...     geometry=gpd.points_from_xy([116.3, 116.3005, 116.4], [39.98, 39.98, 39.98]),
    ...     crs="EPSG:4326")
    >>> hotspots_from_stays(stays)[["n_stays", "n_drivers", "weight"]].to_dict("records")
    [{'n_stays': 2, 'n_drivers': 2, 'weight': 2.0}]
    """
    if not isinstance(stays, gpd.GeoDataFrame):
        raise InputError(
            f"stays must be a GeoDataFrame from stays_from_traces, got {type(stays).__name__}.",
            field="stays",
        )
    missing = [c for c in ("driver", "group", "start", "end", "duration_min") if c not in stays]
    if missing:
        raise InputError(
            f"stays lacks columns {missing}.",
            field=missing[0],
            fix="build stays with stays_from_traces.",
        )
    if weight_by not in ("drivers", "stays", "dwell_hours"):
        raise InputError(
            f"weight_by must be 'drivers', 'stays' or 'dwell_hours', got {weight_by!r}.",
            field="weight_by",
        )
    if not (eps_m > 0 and min_stays >= 1 and min_drivers >= 1):
        raise InputError(
            "eps_m must be positive and min_stays, min_drivers at least 1.", field="eps_m"
        )
    present = _hour_matrix(stays["start"], stays["end"])
    keep = np.ones(len(stays), dtype=bool)
    if hours is not None:
        wanted = sorted({int(h) for h in hours})
        if not wanted or min(wanted) < 0 or max(wanted) > 23:
            raise InputError(f"hours must be within 0..23, got {wanted}.", field="hours")
        keep = np.asarray(present[:, wanted].any(axis=1), dtype=bool)
    lon, lat = _gdf_lonlat(stays, "stays")
    crs = _metric_crs_for(lon, lat)
    x, y = _to_metric(lon, lat, crs)
    label = np.full(len(stays), -1, dtype=np.int64)
    groups = stays["group"].astype("string").to_numpy(dtype=object)
    next_id = 0
    for name in sorted(set(groups[keep])):
        members = np.flatnonzero(keep & (groups == name))
        found = _dbscan(x[members], y[members], eps_m, min_stays, exact_limit)
        clustered = found >= 0
        label[members[clustered]] = found[clustered] + next_id
        next_id += int(found.max()) + 1 if clustered.any() else 0
    inside = label >= 0
    frame = pd.DataFrame(
        {
            "cluster": label[inside],
            "driver": stays["driver"].to_numpy()[inside],
            "group": groups[inside],
            "dwell": stays["duration_min"].to_numpy(dtype=float)[inside],
            "x": x[inside],
            "y": y[inside],
        }
    )
    grouped = frame.groupby("cluster", sort=True)
    table = pd.DataFrame(
        {
            "group": grouped["group"].first(),
            "n_stays": grouped.size(),
            "n_drivers": grouped["driver"].nunique(),
            "dwell_minutes": grouped["dwell"].sum(),
            "cx": grouped["x"].mean(),
            "cy": grouped["y"].mean(),
        }
    )
    cxm = table["cx"].reindex(frame["cluster"]).to_numpy()
    cym = table["cy"].reindex(frame["cluster"]).to_numpy()
    frame["r"] = np.hypot(frame["x"].to_numpy() - cxm, frame["y"].to_numpy() - cym)
    table["radius_m"] = frame.groupby("cluster")["r"].max()
    weight_column = {"drivers": "n_drivers", "stays": "n_stays", "dwell_hours": "dwell_minutes"}
    weight = table[weight_column[weight_by]].astype(float)
    table["weight"] = weight / 60.0 if weight_by == "dwell_hours" else weight
    if hour_histogram:
        hist = np.zeros((len(table), 24), dtype=np.int64)
        position = pd.Index(table.index).get_indexer(frame["cluster"])
        np.add.at(hist, position, present[inside].astype(np.int64))
        for h in range(24):
            table[f"h{h:02d}"] = hist[:, h]
    table = table[table["n_drivers"] >= min_drivers]
    table = table.sort_values(["weight", "n_stays"], ascending=False, kind="stable")
    hlon, hlat = _to_lonlat(table["cx"].to_numpy(), table["cy"].to_numpy(), crs)
    table = table.drop(columns=["cx", "cy"]).reset_index(drop=True)
    table["group"] = table["group"].astype(str)
    table["n_stays"] = table["n_stays"].astype(np.int64)
    table["n_drivers"] = table["n_drivers"].astype(np.int64)
    result = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(hlon, hlat), crs=WGS84)
    result.index.name = "hotspot"
    return result


# ------------------------------------------------------------ demand schema
def validate_demand(demand: gpd.GeoDataFrame, *, label: str = "demand") -> gpd.GeoDataFrame:
    """Check that a GeoDataFrame follows the demand schema; return it in EPSG:4326.

    Parameters
    ----------
    demand
        Points with ``weight``, ``group`` and ``source`` columns.
    label
        What the demand is, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows (a copy), in EPSG:4326.

    Raises
    ------
    InputError
        Every problem found (missing columns, negative or missing weights,
        unknown groups or sources, non-point geometry, no CRS), at once.

    Examples
    --------
    >>> import geopandas as gpd
    >>> d = gpd.GeoDataFrame({"weight": [1.0], "group": ["rider"], "source": ["user"]},
    ...                      geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> len(validate_demand(d))
    1
    """
    if not isinstance(demand, gpd.GeoDataFrame):
        raise InputError(
            f"{label} must be a GeoDataFrame, got {type(demand).__name__}.", file=label
        )
    problems: list[Problem] = []
    for column in DEMAND_COLUMNS:
        if column not in demand.columns:
            problems.append(Problem(f"column {column!r} is missing.", file=label, field=column))
    if demand.crs is None:
        problems.append(
            Problem("it has no CRS.", file=label, field="geometry", fix="set_crs('EPSG:4326').")
        )
    if problems:
        raise InputError(problems)
    weight = pd.to_numeric(demand["weight"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        problems.append(
            Problem(
                f"{int(bad.sum())} weights are missing, infinite or negative, "
                f"e.g. {demand['weight'].iloc[row - 1]!r}.",
                file=label,
                row=row,
                field="weight",
                fix="weights must be numbers >= 0.",
            )
        )
    normal_groups = _normal_groups(demand["group"])
    for column, allowed in (("group", GROUPS), ("source", SOURCES)):
        values = normal_groups if column == "group" else demand[column].astype("string")
        wrong = ~values.isin(allowed).to_numpy(dtype=bool)
        if wrong.any():
            row = int(np.flatnonzero(wrong)[0]) + 1
            problems.append(
                Problem(
                    f"unknown {column} {values.iloc[row - 1]!r}.",
                    file=label,
                    row=row,
                    field=column,
                    fix=f"use one of {', '.join(allowed)}.",
                )
            )
    kinds = demand.geometry.geom_type.to_numpy(dtype=object)
    wrong_geom = kinds != "Point"
    if wrong_geom.any():
        row = int(np.flatnonzero(wrong_geom)[0]) + 1
        problems.append(
            Problem(
                f"geometry must be points, found {kinds[row - 1]}.",
                file=label,
                row=row,
                field="geometry",
                fix="use centroids or representative points of polygons.",
            )
        )
    if problems:
        raise InputError(problems)
    out = demand.to_crs(WGS84) if not CRS(demand.crs).equals(WGS84) else demand.copy()
    out["weight"] = weight
    out["group"] = normal_groups.to_numpy(dtype=object)
    out["source"] = out["source"].astype(str)
    return out


def _demand(
    weight: np.ndarray,
    group: np.ndarray | str,
    source: str,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    index: pd.Index | None = None,
    extra: Mapping[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    n = len(weight)
    data: dict[str, Any] = {
        "weight": np.asarray(weight, dtype=float),
        "group": np.full(n, group, dtype=object) if isinstance(group, str) else group,
        "source": np.full(n, source, dtype=object),
    }
    if extra:
        data.update(extra)
    return _points_gdf(data, lon, lat, index=index)


def demand_from_points(
    points: gpd.GeoDataFrame,
    *,
    weight: str | float = 1.0,
    group: str = "other",
    group_field: str | None = "group",
    source: str = "user",
    label: str = "points",
) -> gpd.GeoDataFrame:
    """Turn any points (the user's own file, an order table) into the demand schema.

    Parameters
    ----------
    points
        A GeoDataFrame with a CRS; polygons become representative points.
    weight
        A column name holding weights, or one weight for every point.
    group
        Worker group of every point unless ``group_field`` is a column.
    group_field
        Column holding each point's worker group.
    source
        The ``source`` value (one of :data:`SOURCES`).
    label
        What the points are (a file name), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema on the input's index.

    Examples
    --------
    >>> import geopandas as gpd
    >>> orders = gpd.GeoDataFrame({"orders": [3, 5]},
    ...                           geometry=gpd.points_from_xy([116.3, 116.4], [39.9, 39.9]),
    ...                           crs="EPSG:4326")
    >>> demand_from_points(orders, weight="orders", group="rider")["weight"].tolist()
    [3.0, 5.0]
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise InputError(
            f"{label} must be a GeoDataFrame, got {type(points).__name__}.", file=label
        )
    if source not in SOURCES:
        raise InputError(
            f"unknown source {source!r}.", field="source", fix=f"use one of {SOURCES}."
        )
    lon, lat = _gdf_lonlat(points, label)
    if isinstance(weight, str):
        if weight not in points.columns:
            raise InputError(
                f"weight column {weight!r} is missing; the columns are {list(points.columns)}.",
                file=label,
                field=weight,
            )
        weights = pd.to_numeric(points[weight], errors="coerce").to_numpy(dtype=float)
    else:
        weights = np.full(len(points), float(weight))
    if group_field is not None and group_field in points.columns:
        groups: np.ndarray | str = _normal_groups(points[group_field]).to_numpy(dtype=object)
    else:
        groups = _check_group(group)
    out = _demand(weights, groups, source, lon, lat, index=points.index)
    if isinstance(weight, str):
        bad = ~np.isfinite(weights) | (weights < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            raise InputError(
                f"{int(bad.sum())} weights are missing or negative, e.g. "
                f"{points[weight].iloc[row - 1]!r}.",
                file=label,
                row=row,
                field=weight,
                fix="weights must be numbers >= 0.",
            )
    return validate_demand(out, label=label)


def demand_from_stays(
    stays: gpd.GeoDataFrame, *, weight_by: Literal["stays", "dwell_hours"] = "stays"
) -> gpd.GeoDataFrame:
    """Use every stay as a demand point (no clustering).

    Parameters
    ----------
    stays
        Stays from :func:`stays_from_traces`.
    weight_by
        1 per stay, or the stay's duration in hours.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema on the stays' index, plus ``driver``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> stays = gpd.GeoDataFrame({"driver": ["a"], "group": ["rider"], "duration_min": [90.0]},
    ...                          geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> demand_from_stays(stays, weight_by="dwell_hours")["weight"].tolist()
    [1.5]
    """
    if weight_by not in ("stays", "dwell_hours"):
        raise InputError(
            f"weight_by must be 'stays' or 'dwell_hours', got {weight_by!r}.", field="weight_by"
        )
    lon, lat = _gdf_lonlat(stays, "stays")
    weights = (
        np.ones(len(stays))
        if weight_by == "stays"
        else stays["duration_min"].to_numpy(dtype=float) / 60.0
    )
    return _demand(
        weights,
        stays["group"].astype("string").to_numpy(dtype=object),
        "stays",
        lon,
        lat,
        index=stays.index,
        extra={"driver": stays["driver"].to_numpy()},
    )


def demand_from_hotspots(hotspots: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn hotspots from :func:`hotspots_from_stays` into the demand schema.

    Parameters
    ----------
    hotspots
        Hotspots (their ``weight`` and ``group`` are kept).

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema on the hotspots' index, with ``n_stays``, ``n_drivers``
        and ``dwell_minutes`` kept.

    Examples
    --------
    >>> import geopandas as gpd
    >>> h = gpd.GeoDataFrame({"group": ["rider"], "weight": [4.0], "n_stays": [9],
    ...                       "n_drivers": [4], "dwell_minutes": [300.0]},
    ...                      geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> demand_from_hotspots(h)[["weight", "group", "source"]].to_dict("records")
    [{'weight': 4.0, 'group': 'rider', 'source': 'stays'}]
    """
    lon, lat = _gdf_lonlat(hotspots, "hotspots")
    extra = {
        c: hotspots[c].to_numpy()
        for c in ("n_stays", "n_drivers", "dwell_minutes")
        if c in hotspots
    }
    return _demand(
        hotspots["weight"].to_numpy(dtype=float),
        hotspots["group"].astype("string").to_numpy(dtype=object),
        "stays",
        lon,
        lat,
        index=hotspots.index,
        extra=extra,
    )


def demand_from_pois(
    pois: gpd.GeoDataFrame,
    *,
    weights: Mapping[tuple[str, str], PoiWeight] | None = None,
    label: str = "pois",
) -> gpd.GeoDataFrame:
    """Weight POIs as demand proxies by their OSM tag.

    Parameters
    ----------
    pois
        POIs from :func:`planner.poi.pois_from_osm` (columns ``key`` and
        ``category``), or any points with those two columns.
    weights
        ``{(key, value): PoiWeight(group, weight)}``; default
        :data:`POI_DEMAND_WEIGHTS`. POIs whose tag has no weight are left out with
        a warning naming their tags.
    label
        What the POIs are (a file name), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema on the POIs' index, plus ``key``, ``category`` and ``name``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pois = gpd.GeoDataFrame({"key": ["amenity", "amenity"],
    ...                          "category": ["fast_food", "post_depot"]},
    ...                         geometry=gpd.points_from_xy([116.3, 116.4], [39.9, 39.9]),
    ...                         crs="EPSG:4326")
    >>> demand_from_pois(pois)[["weight", "group"]].to_dict("records")
    [{'weight': 2.0, 'group': 'rider'}, {'weight': 5.0, 'group': 'courier'}]
    """
    table = POI_DEMAND_WEIGHTS if weights is None else weights
    missing = [c for c in ("key", "category") if c not in pois.columns]
    if missing:
        raise InputError(
            f"{label} lacks columns {missing}; POIs need the OSM key and value of their tag.",
            file=label,
            field=missing[0],
            fix="read them with planner.poi.pois_from_osm, or add 'key' and 'category' columns.",
        )
    for (key, value), spec in table.items():
        _check_group(spec.group, field=f"weights[{key}={value}]")
        if not (np.isfinite(spec.weight) and spec.weight >= 0):
            raise InputError(
                f"the weight of {key}={value} must be >= 0, got {spec.weight!r}.", field="weights"
            )
    pairs = list(zip(pois["key"].astype(str), pois["category"].astype(str), strict=True))
    known = np.array([p in table for p in pairs], dtype=bool)
    if (~known).any():
        unknown = sorted({f"{k}={v}" for (k, v), ok in zip(pairs, known, strict=True) if not ok})
        shown = ", ".join(unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        warnings.warn(
            f"{label}: {int((~known).sum())} POIs have tags without a demand weight and were "
            f"left out (field 'category': {shown}). Add them to weights= to count them.",
            UserWarning,
            stacklevel=2,
        )
    kept = pois[known]
    specs = [table[p] for p, ok in zip(pairs, known, strict=True) if ok]
    lon, lat = _gdf_lonlat(kept, label) if len(kept) else (np.empty(0), np.empty(0))
    extra: dict[str, Any] = {"key": kept["key"].to_numpy(), "category": kept["category"].to_numpy()}
    if "name" in kept.columns:
        extra["name"] = kept["name"].to_numpy()
    return _demand(
        np.array([s.weight for s in specs], dtype=float),
        np.array([s.group for s in specs], dtype=object),
        "poi",
        lon,
        lat,
        index=kept.index,
        extra=extra,
    )


def demand_from_osm(
    path: str | Path,
    *,
    weights: Mapping[tuple[str, str], PoiWeight] | None = None,
) -> gpd.GeoDataFrame:
    """Read demand-proxy POIs from an OSM file and weight them.

    Parameters
    ----------
    path
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.pbf``).
    weights
        ``{(key, value): PoiWeight(group, weight)}``; default :data:`POI_DEMAND_WEIGHTS`.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema (see :func:`demand_from_pois`).

    Examples
    --------
    >>> from planner import datasets
    >>> demand = demand_from_osm(datasets.demo_path("demo_region.osm.bz2"))
    >>> bool((demand["source"] == "poi").all())
    True
    """
    from planner.poi import pois_from_osm

    table = POI_DEMAND_WEIGHTS if weights is None else weights
    tags = _tags_of(table)
    pois = pois_from_osm(path, tags=tags, warn_missing=False)
    if len(pois) == 0:
        warnings.warn(
            f"{Path(path).name}: no OSM objects carry a demand tag (field 'tags': "
            f"{', '.join(sorted(tags))}); the file may hold roads only. No demand was made.",
            UserWarning,
            stacklevel=2,
        )
    return demand_from_pois(pois, weights=table, label=Path(path).name)


def demand_from_areas(
    areas: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    value: str,
    group: str = "other",
    group_field: str | None = "group",
    mode: str = "ebike",
    datum: str = "wgs84",
    label: str = "areas",
) -> gpd.GeoDataFrame:
    """Spread area totals (e.g. workers per district) over the road network's nodes.

    Each area's total is shared equally among the network nodes (usable by
    ``mode``) inside it; an area without a node puts its total on the node
    nearest its representative point, with a warning. Totals are kept exactly
    (up to floating-point rounding).

    Parameters
    ----------
    areas
        Polygons with a CRS and a column of totals.
    network
        The road network.
    value
        Column holding each area's total (>= 0).
    group
        Worker group unless ``group_field`` is a column of ``areas``.
    group_field
        Column holding each area's worker group.
    mode
        Travel mode whose usable nodes receive demand.
    datum
        Datum of the polygons' longitude/latitude: ``"wgs84"``, or ``"gcj02"`` /
        ``"bd09"`` for boundaries taken from Chinese web maps (converted with
        :func:`planner.crs.to_wgs84`).
    label
        What the areas are (a file name), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema, one row per (area, node), with ``area`` (the area's
        index label) and ``node`` (OSM id).

    Examples
    --------
    >>> from planner import datasets
    >>> import geopandas as gpd
    >>> net = datasets.demo_network()
    >>> area = gpd.GeoDataFrame({"workers": [120.0]}, geometry=[datasets.demo_area()],
    ...                         crs="EPSG:4326")
    >>> round(float(demand_from_areas(area, net, value="workers")["weight"].sum()), 6)
    120.0
    """
    if not isinstance(areas, gpd.GeoDataFrame) or areas.crs is None:
        raise InputError(
            f"{label} must be a GeoDataFrame of polygons with a CRS.",
            file=label,
            fix="read it with geopandas.read_file, or set_crs(...).",
        )
    if value not in areas.columns:
        raise InputError(
            f"column {value!r} is missing; the columns are {list(areas.columns)}.",
            file=label,
            field=value,
        )
    totals = pd.to_numeric(areas[value], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(totals) | (totals < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(
            f"{int(bad.sum())} totals are missing or negative.",
            file=label,
            row=row,
            field=value,
            fix="totals must be numbers >= 0.",
        )
    polys = areas.geometry.to_crs(WGS84) if not CRS(areas.crs).equals(WGS84) else areas.geometry
    if datum.lower() not in ("wgs84", "epsg:4326"):

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = _datum_to_wgs84(xy[:, 0], xy[:, 1], datum, label)
            return np.column_stack([lon, lat])

        polys = gpd.GeoSeries(
            shapely.transform(polys.values, convert), index=polys.index, crs=WGS84
        )
    if group_field is not None and group_field in areas.columns:
        area_groups = _normal_groups(areas[group_field]).to_numpy(dtype=object)
    else:
        area_groups = np.full(len(areas), _check_group(group), dtype=object)
    usable = network.usable_nodes(mode)
    node_lon = network.lon[usable]
    node_lat = network.lat[usable]
    node_pts = gpd.GeoSeries(gpd.points_from_xy(node_lon, node_lat), crs=WGS84)
    tree_hits = node_pts.sindex.query(polys.values, predicate="intersects")
    area_pos, node_pos = tree_hits[0], tree_hits[1]
    counts = np.bincount(area_pos, minlength=len(areas))
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        names = ", ".join(repr(areas.index[e]) for e in empty[:5])
        warnings.warn(
            f"{label}: {len(empty)} areas contain no {mode} network node ({names}); "
            "their totals go to the node nearest each area.",
            UserWarning,
            stacklevel=2,
        )
        reps = polys.iloc[empty].representative_point()
        snapped = network.snap(reps, mode=mode, on_far="ignore", label=label)
        extra_nodes = np.searchsorted(usable, snapped.node_index)
        area_pos = np.concatenate([area_pos, empty])
        node_pos = np.concatenate([node_pos, extra_nodes])
        counts = np.bincount(area_pos, minlength=len(areas))
    share = totals[area_pos] / counts[area_pos]
    positions = usable[node_pos]
    return _demand(
        share,
        area_groups[area_pos],
        "area",
        node_lon[node_pos],
        node_lat[node_pos],
        extra={"area": areas.index.to_numpy()[area_pos], "node": network.node_ids[positions]},
    )


# -------------------------------------------------------------- aggregation
def demand_to_nodes(
    demand: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    mode: str = "ebike",
    max_distance_m: float = 1000.0,
    on_far: Literal["raise", "warn", "ignore"] = "warn",
) -> gpd.GeoDataFrame:
    """Sum demand onto the nearest road-network nodes, per node, group and source.

    Every point goes to its nearest node usable by ``mode``
    (:meth:`RoadNetwork.snap`), so the total weight (overall, per group and per
    source) is kept exactly; points beyond ``max_distance_m`` are still assigned
    and are reported according to ``on_far``.

    Parameters
    ----------
    demand
        The demand schema.
    network
        The road network.
    mode
        Travel mode whose usable nodes receive demand.
    max_distance_m
        Snap distance above which points are reported.
    on_far
        ``"raise"``, ``"warn"`` or ``"ignore"`` far points.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema at node locations, one row per (node, group, source),
        with ``node`` (OSM id), ``node_index`` (CSR position) and ``n_points``.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> demand = demand_from_osm(datasets.demo_path("demo_region.osm.bz2"))
    >>> at_nodes = demand_to_nodes(demand, net)
    >>> bool(abs(at_nodes["weight"].sum() - demand["weight"].sum()) < 1e-9)
    True
    """
    demand = validate_demand(demand)
    snapped = network.snap(
        demand.geometry, mode=mode, max_distance_m=max_distance_m, on_far=on_far, label="demand"
    )
    frame = pd.DataFrame(
        {
            "node_index": snapped.table["node_index"].to_numpy(),
            "group": demand["group"].to_numpy(dtype=object),
            "source": demand["source"].to_numpy(dtype=object),
            "weight": demand["weight"].to_numpy(dtype=float),
        }
    )
    summed = (
        frame.groupby(["node_index", "group", "source"], sort=True)["weight"]
        .agg(["sum", "size"])
        .reset_index()
    )
    pos = summed["node_index"].to_numpy(dtype=np.int64)
    return _demand(
        summed["sum"].to_numpy(dtype=float),
        summed["group"].to_numpy(dtype=object),
        "user",
        network.lon[pos],
        network.lat[pos],
        extra={
            "node": network.node_ids[pos],
            "node_index": pos,
            "n_points": summed["size"].to_numpy(dtype=np.int64),
        },
    ).assign(source=summed["source"].to_numpy(dtype=object))


def demand_to_grid(
    demand: gpd.GeoDataFrame,
    *,
    cell_m: float = 500.0,
    shape: Literal["hex", "square"] = "hex",
    crs: CRS | str | None = None,
    polygons: bool = False,
) -> gpd.GeoDataFrame:
    """Sum demand into hexagonal or square grid cells, per cell and group.

    Cells are laid out in a metric CRS (a local UTM zone unless ``crs`` is
    given); every point falls in exactly one cell, so totals (overall and per
    group) are kept exactly.

    Parameters
    ----------
    demand
        The demand schema.
    cell_m
        Distance between the centres of adjacent cells in metres (the side of a
        square; hexagons are pointy-topped with this centre spacing).
    shape
        ``"hex"`` or ``"square"``.
    crs
        The metric CRS of the grid; default a UTM zone chosen from the data.
    polygons
        Return the cell outlines as geometry instead of their centres (then the
        result is a layer for maps, not the demand schema).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (cell, group) in EPSG:4326: ``weight``, ``group``,
        ``source`` = ``"grid"``, ``cell`` (``"a,b"`` integer cell coordinates),
        ``n_points`` and the cell centre (or outline) as geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> d = gpd.GeoDataFrame({"weight": [1.0, 2.0, 4.0], "group": "rider", "source": "user"},
    ...                      geometry=gpd.points_from_xy([116.30, 116.3001, 116.35],
    ...                                                  [39.98, 39.98, 39.98]), crs="EPSG:4326")
    >>> demand_to_grid(d, cell_m=500)["weight"].tolist()
    [3.0, 4.0]
    """
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise InputError(
            f"cell_m must be a positive number of metres, got {cell_m!r}.", field="cell_m"
        )
    if shape not in ("hex", "square"):
        raise InputError(f"shape must be 'hex' or 'square', got {shape!r}.", field="shape")
    demand = validate_demand(demand)
    lon, lat = _gdf_lonlat(demand, "demand")
    metric = _metric_crs_for(lon, lat) if crs is None else CRS(crs)
    if not metric.is_projected:
        raise InputError(
            f"crs must be a projected (metric) CRS, got {metric.name}.",
            field="crs",
            fix="pass a UTM zone or leave crs=None.",
        )
    x, y = _to_metric(lon, lat, metric)
    cells = _grid.cell_of(x, y, cell_m, shape)
    frame = pd.DataFrame(
        {
            "a": cells[:, 0],
            "b": cells[:, 1],
            "group": demand["group"].to_numpy(dtype=object),
            "weight": demand["weight"].to_numpy(dtype=float),
        }
    )
    summed = (
        frame.groupby(["a", "b", "group"], sort=True)["weight"].agg(["sum", "size"]).reset_index()
    )
    keys = summed[["a", "b"]].to_numpy(dtype=np.int64)
    cx, cy = _grid.cell_centre(keys, cell_m, shape)
    clon, clat = _to_lonlat(cx, cy, metric)
    out = _demand(
        summed["sum"].to_numpy(dtype=float),
        summed["group"].to_numpy(dtype=object),
        "grid",
        clon,
        clat,
        extra={
            "cell": [f"{a},{b}" for a, b in keys],
            "n_points": summed["size"].to_numpy(dtype=np.int64),
        },
    )
    if polygons:
        outlines = gpd.GeoSeries(_grid.cell_polygons(keys, cell_m, shape), crs=metric)
        out = out.set_geometry(outlines.to_crs(WGS84).values)
    return out
