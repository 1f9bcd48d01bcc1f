# ruff: noqa: N806  (matrix names A, B, BT follow the maths)
"""Lagrangian relaxation of max coverage: the subgradient bound and reduced-cost fixing."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.locate import _kernels
from planner.locate.solvers.problem import (
    BenefitProblem,
    FloatArray,
    IntArray,
    all_integral,
    row_positions,
)


@dataclass
class LagrangianResult:
    """Outcome of the Lagrangian relaxation of a max-coverage problem."""

    bound: float  # proven upper bound on the optimum
    lam: FloatArray  # multipliers giving it
    best_cols: IntArray  # best plan seen among the Lagrangian solutions
    best_value: float
    iterations: int


def coverage_lagrangian(
    prob: BenefitProblem,
    p: int,
    *,
    lower: float,
    start_cols: IntArray | None = None,
    max_iter: int = 400,
    patience: int = 30,
    deflect: float = 0.95,
    time_limit: float | None = None,
) -> LagrangianResult:
    """Bound max coverage by relaxing ``z_g <= sum_j a_gj x_j`` (subgradient method).

    ``L(lam) = sum_g max(0, w_g - lam_g) + (sum of the p largest c_j)`` with
    ``c_j = sum_{g in N(j)} lam_g`` is an upper bound for every ``lam >= 0``; its
    minimum equals the LP bound. The multipliers start from the known plan
    (complementary slackness: ``w_g`` on the rows it leaves uncovered, 0 on rows
    it covers twice or more, ``w_g / deg_g`` on the others); each step costs one
    pass over the matrix (compiled: :func:`planner.locate._kernels.subgradient_steps`),
    and the top-p columns of each step are scored as plans too. Steps follow the
    projected subgradient deflected by the previous step (Camerini, Fratta and
    Maffioli 1975): on the Shenzhen instances of ``benchmarks/bench_locate.py``
    600 steps end 2-20 times closer to the LP bound than plain steps do. With
    integral weights the method stops once the bound is below the best value + 1.

    Parameters
    ----------
    prob
        Coverage problem (0/1 entries, base 0).
    p
        Number of columns.
    lower
        Value of a known plan (for the step size and the stop test).
    start_cols
        That plan's columns.
    max_iter
        Iteration cap.
    patience
        Iterations without a better bound before the step size is halved.
    deflect
        Weight of the previous direction in each step (0: plain subgradient).
    time_limit
        Seconds.

    Returns
    -------
    LagrangianResult
        Bound, multipliers, and the best plan met.
    """
    t0 = time.perf_counter()
    AT = prob.BT
    w = np.asarray(prob.w, dtype=np.float64)
    n = AT.shape[0]
    p = min(p, n)
    deg = np.maximum(np.diff(prob.B.indptr), 1)
    best_cols = (
        np.asarray(start_cols, dtype=np.int64) if start_cols is not None else np.zeros(0, np.int64)
    )
    # complementary slackness with the known plan: a row it leaves uncovered is worth its
    # weight, a row it covers twice is worth nothing to the bound, the others share it
    pos, _ = row_positions(AT.indptr, best_cols)
    hits = np.bincount(AT.indices[pos], minlength=w.size)
    lam = np.where(hits == 0, w, np.where(hits == 1, w / deg, 0.0))
    best_lam = lam.copy()
    top_cols = np.zeros(p, dtype=np.int64)
    direction = np.zeros(w.size)
    # mu, stall, best bound, best value, steps done, finished
    state = np.array([2.0, 0.0, math.inf, lower, 0.0, 0.0])
    # integral weights: a bound below the best value + 1 proves that value optimal
    tol = 1.0 - 1e-6 if all_integral(w) else 0.0
    # a few steps per call, so the clock is read often (one step costs ~2 passes over AT)
    chunk = max(1, min(50, int(2e6 // max(AT.nnz, 1))))
    while state[4] < max_iter:
        steps = int(min(chunk, max_iter - state[4]))
        if _kernels.subgradient_steps(
            AT.indptr,
            AT.indices,
            w,
            lam,
            best_lam,
            top_cols,
            direction,
            state,
            p,
            patience,
            deflect,
            tol,
            steps,
        ):
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    best_bound, best_value, it = float(state[2]), float(state[3]), int(state[4])
    if best_value > lower:
        best_cols = top_cols.copy()
    return LagrangianResult(best_bound, best_lam, best_cols, best_value, it)


def coverage_fixing(
    prob: BenefitProblem, p: int, lam: FloatArray, lower: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Reduced-cost fixing from Lagrangian multipliers.

    A column whose forced inclusion (exclusion) drives the Lagrangian bound
    below ``lower`` (the value of a known plan) is out of (in) every plan better
    than that one.

    Parameters
    ----------
    prob
        Coverage problem.
    p
        Number of columns.
    lam
        Multipliers.
    lower
        Value of a known plan.

    Returns
    -------
    out, in_
        Columns that can be dropped and columns that can be fixed to 1.
    """
    AT = prob.BT
    c = sp.csr_array((np.ones(AT.nnz), AT.indices, AT.indptr), shape=AT.shape) @ lam
    w = prob.w
    n = c.size
    order = np.argsort(-c, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[:p]] = True
    L = float(np.maximum(w - lam, 0.0).sum() + c[order[:p]].sum())
    c_p = c[order[p - 1]] if p > 0 else math.inf
    c_next = c[order[p]] if p < n else 0.0
    tol = 1e-9 * max(1.0, abs(lower))
    out = ~top & (L + c - c_p < lower - tol)
    fixed_in = top & (L - c + c_next < lower - tol)
    return out, fixed_in


def lagrangian_value(prob: BenefitProblem, p: int, lam: FloatArray) -> tuple[float, FloatArray]:
    """Upper bound ``L(lam)`` of max coverage with ``p`` columns, and the column scores.

    Parameters
    ----------
    prob
        Coverage problem.
    p
        Number of columns.
    lam
        Row multipliers in ``[0, w]``.

    Returns
    -------
    bound, scores
        ``sum_g max(0, w_g - lam_g) + (sum of the p largest c_j)`` and ``c``.
    """
    AT = prob.BT
    c = sp.csr_array((np.ones(AT.nnz), AT.indices, AT.indptr), shape=AT.shape) @ lam
    k = min(p, c.size)
    top = np.partition(c, c.size - k)[c.size - k :] if k > 0 else np.zeros(0)
    return float(np.maximum(prob.w - lam, 0.0).sum() + top.sum()), c
