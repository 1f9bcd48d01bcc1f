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
        name: str = "Siting plan",
        seed: int = 0,
        service_areas: bool = True,
        hex_size_m: float = 500.0,
        max_snap_m: float = 500.0,
        attribution: Sequence[str] = (OSM_ATTRIBUTION,),
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
        self.detour_min = float(detour_min)
        self.name = name
        self.seed = int(seed)
        self.with_service_areas = bool(service_areas)
        self.hex_size_m = float(hex_size_m)
        self.max_snap_m = float(max_snap_m)
        self.attribution = tuple(attribution)
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
        kinds = KINDS_BY_PROGRAMME[self.programme]
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
        run = SiteRun(
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
            return site_homes(self, run)
        return site_workers(self, run, curve_max_p=curve_max_p)
