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
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner import _i18n
from planner._errors import InputError, PlannerError
from planner._scenario_plan import build_plan
from planner.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from planner.coverage import CoverageResult
    from planner.plan import Plan, PlanResult

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
        The error, or a one-line summary of the result (and a second line
        saying where the earlier results moved, when they did).
    """

    source: str
    status: str
    folder: str | None
    message: str


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
    if _no_new_sites(scenario):
        # p = 0: today's coverage by the existing sites; candidates are not needed
        if plan.stations is None or len(plan.stations) == 0:
            raise InputError(
                "p = 0 measures today's coverage by the existing sites, but the scenario "
                "gives none: there is nothing to measure.",
                file=where,
                field="[stations]",
                fix="add [stations] (demo = true for the embedded region), or ask for new "
                "sites with p = <number>.",
            )
        return
    if plan.candidates is None or len(plan.candidates) == 0:
        raise InputError(
            "no candidate sites: no new site can be recommended.",
            file=where,
            field="[candidates]",
            fix="add [candidates] with path, osm = true or grid_m (demo = true for the "
            "embedded region), and check their filters (min_distance_m, min_volume).",
        )


def _no_new_sites(scenario: Scenario) -> bool:
    """Whether the scenario asks for no new site (``p = 0``, or phases of 0 sites)."""
    model = scenario["model"]
    if model["budget"] is not None or model["kind"] == "lscp":
        return False
    if model["phases"] is not None:
        return sum(model["phases"]) == 0
    return model["p"] == 0


def _skipped_outputs(scenario: Scenario) -> dict[str, str]:
    """Return the outputs the scenario's ``[output]`` asks not to write, with the reason."""
    output = scenario["output"]
    return {
        f"{key}.html": f"[output] {key} = false" for key in ("map", "report") if not output[key]
    }


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
    scheduler_timeout_s: float | None = None,
) -> tuple[PlanResult, Path]:
    """Run one scenario and write its outputs into one folder, losing nothing.

    The folder receives ``sites.csv``, ``sites.xlsx``, ``sites.geojson``,
    ``coverage.csv``, ``map.html`` and ``report.html`` (unless ``[output] map``
    or ``report`` is ``false``: ``run.json``'s ``outputs.skipped``, ``scenario.json``
    and ``run.log`` then say so), ``run.json``,
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
        matrix is computed on that cluster; results are the same. It is reached
        before any input is read.
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
    scheduler_timeout_s
        With ``scheduler``: seconds allowed to reach it and find a worker, and
        for a cluster that stops answering or loses its workers during the run;
        then a :class:`~planner._errors.SchedulerError`, never a hang. ``None``:
        Dask's ``distributed.comm.timeouts.connect`` setting (30 s by default).

    Returns
    -------
    tuple
        The :class:`~planner.plan.PlanResult` and the output folder.

    Raises
    ------
    InputError
        Bad inputs, demand, candidates or routes that come out empty (candidates
        may be missing with ``p = 0``, which measures the existing stations),
        demand that lies entirely off the network, or an output folder holding
        files with the outputs' names that planner did not write; a
        :class:`~planner._errors.SchedulerError` when the cluster does not answer.
    """
    result, folder, _ = _run_in_folder(
        scenario,
        out_dir,
        scheduler=scheduler,
        scheduler_timeout_s=scheduler_timeout_s,
        threads=threads,
        progress=progress,
        overwrite=overwrite,
        language=language,
        datum=datum,
    )
    return result, folder


def _run_in_folder(
    scenario: Scenario | str | Path,
    out_dir: str | Path | None,
    *,
    scheduler: Any,
    scheduler_timeout_s: float | None,
    **options: Any,
) -> tuple[PlanResult, Path, Path | None]:
    """Run as :func:`run_scenario`; also return where the earlier results moved (or None)."""
    from planner._results_folder import check_folder

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    target = Path(out_dir) if out_dir is not None else scenario.output_folder
    check_folder(target)
    with _cluster(scheduler, scheduler_timeout_s) as client:
        return _run_scenario(scenario, target, scheduler=client, **options)


@contextlib.contextmanager
def _cluster(scheduler: Any, timeout_s: float | None) -> Iterator[Any]:
    """Connect to ``scheduler`` once, before any work, every wait bounded by ``timeout_s``.

    Yields the client (``None`` without a scheduler). With ``timeout_s``, Dask's
    connect timeout is that many seconds inside the block, so the waits of the
    run on this client are bounded by it too (:mod:`planner._dask`).
    """
    if scheduler is None:
        yield None
        return
    import dask

    from planner._dask import dask_client, timeout_seconds

    seconds = timeout_seconds(timeout_s)
    client, own = dask_client(scheduler, timeout_s=seconds)
    try:
        if timeout_s is None:
            yield client
        else:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{seconds:g}s"}):
                yield client
    finally:
        if own:
            client.close()


def _run_scenario(
    scenario: Scenario,
    target: Path,
    *,
    scheduler: Any,
    threads: int | None,
    progress: bool,
    overwrite: bool,
    language: str | None,
    datum: str | None,
) -> tuple[PlanResult, Path, Path | None]:
    """Run a scenario on a connected client (or locally); see :func:`run_scenario`.

    Returns the result, the folder, and where the earlier results moved (or None).
    """
    from planner._i18n import check_language
    from planner._results_folder import install_outputs
    from planner.outputs import write_outputs

    output = scenario["output"]
    skipped = _skipped_outputs(scenario)
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
            mip_gap=solver["mip_gap"],
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
        for name, reason in skipped.items():
            logger.info("%s not written: %s", name, reason)
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
            progress=progress,
            skip=skipped,
        )
        _write_area_tables(tmp, result)
        record: dict[str, Any] = {"scenario": scenario.to_dict(), "hash": scenario.hash}
        record["file"] = str(scenario.file) if scenario.file else None
        record["skipped"] = skipped
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
    return result, target, installed.previous


def coverage_scenario(
    scenario: Scenario | str | Path,
    *,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    overwrite: bool = False,
    scheduler_timeout_s: float | None = None,
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
    scheduler_timeout_s
        With ``scheduler``: every wait on the cluster is bounded by it (see
        :func:`run_scenario`).

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
    with _cluster(scheduler, scheduler_timeout_s) as client:
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
            scheduler=client,
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
        When ``dask.distributed`` is missing; a
        :class:`~planner._errors.SchedulerError` (an ``InputError``) when nothing
        answers as a Dask scheduler with a worker within ``timeout_s`` (a port that
        accepts connections and stays silent included).
    """
    try:
        import dask.distributed  # noqa: F401
    except ImportError as error:  # pragma: no cover - dask is in the dev extra
        raise InputError(
            "--scheduler needs dask.distributed, which is not installed.",
            field="--scheduler",
            fix="pip install 'planner[dask]', or leave --scheduler out to run locally.",
        ) from error
    from planner._dask import connect_scheduler

    connect_scheduler(address, timeout_s=timeout_s, field="--scheduler").close()


def scenario_language(path: str | Path | Scenario) -> _i18n.Language:
    """Return a scenario's ``[output] language`` (``"en"`` when it states none).

    The command line says a scenario's summary, and its input errors, in this
    language when no ``--language`` is given. A file is read as plain TOML for
    it, without loading the scenario (whose inputs may be what is wrong), so a
    scenario that does not load (a misspelled key, a missing file) has its
    errors said in its language too.

    Parameters
    ----------
    path
        A scenario file or a loaded scenario.

    Returns
    -------
    str
        ``"en"`` or ``"zh"``.
    """
    if isinstance(path, Scenario):
        return _i18n.check_language(path["output"]["language"])
    import tomllib

    try:
        with open(str(path), "rb") as f:
            stated = tomllib.load(f).get("output", {}).get("language")
    except (OSError, ValueError, AttributeError):
        return "en"
    return "zh" if stated == "zh" else "en"


def _run_one(
    path: str,
    out_dir: str | None,
    progress: bool,
    scheduler: str | None = None,
    threads: int | None = None,
    overwrite: bool = False,
    language: str | None = None,
    datum: str | None = None,
    scheduler_timeout_s: float | None = None,
) -> ScenarioRun:
    try:
        result, folder, previous = _run_in_folder(
            path,
            out_dir,
            scheduler=scheduler,
            scheduler_timeout_s=scheduler_timeout_s,
            threads=threads,
            progress=progress,
            overwrite=overwrite,
            language=language,
            datum=datum,
        )
    except PlannerError as error:
        lang = _i18n.check_language(language or scenario_language(path))
        return ScenarioRun(path, "invalid", None, _i18n.error_text(error, lang))
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
    if previous is not None:
        message += "\n" + _i18n.text("cli_previous", lang, path=str(previous))
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
    scheduler_timeout_s: float | None = None,
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
    scheduler_timeout_s
        With ``scheduler``: every wait on the cluster is bounded by it (see
        :func:`run_scenario`).

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
            _run_one(
                name,
                None,
                progress,
                scheduler,
                None,
                overwrite,
                language,
                datum,
                scheduler_timeout_s,
            )
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
                [scheduler_timeout_s] * n,
            )
        )
