"""Demand along roads: weight spread uniformly over the street length of an area.

A node of the road network stands for half of every street that meets it, so
weight put on nodes in proportion to that length is weight spread evenly along
the streets, which is where people and workers in an area are reached (a
district's centroid may lie in a park or a lake). Only the streets a travel mode
can use, in its largest strongly connected part, count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputError
from planner.crs import WGS84
from planner.demand.schema import check_group, make_demand

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = ["demand_along_roads", "node_road_length"]


def node_road_length(network: RoadNetwork, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the usable nodes of a mode and the street length (m) each stands for.

    Every street (a pair of nodes, counted once whatever its directions) open to
    ``mode`` between two usable nodes gives half its length to each end.

    Parameters
    ----------
    network
        The road network.
    mode
        Travel mode.

    Returns
    -------
    positions, length_m
        Sorted node positions (:meth:`RoadNetwork.usable_nodes`) and, for each,
        metres of street; the lengths add up to the mode's street length.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network(modes=["ebike"])
    >>> nodes, metres = node_road_length(net, "ebike")
    >>> len(nodes) == len(metres) and bool((metres > 0).all())
    True
    """
    usable = network.usable_nodes(mode)
    attr = network.mode(mode).attr
    u, v, length = [], [], []
    for a, b, data in network.graph.edges(data=True):
        time = data.get(attr)
        if time is None or not np.isfinite(time):
            continue
        u.append(a)
        v.append(b)
        length.append(float(data.get("length", 0.0)))
    index = pd.Index(network.node_ids)
    pu = index.get_indexer(pd.Index(np.asarray(u, dtype=np.int64)))
    pv = index.get_indexer(pd.Index(np.asarray(v, dtype=np.int64)))
    metres = np.asarray(length, dtype=float)
    ok = np.isin(pu, usable) & np.isin(pv, usable) & (pu != pv)
    pu, pv, metres = pu[ok], pv[ok], metres[ok]
    lo, hi = np.minimum(pu, pv), np.maximum(pu, pv)
    # a two-way street is two directed edges: count each pair of ends once (the longer)
    frame = pd.DataFrame({"lo": lo, "hi": hi, "m": metres}).groupby(["lo", "hi"])["m"].max()
    ends = frame.index.to_frame(index=False)
    half = frame.to_numpy() / 2.0
    total = np.bincount(ends["lo"], weights=half, minlength=len(network.node_ids))
    total += np.bincount(ends["hi"], weights=half, minlength=len(network.node_ids))
    return usable, total[usable]


def demand_along_roads(
    network: RoadNetwork,
    *,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    mode: str = "ebike",
    per_km: float | None = None,
    total: float | None = None,
    group: str = "other",
) -> gpd.GeoDataFrame:
    """Spread demand uniformly along the streets of an area (or of the whole network).

    Parameters
    ----------
    network
        The road network.
    area
        Polygon(s) in WGS84 (a shapely geometry) or a GeoDataFrame/GeoSeries in any
        CRS; ``None``: the whole network.
    mode
        Travel mode whose streets carry demand.
    per_km
        Demand weight per kilometre of street (default 1 when ``total`` is not given).
    total
        Total weight to spread instead (the weights then add up to it exactly).
    group
        Worker group of the demand.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema (``source`` ``"area"``), one point per network node in the
        area, with ``node`` (OSM id) and ``road_m`` (street metres it stands for).

    Raises
    ------
    InputError
        When the area holds no street of the mode, or both or neither-valid
        ``per_km`` and ``total`` are given.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network(modes=["ebike"])
    >>> d = demand_along_roads(net, total=1000.0)
    >>> round(float(d["weight"].sum()), 6)
    1000.0
    """
    if per_km is not None and total is not None:
        raise InputError("give per_km or total, not both.", field="per_km", fix="drop one of them.")
    for name, value in (("per_km", per_km), ("total", total)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise InputError(f"{name} must be a number >= 0, got {value!r}.", field=name)
    group = check_group(group)
    nodes, metres = node_road_length(network, mode)
    if area is not None:
        if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
            if area.crs is None:
                raise InputError("the area has no CRS.", field="area", fix="set_crs(...).")
            geom: Any = shapely.union_all(area.to_crs(WGS84).geometry.to_numpy())
        else:
            geom = area
        points = shapely.points(network.lon[nodes], network.lat[nodes])
        inside = shapely.contains_xy(geom, network.lon[nodes], network.lat[nodes]) | (
            shapely.intersects(geom, points)
        )
        nodes, metres = nodes[inside], metres[inside]
    if not len(nodes) or not metres.sum() > 0:
        raise InputError(
            f"the area holds no street open to {mode}: there is no road to put demand on.",
            field="area",
            fix="check that the area overlaps the network (and its datum: gcj02 for Amap).",
        )
    if total is not None:
        weight = total * metres / metres.sum()
    else:
        weight = (1.0 if per_km is None else per_km) * metres / 1000.0
    return make_demand(
        weight,
        group,
        "area",
        network.lon[nodes],
        network.lat[nodes],
        extra={"node": network.node_ids[nodes], "road_m": metres},
    )
