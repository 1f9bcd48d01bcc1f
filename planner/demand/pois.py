"""Demand from POIs: OSM objects as proxies of where riders and couriers wait or deliver."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from planner._errors import InputError
from planner.demand._common import gdf_lonlat
from planner.demand.schema import check_group, make_demand

__all__ = [
    "FEW_POIS",
    "POI_DEMAND_TAGS",
    "POI_DEMAND_WEIGHTS",
    "PoiWeight",
    "demand_from_osm",
    "demand_from_pois",
]


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


#: Fewer POIs than this in an OSM file give a warning: too few to stand for demand.
FEW_POIS = 10


def _tags_of(weights: Mapping[tuple[str, str], PoiWeight]) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for key, value in weights:
        tags.setdefault(key, []).append(value)
    return tags


#: The tags :func:`demand_from_osm` reads by default (those of :data:`POI_DEMAND_WEIGHTS`).
POI_DEMAND_TAGS: Mapping[str, list[str]] = _tags_of(POI_DEMAND_WEIGHTS)


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
        check_group(spec.group, field=f"weights[{key}={value}]")
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
    lon, lat = gdf_lonlat(kept, label) if len(kept) else (np.empty(0), np.empty(0))
    extra: dict[str, Any] = {"key": kept["key"].to_numpy(), "category": kept["category"].to_numpy()}
    if "name" in kept.columns:
        extra["name"] = kept["name"].to_numpy()
    return make_demand(
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

    Raises
    ------
    InputError
        When the file holds no POI with a demand tag (a roads-only extract);
        fewer than :data:`FEW_POIS` give a warning.

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
    name = Path(path).name
    if len(pois) == 0:
        raise InputError(
            "the OSM file holds no POIs with a demand tag (shops, restaurants, courier "
            f"depots, residential buildings ...: keys {', '.join(sorted(tags))}); it may hold "
            "roads only.",
            file=name,
            field="tags",
            fix="use an extract with POIs, or give demand another way: community areas "
            "with a population column ([demand] areas), a population raster, an Amap POI "
            "table or your own weighted points.",
        )
    if len(pois) < FEW_POIS:
        warnings.warn(
            f"{name}: only {len(pois)} POIs carry a demand tag; demand drawn from so few "
            "points says little about where workers are. Consider community areas with a "
            "population column, or a population raster.",
            UserWarning,
            stacklevel=2,
        )
    return demand_from_pois(pois, weights=table, label=name)
