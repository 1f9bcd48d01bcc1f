"""End-to-end scenario runs: CLI equals API, batches survive bad scenarios, atomic outputs."""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner import InputError
from planner._results_folder import check_folder, earlier_outputs, install_outputs
from planner.batch import build_plan, run_scenario
from planner.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PARTIAL, app
from planner.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
OUTPUTS = (
    "sites.geojson",
    "sites.csv",
    "sites.xlsx",
    "coverage.csv",
    "map.html",
    "report.html",
    "run.json",
    "scenario.json",
    "run.log",
)
runner = CliRunner()


def _scenario(folder: Path, name: str, extra: str = "") -> Path:
    """A copy of the demo driver-home example writing into ``folder/out-<name>``."""
    text = (EXAMPLES / "demo_driver_homes.toml").read_text(encoding="utf-8")
    text = text.replace('name = "Demo driver homes"', f'name = "{name}"')
    text = text.replace('folder = "../maps/examples/demo_driver_homes"', f'folder = "out-{name}"')
    path = folder / f"{name}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_examples_are_valid() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLES)])
    assert result.exit_code == EXIT_OK, result.output
    # each line in its scenario's [output] language (one example is in Chinese)
    valid = result.output.count("ok: ") + result.output.count("成功：")
    assert valid == len(list(EXAMPLES.glob("*.toml"))) >= 3


@pytest.mark.slow
def test_cli_run_equals_api(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "homes")
    result = runner.invoke(app, ["run", str(scenario), "-q"])
    assert result.exit_code == EXIT_OK, result.output
    folder = tmp_path / "out-homes"
    assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUTS)
    assert folder.stat().st_mode & 0o777 == 0o755
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in folder.iterdir())
    api = build_plan(load_scenario(scenario)).site(p=2)
    sites = json.loads((folder / "sites.geojson").read_text())
    assert [f["properties"]["site_id"] for f in sites["features"]] == [
        str(i) for i in api.sites.index
    ]
    coverage = pd.read_csv(folder / "coverage.csv")
    first = coverage.iloc[0]
    assert first["share_before"] == pytest.approx(api.share_before, rel=1e-12)
    assert first["share_after"] == pytest.approx(api.share_after, rel=1e-12)
    log = (folder / "run.log").read_text(encoding="utf-8")
    assert f"hash {load_scenario(scenario).hash}" in log
    assert f"{len(api.sites)} sites; covered {api.share_before:.4f}" in log
    record = json.loads((folder / "scenario.json").read_text())
    assert record["hash"] == load_scenario(scenario).hash
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


@pytest.mark.slow
def test_worker_stations_from_files_never_lose_coverage() -> None:
    result = build_plan(load_scenario(EXAMPLES / "city_worker_stations_from_files.toml")).site(p=5)
    demand = result.demand
    assert not (demand["covered_before"] & ~demand["covered_after"]).any()
    assert result.share_after >= result.share_before
    assert result.sites["added"].is_monotonic_decreasing or len(result.sites) <= 1


@pytest.mark.slow
def test_batch_with_a_broken_scenario_is_partial(tmp_path: Path) -> None:
    good = _scenario(tmp_path, "good")
    broken = _scenario(tmp_path, "broken").read_text().replace("interval_h", "intervall_h")
    (tmp_path / "broken.toml").write_text(broken)
    result = runner.invoke(app, ["run", str(tmp_path), "-q"])
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert "invalid  " in result.output
    assert "broken.toml" in result.output
    assert "did you mean 'interval_h'?" in result.output
    assert "1 of 2 scenarios succeeded." in result.output
    assert (tmp_path / "out-good" / "map.html").is_file()
    assert not (tmp_path / "out-broken").exists()
    assert good.is_file()


@pytest.mark.slow
def test_failed_run_keeps_earlier_results(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "keep")
    _, folder = run_scenario(scenario)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    # the same scenario now reads a stations file with a coordinate error
    bad = tmp_path / "stations.csv"
    bad.write_text("id,kind,lon,lat\na,driver_home,112.9,28.1\nb,driver_home,abc,28.1\n")
    text = scenario.read_text().replace(
        "[stations]\ndemo = true", '[stations]\npath = "stations.csv"\ndatum = "wgs84"'
    )
    scenario.write_text(text)
    with pytest.raises(InputError, match=r"stations\.csv.*row 2.*'abc'"):
        run_scenario(scenario)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    result = runner.invoke(app, ["run", str(scenario), "-q"])
    assert result.exit_code == EXIT_BAD_INPUT


@pytest.mark.slow
def test_killed_run_leaves_no_half_written_folder(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "killed")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "planner.cli", "run", str(scenario), "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(6)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    folder = tmp_path / "out-killed"
    # whatever the moment of the kill: no folder, or a complete one
    assert not folder.exists() or sorted(p.name for p in folder.iterdir()) == sorted(OUTPUTS)
    for leftover in tmp_path.glob(".out-killed.tmp-*"):
        shutil.rmtree(leftover)


@pytest.mark.slow
def test_coverage_command_equals_planner_coverage(tmp_path: Path) -> None:
    from planner.coverage import coverage

    out = tmp_path / "cov"
    scenario = EXAMPLES / "demo_worker_stations.toml"
    result = runner.invoke(app, ["coverage", str(scenario), "--out", str(out), "-q"])
    assert result.exit_code == EXIT_OK, result.output
    shares = pd.read_csv(out / "shares.csv")
    plan = build_plan(load_scenario(scenario))
    stations = plan.stations[plan.stations["kind"].isin(plan.station_kinds)]
    direct = coverage(
        plan.network, stations, plan.demand, mode="ebike", groups=["group"], on_far="exclude"
    )
    pd.testing.assert_frame_equal(
        shares.reset_index(drop=True), direct.shares.reset_index(drop=True), check_dtype=False
    )
    at_15 = shares[(shares["cutoff_min"] == 15) & (shares["group"] == "all")]["share"].item()
    assert f"{at_15:7.1%}" in result.output
    homes = runner.invoke(app, ["coverage", str(EXAMPLES / "demo_driver_homes.toml"), "-q"])
    assert homes.exit_code == EXIT_BAD_INPUT
    assert "is a 'driver_homes' scenario" in homes.output


@pytest.mark.slow
def test_rerun_reproduces_identical_files(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "again")
    _, first = run_scenario(scenario, out_dir=tmp_path / "one")
    _, second = run_scenario(scenario, out_dir=tmp_path / "two")
    for name in [n for n in OUTPUTS if n not in ("run.json", "run.log")]:  # these hold the clock
        assert (first / name).read_bytes() == (second / name).read_bytes(), name

    def without_timings(path: Path) -> object:
        def strip(value: object) -> object:
            if isinstance(value, dict):
                timing = {"created", "seconds", "timings", "time"}
                return {k: strip(v) for k, v in value.items() if k not in timing}
            if isinstance(value, list):
                return [strip(v) for v in value]
            return value

        return strip(json.loads(path.read_text()))

    assert without_timings(first / "run.json") == without_timings(second / "run.json")


@pytest.mark.slow
def test_phased_example_on_a_dask_cluster_equals_the_local_api(tmp_path: Path) -> None:
    """The phased example, run by the CLI with --scheduler, equals a local API run."""
    from dask.distributed import LocalCluster

    text = (EXAMPLES / "demo_phased_worker_stations.toml").read_text(encoding="utf-8")
    text = text.replace(
        'folder = "../maps/examples/demo_phased_worker_stations"', 'folder = "out-phased"'
    )
    scenario = tmp_path / "phased.toml"
    scenario.write_text(text, encoding="utf-8")
    with LocalCluster(
        processes=False, protocol="tcp", dashboard_address=":0", n_workers=1, threads_per_worker=2
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        result = runner.invoke(app, ["run", str(scenario), "-q", "--scheduler", address])
    assert result.exit_code == EXIT_OK, result.output
    plan = build_plan(load_scenario(scenario))
    plan.with_service_areas = False
    api = plan.site(phases=[4, 3, 3])
    sites = json.loads((tmp_path / "out-phased" / "sites.geojson").read_text())
    props = [f["properties"] for f in sites["features"]]
    assert [p["site_id"] for p in props] == [str(i) for i in api.sites.index]
    assert [p["phase"] for p in props] == api.sites["phase"].tolist()
    # four sites in year one, then three a year, each year keeping the earlier ones
    assert api.sites["phase"].tolist() == [1] * 4 + [2] * 3 + [3] * 3
    assert api.sites["rank"].tolist() == list(range(1, 11))
    coverage = pd.read_csv(tmp_path / "out-phased" / "coverage.csv").iloc[0]
    assert coverage["share_after"] == pytest.approx(api.share_after, rel=1e-12)
    report = (tmp_path / "out-phased" / "report.html").read_text(encoding="utf-8")
    assert '<th scope="col">Phase</th>' in report
    run = json.loads((tmp_path / "out-phased" / "run.json").read_text())
    assert run["plans"][0]["parameters"]["phases"] == [4, 3, 3]


@pytest.mark.slow
def test_an_unreachable_scheduler_is_bad_input(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "nowhere")
    result = runner.invoke(app, ["run", str(scenario), "-q", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    # refused at once by a plain connection, not after Dask's retries for 10 s
    assert "no Dask scheduler answers at 'tcp://127.0.0.1:9'" in result.output
    assert "ConnectionRefusedError" in result.output
    assert "dask scheduler" in result.output
    assert not (tmp_path / "out-nowhere").exists()


def test_province_driver_homes_through_the_cli(tmp_path: Path) -> None:
    """The provincial programme end to end (about 10 s): ``planner run`` on the province."""
    import geopandas as gpd
    import numpy as np

    from planner import datasets
    from planner.routes import route_od

    text = (EXAMPLES / "province_driver_homes.toml").read_text(encoding="utf-8")
    text = text.replace("../data/province", str(ROOT / "data" / "province"))
    text = text.replace('folder = "../maps/examples/province_driver_homes"', 'folder = "out"')
    scenario = tmp_path / "province.toml"
    scenario.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["run", str(scenario), "-q"])
    assert result.exit_code == EXIT_OK, result.output
    folder = tmp_path / "out"
    plan = json.loads((folder / "run.json").read_text())["plans"][0]
    # the rest-interval model itself chose homes, proven within 0.5 %
    solver = plan["solver"]
    assert solver["model"].startswith("RestIntervalCoverage")
    assert solver["model_asked"] == "rest_interval"
    assert solver["gap"] <= 0.005
    rest = [s for s in solver["solves"] if s["model"] == "RestIntervalCoverage"]
    # phase 1: the rule needs 6 new homes (the covering form of the model, the fewest
    # homes serving every truck, proves 6 optimal); the solver's 20 are pruned to those,
    # and flow capturing places the rest where trucks pass no home
    assert rest[0]["homes"] == 6
    assert solver["model"] == "RestIntervalCoverage+FlowCapture"
    assert "the rest rule needed 6 new homes" in solver["model_note"].lower()
    assert all(s["gap"] <= 0.005 for s in solver["solves"])
    assert plan["parameters"]["phases"] == [20, 20, 20, 20, 20]
    # the figures before, checked by hand: a truck meets the rule when no stretch between
    # its origin, the existing homes it passes (within 10 minutes) and its destination
    # is longer than 4 hours
    net = datasets.province_network()
    flows = route_od(datasets.province_truck_trips(), net, mode="truck")
    homes = datasets.province_stations()
    inc = flows.site_incidence(homes, detour_min=10.0, max_snap_m=500.0)
    served = 0.0
    for label, route in flows.routes.iterrows():
        at = inc.table[(inc.table["route"] == label) & (inc.table["detour_s"] <= 600.0)]
        stops = np.sort(np.r_[0.0, at["position_s"].to_numpy() / 3600, route["time_s"] / 3600])
        served += route["volume"] * float(np.diff(stops).max() <= 4.0 + 1e-9)
    phases = plan["phases"]
    assert phases[0]["state"] == "before"
    assert phases[0]["served_share"] == pytest.approx(served / 40_001.0)
    assert phases[0]["gaps"] > 0
    assert phases[-1]["state"] == "after"
    assert phases[-1]["served_share"] == pytest.approx(1.0)
    assert phases[-1]["gaps"] == 0
    assert [p["phase"] for p in phases] == [0, 1, 2, 3, 4, 5]
    # homes: eligible (30+ trucks a day), spread across the province, phased, costed
    sites = gpd.read_file(folder / "sites.geojson")
    assert 0 < len(sites) <= 100
    assert (sites["passing_volume"] >= 30).all()
    assert set(sites["phase"]) <= {1, 2, 3, 4, 5}
    assert (sites["cost"] == 200_000).all()
    metric = sites.to_crs(32649).geometry
    assert metric.x.max() - metric.x.min() > 250_000  # metres east-west
    xy = np.c_[metric.x, metric.y]
    assert min(np.hypot(*(xy[i] - xy[j])) for i in range(len(xy)) for j in range(i)) > 20_000
    page = (folder / "map.html").read_text(encoding="utf-8")
    assert "Rest gaps before (over 4 h without a home)" in page
    assert "Synthetic province generated by planner" in page
    assert "OpenStreetMap contributors" not in page


def test_driver_home_scenario_keys_are_checked(tmp_path: Path) -> None:
    base = {
        "name": "homes",
        "programme": "driver_homes",
        "network": {"demo": True},
        "routes": {"demo": True},
    }
    ok = load_scenario(base | {"model": {"phases": [2, 2], "subsidy_per_home": 1e5}})
    assert ok["model"]["phases"] == [2, 2]
    assert ok["model"]["detour_min"] == 0.0
    with pytest.raises(InputError, match="subsidy_per_home is the cost of a new driver home"):
        load_scenario(
            base | {"programme": "worker_stations", "model": {"p": 2, "subsidy_per_home": 1.0}}
        )
    with pytest.raises(InputError, match="budget needs site costs"):
        load_scenario(base | {"model": {"budget": 3e5}})
    with pytest.raises(InputError, match="detour_min = -1 must be 0 or more"):
        load_scenario(base | {"model": {"p": 2, "detour_min": -1}})
    budget = build_plan(load_scenario(base | {"model": {"budget": 3e5, "subsidy_per_home": 1e5}}))
    assert budget.subsidy_per_home == 1e5


# ------------------------------------------------------------ folder-level atomicity
def _folder(path: Path, files: dict[str, bytes]) -> Path:
    path.mkdir()
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _earlier_run(folder: Path, files: dict[str, bytes]) -> Path:
    """A folder as an earlier run left it: its files and a manifest listing them."""
    names = sorted([*files, "scenario.json"])
    manifest = json.dumps({"hash": "earlier", "outputs": names}).encode()
    return _folder(folder, {**files, "scenario.json": manifest})


def test_install_into_a_new_folder_is_one_rename(tmp_path: Path) -> None:
    tmp = _folder(tmp_path / ".out.tmp-1", {"sites.csv": b"new"})
    done = install_outputs(tmp, tmp_path / "out")
    assert _contents(tmp_path / "out") == {"sites.csv": b"new"}
    assert done.previous is None
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_install_keeps_earlier_results_and_foreign_files(tmp_path: Path) -> None:
    target = _earlier_run(tmp_path / "out", {"sites.csv": b"old", "map.html": b"old map"})
    (target / "my_notes.txt").write_bytes(b"mine")
    earlier = _contents(target)
    new_manifest = json.dumps({"outputs": ["scenario.json", "sites.csv"]}).encode()
    tmp = _folder(tmp_path / ".out.tmp-1", {"sites.csv": b"new", "scenario.json": new_manifest})
    done = install_outputs(tmp, target)
    assert done.previous is not None
    assert done.previous.parent == target / "previous"
    # the earlier run's files, all of them, in previous/<time>/; the user's file untouched
    assert _contents(done.previous) == {k: v for k, v in earlier.items() if k != "my_notes.txt"}
    assert (target / "my_notes.txt").read_bytes() == b"mine"
    assert (target / "sites.csv").read_bytes() == b"new"
    assert not (target / "map.html").exists()  # the new run wrote no map: the old one is kept
    assert sorted(p.name for p in target.iterdir()) == [
        "my_notes.txt",
        "previous",
        "scenario.json",
        "sites.csv",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    # a third run keeps the second one beside the first
    tmp = _folder(tmp_path / ".out.tmp-2", {"sites.csv": b"third", "scenario.json": new_manifest})
    third = install_outputs(tmp, target)
    assert third.previous is not None
    assert third.previous != done.previous
    assert (third.previous / "sites.csv").read_bytes() == b"new"
    assert (done.previous / "sites.csv").read_bytes() == b"old"
    # --overwrite drops the earlier run's files, and still never the user's
    tmp = _folder(tmp_path / ".out.tmp-3", {"sites.csv": b"4th", "scenario.json": new_manifest})
    fourth = install_outputs(tmp, target, keep_previous=False)
    assert fourth.previous is None
    assert fourth.dropped == ("scenario.json", "sites.csv")
    assert (target / "my_notes.txt").read_bytes() == b"mine"
    assert len(list((target / "previous").iterdir())) == 2


def test_install_refuses_to_replace_a_file_planner_did_not_write(tmp_path: Path) -> None:
    target = _folder(tmp_path / "out", {"map.html": b"the user's own map"})
    assert earlier_outputs(target) == []
    tmp = _folder(tmp_path / ".out.tmp-1", {"map.html": b"new", "sites.csv": b"new"})
    with pytest.raises(InputError, match=r"holds map\.html, which planner did not write"):
        install_outputs(tmp, target)
    with pytest.raises(InputError, match=r"map\.html"):
        check_folder(target)
    assert _contents(target) == {"map.html": b"the user's own map"}


def test_install_that_fails_midway_puts_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _earlier_run(tmp_path / "out", {"sites.csv": b"old", "map.html": b"old map"})
    (target / "my_notes.txt").write_bytes(b"mine")
    earlier = _contents(target)
    tmp = _folder(
        tmp_path / ".out.tmp-1", {"sites.csv": b"new", "map.html": b"new", "scenario.json": b"{}"}
    )
    replace = os.replace
    calls: list[str] = []

    def fail_on_the_second(src: object, dst: object) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(dst))
        replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", fail_on_the_second)
    with pytest.raises(OSError, match="No space left"):
        install_outputs(tmp, target)
    assert _contents(target) == earlier
    assert sorted(p.name for p in target.iterdir()) == sorted(earlier)


@pytest.mark.slow
def test_run_failing_while_writing_outputs_keeps_earlier_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails halfway through writing its outputs leaves the earlier folder as it was."""
    scenario = _scenario(tmp_path, "midway")
    earlier = {name: f"earlier {name}".encode() for name in OUTPUTS}
    folder = _folder(tmp_path / "out-midway", earlier)
    replace = os.replace
    written: list[str] = []

    def fail_on_the_third_output(src: object, dst: object) -> None:
        dst = Path(str(dst))
        if dst.parent.name.startswith(".out-midway.tmp-"):
            written.append(dst.name)
            if len(written) == 3:
                raise OSError(28, "No space left on device", str(dst))
        replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", fail_on_the_third_output)
    with pytest.raises(OSError, match="No space left on device"):
        run_scenario(scenario)
    assert len(written) == 3  # two outputs were written in full before the failure
    assert _contents(folder) == earlier
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ------------------------------------------- [solver] mip_gap, [output] map / report, p = 0
def _demo_run(folder: Path, **sections: dict[str, object]) -> tuple[Any, Path]:
    """Run the demo worker-station scenario with some keys changed, into ``folder``."""
    data: dict[str, Any] = {
        "name": "Demo worker stations",
        "network": {"demo": True},
        "stations": {"demo": True},
        "demand": {"demo": True},
        "candidates": {"demo": True},
        "model": {"p": 8, "cutoff_min": 15},
        "solver": {"method": "exact"},
        "output": {"folder": str(folder), "tiles": "none"},
    }
    for section, keys in sections.items():
        if keys is None:
            data.pop(section)
        else:
            data[section] = {**data.get(section, {}), **keys}
    return run_scenario(load_scenario(data))


@pytest.fixture(scope="module")
def skipping_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two demo runs: one without map (mip_gap = 0.25), one without report (mip_gap left out).

    Every solve of the model (MCLP, the exact solver's entry) records the gap it was given.
    """
    from planner.locate import MCLP

    real = MCLP.solve
    runs: dict[str, Any] = {}
    for name, sections in {
        "no_map": {"solver": {"mip_gap": 0.25}, "output": {"map": False}},
        "no_report": {"output": {"report": False}},
    }.items():
        gaps: list[float] = []

        def spy(self: Any, **kwargs: Any) -> Any:
            gaps.append(kwargs.get("mip_gap", 0.0))  # noqa: B023 - used in this loop
            return real(self, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(MCLP, "solve", spy)
            result, folder = _demo_run(tmp_path_factory.mktemp(name) / "out", **sections)
        runs[name] = {
            "result": result,
            "folder": folder,
            "gaps": gaps,
            "run": json.loads((folder / "run.json").read_text(encoding="utf-8")),
            "record": json.loads((folder / "scenario.json").read_text(encoding="utf-8")),
            "files": sorted(p.name for p in folder.iterdir()),
        }
    return runs


@pytest.mark.slow
def test_scenario_mip_gap_reaches_the_exact_solver(skipping_runs: dict[str, Any]) -> None:
    given, default = skipping_runs["no_map"], skipping_runs["no_report"]
    # the exact solve got the scenario's gap; without the key it proves the optimum (0,
    # as before); on the demo the warm start is proven optimal, so the figures agree
    assert given["gaps"] == [0.25]
    assert default["gaps"] == [0.0]
    assert given["result"].share_after == default["result"].share_after
    assert given["run"]["plans"][0]["parameters"]["mip_gap"] == 0.25
    assert default["run"]["plans"][0]["parameters"]["mip_gap"] == 0.0
    assert given["record"]["scenario"]["solver"]["mip_gap"] == 0.25


@pytest.mark.slow
def test_scenario_map_false_writes_no_map(skipping_runs: dict[str, Any]) -> None:
    run = skipping_runs["no_map"]
    assert "map.html" not in run["files"]
    assert "report.html" in run["files"]
    assert run["run"]["outputs"]["skipped"] == {"map.html": "[output] map = false"}
    assert "map.html" not in run["run"]["outputs"]["datums"]
    assert "map" not in [s["name"] for s in run["run"]["stages"]]
    assert run["record"]["skipped"] == {"map.html": "[output] map = false"}
    assert "map.html" not in run["record"]["outputs"]
    # the report neither shows nor lists a map that is not there
    assert "map.html" not in (run["folder"] / "report.html").read_text(encoding="utf-8")
    log = (run["folder"] / "run.log").read_text(encoding="utf-8")
    assert "map.html not written: [output] map = false" in log
    # the other run (map = true by default) has it
    assert "map.html" in skipping_runs["no_report"]["files"]


@pytest.mark.slow
def test_scenario_report_false_writes_no_report(skipping_runs: dict[str, Any]) -> None:
    run = skipping_runs["no_report"]
    assert "report.html" not in run["files"]
    assert "map.html" in run["files"]
    assert run["run"]["outputs"]["skipped"] == {"report.html": "[output] report = false"}
    assert "report" not in [s["name"] for s in run["run"]["stages"]]
    assert run["record"]["skipped"] == {"report.html": "[output] report = false"}
    log = (run["folder"] / "run.log").read_text(encoding="utf-8")
    assert "report.html not written: [output] report = false" in log
    assert "report.html" in skipping_runs["no_map"]["files"]


@pytest.mark.slow
def test_scenario_p_0_measures_todays_coverage_as_plan_site(tmp_path: Path) -> None:
    from planner.datasets.demo import demo_worker_plan

    # no candidates needed: nothing new is asked for
    result, folder = _demo_run(tmp_path / "out", model={"p": 0}, candidates=None)
    assert len(result.sites) == 0
    assert result.share_after == result.share_before > 0
    api = demo_worker_plan(result.network).site(p=0)
    assert result.share_before == pytest.approx(api.share_before, rel=1e-12)
    note = "No new sites were asked for (p = 0): the figures are today's coverage"
    assert any(n.startswith(note) for n in api.notes)
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert run["plans"][0]["parameters"]["p"] == 0
    assert any(n.startswith(note) for n in run["plans"][0]["notes"])
    assert note in html.unescape((folder / "report.html").read_text(encoding="utf-8"))
    # without existing stations there is nothing to measure: refused, nothing written
    with pytest.raises(InputError, match=r"p = 0 measures today's coverage.*\[stations\]"):
        _demo_run(tmp_path / "none", model={"p": 0}, stations=None)
    assert not (tmp_path / "none").exists()


def test_p_0_and_mip_gap_are_checked_alike_by_plan_and_scenario(line_network: Any) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from tests.conftest import line_inputs, line_plan

    # at least one site per district cannot be asked of a plan adding none
    with pytest.raises(InputError, match="p = 0 adds no site"):
        load_scenario(
            {"name": "x", "network": {"demo": True}, "model": {"p": 0, "min_per_area": 1}}
        )
    crs = line_inputs()["demand"].crs
    town = gpd.GeoDataFrame({"name": ["town"]}, geometry=[box(-50, -50, 3050, 50)], crs=crs)
    with pytest.raises(InputError, match="p = 0 adds no site"):
        line_plan(line_network, areas=town, area_name="name", min_per_area=1).site(p=0)
    plan = line_plan(line_network)
    zero = plan.site(p=0)
    assert len(zero.sites) == 0
    assert zero.share_after == zero.share_before
    assert zero.notes[0].startswith("No new sites were asked for (p = 0)")
    assert not any("asked for (p = 0)" in n for n in plan.site(p=1).notes)
    for bad in (1, -0.1, True):
        with pytest.raises(InputError, match="`mip_gap` must be a fraction"):
            plan.site(p=1, mip_gap=bad)
        with pytest.raises(InputError, match=r"mip_gap = .* must be a"):
            load_scenario(
                {
                    "name": "x",
                    "network": {"demo": True},
                    "model": {"p": 1},
                    "solver": {"mip_gap": bad},
                }
            )
