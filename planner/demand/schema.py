"""The demand schema: worker groups, sources, and :func:`validate_demand`.

Every ``demand_*`` function returns a GeoDataFrame in EPSG:4326 of points with
columns ``weight`` (float, >= 0), ``group`` (one of :data:`GROUPS`) and
``source`` (one of :data:`SOURCES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner._errors import InputError, Problem
from planner.crs import WGS84
from planner.demand._common import points_gdf

__all__ = [
    "DEMAND_COLUMNS",
    "GROUPS",
    "SOURCES",
    "check_group",
    "make_demand",
    "normal_groups",
    "validate_demand",
]

#: Worker groups that demand (and coverage reports) are split by.
GROUPS: tuple[str, ...] = ("rider", "courier", "ride_hailing", "truck", "other")
#: Where a demand point came from.
SOURCES: tuple[str, ...] = ("stays", "poi", "area", "grid", "user")

DEMAND_COLUMNS = ["weight", "group", "source"]


def normal_groups(values: pd.Series) -> pd.Series:
    """Spell worker groups the canonical way: ``Ride-hailing`` becomes ``ride_hailing``."""
    text = values.astype("string").str.strip().str.lower()
    return text.str.replace(r"[\s\-]+", "_", regex=True)


def check_group(group: str, *, field: str = "group") -> str:
    """Return a worker group in its canonical spelling; raise if it is not in :data:`GROUPS`.

    Parameters
    ----------
    group
        The group as given (``"Ride-hailing"`` is ``"ride_hailing"``).
    field
        The argument or column it came from, for the message.

    Returns
    -------
    str
        The canonical group.
    """
    normal = str(normal_groups(pd.Series([group])).iloc[0])
    if normal not in GROUPS:
        raise InputError(
            f"unknown worker group {group!r}.",
            field=field,
            fix=f"use one of {', '.join(GROUPS)}.",
        )
    return normal


def validate_demand(demand: gpd.GeoDataFrame, *, label: str = "demand") -> gpd.GeoDataFrame:
    """Check that a GeoDataFrame follows the demand schema; return it in EPSG:4326.

    Parameters
    ----------
    demand
        Points with ``weight``, ``group`` and ``source`` columns.
    label
        What the demand is, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows (a copy), in EPSG:4326.

    Raises
    ------
    InputError
        Every problem found (missing columns, negative or missing weights,
        unknown groups or sources, non-point geometry, no CRS), at once.

    Examples
    --------
    >>> import geopandas as gpd
    >>> d = gpd.GeoDataFrame({"weight": [1.0], "group": ["rider"], "source": ["user"]},
    ...                      geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> len(validate_demand(d))
    1
    """
    if not isinstance(demand, gpd.GeoDataFrame):
        raise InputError(
            f"{label} must be a GeoDataFrame, got {type(demand).__name__}.", file=label
        )
    problems: list[Problem] = []
    for column in DEMAND_COLUMNS:
        if column not in demand.columns:
            problems.append(Problem(f"column {column!r} is missing.", file=label, field=column))
    if demand.crs is None:
        problems.append(
            Problem("it has no CRS.", file=label, field="geometry", fix="set_crs('EPSG:4326').")
        )
    if problems:
        raise InputError(problems)
    weight = pd.to_numeric(demand["weight"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        problems.append(
            Problem(
                f"{int(bad.sum())} weights are missing, infinite or negative, "
                f"e.g. {demand['weight'].iloc[row - 1]!r}.",
                file=label,
                row=row,
                field="weight",
                fix="weights must be numbers >= 0.",
            )
        )
    groups = normal_groups(demand["group"])
    for column, allowed in (("group", GROUPS), ("source", SOURCES)):
        values = groups if column == "group" else demand[column].astype("string")
        wrong = ~values.isin(allowed).to_numpy(dtype=bool)
        if wrong.any():
            row = int(np.flatnonzero(wrong)[0]) + 1
            problems.append(
                Problem(
                    f"unknown {column} {values.iloc[row - 1]!r}.",
                    file=label,
                    row=row,
                    field=column,
                    fix=f"use one of {', '.join(allowed)}.",
                )
            )
    kinds = demand.geometry.geom_type.to_numpy(dtype=object)
    wrong_geom = kinds != "Point"
    if wrong_geom.any():
        row = int(np.flatnonzero(wrong_geom)[0]) + 1
        problems.append(
            Problem(
                f"geometry must be points, found {kinds[row - 1]}.",
                file=label,
                row=row,
                field="geometry",
                fix="use centroids or representative points of polygons.",
            )
        )
    if problems:
        raise InputError(problems)
    out = demand.to_crs(WGS84) if not CRS(demand.crs).equals(WGS84) else demand.copy()
    out["weight"] = weight
    out["group"] = groups.to_numpy(dtype=object)
    out["source"] = out["source"].astype(str)
    return out


def make_demand(
    weight: np.ndarray,
    group: np.ndarray | str,
    source: str,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    index: pd.Index | None = None,
    extra: Mapping[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """Build points in the demand schema (EPSG:4326), without validating them.

    Parameters
    ----------
    weight
        Weight of each point.
    group
        One group for all points, or a group per point.
    source
        The ``source`` of every point.
    lon, lat
        WGS84 coordinates.
    index
        The index of the result (default a RangeIndex).
    extra
        More columns, by name.

    Returns
    -------
    geopandas.GeoDataFrame
        The points.
    """
    n = len(weight)
    data: dict[str, Any] = {
        "weight": np.asarray(weight, dtype=float),
        "group": np.full(n, group, dtype=object) if isinstance(group, str) else group,
        "source": np.full(n, source, dtype=object),
    }
    if extra:
        data.update(extra)
    return points_gdf(data, lon, lat, index=index)
