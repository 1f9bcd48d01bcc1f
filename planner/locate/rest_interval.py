# ruff: noqa: N806  (matrix names W, A follow the maths)
"""Rest-interval coverage: the sites that let routes rest at least every ``interval``.

After Kuby & Lim's flow-refuelling model (2005), in Capar et al.'s 2013 arc-cover
form: a route is *served* only if, along its length, it meets an open site at
least every ``interval`` (hours or kilometres of driving); maximise the served
volume with ``p`` sites (or a budget), or find the fewest (cheapest) sites
serving every servable route. Rows are routes (with a volume, e.g. trucks per
day), columns are sites; :meth:`planner.routes.Flows.site_incidence` builds the
positions matrix from a road network. The windows are built in
:mod:`planner.locate._windows`, the covering local search is in
:mod:`planner.locate._cover_search`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner._errors import InputError, SolverError
from planner._progress import progress_bar
from planner.locate._base import (
    LocateResult,
    SolverName,
    as_index,
    check_flow_choice,
    check_min_volume,
    check_p,
    demand_weights,
    relative_gap,
    site_mask,
    site_values,
)
from planner.locate._cover_search import cover_search
from planner.locate._engine import (
    AUTO_TIME_LIMIT,
    PhasePlan,
    check_solver,
    make_result,
    site_table,
)
from planner.locate._windows import (
    Windows,
    build_windows,
    positions_coo,
    route_anchors,
    smallest_gap,
    sort_order,
)
from planner.locate.solvers import (
    EXACT_NNZ_LIMIT,
    LP_BOUND_NNZ_LIMIT,
    cover_mip,
    greedy_cover,
    solve_mip,
)
from planner.locate.solvers.rest import rest_exact, rest_fast
from planner.locate.solvers.rest_problem import RestProblem, reduce_windows

logger = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

__all__ = ["RestIntervalCoverage"]


class RestIntervalCoverage:
    """Rest-interval coverage: routes that meet a site at least every ``interval``.

    Every route has a length ``L`` (hours or kilometres of driving) and the
    positions along it (same unit, from the origin) where it passes each site.
    A route is *served* by a set of open sites when the gaps between
    consecutive rest places along it are all at most ``interval``; the rest
    places are the open sites it passes, and its origin and destination when
    they are rest places. An origin that is not a rest place counts as if the
    driver had already driven ``end_share * interval`` when leaving it, and a
    destination that is not a rest place must be reached with
    ``end_share * interval`` of driving left (Kuby & Lim's half-tank convention
    for the default 0.5).

    The constraints are windows (Capar et al. 2013): for the origin and for
    every site on the route, the sites in the next ``interval`` of driving must
    hold an open one, unless the destination is within reach. Windows that hold
    another window are dropped, windows holding an existing site are met. A
    route with an empty window (a gap longer than ``interval`` between
    consecutive sites) cannot be served by any choice: it is reported as
    ``servable = False`` and left out, not an error.

    ``solve`` maximises the served volume with ``p`` new sites (or a budget),
    or, with neither, finds the fewest (cheapest, with costs) new sites serving
    every servable route.

    Examples
    --------
    A 10-hour route with sites at 1, 4, 5 and 8 hours, a rest every 4 hours:
    it needs two stops, and only 4 and 8 hours work (gaps 4, 4 and 2).

    >>> import numpy as np
    >>> positions = np.array([[1.0, 4.0, 5.0, 8.0]])
    >>> model = RestIntervalCoverage.from_matrix(positions, lengths=[10.0], interval=4.0)
    >>> res = model.solve()
    >>> sorted(res.selected), res.objective
    ([1, 3], 2.0)
    """

    name = "RestIntervalCoverage"

    def __init__(
        self,
        *,
        rows: IntArray,
        cols: IntArray,
        pos: FloatArray,
        lengths: FloatArray,
        interval: float,
        volumes: FloatArray,
        existing: BoolArray,
        allowed: BoolArray,
        passing: FloatArray,
        costs: FloatArray | None,
        p: int | None,
        budget: float | None,
        origin_rest: BoolArray,
        destination_rest: BoolArray,
        end_share: float,
        route_index: pd.Index,
        site_index: pd.Index,
    ) -> None:
        self.rows, self.cols, self.pos = rows, cols, pos
        self.lengths = lengths
        self.interval = interval
        self.volumes = volumes
        self.existing = existing
        self.allowed = allowed
        self.passing = passing
        self.costs = costs
        self.p = p
        self.budget = budget
        self.origin_rest = origin_rest
        self.destination_rest = destination_rest
        self.end_share = end_share
        self.route_index = route_index
        self.site_index = site_index
        self._win: Windows | None = None

    @classmethod
    def from_matrix(
        cls,
        positions: sp.sparray | sp.spmatrix | ArrayLike,
        *,
        lengths: ArrayLike | pd.Series,
        interval: float,
        p: int | None = None,
        volumes: ArrayLike | pd.Series | None = None,
        existing: Sequence[Hashable] | ArrayLike | None = None,
        costs: ArrayLike | pd.Series | None = None,
        budget: float | None = None,
        min_volume: float | None = None,
        origin_rest: bool | ArrayLike = True,
        destination_rest: bool | ArrayLike = True,
        end_share: float = 0.5,
        route_index: ArrayLike | pd.Index | None = None,
        site_index: ArrayLike | pd.Index | None = None,
    ) -> RestIntervalCoverage:
        """Build the model from a route × site matrix of positions along the routes.

        Parameters
        ----------
        positions
            Where each route passes each site, from its origin, in hours (or
            kilometres) of driving: a scipy sparse matrix (a COO matrix may hold
            several entries for one route and site: several passes; stored
            zeros are passes at the origin) or a dense array with ``nan`` where
            the route does not pass the site. E.g.
            ``SiteIncidence.matrix("position_h")``.
        lengths
            Each route's total length, same unit.
        interval
            Longest driving between rests (e.g. 4 hours), same unit.
        p
            Number of new sites (maximise served volume).
        volumes
            Volume per route (trucks per day); 1 each by default.
        existing
            Labels of existing sites (fixed, open).
        costs, budget
            Cost per site; budget for new sites (maximise served volume), or,
            with neither ``p`` nor ``budget``, costs weigh the covering objective.
        min_volume
            Candidates passed by less volume are not eligible.
        origin_rest, destination_rest
            Whether each route's ends are rest places (one flag for all or one
            per route).
        end_share
            Share of ``interval`` already driven at an origin, or still needed at
            a destination, that is not a rest place.
        route_index, site_index
            Labels of rows and columns.

        Returns
        -------
        RestIntervalCoverage
            The model; call :meth:`solve`.
        """
        rows, cols, pos, shape = positions_coo(positions)
        n_routes, n_sites = shape
        if n_routes == 0 or n_sites == 0:
            raise InputError(
                f"the positions matrix is empty ({n_routes} routes × {n_sites} sites).",
                field="positions",
            )
        r_index = as_index(route_index, n_routes, "route_index", rows=True)
        s_index = as_index(site_index, n_sites, "site_index", rows=False)
        if isinstance(lengths, pd.Series):
            length_arr = lengths.reindex(r_index).to_numpy(dtype=np.float64)
        else:
            length_arr = np.asarray(lengths, dtype=np.float64).ravel()
        if length_arr.size != n_routes:
            raise InputError(
                f"`lengths` has {length_arr.size} values for {n_routes} routes.", field="lengths"
            )
        if not (np.isfinite(length_arr).all() and (length_arr >= 0).all()):
            raise InputError("`lengths` must be finite numbers >= 0.", field="lengths")
        R = float(interval)
        if not (np.isfinite(R) and R > 0):
            raise InputError(
                f"`interval` must be a positive number (same unit as the positions); got "
                f"{interval!r}.",
                field="interval",
                fix="give the longest driving between rests, e.g. interval=4 (hours).",
            )
        bad = ~np.isfinite(pos) | (pos < 0) | (pos > length_arr[rows] * (1 + 1e-9) + 1e-9)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{int(bad.sum())} positions are not within their route (first: "
                f"{pos[k]} on route {r_index[rows[k]]!r} of length {length_arr[rows[k]]}).",
                row=int(rows[k]) + 1,
                field="positions",
                fix="give positions from the route's origin, between 0 and its length.",
            )
        w = demand_weights(volumes, r_index, "volumes")
        ex = site_mask(existing, s_index, "existing")
        minv = check_min_volume(min_volume)
        pairs = np.unique(rows * n_sites + cols)
        passing = np.bincount(
            pairs % n_sites, weights=w[pairs // n_sites], minlength=n_sites
        ).astype(np.float64)
        allowed = ex | (passing >= minv)
        n_cand = int((allowed & ~ex).sum())
        cost_arr = None if costs is None else site_values(costs, s_index, "costs", default=1.0)
        check_flow_choice(
            p, budget, None if cost_arr is None else cost_arr[allowed & ~ex], n_cand, int(ex.sum())
        )
        share = float(end_share)
        if not (np.isfinite(share) and 0 <= share <= 1):
            raise InputError(
                f"`end_share` must be in [0, 1]; got {end_share!r}.", field="end_share"
            )
        o_rest = np.broadcast_to(np.asarray(origin_rest, dtype=bool), (n_routes,)).copy()
        d_rest = np.broadcast_to(np.asarray(destination_rest, dtype=bool), (n_routes,)).copy()
        return cls(
            rows=rows,
            cols=cols,
            pos=pos,
            lengths=length_arr,
            interval=R,
            volumes=w,
            existing=ex,
            allowed=allowed,
            passing=passing,
            costs=cost_arr,
            p=p,
            budget=budget,
            origin_rest=o_rest,
            destination_rest=d_rest,
            end_share=share,
            route_index=r_index,
            site_index=s_index,
        )

    # ------------------------------------------------------------ windows
    @property
    def windows(self) -> Windows:
        """The window constraints, built once."""
        if self._win is None:
            self._win = self._build_windows()
        return self._win

    def _anchors(self) -> tuple[FloatArray, FloatArray]:
        return route_anchors(
            self.lengths, self.interval, self.end_share, self.origin_rest, self.destination_rest
        )

    def _build_windows(self) -> Windows:
        start, end = self._anchors()
        return build_windows(
            self.rows,
            self.cols,
            self.pos,
            allowed=self.allowed,
            existing=self.existing,
            start=start,
            end=end,
            interval=self.interval,
        )

    # ------------------------------------------------------------ evaluation
    def _served(self, open_cols: BoolArray) -> BoolArray:
        """Routes served (needing windows) by open candidate columns."""
        win = self.windows
        hits = win.W @ open_cols.astype(np.float64)
        unmet = np.bincount(win.win_route[hits <= 0], minlength=self.lengths.size)
        needs = win.servable & ~win.by_existing
        return needs & (unmet == 0)

    def _value(self, open_cols: BoolArray) -> float:
        return float(self.volumes[self._served(open_cols)].sum())

    # ------------------------------------------------------------ solving
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
            ``"exact"``, ``"fast"`` or ``"auto"``. With ``p`` or a budget both
            work on the reduced problem (each distinct window once, routes with
            the same windows merged, volumes summed; see
            :meth:`reduced`). ``"fast"``: greedy with partial credit for
            windows met, swaps (close a site, open the best other; exact
            gains), perturbed restarts and an exact MIP on a core of the
            columns the plans and the Lagrangian multipliers rate best; the
            bound is the Lagrangian relaxation of the window links (at best
            the LP bound). ``"exact"``: dominated candidates dropped, the fast
            plan as incumbent and warm start, Lagrangian reduced-cost fixing,
            then HiGHS on what is left. Covering every servable route
            (neither ``p`` nor budget): ``"exact"`` is HiGHS on the windows'
            set cover, ``"fast"`` the greedy set cover of the
            windows and the LP relaxation's whole columns, each completed and
            improved by exchanges (swap a site for one that does its job,
            dropping sites that become redundant) and perturbed restarts; bound
            from the LP relaxation when it solves in time, else from each
            route's fewest stops or the greedy cover's ratio).
        time_limit
            Seconds for the solve (``"auto"`` gives the exact solver 120 s; the
            fast solver takes 60 s at most by default and most instances
            finish well within); the best plan found is returned with its
            proven gap.
        mip_gap
            Relative gap at which HiGHS may stop.
        seed
            Seed of the perturbed restarts (0 when None).
        progress
            Show a progress bar (maximising only).

        Returns
        -------
        LocateResult
            ``objective``: served volume (existing sites included) with ``p`` or
            a budget, or the number (cost) of new sites when covering every
            servable route; ``demand`` has one row per route: ``weight``,
            ``servable``, ``served``, ``stops`` (open sites passed) and
            ``max_gap`` (longest driving between rest places with the plan);
            ``figures`` has ``served_volume``, ``unservable_volume``,
            ``unservable_routes``, ``total_volume`` and, maximising,
            ``greedy_objective``, ``heuristic_objective`` and
            ``heuristic_bound`` (the fast solver's plan and proven bound, also
            under ``"exact"``), ``distinct_windows`` and ``merged_routes``.
        """
        t0 = time.perf_counter()
        check_solver(solver)
        win = self.windows
        if not win.servable.any():
            message = (
                f"no route can be served with a rest every {self.interval:g}: every route has "
                f"a stretch longer than that without any site (the shortest such gap is "
                f"{self._smallest_gap():.4g}); add candidate sites, lower min_volume, "
                "or lengthen the interval"
            )
            logger.warning("RestIntervalCoverage: %s", message)
            return self._result(
                np.zeros(win.cand_cols.size, dtype=bool),
                0.0,
                0.0,
                "min" if self.p is None and self.budget is None else "max",
                "trivial",
                message,
                "optimal",
                t0,
                {},
            )
        if self.p is None and self.budget is None:
            return self._solve_cover(solver, time_limit, mip_gap, seed, t0)
        return self._solve_max(solver, time_limit, mip_gap, seed, t0, progress)

    def phased(
        self,
        phases: list[int] | tuple[int, ...],
        *,
        solver: SolverName = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        seed: int | None = None,
        progress: bool = False,
    ) -> PhasePlan:
        """Plan in phases: phase k opens ``phases[k]`` sites with all earlier ones fixed.

        Each phase is solved as the model with the sites of the earlier phases
        added to the existing ones (so it is optimal for that phase given them
        with ``"exact"``, not over all phases at once).

        Parameters
        ----------
        phases
            New sites per phase, e.g. ``[20, 20, 20, 20, 20]`` for 20 a year.
        solver, time_limit, mip_gap, seed, progress
            As in :meth:`solve`, applied to every phase.

        Returns
        -------
        PhasePlan
            All new sites with their phase (``phase``, ``rank``,
            ``rank_in_phase``, ``marginal_volume``, ``cumulative``, ...), and every
            phase's result.

        Examples
        --------
        A 10-hour route needing sites 1 and 3 (as in the class example) and a
        6-hour route needing site 1, one new site a phase:

        >>> import numpy as np
        >>> nan = np.nan
        >>> positions = np.array([[1.0, 4.0, 5.0, 8.0], [nan, 3.0, nan, nan]])
        >>> model = RestIntervalCoverage.from_matrix(
        ...     positions, lengths=[10.0, 6.0], interval=4.0, p=1
        ... )
        >>> plan = model.phased([1, 1], solver="exact")
        >>> plan.sites.index.tolist(), plan.sites["phase"].tolist(), plan.phases[-1].objective
        ([1, 3], [1, 2], 2.0)
        """
        if self.budget is not None:
            raise InputError(
                "`phased` counts new sites per phase; this model has a budget.",
                field="phases",
                fix="build the model with p=... (or solve each phase with its own budget).",
            )
        if not phases or any(int(k) != k or k < 0 for k in phases):
            raise InputError(
                f"`phases` must be a non-empty list of whole numbers >= 0; got {phases}.",
                field="phases",
            )
        check_p(
            int(sum(phases)), int((self.allowed & ~self.existing).sum()), int(self.existing.sum())
        )
        existing = self.existing.copy()
        results = []
        frames = []
        for k, n_new in enumerate(phases, start=1):
            model = self._with(existing=existing, p=int(n_new))
            res = model.solve(
                solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed, progress=progress
            )
            results.append(res)
            new = res.sites[~res.sites["existing"]].copy()
            new.insert(0, "phase", k)
            new = new.rename(columns={"rank": "rank_in_phase"})
            frames.append(new)
            existing = existing.copy()
            existing[self.site_index.get_indexer(res.selected)] = True
        sites = pd.concat(frames)
        sites.insert(1, "rank", np.arange(1, len(sites) + 1))
        sites = sites.drop(columns=["existing"])
        return PhasePlan(sites=sites, phases=tuple(results))

    def _with(self, *, existing: BoolArray, p: int) -> RestIntervalCoverage:
        """Return the same model with other existing sites and ``p`` (windows rebuilt)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.existing = existing
        other.allowed = self.allowed | existing
        other.p = p
        other.budget = None
        other._win = None
        return other

    def _smallest_gap(self) -> float:
        start, end = self._anchors()
        return smallest_gap(self.rows, self.cols, self.pos, self.allowed, start, end)

    def reduced(self, cap: int | None = None) -> tuple[RestProblem, IntArray]:
        """Return the reduced problem (distinct windows, merged routes) the solvers work on.

        Parameters
        ----------
        cap
            Most new sites a plan may open: routes needing more new stops on
            their own are left out (no plan serves them). Default: ``p``, or
            every candidate with a budget.

        Returns
        -------
        problem, group
            The :class:`~planner.locate.solvers.rest_problem.RestProblem` over
            the candidate columns (``windows.cand_cols``), and every route's row
            in it (-1 when left out).
        """
        win = self.windows
        if cap is None:
            cap = self.p if self.budget is None and self.p is not None else win.cand_cols.size
        keep = win.servable & ~win.by_existing & (win.min_stops <= cap)
        prob, group = reduce_windows(win.W, win.win_route, self.volumes, keep)
        if self.costs is not None:
            prob.cost = self.costs[win.cand_cols]
        return prob, group

    def _solve_max(
        self,
        solver: SolverName,
        time_limit: float | None,
        mip_gap: float,
        seed: int | None,
        t0: float,
        progress: bool,
    ) -> LocateResult:
        win = self.windows
        const = float(self.volumes[win.by_existing].sum())
        prob, _ = self.reduced()
        nnz = int(prob.D.nnz + 2 * prob.G.nnz + prob.D.shape[0] + prob.n_cols)
        use_exact = solver == "exact" or (solver == "auto" and nnz <= EXACT_NNZ_LIMIT)
        if solver == "auto" and use_exact and time_limit is None:
            time_limit = AUTO_TIME_LIMIT
        p = self.p if self.budget is None else None
        sizes = (
            f"{win.n_windows:,} route windows -> {prob.D.shape[0]:,} distinct windows, "
            f"{int((win.servable & ~win.by_existing).sum()):,} routes -> {prob.G.shape[0]:,}"
        )
        with progress_bar(self.name, enabled=progress) as tick:
            if use_exact:
                cols, value, bound, status, fast = rest_exact(
                    prob, p, self.budget, time_limit=time_limit, mip_gap=mip_gap, seed=seed,
                    progress=tick,
                )  # fmt: skip
                name = "highs"
                reason = (
                    "exact solver asked for (Lagrangian fixing, then HiGHS warm-started with "
                    f"the fast plan; {sizes})"
                    if solver == "exact"
                    else f"auto: the reduced model has {nnz:,} non-zeros (<= "
                    f"{EXACT_NNZ_LIMIT:,}), HiGHS ({sizes})"
                )
            else:
                fast = rest_fast(
                    prob, p, self.budget, time_limit=time_limit, seed=seed, progress=tick
                )
                cols, value, bound, status = fast.selected, fast.value, fast.bound, "feasible"
                name = "greedy+swap+core, Lagrangian bound"
                reason = (
                    "fast solver asked for (greedy with partial window credit, swaps, perturbed "
                    f"restarts, core MIP; Lagrangian bound; {sizes})"
                    if solver == "fast"
                    else f"auto: the reduced model has {nnz:,} non-zeros (> {EXACT_NNZ_LIMIT:,}), "
                    f"fast solver ({sizes})"
                )
        chosen = np.zeros(win.cand_cols.size, dtype=bool)
        chosen[cols] = True
        checked = self._value(chosen)
        if abs(checked - value) > 1e-6 * max(1.0, abs(value)):  # pragma: no cover - a bug guard
            raise SolverError(
                f"the reduced rest-interval problem values the plan at {value:,.6g}, the full "
                f"model at {checked:,.6g}; please report this instance."
            )
        if relative_gap(value, bound, "max") == 0:
            status = "optimal"
        figures = {
            "greedy_objective": const + fast.greedy_value,
            "heuristic_objective": const + fast.value,
            "heuristic_bound": const + fast.bound,
            "swaps": float(fast.swaps),
            "distinct_windows": float(prob.D.shape[0]),
            "merged_routes": float(prob.G.shape[0]),
            **fast.figures,
        }
        return self._result(
            chosen, const + value, const + bound, "max", name, reason, status, t0, figures
        )

    def _solve_cover(
        self,
        solver: SolverName,
        time_limit: float | None,
        mip_gap: float,
        seed: int | None,
        t0: float,
    ) -> LocateResult:
        win = self.windows
        W = win.W
        n_c = win.cand_cols.size
        cost = self.costs[win.cand_cols] if self.costs is not None else np.ones(n_c)
        if self.costs is not None and (cost <= 0).any():
            raise InputError("covering needs costs > 0 for every candidate.", field="costs")
        if W.shape[0] == 0:
            chosen = np.zeros(n_c, dtype=bool)
            return self._result(
                chosen,
                0.0,
                0.0,
                "min",
                "trivial",
                "every servable route is already served",
                "optimal",
                t0,
                {},
            )
        use_exact = solver == "exact" or (solver == "auto" and W.nnz <= EXACT_NNZ_LIMIT)
        if solver == "auto" and use_exact and time_limit is None:
            time_limit = AUTO_TIME_LIMIT
        heur = greedy_cover(W, cost, lp_bound=False)
        starts = [heur.selected]
        bound = float(heur.bound)
        name = "greedy cover+exchange"
        if not use_exact and W.nnz <= LP_BOUND_NNZ_LIMIT:
            # the LP relaxation: its bound, and its whole columns as a second start
            lp = solve_mip(
                cost,
                np.zeros(n_c),
                np.ones(n_c),
                np.zeros(n_c, dtype=np.int32),
                sp.csc_array(W, dtype=np.float64),
                np.ones(W.shape[0]),
                np.full(W.shape[0], np.inf),
                sense="min",
                time_limit=_lp_seconds(time_limit),
            )
            if lp.status == "optimal":
                bound = max(bound, float(lp.bound))
                starts.append(np.flatnonzero(lp.x >= 1.0 - 1e-6).astype(np.int64))
                name = "LP rounding+exchange"
        if np.all(cost == np.round(cost)):
            bound = math.ceil(bound - 1e-7)
        deadline = None if time_limit is None else t0 + 0.5 * time_limit
        start, moves = cover_search(W, cost, starts, deadline=deadline, seed=seed)
        chosen = np.zeros(n_c, dtype=bool)
        chosen[start] = True
        value = float(cost[start].sum())
        figures = {"greedy_objective": heur.cost, "exchanges": float(moves)}
        status = "feasible"
        reason = (
            "fast solver asked for (greedy and LP-rounded set covers of the windows, "
            "improved by exchanges)"
            if solver == "fast"
            else f"auto: {W.nnz:,} non-zeros > {EXACT_NNZ_LIMIT:,}, set-cover heuristics"
        )
        if use_exact:
            res, cols = cover_mip(W, cost, time_limit=time_limit, mip_gap=mip_gap, start=start)
            if not math.isnan(res.objective) and res.objective <= value + 1e-9:
                chosen = np.zeros(n_c, dtype=bool)
                chosen[cols] = True
                value = float(cost[cols].sum())
            if not math.isnan(res.bound):
                bound = max(bound, res.bound)
            if np.all(cost == np.round(cost)):
                bound = math.ceil(bound - 1e-7)
            name, status = "highs", res.status
            reason = (
                "exact solver asked for (HiGHS)"
                if solver == "exact"
                else f"auto: {W.nnz:,} non-zeros <= {EXACT_NNZ_LIMIT:,}, HiGHS"
            )
        if relative_gap(value, bound, "min") == 0:
            status = "optimal"
        return self._result(
            chosen, value, min(bound, value), "min", name, reason, status, t0, figures
        )

    # ------------------------------------------------------------ results
    def _rank(self, chosen: BoolArray) -> tuple[IntArray, FloatArray]:
        """Order chosen columns by served volume added (ties: most partial progress)."""
        win = self.windows
        left = np.flatnonzero(chosen)
        n_routes = self.lengths.size
        n_w = win.n_windows
        # windows -> routes indicator
        R = sp.csr_array((np.ones(n_w), (np.arange(n_w), win.win_route)), shape=(n_w, n_routes))
        hits = np.zeros(n_w)
        order: list[int] = []
        marg: list[float] = []
        while left.size:
            unmet = hits <= 0
            n_unmet = np.bincount(win.win_route[unmet], minlength=n_routes)
            sub = sp.csr_array(win.WT[left] @ sp.diags_array(unmet.astype(np.float64)))
            counts = sp.csr_array(sub @ R)  # column × route: unmet windows it meets
            rows = np.repeat(np.arange(left.size), np.diff(counts.indptr))
            done = counts.data >= n_unmet[counts.indices] - 1e-9
            gain = np.bincount(
                rows[done], weights=self.volumes[counts.indices[done]], minlength=left.size
            )
            part = sub @ np.where(
                unmet, self.volumes[win.win_route] / np.maximum(n_unmet[win.win_route], 1), 0.0
            )
            k = int(np.lexsort((-part, -gain))[0])
            j = int(left[k])
            order.append(j)
            marg.append(float(gain[k]))
            hits[win.WT.indices[win.WT.indptr[j] : win.WT.indptr[j + 1]]] += 1.0
            left = np.delete(left, k)
        return np.asarray(order, dtype=np.int64), np.asarray(marg, dtype=np.float64)

    def _route_table(self, open_sites: BoolArray) -> pd.DataFrame:
        start, end = self._anchors()
        keep = open_sites[self.cols]
        r, x = self.rows[keep], self.pos[keep]
        order = sort_order(r, x)
        r, x = r[order], x[order]
        stops = np.bincount(r, minlength=self.lengths.size)
        all_r = np.r_[np.arange(self.lengths.size), r, np.arange(self.lengths.size)]
        all_x = np.r_[start, x, end]
        o = sort_order(all_r, all_x)
        all_r, all_x = all_r[o], all_x[o]
        gap = np.diff(all_x)
        same = all_r[1:] == all_r[:-1]
        max_gap = np.zeros(self.lengths.size)
        np.maximum.at(max_gap, all_r[1:][same], gap[same])
        served = max_gap <= self.interval * (1 + 1e-9)
        win = self.windows
        return pd.DataFrame(
            {
                "weight": self.volumes,
                "servable": win.servable,
                "served": served & win.servable,
                "stops": stops,
                "max_gap": max_gap,
            },
            index=self.route_index,
        )

    def _result(
        self,
        chosen: BoolArray,
        objective: float,
        bound: float,
        sense: str,
        name: str,
        reason: str,
        status: str,
        t0: float,
        extra: dict[str, float],
    ) -> LocateResult:
        win = self.windows
        order, marg = self._rank(chosen)
        cols = win.cand_cols[order]
        const = float(self.volumes[win.by_existing].sum())
        sites = site_table(
            self.site_index,
            self.existing,
            cols,
            marg,
            base=const,
            total=float(self.volumes.sum()),
            name="marginal_volume",
        )
        sites["passing_volume"] = self.passing[self.site_index.get_indexer(sites.index)]
        open_sites = self.existing.copy()
        open_sites[cols] = True
        routes = self._route_table(open_sites)
        total = float(self.volumes.sum())
        served_v = float(routes.loc[routes["served"], "weight"].sum())
        figures = {
            "total_volume": total,
            "served_volume": served_v,
            "served_share": served_v / total if total > 0 else math.nan,
            "existing_served_volume": const,
            "unservable_volume": float(self.volumes[~win.servable].sum()),
            "unservable_routes": float((~win.servable).sum()),
            "candidates_below_min_volume": float((~self.allowed).sum()),
            "new_sites": float(cols.size),
            "new_sites_cost": float(self.costs[cols].sum())
            if self.costs is not None
            else float(cols.size),
            "windows": float(win.W.shape[0]),
            "interval": self.interval,
            **extra,
        }
        return make_result(
            model=self.name,
            sites=sites,
            demand=routes,
            objective=objective,
            bound=bound,
            sense=sense,
            solver=name,
            reason=reason,
            status=status,
            t0=t0,
            figures=figures,
        )


LP_BOUND_SECONDS = 30.0
"""Longest the fast solvers spend on the LP relaxation bound (they keep a cheaper bound)."""


def _lp_seconds(time_limit: float | None) -> float:
    return LP_BOUND_SECONDS if time_limit is None else min(time_limit, LP_BOUND_SECONDS)
