"""Tests of planner.scenario: TOML scenarios validated before any heavy work."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner import InputError
from planner.scenario import load_scenario, scenario_files

GOOD = """
name = "Futian worker stations"
programme = "worker_stations"
seed = 7

[network]
osm = "roads.osm"

[stations]
path = "stations.csv"
datum = "gcj02"

[model]
p = 20
cutoff_min = 10

[output]
language = "zh"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "roads.osm").write_text("<osm/>")
    (tmp_path / "stations.csv").write_text("lon,lat\n114.0,22.5\n")
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    return tmp_path


def test_good_scenario_fills_presets_and_resolves_paths(folder: Path) -> None:
    s = load_scenario(folder / "good.toml")
    assert s.name == "Futian worker stations"
    assert s.seed == 7
    assert s["network"]["osm"] == (folder / "roads.osm").resolve()
    assert s["stations"]["datum"] == "gcj02"
    assert s["model"]["kind"] == "mclp"  # preset of the worker-station programme
    assert s["model"]["mode"] == "ebike"
    assert s["model"]["cutoff_min"] == 10
    assert s["solver"]["method"] == "auto"
    assert s.output_folder == folder / "results" / "Futian_worker_stations"
    assert load_scenario(folder / "good.toml").hash == s.hash


def test_driver_homes_preset() -> None:
    s = load_scenario(
        {
            "name": "corridor",
            "programme": "driver_homes",
            "network": {"demo": True},
            "routes": {"demo": True},
            "model": {"p": 2},
        }
    )
    assert (s["model"]["kind"], s["model"]["mode"], s["model"]["interval_h"]) == (
        "rest_interval",
        "truck",
        4.0,
    )


def test_every_problem_reported_at_once_with_keys_and_fixes(folder: Path) -> None:
    bad = GOOD.replace("cutoff_min = 10", "cutof_min = 10").replace("p = 20", "p = -1")
    bad = bad.replace('datum = "gcj02"', 'datum = "gcj-2"').replace("[output]", "[ouptut]")
    bad += '\n[solver]\nmip_gap = 2\nmethod = "fastest"\n'
    (folder / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(folder / "bad.toml")
    text = str(caught.value)
    assert "6 problems found" in text
    assert "bad.toml" in text
    assert "unknown key 'cutof_min' in [model]" in text
    assert "did you mean 'cutoff_min'?" in text
    assert "unknown section [ouptut]" in text
    assert "did you mean [output]?" in text
    assert "datum = 'gcj-2' is not allowed. Fix: use one of 'wgs84', 'gcj02', 'bd09'" in text
    assert "p = -1 must be 0 or more" in text
    assert "mip_gap = 2 must be a fraction" in text
    assert "method = 'fastest' is not allowed" in text
    fields = {p.field for p in caught.value.problems}
    assert "[model] cutof_min" in fields
    assert "[stations] datum" in fields


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'name = "x"\n[network]\ndemo = true\nosm = "roads.osm"\n[model]\np = 3\n',
            r"\[network\] gives demo, osm: give only one of them",
        ),
        ('name = "x"\n[network]\n[model]\np = 3\n', r"\[network\] names no source"),
        ('name = "x"\n[network]\ndemo = true\n', "does not say how many new sites"),
        (
            'name = "x"\n[network]\ndemo = true\n[model]\np = 3\nkind = "rest_interval"\n',
            "does not fit programme = 'worker_stations'",
        ),
        ("[network]\ndemo = true\n[model]\np = 3\n", "the scenario has no name"),
        ('name = "x"\n[network]\nosm = "nowhere.osm"\n[model]\np = 3\n', "no such file"),
        ('name = "x"\n[network]\ndemo = true\n[model]\np = "20"\n', "p = '20' must be a whole"),
        ('name = "x"\nprogramme = "driver_homes"\n[network]\ndemo = true\n', "needs truck routes"),
        (
            'name = "x"\n[network]\nbbox = [114.1, 22.5, 114.0, 22.6]\n[model]\np = 3\n',
            "west < east",
        ),
        (
            'name = "x"\n[network]\ndemo = true\n[model]\nkind = "lscp"\np = 3\n',
            "kind = 'lscp' chooses how many sites are needed; it takes no p",
        ),
        ('name = "x"\n[network]\ndemo = true\n[model]\nbudget = 5e5\n', "budget needs site costs"),
        (
            'name = "x"\n[network]\ndemo = true\n[candidates]\ncost = "c"\n'
            "[model]\nbudget = 5e5\np = 3\n",
            "gives budget and also p or phases",
        ),
        ('name = "x"\n[network]\ndemo = true\n[model]\np = 5\nphases = [2, 2]\n', "add up to 4"),
        ('name = "x"\n[network]\ndemo = true\n[model]\nphases = [2, -1]\n', "whole numbers >= 0"),
        (
            # driver homes take phases and budgets now; a subsidy per home is theirs alone
            'name = "x"\n[network]\ndemo = true\n[model]\np = 2\nsubsidy_per_home = 1.0\n',
            "subsidy_per_home is the cost of a new driver home",
        ),
        (
            'name = "x"\nprogramme = "driver_homes"\n[network]\ndemo = true\n[routes]\n'
            'demo = true\n[model]\np = 2\nkind = "lscp"\n',
            "use kind = one of 'rest_interval', 'flow_capture'",
        ),
        ('name = "x\n', "not valid TOML"),
        ("", "the scenario file is empty"),
    ],
)
def test_scenario_errors(folder: Path, content: str, message: str) -> None:
    (folder / "s.toml").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_scenario(folder / "s.toml")


def test_scenario_files_expand_folders(folder: Path) -> None:
    (folder / "sub").mkdir()
    (folder / "sub" / "b.toml").write_text(GOOD)
    (folder / "sub" / "a.toml").write_text(GOOD)
    files = scenario_files([folder / "sub", folder / "good.toml"])
    assert [f.name for f in files] == ["a.toml", "b.toml", "good.toml"]
    with pytest.raises(InputError, match="no such scenario file or folder"):
        scenario_files([folder / "missing.toml"])
    with pytest.raises(InputError, match="no such scenario file"):
        load_scenario(folder / "missing.toml")


def test_counting_sites_by_p_budget_phases_or_cover_all() -> None:
    base = {"name": "x", "network": {"demo": True}}
    phased = load_scenario(base | {"model": {"phases": [3, 2]}})
    assert phased["model"]["phases"] == [3, 2]
    assert phased["model"]["p"] is None
    budget = load_scenario(
        base | {"candidates": {"demo": True, "cost": "cost"}, "model": {"budget": 4e6}}
    )
    assert budget["model"]["budget"] == 4e6
    assert budget["candidates"]["cost"] == "cost"
    cover = load_scenario(base | {"model": {"kind": "lscp"}})
    assert cover["model"]["kind"] == "lscp"
    assert cover["model"]["p"] is None
    homes = load_scenario(
        base
        | {"programme": "driver_homes", "routes": {"demo": True}}
        | {"model": {"kind": "flow_capture", "p": 2}}
    )
    assert homes["model"]["kind"] == "flow_capture"


# ------------------------------------------------------------- numeric boundaries
# Every numeric check at its edges: the last value accepted and the first refused,
# each refusal naming the key. A check that is off by one at either edge fails here.
_BASE: dict[str, object] = {"name": "x", "network": {"demo": True}, "model": {"p": 3}}
_PHASED: dict[str, object] = {"name": "x", "network": {"demo": True}}
_BUDGET: dict[str, object] = {
    "name": "x",
    "network": {"demo": True},
    "candidates": {"demo": True, "cost": "cost"},
}
_EDGES = [
    # (base, section ("" = top level), key, value, accepted)
    (_BASE, "", "seed", 0, True),
    (_BASE, "", "seed", -1, False),
    (_BASE, "solver", "mip_gap", 0, True),  # documented: 0 inclusive (prove the optimum)
    (_BASE, "solver", "mip_gap", 0.0, True),
    (_BASE, "solver", "mip_gap", 0.999999, True),
    (_BASE, "solver", "mip_gap", 1, False),  # "from 0 (inclusive) to 1": 1 is out
    (_BASE, "solver", "mip_gap", 1.0000001, False),
    (_BASE, "solver", "mip_gap", -1e-12, False),
    (_BASE, "solver", "time_limit_s", 1e-3, True),
    (_BASE, "solver", "time_limit_s", 0, False),
    (_BASE, "solver", "time_limit_s", -1, False),
    (_BASE, "model", "cutoff_min", 1e-3, True),
    (_BASE, "model", "cutoff_min", 0, False),  # a zero-minute circle covers nobody
    (_BASE, "model", "cutoff_min", -5, False),
    (_BASE, "model", "p", 1, True),
    (_BASE, "model", "p", 0, True),  # no new site: today's coverage (as phases = [0])
    (_BASE, "model", "p", -1, False),
    (_BASE, "model", "interval_h", 1e-3, True),
    (_BASE, "model", "interval_h", 0, False),
    (_BASE, "model", "max_snap_m", 1e-3, True),
    (_BASE, "model", "max_snap_m", 0, False),
    (_BASE, "model", "max_snap_m", -1, False),
    (_BASE, "model", "curve_cutoffs_min", [1e-3, 5], True),
    (_BASE, "model", "curve_cutoffs_min", [0, 5], False),
    (_BASE, "model", "curve_cutoffs_min", [5, -1], False),
    (_BASE, "model", "curve_cutoffs_min", [], False),
    (_PHASED, "model", "phases", [0, 1], True),  # a year with no new site is allowed
    (_PHASED, "model", "phases", [0], True),
    (_PHASED, "model", "phases", [1, -1], False),
    (_PHASED, "model", "phases", [], False),
    (_BUDGET, "model", "budget", 1e-3, True),
    (_BUDGET, "model", "budget", 0, False),
    (_BUDGET, "model", "budget", -1, False),
    (_BASE, "demand", "stay_distance_m", 1e-3, True),
    (_BASE, "demand", "stay_distance_m", 0, False),
    (_BASE, "demand", "stay_minutes", 1e-3, True),
    (_BASE, "demand", "stay_minutes", 0, False),
    (_BASE, "demand", "hotspot_eps_m", 1e-3, True),
    (_BASE, "demand", "hotspot_eps_m", 0, False),
    (_BASE, "candidates", "grid_m", 1e-3, True),
    (_BASE, "candidates", "grid_m", 0, False),
    (_BASE, "candidates", "min_distance_m", 0, True),
    (_BASE, "candidates", "min_distance_m", -1e-9, False),
    (_BASE, "candidates", "dedupe_m", 0, True),
    (_BASE, "candidates", "dedupe_m", -1e-9, False),
    (_BASE, "candidates", "min_volume", 0, True),
    (_BASE, "candidates", "min_volume", -1e-9, False),
    (_BASE, "network", "bbox", [-180, -90, 180, 90], True),
    (_BASE, "network", "bbox", [114.0, 22.5, 114.0, 22.6], False),  # west == east
    (_BASE, "network", "bbox", [114.0, 22.5, 114.1, 22.5], False),  # south == north
    (_BASE, "network", "bbox", [-180.001, 22.5, 114.1, 22.6], False),
    (_BASE, "network", "bbox", [114.0, 22.5, 114.1, 90.001], False),
]


@pytest.mark.parametrize(
    ("base", "section", "key", "value", "accepted"),
    _EDGES,
    ids=[f"{s or 'top'}.{k}={v!r}" for _, s, k, v, _ in _EDGES],
)
def test_numeric_checks_at_their_boundaries(
    base: dict[str, object], section: str, key: str, value: object, accepted: bool
) -> None:
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    if section:
        table = data.setdefault(section, {})
        assert isinstance(table, dict)
        if section == "network" and key == "bbox":
            table.pop("demo")
        table[key] = value
    else:
        data[key] = value
    if accepted:
        scenario = load_scenario(data)
        got = scenario.seed if not section else scenario[section][key]
        assert got == value
        return
    with pytest.raises(InputError) as caught:
        load_scenario(data)
    field = f"[{section}] {key}" if section else key
    fields = [p.field for p in caught.value.problems]
    # a refused bbox also leaves [network] without a source: that is a second problem
    assert fields == [field] or (key == "bbox" and fields == [field, "[network]"])
    assert str(caught.value).count(f"{key} = {value!r} must ") == 1
    assert f"field '{field}'" in str(caught.value)


# ------------------------------------------------------------------ the input files
REPO = Path(__file__).resolve().parents[1]


def _files_scenario(folder: Path, *, stations: str, extra: str = "") -> Path:
    text = f"""
name = "Hohhot union stations"

[network]
osm = "roads.osm"

[stations]
path = "{stations}"
{extra}

[model]
p = 10
"""
    path = folder / "hohhot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_inputs_reports_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app
    from planner.scenario import check_inputs

    openpyxl = pytest.importorskip("openpyxl")
    (tmp_path / "roads.osm").write_text("these are not roads", encoding="utf-8")
    (tmp_path / "驿站.csv").write_bytes(
        "编号,站点名称,经度,纬度\n1,新城驿站,111.67,40.81\n1,赛罕驿站,111.68,四十\n".encode("gbk")
    )
    book = openpyxl.Workbook()
    book.active.append(["名称", "X坐标", "Y坐标"])
    book.active.append(["社区中心", 111.69, 40.82])
    book.save(tmp_path / "候选.xlsx")
    (tmp_path / "gps.csv").write_text(
        "骑手,定位时间,lng,lat\nr1,2024-05-01 08:00:00,111.67,40.81\nr1,soon,111.67,40.81\n",
        encoding="utf-8",
    )
    extra = (
        '\n[candidates]\npath = "候选.xlsx"\ndatum = "gcj02"\n'
        '\n[demand]\ntraces = "gps.csv"\ndatum = "wgs84"\n'
    )
    path = _files_scenario(tmp_path, stations="驿站.csv", extra=extra)
    scenario = load_scenario(path)  # the scenario itself is valid
    problems = check_inputs(scenario)
    where = sorted(
        (Path(p.file).name if p.file else "", p.row or 0, p.field or "") for p in problems
    )
    assert where == sorted(
        [
            ("roads.osm", 0, "[network] osm"),
            ("驿站.csv", 0, "[stations] datum"),
            ("驿站.csv", 2, "编号"),
            ("驿站.csv", 2, "纬度"),
            ("候选.xlsx", 0, ""),  # no longitude column
            ("候选.xlsx", 0, ""),  # no latitude column
            ("gps.csv", 2, "定位时间"),
        ]
    )
    text = "\n".join(map(str, problems))
    assert "1 of 1 points lie in China and no datum is given" in text  # row 2 is unreadable
    assert 'add datum = "wgs84" (GPS, OpenStreetMap), "gcj02" (Amap/Gaode, Tencent)' in text
    assert "to [stations] in " in text
    assert "no longitude column found; the columns are ['名称', 'X坐标', 'Y坐标']" in text
    assert '(in the scenario: lon = "..." in [candidates].)' in text
    assert "cannot read timestamp 'soon'" in text
    assert "cannot read the file as OpenStreetMap data" in text
    # planner validate lists them all and exits 2
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "7 problems found" in result.output
    assert "field '[stations] datum'" in result.output


def test_check_inputs_good_files_and_datum_outside_china(tmp_path: Path) -> None:
    from planner.scenario import check_inputs

    (tmp_path / "roads.osm").write_text(
        "<?xml version='1.0'?>\n<osm version='0.6'></osm>\n", encoding="utf-8"
    )
    (tmp_path / "s.csv").write_text("id,lon,lat\na,111.67,40.81\n", encoding="utf-8")
    (tmp_path / "paris.csv").write_text("id,lon,lat\na,2.35,48.85\n", encoding="utf-8")
    stated = _files_scenario(tmp_path, stations="s.csv", extra='datum = "gcj02"')
    assert check_inputs(load_scenario(stated)) == []
    # no datum needed where no offset exists
    assert check_inputs(load_scenario(_files_scenario(tmp_path, stations="paris.csv"))) == []


def test_examples_state_their_datums() -> None:
    from planner.scenario import check_inputs

    for path in sorted((REPO / "examples").glob("*.toml")):
        assert check_inputs(load_scenario(path)) == [], path.name


def test_network_timeout_key() -> None:
    base = {"name": "x", "network": {"place": "Hohhot"}, "model": {"p": 1}}
    assert load_scenario(base)["network"]["timeout_s"] == 180.0
    with pytest.raises(InputError, match=r"timeout_s = 0 must be greater than 0"):
        load_scenario(base | {"network": {"place": "Hohhot", "timeout_s": 0}})


def test_offline_place_names_the_scenario_key(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    import osmnx as ox

    from planner import OfflineError
    from planner._scenario_plan import scenario_network as _network

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(ox.settings, "nominatim_url", f"http://127.0.0.1:{port}/")
    scenario = load_scenario(
        {
            "name": "x",
            "network": {"place": "Xincheng, Hohhot", "cache_dir": str(tmp_path), "timeout_s": 5},
            "model": {"p": 1},
        }
    )
    with pytest.raises(OfflineError) as info:
        _network(scenario, progress=False)
    text = str(info.value)
    assert "[network] place = 'Xincheng, Hohhot' needs internet" in text
    assert "[network] osm = 'extract.osm.pbf'" in text
    assert "network_from" not in text.split("Fix:")[0]


def test_trace_columns_of_a_scenario_reach_the_stays(tmp_path: Path, access_demo_network) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from planner._scenario_plan import scenario_demand as _demand

    traces = pd.read_csv(REPO / "data/demo/traces.csv.bz2")
    traces = traces[traces["driver_id"].isin(traces["driver_id"].unique()[:12])]
    traces.to_csv(tmp_path / "plain.csv", index=False)
    renamed = traces.rename(columns={"driver_id": "rider_no", "time": "fix_at"})
    renamed.to_csv(tmp_path / "renamed.csv", index=False)
    aliased = traces.rename(columns={"driver_id": "骑手", "time": "定位时间"})
    aliased.to_csv(tmp_path / "aliased.csv", index=False)

    def demand(name: str, **keys: str):  # type: ignore[no-untyped-def]
        spec = {"traces": str(tmp_path / name), "datum": "wgs84", **keys}
        scenario = load_scenario(
            {"name": "x", "network": {"demo": True}, "model": {"p": 1}, "demand": spec}
        )
        return _demand(scenario, access_demo_network)

    plain = demand("plain.csv")
    assert len(plain) > 0
    named = demand("renamed.csv", driver="rider_no", time="fix_at")
    found = demand("aliased.csv")
    for other in (named, found):
        assert other["weight"].tolist() == plain["weight"].tolist()
        assert other.geometry.equals(plain.geometry)


def test_output_datum_and_language() -> None:
    base = {"name": "x", "network": {"demo": True}, "model": {"p": 2}}
    s = load_scenario(base)
    assert s["output"]["datum"] is None  # the sites tables follow [stations] datum
    assert s["output"]["language"] == "en"
    s = load_scenario(base | {"output": {"datum": "gcj02", "language": "zh"}})
    assert (s["output"]["datum"], s["output"]["language"]) == ("gcj02", "zh")
    with pytest.raises(InputError, match=r"datum = 'utm' is not allowed") as error:
        load_scenario(base | {"output": {"datum": "utm", "language": "fr"}})
    assert "[output] language" in str(error.value)  # both problems at once
