"""Tables shared by the programmes of :mod:`planner.plan`: ranks, coverage, hexagons, curve.

Units: :mod:`planner.access` gives seconds; :mod:`planner.locate` reads any unit
consistent with its cutoff. The plans convert the matrix to **minutes** in one
place (:func:`minutes_matrix`) before it reaches a model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS, Transformer

from planner import _grid
from planner.access import NodeAccess
from planner.crs import WGS84
from planner.presets import minutes

if TYPE_CHECKING:
    from planner.access import AccessMatrix
    from planner.locate import MCLP
    from planner.plan._plan import Plan

__all__ = [
    "ALLOCATION_COLUMNS",
    "allocation_by_site",
    "coverage_curve",
    "coverage_table",
    "hexes",
    "minutes_matrix",
    "nearest_open",
    "nearest_station",
    "ranked_sites",
]


def minutes_matrix(access: AccessMatrix) -> tuple[sp.csr_array, pd.Index, pd.Index]:
    """Return the access matrix in minutes (locate's unit) and its labels; zeros kept."""
    matrix = access.matrix
    in_minutes = sp.csr_array(
        (minutes(matrix.data), matrix.indices, matrix.indptr), shape=matrix.shape
    )
    return in_minutes, access.demand_index, access.site_index


def nearest_station(
    sites: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, crs: CRS
) -> tuple[list[Any], np.ndarray]:
    """Name of the nearest existing station to each site and its straight-line distance."""
    if len(stations) == 0 or len(sites) == 0:
        return [None] * len(sites), np.full(len(sites), np.nan)
    from scipy.spatial import cKDTree

    a = stations.geometry.to_crs(crs)
    b = sites.geometry.to_crs(crs)
    tree = cKDTree(np.column_stack([a.x.to_numpy(), a.y.to_numpy()]))
    dist, idx = tree.query(np.column_stack([b.x.to_numpy(), b.y.to_numpy()]))
    names = stations["name"].astype(str).to_numpy()[np.asarray(idx)]
    return list(names), np.asarray(dist, dtype=float)


def hexes(points: gpd.GeoDataFrame, crs: CRS, size_m: float) -> gpd.GeoDataFrame:
    """Uncovered demand weight per hexagon (the one grid of :mod:`planner._grid`)."""
    columns = ["weight", "weight_uncovered", "points", "share_covered"]
    if len(points) == 0:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=float) for c in columns}, geometry=[], crs=WGS84
        )
    # coordinates transformed as arrays: no second geometry per point (10^6 points)
    lonlat = shapely.get_coordinates(points.geometry.to_numpy())
    x, y = Transformer.from_crs(points.crs, crs, always_xy=True).transform(
        lonlat[:, 0], lonlat[:, 1]
    )
    weight = points["weight"].to_numpy(dtype=float)
    q, r = _grid.hex_cells(np.asarray(x, dtype=float), np.asarray(y, dtype=float), size_m)
    table, polygons = _grid.hex_totals(
        q,
        r,
        weight,
        np.where(points["covered_after"].to_numpy(bool), 0.0, weight),
        size_m,
    )
    table = table.rename(columns={"share": "share_covered"})
    keep = (table["weight_uncovered"] > 0).to_numpy()
    return gpd.GeoDataFrame(table.loc[keep, columns], geometry=polygons[keep], crs=crs).to_crs(
        WGS84
    )


def coverage_table(
    weights: pd.Series,
    before: pd.Series,
    after: pd.Series,
    groups: Mapping[str, pd.Series],
) -> pd.DataFrame:
    """Covered weight before and after, overall and per group value."""
    rows = []

    def add(group_by: str, group: Any, mask: np.ndarray) -> None:
        w = weights.to_numpy(dtype=float)[mask]
        b = w[before.to_numpy(bool)[mask]].sum()
        a = w[after.to_numpy(bool)[mask]].sum()
        total = w.sum()
        rows.append(
            {
                "group_by": group_by,
                "group": group,
                "points": int(mask.sum()),
                "weight": float(total),
                "weight_before": float(b),
                "weight_after": float(a),
                "share_before": float(b / total) if total > 0 else math.nan,
                "share_after": float(a / total) if total > 0 else math.nan,
                "gain": float((a - b) / total) if total > 0 else math.nan,
            }
        )

    add("all", "all", np.ones(len(weights), dtype=bool))
    for name, values in groups.items():
        key = values.astype(object).where(values.notna(), "<missing>")
        for value in sorted(key.unique(), key=str):
            add(name, value, (key == value).to_numpy())
    columns = [
        "group_by",
        "group",
        "points",
        "weight",
        "weight_before",
        "weight_after",
        "share_before",
        "share_after",
        "gain",
    ]
    return pd.DataFrame(rows, columns=columns)


def ranked_sites(
    plan: Plan,
    candidates: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    order: list[Any],
    added: list[float],
    *,
    total: float,
    base: float,
    passing: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Return the chosen candidates in rank order with the weight each adds (``sites``)."""
    chosen = candidates.loc[order] if order else candidates.iloc[:0]
    gains = np.asarray(added, dtype=float)
    cumulative = base + np.cumsum(gains)
    names, dist = nearest_station(chosen, existing, plan.network.crs)
    extra = [c for c in chosen.columns if c not in (chosen.geometry.name, "rank")]
    columns: dict[str, Any] = {
        "rank": np.arange(1, len(order) + 1, dtype=np.int64),
        "added": gains,
        "added_share": gains / total if total > 0 else np.full(len(order), np.nan),
        "cumulative": cumulative,
        "cumulative_share": cumulative / total if total > 0 else np.full(len(order), np.nan),
    }
    if passing is not None:
        columns["passing_volume"] = passing.reindex(chosen.index).to_numpy(float)
    columns |= {
        "nearest_station": pd.Series(names, dtype=object).to_numpy(),
        "nearest_station_m": dist,
    }
    columns |= {c: chosen[c].to_numpy() for c in extra if c not in columns}
    out = gpd.GeoDataFrame(
        columns, geometry=chosen.geometry.to_numpy(), crs=WGS84, index=chosen.index
    )
    if candidates.attrs.get("datum"):
        out.attrs["datum"] = candidates.attrs["datum"]  # the datum the user gave them in
    return out


def coverage_curve(model: MCLP, max_p: int, total: float, before: float) -> pd.DataFrame:
    """Covered weight by number of new sites (nested greedy with a proven bound)."""
    raw = model.coverage_curve(max_p, solver="fast")
    rows = [
        {
            "p": 0,
            "site": None,
            "covered": before,
            "share": before / total if total > 0 else math.nan,
            "bound": before,
            "gap": 0.0,
        }
    ]
    for k, row in raw.iterrows():
        rows.append(
            {
                "p": int(cast(int, k)),
                "site": row["site"],
                "covered": float(row["objective"]),
                "share": float(row["objective"]) / total if total > 0 else math.nan,
                "bound": float(row["bound"]),
                "gap": float(row["gap"]),
            }
        )
    return pd.DataFrame(rows)


#: The allocation columns :class:`~planner.plan.PlanResult` adds to ``sites`` and
#: ``allocation``: what each open site serves when every demand point (or route)
#: goes to its nearest open site within the cutoff.
ALLOCATION_COLUMNS = ("alloc_weight", "alloc_points", "alloc_mean_min", "alloc_max_min")


def allocation_by_site(
    site: pd.Series, time_min: pd.Series, weight: pd.Series, labels: pd.Index
) -> pd.DataFrame:
    """Sum what each open site serves: weight, points, weighted mean and longest time.

    Parameters
    ----------
    site
        Per demand point (or route), the label of the open site serving it
        (missing: none within the cutoff).
    time_min
        Per demand point, its travel time (or detour) to that site in minutes.
    weight
        Per demand point, its weight (or trucks a day).
    labels
        The open sites, in the order of the table returned.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``labels``: ``alloc_weight``, ``alloc_points`` (0 for a site
        serving nobody), ``alloc_mean_min`` (mean time weighted by demand; a
        plain mean when the weights are all 0; NaN when it serves nobody) and
        ``alloc_max_min``.
    """
    frame = pd.DataFrame(
        {
            "site": site.to_numpy(object),
            "time": pd.to_numeric(time_min, errors="coerce").to_numpy(float),
            "weight": weight.to_numpy(float),
        }
    )
    frame = frame[frame["site"].notna()]
    frame["site"] = frame["site"].map(str)
    frame["wt"] = frame["weight"] * frame["time"]
    grouped = frame.groupby("site", sort=True).agg(
        alloc_weight=("weight", "sum"),
        alloc_points=("weight", "size"),
        wt=("wt", "sum"),
        plain=("time", "mean"),
        alloc_max_min=("time", "max"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = grouped["wt"] / grouped["alloc_weight"]
    grouped["alloc_mean_min"] = weighted.where(grouped["alloc_weight"] > 0, grouped["plain"])
    out = grouped.reindex([str(label) for label in labels])
    out["alloc_weight"] = out["alloc_weight"].fillna(0.0)
    out["alloc_points"] = out["alloc_points"].fillna(0).astype(np.int64)
    out.index = labels
    return out[list(ALLOCATION_COLUMNS)]


def nearest_open(
    access: AccessMatrix | NodeAccess, open_labels: list[Any], cutoff_min: float
) -> tuple[pd.Series, pd.Series]:
    """Per demand point of the matrix: its nearest open site within the cutoff, and the time.

    Ties go to the site listed first in the matrix; points with no open site
    within ``cutoff_min`` get a missing site and NaN.
    """
    d_index, s_index = access.demand_index, pd.Index(access.site_index)
    site = pd.Series(None, index=d_index, dtype=object)
    time = pd.Series(np.nan, index=d_index, dtype=float)
    cols = np.flatnonzero(s_index.isin(open_labels))
    if cols.size == 0 or len(d_index) == 0:
        return site, time
    if isinstance(access, NodeAccess):
        # per point through its node, with the same rule: least minutes, first column
        column, best = access.nearest(np.asarray(s_index.isin(open_labels)), unit_s=60.0)
        ok = best <= cutoff_min + 1e-9
        labels = np.full(len(d_index), None, dtype=object)
        labels[ok] = s_index[column[ok]].to_numpy(object)
        return (
            pd.Series(labels, index=d_index, dtype=object),
            pd.Series(np.where(ok, best, np.nan), index=d_index, dtype=float),
        )
    matrix = sp.csr_array(access.matrix)
    sub = sp.csr_array(matrix[:, cols])
    rows = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
    minutes_ = minutes(sub.data)
    ok = minutes_ <= cutoff_min + 1e-9
    rows, col, t = rows[ok], sub.indices[ok], minutes_[ok]
    order = np.lexsort((col, t, rows))  # by row, then time, then column
    rows, col, t = rows[order], col[order], t[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if rows.size else np.zeros(0, dtype=bool)
    site.iloc[rows[first]] = s_index[cols[col[first]]].to_numpy(object)
    time.iloc[rows[first]] = t[first]
    return site, time
