"""Hotspots: stays of many drivers clustered into the places where they wait.

:func:`hotspots_from_stays` clusters stays across drivers (DBSCAN on metric
coordinates, per worker group) into hotspots weighted by distinct drivers, stays
or dwell time, optionally with an hour-of-day histogram.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError
from planner.crs import WGS84
from planner.demand._common import gdf_lonlat, metric_crs_for, to_lonlat, to_metric

__all__ = ["hotspots_from_stays"]


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
    lon, lat = gdf_lonlat(stays, "stays")
    crs = metric_crs_for(lon, lat)
    x, y = to_metric(lon, lat, crs)
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
    hlon, hlat = to_lonlat(table["cx"].to_numpy(), table["cy"].to_numpy(), crs)
    table = table.drop(columns=["cx", "cy"]).reset_index(drop=True)
    table["group"] = table["group"].astype(str)
    table["n_stays"] = table["n_stays"].astype(np.int64)
    table["n_drivers"] = table["n_drivers"].astype(np.int64)
    result = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(hlon, hlat), crs=WGS84)
    result.index.name = "hotspot"
    return result
