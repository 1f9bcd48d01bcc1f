"""The ``planner`` command line.

Commands hold no logic of their own: each one calls the public API and prints
or writes what it returns. Logging handlers are configured here, never in the
library.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from planner._errors import InputError, PlannerError
from planner._i18n import Language

app = typer.Typer(
    name="planner",
    help="Site worker stations and driver homes on real road networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or tables.")]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Also print the log's INFO lines (English: inputs' hashes, points left out); "
        "a scenario run keeps them in its run.log either way.",
    ),
]
OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Drop the earlier run's files in the output folder instead of keeping them in "
        "previous/<time>/ (files planner did not write are never touched).",
    ),
]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        "--language",
        "-l",
        metavar="en|zh",
        help="Language of the report, tables, map and this summary (zh: Chinese).",
    ),
]
DatumOption = Annotated[
    str | None,
    typer.Option(
        "--datum",
        metavar="wgs84|gcj02|bd09",
        help="Coordinates of sites.csv/sites.xlsx beside WGS84 (gcj02: Amap; bd09: Baidu). "
        "Default: the stations' datum.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Compute travel-time matrices on this Dask cluster (tcp://host:8786).",
    ),
]

SchedulerTimeoutOption = Annotated[
    float,
    typer.Option(
        "--scheduler-timeout",
        metavar="SECONDS",
        min=0.1,
        help="With --scheduler: seconds allowed to reach the cluster and find a worker, and "
        "for a cluster that stops answering or loses its workers during the run; then exit "
        "code 2 saying what was wrong.",
    ),
]


def _configure_logging(quiet: bool, verbose: bool) -> None:
    # warnings go through logging: shown unless --quiet, and kept in each run's run.log;
    # the INFO lines (English; the summary says their figures in the run's language)
    # only with --verbose
    logging.captureWarnings(True)
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    # the handler's own level: a run raises planner's loggers to INFO for its run.log,
    # which must not reach the terminal under --quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", handlers=[handler]
    )


def _progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _pad(words: str, width: int) -> str:
    """Pad to ``width`` terminal columns (a Chinese character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in words)
    return words + " " * max(width - used, 0)


def _print_stats(stats: dict[str, Any], language: Language = "en") -> None:
    from planner._i18n import number, term, text

    def num(value: Any, decimals: int = 0) -> str:
        return number(value, language, decimals=decimals)

    typer.echo(text("net_source", language, source=stats["source"]))
    typer.echo(
        text(
            "net_size",
            language,
            nodes=num(stats["nodes"]),
            edges=num(stats["edges"]),
            km=num(stats["road_km"], 1),
            area=num(stats["area_km2"], 1),
        )
    )
    dropped = stats["dropped"]
    typer.echo(
        text(
            "net_dropped",
            language,
            nodes=num(dropped["nodes"]),
            edges=num(dropped["edges"]),
            parts=num(dropped["components"]),
        )
    )
    typer.echo(text("net_header", language))
    for name, mode in stats["modes"].items():
        typer.echo(
            text(
                "net_row",
                language,
                mode=_pad(term("mode", name, language), 10) if language != "en" else name,
                nodes=num(mode["usable_nodes"]),
                edges=num(mode["edges"]),
                km=num(mode["km"], 1),
            )
        )
    top = sorted(stats["road_km_by_class"].items(), key=lambda kv: -kv[1])[:8]
    classes = text("list_comma", language).join(
        f"{term('highway', k, language) if language != 'en' else k} {num(v, 1)}" for k, v in top
    )
    typer.echo(text("net_by_class", language, classes=classes))


def _echo_error(error: PlannerError, language: Language) -> None:
    """Print ``error: <error>`` to stderr, in ``language`` (English as the error says it)."""
    from planner._i18n import error_text, text

    typer.echo(text("err_prefix", language) + error_text(error, language), err=True)


def _runs_language(files: Sequence[Path], language: str | None) -> Language:
    """Return the language of ``run``'s status words and closing count.

    ``--language`` if given; else the scenarios' ``[output] language`` when they all
    agree (every scenario in Chinese: the count in Chinese); else English. A scenario
    file that cannot be read counts as English.
    """
    from planner._i18n import check_language
    from planner.batch import scenario_language

    if language is not None:
        return check_language(language)
    found = {scenario_language(path) for path in files}
    return found.pop() if len(found) == 1 else "en"


def _check_output_options(language: str | None, datum: str | None) -> Language:
    """Check --language and --datum before any work; return the summary's language."""
    from planner._i18n import check_language
    from planner.crs import normalize_datum

    try:
        if datum is not None:
            normalize_datum(datum)
        return check_language(language or "en")
    except PlannerError as error:
        _echo_error(error, "zh" if language == "zh" else "en")
        raise typer.Exit(EXIT_BAD_INPUT) from error


@app.command()
def demo(
    out: Annotated[Path | None, typer.Option(help="Output folder (default maps/<region>).")] = None,
    region: Annotated[
        str,
        typer.Option(
            help="'demo': both programmes on the synthetic city region; 'province': the "
            "synthetic province's driver-home programme (100 homes over five years)."
        ),
    ] = "demo",
    language: LanguageOption = None,
    datum: DatumOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Run the embedded synthetic regions' programmes; write map and report.

    --region demo (default): worker stations (rider and courier demand, 15
    minutes by e-bike, existing stations fixed) and driver homes (truck flows on
    the corridor, a rest at least every 4 hours). --region province: driver homes
    on a synthetic province of ten cities (trips of 2-12 hours, a rest at least
    every 4 hours, candidates with 30+ trucks a day, 20 homes a year for five
    years). Prints network statistics, the ranked sites and the coverage before
    and after, and writes map.html, report.html, sites.geojson, sites.csv, sites.xlsx,
    coverage.csv and run.json.

    Examples: planner demo --region province --out maps/province;
    planner demo --language zh
    """
    from planner.datasets.demo import run_demo
    from planner.report import summary_text

    lang = _check_output_options(language, datum)
    _configure_logging(quiet, verbose)
    if region not in ("demo", "province"):
        typer.echo(f"error: unknown region {region!r}; use 'demo' or 'province'.", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        result = run_demo(
            out or Path("maps") / region,
            region=region,
            progress=_progress(quiet),
            language=lang,
            datum=datum,
        )
    except PlannerError as error:
        _echo_error(error, lang)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    plans = [r for r in (result.workers, result.homes) if r is not None]
    if not quiet and plans[0].network is not None:
        _print_stats(plans[0].network.stats(), lang)
    typer.echo(summary_text(plans, language=lang, paths=result.paths))


@app.command()
def network(
    path: Annotated[Path, typer.Argument(help="OSM (.osm, .osm.bz2, .osm.pbf) or GraphML file.")],
    modes: Annotated[
        list[str] | None, typer.Option("--mode", "-m", help="Travel mode (repeatable).")
    ] = None,
    graphml: Annotated[Path | None, typer.Option(help="Save the network as GraphML.")] = None,
    map_html: Annotated[
        Path | None, typer.Option("--map", help="Write a map of the roads.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print statistics as JSON.")] = False,
    language: LanguageOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Load a road network, print its statistics, optionally convert it or map it.

    Example: planner network futian.osm.pbf --mode ebike --graphml futian.graphml
    (--language zh: the statistics and the map's labels in Chinese).
    """
    from planner.maps import network_map, save_map
    from planner.network import network_from_graphml, network_from_osm

    lang = _check_output_options(language, None)
    _configure_logging(quiet, verbose)
    try:
        loader = network_from_graphml if path.suffix.lower() == ".graphml" else network_from_osm
        net = loader(path, modes=modes or None, progress=_progress(quiet))
        stats = net.stats()
        if graphml is not None:
            net.to_graphml(graphml)
        if map_html is not None:
            save_map(network_map(net, title=path.name, language=lang), map_html, offline=True)
    except PlannerError as error:
        _echo_error(error, lang)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    if json_out:
        typer.echo(json.dumps(stats, indent=2))
    elif not quiet:
        _print_stats(stats, lang)


@app.command()
def validate(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files (.toml) or folders of them.")
    ],
    language: LanguageOption = None,
) -> None:
    """Check scenario files and their input files without running them.

    Every input file is opened and a sample of its rows checked (headers,
    coordinates, CRS and datum, ids, weights, hours, timestamps, emptiness);
    no network is built. Every problem is listed: file, row, field or key, fix.
    Exit code 0 when all are valid, 2 otherwise.

    Each line is in --language, else in the scenario's [output] language.

    Example: planner validate examples/
    """
    from planner._i18n import error_text, text
    from planner.batch import scenario_language
    from planner.scenario import check_inputs, load_scenario, scenario_files

    chosen = _check_output_options(language, None) if language is not None else None
    try:
        files = scenario_files(scenarios)
    except PlannerError as error:
        _echo_error(error, chosen or "en")
        raise typer.Exit(EXIT_BAD_INPUT) from error
    bad = 0
    for path in files:
        try:
            scenario = load_scenario(path)
            problems = check_inputs(scenario)
            if problems:
                raise InputError(problems)
        except PlannerError as error:
            bad += 1
            lang = chosen or scenario_language(path)
            typer.echo(text("cli_not_valid", lang, path=path, error=error_text(error, lang)))
        else:
            lang = chosen or scenario_language(scenario)
            typer.echo(
                text(
                    "cli_valid",
                    lang,
                    path=path,
                    name=scenario.name,
                    folder=scenario.output_folder,
                )
            )
    raise typer.Exit(EXIT_BAD_INPUT if bad else EXIT_OK)


@app.command()
def run(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files (.toml) or folders of them.")
    ],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Scenarios run at once.")] = 1,
    scheduler: SchedulerOption = None,
    scheduler_timeout: SchedulerTimeoutOption = 10.0,
    overwrite: OverwriteOption = False,
    language: LanguageOption = None,
    datum: DatumOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Run scenarios; each writes one output folder and loses nothing there.

    An earlier run's files in the folder move into previous/<time>/ (--overwrite
    drops them); files planner did not write are never touched. A failing
    scenario, or one whose demand or candidates come out empty, is reported,
    leaves its folder as it was, and the others go on. Exit code 0 when all
    succeed, 2 when all failed on bad input, 3 when some failed (partial), 1 on
    unexpected errors only. --quiet prints only failures and the closing count.

    Example: planner run examples/demo_worker_stations.toml examples/demo_driver_homes.toml

    On a Dask cluster: planner run examples/ --scheduler tcp://10.0.0.5:8786

    In Chinese, with Amap coordinates:
    planner run examples/ --language zh --datum gcj02

    --language and --datum override each scenario's output language and datum.
    Without --language, each scenario's line is in its own language, and the
    closing count in the scenarios' language when they all share one (else
    English).
    """
    from planner._i18n import text
    from planner.batch import check_scheduler, run_batch
    from planner.scenario import scenario_files

    lang = _check_output_options(language, datum)
    _configure_logging(quiet, verbose)
    try:
        files = scenario_files(scenarios)
        if scheduler is not None:
            check_scheduler(scheduler, timeout_s=scheduler_timeout)
        runs = run_batch(
            files,
            jobs=jobs,
            scheduler=scheduler,
            scheduler_timeout_s=scheduler_timeout,
            progress=_progress(quiet) and jobs == 1,
            overwrite=overwrite,
            language=language,
            datum=datum,
        )
    except PlannerError as error:
        _echo_error(error, lang)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    lang = _runs_language(files, language)
    for item in runs:
        if quiet and item.status == "ok":
            continue
        where = f" -> {item.folder}" if item.folder else ""
        status = text(f"cli_{item.status}", lang)
        lines = item.message.replace("\n", "\n         ")
        typer.echo(f"{_pad(status, 8)} {item.source}{where}\n         {lines}")
    statuses = {item.status for item in runs}
    ok = sum(item.status == "ok" for item in runs)
    typer.echo(text("cli_done", lang, ok=ok, n=len(runs)))
    if statuses == {"ok"}:
        code = EXIT_OK
    elif "ok" in statuses:
        code = EXIT_PARTIAL
    elif statuses == {"invalid"}:
        code = EXIT_BAD_INPUT
    else:
        code = EXIT_FAILED
    raise typer.Exit(code)


@app.command("coverage")
def coverage_command(
    scenario: Annotated[Path, typer.Argument(help="A worker-station scenario (.toml).")],
    out: Annotated[Path | None, typer.Option(help="Output folder.")] = None,
    scheduler: SchedulerOption = None,
    scheduler_timeout: SchedulerTimeoutOption = 10.0,
    overwrite: OverwriteOption = False,
    language: LanguageOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Who is already served: coverage of the existing stations, no siting.

    Prints the covered share overall and per worker group at each cutoff of
    [model] curve_cutoffs_min, and writes shares.csv, points.geojson,
    uncovered.geojson and hexes.geojson.

    Lines are in --language, else in the scenario's [output] language.

    Example: planner coverage examples/demo_worker_stations.toml
    """
    from planner._i18n import number, percent, term, text
    from planner.batch import check_scheduler, coverage_scenario, scenario_language

    chosen = _check_output_options(language, None) if language is not None else None
    _configure_logging(quiet, verbose)
    try:
        if scheduler is not None:
            check_scheduler(scheduler, timeout_s=scheduler_timeout)
        result, folder = coverage_scenario(
            scenario,
            out_dir=out,
            scheduler=scheduler,
            scheduler_timeout_s=scheduler_timeout,
            progress=_progress(quiet),
            overwrite=overwrite,
        )
    except PlannerError as error:
        _echo_error(error, chosen or scenario_language(scenario))
        raise typer.Exit(EXIT_BAD_INPUT) from error
    lang = chosen or scenario_language(scenario)
    table = result.shares
    for _, row in table.iterrows():
        group = row["group"]
        if lang != "en":
            group = text("cli_all_groups", lang) if group == "all" else term("group", group, lang)
        typer.echo(
            text(
                "cli_share_row",
                lang,
                cutoff=row["cutoff_min"],
                group=_pad(str(group), 14),
                share=percent(row["share"], lang),
                weight=number(row["weight"], lang),
            )
        )
    typer.echo(text("cli_written", lang, path=folder))


def main() -> None:
    """Run the command line (the ``planner`` entry point)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
