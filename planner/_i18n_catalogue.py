"""The message catalogue: every English/Chinese text and term planner shows.

Kept apart from :mod:`planner._i18n` (which formats and picks from it) so that
the words can be read and extended in one place: ``TEXT`` holds sentences and
labels by key, ``TERMS`` the plain words for data values (kinds, modes, statuses).
"""

from __future__ import annotations

from collections.abc import Mapping

TEXT: Mapping[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- page
    "summary": ("Summary", "概要"),
    "plan_details": ("Details", "方案详情"),
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
    "cli_previous": ("earlier results moved to {path}", "之前的结果已移至 {path}"),
    "cli_communities": (
        "; communities within the cutoff {before} -> {after} of {n}",
        "；时限内社区 {before} -> {after}（共 {n} 个）",
    ),
    "cli_model_run": ("; model run: {model}", "；实际求解模型：{model}"),
    "cli_valid": (
        "ok: {path} ({name}; outputs to {folder})",
        "成功：{path}（{name}；输出到 {folder}）",
    ),
    "cli_not_valid": ("invalid: {path}\n  {error}", "输入有误：{path}\n  {error}"),
    "cli_share_row": (
        "{cutoff:>5,g} min  {group} {share:>7} of {weight}",
        "{cutoff:>5,g} 分钟  {group} {share:>7}（共 {weight}）",
    ),
    "cli_written": ("written: {path}", "已写入：{path}"),
    "cli_all_groups": ("all", "全部"),
    # ---------------------------------------------------------------- CLI: input errors
    "err_prefix": ("error: ", "错误："),
    "err_file": ("{file}", "文件 {file}"),
    "err_row": ("row {row}", "第 {row} 行"),
    "err_field": ("field '{field}'", "字段“{field}”"),
    "err_sep": (", ", "，"),
    "err_where": ("{where}: ", "{where}："),
    "err_fix": (" Fix: {fix}", "修改建议：{fix}"),
    "err_many": ("{n} problems found:", "发现 {n} 个问题："),
    "err_more": ("  ... and {k} more", "  ……另有 {k} 个"),
    "err_in_scenario": (
        ' (in the scenario: {name} = "..." in [{section}].)',
        '（方案文件中：[{section}] 的 {name} = "..."）',
    ),
    # ---------------------------------------------------------------- CLI: network statistics
    "net_source": ("network: {source}", "路网：{source}"),
    "net_size": (
        "  {nodes} nodes, {edges} directed edges, {km} km of road, hull {area} km²",
        "  节点 {nodes} 个，有向边 {edges} 条，道路 {km} 公里，外包范围 {area} 平方公里",
    ),
    "net_dropped": (
        "  largest strongly connected part kept: dropped {nodes} nodes and {edges} edges in "
        "{parts} smaller parts",
        "  保留最大强连通部分：去掉 {parts} 个较小部分中的 {nodes} 个节点和 {edges} 条边",
    ),
    "net_header": (
        "  mode    usable nodes   open edges   open km",
        "  出行方式       可用节点     可通行边  可通行公里",
    ),
    "net_row": (
        "  {mode:<7} {nodes:>12} {edges:>12} {km:>9}",
        "  {mode} {nodes:>12} {edges:>12} {km:>11}",
    ),
    "net_by_class": ("  km by road class: {classes}", "  各等级道路里程（公里）：{classes}"),
    # ---------------------------------------------------------------- province map
    "pmap_before": (
        "Rest gaps before (over {h:,g} h without a home)",
        "新建前的休息空档（超过 {h:,g} 小时无司机之家）",
    ),
    "pmap_after": ("Rest gaps left after the new homes", "新建后仍有的休息空档"),
    "pmap_tooltip": ("trucks/day in a gap", "处于空档的货车（辆/日）"),
    "pmap_phases": ("Programme by phase", "分期建设"),
    "pmap_phase": ("Phase", "期"),
    "pmap_homes": ("Homes", "司机之家"),
    "pmap_served": ("Rest rule met", "满足休息规定"),
    "pmap_gaps": ("Gaps (trucks/day)", "空档（辆/日）"),
    "pmap_existing": ("existing", "现有"),
    # ---------------------------------------------------------------- notes (see say())
    "list_sep": ("; ", "；"),
    "list_comma": (", ", "、"),
    "n_no_demand": (
        "No demand was given: there is nothing to cover.",
        "未提供需求：没有需要覆盖的内容。",
    ),
    "n_empty_demand": (
        "The demand table is empty: there is nothing to cover.",
        "需求表为空：没有需要覆盖的内容。",
    ),
    "n_no_stations": (
        "No existing stations: coverage before is zero.",
        "没有现有站点：建设前覆盖率为零。",
    ),
    "n_no_candidates": (
        "No candidate sites were given: no new site can be recommended.",
        "未提供候选站点：无法推荐新站点。",
    ),
    "n_off_stations": (
        "{n} of {total} existing stations lie more than {m:,g} m from the {mode} network and "
        "were left out (they cover no one): {shown}{more}. Check their coordinates and datum, "
        "or raise max_snap_m; the list is in result.off_network.",
        "{total} 个现有站点中有 {n} 个距{mode}路网超过 {m:,g} 米，未计入（不覆盖任何需求）："
        "{shown}{more}。请检查其坐标和坐标系，或放宽点位离道路的最大距离（max_snap_m）。",
    ),
    "n_off_station": ("{name!s} ({metres:,.0f} m)", "{name!s}（{metres:,.0f} 米）"),
    "n_off_more": (" and {k} more", "等，另有 {k} 个"),
    "n_off_candidates": (
        "{n} candidate sites lie more than {m:,g} m from the {mode} network and were left "
        "out of the choice (they are not in the sites table).",
        "{n} 个候选站点距{mode}路网超过 {m:,g} 米，未参与选址（不在站点表中）。",
    ),
    "n_off_demand": (
        "{n} demand points lie more than {m:,g} m from the network and count as not covered.",
        "{n} 个需求点距路网超过 {m:,g} 米，按未覆盖计。",
    ),
    "n_no_sites_asked": (
        "No new sites were asked for (p = 0): the figures are today's coverage by the "
        "existing sites.",
        "未要求新建站点（p = 0）：各项数字为现有站点目前的覆盖情况。",
    ),
    "n_nothing": (
        "Nothing to show: no stations exist and none were recommended.",
        "无可显示内容：没有现有站点，也没有推荐站点。",
    ),
    "n_all_covered": ("All demand is covered: no demand is left out.", "全部需求均已覆盖。"),
    "n_only_candidates": (
        "Only {n} candidate sites can be chosen; asked for {p}.",
        "只有 {n} 个候选站点可选；请求了 {p} 个。",
    ),
    "n_min_area": (
        "{k} of the {n} new sites add no coverage; they are there to give every district at "
        "least {m} station(s).",
        "{n} 个新站点中有 {k} 个不增加覆盖；保留它们是为了使每个区至少有 {m} 个站点。",
    ),
    "n_no_gain": (
        "No candidate adds coverage: every demand point a candidate can reach within the "
        "cutoff is already covered.",
        "没有候选站点能增加覆盖：候选站点在时间上限内能到达的需求点均已覆盖。",
    ),
    "n_only_gain": (
        "Only {k} of the {n} sites asked for add coverage; the rest were left out.",
        "请求的 {n} 个站点中只有 {k} 个能增加覆盖；其余未列入。",
    ),
    "n_budget_sites": (
        "Budget {b:,.6g}: the {n} sites chosen cost {c:,.6g}.",
        "预算 {b:,.0f}：所选 {n} 个站点的成本为 {c:,.0f}。",
    ),
    "n_uncoverable": (
        "Demand of weight {w:,.6g} is beyond {m:,g} minutes of every site: no set of "
        "candidates can cover it.",
        "权重为 {w:,.6g} 的需求距所有站点都超过 {m:,g} 分钟：任何候选站点组合都无法覆盖。",
    ),
    "n_phased": (
        "Phased plan: {phases}, each phase keeping the earlier ones.",
        "分期方案：{phases}，每期保留之前各期的站点。",
    ),
    "n_phase_site": ("phase {k} chooses {n} site", "第 {k} 期新建 {n} 个站点"),
    "n_phase_sites": ("phase {k} chooses {n} sites", "第 {k} 期新建 {n} 个站点"),
    "n_phase_homes": (
        "phase {k} builds {n} of {c} homes",
        "第 {k} 期建设 {n} 处司机之家（计划 {c} 处）",
    ),
    "n_no_homes": (
        "No existing driver homes: every route starts uncaptured.",
        "没有现有司机之家：所有线路起初均未覆盖。",
    ),
    "n_no_routes": (
        "No routes: there is no truck flow to serve.",
        "没有线路：没有需要服务的货车流量。",
    ),
    "n_not_eligible": (
        "{k} of {n} candidate sites are passed by{within} fewer than {v:,g} trucks a day and "
        "are not eligible.",
        "{n} 个候选站点中有 {k} 个每日途经{within}的货车少于 {v:,g} 辆，不符合条件。",
    ),
    "n_within": (" (or within {d:,g} min of)", "（或绕行 {d:,g} 分钟内可达）"),
    "n_only_eligible": (
        "Only {n} candidate sites are passed by {v:,g}+ trucks a day; asked for {p}.",
        "只有 {n} 个候选站点每日途经货车达到 {v:,g} 辆以上；请求了 {p} 个。",
    ),
    "n_short_trips": (
        "No trip drives longer than the rest interval ({h:,g} h; the longest drives "
        "{longest:,.2f} h): every truck meets the rest rule without a home.",
        "没有行程的驾驶时间超过休息间隔（{h:,g} 小时；最长的行程为 {longest:,.2f} 小时）："
        "无需司机之家，所有货车均满足休息规则。",
    ),
    "n_fewer_homes": (
        "Fewer homes than asked for add anything ({said}): no further eligible site "
        "{rule}captures more trucks (every route passing one already passes a driver home), "
        "so the rest were left out.",
        "能发挥作用的司机之家少于请求的数量（{said}）：没有其他合格站点能{rule}覆盖更多货车"
        "（途经这些站点的线路都已途经司机之家），其余未列入。",
    ),
    "n_fewer_rule": ("meets the rest rule for more trucks nor ", "使更多货车满足休息规则或"),
    "n_fewer_phase": ("phase {k}: {got} of {asked}", "第 {k} 期：{asked} 处中 {got} 处"),
    "n_fewer_count": ("{got} of {asked}", "{asked} 处中 {got} 处"),
    "n_budget_homes": (
        "Budget {b:,.6g}: the {n} homes chosen cost {c:,.6g}.",
        "预算 {b:,.0f}：所选 {n} 处司机之家的成本为 {c:,.0f}。",
    ),
    "n_cost_homes": (
        "The {n} new homes cost {c:,.6g} in all.",
        "{n} 处新建司机之家的总成本为 {c:,.0f}。",
    ),
    "n_rest_primary": (
        "Some routes drive longer than {h:,g} h: homes are chosen to meet the rest rule "
        "(rest-interval model); coverage counts routes meeting it.",
        "部分线路行驶时间超过 {h:,g} 小时：按休息规则选址（休息间隔模型）；"
        "覆盖率统计满足该规则的线路。",
    ),
    "n_unservable": (
        "{n} routes ({v:,.0f} trucks a day) have a stretch longer than {h:,g} h with no "
        "eligible site at all: no choice of homes serves them (add candidates there).",
        "{n} 条线路（{v:,.0f} 辆/日）有超过 {h:,g} 小时的路段完全没有合格站点："
        "无论如何选址都无法服务这些线路（请在那里增加候选站点）。",
    ),
    "n_model_short_trips": (
        "Model asked for: rest_interval. No trip drives longer than {h:,g} h (the longest "
        "{longest:,.2f} h), so every truck meets the rest rule with no home at all: the "
        "rest-interval model was solved (every route served, nothing to choose) and the "
        "{n} homes were chosen by flow capturing (FlowCapture: the most trucks passing a "
        "home) instead.",
        "请求的模型：休息间隔模型。没有行程的驾驶时间超过 {h:,g} 小时（最长 {longest:,.2f} 小时），"
        "无需任何司机之家，所有货车均满足休息规则：休息间隔模型已求解（所有线路均已服务，"
        "无需选择），因此这 {n} 处司机之家改按流量截取模型选出（使途经站点的货车最多）。",
    ),
    "n_model_no_interval": (
        "Model asked for: rest_interval, but the plan has no rest interval "
        "(rest_interval_h=None): homes were chosen by flow capturing (FlowCapture).",
        "请求的模型：休息间隔模型，但方案没有设定休息间隔：司机之家改按流量截取模型选出。",
    ),
    "n_model_rest_then_capture": (
        "Model asked for: rest_interval. The rest rule needed {r} new homes "
        "(RestIntervalCoverage); every truck it can serve is then served, so the other "
        "{n} homes were chosen by flow capturing (FlowCapture: the most trucks passing a "
        "home).",
        "请求的模型：休息间隔模型。满足休息规则需要新建 {r} 处司机之家（休息间隔模型）；"
        "此后它能服务的货车均已服务，因此其余 {n} 处改按流量截取模型选出（使途经站点的货车最多）。",
    ),
    "n_dropped_jumps": (
        "{label}: {k} of {n} GPS fixes were dropped as impossible jumps (faster than the "
        "workers' speed limit).",
        "{label}：{n} 个 GPS 定位点中有 {k} 个因不可能的跳变（超过劳动者的速度上限）被剔除。",
    ),
    "n_dropped_outside": (
        "{label}: {k} of {n} GPS fixes lie outside the network's area and were left out.",
        "{label}：{n} 个 GPS 定位点中有 {k} 个位于路网范围之外，未计入。",
    ),
}

# value vocabularies: kind -> value -> (English, Chinese)
TERMS: Mapping[str, Mapping[str, tuple[str, str]]] = {
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
    "highway": {  # OSM road classes (network statistics)
        "motorway": ("motorway", "高速公路"),
        "motorway_link": ("motorway link", "高速公路匝道"),
        "trunk": ("trunk road", "干线公路"),
        "trunk_link": ("trunk road link", "干线公路匝道"),
        "primary": ("primary road", "主干路"),
        "primary_link": ("primary road link", "主干路匝道"),
        "secondary": ("secondary road", "次干路"),
        "secondary_link": ("secondary road link", "次干路匝道"),
        "tertiary": ("tertiary road", "支路"),
        "tertiary_link": ("tertiary road link", "支路匝道"),
        "unclassified": ("unclassified road", "未分级道路"),
        "residential": ("residential street", "居住区道路"),
        "living_street": ("living street", "生活街道"),
        "service": ("service road", "服务道路"),
        "road": ("road of unknown class", "未知等级道路"),
        "track": ("track", "机耕路"),
        "footway": ("footway", "人行道"),
        "pedestrian": ("pedestrian street", "步行街"),
        "path": ("path", "小路"),
        "cycleway": ("cycleway", "自行车道"),
        "steps": ("steps", "台阶"),
        "busway": ("busway", "公交专用道"),
        "other": ("other", "其他"),
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

# ------------------------------------------------------------------------- input errors
# planner's errors are written in English (tests and users' scripts match them); the
# command line says the common ones in Chinese with these patterns: a message (or a fix)
# that one pattern matches whole is said by its Chinese sentence, the named groups (file
# and column names, numbers, values) carried over verbatim. The others stay in English.
# Every pattern here is matched by a message the code produces (tests/test_i18n_errors.py).

_DATUM_RISK_EN = (
    r"Coordinates copied from Amap/Gaode or Tencent are GCJ-02 and land about 600 m "
    r"\(300-700 m\) from the OpenStreetMap roads if read as WGS84; Baidu's BD-09 1-2 km\."
)
_DATUM_RISK_ZH = (
    "从高德地图或腾讯地图复制的坐标是 GCJ-02（火星坐标），若按 WGS84 读取，会偏离 "
    "OpenStreetMap 道路约 600 米（300-700 米）；百度的 BD-09 坐标偏离 1-2 公里。"
)
_COLUMNS = r"(?P<cols>\[.*\])"

#: (English message pattern, Chinese sentence)
ERRORS: tuple[tuple[str, str], ...] = (
    (
        rf"the id column (?P<col>'.*') is not in the (?P<kind>\w+) table; its columns are "
        rf"{_COLUMNS}\.",
        "{kind}表中没有编号列 {col}；表中的列为 {cols}。",
    ),
    (
        rf"(?P<arg>lon|lat)=(?P<given>'.*') is not a column; the columns are {_COLUMNS}"
        r"(?P<read_as>(?: \(.*\))?)\.",
        "{arg}={given} 不是表中的列；表中的列为 {cols}{read_as}。",
    ),
    (
        rf"no (?P<role>longitude|latitude) column found; the columns are {_COLUMNS}"
        r"(?P<read_as>(?: \(.*\))?) and the names tried \(any case\) are (?P<names>.+)\.",
        "找不到{role}列；表中的列为 {cols}{read_as}，已尝试的列名（不区分大小写）为 {names}。",
    ),
    (
        r"ambiguous (?P<role>longitude|latitude) column: (?P<listed>'.*') could each be the "
        r"(?:longitude|latitude)\.",
        "{role}列不明确：{listed} 都可能是{role}列。",
    ),
    (
        rf"(?P<n>\d+) of (?P<m>\d+) points lie in China and no datum is given\. {_DATUM_RISK_EN}",
        "{m} 个点中有 {n} 个位于中国境内，但没有说明坐标系（datum）。" + _DATUM_RISK_ZH,
    ),
    (
        rf"(?P<name>.+): (?P<n>\d+) of (?P<m>\d+) points lie in China and no datum was given, "
        rf"so they were read as WGS84 \(GPS, OpenStreetMap\)\. {_DATUM_RISK_EN} Say which datum "
        r"they are in: datum='wgs84' \(GPS, OpenStreetMap\), datum='gcj02' \(Amap/Gaode, "
        r"Tencent\) or datum='bd09' \(Baidu\)\.",
        "{name}：{m} 个点中有 {n} 个位于中国境内，但没有说明坐标系（datum），"
        "因此按 WGS84（GPS、OpenStreetMap）读取。" + _DATUM_RISK_ZH + "请说明坐标所用的坐标系："
        "datum='wgs84'（GPS、OpenStreetMap）、datum='gcj02'（高德、腾讯）"
        "或 datum='bd09'（百度）。",
    ),
    (
        r"longitude and latitude look swapped: (?P<k>\d+) of (?P<n>\d+) rows \(rows "
        r"(?P<rows>[^)]*)\) have a latitude outside \[-90, 90\] that would be valid as a "
        r"longitude, e\.g\. row (?P<row>\d+) has lon=(?P<lon>\S+), lat=(?P<lat>\S+)\.",
        "经度和纬度似乎填反了：{n} 行中有 {k} 行（第 {rows} 行）的纬度超出 [-90, 90]，"
        "而作为经度是有效的，例如第 {row} 行 lon={lon}，lat={lat}。",
    ),
    (
        r"longitude and latitude look swapped in this row: lon=(?P<lon>\S+), lat=(?P<lat>\S+)\.",
        "这一行的经度和纬度似乎填反了：lon={lon}，lat={lat}。",
    ),
    (
        r"longitude (?P<value>\S+) is outside \[-180, 180\]\.",
        "经度 {value} 超出 [-180, 180] 的范围。",
    ),
    (
        r"latitude (?P<value>\S+) is outside \[-90, 90\]\.",
        "纬度 {value} 超出 [-90, 90] 的范围。",
    ),
    (
        r"point \((?P<lon>\S+), (?P<lat>\S+)\) is (?P<km>\S+) km outside the network's area "
        r"\(bounds (?P<bounds>[^)]*)\)\.",
        "点 ({lon}, {lat}) 在路网范围之外 {km} 公里（路网范围 {bounds}）。",
    ),
    (r"non-numeric coordinate (?P<value>.+)\.", "坐标 {value} 不是数字。"),
    (r"empty coordinate \(missing value\)\.", "坐标为空（缺少数值）。"),
    (r"the file has no data rows \(only a header\)\.", "文件只有表头，没有数据行。"),
    (r"the file is empty\.", "文件是空的。"),
    (r"no such file (?P<path>.+)\.", "找不到文件 {path}。"),
    (
        r"unknown key '(?P<key>[^']*)' in (?P<where>\[\w*\]|the top level)\.",
        "{where}中没有名为 '{key}' 的键。",
    ),
    (r"unknown section \[(?P<name>.*)\]\.", "没有名为 [{name}] 的部分。"),
    (
        rf"column (?P<col>'.*') is missing; the columns are {_COLUMNS}\.",
        "缺少列 {col}；表中的列为 {cols}。",
    ),
    (
        r"id (?P<id>.+) is used by rows (?P<rows>[\d, ]+); ids must be unique\.",
        "编号 {id} 被第 {rows} 行重复使用；编号不能重复。",
    ),
    (
        r"(?P<n>\d+) totals are missing or negative \(first: (?P<first>.*)\)\.",
        "有 {n} 个总量缺失或为负数（第一个：{first}）。",
    ),
    (r"(?P<key>\w+) = (?P<value>.+) is not allowed\.", "{key} = {value} 不是允许的取值。"),
    (
        r"not valid TOML: (?P<why>.+) \(at line (?P<line>\d+), column (?P<col>\d+)\)\.",
        "不是有效的 TOML 文件：第 {line} 行第 {col} 列有误（{why}）。",
    ),
)

#: (English fix pattern, Chinese sentence)
ERROR_FIXES: tuple[tuple[str, str], ...] = (
    (
        r"name one of those columns as the id \(id_column= in Python, id = in a scenario\), "
        r"or leave it out to number the rows\.",
        "把上面列出的某一列指定为编号列（Python 中用 id_column=，方案文件中用 id =），"
        "或不指定编号列，按行号编号。",
    ),
    (r"pass (?P<arg>lon|lat)= one of those names\.", "把 {arg}= 设为上面列出的某个列名。"),
    (
        r"pass lon='<longitude column>' and lat='<latitude column>', or name a single "
        r"'lng,lat' column location\.",
        "用 lon='<经度列>' 和 lat='<纬度列>' 指定经纬度列，"
        "或把一个“经度,纬度”格式的列命名为 location。",
    ),
    (r"choose one with (?P<arg>lon|lat)='<column>'\.", "用 {arg}='<列名>' 指定其中一列。"),
    (
        r'add datum = "wgs84" \(GPS, OpenStreetMap\), "gcj02" \(Amap/Gaode, Tencent\) or '
        r'"bd09" \(Baidu\) to \[(?P<section>\w+)\] in (?P<file>.+)\.',
        '在 {file} 的 [{section}] 中加上 datum = "wgs84"（GPS、OpenStreetMap）、'
        '"gcj02"（高德、腾讯）或 "bd09"（百度）。',
    ),
    (
        r'add datum = "wgs84", "gcj02" or "bd09" to \[(?P<section>\w+)\]\.',
        '在 [{section}] 中加上 datum = "wgs84"、"gcj02" 或 "bd09"。',
    ),
    (
        r"pass lon=(?P<lon>'.*') lat=(?P<lat>'.*')\.",
        "改为 lon={lon} lat={lat}（把两列对调）。",
    ),
    (r"exchange the two values in this row\.", "把这一行的两个数值对调。"),
    (
        r"correct the value or delete the row\. If these are projected coordinates \(metres\), "
        r"pass crs='EPSG:<code>'\.",
        "更正这个数值或删除这一行。如果这些是投影坐标（单位为米），请设置 crs='EPSG:<代码>'。",
    ),
    (
        r"delete the row, use a network that covers it, or allow a margin with "
        r"area_buffer_m=<metres>\.",
        "删除这一行、改用覆盖该点的路网，或用 area_buffer_m=<米数> 放宽范围。",
    ),
    (
        r"write the value as a decimal number in degrees \(e\.g\. (?P<example>[\d.]+)\) or "
        r"delete the row\.",
        "把数值写成以度为单位的小数（例如 {example}），或删除这一行。",
    ),
    (r"fill in the value or delete the row\.", "填上这个数值或删除这一行。"),
    (r"add at least one data row\.", "至少添加一行数据。"),
    (r"write a header line and at least one data row\.", "写入一行表头和至少一行数据。"),
    (
        r"check the path; relative paths are taken from the scenario's folder\.",
        "检查路径；相对路径从方案文件所在的文件夹算起。",
    ),
    (
        r"did you mean (?P<close>'[^']*')\? allowed keys: (?P<keys>.+)\.",
        "是不是想写 {close}？允许的键有：{keys}。",
    ),
    (r"allowed keys: (?P<keys>.+)\.", "允许的键有：{keys}。"),
    (
        r"did you mean (?P<close>\[\w+\])\? sections: (?P<sections>.+)\.",
        "是不是想写 {close}？可用的部分有：{sections}。",
    ),
    (r"give each row its own id\.", "给每一行一个不同的编号。"),
    (r"totals must be numbers >= 0\.", "总量必须是大于或等于 0 的数字。"),
    (r"use one of (?P<values>.+)\.", "使用以下取值之一：{values}。"),
    (
        r"check quotes, brackets and '=' on that line \(https://toml\.io\)\.",
        "检查该行的引号、括号和“=”（见 https://toml.io）。",
    ),
)

#: Words in the groups of ERRORS: {group: {English: Chinese}}; other values stay as written.
ERROR_WORDS: Mapping[str, Mapping[str, str]] = {
    "role": {"longitude": "经度", "latitude": "纬度"},
    "kind": {"stations": "站点", "candidates": "候选站点", "points": "需求点", "sites": "站点"},
    "where": {"the top level": "方案文件顶层"},
}

#: How a table was read, said after its columns: (English pattern, Chinese).
ERROR_READ_AS: tuple[tuple[str, str], ...] = (
    (r" \(sheet (?P<sheet>'.*')\)", "（工作表 {sheet}）"),
    (r" \(read as (?P<encoding>.+)\)", "（按 {encoding} 编码读取）"),
)
