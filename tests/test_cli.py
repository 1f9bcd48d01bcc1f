"""End-to-end tests of the ``planner`` command line on the embedded region and toy files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from planner import datasets
from planner.cli import EXIT_BAD_INPUT, app
from planner.network import network_from_osm
from tests.conftest import write_toy_osm

runner = CliRunner()


def test_demo_writes_map_and_statistics(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "demo" / "network_stats.json").read_text())
    expected = datasets.demo_network().stats()
    assert stats["nodes"] == expected["nodes"]
    assert stats["edges"] == expected["edges"]
    assert f"{expected['nodes']:,} nodes" in result.output
    page = (tmp_path / "demo" / "map.html").read_text(encoding="utf-8")
    assert datasets.DEMO_LABEL in page
    assert "map written:" in result.output


def test_network_command_prints_json_and_converts(tmp_path: Path) -> None:
    osm = write_toy_osm(tmp_path / "toy.osm")
    out = tmp_path / "toy.graphml"
    result = runner.invoke(
        app, ["network", str(osm), "--mode", "ebike", "--graphml", str(out), "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats == json.loads(json.dumps(network_from_osm(osm, modes=["ebike"]).stats()))
    assert list(stats["modes"]) == ["ebike"]
    again = runner.invoke(app, ["network", str(out), "--json", "-q"])
    assert json.loads(again.output)["edges"] == stats["edges"]


def test_bad_input_exit_code_and_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["network", str(tmp_path / "missing.osm.pbf")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no such OSM file" in result.output
    result = runner.invoke(app, ["network", str(write_toy_osm(tmp_path / "t.osm")), "-m", "bus"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "unknown travel mode 'bus'" in result.output
