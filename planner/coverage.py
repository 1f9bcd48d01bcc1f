"""Coverage of demand by existing stations: who is already served, and where the gaps are.

:func:`coverage` answers the planner's first question — which riders, couriers and
drivers are within N minutes of a station over the road network — for several
cutoffs at once (a coverage curve), overall and per group (worker type, district,
...), with each demand point's nearest station, the uncovered points, and a
hexagon layer of uncovered demand.

Times follow the rule of :mod:`planner.access`: snap legs at the mode's access
speed plus the network time, demand point -> station. A point is *covered* at a
cutoff when some station is reachable within it.

Opening hours
-------------
Stations may carry opening hours (column ``hours``, read by
:func:`planner.hours.parse_hours`): ``"24/7"`` (also ``"24h"``, ``"00:00-24:00"``) for
unattended stations open around the clock, one range ``"08:00-20:00"``, a range
over midnight ``"22:00-06:00"``, or several ranges ``"08:00-12:00,14:00-18:00"``.
The same hours apply every day; ranges include their start minute and exclude
their end minute. Asked for a time window, coverage
counts only the stations open for the *whole* window (``open_rule="whole"``,
the default: a rider arriving at any moment of the window finds it open), or open
at *any* moment of it (``open_rule="any"``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import _grid
from planner._errors import InputError, Problem
from planner.access import AccessMatrix, access_matrix, nearest_sites
from planner.crs import WGS84
from planner.hours import hours_mask, stations_open
from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = [
    "CoverageResult",
    "coverage",
    "hex_cells",
    "hex_polygons",
    "hours_mask",
    "stations_open",
]


# hexagons: the one grid lives in planner._grid; these are its public names here
hex_cells = _grid.hex_cells
hex_polygons = _grid.hex_polygons


# ================================================================================ coverage
@dataclass(frozen=True, eq=False)
class CoverageResult:
    """What :func:`coverage` found.

    Parameters
    ----------
    points
        One row per demand point (input index, EPSG:4326): ``weight``, the group
        columns, ``hex_id``, ``nearest_station`` (the nearest open station however
        far; missing when none can be reached), ``time_min`` (to it; ``NaN`` when
        none), ``covered_<c>`` (``time_min <= c``) per cutoff ``c`` in minutes, and
        ``excluded`` (off the network).
    shares
        Covered share per cutoff, overall (``group_by == "all"``) and per group:
        ``cutoff_min``, ``group_by``, ``group``, ``points``, ``weight``,
        ``weight_covered``, ``share`` (of weight).
    uncovered
        The demand points not covered at ``cutoff_min`` (EPSG:4326).
    hexes
        Hexagons holding demand (EPSG:4326, index ``hex_id``): ``points``,
        ``weight``, ``weight_uncovered`` and ``share`` covered at ``cutoff_min``.
    stations
        The stations with ``open`` (in the asked hours), ``excluded`` (off the
        network, with ``on_far="exclude"``) and ``weight_nearest`` (demand weight
        covered at ``cutoff_min`` whose nearest station it is).
    access
        The access matrix (open stations, largest cutoff).
    cutoff_min
        The cutoff of ``uncovered`` and ``hexes``.
    excluded
        Points left out as off the network (see :attr:`AccessMatrix.excluded`).
    """

    points: gpd.GeoDataFrame
    shares: pd.DataFrame
    uncovered: gpd.GeoDataFrame
    hexes: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    access: AccessMatrix | None
    cutoff_min: float
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def curve(self) -> pd.Series:
        """The overall covered share of weight by cutoff (minutes): the coverage curve."""
        overall = self.shares[self.shares["group_by"] == "all"]
        return pd.Series(
            overall["share"].to_numpy(), index=pd.Index(overall["cutoff_min"], name="cutoff_min")
        )


def _validate_demand(
    demand: gpd.GeoDataFrame, weight: str | None, groups: Sequence[str]
) -> pd.Series:
    if not isinstance(demand, gpd.GeoDataFrame):
        raise InputError(
            f"demand must be a GeoDataFrame of points, got {type(demand).__name__}.",
            field="demand",
            fix="build one with geopandas.GeoDataFrame(..., geometry=points_from_xy(...)).",
        )
    problems: list[Problem] = []
    for column in groups:
        if column not in demand.columns:
            problems.append(
                Problem(
                    f"group column {column!r} is missing; columns are {list(demand.columns)}.",
                    file="demand",
                    field=column,
                    fix="name existing columns in groups=.",
                )
            )
    if weight is None:
        weights = pd.Series(1.0, index=demand.index, name="weight")
    elif weight not in demand.columns:
        problems.append(
            Problem(
                f"weight column {weight!r} is missing; columns are {list(demand.columns)}.",
                file="demand",
                field=weight,
                fix="name the weight column, or pass weight=None to count points.",
            )
        )
        weights = pd.Series(dtype=float)
    else:
        weights = pd.to_numeric(demand[weight], errors="coerce").astype(float)
        bad = ~np.isfinite(weights.to_numpy()) | (weights.to_numpy() < 0)
        for position in np.flatnonzero(bad)[:50]:
            problems.append(
                Problem(
                    f"weight {demand[weight].iloc[position]!r} (label "
                    f"{demand.index[position]!r}) is not a finite number >= 0.",
                    file="demand",
                    row=int(position) + 1,
                    field=weight,
                    fix="fill or drop these rows; a point counts with weight >= 0.",
                )
            )
    if problems:
        raise InputError(problems)
    return weights.rename("weight")


def coverage(
    network: RoadNetwork,
    stations: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    mode: str,
    cutoffs_min: Sequence[float] = (5, 10, 15, 20),
    cutoff_min: float = 15.0,
    weight: str | None = "weight",
    groups: Sequence[str] = (),
    hours: tuple[str, str] | None = None,
    hours_column: str = "hours",
    open_rule: Literal["whole", "any"] = "whole",
    hex_size_m: float = 500.0,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> CoverageResult:
    """Measure how much demand existing stations cover within several cutoffs.

    Parameters
    ----------
    network
        The road network.
    stations
        Existing stations (points, any CRS); with ``hours``, an opening-hours column.
    demand
        Demand points (any CRS) with a weight column and any group columns.
    mode
        The travel mode's name.
    cutoffs_min
        Cutoffs in minutes for the coverage curve (one access matrix at the largest).
    cutoff_min
        The cutoff of the uncovered points, the hexagons and the station
        catchments (added to ``cutoffs_min`` when missing).
    weight
        The weight column; ``None`` counts points.
    groups
        Columns to report shares by (e.g. ``("worker_type", "district")``);
        missing values form their own group.
    hours
        A daily time window ``("HH:MM", "HH:MM")``: only stations open in it count.
    hours_column
        The stations' opening-hours column.
    open_rule
        ``"whole"``: open for the whole window; ``"any"``: at some moment of it.
    hex_size_m
        Side of the hexagons of the uncovered-demand layer, in metres.
    max_snap_m, on_far
        Snapping limit and what to do with points beyond it (see
        :func:`~planner.access.access_matrix`); excluded demand is reported in
        ``excluded`` and left out of the shares' denominators.
    n_jobs, scheduler, progress
        Passed to :func:`~planner.access.access_matrix`.

    Returns
    -------
    CoverageResult
        Points, shares, uncovered points, hexagons and stations.

    Raises
    ------
    InputError
        Missing or NaN/negative weights, missing group columns, bad cutoffs or
        hours (every bad row listed).

    Examples
    --------
    >>> from planner import datasets
    >>> result = coverage(datasets.demo_network(), datasets.demo_stations(),
    ...                   datasets.demo_stops(), mode="ebike", weight=None,
    ...                   groups=("group",), hours=("22:00", "23:00"))
    >>> bool(result.curve.is_monotonic_increasing)
    True
    >>> int(result.stations["open"].sum())  # the 24/7 stations and one driver home
    6
    """
    weights = _validate_demand(demand, weight, groups)
    cutoffs = _cutoffs(cutoffs_min, cutoff_min)
    if not (math.isfinite(hex_size_m) and hex_size_m > 0):
        raise InputError(
            f"hex_size_m must be a positive number of metres, got {hex_size_m!r}.",
            field="hex_size_m",
        )
    if len(demand) == 0:
        raise InputError(
            "demand is empty: there is nothing to cover.",
            field="demand",
            fix="pass at least one demand point.",
        )
    network.mode(mode)
    if hours is not None:
        is_open = stations_open(stations, hours, column=hours_column, open_rule=open_rule)
    else:
        is_open = pd.Series(True, index=stations.index, name="open")
    open_stations = stations[is_open.to_numpy()]
    largest = max(cutoffs)

    access: AccessMatrix | None = None
    nearest_station = pd.Series(pd.NA, index=demand.index, dtype=object)
    time_min = pd.Series(np.nan, index=demand.index)
    excluded_mask = pd.Series(False, index=demand.index)
    excluded = pd.DataFrame({"role": [], "label": [], "distance_m": []})
    if len(open_stations):
        access = access_matrix(
            network,
            demand,
            open_stations,
            mode=mode,
            cutoff_min=largest,
            max_snap_m=max_snap_m,
            on_far=on_far,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=progress,
        )
        # the nearest station however far: one multi-source Dijkstra
        nearest = nearest_sites(
            network, demand, open_stations, mode=mode, max_snap_m=max_snap_m, on_far=on_far
        )
        nearest_station.loc[nearest.index] = nearest["site"].to_numpy(dtype=object)
        time_min.loc[nearest.index] = nearest["time_s"].to_numpy() / 60.0
        excluded_mask = access.demand_snap["far"].reindex(demand.index).astype(bool)
        excluded = access.excluded
    else:
        logger.info("no station is open in %s: nothing is covered", hours)
        # demand still has to lie on the network for the answer to mean anything
        from planner.access import snap_points

        snap = snap_points(
            network, demand, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="demand"
        )
        excluded_mask = snap.table["far"].astype(bool)
        far = snap.table[excluded_mask.to_numpy()]
        excluded = pd.DataFrame(
            {"role": "demand", "label": far.index.to_list(), "distance_m": far["distance_m"]}
        ).reset_index(drop=True)

    metric = demand.geometry.to_crs(network.crs)
    mx, my = metric.x.to_numpy(), metric.y.to_numpy()
    q, r = hex_cells(mx, my, hex_size_m)
    hex_id = pd.Series([f"{a}_{b}" for a, b in zip(q, r, strict=True)], index=demand.index)

    points = gpd.GeoDataFrame(
        {
            "weight": weights,
            **{column: demand[column] for column in groups},
            "hex_id": hex_id,
            "nearest_station": nearest_station,
            "time_min": time_min,
        },
        geometry=demand.geometry.to_crs(WGS84),
        index=demand.index,
    )
    for cut in cutoffs:
        points[_covered(cut)] = (time_min <= cut + 1e-12).fillna(False).astype(bool)
    points["excluded"] = excluded_mask.to_numpy()

    kept = points[~points["excluded"]]
    shares = _shares(kept, cutoffs, groups)
    main = _covered(cutoff_min)
    uncovered = points[~points[main] & ~points["excluded"]].copy()

    keep = ~points["excluded"].to_numpy()
    table, polygons = _grid.hex_totals(
        q[keep],
        r[keep],
        kept["weight"].to_numpy(dtype=float),
        np.where(kept[main], 0.0, kept["weight"]),
        hex_size_m,
    )
    hexes = gpd.GeoDataFrame(table, geometry=polygons, crs=network.crs).to_crs(WGS84)

    catch = kept[kept[main]].groupby("nearest_station")["weight"].sum()
    station_far = (
        access.site_snap["far"].reindex(stations.index, fill_value=False).astype(bool)
        if access is not None
        else pd.Series(False, index=stations.index)
    )
    station_table = gpd.GeoDataFrame(
        {
            "open": is_open,
            "excluded": station_far.to_numpy(),
            "weight_nearest": catch.reindex(stations.index).fillna(0.0).to_numpy(),
        },
        geometry=stations.geometry.to_crs(WGS84),
        index=stations.index,
    )
    return CoverageResult(
        points=points,
        shares=shares,
        uncovered=uncovered,
        hexes=hexes,
        stations=station_table,
        access=access,
        cutoff_min=float(cutoff_min),
        excluded=excluded,
    )


def _covered(cut: float) -> str:
    return f"covered_{cut:g}"


def _cutoffs(cutoffs_min: Sequence[float], cutoff_min: float) -> list[float]:
    try:
        values = [float(c) for c in (*cutoffs_min, cutoff_min)]
    except (TypeError, ValueError) as error:
        raise InputError(
            f"cutoffs must be numbers of minutes, got {cutoffs_min!r} and {cutoff_min!r}.",
            field="cutoffs_min",
        ) from error
    bad = [v for v in values if not (math.isfinite(v) and v > 0)]
    if bad:
        raise InputError(
            f"the cutoff must be a positive, finite time, got {bad[0]!r} minutes.",
            field="cutoffs_min",
            fix="pass e.g. cutoffs_min=(5, 10, 15, 20).",
        )
    return sorted(set(values))


def _shares(points: pd.DataFrame, cutoffs: list[float], groups: Sequence[str]) -> pd.DataFrame:
    frames = []
    for cut in cutoffs:
        covered = points[_covered(cut)]
        weight_covered = points["weight"].where(covered, 0.0)
        frame = pd.DataFrame(
            {
                "cutoff_min": cut,
                "group_by": "all",
                "group": "all",
                "points": [len(points)],
                "weight": [float(points["weight"].sum())],
                "weight_covered": [float(weight_covered.sum())],
            }
        )
        frames.append(frame)
        for column in groups:
            key = points[column].astype(object).where(points[column].notna(), "<missing>")
            grouped = pd.DataFrame(
                {"key": key, "weight": points["weight"], "covered": weight_covered}
            ).groupby("key", sort=True)
            summary = grouped.agg(
                points=("weight", "size"),
                weight=("weight", "sum"),
                weight_covered=("covered", "sum"),
            )
            frames.append(
                pd.DataFrame(
                    {
                        "cutoff_min": cut,
                        "group_by": column,
                        "group": summary.index.to_list(),
                        "points": summary["points"].to_numpy(),
                        "weight": summary["weight"].to_numpy(dtype=float),
                        "weight_covered": summary["weight_covered"].to_numpy(dtype=float),
                    }
                )
            )
    shares = pd.concat(frames, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = shares["weight_covered"] / shares["weight"]
    shares["share"] = share.where(shares["weight"] > 0)
    return shares
