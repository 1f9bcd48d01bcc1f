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


# ------------------------------------ the Hohhot question as one scenario, no code
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "communities_worker_stations.toml"


def _community_scenario(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """The communities example, its relative paths made absolute, writing into tmp_path/out."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for rel in (
        "../data/demo/demo_region.osm.bz2",
        "data/demo_stations_gcj02.xlsx",
        "data/demo_communities.geojson",
        "data/demo_districts.geojson",
    ):
        text = text.replace(f'"{rel}"', json.dumps(str((EXAMPLE.parent / rel).resolve())))
    text = text.replace('"../maps/examples/communities_worker_stations"', '"out"')
    for old, new in (extra or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "communities.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_communities_scenario_reruns_without_losing_anything(tmp_path: Path) -> None:
    """validate, then run twice into a folder holding the user's notes; then a run that fails."""
    scenario = _community_scenario(tmp_path, {"min_per_area = 1": "min_per_area = 5"})
    checked = runner.invoke(app, ["validate", str(scenario)])
    assert checked.exit_code == 0, checked.output
    out = tmp_path / "out"
    out.mkdir()
    (out / "my_notes.txt").write_text("call the district office", encoding="utf-8")
    first = runner.invoke(app, ["run", str(scenario), "-q"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().splitlines() == ["1 of 1 scenarios succeeded."]  # quiet
    earlier = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    districts = pd.read_csv(out / "districts.csv", index_col="district")
    # at least five stations (existing + new) in every district, as asked
    assert (districts.drop(index="all")["stations_after"] >= 5).all()
    assert districts.loc["all", "stations_new"] == 10
    assert districts.loc["all", "communities"] == 59
    after = districts.loc["all", "communities_within_after"]
    assert after >= districts.loc["all", "communities_within_before"]
    communities = pd.read_csv(out / "communities.csv", index_col="community")
    assert int(communities["within_after"].sum()) == after
    # rerun: the user's file stays, the earlier results move into previous/<time>/
    second = runner.invoke(app, ["run", str(scenario)])
    assert second.exit_code == 0, second.output
    assert "communities within the cutoff" in second.output
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "call the district office"
    (previous,) = (out / "previous").iterdir()
    assert {p.name: p.read_bytes() for p in previous.iterdir()} == {
        k: v for k, v in earlier.items() if k != "my_notes.txt"
    }
    kept = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    # traces that yield no stay: exit 2 with the reason, the folder as it was
    traces = tmp_path / "traces.csv"
    traces.write_text(
        "driver_id,time,lon,lat\nd1,2024-05-15T08:00:00Z,112.90,28.10\n"
        "d1,2024-05-15T08:01:00Z,112.95,28.15\n",
        encoding="utf-8",
    )
    broken = _community_scenario(
        tmp_path,
        {
            'areas = "' + str((EXAMPLE.parent / "data/demo_communities.geojson").resolve()) + '"': (
                f"traces = {json.dumps(str(traces))}"
            )
        },
    )
    failed = runner.invoke(app, ["run", str(broken), "-q"])
    assert failed.exit_code == EXIT_BAD_INPUT, failed.output
    assert "the traces hold no stay" in failed.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == kept
    assert len(list((out / "previous").iterdir())) == 1


@pytest.mark.slow
def test_a_district_minimum_that_cannot_be_met_is_bad_input(tmp_path: Path) -> None:
    scenario = _community_scenario(tmp_path, {"min_per_area = 1": "min_per_area = 7"})
    result = runner.invoke(app, ["run", str(scenario), "-q"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "needs 16 new sites in all, more than p = 10" in result.output
    assert not (tmp_path / "out").exists()


def test_run_in_chinese_with_amap_coordinates(tmp_path: Path) -> None:
    from tests.test_batch import _scenario

    scenario = _scenario(tmp_path, "homes_zh")
    result = runner.invoke(app, ["run", str(scenario), "--language", "zh", "--datum", "gcj02"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("成功 ")  # (--quiet leaves this line out)
    assert "覆盖率" in result.stdout
    assert "1 个方案中 1 个成功。" in result.stdout
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


# ------------------------------------------------------------ Chinese on the command line
def test_network_command_in_chinese(tmp_path: Path) -> None:
    from tests.test_report import english_notes, english_runs

    osm = write_toy_osm(tmp_path / "toy.osm")
    result = runner.invoke(app, ["network", str(osm), "--mode", "ebike", "--language", "zh"])
    assert result.exit_code == 0, result.output
    stats = network_from_osm(osm, modes=["ebike"]).stats()
    assert f"节点 {stats['nodes']:,} 个，有向边 {stats['edges']:,} 条" in result.stdout
    assert "电动自行车" in result.stdout
    assert "居住区道路" in result.stdout
    assert english_runs(result.stdout, {"toy.osm"}) == []
    assert english_notes(result.stdout) == []
    english = runner.invoke(app, ["network", str(osm), "--mode", "ebike"])
    assert f"{stats['nodes']:,} nodes, {stats['edges']:,} directed edges" in english.stdout


def test_validate_speaks_the_scenario_language(tmp_path: Path) -> None:
    """validate: --language, else each scenario's [output] language, else English."""
    from tests.test_batch import _scenario

    plain = _scenario(tmp_path, "homes")
    zh = _scenario(tmp_path, "homes_zh")
    zh.write_text(
        zh.read_text(encoding="utf-8").replace("[output]", '[output]\nlanguage = "zh"', 1),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(plain), str(zh)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"ok: {plain} (homes; outputs to ")
    assert lines[1].startswith(f"成功：{zh}（homes_zh；输出到 ")
    asked = runner.invoke(app, ["validate", str(plain), "--language", "zh"])
    assert asked.stdout.startswith("成功：")
    bad = runner.invoke(app, ["validate", str(tmp_path / "none.toml"), "--language", "fr"])
    assert bad.exit_code == EXIT_BAD_INPUT


@pytest.mark.slow
@pytest.mark.parametrize("region", ["demo", "province"])
def test_demo_in_chinese_shows_no_english(tmp_path: Path, region: str) -> None:
    """`planner demo [--region province] --language zh`: terminal, report, map, tables."""
    from tests.test_maps import _script_strings
    from tests.test_outputs import _xlsx
    from tests.test_report import english_notes, english_runs, visible_text

    out = tmp_path / region
    result = runner.invoke(app, ["demo", "--region", region, "--language", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "路网：" in result.stdout
    assert "覆盖率" in result.stdout
    assert "说明：" in result.stdout
    # the data's own words: site, station and road names, ids, files
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    allowed = {str(v) for column in ("名称", "站点编号") for v in sites[column]}
    allowed |= {
        f"{kind} {site}" for kind, site in zip(sites["类型"], sites["站点编号"], strict=True)
    }
    net = datasets.demo_network() if region == "demo" else datasets.province_network()
    for _, _, data in net.graph.edges(data=True):
        names = data.get("name")
        allowed |= {str(n) for n in (names if isinstance(names, list) else [names]) if n}
    allowed |= {str(out), "demo_region.osm.bz2", "province.osm.bz2", "WGS84", "GCJ-02"}
    page_text = {
        "terminal": result.stdout,
        "report": visible_text((out / "report.html").read_text(encoding="utf-8")),
        "map": _script_strings((out / "map.html").read_text(encoding="utf-8")),
        "csv": "\n".join([*sites.columns, *(str(v) for v in sites.to_numpy().ravel())]),
        "xlsx": "\n".join(map(str, _xlsx(out / "sites.xlsx").columns)),
    }
    for where, text in page_text.items():
        assert english_notes(text) == [], where
        assert english_runs(text, allowed) == [], where


def _homes_writing_to(folder: Path) -> tuple[Path, Path]:
    """The demo driver-home scenario, copied beside ``folder`` and writing into it."""
    text = (ROOT / "examples" / "demo_driver_homes.toml").read_text(encoding="utf-8")
    scenario = folder.parent / "homes.toml"
    lines = [ln for ln in text.splitlines() if not ln.startswith("folder")]
    scenario.write_text(
        "\n".join(lines).replace("[output]", f"[output]\nfolder = {json.dumps(str(folder))}"),
        encoding="utf-8",
    )
    return scenario, folder


@pytest.mark.slow
def test_quiet_run_prints_only_the_closing_count(tmp_path: Path) -> None:
    """--quiet in a real process: the run's INFO log goes to run.log, not the terminal."""
    import subprocess
    import sys

    scenario, folder = _homes_writing_to(tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-m", "planner.cli", "run", str(scenario), "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 of 1 scenarios succeeded."
    assert done.stderr == ""
    assert "INFO planner.batch" in (folder / "run.log").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_terminal_shows_the_info_log_only_when_asked(tmp_path: Path) -> None:
    """A real process: the summary in the run's language, INFO lines only with --verbose.

    A second run into the same folder says where the first run's files went.
    """
    import subprocess
    import sys

    scenario, folder = _homes_writing_to(tmp_path / "out")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "planner.cli", "run", str(scenario), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done

    first = run("--language", "zh")
    assert "INFO" not in first.stderr
    assert first.stdout.splitlines()[-1] == "1 个方案中 1 个成功。"
    assert "之前的结果" not in first.stdout
    second = run("--language", "zh", "--verbose")
    assert "INFO planner.batch: scenario" in second.stderr
    (moved,) = (folder / "previous").iterdir()
    assert f"         之前的结果已移至 {moved}" in second.stdout.splitlines()
    # the log file keeps the INFO lines either way
    assert "INFO planner.batch" in (moved / "run.log").read_text(encoding="utf-8")


def test_run_closes_in_the_scenarios_language_when_they_agree(tmp_path: Path) -> None:
    """No --language: every scenario in Chinese, the status and closing count in Chinese too."""
    from planner.cli import _runs_language
    from tests.test_batch import _scenario

    zh = _scenario(tmp_path, "homes_zh")
    zh.write_text(
        zh.read_text(encoding="utf-8").replace("[output]", '[output]\nlanguage = "zh"', 1),
        encoding="utf-8",
    )
    en = _scenario(tmp_path, "homes_en")
    result = runner.invoke(app, ["run", str(zh)])  # a real run
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    out = tmp_path / "out-homes_zh"
    assert lines[0].startswith(f"成功     {zh} -> {out}")  # padded to 8 terminal columns
    assert lines[-1] == "1 个方案中 1 个成功。"
    # English when the scenarios disagree, or one cannot be read; --language wins
    assert _runs_language([zh, zh], None) == "zh"
    assert _runs_language([zh, en], None) == "en"
    assert _runs_language([zh, tmp_path / "none.toml"], None) == "en"
    assert _runs_language([en], "zh") == "zh"
