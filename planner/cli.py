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
EXIT_BAD_INPUT = 2
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or tables.")]


def _configure_logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
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
    """Run the demo on the embedded synthetic region and write a map.

    Example: planner demo --out maps/demo
    """
    from planner import datasets as datasets
    from planner.maps import add_title, network_map, save_map

    _configure_logging(quiet)
    try:
        network = datasets.demo_network(progress=_progress(quiet))
        stations = datasets.demo_stations()
        stats = network.stats()
        snapped = network.snap(stations, mode="ebike")
        m = network_map(
            network,
            stations=stations,
            tiles=None,
            attribution=datasets.DEMO_ATTRIBUTION,
        )
        add_title(m, "planner demo: roads and existing stations", subtitle=datasets.DEMO_LABEL)
        out.mkdir(parents=True, exist_ok=True)
        path = save_map(m, out / "map.html", offline=True)
        (out / "network_stats.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    except PlannerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    if not quiet:
        _print_stats(stats)
        kinds = stations["kind"].value_counts().to_dict()
        typer.echo(
            f"stations: {len(stations)} ("
            + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
            + f"); e-bike snap distance median {snapped.table['distance_m'].median():.0f} m, "
            f"max {snapped.table['distance_m'].max():.0f} m"
        )
    typer.echo(f"map written: {path}")


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


def main() -> None:
    """Run the command line (the ``planner`` entry point)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
