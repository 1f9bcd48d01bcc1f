"""Shared fixtures: paths to real data, hand-made networks, loaded networks."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def shenzhen_network():  # type: ignore[no-untyped-def]
    """The Shenzhen Futian-Nanshan network with the default modes (loaded once)."""
    from planner.network import network_from_osm

    return network_from_osm(shared_file("shenzhen/futian_nanshan_drive.osm.bz2"))


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


# -------------------------------------------------------------- end access block
