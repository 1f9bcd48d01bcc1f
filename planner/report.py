"""A self-contained HTML report of one or more siting plans, with inline SVG charts.

The page holds, per plan: the inputs and parameters, coverage before and after
(overall and per group, as a table and a bar chart), the coverage curve
(covered share against the number of new sites, the chosen ``p`` marked), the
ranked site table, the solver's status and gap, and any notes; then the map,
linked and shown in a frame (or embedded whole). Charts are hand-written SVG:
no plotting library, byte-identical output for the same plan, and text that a
test (or a screen reader) can read.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner._atomic import write_text
from planner._errors import InputError

if TYPE_CHECKING:
    from planner.plan.result import PlanResult

__all__ = ["bar_svg", "curve_svg", "report_html", "write_report"]

_CSS = """
body{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;
max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;
margin-top:32px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:right}th{background:#f4f6f6}td:first-child,th:first-child{text-align:left}
.note{background:#fff8e1;border-left:4px solid #f0ad4e;padding:6px 10px;margin:6px 0}
.charts{display:flex;flex-wrap:wrap;gap:24px}
iframe{width:100%;height:640px;border:1px solid #ccc}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _pct(value: float) -> str:
    return f"{value:.1%}" if isinstance(value, float | int) and math.isfinite(value) else "n/a"


def curve_svg(
    curve: pd.DataFrame,
    *,
    chosen_p: int | None = None,
    width: int = 480,
    height: int = 280,
    title: str = "Covered share by number of new sites",
) -> str:
    """Draw the coverage curve (``p`` against ``share``) as an SVG string.

    Parameters
    ----------
    curve
        Columns ``p`` and ``share`` (as :attr:`planner.plan.PlanResult.curve`).
    chosen_p
        The plan's number of sites, marked with a red dot and a label.
    width, height
        Size in pixels.
    title
        Chart title.

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
            'font-size="12" fill="#777">no curve: nothing could be sited</text></svg>'
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

    # axes and grid
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
        x = sx(p)
        parts.append(
            f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle" font-size="11">{p}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#333"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#333"/>'
        f'<text x="{left + pw / 2:.0f}" y="{height - 6}" text-anchor="middle" font-size="12">'
        "new sites (p)</text>"
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
            f"<title>p = {int(p)}: {s:.1%}</title></circle>"
        )
        if mark:
            parts.append(
                f'<text x="{sx(p) + 8:.1f}" y="{sy(s) + 16:.1f}" font-size="12" fill="#c0392b">'
                f"chosen p = {int(p)}: {s:.1%}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_svg(
    coverage: pd.DataFrame,
    *,
    width: int = 480,
    title: str = "Covered share before and after",
) -> str:
    """Draw covered shares before and after per group as paired horizontal bars (SVG).

    Parameters
    ----------
    coverage
        Columns ``group_by``, ``group``, ``share_before``, ``share_after`` (as
        :attr:`planner.plan.PlanResult.coverage`).
    width
        Width in pixels (the height follows the number of groups).
    title
        Chart title.

    Returns
    -------
    str
        An ``<svg>`` element; bars are ``<rect>`` with ``data-group``,
        ``data-state`` (``before``/``after``) and ``data-share``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"group_by": ["all"], "group": ["all"],
    ...                       "share_before": [0.5], "share_after": [0.75]})
    >>> bar_svg(table).count("data-state=")
    2
    """
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
        label = "all demand" if row["group_by"] == "all" else f"{row['group_by']}: {row['group']}"
        parts.append(
            f'<text x="{left - 6}" y="{y + 18}" text-anchor="end" font-size="12">'
            f"{_esc(label)}</text>"
        )
        for j, (state, colour) in enumerate((("before", "#9ab7d3"), ("after", "#e67e22"))):
            share = float(row[f"share_{state}"])
            parts.append(
                f'<rect x="{left}" y="{y + 4 + j * 13}" width="{pw * share:.1f}" height="12" '
                f'fill="{colour}" data-group="{_esc(label)}" data-state="{state}" '
                f'data-share="{share:.6f}"><title>{_esc(label)} {state}: {share:.1%}</title></rect>'
                f'<text x="{left + pw * share + 4:.1f}" y="{y + 14 + j * 13}" font-size="10">'
                f"{share:.0%}</text>"
            )
    legend_y = height - 12
    parts.append(
        f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="#9ab7d3"/>'
        f'<text x="{left + 14}" y="{legend_y}" font-size="11">before</text>'
        f'<rect x="{left + 70}" y="{legend_y - 9}" width="10" height="10" fill="#e67e22"/>'
        f'<text x="{left + 84}" y="{legend_y}" font-size="11">after</text></svg>'
    )
    return "".join(parts)


def _table(frame: pd.DataFrame, *, cls: str) -> str:
    return frame.to_html(
        classes=cls,
        border=0,
        na_rep="",
        float_format=lambda v: f"{v:,.3f}",
        escape=True,
    )


def _plans(results: Any) -> list[PlanResult]:
    plans: list[PlanResult] = list(results) if isinstance(results, list | tuple) else [results]
    if not plans:
        raise InputError("the report needs at least one plan result.", field="results")
    return plans


def _plan_section(res: PlanResult) -> str:
    parts = [f'<section class="plan" data-programme="{res.programme}">']
    parts.append(f"<h2>{_esc(res.name)}</h2>")
    parts.extend(f'<div class="note">{_esc(n)}</div>' for n in res.notes)
    parts.append("<h3>Inputs and parameters</h3>")
    params = {k: v for k, v in res.parameters.items() if k != "attribution" and v is not None}
    params["existing stations"] = len(res.stations)
    if res.programme == "worker_stations":
        params["demand points"] = len(res.demand)
    else:
        params["routes"] = len(res.demand)
    params["data sources"] = "; ".join(res.parameters.get("attribution") or [])
    for key, digest in res.inputs.items():
        params[f"input hash: {key}"] = digest
    parts.append(
        _table(
            pd.DataFrame({"value": pd.Series({k: str(v) for k, v in params.items()})}),
            cls="parameters",
        )
    )
    parts.append("<h3>Coverage before and after</h3>")
    cov = res.coverage.copy()
    for col in ("share_before", "share_after", "gain"):
        cov[col] = cov[col].map(_pct)
    for col in ("weight", "weight_before", "weight_after"):
        cov[col] = cov[col].map(lambda v: f"{v:,.1f}")
    parts.append(cov.to_html(index=False, classes="coverage", border=0))
    parts.append('<div class="charts">')
    parts.append(bar_svg(res.coverage))
    chosen = len(res.sites) if len(res.curve) else None
    parts.append(curve_svg(res.curve, chosen_p=chosen))
    parts.append("</div>")
    parts.append("<h3>Recommended sites (rank order)</h3>")
    if len(res.sites):
        keep = [
            c
            for c in (
                "rank",
                "phase",
                "name",
                "kind",
                "added",
                "added_share",
                "cumulative_share",
                "passing_volume",
                "nearest_station",
                "nearest_station_m",
            )
            if c in res.sites.columns
        ]
        table = pd.DataFrame(res.sites[keep])
        table.insert(0, "site", [str(i) for i in table.index])
        table["lon"] = res.sites.geometry.x.round(6)
        table["lat"] = res.sites.geometry.y.round(6)
        for col in ("added_share", "cumulative_share"):
            table[col] = table[col].map(_pct)
        if "nearest_station_m" in table:
            table["nearest_station_m"] = table["nearest_station_m"].round(0)
        table["added"] = table["added"].round(2)
        parts.append(table.to_html(index=False, classes="sites", border=0, na_rep=""))
    else:
        reason = "; ".join(res.notes) or "no site adds coverage"
        parts.append(f'<p class="empty">No new sites recommended: {_esc(reason)}</p>')
    parts.append("<h3>Solver</h3>")
    if res.locate is not None:
        loc = res.locate
        solver = {
            "model": loc.model,
            "solver": loc.solver,
            "why": loc.reason,
            "status": loc.status,
            "objective": f"{loc.objective:,.3f}",
            "bound": f"{loc.bound:,.3f}",
            "gap": _pct(loc.gap),
        }
        parts.append(_table(pd.DataFrame({"value": pd.Series(solver)}), cls="solver"))
    else:
        parts.append('<p class="solver">not solved (nothing to site)</p>')
    parts.append("</section>")
    return "".join(parts)


def report_html(
    results: PlanResult | Sequence[PlanResult],
    *,
    map_file: str | None = "map.html",
    map_html: str | None = None,
    title: str | None = None,
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

    Returns
    -------
    str
        The HTML page.
    """
    plans = _plans(results)
    heading = title or plans[0].name
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_esc(heading)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(heading)}</h1>",
    ]
    summary = pd.concat([p.summary().rename(columns={"value": p.programme}) for p in plans], axis=1)
    # figures that do not apply to a programme (e.g. a cutoff for truck routes) stay blank
    summary = summary.map(
        lambda v: ("" if math.isnan(v) else f"{v:g}") if isinstance(v, float) else v
    ).fillna("")
    summary.index.name = None
    parts.append("<h2>Summary</h2>" + summary.to_html(classes="summary", border=0))
    parts.extend(_plan_section(p) for p in plans)
    parts.append("<h2>Map</h2>")
    if map_html is not None:
        parts.append(f'<iframe class="map" srcdoc="{html.escape(map_html, quote=True)}"></iframe>')
    elif map_file is not None:
        parts.append(
            f'<p><a href="{_esc(map_file)}">Open the map in its own page</a></p>'
            f'<iframe class="map" src="{_esc(map_file)}"></iframe>'
        )
    sources = sorted({s for p in plans for s in (p.parameters.get("attribution") or [])})
    parts.append(
        "<footer><p>Data: "
        + "; ".join(_esc(s) for s in sources)
        + ". Made with planner.</p></footer></body></html>"
    )
    return "".join(parts)


def write_report(
    results: PlanResult | Sequence[PlanResult],
    path: str | Path,
    *,
    map_file: str | None = "map.html",
    embed_map: bool = False,
    title: str | None = None,
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

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    map_html = None
    if embed_map:
        from planner.maps import plan_map, render_page

        map_html = render_page(plan_map(_plans(results), tiles=None), offline=True)
    page = report_html(results, map_file=map_file, map_html=map_html, title=title)
    return write_text(path, page)
