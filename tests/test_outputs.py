"""Tests of planner.outputs: the output folder read back (sites tables, datums, bytes)."""

from __future__ import annotations

import filecmp
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from planner.crs import from_wgs84, to_wgs84
from planner.io import read_stations
from tests.conftest import line_inputs, line_plan

openpyxl = pytest.importorskip("openpyxl")


def _gcj_stations() -> Any:
    """The line's station as an Amap user has it: a table of GCJ-02 coordinates."""
    station = line_inputs()["stations"]
    lon, lat = from_wgs84(station.geometry.x.to_numpy(), station.geometry.y.to_numpy(), "gcj02")
    table = pd.DataFrame(
        {"id": ["S0"], "name": ["Station zero"], "kind": ["worker_station"], "lng": lon, "lat": lat}
    )
    return read_stations(table, datum="gcj02").set_index("id")


def _xlsx(path: Path) -> pd.DataFrame:
    book = openpyxl.load_workbook(path)
    rows = list(book.active.values)
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_read_stations_records_the_datum() -> None:
    assert _gcj_stations().attrs["datum"] == "gcj02"
    from planner._errors import DatumWarning

    with pytest.warns(DatumWarning, match="no datum was given"):  # in China, read as WGS84
        unsaid = read_stations(pd.DataFrame({"id": ["a"], "lng": [114.1], "lat": [22.5]}))
    assert unsaid.attrs["datum"] == "wgs84"


def test_sites_tables_in_the_stations_datum(line_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network, stations=_gcj_stations()).site(p=1)
    assert res.input_datum == "gcj02"
    paths = res.to_files(tmp_path, tiles=None)  # default: the stations' datum
    raw = paths["sites_csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads it as UTF-8
    csv = pd.read_csv(paths["sites_csv"], encoding="utf-8-sig")
    xlsx = _xlsx(paths["sites_xlsx"])
    for table in (csv, xlsx):
        assert list(table["Status"]) == ["recommended", "existing"]
        assert list(table["Site id"]) == ["c8", "S0"]
        wlon = table["Longitude (WGS84)"].to_numpy(float)
        wlat = table["Latitude (WGS84)"].to_numpy(float)
        glon, glat = from_wgs84(wlon, wlat, "gcj02")
        assert table["Longitude (GCJ-02)"].to_numpy(float) == pytest.approx(glon, abs=2e-6)
        assert table["Latitude (GCJ-02)"].to_numpy(float) == pytest.approx(glat, abs=2e-6)
        # the GCJ-02 shift here is hundreds of metres, not a rounding error
        assert abs(glon[0] - wlon[0]) > 0.003
        # the WGS84 columns are the sites' own points
        site = res.sites.geometry.iloc[0]
        assert (wlon[0], wlat[0]) == pytest.approx((site.x, site.y), abs=1e-6)
        # and the station comes back where the user gave it (GCJ-02 in, GCJ-02 out)
        given = to_wgs84(float(glon[1]), float(glat[1]), "gcj02")
        station = res.stations.geometry.iloc[0]
        assert given == pytest.approx((station.x, station.y), abs=2e-6)
        # allocation, solved by hand on the line: c8 serves d6-d10, S0 serves d0-d2
        assert list(table["Serves"]) == [18.0, 3.0]
        assert list(table["Serves (demand points or routes)"]) == [5, 3]
        assert list(table["Longest travel time (min)"]) == [2.0, 2.0]
        assert list(table["Mean travel time (min)"]) == pytest.approx([1.11, 1.0])
    assert list(csv.columns) == list(xlsx.columns)
    geo = json.loads(paths["sites"].read_text(encoding="utf-8"))
    lon, lat = geo["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx(
        (csv.loc[0, "Longitude (WGS84)"], csv.loc[0, "Latitude (WGS84)"])
    )
    run = json.loads(paths["run"].read_text(encoding="utf-8"))
    assert run["outputs"]["datum"] == "gcj02"
    assert run["outputs"]["datums"]["sites.geojson"] == ["wgs84"]
    report = paths["report"].read_text(encoding="utf-8")
    assert "Longitude, latitude (GCJ-02)" in report
    assert "Amap (Gaode)" in report


def test_datum_and_language_asked_for(line_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    assert res.input_datum == "wgs84"  # points built by hand: nothing recorded
    paths = res.to_files(tmp_path, tiles=None, language="zh", datum="bd09")
    csv = pd.read_csv(paths["sites_csv"], encoding="utf-8-sig")
    assert list(csv.columns[:4]) == ["项目类型", "状态", "排名", "站点编号"]
    assert list(csv["状态"]) == ["推荐新建", "现有"]
    assert list(csv["类型"]) == ["停车场", "户外劳动者服务站"]
    blon, blat = from_wgs84(
        csv["经度（WGS84）"].to_numpy(float), csv["纬度（WGS84）"].to_numpy(float), "bd09"
    )
    assert csv["经度（BD-09）"].to_numpy(float) == pytest.approx(blon, abs=2e-6)
    assert csv["纬度（BD-09）"].to_numpy(float) == pytest.approx(blat, abs=2e-6)
    xlsx = _xlsx(paths["sites_xlsx"])
    assert list(xlsx.columns) == list(csv.columns)
    assert openpyxl.load_workbook(paths["sites_xlsx"]).active.title == "站点"
    report = paths["report"].read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in report
    assert "经纬度（BD-09）" in report


def test_same_inputs_same_files(line_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stations = _gcj_stations()
    for k in (1, 2):
        line_plan(line_network, stations=stations).site(p=1).to_files(
            tmp_path / str(k), tiles=None, language="zh"
        )
        if k == 1:
            time.sleep(1.1)  # a clock-stamped file (xlsx metadata, zip entries) would differ
    names = sorted(p.name for p in (tmp_path / "1").iterdir())
    assert names == [
        "coverage.csv",
        "map.html",
        "report.html",
        "run.json",
        "sites.csv",
        "sites.geojson",
        "sites.xlsx",
    ]
    for name in names:
        if name != "run.json":
            assert filecmp.cmp(tmp_path / "1" / name, tmp_path / "2" / name, shallow=False), name
    # run.json differs only in what its outputs.varies_between_runs names
    runs = [json.loads((tmp_path / str(k) / "run.json").read_text()) for k in (1, 2)]
    assert runs[0]["outputs"]["varies_between_runs"] == [
        "created",
        "plans[].solver.seconds",
        "plans[].stages[].seconds",
        "stages[].seconds",
    ]
    for run in runs:
        run.pop("created")
        for stage in run["stages"]:
            stage.pop("seconds")
        for plan in run["plans"]:
            plan["solver"].pop("seconds")
            for stage in plan["stages"]:
                stage.pop("seconds")
    assert runs[0] == runs[1]


def test_allocation_table_of_the_line(line_network) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    alloc = res.allocation
    assert list(alloc.index) == ["S0", "c8"]
    assert list(alloc["status"]) == ["existing", "new"]
    assert list(alloc["alloc_weight"]) == [3.0, 18.0]
    assert list(alloc["alloc_points"]) == [3, 5]
    # weighted by demand: (5*2 + 5*1 + 5*0 + 1*1 + 2*2) / 18
    assert alloc.loc["c8", "alloc_mean_min"] == pytest.approx(20 / 18)
    assert alloc.loc["S0", "alloc_mean_min"] == pytest.approx(1.0)
    assert list(alloc["alloc_max_min"]) == [2.0, 2.0]
    # the same figures are columns of the sites table
    assert res.sites.loc["c8", "alloc_weight"] == 18.0
    # and each demand point names the site serving it (nearest open site within the cutoff)
    assert res.demand.loc["d9", "site"] == "c8"
    assert pd.isna(res.demand.loc["d4", "site"])
    assert np.isnan(res.demand.loc["d4", "time_min"])


def test_chinese_sites_tables_hold_no_english(line_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Headers and values of sites.csv / sites.xlsx in Chinese: only the data's own names."""
    from tests.test_report import data_words, english_notes, english_runs

    res = line_plan(line_network).site(p=3)  # asks for more sites than add coverage: a note
    assert any("sites asked for add coverage" in n for n in res.notes)
    paths = res.to_files(tmp_path, tiles=None, language="zh", datum="gcj02")
    allowed = data_words(res) | {"WGS84", "GCJ-02"}
    for table in (
        pd.read_csv(paths["sites_csv"], encoding="utf-8-sig"),
        _xlsx(paths["sites_xlsx"]),
    ):
        cells = [*map(str, table.columns), *(str(v) for v in table.to_numpy().ravel())]
        assert english_runs("\n".join(cells), allowed) == []
        assert english_notes("\n".join(cells)) == []
    # the guard can fail: the English table's headers are English sentences
    english = res.to_files(tmp_path / "en", tiles=None, language="en")
    headers = "\n".join(pd.read_csv(english["sites_csv"], encoding="utf-8-sig").columns)
    assert len(english_runs(headers, allowed)) >= 5
