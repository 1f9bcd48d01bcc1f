"""The words people read, in English and Chinese: one catalogue for reports, tables and the CLI.

Every heading, column header, unit, status word and note that :mod:`planner.report`,
:mod:`planner.outputs` and :mod:`planner.cli` show comes from here, so a language
is complete or visibly not: :func:`text` raises on a key that has no entry.

* :func:`text` — a catalogue entry, with ``{placeholders}`` filled in;
* :func:`term` — a value of the data (travel mode, worker group, site kind,
  solver status, model) in plain words;
* :func:`note` — a plan's note (the sentences :mod:`planner.plan` writes in
  English) in the reader's language;
* :func:`number`, :func:`percent`, :func:`date` — numbers and dates as each
  language writes them.

The map helper (:mod:`planner._map_parts`) keeps its own labels today; new
labels belong here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from planner._errors import InputError

__all__ = [
    "HTML_LANG",
    "LANGUAGES",
    "Language",
    "check_language",
    "date",
    "formatter",
    "note",
    "number",
    "percent",
    "term",
    "text",
]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
#: The ``<html lang>`` of each language.
HTML_LANG: Mapping[Language, str] = {"en": "en", "zh": "zh-CN"}

# key -> (English, Chinese)
_TEXT: Mapping[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- page
    "summary": ("Summary", "概要"),
    "figure": ("Figure", "指标"),
    "value": ("Value", "数值"),
    "what_was_solved": ("What was solved", "求解内容"),
    "inputs": ("Inputs and settings", "输入与参数"),
    "setting": ("Setting", "参数"),
    "coverage_heading": ("Coverage before and after", "建设前后的覆盖情况"),
    "sites_heading": ("Recommended sites, in build order", "推荐站点（按建设顺序）"),
    "allocation_heading": (
        "Who each site serves (existing and recommended)",
        "各站点服务的需求（现有与推荐）",
    ),
    "solver_heading": ("How it was solved", "求解情况"),
    "files_heading": ("Files in this folder", "本文件夹中的文件"),
    "map_heading": ("Map", "地图"),
    "open_map": ("Open the map in its own page", "在新页面中打开地图"),
    "data_sources": ("Data", "数据来源"),
    "made_with": ("Made with planner.", "由 planner 生成。"),
    "no_sites": ("No new sites recommended: {reason}", "未推荐新站点：{reason}"),
    "no_sites_reason": ("no site adds coverage", "没有站点能增加覆盖"),
    "not_solved": ("Not solved: there was nothing to site.", "未求解：没有可选址的内容。"),
    "note_label": ("Note", "说明"),
    "note_untranslated": ("(in English)", "（英文原文）"),
    "scroll_hint": ("Swipe the table sideways to see every column.", "表格可左右滑动查看全部列。"),
    "no_allocation": (
        "Not shown: {why}",
        "不适用：{why}",
    ),
    "why_no_allocation_rest": (
        "the rest-interval model serves a route with a chain of rest stops, not with one "
        "site; see the trucks a day passing each site.",
        "休息间隔模型由沿途一连串休息点共同服务一条线路，而不是由单个站点服务；请看各站点的途经货车数。",
    ),
    "why_no_allocation_none": ("no site serves any demand.", "没有站点服务任何需求。"),
    # ---------------------------------------------------------------- summary rows
    "programme": ("Programme", "项目类型"),
    "worker_stations": ("Worker stations", "户外劳动者服务站"),
    "driver_homes": ("Driver homes", "司机之家"),
    "scenario": ("Scenario", "方案"),
    "travel_mode": ("Travel mode", "出行方式"),
    "cutoff": ("Travel time limit", "出行时间上限"),
    "rest_interval": ("Rest at least every", "至少每隔多久休息一次"),
    "min_volume": ("Fewest trucks a day passing a new site", "新站点最少途经货车数"),
    "existing_stations": ("Existing stations", "现有站点"),
    "existing_homes": ("Existing driver homes", "现有司机之家"),
    "new_sites": ("New sites recommended", "推荐新建站点"),
    "total_demand": ("Total demand", "需求总量"),
    "covered_before": ("Covered before", "建设前覆盖率"),
    "covered_after": ("Covered after", "建设后覆盖率"),
    "rest_met_before": ("Routes meeting the rest rule, before", "建设前满足休息规则的货车"),
    "rest_met_after": ("Routes meeting the rest rule, after", "建设后满足休息规则的货车"),
    "solver_status": ("Solver status", "求解状态"),
    "gap": ("Proven gap to the best possible plan", "与最优方案的已证明差距"),
    # ---------------------------------------------------------------- what was solved
    "model_ran": ("Model that ran", "实际运行的模型"),
    "model_asked": ("Model asked for", "请求的模型"),
    "covered_means": ("What “covered” means", "“覆盖”的含义"),
    "covered_workers": (
        "a demand point is covered when an open station is within {cutoff} by {mode} "
        "over the road network.",
        "需求点在路网上{mode}{cutoff}内能到达一个站点，即为已覆盖。",
    ),
    "covered_flow": (
        "a truck route is covered when it passes a driver home (detour at most {detour}); "
        "shares count trucks a day.",
        "货车线路途经一处司机之家（绕行不超过{detour}）即为已覆盖；比例按每日货车数计算。",
    ),
    "covered_rest": (
        "a truck route is covered when it meets a rest place at least every {interval} of "
        "driving; shares count trucks a day.",
        "货车线路每行驶{interval}以内至少经过一处休息点，即为已覆盖；比例按每日货车数计算。",
    ),
    "rest_rule_means": ("What “meeting the rest rule” means", "“满足休息规则”的含义"),
    "rest_rule_text": (
        "a route meets a rest place (a driver home, or its own start and end) at least "
        "every {interval} of driving. A route shorter than {interval} meets it with no "
        "site at all.",
        "线路每行驶{interval}以内至少经过一处休息点（司机之家，或线路自身的起点与终点）。"
        "短于{interval}的线路无需任何站点即满足该规则。",
    ),
    "demand_unit_means": ("Demand is counted in", "需求的计量单位"),
    "unit_weight": (
        "demand weight (the sum of the demand points' “{column}” column)",
        "需求权重（需求点“{column}”列之和）",
    ),
    "unit_points": ("demand points (each counts 1)", "需求点个数（每点计 1）"),
    "unit_trucks": ("trucks a day", "辆/日"),
    # ---------------------------------------------------------------- parameters
    "param_p": ("New sites asked for", "请求的新站点数"),
    "param_solver": ("Solver asked for", "请求的求解器"),
    "param_time_limit": ("Solver time limit", "求解时间上限"),
    "param_seed": ("Random seed", "随机种子"),
    "param_station_kinds": ("Existing station types counted", "计入的现有站点类型"),
    "param_max_snap": (
        "Farthest a point may lie from a road",
        "点位离道路的最大距离",
    ),
    "param_groups": ("Coverage reported by", "覆盖率分组依据"),
    "param_weight": ("Demand weight column", "需求权重列"),
    "param_hex": ("Hexagon size (uncovered demand)", "未覆盖需求六边形边长"),
    "param_cost": ("Site cost column", "站点成本列"),
    "param_budget": ("Budget", "预算"),
    "param_phases": ("New sites per phase", "每期新建站点数"),
    "param_detour": ("Largest detour to a site", "到站点的最大绕行时间"),
    "param_demand_points": ("Demand points", "需求点数"),
    "param_routes": ("Truck routes", "货车线路数"),
    "param_sources": ("Data sources", "数据来源"),
    "param_hash": ("Fingerprint of the input: {name}", "输入数据指纹：{name}"),
    "input_stations": ("stations", "站点"),
    "input_demand": ("demand", "需求"),
    "input_candidates": ("candidate sites", "候选站点"),
    "input_network": ("road network", "路网"),
    "input_routes": ("truck routes", "货车线路"),
    "none": ("none", "无"),
    "all_kinds": ("all", "全部"),
    "exact_solver": ("exact (HiGHS)", "精确求解（HiGHS）"),
    "fast_solver": ("fast (greedy + swaps, proven gap)", "快速求解（贪心+交换，给出已证明差距）"),
    "auto_solver": ("automatic (exact when small enough)", "自动（规模足够小时精确求解）"),
    # ---------------------------------------------------------------- coverage table
    "col_group": ("Who", "对象"),
    "col_points": ("Demand points", "需求点数"),
    "col_routes": ("Routes", "线路数"),
    "col_demand": ("Demand ({unit})", "需求量（{unit}）"),
    "col_covered_before": ("Covered before", "建设前覆盖率"),
    "col_covered_after": ("Covered after", "建设后覆盖率"),
    "col_gain": ("Gain", "提升"),
    "all_demand": ("All demand", "全部需求"),
    "all_routes": ("All truck routes", "全部货车线路"),
    "group_by_group": ("Worker group", "劳动者群体"),
    "group_by_source": ("Demand source", "需求来源"),
    # ---------------------------------------------------------------- site tables
    "col_site_id": ("Site id", "站点编号"),
    "col_rank": ("Rank", "排名"),
    "col_phase": ("Phase", "建设期"),
    "col_name": ("Name", "名称"),
    "col_kind": ("Type", "类型"),
    "col_status": ("Status", "状态"),
    "col_programme": ("Programme", "项目类型"),
    "col_address": ("Address or nearest named road", "地址或最近的道路"),
    "col_adds": ("Adds ({unit})", "新增覆盖（{unit}）"),
    "col_adds_share": ("Adds (share of all demand)", "新增覆盖（占全部需求）"),
    "col_cumulative": ("Covered with this and earlier sites", "累计覆盖率"),
    "col_passing": ("Trucks a day passing", "途经货车（辆/日）"),
    "col_nearest_station": ("Nearest existing station", "最近的现有站点"),
    "col_nearest_station_m": ("Distance to it (m, straight line)", "与其直线距离（米）"),
    "col_served": ("Serves ({unit})", "服务需求（{unit}）"),
    "col_served_points": ("Serves (demand points)", "服务需求点数"),
    "col_served_routes": ("Serves (routes)", "服务线路数"),
    "col_mean_time": ("Mean travel time (min)", "平均出行时间（分钟）"),
    "col_worst_time": ("Longest travel time (min)", "最长出行时间（分钟）"),
    "col_mean_any": ("Mean travel time or detour (min)", "平均出行或绕行时间（分钟）"),
    "col_worst_any": ("Longest travel time or detour (min)", "最长出行或绕行时间（分钟）"),
    "col_mean_detour": ("Mean detour (min)", "平均绕行时间（分钟）"),
    "col_worst_detour": ("Longest detour (min)", "最长绕行时间（分钟）"),
    "col_lon": ("Longitude ({datum})", "经度（{datum}）"),
    "col_lat": ("Latitude ({datum})", "纬度（{datum}）"),
    "col_lonlat": ("Longitude, latitude ({datum})", "经纬度（{datum}）"),
    "col_unit": ("Unit", "单位"),
    "col_demand_unit": ("demand weight", "需求权重"),
    "col_adds_plain": ("Adds", "新增覆盖"),
    "col_adds_share_pct": ("Adds (% of all demand)", "新增覆盖占全部需求（%）"),
    "col_cumulative_pct": ("Covered with this and earlier sites (%)", "累计覆盖率（%）"),
    "col_served_plain": ("Serves", "服务需求量"),
    "col_served_count": ("Serves (demand points or routes)", "服务需求点或线路数"),
    "sheet_sites": ("Sites", "站点"),
    "status_existing": ("existing", "现有"),
    "status_new": ("recommended", "推荐新建"),
    "near_road": ("near {road}, {metres}", "{road} 附近 {metres}"),
    # ---------------------------------------------------------------- solver table
    "solver_model": ("Model", "模型"),
    "solver_solver": ("Solver", "求解器"),
    "solver_why": ("Why this solver", "选择该求解器的原因"),
    "solver_status_row": ("Status", "状态"),
    "solver_objective": ("Objective (covered demand)", "目标值（覆盖需求）"),
    "solver_bound": ("Best possible (proven bound)", "理论最优上界"),
    "solver_gap": ("Gap", "差距"),
    # ---------------------------------------------------------------- files
    "file_col": ("File", "文件"),
    "file_what": ("What it holds", "内容"),
    "file_coords": ("Coordinates", "坐标系"),
    "file_sites_table": (
        "recommended sites and existing stations for people: rank, name, address, what each "
        "adds and serves (CSV opens in Excel; UTF-8)",
        "供人阅读的推荐站点与现有站点：排名、名称、地址、新增覆盖与服务需求"
        "（CSV 可用 Excel 打开，UTF-8 编码）",
    ),
    "file_sites_geojson": (
        "recommended sites for GIS software (GeoJSON, RFC 7946)",
        "供 GIS 软件使用的推荐站点（GeoJSON，RFC 7946）",
    ),
    "file_coverage": (
        "coverage before and after, overall and per group",
        "建设前后的覆盖情况（总体与分组）",
    ),
    "file_map": ("the interactive map", "交互式地图"),
    "file_run": (
        "what ran: input fingerprints, settings, versions, solver (for reproducing the run)",
        "运行记录：输入指纹、参数、软件版本、求解器（用于复现）",
    ),
    "coords_both": ("{datum} and WGS84 columns", "{datum} 与 WGS84 两组坐标列"),
    "coords_wgs84": ("WGS84", "WGS84"),
    "coords_none": ("none", "无"),
    "datum_hint": (
        "Paste the {datum} coordinates into {apps}; WGS84 ones land {offset} off there.",
        "请将 {datum} 坐标粘贴到{apps}中；在这些地图上使用 WGS84 坐标会偏移约{offset}。",
    ),
    # ---------------------------------------------------------------- charts
    "chart_curve": ("Covered share by number of new sites", "覆盖率随新建站点数的变化"),
    "chart_bars": ("Covered share before and after", "建设前后的覆盖率"),
    "chart_x": ("new sites", "新建站点数"),
    "chart_chosen": ("chosen: {share} with {p} new", "选定：新建 {p} 个，{share}"),
    "chart_empty": ("no curve: nothing could be sited", "无曲线：没有可选的站点"),
    "chart_before": ("before", "建设前"),
    "chart_after": ("after", "建设后"),
    # ---------------------------------------------------------------- units
    "minutes": ("{n} min", "{n} 分钟"),
    "hours": ("{n} h", "{n} 小时"),
    "metres": ("{n} m", "{n} 米"),
    "seconds": ("{n} s", "{n} 秒"),
    "trucks_day": ("{n} trucks a day", "{n} 辆/日"),
    "n_a": ("n/a", "无"),
    # ---------------------------------------------------------------- CLI
    "cli_covered": (
        "covered {before} -> {after} of {unit} ({n} new sites; solver {status}, gap {gap})",
        "覆盖率 {before} -> {after}（{unit}；新建 {n} 个站点；求解状态：{status}，差距 {gap}）",
    ),
    "cli_covered_short": ("covered {before} -> {after}", "覆盖率 {before} -> {after}"),
    "cli_site": (
        "{rank:>3}. {name} +{added} (cumulative {share})",
        "{rank:>3}. {name} +{added}（累计 {share}）",
    ),
    "cli_note": ("note: {text}", "说明：{text}"),
    "cli_phase": (
        "{state:<14} {homes:>3} homes, rest rule met by {share} of trucks, {gaps} gaps "
        "({trucks} trucks/day)",
        "{state}：共 {homes} 处司机之家，{share} 的货车满足休息规则，"
        "{gaps} 处缺口（{trucks} 辆/日）",
    ),
    "phase_before": ("before", "建设前"),
    "phase_after_k": ("after phase {k}", "第 {k} 期后"),
    "phase_after": ("after", "建设后"),
    "cli_map": ("map:    {path}", "地图：  {path}"),
    "cli_report": ("report: {path}", "报告：  {path}"),
    "cli_sites": ("sites:  {path}", "站点表：{path}"),
    "cli_ok": ("ok", "成功"),
    "cli_invalid": ("invalid", "输入有误"),
    "cli_failed": ("failed", "失败"),
    "cli_batch_message": (
        "{n} sites; covered {before} -> {after}",
        "{n} 个站点；覆盖率 {before} -> {after}",
    ),
    "cli_done": ("{ok} of {n} scenarios succeeded.", "{n} 个方案中 {ok} 个成功。"),
}

# value vocabularies: kind -> value -> (English, Chinese)
_TERMS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "mode": {
        "walk": ("on foot", "步行"),
        "ebike": ("e-bike", "电动自行车"),
        "car": ("car", "小汽车"),
        "truck": ("truck", "货车"),
    },
    "group": {
        "rider": ("delivery riders", "外卖骑手"),
        "courier": ("couriers", "快递员"),
        "ride_hailing": ("ride-hailing drivers", "网约车司机"),
        "truck": ("truck drivers", "货车司机"),
        "other": ("other workers", "其他劳动者"),
        "<missing>": ("not given", "未注明"),
    },
    "source": {
        "stays": ("GPS stops", "GPS 停留点"),
        "poi": ("places of interest (POIs)", "兴趣点（POI）"),
        "user": ("your own points", "用户提供的点位"),
        "areas": ("district totals", "区域统计数"),
        "<missing>": ("not given", "未注明"),
    },
    "kind": {
        "worker_station": ("worker station", "户外劳动者服务站"),
        "driver_home": ("driver home", "司机之家"),
        "unattended": ("24-hour unattended station", "24小时无人值守站"),
        "community_centre": ("community centre", "社区中心"),
        "parking": ("parking", "停车场"),
        "fuel": ("fuel station", "加油站"),
        "fuel_hgv": ("truck fuel station", "货车加油站"),
        "mall": ("shopping mall", "商场"),
        "toilets": ("public toilets", "公共厕所"),
        "trade_union": ("trade-union office", "工会"),
        "service_area": ("motorway service area", "高速公路服务区"),
        "rest_area": ("rest area", "停车区"),
        "logistics": ("logistics park or warehouse", "物流园区或仓库"),
        "industrial": ("industrial land", "工业用地"),
        "truck_parking": ("truck parking", "货车停车场"),
        "hotspot": ("demand hotspot", "需求热点"),
        "grid": ("grid point", "网格点"),
        "user": ("your own site", "用户提供的站点"),
    },
    "status": {
        "optimal": ("optimal (proven best)", "最优（已证明）"),
        "gap_limit": ("stopped at the requested gap", "达到要求的差距后停止"),
        "time_limit": ("best found when time ran out", "达到时间上限时的最好方案"),
        "feasible": ("good plan with a proven gap", "可行方案（差距已证明）"),
        "not solved": ("not solved", "未求解"),
    },
    "model": {
        "mclp": (
            "maximal covering: the most demand within the time limit",
            "最大覆盖模型：在时间上限内覆盖最多需求",
        ),
        "lscp": (
            "set covering: the fewest sites covering all coverable demand",
            "集合覆盖模型：以最少站点覆盖全部可覆盖需求",
        ),
        "flowcapture": (
            "flow capturing: the most trucks passing a site",
            "流量截取模型：使途经站点的货车最多",
        ),
        "restintervalcoverage": (
            "rest-interval coverage: the most trucks meeting a rest stop at least every few hours",
            "休息间隔覆盖模型：使每隔一定时间能遇到休息点的货车最多",
        ),
        "rest_interval": (
            "rest-interval coverage: the most trucks meeting a rest stop at least every few hours",
            "休息间隔覆盖模型：使每隔一定时间能遇到休息点的货车最多",
        ),
        "flow_capture": (
            "flow capturing: the most trucks passing a site",
            "流量截取模型：使途经站点的货车最多",
        ),
        "pmedian": ("p-median: the shortest mean travel time", "p-中位模型：平均出行时间最短"),
        "pcenter": ("p-center: the shortest longest travel time", "p-中心模型：最长出行时间最短"),
    },
}

# the plans' English notes, as patterns with their Chinese sentence (named groups carried over)
_NUM = r"[\d.,]+(?:e[+-]?\d+)?"
_NOTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), zh)
    for pattern, zh in (
        (
            r"Road data © OpenStreetMap contributors \(ODbL\)",
            "道路数据 © OpenStreetMap 贡献者（ODbL 许可）",
        ),
        (
            r"Synthetic demo region generated by planner \(invented data, not OpenStreetMap\)",
            "由 planner 生成的合成演示区域（虚构数据，并非 OpenStreetMap）",
        ),
        (r"No existing stations: coverage before is zero\.", "没有现有站点：建设前覆盖率为零。"),
        (
            r"No existing driver homes: every route starts uncaptured\.",
            "没有现有司机之家：所有线路起初均未覆盖。",
        ),
        (
            r"No candidate sites were given: no new site can be recommended\.",
            "未提供候选站点：无法推荐新站点。",
        ),
        (r"No routes: there is no truck flow to serve\.", "没有线路：没有需要服务的货车流量。"),
        (r"No demand was given: there is nothing to cover\.", "未提供需求：没有需要覆盖的内容。"),
        (
            r"The demand table is empty: there is nothing to cover\.",
            "需求表为空：没有需要覆盖的内容。",
        ),
        (
            rf"(?P<n>{_NUM}) demand points lie more than (?P<m>{_NUM}) m from the network and "
            r"count as not covered\.",
            "{n} 个需求点距路网超过 {m} 米，按未覆盖计。",
        ),
        (
            r"Nothing to show: no stations exist and none were recommended\.",
            "无可显示内容：没有现有站点，也没有推荐站点。",
        ),
        (r"All demand is covered: no demand is left out\.", "全部需求均已覆盖。"),
        (
            rf"Only (?P<n>{_NUM}) candidate sites can be chosen; asked for (?P<p>{_NUM})\.",
            "只有 {n} 个候选站点可选；请求了 {p} 个。",
        ),
        (
            r"No candidate adds coverage: every demand point a candidate can reach within the "
            r"cutoff is already covered\.",
            "没有候选站点能增加覆盖：候选站点在时间上限内能到达的需求点均已覆盖。",
        ),
        (
            rf"Only (?P<k>{_NUM}) of the (?P<n>{_NUM}) sites asked for add coverage; the rest "
            r"were left out\.",
            "请求的 {n} 个站点中只有 {k} 个能增加覆盖；其余未列入。",
        ),
        (
            rf"Budget (?P<b>{_NUM}): the (?P<n>{_NUM}) sites chosen cost (?P<c>{_NUM})\.",
            "预算 {b}：所选 {n} 个站点的成本为 {c}。",
        ),
        (
            rf"Demand of weight (?P<w>{_NUM}) is beyond (?P<m>{_NUM}) minutes of every site: "
            r"no set of candidates can cover it\.",
            "权重为 {w} 的需求距所有站点都超过 {m} 分钟：任何候选站点组合都无法覆盖。",
        ),
        (
            r"Phased plan: (?P<phases>.+), each phase keeping the earlier ones\.",
            "分期方案：{phases}，每期保留之前各期的站点。",
        ),
        (
            rf"Only (?P<n>{_NUM}) candidate sites are passed by (?P<v>{_NUM})\+ trucks a day; "
            rf"asked for (?P<p>{_NUM})\.",
            "只有 {n} 个候选站点每日途经货车达到 {v} 辆以上；请求了 {p} 个。",
        ),
        (
            rf"Some routes drive longer than (?P<h>{_NUM}) h: sites are chosen to meet the rest "
            r"rule \(rest-interval model\); coverage counts routes meeting it\.",
            "部分线路行驶时间超过 {h} 小时：按休息规则选址（休息间隔模型）；"
            "覆盖率统计满足该规则的线路。",
        ),
        (
            r"No candidate captures more trucks: every route passing an eligible site already "
            r"passes a driver home\.",
            "没有候选站点能覆盖更多货车：途经合格候选站点的线路都已途经司机之家。",
        ),
        (
            rf"Only (?P<k>{_NUM}) of the (?P<n>{_NUM}) sites asked for capture more trucks; the "
            r"rest were left out\.",
            "请求的 {n} 个站点中只有 {k} 个能覆盖更多货车；其余未列入。",
        ),
    )
)
_PHASE = re.compile(r"phase (?P<k>\d+) chooses (?P<n>\d+) sites?")


def check_language(language: str) -> Language:
    """Return ``language`` if it is one planner writes, or raise :class:`InputError`.

    Parameters
    ----------
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        The language.

    Examples
    --------
    >>> check_language("zh")
    'zh'
    """
    if language not in LANGUAGES:
        raise InputError(
            f"language must be one of {', '.join(map(repr, LANGUAGES))}, got {language!r}.",
            field="language",
            fix="use 'en' for English or 'zh' for Chinese.",
        )
    return language


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[LANGUAGES.index(check_language(language))]


def text(key: str, language: Language, **values: Any) -> str:
    """Return the catalogue entry ``key`` in ``language``, ``{placeholders}`` filled in.

    Parameters
    ----------
    key
        The entry's name.
    language
        ``"en"`` or ``"zh"``.
    **values
        Values for the entry's placeholders.

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> text("minutes", "zh", n=15)
    '15 分钟'
    """
    return _pick(_TEXT[key], language).format(**values)


def term(kind: str, value: Any, language: Language) -> str:
    """Return a value of the data in plain words (unknown values come back as given).

    Parameters
    ----------
    kind
        ``"mode"``, ``"group"``, ``"source"``, ``"kind"``, ``"status"`` or ``"model"``.
    value
        The value, e.g. ``"ebike"``; model names are matched without case,
        spaces or brackets (``"MCLP (capacitated)"`` is ``"mclp"``).
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        The words.

    Examples
    --------
    >>> term("group", "rider", "zh"), term("model", "FlowCapture", "en")[:13]
    ('外卖骑手', 'flow capturin')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    key = str(value)
    table = _TERMS[kind]
    if kind == "model":
        key = re.sub(r"\(.*?\)|[\s-]", "", key).lower()
    if key in table:
        return _pick(table[key], language)
    return str(value)


def number(value: Any, language: Language, *, decimals: int = 0) -> str:
    """Write a number with thousands separators (blank for missing).

    Both languages group digits by thousands with commas, as Chinese official
    statistics and Excel's zh-CN locale do.

    Parameters
    ----------
    value
        A number (``None`` and NaN give ``""``).
    language
        ``"en"`` or ``"zh"``.
    decimals
        Digits after the point.

    Returns
    -------
    str
        The number.

    Examples
    --------
    >>> number(2729.04, "zh", decimals=1)
    '2,729.0'
    """
    check_language(language)
    if value is None:
        return ""
    v = float(value)
    if not math.isfinite(v):
        return ""
    out = f"{v:,.{decimals}f}"
    return "0" if out.lstrip("-") == f"{0:.{decimals}f}" and decimals == 0 else out


def percent(value: Any, language: Language, *, decimals: int = 1) -> str:
    """Write a share (0.56) as a percentage (``56.0%``); ``n/a`` / ``无`` when missing.

    Parameters
    ----------
    value
        The share.
    language
        ``"en"`` or ``"zh"``.
    decimals
        Digits after the point.

    Returns
    -------
    str
        The percentage.

    Examples
    --------
    >>> percent(0.5604, "en"), percent(float("nan"), "zh")
    ('56.0%', '无')
    """
    if value is None or not math.isfinite(float(value)):
        return text("n_a", language)
    return f"{float(value):.{decimals}%}"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date(value: dt.date, language: Language) -> str:
    """Write a date as each language does: ``1 June 2024``, ``2024年6月1日``.

    Parameters
    ----------
    value
        The date (a datetime's date part is used).
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        The date.

    Examples
    --------
    >>> import datetime as dt
    >>> date(dt.date(2024, 6, 1), "zh"), date(dt.date(2024, 6, 1), "en")
    ('2024年6月1日', '1 June 2024')
    """
    if check_language(language) == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def note(sentence: str, language: Language) -> tuple[str, bool]:
    """Return a plan's note in ``language`` and whether it was translated.

    The plans write their notes in English; the known ones (see ``_NOTES``)
    have Chinese sentences. A note with no translation comes back in English
    with ``False``, so the page can say it is shown as written.

    Parameters
    ----------
    sentence
        The note.
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    tuple of (str, bool)
        The sentence and whether it is in ``language``.

    Examples
    --------
    >>> note("All demand is covered: no demand is left out.", "zh")
    ('全部需求均已覆盖。', True)
    """
    if check_language(language) == "en":
        return sentence, True
    for pattern, zh in _NOTES:
        found = pattern.fullmatch(sentence.strip())
        if found:
            values = found.groupdict()
            if "phases" in values:
                values["phases"] = _PHASE.sub(
                    lambda m: f"第 {m['k']} 期新建 {m['n']} 个站点", values["phases"]
                ).replace("; ", "；")
            return zh.format(**values), True
    return sentence, False


def formatter(language: Language) -> Callable[..., str]:
    """Return ``text`` bound to one language (``t = formatter("zh"); t("summary")``)."""
    check_language(language)
    return lambda key, **values: text(key, language, **values)
