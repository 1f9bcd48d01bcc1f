"""Province maps of driver-home programmes: rest gaps, homes by phase, corridors by volume.

:func:`add_rest_gaps` draws a driver-home plan's *rest gaps* (the roads trucks
drive more than the rest interval after their last rest place, before and after
the new homes); :func:`planner.maps.plan_map` calls it for every driver-home
plan, beside its freight corridors coloured by trucks a day and the new homes
coloured by phase. :func:`province_map` is that map plus a table of the
programme's phases. Nothing here computes a figure: the gaps and phases come
from :class:`planner.plan.PlanResult` (``gap_roads``, ``phases``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np

from planner import _i18n
from planner._i18n import Language
from planner._map_labels import escape_html
from planner.crs import WGS84

if TYPE_CHECKING:
    import folium

__all__ = ["GAP_COLOURS", "add_phase_table", "add_rest_gaps"]

#: Colours of the rest gaps: before the new homes, and those left after them.
GAP_COLOURS: Mapping[str, str] = {"before": "#2b83ba", "after": "#d7191c"}  # not the homes' purple

_KEYS = ("before", "after", "tooltip", "phases", "phase", "homes", "served", "gaps", "existing")


def _words(language: Language, interval: float = 0.0) -> dict[str, str]:
    """Return the map's words in ``language`` (from :mod:`planner._i18n`)."""
    return {key: _i18n.text(f"pmap_{key}", language, h=interval) for key in _KEYS}


def add_rest_gaps(
    m: folium.Map, result: Any, *, language: Literal["en", "zh"] = "en"
) -> dict[str, str]:
    """Add a driver-home plan's rest gaps (before and after its new homes) to a map.

    Parameters
    ----------
    m
        The map.
    result
        A driver-home :class:`planner.plan.PlanResult` (others add nothing).
    language
        Labels' language.

    Returns
    -------
    dict of str to str
        Legend entries (label to colour) for the layers added.
    """
    roads = getattr(result, "gap_roads", None)
    if result.programme != "driver_homes" or roads is None or len(roads) == 0:
        return {}
    import folium

    interval = result.parameters.get("rest_interval_h") or 0.0
    text = _words(language, interval)
    legend: dict[str, str] = {}
    for state, dash, opacity in (("before", "6 6", 0.55), ("after", None, 0.9)):
        part = roads[roads["state"] == state]
        if len(part) == 0:
            continue
        vol = part["volume"].to_numpy(float)
        width = 2.0 + 6.0 * np.sqrt(vol / max(float(vol.max()), 1.0))
        data = gpd.GeoDataFrame(
            {"volume": np.round(vol, 1), "width": width},
            geometry=part.geometry.to_numpy(),
            crs=WGS84,
        )
        label = text[state]
        folium.GeoJson(
            data.to_json(drop_id=True),
            name=label,
            style_function=lambda f, c=GAP_COLOURS[state], d=dash, o=opacity: {
                "color": c,
                "weight": f["properties"]["width"],
                "opacity": o,
                "dashArray": d,
            },
            tooltip=folium.GeoJsonTooltip(fields=["volume"], aliases=[text["tooltip"]]),
        ).add_to(m)
        legend[label] = GAP_COLOURS[state]
    return legend


def add_phase_table(m: folium.Map, result: Any, language: Language = "en") -> folium.Map:
    """Add the driver-home programme's phases (homes, rest rule met, gaps left) as a table box.

    Used by :func:`planner.maps.province_map`; a plan without phases adds nothing.
    """
    import folium

    phases = getattr(result, "phases", None)
    if phases is None or len(phases) == 0:
        return m
    text = _words(language)
    rows = "".join(
        "<tr>"
        f"<td>{escape_html(text['existing'] if int(r['phase']) == 0 else str(int(r['phase'])))}"
        "</td>"
        f"<td style='text-align:right'>{int(r['homes'])}</td>"
        f"<td style='text-align:right'>{r['served_share']:.1%}</td>"
        f"<td style='text-align:right'>{int(r['gaps'])} ({r['trucks_in_gaps']:,.0f})</td>"
        "</tr>"
        for _, r in phases.iterrows()
    )
    box = (
        '<div class="planner-phases" style="position:fixed;bottom:30px;right:10px;'
        "z-index:1000;background:rgba(255,255,255,.93);padding:6px 8px;border-radius:4px;"
        'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);">'
        f"<b>{escape_html(text['phases'])}</b><table>"
        f"<tr><th>{escape_html(text['phase'])}</th><th>{escape_html(text['homes'])}</th>"
        f"<th>{escape_html(text['served'])}</th><th>{escape_html(text['gaps'])}</th></tr>"
        f"{rows}</table></div>"
    )
    root: Any = m.get_root()  # a branca Figure (untyped)
    root.html.add_child(folium.Element(box))
    return m
