"""Driver flows: origin-destination routing, GPS map matching, passing volumes.

Truck drivers do not live at demand points: they pass through. This module turns
what is known about their trips into **flows** — paths on the road network with
a volume (trucks per day) — and counts what passes each road edge and each
candidate site:

* :func:`route_od` routes an origin-destination table (points, or zones with a
  zone table) on a travel mode's network (fastest path, optionally ``k``
  alternatives) with bulk Dijkstra from ``scipy.sparse.csgraph``;
* :func:`match_traces` cleans GPS traces (duplicates, teleports above a
  plausible speed, long gaps split into trips) and map-matches each trip to a
  network path with a hidden Markov model (Newson & Krumm 2009): candidate
  edges within a radius of each fix (an STRtree on edge segments), emission by
  the distance to the edge, transition by how far the network distance between
  consecutive candidates departs from the straight-line distance between the
  fixes (bounded multi-source Dijkstra on the network's CSR arrays), Viterbi;
* :class:`Flows` holds the paths (node sequences, length, time, volume) with
  :meth:`Flows.edge_volumes` (trucks per day on each edge) and
  :meth:`Flows.site_incidence` (which routes pass each candidate site, where
  along them, and optionally with a detour), which feed the flow-capturing and
  rest-interval models of :mod:`planner.locate.flows`;
* :func:`driver_home_candidates` reads candidate driver-home sites from an OSM
  file by tag (fuel stations for heavy goods vehicles, service and rest areas,
  logistics and industrial land, large parkings).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.sparse import csgraph

from planner._errors import InputError, Problem
from planner._progress import tqdm
from planner.crs import WGS84

if TYPE_CHECKING:
    from planner.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = [
    "DRIVER_HOME_TAGS",
    "DriverHomePlan",
    "Flows",
    "MapMatcher",
    "MatchResult",
    "SiteIncidence",
    "driver_home_candidates",
    "driver_home_plan",
    "flows_from_paths",
    "match_traces",
    "route_od",
    "with_passing_volume",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_VOLUME_NAMES = ("trucks_per_day", "volume", "trips_per_day", "trips", "flow", "count")


# =========================================================================== mode arrays


@dataclass(frozen=True)
class _ModeEdges:
    """The mode's open edges, fastest of parallel edges, as sorted (u, v) keys."""

    n: int
    keys: IntArray  # u * n + v, sorted
    time_s: FloatArray
    length_m: FloatArray
    csr_time: sp.csr_array
    csr_length: sp.csr_array


def _mode_edges(network: RoadNetwork, mode: str) -> _ModeEdges:
    travel = network.mode(mode)
    attr = travel.attr
    pos = pd.Index(network.node_ids)
    u, v, t, length = [], [], [], []
    for a, b, data in network.graph.edges(data=True):
        time = data.get(attr)
        if time is None or not np.isfinite(time):
            continue
        u.append(a)
        v.append(b)
        t.append(float(time))
        length.append(float(data.get("length", 0.0)))
    src = pos.get_indexer(pd.Index(np.asarray(u, dtype=np.int64)))
    dst = pos.get_indexer(pd.Index(np.asarray(v, dtype=np.int64)))
    times = np.asarray(t, dtype=np.float64)
    lengths = np.asarray(length, dtype=np.float64)
    if not travel.oneway:
        src, dst = np.r_[src, dst], np.r_[dst, src]
        times, lengths = np.r_[times, times], np.r_[lengths, lengths]
    n = len(network.node_ids)
    order = np.lexsort((lengths, times, dst, src))
    src, dst, times, lengths = src[order], dst[order], times[order], lengths[order]
    first = np.ones(src.size, dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    src, dst, times, lengths = src[first], dst[first], times[first], lengths[first]
    keys = src.astype(np.int64) * n + dst
    # scipy drops explicit zeros in some paths: keep zero-time edges with a tiny weight
    csr_t = sp.csr_array((np.maximum(times, 1e-9), (src, dst)), shape=(n, n))
    csr_l = sp.csr_array((np.maximum(lengths, 1e-6), (src, dst)), shape=(n, n))
    return _ModeEdges(n, keys, times, lengths, csr_t, csr_l)


# =========================================================================== flows


@dataclass(frozen=True)
class SiteIncidence:
    """Which routes pass (or nearly pass) which sites, and where along them.

    Build with :meth:`Flows.site_incidence`. One row of :attr:`table` per
    (route, site, pass): a route that passes a site twice has two rows.

    Attributes
    ----------
    table
        Columns ``route`` (route label), ``site`` (site label), ``position_s``
        and ``position_m`` (driving time and distance from the route's origin
        to where it meets the site), ``detour_s`` (extra driving to call at the
        site: 0 when the site is on the path).
    routes
        The flows' route table (labels, ``volume``, ``time_s``, ``length_m``).
    sites
        One row per site on the sites' index: ``u``, ``v`` (OSM ids of the
        road edge it stands beside), ``snap_m``, ``far`` (beyond the snap limit: passes nothing),
        ``passing_volume`` (volume of routes through the site) and
        ``reachable_volume`` (within the detour limit).
    detour_s
        The detour limit used (0: on-path only).
    """

    table: pd.DataFrame
    routes: pd.DataFrame
    sites: pd.DataFrame
    detour_s: float

    def matrix(self, kind: Literal["detour_min", "position_h", "position_km"]) -> sp.csr_array:
        """Return a route × site sparse matrix for the models of :mod:`planner.locate.flows`.

        Parameters
        ----------
        kind
            ``"detour_min"``: detour in minutes, one entry per (route, site),
            the smallest over passes (stored zeros mean "on the path"), for
            :class:`~planner.locate.flows.FlowCapture`. ``"position_h"`` /
            ``"position_km"``: where along the route each on-path pass lies, in
            hours or kilometres of driving, for
            :class:`~planner.locate.flows.RestIntervalCoverage`; a route passing
            a site twice has two entries (COO format, duplicates kept).

        Returns
        -------
        scipy.sparse.csr_array or scipy.sparse.coo_array
            Rows in :attr:`routes` order, columns in :attr:`sites` order.
        """
        rows = self.routes.index.get_indexer(pd.Index(self.table["route"]))
        cols = self.sites.index.get_indexer(pd.Index(self.table["site"]))
        shape = (len(self.routes), len(self.sites))
        if kind == "detour_min":
            frame = pd.DataFrame({"r": rows, "c": cols, "d": self.table["detour_s"] / 60.0})
            best = frame.groupby(["r", "c"], sort=True)["d"].min()
            r = best.index.get_level_values(0).to_numpy()
            c = best.index.get_level_values(1).to_numpy()
            out = sp.csr_array((np.zeros(r.size), (r, c)), shape=shape)
            # set the values after building so stored zeros survive
            out = sp.csr_array(out)
            order = np.lexsort((c, r))
            out.data = best.to_numpy(dtype=np.float64)[order]
            return out
        if kind not in ("position_h", "position_km"):
            raise InputError(
                f"kind must be 'detour_min', 'position_h' or 'position_km'; got {kind!r}.",
                field="kind",
            )
        on = (self.table["detour_s"] == 0).to_numpy()
        values = (
            self.table["position_s"].to_numpy() / 3600.0
            if kind == "position_h"
            else self.table["position_m"].to_numpy() / 1000.0
        )
        coo: sp.csr_array = sp.coo_array((values[on], (rows[on], cols[on])), shape=shape)
        return coo

    def route_lengths(self, unit: Literal["h", "km"] = "h") -> FloatArray:
        """Return every route's total driving time (hours) or distance (km), in row order.

        Parameters
        ----------
        unit
            ``"h"`` or ``"km"``.

        Returns
        -------
        numpy.ndarray
            One value per route.
        """
        if unit == "h":
            return self.routes["time_s"].to_numpy(dtype=np.float64) / 3600.0
        return self.routes["length_m"].to_numpy(dtype=np.float64) / 1000.0


@dataclass(frozen=True)
class Flows:
    """Paths on a road network with their volumes (trucks per day).

    Build with :func:`route_od`, :func:`match_traces` or :func:`flows_from_paths`.

    Attributes
    ----------
    routes
        One row per path, keyed by route label (the OD table's index, or a
        ``(od, alternative)`` MultiIndex when alternatives are asked for, or the
        trip id for traces): ``origin_node`` and ``destination_node`` (OSM ids),
        ``volume``, ``time_s`` (driving time on the network), ``length_m``,
        ``n_edges`` and whatever the builder adds (``alternative``, ``access_m``).
    excluded
        Input rows that produced no path, with a ``reason``.
    mode
        The travel mode the paths were built on.
    indptr, nodes, cum_time_s, cum_length_m
        The paths as concatenated arrays: route ``r`` visits node positions
        ``nodes[indptr[r]:indptr[r+1]]`` (positions in the network's CSR
        arrays), reaching each after ``cum_time_s`` seconds and ``cum_length_m``
        metres of driving.
    network
        The road network.
    """

    routes: pd.DataFrame
    excluded: pd.DataFrame
    mode: str
    indptr: IntArray
    nodes: IntArray
    cum_time_s: FloatArray
    cum_length_m: FloatArray
    network: RoadNetwork = field(repr=False)

    def __len__(self) -> int:
        return len(self.routes)

    def __repr__(self) -> str:
        return (
            f"Flows({len(self.routes):,} routes, volume {self.routes['volume'].sum():,.6g}, "
            f"mode={self.mode!r}, excluded={len(self.excluded)})"
        )

    # ------------------------------------------------------------------ paths
    def path(self, route: Hashable) -> list[int]:
        """Return one route's node sequence as OSM ids.

        Parameters
        ----------
        route
            The route's label.

        Returns
        -------
        list of int
            OSM node ids from origin to destination.
        """
        r = self.routes.index.get_loc(route)
        if not isinstance(r, int):
            raise InputError(f"route label {route!r} is not unique.", field="route")
        seq = self.nodes[self.indptr[r] : self.indptr[r + 1]]
        return [int(x) for x in self.network.node_ids[seq]]

    def _route_of_entry(self) -> IntArray:
        return np.repeat(np.arange(len(self.routes), dtype=np.int64), np.diff(self.indptr))

    def _edge_entries(self) -> tuple[IntArray, IntArray, IntArray]:
        """(route, u, v) positions of every traversed edge."""
        route = self._route_of_entry()
        last = np.zeros(self.nodes.size, dtype=bool)
        last[self.indptr[1:] - 1] = True
        last &= np.diff(self.indptr)[route] > 0
        keep = ~last
        idx = np.flatnonzero(keep)
        return route[idx], self.nodes[idx], self.nodes[idx + 1]

    def edge_volumes(self) -> pd.DataFrame:
        """Return the volume (trucks per day) on every edge that any route uses.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``(u, v)`` OSM node ids: ``volume`` (sum of the volumes
            of routes using the edge, counted once per traversal), ``routes``
            (number of routes), ``length_m`` and ``time_s``; sorted by volume.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network()
        >>> flows = route_od(datasets.demo_truck_trips(), net)
        >>> int(flows.edge_volumes()["volume"].max()) > 0
        True
        """
        route, u, v = self._edge_entries()
        vol = self.routes["volume"].to_numpy(dtype=np.float64)[route]
        frame = pd.DataFrame({"u": u, "v": v, "volume": vol, "route": route})
        grouped = frame.groupby(["u", "v"], sort=True).agg(
            volume=("volume", "sum"), routes=("route", "nunique")
        )
        edges = _mode_edges(self.network, self.mode)
        uu = grouped.index.get_level_values(0).to_numpy()
        vv = grouped.index.get_level_values(1).to_numpy()
        at = np.searchsorted(edges.keys, uu * edges.n + vv)
        ids = self.network.node_ids
        out = pd.DataFrame(
            {
                "volume": grouped["volume"].to_numpy(),
                "routes": grouped["routes"].to_numpy(),
                "length_m": edges.length_m[at],
                "time_s": edges.time_s[at],
            },
            index=pd.MultiIndex.from_arrays([ids[uu], ids[vv]], names=["u", "v"]),
        )
        return out.sort_values("volume", ascending=False, kind="stable")

    def node_volumes(self) -> pd.Series:
        """Return the volume passing every node (each route counted once per node).

        Returns
        -------
        pandas.Series
            Trucks per day by OSM node id, nodes no route passes left out.
        """
        route = self._route_of_entry()
        frame = pd.DataFrame({"node": self.nodes, "route": route})
        frame = frame.drop_duplicates()
        vol = self.routes["volume"].to_numpy(dtype=np.float64)[frame["route"].to_numpy()]
        sums = np.bincount(
            frame["node"].to_numpy(), weights=vol, minlength=self.network.csr(self.mode).n
        )
        hit = np.flatnonzero(sums > 0)
        return pd.Series(
            sums[hit], index=pd.Index(self.network.node_ids[hit], name="node"), name="volume"
        )

    def paths_gdf(self) -> gpd.GeoDataFrame:
        """Return the routes as WGS84 LineStrings (node to node) with their table.

        Returns
        -------
        geopandas.GeoDataFrame
            :attr:`routes` with a geometry column.
        """
        lon, lat = self.network.lon[self.nodes], self.network.lat[self.nodes]
        coords = np.column_stack([lon, lat])
        counts = np.diff(self.indptr)
        lines = []
        for r in range(len(self.routes)):
            seg = coords[self.indptr[r] : self.indptr[r + 1]]
            lines.append(shapely.LineString(seg) if counts[r] >= 2 else shapely.Point(seg[0]))
        return gpd.GeoDataFrame(self.routes.copy(), geometry=lines, crs=WGS84)

    # ------------------------------------------------------------- incidence
    def site_incidence(
        self,
        sites: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        max_snap_m: float = 300.0,
        detour_min: float = 0.0,
        progress: bool = False,
    ) -> SiteIncidence:
        """Find the routes that pass each site, where along them, and at what detour.

        A site is placed on the nearest road edge open to the flows' mode, at
        the point nearest to it, and on every edge as near to within 1 m: the
        twin in the other direction of a two-way road, or all the edges meeting
        at a node when that node is the nearest point. A route *passes* the
        site when it drives such an edge (detour 0; the position is the driving
        time and distance from the origin to that point). With
        ``detour_min > 0`` a route that leaves its path at node ``a``, drives to
        the site and rejoins at node ``b`` at or after ``a`` also reaches it,
        with detour ``t(a→site) + t(site→b) - t(a→b along the path)``; legs
        longer than ``detour_min`` each are not searched, so detours are never
        overstated, only sites far off the path missed.

        Parameters
        ----------
        sites
            Candidate and existing sites (points, any CRS), on their own index.
        max_snap_m
            Sites farther than this from the mode's network pass nothing (flag
            ``far``).
        detour_min
            Largest detour in minutes (0: only sites on the path).
        progress
            Show a progress bar for the detour searches.

        Returns
        -------
        SiteIncidence
            The (route, site) table, the routes, and per-site passing volumes.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network()
        >>> flows = route_od(datasets.demo_truck_trips(), net)
        >>> cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
        >>> inc = flows.site_incidence(cands)
        >>> bool(inc.sites["passing_volume"].max() > 0)
        True
        """
        if not (np.isfinite(detour_min) and detour_min >= 0):
            raise InputError(
                f"detour_min must be a number of minutes >= 0, got {detour_min!r}.",
                field="detour_min",
            )
        if not (np.isfinite(max_snap_m) and max_snap_m > 0):
            raise InputError(
                f"max_snap_m must be a positive number of metres, got {max_snap_m!r}.",
                field="max_snap_m",
            )
        if not sites.index.is_unique:
            dup = sites.index[sites.index.duplicated()][:5].tolist()
            raise InputError(
                f"site labels must be unique; repeated: {dup}.",
                field="sites",
                fix="give every site its own index label (e.g. sites.reset_index()).",
            )
        index, lon, lat = _site_lonlat(sites)
        edges = _mode_edges(self.network, self.mode)
        segs = _segments(self.network, self.mode, edges)
        to_metric = Transformer.from_crs(WGS84, self.network.crs, always_xy=True)
        px, py = (np.asarray(v, dtype=np.float64) for v in to_metric.transform(lon, lat))
        sp_, se, sd, so = _candidates(segs, px, py, float(max_snap_m), 4)
        nearest = np.full(len(index), np.inf)
        np.minimum.at(nearest, sp_, sd)
        twin = sd <= nearest[sp_] + 1.0  # the nearest edge and its reverse twin
        sp_, se, so = sp_[twin], se[twin], so[twin]
        frac = np.clip(so / np.maximum(segs.edge_len[se], 1e-9), 0.0, 1.0)
        site_key = segs.edge_u[se] * edges.n + segs.edge_v[se]
        near = np.isfinite(nearest)
        # on-path passes: route steps (i -> i+1) on a site's edge
        route_of = self._route_of_entry()
        step = np.flatnonzero(np.r_[route_of[1:] == route_of[:-1], False])
        step_key = self.nodes[step] * edges.n + self.nodes[step + 1]
        order = np.argsort(site_key, kind="stable")
        keys_sorted = site_key[order]
        lo = np.searchsorted(keys_sorted, step_key, side="left")
        hi = np.searchsorted(keys_sorted, step_key, side="right")
        cnt = hi - lo
        ent = np.repeat(step, cnt)
        which = order[np.repeat(lo, cnt) + _ranges(cnt)]
        f = frac[which]
        pos_s = self.cum_time_s[ent] + f * (self.cum_time_s[ent + 1] - self.cum_time_s[ent])
        pos_m = self.cum_length_m[ent] + f * (self.cum_length_m[ent + 1] - self.cum_length_m[ent])
        parts = [
            pd.DataFrame(
                {
                    "r": route_of[ent],
                    "s": sp_[which],
                    "position_s": pos_s,
                    "position_m": pos_m,
                    "detour_s": np.zeros(ent.size),
                }
            )
        ]
        limit = float(detour_min) * 60.0
        if limit > 0 and sp_.size:
            parts.append(self._detours(sp_, se, frac, segs, edges, limit, progress=progress))
        table = pd.concat(parts, ignore_index=True)
        # one pass per (route, site, step): a two-way site edge is one pass
        table = table.drop_duplicates(["r", "s", "position_s"])
        if limit > 0:
            on = table[table["detour_s"] == 0]
            off = table[table["detour_s"] > 0]
            off = off.sort_values("detour_s", kind="stable").drop_duplicates(["r", "s"])
            off = off.merge(on[["r", "s"]].drop_duplicates(), how="left", indicator=True)
            off = off[off["_merge"] == "left_only"].drop(columns="_merge")
            table = pd.concat([on, off], ignore_index=True)
        table = table.sort_values(["r", "position_s", "s"], kind="stable").reset_index(drop=True)
        vol = self.routes["volume"].to_numpy(dtype=np.float64)
        pairs = table[["r", "s", "detour_s"]]
        on_pairs = pairs[pairs["detour_s"] == 0].drop_duplicates(["r", "s"])
        all_pairs = pairs.drop_duplicates(["r", "s"])
        passing = np.bincount(
            on_pairs["s"].to_numpy(dtype=np.int64),
            weights=vol[on_pairs["r"].to_numpy(dtype=np.int64)],
            minlength=len(index),
        )
        reach = np.bincount(
            all_pairs["s"].to_numpy(dtype=np.int64),
            weights=vol[all_pairs["r"].to_numpy(dtype=np.int64)],
            minlength=len(index),
        )
        first_edge = np.full(len(index), -1, dtype=np.int64)
        first_edge[sp_[::-1]] = se[::-1]
        ids = self.network.node_ids
        fe = np.maximum(first_edge, 0)
        site_table = pd.DataFrame(
            {
                "u": pd.array(np.where(near, ids[segs.edge_u[fe]], 0), dtype="Int64"),
                "v": pd.array(np.where(near, ids[segs.edge_v[fe]], 0), dtype="Int64"),
                "snap_m": nearest,
                "far": ~near,
                "passing_volume": passing,
                "reachable_volume": reach,
            },
            index=index,
        )
        site_table.loc[~near, ["u", "v"]] = pd.NA
        out = pd.DataFrame(
            {
                "route": self.routes.index.take(table["r"].to_numpy(dtype=np.int64)),
                "site": index.take(table["s"].to_numpy(dtype=np.int64)),
                "position_s": table["position_s"].to_numpy(dtype=np.float64),
                "position_m": table["position_m"].to_numpy(dtype=np.float64),
                "detour_s": table["detour_s"].to_numpy(dtype=np.float64),
            }
        )
        return SiteIncidence(out, self.routes, site_table, limit)

    def _detours(
        self,
        site_of: IntArray,
        edge_of: IntArray,
        frac: FloatArray,
        segs: _Segments,
        edges: _ModeEdges,
        limit: float,
        *,
        progress: bool,
    ) -> pd.DataFrame:
        """Off-path reaches within ``limit`` seconds of detour (see :meth:`site_incidence`).

        ``site_of``/``edge_of``/``frac`` place each site (possibly on several
        edges); legs are ``a -> u`` plus the part of the site's edge before it,
        and the rest of the edge plus ``v -> b``.
        """
        te = edges.time_s[
            np.searchsorted(edges.keys, segs.edge_u[edge_of] * edges.n + segs.edge_v[edge_of])
        ]
        u_node, v_node = segs.edge_u[edge_of], segs.edge_v[edge_of]
        in_add, out_add = frac * te, (1.0 - frac) * te
        route_of = self._route_of_entry()
        order = np.argsort(self.nodes, kind="stable")
        nodes_sorted = self.nodes[order]
        rev = sp.csr_array(edges.csr_time.T.tocsr())
        frames = []
        chunk = 256
        bar = tqdm(total=site_of.size, desc="detours", disable=not progress, unit="site")

        def legs(dist: FloatArray, inv: IntArray, add: FloatArray) -> tuple[IntArray, ...]:
            """(placement, path entry, leg time) for path entries within reach."""
            rows, node = np.nonzero(dist <= limit)
            t = dist[rows, node]
            # placements sharing a source row
            by_row = np.argsort(inv, kind="stable")
            row_start = np.searchsorted(inv[by_row], np.arange(dist.shape[0]), side="left")
            row_cnt = np.bincount(inv, minlength=dist.shape[0])
            c1 = row_cnt[rows]
            k = by_row[np.repeat(row_start[rows], c1) + _ranges(c1)]
            node, t = np.repeat(node, c1), np.repeat(t, c1) + add[k]
            ok = t <= limit
            k, node, t = k[ok], node[ok], t[ok]
            lo = np.searchsorted(nodes_sorted, node, side="left")
            c2 = np.searchsorted(nodes_sorted, node, side="right") - lo
            ent = order[np.repeat(lo, c2) + _ranges(c2)]
            return np.repeat(k, c2), ent, np.repeat(t, c2)

        for start in range(0, site_of.size, chunk):
            sl = slice(start, min(start + chunk, site_of.size))
            uu, uinv = np.unique(u_node[sl], return_inverse=True)
            vv, vinv = np.unique(v_node[sl], return_inverse=True)
            in_t = csgraph.dijkstra(rev, indices=uu, limit=limit)  # a -> u
            out_t = csgraph.dijkstra(edges.csr_time, indices=vv, limit=limit)  # v -> b
            k_in, e_in, t_in = legs(in_t, uinv.ravel(), in_add[sl])
            k_out, e_out, t_out = legs(out_t, vinv.ravel(), out_add[sl])
            bar.update(sl.stop - sl.start)
            if k_in.size == 0 or k_out.size == 0:
                continue
            # only (placement, route) pairs with both legs
            r_in, r_out = route_of[e_in], route_of[e_out]
            n_r = len(self.routes)
            key_in, key_out = k_in * n_r + r_in, k_out * n_r + r_out
            both = np.intersect1d(key_in, key_out)
            m_in, m_out = np.isin(key_in, both), np.isin(key_out, both)
            kind = np.r_[np.zeros(int(m_in.sum()), np.int8), np.ones(int(m_out.sum()), np.int8)]
            key = np.r_[key_in[m_in], key_out[m_out]]
            ent = np.r_[e_in[m_in], e_out[m_out]]
            t = np.r_[t_in[m_in], t_out[m_out]]
            # in-legs before out-legs at the same entry (a == b allowed)
            srt = np.lexsort((kind, ent, key))
            key, ent, t, kind = key[srt], ent[srt], t[srt], kind[srt]
            cum = self.cum_time_s[ent]
            val = np.where(kind == 0, t - cum, np.inf)
            grp_start = np.r_[True, key[1:] != key[:-1]]
            # running minimum of in-leg values within each (placement, route) group
            offset = np.maximum.accumulate(np.where(grp_start, np.arange(key.size), 0))
            best_in = _segmented_cummin(val, offset)
            outs = kind == 1
            det = best_in[outs] + t[outs] + cum[outs]
            ok = np.isfinite(det) & (det <= limit + 1e-9)
            if not ok.any():
                continue
            kk = key[outs][ok]
            res = pd.DataFrame(
                {
                    "r": kk % n_r,
                    "s": site_of[sl][kk // n_r],
                    "detour_s": np.maximum(det[ok], 1e-6),
                    "position_s": self.cum_time_s[ent[outs][ok]],
                    "position_m": self.cum_length_m[ent[outs][ok]],
                }
            )
            frames.append(res.sort_values("detour_s", kind="stable").drop_duplicates(["r", "s"]))
        bar.close()
        if not frames:
            return pd.DataFrame(
                {"r": [], "s": [], "position_s": [], "position_m": [], "detour_s": []}
            )
        out = pd.concat(frames, ignore_index=True)
        out = out.sort_values("detour_s", kind="stable").drop_duplicates(["r", "s"])
        return out[["r", "s", "position_s", "position_m", "detour_s"]]


def _segmented_cummin(values: FloatArray, group_start_index: IntArray) -> FloatArray:
    """Return the running minimum, restarting at each group start (groups contiguous)."""
    out = values.copy()
    # doubling: after step s every position holds the min over the last 2**s entries
    # of its own group
    shift = 1
    n = values.size
    pos = np.arange(n)
    while shift < n:
        prev = pos - shift
        ok = prev >= group_start_index
        cand = np.full(n, np.inf)
        cand[ok] = out[prev[ok]]
        out = np.minimum(out, cand)
        if not ok.any():
            break
        shift *= 2
    return out


def _ranges(cnt: IntArray) -> IntArray:
    """``[0..c0-1, 0..c1-1, ...]`` for counts ``c``."""
    total = int(cnt.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)


def _site_lonlat(
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
) -> tuple[pd.Index, FloatArray, FloatArray]:
    geoms = sites.geometry if isinstance(sites, gpd.GeoDataFrame) else sites
    if geoms.crs is None:
        raise InputError(
            "sites have no CRS.", field="sites", fix="set it, e.g. sites.set_crs('EPSG:4326')."
        )
    if len(geoms) and not (geoms.geom_type == "Point").all():
        bad = geoms.index[geoms.geom_type != "Point"][:5].tolist()
        raise InputError(
            f"sites must be points; {bad} are not.",
            field="sites",
            fix="use representative points of areas.",
        )
    wgs = geoms.to_crs(WGS84)
    return sites.index, wgs.x.to_numpy(float), wgs.y.to_numpy(float)


def flows_from_paths(
    network: RoadNetwork,
    paths: Sequence[Sequence[int]] | pd.Series,
    *,
    mode: str = "truck",
    volumes: Sequence[float] | FloatArray | pd.Series | None = None,
    index: Sequence[Hashable] | pd.Index | None = None,
) -> Flows:
    """Build :class:`Flows` from node sequences (OSM ids) with volumes.

    Parameters
    ----------
    network
        The road network.
    paths
        One sequence of OSM node ids per route; consecutive nodes must be joined
        by an edge open to ``mode``.
    mode
        The travel mode.
    volumes
        Trucks per day per route (default 1 each).
    index
        Route labels (default: the Series' index, or 0..n-1).

    Returns
    -------
    Flows
        The flows.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> f = route_od(datasets.demo_truck_trips(), net)
    >>> g = flows_from_paths(net, [f.path(f.routes.index[0])], volumes=[3.0])
    >>> float(g.routes["time_s"].iloc[0]) == float(f.routes["time_s"].iloc[0])
    True
    """
    edges = _mode_edges(network, mode)
    if isinstance(paths, pd.Series):
        labels = paths.index if index is None else pd.Index(index)
        seqs = list(paths)
    else:
        seqs = list(paths)
        labels = pd.RangeIndex(len(seqs), name="route") if index is None else pd.Index(index)
    if len(labels) != len(seqs):
        raise InputError(f"index has {len(labels)} labels for {len(seqs)} paths.", field="index")
    vols = (
        np.ones(len(seqs))
        if volumes is None
        else np.asarray(
            volumes.to_numpy() if isinstance(volumes, pd.Series) else volumes, dtype=np.float64
        )
    )
    _check_volumes(vols, len(seqs))
    position = pd.Index(network.node_ids)
    problems: list[Problem] = []
    pos_seqs: list[IntArray] = []
    for r, seq in enumerate(seqs):
        arr = position.get_indexer(pd.Index(np.asarray(list(seq), dtype=np.int64)))
        if arr.size == 0 or (arr < 0).any():
            problems.append(
                Problem(
                    f"path {labels[r]!r} is empty or names nodes not in the network.",
                    row=r + 1,
                    field="paths",
                    fix="give OSM node ids of the network's nodes.",
                )
            )
        pos_seqs.append(arr.astype(np.int64))
    if problems:
        raise InputError(problems)
    return _assemble(network, mode, edges, pos_seqs, vols, labels, extra={}, excluded=None)


def _check_volumes(vols: FloatArray, n: int) -> None:
    if vols.shape != (n,):
        raise InputError(f"volumes has {vols.size} values for {n} routes.", field="volumes")
    bad = ~np.isfinite(vols) | (vols < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum())} volumes are missing, negative or infinite "
            f"(first: {vols[first]!r} at row {first + 1}).",
            row=first + 1,
            field="volume",
            fix="give trucks per day as numbers >= 0.",
        )


def _assemble(
    network: RoadNetwork,
    mode: str,
    edges: _ModeEdges,
    pos_seqs: list[IntArray],
    vols: FloatArray,
    labels: pd.Index,
    *,
    extra: Mapping[str, Any],
    excluded: pd.DataFrame | None,
) -> Flows:
    counts = np.fromiter((s.size for s in pos_seqs), dtype=np.int64, count=len(pos_seqs))
    indptr = np.zeros(len(pos_seqs) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nodes = np.concatenate(pos_seqs) if pos_seqs else np.zeros(0, dtype=np.int64)
    step_t = np.zeros(nodes.size)
    step_l = np.zeros(nodes.size)
    if nodes.size:
        starts = np.zeros(nodes.size, dtype=bool)
        starts[indptr[:-1][counts > 0]] = True
        idx = np.flatnonzero(~starts)
        keys = nodes[idx - 1] * edges.n + nodes[idx]
        at = np.searchsorted(edges.keys, keys)
        at = np.minimum(at, max(edges.keys.size - 1, 0))
        ok = edges.keys[at] == keys if edges.keys.size else np.zeros(keys.size, dtype=bool)
        if not ok.all():
            bad = int(np.searchsorted(indptr, idx[~ok][0], side="right") - 1)
            raise InputError(
                f"path {labels[bad]!r} uses a step "
                f"{network.node_ids[nodes[idx[~ok][0] - 1]]} → "
                f"{network.node_ids[nodes[idx[~ok][0]]]} that is not an edge open to {mode!r}.",
                row=bad + 1,
                field="paths",
                fix="give node sequences that follow the mode's network.",
            )
        step_t[idx] = edges.time_s[at]
        step_l[idx] = edges.length_m[at]
    route_of = np.repeat(np.arange(len(pos_seqs)), counts)
    cum_t = np.cumsum(step_t)
    cum_l = np.cumsum(step_l)
    if nodes.size:
        base_t = cum_t[indptr[:-1][counts > 0]]
        base_l = cum_l[indptr[:-1][counts > 0]]
        full_t = np.zeros(len(pos_seqs))
        full_l = np.zeros(len(pos_seqs))
        full_t[counts > 0] = base_t
        full_l[counts > 0] = base_l
        cum_t = cum_t - full_t[route_of]
        cum_l = cum_l - full_l[route_of]
    last = indptr[1:] - 1
    has = counts > 0
    table = pd.DataFrame(index=labels)
    table["origin_node"] = np.where(
        has,
        network.node_ids[nodes[indptr[:-1].clip(max=max(nodes.size - 1, 0))]] if nodes.size else 0,
        0,
    )
    table["destination_node"] = (
        network.node_ids[nodes[last.clip(min=0)]] if nodes.size else np.zeros(0, np.int64)
    )
    table["volume"] = vols
    table["time_s"] = np.where(has, cum_t[last.clip(min=0)] if nodes.size else 0.0, 0.0)
    table["length_m"] = np.where(has, cum_l[last.clip(min=0)] if nodes.size else 0.0, 0.0)
    table["n_edges"] = np.maximum(counts - 1, 0)
    for key, values in extra.items():
        table[key] = values
    if excluded is None:
        excluded = pd.DataFrame({"reason": pd.Series([], dtype=object)})
    return Flows(
        routes=table,
        excluded=excluded,
        mode=mode,
        indptr=indptr,
        nodes=nodes,
        cum_time_s=cum_t,
        cum_length_m=cum_l,
        network=network,
    )


# =========================================================================== OD routing


def _find_volume(od: pd.DataFrame, volume: str | None) -> FloatArray:
    if volume is not None:
        if volume not in od.columns:
            raise InputError(
                f"no volume column {volume!r}; the columns are {[str(c) for c in od.columns]}.",
                field=volume,
                fix="pass volume='<column of trucks per day>'.",
            )
        name: str | None = volume
    else:
        name = next((c for c in _VOLUME_NAMES if c in od.columns), None)
    if name is None:
        return np.ones(len(od))
    vals = pd.to_numeric(od[name], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(vals) | (vals < 0)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{int(bad.sum())} rows have a missing, negative or non-numeric {name!r} "
            f"(rows {rows}).",
            row=rows[0],
            field=name,
            fix="give trucks per day as numbers >= 0.",
        )
    return vals


def _zone_points(zones: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.DataFrame:
    if zones.crs is None:
        raise InputError(
            "zones has no CRS.", field="zones", fix="set it, e.g. zones.set_crs('EPSG:4326')."
        )
    if not zones.index.is_unique:
        raise InputError(
            "zone labels (the zones' index) must be unique.",
            field="zones",
            fix="index the zones by their id.",
        )
    geoms = zones.geometry if isinstance(zones, gpd.GeoDataFrame) else zones
    if geoms.crs is not None and not geoms.crs.is_geographic:
        pts = geoms.representative_point().to_crs(WGS84)
    else:
        pts = geoms.to_crs(WGS84)
        poly = ~(pts.geom_type == "Point")
        if poly.any():
            # representative points in a metric CRS, back to degrees
            from planner.crs import local_metric_crs

            c = pts.union_all().centroid
            metric = local_metric_crs(float(c.x), float(c.y))
            rep = pts[poly].to_crs(metric).representative_point().to_crs(WGS84)
            pts = pts.copy()
            pts[poly] = rep
    return pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy()}, index=zones.index)


def _od_coordinates(
    od: pd.DataFrame,
    zones: gpd.GeoDataFrame | gpd.GeoSeries | None,
    origin: str,
    destination: str,
) -> tuple[FloatArray, FloatArray]:
    cols = {str(c) for c in od.columns}
    names = [f"{origin}_lon", f"{origin}_lat", f"{destination}_lon", f"{destination}_lat"]
    if zones is None and set(names) <= cols:
        o = od[[names[0], names[1]]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        d = od[[names[2], names[3]]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        problems = []
        for what, arr, pair in (("origin", o, names[:2]), ("destination", d, names[2:])):
            bad = (
                ~np.isfinite(arr).all(axis=1) | (np.abs(arr[:, 0]) > 180) | (np.abs(arr[:, 1]) > 90)
            )
            for pos in np.flatnonzero(bad)[:20]:
                problems.append(
                    Problem(
                        f"{what} coordinates {arr[pos].tolist()} are not lon/lat degrees.",
                        row=int(pos) + 1,
                        field=pair[0],
                        fix="give WGS84 longitude and latitude.",
                    )
                )
        if problems:
            raise InputError(problems)
        return o, d
    if zones is None:
        raise InputError(
            f"the OD table has neither coordinate columns {names} nor zone ids with a zone table.",
            field=origin,
            fix="add those columns, or pass zones= (a GeoDataFrame indexed by zone id) "
            f"and zone ids in {origin!r} and {destination!r}.",
        )
    for col in (origin, destination):
        if col not in od.columns:
            raise InputError(
                f"no {col!r} column of zone ids; the columns are {sorted(cols)}.",
                field=col,
                fix="pass origin= / destination= naming the zone id columns.",
            )
    pts = _zone_points(zones)
    problems = []
    out = []
    for col in (origin, destination):
        at = pts.index.get_indexer(pd.Index(od[col]))
        for pos in np.flatnonzero(at < 0)[:20]:
            problems.append(
                Problem(
                    f"zone {od[col].iloc[pos]!r} is not in the zone table.",
                    row=int(pos) + 1,
                    field=col,
                    fix="use zone ids from the zones' index.",
                )
            )
        out.append(pts.to_numpy()[np.maximum(at, 0)])
    if problems:
        raise InputError(problems)
    return out[0], out[1]


def route_od(
    od: pd.DataFrame,
    network: RoadNetwork,
    *,
    mode: str = "truck",
    zones: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    origin: str = "origin",
    destination: str = "destination",
    volume: str | None = None,
    k: int = 1,
    max_snap_m: float = 1000.0,
    progress: bool = False,
) -> Flows:
    """Route an origin-destination table on a travel mode's network (fastest paths).

    Origins and destinations are given as coordinates (columns
    ``<origin>_lon``, ``<origin>_lat``, ``<destination>_lon``,
    ``<destination>_lat`` in WGS84), or as zone ids in the ``origin`` and
    ``destination`` columns with ``zones`` (points or polygons indexed by zone
    id; a polygon's representative point is used). Each end snaps to the
    nearest node open to the mode; an end farther than ``max_snap_m`` (a zone
    off the network), an origin and destination on the same node, and a pair
    without a path are *excluded* and reported in :attr:`Flows.excluded`, not
    raised.

    Parameters
    ----------
    od
        The OD table, one row per pair, with trucks per day in ``volume`` (or a
        column named ``trucks_per_day``, ``volume``, ``trips_per_day``,
        ``trips``, ``flow`` or ``count``; 1 per row if none).
    network
        The road network.
    mode
        Travel mode (default ``"truck"``: roads open to heavy goods vehicles).
    zones
        Zone table when the OD table holds zone ids.
    origin, destination
        Column prefix (coordinates) or column name (zone ids) of the two ends.
    volume
        Column of trucks per day.
    k
        Number of paths per pair: the fastest and ``k - 1`` next fastest
        loopless alternatives (Yen's algorithm via networkx); the pair's volume
        is split equally among them.
    max_snap_m
        Largest distance from an end to the network.
    progress
        Show a progress bar.

    Returns
    -------
    Flows
        One route per routed pair (``k`` per pair with alternatives, keyed by
        ``(od label, alternative)``), with ``origin``, ``destination`` (input
        labels or zone ids where given), ``access_m`` (snap distances of both
        ends) and ``alternative``.

    Raises
    ------
    InputError
        Missing columns, bad coordinates or volumes, unknown zones, or no pair
        that can be routed.

    Examples
    --------
    >>> from planner import datasets
    >>> flows = route_od(datasets.demo_truck_trips(), datasets.demo_network())
    >>> len(flows), len(flows.excluded)
    (20, 0)
    """
    if not isinstance(od, pd.DataFrame):
        raise InputError("od must be a pandas DataFrame.", field="od")
    if int(k) != k or k < 1:
        raise InputError(f"k must be a whole number >= 1, got {k!r}.", field="k")
    if not od.index.is_unique:
        raise InputError(
            "the OD table's index must be unique (it labels the routes).",
            field="od",
            fix="call od.reset_index(drop=True).",
        )
    vols = _find_volume(od, volume)
    o_xy, d_xy = _od_coordinates(od, zones, origin, destination)
    edges = _mode_edges(network, mode)
    n_od = len(od)
    so = network.snap(o_xy, mode=mode, max_distance_m=max_snap_m, on_far="ignore", label="origins")
    sd = network.snap(
        d_xy, mode=mode, max_distance_m=max_snap_m, on_far="ignore", label="destinations"
    )
    onode = so.table["node_index"].to_numpy(dtype=np.int64)
    dnode = sd.table["node_index"].to_numpy(dtype=np.int64)
    reasons = np.full(n_od, "", dtype=object)
    o_far = so.table["far"].to_numpy(dtype=bool)
    d_far = sd.table["far"].to_numpy(dtype=bool)
    om = so.table["distance_m"].to_numpy()
    dm = sd.table["distance_m"].to_numpy()
    for i in np.flatnonzero(o_far | d_far):
        parts = []
        if o_far[i]:
            parts.append(f"origin {om[i]:,.0f} m off the {mode} network")
        if d_far[i]:
            parts.append(f"destination {dm[i]:,.0f} m off the {mode} network")
        reasons[i] = (
            "; ".join(parts) + f" (limit {max_snap_m:,.0f} m: check the coordinates and their "
            "datum, or raise max_snap_m)"
        )
    same = (onode == dnode) & (reasons == "")
    reasons[same] = "origin and destination snap to the same node"
    ok = reasons == ""
    paths: dict[int, list[IntArray]] = {}
    todo = np.flatnonzero(ok)
    uniq = np.unique(onode[todo])
    chunk = 64
    bar = tqdm(total=todo.size, desc="routing", disable=not progress, unit="pair")
    graph_nx = None
    for start in range(0, uniq.size, chunk):
        src = uniq[start : start + chunk]
        dist, pred = csgraph.dijkstra(edges.csr_time, indices=src, return_predecessors=True)
        row_of = {int(s): i for i, s in enumerate(src)}
        mine = todo[np.isin(onode[todo], src)]
        for i in mine:
            row = row_of[int(onode[i])]
            t = int(dnode[i])
            if not np.isfinite(dist[row, t]):
                reasons[i] = "no path on the network"
                continue
            seq = [t]
            p = pred[row]
            s0 = int(onode[i])
            while seq[-1] != s0:
                seq.append(int(p[seq[-1]]))
            first = np.asarray(seq[::-1], dtype=np.int64)
            if k == 1:
                paths[int(i)] = [first]
            else:
                if graph_nx is None:
                    graph_nx = _nx_digraph(edges)
                import networkx as nx

                found = itertools.islice(
                    nx.shortest_simple_paths(graph_nx, s0, t, weight="weight"), k
                )
                paths[int(i)] = [np.asarray(a, dtype=np.int64) for a in found]
        bar.update(mine.size)
    bar.close()
    ok = reasons == ""
    if not ok.any():
        shown = ", ".join(f"{od.index[i]!r}: {reasons[i]}" for i in range(min(n_od, 10)))
        raise InputError(
            f"none of the {n_od} OD pairs could be routed on the {mode} network ({shown}).",
            field="od",
            fix="check the coordinates (datum, swapped lon/lat), that the network covers "
            "them, or raise max_snap_m.",
        )
    seqs: list[IntArray] = []
    labels: list[Any] = []
    alt: list[int] = []
    route_vol: list[float] = []
    src_row: list[int] = []
    for i in np.flatnonzero(ok):
        alts = paths[int(i)]
        for a, path_arr in enumerate(alts):
            seqs.append(path_arr)
            label = od.index[int(i)]
            labels.append((label, a) if k > 1 else label)
            alt.append(a)
            route_vol.append(float(vols[i]) / len(alts))
            src_row.append(int(i))
    rows = np.asarray(src_row, dtype=np.int64)
    if k > 1:
        index: pd.Index = pd.MultiIndex.from_tuples(
            labels, names=[od.index.name or "od", "alternative"]
        )
    else:
        index = pd.Index(labels, name=od.index.name)
    extra: dict[str, Any] = {}
    if zones is not None:
        extra["origin"] = od[origin].to_numpy()[rows]
        extra["destination"] = od[destination].to_numpy()[rows]
    extra["alternative"] = np.asarray(alt, dtype=np.int64)
    extra["access_m"] = om[rows] + dm[rows]
    bad = ~ok
    excluded = pd.DataFrame({"reason": reasons[bad]}, index=od.index[bad])
    if bad.any():
        logger.info("route_od: %d of %d OD pairs excluded", int(bad.sum()), n_od)
    return _assemble(
        network,
        mode,
        edges,
        seqs,
        np.asarray(route_vol, dtype=np.float64),
        index,
        extra=extra,
        excluded=excluded,
    )


def _nx_digraph(edges: _ModeEdges) -> Any:
    import networkx as nx

    g = nx.DiGraph()
    u = edges.keys // edges.n
    v = edges.keys % edges.n
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), edges.time_s.tolist(), strict=True))
    return g


# =========================================================================== map matching


@dataclass(frozen=True)
class MatchResult:
    """GPS traces cleaned and matched to network paths.

    Attributes
    ----------
    points
        One row per input point, on the input's index: ``trip`` (trip id, NA
        for dropped points), ``status`` (``"matched"``, ``"duplicate"``,
        ``"teleport"``, ``"unmatched"`` (no edge within the radius),
        ``"short_trip"`` (a trip of one point)), ``u``, ``v`` (OSM ids of the
        matched edge) and ``distance_m`` (from the fix to the matched edge).
    trips
        One row per trip: ``driver``, ``start``, ``end``, ``points``,
        ``matched_points``, ``breaks`` (times the HMM had to restart because no
        network path joined two fixes) and ``excluded`` (why the trip has no path).
    flows
        The matched paths as :class:`Flows`, one route per trip (volume
        ``trip_volume``).
    """

    points: pd.DataFrame
    trips: pd.DataFrame
    flows: Flows | None


@dataclass(frozen=True)
class _Segments:
    """Edge segments in the network's metric CRS, for candidate search."""

    tree: shapely.STRtree
    x0: FloatArray
    y0: FloatArray
    dx: FloatArray
    dy: FloatArray
    seg_len: FloatArray
    seg_start: FloatArray  # offset of the segment start along its edge (metres of geometry)
    edge: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_len: FloatArray  # network length of the edge (metres)
    edge_geom_len: FloatArray
    edge_id: IntArray  # position of the edge in the mode's edges (and CSR arrays)


def _segments(network: RoadNetwork, mode: str, edges: _ModeEdges) -> _Segments:
    """Cut the mode's open edges (those kept in ``edges``) into straight segments."""
    attr = network.mode(mode).attr
    pos = pd.Index(network.node_ids)
    coords_list: list[FloatArray] = []
    eu, ev, et, el = [], [], [], []
    lon, lat = network.lon, network.lat
    key_set = edges.keys
    for a, b, data in network.graph.edges(data=True):
        time = data.get(attr)
        if time is None or not np.isfinite(time):
            continue
        eu.append(a)
        ev.append(b)
        et.append(float(time))
        el.append(float(data.get("length", 0.0)))
        geom = data.get("geometry")
        if geom is not None:
            coords_list.append(np.asarray(geom.coords, dtype=np.float64))
        else:
            coords_list.append(np.array([[math.nan, math.nan], [math.nan, math.nan]]))
    u = pos.get_indexer(pd.Index(np.asarray(eu, dtype=np.int64)))
    v = pos.get_indexer(pd.Index(np.asarray(ev, dtype=np.int64)))
    for i, c in enumerate(coords_list):
        if np.isnan(c[0, 0]):
            coords_list[i] = np.array([[lon[u[i]], lat[u[i]]], [lon[v[i]], lat[v[i]]]])
    # keep only the fastest of parallel edges (the one routing uses), as _mode_edges does
    keys = u.astype(np.int64) * edges.n + v
    order = np.lexsort((np.asarray(el), np.asarray(et), keys))
    first_of_key = np.r_[True, keys[order][1:] != keys[order][:-1]] if order.size else order
    idx = np.sort(order[first_of_key.astype(bool)])
    counts = np.array([coords_list[i].shape[0] for i in idx], dtype=np.int64)
    allc = np.concatenate([coords_list[i] for i in idx]) if idx.size else np.zeros((0, 2))
    to_metric = Transformer.from_crs(WGS84, network.crs, always_xy=True)
    x, y = to_metric.transform(allc[:, 0], allc[:, 1])
    x, y = np.asarray(x), np.asarray(y)
    edge_of_pt = np.repeat(np.arange(idx.size), counts)
    first = np.zeros(x.size, dtype=bool)
    first[np.r_[0, np.cumsum(counts)[:-1]]] = True
    s = np.flatnonzero(~first)  # segment ends
    x0, y0, x1, y1 = x[s - 1], y[s - 1], x[s], y[s]
    seg_edge = edge_of_pt[s]
    seg_len = np.hypot(x1 - x0, y1 - y0)
    cum = np.cumsum(seg_len)
    edge_first_seg = np.r_[0, np.cumsum(counts - 1)[:-1]]
    base = np.r_[0.0, cum][edge_first_seg]
    seg_start = np.r_[0.0, cum[:-1]] - base[seg_edge]
    geom_len = np.bincount(seg_edge, weights=seg_len, minlength=idx.size)
    eu_pos, ev_pos = u[idx].astype(np.int64), v[idx].astype(np.int64)
    at = np.searchsorted(key_set, eu_pos * edges.n + ev_pos)
    lines = np.asarray(
        shapely.linestrings(
            np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
        )
    )
    return _Segments(
        tree=shapely.STRtree(lines),
        x0=x0,
        y0=y0,
        dx=x1 - x0,
        dy=y1 - y0,
        seg_len=seg_len,
        seg_start=seg_start,
        edge=seg_edge.astype(np.int64),
        edge_u=eu_pos,
        edge_v=ev_pos,
        edge_len=edges.length_m[at],
        edge_geom_len=np.maximum(geom_len, 1e-9),
        edge_id=at.astype(np.int64),
    )


def _candidates(
    segs: _Segments, px: FloatArray, py: FloatArray, radius: float, k: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Up to ``k`` nearest edges within ``radius`` of each point.

    Returns (point, edge, distance, offset along the edge in network metres),
    sorted by point then distance.
    """
    # bounding boxes first (fast in the tree), exact distances here
    boxes = shapely.box(px - radius, py - radius, px + radius, py + radius)
    pi, si = segs.tree.query(boxes)
    pi = pi.astype(np.int64)
    si = si.astype(np.int64)
    rx, ry = px[pi] - segs.x0[si], py[pi] - segs.y0[si]
    l2 = np.maximum(segs.seg_len[si] ** 2, 1e-12)
    t = np.clip((rx * segs.dx[si] + ry * segs.dy[si]) / l2, 0.0, 1.0)
    cx = segs.x0[si] + t * segs.dx[si]
    cy = segs.y0[si] + t * segs.dy[si]
    d = np.hypot(px[pi] - cx, py[pi] - cy)
    near = d <= radius
    pi, si, t, d = pi[near], si[near], t[near], d[near]
    e = segs.edge[si]
    off_geom = segs.seg_start[si] + t * segs.seg_len[si]
    off = off_geom / segs.edge_geom_len[e] * segs.edge_len[e]
    order = np.lexsort((d, e, pi))
    pi, e, d, off = pi[order], e[order], d[order], off[order]
    first = np.r_[True, (pi[1:] != pi[:-1]) | (e[1:] != e[:-1])] if pi.size else np.zeros(0, bool)
    pi, e, d, off = pi[first], e[first], d[first], off[first]
    order = np.lexsort((d, pi))
    pi, e, d, off = pi[order], e[order], d[order], off[order]
    if pi.size:
        start = np.r_[True, pi[1:] != pi[:-1]]
        group_start = np.maximum.accumulate(np.where(start, np.arange(pi.size), 0))
        rank = np.arange(pi.size) - group_start
        keep = rank < k
        pi, e, d, off = pi[keep], e[keep], d[keep], off[keep]
    return pi, e, d, off


def _clean(
    frame: pd.DataFrame,
    *,
    max_speed_ms: float,
    max_gap_s: float,
    max_drop: int,
    slack_m: float,
) -> tuple[NDArray[np.object_], IntArray]:
    """Status per point (in frame order, frame sorted by driver and time) and trip number."""
    n = len(frame)
    status = np.full(n, "matched", dtype=object)
    trip = np.full(n, -1, dtype=np.int64)
    drv = frame["_driver"].to_numpy()
    t = frame["_t"].to_numpy(dtype=np.float64)
    x = frame["_x"].to_numpy(dtype=np.float64)
    y = frame["_y"].to_numpy(dtype=np.float64)
    trip_no = -1
    last = -1
    dropped = 0
    for i in range(n):
        new_driver = i == 0 or drv[i] != drv[i - 1]
        if new_driver:
            trip_no += 1
            trip[i] = trip_no
            last, dropped = i, 0
            continue
        dt = t[i] - t[last]
        dist = math.hypot(x[i] - x[last], y[i] - y[last])
        if (dt <= 0 and dist < 1.0) or dt <= 0:
            status[i] = "duplicate"
            continue
        if dt > max_gap_s:
            trip_no += 1
            trip[i] = trip_no
            last, dropped = i, 0
            continue
        if dist > max_speed_ms * dt + slack_m:
            if dropped < max_drop:
                status[i] = "teleport"
                dropped += 1
                continue
            # the device really moved: start a new trip here
            trip_no += 1
            trip[i] = trip_no
            last, dropped = i, 0
            continue
        trip[i] = trip_no
        last, dropped = i, 0
    return status, trip


@dataclass(frozen=True)
class _MatchGraph:
    """The mode's edges as CSR arrays for the compiled matcher (edge j = CSR position j)."""

    indptr: IntArray
    indices: IntArray
    length_m: FloatArray
    time_s: FloatArray
    tail: IntArray


class MapMatcher:
    """A road network prepared for map matching, to match many batches of traces.

    Holds the mode's edges cut into straight segments with a spatial index
    (STRtree) and as CSR arrays for the compiled matcher; :func:`match_traces`
    builds one per call unless given one.

    Parameters
    ----------
    network
        The road network.
    mode
        The travel mode whose edges the traces may follow.

    Examples
    --------
    >>> from planner import datasets
    >>> matcher = MapMatcher(datasets.demo_network(modes=["truck"]))
    >>> traces = datasets.demo_traces(groups=["truck"])
    >>> first = match_traces(traces.head(200), matcher)
    >>> second = match_traces(traces.tail(200), matcher)
    >>> len(first.points) + len(second.points)
    400
    """

    def __init__(self, network: RoadNetwork, *, mode: str = "truck") -> None:
        self.network = network
        self.mode = mode
        self.edges = _mode_edges(network, mode)
        self.segs = _segments(network, mode, self.edges)
        e = self.edges
        tail = (e.keys // e.n).astype(np.int64)
        # the mode's edges are sorted by (tail, head): edge j is CSR position j
        self.csr = _MatchGraph(
            indptr=np.searchsorted(tail, np.arange(e.n + 1)).astype(np.int64),
            indices=(e.keys % e.n).astype(np.int64),
            length_m=np.ascontiguousarray(e.length_m, dtype=np.float64),
            time_s=np.ascontiguousarray(e.time_s, dtype=np.float64),
            tail=tail,
        )

    def __repr__(self) -> str:
        return f"MapMatcher({self.segs.edge.size:,} segments, mode={self.mode!r})"


def match_traces(
    traces: pd.DataFrame,
    network: RoadNetwork | MapMatcher,
    *,
    mode: str | None = None,
    driver: str = "driver_id",
    time: str = "time",
    sigma_m: float = 10.0,
    radius_m: float = 60.0,
    max_candidates: int = 6,
    beta_m: float = 60.0,
    tau_s: float | None = 10.0,
    max_speed_kmh: float = 150.0,
    max_gap_s: float = 600.0,
    trip_volume: float = 1.0,
    workers: int = 1,
    progress: bool = False,
) -> MatchResult:
    """Clean GPS traces, split them into trips and map-match each trip to a network path.

    Cleaning, per driver in time order: a fix at the same time as the previous
    one is a ``duplicate``; a fix that would need more than ``max_speed_kmh``
    from the last kept fix (beyond ``5 * sigma_m`` of GPS noise) is a ``teleport`` and
    dropped (after three teleports
    in a row the device is taken to have moved and a new trip starts); a gap
    longer than ``max_gap_s`` starts a new trip. Unsorted input is sorted by
    driver and time; fixes of different drivers are never joined.

    Matching is a hidden Markov model (Newson & Krumm 2009): the states of a
    fix are the (at most ``max_candidates``) edges open to ``mode`` within
    ``radius_m``; emission ``-0.5 (d / sigma_m)^2`` for a fix ``d`` metres from
    the edge; transition ``-|route - straight| / beta_m - max(0, drive - dt) /
    tau_s`` where ``route`` is the length of the fastest network path between
    the two projected positions, ``straight`` the distance between the fixes,
    ``drive`` that path's free-flow driving time and ``dt`` the time between
    the fixes: a path the truck could not have driven in the time is unlikely
    (this tells a main road from the side road beside it). Paths come from a
    compiled Dijkstra on the mode's edges from each candidate's end node,
    driving at most ``2 * straight + 2 * radius_m + 200`` metres and stopping
    once the next fix's candidates are reached. The most likely sequence
    (Viterbi) is joined into a node path by the same fastest paths between
    consecutive matches. Where no path joins two fixes the chain restarts
    (counted in ``breaks``) and the two parts are joined by the fastest path
    without a length limit.

    Parameters
    ----------
    traces
        GPS points: a (Geo)DataFrame with ``driver`` and ``time`` columns and
        WGS84 point geometry (as :func:`planner.read_traces` returns) or
        ``lon``/``lat`` columns. Times are datetimes or seconds.
    network
        The road network, or a :class:`MapMatcher` prepared once for many calls.
    mode
        The travel mode whose edges the traces may follow (default ``"truck"``,
        or the matcher's mode).
    driver, time
        Column names.
    sigma_m
        GPS noise (standard deviation, metres).
    radius_m
        Search radius for candidate edges.
    max_candidates
        Candidate edges kept per fix (nearest first).
    beta_m
        Scale of the transition penalty (metres).
    tau_s
        Scale of the penalty on driving time beyond the time between the fixes
        (seconds); ``None`` leaves time out (distance only, as Newson & Krumm).
    max_speed_kmh
        Fixes implying a faster jump are teleports.
    max_gap_s
        A longer gap between fixes starts a new trip.
    trip_volume
        Volume given to each matched trip in :attr:`MatchResult.flows`
        (e.g. ``1 / days observed`` for trucks per day).
    workers
        Threads matching trips in parallel (the compiled matcher releases the
        GIL); the result does not depend on it.
    progress
        Show a progress bar.

    Returns
    -------
    MatchResult
        Per-point status and matched edge, per-trip summary, and the paths.

    Raises
    ------
    InputError
        Missing columns, bad times or coordinates, or no point at all.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> traces = datasets.demo_traces(groups=["truck"]).head(300)
    >>> res = match_traces(traces, net)
    >>> bool((res.points["status"] == "matched").mean() > 0.5)
    True
    """
    matcher = network if isinstance(network, MapMatcher) else None
    if matcher is not None:
        if mode is not None and mode != matcher.mode:
            raise InputError(
                f"mode {mode!r} differs from the matcher's mode {matcher.mode!r}.",
                field="mode",
                fix="leave mode out, or prepare a MapMatcher for that mode.",
            )
        mode = matcher.mode
    net = network.network if isinstance(network, MapMatcher) else network
    mode = "truck" if mode is None else mode
    problems: list[Problem] = []
    for name, col in (("driver", driver), ("time", time)):
        if col not in traces.columns:
            problems.append(
                Problem(
                    f"no {name} column {col!r}; the columns are "
                    f"{[str(c) for c in traces.columns]}.",
                    field=col,
                    fix=f"pass {name}='<column>'.",
                )
            )
    if problems:
        raise InputError(problems)
    for name, value in (
        ("sigma_m", sigma_m),
        ("radius_m", radius_m),
        ("beta_m", beta_m),
        ("tau_s", 1.0 if tau_s is None else tau_s),
        ("max_speed_kmh", max_speed_kmh),
        ("max_gap_s", max_gap_s),
    ):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number, got {value!r}.", field=name)
    if len(traces) == 0:
        raise InputError("the traces hold no points.", field="traces")
    if int(workers) != workers or workers < 1:
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}.", field="workers")
    index, lon, lat = _trace_lonlat(traces)
    t = _trace_seconds(traces[time])
    bad = ~np.isfinite(t)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{int(bad.sum())} points have no usable time (rows {rows}).",
            row=rows[0],
            field=time,
            fix="give datetimes, or read the file with planner.read_traces.",
        )
    drv = traces[driver]
    if drv.isna().any():
        rows = (np.flatnonzero(drv.isna().to_numpy())[:10] + 1).tolist()
        raise InputError(
            f"{int(drv.isna().sum())} points have no driver id (rows {rows}).",
            row=rows[0],
            field=driver,
            fix="fill in the driver or drop those rows.",
        )
    to_metric = Transformer.from_crs(WGS84, net.crs, always_xy=True)
    x, y = to_metric.transform(lon, lat)
    frame = pd.DataFrame(
        {"_driver": drv.astype(str).to_numpy(), "_t": t, "_x": np.asarray(x), "_y": np.asarray(y)}
    )
    frame["_row"] = np.arange(len(frame))
    if not frame.sort_values(["_driver", "_t"], kind="stable")["_row"].is_monotonic_increasing:
        logger.info("match_traces: points were not sorted by driver and time; sorting them")
    frame = frame.sort_values(["_driver", "_t"], kind="stable").reset_index(drop=True)
    status, trip = _clean(
        frame,
        max_speed_ms=max_speed_kmh / 3.6,
        max_gap_s=max_gap_s,
        max_drop=3,
        slack_m=5.0 * sigma_m,
    )
    prepared = matcher if matcher is not None else MapMatcher(net, mode=mode)
    edges, segs = prepared.edges, prepared.segs
    kept = np.flatnonzero(status == "matched")
    px, py = frame["_x"].to_numpy()[kept], frame["_y"].to_numpy()[kept]
    pt = frame["_t"].to_numpy(dtype=np.float64)[kept]
    cp, ce, cd, co = _candidates(segs, px, py, radius_m, int(max_candidates))
    has = np.zeros(kept.size, dtype=bool)
    has[cp] = True
    if kept.size and not has.any():
        nearest = float(
            shapely.distance(
                shapely.points(px[0], py[0]),
                segs.tree.geometries[segs.tree.query_nearest(shapely.points(px[0], py[0]))[0]],
            )
        )
        raise InputError(
            f"none of the {kept.size:,} usable fixes is within radius_m={radius_m:g} m of a "
            f"{mode} road (the first is {nearest:,.0f} m away).",
            field="geometry",
            fix="check that the traces are WGS84 (read GCJ-02/BD-09 files with "
            "planner.read_traces(..., datum='gcj02')), that the network covers them, "
            "or raise radius_m.",
        )
    status[kept[~has]] = "unmatched"
    # candidate lists per kept point
    cstart = np.searchsorted(cp, np.arange(kept.size), side="left")
    cend = np.searchsorted(cp, np.arange(kept.size), side="right")
    kept_trip = trip[kept]
    matched_edge = np.full(len(frame), -1, dtype=np.int64)
    matched_dist = np.full(len(frame), np.nan)
    trip_rows = []
    seqs: list[IntArray] = []
    seq_trip: list[int] = []
    n_trips = int(trip.max()) + 1 if trip.size else 0
    # kept points and rows are in frame order, where trip numbers never decrease
    k_lo = np.searchsorted(kept_trip, np.arange(n_trips), side="left")
    k_hi = np.searchsorted(kept_trip, np.arange(n_trips), side="right")
    in_trip = np.flatnonzero(trip >= 0)
    r_lo = in_trip[np.searchsorted(trip[in_trip], np.arange(n_trips), side="left")]
    r_n = np.bincount(trip[in_trip], minlength=n_trips)
    drivers = frame["_driver"].to_numpy()
    times = frame["_t"].to_numpy(dtype=np.float64)
    # the fixes of each trip that have candidates, in order
    members = np.flatnonzero(cend > cstart)
    m_trip = kept_trip[members]
    per_trip = np.bincount(m_trip, minlength=n_trips)
    matchable = per_trip >= 2
    bar = tqdm(total=kept.size, desc="map matching", disable=not progress, unit="fix")
    results = _match_trips(
        prepared,
        members[matchable[m_trip]],
        m_trip[matchable[m_trip]],
        cstart,
        cend,
        segs.edge_id[ce],
        cd,
        co,
        px,
        py,
        pt,
        sigma=sigma_m,
        beta=beta_m,
        tau=0.0 if tau_s is None else float(tau_s),
        radius=radius_m,
        workers=int(workers),
        bar=bar,
    )
    for tr in range(n_trips):
        all_members = np.arange(k_lo[tr], k_hi[tr])
        first_row, n_rows = int(r_lo[tr]), int(r_n[tr])
        last_row = int(in_trip[np.searchsorted(in_trip, first_row) + n_rows - 1])
        row_info = {
            "trip": tr,
            "driver": drivers[first_row],
            "start": float(times[first_row]),
            "end": float(times[last_row]),
            "points": n_rows,
            "matched_points": 0,
            "breaks": 0,
            "excluded": "",
        }
        if not matchable[tr]:
            for m in all_members:
                if status[kept[m]] == "matched":
                    status[kept[m]] = "short_trip"
            row_info["excluded"] = (
                "fewer than two fixes near the net" if per_trip[tr] else "no fix near the net"
            )
            if n_rows == 1:
                row_info["excluded"] = "a single fix"
            trip_rows.append(row_info)
            bar.update(all_members.size)
            continue
        trip_members, choice, breaks, nodes = results[tr]
        matched_edge[kept[trip_members]] = ce[choice]
        matched_dist[kept[trip_members]] = cd[choice]
        row_info["matched_points"] = trip_members.size
        row_info["breaks"] = breaks
        nodes = _drop_small_loops(nodes, edges, 2.0 * radius_m)
        if nodes.size >= 2:
            seqs.append(nodes)
            seq_trip.append(tr)
        else:
            row_info["excluded"] = "the matched path has no edge"
        trip_rows.append(row_info)
    bar.close()
    ids = net.node_ids
    me = matched_edge
    points = pd.DataFrame(
        {
            "trip": pd.array(np.where(trip >= 0, trip, -1), dtype="Int64"),
            "status": status,
            "u": pd.array(np.where(me >= 0, ids[segs.edge_u[np.maximum(me, 0)]], 0), dtype="Int64"),
            "v": pd.array(np.where(me >= 0, ids[segs.edge_v[np.maximum(me, 0)]], 0), dtype="Int64"),
            "distance_m": matched_dist,
        }
    )
    points.loc[me < 0, ["u", "v"]] = pd.NA
    points.loc[trip < 0, "trip"] = pd.NA
    # back to input order by position (input labels may repeat)
    points = points.iloc[np.argsort(frame["_row"].to_numpy(), kind="stable")]
    points.index = index
    trips = pd.DataFrame(trip_rows).set_index("trip") if trip_rows else pd.DataFrame()
    if len(trips):
        for col in ("start", "end"):
            trips[col] = pd.to_datetime(trips[col], unit="s", utc=True)
    flows = None
    if seqs:
        excluded = trips.loc[trips["excluded"] != "", ["excluded"]].rename(
            columns={"excluded": "reason"}
        )
        flows = _assemble(
            net,
            mode,
            edges,
            seqs,
            np.full(len(seqs), float(trip_volume)),
            pd.Index(seq_trip, name="trip"),
            extra={"driver": trips.loc[seq_trip, "driver"].to_numpy()},
            excluded=excluded,
        )
    return MatchResult(points=points, trips=trips, flows=flows)


def _trace_lonlat(traces: pd.DataFrame) -> tuple[pd.Index, FloatArray, FloatArray]:
    if isinstance(traces, gpd.GeoDataFrame) and traces.geometry.name in traces.columns:
        if traces.crs is None:
            raise InputError(
                "the traces have no CRS.",
                field="geometry",
                fix="set it, e.g. traces.set_crs('EPSG:4326').",
            )
        g = traces.geometry.to_crs(WGS84)
        return traces.index, g.x.to_numpy(float), g.y.to_numpy(float)
    lower = {str(c).lower(): c for c in traces.columns}
    lon_c = next((lower[c] for c in ("lon", "lng", "longitude", "x") if c in lower), None)
    lat_c = next((lower[c] for c in ("lat", "latitude", "y") if c in lower), None)
    if lon_c is None or lat_c is None:
        raise InputError(
            "the traces have neither point geometry nor lon/lat columns.",
            field="geometry",
            fix="read them with planner.read_traces.",
        )
    lon = pd.to_numeric(traces[lon_c], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(traces[lat_c], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        raise InputError(
            f"{int(bad.sum())} points have bad coordinates (rows {rows}).",
            row=rows[0],
            field=str(lon_c),
            fix="give WGS84 degrees, or read the file with planner.read_traces.",
        )
    return traces.index, lon, lat


def _trace_seconds(col: pd.Series) -> FloatArray:
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype):
        ts = pd.to_datetime(col)
        if isinstance(ts.dtype, pd.DatetimeTZDtype):
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        ns[ts.isna().to_numpy()] = np.nan
        return ns / 1e9
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64)
    parsed = pd.to_datetime(col, errors="coerce", utc=True)
    out = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    out = out.astype(np.float64)
    out[parsed.isna().to_numpy()] = np.nan
    return out


def _match_trips(
    matcher: MapMatcher,
    members: IntArray,
    member_trip: IntArray,
    cstart: IntArray,
    cend: IntArray,
    cand_edge: IntArray,
    cand_dist: FloatArray,
    cand_off: FloatArray,
    px: FloatArray,
    py: FloatArray,
    pt: FloatArray,
    *,
    sigma: float,
    beta: float,
    tau: float,
    radius: float,
    workers: int,
    bar: Any,
) -> dict[int, tuple[IntArray, IntArray, int, IntArray]]:
    """Run the compiled matcher over trips (``members`` grouped by trip, in time order).

    Returns, per trip: its members, the chosen candidate of each, the number of
    chain restarts, and the node path (positions).
    """
    from planner._match_kernel import match_batch

    out: dict[int, tuple[IntArray, IntArray, int, IntArray]] = {}
    if members.size == 0:
        return out
    starts = np.flatnonzero(np.r_[True, member_trip[1:] != member_trip[:-1]])
    bounds = np.r_[starts, members.size]
    trip_ids = member_trip[starts]
    g = matcher.csr
    # interleave trips so that threads get similar loads
    n_groups = max(1, min(int(workers), trip_ids.size))
    groups = [np.arange(k, trip_ids.size, n_groups) for k in range(n_groups)]

    def run(group: IntArray) -> list[tuple[int, tuple[IntArray, IntArray, int, IntArray]]]:
        lens = bounds[group + 1] - bounds[group]
        steps = members[_ranges(lens) + np.repeat(bounds[group], lens)]
        trip_ptr = np.r_[0, np.cumsum(lens)].astype(np.int64)
        first = np.zeros(steps.size, dtype=bool)
        first[trip_ptr[:-1]] = True
        prev = np.maximum(np.arange(steps.size) - 1, 0)
        gc = np.hypot(px[steps] - px[steps[prev]], py[steps] - py[steps[prev]])
        dt = pt[steps] - pt[steps[prev]]
        gc[first] = 0.0
        dt[first] = 0.0
        choice, breaks, path_ptr, nodes = match_batch(
            g.indptr,
            g.indices,
            g.length_m,
            g.time_s,
            g.tail,
            trip_ptr,
            cstart[steps].astype(np.int64),
            cend[steps].astype(np.int64),
            np.ascontiguousarray(gc, dtype=np.float64),
            np.ascontiguousarray(dt, dtype=np.float64),
            cand_edge,
            cand_dist,
            cand_off,
            float(sigma),
            float(beta),
            float(tau),
            2.0 * float(sigma),
            2.0 * float(radius) + 200.0,
        )
        res = []
        for q, k in enumerate(group.tolist()):
            a, b = trip_ptr[q], trip_ptr[q + 1]
            res.append(
                (
                    int(trip_ids[k]),
                    (
                        steps[a:b],
                        choice[a:b],
                        int(breaks[q]),
                        nodes[path_ptr[q] : path_ptr[q + 1]],
                    ),
                )
            )
        return res

    if n_groups == 1:
        parts = [run(groups[0])]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_groups) as pool:
            parts = list(pool.map(run, groups))
    for part in parts:
        for tr, res in part:
            out[tr] = res
            bar.update(res[0].size)
    return out


def _drop_small_loops(seq: IntArray, edges: _ModeEdges, max_len: float) -> IntArray:
    """Cut cycles shorter than ``max_len`` metres (GPS noise read as a U-turn loop)."""
    if seq.size < 3 or np.unique(seq).size == seq.size:
        return seq
    keys = seq[:-1] * edges.n + seq[1:]
    at = np.minimum(np.searchsorted(edges.keys, keys), edges.keys.size - 1)
    cum = np.r_[0.0, np.cumsum(edges.length_m[at])]
    out: list[int] = []
    out_pos: list[int] = []
    where: dict[int, int] = {}
    for i, node in enumerate(seq.tolist()):
        j = where.get(node)
        if j is not None and cum[i] - cum[out_pos[j]] <= max_len:
            for dropped in out[j + 1 :]:
                where.pop(dropped, None)
            del out[j + 1 :]
            del out_pos[j + 1 :]
            continue
        where[node] = len(out)
        out.append(node)
        out_pos.append(i)
    return np.asarray(out, dtype=np.int64)


# =========================================================================== candidates

#: OSM tags that make a driver-home candidate, by kind (see :func:`driver_home_candidates`).
DRIVER_HOME_TAGS: Mapping[str, str] = {
    "fuel_hgv": "amenity=fuel with hgv=yes/designated (or fuel:HGV_diesel=yes)",
    "service_area": "highway=services",
    "rest_area": "highway=rest_area",
    "logistics": "industrial=logistics, landuse=logistics, or building=warehouse areas",
    "industrial": "landuse=industrial areas of at least min_area_m2",
    "truck_parking": "amenity=parking with hgv=yes/designated, or of at least min_area_m2",
}


def _kind(tags: Mapping[str, str]) -> str | None:
    hgv = tags.get("hgv", "") in ("yes", "designated")
    if tags.get("highway") == "services":
        return "service_area"
    if tags.get("highway") == "rest_area":
        return "rest_area"
    if tags.get("amenity") == "fuel" and (hgv or tags.get("fuel:HGV_diesel") == "yes"):
        return "fuel_hgv"
    if tags.get("amenity") == "parking":
        return "truck_parking" if hgv else "parking"
    if tags.get("industrial") == "logistics" or tags.get("landuse") == "logistics":
        return "logistics"
    if tags.get("building") == "warehouse":
        return "logistics"
    if tags.get("landuse") == "industrial":
        return "industrial"
    return None


def driver_home_candidates(
    path: str | Any,
    *,
    kinds: Sequence[str] | None = None,
    min_area_m2: float = 2000.0,
    user: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read candidate driver-home sites from an OSM file by tag.

    Kinds (see :data:`DRIVER_HOME_TAGS`): fuel stations for heavy goods vehicles,
    highway service areas and rest areas, logistics land and warehouses,
    industrial land of at least ``min_area_m2``, and parkings that are for
    trucks or at least ``min_area_m2`` large. Nodes are their own location;
    closed ways (areas) their centroid, with their area; open ways their middle
    vertex. Attach the passing volume with :func:`with_passing_volume`.

    Parameters
    ----------
    path
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``).
    kinds
        Kinds to keep (default: all).
    min_area_m2
        Smallest industrial area or untagged parking kept.
    user
        Candidate sites from a user file (e.g. :func:`planner.read_candidates`),
        appended with kind ``"user"`` unless they have a ``kind`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``"osm:node/<id>"`` / ``"osm:way/<id>"`` (user sites keep
        their index as text, prefixed ``"user:"``): ``kind``, ``name``,
        ``area_m2`` (0 for nodes), ``source``; WGS84 points.

    Examples
    --------
    >>> from planner import datasets
    >>> cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    >>> "service_area" in set(cands["kind"])
    True
    """
    import osmium

    from planner.crs import local_metric_crs

    file = Path(path)
    if not file.is_file():
        raise InputError(f"no such OSM file: {file}.", file=file, fix="check the path.")
    wanted = set(DRIVER_HOME_TAGS) if kinds is None else set(kinds)
    unknown = wanted - set(DRIVER_HOME_TAGS)
    if unknown:
        raise InputError(
            f"unknown kinds {sorted(unknown)}.",
            field="kinds",
            fix=f"use some of {sorted(DRIVER_HOME_TAGS)}.",
        )
    recs: list[dict[str, Any]] = []
    try:
        proc = osmium.FileProcessor(str(file), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for item in proc:
            obj: Any = item
            tags = {t.k: t.v for t in obj.tags}
            if not tags:
                continue
            kind = _kind(tags)
            if kind is None:
                continue
            if obj.is_node():
                if not obj.location.valid():
                    continue
                recs.append(
                    {
                        "id": f"osm:node/{obj.id}",
                        "kind": kind,
                        "name": tags.get("name"),
                        "lon": obj.location.lon,
                        "lat": obj.location.lat,
                        "ring": None,
                    }
                )
            elif obj.is_way():
                pts = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                if len(pts) < 2:
                    continue
                closed = obj.nodes[0].ref == obj.nodes[-1].ref and len(pts) >= 4
                mid = pts[len(pts) // 2]
                recs.append(
                    {
                        "id": f"osm:way/{obj.id}",
                        "kind": kind,
                        "name": tags.get("name"),
                        "lon": mid[0],
                        "lat": mid[1],
                        "ring": pts if closed else None,
                    }
                )
    except RuntimeError as error:
        raise InputError(
            f"cannot read {file.name} as OSM data: {error}.",
            file=file,
            fix="check that the file is a complete OSM XML or PBF extract.",
        ) from error
    frame = pd.DataFrame(recs, columns=["id", "kind", "name", "lon", "lat", "ring"])
    area = np.zeros(len(frame))
    if len(frame):
        metric = local_metric_crs(float(frame["lon"].median()), float(frame["lat"].median()))
        to_m = Transformer.from_crs(WGS84, metric, always_xy=True)
        back = Transformer.from_crs(metric, WGS84, always_xy=True)
        lon = frame["lon"].to_numpy(dtype=np.float64).copy()
        lat = frame["lat"].to_numpy(dtype=np.float64).copy()
        for i, ring in enumerate(frame["ring"]):
            if ring is None:
                continue
            ring_arr = np.asarray(ring, dtype=np.float64)
            xs, ys = to_m.transform(ring_arr[:, 0], ring_arr[:, 1])
            poly = shapely.Polygon(np.column_stack([xs, ys]))
            if not poly.is_valid:
                poly = poly.buffer(0)
            area[i] = poly.area
            c = poly.centroid if not poly.is_empty else shapely.Point(xs[0], ys[0])
            lon[i], lat[i] = back.transform(c.x, c.y)
        frame["lon"], frame["lat"] = lon, lat
    frame["area_m2"] = area
    kind_arr = frame["kind"].to_numpy(dtype=object).copy()
    small = (kind_arr == "parking") & (area < min_area_m2)
    kind_arr[(kind_arr == "parking") & ~small] = "truck_parking"
    frame["kind"] = kind_arr
    keep = ~small & ~((kind_arr == "industrial") & (area < min_area_m2))
    keep &= frame["kind"].isin(wanted).to_numpy()
    frame = frame[keep]
    out = gpd.GeoDataFrame(
        {
            "kind": frame["kind"].to_numpy(),
            "name": frame["name"].to_numpy(),
            "area_m2": frame["area_m2"].to_numpy(),
            "source": "osm",
        },
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        index=pd.Index(frame["id"].to_numpy(), name="site"),
        crs=WGS84,
    )
    if user is not None:
        if user.crs is None:
            raise InputError("user candidates have no CRS.", field="user")
        extra = gpd.GeoDataFrame(
            {
                "kind": user["kind"].astype(str).to_numpy() if "kind" in user else "user",
                "name": user["name"].to_numpy() if "name" in user else None,
                "area_m2": 0.0,
                "source": "user",
            },
            geometry=user.geometry.to_crs(WGS84).to_numpy(),
            index=pd.Index([f"user:{i}" for i in user.index], name="site"),
            crs=WGS84,
        )
        out = pd.concat([out, extra])
    return out


def with_passing_volume(
    candidates: gpd.GeoDataFrame,
    flows: Flows,
    *,
    max_snap_m: float = 300.0,
    detour_min: float = 0.0,
    min_volume: float | None = None,
) -> gpd.GeoDataFrame:
    """Attach the volume passing each candidate (and, optionally, keep the busy ones).

    Parameters
    ----------
    candidates
        Candidate sites (points).
    flows
        The flows.
    max_snap_m, detour_min
        As in :meth:`Flows.site_incidence`.
    min_volume
        Keep only candidates passed by at least this volume (e.g. 30 trucks/day).

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates (a copy) with ``passing_volume``, ``reachable_volume``,
        ``u``, ``v`` (the road edge they stand beside) and ``snap_m``.
    """
    inc = flows.site_incidence(candidates, max_snap_m=max_snap_m, detour_min=detour_min)
    out = candidates.copy()
    for col in ("u", "v", "snap_m", "passing_volume", "reachable_volume"):
        out[col] = inc.sites[col].to_numpy()
    if min_volume is not None:
        out = out[out["passing_volume"] >= float(min_volume)]
    return out


# =========================================================================== recommendation


@dataclass(frozen=True)
class DriverHomePlan:
    """Recommended driver homes for a set of truck flows.

    Attributes
    ----------
    sites
        Existing and recommended sites (WGS84 points) keyed by site label:
        ``existing``, ``reason`` (``"existing"``, ``"rest interval"``: needed so
        that routes meet a rest place every ``interval_h``; ``"flow capture"``:
        added to catch the most passing trucks), ``rank`` (build order, 0 for
        existing), ``passing_volume`` and the ``kind``/``name`` columns of the
        candidates when present.
    routes
        One row per route: ``volume``, ``time_s``, ``servable``, ``served``
        (meets a rest place at least every ``interval_h``), ``max_gap_h``,
        ``captured`` (passes an open site).
    rest
        The rest-interval coverage result.
    capture
        The flow-capturing result (None when ``p == 0``).
    candidates
        All candidates with ``passing_volume`` and ``eligible`` (at least
        ``min_volume``).
    """

    sites: gpd.GeoDataFrame
    routes: pd.DataFrame
    rest: Any
    capture: Any
    candidates: gpd.GeoDataFrame


def driver_home_plan(
    flows: Flows,
    candidates: gpd.GeoDataFrame,
    *,
    existing: gpd.GeoDataFrame | None = None,
    p: int = 3,
    interval_h: float = 4.0,
    min_volume: float = 30.0,
    detour_min: float = 0.0,
    max_snap_m: float = 300.0,
    solver: Literal["auto", "exact", "fast"] = "auto",
) -> DriverHomePlan:
    """Recommend driver homes along truck flows: rest every ``interval_h``, then capture.

    Two steps, existing homes fixed throughout:

    1. the fewest candidates (passed by at least ``min_volume`` trucks a day)
       such that every route that can be served meets a rest place at least
       every ``interval_h`` hours of driving (its origin and destination count:
       trips start and end at depots) — :class:`~planner.locate.flows.RestIntervalCoverage`;
    2. ``p`` more sites capturing the most trucks passing an open site
       (optionally within ``detour_min``) — :class:`~planner.locate.flows.FlowCapture`.

    Parameters
    ----------
    flows
        Truck flows (from :func:`route_od` or :func:`match_traces`).
    candidates
        Candidate sites (e.g. :func:`driver_home_candidates`).
    existing
        Existing driver homes (points), fixed.
    p
        Sites added in step 2.
    interval_h
        Longest driving between rests (hours; Chinese rules: 4).
    min_volume
        Smallest passing volume (trucks per day) for a candidate to be eligible.
    detour_min
        Detour allowed to capture a route in step 2.
    max_snap_m
        Sites farther from the truck network pass nothing.
    solver
        As in the models' ``solve``.

    Returns
    -------
    DriverHomePlan
        Sites, routes and both model results.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network(modes=["truck"])
    >>> flows = route_od(datasets.demo_truck_trips(), net)
    >>> cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    >>> st = datasets.demo_stations()
    >>> plan = driver_home_plan(flows, cands, existing=st[st["kind"] == "driver_home"], p=1)
    >>> int((plan.sites["reason"] == "flow capture").sum())
    1
    """
    from planner.locate.flows import FlowCapture, RestIntervalCoverage

    if existing is not None and len(existing):
        ex = existing.copy()
        ex.index = pd.Index([f"existing:{i}" for i in existing.index], name="site")
        ex = ex.to_crs(WGS84)
        all_sites = pd.concat([candidates.to_crs(WGS84), ex])
        ex_labels = list(ex.index)
    else:
        all_sites = candidates.to_crs(WGS84)
        ex_labels = []
    if not all_sites.index.is_unique:
        raise InputError(
            "candidate labels must be unique.", field="candidates", fix="reset the index."
        )
    inc = flows.site_incidence(all_sites, max_snap_m=max_snap_m, detour_min=detour_min)
    vols = flows.routes["volume"].to_numpy(dtype=np.float64)
    rest_model = RestIntervalCoverage.from_matrix(
        inc.matrix("position_h"),
        lengths=inc.route_lengths("h"),
        interval=float(interval_h),
        volumes=vols,
        existing=ex_labels,
        min_volume=min_volume,
        route_index=inc.routes.index,
        site_index=inc.sites.index,
    )
    rest = rest_model.solve(solver=solver)
    fixed = ex_labels + list(rest.selected)
    eligible = (inc.sites["passing_volume"] >= min_volume) & ~inc.sites.index.isin(fixed)
    capture = None
    added: list[Any] = []
    n_new = min(int(p), int(eligible.sum()))
    if n_new > 0:
        capture = FlowCapture.from_matrix(
            inc.matrix("detour_min"),
            p=n_new,
            detour=detour_min,
            volumes=vols,
            existing=fixed,
            min_volume=min_volume,
            route_index=inc.routes.index,
            site_index=inc.sites.index,
        ).solve(solver=solver)
        added = list(capture.selected)
    reason = (
        [("existing", 0) for _ in ex_labels]
        + [("rest interval", k + 1) for k in range(len(rest.selected))]
        + [("flow capture", len(rest.selected) + k + 1) for k in range(len(added))]
    )
    labels = ex_labels + list(rest.selected) + added
    sites = all_sites.loc[labels].copy()
    sites["existing"] = [r == "existing" for r, _ in reason]
    sites["reason"] = [r for r, _ in reason]
    sites["rank"] = [k for _, k in reason]
    sites["passing_volume"] = inc.sites.loc[labels, "passing_volume"].to_numpy()
    on = inc.table[(inc.table["detour_s"] <= detour_min * 60) & inc.table["site"].isin(labels)]
    captured = flows.routes.index.isin(on["route"].unique())
    routes = pd.DataFrame(
        {
            "volume": vols,
            "time_s": flows.routes["time_s"].to_numpy(),
            "servable": rest.demand["servable"].to_numpy(),
            "served": rest.demand["served"].to_numpy(),
            "max_gap_h": rest.demand["max_gap"].to_numpy(),
            "captured": captured,
        },
        index=flows.routes.index,
    )
    cands = all_sites.drop(index=ex_labels).copy()
    cands["passing_volume"] = inc.sites.loc[cands.index, "passing_volume"].to_numpy()
    cands["eligible"] = cands["passing_volume"] >= min_volume
    return DriverHomePlan(sites=sites, routes=routes, rest=rest, capture=capture, candidates=cands)
