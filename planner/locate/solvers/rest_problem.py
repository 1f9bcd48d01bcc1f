# ruff: noqa: N803, N806  (matrix names D, G follow the maths)
"""The reduced rest-interval problem: distinct windows, merged routes, dominated columns.

:class:`~planner.locate.RestIntervalCoverage` has one window constraint per route
and window. On a corridor network most windows repeat (every truck between the
same junctions meets the same sites in the same four hours) and so do whole
routes (same window sets). :func:`reduce_windows` keeps each distinct window
once (``D``: windows × candidate columns) and each distinct route once (``G``:
routes × windows, volumes summed); a route is served when every one of its
windows holds an open column. On the province benchmark this turns 624,000
route windows (16 million non-zeros) into 3,600 windows and 12,000 routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.locate.solvers.problem import BenefitProblem, merge_rows

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass
class RestProblem:
    """``max sum_r v_r [every window of r holds a chosen column]`` over candidate columns.

    Attributes
    ----------
    D
        Distinct windows × candidate columns (CSR, 0/1, sorted indices).
    G
        Routes × windows (CSR, 0/1, sorted indices); every route has a window.
    v
        Route volumes (> 0).
    cost
        Column costs (budgets) or None.
    """

    D: sp.csr_array
    G: sp.csr_array
    v: FloatArray
    cost: FloatArray | None = None
    _T: tuple[sp.csr_array, sp.csr_array] | None = field(default=None, repr=False)

    @property
    def n_cols(self) -> int:
        """Number of candidate columns."""
        return int(self.D.shape[1])

    @property
    def transposes(self) -> tuple[sp.csr_array, sp.csr_array]:
        """``D.T`` (columns → windows) and ``G.T`` (windows → routes) as CSR, built once."""
        if self._T is None:
            DT = sp.csr_array(self.D.T.tocsr())
            DT.sort_indices()
            GT = sp.csr_array(self.G.T.tocsr())
            GT.sort_indices()
            self._T = (DT, GT)
        return self._T

    def kernel_arrays(self) -> tuple[IntArray, ...]:
        """Return the CSR arrays the kernels take: D, D.T, G, G.T (pointer, index each)."""
        DT, GT = self.transposes
        return tuple(
            np.ascontiguousarray(a, dtype=np.int64)
            for m in (self.D, DT, self.G, GT)
            for a in (m.indptr, m.indices)
        )

    def served(self, selected: BoolArray) -> BoolArray:
        """Routes whose every window holds a selected column.

        Parameters
        ----------
        selected
            One flag per column.

        Returns
        -------
        numpy.ndarray
            One flag per route.
        """
        hit = (self.D @ selected.astype(np.float64)) > 0
        unmet = self.G @ (~hit).astype(np.float64)
        return np.asarray(unmet <= 0)

    def value(self, selected: BoolArray) -> float:
        """Volume served by the selected columns.

        Parameters
        ----------
        selected
            One flag per column.

        Returns
        -------
        float
            ``sum_r v_r`` over served routes.
        """
        return float(self.v[self.served(selected)].sum())


def reduce_windows(
    W: sp.csr_array, win_route: IntArray, volumes: FloatArray, keep_routes: BoolArray
) -> tuple[RestProblem, IntArray]:
    """Merge identical windows and identical routes of the window constraints.

    Parameters
    ----------
    W
        Route windows × candidate columns (one row per route and window).
    win_route
        Route of each row of ``W``.
    volumes
        Volume of every route.
    keep_routes
        Routes to keep (servable, needing new sites, not too many).

    Returns
    -------
    problem, group
        The reduced problem, and for every route its row in ``problem.G``
        (-1 for routes not kept).
    """
    W = sp.csr_array(W)
    W.sort_indices()
    n_routes = volumes.size
    rows = np.flatnonzero(keep_routes[win_route])
    sub = sp.csr_array(W[rows]) if rows.size < W.shape[0] else W
    D, _, wid = merge_rows(sub, np.ones(rows.size), by_values=False)
    D = sp.csr_array((np.ones(D.nnz), D.indices, D.indptr), shape=D.shape)
    routes = np.flatnonzero(keep_routes)
    r_map = np.full(n_routes, -1, dtype=np.int64)
    r_map[routes] = np.arange(routes.size)
    G = sp.csr_array(
        (np.ones(rows.size), (r_map[win_route[rows]], wid)), shape=(routes.size, D.shape[0])
    )
    G.sum_duplicates()
    G.sort_indices()
    G.data[:] = 1.0
    Gm, vm, grp = merge_rows(G, volumes[routes], by_values=False)
    Gm = sp.csr_array((np.ones(Gm.nnz), Gm.indices, Gm.indptr), shape=Gm.shape)
    Gm.sort_indices()
    group = np.full(n_routes, -1, dtype=np.int64)
    group[routes] = grp
    return RestProblem(D, Gm, vm), group


def fix_columns(prob: RestProblem, fixed: IntArray, keep: IntArray) -> tuple[RestProblem, float]:
    """Return the problem left once ``fixed`` columns are open and only ``keep`` are candidates.

    Windows holding a fixed column are met and leave; routes with every window
    met leave too (their volume is the returned constant); routes with a window
    holding no kept column can no longer be served and leave. Columns of
    ``keep`` are renumbered in its order.

    Parameters
    ----------
    prob
        The problem.
    fixed
        Columns fixed open.
    keep
        Columns that stay candidates (disjoint from ``fixed``).

    Returns
    -------
    problem, constant
        The smaller problem and the volume the fixed columns serve alone.
    """
    fixed_mask = np.zeros(prob.n_cols, dtype=bool)
    fixed_mask[np.asarray(fixed, dtype=np.int64)] = True
    met = (prob.D @ fixed_mask.astype(np.float64)) > 0
    D_keep = sp.csr_array(prob.D[:, np.asarray(keep, dtype=np.int64)])
    empty = (np.diff(D_keep.indptr) == 0) & ~met
    unmet_of_route = prob.G @ (~met).astype(np.float64)
    dead = (prob.G @ empty.astype(np.float64)) > 0
    done = (unmet_of_route <= 0) & ~dead
    const = float(prob.v[done].sum())
    live = np.flatnonzero(~done & ~dead)
    wins = np.flatnonzero(~met & ~empty)
    w_map = np.full(met.size, -1, dtype=np.int64)
    w_map[wins] = np.arange(wins.size)
    G = sp.csr_array(prob.G[live][:, wins])
    G.sort_indices()
    D = sp.csr_array(D_keep[wins])
    D.sort_indices()
    cost = None if prob.cost is None else prob.cost[np.asarray(keep, dtype=np.int64)]
    return RestProblem(D, G, prob.v[live], cost), const


def dominated_rest_columns(prob: RestProblem, p: int | None) -> BoolArray:
    """Columns whose windows are a subset of another column's (dropping them keeps the optimum).

    Replacing a dominated column by its dominator keeps every window met, so
    with a cardinality constraint an optimal plan avoids dominated columns
    (identical columns keep the first copy); with costs only a dominator no
    dearer counts, and then nothing is dropped here. At least ``p`` columns stay.

    Parameters
    ----------
    prob
        The problem.
    p
        Number of columns to choose (None: budget, nothing dropped).

    Returns
    -------
    numpy.ndarray
        Flags of the columns that can be dropped.
    """
    if p is None or prob.cost is not None:
        return np.zeros(prob.n_cols, dtype=bool)
    from planner.locate.solvers.pipeline import dominated_columns

    cover = BenefitProblem(prob.D, np.ones(prob.D.shape[0]), np.zeros(prob.D.shape[0]))
    return dominated_columns(cover, p)
