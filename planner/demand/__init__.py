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
   :func:`stays_from_trace_files` does the same on Dask for folders of Parquet/CSV
   files too large for memory, with the same result;
2. :func:`hotspots_from_stays` clusters stays across drivers (DBSCAN on metric
   coordinates, per worker group) into hotspots weighted by distinct drivers,
   stays or dwell time, optionally with an hour-of-day histogram;
3. :func:`demand_from_hotspots` / :func:`demand_from_stays` give the demand schema.

Without traces: :func:`demand_from_areas` (community or district totals, such as
population, spread along the area's roads, over its buildings or nodes, or on
its centroid), :func:`demand_from_raster` (a population grid such as WorldPop,
put on the nearest road nodes), :func:`demand_along_roads` (uniform demand per
km of street), :func:`demand_from_pois` / :func:`demand_from_osm` (OSM POIs as
proxies, weights in :data:`POI_DEMAND_WEIGHTS`), :func:`demand_from_amap` (an
Amap POI export, weights by type code in :data:`AMAP_DEMAND_WEIGHTS`) and
:func:`demand_from_points` (the user's own points, e.g. order counts).

Aggregation keeps totals exact: :func:`demand_to_nodes` (road network nodes)
and :func:`demand_to_grid` (hexagonal or square cells).

The package, one idea per module: ``stays`` (trace checks and stay points),
``dask_stays`` (stay points from trace files, on Dask),
``hotspots``, ``points`` (the user's points, stays, hotspots), ``pois``,
``areas``, ``roads``, ``raster``, ``amap``, ``aggregate`` (to nodes and grid
cells), ``schema`` (groups, sources,
:func:`validate_demand`) and the private ``_common`` (metric CRS and lon/lat helpers).
"""

from planner.demand.aggregate import demand_to_grid, demand_to_nodes
from planner.demand.amap import AMAP_DEMAND_WEIGHTS, amap_weight, demand_from_amap
from planner.demand.areas import SPREADS, areas_to_wgs84, demand_from_areas
from planner.demand.dask_stays import stays_from_trace_files
from planner.demand.hotspots import hotspots_from_stays
from planner.demand.points import demand_from_hotspots, demand_from_points, demand_from_stays
from planner.demand.pois import (
    FEW_POIS,
    POI_DEMAND_TAGS,
    POI_DEMAND_WEIGHTS,
    PoiWeight,
    demand_from_osm,
    demand_from_pois,
)
from planner.demand.raster import demand_from_raster
from planner.demand.roads import demand_along_roads, node_road_length
from planner.demand.schema import DEMAND_COLUMNS, GROUPS, SOURCES, validate_demand
from planner.demand.stays import stays_from_traces

__all__ = [
    "AMAP_DEMAND_WEIGHTS",
    "DEMAND_COLUMNS",
    "FEW_POIS",
    "GROUPS",
    "POI_DEMAND_TAGS",
    "POI_DEMAND_WEIGHTS",
    "SOURCES",
    "SPREADS",
    "PoiWeight",
    "amap_weight",
    "areas_to_wgs84",
    "demand_along_roads",
    "demand_from_amap",
    "demand_from_areas",
    "demand_from_hotspots",
    "demand_from_osm",
    "demand_from_points",
    "demand_from_pois",
    "demand_from_raster",
    "demand_from_stays",
    "demand_to_grid",
    "demand_to_nodes",
    "hotspots_from_stays",
    "node_road_length",
    "stays_from_trace_files",
    "stays_from_traces",
    "validate_demand",
]
