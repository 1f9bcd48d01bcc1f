"""Shared fixtures: paths to real data, hand-made OSM files, loaded networks."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


_IMPORTORSKIP = pytest.importorskip
_OURS = ("planner", "tests")


def _importorskip_third_party(modname: str, *args: Any, **kwargs: Any) -> Any:
    """``pytest.importorskip`` for optional third-party packages only.

    Our own modules must import: a skip would hide an ImportError of ``planner``.
    """
    if modname.split(".")[0] in _OURS:
        pytest.fail(
            f"pytest.importorskip({modname!r}) would hide an ImportError of our own code; "
            f"import it directly."
        )
    return _IMPORTORSKIP(modname, *args, **kwargs)


pytest.importorskip = _importorskip_third_party


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


TOY_LAT, TOY_LON, TOY_STEP = 22.5, 114.0, 0.001
TOY_GRID = {1: (0, 0), 2: (1, 0), 3: (2, 0), 4: (3, 0), 5: (0, 1), 6: (3, 1), 8: (1, -1)}


def toy_lonlat(col: float, row: float) -> tuple[float, float]:
    """Return the WGS84 position of a toy grid cell (columns east, rows south)."""
    return TOY_LON + col * TOY_STEP, TOY_LAT - row * TOY_STEP


def write_toy_osm(path: Path) -> Path:
    """Write the toy street network used across tests.

    ::

        8 (footway up from 2)
        |
        1 --- 2 --- 3 --- 4        residential, two-way
        |                 |
        5 ==motorway==> 6           one-way, maxspeed 60

    plus a building, a road under construction, a restaurant node and a
    detached two-node street (nodes 30, 31).
    """
    pos = dict(TOY_GRID) | {9: (2, -1), 20: (5, 0), 21: (5.5, 0), 22: (5.5, 0.5)}
    pos |= {23: (5, 0.5), 30: (10, 5), 31: (11, 5)}
    nodes: list[OsmNode] = [(nid, *toy_lonlat(*p), {}) for nid, p in pos.items()]
    nodes.append((100, *toy_lonlat(2.5, 2.5), {"amenity": "restaurant"}))
    ways: list[OsmWay] = [
        (1, [1, 2, 3, 4], {"highway": "residential", "name": "Main"}),
        (2, [1, 5], {"highway": "residential"}),
        (3, [5, 6], {"highway": "motorway", "oneway": "yes", "maxspeed": "60"}),
        (4, [6, 4], {"highway": "residential"}),
        (5, [2, 8], {"highway": "footway"}),
        (6, [20, 21, 22, 23, 20], {"building": "yes"}),
        (7, [3, 9], {"highway": "construction"}),
        (8, [30, 31], {"highway": "residential"}),
    ]
    return write_osm(path, nodes, ways)


@pytest.fixture(scope="session")
def toy_network(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The toy network (unsimplified, default modes), built once."""
    from planner.network import network_from_osm

    return network_from_osm(
        write_toy_osm(tmp_path_factory.mktemp("toy") / "toy.osm"), simplify=False
    )


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


# ---------------------------------------------------------------- browser block
ARTIFACTS = ROOT / "tests" / "artifacts"
_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright (skipped where absent, except in CI)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium for map tests: .ci/run installs Debian's chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=_CHROMIUM_ARGS)
        yield launched
        launched.close()


class PageVisit:
    """A page opened in Chromium, with the JavaScript errors it raised."""

    def __init__(self, page: Any, errors: list[str], map_name: str | None) -> None:
        self.page = page
        self.errors = errors
        self.map_name = map_name

    def js(self, code: str) -> Any:
        """Evaluate JavaScript; ``MAP`` in the code stands for the page's Leaflet map."""
        if self.map_name:
            code = code.replace("MAP", self.map_name)
        return self.page.evaluate(code)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[Path], PageVisit]]:
    """Return a function that opens an HTML file and waits for it to settle."""
    pages: list[Any] = []

    def visit(path: Path, *, wait_ms: int = 800) -> PageVisit:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(path.resolve().as_uri())
        page.wait_for_timeout(wait_ms)
        found = re.search(r"var (map_[0-9a-f]+) = L\.map", path.read_text(encoding="utf-8"))
        return PageVisit(page, errors, found.group(1) if found else None)

    yield visit
    for page in pages:
        page.close()


# ------------------------------------------------------------ end browser block


# ------------------------------------------------------------------ access block
# Hand-made networks laid out on an exact metric grid (UTM 50N around Shenzhen), so
# that lengths, snap distances and service-area shapes have known values.
UTM50N = "EPSG:32650"
X0, Y0 = 200_000.0, 2_496_000.0  # metres, UTM 50N (Futian, lon 114.07)


def utm_to_lonlat(x, y):  # type: ignore[no-untyped-def]
    """Convert UTM 50N metres to WGS84 (lon, lat) arrays."""
    from pyproj import Transformer

    return Transformer.from_crs(UTM50N, "EPSG:4326", always_xy=True).transform(x, y)


def metric_network(nodes, edges, *, modes, oneway=()):  # type: ignore[no-untyped-def]
    """Build a RoadNetwork from nodes ``{id: (x, y)}`` in metres offset from (X0, Y0).

    ``edges`` are ``(u, v)`` pairs of two-way streets (length = straight distance);
    pairs listed in ``oneway`` are one-way from ``u`` to ``v``.
    """
    import math

    import networkx as nx

    from planner.network import network_from_graph

    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in nodes.items():
        lon, lat = utm_to_lonlat(X0 + x, Y0 + y)
        graph.add_node(node, x=float(lon), y=float(lat))
    for u, v in list(edges) + list(oneway):
        (x1, y1), (x2, y2) = nodes[u], nodes[v]
        length = math.hypot(x2 - x1, y2 - y1)
        attrs = {"length": length, "highway": "residential", "osmid": 1}
        graph.add_edge(u, v, **attrs)
        if (u, v) not in oneway:
            graph.add_edge(v, u, **attrs)
    return network_from_graph(graph, modes=modes)


def grid_network(rows, cols, spacing, *, modes):  # type: ignore[no-untyped-def]
    """A rows × cols grid of two-way streets ``spacing`` metres apart; node id = r * cols + c."""
    nodes = {r * cols + c: (c * spacing, r * spacing) for r in range(rows) for c in range(cols)}
    edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    return metric_network(nodes, edges, modes=modes)


def points_gdf(xy, *, index=None, **columns):  # type: ignore[no-untyped-def]
    """A WGS84 GeoDataFrame of points given in metres offset from (X0, Y0)."""
    import geopandas as gpd
    import numpy as np

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = utm_to_lonlat(X0 + xy[:, 0], Y0 + xy[:, 1])
    return gpd.GeoDataFrame(
        columns, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326", index=index
    )


@pytest.fixture(scope="session")
def access_demo_network():  # type: ignore[no-untyped-def]
    """The embedded demo region's network with the default modes (loaded once)."""
    from planner import datasets

    return datasets.demo_network()


# -------------------------------------------------------------- end access block


# -------------------------------------------------------------------- plan block
# A line of streets solved by hand (see tests/test_plan.py) and one run of the demo.
LINE_WEIGHTS = [1, 1, 1, 3, 2, 2, 5, 5, 5, 1, 2]


@pytest.fixture(scope="session")
def line_network():  # type: ignore[no-untyped-def]
    """Nodes 0..10 every 300 m on one street; ``ebike`` at 18 km/h: a node a minute."""
    from planner.network import TravelMode

    ebike = TravelMode("ebike", speed_kmh=18.0, access_speed_kmh=3.6)
    nodes = {k: (300.0 * k, 0.0) for k in range(11)}
    return metric_network(nodes, [(k, k + 1) for k in range(10)], modes=[ebike])


def line_inputs() -> dict[str, Any]:
    """Stations, demand and candidates of the line (demand on every node)."""
    import numpy as np
    import pandas as pd

    demand = points_gdf(
        [(300.0 * k, 0.0) for k in range(11)],
        index=pd.Index([f"d{k}" for k in range(11)], name="point"),
        weight=np.array(LINE_WEIGHTS, dtype=float),
        group=["rider" if k % 2 == 0 else "courier" for k in range(11)],
    )
    stations = points_gdf(
        [(0.0, 0.0)],
        index=pd.Index(["S0"]),
        name=["Station zero"],
        kind=["worker_station"],
        hours=["24/7"],
    )
    candidates = points_gdf(
        [(1500.0, 0.0), (2400.0, 0.0), (3000.0, 0.0)],
        index=pd.Index(["c5", "c8", "c10"], name="site_id"),
        name=["Community centre", "Parking", "Toilets"],
        kind=["community_centre", "parking", "toilets"],
    )
    return {"stations": stations, "demand": demand, "candidates": candidates}


def line_plan(network: Any, **kwargs: Any) -> Any:
    """The line's plan (2.5-minute cutoff, no service areas unless asked)."""
    from planner.plan import Plan

    settings: dict[str, Any] = line_inputs() | {
        "mode": "ebike",
        "cutoff_min": 2.5,
        "service_areas": False,
        "name": "Line town",
    }
    return Plan(network, **(settings | kwargs))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``planner.plan.run_demo`` once on the embedded region (about 45 s)."""
    from planner.datasets.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo") / "maps" / "demo")


# ---------------------------------------------------------------- end plan block


# ------------------------------------------------------------ a port that accepts and says nothing
class SilentServer:
    """A TCP port that accepts connections and never answers (not a Dask scheduler)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A :class:`SilentServer`, closed after the test."""
    server = SilentServer()
    yield server
    server.close()
