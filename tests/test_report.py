"""Tests of planner.report: charts with known coordinates, pages opened in Chromium."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from planner import InputError
from planner.report import bar_svg, curve_svg, report_html, write_report
from tests.conftest import line_inputs, line_plan

SVG = "{http://www.w3.org/2000/svg}"


def test_curve_svg_places_points_and_marks_the_chosen_p() -> None:
    curve = pd.DataFrame({"p": [0, 1, 2], "share": [0.5, 0.8, 1.0]})
    root = ET.fromstring(curve_svg(curve, chosen_p=1))
    circles = root.findall(f"{SVG}circle")
    # plot box: x 52..464 for p 0..2, y 240..30 for shares 0.5..1.0 (axis from 50%)
    assert [float(c.get("cx", "")) for c in circles] == [52.0, 258.0, 464.0]
    assert [float(c.get("cy", "")) for c in circles] == [240.0, 114.0, 30.0]
    assert [c.get("data-p") for c in circles if c.get("class") == "chosen"] == ["1"]
    assert "chosen p = 1: 80.0%" in "".join(root.itertext())
    empty = curve_svg(pd.DataFrame({"p": [], "share": []}))
    assert "nothing could be sited" in empty


def test_bar_svg_widths_are_proportional_to_shares() -> None:
    table = pd.DataFrame(
        {
            "group_by": ["all", "group"],
            "group": ["all", "rider"],
            "share_before": [0.5, 0.25],
            "share_after": [0.75, 1.0],
        }
    )
    root = ET.fromstring(bar_svg(table))
    bars = {
        (r.get("data-group"), r.get("data-state")): float(r.get("width", ""))
        for r in root.findall(f"{SVG}rect")
        if r.get("data-state")
    }
    # 270 px of bar for 100 %
    assert bars == {
        ("all demand", "before"): 135.0,
        ("all demand", "after"): 202.5,
        ("group: rider", "before"): 67.5,
        ("group: rider", "after"): 270.0,
    }


def test_report_page_in_browser(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    res.to_files(tmp_path, tiles=None)
    page = open_page(tmp_path / "report.html")
    assert page.errors == []
    text = page.page.inner_text("body")
    assert "Line town" in page.page.inner_text("h1")
    params = page.page.locator("table.parameters").inner_text()
    assert re.search(r"cutoff_min\s+2\.5", params)
    assert "None" not in params  # settings that do not apply (budget, phases) are left out
    first = page.page.locator("table.coverage tr").nth(1).all_inner_texts()[0].split("\t")
    assert first[:2] == ["all", "all"]
    assert first[-3:] == ["10.7%", "75.0%", "64.3%"]
    rows = page.page.locator("table.sites tbody tr").all_inner_texts()
    assert len(rows) == 1
    assert rows[0].split("\t")[:3] == ["c8", "1", "Parking"]
    solver = page.page.locator("table.solver").inner_text()
    assert re.search(r"status\s+optimal", solver)
    assert re.search(r"gap\s+0\.0%", solver)
    assert page.page.locator("svg.planner-curve circle.chosen").get_attribute("data-p") == "1"
    assert page.page.locator("svg.planner-bars rect[data-state]").count() == 6
    assert page.page.locator("iframe.map").get_attribute("src") == "map.html"
    assert "OpenStreetMap contributors" in text
    frame = page.page.frame_locator("iframe.map")
    assert frame.locator(".leaflet-container").count() == 1
    assert page.screenshot("report_line").stat().st_size > 10_000


def test_empty_report_says_why(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network, candidates=line_inputs()["candidates"].iloc[:0]).site(p=2)
    path = write_report(res, tmp_path / "empty.html", map_file=None)
    page = open_page(path)
    assert page.errors == []
    assert "No new sites recommended: No candidate sites were given" in page.page.inner_text(
        "p.empty"
    )
    assert "nothing could be sited" in page.page.text_content("svg.planner-curve")
    assert re.search(r"status\s+optimal", page.page.inner_text("table.solver"))


def test_report_with_the_map_embedded(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    path = write_report(res, tmp_path / "one.html", embed_map=True)
    text = path.read_text(encoding="utf-8")
    assert re.findall(r'<script[^>]+src="http', text) == []
    assert 'iframe class="map" srcdoc=' in text
    page = open_page(path, wait_ms=1500)
    assert page.errors == []
    frame = page.page.frame_locator("iframe.map")
    assert frame.locator(".planner-site").all_inner_texts() == ["1"]
    with pytest.raises(InputError, match="at least one plan"):
        report_html([])


def test_demo_report_in_browser(demo_run: Any, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(demo_run.paths["report"], wait_ms=2500)
    assert page.errors == []
    sections = page.page.locator("section.plan")
    assert sections.count() == 2
    assert [sections.nth(k).get_attribute("data-programme") for k in range(2)] == [
        "worker_stations",
        "driver_homes",
    ]
    homes = sections.nth(1).locator("table.sites tbody tr").all_inner_texts()
    assert len(homes) == len(demo_run.homes.sites)
    chosen = page.page.locator("svg.planner-curve circle.chosen")
    assert chosen.count() == 2
    assert chosen.nth(0).get_attribute("data-p") == str(len(demo_run.workers.sites))
    summary = page.page.locator("table.summary").inner_text()
    assert "rest rule met after" in summary
    assert "nan" not in summary.split()  # figures that do not apply are blank
    page.screenshot("report_demo")
