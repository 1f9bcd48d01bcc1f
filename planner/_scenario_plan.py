"""From a validated scenario to a Plan: its network, stations, demand, candidates, routes.

Every table a scenario names is read here with the reader options of its
section (datum, columns, sheet, encoding), so that :mod:`planner.batch` only runs
plans and writes their folders.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planner._errors import DatumWarning, InputError, OfflineError
from planner.scenario import Scenario

if TYPE_CHECKING:
    from planner.network import RoadNetwork
    from planner.plan import Plan
    from planner.routes import Flows

logger = logging.getLogger(__name__)


def scenario_network(scenario: Scenario, *, progress: bool) -> RoadNetwork:
    from planner import datasets
    from planner.network import (
        network_from_bbox,
        network_from_graphml,
        network_from_osm,
        network_from_place,
    )

    spec = scenario["network"]
    modes = spec["modes"] or [scenario["model"]["mode"]]
    if spec["demo"]:
        return datasets.demo_network(modes=modes, progress=progress)
    if spec["osm"] is not None:
        return network_from_osm(spec["osm"], modes=modes, progress=progress)
    if spec["graphml"] is not None:
        return network_from_graphml(spec["graphml"], modes=modes, progress=progress)
    key = "place" if spec["place"] is not None else "bbox"
    try:
        if spec["place"] is not None:
            return network_from_place(
                spec["place"],
                modes=modes,
                cache_dir=spec["cache_dir"],
                timeout=spec["timeout_s"],
                progress=progress,
            )
        return network_from_bbox(
            tuple(spec["bbox"]),
            modes=modes,
            cache_dir=spec["cache_dir"],
            timeout=spec["timeout_s"],
            progress=progress,
        )
    except OfflineError as error:
        where = scenario.file or scenario.name
        raise OfflineError(
            f"{where}: [network] {key} = {spec[key]!r} needs internet. {error}"
        ) from error


@contextlib.contextmanager
def _datum_stated(scenario: Scenario, section: str) -> Iterator[None]:
    """Turn a reader's datum warning into the scenario error ``[section] datum``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatumWarning)
        try:
            yield
        except DatumWarning as warning:
            raise InputError(
                f"{warning}",
                file=str(scenario.file) if scenario.file else None,
                field=f"[{section}] datum",
                fix=f'add datum = "wgs84", "gcj02" or "bd09" to [{section}].',
            ) from warning


def _index_by_id(frame: gpd.GeoDataFrame, column: str | None) -> gpd.GeoDataFrame:
    """Label rows by their (checked, unique) id, so results name stations by it."""
    if column is None or column not in frame.columns:
        return frame
    return frame.set_index(column, drop=False).rename_axis(None)


def _stations(scenario: Scenario, network: RoadNetwork) -> gpd.GeoDataFrame | None:
    from planner import datasets
    from planner.io import read_stations

    spec = scenario["stations"]
    if spec["demo"]:
        return datasets.demo_stations().set_index("station_id")
    if spec["path"] is None:
        return None
    with _datum_stated(scenario, "stations"):
        stations = read_stations(
            spec["path"],
            id_column=spec["id"],
            **_table_options(spec),
            area=network.area(buffer_m=scenario["model"]["max_snap_m"]),
        )
    return _index_by_id(stations, spec["id"])


def _table_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return the reader options every table section has (see planner.scenario)."""
    return {k: spec[k] for k in ("lon", "lat", "datum", "crs", "layer", "sheet", "encoding")}


def _read_areas(path: Path, *, id_column: str | None, label_field: str) -> gpd.GeoDataFrame:
    """Read area polygons, indexed by their name or id column when one is given or found."""
    try:
        areas = gpd.read_file(path)
    except Exception as error:  # pyogrio raises its own errors for unreadable files
        raise InputError(
            f"cannot read the areas ({type(error).__name__}: {error}).",
            file=str(path),
            field=label_field,
            fix="give polygons as GeoJSON, GeoPackage or Shapefile.",
        ) from error
    if areas.crs is None:
        areas = areas.set_crs(4326)  # GeoJSON without a crs member is lon/lat
    column = id_column
    if column is None:
        column = next(
            (c for c in ("name", "名称", "id", "code") if c in areas and areas[c].is_unique), None
        )
    elif column not in areas:
        raise InputError(
            f"no column {column!r}; the columns are {list(areas.columns)}.",
            file=str(path),
            field=label_field,
        )
    if column is not None:
        areas = areas.set_index(areas[column].astype(str))
        areas.index.name = column
    return areas


def scenario_demand(scenario: Scenario, network: RoadNetwork) -> gpd.GeoDataFrame | None:
    """Read the scenario's demand; a source that yields nothing is an InputError naming why."""
    from planner.demand import (
        demand_along_roads,
        demand_from_amap,
        demand_from_areas,
        demand_from_hotspots,
        demand_from_osm,
        demand_from_points,
        demand_from_raster,
        hotspots_from_stays,
        stays_from_traces,
    )
    from planner.io import read_points, read_traces

    spec = scenario["demand"]
    mode = scenario["model"]["mode"]
    max_snap = scenario["model"]["max_snap_m"]
    area = network.area(buffer_m=max_snap)
    source = spec["source"]
    if source == "traces":
        with _datum_stated(scenario, "demand"):
            traces = read_traces(
                spec["traces"],
                driver=spec["driver"],
                time=spec["time"],
                tz=spec["tz"],
                **_table_options(spec),
            )
        # the scenario's column names, or planner's names the reader gave the found ones
        stays = stays_from_traces(
            traces,
            driver=spec["driver"] or "driver_id",
            time=spec["time"] or "time",
            max_distance_m=spec["stay_distance_m"],
            min_duration_min=spec["stay_minutes"],
            tz=spec["tz"],
            area=area,
            label=str(spec["traces"]),
        )
        if len(stays) == 0:
            key = spec["driver"] or "driver_id"
            drivers = traces[key].nunique() if key in traces else len(traces)
            raise InputError(
                f"the traces hold no stay: none of the {drivers:,} "
                f"drivers stayed within {spec['stay_distance_m']:g} m for "
                f"{spec['stay_minutes']:g} minutes or more ({len(traces):,} fixes).",
                file=str(spec["traces"]),
                field="[demand] traces",
                fix="check the time column and time zone, or lower stay_minutes / raise "
                "stay_distance_m; or give demand another way (areas, points, pois).",
            )
        demand = demand_from_hotspots(hotspots_from_stays(stays, eps_m=spec["hotspot_eps_m"]))
        demand.attrs["notes"] = _dropped_fixes_notes(stays, str(spec["traces"]))
        return demand
    if source == "points":
        with _datum_stated(scenario, "demand"):
            points = read_points(spec["points"], **_table_options(spec), area=area)
        if len(points) == 0:
            raise InputError(
                "the points table has no rows.", file=str(spec["points"]), field="[demand] points"
            )
        weight = spec["weight"] if spec["weight"] in points else 1.0
        return demand_from_points(
            points,
            weight=weight,
            group=spec["worker_group"],
            group_field=spec["group"],
            source="user",
            label=Path(spec["points"]).name,
        )
    if source == "osm":
        return demand_from_osm(spec["osm"])
    if source == "amap":
        return demand_from_amap(
            spec["amap"],
            typecode=spec["typecode"],
            datum=spec["datum"] if spec["datum"] != "wgs84" else "gcj02",
            lon=spec["lon"],
            lat=spec["lat"],
            area=area,
        )
    if source == "areas":
        areas = _read_areas(spec["areas"], id_column=spec["area_id"], label_field="[demand] areas")
        buildings = None
        if spec["buildings"] is not None:
            buildings = gpd.read_file(spec["buildings"])
        return demand_from_areas(
            areas,
            network,
            value=spec["population"],
            group=spec["worker_group"],
            group_field=spec["group"],
            mode=mode,
            datum=spec["datum"],
            spread=spec["spread"],
            buildings=buildings,
            label=Path(spec["areas"]).name,
        )
    if source == "raster":
        return demand_from_raster(
            spec["raster"],
            network,
            mode=mode,
            band=spec["band"],
            group=spec["worker_group"],
            max_distance_m=max_snap,
            scale=spec["scale"],
        )
    if source == "roads":
        return demand_along_roads(
            network, mode=mode, per_km=spec["per_km"], group=spec["worker_group"]
        )
    return None


def _districts(scenario: Scenario) -> dict[str, Any]:
    """Plan settings for districts: ``[model] areas`` (or the demand's areas) and min_per_area."""
    from planner.demand import areas_to_wgs84

    model, demand = scenario["model"], scenario["demand"]
    path = model["areas"]
    datum = model["areas_datum"]
    if path is None and demand["areas"] is not None and model["min_per_area"] is not None:
        path = demand["areas"]
        datum = datum or demand["datum"]
    if path is None:
        return {}
    areas = _read_areas(path, id_column=model["area_name"], label_field="[model] areas")
    polys = areas_to_wgs84(areas, datum=datum or "wgs84", label=Path(path).name)
    districts = gpd.GeoDataFrame(
        {"name": areas.index.astype(str)}, geometry=polys.to_numpy(), crs=4326
    )
    return {
        "areas": districts,
        "area_name": "name",
        "min_per_area": model["min_per_area"],
        "within_share": model["within_share"],
    }


def _candidates(
    scenario: Scenario, network: RoadNetwork, stations: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame | None:
    from planner.candidates import (
        candidates_from_grid,
        candidates_from_osm,
        candidates_from_points,
        combine_candidates,
        dedupe_candidates,
        filter_candidates,
    )
    from planner.io import read_candidates

    spec = scenario["candidates"]
    homes = scenario.programme == "driver_homes"
    parts = []
    if spec["path"] is not None:
        with _datum_stated(scenario, "candidates"):
            read = read_candidates(
                spec["path"],
                id_column=spec["id"],
                **_table_options(spec),
                area=network.area(buffer_m=scenario["model"]["max_snap_m"]),
            )
        parts.append(candidates_from_points(read))
    osm = spec["osm"]
    if osm:
        source = Path(osm) if isinstance(osm, str) else scenario["network"]["osm"]
        if source is None:
            raise InputError(
                "[candidates] osm = true reads the scenario's OSM file, but [network] has none.",
                field="[candidates] osm",
                fix="give the OSM file: osm = 'extract.osm.pbf'.",
            )
        if isinstance(osm, str) and scenario.file is not None and not source.is_absolute():
            source = scenario.file.parent / source
        if homes:
            from planner.candidates import driver_home_candidates

            # driver homes: service areas, fuel for trucks, truck parking, logistics land
            parts.append(driver_home_candidates(source))
        else:
            parts.append(candidates_from_osm(source))
    if spec["grid_m"] is not None:
        parts.append(candidates_from_grid(network.area(), spacing_m=spec["grid_m"]))
    if not parts:
        return None
    found = combine_candidates(*parts) if len(parts) > 1 else parts[0]
    if spec["min_distance_m"] > 0 and stations is not None and len(stations):
        found = filter_candidates(found, existing=stations, min_distance_m=spec["min_distance_m"])
    if spec["dedupe_m"] > 0:
        found = dedupe_candidates(found, radius_m=spec["dedupe_m"])
    return found


def build_plan(scenario: Scenario, *, progress: bool = False) -> Plan:
    """Read a scenario's inputs and return its (not yet run) :class:`~planner.plan.Plan`.

    Sections marked ``demo = true`` take the embedded demo region's inputs, as
    ``planner demo`` does; the others read the named files with planner's
    validating readers.

    Parameters
    ----------
    scenario
        A validated scenario.
    progress
        Show progress bars.

    Returns
    -------
    planner.plan.Plan
        The plan; call ``.site(p=...)``.
    """
    from planner.datasets.demo import demo_worker_plan
    from planner.plan import Plan

    network = scenario_network(scenario, progress=progress)
    model = scenario["model"]
    settings: dict[str, Any] = {
        "mode": model["mode"],
        "cutoff_min": model["cutoff_min"],
        "name": scenario.name,
        "seed": scenario.seed,
        "max_snap_m": model["max_snap_m"],
    }
    if scenario["candidates"]["cost"] is not None:
        settings["cost"] = scenario["candidates"]["cost"]
    if scenario.programme == "worker_stations":
        settings |= _districts(scenario)
        settings["within_share"] = model["within_share"]
    if scenario.programme == "driver_homes":
        return _homes_plan(scenario, network, settings)
    stations = _stations(scenario, network)
    if scenario["demand"]["demo"] or scenario["candidates"]["demo"] or scenario["stations"]["demo"]:
        overrides = dict(settings)
        if not scenario["stations"]["demo"]:
            overrides["stations"] = stations
        if not scenario["demand"]["demo"]:
            overrides["demand"] = scenario_demand(scenario, network)
        if not scenario["candidates"]["demo"]:
            overrides["candidates"] = _candidates(scenario, network, stations)
        return demo_worker_plan(network, **overrides)
    return Plan.worker_stations(
        network,
        stations=stations,
        demand=scenario_demand(scenario, network),
        candidates=_candidates(scenario, network, stations),
        **settings,
    )


def _homes_plan(scenario: Scenario, network: RoadNetwork, settings: dict[str, Any]) -> Plan:
    """Return the driver-home plan: the scenario's routes, candidates, homes (or the demo's)."""
    from planner.datasets.demo import demo_homes_plan
    from planner.plan import Plan

    model = scenario["model"]
    settings = dict(settings)
    settings["rest_interval_h"] = model["interval_h"]
    settings["detour_min"] = model["detour_min"]
    if model["subsidy_per_home"] is not None:
        settings["subsidy_per_home"] = model["subsidy_per_home"]
    if scenario["candidates"]["min_volume"] > 0:
        settings["min_volume"] = scenario["candidates"]["min_volume"]
    inputs: dict[str, Any] = {}
    if not scenario["stations"]["demo"]:
        stations = _stations(scenario, network)
        id_column = scenario["stations"]["id"]
        if stations is not None and id_column in stations.columns:
            stations = stations.set_index(id_column)  # homes keep their own ids
        inputs["stations"] = stations
    if not scenario["candidates"]["demo"]:
        inputs["candidates"] = _candidates(scenario, network, inputs.get("stations"))
    if not scenario["routes"]["demo"]:
        inputs["flows"] = _flows(scenario, network)
    osm = scenario["network"]["osm"]
    readme = Path(osm).with_name("README.md") if osm is not None else None
    if (
        readme is not None
        and readme.is_file()
        and readme.read_text(encoding="utf-8").startswith("# Synthetic province")
    ):
        from planner.datasets import PROVINCE_ATTRIBUTION

        # the synthetic province is invented: never credit OpenStreetMap for it
        settings["attribution"] = (PROVINCE_ATTRIBUTION,)
    if any(scenario[s]["demo"] for s in ("stations", "candidates", "routes")):
        return demo_homes_plan(network, **(settings | inputs))
    return Plan.driver_homes(network, **(settings | inputs))


def _flows(scenario: Scenario, network: RoadNetwork) -> Flows:
    from planner.io import read_traces
    from planner.routes import match_traces, route_od

    spec = scenario["routes"]
    mode = scenario["model"]["mode"]
    if spec["od"] is not None:
        path = Path(spec["od"])
        table = pd.read_csv(path) if path.suffix.lower() in (".csv", ".gz") else gpd.read_file(path)
        return route_od(table, network, mode=mode)
    if spec["traces"] is not None:
        with _datum_stated(scenario, "routes"):
            traces = read_traces(
                spec["traces"],
                driver=spec["driver"],
                time=spec["time"],
                tz=spec["tz"],
                **_table_options(spec),
            )
        matched = match_traces(
            traces,
            network,
            mode=mode,
            driver=spec["driver"] or "driver_id",
            time=spec["time"] or "time",
        )
        if matched.flows is None:
            raise InputError(
                "no trip in the truck traces could be matched to the network.",
                file=str(spec["traces"]),
                fix="check the datum and that the traces lie on the network.",
            )
        return matched.flows
    raise InputError(
        "a driver-homes scenario needs truck routes.",
        field="[routes]",
        fix="add [routes] with od = 'trips.csv', traces = 'gps.csv' or demo = true.",
    )


def _dropped_fixes_notes(stays: gpd.GeoDataFrame, label: str) -> list[str]:
    """Sentences for the plan's notes on the GPS fixes dropped before finding stays."""
    dropped = stays.attrs.get("dropped_fixes", {})
    from planner._i18n import say

    notes: list[str] = []
    if dropped.get("impossible_jumps"):
        notes.append(
            say("n_dropped_jumps", label=label, k=dropped["impossible_jumps"], n=dropped["fixes"])
        )
    if dropped.get("outside_area"):
        notes.append(
            say("n_dropped_outside", label=label, k=dropped["outside_area"], n=dropped["fixes"])
        )
    return notes
