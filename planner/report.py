"""A self-contained HTML report of one or more siting plans, readable on a phone and on paper.

The page holds, per plan: what was solved (the model that ran, what "covered"
means, the unit of demand), coverage before and after (a table and a bar chart),
the coverage curve, the recommended sites, who each site serves, how it was
solved, and the inputs and settings; then the files of the folder (and which
datum each uses) and the map. Every word comes from :mod:`planner._i18n`, in
English or Chinese (``language="zh"``: ``<html lang="zh-CN">``).

The page fits a 390 px phone screen: tables scroll sideways inside their own
box, charts scale down, text is left-aligned and numbers carry their units; a
print stylesheet lays it out on A4. Charts are hand-written SVG: no plotting
library, byte-identical output for the same plan, and text that a test (or a
screen reader) can read. :func:`summary_text` is the same summary for a terminal.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner import _i18n
from planner._atomic import write_text
from planner._errors import InputError
from planner._i18n import Language
from planner._map_labels import plan_name

if TYPE_CHECKING:
    from planner.plan.result import PlanResult

__all__ = ["bar_svg", "curve_svg", "report_html", "summary_text", "write_report"]

_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","Noto Sans CJK SC",Roboto,Arial,sans-serif;margin:0 auto;max-width:1320px;
padding:12px 16px 40px;color:#1f2328;background:#fff;overflow-wrap:break-word}
h1{font-size:1.45rem;line-height:1.3;margin:.6em 0}
h2{font-size:1.2rem;border-bottom:2px solid #d8dee4;padding-bottom:4px;margin-top:2em}
h3{font-size:1.05rem;margin:1.6em 0 .4em}
p{margin:.5em 0}
.programme{color:#57606a;margin-top:-.4em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;margin:8px 0}
table{border-collapse:collapse;font-size:.92rem}
th,td{border:1px solid #d8dee4;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f3f5f7;font-weight:600}
tbody th{font-weight:500;background:#fafbfc}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.tag,td.coord{white-space:nowrap}
table.kv{width:100%;max-width:720px}table.kv tbody th{width:45%}
table.wide td,table.wide th{min-width:4.5em}table.wide td.name{min-width:9em}
.note{background:#fff8e1;border-left:4px solid #f0ad4e;padding:6px 10px;margin:6px 0}
.hint{color:#57606a;font-size:.85rem}
.charts{display:flex;flex-wrap:wrap;align-items:flex-start;gap:16px;margin:12px 0}
.charts svg{max-width:100%;height:auto;display:block}
iframe.map{width:100%;height:70vh;min-height:360px;border:1px solid #ccc}
footer{margin-top:2em;color:#57606a;font-size:.85rem}
@media (max-width:600px){body{font-size:14px;padding:8px 10px 32px}th,td{padding:3px 6px}
h1{font-size:1.3rem}}
@media print{@page{size:A4;margin:14mm 12mm}
body{max-width:none;padding:0;font-size:9.5pt;color:#000}
.scroll{overflow:visible}table{font-size:8pt;width:100%}td.num{white-space:normal}
tr,svg,.note{break-inside:avoid}h2,h3{break-after:avoid}
iframe.map,.hint,.maplink{display:none}a{color:inherit;text-decoration:none}
.charts svg{max-width:48%}}
"""

_DATUM_NAMES = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09"}
_DATUM_APPS = {
    "gcj02": ("Amap (Gaode) or Tencent Maps", "高德地图或腾讯地图", "300–700 m", "300–700 米"),
    "bd09": ("Baidu Maps", "百度地图", "1–2 km", "1–2 公里"),
}


def _esc(value: Any) -> str:
    return html.escape(str(value))


class _Words:
    """The catalogue bound to one language, with the formats the page uses."""

    def __init__(self, language: Language) -> None:
        self.lang = _i18n.check_language(language)

    def __call__(self, key: str, **values: Any) -> str:
        return _i18n.text(key, self.lang, **values)

    def num(self, value: Any, decimals: int = 0) -> str:
        return _i18n.number(value, self.lang, decimals=decimals)

    def pct(self, value: Any, decimals: int = 1) -> str:
        return _i18n.percent(value, self.lang, decimals=decimals)

    def term(self, kind: str, value: Any) -> str:
        return _i18n.term(kind, value, self.lang)

    def qty(self, value: Any) -> str:
        """Write a quantity: whole numbers without decimals, others to one decimal."""
        whole = value is not None and math.isfinite(float(value)) and float(value).is_integer()
        return self.num(value, 0 if whole else 1)

    def minutes(self, value: Any) -> str:
        return self("minutes", n=self.qty(value))

    def hours(self, value: Any) -> str:
        return self("hours", n=f"{float(value):g}")

    def metres(self, value: Any) -> str:
        return self("metres", n=self.num(value))

    def join(self, items: Sequence[str]) -> str:
        """Join a list as prose: ``a, b`` in English, ``a、b`` in Chinese."""
        return ("、" if self.lang == "zh" else ", ").join(items)


# ------------------------------------------------------------------------ charts
def curve_svg(
    curve: pd.DataFrame,
    *,
    chosen_p: int | None = None,
    width: int = 480,
    height: int = 280,
    title: str | None = None,
    language: Language = "en",
) -> str:
    """Draw the coverage curve (``p`` against ``share``) as an SVG string.

    Parameters
    ----------
    curve
        Columns ``p`` and ``share`` (as :attr:`planner.plan.PlanResult.curve`).
    chosen_p
        The plan's number of sites, marked with a red dot and a label.
    width, height
        Size in pixels (the chart scales down on narrow screens).
    title
        Chart title (default: "Covered share by number of new sites", in ``language``).
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        An ``<svg>`` element; each point is a ``<circle>`` with ``data-p`` and
        ``data-share`` attributes.

    Examples
    --------
    >>> import pandas as pd
    >>> svg = curve_svg(pd.DataFrame({"p": [0, 1, 2], "share": [0.5, 0.8, 0.9]}), chosen_p=1)
    >>> svg.count("<circle")
    3
    """
    w = _Words(language)
    title = title if title is not None else w("chart_curve")
    left, right, top, bottom = 52, 16, 30, 40
    pw, ph = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="planner-curve" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}">',
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="13" '
        f'font-weight="600">{_esc(title)}</text>',
    ]
    if len(curve) == 0:
        parts.append(
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
            f'font-size="12" fill="#777">{_esc(w("chart_empty"))}</text></svg>'
        )
        return "".join(parts)
    ps = curve["p"].to_numpy(dtype=float)
    shares = curve["share"].to_numpy(dtype=float)
    max_p = max(float(ps.max()), 1.0)
    finite = shares[np.isfinite(shares)]
    low = max(0.0, math.floor(float(finite.min()) * 10) / 10) if finite.size else 0.0

    def sx(p: float) -> float:
        return left + pw * p / max_p

    def sy(s: float) -> float:
        return top + ph * (1 - (s - low) / (1 - low if low < 1 else 1))

    for k in range(6):
        s = low + (1 - low) * k / 5
        y = sy(s)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{s:.0%}</text>"
        )
    step = max(1, math.ceil(max_p / 10))
    for p in range(0, int(max_p) + 1, step):
        parts.append(
            f'<text x="{sx(p):.1f}" y="{top + ph + 16}" text-anchor="middle" font-size="11">'
            f"{w.num(p)}</text>"
        )
    parts.append(
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#333"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#333"/>'
        f'<text x="{left + pw / 2:.0f}" y="{height - 6}" text-anchor="middle" font-size="12">'
        f"{_esc(w('chart_x'))}</text>"
    )
    points = " ".join(
        f"{sx(p):.1f},{sy(s):.1f}" for p, s in zip(ps, shares, strict=True) if math.isfinite(s)
    )
    parts.append(f'<polyline points="{points}" fill="none" stroke="#2471a3" stroke-width="2"/>')
    for p, s in zip(ps, shares, strict=True):
        if not math.isfinite(s):
            continue
        mark = chosen_p is not None and int(p) == int(chosen_p)
        cls = ' class="chosen"' if mark else ""
        parts.append(
            f'<circle cx="{sx(p):.1f}" cy="{sy(s):.1f}" r="{6 if mark else 3}" '
            f'fill="{"#c0392b" if mark else "#2471a3"}" data-p="{int(p)}" '
            f'data-share="{s:.6f}"{cls}>'
            f"<title>p = {w.num(p)}: {s:.1%}</title></circle>"
        )
        if mark:
            label = w("chart_chosen", p=int(p), share=f"{s:.1%}")
            # keep the label inside the chart: right of the dot, or left of it near the edge
            right_side = sx(p) < left + pw * 0.55
            x = sx(p) + 8 if right_side else sx(p) - 8
            anchor = "start" if right_side else "end"
            parts.append(
                f'<text x="{x:.1f}" y="{sy(s) + 18:.1f}" font-size="12" fill="#c0392b" '
                f'text-anchor="{anchor}">{_esc(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_svg(
    coverage: pd.DataFrame,
    *,
    width: int = 480,
    title: str | None = None,
    language: Language = "en",
) -> str:
    """Draw covered shares before and after per group as paired horizontal bars (SVG).

    Parameters
    ----------
    coverage
        Columns ``group_by``, ``group``, ``share_before``, ``share_after`` (as
        :attr:`planner.plan.PlanResult.coverage`).
    width
        Width in pixels (the height follows the number of groups; the chart
        scales down on narrow screens).
    title
        Chart title (default: "Covered share before and after", in ``language``).
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        An ``<svg>`` element; bars are ``<rect>`` with ``data-group`` (the row's
        label), ``data-state`` (``before``/``after``) and ``data-share``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"group_by": ["all"], "group": ["all"],
    ...                       "share_before": [0.5], "share_after": [0.75]})
    >>> bar_svg(table).count("data-state=")
    2
    """
    w = _Words(language)
    title = title if title is not None else w("chart_bars")
    rows = coverage[np.isfinite(coverage["share_before"].to_numpy(dtype=float))]
    left, right, top = 150, 60, 30
    row_h = 34
    height = top + row_h * max(len(rows), 1) + 30
    pw = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="planner-bars" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}">',
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="13" '
        f'font-weight="600">{_esc(title)}</text>',
    ]
    for k, (_, row) in enumerate(rows.iterrows()):
        y = top + k * row_h
        label = _who(row, w, short=True)
        parts.append(
            f'<text x="{left - 6}" y="{y + 18}" text-anchor="end" font-size="12">'
            f"{_esc(label)}</text>"
        )
        for j, (state, colour) in enumerate((("before", "#9ab7d3"), ("after", "#e67e22"))):
            share = float(row[f"share_{state}"])
            parts.append(
                f'<rect x="{left}" y="{y + 4 + j * 13}" width="{pw * share:.1f}" height="12" '
                f'fill="{colour}" data-group="{_esc(label)}" data-state="{state}" '
                f'data-share="{share:.6f}"><title>{_esc(label)} {_esc(w("chart_" + state))}: '
                f"{share:.1%}</title></rect>"
                f'<text x="{left + pw * share + 4:.1f}" y="{y + 14 + j * 13}" font-size="10">'
                f"{share:.0%}</text>"
            )
    legend_y = height - 12
    parts.append(
        f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="#9ab7d3"/>'
        f'<text x="{left + 14}" y="{legend_y}" font-size="11">{_esc(w("chart_before"))}</text>'
        f'<rect x="{left + 80}" y="{legend_y - 9}" width="10" height="10" fill="#e67e22"/>'
        f'<text x="{left + 94}" y="{legend_y}" font-size="11">{_esc(w("chart_after"))}</text></svg>'
    )
    return "".join(parts)


# ------------------------------------------------------------------------ tables
def _who(row: Any, w: _Words, *, short: bool = False, routes: bool = False) -> str:
    """Return a coverage row's label: "All demand", "Worker group: delivery riders"."""
    if row["group_by"] == "all":
        return w("all_routes") if routes else w("all_demand")
    group_by = str(row["group_by"])
    value = w.term(group_by if group_by in ("group", "source") else "kind", row["group"])
    if short:
        return value
    heading = w(f"group_by_{group_by}") if group_by in ("group", "source") else group_by
    return f"{heading}: {value}" if w.lang == "en" else f"{heading}：{value}"


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[tuple[str, bool | str]]],
    *,
    cls: str,
    row_headers: bool = False,
) -> str:
    """Return an HTML table in its own scrolling box.

    Cells are ``(text, kind)``: ``True`` for a number (right-aligned), ``False``
    for text, ``"tag"`` for a short word or a coordinate pair kept on one line.
    """
    head = "".join(f'<th scope="col">{_esc(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = []
        for k, (value, numeric) in enumerate(row):
            if row_headers and k == 0:
                cells.append(f'<th scope="row">{_esc(value)}</th>')
            else:
                kind = "num" if numeric is True else numeric or ""
                attr = f' class="{kind}"' if kind else ""
                shown = (
                    "<br>".join(_esc(v) for v in value.split(", "))
                    if kind == "coord"
                    else _esc(value)
                )
                cells.append(f"<td{attr}>{shown}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _kv(rows: Sequence[tuple[str, str]], w: _Words, *, cls: str) -> str:
    """Return a two-column table: label, value (values left-aligned, as prose)."""
    return _table(
        [w("setting") if cls == "parameters" else w("figure"), w("value")],
        [[(k, False), (v, False)] for k, v in rows],
        cls=f"kv {cls}",
        row_headers=True,
    )


def _plans(results: Any) -> list[PlanResult]:
    plans: list[PlanResult] = list(results) if isinstance(results, list | tuple) else [results]
    if not plans:
        raise InputError("the report needs at least one plan result.", field="results")
    return plans


def _ran(res: PlanResult) -> str:
    """Return the model that ran, as a key of the model vocabulary (``""`` if none)."""
    if res.locate is None:
        return ""
    return "".join(ch for ch in res.locate.model.split("(")[0] if ch.isalnum()).lower()


def _unit(res: PlanResult, w: _Words) -> str:
    if res.programme == "driver_homes":
        return w("unit_trucks")
    column = res.parameters.get("weight")
    return w("unit_weight", column=column) if column else w("unit_points")


def _short_unit(res: PlanResult, w: _Words) -> str:
    return w("unit_trucks") if res.programme == "driver_homes" else w("col_demand_unit")


def _rest_shares(res: PlanResult) -> tuple[float, float] | None:
    if res.programme != "driver_homes" or "served_after" not in res.demand:
        return None
    vol = res.demand["volume"].to_numpy(float)
    total = vol.sum()
    if total <= 0:
        return None
    before = vol[res.demand["served_before"].to_numpy(bool)].sum() / total
    after = vol[res.demand["served_after"].to_numpy(bool)].sum() / total
    return float(before), float(after)


def _summary_rows(res: PlanResult, w: _Words) -> list[tuple[str, str]]:
    """Return the headline figures of a plan, in words and units."""
    c = res.coverage.iloc[0]
    params = res.parameters
    rows = [
        (w("programme"), w(res.programme)),
        (w("travel_mode"), w.term("mode", params.get("mode"))),
    ]
    if res.programme == "worker_stations":
        rows.append((w("cutoff"), w.minutes(params.get("cutoff_min"))))
    else:
        if params.get("rest_interval_h") is not None:
            rows.append((w("rest_interval"), w.hours(params["rest_interval_h"])))
        if params.get("min_volume") is not None:
            rows.append((w("min_volume"), w("trucks_day", n=w.num(params["min_volume"]))))
    existing = "existing_homes" if res.programme == "driver_homes" else "existing_stations"
    rows += [
        (w(existing), w.num(len(res.stations))),
        (w("new_sites"), w.num(len(res.sites))),
        (w("total_demand"), f"{w.qty(c['weight'])} {_short_unit(res, w)}"),
        (w("covered_before"), w.pct(c["share_before"]) if c["weight"] > 0 else w("n_a")),
        (w("covered_after"), w.pct(c["share_after"]) if c["weight"] > 0 else w("n_a")),
    ]
    rest = _rest_shares(res)
    if rest is not None:
        rows += [(w("rest_met_before"), w.pct(rest[0])), (w("rest_met_after"), w.pct(rest[1]))]
    rows += [
        (w("solver_status"), w.term("status", res.status)),
        (w("gap"), w.pct(res.gap, 2) if math.isfinite(res.gap) else w("n_a")),
    ]
    return rows


def _solved_rows(res: PlanResult, w: _Words) -> list[tuple[str, str]]:
    """Return what ran and what its figures mean."""
    params = res.parameters
    ran = _ran(res)
    rows = [(w("model_ran"), w.term("model", ran) if ran else w("not_solved"))]
    asked = str(params.get("model") or "")
    if asked and ran and asked.replace("_", "") not in ran:
        rows.append((w("model_asked"), w.term("model", asked)))
    if res.programme == "worker_stations":
        meaning = w(
            "covered_workers",
            cutoff=w.minutes(params.get("cutoff_min")),
            mode=w.term("mode", params.get("mode")),
        )
    elif ran.startswith("restinterval"):
        meaning = w("covered_rest", interval=w.hours(params.get("rest_interval_h") or 0))
    else:
        meaning = w("covered_flow", detour=w.minutes(params.get("detour_min") or 0))
    rows.append((w("covered_means"), meaning))
    if res.programme == "driver_homes" and params.get("rest_interval_h") is not None:
        rows.append(
            (w("rest_rule_means"), w("rest_rule_text", interval=w.hours(params["rest_interval_h"])))
        )
    rows.append((w("demand_unit_means"), _unit(res, w)))
    return rows


def _parameter_rows(res: PlanResult, w: _Words) -> list[tuple[str, str]]:
    """Return the settings in plain words; settings that do not apply are left out."""
    p = res.parameters

    def solver(v: Any) -> str:
        return w(f"{v}_solver") if v in ("auto", "exact", "fast") else str(v)

    shown: list[tuple[str, Any, Callable[[Any], str]]] = [
        ("travel_mode", p.get("mode"), lambda v: w.term("mode", v)),
        ("cutoff", p.get("cutoff_min"), w.minutes),
        ("rest_interval", p.get("rest_interval_h"), w.hours),
        ("min_volume", p.get("min_volume"), lambda v: w("trucks_day", n=w.num(v))),
        ("param_detour", p.get("detour_min"), w.minutes),
        ("param_p", p.get("p"), w.num),
        ("param_budget", p.get("budget"), lambda v: w.num(v, 2)),
        ("param_phases", p.get("phases"), lambda v: w.join([str(int(k)) for k in v])),
        ("param_cost", p.get("cost"), str),
        ("param_solver", p.get("solver"), solver),
        ("param_time_limit", p.get("time_limit"), lambda v: w("seconds", n=w.num(v))),
        ("param_seed", p.get("seed"), str),
        (
            "param_station_kinds",
            p.get("station_kinds"),
            lambda v: w.join([w.term("kind", k) for k in v]) if v else w("all_kinds"),
        ),
        ("param_max_snap", p.get("max_snap_m"), w.metres),
        (
            "param_groups",
            p.get("groups"),
            lambda v: w.join([w(f"group_by_{g}") if g in ("group", "source") else g for g in v]),
        ),
        ("param_weight", p.get("weight"), str),
        ("param_hex", p.get("hex_size_m"), w.metres),
    ]
    rows = [(w(key), fmt(value)) for key, value, fmt in shown if value is not None]
    count = "param_demand_points" if res.programme == "worker_stations" else "param_routes"
    rows.append((w(count), w.num(len(res.demand))))
    existing = "existing_homes" if res.programme == "driver_homes" else "existing_stations"
    rows.append((w(existing), w.num(len(res.stations))))
    sources = [_i18n.note(s, w.lang)[0] for s in (p.get("attribution") or [])]
    rows.append((w("param_sources"), "; ".join(sources) or w("none")))
    for key, digest in res.inputs.items():
        if digest is not None:
            try:
                name = w(f"input_{key}")
            except KeyError:
                name = key
            rows.append((w("param_hash", name=name), str(digest)))
    return rows


def _coverage_table(res: PlanResult, w: _Words) -> str:
    routes = res.programme == "driver_homes"
    header = [
        w("col_group"),
        w("col_routes") if routes else w("col_points"),
        w("col_demand", unit=_short_unit(res, w)),
        w("col_covered_before"),
        w("col_covered_after"),
        w("col_gain"),
    ]
    rows = [
        [
            (_who(row, w, routes=routes), False),
            (w.num(row["points"]), True),
            (w.qty(row["weight"]), True),
            (w.pct(row["share_before"]), True),
            (w.pct(row["share_after"]), True),
            (w.pct(row["gain"]), True),
        ]
        for _, row in res.coverage.iterrows()
    ]
    return _table(header, rows, cls="coverage wide", row_headers=True)


def _addresses(frame: pd.DataFrame, language: Language) -> list[str]:
    """Each site's own address when it has one, else "near <nearest named road>, <m>"."""
    own = next((c for c in ("address", "addr", "地址", "addr:street") if c in frame), None)
    out = []
    for k in range(len(frame)):
        value = frame[own].iloc[k] if own else None
        if isinstance(value, str) and value.strip():
            out.append(value.strip())
            continue
        road = frame["nearest_road"].iloc[k] if "nearest_road" in frame else None
        metres = frame["nearest_road_m"].iloc[k] if "nearest_road_m" in frame else np.nan
        if isinstance(road, str) and road:
            dist = _i18n.text("metres", language, n=_i18n.number(metres, language))
            out.append(_i18n.text("near_road", language, road=road, metres=dist))
        else:
            out.append("")
    return out


def _lonlat(lon: float, lat: float) -> str:
    return f"{lon:.6f}, {lat:.6f}"


def _sites_table(res: PlanResult, w: _Words, datum: str) -> str:
    from planner.crs import from_wgs84

    sites = res.sites
    unit = _short_unit(res, w)
    homes = res.programme == "driver_homes"
    with_phase = "phase" in sites
    header = [w("col_rank")] + ([w("col_phase")] if with_phase else [])
    header += [w("col_name"), w("col_kind"), w("col_address")]
    header += [w("col_adds", unit=unit), w("col_adds_share"), w("col_cumulative")]
    header += [w("col_passing")] if homes else []
    header += [w("col_served", unit=unit), w("col_mean_detour" if homes else "col_mean_time")]
    header += [w("col_nearest_station"), w("col_nearest_station_m")]
    if datum != "wgs84":
        header.append(w("col_lonlat", datum=_DATUM_NAMES[datum]))
    header.append(w("col_lonlat", datum="WGS84"))
    lon = sites.geometry.x.to_numpy(float)
    lat = sites.geometry.y.to_numpy(float)
    dlon, dlat = from_wgs84(lon, lat, datum) if datum != "wgs84" and len(sites) else (lon, lat)
    addresses = _addresses(sites, w.lang)
    rows = []
    for k, (label, row) in enumerate(sites.iterrows()):
        name = row.get("name")
        cells: list[tuple[str, bool | str]] = [(w.num(row["rank"]), True)]
        if with_phase:
            cells.append((w.num(row["phase"]), True))
        cells += [
            (name if isinstance(name, str) and name else str(label), "name"),
            (w.term("kind", row.get("kind")), "tag"),
            (addresses[k], "name"),
            (w.qty(row["added"]), True),
            (w.pct(row["added_share"]), True),
            (w.pct(row["cumulative_share"]), True),
        ]
        if homes:
            cells.append((w.num(row.get("passing_volume"), 0), True))
        cells += [
            (w.qty(row.get("alloc_weight")), True),
            (w.num(row.get("alloc_mean_min"), 1), True),
        ]
        station = row.get("nearest_station")
        cells += [
            (station if isinstance(station, str) else "", "name"),
            (w.num(row.get("nearest_station_m")), True),
        ]
        if datum != "wgs84":
            cells.append((_lonlat(float(dlon[k]), float(dlat[k])), "coord"))
        cells.append((_lonlat(float(lon[k]), float(lat[k])), "coord"))
        rows.append(cells)
    return _table(header, rows, cls="sites wide")


def _allocation_table(res: PlanResult, w: _Words) -> str:
    alloc = res.allocation
    if not len(alloc) or alloc["alloc_weight"].isna().all():
        why = (
            "why_no_allocation_rest"
            if _ran(res).startswith("restinterval")
            else "why_no_allocation_none"
        )
        return f'<p class="allocation-missing">{_esc(w("no_allocation", why=w(why)))}</p>'
    homes = res.programme == "driver_homes"
    unit = _short_unit(res, w)
    header = [
        w("col_name"),
        w("col_status"),
        w("col_rank"),
        w("col_served", unit=unit),
        w("col_served_routes") if homes else w("col_served_points"),
        w("col_mean_detour") if homes else w("col_mean_time"),
        w("col_worst_detour") if homes else w("col_worst_time"),
    ]
    rows: list[list[tuple[str, bool | str]]] = []
    for label, row in alloc.iterrows():
        name = row["name"]
        rows.append(
            [
                (name if isinstance(name, str) and name else str(label), False),
                (w(f"status_{row['status']}"), "tag"),
                ("" if pd.isna(row["rank"]) else w.num(row["rank"]), True),
                (w.qty(row["alloc_weight"]), True),
                (w.num(row["alloc_points"]), True),
                (w.num(row["alloc_mean_min"], 1), True),
                (w.num(row["alloc_max_min"], 1), True),
            ]
        )
    return _table(header, rows, cls="allocation wide", row_headers=True)


def _solver_rows(res: PlanResult, w: _Words) -> list[tuple[str, str]]:
    loc = res.locate
    assert loc is not None
    exact = "highs" in loc.solver.lower() or "mip" in loc.solver.lower()
    rows = [
        (w("solver_model"), w.term("model", _ran(res))),
        (w("solver_solver"), w("exact_solver") if exact else w("fast_solver")),
    ]
    if w.lang == "en" and loc.reason:
        rows.append((w("solver_why"), loc.reason))
    unit = _short_unit(res, w)
    objective_is_cover = loc.sense == "max"
    if objective_is_cover:
        rows.append((w("solver_objective"), f"{w.qty(loc.objective)} {unit}"))
        rows.append((w("solver_bound"), f"{w.qty(loc.bound)} {unit}"))
    rows += [
        (w("solver_status_row"), w.term("status", loc.status)),
        (w("solver_gap"), w.pct(loc.gap, 2) if math.isfinite(loc.gap) else w("n_a")),
    ]
    return rows


def _notes(res: PlanResult, w: _Words) -> str:
    out = []
    for sentence in res.notes:
        said, translated = _i18n.note(sentence, w.lang)
        tail = "" if translated else f" {w('note_untranslated')}"
        out.append(f'<div class="note">{_esc(said)}{_esc(tail)}</div>')
    return "".join(out)


def _plan_section(res: PlanResult, w: _Words, datum: str, page_heading: str) -> str:
    parts = [f'<section class="plan" data-programme="{res.programme}">']
    name, programme = plan_name(res.name, res.programme, w.lang), w(res.programme)
    # the page's one plan is named by the page heading already: not said twice
    parts.append(f"<h2>{_esc(w('plan_details') if name == page_heading else name)}</h2>")
    if name != programme:  # an unnamed plan's heading is its programme already: say it once
        parts.append(f'<p class="programme">{_esc(programme)}</p>')
    parts.append(_notes(res, w))
    parts.append(f"<h3>{_esc(w('what_was_solved'))}</h3>")
    parts.append(_kv(_solved_rows(res, w), w, cls="solved"))
    parts.append(f"<h3>{_esc(w('coverage_heading'))}</h3>")
    parts.append(_coverage_table(res, w))
    parts.append('<div class="charts">')
    parts.append(bar_svg(res.coverage, language=w.lang))
    chosen = len(res.sites) if len(res.curve) else None
    parts.append(curve_svg(res.curve, chosen_p=chosen, language=w.lang))
    parts.append("</div>")
    parts.append(f"<h3>{_esc(w('sites_heading'))}</h3>")
    if len(res.sites):
        parts.append(f'<p class="hint">{_esc(w("scroll_hint"))}</p>')
        parts.append(_sites_table(res, w, datum))
    else:
        reasons = [_i18n.note(n, w.lang)[0] for n in res.notes]
        reason = ("; " if w.lang == "en" else "；").join(reasons) or w("no_sites_reason")
        parts.append(f'<p class="empty">{_esc(w("no_sites", reason=reason))}</p>')
    parts.append(f"<h3>{_esc(w('allocation_heading'))}</h3>")
    parts.append(_allocation_table(res, w))
    parts.append(f"<h3>{_esc(w('solver_heading'))}</h3>")
    if res.locate is not None:
        parts.append(_kv(_solver_rows(res, w), w, cls="solver"))
    else:
        parts.append(f'<p class="solver">{_esc(w("not_solved"))}</p>')
    parts.append(f"<h3>{_esc(w('inputs'))}</h3>")
    parts.append(_kv(_parameter_rows(res, w), w, cls="parameters"))
    parts.append("</section>")
    return "".join(parts)


def _files_section(w: _Words, datum: str, *, with_map: bool = True) -> str:
    name = _DATUM_NAMES[datum]
    both = w("coords_both", datum=name) if datum != "wgs84" else w("coords_wgs84")
    rows = [
        [("sites.xlsx, sites.csv", False), (w("file_sites_table"), False), (both, False)],
        [("sites.geojson", False), (w("file_sites_geojson"), False), (w("coords_wgs84"), False)],
        [("coverage.csv", False), (w("file_coverage"), False), (w("coords_none"), False)],
        [("map.html", False), (w("file_map"), False), (w("coords_wgs84"), False)],
        [("run.json", False), (w("file_run"), False), (w("coords_none"), False)],
    ]
    if not with_map:  # the run was asked not to write it
        del rows[3]
    parts = [f"<h2>{_esc(w('files_heading'))}</h2>"]
    parts.append(_table([w("file_col"), w("file_what"), w("file_coords")], rows, cls="files"))
    if datum in _DATUM_APPS:
        en_apps, zh_apps, en_off, zh_off = _DATUM_APPS[datum]
        zh = w.lang == "zh"
        hint = w(
            "datum_hint",
            datum=name,
            apps=zh_apps if zh else en_apps,
            offset=zh_off if zh else en_off,
        )
        parts.append(f'<p class="datum">{_esc(hint)}</p>')
    return "".join(parts)


def report_html(
    results: PlanResult | Sequence[PlanResult],
    *,
    map_file: str | None = "map.html",
    map_html: str | None = None,
    title: str | None = None,
    language: Language = "en",
    datum: str = "wgs84",
    files: bool = False,
) -> str:
    """Return the report page of one or more plans as a self-contained HTML string.

    Parameters
    ----------
    results
        The plan(s).
    map_file
        Relative path of the map page to link and show in a frame.
    map_html
        The map page itself, embedded in the report (``srcdoc``) instead of linked.
    title
        Page title (default: the first plan's name).
    language
        ``"en"`` or ``"zh"``: every heading, header, unit, status word and note.
    datum
        The datum the sites' coordinates are shown in beside WGS84 (``"gcj02"``
        for Amap, ``"bd09"`` for Baidu).
    files
        List the files of the output folder and the datum each uses.

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> from planner.datasets import demo_network
    >>> from planner.plan import Plan
    >>> from planner import datasets
    >>> net = demo_network(modes=["ebike"])
    >>> res = Plan(net, stations=datasets.demo_stations(), demand=datasets.demo_stops().head(50),
    ...            candidates=datasets.demo_stations().iloc[:0], weight=None,
    ...            service_areas=False).site(p=1)
    >>> page = report_html(res, language="zh")
    >>> '<html lang="zh-CN">' in page, '<meta name="viewport"' in page
    (True, True)
    """
    from planner.crs import normalize_datum

    w = _Words(language)
    datum = normalize_datum(datum)
    plans = _plans(results)
    heading = title or plan_name(plans[0].name, plans[0].programme, w.lang)
    parts = [
        f'<!DOCTYPE html><html lang="{_i18n.HTML_LANG[w.lang]}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(heading)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(heading)}</h1>",
    ]
    parts.append(f"<h2>{_esc(w('summary'))}</h2>")
    if len(plans) == 1:
        parts.append(_kv(_summary_rows(plans[0], w), w, cls="summary"))
    else:
        tables = [dict(_summary_rows(p, w)[1:]) for p in plans]
        labels = list(dict.fromkeys(k for t in tables for k in t))
        header = [w("figure")] + [w(p.programme) for p in plans]
        rows = [[(k, False)] + [(t.get(k, ""), False) for t in tables] for k in labels]
        parts.append(_table(header, rows, cls="summary", row_headers=True))
    page_heading = heading if len(plans) == 1 else ""
    parts.extend(_plan_section(p, w, datum, page_heading) for p in plans)
    if files:
        parts.append(_files_section(w, datum, with_map=map_file is not None))
    if map_html is not None or map_file is not None:
        parts.append(f'<h2 class="maplink">{_esc(w("map_heading"))}</h2>')
    if map_html is not None:
        parts.append(f'<iframe class="map" srcdoc="{html.escape(map_html, quote=True)}"></iframe>')
    elif map_file is not None:
        parts.append(
            f'<p class="maplink"><a href="{_esc(map_file)}">{_esc(w("open_map"))}</a></p>'
            f'<iframe class="map" src="{_esc(map_file)}"></iframe>'
        )
    sources = sorted(
        {_i18n.note(s, w.lang)[0] for p in plans for s in (p.parameters.get("attribution") or [])}
    )
    sep = "; " if w.lang == "en" else "；"
    colon = ": " if w.lang == "en" else "："
    parts.append(
        f"<footer><p>{_esc(w('data_sources'))}{colon}"
        + sep.join(_esc(s) for s in sources)
        + f"{'. ' if w.lang == 'en' else '。'}{_esc(w('made_with'))}</p></footer></body></html>"
    )
    return "".join(parts)


def summary_text(
    results: PlanResult | Sequence[PlanResult],
    *,
    language: Language = "en",
    paths: dict[str, Path] | None = None,
) -> str:
    """Return the plans' summary for a terminal: coverage before and after, the ranked sites.

    Parameters
    ----------
    results
        The plan(s).
    language
        ``"en"`` or ``"zh"``.
    paths
        Files written (``map``, ``report``, ``sites_xlsx``), listed at the end.

    Returns
    -------
    str
        Plain text.
    """
    w = _Words(language)
    lines = []
    for res in _plans(results):
        lines.append(f"== {plan_name(res.name, res.programme, w.lang)}")
        before, after = w.pct(res.share_before), w.pct(res.share_after)
        if math.isfinite(res.gap):
            lines.append(
                w(
                    "cli_covered",
                    before=before,
                    after=after,
                    unit=_short_unit(res, w),
                    n=len(res.sites),
                    status=w.term("status", res.status),
                    gap=w.pct(res.gap, 2),
                )
            )
        else:
            lines.append(w("cli_covered_short", before=before, after=after))
        for label, row in res.sites.iterrows():
            name, kind = row.get("name"), row.get("kind")
            title = (
                name
                if isinstance(name, str) and name
                else f"{w.term('kind', kind)} {label}"
                if isinstance(kind, str)
                else str(label)
            )
            lines.append(
                w(
                    "cli_site",
                    rank=int(row["rank"]),
                    name=title,
                    added=w.qty(row["added"]),
                    share=w.pct(row["cumulative_share"]),
                )
            )
        lines.extend(_phase_lines(res, w))
        lines.extend("  " + w("cli_note", text=_i18n.note(n, w.lang)[0]) for n in res.notes)
    for key, entry in (("map", "cli_map"), ("report", "cli_report"), ("sites_xlsx", "cli_sites")):
        if paths and key in paths:
            lines.append(w(entry, path=paths[key]))
    return "\n".join(lines)


def _phase_lines(res: PlanResult, w: _Words) -> list[str]:
    """Driver homes with phases: the rest rule and the gaps after each phase."""
    if res.phases is None or len(res.phases) <= 2:
        return []
    lines = []
    for _, row in res.phases.iterrows():
        state = str(row["state"])
        if state.startswith("after phase "):
            state = w("phase_after_k", k=state.removeprefix("after phase "))
        elif state in ("before", "after"):
            state = w(f"phase_{state}")
        lines.append(
            "  "
            + w(
                "cli_phase",
                state=state,
                homes=int(row["homes"]),
                share=w.pct(row["served_share"]),
                gaps=int(row["gaps"]),
                trucks=w.qty(row["trucks_in_gaps"]),
            )
        )
    return lines


def write_report(
    results: PlanResult | Sequence[PlanResult],
    path: str | Path,
    *,
    map_file: str | None = "map.html",
    embed_map: bool = False,
    title: str | None = None,
    language: Language = "en",
    datum: str = "wgs84",
) -> Path:
    """Write the report page atomically.

    Parameters
    ----------
    results
        The plan(s).
    path
        The HTML file to write.
    map_file
        Relative path of the map page to link (see :func:`report_html`).
    embed_map
        Render the map (offline) into the report itself: one file to share.
    title
        Page title.
    language
        ``"en"`` or ``"zh"`` (the report and the embedded map's labels).
    datum
        The datum of the sites' coordinates beside WGS84.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    map_html = None
    if embed_map:
        from planner.maps import plan_map, render_page

        map_html = render_page(
            plan_map(_plans(results), tiles=None, language=language, datum=datum), offline=True
        )
    page = report_html(
        results, map_file=map_file, map_html=map_html, title=title, language=language, datum=datum
    )
    return write_text(path, page)
