"""Run the notebooks in ``notebooks/`` top to bottom, as a user would (nbclient)."""

from __future__ import annotations

import re

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
