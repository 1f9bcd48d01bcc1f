"""Coverage models: MCLP (maximal covering) and LSCP (set covering).

Both read a demand × site matrix of travel times in minutes (see
:mod:`planner.locate._base` for the conventions: stored entries, zeros
included, are reachable pairs) and a ``cutoff``: a demand point is *covered*
by a site when its stored time is ``<= cutoff``.

Demand points with the same set of covering sites are merged (weights summed)
before anything is solved; with demand drawn per road node this shrinks the
model many times over and changes no figure.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner._errors import InfeasibleError, InputError
from planner._progress import Progress, progress_bar
from planner.locate import _kernels
from planner.locate._base import (
    AccessData,
    LocateResult,
    MatrixInput,
    SolverName,
    check_budget,
    check_cutoff,
    geo_inputs,
    model_inputs,
    site_values,
)
from planner.locate._coverage_parts import (
    area_codes,
    capacitated_mip,
    capacitated_value,
    min_text,
    rank_capacitated,
    solve_with_minimums,
)
from planner.locate._engine import (
    AUTO_TIME_LIMIT,
    BenefitModel,
    BenefitSolve,
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
    check_quota,
    cover_mip,
    coverage_mip,
    coverage_pattern,
    csr_of,
    greedy_cover,
    merge_rows,
    rank_order,
)

logger = logging.getLogger(__name__)

IntArray = NDArray[np.int64]


def _coverage_rows(
    data: AccessData, cutoff: float, existing: NDArray[np.bool_], weights: NDArray[np.float64]
) -> tuple[sp.csr_array, IntArray, IntArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """Return the coverage pattern of the rows new sites could still win (candidate columns).

    Returns
    -------
    sub, row_ids, cand_cols, reach, by_existing
        0/1 CSR of the kept rows (reachable, not covered by an existing site,
        positive weight) over the non-existing columns; the kept rows and
        columns; per demand row, whether any site / an existing site is within
        the cutoff.
    """
    t = data.times
    ex = np.asarray(existing, dtype=np.bool_)
    row_ids, ptr, idx, reach, by_existing = _kernels.coverage_rows(
        t.indptr, t.indices, t.data, float(cutoff), ex, np.asarray(weights, dtype=np.float64)
    )
    cand_cols = np.flatnonzero(~ex)
    sub = csr_of(np.ones(idx.size, dtype=np.int8), idx, ptr, (row_ids.size, cand_cols.size))
    return sub, row_ids, cand_cols, reach, by_existing


class MCLP(BenefitModel):
    """Maximal covering: the ``p`` new sites (or a budget) that cover the most demand.

    Existing sites are fixed: the demand they cover counts as covered and they
    are never chosen again. The objective is the total covered demand weight,
    existing coverage included.

    Build with :meth:`from_matrix`, or with :meth:`from_geodataframes`, which
    builds the access matrix from demand, sites and a road network and delegates
    to :meth:`from_matrix`.

    Examples
    --------
    >>> import numpy as np
    >>> inf = np.inf
    >>> times = np.array([[3.0, inf, inf], [inf, 4.0, 0.0], [inf, inf, 5.0]])
    >>> res = MCLP.from_matrix(times, cutoff=10, p=1, weights=[1, 1, 5]).solve()
    >>> res.objective, list(res.selected)
    (6.0, [2])
    """

    name = "MCLP"
    sense = "max"
    marginal_name = "marginal_weight"

    def __init__(
        self,
        data: AccessData,
        *,
        weights: NDArray[np.float64],
        cutoff: float,
        existing: NDArray[np.bool_],
        p: int | None,
        budget: float | None = None,
        costs: NDArray[np.float64] | None = None,
        capacity: NDArray[np.float64] | None = None,
        site_area: NDArray[np.int64] | None = None,
        area_names: tuple[str, ...] = (),
        area_min: NDArray[np.int64] | None = None,
    ) -> None:
        super().__init__(data, weights=weights, existing=existing, p=p, budget=budget, costs=costs)
        self.cutoff = cutoff
        self.capacity = capacity
        self.site_area = site_area
        self.area_names = area_names
        self.area_min = area_min

    @property
    def area_need(self) -> NDArray[np.int64] | None:
        """New sites each area still needs: its minimum less the existing sites in it."""
        if self.site_area is None or self.area_min is None:
            return None
        have = self.site_area[self.existing & (self.site_area >= 0)]
        existing = np.bincount(have, minlength=self.area_min.size)
        return np.maximum(self.area_min - existing, 0).astype(np.int64)

    @classmethod
    def from_matrix(
        cls,
        matrix: MatrixInput,
        *,
        cutoff: float,
        p: int | None = None,
        weights: ArrayLike | pd.Series | None = None,
        existing: Sequence[Hashable] | ArrayLike | None = None,
        costs: ArrayLike | pd.Series | None = None,
        budget: float | None = None,
        capacity: ArrayLike | pd.Series | float | None = None,
        demand_index: ArrayLike | pd.Index | None = None,
        site_index: ArrayLike | pd.Index | None = None,
        site_areas: ArrayLike | pd.Series | None = None,
        min_per_area: int | Mapping[Hashable, int] | None = None,
    ) -> MCLP:
        """Build the model from a demand × site travel-time matrix.

        Parameters
        ----------
        matrix
            scipy sparse matrix of travel times in minutes (stored entries,
            zeros included, are reachable), a dense array with ``inf`` for
            unreachable, or an object with ``.matrix``, ``.demand_index`` and
            ``.site_index`` (an ``AccessMatrix``). A ``float64`` CSR with sorted
            indices is used without a copy: leave it unchanged while the model is
            in use.
        cutoff
            Service time: a demand point is covered by a site within this time.
        p
            Number of new sites to choose.
        weights
            Demand weight per point (array in row order or Series by label); 1 each by default.
        existing
            Labels of existing sites: fixed, counted as covering, never re-chosen.
        costs
            Cost per site (array in column order or Series by label), used with ``budget``.
        budget
            Total cost allowed for new sites, instead of ``p``.
        capacity
            Demand weight each site can serve (scalar or per site); existing sites
            are capacitated too. Demand may be split between sites.
        demand_index, site_index
            Labels of rows and columns (default: the matrix object's, or 0..n-1).
        site_areas
            The area (district, street) of every site, existing ones included
            (array in column order or Series by site label; missing: no area).
        min_per_area
            At least this many sites (existing + new) in every area of
            ``site_areas``, or ``{area: k}`` per area. Needs ``p``; an area with
            fewer candidates than it still needs, or needs adding up to more than
            ``p``, raise :class:`~planner.InfeasibleError` with the numbers.

        Returns
        -------
        MCLP
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
        cut = check_cutoff(cutoff)
        cost_arr = (
            None if costs is None else site_values(costs, data.site_index, "costs", default=1.0)
        )
        check_budget(p, budget, None if cost_arr is None else cost_arr[~ex])
        cap = None
        if capacity is not None:
            cap = site_values(capacity, data.site_index, "capacity", default=np.inf)
        areas = area_codes(site_areas, min_per_area, data.site_index)
        if areas is not None and (p is None or budget is not None or cap is not None):
            raise InputError(
                "min_per_area works with a number of new sites p (no budget or capacity).",
                field="min_per_area",
                fix="give p=..., or leave min_per_area out.",
            )
        model = cls(
            data,
            weights=w,
            cutoff=cut,
            existing=ex,
            p=p,
            budget=budget,
            costs=cost_arr,
            capacity=cap,
            site_area=None if areas is None else areas[0],
            area_names=() if areas is None else areas[1],
            area_min=None if areas is None else areas[2],
        )
        need = model.area_need
        if need is not None and model.site_area is not None:
            assert p is not None
            check_quota(np.where(ex, -1, model.site_area), need, int(p), list(model.area_names))
        return model

    @classmethod
    def from_geodataframes(
        cls,
        network: Any,
        demand: Any,
        sites: Any,
        *,
        mode: str,
        cutoff: float,
        p: int | None = None,
        costs: str | ArrayLike | pd.Series | None = None,
        budget: float | None = None,
        capacity: str | ArrayLike | pd.Series | float | None = None,
        weight: str | None = None,
        existing: str | Sequence[Hashable] | None = None,
        max_snap_m: float = 500.0,
        on_far: Literal["raise", "exclude"] = "raise",
        n_jobs: int = 1,
        progress: bool = False,
    ) -> MCLP:
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
            Service time in minutes.
        p, budget
            As in :meth:`from_matrix`.
        costs, capacity
            As in :meth:`from_matrix`, or the name of a column of ``sites``.
        weight
            Column of ``demand`` holding the demand weights (1 each when None).
        existing
            Boolean column of ``sites`` flagging existing stations, or their labels.
        max_snap_m, on_far, n_jobs, progress
            As in :func:`planner.access.access_matrix`; points left off the network
            stay in the results (unreachable demand, sites that reach no one).

        Returns
        -------
        MCLP
            The model; call :meth:`solve`.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network(modes=["ebike"])
        >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
        >>> model = MCLP.from_geodataframes(net, stops, stations, mode="ebike", cutoff=5, p=2)
        >>> res = model.solve()
        >>> len(res.selected), res.demand.index.equals(stops.index)
        (2, True)
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
            site_columns={"costs": costs, "capacity": capacity},
        )
        return cls.from_matrix(**inputs, cutoff=cutoff, p=p, budget=budget)

    def _share_total(self) -> float | None:
        return float(self.weights.sum())

    def _solve_prepared(
        self,
        prep: Prepared,
        *,
        solver: SolverName,
        time_limit: float | None,
        mip_gap: float,
        seed: int | None,
        tick: Progress,
    ) -> BenefitSolve:
        need = self.area_need
        if need is None or self.site_area is None or not need.any():
            return super()._solve_prepared(
                prep, solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed, tick=tick
            )
        return solve_with_minimums(
            prep,
            int(self.p or 0),
            self.site_area[prep.cand_cols],
            need,
            solver=solver,
            time_limit=time_limit,
            mip_gap=mip_gap,
            seed=seed,
            tick=tick,
        )

    def _cutoff(self) -> float | None:
        return self.cutoff

    def _prepare(self) -> Prepared:
        data, w, ex = self.data, self.weights, self.existing
        sub, row_ids, cand_cols, reach, by_existing = _coverage_rows(data, self.cutoff, ex, w)
        merged, mw, _ = merge_rows(sub, w[row_ids], by_values=False)
        del sub  # the pattern before merging: as large as the merged one
        merged = coverage_pattern(merged)
        cost = self.costs[cand_cols] if self.costs is not None else None
        prob = BenefitProblem(merged, mw, np.zeros(merged.shape[0]), cost)
        const = float(w[by_existing].sum())
        total = float(w.sum())
        p, budget = self.p, self.budget

        def mip(
            *, relax: bool, time_limit: float | None, mip_gap: float, start: IntArray | None
        ) -> tuple[MipResult, IntArray]:
            return coverage_mip(
                prob,
                p if budget is None else None,
                budget=budget,
                relax=relax,
                time_limit=time_limit,
                mip_gap=mip_gap,
                start=start,
            )

        figures = {
            "total_weight": total,
            "existing_covered_weight": const,
            "uncoverable_weight": float(w[~reach].sum()),
            "model_rows": float(merged.shape[0]),
            "model_rows_before_merge": float(row_ids.size),
        }
        return Prepared(
            prob=prob,
            cand_cols=cand_cols,
            const=const,
            to_objective=lambda v: v,
            mip=mip,
            model_nnz=int(merged.nnz + 2 * merged.shape[0] + cand_cols.size),
            figures=figures,
            coverage=True,
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
        """Choose the sites.

        Parameters
        ----------
        solver
            ``"exact"`` (HiGHS MIP, warm-started with the heuristic), ``"fast"``
            (greedy + swaps with the online submodular bound, and the LP bound
            when the model is small), or ``"auto"`` (exact when the model is
            small enough, see ``reason`` in the result).
        time_limit
            Seconds; when HiGHS runs out of time the best plan is returned with
            its proven gap and status ``"time_limit"``. ``"auto"`` gives HiGHS
            120 s unless told otherwise.
        mip_gap
            Relative gap at which HiGHS may stop (0: prove optimality).
        seed
            Seed of the local search (tabu tenures, random restarts of the fast
            coverage solver); None uses a fixed seed, so runs are reproducible.
        progress
            Show a progress bar (tqdm) counting greedy steps, swap moves and
            HiGHS solves.

        Returns
        -------
        LocateResult
            Sites in rank order with the weight each adds, covered flags per
            demand point, objective (covered weight), bound and gap.
        """
        if self.capacity is not None:
            with progress_bar("MCLP (capacitated)", enabled=progress) as tick:
                return self._solve_capacitated(
                    solver=solver, time_limit=time_limit, mip_gap=mip_gap, progress=tick
                )
        res = super().solve(
            solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed, progress=progress
        )
        total = float(self.weights.sum())
        res.figures["covered_weight"] = res.objective
        res.figures["covered_share"] = res.objective / total if total > 0 else math.nan
        need = self.area_need
        if need is not None and need.any():
            res = dataclasses.replace(
                res,
                notes=(
                    *res.notes,
                    f"At least {min_text(self.area_min)} site(s) per area: "
                    f"{int(need.sum()):,} of the {self.p:,} new sites were required in "
                    f"{int((need > 0).sum()):,} area(s) short of the minimum.",
                ),
            )
        return res

    def capacity_limit(self) -> tuple[float, str | None]:
        """Most demand weight the sites' capacity can serve, and a note when it caps coverage.

        The ceiling is the capacity of the existing sites plus the ``p`` largest
        candidate capacities (with a budget: the largest capacity the budget buys,
        taking sites by capacity per cost, the last one in part), compared with
        the demand weight reachable within the cutoff.

        Returns
        -------
        limit, note
            The capacity ceiling (``inf`` without capacities) and, when it is below
            the coverable weight, a sentence saying so with the numbers and the fix.
        """
        if self.capacity is None:
            return math.inf, None
        cap, ex = self.capacity, self.existing
        cand = cap[~ex]
        if self.budget is not None:
            assert self.costs is not None
            cost = self.costs[~ex]
            ratio = np.divide(cand, cost, out=np.full(cand.size, np.inf), where=cost > 0)
            order = np.argsort(-ratio, kind="stable")
            spent = np.cumsum(cost[order])
            full = spent <= self.budget
            extra = float(cand[order][full].sum())
            k = int(full.sum())
            if k < cand.size:
                left = self.budget - (spent[k - 1] if k else 0.0)
                extra += float(cand[order][k] * max(left, 0.0) / cost[order][k])
            how = f"what a budget of {self.budget:,.6g} buys"
        else:
            p = int(self.p or 0)
            extra = float(np.sort(cand)[::-1][:p].sum())
            how = f"the {p:,} largest candidates"
        limit = float(cap[ex].sum()) + extra
        pattern = self.data.within(self.cutoff)
        reach = np.diff(pattern.indptr) > 0
        coverable = float(self.weights[reach].sum())
        total = float(self.weights.sum())
        if limit >= coverable * (1 - 1e-12):
            return limit, None
        note = (
            f"capacity caps coverage at {limit:,.6g} of {total:,.6g} demand weight "
            f"({coverable:,.6g} is within {self.cutoff:g} min of a site): the existing sites "
            f"hold {float(cap[ex].sum()):,.6g} and {how} add at most {extra:,.6g}. "
            "To cover more, raise p (or the budget), raise the sites' capacity, or choose "
            "among candidates with more capacity."
        )
        return limit, note

    def _solve_capacitated(
        self, *, solver: SolverName, time_limit: float | None, mip_gap: float, progress: Progress
    ) -> LocateResult:
        t0 = time.perf_counter()
        check_solver(solver)
        assert self.capacity is not None
        limit, cap_note = self.capacity_limit()
        if cap_note is not None:
            logger.warning("%s", cap_note)
        data, w, ex = self.data, self.weights, self.existing
        sub, row_ids, _, reach, _ = _coverage_rows(
            data, self.cutoff, np.zeros(data.n_sites, dtype=bool), w
        )
        merged, mw, group = merge_rows(sub, w[row_ids], by_values=False)
        merged = sp.csr_array(
            (np.ones(merged.nnz), merged.indices, merged.indptr), shape=merged.shape
        )
        cost = self.costs if self.costs is not None else None
        prob = BenefitProblem(merged, mw, np.zeros(merged.shape[0]), cost)
        p = self.p
        nnz = merged.nnz
        size = 3 * nnz + merged.shape[0] + data.n_sites
        use_exact = solver == "exact" or (solver == "auto" and size <= EXACT_NNZ_LIMIT)
        if solver == "auto" and use_exact and time_limit is None:
            time_limit = AUTO_TIME_LIMIT
        if not use_exact and size > 4 * LP_BOUND_NNZ_LIMIT:
            raise InputError(
                f"capacitated coverage needs an LP of {size:,} non-zeros, too large here.",
                field="capacity",
                fix="merge demand points, lower the cutoff, or solve without capacity.",
            )

        def run(
            relax: bool,
            fixed: NDArray[np.bool_],
            allowed: NDArray[np.bool_],
            n_new: int | None,
            start: IntArray | None,
        ) -> tuple[MipResult, IntArray]:
            assert self.capacity is not None
            return capacitated_mip(
                prob,
                self.capacity,
                fixed=fixed,
                allowed=allowed,
                p=n_new,
                budget=self.budget,
                relax=relax,
                time_limit=time_limit,
                mip_gap=mip_gap,
                start=start,
            )

        allowed = np.ones(data.n_sites, dtype=bool)
        # LP relaxation: bound, and rounding for the heuristic
        with progress.stage("HiGHS LP relaxation"):
            lp, _ = run(True, ex, allowed, p, None)
        bound = lp.objective
        xs = lp.x[: data.n_sites].copy()
        xs[ex] = -np.inf
        score = xs + 1e-6 * (merged.T @ mw) / max(float(mw.sum()), 1.0)
        score[ex] = -np.inf
        order = np.argsort(-score, kind="stable")
        if self.budget is not None:
            assert self.costs is not None
            pick, spent = [], 0.0
            for j in order:
                if np.isfinite(score[j]) and spent + self.costs[j] <= self.budget + 1e-9:
                    pick.append(j)
                    spent += float(self.costs[j])
            heur = np.asarray(pick, dtype=np.int64)
        else:
            assert p is not None
            heur = order[:p].astype(np.int64)
        fixed = ex.copy()
        fixed[heur] = True
        with progress.stage("HiGHS assignment of the rounded plan"):
            ev, _ = run(False, fixed, fixed, 0 if self.budget is None else None, None)
        chosen, value, status, name = heur, ev.objective, "feasible", "LP rounding"
        reason = "fast solver asked for (LP relaxation rounded, assignment re-solved)"
        if use_exact:
            start_x = np.flatnonzero(fixed)
            with progress.stage("HiGHS MIP"):
                res, cols_on = run(False, ex, allowed, p, start_x)
            if not math.isnan(res.objective) and res.objective >= value - 1e-9:
                chosen = np.setdiff1d(cols_on, np.flatnonzero(ex))
                value = res.objective
            if not math.isnan(res.bound):
                bound = min(bound, res.bound)
            status, name = res.status, "highs"
            reason = (
                "exact solver asked for (HiGHS)"
                if solver == "exact"
                else f"auto: capacitated model has {size:,} non-zeros (<= {EXACT_NNZ_LIMIT:,})"
            )
        # ranking by marginal covered weight under capacity
        order_c, marg = rank_capacitated(prob, self.capacity, ex, chosen, run)
        progress.step("ranking")
        open_mask = ex.copy()
        open_mask[chosen] = True
        fin, _ = run(False, open_mask, open_mask, 0 if self.budget is None else None, None)
        y = fin.x[data.n_sites :]
        served_rows = np.bincount(
            np.repeat(np.arange(merged.shape[0]), np.diff(merged.indptr)),
            weights=y,
            minlength=merged.shape[0],
        )
        share = np.zeros(data.n_demand)
        share[row_ids] = np.minimum(served_rows[group], 1.0)
        demand = demand_table(data, w, open_mask, cutoff=self.cutoff)
        demand["covered_share"] = share
        ex_val = capacitated_value(run, ex)
        sites = site_table(
            data.site_index,
            ex,
            order_c,
            marg[1:],
            base=ex_val,
            total=float(w.sum()),
            name=self.marginal_name,
        )
        total = float(w.sum())
        figures = {
            "total_weight": total,
            "covered_weight": value,
            "covered_share": value / total if total > 0 else math.nan,
            "uncoverable_weight": float(w[~reach].sum()),
            "objective_before": ex_val,
            "new_sites": float(chosen.size),
            "capacity_limit": limit,
        }
        return make_result(
            model="MCLP (capacitated)",
            sites=sites,
            demand=demand,
            objective=value,
            bound=max(bound, value),
            sense="max",
            solver=name,
            reason=reason,
            status=status,
            t0=t0,
            figures=figures,
            notes=() if cap_note is None else (cap_note,),
        )


class LSCP:
    """Set covering: the fewest new sites (or least cost) covering all coverable demand.

    Demand that no site reaches within the cutoff is not an error: it is
    reported as ``uncoverable_weight`` (and ``covered = False``) while the rest
    is covered. Existing sites are fixed and count as covering.

    Examples
    --------
    >>> import numpy as np
    >>> inf = np.inf
    >>> times = np.array([[1.0, inf, inf], [2.0, 3.0, inf], [inf, 4.0, inf], [inf, inf, inf]])
    >>> res = LSCP.from_matrix(times, cutoff=5).solve()
    >>> res.objective, list(res.selected), res.figures["uncoverable_weight"]
    (2.0, [0, 1], 1.0)
    """

    name = "LSCP"

    def __init__(
        self,
        data: AccessData,
        *,
        weights: NDArray[np.float64],
        cutoff: float,
        existing: NDArray[np.bool_],
        costs: NDArray[np.float64] | None,
    ) -> None:
        self.data = data
        self.weights = weights
        self.cutoff = cutoff
        self.existing = existing
        self.costs = costs

    @classmethod
    def from_matrix(
        cls,
        matrix: MatrixInput,
        *,
        cutoff: float,
        weights: ArrayLike | pd.Series | None = None,
        existing: Sequence[Hashable] | ArrayLike | None = None,
        costs: ArrayLike | pd.Series | None = None,
        demand_index: ArrayLike | pd.Index | None = None,
        site_index: ArrayLike | pd.Index | None = None,
    ) -> LSCP:
        """Build the model from a demand × site travel-time matrix.

        Parameters
        ----------
        matrix
            Travel times in minutes (see :meth:`MCLP.from_matrix`).
        cutoff
            Service time.
        weights
            Demand weights; points with weight 0 need no cover. Reported figures
            (uncoverable weight, marginal weight per site) use them.
        existing
            Labels of existing sites (fixed, covering, not counted in the objective).
        costs
            Cost per site (> 0): minimise total cost instead of the number of sites.
        demand_index, site_index
            Labels of rows and columns.

        Returns
        -------
        LSCP
            The model; call :meth:`solve`.
        """
        data, w, ex = model_inputs(
            matrix,
            weights=weights,
            existing=existing,
            demand_index=demand_index,
            site_index=site_index,
        )
        cut = check_cutoff(cutoff)
        cost_arr = (
            site_values(costs, data.site_index, "costs", default=1.0, positive=True)
            if costs is not None
            else None
        )
        return cls(data, weights=w, cutoff=cut, existing=ex, costs=cost_arr)

    @classmethod
    def from_geodataframes(
        cls,
        network: Any,
        demand: Any,
        sites: Any,
        *,
        mode: str,
        cutoff: float,
        costs: str | ArrayLike | pd.Series | None = None,
        weight: str | None = None,
        existing: str | Sequence[Hashable] | None = None,
        max_snap_m: float = 500.0,
        on_far: Literal["raise", "exclude"] = "raise",
        n_jobs: int = 1,
        progress: bool = False,
    ) -> LSCP:
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
            Service time in minutes.
        costs
            As in :meth:`from_matrix`, or the name of a column of ``sites``.
        weight
            Column of ``demand`` holding the demand weights (1 each when None).
        existing
            Boolean column of ``sites`` flagging existing stations, or their labels.
        max_snap_m, on_far, n_jobs, progress
            As in :func:`planner.access.access_matrix`; points left off the network
            stay in the results (unreachable demand, sites that reach no one).

        Returns
        -------
        LSCP
            The model; call :meth:`solve`.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network(modes=["ebike"])
        >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
        >>> res = LSCP.from_geodataframes(net, stops, stations, mode="ebike", cutoff=5).solve()
        >>> res.figures["covered_weight"] + res.figures["uncoverable_weight"] == len(stops)
        True
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
            site_columns={"costs": costs},
        )
        return cls.from_matrix(**inputs, cutoff=cutoff)

    def solve(
        self,
        *,
        solver: SolverName = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        seed: int | None = None,
        progress: bool = False,
    ) -> LocateResult:
        """Choose the sites (arguments as in :meth:`MCLP.solve`).

        Parameters
        ----------
        solver, time_limit, mip_gap, seed, progress
            As in :meth:`MCLP.solve`; ``seed`` is not used (the greedy is deterministic).

        Returns
        -------
        LocateResult
            Objective = number (or cost) of new sites; ``figures`` holds
            ``uncoverable_weight``.
        """
        t0 = time.perf_counter()
        check_solver(solver)
        with progress_bar(self.name, enabled=progress) as tick:
            return self._solve(t0, tick, solver=solver, time_limit=time_limit, mip_gap=mip_gap)

    def _solve(
        self,
        t0: float,
        tick: Progress,
        *,
        solver: SolverName,
        time_limit: float | None,
        mip_gap: float,
    ) -> LocateResult:
        data, w, ex = self.data, self.weights, self.existing
        sub, row_ids, cand_cols, reach, by_existing = _coverage_rows(data, self.cutoff, ex, w)
        has = np.diff(sub.indptr) > 0
        uncoverable = np.zeros(data.n_demand, dtype=bool)
        uncoverable[~reach] = True
        if not has.all():  # pragma: no cover - rows reachable only by existing are covered
            uncoverable[row_ids[~has]] = True
        merged, mw, _ = merge_rows(sub, w[row_ids], by_values=False)
        merged = sp.csr_array(
            (np.ones(merged.nnz), merged.indices, merged.indptr), shape=merged.shape
        )
        cost = self.costs[cand_cols] if self.costs is not None else np.ones(cand_cols.size)
        nnz = int(merged.nnz)
        if merged.shape[0] == 0:
            chosen = np.zeros(0, dtype=np.int64)
            value, bound, name, status = 0.0, 0.0, "trivial", "optimal"
            reason = "nothing left to cover"
        else:
            use_exact = solver == "exact" or (solver == "auto" and nnz <= EXACT_NNZ_LIMIT)
            if solver == "auto" and time_limit is None and use_exact:
                time_limit = AUTO_TIME_LIMIT
            with tick.stage("greedy set cover"):
                heur = greedy_cover(merged, cost, lp_bound=not use_exact, time_limit=time_limit)
            chosen, value, bound = heur.selected, heur.cost, heur.bound
            name, status = "greedy cover", "feasible"
            reason = (
                "fast solver asked for (greedy set cover)"
                if solver == "fast"
                else (f"auto: {nnz:,} non-zeros > {EXACT_NNZ_LIMIT:,}, greedy set cover")
            )
            if use_exact:
                with tick.stage("HiGHS set cover"):
                    res, cols = cover_mip(
                        merged, cost, time_limit=time_limit, mip_gap=mip_gap, start=heur.selected
                    )
                if res.status == "infeasible":  # pragma: no cover - rows are coverable
                    raise InfeasibleError("HiGHS found the cover infeasible.")
                if not math.isnan(res.objective) and res.objective <= value + 1e-9:
                    chosen, value = cols, float(cost[cols].sum())
                if not math.isnan(res.bound):
                    bound = max(bound, res.bound)
                if np.all(cost == np.round(cost)):
                    bound = math.ceil(bound - 1e-7)
                name, status = "highs", res.status
                reason = (
                    "exact solver asked for (HiGHS)"
                    if solver == "exact"
                    else f"auto: {nnz:,} non-zeros <= {EXACT_NNZ_LIMIT:,}, HiGHS"
                )
        prob = BenefitProblem(merged, mw, np.zeros(merged.shape[0]))
        order, marg = rank_order(prob, chosen)
        gl = cand_cols[order]
        open_mask = ex.copy()
        open_mask[gl] = True
        base = float(w[by_existing].sum())
        total = float(w.sum())
        sites = site_table(
            data.site_index, ex, gl, marg, base=base, total=total, name="marginal_weight"
        )
        demand = demand_table(data, w, open_mask, cutoff=self.cutoff)
        covered = float(w[demand["covered"].to_numpy()].sum())
        figures = {
            "total_weight": total,
            "covered_weight": covered,
            "covered_share": covered / total if total > 0 else math.nan,
            "uncoverable_weight": float(w[uncoverable].sum()),
            "uncoverable_points": float(uncoverable.sum()),
            "existing_covered_weight": base,
            "new_sites": float(gl.size),
            "model_rows": float(merged.shape[0]),
        }
        return make_result(
            model=self.name,
            sites=sites,
            demand=demand,
            objective=value,
            bound=min(bound, value),
            sense="min",
            solver=name,
            reason=reason,
            status=status,
            t0=t0,
            figures=figures,
        )


__all__ = ["LSCP", "MCLP", "nearest_open"]
