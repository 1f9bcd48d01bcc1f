"""Areas in a worker-station study: districts for a minimum of stations, communities reached.

Two tables a planner reports beside the covered share of demand weight
(``PlanResult.communities`` and ``PlanResult.districts``):

- **communities**: one row per community (the ``area`` of demand made with
  :func:`planner.demand.demand_from_areas`): its weight, the share of its weight
  within the cutoff before and after, and whether it is *within the cutoff*.
  A community is within the cutoff when at least ``within_share`` (default one
  half) of its population-weighted demand is: with population spread along its
  streets, that is "most of its residents live within 15 minutes of a station",
  and it does not hang on where one centroid happens to fall;
- **districts**: one row per district (``Plan(areas=...)``) and one for all:
  communities and the share within the cutoff before and after, demand weight
  and its share covered, stations existing, new and after, and the minimum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputError
from planner.crs import WGS84

if TYPE_CHECKING:
    from planner.plan._plan import Plan

__all__ = ["area_of_points", "community_table", "district_polygons", "district_table"]

ALL = "all"


def district_polygons(plan: Plan) -> gpd.GeoSeries | None:
    """Return the plan's districts in WGS84 keyed by name (``None`` when it has none)."""
    areas = plan.areas
    if areas is None:
        return None
    names = areas[plan.area_name] if plan.area_name is not None else areas.index.to_series()
    polys = areas.geometry.to_crs(WGS84)
    return gpd.GeoSeries(polys.to_numpy(), index=pd.Index(names.astype(str)), crs=WGS84)


def area_of_points(districts: gpd.GeoSeries, points: gpd.GeoSeries) -> pd.Series:
    """Return the district holding each point (the first one, for overlaps; NaN outside)."""
    out = pd.Series(np.nan, index=points.index, dtype=object)
    if len(points) == 0:
        return out
    hits = shapely.STRtree(districts.to_numpy()).query(
        points.to_crs(WGS84).to_numpy(), predicate="intersects"
    )
    point_pos, area_pos = hits[0], hits[1]
    order = np.lexsort((area_pos, point_pos))
    point_pos, area_pos = point_pos[order], area_pos[order]
    first = np.r_[True, point_pos[1:] != point_pos[:-1]] if point_pos.size else np.zeros(0, bool)
    out.iloc[point_pos[first]] = districts.index.to_numpy()[area_pos[first]]
    return out


def community_table(
    demand: gpd.GeoDataFrame,
    *,
    within_share: float,
    district_of_point: pd.Series | None,
) -> pd.DataFrame | None:
    """Per community: weight, covered shares before/after, within the cutoff before/after.

    Parameters
    ----------
    demand
        ``PlanResult.demand`` with an ``area`` column (the community of each point).
    within_share
        Share of a community's weight that must be covered for it to count as within.
    district_of_point
        District of every demand point, or None.

    Returns
    -------
    pandas.DataFrame or None
        Indexed by community; None when the demand has no ``area`` column.
    """
    if "area" not in demand.columns:
        return None
    w = demand["weight"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "community": demand["area"].to_numpy(),
            "weight": w,
            "before": w * demand["covered_before"].to_numpy(bool),
            "after": w * demand["covered_after"].to_numpy(bool),
            "points": 1,
        }
    )
    table = frame.groupby("community", sort=False).sum()
    total = table["weight"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_before"] = np.where(total > 0, table["before"] / total, 0.0)
        table["share_after"] = np.where(total > 0, table["after"] / total, 0.0)
    table["within_before"] = (total > 0) & (table["share_before"] >= within_share - 1e-12)
    table["within_after"] = (total > 0) & (table["share_after"] >= within_share - 1e-12)
    table = table.rename(columns={"before": "weight_before", "after": "weight_after"})
    if district_of_point is not None:
        # a community lies in the district holding most of its weight
        by = pd.DataFrame(
            {
                "community": frame["community"],
                "district": district_of_point.to_numpy(),
                "weight": w,
            }
        ).dropna(subset=["district"])
        if len(by):
            heaviest = (
                by.groupby(["community", "district"], sort=False)["weight"]
                .sum()
                .reset_index()
                .sort_values(["community", "weight"], ascending=[True, False], kind="stable")
                .drop_duplicates("community")
                .set_index("community")["district"]
            )
            table.insert(0, "district", heaviest.reindex(table.index).to_numpy())
        else:
            table.insert(0, "district", np.nan)
    table.index.name = "community"
    return table[
        [
            *(["district"] if "district" in table else []),
            "weight",
            "points",
            "weight_before",
            "weight_after",
            "share_before",
            "share_after",
            "within_before",
            "within_after",
        ]
    ]


def district_table(
    districts: gpd.GeoSeries | None,
    demand: gpd.GeoDataFrame,
    district_of_point: pd.Series | None,
    communities: pd.DataFrame | None,
    site_district: pd.Series,
    existing: pd.Index,
    new: pd.Index,
    *,
    min_per_area: int | None,
) -> pd.DataFrame | None:
    """Per district and for all: communities within the cutoff, demand covered, stations.

    Parameters
    ----------
    districts
        The districts (None: only the ``all`` row).
    demand
        ``PlanResult.demand``.
    district_of_point
        District of every demand point.
    communities
        :func:`community_table` (None when the demand has no communities).
    site_district
        District of every site (existing and candidate), by site label.
    existing, new
        Labels of existing stations and of new sites.
    min_per_area
        The minimum per district, if any.

    Returns
    -------
    pandas.DataFrame or None
        Indexed by district name, the last row ``all``; None when there is
        nothing to report (no districts and no communities).
    """
    if districts is None and communities is None:
        return None
    names = [] if districts is None else [str(n) for n in districts.index]
    rows = []
    w = demand["weight"].to_numpy(float)
    before = demand["covered_before"].to_numpy(bool)
    after = demand["covered_after"].to_numpy(bool)
    dist = (
        district_of_point.to_numpy(object)
        if district_of_point is not None
        else np.full(len(demand), None)
    )
    ex_d = site_district.reindex(existing).to_numpy(object)
    new_d = site_district.reindex(new).to_numpy(object)
    for name in [*names, ALL]:
        mask = np.ones(len(demand), bool) if name == ALL else dist == name
        weight = float(w[mask].sum())
        row: dict[str, object] = {"district": name}
        if communities is not None:
            comm = (
                communities
                if name == ALL or "district" not in communities
                else communities[communities["district"] == name]
            )
            n = len(comm)
            row |= {
                "communities": n,
                "communities_within_before": int(comm["within_before"].sum()),
                "communities_within_after": int(comm["within_after"].sum()),
                "communities_share_before": comm["within_before"].mean() if n else np.nan,
                "communities_share_after": comm["within_after"].mean() if n else np.nan,
            }
        row |= {
            "weight": weight,
            "weight_share_before": float(w[mask & before].sum()) / weight if weight else np.nan,
            "weight_share_after": float(w[mask & after].sum()) / weight if weight else np.nan,
            "stations_existing": int(len(ex_d) if name == ALL else (ex_d == name).sum()),
            "stations_new": int(len(new_d) if name == ALL else (new_d == name).sum()),
        }
        row["stations_after"] = int(row["stations_existing"]) + int(row["stations_new"])  # type: ignore[call-overload]
        if min_per_area is not None and name != ALL:
            row["min_stations"] = int(min_per_area)
        rows.append(row)
    return pd.DataFrame(rows).set_index("district")


def check_areas(areas: gpd.GeoDataFrame | None, area_name: str | None) -> None:
    """Validate ``Plan(areas=..., area_name=...)``."""
    if areas is None:
        return
    if not isinstance(areas, gpd.GeoDataFrame) or areas.crs is None:
        raise InputError(
            "`areas` must be a GeoDataFrame of district polygons with a CRS.",
            field="areas",
            fix="read them with geopandas.read_file (datum converted: "
            "planner.demand.areas_to_wgs84(..., datum='gcj02') for Amap boundaries).",
        )
    kinds = set(areas.geometry.geom_type.dropna().unique())
    if kinds - {"Polygon", "MultiPolygon"}:
        raise InputError(f"`areas` must hold polygons; it holds {sorted(kinds)}.", field="areas")
    if area_name is not None and area_name not in areas.columns:
        raise InputError(
            f"`areas` has no column {area_name!r}; columns are {list(areas.columns)}.",
            field="area_name",
        )
    names = areas[area_name] if area_name is not None else areas.index.to_series()
    if not names.astype(str).is_unique:
        dup = names[names.astype(str).duplicated()].astype(str).tolist()[:5]
        raise InputError(
            f"district names repeat: {dup}; each district needs its own name.",
            field=area_name or "areas",
            fix="dissolve the repeated districts, or name another column with area_name=.",
        )
