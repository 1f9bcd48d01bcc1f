"""Inputs and results shared by every siting model.

A model takes a sparse **access matrix**: demand points × candidate sites holding
travel times in **minutes** (any unit works as long as ``cutoff`` and the other
time arguments use the same one). A *stored* entry means "this site is reachable
from this demand point in that time"; an entry that is not stored means "not
reachable". Stored zeros are real: a demand point located *at* a site has time 0
and is reachable. scipy drops explicit zeros in many operations, so the models
never rely on the values to find the pattern: they keep the CSR structure
(``indptr`` / ``indices``) as given and read the times alongside it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner._errors import InfeasibleError, InputError, Problem

SolverName = Literal["auto", "exact", "fast"]
"""The ``solver=`` keyword shared by every model."""

STATUSES = ("optimal", "time_limit", "feasible", "gap_limit")
"""Statuses a result can carry (see :class:`LocateResult`)."""


@runtime_checkable
class MatrixLike(Protocol):
    """Anything exposing a sparse matrix and its labels, such as an ``AccessMatrix``."""

    matrix: Any
    demand_index: Any
    site_index: Any


MatrixInput: TypeAlias = MatrixLike | sp.sparray | sp.spmatrix | ArrayLike
"""What ``from_matrix`` takes: a scipy sparse matrix, a dense array (``inf`` / ``nan``:
not reachable) or a :class:`MatrixLike` (e.g. an ``AccessMatrix``)."""


@dataclass(frozen=True)
class AccessData:
    """A validated demand × site travel-time matrix with its labels (internal).

    Parameters
    ----------
    times
        CSR matrix, float64, sorted indices, no duplicates; stored entries are
        reachable pairs (zeros included).
    demand_index, site_index
        Labels of the rows and columns.
    """

    times: sp.csr_array
    demand_index: pd.Index
    site_index: pd.Index

    @property
    def n_demand(self) -> int:
        """Number of demand points."""
        return int(self.times.shape[0])

    @property
    def n_sites(self) -> int:
        """Number of candidate and existing sites."""
        return int(self.times.shape[1])

    def within(self, cutoff: float) -> sp.csr_array:
        """Boolean reachability within ``cutoff`` (stored zeros count), as CSR.

        Parameters
        ----------
        cutoff
            Largest travel time that counts, inclusive.

        Returns
        -------
        scipy.sparse.csr_array
            Demand × site matrix whose stored entries are the pairs within the
            cutoff, all ones (``int8``).
        """
        return filter_entries(self.times, self.times.data <= cutoff, value=1)


def filter_entries(
    matrix: sp.csr_array, keep: NDArray[np.bool_], *, value: float | None = None
) -> sp.csr_array:
    """Keep the stored entries flagged in ``keep`` without dropping stored zeros.

    Parameters
    ----------
    matrix
        CSR matrix with canonical structure.
    keep
        One flag per stored entry.
    value
        If given, every kept entry takes this value (int8 when 1).

    Returns
    -------
    scipy.sparse.csr_array
        The filtered matrix, same shape.
    """
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    counts = np.bincount(rows[keep], minlength=matrix.shape[0])
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = matrix.indices[keep]
    if value is None:
        data = matrix.data[keep]
    else:
        data = np.full(indices.size, value, dtype=np.int8 if value == 1 else np.float64)
    return sp.csr_array((data, indices, indptr), shape=matrix.shape)


def as_index(labels: ArrayLike | pd.Index | None, n: int, name: str, *, rows: bool) -> pd.Index:
    """Validate row (``rows=True``) or column labels: ``n`` unique labels, ``0..n-1`` if None.

    Parameters
    ----------
    labels
        The labels given, or None.
    n
        Number of rows or columns.
    name
        Argument name, for messages.
    rows
        The labels name matrix rows (else columns).

    Returns
    -------
    pandas.Index
        The labels.
    """
    if labels is None:
        return pd.RangeIndex(n, name=name)
    index = pd.Index(labels)  # type: ignore[arg-type]
    if len(index) != n:
        raise InputError(
            f"`{name}` has {len(index)} labels but the matrix has {n} "
            f"{'rows' if rows else 'columns'}.",
            field=name,
            fix="pass one label per matrix row (demand) or column (site).",
        )
    if not index.is_unique:
        dup = index[index.duplicated()][:5].tolist()
        raise InputError(
            f"`{name}` labels must be unique; repeated: {dup}.",
            field=name,
            fix="give every demand point and site its own label.",
        )
    return index


def access_data(
    matrix: MatrixInput,
    *,
    demand_index: ArrayLike | pd.Index | None = None,
    site_index: ArrayLike | pd.Index | None = None,
) -> AccessData:
    """Validate and normalise an access matrix (internal).

    Parameters
    ----------
    matrix
        A scipy sparse matrix or array (any format), a dense array where
        ``inf`` / ``nan`` mean "not reachable", or an object exposing
        ``.matrix``, ``.demand_index`` and ``.site_index``. A planner
        :class:`~planner.access.AccessMatrix` (seconds, with ``cutoff_s``) is
        converted to minutes. A ``float64`` CSR in canonical form (sorted
        indices, no duplicates) is kept as it is, not copied: do not change it
        while the model is in use.
    demand_index, site_index
        Labels; default to the object's labels or to ``0..n-1``.

    Returns
    -------
    AccessData
        The normalised matrix and labels.
    """
    per_minute = 1.0
    if isinstance(matrix, MatrixLike) and not sp.issparse(matrix):
        demand_index = matrix.demand_index if demand_index is None else demand_index
        site_index = matrix.site_index if site_index is None else site_index
        # planner's AccessMatrix stores seconds (it has `cutoff_s`); models work in minutes
        if getattr(matrix, "cutoff_s", None) is not None:
            per_minute = 60.0
        matrix = matrix.matrix
    if sp.issparse(matrix):
        # a float64 CSR in canonical form is used as it is (no copy of a matrix of 10^8
        # entries); the model never writes to it, and neither may the caller afterwards
        csr = sp.csr_array(matrix, dtype=np.float64, copy=False)
        if per_minute != 1.0 or not csr.has_canonical_format:
            csr = csr.copy()
        if per_minute != 1.0:
            csr.data /= per_minute
        if not csr.has_canonical_format:
            csr.sum_duplicates()  # sorts; keeps stored zeros
    else:
        dense = np.asarray(matrix, dtype=np.float64)
        if dense.ndim != 2:
            raise InputError(
                f"the access matrix must be 2-D (demand × site); got {dense.ndim}-D.",
                field="matrix",
                fix="pass a demand × site scipy.sparse matrix of travel times.",
            )
        mask = np.isfinite(dense)
        rows, cols = np.nonzero(mask)
        csr = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape, dtype=np.float64)
        csr.sum_duplicates()
    n_demand, n_sites = csr.shape
    if n_demand == 0 or n_sites == 0:
        raise InputError(
            f"the access matrix is empty ({n_demand} demand points × {n_sites} sites).",
            field="matrix",
            fix="pass at least one demand point and one site.",
        )
    data = csr.data
    bad = ~np.isfinite(data) | (data < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(csr.indptr, first, side="right") - 1)
        raise InputError(
            f"the access matrix holds {int(bad.sum())} negative or non-finite travel "
            f"times (first: {data[first]} at demand row {row + 1}).",
            row=row + 1,
            field="matrix",
            fix="store only reachable pairs, with times >= 0; leave unreachable pairs out.",
        )
    csr.indptr = csr.indptr.astype(np.int64, copy=False)
    csr.indices = csr.indices.astype(np.int32, copy=False) if n_sites < 2**31 else csr.indices
    return AccessData(
        times=csr,
        demand_index=as_index(demand_index, n_demand, "demand_index", rows=True),
        site_index=as_index(site_index, n_sites, "site_index", rows=False),
    )


def model_inputs(
    matrix: MatrixInput,
    *,
    weights: ArrayLike | pd.Series | None,
    existing: Sequence[Hashable] | ArrayLike | None,
    p: int | None = None,
    demand_index: ArrayLike | pd.Index | None = None,
    site_index: ArrayLike | pd.Index | None = None,
    weights_name: str = "weights",
) -> tuple[AccessData, NDArray[np.float64], NDArray[np.bool_]]:
    """Validate what every model's ``from_matrix`` takes: matrix, weights, existing, p (internal).

    Parameters
    ----------
    matrix, demand_index, site_index
        As in :func:`access_data`.
    weights
        Demand weights (see :func:`demand_weights`).
    existing
        Existing site labels (see :func:`site_mask`).
    p
        Number of new sites, checked against the candidates when given.
    weights_name
        Name of the weights argument, for messages.

    Returns
    -------
    data, weights, existing
        The normalised matrix, the weights in row order and the existing-site mask.
    """
    data = access_data(matrix, demand_index=demand_index, site_index=site_index)
    w = demand_weights(weights, data.demand_index, weights_name)
    ex = site_mask(existing, data.site_index, "existing")
    if p is not None:
        check_p(p, int((~ex).sum()), int(ex.sum()))
    return data, w, ex


def check_budget(p: int | None, budget: float | None, cand_costs: Any) -> None:
    """Validate a choice by budget: not with ``p``, needs costs, affords a site (internal).

    Parameters
    ----------
    p
        Number of new sites, if given.
    budget
        Total cost allowed, if given.
    cand_costs
        Costs of the candidate (not existing) sites, or None when no costs were given.
    """
    if p is not None and budget is not None:
        raise InputError(
            "give either `p` or `budget`, not both.",
            field="budget",
            fix="drop p=... to choose by budget, or drop budget=... to choose p sites.",
        )
    if budget is None:
        return
    if cand_costs is None:
        raise InputError(
            "`budget` needs `costs` (one per site).",
            field="costs",
            fix="pass costs=... per site, or use p=... for a number of sites.",
        )
    if not (np.isfinite(budget) and budget >= 0):
        raise InputError(f"`budget` must be a finite number >= 0; got {budget}.", field="budget")
    cheapest = float(np.min(cand_costs)) if len(cand_costs) else math.nan
    if not budget >= cheapest:
        raise InfeasibleError(
            f"the budget {budget:,.6g} is below the cheapest candidate site "
            f"({cheapest:,.6g}); no site can be built."
        )


def check_flow_choice(
    p: int | None, budget: float | None, cand_costs: Any, n_cand: int, n_existing: int
) -> None:
    """Check ``p`` or ``budget`` of a route model against its candidates (internal).

    Parameters
    ----------
    p, budget
        The model's choice: number of new sites, or total cost.
    cand_costs
        Costs of the eligible candidates, or None.
    n_cand, n_existing
        Eligible candidates (passed by at least the minimum volume) and existing sites.
    """
    check_budget(p, budget, cand_costs)
    if p is not None and (int(p) != p or p < 0):
        raise InputError(f"`p` must be a whole number >= 0; got {p}.", field="p")
    if p is not None and p > n_cand:
        raise InfeasibleError(
            f"p = {p} new sites asked for, but only {n_cand} candidate sites can be chosen "
            f"({n_existing} existing sites fixed; candidates below the minimum passing volume "
            "are left out)."
        )


def check_min_volume(min_volume: float | None) -> float:
    """Return ``min_volume`` as a number >= 0 (0 for None), or raise :class:`InputError`.

    Parameters
    ----------
    min_volume
        Least volume passing a candidate for it to be eligible (trucks per day).

    Returns
    -------
    float
        The checked minimum.
    """
    if min_volume is None:
        return 0.0
    v = float(min_volume)
    if not (np.isfinite(v) and v >= 0):
        raise InputError(
            f"`min_volume` must be a number >= 0 (trucks per day); got {min_volume!r}.",
            field="min_volume",
        )
    return v


def geo_inputs(
    network: Any,
    demand: Any,
    sites: Any,
    *,
    mode: str,
    cutoff: float,
    weight: str | None,
    existing: str | Sequence[Hashable] | None,
    site_columns: dict[str, Any] | None = None,
    max_snap_m: float,
    on_far: Literal["raise", "exclude"],
    n_jobs: int,
    progress: bool,
) -> dict[str, Any]:
    """Build the access matrix from GeoDataFrames: the arguments of a ``from_matrix`` (internal).

    The matrix comes from :func:`planner.access.access_matrix` (imported here, so
    the models stay free of geopandas), converted to minutes. Every row of
    ``demand`` and ``sites`` keeps its place and label: points that ``on_far``
    leaves off the network are unreachable demand and sites that reach no one.

    Parameters
    ----------
    network, demand, sites, mode, max_snap_m, on_far, n_jobs, progress
        As in :func:`planner.access.access_matrix`.
    cutoff
        Longest travel time kept, minutes.
    weight
        Column of ``demand`` holding the weights, or None (1 each).
    existing
        Boolean column of ``sites`` flagging existing stations, or their labels.
    site_columns
        Further per-site arguments (``costs``, ``capacity``): a string names a
        column of ``sites``, anything else passes through.

    Returns
    -------
    dict
        ``matrix``, ``weights``, ``existing``, ``demand_index``, ``site_index`` and
        the ``site_columns``, ready for ``from_matrix``.
    """
    from planner.access import access_matrix

    problems = [
        Problem(f"`{name}` has repeated index labels; results are keyed by them.", field=name)
        for name, frame in (("demand", demand), ("sites", sites))
        if not frame.index.is_unique
    ]
    if problems:
        raise InputError(problems)
    if isinstance(existing, str):
        flags = _column(sites, existing, "existing", "sites")
        existing = list(sites.index[flags.fillna(False).astype(bool).to_numpy()])
    extra = {
        key: _column(sites, value, key, "sites") if isinstance(value, str) else value
        for key, value in (site_columns or {}).items()
    }
    weights = None if weight is None else _column(demand, weight, "weight", "demand")
    am = access_matrix(
        network,
        demand,
        sites,
        mode=mode,
        cutoff_min=check_cutoff(cutoff),
        max_snap_m=max_snap_m,
        on_far=on_far,
        n_jobs=n_jobs,
        progress=progress,
    )
    coo = sp.coo_array(am.matrix)
    rows = demand.index.get_indexer(am.demand_index)[coo.row]
    cols = sites.index.get_indexer(am.site_index)[coo.col]
    matrix = sp.csr_array((coo.data / 60.0, (rows, cols)), shape=(len(demand), len(sites)))
    return {
        "matrix": matrix,
        "weights": weights,
        "existing": existing,
        "demand_index": demand.index,
        "site_index": sites.index,
        **extra,
    }


def _column(frame: Any, column: str, arg: str, frame_name: str) -> pd.Series:
    if column not in frame.columns:
        raise InputError(
            f"`{arg}` names the column {column!r}, which `{frame_name}` does not have "
            f"(columns: {[c for c in frame.columns if c != frame.geometry.name]}).",
            field=arg,
            fix=f"pass the name of a column of `{frame_name}`.",
        )
    series: pd.Series = frame[column]
    return series


def demand_weights(
    weights: ArrayLike | pd.Series | None, demand_index: pd.Index, name: str = "weights"
) -> NDArray[np.float64]:
    """Validate demand weights: one per row, finite and non-negative (internal).

    Parameters
    ----------
    weights
        Array in row order, or a Series keyed by the demand labels; ``None`` means 1 each.
    demand_index
        The row labels.
    name
        Argument name, for messages.

    Returns
    -------
    numpy.ndarray
        Float weights in row order.
    """
    n = len(demand_index)
    if weights is None:
        return np.ones(n)
    if isinstance(weights, pd.Series):
        missing = demand_index.difference(weights.index)
        if len(missing):
            raise InputError(
                f"`{name}` has no value for {len(missing)} demand labels "
                f"(first: {missing[:5].tolist()}).",
                field=name,
                fix="give a weight for every demand point, keyed by its label.",
            )
        w = weights.reindex(demand_index).to_numpy(dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n:
        raise InputError(
            f"`{name}` has {w.size} values but the matrix has {n} demand rows.",
            field=name,
            fix="pass one weight per demand point.",
        )
    problems = []
    nan = np.flatnonzero(~np.isfinite(w))
    if nan.size:
        problems.append(
            Problem(
                f"{nan.size} {name} are NaN or infinite (first at demand row {nan[0] + 1}).",
                row=int(nan[0]) + 1,
                field=name,
                fix="fill missing weights (0 if the point has no demand).",
            )
        )
    neg = np.flatnonzero(w < 0)
    if neg.size:
        problems.append(
            Problem(
                f"{neg.size} {name} are negative (first: {w[neg[0]]} at demand row {neg[0] + 1}).",
                row=int(neg[0]) + 1,
                field=name,
                fix="weights count demand and must be >= 0.",
            )
        )
    if problems:
        raise InputError(problems)
    return w


def site_mask(
    labels: Sequence[Hashable] | ArrayLike | pd.Index | None, site_index: pd.Index, name: str
) -> NDArray[np.bool_]:
    """Boolean mask over the sites from a list of site labels (internal).

    Parameters
    ----------
    labels
        Site labels (or a boolean array with one flag per site).
    site_index
        The site (column) labels.
    name
        Argument name, for messages.

    Returns
    -------
    numpy.ndarray
        One flag per site.
    """
    mask = np.zeros(len(site_index), dtype=bool)
    if labels is None:
        return mask
    arr = np.asarray(labels)
    if arr.dtype == bool and arr.size == mask.size:
        return arr.copy()
    idx = pd.Index(list(arr.ravel()) if arr.ndim else [arr.item()])
    pos = site_index.get_indexer(idx)
    if (pos < 0).any():
        missing = idx[pos < 0][:5].tolist()
        raise InputError(
            f"`{name}` names {int((pos < 0).sum())} sites that are not in the matrix's "
            f"site labels (first: {missing}).",
            field=name,
            fix="use labels from `site_index` (the matrix columns).",
        )
    mask[pos] = True
    return mask


def site_values(
    values: ArrayLike | pd.Series | float | None,
    site_index: pd.Index,
    name: str,
    *,
    default: float,
    positive: bool = False,
) -> NDArray[np.float64]:
    """One non-negative number per site from a scalar, array or Series (internal).

    Parameters
    ----------
    values
        Scalar, array in column order, or Series keyed by site labels.
    site_index
        The site (column) labels.
    name
        Argument name, for messages.
    default
        Value when ``values`` is None.
    positive
        Require values > 0 rather than >= 0.

    Returns
    -------
    numpy.ndarray
        Values in column order.
    """
    n = len(site_index)
    if values is None:
        return np.full(n, default, dtype=np.float64)
    if isinstance(values, pd.Series):
        out = values.reindex(site_index).to_numpy(dtype=np.float64)
    elif np.ndim(values) == 0:
        out = np.full(n, float(values), dtype=np.float64)  # type: ignore[arg-type]
    else:
        out = np.asarray(values, dtype=np.float64).ravel()
    if out.size != n:
        raise InputError(
            f"`{name}` has {out.size} values but the matrix has {n} sites.",
            field=name,
            fix="pass one value per site (column), or a Series keyed by site label.",
        )
    bad = ~np.isfinite(out) | ((out <= 0) if positive else (out < 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"`{name}` has {int(bad.sum())} missing, infinite or "
            f"{'non-positive' if positive else 'negative'} values (first: {out[first]} "
            f"for site {site_index[first]!r}).",
            field=name,
            fix=f"give every site a finite {name} {'> 0' if positive else '>= 0'}.",
        )
    return out


def check_cutoff(cutoff: float, name: str = "cutoff") -> float:
    """Validate a time threshold (internal).

    Parameters
    ----------
    cutoff
        Threshold in the matrix's time unit.
    name
        Argument name, for messages.

    Returns
    -------
    float
        The threshold.
    """
    value = float(cutoff)
    if not np.isfinite(value) or value < 0:
        raise InputError(
            f"`{name}` must be a finite time >= 0 (same unit as the matrix); got {cutoff}.",
            field=name,
            fix="give the service time in minutes, e.g. cutoff=15.",
        )
    return value


def check_p(p: int, n_candidates: int, n_existing: int) -> int:
    """Validate the number of new sites (internal).

    Parameters
    ----------
    p
        Number of new sites asked for.
    n_candidates
        Number of sites that can be chosen (not existing).
    n_existing
        Number of existing (fixed) sites, for the message.

    Returns
    -------
    int
        ``p``.
    """
    if int(p) != p or p < 0:
        raise InputError(f"`p` must be a whole number >= 0; got {p}.", field="p")
    if p > n_candidates:
        raise InputError(
            f"p = {p} new sites asked for, but only {n_candidates} candidate sites can be "
            f"chosen ({n_candidates + n_existing} sites, {n_existing} of them existing).",
            field="p",
            fix=f"ask for at most {n_candidates} sites or add candidates.",
        )
    return int(p)


@dataclass(frozen=True)
class LocateResult:
    """What a siting model returns.

    Attributes
    ----------
    model
        Model name (``"MCLP"``, ``"LSCP"``, ...).
    sites
        Selected sites in rank order, indexed by site label: ``rank`` (1 = first
        to build), ``existing`` (fixed sites are listed first with rank 0),
        ``marginal`` (what the site adds to the objective given the sites ranked
        before it), ``cumulative`` and ``cumulative_share`` (share of the total
        demand weight, for coverage models).
    demand
        One row per demand point, indexed by demand label: ``weight``,
        ``site`` (label of the serving or covering site, NA if none), ``time``
        (travel time to it) and ``covered`` (within the model's cutoff, where
        the model has one).
    objective
        Objective value of the plan (total covered weight including demand the
        existing sites cover; total weighted time; number or cost of sites; worst
        time, depending on the model).
    bound
        Best bound on the optimum proven by the solver (upper for maximisation,
        lower for minimisation).
    gap
        ``|bound - objective| / |objective|``: the optimum is proven to be within
        this relative distance of ``objective``.
    sense
        ``"max"`` or ``"min"``.
    solver
        Solver that produced the plan (``"highs"`` or ``"greedy+swap"``...).
    reason
        Why that solver was used.
    status
        ``"optimal"`` (gap closed), ``"gap_limit"`` (stopped at the requested
        ``mip_gap``), ``"time_limit"`` (best plan when the time ran out, with its
        proven gap) or ``"feasible"`` (heuristic plan with a proven gap).
    seconds
        Wall time of the solve.
    figures
        Model-specific numbers (``covered_weight``, ``total_weight``,
        ``uncoverable_weight``, ...).
    notes
        Plain-language remarks a planner should read (e.g. that capacity, not
        the number of sites, limits coverage, and what to change).
    """

    model: str
    sites: pd.DataFrame
    demand: pd.DataFrame
    objective: float
    bound: float
    gap: float
    sense: Literal["max", "min"]
    solver: str
    reason: str
    status: str
    seconds: float
    figures: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def selected(self) -> pd.Index:
        """Labels of the new (not existing) sites in rank order."""
        return self.sites.index[~self.sites["existing"].to_numpy(dtype=bool)]

    def __repr__(self) -> str:
        return (
            f"LocateResult(model={self.model!r}, new_sites={len(self.selected)}, "
            f"objective={self.objective:.6g}, bound={self.bound:.6g}, gap={self.gap:.3%}, "
            f"solver={self.solver!r}, status={self.status!r}, seconds={self.seconds:.2f})"
        )


def relative_gap(objective: float, bound: float, sense: str) -> float:
    """Relative gap between a plan and a bound (internal).

    Parameters
    ----------
    objective
        Value of the plan.
    bound
        Bound on the optimum.
    sense
        ``"max"`` or ``"min"``.

    Returns
    -------
    float
        Non-negative relative gap; 0 when both are 0.
    """
    diff = (bound - objective) if sense == "max" else (objective - bound)
    diff = max(diff, 0.0)
    if diff <= 1e-12 * max(1.0, abs(objective)):
        return 0.0
    if objective == 0:
        return float("inf")
    return float(diff / abs(objective))
