"""Shortest paths over the generated roads by mode, and the tracks agents leave."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from planner.datasets._generate._osmxml import OsmData

_EBIKE_FACTOR = {
    "footway": 0.55,
    "path": 0.55,
    "pedestrian": 0.5,
    "living_street": 0.7,
    "service": 0.8,
    "residential": 0.9,
}
_CAR_DEFAULT = {
    "residential": 30.0,
    "service": 20.0,
    "living_street": 15.0,
    "unclassified": 40.0,
    "tertiary": 40.0,
    "secondary": 50.0,
    "primary": 60.0,
    "trunk": 80.0,
    "motorway": 100.0,
    "motorway_link": 40.0,
}
_NO_CAR = {"footway", "path", "steps", "pedestrian", "cycleway"}


def _road_ways(osm: OsmData) -> list[tuple[list[int], dict[str, str]]]:
    return [
        (ids, t)
        for ids, t in osm.ways
        if "highway" in t and t["highway"] != "services" and t.get("area") != "yes"
    ]


@dataclass
class Router:
    """Shortest paths over the generated roads for one mode (times in seconds)."""

    graph: csr_array
    rgraph: csr_array
    weight: dict[tuple[int, int], float]
    nodes: np.ndarray  # usable node ids - 1

    @classmethod
    def build(cls, osm: OsmData, mode: str) -> Router:
        xs, ys = np.array(osm.xs), np.array(osm.ys)
        best: dict[tuple[int, int], float] = {}
        for ids, t in _road_ways(osm):
            hw = t["highway"]
            if mode == "ebike":
                if hw in {"motorway", "motorway_link", "steps"} or t.get("bicycle") == "no":
                    continue
                v = 5.0 * _EBIKE_FACTOR.get(hw, 1.0)
            elif mode == "car":
                if hw in _NO_CAR:
                    continue
                v = min(
                    float(t.get("maxspeed", _CAR_DEFAULT.get(hw, 30.0))), _CAR_DEFAULT.get(hw, 30.0)
                )
                v = (
                    v * 0.6 / 3.6
                    if hw not in {"motorway", "trunk", "motorway_link"}
                    else v * 0.8 / 3.6
                )
            else:  # truck
                ok = t.get("hgv") in {"yes", "designated"} or hw.startswith(("motorway", "trunk"))
                if not ok or t.get("hgv") == "no":
                    continue
                v = min(float(t.get("maxspeed", 40.0)), 80.0) * 0.85 / 3.6
            oneway = t.get("oneway") == "yes"
            for a, b in itertools.pairwise(ids):
                u, w = a - 1, b - 1
                secs = math.hypot(xs[w] - xs[u], ys[w] - ys[u]) / v
                pairs = [(u, w)] if oneway else [(u, w), (w, u)]
                for pr in pairs:
                    if secs < best.get(pr, math.inf):
                        best[pr] = secs
        keys = sorted(best)
        n = len(xs)
        rows = np.array([k[0] for k in keys])
        cols = np.array([k[1] for k in keys])
        vals = np.array([best[k] for k in keys])
        graph = csr_array((vals, (rows, cols)), shape=(n, n))
        rgraph = csr_array((vals, (cols, rows)), shape=(n, n))
        return cls(graph=graph, rgraph=rgraph, weight=best, nodes=np.unique(rows))

    def tree(
        self, src: int, *, reverse: bool = False, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        d, p = dijkstra(
            self.rgraph if reverse else self.graph,
            directed=True,
            indices=src,
            return_predecessors=True,
            limit=limit,
        )
        return d, p

    @staticmethod
    def path(pred: np.ndarray, src: int, dst: int, *, reverse: bool = False) -> list[int]:
        """Path src -> dst from a forward tree rooted at src, or a reverse tree rooted at dst."""
        out = [dst] if not reverse else [src]
        cur = out[0]
        end = src if not reverse else dst
        while cur != end:
            cur = int(pred[cur])
            if cur < 0:
                msg = "no path"
                raise RuntimeError(msg)
            out.append(cur)
        return out[::-1] if not reverse else out


@dataclass
class Track:
    """Piecewise-linear movement of one agent (local metres, seconds since midnight UTC)."""

    t: list[float]
    x: list[float]
    y: list[float]
    node: int

    @classmethod
    def at(cls, t: float, node: int, xs: np.ndarray, ys: np.ndarray) -> Track:
        return cls([t], [float(xs[node])], [float(ys[node])], node)

    @property
    def now(self) -> float:
        return self.t[-1]

    def stay(self, secs: float) -> tuple[float, float]:
        start = self.t[-1]
        self.t.append(start + secs)
        self.x.append(self.x[-1])
        self.y.append(self.y[-1])
        return start, self.t[-1]

    def go(
        self,
        path: list[int],
        router: Router,
        scale: float,
        xs: np.ndarray,
        ys: np.ndarray,
        signals: set[int],
        rng: np.random.Generator,
    ) -> None:
        waits = rng.uniform(size=len(path))
        wait_s = rng.uniform(15, 60, size=len(path))
        for k, (u, w) in enumerate(itertools.pairwise(path)):
            self.t.append(self.t[-1] + router.weight[(u, w)] * scale)
            self.x.append(float(xs[w]))
            self.y.append(float(ys[w]))
            if (w + 1) in signals and waits[k] < 0.35 and k < len(path) - 2:
                self.stay(float(wait_s[k]))
        self.node = path[-1]


Stop = tuple[str, str, str, float, float, float, float]  # id, group, kind, start, end, x, y
