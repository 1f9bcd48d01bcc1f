"""Road networks: loading OpenStreetMap data, travel modes, CSR export and snapping.

A :class:`RoadNetwork` wraps an osmnx ``MultiDiGraph`` (WGS84 node coordinates,
OSM ids as node keys) with per-mode edge travel times, the largest strongly
connected part of the network, a local metric CRS, and the two things the rest
of planner needs from a network: compressed sparse row (CSR) arrays for bulk
shortest paths (:meth:`RoadNetwork.csr`) and snapping of points to nodes
(:meth:`RoadNetwork.snap`).

Networks are built from an OSM XML file (``.osm``, ``.osm.bz2``, ``.osm.gz``),
an OSM PBF file (``.osm.pbf``), a GraphML file, an osmnx graph already in
memory, or a place name / bounding box downloaded through osmnx when online
(cached on disk).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import re
import tempfile
import warnings
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from planner._atomic import atomic_file
from planner._errors import InputError, NetworkError, OfflineError, SnapError
from planner._progress import tqdm
from planner.crs import WGS84, local_metric_crs

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODES",
    "CSRGraph",
    "RoadNetwork",
    "SnapResult",
    "TravelMode",
    "network_from_bbox",
    "network_from_graph",
    "network_from_graphml",
    "network_from_osm",
    "network_from_place",
]

# Ways that are never part of a usable road network, whatever the mode.
_NEVER_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "disused",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
# Tags kept on graph edges (osmnx keeps only the tags named in its settings).
_WAY_TAGS = (
    "access",
    "bicycle",
    "bridge",
    "foot",
    "hgv",
    "highway",
    "junction",
    "lanes",
    "maxspeed",
    "motor_vehicle",
    "motorcar",
    "motorroad",
    "name",
    "oneway",
    "ref",
    "service",
    "tunnel",
)
_NOT_FOR_VEHICLES = frozenset(
    {
        "bridleway",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "path",
        "pedestrian",
        "steps",
        "track",
    }
)


@dataclass(frozen=True)
class TravelMode:
    """How one kind of worker moves on the road network.

    Parameters
    ----------
    name
        The mode's name, used in edge attributes (``time_<name>``) and arguments.
    speed_kmh
        A flat speed on every allowed edge (walkers, e-bikes). ``None`` uses
        road speeds by highway class (``road_speeds_kmh``).
    road_speeds_kmh
        Speeds by OSM ``highway`` class, used when ``speed_kmh`` is ``None``.
    fallback_speed_kmh
        Speed on highway classes missing from ``road_speeds_kmh``.
    maxspeed_rule
        What a tagged OSM ``maxspeed`` does: ``"replace"`` the class speed
        (cars), ``"cap"`` it (trucks: the class speed is the truck's cap), or
        ``"ignore"`` it.
    max_speed_kmh
        A cap applied to every edge last.
    excluded_highways
        Highway classes closed to the mode.
    excluded_tags
        Tag values that close an edge to the mode, e.g. ``{"hgv": {"no"}}``.
    oneway
        Whether one-way streets bind the mode (walkers ignore them).
    access_speed_kmh
        Speed on the straight off-network leg between a point and the node it
        snaps to: the snap distance becomes time at this speed.

    Examples
    --------
    >>> import dataclasses
    >>> fast = dataclasses.replace(DEFAULT_MODES["ebike"], speed_kmh=20.0)
    >>> fast.speed_kmh
    20.0
    """

    name: str
    speed_kmh: float | None = None
    road_speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    fallback_speed_kmh: float = 25.0
    maxspeed_rule: Literal["replace", "cap", "ignore"] = "ignore"
    max_speed_kmh: float | None = None
    excluded_highways: frozenset[str] = frozenset()
    excluded_tags: Mapping[str, Collection[str]] = field(default_factory=dict)
    oneway: bool = True
    access_speed_kmh: float = 4.5

    def __post_init__(self) -> None:
        """Validate the speeds and freeze the mappings."""
        problems = []
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            problems.append(f"name {self.name!r} must be lowercase letters, digits or '_'")
        speeds = {"speed_kmh": self.speed_kmh, "max_speed_kmh": self.max_speed_kmh}
        speeds |= {"fallback_speed_kmh": self.fallback_speed_kmh}
        speeds |= {"access_speed_kmh": self.access_speed_kmh}
        speeds |= {f"road_speeds_kmh[{k!r}]": v for k, v in self.road_speeds_kmh.items()}
        for key, value in speeds.items():
            if value is not None and not (np.isfinite(value) and value > 0):
                problems.append(f"{key} must be a positive number of km/h, got {value!r}")
        if self.maxspeed_rule not in ("replace", "cap", "ignore"):
            problems.append(
                f"maxspeed_rule must be 'replace', 'cap' or 'ignore', got {self.maxspeed_rule!r}"
            )
        if problems:
            raise InputError(f"TravelMode {self.name!r}: " + "; ".join(problems) + ".")
        object.__setattr__(self, "road_speeds_kmh", MappingProxyType(dict(self.road_speeds_kmh)))
        tags = {k: frozenset(v) for k, v in self.excluded_tags.items()}
        object.__setattr__(self, "excluded_tags", MappingProxyType(tags))
        object.__setattr__(self, "excluded_highways", frozenset(self.excluded_highways))

    @property
    def attr(self) -> str:
        """The edge attribute holding this mode's travel time in seconds."""
        return f"time_{self.name}"

    def to_dict(self) -> dict[str, Any]:
        """Return the mode as plain JSON-compatible data."""
        return {
            "name": self.name,
            "speed_kmh": self.speed_kmh,
            "road_speeds_kmh": dict(sorted(self.road_speeds_kmh.items())),
            "fallback_speed_kmh": self.fallback_speed_kmh,
            "maxspeed_rule": self.maxspeed_rule,
            "max_speed_kmh": self.max_speed_kmh,
            "excluded_highways": sorted(self.excluded_highways),
            "excluded_tags": {k: sorted(v) for k, v in sorted(self.excluded_tags.items())},
            "oneway": self.oneway,
            "access_speed_kmh": self.access_speed_kmh,
        }

    def edge_speed_kmh(self, attrs: Mapping[str, Any]) -> float:
        """Return the speed on an edge with these OSM tags, or 0 where the mode may not go.

        List-valued tags (edges merged by simplification) are closed when any part
        is closed, and take the slowest part's speed.

        Parameters
        ----------
        attrs
            The edge's attributes (OSM tags as osmnx stores them).

        Returns
        -------
        float
            Speed in km/h; ``0.0`` where the mode is not allowed.

        Examples
        --------
        >>> DEFAULT_MODES["car"].edge_speed_kmh({"highway": "primary", "maxspeed": "60"})
        60.0
        >>> DEFAULT_MODES["ebike"].edge_speed_kmh({"highway": "motorway"})
        0.0
        """
        highways = _as_list(attrs.get("highway")) or ["road"]
        if any(h in self.excluded_highways or h in _NEVER_HIGHWAYS for h in highways):
            return 0.0
        for key, closed in self.excluded_tags.items():
            if any(str(v).strip().lower() in closed for v in _as_list(attrs.get(key))):
                return 0.0
        if self.speed_kmh is not None:
            speed = self.speed_kmh
        else:
            speed = min(self.road_speeds_kmh.get(h, self.fallback_speed_kmh) for h in highways)
        if self.maxspeed_rule != "ignore":
            tagged = [s for s in map(_parse_maxspeed, _as_list(attrs.get("maxspeed"))) if s]
            if tagged:
                limit = min(tagged)
                speed = limit if self.maxspeed_rule == "replace" else min(speed, limit)
        if self.max_speed_kmh is not None:
            speed = min(speed, self.max_speed_kmh)
        return float(speed)


_CAR_SPEEDS = {
    "motorway": 100.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 35.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
}
_TRUCK_SPEEDS = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 35.0,
    "primary": 45.0,
    "primary_link": 30.0,
    "secondary": 35.0,
    "secondary_link": 25.0,
    "tertiary": 30.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "road": 25.0,
    "residential": 20.0,
    "service": 10.0,
}

#: The four built-in modes. Override any field with :func:`dataclasses.replace`.
DEFAULT_MODES: Mapping[str, TravelMode] = MappingProxyType(
    {
        "walk": TravelMode(
            "walk",
            speed_kmh=4.5,
            excluded_highways=frozenset({"motorway", "motorway_link"}),
            excluded_tags={"foot": {"no"}, "access": {"no"}, "motorroad": {"yes"}},
            oneway=False,
            access_speed_kmh=4.5,
        ),
        "ebike": TravelMode(
            "ebike",
            speed_kmh=15.0,
            excluded_highways=frozenset(
                {"motorway", "motorway_link", "steps", "elevator", "escalator", "corridor"}
            ),
            excluded_tags={"bicycle": {"no"}, "access": {"no"}, "motorroad": {"yes"}},
            oneway=True,
            access_speed_kmh=10.0,
        ),
        "car": TravelMode(
            "car",
            road_speeds_kmh=_CAR_SPEEDS,
            fallback_speed_kmh=25.0,
            maxspeed_rule="replace",
            max_speed_kmh=120.0,
            excluded_highways=_NOT_FOR_VEHICLES,
            excluded_tags={
                "access": {"no", "private"},
                "motor_vehicle": {"no", "private"},
                "motorcar": {"no", "private"},
            },
            oneway=True,
            access_speed_kmh=10.0,
        ),
        "truck": TravelMode(
            "truck",
            road_speeds_kmh=_TRUCK_SPEEDS,
            fallback_speed_kmh=20.0,
            maxspeed_rule="cap",
            max_speed_kmh=90.0,
            excluded_highways=_NOT_FOR_VEHICLES | {"living_street"},
            excluded_tags={
                "access": {"no", "private"},
                "motor_vehicle": {"no", "private"},
                "hgv": {"no", "private"},
            },
            oneway=True,
            access_speed_kmh=10.0,
        ),
    }
)


def _as_list(value: Any) -> list[Any]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v is not None]
    return [value]


_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def _parse_maxspeed(value: Any) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h; ``None`` where it is not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    if not isinstance(value, str):
        return None
    # "60;80" or "60|80": take the lowest limit
    parts = [p for p in re.split(r"[;|]", value) if p.strip()]
    speeds = []
    for part in parts:
        match = _MAXSPEED.match(part)
        if match:
            speed = float(match.group(1))
            if (match.group(2) or "").lower() == "mph":
                speed *= 1.609344
            if speed > 0:
                speeds.append(speed)
    return min(speeds) if speeds else None


def _resolve_modes(
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None,
) -> dict[str, TravelMode]:
    if modes is None:
        return dict(DEFAULT_MODES)
    items = modes.values() if isinstance(modes, Mapping) else modes
    resolved: dict[str, TravelMode] = {}
    for item in items:
        if isinstance(item, TravelMode):
            mode = item
        elif isinstance(item, str) and item in DEFAULT_MODES:
            mode = DEFAULT_MODES[item]
        else:
            raise InputError(
                f"unknown travel mode {item!r}.",
                field="modes",
                fix=f"use one of {sorted(DEFAULT_MODES)} or pass a TravelMode.",
            )
        resolved[mode.name] = mode
    if not resolved:
        raise InputError("no travel mode given.", field="modes", fix="pass at least one mode.")
    return resolved


@dataclass(frozen=True)
class CSRGraph:
    """A travel mode's network as compressed sparse row arrays.

    Row ``i`` lists the edges leaving node position ``i``; ``weights`` are travel
    times in seconds (explicit zeros are real zero-time edges). Parallel edges
    are reduced to the fastest one. ``node_ids[i]`` is the OSM id at position ``i``.

    Parameters
    ----------
    mode
        The travel mode's name.
    indptr, indices, weights
        The CSR arrays (``int64``, ``int32``, ``float64``).
    node_ids
        OSM node ids by position (the graph's node order).
    """

    mode: str
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    node_ids: np.ndarray

    @property
    def n(self) -> int:
        """The number of nodes."""
        return len(self.node_ids)

    def to_scipy(self) -> sp.csr_array:
        """Return the graph as a ``scipy.sparse.csr_array`` (for ``scipy.sparse.csgraph``)."""
        return sp.csr_array((self.weights, self.indices, self.indptr), shape=(self.n, self.n))

    def reverse(self) -> CSRGraph:
        """Return the graph with every edge reversed (for times *to* a set of nodes)."""
        transposed = sp.csr_array(self.to_scipy().T)
        transposed.sort_indices()
        return CSRGraph(
            self.mode,
            transposed.indptr.astype(np.int64),
            transposed.indices.astype(np.int32),
            transposed.data.astype(np.float64),
            self.node_ids,
        )


@dataclass(frozen=True)
class SnapResult:
    """Points snapped to the nodes of a network for one mode.

    Parameters
    ----------
    table
        One row per input point, on the input's index: ``node`` (OSM id),
        ``node_index`` (position in :meth:`RoadNetwork.csr` arrays),
        ``distance_m`` (straight-line snap distance), ``access_s`` (that distance
        at the mode's access speed) and ``far`` (beyond the snap limit).
    mode
        The travel mode's name.
    max_distance_m
        The snap limit used.
    """

    table: pd.DataFrame
    mode: str
    max_distance_m: float

    @property
    def node_index(self) -> np.ndarray:
        """Node positions of the points."""
        return self.table["node_index"].to_numpy()

    @property
    def far(self) -> pd.Series:
        """Whether each point lies beyond the snap limit."""
        return self.table["far"]


@dataclass(frozen=True)
class DroppedParts:
    """What was removed to keep the largest strongly connected part."""

    nodes: int
    edges: int
    components: int


class RoadNetwork:
    """A road network with per-mode travel times, ready for bulk shortest paths.

    Build one with :func:`network_from_osm`, :func:`network_from_graphml`,
    :func:`network_from_graph`, :func:`network_from_place` or
    :func:`network_from_bbox` rather than directly.

    Parameters
    ----------
    graph
        An osmnx-style ``MultiDiGraph`` in WGS84 whose edges carry ``length``
        (metres) and a ``time_<mode>`` attribute (seconds, ``inf`` where closed)
        for every mode.
    modes
        The travel modes whose times the graph carries.
    source
        A short description of where the network came from.
    dropped
        What was removed when the largest strongly connected part was kept.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> sorted(net.modes)
    ['car', 'ebike', 'truck', 'walk']
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        *,
        modes: Mapping[str, TravelMode],
        source: str = "graph",
        dropped: DroppedParts | None = None,
    ) -> None:
        if graph.number_of_nodes() == 0:
            raise NetworkError(f"the road network from {source} has no nodes.")
        self.graph = graph
        self.modes: Mapping[str, TravelMode] = MappingProxyType(dict(modes))
        self.source = source
        self.dropped = dropped or DroppedParts(0, 0, 1)
        ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        self.node_ids = ids
        self._position = pd.Index(ids)
        lon = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), float, len(ids))
        lat = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), float, len(ids))
        self.lon, self.lat = lon, lat
        self.crs: CRS = local_metric_crs(float(np.median(lon)), float(np.median(lat)))
        to_metric = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self._xy = np.column_stack(to_metric.transform(lon, lat))
        self._csr: dict[str, CSRGraph] = {}
        self._usable: dict[str, np.ndarray] = {}
        self._trees: dict[str, cKDTree] = {}

    def __repr__(self) -> str:
        return (
            f"RoadNetwork({self.graph.number_of_nodes():,} nodes, "
            f"{self.graph.number_of_edges():,} edges, modes={list(self.modes)}, "
            f"source={self.source!r})"
        )

    # ----------------------------------------------------------------- modes
    def mode(self, name: str) -> TravelMode:
        """Return a travel mode by name, with an error listing the modes the network has.

        Parameters
        ----------
        name
            The mode's name.

        Returns
        -------
        TravelMode
            The mode.
        """
        try:
            return self.modes[name]
        except KeyError:
            raise NetworkError(
                f"this network has no travel mode {name!r}; it has {sorted(self.modes)}. "
                "Fix: build the network with modes=[..., "
                f"{name!r}] (or a TravelMode named {name!r})."
            ) from None

    # ------------------------------------------------------------------- CSR
    def csr(self, mode: str) -> CSRGraph:
        """Return the mode's network as CSR arrays of travel times in seconds.

        Edges closed to the mode are left out; where the mode ignores one-way
        streets, every edge is also present reversed. The result is cached.

        Parameters
        ----------
        mode
            The travel mode's name.

        Returns
        -------
        CSRGraph
            Arrays for ``scipy.sparse.csgraph``.

        Examples
        --------
        >>> from planner import datasets
        >>> g = datasets.demo_network().csr("ebike")
        >>> g.n == len(g.node_ids)
        True
        """
        travel = self.mode(mode)
        if mode in self._csr:
            return self._csr[mode]
        attr = travel.attr
        u, v, t = [], [], []
        for a, b, time in self.graph.edges(data=attr):
            u.append(a)
            v.append(b)
            t.append(np.inf if time is None else time)
        src = self._position.get_indexer(pd.Index(np.asarray(u, dtype=np.int64)))
        dst = self._position.get_indexer(pd.Index(np.asarray(v, dtype=np.int64)))
        times = np.asarray(t, dtype=np.float64)
        keep = np.isfinite(times)
        src, dst, times = src[keep], dst[keep], times[keep]
        if not travel.oneway:
            src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
            times = np.concatenate([times, times])
        n = len(self.node_ids)
        # fastest of parallel edges: sort by (src, dst, time) and keep the first of each pair
        order = np.lexsort((times, dst, src))
        src, dst, times = src[order], dst[order], times[order]
        first = np.ones(len(src), dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst, times = src[first], dst[first], times[first]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        graph = CSRGraph(mode, indptr, dst.astype(np.int32), times, self.node_ids)
        self._csr[mode] = graph
        return graph

    def usable_nodes(self, mode: str) -> np.ndarray:
        """Return the positions of nodes in the mode's largest strongly connected part.

        Points snap only to these nodes, so that a snapped point can reach, and be
        reached from, the rest of the mode's network.

        Parameters
        ----------
        mode
            The travel mode's name.

        Returns
        -------
        numpy.ndarray
            Sorted node positions.
        """
        if mode not in self._usable:
            graph = self.csr(mode)
            count, labels = sp.csgraph.connected_components(
                graph.to_scipy(), directed=True, connection="strong"
            )
            sizes = np.bincount(labels, minlength=count)
            # a node without any edge for this mode is its own component of size 1
            self._usable[mode] = np.flatnonzero(labels == int(np.argmax(sizes)))
        return self._usable[mode]

    # -------------------------------------------------------------- snapping
    def snap(
        self,
        points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray | Sequence[tuple[float, float]],
        *,
        mode: str,
        max_distance_m: float = 500.0,
        on_far: Literal["raise", "warn", "ignore"] = "raise",
        label: str = "points",
    ) -> SnapResult:
        """Snap points to the nearest node usable by a travel mode.

        The snap distance is the straight-line distance in metres (in the
        network's local metric CRS) from the point to the node; the time for that
        off-network leg is the distance at the mode's ``access_speed_kmh``.

        Parameters
        ----------
        points
            A GeoDataFrame/GeoSeries of points in any CRS (it must have one), or an
            ``(n, 2)`` array / sequence of WGS84 ``(lon, lat)`` pairs.
        mode
            The travel mode's name.
        max_distance_m
            The snap limit in metres.
        on_far
            What to do with points beyond the limit: ``"raise"`` a
            :class:`~planner.SnapError` naming them, ``"warn"`` and flag them in
            the ``far`` column, or ``"ignore"`` (flag only).
        label
            What the points are, for messages (e.g. ``"stations.csv"``).

        Returns
        -------
        SnapResult
            One row per point on the input's index.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network()
        >>> snapped = net.snap(datasets.demo_stations(), mode="ebike")
        >>> bool((snapped.table["distance_m"] < 500).all())
        True
        """
        if not (np.isfinite(max_distance_m) and max_distance_m > 0):
            raise InputError(
                f"max_distance_m must be a positive number of metres, got {max_distance_m!r}.",
                field="max_distance_m",
            )
        if on_far not in ("raise", "warn", "ignore"):
            raise InputError(
                f"on_far must be 'raise', 'warn' or 'ignore', got {on_far!r}.", field="on_far"
            )
        travel = self.mode(mode)
        index, lon, lat = _points_lonlat(points, label=label)
        usable = self.usable_nodes(mode)
        if len(usable) == 0:
            raise NetworkError(f"no part of this network is open to the mode {mode!r}.")
        if mode not in self._trees:
            self._trees[mode] = cKDTree(self._xy[usable])
        to_metric = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        xy = np.column_stack(to_metric.transform(lon, lat)) if len(lon) else np.empty((0, 2))
        dist, nearest = self._trees[mode].query(xy) if len(xy) else (np.empty(0), np.empty(0, int))
        positions = usable[np.asarray(nearest, dtype=np.int64)]
        table = pd.DataFrame(
            {
                "node": self.node_ids[positions],
                "node_index": positions.astype(np.int64),
                "distance_m": np.asarray(dist, dtype=float),
                "access_s": np.asarray(dist, dtype=float) / (travel.access_speed_kmh / 3.6),
            },
            index=index,
        )
        table["far"] = table["distance_m"] > max_distance_m
        if table["far"].any() and on_far != "ignore":
            far = table[table["far"]]
            rows = ", ".join(
                f"{idx!r} ({d:,.0f} m)" for idx, d in far["distance_m"].head(10).items()
            )
            more = f" and {len(far) - 10} more" if len(far) > 10 else ""
            message = (
                f"{label}: {len(far)} of {len(table)} points lie farther than "
                f"{max_distance_m:,.0f} m from the {mode} network: {rows}{more}. "
            )
            fix = (
                "check their coordinates (datum, swapped lon/lat) and that the network "
                "covers them; or raise max_distance_m, or pass on_far='warn' to keep them "
                "flagged in the 'far' column."
            )
            if on_far == "raise":
                raise SnapError(message, file=label, fix=fix)
            warnings.warn(message + "They are flagged in the 'far' column.", stacklevel=2)
        return SnapResult(table, mode, float(max_distance_m))

    # ------------------------------------------------------------- geometry
    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """Return the nodes as a GeoDataFrame (EPSG:4326) indexed by OSM id.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``position`` (CSR position) and ``geometry``.
        """
        return gpd.GeoDataFrame(
            {"position": np.arange(len(self.node_ids))},
            geometry=gpd.points_from_xy(self.lon, self.lat),
            index=pd.Index(self.node_ids, name="osmid"),
            crs=WGS84,
        )

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """Return the edges as a GeoDataFrame (EPSG:4326) with tags, lengths and times.

        Returns
        -------
        geopandas.GeoDataFrame
            One row per directed edge, indexed by ``(u, v, key)``.
        """
        import osmnx as ox

        return ox.graph_to_gdfs(self.graph, nodes=False, edges=True, fill_edge_geometry=True)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """The ``(min_lon, min_lat, max_lon, max_lat)`` box of the nodes."""
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def area(self, *, buffer_m: float = 0.0) -> shapely.Geometry:
        """Return the convex hull of the nodes in WGS84, optionally buffered.

        Parameters
        ----------
        buffer_m
            A buffer in metres (e.g. the snap limit) around the hull.

        Returns
        -------
        shapely.Geometry
            The area the network covers, for checking that inputs fall inside it.
        """
        hull = shapely.MultiPoint(self._xy).convex_hull
        if buffer_m > 0:
            hull = hull.buffer(buffer_m)
        back = Transformer.from_crs(self.crs, WGS84, always_xy=True)
        return shapely.transform(
            hull, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1]))
        )

    # --------------------------------------------------------------- summary
    def stats(self) -> dict[str, Any]:
        """Return basic statistics of the network.

        Returns
        -------
        dict
            ``nodes``, ``edges`` (directed), ``road_km`` (each street counted
            once, whatever its directions), ``road_km_by_class``, ``area_km2``
            (convex hull), ``bounds``, ``dropped`` (nodes/edges/components removed
            to keep the largest strongly connected part) and, per mode,
            ``edges`` open to it, ``usable_nodes`` and ``km`` open to it.
        """
        edges = [
            (min(u, v), max(u, v), d.get("length", 0.0), d.get("highway"), d)
            for u, v, d in self.graph.edges(data=True)
        ]
        frame = pd.DataFrame(
            {
                "a": [e[0] for e in edges],
                "b": [e[1] for e in edges],
                "length": [float(e[2]) for e in edges],
                "highway": ["/".join(sorted(map(str, _as_list(e[3])))) or "unknown" for e in edges],
            }
        )
        streets = frame.sort_values("length").drop_duplicates(["a", "b"])
        by_class = (streets.groupby("highway")["length"].sum() / 1000).round(3)
        hull = shapely.MultiPoint(self._xy).convex_hull
        per_mode = {}
        for name, travel in self.modes.items():
            open_ = np.array([np.isfinite(e[4].get(travel.attr, np.inf)) for e in edges])
            open_streets = frame[open_].sort_values("length").drop_duplicates(["a", "b"])
            per_mode[name] = {
                "edges": int(open_.sum()),
                "usable_nodes": len(self.usable_nodes(name)),
                "km": round(float(open_streets["length"].sum()) / 1000, 3),
            }
        return {
            "source": self.source,
            "nodes": self.graph.number_of_nodes(),
            "edges": self.graph.number_of_edges(),
            "road_km": round(float(streets["length"].sum()) / 1000, 3),
            "road_km_by_class": {str(k): float(v) for k, v in by_class.items()},
            "area_km2": round(hull.area / 1e6, 3),
            "bounds": self.bounds,
            "dropped": dataclasses.asdict(self.dropped),
            "modes": per_mode,
        }

    # ------------------------------------------------------------------ I/O
    def to_graphml(self, path: str | Path) -> Path:
        """Save the network (with its travel times and modes) as GraphML, atomically.

        Parameters
        ----------
        path
            The file to write.

        Returns
        -------
        pathlib.Path
            The path written. Load it back with :func:`network_from_graphml`.
        """
        import osmnx as ox

        path = Path(path)
        graph = self.graph.copy()
        graph.graph["planner_modes"] = json.dumps(
            {name: m.to_dict() for name, m in self.modes.items()}, sort_keys=True
        )
        graph.graph["planner_dropped"] = json.dumps(dataclasses.asdict(self.dropped))
        with atomic_file(path) as tmp:
            ox.save_graphml(graph, tmp)
        return path


def _points_lonlat(
    points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray | Sequence[tuple[float, float]],
    *,
    label: str,
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Return the index and WGS84 lon/lat arrays of point input."""
    if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if geoms.crs is None:
            raise InputError(
                f"{label} has no CRS, so its coordinates cannot be placed on the network.",
                file=label,
                field="geometry",
                fix="set it, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude.",
            )
        if len(geoms) and not (geoms.geom_type == "Point").all():
            bad = geoms.index[geoms.geom_type != "Point"][:5].tolist()
            raise InputError(
                f"{label} must hold points; rows {bad} are not points.",
                file=label,
                field="geometry",
                fix="use centroids (gdf.geometry.centroid in a projected CRS) or points.",
            )
        if len(geoms) and geoms.is_empty.any():
            bad = geoms.index[geoms.is_empty][:5].tolist()
            raise InputError(
                f"{label} has empty geometries at rows {bad}.",
                file=label,
                field="geometry",
                fix="drop or fill those rows.",
            )
        wgs = geoms.to_crs(WGS84)
        return points.index, wgs.x.to_numpy(float), wgs.y.to_numpy(float)
    array = np.asarray(points, dtype=float)
    if array.size == 0:
        array = array.reshape(0, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise InputError(
            f"{label} must be an (n, 2) array of (lon, lat) pairs, got shape {array.shape}.",
            file=label,
            fix="pass a GeoDataFrame or an array of longitude/latitude pairs.",
        )
    lon, lat = array[:, 0], array[:, 1]
    bad = ~np.isfinite(array).all(axis=1) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{label} has coordinates that are not finite longitude/latitude degrees "
            f"at rows {rows}.",
            file=label,
            fix="pass (lon, lat) pairs in degrees (WGS84), longitude first.",
        )
    return pd.RangeIndex(len(array)), lon, lat


# ======================================================================== building


@contextlib.contextmanager
def _osmnx_way_tags(tags: Sequence[str]) -> Iterator[None]:
    """Have osmnx keep the given way tags, restoring its global setting afterwards."""
    import osmnx as ox

    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(saved) | set(tags))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def _highway_ok(tags: Mapping[str, str]) -> bool:
    highway = tags.get("highway")
    return bool(highway) and highway not in _NEVER_HIGHWAYS and tags.get("area") != "yes"


_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml", ".xml.bz2")


def _write_highways_xml(path: Path, out: Path) -> int:
    """Write the highway ways of an OSM file (any format) and their nodes as OSM XML.

    The ways are chosen in a first pass, so that an unreadable file fails before
    osmium's writer (which leaves a temporary folder behind on errors) starts.
    """
    import osmium

    keep = [
        way.id
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
        if _highway_ok({tag.k: tag.v for tag in way.tags})
    ]
    if keep:
        with osmium.BackReferenceWriter(str(out), ref_src=str(path), overwrite=True) as writer:
            processor = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
                osmium.filter.IdFilter(keep)
            )
            for way in processor:
                writer.add_way(way)
    return len(keep)


def _add_travel_times(graph: nx.MultiDiGraph, modes: Mapping[str, TravelMode]) -> None:
    """Set ``time_<mode>`` (seconds, ``inf`` where closed) on every edge.

    Speeds depend only on a few tags, so they are computed once per distinct
    combination of those tags.
    """
    keys = sorted({"highway", "maxspeed"} | {k for m in modes.values() for k in m.excluded_tags})
    travels = list(modes.values())
    speeds: dict[tuple[Any, ...], list[float]] = {}
    for _, _, data in graph.edges(data=True):
        key = tuple(_hashable(data.get(k)) for k in keys)
        if key not in speeds:
            speeds[key] = [travel.edge_speed_kmh(data) for travel in travels]
        length = float(data.get("length", 0.0))
        for travel, speed in zip(travels, speeds[key], strict=True):
            data[travel.attr] = length / (speed / 3.6) if speed > 0 else math.inf


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return tuple(sorted(map(str, value)))
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _largest_scc(graph: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, DroppedParts]:
    components = list(nx.strongly_connected_components(graph))
    largest = max(components, key=len)
    if len(largest) == graph.number_of_nodes():
        return graph, DroppedParts(0, 0, len(components) - 1)
    kept = graph.subgraph(largest).copy()
    dropped = DroppedParts(
        nodes=graph.number_of_nodes() - kept.number_of_nodes(),
        edges=graph.number_of_edges() - kept.number_of_edges(),
        components=len(components) - 1,
    )
    return kept, dropped


def _finish(
    graph: nx.MultiDiGraph,
    modes: Mapping[str, TravelMode],
    *,
    source: str,
    simplify: bool,
    bar: Any,
) -> RoadNetwork:
    """Travel times, simplification and the largest strongly connected part."""
    import osmnx as ox

    if graph.number_of_edges() == 0:
        raise NetworkError(
            f"{source} holds no usable roads (no ways tagged highway=*). "
            "Fix: check that the file is an OSM extract of roads, not only buildings or POIs."
        )
    bar.set_postfix_str("travel times")
    _add_travel_times(graph, modes)
    bar.update()
    if simplify:
        bar.set_postfix_str("simplifying")
        aggs: dict[str, Any] = {"length": sum} | {m.attr: sum for m in modes.values()}
        graph = ox.simplify_graph(graph, edge_attr_aggs=aggs)
    bar.update()
    bar.set_postfix_str("connected part")
    graph, dropped = _largest_scc(graph)
    bar.update()
    if dropped.nodes:
        logger.info(
            "%s: kept the largest strongly connected part; dropped %d nodes and %d edges "
            "in %d smaller parts",
            source,
            dropped.nodes,
            dropped.edges,
            dropped.components,
        )
    return RoadNetwork(graph, modes=modes, source=source, dropped=dropped)


def network_from_osm(
    path: str | Path,
    *,
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None = None,
    simplify: bool = True,
    progress: bool = False,
) -> RoadNetwork:
    """Build a road network from an OSM file (XML, bzip2/gzip XML, or PBF).

    Ways tagged ``highway=*`` (except areas and roads not in use) become edges;
    one-way streets follow osmnx's rules; travel times are computed per mode on
    the unsimplified ways and summed when osmnx simplifies the topology; the
    largest strongly connected part is kept, and what was dropped is reported in
    :attr:`RoadNetwork.dropped`.

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file.
    modes
        Travel modes: names of :data:`DEFAULT_MODES` and/or :class:`TravelMode`
        objects. ``None`` means all four defaults.
    simplify
        Merge chains of degree-2 nodes into single edges (osmnx).
    progress
        Show a progress bar.

    Returns
    -------
    RoadNetwork
        The network.

    Examples
    --------
    >>> from planner import datasets
    >>> net = network_from_osm(datasets.demo_path("demo_region.osm.bz2"), modes=["ebike"])
    >>> list(net.modes)
    ['ebike']
    """
    import osmnx as ox

    path = Path(path)
    resolved = _resolve_modes(modes)
    if not path.is_file():
        raise InputError(
            f"no such OSM file: {path}.",
            file=path,
            fix=f"check the path (relative paths are taken from {Path.cwd()}).",
        )
    if not path.name.lower().endswith(_OSM_SUFFIXES):
        raise InputError(
            f"{path.name} is not an OSM file this reader knows.",
            file=path,
            fix=f"use one of {', '.join(_OSM_SUFFIXES)}; for GraphML use network_from_graphml.",
        )
    with tqdm(total=5, desc=f"network {path.name}", disable=not progress, unit="step") as bar:
        bar.set_postfix_str("reading OSM")
        with tempfile.TemporaryDirectory(prefix="planner-osm-") as tmp:
            xml = Path(tmp) / "highways.osm"
            try:
                ways = _write_highways_xml(path, xml)
            except RuntimeError as error:
                raise InputError(
                    f"cannot read {path.name} as OSM data: {error}.",
                    file=path,
                    fix="check that the file is a complete OSM XML or PBF extract.",
                ) from error
            if ways == 0:
                raise NetworkError(
                    f"{path} holds no usable roads (no ways tagged highway=*). "
                    "Fix: check that the file is an OSM extract with roads."
                )
            bar.update()
            bar.set_postfix_str("building graph")
            with _osmnx_way_tags(_WAY_TAGS), warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                graph = ox.graph_from_xml(xml, simplify=False, retain_all=True)
        bar.update()
        return _finish(graph, resolved, source=path.name, simplify=simplify, bar=bar)


def network_from_graph(
    graph: nx.MultiDiGraph,
    *,
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None = None,
    source: str = "graph",
    progress: bool = False,
) -> RoadNetwork:
    """Build a road network from an osmnx graph already in memory.

    Travel times are computed from the edges' tags. On an already simplified
    graph, merged edges carry lists of tags: such an edge is closed to a mode if
    any part is, and takes the slowest part's speed.

    Parameters
    ----------
    graph
        An osmnx ``MultiDiGraph`` in an unprojected CRS (node ``x``/``y`` in
        degrees) with edge ``length`` in metres.
    modes
        Travel modes, as in :func:`network_from_osm`.
    source
        A description for messages.
    progress
        Show a progress bar.

    Returns
    -------
    RoadNetwork
        The network (the input graph is not changed).
    """
    resolved = _resolve_modes(modes)
    crs = CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
    if not crs.is_geographic:
        raise InputError(
            f"the graph is in a projected CRS ({crs.name}); planner needs node "
            "coordinates in degrees.",
            field="graph",
            fix="pass the unprojected graph, or osmnx.project_graph(G, to_latlong=True).",
        )
    missing = [(u, v) for u, v, d in graph.edges(data=True) if "length" not in d][:5]
    if missing:
        raise InputError(
            f"edges {missing} have no 'length' attribute.",
            field="graph",
            fix="add lengths with osmnx.distance.add_edge_lengths(G).",
        )
    with tqdm(total=3, desc=f"network {source}", disable=not progress, unit="step") as bar:
        return _finish(graph.copy(), resolved, source=source, simplify=False, bar=bar)


def network_from_graphml(
    path: str | Path,
    *,
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None = None,
    progress: bool = False,
) -> RoadNetwork:
    """Load a road network from GraphML (one saved by planner, or by osmnx).

    A file written by :meth:`RoadNetwork.to_graphml` keeps its travel times when
    the requested modes equal the saved ones; otherwise times are recomputed
    from the edges' tags as in :func:`network_from_graph`.

    Parameters
    ----------
    path
        The GraphML file.
    modes
        Travel modes; ``None`` means the saved modes, or the four defaults.
    progress
        Show a progress bar.

    Returns
    -------
    RoadNetwork
        The network.
    """
    import osmnx as ox

    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such GraphML file: {path}.", file=path, fix="check the path.")
    raw = nx.read_graphml(path, force_multigraph=True)  # only to read graph attributes
    saved_json = raw.graph.get("planner_modes")
    saved = (
        {name: TravelMode(**_mode_from_dict(d)) for name, d in json.loads(saved_json).items()}
        if saved_json
        else None
    )
    resolved = _resolve_modes(modes) if modes is not None else (saved or dict(DEFAULT_MODES))
    dtypes = {m.attr: float for m in resolved.values()}
    try:
        graph = ox.load_graphml(path, edge_dtypes=dtypes)
    except (KeyError, ValueError) as error:
        raise InputError(
            f"cannot read {path.name} as an osmnx GraphML graph: {error}.",
            file=path,
            fix="save graphs with RoadNetwork.to_graphml or osmnx.save_graphml.",
        ) from error
    if saved is not None and saved == resolved:
        dropped = DroppedParts(
            **json.loads(
                raw.graph.get("planner_dropped", '{"nodes": 0, "edges": 0, "components": 0}')
            )
        )
        return RoadNetwork(graph, modes=resolved, source=path.name, dropped=dropped)
    return network_from_graph(graph, modes=resolved, source=path.name, progress=progress)


def _mode_from_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["excluded_highways"] = frozenset(out.get("excluded_highways", ()))
    out["excluded_tags"] = {k: frozenset(v) for k, v in out.get("excluded_tags", {}).items()}
    return out


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "planner" / "networks"


def _cache_path(key: str, modes: Mapping[str, TravelMode], cache_dir: Path | None) -> Path:
    """Return the GraphML file that caches a downloaded network for these modes."""
    cache = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
    payload = {"key": key, "modes": {n: m.to_dict() for n, m in modes.items()}}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    return cache / f"{digest}.graphml"


def _download(
    key: str,
    fetch: Any,
    *,
    modes: Mapping[str, TravelMode],
    cache_dir: Path | None,
    what: str,
    progress: bool,
) -> RoadNetwork:
    cached = _cache_path(key, modes, cache_dir)
    cache = cached.parent
    if cached.is_file():
        logger.info("loading %s from the cache %s", what, cached)
        return network_from_graphml(cached, modes=modes, progress=progress)
    import osmnx as ox
    import requests

    with _osmnx_way_tags(_WAY_TAGS):
        try:
            graph = fetch(ox)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            raise OfflineError(
                f"downloading {what} from OpenStreetMap failed: the network is unreachable "
                f"({type(error).__name__}). Fix: download an extract elsewhere and use "
                "network_from_osm(path), or run once online to fill the cache at "
                f"{cache}."
            ) from error
    with tqdm(total=3, desc=what, disable=not progress, unit="step") as bar:
        network = _finish(graph, modes, source=what, simplify=True, bar=bar)
    network.to_graphml(cached)
    return network


def network_from_place(
    query: str,
    *,
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> RoadNetwork:
    """Download the road network of a named place through osmnx (online), with a disk cache.

    Parameters
    ----------
    query
        A place name that Nominatim geocodes to a polygon, e.g.
        ``"Futian District, Shenzhen, China"``.
    modes
        Travel modes, as in :func:`network_from_osm`.
    cache_dir
        Where built networks are kept as GraphML (default
        ``~/.cache/planner/networks``); a cached place loads without internet.
    progress
        Show a progress bar.

    Returns
    -------
    RoadNetwork
        The network.

    Raises
    ------
    OfflineError
        When the place is not cached and OpenStreetMap cannot be reached.
    """
    resolved = _resolve_modes(modes)
    return _download(
        f"place:{query}",
        lambda ox: ox.graph_from_place(query, network_type="all", simplify=False, retain_all=True),
        modes=resolved,
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        what=f"place {query!r}",
        progress=progress,
    )


def network_from_bbox(
    bbox: tuple[float, float, float, float],
    *,
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> RoadNetwork:
    """Download the road network in a WGS84 box through osmnx (online), with a disk cache.

    Parameters
    ----------
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees.
    modes
        Travel modes, as in :func:`network_from_osm`.
    cache_dir
        Where built networks are kept (see :func:`network_from_place`).
    progress
        Show a progress bar.

    Returns
    -------
    RoadNetwork
        The network.
    """
    west, south, east, north = (float(v) for v in bbox)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(
            f"bbox {bbox} is not (min_lon, min_lat, max_lon, max_lat) in degrees.",
            field="bbox",
            fix="give the west, south, east, north edges in that order.",
        )
    resolved = _resolve_modes(modes)
    return _download(
        f"bbox:{west:.6f},{south:.6f},{east:.6f},{north:.6f}",
        lambda ox: ox.graph_from_bbox(
            (west, south, east, north), network_type="all", simplify=False, retain_all=True
        ),
        modes=resolved,
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        what=f"bbox {bbox}",
        progress=progress,
    )
