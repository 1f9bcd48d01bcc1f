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
- access and coverage: :func:`access_matrix` (:class:`AccessMatrix`), :func:`access_by_node`
  (:class:`NodeAccess`, one row per demand node), :func:`coverage`,
  :func:`service_areas`;
- siting models: :class:`MCLP`, :class:`LSCP`, :class:`PMedian`, :class:`PCenter`,
  :class:`DecayCoverage`, :class:`FlowCapture`, :class:`RestIntervalCoverage`
  (see :mod:`planner.locate`);
- truck routes and driver homes: :func:`route_od`, :func:`match_traces`,
  :func:`flows_from_counts`, :class:`Flows`,
  :func:`driver_home_candidates`, :func:`driver_home_plan` (deprecated: use
  :meth:`Plan.driver_homes`);
- plans, maps and reports: :class:`Plan` (:meth:`Plan.worker_stations`,
  :meth:`Plan.driver_homes`) giving a :class:`PlanResult`; :func:`plan_map`,
  :func:`network_map`, :func:`province_map`, :func:`save_map`, :func:`report_html`,
  :func:`run_demo`;
- the embedded synthetic demo region: :mod:`planner.datasets`;
- errors: :class:`PlannerError` and its subclasses.
"""

from planner import datasets
from planner._candidate_table import candidates_from_table
from planner._errors import (
    DatumError,
    DatumWarning,
    DroppedFixesWarning,
    InfeasibleError,
    InputError,
    NetworkError,
    OfflineError,
    OffNetworkWarning,
    PlannerError,
    PlannerWarning,
    Problem,
    SnapError,
    SolverError,
)
from planner.access import (
    AccessMatrix,
    NodeAccess,
    access_by_node,
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
from planner.coverage import CoverageResult, coverage
from planner.crs import datum_offset_m, from_wgs84, local_metric_crs, to_wgs84
from planner.datasets.demo import DemoResult, run_demo
from planner.demand import (
    demand_along_roads,
    demand_from_amap,
    demand_from_areas,
    demand_from_hotspots,
    demand_from_osm,
    demand_from_points,
    demand_from_pois,
    demand_from_raster,
    demand_from_stays,
    demand_to_grid,
    demand_to_nodes,
    hotspots_from_stays,
    stays_from_trace_files,
    stays_from_traces,
    validate_demand,
)
from planner.hours import hours_mask, parse_hours, stations_open
from planner.io import read_candidates, read_points, read_stations, read_traces
from planner.isochrones import service_areas
from planner.locate import (
    LSCP,
    MCLP,
    DecayCoverage,
    FlowCapture,
    LocateResult,
    PCenter,
    PhasePlan,
    PMedian,
    RestIntervalCoverage,
    decay_weights,
)
from planner.maps import network_map, plan_map, province_map, save_map
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
from planner.outputs import write_outputs
from planner.plan import DRIVER_HOMES, WORKER_STATIONS, Plan, PlanResult, Preset
from planner.plan._homes_deprecated import DriverHomePlan, driver_home_plan
from planner.poi import pois_from_osm
from planner.report import report_html, write_report
from planner.routes import (
    DRIVER_HOME_TAGS,
    CountFit,
    Flows,
    MapMatcher,
    MatchResult,
    SiteIncidence,
    driver_home_candidates,
    flows_from_counts,
    flows_from_paths,
    match_traces,
    route_od,
    with_passing_volume,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODES",
    "DRIVER_HOMES",
    "DRIVER_HOME_TAGS",
    "LSCP",
    "MCLP",
    "WORKER_STATIONS",
    "AccessMatrix",
    "CSRGraph",
    "CountFit",
    "CoverageResult",
    "DatumError",
    "DatumWarning",
    "DecayCoverage",
    "DemoResult",
    "DriverHomePlan",
    "DroppedFixesWarning",
    "FlowCapture",
    "Flows",
    "InfeasibleError",
    "InputError",
    "LocateResult",
    "MapMatcher",
    "MatchResult",
    "NetworkError",
    "NodeAccess",
    "OffNetworkWarning",
    "OfflineError",
    "PCenter",
    "PMedian",
    "PhasePlan",
    "Plan",
    "PlanResult",
    "PlannerError",
    "PlannerWarning",
    "Preset",
    "Problem",
    "RestIntervalCoverage",
    "RoadNetwork",
    "SiteIncidence",
    "SnapError",
    "SnapResult",
    "SolverError",
    "TravelMode",
    "__version__",
    "access_by_node",
    "access_matrix",
    "candidates_from_grid",
    "candidates_from_hotspots",
    "candidates_from_osm",
    "candidates_from_points",
    "candidates_from_pois",
    "candidates_from_table",
    "combine_candidates",
    "coverage",
    "datasets",
    "datum_offset_m",
    "decay_weights",
    "dedupe_candidates",
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
    "driver_home_candidates",
    "driver_home_plan",
    "filter_candidates",
    "flows_from_counts",
    "flows_from_paths",
    "from_wgs84",
    "hotspots_from_stays",
    "hours_mask",
    "local_metric_crs",
    "match_traces",
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
    "plan_map",
    "pois_from_osm",
    "province_map",
    "read_candidates",
    "read_points",
    "read_stations",
    "read_traces",
    "report_html",
    "route_od",
    "run_demo",
    "save_map",
    "service_areas",
    "stations_open",
    "stays_from_trace_files",
    "stays_from_traces",
    "to_wgs84",
    "validate_demand",
    "with_passing_volume",
    "write_outputs",
    "write_report",
]
