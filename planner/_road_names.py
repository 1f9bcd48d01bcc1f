"""Names of roads: the one nearest-named-road lookup (site tables and map names use it).

* :func:`road_name` — an edge's ``name`` tag as one string (merged edges' names
  sorted and joined with `` / ``);
* :func:`nearest_road_names` — for each point, the nearest road carrying a name
  (or a ``ref``) within a distance, and how far it is.

:mod:`planner.plan` writes the ``nearest_road`` column of ``sites`` with it and
:mod:`planner._map_labels` describes unnamed sites on maps with it; both go
through this one function so they cannot disagree on which road is nearest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from planner.crs import WGS84

if TYPE_CHECKING:
    from planner._road_network import RoadNetwork

__all__ = ["nearest_road_names", "road_name"]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in {"", "nan", "none", "null"}


def road_name(value: Any) -> str:
    """Return a road's name; merged edges' name lists sorted and joined (reproducible).

    Parameters
    ----------
    value
        An edge's ``name`` tag: a string, a list of them (merged edges) or missing.

    Returns
    -------
    str
        The name (``""`` when missing).

    Examples
    --------
    >>> road_name(["深南大道", "Shennan Avenue"]), road_name(float("nan"))
    ('Shennan Avenue / 深南大道', '')
    """
    if isinstance(value, list | tuple | set | np.ndarray):
        names = sorted({str(v) for v in value if not _missing(v)})
        return " / ".join(names)
    return "" if _missing(value) else str(value)


def _first_name(value: Any) -> str:
    """One name of a road (the first, sorted, of a merged edge's names)."""
    if isinstance(value, list | tuple | set | np.ndarray):
        names = sorted({str(v) for v in value if not _missing(v)})
        return names[0] if names else ""
    return "" if _missing(value) else str(value)


def _name_or_ref(data: dict[str, Any]) -> str:
    """All names of a road (or its ``ref`` when it has none), sorted and joined."""
    label = data.get("name") or data.get("ref")
    if isinstance(label, list):
        label = " / ".join(sorted({str(x) for x in label}))
    return str(label) if label else ""


def nearest_road_names(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    network: RoadNetwork,
    *,
    max_distance_m: float,
    label: Literal["first_name", "name_or_ref"] = "name_or_ref",
) -> tuple[list[str | None], np.ndarray]:
    """Return the nearest named road to each point and its distance in metres.

    Every edge of the network carrying a label is looked at; distances are
    measured in the network's metric CRS to the edge's geometry. When roads
    tie (a point on a junction), the label sorted first wins, so the answer
    does not depend on the graph's edge order.

    Parameters
    ----------
    points
        Points (WGS84 when they carry no CRS).
    network
        The road network.
    max_distance_m
        Roads farther than this do not count: the point gets ``None`` and NaN.
    label
        ``"name_or_ref"`` (the site tables' address column): the edge's names,
        sorted and joined with `` / ``, else its ``ref`` (``G4``);
        ``"first_name"`` (the map's site names): the first of its names, sorted;
        roads with only a ``ref`` do not count.

    Returns
    -------
    tuple of (list, numpy.ndarray)
        The road's label per point (``None`` when none is near) and the distance
        in metres (NaN when none).

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network(modes=["ebike"])
    >>> names, metres = nearest_road_names(datasets.demo_stations().head(1), net,
    ...                                    max_distance_m=500.0)
    >>> isinstance(names[0], str), bool(metres[0] <= 500.0)
    (True, True)
    """
    n = len(points)
    names: list[str | None] = [None] * n
    dist = np.full(n, np.nan)
    if n == 0:
        return names, dist
    crs = network.crs
    geometry = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geometry.crs is None:
        geometry = geometry.set_crs(WGS84)
    where = geometry.to_crs(crs)
    xy = np.column_stack([where.x.to_numpy(), where.y.to_numpy()])
    # an edge can come within max_distance_m of a point only when one of its ends lies
    # within max_distance_m + its length of it: look at those edges only (exact)
    from scipy.spatial import cKDTree

    node_d, _ = cKDTree(xy).query(network.xy)
    reach = dict(zip(np.asarray(network.node_ids).tolist(), node_d.tolist(), strict=True))
    lines, labels = [], []
    graph = network.graph
    for u, v, data in graph.edges(data=True):
        slack = 1.01 * float(data.get("length") or 0.0) + 1.0 + max_distance_m
        if min(reach[u], reach[v]) > slack:
            continue
        text = _first_name(data.get("name")) if label == "first_name" else _name_or_ref(data)
        if not text:
            continue
        geom = data.get("geometry")
        if geom is None:
            nu, nv = graph.nodes[u], graph.nodes[v]
            geom = shapely.LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        lines.append(geom)
        labels.append(text)
    if not lines:
        return names, dist
    to_metric = Transformer.from_crs(WGS84, crs, always_xy=True)
    metric = shapely.transform(
        np.asarray(lines, dtype=object),
        lambda c: np.column_stack(to_metric.transform(c[:, 0], c[:, 1])),
    )
    pts = shapely.points(xy)
    (which, hit), found = shapely.STRtree(metric).query_nearest(
        pts, max_distance=max_distance_m, return_distance=True
    )
    # one road per point: the nearest; roads at the same distance (a point on a
    # junction) go to the label sorted first, whatever the graph's edge order
    text_of = [labels[k] for k in hit.tolist()]
    for k in sorted(range(len(which)), key=lambda k: (which[k], found[k], text_of[k])):
        p = int(which[k])
        if names[p] is None:
            names[p], dist[p] = text_of[k], float(found[k])
    return names, dist
