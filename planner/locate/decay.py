# ruff: noqa: N806  (matrix names F, B, T follow the maths)
"""Distance decay: coverage that fades with travel time instead of a hard cutoff.

For "attendance"-style objectives: a demand point ``i`` with weight ``w_i``
contributes ``w_i * f(t_i)``, where ``t_i`` is its travel time (minutes) to the
nearest open site and ``f`` a decay function with ``f(0) = 1`` that falls to 0
beyond ``cutoff``:

===============  =============================================  ====================
kind             f(t) for 0 <= t <= cutoff                      defaults
===============  =============================================  ====================
``linear``       ``1 - t / cutoff``                             —
``exponential``  ``exp(-t / scale)``                            ``scale = cutoff / 3``
``power``        ``(1 + t / scale) ** -beta``                   ``scale = cutoff / 3``, ``beta = 2``
``gaussian``     ``exp(-(t / scale) ** 2 / 2)``                 ``scale = cutoff / 2``
===============  =============================================  ====================

and ``f(t) = 0`` for ``t > cutoff`` (or for pairs not stored in the matrix).
A callable ``f`` may be given instead (vectorised over a numpy array).
Since every point counts its *best* open site, the objective is monotone and
submodular and the same solvers and bounds apply as for MCLP.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner._errors import InputError
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
from planner.locate._engine import BenefitModel, Prepared, demand_table
from planner.locate.solvers import BenefitProblem, MipResult, assignment_mip, merge_rows

IntArray = NDArray[np.int64]
DecayKind = Literal["linear", "exponential", "power", "gaussian"]


def decay_weights(
    times: ArrayLike,
    kind: DecayKind | Callable[[NDArray[np.float64]], NDArray[np.float64]] = "linear",
    *,
    cutoff: float,
    scale: float | None = None,
    beta: float = 2.0,
) -> NDArray[np.float64]:
    """Decay factor in [0, 1] of each travel time (see the module table).

    Parameters
    ----------
    times
        Travel times in minutes.
    kind
        ``"linear"``, ``"exponential"``, ``"power"``, ``"gaussian"`` or a callable.
    cutoff
        Time beyond which the factor is 0.
    scale
        Time scale of the exponential, power and gaussian forms (minutes).
    beta
        Exponent of the power form.

    Returns
    -------
    numpy.ndarray
        Factors, same shape as ``times``.

    Examples
    --------
    >>> decay_weights([0, 5, 10, 11], "linear", cutoff=10).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    t = np.asarray(times, dtype=np.float64)
    cut = check_cutoff(cutoff)
    if callable(kind):
        f = np.asarray(kind(t), dtype=np.float64)
    elif kind == "linear":
        f = 1.0 - t / cut if cut > 0 else (t <= 0).astype(np.float64)
    elif kind in ("exponential", "power", "gaussian"):
        default = cut / 2 if kind == "gaussian" else cut / 3
        s = float(default if scale is None else scale)
        if not s > 0:
            raise InputError(
                f"`scale` must be > 0 for the {kind} decay; got {s}.",
                field="scale",
                fix="give the time scale in minutes, e.g. scale=5.",
            )
        if kind == "exponential":
            f = np.exp(-t / s)
        elif kind == "power":
            f = (1.0 + t / s) ** (-float(beta))
        else:
            f = np.exp(-0.5 * (t / s) ** 2)
    else:
        raise InputError(
            f"unknown decay kind {kind!r}.",
            field="kind",
            fix="use 'linear', 'exponential', 'power', 'gaussian' or a function of time.",
        )
    out: NDArray[np.float64] = np.where(t <= cut, np.clip(f, 0.0, 1.0), 0.0)
    return out


class DecayCoverage(BenefitModel):
    """Maximise decayed coverage ``sum_i w_i f(t_i)`` with ``p`` new sites.

    Existing sites are fixed; ``t_i`` is the time to the best open site.

    Examples
    --------
    >>> import numpy as np
    >>> times = np.array([[0.0, 8.0], [6.0, 2.0]])
    >>> res = DecayCoverage.from_matrix(times, p=1, cutoff=10).solve()
    >>> round(res.objective, 6), list(res.selected)
    (1.4, [0])
    """

    name = "decay coverage"
    sense = "max"
    marginal_name = "marginal_weight"

    def __init__(
        self,
        data: AccessData,
        *,
        weights: NDArray[np.float64],
        existing: NDArray[np.bool_],
        p: int | None,
        factors: sp.csr_array,
    ) -> None:
        super().__init__(data, weights=weights, existing=existing, p=p)
        self.factors = factors

    @classmethod
    def from_matrix(
        cls,
        matrix: MatrixInput,
        *,
        p: int,
        cutoff: float,
        kind: DecayKind | Callable[[NDArray[np.float64]], NDArray[np.float64]] = "linear",
        scale: float | None = None,
        beta: float = 2.0,
        weights: ArrayLike | pd.Series | None = None,
        existing: Sequence[Hashable] | ArrayLike | None = None,
        demand_index: ArrayLike | pd.Index | None = None,
        site_index: ArrayLike | pd.Index | None = None,
    ) -> DecayCoverage:
        """Build the model from a demand × site travel-time matrix.

        Parameters
        ----------
        matrix
            Travel times in minutes (see :meth:`planner.locate.MCLP.from_matrix`).
        p
            Number of new sites.
        cutoff, kind, scale, beta
            The decay function, see :func:`decay_weights`.
        weights
            Demand weights (1 each by default).
        existing
            Labels of existing sites.
        demand_index, site_index
            Labels of rows and columns.

        Returns
        -------
        DecayCoverage
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
        T = data.times
        f = decay_weights(T.data, kind, cutoff=cutoff, scale=scale, beta=beta)
        factors = sp.csr_array((f, T.indices, T.indptr), shape=T.shape)
        factors = filter_entries(factors, f > 0)
        return cls(data, weights=w, existing=ex, p=p, factors=factors)

    @classmethod
    def from_geodataframes(
        cls,
        network: Any,
        demand: Any,
        sites: Any,
        *,
        mode: str,
        p: int,
        cutoff: float,
        kind: DecayKind | Callable[[NDArray[np.float64]], NDArray[np.float64]] = "linear",
        scale: float | None = None,
        beta: float = 2.0,
        weight: str | None = None,
        existing: str | Sequence[Hashable] | None = None,
        max_snap_m: float = 500.0,
        on_far: Literal["raise", "exclude"] = "raise",
        n_jobs: int = 1,
        progress: bool = False,
    ) -> DecayCoverage:
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
            Time in minutes at which the decay reaches 0 (and the access
            matrix's cutoff).
        p
            Number of new sites.
        kind, scale, beta
            The decay function, see :func:`decay_weights`.
        weight
            Column of ``demand`` holding the demand weights (1 each when None).
        existing
            Boolean column of ``sites`` flagging existing stations, or their labels.
        max_snap_m, on_far, n_jobs, progress
            As in :func:`planner.access.access_matrix`; points left off the network
            stay in the results (unreachable demand, sites that reach no one).

        Returns
        -------
        DecayCoverage
            The model; call :meth:`solve`.

        Examples
        --------
        >>> from planner import datasets
        >>> net = datasets.demo_network(modes=["ebike"])
        >>> stops, stations = datasets.demo_stops(), datasets.demo_stations()
        >>> model = DecayCoverage.from_geodataframes(
        ...     net, stops, stations, mode="ebike", p=2, cutoff=10
        ... )
        >>> 0 < model.solve().objective <= len(stops)
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
        )
        return cls.from_matrix(**inputs, p=p, cutoff=cutoff, kind=kind, scale=scale, beta=beta)

    def _share_total(self) -> float | None:
        return float(self.weights.sum())

    def _demand(self, open_mask: NDArray[np.bool_]) -> pd.DataFrame:
        df = demand_table(self.data, self.weights, open_mask, cutoff=None)
        F = self.factors
        row_of = np.repeat(np.arange(F.shape[0]), np.diff(F.indptr))
        best = np.zeros(F.shape[0])
        keep = open_mask[F.indices]
        np.maximum.at(best, row_of[keep], F.data[keep])
        df["factor"] = best
        return df

    def _prepare(self) -> Prepared:
        F, w, ex = self.factors, self.weights, self.existing
        n = F.shape[0]
        row_of = np.repeat(np.arange(n), np.diff(F.indptr))
        base_all = np.zeros(n)
        on_ex = ex[F.indices]
        np.maximum.at(base_all, row_of[on_ex], F.data[on_ex])
        useful = ~on_ex & (F.data > base_all[row_of]) & (w[row_of] > 0)
        cand = filter_entries(F, useful)
        rows = np.flatnonzero(np.diff(cand.indptr) > 0)
        const = float(np.dot(w, base_all)) - float(np.dot(w[rows], base_all[rows]))
        cand_cols = np.flatnonzero(~ex)
        col_map = np.full(F.shape[1], -1, dtype=np.int64)
        col_map[cand_cols] = np.arange(cand_cols.size)
        sub = sp.csr_array(cand[rows])
        B = sp.csr_array(
            (sub.data, col_map[sub.indices].astype(np.int32), sub.indptr),
            shape=(rows.size, cand_cols.size),
        )
        base = base_all[rows]
        merged, mw, group = merge_rows(B, w[rows], by_values=True, extra=base)
        mbase = base[np.unique(group, return_index=True)[1]]
        prob = BenefitProblem(merged, mw, mbase)
        p = self.p
        assert p is not None

        def mip(
            *, relax: bool, time_limit: float | None, mip_gap: float, start: IntArray | None
        ) -> tuple[MipResult, IntArray]:
            return assignment_mip(
                prob, p, relax=relax, time_limit=time_limit, mip_gap=mip_gap, start=start
            )

        return Prepared(
            prob=prob,
            cand_cols=cand_cols,
            const=const,
            to_objective=lambda v: v,
            mip=mip,
            model_nnz=int(3 * merged.nnz + merged.shape[0] + cand_cols.size),
            figures={"total_weight": float(w.sum()), "model_rows": float(merged.shape[0])},
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
            Objective = decayed covered weight; ``demand["factor"]`` per point.
        """
        return super().solve(
            solver=solver, time_limit=time_limit, mip_gap=mip_gap, seed=seed, progress=progress
        )


__all__ = ["DecayCoverage", "decay_weights"]
