"""Flow capturing (Hodgson 1990): the sites that capture the most route volume.

Truck drivers meet a driver home on the way: a route is *captured* when it
passes an open site, or reaches one within a detour. Choose ``p`` sites (or a
budget) to maximise the captured volume; this is a maximal covering problem on
the route × site detour matrix, solved by :class:`~planner.locate.MCLP`'s
machinery. Rows are routes (with a volume, e.g. trucks per day), columns are
sites; :meth:`planner.routes.Flows.site_incidence` builds the matrix from a road
network.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner.locate._base import (
    LocateResult,
    MatrixInput,
    SolverName,
    check_cutoff,
    check_flow_choice,
    check_min_volume,
    filter_entries,
    model_inputs,
    site_values,
)
from planner.locate.coverage import MCLP

__all__ = ["FlowCapture"]


class FlowCapture:
    """Flow capturing (Hodgson): the ``p`` sites that capture the most route volume.

    A route is *captured* when it passes an open site (stored detour 0), or
    reaches one within ``detour`` minutes. Existing sites are fixed and capture
    too; candidates passed by less than ``min_volume`` are left out.

    Examples
    --------
    >>> import numpy as np
    >>> inf = np.inf
    >>> detour = np.array([[0.0, inf, inf], [0.0, 0.0, inf], [inf, inf, 0.0]])
    >>> model = FlowCapture.from_matrix(detour, p=1, volumes=[10, 20, 25])
    >>> res = model.solve()
    >>> list(res.selected), res.objective
    ([0], 30.0)
    """

    name = "FlowCapture"

    def __init__(self, mclp: MCLP, *, passing: pd.Series, dropped: pd.Index, detour: float) -> None:
        self.mclp = mclp
        self.passing = passing
        self.dropped = dropped
        self.detour = detour

    @classmethod
    def from_matrix(
        cls,
        matrix: MatrixInput,
        *,
        p: int | None = None,
        volumes: ArrayLike | pd.Series | None = None,
        detour: float = 0.0,
        existing: Sequence[Hashable] | ArrayLike | None = None,
        costs: ArrayLike | pd.Series | None = None,
        budget: float | None = None,
        min_volume: float | None = None,
        route_index: ArrayLike | pd.Index | None = None,
        site_index: ArrayLike | pd.Index | None = None,
    ) -> FlowCapture:
        """Build the model from a route × site detour matrix.

        Parameters
        ----------
        matrix
            Detours in minutes (scipy sparse, stored zeros = the route passes the
            site; or dense with ``inf`` where the site is out of reach), e.g.
            ``SiteIncidence.matrix("detour_min")``.
        p
            Number of new sites.
        volumes
            Volume per route (trucks per day); 1 each by default.
        detour
            Largest detour (minutes) at which a site still captures a route.
        existing
            Labels of existing sites (fixed, capturing).
        costs, budget
            Cost per site and total budget for new sites (instead of ``p``).
        min_volume
            Candidates passed by less volume (on the path) are not eligible.
        route_index, site_index
            Labels of rows and columns.

        Returns
        -------
        FlowCapture
            The model; call :meth:`solve`.
        """
        data, w, ex = model_inputs(
            matrix,
            weights=volumes,
            existing=existing,
            demand_index=route_index,
            site_index=site_index,
            weights_name="volumes",
        )
        cut = check_cutoff(detour, "detour")
        minv = check_min_volume(min_volume)
        on = data.times.data <= 0
        rows = np.repeat(np.arange(data.n_demand), np.diff(data.times.indptr))
        passing = np.bincount(data.times.indices[on], weights=w[rows[on]], minlength=data.n_sites)
        keep = ex | (passing >= minv)
        n_cand = int((keep & ~ex).sum())
        cost_arr = (
            None if costs is None else site_values(costs, data.site_index, "costs", default=1.0)
        )
        check_flow_choice(
            p, budget, None if cost_arr is None else cost_arr[keep & ~ex], n_cand, int(ex.sum())
        )
        cols = np.flatnonzero(keep)
        col_map = np.full(data.n_sites, -1, dtype=np.int64)
        col_map[cols] = np.arange(cols.size)
        sub = filter_entries(data.times, keep[data.times.indices])
        sub = sp.csr_array(
            (sub.data, col_map[sub.indices].astype(np.int32), sub.indptr),
            shape=(data.n_demand, cols.size),
        )
        mclp = MCLP.from_matrix(
            sub,
            cutoff=cut,
            p=p,
            weights=w,
            existing=ex[cols],
            costs=cost_arr[cols] if cost_arr is not None else None,
            budget=budget,
            demand_index=data.demand_index,
            site_index=data.site_index[cols],
        )
        return cls(
            mclp,
            passing=pd.Series(passing, index=data.site_index, name="passing_volume"),
            dropped=data.site_index[~keep],
            detour=cut,
        )

    def solve(
        self,
        *,
        solver: SolverName = "auto",
        time_limit: float | None = None,
        mip_gap: float = 0.0,
        seed: int | None = None,
    ) -> LocateResult:
        """Choose the sites.

        Parameters
        ----------
        solver
            ``"exact"`` (HiGHS), ``"fast"`` (greedy + swaps with a proven bound)
            or ``"auto"``.
        time_limit, mip_gap, seed
            As in :meth:`planner.locate.MCLP.solve`.

        Returns
        -------
        LocateResult
            ``objective`` = captured volume (existing sites included); the
            ``demand`` table has one row per route (``covered`` = captured);
            ``sites`` has each site's ``passing_volume``; ``figures`` has
            ``captured_volume``, ``total_volume``, ``captured_share`` and
            ``candidates_below_min_volume``.
        """
        res = self.mclp.solve(solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed)
        sites = res.sites.copy()
        sites["passing_volume"] = self.passing.reindex(sites.index).to_numpy()
        figures = dict(res.figures)
        figures["captured_volume"] = res.objective
        figures["total_volume"] = figures.get("total_weight", math.nan)
        figures["captured_share"] = figures.get("covered_share", math.nan)
        figures["candidates_below_min_volume"] = float(len(self.dropped))
        figures["detour_min"] = self.detour
        return dataclasses.replace(res, model=self.name, sites=sites, figures=figures)
