"""Input errors in Chinese on the command line (planner._i18n.error_text).

Each case breaks a copy of examples/communities_worker_stations.toml (or its data) the
way a planner's own files go wrong, runs the real CLI in English and in Chinese, and
checks: English is exactly the error planner raises (``str(error)``, as before), Chinese
says the error's sentence with the user's names verbatim. The errors the cases produce
also check that every pattern of the catalogue still matches a message planner writes.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner._errors import InputError, Problem
from planner._i18n import _IN_SCENARIO, error_text
from planner._i18n_catalogue import ERROR_FIXES, ERRORS
from planner.batch import run_scenario
from planner.cli import app
from planner.scenario import check_inputs, load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "communities_worker_stations.toml"
OSM = ROOT / "data" / "demo" / "demo_region.osm.bz2"
STATIONS = "data/demo_stations_gcj02.xlsx"
runner = CliRunner()


# ------------------------------------------------------------------ how each case breaks the files


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "s.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _stations(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / STATIONS
        change(pd.read_excel(path, engine="calamine")).to_excel(path, index=False)

    return apply


def _toml(old: str, new: str) -> Callable[[Path], None]:
    return lambda folder: _edit(folder, old, new)


def _swap_row(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[1, ["经度", "纬度"]] = frame.loc[1, ["纬度", "经度"]].to_numpy()
    return frame


def _out_of_range(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[2, "经度"] = 200.0
    frame.loc[3, "纬度"] = 95.5
    return frame


def _duplicate_id(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[1, "编号"] = frame.loc[0, "编号"]
    return frame


def _text_in_lon(frame: pd.DataFrame) -> pd.DataFrame:
    frame["经度"] = frame["经度"].astype(object)
    frame.loc[2, "经度"] = "东经116度"
    return frame


def _empty_lat(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[2, "纬度"] = None
    return frame


def _empty_csv(folder: Path) -> None:
    (folder / "data" / "驿站.csv").write_bytes(b"")
    _edit(folder, STATIONS, "data/驿站.csv")


def _negative_population(folder: Path) -> None:
    path = folder / "data" / "demo_communities.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][2]["properties"]["population"] = -5
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True)
class Case:
    """A broken copy of the example, the command that shows it, and what Chinese says."""

    change: Callable[[Path], None]
    zh: tuple[str, ...]  # sentences of the Chinese output ({dir} is the case's folder)
    command: str = "validate"  # "run" when only a run finds it


CASES: dict[str, Case] = {
    "id_column": Case(
        _toml('id = "编号"', 'id = "站点编号"'),
        (
            "文件 {dir}/data/demo_stations_gcj02.xlsx，字段“站点编号”：站点表中没有编号列 "
            "'站点编号'；表中的列为 ['编号', '站点名称', '类型', '开放时间', '经度', '纬度']。",
            "修改建议：把上面列出的某一列指定为编号列（Python 中用 id_column=，"
            "方案文件中用 id =），或不指定编号列，按行号编号。"
            '（方案文件中：[stations] 的 id = "..."）',
        ),
    ),
    "lon_column": Case(
        _toml('datum = "gcj02"', 'datum = "gcj02"\nlon = "经度X"'),
        (
            "字段“经度X”：lon='经度X' 不是表中的列；表中的列为 ['编号', '站点名称', '类型', "
            "'开放时间', '经度', '纬度']（工作表 '驿站'）。"
            "修改建议：把 lon= 设为上面列出的某个列名。",
        ),
    ),
    "no_lon_lat": Case(
        _stations(lambda f: f.rename(columns={"经度": "东经", "纬度": "北纬"})),
        (
            "发现 2 个问题：\n  - 文件 {dir}/data/demo_stations_gcj02.xlsx：找不到经度列；"
            "表中的列为 ['编号', '站点名称', '类型', '开放时间', '东经', '北纬']"
            "（工作表 'Sheet1'），"
            "已尝试的列名（不区分大小写）为 lon, lng, long, longitude, x, 经度,",
            "找不到纬度列；",
            "修改建议：用 lon='<经度列>' 和 lat='<纬度列>' 指定经纬度列，"
            "或把一个“经度,纬度”格式的列命名为 location。",
        ),
    ),
    "ambiguous_lon": Case(
        _stations(lambda f: f.assign(lng=f["经度"])),
        ("经度列不明确：'经度'、'lng' 都可能是经度列。修改建议：用 lon='<列名>' 指定其中一列。",),
    ),
    "no_datum": Case(
        _toml('datum = "gcj02"\n', ""),
        (
            "字段“[stations] datum”：12 个点中有 12 个位于中国境内，但没有说明坐标系（datum）。"
            "从高德地图或腾讯地图复制的坐标是 GCJ-02",
            '修改建议：在 {dir}/s.toml 的 [stations] 中加上 datum = "wgs84"',
        ),
    ),
    "no_datum_run": Case(
        _toml('datum = "gcj02"\n', ""),
        (
            "文件 {dir}/s.toml，字段“[stations] datum”：{dir}/data/demo_stations_gcj02.xlsx："
            "12 个点中有 12 个位于中国境内，但没有说明坐标系（datum），因此按 WGS84",
            '修改建议：在 [stations] 中加上 datum = "wgs84"、"gcj02" 或 "bd09"。',
        ),
        command="run",
    ),
    "swapped_columns": Case(
        _stations(lambda f: f.rename(columns={"经度": "纬度", "纬度": "经度"})),
        (
            "字段“经度/纬度”：经度和纬度似乎填反了：12 行中有 12 行（第 1, 2, 3, 4, 5, 6, 7, 8, 9, "
            "10 ... 行）的纬度超出 [-90, 90]，而作为经度是有效的，例如第 1 行 lon=28.09382，"
            "lat=112.925628。修改建议：改为 lon='纬度' lat='经度'（把两列对调）。",
        ),
    ),
    "swapped_row": Case(
        _stations(_swap_row),
        (
            "第 2 行，字段“经度/纬度”：这一行的经度和纬度似乎填反了：lon=28.071252，"
            "lat=112.878478。修改建议：把这一行的两个数值对调。",
        ),
    ),
    "out_of_range": Case(
        _stations(_out_of_range),
        (
            "第 3 行，字段“经度”：经度 200.0 超出 [-180, 180] 的范围。修改建议：更正这个数值或"
            "删除这一行。如果这些是投影坐标（单位为米），请设置 crs='EPSG:<代码>'。",
            "第 4 行，字段“纬度”：纬度 95.5 超出 [-90, 90] 的范围。",
        ),
    ),
    "header_only": Case(
        _stations(lambda f: f.iloc[0:0]),
        (
            "文件 {dir}/data/demo_stations_gcj02.xlsx：文件只有表头，没有数据行。"
            "修改建议：至少添加一行数据。",
        ),
    ),
    "empty_file": Case(
        _empty_csv,
        ("文件 {dir}/data/驿站.csv：文件是空的。修改建议：写入一行表头和至少一行数据。",),
    ),
    "missing_file": Case(
        _toml(STATIONS, "data/站点.xlsx"),
        (
            "文件 {dir}/s.toml，字段“[stations] path”：找不到文件 {dir}/data/站点.xlsx。"
            "修改建议：检查路径；相对路径从方案文件所在的文件夹算起。",
        ),
    ),
    "misspelled_key": Case(
        _toml('population = "population"', 'populaton = "population"'),
        (
            "字段“[demand] populaton”：[demand]中没有名为 'populaton' 的键。"
            "修改建议：是不是想写 'population'？允许的键有：amap, area_id, areas,",
        ),
    ),
    "unknown_key": Case(
        _toml('name = "Communities', '"人口" = 1\nname = "Communities'),
        ("字段“人口”：方案文件顶层中没有名为 '人口' 的键。修改建议：允许的键有：",),
    ),
    "misspelled_section": Case(
        _toml("[candidates]", "[candidate]"),
        (
            "字段“[candidate]”：没有名为 [candidate] 的部分。"
            "修改建议：是不是想写 [candidates]？可用的部分有：[network],",
        ),
    ),
    "population_column": Case(
        _toml('population = "population"', 'population = "人口数"'),
        (
            "文件 demo_communities.geojson，字段“人口数”：缺少列 '人口数'；"
            "表中的列为 ['name', 'district', 'population', 'geometry']。",
        ),
        command="run",
    ),
    "duplicate_ids": Case(
        _stations(_duplicate_id),
        (
            "第 2 行，字段“编号”：编号 'W01' 被第 1, 2 行重复使用；编号不能重复。"
            "修改建议：给每一行一个不同的编号。",
        ),
    ),
    "negative_population": Case(
        _negative_population,
        (
            "文件 demo_communities.geojson，第 3 行，字段“population”：有 1 个总量缺失或为负数"
            "（第一个：-5）",
            "修改建议：总量必须是大于或等于 0 的数字。",
        ),
        command="run",
    ),
    "off_network": Case(
        _stations(lambda f: f.assign(经度=f["经度"] + 3.0)),
        (
            "发现 12 个问题：",
            "第 1 行，字段“经度”：点 (115.920833, 28.097306) 在路网范围之外 286.65 公里"
            "（路网范围 112.7931, 28.0051, 113.0069, 28.1949）。修改建议：删除这一行、"
            "改用覆盖该点的路网，或用 area_buffer_m=<米数> 放宽范围。",
        ),
        command="run",
    ),
    "text_coordinate": Case(
        _stations(_text_in_lon),
        (
            "第 3 行，字段“经度”：坐标 '东经116度' 不是数字。修改建议：把数值写成以度为单位的小数"
            "（例如 116.3975），或删除这一行。",
        ),
    ),
    "empty_coordinate": Case(
        _stations(_empty_lat),
        ("第 3 行，字段“纬度”：坐标为空（缺少数值）。修改建议：填上这个数值或删除这一行。",),
    ),
    "bad_mode": Case(
        _toml('mode = "ebike"', 'mode = "电动车"'),
        (
            "字段“[model] mode”：mode = '电动车' 不是允许的取值。"
            "修改建议：使用以下取值之一：'walk', 'ebike', 'car', 'truck'。",
        ),
    ),
    "bad_toml": Case(
        _toml("p = 10", "p = "),
        (
            "文件 {dir}/s.toml：不是有效的 TOML 文件：第 31 行第 5 列有误（Invalid value）。"
            "修改建议：检查该行的引号、括号和“=”（见 https://toml.io）。",
        ),
    ),
}


def _case_folder(root: Path, name: str) -> Path:
    folder = root / name
    shutil.copytree(EXAMPLE.parent / "data", folder / "data")
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("../data/demo/demo_region.osm.bz2", OSM.as_posix())
    text = re.sub(r"folder = .*", 'folder = "out"', text)
    (folder / "s.toml").write_text(text, encoding="utf-8")
    CASES[name].change(folder)
    return folder


def _raised(path: Path, command: str, out: Path) -> InputError:
    """The error planner raises for the scenario, by the path the CLI takes."""
    try:
        if command == "run":
            run_scenario(path, out_dir=out)
        else:
            problems = check_inputs(load_scenario(path))
            assert problems, "the case is valid"
            return InputError(problems)
    except InputError as error:
        return error
    raise AssertionError("no error raised")


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each case's folder, the error planner raises and the CLI's output in en and zh."""
    root = tmp_path_factory.mktemp("errors")
    out: dict[str, dict[str, Any]] = {}
    for name, case in CASES.items():
        folder = _case_folder(root, name)
        path = folder / "s.toml"
        found: dict[str, Any] = {"dir": folder, "path": path}
        found["error"] = _raised(path, case.command, folder / "lib")
        for lang in ("en", "zh"):
            args = [case.command, str(path), "--language", lang]
            result = runner.invoke(app, args + (["-q"] if case.command == "run" else []))
            assert result.exit_code == 2, (name, result.output)
            found[lang] = result.output
        out[name] = found
    return out


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("name", list(CASES))
def test_error_in_chinese_and_english_as_before(
    name: str, produced: dict[str, dict[str, Any]]
) -> None:
    """zh: the frame and sentence in Chinese, names verbatim; en: the error's own text."""
    found, case = produced[name], CASES[name]
    error, path = found["error"], found["path"]
    if case.command == "validate":
        assert found["en"] == f"invalid: {path}\n  {error}\n"
        assert found["zh"].startswith(f"输入有误：{path}\n  ")
    else:
        message = str(error).replace("\n", "\n         ")
        assert found["en"] == f"invalid  {path}\n         {message}\n0 of 1 scenarios succeeded.\n"
        assert found["zh"].startswith(f"输入有误 {path}\n         ")
    zh = found["zh"].replace("\n         ", "\n")  # run indents a message's lines
    for sentence in case.zh:
        assert sentence.format(dir=found["dir"]) in zh
    # every problem's message and fix said in Chinese: no English left, no marker
    assert "Fix:" not in zh
    assert "（英文原文）" not in zh
    assert error_text(error, "zh") in zh


def test_every_pattern_matches_a_message_planner_writes(
    produced: dict[str, dict[str, Any]],
) -> None:
    """A pattern no error matches any more (its English changed) fails here, not silently."""
    problems = [p for found in produced.values() for p in found["error"].problems]
    messages = [p.message for p in problems]
    fixes = [p.fix for p in problems if p.fix]
    fixes = [m["fix"] if (m := _IN_SCENARIO.fullmatch(f)) else f for f in fixes]
    for table, said in ((ERRORS, messages), (ERROR_FIXES, fixes)):
        for pattern, _ in table:
            assert any(re.fullmatch(pattern, s, re.DOTALL) for s in said), pattern


def test_scenario_language_says_errors_without_the_option(tmp_path: Path) -> None:
    """[output] language = "zh": errors in Chinese, even of a scenario that does not load."""
    folder = _case_folder(tmp_path, "misspelled_key")
    path = folder / "s.toml"
    _edit(folder, "[output]", '[output]\nlanguage = "zh"')
    checked = runner.invoke(app, ["validate", str(path)])
    ran = runner.invoke(app, ["run", str(path), "-q"])
    for result in (checked, ran):
        assert result.exit_code == 2
        assert "[demand]中没有名为 'populaton' 的键。修改建议：是不是想写 'population'？" in (
            result.output
        )
    # --language en wins over the file's language
    english = runner.invoke(app, ["validate", str(path), "--language", "en"])
    assert "unknown key 'populaton' in [demand]. Fix: did you mean 'population'?" in english.output


def test_untranslated_message_stays_in_english_marked() -> None:
    """A message no pattern knows is shown as written, marked; the frame still in Chinese."""
    problems = [
        Problem("something new went wrong.", file="a.csv", row=7, field="x", fix="do it."),
        *(Problem("the file is empty.", file=f"{i}.csv") for i in range(21)),
    ]
    said = error_text(InputError(problems), "zh")
    lines = said.split("\n")
    assert lines[0] == "发现 22 个问题："
    assert lines[1] == (
        "  - 文件 a.csv，第 7 行，字段“x”：something new went wrong.（英文原文）"
        "修改建议：do it.（英文原文）"
    )
    assert lines[2] == "  - 文件 0.csv：文件是空的。"
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "  ……另有 2 个"
    # an error that is not an InputError: its message, translated when a pattern knows it
    assert error_text(ValueError("the file is empty."), "zh") == "文件是空的。"
    assert error_text(InputError(problems), "en") == str(InputError(problems))
