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
    assert "chosen: 80.0% with 1 new" in "".join(root.itertext())
    assert "选定：新建 1 个，80.0%" in curve_svg(curve, chosen_p=1, language="zh")
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
        ("All demand", "before"): 135.0,
        ("All demand", "after"): 202.5,
        ("delivery riders", "before"): 67.5,
        ("delivery riders", "after"): 270.0,
    }
    assert "外卖骑手" in bar_svg(table, language="zh")


def test_report_page_in_browser(line_network, open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = line_plan(line_network).site(p=1)
    res.to_files(tmp_path, tiles=None)
    page = open_page(tmp_path / "report.html")
    assert page.errors == []
    text = page.page.inner_text("body")
    assert "Line town" in page.page.inner_text("h1")
    assert page.page.title() == "Line town"
    params = page.page.locator("table.parameters").inner_text()
    assert re.search(r"Travel time limit\s+2\.5 min", params)
    assert "None" not in params  # settings that do not apply (budget, phases) are left out
    solved = page.page.locator("table.solved").inner_text()
    assert re.search(r"Model that ran\s+maximal covering", solved)
    assert "within 2.5 min by e-bike over the road network" in solved
    first = page.page.locator("table.coverage tbody tr").nth(0).all_inner_texts()[0].split("\t")
    # 11 points, weight 28; S0 covers d0-d2 (3), c8 adds d6-d10 (18): 3/28 -> 21/28
    assert first == ["All demand", "11", "28", "10.7%", "75.0%", "64.3%"]
    rows = page.page.locator("table.sites tbody tr").all_inner_texts()
    assert len(rows) == 1
    cells = rows[0].split("\t")
    assert cells[:3] == ["1", "Parking", "parking"]
    assert cells[3:6] == ["", "18", "64.3%"]  # no named road on the line; adds 18
    alloc = page.page.locator("table.allocation tbody tr").all_inner_texts()
    # S0 serves d0-d2 (weight 3, 0/1/2 min); c8 serves d6-d10 (5,5,5,1,2 at 2,1,0,1,2 min)
    assert [r.split("\t") for r in alloc] == [
        ["Station zero", "existing", "", "3", "3", "1.0", "2.0"],
        ["Parking", "recommended", "1", "18", "5", "1.1", "2.0"],
    ]
    solver = page.page.locator("table.solver").inner_text()
    assert re.search(r"Status\s+optimal", solver)
    assert re.search(r"Gap\s+0\.00%", solver)
    assert page.page.locator("svg.planner-curve circle.chosen").get_attribute("data-p") == "1"
    assert page.page.locator("svg.planner-bars rect[data-state]").count() == 6
    assert page.page.locator("iframe.map").get_attribute("src") == "map.html"
    assert "OpenStreetMap contributors" in text
    files = page.page.locator("table.files").inner_text()
    assert re.search(r"sites.geojson.*WGS84", files)
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
    assert re.search(r"Status\s+optimal", page.page.inner_text("table.solver"))


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
    assert "Routes meeting the rest rule, after" in summary
    assert "nan" not in summary.split()  # figures that do not apply are blank
    # the driver-home report says which model ran (from the result's record) and what
    # "covered" means for it
    solved = sections.nth(1).locator("table.solved").inner_text()
    ran = demo_run.homes.locate.model
    words = {"FlowCapture": "flow capturing", "RestIntervalCoverage": "rest-interval coverage"}
    assert re.search(rf"Model that ran\s+{words[ran]}", solved)
    assert "a truck route is covered when" in solved
    page.screenshot("report_demo")


# ----------------------------------------------------------- phone, desktop, Chinese
#: English words of the report's interface: none may appear in the Chinese report.
ENGLISH_UI = (
    "Summary",
    "What was solved",
    "Coverage before and after",
    "Recommended sites",
    "Who each site serves",
    "How it was solved",
    "Inputs and settings",
    "Files in this folder",
    "Open the map",
    "Covered before",
    "Covered after",
    "Model that ran",
    "covered",
    "demand weight",
    "trucks a day",
    "trucks/day",
    "Rank",
    "Name",
    "Type",
    "Nearest existing station",
    "Serves",
    "Longest",
    "Mean travel time",
    "before",
    "after",
    "optimal",
    "existing",
    "recommended",
    "new sites",
    "chosen",
    "Solver",
    "Gap",
    "Travel mode",
    "e-bike",
    "riders",
    "couriers",
    "All demand",
    "Worker group",
    "Demand source",
    "GPS stops",
    "parking",
    "fuel",
    "min",
    "flow capturing",
    "rest-interval",
    "rest rule",
    "Road data",
    "Made with",
    "n/a",
    "group_by",
    "weight_before",
    "added_share",
    "nearest_station_m",
    "FlowCapture",
    "RestIntervalCoverage",
    "MCLP",
)
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}


def _visit(browser: Any, path: Path, size: str) -> Any:
    width, height = SIZES[size]
    page = browser.new_page(
        viewport={"width": width, "height": height},
        is_mobile=size == "phone",
        has_touch=size == "phone",
        device_scale_factor=2 if size == "phone" else 1,
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.resolve().as_uri())
    page.wait_for_timeout(1200)
    return page, errors


@pytest.fixture(scope="module")
def demo_reports(demo_run: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's report in English (as run) and in Chinese (the same plans)."""
    import dataclasses

    from planner.outputs import write_outputs

    zh = [
        dataclasses.replace(demo_run.workers, name="户外劳动者服务站——合成演示区域"),
        dataclasses.replace(demo_run.homes, name="司机之家——合成演示区域"),
    ]
    folder = tmp_path_factory.mktemp("zh")
    paths = write_outputs(
        zh, folder, tiles=None, language="zh", datum="gcj02", title="合成演示区域"
    )
    return {"en": demo_run.paths["report"], "zh": paths["report"]}


@pytest.mark.browser
@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_demo_report_fits_the_screen(browser, demo_reports, language: str, size: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = _visit(browser, demo_reports[language], size)
    try:
        assert errors == []
        fit = page.evaluate(
            "({sw: document.documentElement.scrollWidth, iw: window.innerWidth,"
            " bw: document.body.scrollWidth, title: document.title,"
            " lang: document.documentElement.lang})"
        )
        assert fit["sw"] <= fit["iw"], fit
        assert fit["bw"] <= fit["iw"], fit
        assert fit["iw"] == SIZES[size][0]  # the viewport meta: the page is laid out at 390 px
        assert fit["title"]
        assert fit["lang"] == {"en": "en", "zh": "zh-CN"}[language]
        # wide tables scroll inside their own box, never the page
        boxes = page.evaluate(
            "[...document.querySelectorAll('table')].map(t => t.parentElement.className)"
        )
        assert boxes
        assert set(boxes) == {"scroll"}
        # text cells are left-aligned, numbers right-aligned
        align = page.evaluate(
            "[...document.querySelectorAll('table.sites td')].map(td =>"
            " [td.className, getComputedStyle(td).textAlign])"
        )
        assert {a for c, a in align if c != "num"} == {"left"}
        assert {a for c, a in align if c == "num"} == {"right"}
        page.screenshot(path=str(_artifact(f"report_demo_{language}_{size}")), full_page=True)
    finally:
        page.close()


def _artifact(name: str) -> Path:
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


@pytest.mark.browser
def test_chinese_report_has_no_english_interface(browser, demo_run, demo_reports) -> None:  # type: ignore[no-untyped-def]
    page, errors = _visit(browser, demo_reports["zh"], "desktop")
    try:
        assert errors == []
        # what a reader sees, plus the charts' text
        text = page.inner_text("body") + page.evaluate(
            "[...document.querySelectorAll('svg')].map(s => s.textContent).join(' ')"
        )
        # names of places and ids are the data's, not the interface's
        data: set[str] = set()
        for res in (demo_run.workers, demo_run.homes):
            for frame in (res.sites, res.stations):
                for column in ("name", "nearest_road", "nearest_station"):
                    if column in frame:
                        data |= {v for v in frame[column] if isinstance(v, str)}
                data |= {str(i) for i in frame.index}
        for name in sorted(data, key=len, reverse=True):
            text = text.replace(name, "")
        found = [word for word in ENGLISH_UI if re.search(rf"\b{re.escape(word)}\b", text)]
        assert found == []
        assert "覆盖" in text
        assert "司机之家" in text
        assert "分钟" in text
        # and the English one has them (the list is of words the page really shows)
        page_en, _ = _visit(browser, demo_reports["en"], "desktop")
        english = page_en.inner_text("body")
        page_en.close()
        shown = [word for word in ENGLISH_UI if re.search(rf"\b{re.escape(word)}\b", english)]
        assert len(shown) >= 30
    finally:
        page.close()


# ------------------------------------------ no English left in Chinese outputs (guard)
#: A run of three or more ASCII words: English a Chinese reader would have to read.
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t]+[A-Za-z][A-Za-z'’-]*){2,}")
#: English sentences the library has shown in Chinese outputs: none may come back.
ENGLISH_NOTES = (
    "No trip drives longer than the rest interval",
    "every truck meets the rest rule without a home",
    "Model asked for",
    "No trip drives longer than",
    "candidate sites lie more than",
    "were left out",
    "result.off_network",
    "candidate sites are passed by",
    "fewer than",
    "trucks a day",
    "Fewer homes than asked for",
    "Phased plan",
    "builds",
    "new homes cost",
    "Some routes drive longer than",
    "flow capturing",
    "FlowCapture",
    "RestIntervalCoverage",
    "rest_interval",
    "Synthetic province generated by planner",
    "nodes, ",
    "directed edges",
    "km by road class",
    "usable nodes",
    "residential",
    "communities within the cutoff",
    "model run",
    "rest rule met by",
)


def english_runs(text: str, allowed: Any = ()) -> list[str]:
    """Return the runs of 3+ English words in ``text`` once the ``allowed`` strings are cut.

    ``allowed`` holds the data's own words (place, site and road names, ids, file
    names), which are shown as the user gave them.
    """
    for word in sorted({str(a) for a in allowed if str(a)}, key=len, reverse=True):
        text = text.replace(word, " ")
    return sorted({m.group(0) for m in ENGLISH_RUN.finditer(text)})


def english_notes(text: str) -> list[str]:
    """Return the sentences of :data:`ENGLISH_NOTES` found in ``text``."""
    return [s for s in ENGLISH_NOTES if s in text]


def visible_text(page: str) -> str:
    """The text of an HTML page outside its scripts and styles (what a reader sees)."""
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.hidden += tag in ("script", "style")

        def handle_endtag(self, tag: str) -> None:
            self.hidden -= tag in ("script", "style")

        def handle_data(self, data: str) -> None:
            if not self.hidden:
                self.parts.append(data)

    parser = _Text()
    parser.feed(page)
    return "\n".join(parser.parts)


def data_words(*results: Any) -> set[str]:
    """The data's own words in plans: site, station and road names, ids, the plans' names."""
    words: set[str] = set()
    for res in results:
        words.add(res.name)
        for frame in (res.sites, res.stations):
            for column in ("name", "nearest_road", "nearest_station"):
                if column in frame:
                    words |= {v for v in frame[column] if isinstance(v, str)}
            words |= {str(i) for i in frame.index}
        if res.network is not None:
            for _, _, data in res.network.graph.edges(data=True):
                for key in ("name", "ref"):
                    value = data.get(key)
                    values = value if isinstance(value, list) else [value]
                    words |= {str(v) for v in values if v}
    return words


def test_guard_finds_english_and_spares_the_data() -> None:
    assert english_runs("覆盖率 56.0% -> 97.6%（辆/日）; GPS 停留点; OpenStreetMap 贡献者") == []
    assert english_runs("说明：No trip drives longer than 4 h") == ["No trip drives longer than"]
    assert english_runs("1. Demo Truck Fuel 1 (synthetic) +443", {"Demo Truck Fuel 1"}) == []
    assert english_notes("说明：Model asked for: rest_interval.") == [
        "Model asked for",
        "rest_interval",
    ]


def _placeholders(template: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_note_has_a_chinese_sentence_with_the_same_values() -> None:
    """Each note of the catalogue says the same figures in Chinese, in Chinese words."""
    from planner import _i18n

    notes = {k: v for k, v in _i18n._TEXT.items() if k.startswith(("n_", "cli_", "net_", "pmap_"))}
    assert len([k for k in notes if k.startswith("n_")]) >= 40
    for key, (en, zh) in notes.items():
        assert _placeholders(en) == _placeholders(zh), key
        values = {
            name: 3 if name not in ("mode", "name", "label", "path", "folder") else "示例"
            for name in _placeholders(zh)
        }
        said = _i18n.text(key, "zh", **values)
        # code names a planner types (max_snap_m) are single words; no English sentence
        assert english_runs(said) == [], (key, said)
        assert english_notes(said) == [], (key, said)


def test_notes_are_english_strings_said_in_chinese_by_key() -> None:
    import pickle

    from planner import _i18n

    phases = _i18n.say(
        "n_phased",
        phases=tuple(_i18n.say("n_phase_site", k=1, n=1) for _ in range(1)),
    )
    assert phases == "Phased plan: phase 1 chooses 1 site, each phase keeping the earlier ones."
    assert _i18n.note(phases, "zh") == (
        "分期方案：第 1 期新建 1 个站点，每期保留之前各期的站点。",
        True,
    )
    off = _i18n.say("n_off_candidates", n=8, m=500.0, mode=_i18n.Term("mode", "ebike"))
    assert "from the ebike network" in off  # English keeps the mode's code
    assert _i18n.note(pickle.loads(pickle.dumps(off)), "zh")[0] == (
        "8 个候选站点距电动自行车路网超过 500 米，未参与选址（不在站点表中）。"
    )
    # a sentence from elsewhere with no translation is shown as written, and said so
    assert _i18n.note("Something new happened.", "zh") == ("Something new happened.", False)


def test_demo_notes_and_report_in_chinese(demo_run: Any) -> None:
    """The demo's notes: English as pinned, every one said in Chinese; the report has no English."""
    from planner import _i18n

    homes, workers = demo_run.homes, demo_run.workers
    assert (
        "No trip drives longer than the rest interval (4 h; the longest drives 0.52 h): every "
        "truck meets the rest rule without a home." in homes.notes
    )
    assert homes.model_note.startswith("Model asked for: rest_interval. No trip drives longer")
    notes = [*workers.notes, *homes.notes, homes.model_note]
    assert any("candidate sites lie more than 500 m from the ebike network" in n for n in notes)
    for sentence in notes:
        said, translated = _i18n.note(sentence, "zh")
        assert translated, sentence
        assert english_runs(said) == [], said
        assert english_notes(said) == [], said
    page = report_html([workers, homes], language="zh", title="合成演示区域", files=True)
    text = visible_text(page)
    assert "没有行程的驾驶时间超过休息间隔" in text
    assert "（英文原文）" not in text  # no note left in English
    assert english_notes(text) == []
    assert english_runs(text, data_words(workers, homes)) == []
    # the guard can fail: the English report is full of runs
    english = visible_text(report_html([workers, homes], language="en"))
    assert len(english_runs(english, data_words(workers, homes))) > 30


def test_an_unnamed_plan_is_called_by_its_programme_in_the_page_language(line_network) -> None:  # type: ignore[no-untyped-def]
    from planner.maps import plan_map, render_page
    from planner.plan import Plan
    from planner.report import report_html, summary_text

    inputs = line_inputs()
    res = Plan.worker_stations(line_network, cutoff_min=2.5, service_areas=False, **inputs).site(
        p=1
    )
    assert res.name == "Worker stations"  # the preset's title, in English
    zh_page = report_html(res, language="zh")
    assert "<h1>户外劳动者服务站</h1>" in zh_page
    assert "<h1>Worker stations</h1>" in report_html(res, language="en")
    assert summary_text(res, language="zh").startswith("== 户外劳动者服务站")
    assert "Worker stations" not in render_page(plan_map(res, tiles=None, language="zh"))
    # a name the user gave is kept
    named = Plan.worker_stations(
        line_network, cutoff_min=2.5, service_areas=False, name="Line town", **inputs
    ).site(p=1)
    page = report_html(named, language="zh")
    # the page's one plan: its name heads the page, its section is "details" (not the name again)
    assert "<h1>Line town</h1>" in page
    assert page.count("Line town") == 2  # <title> and <h1>
    assert "<h2>方案详情</h2>" in page


# ------------------------------------------------------------ numbers in words, as in the tables
_WORDS = ("mode", "name", "label", "path", "folder", "source", "road", "text", "error")


def test_every_catalogue_number_is_written_as_the_tables_write_it() -> None:
    """A count in any sentence (notes, summary lines, CLI) gets the tables' thousands separator."""
    import numpy as np

    from planner import _i18n

    for key, pair in _i18n._TEXT.items():
        names = _placeholders(pair[0])
        if not names - set(_WORDS):
            continue
        for language in _i18n.LANGUAGES:
            for big in (12345, np.int64(12345), 12345.0):
                values = {n: "示例" if n in _WORDS else big for n in names}
                said = _i18n.text(key, language, **values)
                assert "12345" not in said, (key, language, said)
                assert _i18n.number(12345, language) in said, (key, language, said)
    # what the tables write, in both languages; an id given for a name stays as it is
    assert _i18n.number(12345, "zh") == "12,345"
    assert _i18n.text("n_off_station", "zh", name=10023, metres=1500.0) == "10023（1,500 米）"
    assert _i18n.text("cli_site", "en", rank=1000, name="A", added="5", share="1%") == (
        "1,000. A +5 (cumulative 1%)"
    )


def test_a_sentence_from_elsewhere_is_said_in_chinese_with_grouped_counts() -> None:
    from planner import _i18n

    sentence = (
        "At least 1 site(s) per area: 1200 of the 1500 new sites were required in 1040 area(s) "
        "short of the minimum."
    )
    assert _i18n.note(sentence, "zh") == (
        "每个区域至少 1 个站点：1,500 个新站点中有 1,200 个是 1,040 个未达最低数量的区域所必需的。",
        True,
    )


def test_report_notes_and_summary_write_counts_as_the_tables(line_network) -> None:  # type: ignore[no-untyped-def]
    """1,500 stations, 81 off the network: "81 of 1,500" in the notes, as "1,500" in the table."""
    import numpy as np

    from planner import OffNetworkWarning
    from planner.report import summary_text
    from tests.conftest import points_gdf

    inputs = line_inputs()
    k = np.arange(1500)
    xy = np.column_stack([300.0 * (k % 11), np.where(k < 81, 2000.0, 0.0)])
    inputs["stations"] = points_gdf(
        xy, index=pd.Index([f"S{i}" for i in k]), name=[f"Station {i}" for i in k]
    )
    far = points_gdf([(300.0 * (i % 11), -3000.0) for i in range(1200)])
    inputs["candidates"] = pd.concat([inputs["candidates"], far.set_index(far.index + 100)])
    with pytest.warns(OffNetworkWarning):
        res = line_plan(line_network, **inputs).site(p=1)
    off = [n for n in res.notes if "existing stations lie" in n]
    assert len(off) == 1
    assert off[0].startswith("81 of 1,500 existing stations lie more than 500 m")
    en = report_html(res, language="en", map_file=None)
    assert "81 of 1,500 existing stations" in en
    assert "1,200 candidate sites lie more than 500 m" in en
    assert "<td>1,500</td>" in en or ">1,500<" in en  # the summary table, for comparison
    zh = report_html(res, language="zh", map_file=None)
    assert "1,500 个现有站点中有 81 个" in zh
    assert "1,200 个候选站点距电动自行车路网超过 500 米" in zh
    assert "1500" not in re.sub(r"<svg.*?</svg>|Station \d+|S\d+", "", zh)
    assert "note: 1,200 candidate sites" in summary_text(res, language="en")
    assert "说明：1,200 个候选站点" in summary_text(res, language="zh")


def test_an_unnamed_plan_says_its_programme_once(line_network) -> None:  # type: ignore[no-untyped-def]
    """No name of its own: the programme is the heading, not also the line under it."""
    from planner.plan import Plan

    inputs = line_inputs()
    unnamed = Plan.worker_stations(
        line_network, cutoff_min=2.5, service_areas=False, **inputs
    ).site(p=1)
    named = Plan.worker_stations(
        line_network, cutoff_min=2.5, service_areas=False, name="Line town", **inputs
    ).site(p=1)
    default = Plan(line_network, cutoff_min=2.5, service_areas=False, **inputs).site(p=1)
    for language, programme, siting, details in (
        ("en", "Worker stations", "Siting plan", "Details"),
        ("zh", "户外劳动者服务站", "选址规划", "方案详情"),
    ):
        page = report_html(unnamed, language=language, map_file=None)
        assert f"<h1>{programme}</h1>" in page
        section = page.split("<section", 1)[1]
        assert f"<h2>{details}</h2>" in section
        assert section.count(programme) == section.count(f"<td>{programme}</td>")
        assert 'class="programme"' not in section
        # a plan with a name of its own keeps the programme under it
        page = report_html([unnamed, named], language=language, map_file=None)
        assert f'<h2>Line town</h2><p class="programme">{programme}</p>' in page
        # Plan(...) without a name: "Siting plan" in the page's language, the programme under it
        page = report_html(default, language=language, map_file=None)
        assert f'<h2>{details}</h2><p class="programme">{programme}</p>' in page
        assert f"<h1>{siting}</h1>" in page
