"""Map pages: a folium map rendered to reproducible HTML, optionally offline, and saved.

:mod:`planner.maps` re-exports :func:`save_map` and :func:`render_page`.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from planner._atomic import write_text

if TYPE_CHECKING:
    import folium

__all__ = ["notebook_html", "render_page", "save_map"]

_ASSETS = {
    "jquery-3.7.1.min.js": "jquery.min.js",
    "leaflet.js": "leaflet.js",
    "leaflet.css": "leaflet.css",
    "leaflet.markercluster.js": "leaflet.markercluster.js",
    "MarkerCluster.css": "MarkerCluster.css",
    "MarkerCluster.Default.css": "MarkerCluster.Default.css",
    "leaflet_heat.min.js": "leaflet-heat.js",
    "leaflet-heat.js": "leaflet-heat.js",
}
_SCRIPT = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_STYLESHEET = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')


def _inline_assets(page: str) -> str:
    """Inline the vendored Leaflet assets; drop other remote scripts and styles.

    The dropped ones (Bootstrap, Font Awesome, awesome-markers) are not
    used by planner's layers.
    """
    static = resources.files("planner") / "_static"

    def script(match: re.Match[str]) -> str:
        name = match.group(1).rsplit("/", 1)[-1]
        if name in _ASSETS:
            code = (static / _ASSETS[name]).read_text(encoding="utf-8")
            return f"<script>{code}</script>"
        return f"<!-- offline: left out {html.escape(match.group(1))} -->"

    def style(match: re.Match[str]) -> str:
        name = match.group(1).rsplit("/", 1)[-1]
        if name in _ASSETS:
            css = (static / _ASSETS[name]).read_text(encoding="utf-8")
            return f"<style>{css}</style>"
        return f"<!-- offline: left out {html.escape(match.group(1))} -->"

    return _STYLESHEET.sub(style, _SCRIPT.sub(script, page))


def save_map(m: folium.Map, path: str | Path, *, offline: bool = False) -> Path:
    """Write a map to an HTML file atomically (whole or not at all).

    Parameters
    ----------
    m
        The map.
    path
        The HTML file to write; its folder is created.
    offline
        Embed Leaflet's JavaScript and CSS in the file so that it opens without
        internet (basemap tiles still need it: use ``tiles=None`` for none).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    return write_text(path, render_page(m, offline=offline))


_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def render_page(m: folium.Map, *, offline: bool = False) -> str:
    """Render a map to the HTML of a page, the same for the same map every time.

    folium names every element with a random id; they are renumbered in order of
    appearance, so that re-running a study reproduces its map file byte for byte.

    Parameters
    ----------
    m
        The map.
    offline
        Embed Leaflet's JavaScript and CSS (see :func:`save_map`).

    Returns
    -------
    str
        The page.
    """
    page = m.get_root().render()
    language = getattr(m, "language", None)
    if language:
        page = page.replace("<html>", f'<html lang="{"zh-CN" if language == "zh" else "en"}">', 1)
    if offline:
        page = _inline_assets(page)
    ids: dict[str, str] = {}
    return _ELEMENT_ID.sub(lambda found: ids.setdefault(found.group(0), f"{len(ids):032x}"), page)


def notebook_html(m: folium.Map) -> str:
    """Return the map as a notebook cell's HTML: an iframe of the offline page.

    folium's own notebook view loads Leaflet from CDNs (a blank cell without
    internet); this one embeds it, like the saved files.

    Parameters
    ----------
    m
        The map.

    Returns
    -------
    str
        An ``<iframe srcdoc=...>`` element.
    """
    figure = m.get_root()
    page = html.escape(render_page(m, offline=True))
    height = getattr(figure, "height", None)
    width = getattr(figure, "width", "100%") or "100%"
    if height is None:
        ratio = getattr(figure, "ratio", "60%") or "60%"
        return (
            f'<div style="width:{width};"><div style="position:relative;width:100%;height:0;'
            f'padding-bottom:{ratio};"><iframe srcdoc="{page}" style="position:absolute;'
            'width:100%;height:100%;left:0;top:0;border:none !important;" '
            "allowfullscreen></iframe></div></div>"
        )
    return (
        f'<iframe srcdoc="{page}" width="{width}" height="{height}" '
        'style="border:none !important;" allowfullscreen></iframe>'
    )
