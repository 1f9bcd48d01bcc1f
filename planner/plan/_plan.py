"""Plan a siting study end to end: the notebook-facing API.

:class:`Plan` holds the inputs of one study (road network, existing stations,
demand or route flows, candidate sites) and :meth:`Plan.site` runs it: the
access matrix (:mod:`planner.access`), the siting model (:mod:`planner.locate`)
and the figures a planner reads, returned as a :class:`PlanResult` whose
tables are GeoDataFrames keyed by the input indexes:

- ``sites``: recommended new sites in rank order with the demand each adds;
- ``coverage``: covered demand before and after, overall and per group;
- ``uncovered`` and ``hexes``: who is still left out, as points and hexagons;
- ``curve``: covered share against the number of new sites;
- ``service_areas``: the streets within the cutoff of existing and new sites.

Two programmes have presets, each argument overridable:
:meth:`Plan.worker_stations` (e-bike, 15 minutes, demand from rider and courier
stays and POIs) and :meth:`Plan.driver_homes` (truck, route flows, a rest at
least every 4 hours of driving, candidates passed by 30+ trucks a day).

Units: :mod:`planner.access` gives seconds; :mod:`planner.locate` reads any unit
consistent with its cutoff. This module converts the matrix to **minutes** in
one place (:func:`_minutes_matrix`) before it reaches a model.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import html
import json
import logging
import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS

from planner._atomic import write_text
from planner._errors import InfeasibleError, InputError
from planner.crs import WGS84
from planner.maps import OSM_ATTRIBUTION

if TYPE_CHECKING:
    import folium

    from planner.access import AccessMatrix
    from planner.locate import LocateResult
    from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = [
    "DRIVER_HOMES",
    "WORKER_STATIONS",
    "DemoResult",
    "Plan",
    "PlanResult",
    "Preset",
    "demo_homes_plan",
    "demo_worker_plan",
    "run_demo",
    "write_outputs",
]

Programme = Literal["worker_stations", "driver_homes"]
#: The models each programme can run, default first.
_MODEL_KINDS: Mapping[str, tuple[str, ...]] = {
    "worker_stations": ("mclp", "lscp"),
    "driver_homes": ("rest_interval", "flow_capture"),
}


@dataclass(frozen=True)
class _Run:
    """How one :meth:`Plan.site` call runs (validated there)."""

    kind: str
    p: int | None
    budget: float | None
    phases: tuple[int, ...] | None
    solver: Literal["auto", "exact", "fast"]
    time_limit: float | None
    n_jobs: int
    scheduler: Any
    progress: bool


# ================================================================================ presets
@dataclass(frozen=True)
class Preset:
    """The settings of a siting programme (every field can be overridden).

    Parameters
    ----------
    programme
        ``"worker_stations"`` (demand points within a travel time) or
        ``"driver_homes"`` (routes passing sites).
    title
        A readable name, used in maps and reports.
    mode
        Travel mode of the network.
    cutoff_min
        Service time in minutes (worker stations).
    station_kinds
        Existing stations of these ``kind`` values count (all when empty).
    groups
        Demand columns to report coverage by.
    rest_interval_h
        Driver homes: a route is served when it meets a site at least every this
        many hours of driving.
    min_volume
        Driver homes: candidates passed by fewer trucks a day are not eligible.
    detour_min
        Driver homes: largest detour in minutes at which a site still captures a route.
    """

    programme: Programme
    title: str
    mode: str
    cutoff_min: float = 15.0
    station_kinds: tuple[str, ...] = ()
    groups: tuple[str, ...] = ("group",)
    rest_interval_h: float | None = None
    min_volume: float | None = None
    detour_min: float = 0.0


#: Worker stations for riders and couriers: e-bike, 15 minutes.
WORKER_STATIONS = Preset(
    programme="worker_stations",
    title="Worker stations",
    mode="ebike",
    cutoff_min=15.0,
    station_kinds=("worker_station",),
    groups=("group",),
)
#: Driver homes for truck drivers: route flows, a rest every 4 hours, 30+ trucks a day.
DRIVER_HOMES = Preset(
    programme="driver_homes",
    title="Driver homes",
    mode="truck",
    cutoff_min=15.0,
    station_kinds=("driver_home",),
    groups=(),
    rest_interval_h=4.0,
    min_volume=30.0,
    detour_min=0.0,
)


# ================================================================================ helpers
def _wgs84(frame: gpd.GeoDataFrame | None, name: str) -> gpd.GeoDataFrame | None:
    """Validate a point GeoDataFrame and return a WGS84 copy (inputs never change)."""
    if frame is None:
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(
            f"`{name}` must be a GeoDataFrame of points, got {type(frame).__name__}.",
            field=name,
            fix="build one with geopandas.GeoDataFrame(..., geometry=points_from_xy(...)).",
        )
    if frame.crs is None:
        raise InputError(
            f"`{name}` has no CRS.",
            field=name,
            fix="set it, e.g. .set_crs(4326) for longitude/latitude in WGS84.",
        )
    if len(frame) and not bool(frame.geometry.geom_type.eq("Point").all()):
        bad = frame.geometry.geom_type[frame.geometry.geom_type != "Point"]
        raise InputError(
            f"`{name}` must hold points; row {frame.index.get_loc(bad.index[0]) + 1} is a "
            f"{bad.iloc[0]}.",
            row=int(frame.index.get_loc(bad.index[0])) + 1,
            field="geometry",
            fix="use centroids (.geometry.centroid) or representative points.",
        )
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


def _site_costs(candidates: gpd.GeoDataFrame, column: str) -> pd.Series:
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


def _minutes_matrix(access: AccessMatrix) -> tuple[sp.csr_array, pd.Index, pd.Index]:
    """Return the access matrix in minutes (locate's unit) and its labels; zeros kept."""
    matrix = access.matrix
    minutes = sp.csr_array((matrix.data / 60.0, matrix.indices, matrix.indptr), shape=matrix.shape)
    return minutes, access.demand_index, access.site_index


def _station_labels(stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stations with a readable ``name`` and a ``kind`` (defaults filled)."""
    out = stations.copy()
    if "name" not in out:
        out["name"] = [str(i) for i in out.index]
    if "kind" not in out:
        out["kind"] = "worker_station"
    return out


def _nearest_station(
    sites: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, crs: CRS
) -> tuple[list[Any], np.ndarray]:
    """Name of the nearest existing station to each site and its straight-line distance."""
    if len(stations) == 0 or len(sites) == 0:
        return [None] * len(sites), np.full(len(sites), np.nan)
    from scipy.spatial import cKDTree

    a = stations.geometry.to_crs(crs)
    b = sites.geometry.to_crs(crs)
    tree = cKDTree(np.column_stack([a.x.to_numpy(), a.y.to_numpy()]))
    dist, idx = tree.query(np.column_stack([b.x.to_numpy(), b.y.to_numpy()]))
    names = stations["name"].astype(str).to_numpy()[np.asarray(idx)]
    return list(names), np.asarray(dist, dtype=float)


def _hexes(points: gpd.GeoDataFrame, crs: CRS, size_m: float) -> gpd.GeoDataFrame:
    """Uncovered demand weight per hexagon (the hexagons of :mod:`planner.coverage`)."""
    from planner.coverage import hex_cells, hex_polygons

    columns = ["weight", "weight_uncovered", "points", "share_covered"]
    if len(points) == 0:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=float) for c in columns}, geometry=[], crs=WGS84
        )
    metric = points.geometry.to_crs(crs)
    q, r = hex_cells(metric.x.to_numpy(), metric.y.to_numpy(), size_m)
    frame = pd.DataFrame(
        {
            "hex_id": [f"{a}_{b}" for a, b in zip(q, r, strict=True)],
            "q": q,
            "r": r,
            "weight": points["weight"].to_numpy(dtype=float),
            "uncovered": np.where(
                points["covered_after"].to_numpy(bool), 0.0, points["weight"].to_numpy(float)
            ),
        }
    )
    table = frame.groupby("hex_id", sort=True).agg(
        q=("q", "first"),
        r=("r", "first"),
        weight=("weight", "sum"),
        weight_uncovered=("uncovered", "sum"),
        points=("weight", "size"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_covered"] = 1.0 - table["weight_uncovered"] / table["weight"]
    table = table[table["weight_uncovered"] > 0]
    return gpd.GeoDataFrame(
        table[columns],
        geometry=hex_polygons(table["q"].to_numpy(), table["r"].to_numpy(), size_m),
        crs=crs,
    ).to_crs(WGS84)


def _coverage_table(
    weights: pd.Series,
    before: pd.Series,
    after: pd.Series,
    groups: Mapping[str, pd.Series],
) -> pd.DataFrame:
    """Covered weight before and after, overall and per group value."""
    rows = []

    def add(group_by: str, group: Any, mask: np.ndarray) -> None:
        w = weights.to_numpy(dtype=float)[mask]
        b = w[before.to_numpy(bool)[mask]].sum()
        a = w[after.to_numpy(bool)[mask]].sum()
        total = w.sum()
        rows.append(
            {
                "group_by": group_by,
                "group": group,
                "points": int(mask.sum()),
                "weight": float(total),
                "weight_before": float(b),
                "weight_after": float(a),
                "share_before": float(b / total) if total > 0 else math.nan,
                "share_after": float(a / total) if total > 0 else math.nan,
                "gain": float((a - b) / total) if total > 0 else math.nan,
            }
        )

    add("all", "all", np.ones(len(weights), dtype=bool))
    for name, values in groups.items():
        key = values.astype(object).where(values.notna(), "<missing>")
        for value in sorted(key.unique(), key=str):
            add(name, value, (key == value).to_numpy())
    columns = [
        "group_by",
        "group",
        "points",
        "weight",
        "weight_before",
        "weight_after",
        "share_before",
        "share_after",
        "gain",
    ]
    return pd.DataFrame(rows, columns=columns)


def _digest(frame: pd.DataFrame | None) -> str | None:
    """Return a short, stable hash of a table's content (for run.json)."""
    if frame is None:
        return None
    data = frame.drop(columns=frame.geometry.name) if isinstance(frame, gpd.GeoDataFrame) else frame
    hashed = pd.util.hash_pandas_object(data.astype(str), index=True).to_numpy()
    geometry = b""
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = b"".join(shapely.to_wkb(frame.geometry.to_numpy(), hex=False))
    return hashlib.sha256(hashed.tobytes() + geometry).hexdigest()[:16]


# ================================================================================ results
@dataclass(frozen=True, eq=False)
class PlanResult:
    """The outcome of :meth:`Plan.site`: every intermediate table, plus maps and reports.

    Attributes
    ----------
    name
        The scenario name (map and report titles).
    programme
        ``"worker_stations"`` or ``"driver_homes"``.
    parameters
        The settings used (mode, cutoff, p, solver, seed, ...).
    sites
        New sites in rank order (EPSG:4326, candidate index): ``rank``,
        ``added`` (demand weight, or trucks a day, the site adds given the sites
        ranked before it), ``added_share``, ``cumulative``, ``cumulative_share``
        (covered share of all demand with the existing stations), ``nearest_station``,
        ``nearest_station_m`` (straight line), the candidate's columns.
    stations
        The existing stations that count (EPSG:4326, their index).
    demand
        Worker stations: one row per demand point (its index): ``weight``, the
        group columns, ``covered_before``, ``covered_after``, ``site`` (nearest
        open site) and ``time_min``. Driver homes: one row per route: ``volume``,
        ``captured_before``, ``captured_after``, ``served_before``, ``served_after``
        (rest rule), geometry the route.
    coverage
        Covered weight and share before and after, overall and per group.
    uncovered
        Demand points (or routes) still not covered after the new sites.
    hexes
        Uncovered demand weight per hexagon (worker stations).
    curve
        Covered share by number of new sites ``p`` (0 = existing only), nested
        greedy order with a proven bound; ``chosen`` marks the plan's ``p``.
    service_areas
        Polygons within ``cutoff_min`` of each site: ``state`` is ``"before"``
        (existing stations) or ``"after"`` (new sites).
    routes
        Driver homes: road edges used by the flows with ``volume`` (trucks a day).
    locate
        The siting model's raw result (solver, status, gap, figures).
    access
        The access matrix (seconds), worker stations.
    notes
        Plain sentences on anything unusual (empty inputs, everything covered...).
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` of the network.
    """

    name: str
    programme: Programme
    parameters: dict[str, Any]
    sites: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    coverage: pd.DataFrame
    uncovered: gpd.GeoDataFrame
    hexes: gpd.GeoDataFrame
    curve: pd.DataFrame
    service_areas: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame | None
    locate: LocateResult | None
    access: AccessMatrix | None
    notes: tuple[str, ...]
    bounds: tuple[float, float, float, float]
    inputs: dict[str, str | None] = field(default_factory=dict)
    network: RoadNetwork | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ figures
    @property
    def share_before(self) -> float:
        """Covered share of all demand with the existing stations only."""
        return float(self.coverage["share_before"].iloc[0])

    @property
    def share_after(self) -> float:
        """Covered share of all demand with the new sites added."""
        return float(self.coverage["share_after"].iloc[0])

    @property
    def status(self) -> str:
        """Solver status (``optimal``, ``time_limit``, ...; ``"not solved"`` when empty)."""
        return self.locate.status if self.locate is not None else "not solved"

    @property
    def gap(self) -> float:
        """Proven relative optimality gap of the plan (NaN when nothing was solved)."""
        return float(self.locate.gap) if self.locate is not None else math.nan

    @property
    def unit(self) -> str:
        """What the demand weight counts."""
        return "trucks/day" if self.programme == "driver_homes" else "demand weight"

    def summary(self) -> pd.DataFrame:
        """Return a short table: the headline figures of the plan.

        Returns
        -------
        pandas.DataFrame
            Indexed by figure name, one column ``value``.
        """
        c = self.coverage.iloc[0]
        rows: dict[str, Any] = {
            "scenario": self.name,
            "programme": self.programme,
            "mode": self.parameters.get("mode"),
        }
        if self.programme == "worker_stations":
            rows["cutoff (min)"] = self.parameters.get("cutoff_min")
        else:
            rows["rest interval (h)"] = self.parameters.get("rest_interval_h")
            rows["min trucks/day at a site"] = self.parameters.get("min_volume")
        rows |= {
            "existing stations": len(self.stations),
            "new sites": len(self.sites),
            f"total {self.unit}": round(float(c["weight"]), 3),
            "covered before": f"{c['share_before']:.1%}" if c["weight"] > 0 else "n/a",
            "covered after": f"{c['share_after']:.1%}" if c["weight"] > 0 else "n/a",
            "solver status": self.status,
            "gap": f"{self.gap:.2%}" if math.isfinite(self.gap) else "n/a",
        }
        if self.programme == "driver_homes" and "served_after" in self.demand:
            vol = self.demand["volume"].to_numpy(float)
            total = vol.sum()
            if total > 0:
                rows["rest rule met before"] = (
                    f"{vol[self.demand['served_before'].to_numpy(bool)].sum() / total:.1%}"
                )
                rows["rest rule met after"] = (
                    f"{vol[self.demand['served_after'].to_numpy(bool)].sum() / total:.1%}"
                )
        frame = pd.DataFrame({"value": pd.Series(rows, dtype=object)})
        frame.index.name = "figure"
        return frame

    def __repr__(self) -> str:
        return (
            f"PlanResult({self.name!r}, {self.programme}, new_sites={len(self.sites)}, "
            f"covered {self.share_before:.1%} -> {self.share_after:.1%}, status={self.status!r})"
        )

    def _repr_html_(self) -> str:
        head = f"<h4>{html.escape(self.name)}</h4>"
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        notes_html = f"<ul>{notes}</ul>" if notes else ""
        table = self.sites.drop(columns=self.sites.geometry.name).head(20)
        return (
            head
            + self.summary().to_html()
            + notes_html
            + "<h5>Recommended sites</h5>"
            + table.to_html(float_format=lambda v: f"{v:,.3f}")
        )

    # --------------------------------------------------------------------- maps
    def map(self, **kwargs: Any) -> folium.Map:
        """Return the folium map of the plan (renders inline in Jupyter).

        Parameters
        ----------
        **kwargs
            Passed to :func:`planner.maps.plan_map` (``tiles=None`` for no
            basemap, ``language="zh"``, ``m=`` an existing map, ...).

        Returns
        -------
        folium.Map
            The map.
        """
        from planner.maps import plan_map

        return plan_map(self, **kwargs)

    def explore(self, **kwargs: Any) -> folium.Map:
        """Alias of :meth:`map`, after ``GeoDataFrame.explore``.

        Parameters
        ----------
        **kwargs
            Passed to :func:`planner.maps.plan_map`.

        Returns
        -------
        folium.Map
            The map.
        """
        return self.map(**kwargs)

    def run_info(self) -> dict[str, Any]:
        """Return what ``run.json`` holds: inputs' hashes, parameters, versions, solver.

        Returns
        -------
        dict
            JSON-ready.
        """
        import planner

        info = {
            "scenario": self.name,
            "programme": self.programme,
            "parameters": self.parameters,
            "inputs": self.inputs,
            "versions": {
                "planner": planner.__version__,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "geopandas": gpd.__version__,
            },
            "solver": None,
            "notes": list(self.notes),
        }
        if self.locate is not None:
            info["solver"] = {
                "model": self.locate.model,
                "solver": self.locate.solver,
                "reason": self.locate.reason,
                "status": self.locate.status,
                "objective": self.locate.objective,
                "bound": self.locate.bound,
                "gap": self.locate.gap,
                "seconds": round(self.locate.seconds, 3),
            }
        return json.loads(json.dumps(info, default=_json_default))

    def to_files(
        self,
        folder: str | Path,
        *,
        offline: bool = True,
        tiles: str | None = "OpenStreetMap",
        language: Literal["en", "zh"] = "en",
    ) -> dict[str, Path]:
        """Write ``sites.geojson``, ``coverage.csv``, ``map.html``, ``report.html``, ``run.json``.

        Each file is written whole or not at all (a temporary file renamed).

        Parameters
        ----------
        folder
            Output folder (created).
        offline
            Embed the map's JavaScript and CSS (the map opens without internet).
        tiles
            Basemap, or ``None`` for none.
        language
            Labels' language.

        Returns
        -------
        dict of str to Path
            The files written, by name.
        """
        return write_outputs([self], folder, offline=offline, tiles=tiles, language=language)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def write_outputs(
    results: Sequence[PlanResult],
    folder: str | Path,
    *,
    offline: bool = True,
    tiles: str | None = "OpenStreetMap",
    language: Literal["en", "zh"] = "en",
    title: str | None = None,
) -> dict[str, Path]:
    """Write the outputs of one or more plans (one map, one report) into a folder.

    Parameters
    ----------
    results
        The plans (e.g. worker stations and driver homes of one region).
    folder
        Output folder (created).
    offline, tiles, language
        Map options (see :meth:`PlanResult.to_files`).
    title
        Map and report title (default: the first plan's name).

    Returns
    -------
    dict of str to Path
        ``sites``, ``coverage``, ``map``, ``report`` and ``run`` paths.
    """
    from planner.maps import plan_map, save_map
    from planner.report import report_html

    if not results:
        raise InputError("no plan results to write.", field="results")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for res in results:
        sites = res.sites.copy()
        sites.insert(0, "programme", res.programme)
        sites.insert(1, "site_id", [str(i) for i in sites.index])
        frames.append(sites.reset_index(drop=True))
    sites_all = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
    for column in sites_all.columns:
        if column != sites_all.geometry.name and sites_all[column].dtype == object:
            sites_all[column] = sites_all[column].map(lambda v: None if v is None else str(v))
    paths = {
        "sites": write_text(
            folder / "sites.geojson",
            sites_all.to_json(drop_id=True, na="null") if len(sites_all) else _empty_geojson(),
        ),
        "coverage": write_text(
            folder / "coverage.csv",
            pd.concat(
                [r.coverage.assign(programme=r.programme) for r in results], ignore_index=True
            ).to_csv(index=False),
        ),
    }
    m = plan_map(list(results), tiles=tiles, language=language, title=title)
    paths["map"] = save_map(m, folder / "map.html", offline=offline)
    paths["report"] = write_text(
        folder / "report.html", report_html(list(results), map_file="map.html", title=title)
    )
    run = {"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    run["plans"] = [r.run_info() for r in results]  # type: ignore[assignment]
    paths["run"] = write_text(folder / "run.json", json.dumps(run, indent=2, ensure_ascii=False))
    return paths


def _empty_geojson() -> str:
    return json.dumps({"type": "FeatureCollection", "features": []})


# =================================================================================== plan
class Plan:
    """One siting study: inputs and settings; :meth:`site` runs it.

    Parameters
    ----------
    network
        The road network (with the mode's travel times).
    stations
        Existing stations (points, any CRS); a ``kind`` column is filtered by
        ``station_kinds``; ``name`` and ``hours`` are shown on maps.
    demand
        Worker stations: demand points (the demand schema of
        :mod:`planner.demand`: ``weight``, ``group``, ``source``).
    candidates
        Candidate sites (points, any CRS; the candidate schema of
        :mod:`planner.candidates`), keyed by a site id index.
    flows
        Driver homes: a :class:`planner.routes.Flows` of truck routes with volumes.
    programme
        ``"worker_stations"`` (default when ``demand`` is given) or
        ``"driver_homes"`` (default when ``flows`` is given).
    mode, cutoff_min
        Travel mode and service time in minutes.
    groups
        Demand columns to report coverage by (missing columns are ignored).
    weight
        The demand weight column (``None``: one per point).
    station_kinds
        Only existing stations of these kinds count (empty: all).
    cost
        The candidates' column of site costs (yuan, or any unit), used by
        ``site(budget=...)`` and by the ``lscp`` model (least total cost);
        ``None``: every site costs 1.
    rest_interval_h, min_volume, detour_min
        Driver-home settings (see :class:`Preset`).
    name
        Scenario name, for maps and reports.
    seed
        Seed of the solver's local search: same inputs and seed, same output.
    service_areas
        Compute the service-area polygons of existing and new sites (slower;
        needed for the map's service-area layers).
    hex_size_m
        Side of the uncovered-demand hexagons.
    max_snap_m
        Points farther than this from the network are left out (listed in the notes).
    attribution
        Data sources to credit on maps and reports (OpenStreetMap by default).

    Examples
    --------
    >>> from planner import datasets
    >>> from planner.plan import Plan
    >>> net = datasets.demo_network(modes=["ebike"])
    >>> demand = datasets.demo_stops(groups=["rider"]).assign(weight=1.0)
    >>> stations = datasets.demo_stations()
    >>> sites = stations.iloc[:0]  # no candidates: nothing to site
    >>> res = Plan(net, stations=stations, demand=demand, candidates=sites,
    ...            service_areas=False).site(p=3)
    >>> len(res.sites), res.notes[0][:29]
    (0, 'No candidate sites were given')
    """

    def __init__(
        self,
        network: RoadNetwork,
        *,
        stations: gpd.GeoDataFrame | None = None,
        demand: gpd.GeoDataFrame | None = None,
        candidates: gpd.GeoDataFrame | None = None,
        flows: Any = None,
        programme: Programme | None = None,
        mode: str = "ebike",
        cutoff_min: float = 15.0,
        groups: Sequence[str] = ("group",),
        weight: str | None = "weight",
        station_kinds: Sequence[str] = (),
        cost: str | None = None,
        rest_interval_h: float | None = None,
        min_volume: float | None = None,
        detour_min: float = 0.0,
        name: str = "Siting plan",
        seed: int = 0,
        service_areas: bool = True,
        hex_size_m: float = 500.0,
        max_snap_m: float = 500.0,
        attribution: Sequence[str] = (OSM_ATTRIBUTION,),
    ) -> None:
        if programme is None:
            programme = (
                "driver_homes" if flows is not None and demand is None else "worker_stations"
            )
        if programme not in ("worker_stations", "driver_homes"):
            raise InputError(
                f"programme must be 'worker_stations' or 'driver_homes', got {programme!r}.",
                field="programme",
            )
        if programme == "driver_homes" and flows is None:
            raise InputError(
                "driver-home siting needs route flows.",
                field="flows",
                fix="pass flows=planner.routes.route_od(trips, network).",
            )
        if not (math.isfinite(cutoff_min) and cutoff_min > 0):
            raise InputError(
                f"cutoff_min must be a positive number of minutes, got {cutoff_min!r}.",
                field="cutoff_min",
            )
        network.mode(mode)
        self.network = network
        self.programme: Programme = programme
        self.stations = _wgs84(stations, "stations")
        self.demand = _wgs84(demand, "demand")
        self.candidates = _wgs84(candidates, "candidates")
        self.flows = flows
        self.mode = mode
        self.cutoff_min = float(cutoff_min)
        self.groups = tuple(groups)
        self.weight = weight
        self.station_kinds = tuple(station_kinds)
        self.cost = cost
        if cost is not None and self.candidates is not None and len(self.candidates):
            _site_costs(self.candidates, cost)
        self.rest_interval_h = rest_interval_h
        self.min_volume = min_volume
        self.detour_min = float(detour_min)
        self.name = name
        self.seed = int(seed)
        self.with_service_areas = bool(service_areas)
        self.hex_size_m = float(hex_size_m)
        self.max_snap_m = float(max_snap_m)
        self.attribution = tuple(attribution)

    # ------------------------------------------------------------------ presets
    @classmethod
    def from_preset(cls, preset: Preset, network: RoadNetwork, **kwargs: Any) -> Plan:
        """Build a plan from a preset; keyword arguments override its settings.

        Parameters
        ----------
        preset
            :data:`WORKER_STATIONS`, :data:`DRIVER_HOMES` or your own.
        network
            The road network.
        **kwargs
            Inputs (``stations=``, ``demand=``, ``flows=``, ``candidates=``) and
            overrides of any :class:`Plan` argument.

        Returns
        -------
        Plan
            The plan.
        """
        settings: dict[str, Any] = {
            "programme": preset.programme,
            "mode": preset.mode,
            "cutoff_min": preset.cutoff_min,
            "groups": preset.groups,
            "station_kinds": preset.station_kinds,
            "rest_interval_h": preset.rest_interval_h,
            "min_volume": preset.min_volume,
            "detour_min": preset.detour_min,
            "name": preset.title,
        }
        return cls(network, **(settings | kwargs))

    @classmethod
    def worker_stations(cls, network: RoadNetwork, **kwargs: Any) -> Plan:
        """Worker stations: e-bike, 15 minutes, coverage by worker group (overridable).

        Parameters
        ----------
        network
            The road network (with the ``ebike`` mode unless ``mode=`` says otherwise).
        **kwargs
            ``stations=``, ``demand=``, ``candidates=`` and any override.

        Returns
        -------
        Plan
            The plan.
        """
        return cls.from_preset(WORKER_STATIONS, network, **kwargs)

    @classmethod
    def driver_homes(cls, network: RoadNetwork, **kwargs: Any) -> Plan:
        """Driver homes: truck flows, a rest every 4 hours, sites with 30+ trucks a day.

        Parameters
        ----------
        network
            The road network (with the ``truck`` mode unless ``mode=`` says otherwise).
        **kwargs
            ``stations=``, ``flows=``, ``candidates=`` and any override.

        Returns
        -------
        Plan
            The plan.
        """
        return cls.from_preset(DRIVER_HOMES, network, **kwargs)

    # --------------------------------------------------------------------- run
    def _existing(self) -> gpd.GeoDataFrame:
        if self.stations is None:
            return gpd.GeoDataFrame({"name": [], "kind": []}, geometry=[], crs=WGS84)
        stations = _station_labels(self.stations)
        if self.station_kinds:
            stations = stations[stations["kind"].isin(self.station_kinds)]
        return stations

    def _sites_frame(
        self, existing: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame
    ) -> gpd.GeoDataFrame:
        clash = existing.index.intersection(candidates.index)
        if len(clash):
            raise InputError(
                f"candidate ids {clash[:5].tolist()} are also existing station labels.",
                field="candidates",
                fix="give candidates their own ids (e.g. 'poi/123') or re-index the stations.",
            )
        return gpd.GeoDataFrame(
            geometry=pd.concat([existing.geometry, candidates.geometry]), crs=WGS84
        )

    def _parameters(self, run: _Run) -> dict[str, Any]:
        params: dict[str, Any] = {
            "programme": self.programme,
            "model": run.kind,
            "mode": self.mode,
            "p": run.p,
            "solver": run.solver,
            "time_limit": run.time_limit,
            "seed": self.seed,
            "station_kinds": list(self.station_kinds),
            "max_snap_m": self.max_snap_m,
            "attribution": list(self.attribution),
        }
        if self.programme == "worker_stations":
            params |= {
                "cutoff_min": self.cutoff_min,
                "groups": list(self.groups),
                "weight": self.weight,
                "hex_size_m": self.hex_size_m,
                "cost": self.cost,
                "budget": run.budget,
                "phases": None if run.phases is None else list(run.phases),
            }
        else:
            params |= {
                "rest_interval_h": self.rest_interval_h,
                "min_volume": self.min_volume,
                "detour_min": self.detour_min,
            }
        return params

    def site(
        self,
        p: int | None = None,
        *,
        model: str | None = None,
        budget: float | None = None,
        phases: Sequence[int] | None = None,
        solver: Literal["auto", "exact", "fast"] = "auto",
        time_limit: float | None = None,
        curve_max_p: int | None = None,
        n_jobs: int = 1,
        scheduler: Any = None,
        progress: bool = False,
    ) -> PlanResult:
        """Recommend new sites and measure what they add.

        Sites that would add nothing (everything reachable is already covered)
        are not recommended; the notes say so.

        Parameters
        ----------
        p
            Number of new sites (default 20 when neither ``budget`` nor
            ``phases`` is given).
        model
            Worker stations: ``"mclp"`` (default: the ``p`` sites, budget or
            phases covering the most demand) or ``"lscp"`` (the fewest sites, or
            least total ``cost``, covering all coverable demand; no ``p``).
            Driver homes: ``"rest_interval"`` (default: a rest stop at least every
            ``rest_interval_h`` hours, flow capturing when no route is that long)
            or ``"flow_capture"`` (the most trucks passing a site).
        budget
            Worker stations: total cost allowed for new sites, instead of ``p``;
            site costs come from the candidates' ``cost`` column (see :class:`Plan`).
        phases
            Worker stations: new sites per phase, e.g. ``[20, 20, 20, 20, 20]`` for
            20 a year; each phase keeps the earlier phases' sites. The sites table
            gets a ``phase`` column (1-based).
        solver
            ``"exact"`` (HiGHS), ``"fast"`` (greedy + swaps with a proven bound)
            or ``"auto"``.
        time_limit
            Solver time limit in seconds (per phase).
        curve_max_p
            Largest ``p`` on the coverage curve (default ``max(p, 10)``, at most
            the number of candidates).
        n_jobs
            Threads for the travel-time matrix and the service areas.
        scheduler
            A ``dask.distributed`` client or scheduler address (``"tcp://host:8786"``):
            the travel-time matrix is computed on that cluster, with the same result.
        progress
            Show progress bars.

        Returns
        -------
        PlanResult
            The ranked sites, coverage before/after and every intermediate table.
        """
        kinds = _MODEL_KINDS[self.programme]
        kind = kinds[0] if model is None else model
        if kind not in kinds:
            raise InputError(
                f"model {kind!r} does not fit the {self.programme} programme.",
                field="model",
                fix=f"use one of {', '.join(map(repr, kinds))}.",
            )
        if self.programme == "driver_homes" and (budget is not None or phases is not None):
            raise InputError(
                "budgets and phases are available for worker stations only.",
                field="budget" if budget is not None else "phases",
                fix="give p=... (the number of driver homes) instead.",
            )
        if p is not None and (int(p) != p or p < 0):
            raise InputError(f"`p` must be a whole number >= 0; got {p}.", field="p")
        if phases is not None:
            phases = list(phases)
            if not phases or any(int(k) != k or k < 0 for k in phases):
                raise InputError(
                    f"`phases` must be a non-empty list of whole numbers >= 0; got {phases}.",
                    field="phases",
                    fix="give the new sites per phase, e.g. phases=[20, 20, 20, 20, 20].",
                )
            phases = [int(k) for k in phases]
            if p is not None and p != sum(phases):
                raise InputError(
                    f"p = {p} but the phases add up to {sum(phases)}.",
                    field="phases",
                    fix="leave p out when giving phases, or make them agree.",
                )
            p = sum(phases)
        if budget is not None:
            if p is not None:
                raise InputError(
                    "give either `p` (or `phases`) or `budget`, not both.",
                    field="budget",
                    fix="drop p=... to choose by budget, or drop budget=... to choose p sites.",
                )
            if self.cost is None:
                raise InputError(
                    "`budget` needs site costs.",
                    field="cost",
                    fix="name the candidates' cost column with Plan(..., cost='cost').",
                )
        if kind == "lscp" and (p is not None or budget is not None):
            raise InputError(
                "the lscp model chooses how many sites are needed: it takes no p, "
                "budget or phases.",
                field="p",
                fix="drop p/budget/phases, or use model='mclp'.",
            )
        if p is None and budget is None and kind != "lscp":
            p = 20
        run = _Run(
            kind=kind,
            p=None if p is None else int(p),
            budget=budget,
            phases=None if phases is None else tuple(phases),
            solver=solver,
            time_limit=time_limit,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=progress,
        )
        if self.programme == "driver_homes":
            return self._site_homes(run)
        return self._site_workers(run, curve_max_p=curve_max_p)

    # ------------------------------------------------------------ worker stations
    def _demand_frame(self, notes: list[str]) -> gpd.GeoDataFrame:
        demand = self.demand
        if demand is None:
            notes.append("No demand was given: there is nothing to cover.")
            return gpd.GeoDataFrame({"weight": []}, geometry=[], crs=WGS84)
        out = demand.copy()
        if self.weight is None:
            out["weight"] = 1.0
        elif self.weight not in out:
            raise InputError(
                f"demand has no weight column {self.weight!r}; columns are {list(out.columns)}.",
                field=self.weight,
                fix="name the weight column with weight=..., or weight=None to count points.",
            )
        else:
            w = pd.to_numeric(out[self.weight], errors="coerce").astype(float)
            bad = ~np.isfinite(w.to_numpy()) | (w.to_numpy() < 0)
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"{int(bad.sum())} demand weights are missing, negative or not numbers "
                    f"(first: {out[self.weight].iloc[first]!r}).",
                    row=first + 1,
                    field=self.weight,
                    fix="fill or drop these rows; weights must be >= 0.",
                )
            out["weight"] = w
        if len(out) == 0:
            notes.append("The demand table is empty: there is nothing to cover.")
        return out

    def _site_workers(self, run: _Run, *, curve_max_p: int | None) -> PlanResult:
        from planner.access import access_matrix
        from planner.locate import LSCP, MCLP

        notes: list[str] = []
        existing = self._existing()
        if len(existing) == 0:
            notes.append("No existing stations: coverage before is zero.")
        candidates = self.candidates
        if candidates is None or len(candidates) == 0:
            notes.append("No candidate sites were given: no new site can be recommended.")
            candidates = gpd.GeoDataFrame(geometry=[], crs=WGS84)
        demand = self._demand_frame(notes)
        groups = [g for g in self.groups if g in demand.columns]
        sites_all = self._sites_frame(existing, candidates)

        access = None
        locate = None
        covered_before = pd.Series(False, index=demand.index)
        covered_after = pd.Series(False, index=demand.index)
        nearest_site = pd.Series(None, index=demand.index, dtype=object)
        time_min = pd.Series(np.nan, index=demand.index)
        kept = pd.Series(True, index=demand.index)
        order: list[Any] = []
        added: list[float] = []
        phase_of: pd.Series | None = None
        curve = pd.DataFrame(columns=["p", "site", "covered", "share", "bound", "gap"])
        total_weight = float(demand["weight"].sum()) if len(demand) else 0.0
        if len(demand) and len(sites_all):
            access = access_matrix(
                self.network,
                demand,
                sites_all,
                mode=self.mode,
                cutoff_min=self.cutoff_min,
                max_snap_m=self.max_snap_m,
                on_far="exclude",
                n_jobs=run.n_jobs,
                scheduler=run.scheduler,
                progress=run.progress,
            )
            kept = pd.Series(demand.index.isin(access.demand_index), index=demand.index)
            if (~kept).any():
                notes.append(
                    f"{int((~kept).sum())} demand points lie more than {self.max_snap_m:g} m "
                    "from the network and count as not covered."
                )
        if access is not None and access.shape[0] and access.shape[1]:
            minutes, d_index, s_index = _minutes_matrix(access)
            ex_labels = [s for s in existing.index if s in s_index]
            n_cand = int(len(s_index) - len(ex_labels))
            p_eff = None if run.p is None else min(run.p, n_cand)
            if run.p is not None and run.p > n_cand and n_cand > 0:
                notes.append(f"Only {n_cand} candidate sites can be chosen; asked for {run.p}.")
            costs = None
            if self.cost is not None:
                costs = _site_costs(candidates, self.cost).reindex(s_index).fillna(1.0)
            common: dict[str, Any] = {
                "cutoff": self.cutoff_min,
                "weights": demand["weight"].reindex(d_index).to_numpy(float),
                "existing": ex_labels,
                "demand_index": d_index,
                "site_index": s_index,
            }
            model = MCLP.from_matrix(minutes, **common)
            solve_args: dict[str, Any] = {
                "solver": run.solver,
                "time_limit": run.time_limit,
                "seed": self.seed,
            }
            new: pd.DataFrame | None = None  # new sites in build order (phases: all phases)
            if run.kind == "lscp":
                locate = LSCP.from_matrix(minutes, costs=costs, **common).solve(**solve_args)
                uncoverable = float(locate.figures.get("uncoverable_weight", 0.0))
                if uncoverable > 0:
                    notes.append(
                        f"Demand of weight {uncoverable:,.6g} is beyond {self.cutoff_min:g} "
                        "minutes of every site: no set of candidates can cover it."
                    )
            elif run.budget is not None:
                locate = MCLP.from_matrix(minutes, budget=run.budget, costs=costs, **common).solve(
                    **solve_args
                )
            elif run.phases is not None:
                too_many = p_eff is not None and p_eff < sum(run.phases)
                phases = _trim_phases(run.phases, n_cand) if too_many else list(run.phases)
                phased = MCLP.from_matrix(minutes, p=sum(phases), **common).phased(
                    phases, **solve_args
                )
                locate = phased.phases[-1]
                new = phased.sites
                phase_of = new["phase"]
                notes.append(
                    "Phased plan: "
                    + "; ".join(
                        f"phase {k} chooses {n} site{'s' if n != 1 else ''}"
                        for k, n in enumerate(phases, start=1)
                    )
                    + ", each phase keeping the earlier ones."
                )
            else:
                locate = MCLP.from_matrix(minutes, p=p_eff, costs=costs, **common).solve(
                    **solve_args
                )
            notes.extend(n for n in locate.notes if n not in notes)
            table = locate.demand
            nearest_site.loc[table.index] = table["site"].to_numpy(object)
            time_min.loc[table.index] = table["time"].to_numpy(float)
            reach = model.data.within(self.cutoff_min)
            ex_cols = np.flatnonzero(pd.Index(s_index).isin(ex_labels))
            if ex_cols.size:
                covered_before.loc[d_index] = np.diff(sp.csr_array(reach[:, ex_cols]).indptr) > 0
            if new is None:
                new = locate.sites[~locate.sites["existing"].to_numpy(bool)]
            gains = new["marginal_weight"].to_numpy(float)
            keep = gains > 1e-12
            asked = len(new) if p_eff is None else p_eff
            if (~keep).any() and asked > 0:
                if not keep.any():
                    notes.append(
                        "No candidate adds coverage: every demand point a candidate can reach "
                        "within the cutoff is already covered."
                    )
                else:
                    notes.append(
                        f"Only {int(keep.sum())} of the {asked} sites asked for add coverage; "
                        "the rest were left out."
                    )
            order = list(new.index[keep])
            added = list(gains[keep])
            if run.budget is not None:
                spent = float(costs.reindex(order).sum()) if costs is not None else len(order)
                notes.append(
                    f"Budget {run.budget:,.6g}: the {len(order)} sites chosen cost {spent:,.6g}."
                )
            covered_after = covered_before.copy()
            cols = np.flatnonzero(pd.Index(s_index).isin(ex_labels + order))
            if cols.size:
                covered_after.loc[d_index] = np.diff(sp.csr_array(reach[:, cols]).indptr) > 0
            max_p = min(max(len(order), p_eff or 0, curve_max_p or 10), n_cand)
            if max_p > 0:
                before_weight = float(
                    demand["weight"].reindex(d_index)[covered_before.loc[d_index].to_numpy()].sum()
                )
                curve = _curve(model, max_p, total_weight, before_weight)
        if not len(existing) and not order:
            notes.append("Nothing to show: no stations exist and none were recommended.")
        if len(demand) and total_weight > 0 and not (~covered_after[kept]).any():
            notes.append("All demand is covered: no demand is left out.")

        # ---- tables
        base = float(demand["weight"][covered_before.to_numpy(bool)].sum()) if len(demand) else 0.0
        sites = self._ranked_sites(
            candidates, existing, order, added, total=total_weight, base=base
        )
        if phase_of is not None:
            sites.insert(1, "phase", phase_of.reindex(sites.index).to_numpy(np.int64))
        demand_out = gpd.GeoDataFrame(
            {
                "weight": demand["weight"],
                **{g: demand[g] for g in groups},
                "covered_before": covered_before.astype(bool),
                "covered_after": covered_after.astype(bool),
                "site": nearest_site,
                "time_min": time_min,
                "on_network": kept.astype(bool),
            },
            geometry=demand.geometry,
            crs=WGS84,
            index=demand.index,
        )
        coverage = _coverage_table(
            demand_out["weight"],
            demand_out["covered_before"],
            demand_out["covered_after"],
            {g: demand_out[g] for g in groups},
        )
        uncovered = demand_out[~demand_out["covered_after"]]
        hexes = _hexes(demand_out, self.network.crs, self.hex_size_m)
        areas = self._service_areas(existing, sites, n_jobs=run.n_jobs, progress=run.progress)
        if len(curve):
            curve["chosen"] = curve["p"] == len(order)
        return PlanResult(
            name=self.name,
            programme="worker_stations",
            parameters=self._parameters(run),
            sites=sites,
            stations=existing,
            demand=demand_out,
            coverage=coverage,
            uncovered=uncovered,
            hexes=hexes,
            curve=curve,
            service_areas=areas,
            routes=None,
            locate=locate,
            access=access,
            notes=tuple(notes),
            bounds=self.network.bounds,
            inputs={
                "stations": _digest(self.stations),
                "demand": _digest(self.demand),
                "candidates": _digest(self.candidates),
                "network": _network_digest(self.network),
            },
            network=self.network,
        )

    def _ranked_sites(
        self,
        candidates: gpd.GeoDataFrame,
        existing: gpd.GeoDataFrame,
        order: list[Any],
        added: list[float],
        *,
        total: float,
        base: float,
        passing: pd.Series | None = None,
    ) -> gpd.GeoDataFrame:
        chosen = candidates.loc[order] if order else candidates.iloc[:0]
        gains = np.asarray(added, dtype=float)
        cumulative = base + np.cumsum(gains)
        names, dist = _nearest_station(chosen, existing, self.network.crs)
        extra = [c for c in chosen.columns if c not in (chosen.geometry.name, "rank")]
        columns: dict[str, Any] = {
            "rank": np.arange(1, len(order) + 1, dtype=np.int64),
            "added": gains,
            "added_share": gains / total if total > 0 else np.full(len(order), np.nan),
            "cumulative": cumulative,
            "cumulative_share": cumulative / total if total > 0 else np.full(len(order), np.nan),
        }
        if passing is not None:
            columns["passing_volume"] = passing.reindex(chosen.index).to_numpy(float)
        columns |= {
            "nearest_station": pd.Series(names, dtype=object).to_numpy(),
            "nearest_station_m": dist,
        }
        columns |= {c: chosen[c].to_numpy() for c in extra if c not in columns}
        return gpd.GeoDataFrame(
            columns, geometry=chosen.geometry.to_numpy(), crs=WGS84, index=chosen.index
        )

    def _service_areas(
        self,
        existing: gpd.GeoDataFrame,
        sites: gpd.GeoDataFrame,
        *,
        n_jobs: int,
        progress: bool,
    ) -> gpd.GeoDataFrame:
        empty = gpd.GeoDataFrame(
            {"state": pd.Series(dtype=object), "site": pd.Series(dtype=object)},
            geometry=[],
            crs=WGS84,
        )
        if not self.with_service_areas:
            return empty
        from planner.isochrones import service_areas

        frames = []
        for state, points in (("before", existing), ("after", sites)):
            if len(points) == 0:
                continue
            areas = service_areas(
                self.network,
                points,
                mode=self.mode,
                cutoff_min=self.cutoff_min,
                max_snap_m=self.max_snap_m,
                on_far="exclude",
                n_jobs=n_jobs,
                progress=progress,
            )
            areas = areas.assign(state=state, site=[str(i) for i in areas.index])
            frames.append(areas.reset_index(drop=True))
        if not frames:
            return empty
        out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
        # the reached streets enclose blocks that are reachable too: fill holes below
        # 1 km2, then a light geometry for maps (10 m in the metric CRS keeps the shape)
        metric = out.geometry.to_crs(self.network.crs).to_numpy()
        filled = [_fill_holes(g, 1e6) for g in metric]
        light = gpd.GeoSeries(filled, crs=self.network.crs).simplify(10.0).to_crs(WGS84)
        return out.set_geometry(shapely.set_precision(light.to_numpy(), 1e-6))

    # ------------------------------------------------------------------ driver homes
    def _site_homes(self, run: _Run) -> PlanResult:
        from planner.locate.flows import FlowCapture, RestIntervalCoverage

        p = 20 if run.p is None else run.p
        solver, time_limit, progress = run.solver, run.time_limit, run.progress
        notes: list[str] = []
        flows = self.flows
        existing = self._existing()
        if len(existing) == 0:
            notes.append("No existing driver homes: every route starts uncaptured.")
        candidates = self.candidates
        if candidates is None or len(candidates) == 0:
            notes.append("No candidate sites were given: no new site can be recommended.")
            candidates = gpd.GeoDataFrame(geometry=[], crs=WGS84)
        sites_all = self._sites_frame(existing, candidates)
        routes_table = flows.routes
        volumes = routes_table["volume"].to_numpy(float)
        total = float(volumes.sum())
        paths = flows.paths_gdf()
        captured_before = np.zeros(len(routes_table), dtype=bool)
        captured_after = np.zeros(len(routes_table), dtype=bool)
        # with no site at all, a route meets the rest rule when it is short enough (its
        # origin and destination count as rest places)
        hours = routes_table["time_s"].to_numpy(float) / 3600.0
        short = hours <= (self.rest_interval_h or math.inf) + 1e-12
        served_before, served_after = short.copy(), short.copy()
        covered_before = covered_after = np.zeros(len(routes_table), dtype=bool)
        locate = None
        order: list[Any] = []
        added: list[float] = []
        passing = pd.Series(np.nan, index=candidates.index)
        curve = pd.DataFrame(columns=["p", "site", "covered", "share", "bound", "gap"])
        if len(routes_table) == 0:
            notes.append("No routes: there is no truck flow to serve.")
        if len(routes_table) and len(sites_all):
            inc = flows.site_incidence(
                sites_all,
                max_snap_m=self.max_snap_m,
                detour_min=self.detour_min,
                progress=progress,
            )
            ex_labels = list(existing.index)
            eligible = inc.sites["passing_volume"].reindex(candidates.index).fillna(0.0)
            passing = eligible
            minv = self.min_volume or 0.0
            n_cand = int((eligible >= minv).sum())
            p_eff = min(p, n_cand)
            if p > n_cand:
                notes.append(
                    f"Only {n_cand} candidate sites are passed by {minv:g}+ trucks a day; "
                    f"asked for {p}."
                )
            model = FlowCapture.from_matrix(
                inc.matrix("detour_min"),
                p=p_eff,
                volumes=volumes,
                detour=self.detour_min,
                existing=ex_labels,
                min_volume=self.min_volume,
                route_index=inc.routes.index,
                site_index=inc.sites.index,
            )
            rest_model = None
            interval_h = self.rest_interval_h
            if (
                run.kind == "rest_interval"
                and interval_h is not None
                and (hours > interval_h).any()
            ):
                # routes longer than the rest interval: site for the rest rule itself
                rest_model = RestIntervalCoverage.from_matrix(
                    inc.matrix("position_h"),
                    lengths=inc.route_lengths("h"),
                    interval=interval_h,
                    p=p_eff,
                    volumes=volumes,
                    existing=ex_labels,
                    min_volume=self.min_volume,
                    route_index=inc.routes.index,
                    site_index=inc.sites.index,
                )
                notes.append(
                    f"Some routes drive longer than {self.rest_interval_h:g} h: sites are chosen "
                    "to meet the rest rule (rest-interval model); coverage counts routes "
                    "meeting it."
                )
            if rest_model is not None:
                try:
                    locate = rest_model.solve(solver=solver, time_limit=time_limit, seed=self.seed)
                except InfeasibleError as error:
                    notes.append(str(error))
                    locate = None
            else:
                locate = model.solve(solver=solver, time_limit=time_limit, seed=self.seed)
            if locate is None:
                new = pd.DataFrame({"marginal_volume": []})
                gains = np.zeros(0)
            else:
                new = locate.sites[~locate.sites["existing"].to_numpy(bool)]
                gains = new[
                    "marginal_volume" if rest_model is not None else "marginal_weight"
                ].to_numpy(float)
            keep = gains > 1e-12
            if (~keep).any() and p_eff > 0:
                notes.append(
                    "No candidate captures more trucks: every route passing an eligible site "
                    "already passes a driver home."
                    if not keep.any()
                    else f"Only {int(keep.sum())} of the {p_eff} sites asked for capture more "
                    "trucks; the rest were left out."
                )
            order = list(new.index[keep])
            added = list(gains[keep])
            detour = inc.matrix("detour_min")
            on = sp.csr_array(detour)
            site_pos = inc.sites.index

            def captured(labels: Sequence[Any]) -> np.ndarray:
                cols = np.flatnonzero(site_pos.isin(list(labels)))
                if cols.size == 0:
                    return np.zeros(on.shape[0], dtype=bool)
                sub = sp.csr_array(on[:, cols])
                data = sub.data <= self.detour_min + 1e-12
                rows = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
                hit = np.zeros(sub.shape[0], dtype=bool)
                hit[rows[data]] = True
                return hit

            captured_before = captured(ex_labels)
            captured_after = captured(ex_labels + order)
            covered_before, covered_after = captured_before, captured_after
            if self.rest_interval_h is not None:
                position = inc.matrix("position_h")
                lengths = inc.route_lengths("h")
                for flag, open_labels in ((0, ex_labels), (1, ex_labels + order)):
                    served = _rest_served(
                        RestIntervalCoverage,
                        position,
                        lengths,
                        self.rest_interval_h,
                        volumes,
                        open_labels,
                        inc,
                    )
                    if flag == 0:
                        served_before = served
                    else:
                        served_after = served
            max_p = min(max(p_eff, 5), n_cand)
            if rest_model is not None:
                covered_before, covered_after = served_before, served_after
                curve = _rest_curve(rest_model, max_p, volumes, served_before)
            elif max_p > 0 and locate is not None:
                curve = _curve(model.mclp, max_p, total, float(locate.figures["objective_before"]))
            if len(curve):
                curve["chosen"] = curve["p"] == len(order)
        sites = self._ranked_sites(
            candidates,
            existing,
            order,
            added,
            total=total,
            base=float(volumes[np.asarray(covered_before, dtype=bool)].sum()),
            passing=passing,
        )
        demand_out = gpd.GeoDataFrame(
            {
                "volume": volumes,
                "captured_before": captured_before,
                "captured_after": captured_after,
                "served_before": served_before,
                "served_after": served_after,
                "time_h": routes_table["time_s"].to_numpy(float) / 3600.0,
            },
            geometry=paths.geometry.to_numpy(),
            crs=WGS84,
            index=routes_table.index,
        )
        coverage = _coverage_table(
            demand_out["volume"],
            pd.Series(covered_before, index=demand_out.index),
            pd.Series(covered_after, index=demand_out.index),
            {},
        )
        edge_routes = _edge_routes(flows)
        return PlanResult(
            name=self.name,
            programme="driver_homes",
            parameters=self._parameters(run),
            sites=sites,
            stations=existing,
            demand=demand_out,
            coverage=coverage,
            uncovered=demand_out[~np.asarray(covered_after, dtype=bool)],
            hexes=gpd.GeoDataFrame({"weight_uncovered": []}, geometry=[], crs=WGS84),
            curve=curve,
            service_areas=gpd.GeoDataFrame(
                {"state": pd.Series(dtype=object)}, geometry=[], crs=WGS84
            ),
            routes=edge_routes,
            locate=locate,
            access=None,
            notes=tuple(notes),
            bounds=self.network.bounds,
            inputs={
                "stations": _digest(self.stations),
                "routes": _digest(routes_table),
                "candidates": _digest(self.candidates),
                "network": _network_digest(self.network),
            },
            network=self.network,
        )


def _fill_holes(geometry: Any, max_area: float) -> Any:
    """Return the polygon(s) with interior rings smaller than ``max_area`` filled."""
    if geometry is None or geometry.is_empty:
        return geometry
    parts = getattr(geometry, "geoms", [geometry])
    out = []
    for part in parts:
        if not isinstance(part, shapely.Polygon):
            continue
        holes = [r for r in part.interiors if shapely.Polygon(r).area >= max_area]
        out.append(shapely.Polygon(part.exterior, holes))
    if not out:
        return shapely.Polygon()
    return out[0] if len(out) == 1 else shapely.MultiPolygon(out)


def _rest_served(
    model_cls: Any,
    position: sp.coo_array,
    lengths: np.ndarray,
    interval: float,
    volumes: np.ndarray,
    open_labels: Sequence[Any],
    inc: Any,
) -> np.ndarray:
    """Which routes meet an open site at least every ``interval`` hours (no siting)."""
    cols = np.flatnonzero(inc.sites.index.isin(list(open_labels)))
    n = position.shape[0]
    if cols.size == 0:
        # no site at all: only routes shorter than the interval are served
        return np.asarray(lengths, dtype=float) <= interval + 1e-12
    # keep COO semantics: a route passing a site twice keeps two entries (CSR would sum them)
    coo = sp.coo_array(position)
    col_map = np.full(coo.shape[1], -1, dtype=np.int64)
    col_map[cols] = np.arange(cols.size)
    keep = col_map[coo.col] >= 0
    sub = sp.coo_array(
        (coo.data[keep], (coo.row[keep], col_map[coo.col[keep]])), shape=(n, cols.size)
    )
    model = model_cls.from_matrix(
        sub,
        lengths=lengths,
        interval=interval,
        volumes=volumes,
        existing=list(inc.sites.index[cols]),
        route_index=inc.routes.index,
        site_index=inc.sites.index[cols],
    )
    try:
        res = model.solve()
    except InfeasibleError:
        # every route has a stretch longer than the interval without an open site
        return np.zeros(n, dtype=bool)
    served = res.demand["served"].reindex(inc.routes.index).to_numpy(bool)
    assert served.shape[0] == n
    return served


def _edge_routes(flows: Any) -> gpd.GeoDataFrame:
    """Return the road edges the flows use, with their volume, as WGS84 lines."""
    volumes = flows.edge_volumes()
    if len(volumes) == 0:
        return gpd.GeoDataFrame({"volume": []}, geometry=[], crs=WGS84)
    net = flows.network
    ids = pd.Index(net.node_ids)
    u = ids.get_indexer(volumes.index.get_level_values(0))
    v = ids.get_indexer(volumes.index.get_level_values(1))
    lines = shapely.linestrings(
        np.stack(
            [np.column_stack([net.lon[u], net.lat[u]]), np.column_stack([net.lon[v], net.lat[v]])],
            axis=1,
        )
    )
    return gpd.GeoDataFrame(
        {"volume": volumes["volume"].to_numpy(float), "routes": volumes["routes"].to_numpy()},
        geometry=lines,
        crs=WGS84,
        index=volumes.index,
    )


def _trim_phases(phases: Sequence[int], n_cand: int) -> list[int]:
    """Cut the phases down to ``n_cand`` sites in all, dropping the latest first."""
    out, left = [], n_cand
    for n in phases:
        out.append(min(n, left))
        left -= out[-1]
    while out and out[-1] == 0:
        out.pop()
    return out or [0]


def _curve(model: Any, max_p: int, total: float, before: float) -> pd.DataFrame:
    """Covered weight by number of new sites (nested greedy with a proven bound)."""
    raw = model.coverage_curve(max_p, solver="fast")
    rows = [
        {
            "p": 0,
            "site": None,
            "covered": before,
            "share": before / total if total > 0 else math.nan,
            "bound": before,
            "gap": 0.0,
        }
    ]
    for k, row in raw.iterrows():
        rows.append(
            {
                "p": int(k),
                "site": row["site"],
                "covered": float(row["objective"]),
                "share": float(row["objective"]) / total if total > 0 else math.nan,
                "bound": float(row["bound"]),
                "gap": float(row["gap"]),
            }
        )
    return pd.DataFrame(rows)


def _rest_curve(
    model: Any, max_p: int, volumes: np.ndarray, served_before: np.ndarray
) -> pd.DataFrame:
    """Return the served volume by number of new sites (rest-interval model, fast solver)."""
    total = float(volumes.sum())
    before = float(volumes[served_before].sum())
    rows = [{"p": 0, "site": None, "covered": before, "share": before / total, "bound": before}]
    for k in range(1, max_p + 1):
        try:
            variant = copy.copy(model)
            variant.p = k
            res = variant.solve(solver="fast")
        except (InfeasibleError, InputError):
            break
        rows.append(
            {
                "p": k,
                "site": None,
                "covered": res.objective,
                "share": res.objective / total if total > 0 else math.nan,
                "bound": res.bound,
            }
        )
    frame = pd.DataFrame(rows)
    frame["gap"] = (frame["bound"] - frame["covered"]).clip(lower=0) / frame["covered"].where(
        frame["covered"] > 0
    )
    return frame


def _network_digest(network: RoadNetwork) -> str:
    stats = network.stats()
    text = json.dumps(
        {k: stats[k] for k in ("nodes", "edges", "bounds") if k in stats}, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ==================================================================================== demo
@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` made.

    Attributes
    ----------
    workers
        The worker-station plan.
    homes
        The driver-home plan.
    paths
        The files written, by name (``map``, ``report``, ``sites``, ``coverage``, ``run``).
    """

    workers: PlanResult
    homes: PlanResult
    paths: dict[str, Path]

    def text(self) -> str:
        """Return a printable summary: ranked sites and coverage before and after.

        Returns
        -------
        str
            Plain text for a terminal.
        """
        lines = []
        for res in (self.workers, self.homes):
            lines.append(f"== {res.name}")
            lines.append(
                f"covered {res.share_before:.1%} -> {res.share_after:.1%} of {res.unit} "
                f"({len(res.sites)} new sites; solver {res.status}, gap {res.gap:.2%})"
                if math.isfinite(res.gap)
                else f"covered {res.share_before:.1%} -> {res.share_after:.1%}"
            )
            for label, row in res.sites.iterrows():
                name, kind = row.get("name"), row.get("kind")
                title = (
                    name
                    if isinstance(name, str) and name
                    else (f"{kind} {label}" if isinstance(kind, str) else str(label))
                )
                lines.append(
                    f"  {int(row['rank']):>2}. {title:<40} +{row['added']:,.1f} "
                    f"(cumulative {row['cumulative_share']:.1%})"
                )
            lines.extend(f"  note: {n}" for n in res.notes)
        lines.append(f"map:    {self.paths['map']}")
        lines.append(f"report: {self.paths['report']}")
        return "\n".join(lines)


def demo_worker_plan(network: RoadNetwork | None = None, **overrides: Any) -> Plan:
    """Return the worker-station plan of the synthetic demo region (not yet run).

    Demand: hotspots of rider and courier stays found in the demo GPS traces,
    plus POI demand (restaurants, depots, ...); candidates: the region's public
    places (community centres, parkings, malls, ...) and the busiest hotspots.

    Parameters
    ----------
    network
        The demo network (loaded when ``None``).
    **overrides
        Any :class:`Plan` argument.

    Returns
    -------
    Plan
        The plan; call :meth:`Plan.site`.
    """
    from planner import datasets
    from planner.candidates import (
        candidates_from_hotspots,
        candidates_from_osm,
        combine_candidates,
        dedupe_candidates,
    )
    from planner.demand import (
        demand_from_hotspots,
        demand_from_osm,
        hotspots_from_stays,
        stays_from_traces,
    )

    net = network if network is not None else datasets.demo_network(modes=["ebike", "truck"])
    osm = datasets.demo_path("demo_region.osm.bz2")
    traces = datasets.demo_traces(groups=["rider", "courier"])
    hotspots = hotspots_from_stays(stays_from_traces(traces))
    stays = demand_from_hotspots(hotspots)
    pois = demand_from_osm(osm)
    pois = pois[pois["group"].isin(["rider", "courier"])]
    demand = pd.concat(
        [
            stays.set_axis([f"stays/{i}" for i in stays.index]),
            pois.set_axis([f"poi/{i}" for i in pois.index]),
        ]
    )
    demand = gpd.GeoDataFrame(demand[["weight", "group", "source", "geometry"]], crs=WGS84)
    # weight POIs like a few stays: a restaurant is a pickup point, a hotspot many riders
    candidates = dedupe_candidates(
        combine_candidates(
            candidates_from_osm(osm),
            candidates_from_hotspots(hotspots.iloc[:40]),
        ),
        radius_m=100.0,
    )
    stations = datasets.demo_stations().set_index("station_id")
    settings: dict[str, Any] = {
        "stations": stations,
        "demand": demand,
        "candidates": candidates,
        "groups": ("group", "source"),
        "name": f"Worker stations — {datasets.DEMO_LABEL}",
        "attribution": (datasets.DEMO_ATTRIBUTION,),
    }
    return Plan.worker_stations(net, **(settings | overrides))


def demo_homes_plan(network: RoadNetwork | None = None, **overrides: Any) -> Plan:
    """Return the driver-home plan of the synthetic demo region (not yet run).

    Flows: the region's truck origin-destination table routed on the truck
    network; candidates: fuel stations for heavy goods vehicles, service areas,
    logistics land and truck parkings from the demo OSM file.

    Parameters
    ----------
    network
        The demo network (loaded when ``None``).
    **overrides
        Any :class:`Plan` argument.

    Returns
    -------
    Plan
        The plan; call :meth:`Plan.site`.
    """
    from planner import datasets
    from planner.routes import driver_home_candidates, route_od

    net = network if network is not None else datasets.demo_network(modes=["ebike", "truck"])
    flows = route_od(datasets.demo_truck_trips(), net, mode="truck")
    candidates = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    stations = datasets.demo_stations().set_index("station_id")
    settings: dict[str, Any] = {
        "stations": stations,
        "flows": flows,
        "candidates": candidates,
        "name": f"Driver homes — {datasets.DEMO_LABEL}",
        "attribution": (datasets.DEMO_ATTRIBUTION,),
    }
    return Plan.driver_homes(net, **(settings | overrides))


def run_demo(
    out_dir: str | Path,
    *,
    p_workers: int = 8,
    p_homes: int = 2,
    offline: bool = True,
    tiles: str | None = None,
    progress: bool = False,
) -> DemoResult:
    """Run both programmes on the synthetic demo region and write map and report.

    Writes ``map.html`` (both programmes on one map), ``report.html``,
    ``sites.geojson``, ``coverage.csv`` and ``run.json`` into ``out_dir``, each
    file atomically.

    Parameters
    ----------
    out_dir
        Output folder (created), e.g. ``maps/demo``.
    p_workers, p_homes
        New worker stations and driver homes to recommend.
    offline
        Embed the map's JavaScript (opens without internet).
    tiles
        Basemap; ``None`` (the default: the region is invented, a real basemap
        would mislead) for none.
    progress
        Show progress bars.

    Returns
    -------
    DemoResult
        Both plans and the paths; ``.text()`` is the summary to print.
    """
    from planner import datasets

    net = datasets.demo_network(modes=["ebike", "truck"], progress=progress)
    workers = demo_worker_plan(net).site(p=p_workers, progress=progress)
    homes = demo_homes_plan(net).site(p=p_homes, progress=progress)
    paths = write_outputs(
        [workers, homes],
        out_dir,
        offline=offline,
        tiles=tiles,
        title=f"Worker stations and driver homes — {datasets.DEMO_LABEL}",
    )
    return DemoResult(workers=workers, homes=homes, paths=paths)
