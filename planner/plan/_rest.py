"""The rest rule measured on routes: rest places along each route, stretches, gaps.

A truck route meets the rest rule when every stretch of driving between two
consecutive rest places is at most the rest interval (4 hours in China). Its rest
places are its origin and destination (trips start and end at depots) and every
open driver home it passes, on its path or, with a detour limit, reached off it.
These functions measure that for given sets of open homes (no model, no solver):
which routes are served, their longest stretch, and the *gaps* (stretches longer
than the interval), as tables and as road edges for maps.

Positions are hours of driving from the route's origin. An off-path home reached
within the detour limit counts at the point where the route rejoins its path; the
detour's own driving (at most the limit) is not added to the stretches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray

from planner.crs import WGS84

if TYPE_CHECKING:
    from planner.routes import Flows, SiteIncidence

__all__ = ["RestPlaces", "gap_roads", "gap_stretches", "rest_places"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_TOL = 1e-9


@dataclass(frozen=True)
class RestPlaces:
    """Where each route meets each site (hours from its origin), within the detour limit.

    Attributes
    ----------
    rows, cols, pos_h
        One entry per pass: route row, site column (in ``site_index`` order), position.
    lengths_h
        Each route's driving time (hours).
    interval_h
        The rest interval (hours).
    site_index
        The site labels (columns).
    """

    rows: IntArray
    cols: IntArray
    pos_h: FloatArray
    lengths_h: FloatArray
    interval_h: float
    site_index: pd.Index

    def positions(self) -> sp.coo_array:
        """Return the route × site positions (COO, a pass per entry) for the rest model."""
        shape = (self.lengths_h.size, len(self.site_index))
        return sp.coo_array((self.pos_h, (self.rows, self.cols)), shape=shape)

    def _sorted(self, open_cols: BoolArray) -> tuple[IntArray, FloatArray]:
        """Rest places of every route (origin, open passes, destination), sorted."""
        keep = open_cols[self.cols]
        n = self.lengths_h.size
        r = np.r_[np.arange(n), self.rows[keep], np.arange(n)]
        x = np.r_[np.zeros(n), self.pos_h[keep], self.lengths_h]
        order = np.lexsort((x, r))
        return r[order], x[order]

    def stretches(self, open_cols: BoolArray) -> pd.DataFrame:
        """Return every stretch between consecutive rest places: ``row``, ``start_h``, ``end_h``."""
        r, x = self._sorted(open_cols)
        same = r[1:] == r[:-1]
        return pd.DataFrame({"row": r[1:][same], "start_h": x[:-1][same], "end_h": x[1:][same]})

    def max_gap(self, open_cols: BoolArray) -> FloatArray:
        """Return each route's longest stretch without a rest place (hours)."""
        r, x = self._sorted(open_cols)
        same = r[1:] == r[:-1]
        out = np.zeros(self.lengths_h.size)
        np.maximum.at(out, r[1:][same], np.diff(x)[same])
        return out

    def served(self, open_cols: BoolArray) -> BoolArray:
        """Return which routes meet the rest rule with these sites open."""
        return self.max_gap(open_cols) <= self.interval_h * (1 + _TOL) + _TOL

    def open_mask(self, labels: object) -> BoolArray:
        """Return the column mask of the sites named in ``labels``."""
        return np.asarray(self.site_index.isin(list(labels)), dtype=np.bool_)  # type: ignore[call-overload]


def rest_places(
    inc: SiteIncidence, *, interval_h: float, detour_min: float, site_index: pd.Index
) -> RestPlaces:
    """Collect the passes of ``inc`` within ``detour_min`` as rest places (columns ``site_index``).

    Parameters
    ----------
    inc
        The route × site incidence.
    interval_h
        The rest interval in hours.
    detour_min
        Largest detour (minutes) at which an off-path site still counts.
    site_index
        The columns (sites not in it are left out).

    Returns
    -------
    RestPlaces
        The passes, with each route's length.
    """
    table = inc.table
    ok = (table["detour_s"].to_numpy(float) <= detour_min * 60.0 + 1e-9) & table["site"].isin(
        site_index
    ).to_numpy(bool)
    sub = table[ok]
    rows = inc.routes.index.get_indexer(pd.Index(sub["route"]))
    cols = site_index.get_indexer(pd.Index(sub["site"]))
    lengths = inc.route_lengths("h")
    pos = np.minimum(sub["position_s"].to_numpy(float) / 3600.0, lengths[rows])
    return RestPlaces(
        rows=rows.astype(np.int64),
        cols=cols.astype(np.int64),
        pos_h=pos,
        lengths_h=lengths,
        interval_h=float(interval_h),
        site_index=site_index,
    )


def gap_stretches(
    places: RestPlaces, open_cols: BoolArray, flows: Flows, *, state: str
) -> gpd.GeoDataFrame:
    """Return the stretches longer than the interval (the gaps) as route sub-paths.

    Parameters
    ----------
    places
        The rest places.
    open_cols
        The open sites (column mask).
    flows
        The flows (for the paths' geometry and volumes).
    state
        Label of this set of homes (``"before"``, ``"after"``, ``"phase 1"``, ...).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per gap: ``state``, ``route``, ``start_h``, ``end_h``, ``hours``,
        ``volume`` (the route's trucks a day) and the driven path of the stretch.
    """
    st = places.stretches(open_cols)
    hours = (st["end_h"] - st["start_h"]).to_numpy(float)
    gap = st[hours > places.interval_h * (1 + _TOL) + _TOL]
    rows = gap["row"].to_numpy(np.int64)
    net = flows.network
    cum_h = flows.cum_time_s / 3600.0
    lines = []
    starts, ends = gap["start_h"].to_numpy(float), gap["end_h"].to_numpy(float)
    for r, a, b in zip(rows, starts, ends, strict=True):
        lo, hi = int(flows.indptr[r]), int(flows.indptr[r + 1])
        t = cum_h[lo:hi]
        i = max(int(np.searchsorted(t, a, side="right")) - 1, 0)
        j = min(int(np.searchsorted(t, b, side="left")), hi - lo - 1)
        seq = flows.nodes[lo + i : lo + j + 1]
        coords = np.column_stack([net.lon[seq], net.lat[seq]])
        lines.append(shapely.LineString(coords) if len(coords) >= 2 else shapely.Point(coords[0]))
    routes = flows.routes
    return gpd.GeoDataFrame(
        {
            "state": pd.Series([state] * len(gap), dtype=object),
            "route": pd.Series(list(routes.index[rows]), dtype=object),
            "start_h": gap["start_h"].to_numpy(float),
            "end_h": gap["end_h"].to_numpy(float),
            "hours": (gap["end_h"] - gap["start_h"]).to_numpy(float),
            "volume": routes["volume"].to_numpy(float)[rows],
        },
        geometry=lines,
        crs=WGS84,
    )


def gap_roads(gaps: gpd.GeoDataFrame, flows: Flows) -> gpd.GeoDataFrame:
    """Return the road edges driven inside gaps, with the trucks a day doing so.

    An edge of a route lies in a gap when its midpoint (in driving time) lies
    inside one of the route's stretches longer than the interval.

    Parameters
    ----------
    gaps
        The gaps of :func:`gap_stretches` (any states).
    flows
        The flows they were measured on.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (state, edge): ``state``, ``u``, ``v`` (OSM ids), ``volume``
        (trucks a day driving the edge inside a gap), WGS84 line geometry.
    """
    columns = {"state": pd.Series(dtype=object), "u": [], "v": [], "volume": []}
    if len(gaps) == 0:
        return gpd.GeoDataFrame(columns, geometry=[], crs=WGS84)
    routes = flows.routes
    n_steps = np.diff(flows.indptr)
    route_of = np.repeat(np.arange(len(routes), dtype=np.int64), n_steps)
    step = np.flatnonzero(np.r_[route_of[1:] == route_of[:-1], False])
    mid = 0.5 * (flows.cum_time_s[step] + flows.cum_time_s[step + 1]) / 3600.0
    step_route = route_of[step]
    span = float(flows.cum_time_s.max(initial=0.0)) / 3600.0 + 1.0
    frames = []
    for state, part in gaps.groupby("state", sort=False):
        rows = routes.index.get_indexer(pd.Index(part["route"]))
        start = part["start_h"].to_numpy(float)
        end = part["end_h"].to_numpy(float)
        order = np.lexsort((start, rows))
        key = rows[order] * span + start[order]
        at = np.searchsorted(key, step_route * span + mid, side="right") - 1
        ok = at >= 0
        k = order[np.maximum(at, 0)]
        inside = ok & (rows[k] == step_route) & (mid < end[k])  # start <= mid: searchsorted
        s = step[inside]
        frame = pd.DataFrame(
            {
                "u": flows.nodes[s],
                "v": flows.nodes[s + 1],
                "volume": routes["volume"].to_numpy(float)[step_route[inside]],
            }
        )
        summed = frame.groupby(["u", "v"], sort=True, as_index=False)["volume"].sum()
        summed.insert(0, "state", state)
        frames.append(summed)
    table = pd.concat(frames, ignore_index=True)
    net = flows.network
    u = table["u"].to_numpy(np.int64)
    v = table["v"].to_numpy(np.int64)
    lines = shapely.linestrings(
        np.stack(
            [np.column_stack([net.lon[u], net.lat[u]]), np.column_stack([net.lon[v], net.lat[v]])],
            axis=1,
        )
    )
    ids = net.node_ids
    return gpd.GeoDataFrame(
        {
            "state": table["state"].astype(object),
            "u": ids[u],
            "v": ids[v],
            "volume": table["volume"].to_numpy(float),
        },
        geometry=lines,
        crs=WGS84,
    )
