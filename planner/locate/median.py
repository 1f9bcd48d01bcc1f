# ruff: noqa: N803, N806  (matrix names A, B, T follow the maths)
"""Median and center models: p-median (total weighted time) and p-center (worst time).

Travel times are minutes in a demand × site sparse matrix; a stored entry,
zero included, is a pair that may be assigned (see :mod:`planner.locate._base`).
Every demand point must be served by an open site it reaches (within
``max_time`` when given). Demand points that no site reaches at all cannot be
served by any plan: they are left out and reported as ``unreachable_weight``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner._errors import InfeasibleError
from planner._progress import progress_bar
from planner.locate._base import (
    AccessData,
    LocateResult,
    MatrixInput,
    SolverName,
    check_cutoff,
    filter_entries,
    geo_inputs,
    model_inputs,
)
from planner.locate._engine import (
    AUTO_TIME_LIMIT,
    BenefitModel,
    Prepared,
    check_solver,
    demand_table,
    make_result,
    nearest_open,
    site_table,
)
from planner.locate.solvers import (
    EXACT_NNZ_LIMIT,
    LP_BOUND_NNZ_LIMIT,
    BenefitProblem,
    MipResult,
    assignment_mip,
    cover_mip,
    greedy_cover,
    merge_rows,
    rank_order,
)

IntArray = NDArray[np.int64]


def _row_min(times: sp.csr_array, cols: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Smallest stored time per row over the flagged columns (inf if none)."""
    _, best = nearest_open(times, cols)
    return best


class PMedian(BenefitModel):
    """p-median: the ``p`` new sites that minimise total weighted travel time.

    Every demand point goes to its nearest open site (existing or new).
    Existing sites are fixed and never re-chosen. With ``max_time``, pairs
    farther than that may not be assigned.

    Examples
    --------
    >>> import numpy as np
    >>> times = np.array([[1.0, 5.0], [4.0, 1.0], [6.0, 2.0]])
    >>> res = PMedian.from_matrix(times, p=1, weights=[1, 1, 1]).solve()
    >>> res.objective, list(res.selected)
    (8.0, [1])
    """

    name = "p-median"
    sense = "min"
    marginal_name = "marginal_time_saved"

    def __init__(
        self,
        data: AccessData,
        *,
        weights: NDArray[np.float64],
        existing: NDArray[np.bool_],
        p: int | None,
        max_time: float | None,
    ) -> None:
        super().__init__(data, weights=weights, existing=existing, p=p)
        self.max_time = max_time

    @classmethod
    def from_matrix(
        cls,
        matrix: MatrixInput,
        *,
        p: int,
        weights: ArrayLike | pd.Series | None = None,
        existing: Sequence[Hashable] | ArrayLike | None = None,
        max_time: float | None = None,
        demand_index: ArrayLike | pd.Index | None = None,
        site_index: ArrayLike | pd.Index | None = None,
    ) -> PMedian:
        """Build the model from a demand × site travel-time matrix.

        Parameters
        ----------
        matrix
            Travel times in minutes (see :meth:`planner.locate.MCLP.from_matrix`).
        p
            Number of new sites.
        weights
            Demand weights (1 each by default).
        existing
            Labels of existing sites (fixed, serving, not re-chosen).
        max_time
            Longest travel time a demand point may be assigned over.
        demand_index, site_index
            Labels of rows and columns.

        Returns
        -------
        PMedian
            The model; call :meth:`solve`.
        """
        data, w, ex = model_inputs(
            matrix,
            weights=weights,
            existing=existing,
            p=p,
            demand_index=demand_index,
            site_index=site_index,
        )
        mt = None if max_time is None else check_cutoff(max_time, "max_time")
        return cls(data, weights=w, existing=ex, p=p, max_time=mt)

    @classmethod
    def from_geodataframes(
        cls,
        network: Any,
        demand: Any,
        sites: Any,
        *,
        mode: str,
        cutoff: float,
        p: int,
        weight: str | None = None,
        existing: str | Sequence[Hashable] | None = None,
        max_snap_m: float = 500.0,
        on_far: Literal["raise", "exclude"] = "raise",
        n_jobs: int = 1,
        progress: bool = False,
    ) -> PMedian:
        """Build the model from demand and site GeoDataFrames on a road network.

        Builds the access matrix with :func:`planner.access.access_matrix` and
        delegates to :meth:`from_matrix`.

        Parameters
        ----------
        network
            The road network (:class:`planner.network.RoadNetwork`).
        demand, sites
            GeoDataFrames of demand points and of candidate sites (existing
            stations included); results are keyed by their indexes.
        mode
            Travel mode, one of the network's (e.g. ``"ebike"``).
        cutoff
            Longest travel time in minutes a demand point may be assigned over
            (the access matrix keeps no longer pair).
        p
            Number of new sites.
        weight
            Column of ``demand`` holding the demand weights (1 each when None).
        existing
            Boolean column of ``sites`` flagging existing stations, or their labels.
        max_snap_m, on_far, n_jobs, progress
            As in :func:`planner.access.access_matrix`; points left off the network
            stay in the results (unreachable demand, sites that reach no one).

        Returns
        -------
        PMedian
            The model; call :meth:`solve`.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network(modes=["ebike"])
        >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
        >>> model = PMedian.from_geodataframes(net, stops, stations, mode="ebike", cutoff=30, p=6)
        >>> res = model.solve()
        >>> len(res.selected), 5 < res.figures["mean_time"] < 20
        (6, True)
        """
        inputs = geo_inputs(
            network,
            demand,
            sites,
            mode=mode,
            weight=weight,
            existing=existing,
            max_snap_m=max_snap_m,
            on_far=on_far,
            n_jobs=n_jobs,
            progress=progress,
            cutoff=cutoff,
        )
        return cls.from_matrix(**inputs, p=p)

    def _times(self) -> sp.csr_array:
        T = self.data.times
        if self.max_time is not None:
            T = filter_entries(T, T.data <= self.max_time)
        return T

    def _cutoff(self) -> float | None:
        return self.max_time

    def _prepare(self) -> Prepared:
        T = self._times()
        w, ex = self.weights, self.existing
        n = T.shape[0]
        reach = np.diff(T.indptr) > 0
        base_time = _row_min(T, ex)
        row_of = np.repeat(np.arange(n), np.diff(T.indptr))
        useful = ~ex[T.indices] & (T.data < base_time[row_of]) & (w[row_of] > 0)
        cand = filter_entries(T, useful)
        has = np.diff(cand.indptr) > 0
        rows = np.flatnonzero(has)
        served_fixed = reach & ~has & (w > 0)  # only existing sites can serve them
        const_cost = float(np.dot(w[served_fixed], base_time[served_fixed]))
        cand_cols = np.flatnonzero(~ex)
        col_map = np.full(T.shape[1], -1, dtype=np.int64)
        col_map[cand_cols] = np.arange(cand_cols.size)
        sub = sp.csr_array(cand[rows])
        finite_base = base_time[rows][np.isfinite(base_time[rows])]
        max_t = max(
            float(sub.data.max()) if sub.nnz else 0.0,
            float(finite_base.max()) if finite_base.size else 0.0,
        )
        big = 10.0 * (max_t + 1.0)
        base = np.where(np.isfinite(base_time[rows]), big - base_time[rows], 0.0)
        B = sp.csr_array(
            (big - sub.data, col_map[sub.indices].astype(np.int32), sub.indptr),
            shape=(rows.size, cand_cols.size),
        )
        merged, mw, group = merge_rows(B, w[rows], by_values=True, extra=base)
        first = np.unique(group, return_index=True)[1]
        mbase = base[first]
        prob = BenefitProblem(merged, mw, mbase)
        w_kept = float(mw.sum())
        must = mbase == 0
        p = self.p
        assert p is not None

        def mip(
            *, relax: bool, time_limit: float | None, mip_gap: float, start: IntArray | None
        ) -> tuple[MipResult, IntArray]:
            return assignment_mip(
                prob,
                p,
                must_assign=must,
                relax=relax,
                time_limit=time_limit,
                mip_gap=mip_gap,
                start=start,
            )

        figures = {
            "total_weight": float(w.sum()),
            "unreachable_weight": float(w[~reach].sum()),
            "unreachable_points": float((~reach).sum()),
            "model_rows": float(merged.shape[0]),
            "unserved_penalty_minutes": big,
        }
        return Prepared(
            prob=prob,
            cand_cols=cand_cols,
            const=0.0,
            to_objective=lambda v: const_cost + w_kept * big - v,
            mip=mip,
            model_nnz=int(3 * merged.nnz + merged.shape[0] + cand_cols.size),
            figures=figures,
            must=must,
        )

    def _check_plan(self, open_mask: NDArray[np.bool_], solver: str) -> None:
        T = self._times()
        reach = np.diff(T.indptr) > 0
        _, best = nearest_open(T, open_mask)
        unserved = reach & ~np.isfinite(best) & (self.weights > 0)
        if unserved.any():
            raise InfeasibleError(
                f"the plan with p = {self.p} new sites found by {solver} leaves "
                f"{int(unserved.sum())} reachable demand points (weight "
                f"{float(self.weights[unserved].sum()):,.6g}) with no open site in reach"
                + (f" within max_time = {self.max_time}" if self.max_time is not None else "")
                + ". Raise p, raise max_time, or try solver='exact' (which proves whether "
                "any plan serves everyone)."
            )

    def solve(
        self,
        *,
        solver: SolverName = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        seed: int | None = None,
        progress: bool = False,
    ) -> LocateResult:
        """Choose the sites (arguments as in :meth:`planner.locate.MCLP.solve`).

        Parameters
        ----------
        solver, time_limit, mip_gap, seed, progress
            As in :meth:`planner.locate.MCLP.solve`.

        Returns
        -------
        LocateResult
            Objective = total weighted travel time; ``marginal_time_saved`` per
            site (while some demand is unserved, it is charged
            ``figures["unserved_penalty_minutes"]``).
        """
        try:
            res = super().solve(
                solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed, progress=progress
            )
        except InfeasibleError as e:
            if "HiGHS proved" in str(e):
                raise InfeasibleError(
                    f"no plan with p = {self.p} new sites serves every reachable demand point"
                    + (f" within max_time = {self.max_time}" if self.max_time is not None else "")
                    + " (HiGHS proved it). Raise p or max_time; LSCP gives the fewest sites "
                    "that serve everyone."
                ) from e
            raise
        served = np.isfinite(res.demand["time"].to_numpy())
        res.figures["mean_time"] = (
            res.objective / float(res.demand["weight"].to_numpy()[served].sum())
            if served.any()
            else math.nan
        )
        return res


class PCenter:
    """p-center: the ``p`` new sites that minimise the worst travel time to an open site.

    Solved as a sequence of set-cover problems over the distinct travel times
    (binary search); the exact solver proves each step with HiGHS.

    Examples
    --------
    >>> import numpy as np
    >>> times = np.array([[1.0, 5.0], [4.0, 1.0], [6.0, 2.0]])
    >>> PCenter.from_matrix(times, p=1).solve().objective
    5.0
    """

    name = "p-center"

    def __init__(
        self,
        data: AccessData,
        *,
        weights: NDArray[np.float64],
        existing: NDArray[np.bool_],
        p: int,
    ) -> None:
        self.data = data
        self.weights = weights
        self.existing = existing
        self.p = p

    @classmethod
    def from_matrix(
        cls,
        matrix: MatrixInput,
        *,
        p: int,
        weights: ArrayLike | pd.Series | None = None,
        existing: Sequence[Hashable] | ArrayLike | None = None,
        demand_index: ArrayLike | pd.Index | None = None,
        site_index: ArrayLike | pd.Index | None = None,
    ) -> PCenter:
        """Build the model from a demand × site travel-time matrix.

        Parameters
        ----------
        matrix
            Travel times in minutes.
        p
            Number of new sites.
        weights
            Demand weights: points with weight 0 are ignored; otherwise only used
            to rank the sites.
        existing
            Labels of existing sites.
        demand_index, site_index
            Labels of rows and columns.

        Returns
        -------
        PCenter
            The model; call :meth:`solve`.
        """
        data, w, ex = model_inputs(
            matrix,
            weights=weights,
            existing=existing,
            p=p,
            demand_index=demand_index,
            site_index=site_index,
        )
        return cls(data, weights=w, existing=ex, p=p)

    @classmethod
    def from_geodataframes(
        cls,
        network: Any,
        demand: Any,
        sites: Any,
        *,
        mode: str,
        cutoff: float,
        p: int,
        weight: str | None = None,
        existing: str | Sequence[Hashable] | None = None,
        max_snap_m: float = 500.0,
        on_far: Literal["raise", "exclude"] = "raise",
        n_jobs: int = 1,
        progress: bool = False,
    ) -> PCenter:
        """Build the model from demand and site GeoDataFrames on a road network.

        Builds the access matrix with :func:`planner.access.access_matrix` and
        delegates to :meth:`from_matrix`.

        Parameters
        ----------
        network
            The road network (:class:`planner.network.RoadNetwork`).
        demand, sites
            GeoDataFrames of demand points and of candidate sites (existing
            stations included); results are keyed by their indexes.
        mode
            Travel mode, one of the network's (e.g. ``"ebike"``).
        cutoff
            Longest travel time in minutes kept in the access matrix.
        p
            Number of new sites.
        weight
            Column of ``demand`` holding the demand weights (1 each when None).
        existing
            Boolean column of ``sites`` flagging existing stations, or their labels.
        max_snap_m, on_far, n_jobs, progress
            As in :func:`planner.access.access_matrix`; points left off the network
            stay in the results (unreachable demand, sites that reach no one).

        Returns
        -------
        PCenter
            The model; call :meth:`solve`.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network(modes=["ebike"])
        >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
        >>> model = PCenter.from_geodataframes(net, stops, stations, mode="ebike", cutoff=60, p=4)
        >>> res = model.solve()
        >>> len(res.selected), float(res.demand["time"].max()) == res.objective <= 60
        (4, True)
        """
        inputs = geo_inputs(
            network,
            demand,
            sites,
            mode=mode,
            weight=weight,
            existing=existing,
            max_snap_m=max_snap_m,
            on_far=on_far,
            n_jobs=n_jobs,
            progress=progress,
            cutoff=cutoff,
        )
        return cls.from_matrix(**inputs, p=p)

    def _cover_rows(self, radius: float) -> tuple[sp.csr_array, IntArray, bool]:
        """Rows not served by existing sites within ``radius``, over candidate columns."""
        T = self.data.times
        n = T.shape[0]
        row_of = np.repeat(np.arange(n), np.diff(T.indptr))
        within = T.data <= radius
        by_ex = np.zeros(n, dtype=bool)
        by_ex[row_of[within & self.existing[T.indices]]] = True
        need = self._rows & ~by_ex
        keep = within & need[row_of] & ~self.existing[T.indices]
        A = filter_entries(T, keep, value=1)
        rows = np.flatnonzero(need)
        A = sp.csr_array(A[rows][:, self._cand])
        ok = bool(np.all(np.diff(A.indptr) > 0))
        return A, rows, ok

    def solve(
        self,
        *,
        solver: SolverName = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        seed: int | None = None,
        progress: bool = False,
    ) -> LocateResult:
        """Choose the sites (arguments as in :meth:`planner.locate.MCLP.solve`).

        Parameters
        ----------
        solver, time_limit, mip_gap, seed, progress
            As in :meth:`planner.locate.MCLP.solve`; ``time_limit`` applies to each
            set-cover step, ``mip_gap`` and ``seed`` are not used (each step is
            solved to optimality or stops at the time limit).

        Returns
        -------
        LocateResult
            Objective = worst travel time of any served demand point; ``bound``
            a proven lower bound on it.
        """
        t0 = time.perf_counter()
        check_solver(solver)
        T, w, ex = self.data.times, self.weights, self.existing
        reach = np.diff(T.indptr) > 0
        self._rows = reach & (w > 0)
        self._cand = np.flatnonzero(~ex)
        _, nearest_any = nearest_open(T, np.ones(T.shape[1], dtype=bool))
        lb0 = float(nearest_any[self._rows].max()) if self._rows.any() else 0.0
        row_of = np.repeat(np.arange(T.shape[0]), np.diff(T.indptr))
        radii = np.unique(T.data[self._rows[row_of]])
        radii = radii[radii >= lb0]
        nnz = int(T.nnz)
        use_exact = solver == "exact" or (solver == "auto" and nnz <= EXACT_NNZ_LIMIT)
        if solver == "auto" and use_exact and time_limit is None:
            time_limit = AUTO_TIME_LIMIT

        tick = progress_bar(self.name, enabled=progress)

        def probe(r: float) -> tuple[bool, bool, IntArray]:
            """Return (feasible, proven infeasible, chosen columns) at radius r."""
            tick.step(f"radius {r:g}")
            A, _, ok = self._cover_rows(r)
            if not ok:
                return False, True, np.zeros(0, dtype=np.int64)
            if A.shape[0] == 0:
                return True, False, np.zeros(0, dtype=np.int64)
            cost = np.ones(A.shape[1])
            heur = greedy_cover(A, cost, lp_bound=not use_exact and A.nnz <= LP_BOUND_NNZ_LIMIT)
            if heur.cost <= self.p:
                return True, False, self._cand[heur.selected]
            if heur.bound > self.p:
                return False, True, np.zeros(0, dtype=np.int64)
            if not use_exact:
                return False, False, np.zeros(0, dtype=np.int64)
            with tick.stage(f"HiGHS set cover at {r:g}"):
                res, cols = cover_mip(A, cost, time_limit=time_limit, start=heur.selected)
            # trust a solver's cover only once checked: at most p columns, every row covered
            covers = np.diff(sp.csr_array(A[:, cols]).indptr).min() > 0 if cols.size else False
            if covers and cols.size <= self.p:
                return True, False, self._cand[cols]
            proven = (not math.isnan(res.bound)) and res.bound > self.p + 1e-9
            return False, proven or res.status == "optimal", np.zeros(0, dtype=np.int64)

        with tick:
            return self._search(t0, radii, lb0, probe, use_exact, solver, nnz)

    def _search(
        self,
        t0: float,
        radii: NDArray[np.float64],
        lb0: float,
        probe: Callable[[float], tuple[bool, bool, IntArray]],
        use_exact: bool,
        solver: str,
        nnz: int,
    ) -> LocateResult:
        """Binary search over the radii for the smallest one p sites can serve."""
        if radii.size == 0:
            return self._result(
                t0, 0.0, 0.0, np.zeros(0, dtype=np.int64), "trivial", "nothing to serve", "optimal"
            )
        ok, _, best_cols = probe(float(radii[-1]))
        if not ok:
            raise InfeasibleError(
                f"p = {self.p} new sites cannot serve every reachable demand point "
                f"({int(self._rows.sum())} points) even with no time limit; raise p "
                "(LSCP with a large cutoff gives the fewest sites needed)."
            )
        lo, hi = 0, radii.size - 1  # radii[hi] feasible
        proven_below = -1  # largest index proven infeasible
        while lo < hi:
            mid = (lo + hi) // 2
            feas, proven, cols = probe(float(radii[mid]))
            if feas:
                hi, best_cols = mid, cols
            else:
                lo = mid + 1
                if proven:
                    proven_below = max(proven_below, mid)
        objective = float(radii[hi])
        bound = float(radii[proven_below + 1]) if proven_below + 1 < radii.size else objective
        bound = max(bound, lb0)
        if use_exact:
            name = "highs (set cover per radius)"
            reason = (
                "exact solver asked for"
                if solver == "exact"
                else f"auto: {nnz:,} non-zeros <= {EXACT_NNZ_LIMIT:,}"
            )
        else:
            name = "greedy cover per radius"
            reason = (
                "fast solver asked for"
                if solver == "fast"
                else f"auto: {nnz:,} non-zeros > {EXACT_NNZ_LIMIT:,}"
            )
        status = (
            "optimal" if bound >= objective else ("feasible" if not use_exact else "time_limit")
        )
        return self._result(t0, objective, bound, best_cols, name, reason, status)

    def _result(
        self,
        t0: float,
        objective: float,
        bound: float,
        cols: IntArray,
        name: str,
        reason: str,
        status: str,
    ) -> LocateResult:
        cols = np.asarray(cols, dtype=np.int64)
        ex = self.existing
        # fill up to p with the sites that most cut total weighted time (p-median greedy)
        if cols.size < self.p:
            fixed = ex.copy()
            fixed[cols] = True
            extra = PMedian(
                self.data,
                weights=self.weights,
                existing=fixed,
                p=self.p - cols.size,
                max_time=None,
            )
            try:
                more = extra.solve(solver="fast").selected
                cols = np.r_[cols, self.data.site_index.get_indexer(more)].astype(np.int64)
            except InfeasibleError:  # pragma: no cover - radius plan already serves all
                pass
        # rank by weight covered within the optimal radius
        A_all = filter_entries(self.data.times, self.data.times.data <= objective, value=1)
        rows = np.flatnonzero(self.weights > 0)
        B = sp.csr_array(A_all[rows], dtype=np.float64)
        by_ex = (B @ ex.astype(np.float64)) > 0
        prob = BenefitProblem(
            sp.csr_array(B[:, cols]) if cols.size else sp.csr_array((rows.size, 0)),
            self.weights[rows],
            by_ex.astype(np.float64),
        )
        order, marg = rank_order(
            BenefitProblem(
                _drop_base(sp.csr_array(B)[:, cols], by_ex) if cols.size else prob.B,
                prob.w,
                prob.base,
            ),
            np.arange(cols.size),
        )
        gl = cols[order]
        open_mask = ex.copy()
        open_mask[gl] = True
        total = float(self.weights.sum())
        sites = site_table(
            self.data.site_index,
            ex,
            gl,
            marg,
            base=float(self.weights[rows][by_ex].sum()),
            total=total,
            name="marginal_weight_within_objective",
        )
        demand = demand_table(self.data, self.weights, open_mask, cutoff=None)
        reach = np.diff(self.data.times.indptr) > 0
        figures = {
            "total_weight": total,
            "unreachable_weight": float(self.weights[~reach].sum()),
            "new_sites": float(gl.size),
        }
        return make_result(
            model=self.name,
            sites=sites,
            demand=demand,
            objective=objective,
            bound=min(bound, objective),
            sense="min",
            solver=name,
            reason=reason,
            status=status,
            t0=t0,
            figures=figures,
        )


def _drop_base(B: Any, covered: NDArray[np.bool_]) -> sp.csr_array:
    """Zero out rows already covered (their base is 1), keeping the CSR shape."""
    B = sp.csr_array(B)
    row_of = np.repeat(np.arange(B.shape[0]), np.diff(B.indptr))
    return filter_entries(B, ~covered[row_of])


__all__ = ["PCenter", "PMedian"]
