"""Run the notebooks in ``notebooks/`` top to bottom, as a user would (nbclient)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


def _result(cell: dict) -> str:  # type: ignore[type-arg]
    """The cell's value (its ``execute_result``), as plain text."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "execute_result":
            return str(out["data"].get("text/plain", ""))
    return ""


def _text(cell: dict) -> str:  # type: ignore[type-arg]
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        data = out.get("data", {})
        parts.append(data.get("text/plain", ""))
        parts.append(data.get("text/html", ""))
    return "".join(parts)


@pytest.mark.slow
def test_quickstart_runs_on_the_demo_region() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert _result(cells[0]) == "(14, 423, 107)"
    summary = _text(cells[1])
    assert "covered after" in summary
    assert "optimal" in summary
    assert "rank" in _text(cells[2])
    assert "share_before" in _text(cells[3])
    # the folium map renders inline (an iframe holding the Leaflet page)
    assert "leaflet" in _text(cells[5]).lower()
    assert "'map.html'" in _text(cells[6])
    assert re.search(r"covered \d+\.\d% -> \d+\.\d%", _text(cells[7]))


def _run(name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    # the kernel runs in a scratch folder: make sure it imports this checkout's planner
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    return cells


@pytest.mark.slow
def test_worker_station_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = _run("worker_stations.ipynb", tmp_path, monkeypatch)
    assert "197,943 GPS fixes -> 3,651 stays -> 423 hotspots" in _text(cells[1])
    shares = _text(cells[2])
    at_15 = re.search(r"\n\d+\s+15\.0\s+all\s+all\s+423\s+\S+\s+\S+\s+(0\.\d+)", shares)
    assert at_15 is not None, shares
    # planner.coverage (cell 2) and the Plan (cell 3) agree on the share covered before
    assert f"{float(at_15.group(1)):.1%}" in _text(cells[3])
    assert "optimal" in _text(cells[3])
    assert "leaflet" in _text(cells[6]).lower()


@pytest.mark.slow
def test_driver_home_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = _run("driver_homes.ipynb", tmp_path, monkeypatch)
    summary = _text(cells[3])
    assert "optimal" in summary
    assert "Demo Truck Fuel 1 (synthetic)" in _text(cells[4])
    assert "leaflet" in _text(cells[5]).lower()


@pytest.mark.slow
def test_bring_your_own_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = _run("bring_your_own_city.ipynb", tmp_path, monkeypatch)
    assert "network_from_osm(path)" in _text(cells[1])  # the offline error names the alternative
    described = _text(cells[2])
    # GCJ-02 stations converted back land on the roads (unconverted they would be ~500 m off)
    maximum = float(re.search(r"max\s+([\d.]+)", described).group(1))  # type: ignore[union-attr]
    assert maximum < 60
    # communities with a population: the share within 15 minutes, per district and for all
    districts = _text(cells[5])
    assert "communities_share_after" in districts
    assert "all" in districts
    assert not list(tmp_path.glob("my_stations.csv"))  # the notebook cleans up after itself


@pytest.mark.slow
def test_province_driver_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = _run("province_driver_homes.ipynb", tmp_path, monkeypatch)
    assert "348 routes, 40,001 trucks a day, 139 candidate sites, 4 existing homes" in _text(
        cells[0]
    )
    assert "optimal" in _text(cells[1])
    phases = _text(cells[2])
    assert "before" in phases
    assert "after phase 1" in phases
    ran = _text(cells[3])
    assert "asked: rest_interval | ran: RestIntervalCoverage" in ran
    assert "rest interval" in _text(cells[4])
    page = _text(cells[6]).lower()
    assert "leaflet" in page
    assert "programme by phase" in page
