"""Access by demand node: one matrix row per road node, however many points snap to it.

The time rule of :mod:`planner.access` splits into a part that depends on the
demand point's node only and the point's own access leg::

    time(i, j) = (network_s(node(i) -> node(j)) + access_s(j)) + access_s(i)

The compiled kernel adds exactly these numbers in exactly this order, so a
:class:`NodeAccess` stores the bracket once per demand node (``matrix``: demand
nodes × sites, seconds) and each point's ``access_s``; adding the two gives the
per-point matrix of :func:`planner.access.access_matrix` bit for bit
(:meth:`NodeAccess.to_matrix`). Memory grows with the network and the sites,
not with the number of demand points.

Why no coverage decision changes: rounded addition is monotone (``a <= b``
implies ``fl(x + a) <= fl(x + b)``), and so is the division by 60 that turns
seconds into minutes. Hence, at one node, the sites a point reaches within a
cutoff are the first ``k`` of the node's sites sorted by their node time, and
``k`` falls as the point's access time grows: the points of a node fall into
*bands* of access time between consecutive thresholds, and the points of one
band reach the same sites. The kernels below find a point's band by binary
search with the exact test (``fl(t + a) <= cutoff``, not an algebraic
rearrangement of it) and its nearest open site by the same scan, in the same
column order, as the per-point solvers do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner._access_matrix import excluded_points
from planner._errors import InputError

if TYPE_CHECKING:
    from planner._access_matrix import AccessMatrix

__all__ = ["NodeAccess"]


def _csr(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]
) -> sp.csr_array:
    """Return a CSR on its arrays as they are (no copy).

    scipy widens ``int32`` column indices to the ``int64`` of a row pointer (a copy
    of 8 bytes per entry: 1.4 GB at 1.8 x 10^8 entries); a row pointer that fits
    ``int32`` is narrowed instead (it has one number per row).
    """
    if indices.dtype == np.int32 and (indptr.size == 0 or indptr[-1] <= np.iinfo(np.int32).max):
        indptr = indptr.astype(np.int32)
    return sp.csr_array((data, indices, indptr), shape=shape, copy=False)


@numba.njit(cache=True, nogil=True)
def _nearest_kernel(indptr, indices, data, mask, row_of, access, cutoff_s, unit, col, best):  # type: ignore[no-untyped-def]
    """Per point: first flagged column of least ``fl(t + a) / unit``, ``fl(t + a) <= cutoff_s``.

    The flagged columns are scanned in the row's (sorted) column order, as a
    copy of the matrix restricted to them would be: no such copy is made.
    """
    for p in range(row_of.size):
        r = row_of[p]
        a = access[p]
        b = np.inf
        s = -1
        for k in range(indptr[r], indptr[r + 1]):
            if not mask[indices[k]]:
                continue
            t = data[k] + a
            if t <= cutoff_s:
                v = t / unit
                if v < b:
                    b = v
                    s = indices[k]
        col[p] = s
        best[p] = b


@numba.njit(cache=True, nogil=True)
def _ordered_kernel(indptr, indices, data, mask, out_ptr, out_idx, out_dat):  # type: ignore[no-untyped-def]
    """Each row's flagged entries sorted by time, then column (the row is sorted by column).

    ``out_ptr`` holds the counts' running sum already; a stable sort of the
    times keeps equal times in column order.
    """
    for r in range(indptr.size - 1):
        lo = indptr[r]
        n = out_ptr[r + 1] - out_ptr[r]
        if n == 0:
            continue
        cols = np.empty(n, dtype=out_idx.dtype)
        times = np.empty(n, dtype=np.float64)
        q = 0
        for k in range(lo, indptr[r + 1]):
            if mask[indices[k]]:
                cols[q] = indices[k]
                times[q] = data[k]
                q += 1
        order = np.argsort(times, kind="mergesort")
        start = out_ptr[r]
        for q in range(n):
            out_idx[start + q] = cols[order[q]]
            out_dat[start + q] = times[order[q]]


@numba.njit(cache=True, nogil=True)
def _row_counts(indptr, indices, mask, out):  # type: ignore[no-untyped-def]
    """Per row, how many of its entries lie in flagged columns."""
    for r in range(indptr.size - 1):
        c = 0
        for k in range(indptr[r], indptr[r + 1]):
            if mask[indices[k]]:
                c += 1
        out[r] = c


@numba.njit(cache=True, nogil=True)
def _point_rows_kernel(indptr, indices, data, rows, access, cutoff_s, out_ptr, out_idx, out_dat):  # type: ignore[no-untyped-def]
    """Fill the per-point rows ``fl(node time + access) <= cutoff_s`` (``out_ptr`` counted)."""
    for i in range(rows.size):
        r = rows[i]
        a = access[i]
        q = out_ptr[i]
        for k in range(indptr[r], indptr[r + 1]):
            t = data[k] + a
            if t <= cutoff_s:
                out_idx[q] = indices[k]
                out_dat[q] = t
                q += 1


@numba.njit(cache=True, nogil=True)
def _point_counts(indptr, data, rows, access, cutoff_s, out):  # type: ignore[no-untyped-def]
    """Per point, how many of its node's entries are within ``cutoff_s`` with its access leg."""
    for i in range(rows.size):
        r = rows[i]
        a = access[i]
        c = 0
        for k in range(indptr[r], indptr[r + 1]):
            if data[k] + a <= cutoff_s:
                c += 1
        out[i] = c


@numba.njit(cache=True, nogil=True)
def _band_kernel(indptr, data, row_of, access, cutoff_s, unit, limit, out):  # type: ignore[no-untyped-def]
    """Per point: how many of its row's entries (sorted by time) satisfy the exact test.

    The test ``t = fl(d + a) <= cutoff_s and fl(t / unit) <= limit`` is monotone
    in ``d``, so the entries passing it are a prefix: binary search finds its end.
    """
    for p in range(row_of.size):
        r = row_of[p]
        a = access[p]
        lo = indptr[r]
        hi = indptr[r + 1]
        start = lo
        while lo < hi:
            mid = (lo + hi) // 2
            t = data[mid] + a
            if t <= cutoff_s and t / unit <= limit:
                lo = mid + 1
            else:
                hi = mid
        out[p] = lo - start


@dataclass(frozen=True, eq=False)
class NodeAccess:
    """Network travel times from demand points to sites, held once per demand node.

    **Times are in seconds.** Row ``r`` of ``matrix`` holds, for the ``r``-th
    distinct demand node, ``network_s + access_s(site)`` to every site within
    ``cutoff_s`` (before the demand point's own access leg); point ``i`` (label
    ``demand_index[i]``) uses row ``row_of[i]`` and adds ``access_s[i]``. Pairs
    whose total exceeds ``cutoff_s`` do not count. :meth:`to_matrix` expands the
    rows to the per-point :class:`~planner.access.AccessMatrix`, equal bit for bit
    to :func:`~planner.access.access_matrix`.

    Parameters
    ----------
    matrix
        ``scipy.sparse.csr_array`` of ``float64`` seconds, demand nodes × sites,
        sorted indices, explicit zeros kept.
    row_of
        Per demand point (in ``demand_index`` order), its row of ``matrix``.
    access_s
        Per demand point, its off-network access time in seconds.
    demand_index, site_index
        Labels of the demand points and of the sites (columns), less excluded points.
    cutoff_s
        The cutoff in seconds.
    mode
        The travel mode's name.
    demand_snap, site_snap
        Snap tables of *all* input points (see :class:`~planner.access.AccessMatrix`).
    metadata
        JSON-compatible facts: network source, snap limit, timings, counts.
    """

    matrix: sp.csr_array
    row_of: np.ndarray
    access_s: np.ndarray
    demand_index: pd.Index
    site_index: pd.Index
    cutoff_s: float
    mode: str
    demand_snap: pd.DataFrame
    site_snap: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check that the labels fit the matrix and the points."""
        n = len(self.demand_index)
        if len(self.row_of) != n or len(self.access_s) != n:
            raise InputError(
                f"{n} demand labels but {len(self.row_of)} rows and {len(self.access_s)} "
                "access times.",
                field="row_of",
            )
        if self.matrix.shape[1] != len(self.site_index):
            raise InputError(
                f"matrix has {self.matrix.shape[1]} columns but {len(self.site_index)} sites.",
                field="matrix",
            )
        if n and (self.row_of.min() < 0 or self.row_of.max() >= self.matrix.shape[0]):
            raise InputError("row_of points outside the matrix.", field="row_of")

    def __repr__(self) -> str:
        return (
            f"NodeAccess({self.shape[0]:,} demand points at {self.n_nodes:,} nodes × "
            f"{self.shape[1]:,} sites, {self.nnz:,} node pairs within "
            f"{self.cutoff_s / 60:g} min by {self.mode})"
        )

    @property
    def shape(self) -> tuple[int, int]:
        """``(demand points, sites)``, as the per-point matrix would have."""
        return (len(self.demand_index), len(self.site_index))

    @property
    def n_nodes(self) -> int:
        """The number of distinct demand nodes (rows of ``matrix``)."""
        return int(self.matrix.shape[0])

    @property
    def nnz(self) -> int:
        """Stored node pairs (explicit zeros included)."""
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
        return excluded_points(self.demand_snap, self.site_snap)

    def site_mask(self, sites: Any) -> np.ndarray:
        """Return a boolean mask over the columns from site labels (or a mask).

        Parameters
        ----------
        sites
            Site labels, or one flag per site; ``None``: every site.

        Returns
        -------
        numpy.ndarray
            One flag per column.
        """
        if sites is None:
            return np.ones(len(self.site_index), dtype=bool)
        arr = np.asarray(sites)
        if arr.dtype == bool and arr.size == len(self.site_index):
            return arr.astype(bool, copy=True)
        return np.asarray(self.site_index.isin(pd.Index(list(np.ravel(arr)))), dtype=bool)

    def _ordered(self, mask: np.ndarray) -> sp.csr_array:
        """Return the rows over the flagged columns, each row's entries sorted by time, then column.

        One compiled pass per row (no array as long as the entries but the result).
        """
        m = self.matrix
        counts = np.zeros(m.shape[0], dtype=np.int64)
        _row_counts(m.indptr, m.indices, mask, counts)
        indptr = np.zeros(m.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=m.indices.dtype)
        data = np.empty(int(indptr[-1]), dtype=np.float64)
        _ordered_kernel(m.indptr, m.indices, m.data, mask, indptr, indices, data)
        return _csr(data, indices, indptr, m.shape)

    def nearest(self, sites: Any = None, *, unit_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Return each point's nearest site among ``sites`` within the cutoff.

        The rule of the per-point solvers: among the pairs within ``cutoff_s``,
        the smallest time in the unit (``fl(time_s / unit_s)``), the first column
        on ties.

        Parameters
        ----------
        sites
            Site labels (or a mask) to look at; ``None``: all.
        unit_s
            Seconds per unit of the times returned (``60.0``: minutes, as the
            siting models compare them).

        Returns
        -------
        column, time
            Per point (``demand_index`` order): the column (``-1`` where none is
            within the cutoff) and the time in the unit (``inf`` where none).

        Examples
        --------
        >>> import numpy as np, pandas as pd, scipy.sparse as sp
        >>> m = sp.csr_array(([100.0, 50.0], [0, 1], [0, 2]), shape=(1, 2))
        >>> na = NodeAccess(m, np.array([0, 0]), np.array([0.0, 60.0]), pd.Index(["a", "b"]),
        ...                 pd.Index(["s1", "s2"]), 120.0, "ebike", pd.DataFrame(), pd.DataFrame())
        >>> col, t = na.nearest(["s1"])
        >>> col.tolist(), t.tolist()
        ([0, -1], [100.0, inf])
        """
        m = self.matrix
        col = np.full(len(self.row_of), -1, dtype=np.int64)
        best = np.full(len(self.row_of), np.inf)
        if len(self.row_of):
            _nearest_kernel(
                m.indptr,
                m.indices,
                m.data,
                self.site_mask(sites),
                np.ascontiguousarray(self.row_of, dtype=np.int64),
                np.ascontiguousarray(self.access_s, dtype=np.float64),
                float(self.cutoff_s),
                float(unit_s),
                col,
                best,
            )
        return col, best

    def bands(
        self,
        sites: Any = None,
        *,
        points: np.ndarray | None = None,
        unit_s: float = 1.0,
        limit: float | None = None,
    ) -> tuple[sp.csr_array, np.ndarray]:
        """Return each point's band: how many of its node's sites it reaches, nearest first.

        Parameters
        ----------
        sites
            Site labels (or a mask) to look at; ``None``: all.
        points
            Positions of the points to band (default: all).
        unit_s
            Seconds per unit of the second test, ``fl(time_s / unit_s) <= limit``.
        limit
            The cutoff in that unit (default ``cutoff_s / unit_s``); a siting
            model given ``cutoff=15`` minutes compares with 15 exactly.

        Returns
        -------
        ordered, k
            The node rows over those sites with each row's entries sorted by time
            (then column), and per point ``k``: the point reaches exactly the first
            ``k`` entries of its row (within ``cutoff_s`` and the cutoff in the unit).
        """
        ordered = self._ordered(self.site_mask(sites))
        pos = np.arange(len(self.row_of)) if points is None else np.asarray(points, np.int64)
        k = np.zeros(pos.size, dtype=np.int64)
        if pos.size:
            _band_kernel(
                ordered.indptr,
                ordered.data,
                np.ascontiguousarray(self.row_of[pos], dtype=np.int64),
                np.ascontiguousarray(self.access_s[pos], dtype=np.float64),
                float(self.cutoff_s),
                float(unit_s),
                float(self.cutoff_s / unit_s if limit is None else limit),
                k,
            )
        return ordered, k

    def point_rows(self, points: np.ndarray | None = None) -> sp.csr_array:
        """Return the per-point rows (seconds, pairs within the cutoff) of some points.

        Parameters
        ----------
        points
            Positions of the points (default: all; the matrix then has one row per
            point, so use it for small sets).

        Returns
        -------
        scipy.sparse.csr_array
            ``len(points)`` × sites, ``fl(node time + access_s)``, sorted indices,
            explicit zeros kept.
        """
        m = self.matrix
        pos = np.arange(len(self.row_of)) if points is None else np.asarray(points, np.int64)
        rows = np.ascontiguousarray(self.row_of[pos], dtype=np.int64)
        access = np.ascontiguousarray(self.access_s[pos], dtype=np.float64)
        # two compiled passes (count, fill): no index array as long as the node entries
        counts = np.zeros(pos.size, dtype=np.int64)
        _point_counts(m.indptr, m.data, rows, access, float(self.cutoff_s), counts)
        indptr = np.zeros(pos.size + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=m.indices.dtype)
        data = np.empty(int(indptr[-1]), dtype=np.float64)
        _point_rows_kernel(
            m.indptr, m.indices, m.data, rows, access, float(self.cutoff_s), indptr, indices, data
        )
        return _csr(data, indices, indptr, (pos.size, m.shape[1]))

    def to_matrix(self) -> AccessMatrix:
        """Expand to the per-point :class:`~planner.access.AccessMatrix` (one row per point).

        Equal, bit for bit, to :func:`~planner.access.access_matrix` on the same
        inputs; its memory grows with the points (use it for small sets).

        Returns
        -------
        AccessMatrix
            Demand points × sites, seconds.
        """
        from planner._access_matrix import AccessMatrix

        return AccessMatrix(
            self.point_rows(),
            self.demand_index,
            self.site_index,
            self.cutoff_s,
            self.mode,
            self.demand_snap,
            self.site_snap,
            dict(self.metadata),
        )
