"""planner: site worker stations and driver homes on real road networks.

The public API, by concern:

- road networks: :func:`network_from_osm`, :func:`network_from_graphml`,
  :func:`network_from_graph`, :func:`network_from_place`, :func:`network_from_bbox`,
  :class:`RoadNetwork`, :class:`TravelMode`, :data:`DEFAULT_MODES`;
- inputs: :func:`read_points`, :func:`read_stations`, :func:`read_candidates`,
  :func:`read_traces`, :func:`parse_hours`;
- Chinese map datums: :func:`to_wgs84`, :func:`from_wgs84`, :func:`datum_offset_m`;
- demand and candidates: :func:`stays_from_traces`, :func:`hotspots_from_stays`,
  ``demand_from_*``, :func:`demand_to_nodes`, :func:`demand_to_grid`, ``candidates_from_*``,
  :func:`filter_candidates`, :func:`dedupe_candidates`, :func:`pois_from_osm`;
- access and coverage: :func:`access_matrix` (:class:`AccessMatrix`), :func:`coverage`,
  :func:`service_areas`;
- siting models: :class:`MCLP`, :class:`LSCP`, :class:`PMedian`, :class:`PCenter`,
  :class:`DecayCoverage` (see :mod:`planner.locate`);
- maps: :func:`network_map`, :func:`save_map`;
- the embedded synthetic demo region: :mod:`planner.datasets`;
- errors: :class:`PlannerError` and its subclasses.
"""

from planner import datasets
from planner._errors import (
    DatumError,
    InfeasibleError,
    InputError,
    NetworkError,
    OfflineError,
    PlannerError,
    Problem,
    SnapError,
    SolverError,
)
from planner.access import (
    AccessMatrix,
    access_matrix,
    nearest_sites,
    node_access_matrix,
    node_nearest,
)
from planner.candidates import (
    candidates_from_grid,
    candidates_from_hotspots,
    candidates_from_osm,
    candidates_from_points,
    candidates_from_pois,
    combine_candidates,
    dedupe_candidates,
    filter_candidates,
)
from planner.coverage import CoverageResult, coverage, hours_mask, stations_open
from planner.crs import datum_offset_m, from_wgs84, local_metric_crs, to_wgs84
from planner.demand import (
    demand_from_areas,
    demand_from_hotspots,
    demand_from_osm,
    demand_from_points,
    demand_from_pois,
    demand_from_stays,
    demand_to_grid,
    demand_to_nodes,
    hotspots_from_stays,
    stays_from_traces,
    validate_demand,
)
from planner.io import parse_hours, read_candidates, read_points, read_stations, read_traces
from planner.isochrones import service_areas
from planner.locate import LSCP, MCLP, DecayCoverage, LocateResult, PCenter, PMedian
from planner.maps import network_map, save_map
from planner.network import (
    DEFAULT_MODES,
    CSRGraph,
    RoadNetwork,
    SnapResult,
    TravelMode,
    network_from_bbox,
    network_from_graph,
    network_from_graphml,
    network_from_osm,
    network_from_place,
)
from planner.poi import pois_from_osm

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODES",
    "LSCP",
    "MCLP",
    "AccessMatrix",
    "CSRGraph",
    "CoverageResult",
    "DatumError",
    "DecayCoverage",
    "InfeasibleError",
    "InputError",
    "LocateResult",
    "NetworkError",
    "OfflineError",
    "PCenter",
    "PMedian",
    "PlannerError",
    "Problem",
    "RoadNetwork",
    "SnapError",
    "SnapResult",
    "SolverError",
    "TravelMode",
    "__version__",
    "access_matrix",
    "candidates_from_grid",
    "candidates_from_hotspots",
    "candidates_from_osm",
    "candidates_from_points",
    "candidates_from_pois",
    "combine_candidates",
    "coverage",
    "datasets",
    "datum_offset_m",
    "dedupe_candidates",
    "demand_from_areas",
    "demand_from_hotspots",
    "demand_from_osm",
    "demand_from_points",
    "demand_from_pois",
    "demand_from_stays",
    "demand_to_grid",
    "demand_to_nodes",
    "filter_candidates",
    "from_wgs84",
    "hotspots_from_stays",
    "hours_mask",
    "local_metric_crs",
    "nearest_sites",
    "network_from_bbox",
    "network_from_graph",
    "network_from_graphml",
    "network_from_osm",
    "network_from_place",
    "network_map",
    "node_access_matrix",
    "node_nearest",
    "parse_hours",
    "pois_from_osm",
    "read_candidates",
    "read_points",
    "read_stations",
    "read_traces",
    "save_map",
    "service_areas",
    "stations_open",
    "stays_from_traces",
    "to_wgs84",
    "validate_demand",
]
