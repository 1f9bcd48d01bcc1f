"""The inputs of a study, checked and labelled: points, costs, stations, settings, hashes.

Shared by the programmes of :mod:`planner.plan` (worker stations and driver homes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import InputError
from planner._validate import points_lonlat
from planner.crs import WGS84

if TYPE_CHECKING:
    from dask.distributed import Client

    from planner.network import RoadNetwork
    from planner.plan._plan import Plan

__all__ = [
    "SiteRun",
    "digest",
    "existing_stations",
    "network_digest",
    "run_parameters",
    "site_costs",
    "sites_frame",
    "station_labels",
    "wgs84_points",
]


@dataclass(frozen=True)
class SiteRun:
    """How one :meth:`Plan.site` call runs (validated there)."""

    kind: str
    p: int | None
    budget: float | None
    phases: tuple[int, ...] | None
    solver: Literal["auto", "exact", "fast"]
    time_limit: float | None
    n_jobs: int
    scheduler: str | Client | None
    progress: bool
    mip_gap: float = 0.0  # the exact solver's relative gap (0: prove the optimum)


def wgs84_points(frame: gpd.GeoDataFrame | None, name: str) -> gpd.GeoDataFrame | None:
    """Validate a point GeoDataFrame and return a WGS84 copy (inputs never change)."""
    if frame is None:
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(
            f"`{name}` must be a GeoDataFrame of points, got {type(frame).__name__}.",
            field=name,
            fix="build one with geopandas.GeoDataFrame(..., geometry=points_from_xy(...)).",
        )
    points_lonlat(frame, label=f"`{name}`")
    if not frame.index.is_unique:
        dup = frame.index[frame.index.duplicated()][:5].tolist()
        raise InputError(
            f"`{name}` has repeated index labels {dup}; results are keyed by the index.",
            field=name,
            fix="reset_index(drop=True) or give each row a unique label.",
        )
    out = frame.copy()
    if not CRS(out.crs).equals(WGS84):
        out = out.to_crs(WGS84)
    return out


def site_costs(candidates: gpd.GeoDataFrame, column: str) -> pd.Series:
    """Return the candidates' site costs, checked: a column of finite numbers > 0."""
    if column not in candidates.columns:
        raise InputError(
            f"candidates have no cost column {column!r}; columns are "
            f"{[c for c in candidates.columns if c != candidates.geometry.name]}.",
            field=column,
            fix="add a cost per candidate site, or name the right column with cost=...",
        )
    values = pd.to_numeric(candidates[column], errors="coerce").astype(float)
    bad = ~np.isfinite(values.to_numpy()) | (values.to_numpy() <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum())} site costs are missing, not numbers or not above 0 "
            f"(first: {candidates[column].iloc[first]!r} at site {candidates.index[first]!r}).",
            row=first + 1,
            field=column,
            fix="give every candidate a cost greater than 0.",
        )
    return values


def station_labels(stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stations with a readable ``name`` and a ``kind`` (defaults filled)."""
    out = stations.copy()
    if "name" not in out:
        out["name"] = [str(i) for i in out.index]
    if "kind" not in out:
        out["kind"] = "worker_station"
    return out


def existing_stations(plan: Plan) -> gpd.GeoDataFrame:
    """Return the existing stations that count: labelled, filtered by the plan's kinds."""
    if plan.stations is None:
        return gpd.GeoDataFrame({"name": [], "kind": []}, geometry=[], crs=WGS84)
    stations = station_labels(plan.stations)
    if plan.station_kinds:
        stations = stations[stations["kind"].isin(plan.station_kinds)]
    return stations


def sites_frame(existing: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return existing stations and candidates as one frame of site points (ids must differ)."""
    clash = existing.index.intersection(candidates.index)
    if len(clash):
        raise InputError(
            f"candidate ids {clash[:5].tolist()} are also existing station labels.",
            field="candidates",
            fix="give candidates their own ids (e.g. 'poi/123') or re-index the stations.",
        )
    return gpd.GeoDataFrame(geometry=pd.concat([existing.geometry, candidates.geometry]), crs=WGS84)


def run_parameters(plan: Plan, run: SiteRun) -> dict[str, Any]:
    """Return the settings a study ran with (``PlanResult.parameters``)."""
    params: dict[str, Any] = {
        "programme": plan.programme,
        "model": run.kind,
        "mode": plan.mode,
        "p": run.p,
        "solver": run.solver,
        "time_limit": run.time_limit,
        "mip_gap": run.mip_gap,
        "seed": plan.seed,
        "station_kinds": list(plan.station_kinds),
        "max_snap_m": plan.max_snap_m,
        "attribution": list(plan.attribution),
    }
    if plan.programme == "worker_stations":
        params |= {
            "cutoff_min": plan.cutoff_min,
            "groups": list(plan.groups),
            "weight": plan.weight,
            "hex_size_m": plan.hex_size_m,
            "cost": plan.cost,
            "budget": run.budget,
            "phases": None if run.phases is None else list(run.phases),
            "min_per_area": plan.min_per_area,
            "within_share": plan.within_share,
        }
    else:
        params |= {
            "rest_interval_h": plan.rest_interval_h,
            "min_volume": plan.min_volume,
            "detour_min": plan.detour_min,
            "cost": plan.cost,
            "subsidy_per_home": plan.subsidy_per_home,
            "budget": run.budget,
            "phases": None if run.phases is None else list(run.phases),
        }
    return params


def digest(frame: pd.DataFrame | None) -> str | None:
    """Return a short, stable hash of a table's content (for run.json)."""
    if frame is None:
        return None
    data = frame.drop(columns=frame.geometry.name) if isinstance(frame, gpd.GeoDataFrame) else frame
    hashed = pd.util.hash_pandas_object(data.astype(str), index=True).to_numpy()
    geometry = b""
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = b"".join(shapely.to_wkb(frame.geometry.to_numpy(), hex=False))
    return hashlib.sha256(hashed.tobytes() + geometry).hexdigest()[:16]


def network_digest(network: RoadNetwork) -> str:
    """Return a short hash of the network's size and bounds (for run.json)."""
    stats = network.stats()
    text = json.dumps(
        {k: stats[k] for k in ("nodes", "edges", "bounds") if k in stats}, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
