"""Flows and passing volumes: paths on the network with trucks per day.

:class:`Flows` holds the paths (node sequences, length, time, volume) with
:meth:`Flows.edge_volumes` (trucks per day on each edge) and
:meth:`Flows.site_incidence` (which routes pass each candidate site, where along
them, and optionally with a detour, as a :class:`SiteIncidence`), which feed the
flow-capturing and rest-interval models of :mod:`planner.locate.flows`.
:func:`flows_from_paths` builds flows from node sequences; the builders of
:mod:`planner.routes.od` and :mod:`planner.routes.matching` share
:func:`assemble_flows`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
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
from planner._validate import points_lonlat
from planner.crs import WGS84
from planner.routes._modes import (
    EdgeSegments,
    ModeEdges,
    edge_segments,
    mode_edges,
    nearest_edges,
    ranges,
)

if TYPE_CHECKING:
    from planner.network import RoadNetwork

__all__ = ["Flows", "SiteIncidence", "assemble_flows", "flows_from_paths"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


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
        >>> from planner.routes import route_od
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
        edges = mode_edges(self.network, self.mode)
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
        >>> from planner.routes import driver_home_candidates, route_od
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
        edges = mode_edges(self.network, self.mode)
        segs = edge_segments(self.network, self.mode, edges)
        to_metric = Transformer.from_crs(WGS84, self.network.crs, always_xy=True)
        px, py = (np.asarray(v, dtype=np.float64) for v in to_metric.transform(lon, lat))
        sp_, se, sd, so = nearest_edges(segs, px, py, float(max_snap_m), 4)
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
        which = order[np.repeat(lo, cnt) + ranges(cnt)]
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
        segs: EdgeSegments,
        edges: ModeEdges,
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
            k = by_row[np.repeat(row_start[rows], c1) + ranges(c1)]
            node, t = np.repeat(node, c1), np.repeat(t, c1) + add[k]
            ok = t <= limit
            k, node, t = k[ok], node[ok], t[ok]
            lo = np.searchsorted(nodes_sorted, node, side="left")
            c2 = np.searchsorted(nodes_sorted, node, side="right") - lo
            ent = order[np.repeat(lo, c2) + ranges(c2)]
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


def _site_lonlat(
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
) -> tuple[pd.Index, FloatArray, FloatArray]:
    return points_lonlat(sites, label="sites")


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
    >>> from planner.routes import route_od
    >>> net = datasets.demo_network()
    >>> f = route_od(datasets.demo_truck_trips(), net)
    >>> g = flows_from_paths(net, [f.path(f.routes.index[0])], volumes=[3.0])
    >>> float(g.routes["time_s"].iloc[0]) == float(f.routes["time_s"].iloc[0])
    True
    """
    edges = mode_edges(network, mode)
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
    return assemble_flows(network, mode, edges, pos_seqs, vols, labels, extra={}, excluded=None)


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


def assemble_flows(
    network: RoadNetwork,
    mode: str,
    edges: ModeEdges,
    pos_seqs: list[IntArray],
    vols: FloatArray,
    labels: pd.Index,
    *,
    extra: Mapping[str, Any],
    excluded: pd.DataFrame | None,
) -> Flows:
    """Build :class:`Flows` from paths given as node positions (shared by the builders).

    Steps that are not edges open to ``mode`` raise; ``extra`` adds columns to
    the route table and ``excluded`` becomes :attr:`Flows.excluded`.
    """
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
