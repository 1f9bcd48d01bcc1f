"""Access matrices: network travel times from demand points to sites, up to a cutoff.

An :class:`AccessMatrix` is the sparse demand × site matrix that the rest of
planner works from (coverage, siting models). Entry ``(i, j)`` is the travel time
in **seconds** from demand point ``i`` to site ``j`` when it is at most the cutoff;
pairs farther apart are not stored. A stored ``0.0`` is a real time (a demand
point at a site), never "no entry": explicit zeros are kept.

The time rule
-------------
Points are snapped to the nearest node of the mode's network
(:meth:`planner.network.RoadNetwork.snap`). The straight-line snap distance of
each end is walked/ridden at the mode's ``access_speed_kmh``, so::

    time(i, j) = access_s(i) + network_s(node(i) -> node(j)) + access_s(j)

and the pair is stored when ``time(i, j) <= cutoff_s``. ``network_s`` is the
exact shortest-path time on the mode's directed network (one-way streets bind).

How it is computed
------------------
Sites are usually fewer than demand points, so shortest paths run *from the
sites on the reversed network*, each search stopping at the cutoff less the
site's and the smallest demand access time. A compiled kernel
(:mod:`planner._dijkstra`, numba) runs the searches in chunks of sites: a
Dijkstra with a 4-ary heap on the CSR arrays that touches only the nodes it
reaches and emits (demand point, time) pairs straight away, so no dense row per
source and no dense demand × site array is ever built: peak memory is about
2.2 times the sparse result. Distances are summed along paths as scipy and networkx sum
them, so the times are theirs bit for bit. Sites sharing a node share a search.

The kernel releases the GIL, so chunks run on ``n_jobs`` threads of this
process, sharing the graph and the results without copies, or on a Dask
cluster (``scheduler``, whose workers need planner installed); results are
identical, bit for bit, whatever the chunking.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner._access_engine import check_cutoff_s, node_access_matrix, node_nearest
from planner._atomic import atomic_file
from planner._errors import InputError
from planner._node_access import NodeAccess
from planner.network import RoadNetwork, SnapResult

logger = logging.getLogger(__name__)

__all__ = [
    "AccessMatrix",
    "NodeAccess",
    "access_by_node",
    "access_matrix",
    "nearest_sites",
    "node_access_matrix",
    "node_nearest",
]

PointsLike = Any  # GeoDataFrame | GeoSeries | (n, 2) array of WGS84 (lon, lat)

_FORMAT = "planner.AccessMatrix"
_FORMAT_VERSION = 1


# =========================================================================== AccessMatrix


@dataclass(frozen=True, eq=False)
class AccessMatrix:
    """Network travel times from demand points to sites, up to a cutoff (sparse).

    **Times are in seconds.** ``matrix[i, j]`` is the time from demand point
    ``demand_index[i]`` to site ``site_index[j]`` (snap legs included, see the
    module docs); pairs beyond ``cutoff_s`` are not stored, and a stored ``0.0``
    is a real time.

    Parameters
    ----------
    matrix
        ``scipy.sparse.csr_array`` of ``float64`` seconds, demand × site, sorted
        indices, explicit zeros kept.
    demand_index, site_index
        Labels of the rows and columns: the input indexes, less excluded points.
    cutoff_s
        The cutoff in seconds.
    mode
        The travel mode's name.
    demand_snap, site_snap
        Snap tables of *all* input points (``node``, ``node_index``,
        ``distance_m``, ``access_s``, ``far``), on the input indexes.
    metadata
        JSON-compatible facts: network source, snap limit, timings, counts.
    """

    matrix: sp.csr_array
    demand_index: pd.Index
    site_index: pd.Index
    cutoff_s: float
    mode: str
    demand_snap: pd.DataFrame
    site_snap: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check that the labels fit the matrix."""
        shape = (len(self.demand_index), len(self.site_index))
        if self.matrix.shape != shape:
            raise InputError(
                f"matrix shape {self.matrix.shape} does not match the labels {shape}.",
                field="matrix",
            )

    def __repr__(self) -> str:
        return (
            f"AccessMatrix({self.shape[0]:,} demand × {self.shape[1]:,} sites, "
            f"{self.nnz:,} pairs within {self.cutoff_s / 60:g} min by {self.mode})"
        )

    @property
    def shape(self) -> tuple[int, int]:
        """``(demand points, sites)``."""
        return (int(self.matrix.shape[0]), int(self.matrix.shape[1]))

    @property
    def nnz(self) -> int:
        """The number of stored pairs (explicit zeros included)."""
        return int(self.matrix.nnz)

    @property
    def cutoff_min(self) -> float:
        """The cutoff in minutes."""
        return self.cutoff_s / 60.0

    @property
    def excluded(self) -> pd.DataFrame:
        """Points left out because they lie beyond the snap limit.

        Returns
        -------
        pandas.DataFrame
            Columns ``role`` (``"demand"`` or ``"site"``), ``label`` and ``distance_m``.
        """
        parts = []
        for role, snap in (("demand", self.demand_snap), ("site", self.site_snap)):
            far = snap[snap["far"]]
            parts.append(
                pd.DataFrame(
                    {"role": role, "label": far.index.to_list(), "distance_m": far["distance_m"]}
                ).reset_index(drop=True)
            )
        return pd.concat(parts, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Return the stored pairs as a long table.

        Returns
        -------
        pandas.DataFrame
            Columns ``demand``, ``site`` (labels) and ``time_s``.
        """
        coo = self.matrix.tocoo()
        return pd.DataFrame(
            {
                "demand": self.demand_index[coo.row],
                "site": self.site_index[coo.col],
                "time_s": coo.data,
            }
        )

    def within(self, cutoff_min: float) -> AccessMatrix:
        """Return the matrix restricted to a smaller cutoff (zeros kept).

        Parameters
        ----------
        cutoff_min
            The new cutoff in minutes, at most the current one.

        Returns
        -------
        AccessMatrix
            The pairs with ``time_s <= 60 * cutoff_min``.
        """
        cutoff = check_cutoff_s(cutoff_min * 60.0 if _is_number(cutoff_min) else cutoff_min)
        if cutoff > self.cutoff_s * (1 + 1e-12):
            raise InputError(
                f"cannot widen an access matrix from {self.cutoff_min:g} to {cutoff_min:g} "
                "minutes: pairs beyond the original cutoff were never computed.",
                field="cutoff_min",
                fix="build a new matrix with the larger cutoff.",
            )
        return _replace_matrix(self, _filter_csr(self.matrix, self.matrix.data <= cutoff), cutoff)

    def select_sites(self, sites: Sequence[Any] | pd.Index | np.ndarray) -> AccessMatrix:
        """Return the matrix with only the given sites (columns), by label.

        Parameters
        ----------
        sites
            Site labels to keep, in the order wanted.

        Returns
        -------
        AccessMatrix
            The sub-matrix (zeros kept).
        """
        labels = pd.Index(sites)
        positions = self.site_index.get_indexer(labels)
        if (positions < 0).any():
            missing = labels[positions < 0][:10].to_list()
            raise InputError(f"unknown sites {missing}.", field="sites")
        sub = sp.csr_array(self.matrix[:, positions])
        sub.sort_indices()
        return AccessMatrix(
            sub,
            self.demand_index,
            self.site_index[positions],
            self.cutoff_s,
            self.mode,
            self.demand_snap,
            self.site_snap.loc[labels] if len(self.site_snap) else self.site_snap,
            dict(self.metadata),
        )

    def nearest(self) -> pd.DataFrame:
        """Return each demand point's nearest site within the cutoff.

        Ties go to the site that comes first in ``site_index``.

        Returns
        -------
        pandas.DataFrame
            On ``demand_index``: ``site`` (label, missing where none is within the
            cutoff), ``time_s`` (``NaN`` where none) and ``n_sites`` (how many are
            within the cutoff).

        Examples
        --------
        >>> import numpy as np, pandas as pd, scipy.sparse as sp
        >>> # a stored 0.0 (demand point "a" stands at site "s1") is a real time
        >>> m = sp.csr_array(([0.0, 300.0, 400.0], [0, 1, 1], [0, 2, 3]), shape=(2, 2))
        >>> am = AccessMatrix(m, pd.Index(["a", "b"]), pd.Index(["s1", "s2"]), 900.0,
        ...                   "ebike", pd.DataFrame(), pd.DataFrame())
        >>> am.nearest()["site"].to_list(), am.nearest()["time_s"].to_list()
        (['s1', 's2'], [0.0, 400.0])
        """
        position, best = _row_argmin(self.matrix)
        found = position >= 0
        sites = pd.Series(pd.NA, index=self.demand_index, dtype=object)
        sites[found] = self.site_index[position[found]].to_numpy(dtype=object)
        return pd.DataFrame(
            {
                "site": sites,
                "time_s": best,
                "n_sites": np.diff(self.matrix.indptr).astype(np.int64),
            },
            index=self.demand_index,
        )

    # ------------------------------------------------------------------------ I/O
    def save(self, path: str | Path) -> Path:
        """Write the matrix, labels, snap tables and metadata to one ``.npz`` file, atomically.

        The file is written beside the target and renamed over it, so a crash never
        leaves a half-written file. Labels must be integers, strings or floats.

        Parameters
        ----------
        path
            The file to write (``.npz`` is conventional).

        Returns
        -------
        pathlib.Path
            The path written; read it back with :meth:`AccessMatrix.load`.
        """
        path = Path(path)
        header = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "shape": list(self.shape),
            "cutoff_s": self.cutoff_s,
            "mode": self.mode,
            "demand_index": _index_to_json(self.demand_index, "demand_index"),
            "site_index": _index_to_json(self.site_index, "site_index"),
            "demand_snap_index": _index_to_json(self.demand_snap.index, "demand_snap"),
            "site_snap_index": _index_to_json(self.site_snap.index, "site_snap"),
            "metadata": self.metadata,
        }
        arrays: dict[str, np.ndarray] = {
            "header": np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
            "data": self.matrix.data,
            "indices": self.matrix.indices,
            "indptr": self.matrix.indptr,
        }
        for role, snap in (("demand", self.demand_snap), ("site", self.site_snap)):
            for column in _SNAP_COLUMNS:
                if column in snap:
                    arrays[f"{role}_snap_{column}"] = snap[column].to_numpy()
        with atomic_file(path) as tmp, tmp.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, path: str | Path) -> AccessMatrix:
        """Read a matrix written by :meth:`AccessMatrix.save`.

        Parameters
        ----------
        path
            The ``.npz`` file.

        Returns
        -------
        AccessMatrix
            The same matrix, labels, snap tables and metadata (explicit zeros kept).
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"no such file: {path}.", file=path, fix="check the path.")
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
            header = json.loads(arrays["header"].tobytes().decode("utf-8"))
        except (OSError, ValueError, KeyError) as error:
            raise InputError(
                f"{path.name} is not an access matrix file ({error}).",
                file=path,
                fix="write it with AccessMatrix.save.",
            ) from error
        if header.get("format") != _FORMAT or header.get("version") != _FORMAT_VERSION:
            raise InputError(
                f"{path.name} holds {header.get('format')!r} version "
                f"{header.get('version')!r}, not {_FORMAT!r} version {_FORMAT_VERSION}.",
                file=path,
                fix="rebuild the matrix with this version of planner.",
            )
        shape = tuple(header["shape"])
        matrix = sp.csr_array(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape, copy=False
        )
        snaps = []
        for role in ("demand", "site"):
            index = _index_from_json(header[f"{role}_snap_index"])
            columns = {
                column: arrays[f"{role}_snap_{column}"]
                for column in _SNAP_COLUMNS
                if f"{role}_snap_{column}" in arrays
            }
            snaps.append(pd.DataFrame(columns, index=index))
        return cls(
            matrix,
            _index_from_json(header["demand_index"]),
            _index_from_json(header["site_index"]),
            float(header["cutoff_s"]),
            str(header["mode"]),
            snaps[0],
            snaps[1],
            dict(header["metadata"]),
        )


_SNAP_COLUMNS = ("node", "node_index", "distance_m", "access_s", "far")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _filter_csr(matrix: sp.csr_array, keep: np.ndarray) -> sp.csr_array:
    """Keep the stored entries where ``keep`` is true (never drops explicit zeros)."""
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    indptr = np.zeros(matrix.shape[0] + 1, dtype=matrix.indptr.dtype)
    np.cumsum(np.bincount(row_of[keep], minlength=matrix.shape[0]), out=indptr[1:])
    return sp.csr_array(
        (matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape, copy=False
    )


def _replace_matrix(access: AccessMatrix, matrix: sp.csr_array, cutoff_s: float) -> AccessMatrix:
    return AccessMatrix(
        matrix,
        access.demand_index,
        access.site_index,
        cutoff_s,
        access.mode,
        access.demand_snap,
        access.site_snap,
        dict(access.metadata),
    )


def _row_argmin(matrix: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the column of the smallest stored value (first on ties, -1 if none), value."""
    n = matrix.shape[0]
    position = np.full(n, -1, dtype=np.int64)
    best = np.full(n, np.nan)
    counts = np.diff(matrix.indptr)
    rows = np.flatnonzero(counts)
    if len(rows) == 0:
        return position, best
    starts = matrix.indptr[:-1][rows]
    minima = np.minimum.reduceat(matrix.data, starts)
    best[rows] = minima
    row_of = np.repeat(np.arange(n), counts)
    hit = matrix.data == best[row_of]
    # first hit per row: entries are sorted by column within a row
    hit_pos = np.flatnonzero(hit)
    first = np.unique(row_of[hit_pos], return_index=True)[1]
    position[row_of[hit_pos[first]]] = matrix.indices[hit_pos[first]]
    return position, best


def _index_to_json(index: pd.Index, name: str) -> dict[str, Any]:
    if isinstance(index, pd.MultiIndex):
        raise InputError(
            f"{name} is a MultiIndex, which AccessMatrix.save does not store.",
            field=name,
            fix="reset_index() to plain labels before building the matrix.",
        )
    values: list[Any]
    if pd.api.types.is_integer_dtype(index.dtype):
        kind, values = "int", [int(v) for v in index]
    elif pd.api.types.is_float_dtype(index.dtype):
        kind, values = "float", [float(v) for v in index]
    elif all(isinstance(v, str) for v in index):
        kind, values = "str", [str(v) for v in index]
    elif all(isinstance(v, (int, np.integer, str)) for v in index):
        kind, values = "mixed", [v if isinstance(v, str) else int(v) for v in index]
    else:
        raise InputError(
            f"{name} holds labels that are not integers or strings (e.g. "
            f"{next(v for v in index if not isinstance(v, (int, np.integer, str)))!r}).",
            field=name,
            fix="use integer or string labels.",
        )
    return {"kind": kind, "name": index.name, "values": values}


def _index_from_json(data: dict[str, Any]) -> pd.Index:
    dtype: Any = {"int": "int64", "float": "float64", "str": object, "mixed": object}[data["kind"]]
    return pd.Index(np.asarray(data["values"], dtype=dtype), name=data["name"])


# ============================================================================ the front door


def snap_points(
    network: RoadNetwork,
    points: PointsLike,
    *,
    mode: str,
    max_snap_m: float,
    on_far: Literal["raise", "exclude"],
    label: str,
) -> SnapResult:
    """Snap points for a matrix, raising on far points or flagging them for exclusion."""
    if on_far not in ("raise", "exclude"):
        raise InputError(
            f"on_far must be 'raise' or 'exclude', got {on_far!r}.",
            field="on_far",
            fix="'exclude' leaves far points out and lists them in AccessMatrix.excluded.",
        )
    snap = network.snap(
        points,
        mode=mode,
        max_distance_m=max_snap_m,
        on_far="raise" if on_far == "raise" else "ignore",
        label=label,
    )
    if snap.table.index.has_duplicates:
        dup = snap.table.index[snap.table.index.duplicated()][:5].to_list()
        raise InputError(
            f"{label} has duplicate index labels {dup}; rows and columns of the matrix are "
            "keyed by the input index.",
            file=label,
            fix="reset_index(drop=True) or give each point a unique label.",
        )
    far = int(snap.table["far"].sum())
    if far:
        logger.info(
            "%s: excluded %d of %d points beyond %g m of the %s network",
            label,
            far,
            len(snap.table),
            max_snap_m,
            mode,
        )
    return snap


def access_matrix(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float = 15.0,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    chunk_size: int | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> AccessMatrix:
    """Build the sparse travel-time matrix from demand points to sites, up to a cutoff.

    Both point sets are snapped to the mode's network; each snap distance becomes
    time at the mode's ``access_speed_kmh`` and is added to the network time
    (``time = access(demand) + network + access(site)``); pairs with
    ``time <= cutoff`` are stored, in seconds.

    Parameters
    ----------
    network
        The road network.
    demand, sites
        GeoDataFrames/GeoSeries of points (any CRS), or ``(n, 2)`` arrays of WGS84
        ``(lon, lat)``. Rows and columns are keyed by their indexes.
    mode
        The travel mode's name (it must be one of the network's modes).
    cutoff_min
        The largest travel time kept, in minutes (``> 0``).
    max_snap_m
        Points farther than this from the mode's network are off it.
    on_far
        ``"raise"`` a :class:`~planner.SnapError` naming off-network points, or
        ``"exclude"`` them: they get no row/column and are listed in
        :attr:`AccessMatrix.excluded`.
    chunk_size
        Sites per Dijkstra call (default: automatic, see :func:`node_access_matrix`).
    n_jobs
        Threads working on chunks (``-1``: one per core). The compiled kernel
        releases the GIL, so ``2`` or more run chunks in parallel with no start-up
        or copying cost; the default ``1`` leaves the other cores to the caller.
    scheduler
        A ``dask.distributed.Client`` or scheduler address: run the chunks there
        (same results).
    progress
        Show a progress bar.

    Returns
    -------
    AccessMatrix
        Times in seconds, demand × site.

    Raises
    ------
    InputError
        Empty demand or sites, a cutoff ``<= 0``, duplicate labels.
    SnapError
        Points beyond ``max_snap_m`` with ``on_far="raise"``.
    NetworkError
        A mode the network lacks.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
    >>> am = access_matrix(net, stops, stations, mode="ebike", cutoff_min=15)
    >>> am.shape == (len(stops), len(stations))
    True
    >>> bool((am.matrix.data <= 15 * 60).all())
    True
    """
    started = time.perf_counter()
    cutoff_s, d_snap, s_snap, d_table, s_table = _snapped(
        network,
        demand,
        sites,
        mode=mode,
        cutoff_min=cutoff_min,
        max_snap_m=max_snap_m,
        on_far=on_far,
    )
    matrix = node_access_matrix(
        network.csr(mode),
        d_table["node_index"].to_numpy(),
        s_table["node_index"].to_numpy(),
        cutoff_s=cutoff_s,
        demand_access_s=d_table["access_s"].to_numpy(),
        site_access_s=s_table["access_s"].to_numpy(),
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
    )
    metadata = {
        "network": network.source,
        "max_snap_m": float(max_snap_m),
        "access_speed_kmh": network.mode(mode).access_speed_kmh,
        "excluded_demand": int(d_snap.table["far"].sum()),
        "excluded_sites": int(s_snap.table["far"].sum()),
        "seconds": round(time.perf_counter() - started, 6),
        "rule": "access(demand) + network + access(site) <= cutoff",
    }
    return AccessMatrix(
        matrix,
        d_table.index,
        s_table.index,
        cutoff_s,
        mode,
        d_snap.table,
        s_snap.table,
        metadata,
    )


def _snapped(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float,
    max_snap_m: float,
    on_far: Literal["raise", "exclude"],
) -> tuple[float, SnapResult, SnapResult, pd.DataFrame, pd.DataFrame]:
    """Check the inputs and snap both point sets: cutoff, snaps, and the points kept."""
    network.mode(mode)  # NetworkError naming the modes it has
    cutoff_s = check_cutoff_s(cutoff_min * 60.0 if _is_number(cutoff_min) else cutoff_min)
    for label, points in (("demand", demand), ("sites", sites)):
        if _length(points) == 0:
            raise InputError(
                f"{label} is empty: there is nothing to compute.",
                field=label,
                fix=f"pass at least one {label[:-1] if label == 'sites' else label} point.",
            )
    d_snap = snap_points(
        network, demand, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="demand"
    )
    s_snap = snap_points(
        network, sites, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="sites"
    )
    d_table = d_snap.table[~d_snap.table["far"]]
    s_table = s_snap.table[~s_snap.table["far"]]
    for label, table, total in (
        ("demand", d_table, d_snap.table),
        ("sites", s_table, s_snap.table),
    ):
        if len(table) == 0:
            raise InputError(
                f"all {len(total)} {label} points lie beyond {max_snap_m:g} m of the {mode} "
                "network, so none is left.",
                field=label,
                fix="check their coordinates and CRS, or raise max_snap_m.",
            )
    return cutoff_s, d_snap, s_snap, d_table, s_table


def access_by_node(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float = 15.0,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
    chunk_size: int | None = None,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> NodeAccess:
    """Build the travel times from demand points to sites with one row per demand node.

    The same times as :func:`access_matrix`, bit for bit, held as a matrix over
    the distinct road nodes the demand points snap to plus each point's access
    leg (see :class:`NodeAccess`): memory grows with the network and the sites,
    not with the number of demand points. Use it for hundreds of thousands or
    millions of points; :meth:`NodeAccess.to_matrix` expands it per point.

    Parameters
    ----------
    network, demand, sites, mode, cutoff_min, max_snap_m, on_far
        As in :func:`access_matrix`.
    chunk_size, n_jobs, scheduler, progress
        As in :func:`access_matrix`.

    Returns
    -------
    NodeAccess
        Times in seconds; ``metadata`` holds ``snap_seconds`` and ``matrix_seconds``.

    Examples
    --------
    >>> from planner import datasets
    >>> net = datasets.demo_network()
    >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
    >>> na = access_by_node(net, stops, stations, mode="ebike", cutoff_min=15)
    >>> na.n_nodes < len(stops)
    True
    >>> am = access_matrix(net, stops, stations, mode="ebike", cutoff_min=15)
    >>> bool((na.to_matrix().matrix != am.matrix).nnz == 0)
    True
    """
    started = time.perf_counter()
    cutoff_s, d_snap, s_snap, d_table, s_table = _snapped(
        network,
        demand,
        sites,
        mode=mode,
        cutoff_min=cutoff_min,
        max_snap_m=max_snap_m,
        on_far=on_far,
    )
    snapped = time.perf_counter()
    nodes, row_of = np.unique(d_table["node_index"].to_numpy(), return_inverse=True)
    # the demand leg is added per point afterwards: the node rows keep every pair a
    # point with no access leg could use (fl(t + a) >= t for a >= 0)
    matrix = node_access_matrix(
        network.csr(mode),
        nodes,
        s_table["node_index"].to_numpy(),
        cutoff_s=cutoff_s,
        site_access_s=s_table["access_s"].to_numpy(),
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
    )
    done = time.perf_counter()
    metadata = {
        "network": network.source,
        "max_snap_m": float(max_snap_m),
        "access_speed_kmh": network.mode(mode).access_speed_kmh,
        "excluded_demand": int(d_snap.table["far"].sum()),
        "excluded_sites": int(s_snap.table["far"].sum()),
        "demand_nodes": len(nodes),
        "snap_seconds": round(snapped - started, 6),
        "matrix_seconds": round(done - snapped, 6),
        "seconds": round(done - started, 6),
        "rule": "(network + access(site)) per node, + access(demand) per point <= cutoff",
    }
    return NodeAccess(
        matrix,
        np.asarray(row_of, dtype=np.int64).ravel(),
        d_table["access_s"].to_numpy(dtype=np.float64),
        d_table.index,
        s_table.index,
        cutoff_s,
        mode,
        d_snap.table,
        s_snap.table,
        metadata,
    )


def nearest_sites(
    network: RoadNetwork,
    demand: PointsLike,
    sites: PointsLike,
    *,
    mode: str,
    cutoff_min: float | None = None,
    max_snap_m: float = 500.0,
    on_far: Literal["raise", "exclude"] = "raise",
) -> pd.DataFrame:
    """Return every demand point's nearest site over the network, with no matrix.

    One multi-source Dijkstra (see :func:`node_nearest`), with the time rule of
    :func:`access_matrix`: the answer for "where is the nearest station, however
    far?".

    Parameters
    ----------
    network
        The road network.
    demand, sites
        Points as in :func:`access_matrix`.
    mode
        The travel mode's name.
    cutoff_min
        Ignore sites farther than this (minutes); ``None``: no limit.
    max_snap_m, on_far
        As in :func:`access_matrix`; excluded demand points get no site.

    Returns
    -------
    pandas.DataFrame
        On the demand index: ``site`` (label, missing where none), ``time_s``
        (``NaN`` where none) and ``excluded`` (off the network).

    Examples
    --------
    >>> from planner import datasets
    >>> near = nearest_sites(datasets.demo_network(), datasets.demo_stops(),
    ...                      datasets.demo_stations(), mode="ebike")
    >>> bool(near["time_s"].notna().all())
    True
    """
    network.mode(mode)
    cutoff_s = None
    if cutoff_min is not None:
        cutoff_s = check_cutoff_s(cutoff_min * 60.0 if _is_number(cutoff_min) else cutoff_min)
    for label, points in (("demand", demand), ("sites", sites)):
        if _length(points) == 0:
            raise InputError(f"{label} is empty: there is nothing to compute.", field=label)
    d_snap = snap_points(
        network, demand, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="demand"
    ).table
    s_snap = snap_points(
        network, sites, mode=mode, max_snap_m=max_snap_m, on_far=on_far, label="sites"
    ).table
    d_ok = ~d_snap["far"].to_numpy()
    s_table = s_snap[~s_snap["far"]]
    column, times = node_nearest(
        network.csr(mode),
        d_snap["node_index"].to_numpy()[d_ok],
        s_table["node_index"].to_numpy(),
        cutoff_s=cutoff_s,
        demand_access_s=d_snap["access_s"].to_numpy()[d_ok],
        site_access_s=s_table["access_s"].to_numpy(),
    )
    site = pd.Series(pd.NA, index=d_snap.index, dtype=object)
    time_s = np.full(len(d_snap), np.nan)
    found = column >= 0
    positions = np.flatnonzero(d_ok)
    site.iloc[positions[found]] = s_table.index[column[found]].to_numpy(dtype=object)
    time_s[positions] = times
    return pd.DataFrame({"site": site, "time_s": time_s, "excluded": ~d_ok}, index=d_snap.index)


def _length(points: Any) -> int:
    try:
        return len(points)
    except TypeError:
        return int(np.asarray(points).size)
