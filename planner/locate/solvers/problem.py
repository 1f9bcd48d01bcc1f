# ruff: noqa: N803  (matrix names A, B, BT follow the maths)
"""The benefit problem and the sparse-row helpers every solver shares.

A :class:`BenefitProblem` is ``max F(S) = sum_i w_i max(base_i, max_{j in S} B_ij)``
over candidate columns; coverage, distance decay and p-median all reduce to it
(see :mod:`planner.locate.solvers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.locate import _kernels

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

EXACT_NNZ_LIMIT = 3_000_000
"""``solver="auto"`` uses HiGHS when the reduced model has at most this many non-zeros."""

LP_BOUND_NNZ_LIMIT = 1_500_000
"""The fast solver adds the LP relaxation bound when the model is at most this large."""


def csr_of(
    data: NDArray[np.generic],
    indices: NDArray[np.integer],
    indptr: NDArray[np.integer],
    shape: tuple[int, int],
) -> sp.csr_array:
    """Return a CSR on its arrays as they are (no copy of the entries).

    scipy widens ``int32`` column indices to the ``int64`` of a row pointer, a
    copy of 8 bytes per entry (1.4 GB at 1.8 x 10^8 entries); a row pointer that
    fits ``int32`` is narrowed instead (one number per row).

    Parameters
    ----------
    data, indices, indptr
        The CSR arrays.
    shape
        Rows × columns.

    Returns
    -------
    scipy.sparse.csr_array
        The matrix, sharing ``data`` and ``indices``.
    """
    if indices.dtype == np.int32 and (indptr.size == 0 or indptr[-1] <= np.iinfo(np.int32).max):
        indptr = indptr.astype(np.int32)
    return sp.csr_array((data, indices, indptr), shape=shape, copy=False)


def coverage_pattern(matrix: sp.csr_array) -> sp.csr_array:
    """Return the 0/1 pattern of a CSR as a coverage problem holds it: ``int8`` ones.

    A coverage problem's entries are all 1, so a byte each is enough (eight
    times less than ``float64``): at city scale (10^8 entries) this is the
    difference between one and two gigabytes per copy. Every solver reads the
    ones as numbers (numpy and the compiled kernels widen them exactly), so the
    plans and figures are those of the ``float64`` pattern. The index arrays are
    shared with ``matrix`` (no copy).

    Parameters
    ----------
    matrix
        CSR with sorted indices.

    Returns
    -------
    scipy.sparse.csr_array
        Same shape and pattern, ``int8`` ones.
    """
    ones = np.ones(matrix.nnz, dtype=np.int8)
    return sp.csr_array((ones, matrix.indices, matrix.indptr), shape=matrix.shape, copy=False)


def row_positions(indptr: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """Positions of the stored entries of ``rows`` in a CSR, and their local row number.

    Parameters
    ----------
    indptr
        CSR row pointer.
    rows
        Row numbers.

    Returns
    -------
    positions, local
        Entry positions into ``indices``/``data`` and, for each, the position of
        its row in ``rows``.
    """
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    total = int(lengths.sum())
    local = np.repeat(np.arange(rows.size), lengths)
    offsets = np.cumsum(lengths) - lengths
    positions = np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)
    return positions, local


def row_groups(
    matrix: sp.csr_array, *, by_values: bool, extra: FloatArray | None = None
) -> tuple[IntArray, IntArray]:
    """Return the distinct rows (pattern, values, ``extra``) numbered as :func:`merge_rows` does.

    Parameters
    ----------
    matrix, by_values, extra
        As in :func:`merge_rows`.

    Returns
    -------
    first, group
        The first row of every group (groups in the order of their hash keys),
        and for each row its group.
    """
    n_rows = matrix.shape[0]
    rng = np.random.default_rng(12345)
    lengths = np.diff(matrix.indptr)
    keys = [lengths.astype(np.uint64)]
    for _ in range(2):
        mult = rng.integers(1, 2**63, size=matrix.shape[1], dtype=np.uint64) | np.uint64(1)
        h = np.zeros(n_rows, dtype=np.uint64)
        if by_values:
            vals = mult[matrix.indices]
            bits = np.ascontiguousarray(matrix.data, dtype=np.float64).view(np.uint64)
            salt = np.uint64(rng.integers(1, 2**63))
            vals = vals * ((bits ^ salt) | np.uint64(1)) + (bits >> np.uint64(17))
            nonempty = np.flatnonzero(lengths > 0)
            if nonempty.size:
                h[nonempty] = np.add.reduceat(vals, matrix.indptr[nonempty])
        else:  # the same sums (mod 2**64) in one pass, with no array as long as the entries
            _kernels.pattern_hash(matrix.indptr, matrix.indices, mult, h)
        keys.append(h)
    if extra is not None:
        keys.append(np.ascontiguousarray(extra, dtype=np.float64).view(np.uint64))
    stacked = np.stack(keys, axis=1)
    _, first, group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    return np.asarray(first, dtype=np.int64), group.ravel().astype(np.int64)


def merge_rows(
    matrix: sp.csr_array, weights: FloatArray, *, by_values: bool, extra: FloatArray | None = None
) -> tuple[sp.csr_array, FloatArray, IntArray]:
    """Merge rows with the same pattern (and values, and ``extra``), summing weights.

    Rows are compared by a 128-bit hash of their column sets (and values), so
    the work is linear in the non-zeros (see :func:`row_groups`).

    Parameters
    ----------
    matrix
        CSR matrix with sorted indices.
    weights
        Row weights.
    by_values
        Compare the stored values as well as the pattern.
    extra
        One more number per row that must match (e.g. the base value).

    Returns
    -------
    merged, merged_weights, group
        The merged matrix, the summed weights, and for each input row its merged row.
    """
    if matrix.shape[0] == 0:
        return matrix, weights, np.zeros(0, dtype=np.int64)
    first, group = row_groups(matrix, by_values=by_values, extra=extra)
    merged_w = np.bincount(group, weights=weights, minlength=first.size).astype(np.float64)
    merged = matrix[first]
    if not isinstance(merged, sp.csr_array):  # pragma: no cover - scipy returns csr
        merged = sp.csr_array(merged)
    return merged, merged_w, group


@dataclass
class BenefitProblem:
    """``max F(S) = sum_i w_i max(base_i, max_{j in S} B_ij)`` over candidate columns.

    Parameters
    ----------
    B
        CSR, rows × candidate columns; only entries with ``B_ij > base_i`` are kept.
        A coverage problem holds its 0/1 pattern as ``int8`` ones
        (:func:`coverage_pattern`).
    w
        Row weights (> 0).
    base
        Row value with no new site (what existing sites already give).
    cost
        Column costs (for budgets) or None.
    """

    B: sp.csr_array
    w: FloatArray
    base: FloatArray
    cost: FloatArray | None = None
    _BT: sp.csr_array | None = field(default=None, repr=False)

    @property
    def BT(self) -> sp.csr_array:  # noqa: N802 - matrix name
        """Transpose (columns → rows) as CSR, computed once (same dtypes as ``B``)."""
        if self._BT is None:
            self._BT = sp.csr_array(self.B.T.tocsr())
        return self._BT

    def drop_transpose(self) -> None:
        """Free the transpose (rebuilt on the next use of :attr:`BT`)."""
        self._BT = None

    @property
    def n_cols(self) -> int:
        """Number of candidate columns."""
        return int(self.B.shape[1])

    def value(self, selected: NDArray[np.bool_]) -> float:
        """Objective ``F`` (without constants) of a set of columns.

        Parameters
        ----------
        selected
            One flag per column.

        Returns
        -------
        float
            ``sum_i w_i max(base_i, max_{j in S} B_ij)``.
        """
        best = self.row_best(selected)[0]
        return float(np.dot(self.w, best))

    def row_best(self, selected: NDArray[np.bool_]) -> tuple[FloatArray, IntArray]:
        """Best value per row and the column giving it (-1 = base).

        Parameters
        ----------
        selected
            One flag per column.

        Returns
        -------
        best, arg
            Per-row best value and its column.
        """
        # one compiled pass: no array as long as the entries (the rule of _top2)
        n = self.B.shape[0]
        best = np.empty(n, dtype=np.float64)
        arg = np.empty(n, dtype=np.int64)
        _kernels.row_best(
            self.B.indptr,
            self.B.indices,
            self.B.data,
            np.asarray(selected, dtype=np.bool_),
            np.asarray(self.base, dtype=np.float64),
            best,
            arg,
        )
        return best, arg


def _top2(
    B: sp.csr_array, rows: IntArray, selected: NDArray[np.bool_], base: FloatArray
) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
    """Best and second-best (value, column) over selected columns for ``rows``."""
    if rows.size == 0:
        empty_f, empty_i = np.zeros(0), np.zeros(0, dtype=np.int64)
        return empty_f, empty_i, empty_f.copy(), empty_i.copy()
    pos, local = row_positions(B.indptr, rows)
    cols = B.indices[pos]
    keep = selected[cols]
    pos, local, cols = pos[keep], local[keep], cols[keep]
    vals = B.data[pos]
    n = rows.size
    # append the base as a pseudo-entry of every row (column -1)
    all_local = np.concatenate([local, np.arange(n)])
    all_vals = np.concatenate([vals, base[rows]])
    all_cols = np.concatenate([cols.astype(np.int64), np.full(n, -1, dtype=np.int64)])
    order = np.lexsort((all_cols == -1, -all_vals, all_local))
    sl = all_local[order]
    starts = np.flatnonzero(np.r_[True, sl[1:] != sl[:-1]])
    b1 = all_vals[order][starts]
    c1 = all_cols[order][starts]
    counts = np.diff(np.r_[starts, sl.size])
    has2 = counts >= 2
    b2 = b1.copy()
    c2 = np.full(n, -1, dtype=np.int64)
    b2[has2] = all_vals[order][starts[has2] + 1]
    c2[has2] = all_cols[order][starts[has2] + 1]
    return b1, c1, b2, c2


def restrict_columns(prob: BenefitProblem, cols: IntArray) -> BenefitProblem:
    """Coverage problem on a subset of columns, rows re-merged (same values for same plans).

    Parameters
    ----------
    prob
        Coverage problem (0/1, base 0).
    cols
        Columns to keep (their order gives the new numbering).

    Returns
    -------
    BenefitProblem
        The restricted problem.
    """
    sub = sp.csr_array(prob.B[:, np.asarray(cols, dtype=np.int64)])
    keep = np.flatnonzero(np.diff(sub.indptr) > 0)
    if keep.size < sub.shape[0]:
        sub = sp.csr_array(sub[keep])  # the copy before it is freed here
    merged, mw, _ = merge_rows(sub, prob.w[keep], by_values=False)
    del sub
    cost = prob.cost[cols] if prob.cost is not None else None
    return BenefitProblem(coverage_pattern(merged), mw, np.zeros(merged.shape[0]), cost)


def all_integral(w: FloatArray) -> bool:
    """Return whether every weight is a whole number (then so is every plan's value).

    Parameters
    ----------
    w
        Row weights.

    Returns
    -------
    bool
        True when all of ``w`` is integral.
    """
    return bool(np.all(w == np.round(w)))
