"""Aggregate demand onto road-network nodes or grid cells, keeping totals exact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner import _grid
from planner._errors import InputError
from planner.crs import WGS84
from planner.demand._common import gdf_lonlat, metric_crs_for, to_lonlat, to_metric
from planner.demand.schema import make_demand, validate_demand

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = ["demand_to_grid", "demand_to_nodes"]


def demand_to_nodes(
    demand: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    mode: str = "ebike",
    max_distance_m: float = 1000.0,
    on_far: Literal["raise", "warn", "ignore"] = "warn",
) -> gpd.GeoDataFrame:
    """Sum demand onto the nearest road-network nodes, per node, group and source.

    Every point goes to its nearest node usable by ``mode``
    (:meth:`RoadNetwork.snap`), so the total weight (overall, per group and per
    source) is kept exactly; points beyond ``max_distance_m`` are still assigned
    and are reported according to ``on_far``.

    Parameters
    ----------
    demand
        The demand schema.
    network
        The road network.
    mode
        Travel mode whose usable nodes receive demand.
    max_distance_m
        Snap distance above which points are reported.
    on_far
        ``"raise"``, ``"warn"`` or ``"ignore"`` far points.

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema at node locations, one row per (node, group, source),
        with ``node`` (OSM id), ``node_index`` (CSR position) and ``n_points``.

    Examples
    --------
    >>> from planner import datasets
    >>> from planner.demand import demand_from_osm
    >>> net = datasets.demo_network()
    >>> demand = demand_from_osm(datasets.demo_path("demo_region.osm.bz2"))
    >>> at_nodes = demand_to_nodes(demand, net)
    >>> bool(abs(at_nodes["weight"].sum() - demand["weight"].sum()) < 1e-9)
    True
    """
    demand = validate_demand(demand)
    snapped = network.snap(
        demand.geometry, mode=mode, max_distance_m=max_distance_m, on_far=on_far, label="demand"
    )
    frame = pd.DataFrame(
        {
            "node_index": snapped.table["node_index"].to_numpy(),
            "group": demand["group"].to_numpy(dtype=object),
            "source": demand["source"].to_numpy(dtype=object),
            "weight": demand["weight"].to_numpy(dtype=float),
        }
    )
    summed = (
        frame.groupby(["node_index", "group", "source"], sort=True)["weight"]
        .agg(["sum", "size"])
        .reset_index()
    )
    pos = summed["node_index"].to_numpy(dtype=np.int64)
    return make_demand(
        summed["sum"].to_numpy(dtype=float),
        summed["group"].to_numpy(dtype=object),
        "user",
        network.lon[pos],
        network.lat[pos],
        extra={
            "node": network.node_ids[pos],
            "node_index": pos,
            "n_points": summed["size"].to_numpy(dtype=np.int64),
        },
    ).assign(source=summed["source"].to_numpy(dtype=object))


def demand_to_grid(
    demand: gpd.GeoDataFrame,
    *,
    cell_m: float = 500.0,
    shape: Literal["hex", "square"] = "hex",
    crs: CRS | str | None = None,
    polygons: bool = False,
) -> gpd.GeoDataFrame:
    """Sum demand into hexagonal or square grid cells, per cell and group.

    Cells are laid out in a metric CRS (a local UTM zone unless ``crs`` is
    given); every point falls in exactly one cell, so totals (overall and per
    group) are kept exactly.

    Parameters
    ----------
    demand
        The demand schema.
    cell_m
        Distance between the centres of adjacent cells in metres (the side of a
        square; hexagons are pointy-topped with this centre spacing).
    shape
        ``"hex"`` or ``"square"``.
    crs
        The metric CRS of the grid; default a UTM zone chosen from the data.
    polygons
        Return the cell outlines as geometry instead of their centres (then the
        result is a layer for maps, not the demand schema).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (cell, group) in EPSG:4326: ``weight``, ``group``,
        ``source`` = ``"grid"``, ``cell`` (``"a,b"`` integer cell coordinates),
        ``n_points`` and the cell centre (or outline) as geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> d = gpd.GeoDataFrame({"weight": [1.0, 2.0, 4.0], "group": "rider", "source": "user"},
    ...                      geometry=gpd.points_from_xy([116.30, 116.3001, 116.35],
    ...                                                  [39.98, 39.98, 39.98]), crs="EPSG:4326")
    >>> demand_to_grid(d, cell_m=500)["weight"].tolist()
    [3.0, 4.0]
    """
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise InputError(
            f"cell_m must be a positive number of metres, got {cell_m!r}.", field="cell_m"
        )
    if shape not in ("hex", "square"):
        raise InputError(f"shape must be 'hex' or 'square', got {shape!r}.", field="shape")
    demand = validate_demand(demand)
    lon, lat = gdf_lonlat(demand, "demand")
    metric = metric_crs_for(lon, lat) if crs is None else CRS(crs)
    if not metric.is_projected:
        raise InputError(
            f"crs must be a projected (metric) CRS, got {metric.name}.",
            field="crs",
            fix="pass a UTM zone or leave crs=None.",
        )
    x, y = to_metric(lon, lat, metric)
    cells = _grid.cell_of(x, y, cell_m, shape)
    frame = pd.DataFrame(
        {
            "a": cells[:, 0],
            "b": cells[:, 1],
            "group": demand["group"].to_numpy(dtype=object),
            "weight": demand["weight"].to_numpy(dtype=float),
        }
    )
    summed = (
        frame.groupby(["a", "b", "group"], sort=True)["weight"].agg(["sum", "size"]).reset_index()
    )
    keys = summed[["a", "b"]].to_numpy(dtype=np.int64)
    cx, cy = _grid.cell_centre(keys, cell_m, shape)
    clon, clat = to_lonlat(cx, cy, metric)
    out = make_demand(
        summed["sum"].to_numpy(dtype=float),
        summed["group"].to_numpy(dtype=object),
        "grid",
        clon,
        clat,
        extra={
            "cell": [f"{a},{b}" for a, b in keys],
            "n_points": summed["size"].to_numpy(dtype=np.int64),
        },
    )
    if polygons:
        outlines = gpd.GeoSeries(_grid.cell_polygons(keys, cell_m, shape), crs=metric)
        out = out.set_geometry(outlines.to_crs(WGS84).values)
    return out
