"""Compiled inner loops of the rest-interval solvers (private to :mod:`planner.locate`).

They work on a :class:`~planner.locate.solvers.rest_problem.RestProblem`'s CSR
arrays: ``t_ptr, t_idx`` (columns → windows), ``h_ptr, h_idx`` (windows →
routes), ``g_ptr, g_idx`` (routes → windows), ``d_ptr, d_idx`` (windows →
columns). The state of a plan is ``cnt`` (open columns per window) and
``miss`` (windows without one per route); a route is served when ``miss`` is 0.
Checked in ``tests/test_rest_interval.py`` against brute force and numpy.
"""

# ruff: noqa: N806  (L is the Lagrangian, as in the maths)
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def add_column(j, t_ptr, t_idx, h_ptr, h_idx, cnt, miss, v):  # type: ignore[no-untyped-def]
    """Open column ``j``: update ``cnt`` and ``miss``; return the volume newly served."""
    gain = 0.0
    for q in range(t_ptr[j], t_ptr[j + 1]):
        w = t_idx[q]
        if cnt[w] == 0:
            for k in range(h_ptr[w], h_ptr[w + 1]):
                r = h_idx[k]
                miss[r] -= 1
                if miss[r] == 0:
                    gain += v[r]
        cnt[w] += 1
    return gain


@numba.njit(cache=True, nogil=True)
def remove_column(j, t_ptr, t_idx, h_ptr, h_idx, cnt, miss, v):  # type: ignore[no-untyped-def]
    """Close column ``j``: update ``cnt`` and ``miss``; return the volume no longer served."""
    loss = 0.0
    for q in range(t_ptr[j], t_ptr[j + 1]):
        w = t_idx[q]
        cnt[w] -= 1
        if cnt[w] == 0:
            for k in range(h_ptr[w], h_ptr[w + 1]):
                r = h_idx[k]
                if miss[r] == 0:
                    loss += v[r]
                miss[r] += 1
    return loss


@numba.njit(cache=True, nogil=True)
def gains(t_ptr, t_idx, h_ptr, h_idx, cnt, miss, v, selected, gain, credit, last, hits):  # type: ignore[no-untyped-def]
    """Volume each closed column would serve if opened now (``gain``), and its partial credit.

    ``credit[j]`` adds, for every route not yet served, its volume times the
    share of its unmet windows that ``j`` meets (greedy's look-ahead: a route
    needing two more stops gets half its volume from one of them). ``last``
    and ``hits`` are per-route scratch (``last`` filled with -1 before the
    first call).
    """
    n = t_ptr.size - 1
    for j in range(n):
        g = 0.0
        c = 0.0
        if not selected[j]:
            for q in range(t_ptr[j], t_ptr[j + 1]):
                w = t_idx[q]
                if cnt[w] != 0:
                    continue
                for k in range(h_ptr[w], h_ptr[w + 1]):
                    r = h_idx[k]
                    if last[r] != j:
                        last[r] = j
                        hits[r] = 0
                    hits[r] += 1
                    c += v[r] / miss[r]
                    if hits[r] == miss[r]:
                        g += v[r]
        gain[j] = g
        credit[j] = c
    for r in range(last.size):
        last[r] = -1


@numba.njit(cache=True, nogil=True)
def lagrangian_steps(  # type: ignore[no-untyped-def]
    g_ptr,
    g_idx,
    d_ptr,
    d_idx,
    t_ptr,
    t_idx,
    v,
    lam,
    best_lam,
    direction,
    state,
    p,
    patience,
    deflect,
    tol,
    steps,
):
    """Subgradient steps on the Lagrangian of the window links ``y_r <= sum_{j in w} x_j``.

    ``lam`` holds one multiplier per route-window pair (the entries of G, in
    order). ``L(lam) = sum_r max(0, v_r - sum_w lam_rw) + (sum of the p
    largest c_j)``, ``c_j = sum_{w ∋ j} sum_r lam_rw``, bounds the optimum
    for every ``lam >= 0``. Steps: Polyak size ``mu (L - best value) / |g|^2``
    along the subgradient deflected by the previous direction (Camerini,
    Fratta and Maffioli 1975), projected on ``0 <= lam_rw <= v_r``; ``mu``
    halves after ``patience`` steps without a better bound.
    ``state`` = [mu, stall, best bound, best value, steps done]; returns True
    when the bound is within ``tol`` of the best value (proven).
    """
    n_r = g_ptr.size - 1
    n_w = d_ptr.size - 1
    n_c = t_ptr.size - 1
    lam_w = np.zeros(n_w)
    xw = np.zeros(n_w)
    y = np.zeros(n_r)
    for _ in range(steps):
        lam_w[:] = 0.0
        L = 0.0
        for r in range(n_r):
            s = 0.0
            for k in range(g_ptr[r], g_ptr[r + 1]):
                s += lam[k]
                lam_w[g_idx[k]] += lam[k]
            if v[r] - s > 0:
                L += v[r] - s
                y[r] = 1.0
            else:
                y[r] = 0.0
        c = np.zeros(n_c)
        for j in range(n_c):
            acc = 0.0
            for q in range(t_ptr[j], t_ptr[j + 1]):
                acc += lam_w[t_idx[q]]
            c[j] = acc
        order = np.argsort(-c)
        kk = min(p, n_c)
        for i in range(kk):
            if c[order[i]] > 0:
                L += c[order[i]]
        xw[:] = 0.0
        for i in range(kk):
            j = order[i]
            if c[j] <= 0:
                break
            for q in range(t_ptr[j], t_ptr[j + 1]):
                xw[t_idx[q]] += 1.0
        if state[2] > L:
            state[2] = L
            best_lam[:] = lam
            state[1] = 0.0
        else:
            state[1] += 1.0
            if state[1] >= patience:
                state[0] *= 0.5
                state[1] = 0.0
        state[4] += 1.0
        if state[2] - state[3] <= tol:
            return True
        # subgradient of L at lam: x(w) - y_r, deflected
        norm = 0.0
        for r in range(n_r):
            for k in range(g_ptr[r], g_ptr[r + 1]):
                g = xw[g_idx[k]] - y[r]
                if lam[k] <= 0 and g > 0:
                    g = 0.0  # projected: this multiplier cannot fall below 0
                direction[k] = g + deflect * direction[k]
                norm += direction[k] * direction[k]
        if norm <= 0:
            return True  # L is at its minimum: the bound is the LP bound
        step = state[0] * max(L - state[3], 1e-9) / norm
        for r in range(n_r):
            for k in range(g_ptr[r], g_ptr[r + 1]):
                x = lam[k] - step * direction[k]
                lam[k] = min(max(x, 0.0), v[r])
    return False


@numba.njit(cache=True, nogil=True)
def column_scores(g_ptr, g_idx, n_w, t_ptr, t_idx, v, lam):  # type: ignore[no-untyped-def]
    """Lagrangian route term ``sum_r max(0, v_r - sum_w lam_rw)`` and column scores ``c_j``."""
    n_r = g_ptr.size - 1
    lam_w = np.zeros(n_w)
    route_term = 0.0
    for r in range(n_r):
        s = 0.0
        for k in range(g_ptr[r], g_ptr[r + 1]):
            s += lam[k]
            lam_w[g_idx[k]] += lam[k]
        if v[r] - s > 0:
            route_term += v[r] - s
    n_c = t_ptr.size - 1
    c = np.zeros(n_c)
    for j in range(n_c):
        acc = 0.0
        for q in range(t_ptr[j], t_ptr[j + 1]):
            acc += lam_w[t_idx[q]]
        c[j] = acc
    return route_term, c
