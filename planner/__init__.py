"""planner: site worker stations and driver homes on real road networks.

The public API, by concern:

- road networks: :func:`network_from_osm`, :func:`network_from_graphml`,
  :func:`network_from_graph`, :func:`network_from_place`, :func:`network_from_bbox`,
  :class:`RoadNetwork`, :class:`TravelMode`, :data:`DEFAULT_MODES`;
- inputs: :func:`read_points`, :func:`read_stations`, :func:`read_candidates`,
  :func:`read_traces`, :func:`parse_hours`;
- Chinese map datums: :func:`to_wgs84`, :func:`from_wgs84`, :func:`datum_offset_m`;
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
from planner.crs import datum_offset_m, from_wgs84, local_metric_crs, to_wgs84
from planner.io import parse_hours, read_candidates, read_points, read_stations, read_traces
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

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODES",
    "CSRGraph",
    "DatumError",
    "InfeasibleError",
    "InputError",
    "NetworkError",
    "OfflineError",
    "PlannerError",
    "Problem",
    "RoadNetwork",
    "SnapError",
    "SnapResult",
    "SolverError",
    "TravelMode",
    "__version__",
    "datasets",
    "datum_offset_m",
    "from_wgs84",
    "local_metric_crs",
    "network_from_bbox",
    "network_from_graph",
    "network_from_graphml",
    "network_from_osm",
    "network_from_place",
    "network_map",
    "parse_hours",
    "read_candidates",
    "read_points",
    "read_stations",
    "read_traces",
    "save_map",
    "to_wgs84",
]
