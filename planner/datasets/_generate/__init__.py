"""Generator of the synthetic demo region shipped with planner (`generate`).

Everything here is invented: the roads, names, points of interest, stations and
GPS traces of the *synthetic demo region* are drawn from a seeded random number
generator around a fictional place near 112.9 E, 28.1 N. No third-party map
data is used. The output is deterministic: the same seed gives byte-identical
files (fixed timestamps, sorted ids, fixed number formats, bzip2 compression).

The layout, in metres east (x) and north (y) of the centre, 20 km across:

* an urban lattice (14 km x 11 km) of arterial roads every kilometre (primary,
  secondary, tertiary; one one-way pair each way downtown) filled with irregular
  local streets (residential, service, living_street, unclassified), footways
  across blocks, steps, a pedestrian street and park paths;
* the national-road freight corridor ``G999`` (``highway=trunk``, ``hgv=yes``)
  crossing the region south of the city from west to east;
* an expressway segment (``highway=motorway``, dual carriageway, ``ref=G9901``)
  east of the city with two diamond interchanges and motorway links;
* a logistics park south of the corridor (service roads, ``landuse=industrial``,
  a large truck parking, warehouses, parcel depots) and a highway service area
  (``highway=services``) on the corridor;
* villages in the countryside, linked by rural roads;
* points of interest as tagged OSM nodes and closed ways (restaurants and fast
  food in clusters, malls, express-delivery depots, residential areas, community
  centres, toilets, fuel stations, parkings);
* existing worker stations and driver homes, a day of GPS traces of delivery
  riders, couriers, ride-hailing drivers and trucks, the stops planted in them,
  and a truck origin-destination table.

The steps, one file each: `_region` (constants, local metres), `_osmxml` (the OSM
data and its XML), `_roads`, `_pois` (places and stations), `_routing` (shortest
paths by mode), `_agents` (the day of each agent, GPS fixes), `_files` (text
formats, README) and `_build` (the driver).
"""

from planner.datasets._generate._build import generate
from planner.datasets._generate._region import (
    AGENTS,
    DEFAULT_SEED,
    DEMO_LABEL,
    FILES,
    GENERATOR_VERSION,
    OSM_FILE,
    STATIONS_FILE,
    STOPS_FILE,
    TRACES_FILE,
    TRUCK_OD_FILE,
    lonlat_to_xy,
    poi_category,
    region_bounds,
    xy_to_lonlat,
)

__all__ = [
    "AGENTS",
    "DEFAULT_SEED",
    "DEMO_LABEL",
    "FILES",
    "GENERATOR_VERSION",
    "OSM_FILE",
    "STATIONS_FILE",
    "STOPS_FILE",
    "TRACES_FILE",
    "TRUCK_OD_FILE",
    "generate",
    "lonlat_to_xy",
    "poi_category",
    "region_bounds",
    "xy_to_lonlat",
]
