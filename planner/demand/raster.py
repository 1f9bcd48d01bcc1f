"""Demand from a population grid (a WorldPop-style GeoTIFF), put on the road network.

As WHO's AccessMod does with population rasters, every populated cell stands for
the people living in it; here each cell's count goes to the road-network node
nearest the cell's centre, so the demand sits where a rider or a walker starts
from, and the totals are kept exactly. Cells farther than ``max_distance_m`` from
any road stay at their own centre (they are counted, and the access matrix
reports them as off the network) rather than being moved far or dropped.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from planner._errors import InputError
from planner.crs import WGS84
from planner.demand.schema import check_group, make_demand

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = ["demand_from_raster"]


def demand_from_raster(
    raster: str | Path | Any,
    network: RoadNetwork,
    *,
    mode: str = "ebike",
    band: int = 1,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    group: str = "other",
    max_distance_m: float = 500.0,
    scale: float = 1.0,
) -> gpd.GeoDataFrame:
    """Turn a population raster into weighted demand on the road network's nodes.

    Parameters
    ----------
    raster
        A GeoTIFF (or any raster GDAL reads) path, or an open ``rasterio`` dataset;
        any CRS (WorldPop's is EPSG:4326; projected grids are reprojected).
    network
        The road network.
    mode
        Travel mode whose usable nodes receive the population.
    band
        The band holding counts (people per cell, not densities).
    area
        Keep only cells whose centre lies in this area (WGS84 shapely geometry,
        or a GeoDataFrame/GeoSeries in any CRS); default: the network's convex
        hull buffered by ``max_distance_m``.
    group
        Worker group of the demand.
    max_distance_m
        Cells whose centre is farther than this from the nearest usable node stay
        at their centre (off the network) instead.
    scale
        Multiply every count (e.g. a share of the population that are workers).

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema (``source`` ``"grid"``), one row per node that received
        people (``node`` its OSM id, ``n_cells``) and one per far cell (``node`` -1).

    Raises
    ------
    InputError
        An unreadable file, a raster without a CRS, a missing band, negative counts,
        or no populated cell in the area.

    Examples
    --------
    >>> import numpy as np, rasterio, tempfile, os
    >>> from affine import Affine
    >>> from planner import datasets
    >>> net = datasets.demo_network(modes=["ebike"])
    >>> path = os.path.join(tempfile.mkdtemp(), "pop.tif")
    >>> w, s, e, n = datasets.demo_area().bounds
    >>> with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1,
    ...                    dtype="float32", crs="EPSG:4326",
    ...                    transform=Affine((e - w) / 4, 0, w, 0, -(n - s) / 4, n)) as f:
    ...     f.write(np.full((1, 4, 4), 25.0, dtype="float32"))
    >>> d = demand_from_raster(path, net, area=datasets.demo_area())
    >>> round(float(d["weight"].sum()), 6)
    400.0
    """
    try:
        import rasterio
    except ImportError as error:  # pragma: no cover - rasterio is a dependency
        raise InputError("population rasters need rasterio.", fix="pip install rasterio") from error
    label = (
        str(raster) if isinstance(raster, str | Path) else str(getattr(raster, "name", "raster"))
    )
    if not (np.isfinite(scale) and scale >= 0):
        raise InputError(f"scale must be a number >= 0, got {scale!r}.", field="scale")
    group = check_group(group)
    if isinstance(raster, str | Path):
        if not Path(raster).is_file():
            raise InputError(f"no such raster file {raster}.", file=label, fix="check the path.")
        try:
            with rasterio.open(raster) as dataset:
                values, transform, crs, nodata = _read(dataset, band, label)
        except rasterio.errors.RasterioIOError as error:
            raise InputError(
                f"not a raster GDAL can read ({error}).",
                file=label,
                fix="give a GeoTIFF of people per cell (e.g. WorldPop).",
            ) from error
    else:
        values, transform, crs, nodata = _read(raster, band, label)
    counts = values.astype(np.float64)
    valid = np.isfinite(counts)
    if nodata is not None and np.isfinite(nodata):
        valid &= counts != nodata
    if (counts[valid] < 0).any():
        row, col = (int(v[0]) for v in np.nonzero(valid & (counts < 0)))
        raise InputError(
            f"negative counts, e.g. {counts[row, col]:g} at cell (row {row}, column {col}).",
            file=label,
            field=f"band {band}",
            fix="give people per cell; mark empty cells with the raster's nodata value.",
        )
    rows, cols = np.nonzero(valid & (counts > 0))
    weight = counts[rows, cols] * scale
    # cell centres, straight from the affine coefficients (x = a*col + b*row + c, ...)
    col_c, row_c = cols + 0.5, rows + 0.5
    xs = transform.a * col_c + transform.b * row_c + transform.c
    ys = transform.d * col_c + transform.e * row_c + transform.f
    to_wgs = Transformer.from_crs(CRS.from_user_input(crs), WGS84, always_xy=True)
    lon, lat = (np.asarray(v, float) for v in to_wgs.transform(np.asarray(xs), np.asarray(ys)))
    geom: Any
    if area is None:
        geom = network.area(buffer_m=max_distance_m)
    elif isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            raise InputError("the area has no CRS.", field="area", fix="set_crs(...).")
        geom = shapely.union_all(area.to_crs(WGS84).geometry.to_numpy())
    else:
        geom = area
    inside = shapely.contains_xy(geom, lon, lat)
    if not inside.any():
        raise InputError(
            f"no populated cell of the raster lies in the area ({len(weight):,} populated "
            f"cells in all, {float(weight.sum()):,.6g} people).",
            file=label,
            fix="check that the raster covers the network's area.",
        )
    dropped = float(weight[~inside].sum())
    if dropped > 0 and area is None:
        warnings.warn(
            f"{label}: {int((~inside).sum()):,} populated cells ({dropped:,.6g} people) lie "
            "outside the network's area and were left out.",
            UserWarning,
            stacklevel=2,
        )
    lon, lat, weight = lon[inside], lat[inside], weight[inside]
    snapped = network.snap(
        np.column_stack([lon, lat]),
        mode=mode,
        max_distance_m=max_distance_m,
        on_far="ignore",
        label=label,
    )
    node_index = snapped.table["node_index"].to_numpy()
    far = snapped.table["far"].to_numpy(bool)
    near = pd.DataFrame({"node": node_index[~far], "weight": weight[~far]})
    per_node = near.groupby("node")["weight"].agg(["sum", "size"])
    positions = per_node.index.to_numpy(np.int64)
    out_lon = np.r_[network.lon[positions], lon[far]]
    out_lat = np.r_[network.lat[positions], lat[far]]
    return make_demand(
        np.r_[per_node["sum"].to_numpy(float), weight[far]],
        group,
        "grid",
        out_lon,
        out_lat,
        extra={
            "node": np.r_[network.node_ids[positions], np.full(int(far.sum()), -1, np.int64)],
            "n_cells": np.r_[
                per_node["size"].to_numpy(np.int64), np.ones(int(far.sum()), np.int64)
            ],
        },
    )


def _read(dataset: Any, band: int, label: str) -> tuple[np.ndarray, Any, Any, float | None]:
    if dataset.crs is None:
        raise InputError(
            "the raster has no CRS.",
            file=label,
            fix="assign one (e.g. gdal_edit.py -a_srs EPSG:4326 pop.tif).",
        )
    if not 1 <= band <= dataset.count:
        raise InputError(
            f"the raster has {dataset.count} band(s); band {band} does not exist.",
            file=label,
            field="band",
        )
    return dataset.read(band), dataset.transform, dataset.crs, dataset.nodata
