"""Constants of the synthetic demo region and its local metric coordinates.

The region is centred on a fictional place near 112.9 E, 28.1 N; the generator
works in metres east (x) and north (y) of that centre.
"""

from __future__ import annotations

import numpy as np

GENERATOR_VERSION = "1"
DEFAULT_SEED = 20240515
DEMO_LABEL = "synthetic demo region"
DEMO_DATE = "2024-05-15"

#: Centre of the region (WGS84) and metres per degree there (fixed literals so
#: that the output does not depend on the platform's trigonometry).
LON0 = 112.9
LAT0 = 28.1
M_PER_DEG_LON = 98198.363
M_PER_DEG_LAT = 110574.0
HALF_M = 10_000.0

OSM_FILE = "demo_region.osm.bz2"
STATIONS_FILE = "stations.csv"
TRACES_FILE = "traces.csv.bz2"
STOPS_FILE = "stops.csv.bz2"
TRUCK_OD_FILE = "truck_od.csv"
README_FILE = "README.md"
FILES = (OSM_FILE, STATIONS_FILE, TRACES_FILE, STOPS_FILE, TRUCK_OD_FILE, README_FILE)

#: Number of agents in the traces, by group.
AGENTS = {"rider": 200, "courier": 60, "ride-hailing": 40, "truck": 24}
#: Fix interval (seconds) by group.
FIX_INTERVAL_S = {"rider": 30, "courier": 30, "ride-hailing": 30, "truck": 60}
#: Points of interest planted in the OSM file, by category (see ``poi_category``).
PLANTED_POIS = {
    "restaurant": 120,
    "fast_food": 80,
    "mall": 6,
    "express_depot": 16,
    "community_centre": 18,
    "toilets": 40,
    "fuel": 12,
    "parking": 30,
    "residential": 67,
}
#: Of which: fuel stations with ``hgv=yes`` and parkings with ``hgv=designated``.
PLANTED_HGV_FUEL = 5
PLANTED_TRUCK_PARKING = 6
#: Existing stations by kind, and how many are open 24/7.
STATIONS = {"worker_station": 12, "driver_home": 2}
STATIONS_24H = 5
RESTAURANT_CLUSTER_SIZES = (22, 18, 16, 15, 14, 13, 12, 11, 10, 9, 8, 8, 7, 7)
#: The ending of every name in the region.
SYN = " (synthetic)"


def xy_to_lonlat(x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Convert local metres (east, north of the centre) to WGS84 lon/lat degrees."""
    return (
        LON0 + np.asarray(x, dtype=float) / M_PER_DEG_LON,
        LAT0 + np.asarray(y, dtype=float) / M_PER_DEG_LAT,
    )


def lonlat_to_xy(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 lon/lat degrees to local metres (inverse of `xy_to_lonlat`)."""
    return (
        (np.asarray(lon, dtype=float) - LON0) * M_PER_DEG_LON,
        (np.asarray(lat, dtype=float) - LAT0) * M_PER_DEG_LAT,
    )


def region_bounds() -> tuple[float, float, float, float]:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` of the synthetic demo region."""
    lo = xy_to_lonlat(-HALF_M, -HALF_M)
    hi = xy_to_lonlat(HALF_M, HALF_M)
    return (
        round(float(lo[0]), 7),
        round(float(lo[1]), 7),
        round(float(hi[0]), 7),
        round(float(hi[1]), 7),
    )


def poi_category(tags: dict[str, str]) -> str | None:
    """Return the demo POI category of an OSM object's tags, or ``None``."""
    amenity = tags.get("amenity")
    if amenity in {"restaurant", "fast_food", "community_centre", "toilets", "fuel", "parking"}:
        return amenity
    if amenity == "post_depot" or tags.get("office") == "courier":
        return "express_depot"
    if tags.get("shop") == "mall":
        return "mall"
    if tags.get("landuse") == "residential":
        return "residential"
    if tags.get("landuse") == "industrial":
        return "industrial"
    if tags.get("highway") == "services":
        return "services"
    return None
