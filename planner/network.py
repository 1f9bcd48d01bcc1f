"""Road networks: loading OpenStreetMap data into a :class:`RoadNetwork`.

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

This module is the front door: it builds networks and re-exports the network
object (:class:`RoadNetwork`, :class:`CSRGraph`, :class:`SnapResult`, kept in
``planner._road_network``) and the travel modes (:class:`TravelMode`,
:data:`DEFAULT_MODES`, from :mod:`planner.modes`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import socket
import tempfile
import urllib.parse
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
from pyproj import CRS

from planner._errors import InputError, NetworkError, OfflineError
from planner._progress import tqdm
from planner._road_network import CSRGraph, DroppedParts, RoadNetwork, SnapResult
from planner.modes import DEFAULT_MODES, NEVER_HIGHWAYS, TravelMode, resolve_modes

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
    return bool(highway) and highway not in NEVER_HIGHWAYS and tags.get("area") != "yes"


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
    resolved = resolve_modes(modes)
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
    resolved = resolve_modes(modes)
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
    resolved = resolve_modes(modes) if modes is not None else (saved or dict(DEFAULT_MODES))
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


DEFAULT_TIMEOUT_S = 180.0
"""Seconds a download may wait for OpenStreetMap's servers (osmnx's default)."""

_PROBE_S = 10.0  # the longest wait for a first connection before calling a place offline


def _check_timeout(timeout: float) -> float:
    if isinstance(timeout, bool) or not (isinstance(timeout, int | float) and timeout > 0):
        raise InputError(
            f"timeout must be a positive number of seconds, got {timeout!r}.",
            field="timeout",
            fix=f"pass e.g. timeout=60 (default {DEFAULT_TIMEOUT_S:g}).",
        )
    return float(timeout)


def _unreachable(url: str, timeout: float) -> str | None:
    """Try one TCP connection to the server of ``url``; return why it failed, or None."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:  # DNS failure, refused, unreachable, timed out
        return f"{host}:{port}: {type(error).__name__}: {error}"


@contextlib.contextmanager
def _osmnx_timeout(timeout: float) -> Iterator[None]:
    import osmnx as ox

    saved = ox.settings.requests_timeout
    ox.settings.requests_timeout = timeout
    try:
        yield
    finally:
        ox.settings.requests_timeout = saved


def _offline(what: str, reason: str, cache: Path) -> OfflineError:
    return OfflineError(
        f"downloading {what} from OpenStreetMap failed: the server cannot be reached "
        f"({reason}). Fix: download an extract elsewhere (e.g. from download.geofabrik.de) "
        "and read it with network_from_osm(path) (in a scenario: [network] osm = "
        f"'extract.osm.pbf'), or run once online to fill the cache at {cache}."
    )


def _download(
    key: str,
    fetch: Any,
    *,
    modes: Mapping[str, TravelMode],
    cache_dir: Path | None,
    what: str,
    progress: bool,
    timeout: float,
    servers: Sequence[str],
) -> RoadNetwork:
    cached = _cache_path(key, modes, cache_dir)
    cache = cached.parent
    if cached.is_file():
        logger.info("loading %s from the cache %s", what, cached)
        return network_from_graphml(cached, modes=modes, progress=progress)
    import osmnx as ox
    import requests

    # fail fast: one connection to each server before osmnx waits its full timeout
    for setting in servers:
        reason = _unreachable(str(getattr(ox.settings, setting)), min(timeout, _PROBE_S))
        if reason is not None:
            raise _offline(what, reason, cache)
    logger.info("downloading %s from OpenStreetMap (timeout %g s)", what, timeout)
    with _osmnx_way_tags(_WAY_TAGS), _osmnx_timeout(timeout):
        try:
            graph = fetch(ox)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            reason = f"{type(error).__name__}: {error}; timeout {timeout:g} s"
            raise _offline(what, reason, cache) from error
    with tqdm(total=3, desc=what, disable=not progress, unit="step") as bar:
        network = _finish(graph, modes, source=what, simplify=True, bar=bar)
    network.to_graphml(cached)
    return network


def network_from_place(
    query: str,
    *,
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None = None,
    cache_dir: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
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
    timeout
        Seconds each request to OpenStreetMap's servers (Nominatim, Overpass)
        may take. Before downloading, one connection to each server is tried
        (for at most 10 s), so a machine without internet fails at once.
    progress
        Show a progress bar.

    Returns
    -------
    RoadNetwork
        The network.

    Raises
    ------
    OfflineError
        When the place is not cached and OpenStreetMap cannot be reached; the
        message names the local-file alternative.
    """
    timeout = _check_timeout(timeout)
    resolved = resolve_modes(modes)
    return _download(
        f"place:{query}",
        lambda ox: ox.graph_from_place(query, network_type="all", simplify=False, retain_all=True),
        modes=resolved,
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        what=f"place {query!r}",
        progress=progress,
        timeout=timeout,
        servers=("nominatim_url", "overpass_url"),
    )


def network_from_bbox(
    bbox: tuple[float, float, float, float],
    *,
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None = None,
    cache_dir: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
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
    timeout
        Seconds each request may take (see :func:`network_from_place`).
    progress
        Show a progress bar.

    Returns
    -------
    RoadNetwork
        The network.

    Raises
    ------
    OfflineError
        When the box is not cached and OpenStreetMap cannot be reached.
    """
    timeout = _check_timeout(timeout)
    west, south, east, north = (float(v) for v in bbox)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(
            f"bbox {bbox} is not (min_lon, min_lat, max_lon, max_lat) in degrees.",
            field="bbox",
            fix="give the west, south, east, north edges in that order.",
        )
    resolved = resolve_modes(modes)
    return _download(
        f"bbox:{west:.6f},{south:.6f},{east:.6f},{north:.6f}",
        lambda ox: ox.graph_from_bbox(
            (west, south, east, north), network_type="all", simplify=False, retain_all=True
        ),
        modes=resolved,
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        what=f"bbox {bbox}",
        progress=progress,
        timeout=timeout,
        servers=("overpass_url",),
    )
