"""The demand rows of a worker-station model: points grouped by the sites they reach.

A siting model only needs, for each demand point, the set of sites within the
cutoff and the point's weight; points with the same set are one row with their
weights summed (:class:`~planner.locate.MCLP` merges them so itself). This module
forms those rows from a :class:`~planner.access.NodeAccess` without ever
building a row per point:

* points an existing station covers form one row (the model counts them as
  covered whatever it builds);
* every other point reaches the first ``k`` sites of its node's candidates,
  nearest first (its *band*, see :mod:`planner._node_access`); points with the
  same node and band, then those of different nodes reaching the same sites,
  are one row, weights summed in the points' order, exactly as the model sums
  them;
* points no site reaches form one row.

Each row carries the real times of its first point, so the model sees the same
merged problem as with one row per point: same plan, same figures. The tests
compare every table with the per-point path's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner.access import NodeAccess
from planner.locate.solvers import csr_of, row_groups

__all__ = ["SECONDS_PER_MINUTE", "ModelRows", "model_rows"]

SECONDS_PER_MINUTE = 60.0  # the models' unit: minutes (planner.presets.minutes)


@dataclass(frozen=True)
class ModelRows:
    """Demand rows for a siting model, and how the points map onto them.

    Attributes
    ----------
    matrix
        Rows × sites, travel times in minutes (pairs within the access cutoff).
    weights
        Summed demand weight per row.
    labels
        Row labels: ``"covered"``, ``"group/0"``, ``"group/1"``, ..., ``"unreached"``.
    row_of
        Per demand point (the access's ``demand_index`` order), its row.
    covered_before
        Per demand point, whether an existing station is within the cutoff.
    """

    matrix: sp.csr_array
    weights: np.ndarray
    labels: pd.Index
    row_of: np.ndarray
    covered_before: np.ndarray


def model_rows(
    access: NodeAccess, weights: np.ndarray, existing: np.ndarray, cutoff_min: float
) -> ModelRows:
    """Group the demand points into the rows of a coverage model (see the module docs).

    Parameters
    ----------
    access
        Travel times by demand node (seconds).
    weights
        Per demand point (``access.demand_index`` order), its weight.
    existing
        Per site (column), whether it is an existing station.
    cutoff_min
        The coverage cutoff in minutes, as the model is given it.

    Returns
    -------
    ModelRows
        The rows, their weights and the points' rows.
    """
    n = len(access.row_of)
    weights = np.asarray(weights, dtype=np.float64)
    _, t_existing = access.nearest(existing, unit_s=SECONDS_PER_MINUTE)
    covered = t_existing <= cutoff_min
    uncovered = np.flatnonzero(~covered)
    ordered, k = access.bands(
        ~np.asarray(existing, dtype=bool),
        points=uncovered,
        unit_s=SECONDS_PER_MINUTE,
        limit=cutoff_min,
    )
    banded = uncovered[k > 0]
    unreached = uncovered[k == 0]
    k = k[k > 0]
    # points of one node and band reach the same sites: one pattern per (node, band)
    span = int(k.max()) + 1 if k.size else 1
    keys, inverse = np.unique(access.row_of[banded] * span + k, return_inverse=True)
    pattern = _prefix_patterns(ordered, keys // span, keys % span)
    del ordered
    # patterns of different nodes can be equal: numbered as the model merges them
    merged = row_groups(pattern, by_values=False)[1] if pattern.shape[0] else np.zeros(0, np.int64)
    del pattern
    group = merged[np.ravel(inverse)] if banded.size else np.zeros(0, dtype=np.int64)
    n_groups = int(merged.max()) + 1 if merged.size else 0
    group_weight = np.bincount(group, weights=weights[banded], minlength=n_groups)
    _, first = np.unique(group, return_index=True)

    reps: list[np.ndarray] = []
    row_weights: list[np.ndarray] = []
    labels: list[str] = []
    row_of = np.zeros(n, dtype=np.int64)
    if covered.any():
        row_of[covered] = len(labels)
        reps.append(np.flatnonzero(covered)[:1])
        row_weights.append(np.array([weights[covered].sum()]))
        labels.append("covered")
    row_of[banded] = len(labels) + group
    reps.append(banded[first])
    row_weights.append(group_weight)
    labels.extend(f"group/{g}" for g in range(n_groups))
    if unreached.size:
        row_of[unreached] = len(labels)
        reps.append(unreached[:1])
        row_weights.append(np.array([weights[unreached].sum()]))
        labels.append("unreached")
    matrix = access.point_rows(np.concatenate(reps) if reps else np.zeros(0, np.int64))
    # seconds to minutes in place: the numbers of presets.minutes (seconds / 60.0), no
    # second array as long as the entries (10^8 at city scale)
    np.divide(matrix.data, SECONDS_PER_MINUTE, out=matrix.data)
    return ModelRows(
        matrix=matrix,
        weights=np.concatenate(row_weights) if row_weights else np.zeros(0),
        labels=pd.Index(labels, name="demand_row"),
        row_of=row_of,
        covered_before=covered,
    )


@numba.njit(cache=True, nogil=True)
def _prefix_kernel(ordered_ptr, ordered_idx, rows, indptr, out):  # type: ignore[no-untyped-def]
    """Copy the first entries of each row (``indptr`` counted) and sort each copy's columns."""
    for i in range(rows.size):
        start = ordered_ptr[rows[i]]
        lo = indptr[i]
        hi = indptr[i + 1]
        for q in range(hi - lo):
            out[lo + q] = ordered_idx[start + q]
        out[lo:hi] = np.sort(out[lo:hi])


def _prefix_patterns(ordered: sp.csr_array, rows: np.ndarray, k: np.ndarray) -> sp.csr_array:
    """0/1 rows: the first ``k[i]`` entries of row ``rows[i]`` of ``ordered``, columns sorted."""
    indptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(k.astype(np.int64), out=indptr[1:])
    cols = np.empty(int(indptr[-1]), dtype=ordered.indices.dtype)
    _prefix_kernel(
        ordered.indptr,
        ordered.indices,
        np.ascontiguousarray(rows, dtype=np.int64),
        indptr,
        cols,
    )
    return csr_of(np.ones(cols.size, dtype=np.int8), cols, indptr, (rows.size, ordered.shape[1]))
