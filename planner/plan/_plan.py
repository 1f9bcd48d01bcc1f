"""The :class:`Plan` of one siting study: its inputs and settings, checked once.

:meth:`Plan.site` validates how to site (``p``, budget, phases, model) and hands
the study to its programme: :func:`planner.plan._workers.site_workers` or
:func:`planner.plan._homes.site_homes`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd

from planner._errors import InputError
from planner.maps import OSM_ATTRIBUTION
from planner.plan._areas import check_areas
from planner.plan._homes import site_homes
from planner.plan._inputs import SiteRun, site_costs, wgs84_points
from planner.plan._workers import site_workers
from planner.plan.result import PlanResult
from planner.presets import DRIVER_HOMES, KINDS_BY_PROGRAMME, WORKER_STATIONS, Preset, Programme

if TYPE_CHECKING:
    from dask.distributed import Client

    from planner.network import RoadNetwork
    from planner.routes import Flows

__all__ = ["Plan"]


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
        Driver-home settings (see :class:`Preset`): a rest at least every
        ``rest_interval_h`` hours of driving; candidates passed by fewer than
        ``min_volume`` trucks a day are not eligible; a home reached within
        ``detour_min`` minutes off a route counts for it.
    subsidy_per_home
        Driver homes: the same cost for every new home (e.g. the fixed subsidy of
        a provincial programme, in yuan), used by ``site(budget=...)`` and reported
        per phase; instead of a ``cost`` column.
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
    areas
        Worker stations: districts (or streets) as polygons, any CRS: coverage,
        communities within the cutoff and stations are reported per district
        (``PlanResult.districts``), and ``min_per_area`` applies to them.
    area_name
        The column of ``areas`` naming each district (default: its index).
    min_per_area
        At least this many stations (existing + new) in every district of
        ``areas`` (MCLP with ``p``); a district with fewer candidates than it
        still needs raises :class:`~planner.InfeasibleError` with the numbers.
    within_share
        A community (the ``area`` of demand from
        :func:`~planner.demand.demand_from_areas`) counts as within the cutoff
        when at least this share of its weight is covered (default one half).

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
        flows: Flows | None = None,
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
        subsidy_per_home: float | None = None,
        name: str = "Siting plan",
        seed: int = 0,
        service_areas: bool = True,
        hex_size_m: float = 500.0,
        max_snap_m: float = 500.0,
        attribution: Sequence[str] = (OSM_ATTRIBUTION,),
        areas: gpd.GeoDataFrame | None = None,
        area_name: str | None = None,
        min_per_area: int | None = None,
        within_share: float = 0.5,
    ) -> None:
        started = time.perf_counter()
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
        self.stations = wgs84_points(stations, "stations")
        self.demand = wgs84_points(demand, "demand")
        self.candidates = wgs84_points(candidates, "candidates")
        self.flows = flows
        self.mode = mode
        self.cutoff_min = float(cutoff_min)
        self.groups = tuple(groups)
        self.weight = weight
        self.station_kinds = tuple(station_kinds)
        self.cost = cost
        if cost is not None and self.candidates is not None and len(self.candidates):
            site_costs(self.candidates, cost)
        self.rest_interval_h = rest_interval_h
        self.min_volume = min_volume
        if not (math.isfinite(detour_min) and detour_min >= 0):
            raise InputError(
                f"detour_min must be a number of minutes >= 0, got {detour_min!r}.",
                field="detour_min",
            )
        self.detour_min = float(detour_min)
        if subsidy_per_home is not None:
            if not (math.isfinite(subsidy_per_home) and subsidy_per_home > 0):
                raise InputError(
                    f"subsidy_per_home must be a number > 0, got {subsidy_per_home!r}.",
                    field="subsidy_per_home",
                )
            if programme != "driver_homes":
                raise InputError(
                    "subsidy_per_home is the cost of a new driver home.",
                    field="subsidy_per_home",
                    fix="give worker-station costs as a candidates' column with cost='cost'.",
                )
            if cost is not None:
                raise InputError(
                    "give either a cost column (cost=...) or subsidy_per_home, not both.",
                    field="subsidy_per_home",
                )
        self.subsidy_per_home = None if subsidy_per_home is None else float(subsidy_per_home)
        self.name = name
        self.seed = int(seed)
        self.with_service_areas = bool(service_areas)
        self.hex_size_m = float(hex_size_m)
        self.max_snap_m = float(max_snap_m)
        self.attribution = tuple(attribution)
        check_areas(areas, area_name)
        if min_per_area is not None:
            if isinstance(min_per_area, bool) or int(min_per_area) != min_per_area:
                raise InputError(
                    f"min_per_area must be a whole number >= 0, got {min_per_area!r}.",
                    field="min_per_area",
                )
            if min_per_area < 0:
                raise InputError("min_per_area must be 0 or more.", field="min_per_area")
            if areas is None:
                raise InputError(
                    "min_per_area needs the districts it applies to.",
                    field="areas",
                    fix="pass areas=geopandas.read_file('districts.geojson').",
                )
        if not (0 < within_share <= 1):
            raise InputError(
                f"within_share must be a share above 0 and at most 1, got {within_share!r}.",
                field="within_share",
            )
        self.areas = areas
        self.area_name = area_name
        self.min_per_area = None if min_per_area is None else int(min_per_area)
        self.within_share = float(within_share)
        #: seconds spent checking and converting the inputs (the run's "read" stage)
        self.read_seconds = time.perf_counter() - started

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
            "subsidy_per_home": preset.subsidy_per_home,
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
    def site(
        self,
        p: int | None = None,
        *,
        model: str | None = None,
        budget: float | None = None,
        phases: Sequence[int] | None = None,
        solver: Literal["auto", "exact", "fast"] = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        curve_max_p: int | None = None,
        n_jobs: int = 1,
        scheduler: str | Client | None = None,
        progress: bool = False,
    ) -> PlanResult:
        """Recommend new sites and measure what they add.

        Sites that would add nothing (everything reachable is already covered)
        are not recommended; the notes say so.

        Parameters
        ----------
        p
            Number of **new** sites (default 20 when neither ``budget`` nor
            ``phases`` is given); existing stations or homes are fixed and not
            counted. Driver homes: every new home counts, those the rest rule
            needs and those flow capturing adds.
        model
            Worker stations: ``"mclp"`` (default: the ``p`` sites, budget or
            phases covering the most demand) or ``"lscp"`` (the fewest sites, or
            least total ``cost``, covering all coverable demand; no ``p``).
            Driver homes: ``"rest_interval"`` (default: the homes serving the most
            trucks with a rest at least every ``rest_interval_h`` hours; homes left
            over once every truck that can be served is served go where the most
            trucks pass, and when no route is longer than the interval the rule is
            met without homes and flow capturing chooses them all: the result's
            ``model_run`` and ``model_note`` say so) or ``"flow_capture"`` (the
            most trucks passing a home).
        budget
            Total cost allowed for new sites, instead of ``p``; site costs come
            from the candidates' ``cost`` column, or (driver homes)
            ``subsidy_per_home`` (see :class:`Plan`).
        phases
            New sites per phase, e.g. ``[20, 20, 20, 20, 20]`` for 20 a year;
            each phase keeps the earlier phases' sites. The sites table gets a
            ``phase`` column (1-based); driver homes also get per-phase figures in
            ``PlanResult.phases``.
        solver
            ``"exact"`` (HiGHS), ``"fast"`` (greedy + swaps with a proven bound)
            or ``"auto"``.
        time_limit
            Solver time limit in seconds (per phase).
        mip_gap
            Relative gap at which the exact solver (HiGHS) may stop, from 0
            (default: prove the optimum) up to but excluding 1; ``1e-4`` stops
            within 0.01 % of the proven bound. The result's solver gap says what
            was reached.
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
        kinds = KINDS_BY_PROGRAMME[self.programme]
        kind = kinds[0] if model is None else model
        if kind not in kinds:
            raise InputError(
                f"model {kind!r} does not fit the {self.programme} programme.",
                field="model",
                fix=f"use one of {', '.join(map(repr, kinds))}.",
            )
        if p is not None and (int(p) != p or p < 0):
            raise InputError(f"`p` must be a whole number >= 0; got {p}.", field="p")
        if isinstance(mip_gap, bool) or not (isinstance(mip_gap, int | float) and 0 <= mip_gap < 1):
            raise InputError(
                f"`mip_gap` must be a fraction from 0 (inclusive) to 1; got {mip_gap!r}.",
                field="mip_gap",
                fix="pass e.g. mip_gap=1e-4 (stop within 0.01 %), or 0 to prove the optimum.",
            )
        if p == 0 and self.min_per_area:
            raise InputError(
                "p = 0 adds no site, so no district can be brought up to min_per_area.",
                field="min_per_area",
                fix="give p=<number of new sites>, or leave min_per_area out to measure "
                "today's coverage.",
            )
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
            if self.cost is None and self.subsidy_per_home is None:
                raise InputError(
                    "`budget` needs site costs.",
                    field="cost",
                    fix="name the candidates' cost column with Plan(..., cost='cost')"
                    + (
                        ", or give Plan(..., subsidy_per_home=...)."
                        if self.programme == "driver_homes"
                        else "."
                    ),
                )
            if self.programme == "driver_homes" and phases is not None:
                raise InputError(
                    "give either `phases` or `budget`, not both.",
                    field="budget",
                    fix="drop budget=...; with subsidy_per_home the phases' costs are reported.",
                )
        if kind == "lscp" and (p is not None or budget is not None):
            raise InputError(
                "the lscp model chooses how many sites are needed: it takes no p, "
                "budget or phases.",
                field="p",
                fix="drop p/budget/phases, or use model='mclp'.",
            )
        if self.min_per_area and (kind != "mclp" or budget is not None or phases is not None):
            raise InputError(
                "min_per_area works with model='mclp' and a number of new sites p.",
                field="min_per_area",
                fix="give p=... (no budget or phases), or leave min_per_area out.",
            )
        if p is None and budget is None and kind != "lscp":
            p = 20
        run = SiteRun(
            kind=kind,
            p=None if p is None else int(p),
            budget=budget,
            phases=None if phases is None else tuple(phases),
            solver=solver,
            time_limit=time_limit,
            mip_gap=float(mip_gap),
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=progress,
        )
        if self.programme == "driver_homes":
            return site_homes(self, run)
        return site_workers(self, run, curve_max_p=curve_max_p)
