"""The demo runs: both programmes on the synthetic demo region; driver homes on the province.

:func:`demo_worker_plan` and :func:`demo_homes_plan` build the demo region's two
plans (not yet run); :func:`province_homes_plan` builds the synthetic province's
driver-home programme (100 homes over five years, 20 a year, a subsidy per home).
:func:`run_demo` runs a region's plans and writes the output folder (what
``planner demo [--region province]`` does). The demo depends on
:mod:`planner.plan`, never the other way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from planner.crs import WGS84
from planner.outputs import write_outputs
from planner.plan import Plan, PlanResult

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = [
    "PROVINCE_DETOUR_MIN",
    "PROVINCE_PHASES",
    "PROVINCE_SUBSIDY",
    "DemoResult",
    "demo_homes_plan",
    "demo_worker_plan",
    "province_homes_plan",
    "run_demo",
]

#: The province programme: new homes per phase (five years, 20 a year) ...
PROVINCE_PHASES: tuple[int, ...] = (20, 20, 20, 20, 20)
#: ... the subsidy paid for each new home (yuan; an invented figure) ...
PROVINCE_SUBSIDY = 200_000.0
#: ... and the detour (minutes off the route) a driver makes to reach a home.
PROVINCE_DETOUR_MIN = 10.0


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` made.

    Attributes
    ----------
    workers
        The worker-station plan (``None`` for the province, which has none).
    homes
        The driver-home plan.
    paths
        The files written, by name (``map``, ``report``, ``sites``, ``coverage``, ``run``).
    """

    workers: PlanResult | None
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
        for res in (r for r in (self.workers, self.homes) if r is not None):
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
            if res.phases is not None and len(res.phases) > 2:
                for _, row in res.phases.iterrows():
                    lines.append(
                        f"  {row['state']:<14} {int(row['homes']):>3} homes, rest rule met by "
                        f"{row['served_share']:.1%} of trucks, {int(row['gaps'])} gaps "
                        f"({row['trucks_in_gaps']:,.0f} trucks/day)"
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


def province_homes_plan(network: RoadNetwork | None = None, **overrides: Any) -> Plan:
    """Return the driver-home programme of the synthetic province (not yet run).

    Flows: the province's truck origin-destination table (40,001 trucks a day,
    2 to 12 hours of driving) routed on the truck network; candidates: service
    areas, fuel stations for heavy goods vehicles, truck parkings and logistics
    parks from its OSM file, eligible where 30+ trucks a day pass; existing homes
    fixed; a rest at least every 4 hours of driving; a home reached within
    :data:`PROVINCE_DETOUR_MIN` minutes off a route counts; every new home costs
    :data:`PROVINCE_SUBSIDY`. Run it with ``.site(phases=PROVINCE_PHASES)``.

    Parameters
    ----------
    network
        The province's network (loaded when ``None``).
    **overrides
        Any :class:`Plan` argument.

    Returns
    -------
    Plan
        The plan; call :meth:`Plan.site`.
    """
    from planner import datasets
    from planner.routes import driver_home_candidates, route_od

    net = network if network is not None else datasets.province_network()
    flows = route_od(datasets.province_truck_trips(), net, mode="truck")
    candidates = driver_home_candidates(datasets.province_path("province.osm.bz2"))
    settings: dict[str, Any] = {
        "stations": datasets.province_stations(),
        "flows": flows,
        "candidates": candidates,
        "detour_min": PROVINCE_DETOUR_MIN,
        "subsidy_per_home": PROVINCE_SUBSIDY,
        "name": f"Driver homes — {datasets.PROVINCE_LABEL}",
        "attribution": (datasets.PROVINCE_ATTRIBUTION,),
    }
    return Plan.driver_homes(net, **(settings | overrides))


def run_demo(
    out_dir: str | Path,
    *,
    region: str = "demo",
    p_workers: int = 8,
    p_homes: int = 2,
    offline: bool = True,
    tiles: str | None = None,
    progress: bool = False,
    language: Literal["en", "zh"] = "en",
    datum: str | None = None,
) -> DemoResult:
    """Run a synthetic region's programmes and write map and report.

    ``region="demo"``: both programmes on the synthetic demo region (one map);
    ``region="province"``: the synthetic province's driver-home programme (100
    homes over five years, 20 a year). Writes ``map.html``, ``report.html``,
    ``sites.geojson``, ``coverage.csv`` and ``run.json`` into ``out_dir``, each
    file atomically.

    Parameters
    ----------
    out_dir
        Output folder (created), e.g. ``maps/demo``.
    region
        ``"demo"`` or ``"province"``.
    p_workers, p_homes
        New worker stations and driver homes to recommend (demo region).
    offline
        Embed the map's JavaScript (opens without internet).
    tiles
        Basemap; ``None`` (the default: the region is invented, a real basemap
        would mislead) for none.
    progress
        Show progress bars.
    language
        ``"en"`` or ``"zh"``: report, tables, map labels and the plans' titles.
    datum
        The sites tables' datum beside WGS84 (default WGS84: the region's own).

    Returns
    -------
    DemoResult
        Both plans and the paths; ``.text()`` is the summary to print.
    """
    from planner import datasets
    from planner._errors import InputError

    if region == "province":
        zh = language == "zh"
        label = "合成演示省份" if zh else datasets.PROVINCE_LABEL
        name = f"司机之家——{label}" if zh else f"Driver homes — {label}"
        homes = province_homes_plan(datasets.province_network(progress=progress), name=name).site(
            phases=list(PROVINCE_PHASES), progress=progress
        )
        paths = write_outputs(
            [homes],
            out_dir,
            offline=offline,
            tiles=tiles,
            title=f"五年司机之家建设规划——{label}"
            if zh
            else f"Driver homes over five years — {label}",
            language=language,
            datum=datum,
            progress=progress,
        )
        return DemoResult(workers=None, homes=homes, paths=paths)
    if region != "demo":
        raise InputError(
            f"unknown region {region!r}.", field="region", fix="use 'demo' or 'province'."
        )
    net = datasets.demo_network(modes=["ebike", "truck"], progress=progress)
    zh = language == "zh"
    label = "合成演示区域" if zh else datasets.DEMO_LABEL
    names = (
        ("户外劳动者服务站", "司机之家", "户外劳动者服务站与司机之家")
        if zh
        else ("Worker stations", "Driver homes", "Worker stations and driver homes")
    )
    sep = "——" if zh else " — "
    workers = demo_worker_plan(net, name=f"{names[0]}{sep}{label}").site(
        p=p_workers, progress=progress
    )
    homes = demo_homes_plan(net, name=f"{names[1]}{sep}{label}").site(p=p_homes, progress=progress)
    paths = write_outputs(
        [workers, homes],
        out_dir,
        offline=offline,
        tiles=tiles,
        title=f"{names[2]}{sep}{label}",
        language=language,
        datum=datum,
        progress=progress,
    )
    return DemoResult(workers=workers, homes=homes, paths=paths)
