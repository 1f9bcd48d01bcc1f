"""Running scenarios: inputs from a validated scenario, a :class:`~planner.plan.Plan`, outputs.

Each scenario's outputs go into one folder and nothing is ever lost there: they are
made in a temporary folder beside the target and moved in only when every file
is written; an earlier run's files move into ``previous/<time>/`` and files planner
did not write are never touched (:mod:`planner._results_folder`). A run whose
demand, candidates or routes come out empty fails with the reason and changes
nothing. A batch runs every scenario even when some fail, and says which.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import traceback
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planner import _i18n
from planner._errors import DatumWarning, InputError, OfflineError, PlannerError
from planner.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from planner.coverage import CoverageResult
    from planner.network import RoadNetwork
    from planner.plan import Plan, PlanResult
    from planner.routes import Flows

logger = logging.getLogger(__name__)

__all__ = [
    "ScenarioRun",
    "build_plan",
    "coverage_scenario",
    "run_batch",
    "run_scenario",
    "scenario_language",
]


@dataclass(frozen=True)
class ScenarioRun:
    """How one scenario of a batch ended.

    Parameters
    ----------
    source
        The scenario file.
    status
        ``"ok"``, ``"invalid"`` (the scenario or an input file is wrong) or
        ``"failed"`` (an unexpected error).
    folder
        The output folder (when ``ok``).
    message
        The error, or a one-line summary of the result.
    """

    source: str
    status: str
    folder: str | None
    message: str


def _network(scenario: Scenario, *, progress: bool) -> RoadNetwork:
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


def _demand(scenario: Scenario, network: RoadNetwork) -> gpd.GeoDataFrame | None:
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

    network = _network(scenario, progress=progress)
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
            overrides["demand"] = _demand(scenario, network)
        if not scenario["candidates"]["demo"]:
            overrides["candidates"] = _candidates(scenario, network, stations)
        return demo_worker_plan(network, **overrides)
    return Plan.worker_stations(
        network,
        stations=stations,
        demand=_demand(scenario, network),
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


def _check_inputs(scenario: Scenario, plan: Plan) -> None:
    """Refuse a run whose demand, candidates or routes came out empty: it would show nothing."""
    where = str(scenario.file) if scenario.file is not None else scenario.name
    if plan.programme == "worker_stations":
        if plan.demand is None:
            raise InputError(
                "the scenario gives no demand: there is nothing to cover.",
                file=where,
                field="[demand]",
                fix="add [demand] with areas, points, pois, osm, raster or traces "
                "(demo = true for the embedded region).",
            )
        weight = plan.demand.get("weight", None)
        total = float(weight.sum()) if weight is not None and len(weight) else 0.0
        if len(plan.demand) == 0 or not total > 0:
            raise InputError(
                f"the demand came out empty ({len(plan.demand)} points, total weight "
                f"{total:g}): there is nothing to cover.",
                file=where,
                field="[demand]",
                fix="check the demand file and its settings; see the warnings above.",
            )
    elif plan.flows is None or len(plan.flows) == 0:
        raise InputError(
            "the truck routes came out empty: there is nothing to serve.",
            file=where,
            field="[routes]",
            fix="check the OD table or the truck traces.",
        )
    if plan.candidates is None or len(plan.candidates) == 0:
        raise InputError(
            "no candidate sites: no new site can be recommended.",
            file=where,
            field="[candidates]",
            fix="add [candidates] with path, osm = true or grid_m (demo = true for the "
            "embedded region), and check their filters (min_distance_m, min_volume).",
        )


def _check_result(scenario: Scenario, result: PlanResult) -> None:
    """Refuse a result with no demand on the network: its shares would be meaningless."""
    if result.programme != "worker_stations" or "on_network" not in result.demand:
        return
    on = result.demand["on_network"].to_numpy(bool)
    if len(on) and not (result.demand["weight"].to_numpy(float)[on] > 0).any():
        raise InputError(
            f"none of the {len(on)} demand points lies within "
            f"{scenario['model']['max_snap_m']:g} m of the {scenario['model']['mode']} network.",
            file=str(scenario.file) if scenario.file is not None else scenario.name,
            field="[demand]",
            fix="check the demand's datum (gcj02 for Amap, bd09 for Baidu) and that it lies "
            "in the network's area.",
        )


def _write_area_tables(folder: Path, result: PlanResult) -> None:
    """Write ``districts.csv`` and ``communities.csv`` when the plan has them."""
    from planner._atomic import write_text

    for name in ("districts", "communities"):
        table = getattr(result, name, None)
        if table is not None:
            write_text(folder / f"{name}.csv", table.to_csv())


def _summary_extra(result: PlanResult, language: _i18n.Language = "en") -> str:
    """Return the summary line's tail: communities within the cutoff, the model that ran."""
    text = ""
    districts = getattr(result, "districts", None)
    if districts is not None and "communities" in districts:
        row = districts.loc["all"]
        before, after, n = (
            row["communities_within_before"],
            row["communities_within_after"],
            row["communities"],
        )
        text += _i18n.text("cli_communities", language, before=before, after=after, n=n)
    if result.model_note:
        model = result.model_run
        if language != "en":
            model = "+".join(_i18n.term("model", part, language) for part in model.split("+"))
        text += _i18n.text("cli_model_run", language, model=model)
    return text


def _write_manifest(folder: Path, record: dict[str, Any]) -> None:
    """Write ``scenario.json``: the record plus the list of files the run wrote."""
    from planner._results_folder import MANIFEST

    names = sorted({p.name for p in folder.iterdir()} | {MANIFEST})
    (folder / MANIFEST).write_text(
        json.dumps({**record, "outputs": names}, indent=2, ensure_ascii=False, default=str),
        encoding="utf-8",
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


def run_scenario(
    scenario: Scenario | str | Path,
    *,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    progress: bool = False,
    overwrite: bool = False,
    language: str | None = None,
    datum: str | None = None,
) -> tuple[PlanResult, Path]:
    """Run one scenario and write its outputs into one folder, losing nothing.

    The folder receives ``sites.csv``, ``sites.xlsx``, ``sites.geojson``,
    ``coverage.csv``, ``map.html``, ``report.html``, ``run.json``,
    ``scenario.json`` (the validated scenario, its hash and the list of files
    the run wrote) and ``run.log`` (what planner logged during the run). The
    files are built beside the target and moved in when complete. The files of
    an earlier run in the folder move into ``previous/<time of that run>/``;
    files planner did not write are never touched (a new file whose name one of
    them holds stops the run before it starts). An error, or demand or
    candidates that come out empty, leave the folder as it was.

    Parameters
    ----------
    scenario
        A validated :class:`Scenario`, or a scenario file.
    out_dir
        The output folder (default: the scenario's ``[output] folder``, or
        ``results/<name>`` beside the scenario file).
    scheduler
        A ``dask.distributed`` scheduler address (or client): the travel-time
        matrix is computed on that cluster; results are the same.
    threads
        Threads for the travel-time matrix and service areas (default: every
        core); results are the same with any number.
    progress
        Show progress bars.
    overwrite
        Drop the earlier run's files instead of keeping them in ``previous/``
        (files planner did not write are kept either way).
    language
        ``"en"`` or ``"zh"``, instead of the scenario's ``[output] language``.
    datum
        The sites tables' datum, instead of ``[output] datum`` (whose default
        is ``[stations] datum``).

    Returns
    -------
    tuple
        The :class:`~planner.plan.PlanResult` and the output folder.

    Raises
    ------
    InputError
        Bad inputs, demand, candidates or routes that come out empty, demand
        that lies entirely off the network, or an output folder holding files
        with the outputs' names that planner did not write.
    """
    from planner._i18n import check_language
    from planner._results_folder import check_folder, install_outputs
    from planner.outputs import write_outputs

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    target = Path(out_dir) if out_dir is not None else scenario.output_folder
    check_folder(target)
    output = scenario["output"]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes 0700 folders; results are for sharing
    # the run's own log file, beside its results
    handler = logging.FileHandler(tmp / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    package = logging.getLogger("planner")
    level = package.level
    package.addHandler(handler)
    captured = logging.getLogger("py.warnings")  # warnings, when the caller routes them here
    captured.addHandler(handler)
    if level == logging.NOTSET or level > logging.INFO:
        package.setLevel(logging.INFO)
    try:
        logger.info("scenario %s (%s), hash %s", scenario.name, scenario.file, scenario.hash)
        plan = build_plan(scenario, progress=progress)
        _check_inputs(scenario, plan)
        solver = scenario["solver"]
        model = scenario["model"]
        result = plan.site(
            p=model["p"],
            model=model["kind"],
            budget=model["budget"],
            phases=model["phases"],
            solver=solver["method"],
            time_limit=solver["time_limit_s"],
            scheduler=scheduler,
            n_jobs=threads or os.cpu_count() or 1,
            progress=progress,
        )
        _check_result(scenario, result)
        logger.info(
            "%d sites; covered %.4f -> %.4f",
            len(result.sites),
            result.share_before,
            result.share_after,
        )
        package.removeHandler(handler)
        captured.removeHandler(handler)
        handler.close()
        write_outputs(
            [result],
            tmp,
            offline=output["offline"],
            tiles=None if output["tiles"].lower() == "none" else output["tiles"],
            language=check_language(language or output["language"]),
            datum=datum or output["datum"] or scenario["stations"]["datum"],
        )
        _write_area_tables(tmp, result)
        record: dict[str, Any] = {"scenario": scenario.to_dict(), "hash": scenario.hash}
        record["file"] = str(scenario.file) if scenario.file else None
        _write_manifest(tmp, record)
        installed = install_outputs(tmp, target, keep_previous=not overwrite)
        if installed.previous is not None:
            logger.info("the earlier results moved to %s", installed.previous)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        package.removeHandler(handler)
        captured.removeHandler(handler)
        handler.close()
        package.setLevel(level)
    return result, target


def coverage_scenario(
    scenario: Scenario | str | Path,
    *,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> tuple[CoverageResult, Path]:
    """Measure who the existing stations already serve: a scenario's analysis only.

    Runs :func:`planner.coverage.coverage` on the scenario's network, stations and
    demand for every cutoff of ``[model] curve_cutoffs_min`` and writes, atomically,
    ``shares.csv`` (covered share overall and per worker group at each cutoff),
    ``points.geojson`` (every demand point's nearest station and time),
    ``uncovered.geojson`` and ``hexes.geojson`` (uncovered demand per hexagon).

    Parameters
    ----------
    scenario
        A worker-station scenario (validated, or a file).
    out_dir
        The output folder (default: the scenario's output folder + ``-coverage``).
    scheduler
        A ``dask.distributed`` scheduler address (or client) for the travel times.
    progress
        Show progress bars.
    overwrite
        Drop an earlier analysis's files instead of keeping them in ``previous/``.

    Returns
    -------
    tuple
        The :class:`~planner.coverage.CoverageResult` and the folder written.
    """
    from planner._atomic import write_text
    from planner._results_folder import check_folder, install_outputs
    from planner.coverage import coverage

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    target = (
        Path(out_dir)
        if out_dir is not None
        else scenario.output_folder.with_name(scenario.output_folder.name + "-coverage")
    )
    check_folder(target)
    if scenario.programme != "worker_stations":
        raise InputError(
            f"coverage analysis measures demand points; {scenario.file or scenario.name} is a "
            f"{scenario.programme!r} scenario.",
            field="programme",
            fix="use a worker_stations scenario, or `planner run` for driver homes.",
        )
    plan = build_plan(scenario, progress=progress)
    stations = plan.stations
    if stations is not None and plan.station_kinds and "kind" in stations:
        stations = stations[stations["kind"].isin(plan.station_kinds)]
    if stations is None or plan.demand is None:
        raise InputError(
            "coverage analysis needs [stations] and [demand].",
            file=str(scenario.file) if scenario.file else None,
            fix="add both sections (demo = true for the embedded region).",
        )
    model = scenario["model"]
    result = coverage(
        plan.network,
        stations,
        plan.demand,
        mode=model["mode"],
        cutoffs_min=tuple(model["curve_cutoffs_min"]),
        cutoff_min=model["cutoff_min"],
        groups=[g for g in ("group",) if g in plan.demand],
        max_snap_m=model["max_snap_m"],
        on_far="exclude",
        scheduler=scheduler,
        progress=progress,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)
    try:
        write_text(tmp / "shares.csv", result.shares.to_csv(index=False))
        for name in ("points", "uncovered", "hexes"):
            frame = getattr(result, name)
            write_text(tmp / f"{name}.geojson", frame.to_json(drop_id=True, na="null"))
        _write_manifest(tmp, {"scenario": scenario.to_dict(), "hash": scenario.hash})
        install_outputs(tmp, target, keep_previous=not overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result, target


def check_scheduler(address: str, *, timeout_s: float = 10.0) -> None:
    """Check that a Dask scheduler answers before any scenario starts.

    Parameters
    ----------
    address
        The scheduler's address, e.g. ``"tcp://10.0.0.5:8786"``.
    timeout_s
        How long to wait for it.

    Raises
    ------
    InputError
        When ``dask.distributed`` is missing or the scheduler does not answer.
    """
    try:
        from dask.distributed import Client
    except ImportError as error:  # pragma: no cover - dask is in the dev extra
        raise InputError(
            "--scheduler needs dask.distributed, which is not installed.",
            field="--scheduler",
            fix="pip install 'planner[dask]', or leave --scheduler out to run locally.",
        ) from error
    try:
        client = Client(address, timeout=f"{timeout_s:g}s")
    except (OSError, ValueError, TypeError) as error:
        raise InputError(
            f"no Dask scheduler answers at {address!r} ({type(error).__name__}: {error}).",
            field="--scheduler",
            fix="start one with `dask scheduler` (and `dask worker ADDRESS`), check the "
            "address and port, or leave --scheduler out to run locally.",
        ) from error
    client.close()


def scenario_language(path: str | Path | Scenario) -> _i18n.Language:
    """Return a scenario's ``[output] language`` (``"en"`` when it cannot be read).

    The command line says a scenario's summary in this language when no
    ``--language`` is given.

    Parameters
    ----------
    path
        A scenario file or a loaded scenario.

    Returns
    -------
    str
        ``"en"`` or ``"zh"``.
    """
    try:
        scenario = path if isinstance(path, Scenario) else load_scenario(path)
        return _i18n.check_language(scenario["output"]["language"])
    except PlannerError:
        return "en"


def _run_one(
    path: str,
    out_dir: str | None,
    progress: bool,
    scheduler: str | None = None,
    threads: int | None = None,
    overwrite: bool = False,
    language: str | None = None,
    datum: str | None = None,
) -> ScenarioRun:
    try:
        result, folder = run_scenario(
            path,
            out_dir=out_dir,
            scheduler=scheduler,
            threads=threads,
            progress=progress,
            overwrite=overwrite,
            language=language,
            datum=datum,
        )
    except PlannerError as error:
        return ScenarioRun(path, "invalid", None, str(error))
    except Exception as error:  # a batch reports and goes on
        logger.debug("scenario %s failed:\n%s", path, traceback.format_exc())
        return ScenarioRun(path, "failed", None, f"{type(error).__name__}: {error}")
    lang = _i18n.check_language(language or scenario_language(path))
    message = _i18n.text(
        "cli_batch_message",
        lang,
        n=len(result.sites),
        before=_i18n.percent(result.share_before, lang),
        after=_i18n.percent(result.share_after, lang),
    )
    message += _summary_extra(result, lang)
    return ScenarioRun(path, "ok", str(folder), message)


def run_batch(
    paths: Sequence[str | Path],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    overwrite: bool = False,
    language: str | None = None,
    datum: str | None = None,
) -> list[ScenarioRun]:
    """Run many scenarios; a failing one is reported and the others go on.

    Parameters
    ----------
    paths
        Scenario files.
    jobs
        Scenarios run at once (local processes).
    scheduler
        A ``dask.distributed`` scheduler address: every scenario's travel-time
        matrix is computed on that cluster.
    progress
        Show progress bars (only with ``jobs=1``).
    overwrite
        Drop earlier runs' files instead of keeping them in ``previous/``.
    language
        ``"en"`` or ``"zh"`` for every scenario's outputs and summary line
        (default: each scenario's ``[output] language``, for its summary too).
    datum
        The sites tables' datum for every scenario (default: each scenario's).

    Returns
    -------
    list of ScenarioRun
        One per scenario, in the order given.
    """
    if jobs < 1:
        raise InputError(f"jobs must be 1 or more, got {jobs}.", field="jobs")
    names = [str(p) for p in paths]
    if language is not None:
        from planner._i18n import check_language

        check_language(language)
    if datum is not None:
        from planner.crs import normalize_datum

        datum = normalize_datum(datum)
    if jobs == 1 or len(names) == 1:
        return [
            _run_one(name, None, progress, scheduler, None, overwrite, language, datum)
            for name in names
        ]
    n = len(names)
    threads = max(1, (os.cpu_count() or 1) // jobs)  # the cores shared between the scenarios
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(
            pool.map(
                _run_one,
                names,
                [None] * n,
                [False] * n,
                [scheduler] * n,
                [threads] * n,
                [overwrite] * n,
                [language] * n,
                [datum] * n,
            )
        )
