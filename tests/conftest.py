"""Shared fixtures: paths to real data, hand-made OSM files, loaded networks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """Return a file under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"real data not found: {path} (the folder ../shared/data beside the project)")
    return path


# ---------------------------------------------------------------- network block
OsmNode = tuple[int, float, float, dict[str, str]]
OsmWay = tuple[int, Sequence[int], dict[str, str]]


def write_osm(path: Path, nodes: Sequence[OsmNode], ways: Sequence[OsmWay]) -> Path:
    """Write a small OSM XML file: nodes ``(id, lon, lat, tags)``, ways ``(id, refs, tags)``."""
    from xml.sax.saxutils import quoteattr

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for nid, lon, lat, tags in nodes:
        attrs = f'id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
        if tags:
            lines.append(f"  <node {attrs}>")
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("  </node>")
        else:
            lines.append(f"  <node {attrs}/>")
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def osm_writer() -> Callable[[Path, Sequence[OsmNode], Sequence[OsmWay]], Path]:
    """Return the function that writes small OSM XML files."""
    return write_osm


@pytest.fixture(scope="session")
def shenzhen_network():  # type: ignore[no-untyped-def]
    """The Shenzhen Futian-Nanshan network with the default modes (loaded once)."""
    from planner.network import network_from_osm

    return network_from_osm(shared_file("shenzhen/futian_nanshan_drive.osm.bz2"))


# ------------------------------------------------------------ end network block
