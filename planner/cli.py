"""The ``planner`` command line.

Commands hold no logic of their own: each one calls the public API and prints
or writes what it returns. Logging handlers are configured here, never in the
library.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from planner._errors import PlannerError

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
OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Drop the earlier run's files in the output folder instead of keeping them in "
        "previous/<time>/ (files planner did not write are never touched).",
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


def _configure_logging(quiet: bool) -> None:
    # warnings go through logging: shown unless --quiet, and kept in each run's run.log
    logging.captureWarnings(True)
    logging.basicConfig(
        level=logging.ERROR if quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _print_stats(stats: dict[str, Any]) -> None:
    typer.echo(f"network: {stats['source']}")
    typer.echo(
        f"  {stats['nodes']:,} nodes, {stats['edges']:,} directed edges, "
        f"{stats['road_km']:,.1f} km of road, hull {stats['area_km2']:,.1f} km²"
    )
    dropped = stats["dropped"]
    typer.echo(
        f"  largest strongly connected part kept: dropped {dropped['nodes']:,} nodes and "
        f"{dropped['edges']:,} edges in {dropped['components']:,} smaller parts"
    )
    typer.echo("  mode    usable nodes   open edges   open km")
    for name, mode in stats["modes"].items():
        typer.echo(
            f"  {name:<7} {mode['usable_nodes']:>12,} {mode['edges']:>12,} {mode['km']:>9,.1f}"
        )
    top = sorted(stats["road_km_by_class"].items(), key=lambda kv: -kv[1])[:8]
    typer.echo("  km by road class: " + ", ".join(f"{k} {v:,.1f}" for k, v in top))


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("maps/demo"),
    quiet: QuietOption = False,
) -> None:
    """Run both programmes on the embedded synthetic region; write map and report.

    Worker stations (rider and courier demand, 15 minutes by e-bike, existing
    stations fixed) and driver homes (truck flows on the corridor, a rest at least
    every 4 hours): prints network statistics, the ranked sites and the coverage
    before and after, and writes map.html, report.html, sites.geojson,
    coverage.csv and run.json.

    Example: planner demo --out maps/demo
    """
    from planner.datasets.demo import run_demo

    _configure_logging(quiet)
    try:
        result = run_demo(out, progress=_progress(quiet))
    except PlannerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    if not quiet and result.workers.network is not None:
        _print_stats(result.workers.network.stats())
    typer.echo(result.text())


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
    quiet: QuietOption = False,
) -> None:
    """Load a road network, print its statistics, optionally convert it or map it.

    Example: planner network futian.osm.pbf --mode ebike --graphml futian.graphml
    """
    from planner.maps import network_map, save_map
    from planner.network import network_from_graphml, network_from_osm

    _configure_logging(quiet)
    try:
        loader = network_from_graphml if path.suffix.lower() == ".graphml" else network_from_osm
        net = loader(path, modes=modes or None, progress=_progress(quiet))
        stats = net.stats()
        if graphml is not None:
            net.to_graphml(graphml)
        if map_html is not None:
            save_map(network_map(net, title=path.name), map_html, offline=True)
    except PlannerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    if json_out:
        typer.echo(json.dumps(stats, indent=2))
    elif not quiet:
        _print_stats(stats)


@app.command()
def validate(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files (.toml) or folders of them.")
    ],
) -> None:
    """Check scenario files without running them: every problem, with key and fix.

    Exit code 0 when all are valid, 2 otherwise.

    Example: planner validate examples/
    """
    from planner.scenario import load_scenario, scenario_files

    try:
        files = scenario_files(scenarios)
    except PlannerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    bad = 0
    for path in files:
        try:
            scenario = load_scenario(path)
        except PlannerError as error:
            bad += 1
            typer.echo(f"invalid: {path}\n  {error}")
        else:
            typer.echo(f"ok: {path} ({scenario.name}; outputs to {scenario.output_folder})")
    raise typer.Exit(EXIT_BAD_INPUT if bad else EXIT_OK)


@app.command()
def run(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files (.toml) or folders of them.")
    ],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Scenarios run at once.")] = 1,
    scheduler: SchedulerOption = None,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
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
    """
    from planner.batch import check_scheduler, run_batch
    from planner.scenario import scenario_files

    _configure_logging(quiet)
    try:
        files = scenario_files(scenarios)
        if scheduler is not None:
            check_scheduler(scheduler)
        runs = run_batch(
            files,
            jobs=jobs,
            scheduler=scheduler,
            progress=_progress(quiet) and jobs == 1,
            overwrite=overwrite,
        )
    except PlannerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    for item in runs:
        if quiet and item.status == "ok":
            continue
        where = f" -> {item.folder}" if item.folder else ""
        typer.echo(f"{item.status:<8} {item.source}{where}\n         {item.message}")
    statuses = {item.status for item in runs}
    ok = sum(item.status == "ok" for item in runs)
    typer.echo(f"{ok} of {len(runs)} scenarios succeeded.")
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
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Who is already served: coverage of the existing stations, no siting.

    Prints the covered share overall and per worker group at each cutoff of
    [model] curve_cutoffs_min, and writes shares.csv, points.geojson,
    uncovered.geojson and hexes.geojson.

    Example: planner coverage examples/demo_worker_stations.toml
    """
    from planner.batch import check_scheduler, coverage_scenario

    _configure_logging(quiet)
    try:
        if scheduler is not None:
            check_scheduler(scheduler)
        result, folder = coverage_scenario(
            scenario,
            out_dir=out,
            scheduler=scheduler,
            progress=_progress(quiet),
            overwrite=overwrite,
        )
    except PlannerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    table = result.shares
    for _, row in table.iterrows():
        typer.echo(
            f"{row['cutoff_min']:>5g} min  {row['group']:<14} {row['share']:7.1%} "
            f"of {row['weight']:,.0f}"
        )
    typer.echo(f"written: {folder}")


def main() -> None:
    """Run the command line (the ``planner`` entry point)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
