"""The road network object: per-mode travel times, CSR export, snapping and geometry.

:class:`RoadNetwork` is built by the ``network_from_*`` functions of
:mod:`planner.network` (which also re-exports it with :class:`CSRGraph` and
:class:`SnapResult`); this module holds the object and what it hands to the rest
of planner.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from planner._errors import InputError, NetworkError, SnapError
from planner._validate import points_lonlat
from planner.crs import WGS84, local_metric_crs
from planner.modes import TravelMode, tag_values

__all__ = ["CSRGraph", "DroppedParts", "RoadNetwork", "SnapResult"]


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
    @property
    def xy(self) -> np.ndarray:
        """Node coordinates in metres in the network's local metric CRS (:attr:`crs`).

        An ``(n, 2)`` array of ``x, y`` by node position (the order of
        :attr:`node_ids` and of :meth:`csr` arrays).
        """
        return self._xy

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
                "highway": [
                    "/".join(sorted(map(str, tag_values(e[3])))) or "unknown" for e in edges
                ],
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
    """Return the index and WGS84 lon/lat arrays of point input (see :mod:`planner._validate`)."""
    return points_lonlat(points, label=label)
