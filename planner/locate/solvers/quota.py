# ruff: noqa: N806  (matrix names A, B follow the maths)
"""Max coverage with a minimum number of new sites per group of columns (per district).

The constraint "at least ``k`` stations in every district" becomes, once the
existing stations are counted, "at least ``need[g]`` new columns of group ``g``".

* exact: the coverage MIP of :func:`~planner.locate.solvers.mip.coverage_mip`
  with one extra row per group with a need (``sum_{j in g} x_j >= need[g]``);
  dominance and reduced-cost fixing are not used (a dominated column may be the
  one a district needs);
* fast: a greedy that takes the best column while the slots left exceed the
  districts' unmet needs and only columns of needy districts once they do, then
  swaps that keep every need met. Its bound is the bound of the same problem
  *without* the minimums (a plan that meets them is one of the plans without
  them, so the optimum with them can only be lower): valid, and tight when the
  minimums do not bind.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner._errors import InfeasibleError
from planner.locate.solvers.greedy import FastResult, _State
from planner.locate.solvers.problem import BenefitProblem, FloatArray, IntArray

__all__ = ["check_quota", "group_rows", "quota_fast", "quota_met"]


def group_rows(col_group: IntArray, need: IntArray, n_cols: int) -> tuple[sp.csr_array, FloatArray]:
    """Rows ``sum_{j in g} x_j >= need[g]`` for the groups with a need, over ``n_cols`` columns.

    Parameters
    ----------
    col_group
        Group of every column (-1: none).
    need
        New columns needed per group.
    n_cols
        Number of columns.

    Returns
    -------
    rows, lower
        A 0/1 CSR (one row per group with ``need > 0``) and the row lower bounds.
    """
    groups = np.flatnonzero(need > 0)
    slot = np.full(need.size, -1, dtype=np.int64)
    slot[groups] = np.arange(groups.size)
    cols = np.flatnonzero((col_group >= 0) & (slot[np.maximum(col_group, 0)] >= 0))
    rows = slot[col_group[cols]]
    G = sp.csr_array((np.ones(cols.size), (rows, cols)), shape=(groups.size, n_cols))
    return G, need[groups].astype(np.float64)


def check_quota(col_group: IntArray, need: IntArray, p: int, names: list[str]) -> None:
    """Raise :class:`InfeasibleError`, with the numbers, when no plan can meet the minimums.

    Parameters
    ----------
    col_group
        Group of every candidate column (-1: none).
    need
        New columns needed per group.
    p
        Number of new columns.
    names
        A readable name per group, for the message.
    """
    have = np.bincount(col_group[col_group >= 0], minlength=need.size)
    short = np.flatnonzero(have < need)
    if short.size:
        parts = ", ".join(
            f"{names[g]} needs {int(need[g])} new and has {int(have[g])} candidate"
            f"{'s' if have[g] != 1 else ''}"
            for g in short[:10]
        )
        raise InfeasibleError(
            f"the minimum per area cannot be met: {parts}. Fix: add candidate sites in "
            "those areas, or lower min_per_area."
        )
    total = int(need.sum())
    if total > p:
        raise InfeasibleError(
            f"the minimum per area needs {total} new sites in all, more than p = {p}. "
            f"Fix: raise p to at least {total}, or lower min_per_area."
        )


def quota_met(selected: NDArray[np.bool_] | IntArray, col_group: IntArray, need: IntArray) -> bool:
    """Whether a plan (flags or column numbers) meets every group's need.

    Parameters
    ----------
    selected
        Flags per column, or chosen column numbers.
    col_group, need
        As in :func:`check_quota`.

    Returns
    -------
    bool
        True when every group has at least its need.
    """
    sel = np.asarray(selected)
    cols = np.flatnonzero(sel) if sel.dtype == bool else sel.astype(np.int64)
    g = col_group[cols]
    have = np.bincount(g[g >= 0], minlength=need.size)
    return bool(np.all(have >= need))


def quota_fast(
    prob: BenefitProblem,
    p: int,
    col_group: IntArray,
    need: IntArray,
    *,
    bound: float,
    time_limit: float | None = None,
    max_moves: int | None = None,
) -> FastResult:
    """Greedy that meets the minimums, then improving swaps that keep them met.

    Parameters
    ----------
    prob
        Coverage problem.
    p
        Number of columns.
    col_group, need
        Group of every column (-1: none) and the new columns each group needs
        (checked feasible with :func:`check_quota`).
    bound
        A proven upper bound on the problem without the minimums (valid here too).
    time_limit
        Seconds for the swaps.
    max_moves
        Cap on swaps (default ``20 * p``).

    Returns
    -------
    FastResult
        The plan, its value and ``bound``.
    """
    t0 = time.perf_counter()
    n = prob.n_cols
    st = _State(prob)
    left = need.astype(np.int64).copy()
    in_need = np.zeros(n, dtype=bool)
    for step in range(p):
        unmet = int(np.maximum(left, 0).sum())
        gains = st.free_gains()
        if p - step <= unmet:  # the slots left must go to districts still short
            in_need = (col_group >= 0) & (left[np.maximum(col_group, 0)] > 0)
            gains = np.where(in_need, gains, -np.inf)
        j = int(np.argmax(gains))
        if not np.isfinite(gains[j]):
            break
        st.add(j)
        if col_group[j] >= 0:
            left[col_group[j]] -= 1
    greedy_value = st.value
    moves = 0
    cap = 20 * p if max_moves is None else max_moves
    have = np.bincount(col_group[st.selected & (col_group >= 0)], minlength=need.size)
    while moves < cap and (time_limit is None or time.perf_counter() - t0 < time_limit):
        chosen, loss, extra = st.swap_table()
        if chosen.size == 0:
            break
        best, s, t = 1e-9 * max(1.0, abs(st.value)), -1, -1
        for k, out in enumerate(chosen):
            # swapping chosen `out` for free `t` changes the value by gains[t] + extra - loss
            row = (
                sp.csr_array(extra)[[k]].toarray().ravel()
                if sp.issparse(extra)
                else np.asarray(extra)[k]
            )
            change = st.gains + row - loss[k]
            change[st.selected] = -np.inf
            g = col_group[out]
            if g >= 0 and have[g] <= need[g]:  # no slack: only a column of the same district
                change[col_group != g] = -np.inf
            j = int(np.argmax(change))
            if change[j] > best:
                best, s, t = float(change[j]), int(out), j
        if s < 0:
            break
        st.remove(s)
        st.add(int(t))
        if col_group[s] >= 0:
            have[col_group[s]] -= 1
        if col_group[t] >= 0:
            have[col_group[t]] += 1
        moves += 1
    selected = np.flatnonzero(st.selected).astype(np.int64)
    return FastResult(
        selected=selected,
        value=float(prob.value(st.selected)),
        bound=max(float(bound), float(prob.value(st.selected))),
        greedy_value=float(greedy_value),
        swaps=moves,
    )
