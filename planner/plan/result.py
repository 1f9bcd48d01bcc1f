"""The outcome of one siting study: :class:`PlanResult`, its tables, maps and files.

A :class:`PlanResult` holds every table a planner reads (sites, coverage,
uncovered demand, hexagons, the coverage curve, service areas) as GeoDataFrames
keyed by the input indexes. Its maps come from :mod:`planner.maps` and its files
from :mod:`planner.outputs`, both imported when asked for: presentation depends
on plans, not the other way.
"""

from __future__ import annotations

import html
import json
import math
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._road_names import nearest_road_names
from planner._stages import Stage, stage_dicts
from planner.crs import WGS84
from planner.plan._tables import ALLOCATION_COLUMNS, allocation_by_site, nearest_open
from planner.presets import Programme

if TYPE_CHECKING:
    import folium

    from planner.access import AccessMatrix, NodeAccess
    from planner.locate import LocateResult
    from planner.network import RoadNetwork

__all__ = ["LaterAreas", "PlanResult", "merged_areas_frame"]


def merged_areas_frame(parts: Sequence[gpd.GeoDataFrame] = ()) -> gpd.GeoDataFrame:
    """Return :attr:`PlanResult.service_areas_merged` from its rows (none: empty).

    Each part is one row indexed by its state with ``cutoff_min``, ``mode``,
    ``area_km2``, ``sites`` (the sites with an area in the state) and a geometry in
    EPSG:4326 (other columns are dropped).
    """
    if len(parts):
        frame = gpd.GeoDataFrame(pd.concat(list(parts)), crs=WGS84)
    else:
        frame = gpd.GeoDataFrame(
            {
                "cutoff_min": pd.Series(dtype=float),
                "mode": pd.Series(dtype=object),
                "area_km2": pd.Series(dtype=float),
                "sites": pd.Series(dtype=np.int64),
            },
            geometry=[],
            crs=WGS84,
        )
    frame = gpd.GeoDataFrame(
        frame[["cutoff_min", "mode", "area_km2", "sites", "geometry"]], crs=WGS84
    )
    frame.index.name = "state"
    return frame


@dataclass(frozen=True, eq=False)
class LaterAreas:
    """Per-site service areas of a study, some states left to trace on first use.

    Attributes
    ----------
    traced
        The rows of the states traced at once.
    states
        The states left (``"before"``, ``"after"``).
    trace
        Returns the whole per-site frame (the traced rows and the states left).
    """

    traced: gpd.GeoDataFrame
    states: tuple[str, ...]
    trace: Callable[[], gpd.GeoDataFrame]


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
        New sites in rank order (EPSG:4326, candidate index): ``rank``, (driver
        homes) ``reason`` (``"rest interval"`` or ``"flow capture"``: which model
        chose it) and ``passing_volume`` (trucks a day passing it), ``phase`` with
        phases, ``cost`` with costs,
        ``added`` (demand weight, or trucks a day, the site adds given the sites
        ranked before it), ``added_share``, ``cumulative``, ``cumulative_share``
        (covered share of all demand with the existing stations), ``nearest_station``,
        ``nearest_station_m`` (straight line), the candidate's columns.
    stations
        The existing stations that count (EPSG:4326, their index); driver homes
        also get ``passing_volume`` (trucks a day passing each home).
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
        (existing stations) or ``"after"`` (new sites). A state of more than 500
        sites (a city's stations) is traced on first use of this attribute, not by
        :meth:`Plan.site`: the map draws such a state's merged area only
        (:attr:`service_areas_merged`), and no file holds the polygons. The
        polygons are the same either way; ``parameters["service_areas_on_use"]``
        names the states left for later.
    service_areas_merged
        The area within ``cutoff_min`` of any site of a state, one row per state
        (index ``state``: ``"before"``, ``"after"``; a state without sites has no
        row): ``cutoff_min``, ``mode``, ``area_km2`` (the merged band's area, holes
        not filled), ``sites`` (the state's sites with an area) and the polygon
        (EPSG:4326). Traced at once around every street
        the state's sites reach, with the same map-scale settings as
        :attr:`service_areas`, it is their union (blocks enclosed by the streets
        of several sites together filled too) without a polygon union; the map
        draws it. Empty for driver homes and without service areas.
    routes
        Driver homes: road edges used by the flows with ``volume`` (trucks a day).
    locate
        The siting model's raw result (solver, status, gap, figures).
    access
        Worker stations: the travel times (seconds) by demand node
        (:class:`~planner.access.NodeAccess`; ``access.to_matrix()`` expands it
        to one row per point, for small studies).
    notes
        Plain sentences on anything unusual (empty inputs, everything covered...).
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` of the network.
    communities
        Worker stations with demand from community areas: one row per community
        (``district``, ``weight``, ``share_before``/``share_after`` of its weight
        within the cutoff, ``within_before``/``within_after``: at least
        ``parameters["within_share"]`` of it covered); None otherwise.
    districts
        Worker stations with ``areas`` or communities: one row per district and a
        last row ``all``: ``communities``, ``communities_within_before``/``_after``,
        ``communities_share_before``/``_after``, ``weight``,
        ``weight_share_before``/``_after``, ``stations_existing``, ``stations_new``,
        ``stations_after`` (and ``min_stations``); None otherwise.
    off_network
        Existing stations and candidates left out because they lie farther
        than ``max_snap_m`` from the network: ``role`` (``"station"`` or
        ``"candidate"``), ``site`` (label), ``name`` and ``distance_m``.
    inputs
        Short hashes of the inputs (for ``run.json``).
    network
        The road network the plan was made on.
    model_run
        The model(s) whose solutions chose the new sites, e.g. ``"MCLP"``,
        ``"RestIntervalCoverage"``, ``"RestIntervalCoverage+FlowCapture"`` (the
        rest rule chose some homes, flow capturing the rest) or ``"FlowCapture"``;
        empty when nothing was solved. The model *asked for* is
        ``parameters["model"]``. ``run.json`` writes it as ``solver.model``.
    model_note
        Empty when the model that ran is the one asked for; otherwise a sentence
        saying what ran instead and why (e.g. no trip drives longer than the rest
        interval, so the rest rule cannot tell homes apart and flow capturing chose
        them). It is also in :attr:`notes` and in ``run.json`` (``solver.model_note``).
    phases
        Driver homes: one row per phase, after it (phase 0: existing homes only;
        a plan without phases has phases 0 and 1): ``state`` (``"before"``,
        ``"after phase k"``, ``"after"``), ``new_homes``, ``homes`` (open in all),
        ``cost`` (of the phase's new homes; NaN without costs), ``served`` and
        ``served_share`` (trucks a day whose every stretch of driving between rest
        places is within the rest interval), ``captured`` and ``captured_share``
        (trucks a day passing a home), ``gaps`` (stretches longer than the
        interval), ``trucks_in_gaps`` (trucks a day summed over those stretches),
        ``routes_with_gaps``, ``longest_gap_h``. ``None`` for worker stations.
    gaps
        Driver homes: every stretch longer than the rest interval with no home
        (a *gap*), for each ``state`` of :attr:`phases`: ``route``, ``start_h``,
        ``end_h`` (hours of driving from the route's origin), ``hours``,
        ``volume`` (the route's trucks a day), the driven path as geometry.
    gap_roads
        Driver homes: the road edges driven inside gaps, per ``state``: ``u``,
        ``v`` (OSM ids), ``volume`` (trucks a day driving the edge inside a gap),
        line geometry (the map's "rest gaps" layers).
    solves
        Driver homes: one row per model solve (several per phase when the rest
        rule and flow capturing both chose homes): ``phase``, ``model``, ``homes``
        (chosen), ``solver``, ``status``, ``objective``, ``bound``, ``gap``,
        ``seconds``.
    stages
        The stages of the run and their wall times (``name``, ``seconds``): read,
        snap, access, solve, coverage, service areas (worker stations).
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
    # the per-site service areas, or those traced and what traces the rest on first use
    _service_areas: gpd.GeoDataFrame | LaterAreas = field(repr=False)
    routes: gpd.GeoDataFrame | None
    locate: LocateResult | None
    access: AccessMatrix | NodeAccess | None
    notes: tuple[str, ...]
    bounds: tuple[float, float, float, float]
    inputs: dict[str, str | None] = field(default_factory=dict)
    network: RoadNetwork | None = field(default=None, repr=False)
    communities: pd.DataFrame | None = None
    districts: pd.DataFrame | None = None
    off_network: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"role": [], "site": [], "name": [], "distance_m": []}
        ).astype({"distance_m": float}),
        repr=False,
    )
    model_run: str = ""
    model_note: str = ""
    phases: pd.DataFrame | None = field(default=None, repr=False)
    gaps: gpd.GeoDataFrame | None = field(default=None, repr=False)
    gap_roads: gpd.GeoDataFrame | None = field(default=None, repr=False)
    solves: pd.DataFrame | None = field(default=None, repr=False)

    stages: tuple[Stage, ...] = ()
    service_areas_merged: gpd.GeoDataFrame = field(default_factory=merged_areas_frame, repr=False)

    def __post_init__(self) -> None:
        # who each open site serves, and where the new sites are: columns of `sites`
        allocation = self._allocate()
        sites = self.sites.copy()
        for column in ALLOCATION_COLUMNS:
            sites[column] = allocation[column].reindex(sites.index).to_numpy()
        if "nearest_road" not in sites:
            names: list[str | None] = [None] * len(sites)
            dist = np.full(len(sites), np.nan)
            if self.network is not None and len(sites):
                names, dist = nearest_road_names(sites, self.network, max_distance_m=1000.0)
            sites["nearest_road"] = pd.Series(names, index=sites.index, dtype=object)
            sites["nearest_road_m"] = dist
        object.__setattr__(self, "sites", sites)
        object.__setattr__(self, "_allocation", allocation)

    def _allocate(self) -> pd.DataFrame:
        """Per open site (existing, then new): what it serves (see :attr:`allocation`)."""
        labels = pd.Index(list(self.stations.index) + list(self.sites.index))
        empty = pd.DataFrame(
            {
                "alloc_weight": np.full(len(labels), np.nan),
                "alloc_points": pd.array([pd.NA] * len(labels), dtype="Int64"),
                "alloc_mean_min": np.full(len(labels), np.nan),
                "alloc_max_min": np.full(len(labels), np.nan),
            },
            index=labels,
        )
        if self.programme == "worker_stations":
            if self.access is None or "weight" not in self.demand:
                return empty
            cutoff = float(self.parameters.get("cutoff_min") or math.inf)
            site, time = nearest_open(self.access, list(labels), cutoff)
            if {"site", "time_min"} <= set(self.demand.columns):
                demand = self.demand.copy()
                demand["site"] = site.reindex(demand.index).to_numpy(object)
                demand["time_min"] = time.reindex(demand.index).to_numpy(float)
                object.__setattr__(self, "demand", demand)
            weights = self.demand["weight"].reindex(site.index).fillna(0.0)
            return allocation_by_site(site, time, weights, labels)
        table = self.locate.demand if self.locate is not None else None
        if table is None or not {"site", "time", "weight"} <= set(table.columns):
            return empty  # rest-interval coverage: a route is served by a chain of stops
        covered = table["covered"].to_numpy(bool) if "covered" in table else None
        site = table["site"].where(covered) if covered is not None else table["site"]
        site = site.where(site.isin(labels))
        return allocation_by_site(site, table["time"], table["weight"], labels)

    # ------------------------------------------------------------------ figures
    @property
    def service_areas(self) -> gpd.GeoDataFrame:
        """Polygons within ``cutoff_min`` of each site (see the class docstring).

        A state left for later (a city's stations) is traced here, once, with the
        settings and the progress bar of the run.
        """
        areas = self._service_areas
        if isinstance(areas, LaterAreas):
            areas = areas.trace()
            object.__setattr__(self, "_service_areas", areas)
        return areas

    def service_areas_of(self, state: Literal["before", "after"]) -> gpd.GeoDataFrame:
        """Return the rows of :attr:`service_areas` of one state.

        A state traced by :meth:`Plan.site` is read without tracing the states left
        for first use (the map draws a city's new sites one by one, and its
        existing stations as one merged area).
        """
        areas = self._service_areas
        if isinstance(areas, LaterAreas) and state not in areas.states:
            areas = areas.traced
        else:
            areas = self.service_areas
        return areas[areas["state"] == state]

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
    def allocation(self) -> gpd.GeoDataFrame:
        """What every open site serves: existing stations first, then the new sites in rank order.

        Each demand point (worker stations) goes to its nearest open site within
        the cutoff; each truck route (driver homes, flow capturing) to the open
        site it passes with the least detour. Columns: ``status``
        (``"existing"`` or ``"new"``), ``rank`` (new sites), ``name``, ``kind``,
        ``alloc_weight`` (demand weight, or trucks a day, it serves),
        ``alloc_points`` (demand points or routes), ``alloc_mean_min`` (travel
        time, or detour, in minutes, weighted by demand) and ``alloc_max_min``
        (the longest). When the rest-interval model ran, a route is served by a
        chain of stops rather than by one site: the ``alloc_*`` columns are
        empty. The same ``alloc_*`` columns are in :attr:`sites`.
        """
        alloc: pd.DataFrame = self.__dict__["_allocation"]
        parts = []
        for status, frame in (("existing", self.stations), ("new", self.sites)):
            part = pd.DataFrame(
                {
                    "status": status,
                    "rank": frame["rank"].to_numpy() if "rank" in frame else np.nan,
                    "name": frame["name"].to_numpy(object) if "name" in frame else None,
                    "kind": frame["kind"].to_numpy(object) if "kind" in frame else None,
                },
                index=frame.index,
            )
            part = part.join(alloc.loc[~alloc.index.duplicated()].reindex(frame.index))
            parts.append(gpd.GeoDataFrame(part, geometry=frame.geometry.to_numpy(), crs=4326))
        out = gpd.GeoDataFrame(pd.concat(parts), crs=4326)
        out["rank"] = out["rank"].astype("Int64")
        return out

    @property
    def input_datum(self) -> str:
        """The datum the inputs' coordinates were given in (``"wgs84"`` when not recorded).

        :func:`planner.io.read_stations` (and the other readers) record it in
        ``GeoDataFrame.attrs["datum"]``; the stations decide, then the candidates.
        """
        for frame in (self.stations, self.sites):
            datum = frame.attrs.get("datum")
            if datum:
                return str(datum)
        return "wgs84"

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
        if self.phases is not None and len(self.phases):
            first, last = self.phases.iloc[0], self.phases.iloc[-1]
            rows["gaps before (stretches, trucks/day)"] = (
                f"{int(first['gaps'])}, {first['trucks_in_gaps']:,.0f}"
            )
            rows["gaps after (stretches, trucks/day)"] = (
                f"{int(last['gaps'])}, {last['trucks_in_gaps']:,.0f}"
            )
        if self.model_run:
            rows["model asked"] = self.parameters.get("model")
            rows["model run"] = self.model_run
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

        info: dict[str, Any] = {
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
            "stages": stage_dicts(self.stages),
        }
        if self.locate is not None:
            solver: dict[str, Any] = {
                "model": self.model_run or self.locate.model,
                "model_asked": self.parameters.get("model"),
                "model_note": self.model_note,
                "solver": self.locate.solver,
                "reason": self.locate.reason,
                "status": self.locate.status,
                "objective": self.locate.objective,
                "bound": self.locate.bound,
                "gap": self.locate.gap,
                "seconds": round(self.locate.seconds, 3),
            }
            if self.solves is not None and len(self.solves):
                solver["solves"] = self.solves.to_dict(orient="records")
            info["solver"] = solver
        if self.phases is not None:
            info["phases"] = self.phases.to_dict(orient="records")
        from planner.outputs import json_default

        return json.loads(json.dumps(info, default=json_default))

    def to_files(
        self,
        folder: str | Path,
        *,
        offline: bool = True,
        tiles: str | None = "OpenStreetMap",
        language: Literal["en", "zh"] = "en",
        datum: str | None = None,
    ) -> dict[str, Path]:
        """Write the output folder: sites tables, GeoJSON, coverage, map, report, run record.

        ``sites.csv`` and ``sites.xlsx`` (recommended sites and existing stations
        for people: rank, name, address or nearest named road, what each adds and
        serves, coordinates in ``datum`` and in WGS84), ``sites.geojson`` (WGS84),
        ``coverage.csv``, ``map.html``, ``report.html`` and ``run.json``. Each file
        is written whole or not at all (a temporary file renamed); the same inputs
        and seed give the same bytes, except ``run.json``'s time and durations.

        Parameters
        ----------
        folder
            Output folder (created).
        offline
            Embed the map's JavaScript and CSS (the map opens without internet).
        tiles
            Basemap, or ``None`` for none.
        language
            ``"en"`` or ``"zh"``: the report, the tables' headers and the map's labels.
        datum
            ``"wgs84"``, ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu): the
            coordinates of the sites tables beside WGS84. Default: the datum the
            stations were read in (:attr:`input_datum`).

        Returns
        -------
        dict of str to Path
            The files written, by name.
        """
        # outputs come after plans (plan -> outputs -> report): imported here, not above
        from planner.outputs import write_outputs

        return write_outputs(
            [self], folder, offline=offline, tiles=tiles, language=language, datum=datum
        )
