"""End-to-end tests of the ``planner`` command line on the embedded region and toy files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner import datasets
from planner.cli import EXIT_BAD_INPUT, app
from planner.network import network_from_osm
from tests.conftest import write_toy_osm

runner = CliRunner()


@pytest.mark.slow
def test_demo_runs_both_programmes_and_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("map.html", "report.html", "sites.geojson", "coverage.csv", "run.json"):
        assert (out / name).is_file(), name
    assert f"{datasets.demo_network().stats()['nodes']:,} nodes" in result.output
    assert datasets.DEMO_LABEL in (out / "map.html").read_text(encoding="utf-8")
    # what the CLI prints is what it wrote: every ranked site, and coverage before -> after
    sites = json.loads((out / "sites.geojson").read_text())["features"]
    assert {f["properties"]["programme"] for f in sites} == {"worker_stations", "driver_homes"}
    lines = result.output.splitlines()
    for feature in sites:
        props = feature["properties"]
        label = props["name"] if props.get("name") else props["site_id"]
        assert any(
            line.strip().startswith(f"{props['rank']}. ") and label in line for line in lines
        ), label
    coverage = pd.read_csv(out / "coverage.csv")
    for _, row in coverage[coverage["group_by"] == "all"].iterrows():
        assert f"covered {row['share_before']:.1%} -> {row['share_after']:.1%}" in result.output


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


def test_run_in_chinese_with_amap_coordinates(tmp_path: Path) -> None:
    from tests.test_batch import _scenario

    scenario = _scenario(tmp_path, "homes_zh")
    result = runner.invoke(
        app, ["run", str(scenario), "-q", "--language", "zh", "--datum", "gcj02"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("成功 ")
    assert "覆盖率" in result.output
    assert "1 个方案中 1 个成功。" in result.output
    folder = tmp_path / "out-homes_zh"
    table = pd.read_csv(folder / "sites.csv", encoding="utf-8-sig")
    assert {"经度（GCJ-02）", "纬度（GCJ-02）", "经度（WGS84）", "纬度（WGS84）"} <= set(
        table.columns
    )
    assert set(table["项目类型"]) == {"司机之家"}
    assert '<html lang="zh-CN">' in (folder / "report.html").read_text(encoding="utf-8")
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert run["outputs"] | {"language": "zh", "datum": "gcj02"} == run["outputs"]


def test_bad_language_or_datum_is_bad_input(tmp_path: Path) -> None:
    for option in (["--language", "fr"], ["--datum", "utm"]):
        result = runner.invoke(app, ["run", str(tmp_path / "none.toml"), *option])
        assert result.exit_code == EXIT_BAD_INPUT, result.output
        assert "language must be one of" in result.output or "unknown datum" in result.output
