# ruff: noqa: N803, N806  (matrix names A, B, BT follow the maths)
"""HiGHS: the mixed-integer programs of the models, built column-wise from sparse arrays.

No Python object per variable: every model is passed to HiGHS as CSC arrays,
and every plan HiGHS returns is checked against the figures it reports.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner._errors import SolverError
from planner.locate.solvers.problem import BenefitProblem, FloatArray, IntArray

logger = logging.getLogger(__name__)


@dataclass
class MipResult:
    """Outcome of a HiGHS solve."""

    status: str  # optimal, gap_limit, time_limit, infeasible
    x: FloatArray
    objective: float
    bound: float
    seconds: float
    row_dual: FloatArray = field(default_factory=lambda: np.zeros(0))


def solve_mip(
    cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    integrality: NDArray[np.int32],
    A: sp.csc_array,
    row_lower: FloatArray,
    row_upper: FloatArray,
    *,
    sense: str,
    offset: float = 0.0,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: FloatArray | None = None,
    threads: int | None = None,
    log: bool = False,
    presolve: bool = True,
    heuristics: bool = True,
) -> MipResult:
    """Solve a MIP (or LP when nothing is integral) given as column-wise arrays.

    Parameters
    ----------
    cost, lower, upper, integrality
        One entry per column (integrality 1 = integer).
    A
        Constraint matrix, CSC.
    row_lower, row_upper
        Row bounds (``±inf`` allowed).
    sense
        ``"max"`` or ``"min"``.
    offset
        Constant added to the objective.
    time_limit
        Seconds; the best plan found by then is returned with its bound.
    mip_gap
        Relative gap at which HiGHS stops.
    start
        A feasible solution to start from.
    threads
        HiGHS threads (default: HiGHS's choice).
    log
        Print HiGHS's log.
    presolve
        Let HiGHS presolve (off for the reduced coverage models, where its
        presolve costs more than it saves).
    heuristics
        Let HiGHS run its primal heuristics (off for small cores warm-started
        with a good plan, where they take most of the time).

    Returns
    -------
    MipResult
        Status, solution, objective, bound and seconds.
    """
    t0 = time.perf_counter()
    A = sp.csc_array(A)
    A.sort_indices()
    is_mip = bool(np.any(integrality))
    arrays = _MipArrays(
        cost=np.ascontiguousarray(cost, dtype=np.float64),
        lower=np.ascontiguousarray(lower, dtype=np.float64),
        upper=np.ascontiguousarray(upper, dtype=np.float64),
        integrality=np.ascontiguousarray(integrality, dtype=np.int32),
        A=A,
        row_lower=np.ascontiguousarray(row_lower, dtype=np.float64),
        row_upper=np.ascontiguousarray(row_upper, dtype=np.float64),
    )
    options: dict[str, float | int | str] = {
        "mip_rel_gap": float(mip_gap),
        "mip_abs_gap": 1e-9 if mip_gap == 0 else 1e-6,
    }
    if time_limit is not None:
        options["time_limit"] = float(max(time_limit, 0.01))
    if threads is not None:
        options["threads"] = int(threads)
    if not presolve:
        options["presolve"] = "off"
    if not heuristics:
        options.update(
            mip_heuristic_effort=0.0,
            mip_heuristic_run_rins=False,
            mip_heuristic_run_rens=False,
            mip_heuristic_run_feasibility_jump=False,
            mip_heuristic_run_root_reduced_cost=False,
        )
    x0 = np.asarray(start, dtype=np.float64) if (start is not None and is_mip) else None
    res = _run_highs(arrays, options, sense=sense, offset=offset, start=x0, log=log, t0=t0)
    if res is None and x0 is not None:
        # HiGHS 1.16.0 mis-scores a MIP start in the presolved space (it drops the
        # offset of the columns presolve fixes) and can then return "optimal" with a
        # wrong objective *and* bound; the returned plan gives it away. Solve again
        # without the start, whose figures are then consistent.
        logger.debug("HiGHS figures disagree with its own plan; solving again without the start")
        res = _run_highs(arrays, options, sense=sense, offset=offset, start=None, log=log, t0=t0)
    if res is None:
        raise SolverError(
            "HiGHS returned a plan whose objective or feasibility disagrees with the "
            "figures it reported, even without a warm start; try another highspy version."
        )
    return res


@dataclass(frozen=True)
class _MipArrays:
    """A MIP in column-wise arrays (internal to :func:`solve_mip`)."""

    cost: FloatArray
    lower: FloatArray
    upper: FloatArray
    integrality: NDArray[np.int32]
    A: sp.csc_array
    row_lower: FloatArray
    row_upper: FloatArray


def new_highs(*, log: bool = False) -> Any:
    """Return a HiGHS instance, silent from its first call unless ``log``.

    ``highspy.Highs()`` (1.16) enables its callbacks in the constructor, which
    prints the HiGHS banner to standard output before ``silent()`` can act; the
    core class silenced first prints nothing. Older highspy falls back to
    ``Highs().silent()``.

    Parameters
    ----------
    log
        Let HiGHS write its log to the console.

    Returns
    -------
    highspy.Highs or its core class
        With ``passModel``, ``run``, ``getSolution``, ``getInfo`` and the options API.
    """
    try:
        from highspy._core import _Highs
    except ImportError:  # pragma: no cover - highspy < 1.8 has no _core module
        old = highspy.Highs()
        old.setOptionValue("output_flag", bool(log))
        return old
    core = _Highs()
    core.setOptionValue("output_flag", bool(log))
    return core


def _run_highs(
    m: _MipArrays,
    options: dict[str, float | int | str],
    *,
    sense: str,
    offset: float,
    start: FloatArray | None,
    log: bool,
    t0: float,
) -> MipResult | None:
    """One HiGHS run; ``None`` when its plan contradicts its reported figures.

    HiGHS runs on one thread unless ``options`` say otherwise: its branch and
    bound is serial, and a pool of worker threads costs ~5 ms per run (most of a
    small core MIP's time) and CPU time spent spinning.
    """

    def load(opts: dict[str, float | int | str]) -> Any:
        n_col, n_row = int(m.cost.size), int(m.A.shape[0])
        h = new_highs(log=log)
        h.setOptionValue("threads", 1)
        for key, value in opts.items():
            h.setOptionValue(key, value)
        inf = h.getInfinity()
        status = h.passModel(
            n_col,
            n_row,
            int(m.A.nnz),
            1,  # column-wise
            -1 if sense == "max" else 1,
            float(offset),
            m.cost,
            m.lower,
            np.minimum(m.upper, inf),
            np.maximum(m.row_lower, -inf),
            np.minimum(m.row_upper, inf),
            np.ascontiguousarray(m.A.indptr[:-1], dtype=np.int32),
            np.ascontiguousarray(m.A.indices, dtype=np.int32),
            np.ascontiguousarray(m.A.data, dtype=np.float64),
            m.integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model built for this instance.")
        if start is not None:
            h.setSolution(n_col, np.arange(n_col, dtype=np.int32), start)
        return h

    h = load(options)
    if h.run() == highspy.HighsStatus.kError and "threads" not in options:
        # HiGHS keeps one thread pool per process: if it was started with another size
        # (highspy used before us), a run asking for one thread fails; use the pool there is
        h = load({**options, "threads": 0})
        h.run()
    n_col = int(m.cost.size)
    model_status = h.getModelStatus()
    info = h.getInfo()
    is_mip = bool(np.any(m.integrality))
    seconds = time.perf_counter() - t0
    ms = highspy.HighsModelStatus
    if model_status == ms.kInfeasible:
        return MipResult("infeasible", np.zeros(n_col), math.nan, math.nan, seconds)
    has_solution = info.primal_solution_status == 2
    if not has_solution:
        if model_status == ms.kTimeLimit:
            return MipResult("time_limit", np.zeros(n_col), math.nan, math.nan, seconds)
        raise SolverError(f"HiGHS stopped without a plan: {h.modelStatusToString(model_status)}.")
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    reported = float(info.objective_function_value)
    integer = m.integrality > 0
    x[integer] = np.round(x[integer])  # integral within tolerance: snap (no -0.0 or 1e-9)
    x = np.clip(x, m.lower, m.upper)
    objective = float(np.dot(m.cost, x) + offset)
    tol = 1e-6 * max(1.0, abs(objective))
    activity = m.A @ x
    slack = 1e-5 * np.maximum(1.0, np.abs(activity))
    feasible = bool(
        np.all(activity >= m.row_lower - slack) and np.all(activity <= m.row_upper + slack)
    )
    if not feasible or abs(objective - reported) > tol:
        return None
    bound = float(info.mip_dual_bound) if is_mip else objective
    # a dual bound better than the plan's own value by more than the tolerance is wrong
    if is_mip and ((bound < objective - tol) if sense == "max" else (bound > objective + tol)):
        return None
    if model_status == ms.kOptimal:
        gap = abs(bound - objective) / max(abs(objective), 1e-12)
        status_name = "optimal" if gap <= 1e-9 else "gap_limit"
    elif model_status in (ms.kTimeLimit, ms.kInterrupt, ms.kSolutionLimit, ms.kIterationLimit):
        status_name = "time_limit"
    else:
        raise SolverError(f"HiGHS stopped: {h.modelStatusToString(model_status)}.")
    duals = np.asarray(solution.row_dual, dtype=np.float64) if not is_mip else np.zeros(0)
    return MipResult(status_name, x, objective, bound, seconds, duals)


def coverage_mip(
    prob: BenefitProblem,
    p: int | None,
    *,
    budget: float | None = None,
    capacity: FloatArray | None = None,
    relax: bool = False,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: IntArray | None = None,
    presolve: bool = True,
    heuristics: bool = True,
    side: tuple[sp.csr_array, FloatArray] | None = None,
) -> tuple[MipResult, IntArray]:
    """Max coverage MIP: ``max sum_g w_g z_g``, ``z_g <= sum_{j in N(g)} x_j``.

    With ``capacity``, demand is assigned: ``y_gj`` (fraction of row ``g`` served
    by ``j``), ``sum_j y_gj <= 1``, ``sum_g w_g y_gj <= cap_j x_j``,
    ``y_gj <= x_j``.

    Parameters
    ----------
    prob
        Benefit problem with 0/1 entries (base 0 on every row kept).
    p
        Number of columns, or None with ``budget``.
    budget
        Cost budget (``prob.cost`` set).
    capacity
        Per-column capacity in weight units.
    relax
        Solve the LP relaxation only (for a bound).
    time_limit, mip_gap
        HiGHS limits.
    start
        Chosen columns of a heuristic plan.
    presolve
        Let HiGHS presolve.
    heuristics
        Let HiGHS run its primal heuristics.
    side
        More rows over the site columns, ``rows @ x >= lower`` (e.g. a minimum of
        new sites per district, :mod:`~planner.locate.solvers.quota`).

    Returns
    -------
    result, selected
        The HiGHS result and the chosen columns.
    """
    B = prob.B
    n_rows, n_c = B.shape
    if capacity is None:
        # columns: x (n_c), z (n_rows); rows: coverage rows then the cardinality/budget row
        ind = sp.csr_array(
            (np.ones(B.nnz), B.indices, B.indptr), shape=(n_rows, n_c), dtype=np.float64
        )
        top = sp.hstack([-ind, sp.eye_array(n_rows, format="csr")], format="csr")
        n_extra = n_rows
        extra_cost = prob.w
        extra_upper = np.ones(n_rows)
        rows_lo = np.full(n_rows, -np.inf)
        rows_hi = np.zeros(n_rows)
        blocks = [top]
    else:
        # columns: x (n_c), y (nnz); rows: per-row sum y <= 1, capacity per column, y <= x
        nnz = B.nnz
        row_of = np.repeat(np.arange(n_rows), np.diff(B.indptr))
        ycols = np.arange(nnz)
        assign = sp.csr_array((np.ones(nnz), (row_of, n_c + ycols)), shape=(n_rows, n_c + nnz))
        capr = sp.csr_array(
            (
                np.r_[-capacity, prob.w[row_of]],
                (np.r_[np.arange(n_c), B.indices], np.r_[np.arange(n_c), n_c + ycols]),
            ),
            shape=(n_c, n_c + nnz),
        )
        link = sp.csr_array(
            (
                np.r_[np.ones(nnz), -np.ones(nnz)],
                (np.r_[ycols, ycols], np.r_[n_c + ycols, B.indices]),
            ),
            shape=(nnz, n_c + nnz),
        )
        blocks = [assign, capr, link]
        n_extra = nnz
        extra_cost = prob.w[row_of]
        extra_upper = np.ones(nnz)
        rows_lo = np.full(n_rows + n_c + nnz, -np.inf)
        rows_hi = np.r_[np.ones(n_rows), np.zeros(n_c), np.zeros(nnz)]
    if budget is None:
        assert p is not None
        card = sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_extra)][None, :])
        lo, hi = float(p), float(p)
    else:
        assert prob.cost is not None
        card = sp.csr_array(np.r_[prob.cost, np.zeros(n_extra)][None, :])
        lo, hi = -np.inf, float(budget)
    side_lo: FloatArray = np.zeros(0)
    if side is not None:
        rows, side_lo = side
        blocks.append(sp.hstack([sp.csr_array(rows), sp.csr_array((rows.shape[0], n_extra))]))
        rows_lo = np.r_[rows_lo, side_lo]
        rows_hi = np.r_[rows_hi, np.full(side_lo.size, np.inf)]
    A = sp.vstack([*blocks, card], format="csc")
    n_col = n_c + n_extra
    cost = np.r_[np.zeros(n_c), extra_cost]
    integrality = np.r_[
        np.ones(n_c, dtype=np.int32) * (0 if relax else 1), np.zeros(n_extra, np.int32)
    ]
    x0 = None
    if start is not None and not relax:
        x0 = _coverage_start(prob, start, capacity)
    res = solve_mip(
        cost,
        np.zeros(n_col),
        np.r_[np.ones(n_c), extra_upper],
        integrality,
        A,
        np.r_[rows_lo, lo],
        np.r_[rows_hi, hi],
        sense="max",
        time_limit=time_limit,
        mip_gap=mip_gap,
        start=x0,
        presolve=presolve,
        heuristics=heuristics,
    )
    chosen = np.flatnonzero(res.x[:n_c] > 0.5).astype(np.int64)
    return res, chosen


def _coverage_start(
    prob: BenefitProblem, cols: IntArray, capacity: FloatArray | None
) -> FloatArray:
    n_rows, n_c = prob.B.shape
    x = np.zeros(n_c)
    x[cols] = 1.0
    B = prob.B
    if capacity is None:
        covered = (B @ x) > 0
        return np.r_[x, covered.astype(np.float64)]
    # greedy feasible assignment: rows in order, to the first open column with room
    left = capacity.copy()
    y = np.zeros(B.nnz)
    for i in range(n_rows):
        need = 1.0
        for pos in range(B.indptr[i], B.indptr[i + 1]):
            j = B.indices[pos]
            if x[j] > 0 and left[j] > 1e-12 and need > 0:
                take = min(need, left[j] / prob.w[i]) if prob.w[i] > 0 else need
                y[pos] = take
                left[j] -= take * prob.w[i]
                need -= take
    return np.r_[x, y]


def assignment_mip(
    prob: BenefitProblem,
    p: int,
    *,
    must_assign: NDArray[np.bool_] | None = None,
    relax: bool = False,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: IntArray | None = None,
) -> tuple[MipResult, IntArray]:
    """Solve the assignment MIP of a benefit problem (p-median, decay).

    ``max sum_i w_i (base_i + sum_j (B_ij - base_i) y_ij)`` with
    ``sum_j y_ij <= 1`` (``= 1`` where ``must_assign``), ``y_ij <= x_j`` and
    ``sum_j x_j = p``.

    Parameters
    ----------
    prob
        The benefit problem.
    p
        Number of columns.
    must_assign
        Rows that must be served by a new column (no base to fall back on).
    relax
        LP relaxation only.
    time_limit, mip_gap
        HiGHS limits.
    start
        Chosen columns of a heuristic plan.

    Returns
    -------
    result, selected
        The HiGHS result (objective includes the base) and the chosen columns.
    """
    B = prob.B
    n_rows, n_c = B.shape
    nnz = B.nnz
    row_of = np.repeat(np.arange(n_rows), np.diff(B.indptr))
    ycols = n_c + np.arange(nnz)
    assign = sp.csr_array((np.ones(nnz), (row_of, ycols)), shape=(n_rows, n_c + nnz))
    link = sp.csr_array(
        (
            np.r_[np.ones(nnz), -np.ones(nnz)],
            (np.r_[np.arange(nnz), np.arange(nnz)], np.r_[ycols, B.indices]),
        ),
        shape=(nnz, n_c + nnz),
    )
    card = sp.csr_array(np.r_[np.ones(n_c), np.zeros(nnz)][None, :])
    A = sp.vstack([assign, link, card], format="csc")
    cost = np.r_[np.zeros(n_c), prob.w[row_of] * (B.data - prob.base[row_of])]
    must = np.zeros(n_rows, dtype=bool) if must_assign is None else must_assign
    row_lo = np.r_[np.where(must, 1.0, -np.inf), np.full(nnz, -np.inf), float(p)]
    row_hi = np.r_[np.ones(n_rows), np.zeros(nnz), float(p)]
    integrality = np.r_[np.full(n_c, 0 if relax else 1, dtype=np.int32), np.zeros(nnz, np.int32)]
    x0 = None
    if start is not None and not relax:
        x = np.zeros(n_c)
        x[start] = 1
        sel = np.zeros(n_c, dtype=bool)
        sel[start] = True
        _, arg = prob.row_best(sel)
        y = np.zeros(nnz)
        # position of the best column within each row
        hit = (B.indices == arg[row_of]) & (arg[row_of] >= 0)
        y[hit] = 1.0
        x0 = np.r_[x, y]
    res = solve_mip(
        cost,
        np.zeros(n_c + nnz),
        np.ones(n_c + nnz),
        integrality,
        A,
        row_lo,
        row_hi,
        sense="max",
        offset=float(np.dot(prob.w, prob.base)),
        time_limit=time_limit,
        mip_gap=mip_gap,
        start=x0,
    )
    chosen = np.flatnonzero(res.x[:n_c] > 0.5).astype(np.int64)
    return res, chosen


def cover_mip(
    A: sp.csr_array,
    cost: FloatArray,
    *,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: IntArray | None = None,
) -> tuple[MipResult, IntArray]:
    """Set-cover MIP: ``min sum_j c_j x_j`` with every row covered at least once.

    Parameters
    ----------
    A
        Rows × columns (CSR), every row non-empty.
    cost
        Column costs.
    time_limit, mip_gap
        HiGHS limits.
    start
        Columns of a heuristic cover.

    Returns
    -------
    result, selected
        The HiGHS result and the chosen columns.
    """
    n_rows, n_c = A.shape
    x0 = None
    if start is not None:
        x0 = np.zeros(n_c)
        x0[start] = 1.0
    res = solve_mip(
        cost,
        np.zeros(n_c),
        np.ones(n_c),
        np.ones(n_c, dtype=np.int32),
        sp.csc_array(sp.csr_array((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)),
        np.ones(n_rows),
        np.full(n_rows, np.inf),
        sense="min",
        time_limit=time_limit,
        mip_gap=mip_gap,
        start=x0,
    )
    return res, np.flatnonzero(res.x > 0.5).astype(np.int64)


def lp_ipm(
    cost: FloatArray, A: sp.csc_array, row_hi: FloatArray, time_limit: float | None
) -> MipResult:
    """``max cost·x, 0 <= x <= 1, A x <= row_hi`` by HiGHS's interior point method.

    The window LP of the rest-interval model is highly degenerate: interior point
    solves it many times faster than simplex.

    Parameters
    ----------
    cost
        Objective per column.
    A
        Constraint matrix.
    row_hi
        Upper bound per row.
    time_limit
        Seconds, or None.

    Returns
    -------
    MipResult
        Status (``"optimal"`` or ``"time_limit"``) and objective; ``x`` is zeros.
    """
    t0 = time.perf_counter()
    A = sp.csc_array(A)
    A.sort_indices()
    h = new_highs()
    h.setOptionValue("solver", "ipm")
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    inf = h.getInfinity()
    n = int(cost.size)
    h.passModel(
        n,
        int(A.shape[0]),
        int(A.nnz),
        1,
        -1,
        0.0,
        np.ascontiguousarray(cost, dtype=np.float64),
        np.zeros(n),
        np.ones(n),
        np.full(A.shape[0], -inf),
        np.ascontiguousarray(np.minimum(row_hi, inf), dtype=np.float64),
        np.ascontiguousarray(A.indptr[:-1], dtype=np.int32),
        np.ascontiguousarray(A.indices, dtype=np.int32),
        np.ascontiguousarray(A.data, dtype=np.float64),
        np.zeros(n, dtype=np.int32),
    )
    h.run()
    ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    objective = float(h.getInfo().objective_function_value) if ok else math.nan
    return MipResult(
        "optimal" if ok else "time_limit",
        np.zeros(n),
        objective,
        objective,
        time.perf_counter() - t0,
    )
