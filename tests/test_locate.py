"""Tests of planner.locate: hand-solved instances, brute force, spopt, properties."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner._errors import InfeasibleError, InputError
from planner.locate import (
    LSCP,
    MCLP,
    DecayCoverage,
    PCenter,
    PMedian,
    decay_weights,
)
from planner.locate.solvers import (
    BenefitProblem,
    cover_mip,
    coverage_fixing,
    coverage_mip,
    dominated_columns,
    lagrangian_value,
    merge_rows,
    prove_coverage,
)
from planner.locate.solvers.pipeline import _fixed_problem

INF = np.inf


# ----------------------------------------------------------------------------- helpers


def random_times(seed: int, n: int, m: int, *, density: float = 0.6, dup: int = 0):
    """Dense matrix of times with inf for unreachable pairs; ``dup`` duplicated rows."""
    rng = np.random.default_rng(seed)
    t = np.round(rng.uniform(0, 20, (n, m)), 1)
    t[rng.random((n, m)) > density] = INF
    if dup:
        t = np.vstack([t, t[rng.integers(0, n, dup)]])
    w = rng.integers(1, 10, t.shape[0]).astype(float)
    return t, w


def covered_weight(t, w, cutoff, sites):
    if len(sites) == 0:
        return 0.0
    return float(w[(t[:, list(sites)] <= cutoff).any(axis=1)].sum())


def brute_mclp(t, w, cutoff, p, existing=(), costs=None, budget=None):
    cand = [j for j in range(t.shape[1]) if j not in existing]
    best = -1.0
    sizes = [p] if budget is None else range(len(cand) + 1)
    for k in sizes:
        for s in itertools.combinations(cand, k):
            if budget is not None and sum(costs[j] for j in s) > budget + 1e-9:
                continue
            best = max(best, covered_weight(t, w, cutoff, list(existing) + list(s)))
    return best


def pmedian_cost(t, w, sites, max_time=INF):
    tt = np.where(t <= max_time, t, INF)[:, list(sites)].min(axis=1)
    reach = np.isfinite(np.where(t <= max_time, t, INF)).any(axis=1)
    tt = tt[reach]
    if not np.all(np.isfinite(tt)):
        return INF
    return float((w[reach] * tt).sum())


# ----------------------------------------------------------------------------- hand-solved


def hand_matrix():
    # 4 demand points x 3 sites; cutoff 10.
    # site a covers d0; site b covers d1, d2, d3; site c covers d3 (at time 0: demand AT the site)
    t = np.array(
        [
            [2.0, INF, 30.0],
            [INF, 5.0, INF],
            [20.0, 9.0, INF],
            [INF, 10.0, 0.0],
        ]
    )
    return t, np.array([10.0, 1.0, 1.0, 5.0])


@pytest.mark.parametrize("solver", ["exact", "fast", "auto"])
def test_mclp_hand_solved(solver):
    t, w = hand_matrix()
    sites = ["a", "b", "c"]
    demand = ["d0", "d1", "d2", "d3"]
    m1 = MCLP.from_matrix(
        t, cutoff=10, p=1, weights=w, site_index=sites, demand_index=demand
    ).solve(solver=solver)
    assert m1.objective == 10.0
    assert list(m1.selected) == ["a"]
    m2 = MCLP.from_matrix(t, cutoff=10, p=2, weights=w, site_index=sites, demand_index=demand)
    r2 = m2.solve(solver=solver)
    assert r2.objective == 17.0
    assert list(r2.selected) == ["a", "b"]  # rank order: a adds 10, then b adds 7
    assert r2.sites["marginal_weight"].tolist() == [10.0, 7.0]
    assert r2.sites["cumulative_share"].tolist() == [10 / 17, 1.0]
    assert r2.demand["covered"].tolist() == [True, True, True, True]
    assert r2.demand.index.tolist() == demand
    assert r2.gap == 0
    assert r2.status == "optimal"
    # existing a fixed: b is chosen, a is not chosen again
    r3 = MCLP.from_matrix(t, cutoff=10, p=1, weights=w, existing=["a"], site_index=sites).solve(
        solver=solver
    )
    assert list(r3.selected) == ["b"]
    assert r3.objective == 17.0
    assert r3.sites.loc["a", "existing"]
    assert r3.sites.loc["a", "rank"] == 0
    assert r3.figures["existing_covered_weight"] == 10.0


def test_stored_zero_times_count_as_reachable():
    # sparse matrix with explicit zeros: demand 0 and 1 stand at sites 0 and 1
    data = np.array([0.0, 7.0, 0.0, 3.0])
    rows = np.array([0, 0, 1, 2])
    cols = np.array([0, 1, 1, 1])
    m = sp.csr_array((data, (rows, cols)), shape=(3, 2))
    assert m.nnz == 4
    r = MCLP.from_matrix(m, cutoff=0, p=1, weights=[1, 5, 1]).solve(solver="exact")
    assert r.objective == 5.0
    assert list(r.selected) == [1]
    r = MCLP.from_matrix(m, cutoff=0, p=2, weights=[1, 5, 1]).solve(solver="fast")
    assert r.objective == 6.0
    assert r.demand["time"].tolist() == [0.0, 0.0, 3.0]
    # csr_matrix input and an AccessMatrix-like object with labels
    obj = SimpleNamespace(
        matrix=sp.csr_matrix(m), demand_index=["x", "y", "z"], site_index=["s", "t"]
    )
    r = MCLP.from_matrix(obj, cutoff=3, p=1).solve()
    assert list(r.selected) == ["t"]
    assert r.objective == 2.0
    assert r.demand.index.tolist() == ["x", "y", "z"]


def test_mclp_budget_hand_solved():
    t, w = hand_matrix()
    costs = pd.Series({"a": 3.0, "b": 2.0, "c": 1.0})
    kw = {"cutoff": 10, "weights": w, "site_index": ["a", "b", "c"], "costs": costs}
    for solver in ("exact", "fast"):
        r = MCLP.from_matrix(t, budget=3.0, **kw).solve(solver=solver)
        # a alone (10) beats b + c (7)
        assert r.objective == 10.0
        assert list(r.selected) == ["a"]
        r = MCLP.from_matrix(t, budget=5.0, **kw).solve(solver=solver)
        assert r.objective == 17.0
        assert set(r.selected) == {"a", "b"}
        assert r.figures["new_sites_cost"] == 5.0


def test_mclp_capacity_hand_solved():
    # one site reaches both demand points (weights 5 and 5) but serves at most 6
    t = np.array([[1.0, INF], [2.0, 3.0]])
    for solver in ("exact", "fast"):
        r = MCLP.from_matrix(t, cutoff=5, p=1, weights=[5, 5], capacity=6).solve(solver=solver)
        assert r.objective == pytest.approx(6.0)
        r = MCLP.from_matrix(t, cutoff=5, p=2, weights=[5, 5], capacity=6).solve(solver=solver)
        assert r.objective == pytest.approx(10.0)
        assert r.demand["covered_share"].tolist() == pytest.approx([1.0, 1.0])
    # existing capacitated site already full: the new site takes the rest
    r = MCLP.from_matrix(t, cutoff=5, p=1, weights=[5, 5], capacity=[5, 5], existing=[0]).solve(
        solver="exact"
    )
    assert r.objective == pytest.approx(10.0)
    assert list(r.selected) == [1]


def test_mclp_capacity_below_demand_is_explained():
    # three points of weight 10 within reach of both sites; each site serves at most 4:
    # one new site (p=1) can serve 4 of 30 (two: 8), and the plan is still returned
    t = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]])
    model = MCLP.from_matrix(t, cutoff=5, p=1, weights=[10, 10, 10], capacity=4)
    assert model.capacity_limit()[0] == 4.0
    r = model.solve(solver="exact")
    assert r.objective == pytest.approx(4.0)
    assert r.figures["capacity_limit"] == 4.0
    assert len(r.notes) == 1
    assert "capacity caps coverage at 4 of 30 demand weight" in r.notes[0]
    assert "raise p (or the budget), raise the sites' capacity" in r.notes[0]
    budget = MCLP.from_matrix(
        t, cutoff=5, budget=3, costs=[2, 2], weights=[10, 10, 10], capacity=[4, 8]
    )
    # fractional knapsack: site 1 (8 for 2) whole, then half of site 0 (4 for 2) with 1 left
    assert budget.capacity_limit()[0] == pytest.approx(8 + 4 / 2)
    roomy = MCLP.from_matrix(t, cutoff=5, p=1, weights=[10, 10, 10], capacity=40)
    assert roomy.solve(solver="fast").notes == ()


@pytest.mark.parametrize("model", ["mclp", "lscp", "pmedian", "pcenter", "capacity"])
def test_progress_bar_counts_solver_steps(model, capsys):
    t, w = random_times(3, 30, 8, density=0.6)
    build = {
        "mclp": lambda: MCLP.from_matrix(t, cutoff=10, p=3, weights=w),
        "lscp": lambda: LSCP.from_matrix(t, cutoff=10, weights=w),
        "pmedian": lambda: PMedian.from_matrix(t, p=3, weights=w),
        "pcenter": lambda: PCenter.from_matrix(t, p=3, weights=w),
        "capacity": lambda: MCLP.from_matrix(t, cutoff=10, p=3, weights=w, capacity=50),
    }[model]
    quiet = build().solve(solver="exact")
    assert capsys.readouterr().err == ""
    loud = build().solve(solver="exact", progress=True)
    err = capsys.readouterr().err
    assert loud.objective == pytest.approx(quiet.objective)
    counts = [int(m) for m in re.findall(r"(\d+)step", err.replace(" ", ""))]
    assert counts, err
    # greedy picks p sites one step each; LSCP/p-center count at least one HiGHS stage
    assert max(counts) >= (3 if model in ("mclp", "pmedian") else 1)
    if model in ("lscp", "capacity"):
        assert "HiGHS" in err


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_lscp_hand_solved_reports_uncoverable(solver):
    t, w = hand_matrix()
    t = np.vstack([t, [INF, 50.0, INF]])  # d4 reachable but not within the cutoff
    w = np.r_[w, 2.0]
    r = LSCP.from_matrix(t, cutoff=10, weights=w, site_index=["a", "b", "c"]).solve(solver=solver)
    assert r.objective == 2.0
    assert set(r.selected) == {"a", "b"}
    assert r.figures["uncoverable_weight"] == 2.0
    assert r.demand["covered"].tolist() == [True, True, True, True, False]
    # with costs, c is cheap but b is still needed for d1, d2
    r = LSCP.from_matrix(t, cutoff=10, costs=[1, 1, 0.1]).solve(solver=solver)
    assert r.objective == 2.0
    # existing b: only a is needed
    r = LSCP.from_matrix(t, cutoff=10, existing=[1]).solve(solver=solver)
    assert list(r.selected) == [0]
    assert r.objective == 1.0


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_pmedian_and_pcenter_hand_solved(solver):
    t = np.array([[1.0, 5.0, 9.0], [3.0, 1.0, 9.0], [6.0, 2.0, 3.0], [8.0, 8.0, 0.0]])
    w = [1.0, 1.0, 1.0, 1.0]
    r = PMedian.from_matrix(t, p=1, weights=w).solve(solver=solver)
    assert r.objective == 16.0
    assert list(r.selected) == [1]  # 5 + 1 + 2 + 8
    r = PMedian.from_matrix(t, p=2, weights=w).solve(solver=solver)
    assert r.objective == 7.0
    assert set(r.selected) == {0, 2}  # 1 + 3 + 3 + 0; {1, 2}: 8
    r = PMedian.from_matrix(t, p=1, weights=w, existing=[2]).solve(solver=solver)
    assert r.objective == 7.0
    assert list(r.selected) == [0]
    assert r.sites.index.tolist() == [2, 0]
    assert r.sites["existing"].tolist() == [True, False]
    c = PCenter.from_matrix(t, p=1).solve(solver=solver)
    assert c.objective == 8.0
    assert list(c.selected) in ([1], [0])
    c = PCenter.from_matrix(t, p=2).solve(solver=solver)
    assert c.objective == 3.0
    assert set(c.selected) == {0, 2}


def test_pmedian_exact_serves_everyone_even_when_the_heuristic_does_not():
    # point 0 reaches only site 0 (9 min); 11 points sit at site 1 (0 min) and 9 min from
    # site 0. The penalty-based heuristic prefers site 1 and leaves point 0 unserved; the
    # only plan serving everyone is site 0: 12 points x 9 min = 108.
    t = np.vstack([[9.0, INF], np.tile([9.0, 0.0], (11, 1))])
    r = PMedian.from_matrix(t, p=1).solve(solver="exact")
    assert list(r.selected) == [0]
    assert r.objective == pytest.approx(108.0)
    assert r.demand["time"].max() == 9.0
    with pytest.raises(InfeasibleError, match="leaves 1 reachable demand points"):
        PMedian.from_matrix(t, p=1).solve(solver="fast")


def test_pmedian_max_time_and_infeasible():
    t = np.array([[1.0, 5.0], [4.0, 1.0], [6.0, 2.0]])
    r = PMedian.from_matrix(t, p=2, max_time=3).solve(solver="exact")
    assert r.objective == 4.0
    with pytest.raises(InfeasibleError, match=r"p = 1 new sites"):
        PMedian.from_matrix(t, p=1, max_time=3).solve(solver="exact")


def test_decay_weights_forms():
    t = np.array([0.0, 3.0, 6.0, 9.0, 12.0])
    assert decay_weights(t, "linear", cutoff=12).tolist() == [1, 0.75, 0.5, 0.25, 0]
    np.testing.assert_allclose(
        decay_weights(t, "exponential", cutoff=10, scale=3), np.r_[np.exp(-t[:4] / 3), 0.0]
    )
    np.testing.assert_allclose(
        decay_weights(t, "power", cutoff=9, scale=3, beta=2), [1, 0.25, 1 / 9, 1 / 16, 0]
    )
    np.testing.assert_allclose(
        decay_weights(t, "gaussian", cutoff=10, scale=6),
        np.r_[np.exp(-0.5 * (t[:4] / 6) ** 2), 0.0],
    )
    np.testing.assert_allclose(
        decay_weights(t, lambda x: 1 / (1 + x), cutoff=6), [1, 0.25, 1 / 7, 0, 0]
    )
    with pytest.raises(InputError, match="unknown decay kind"):
        decay_weights(t, "cubic", cutoff=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_decay_hand_solved(solver):
    t = np.array([[0.0, 8.0, INF], [6.0, 2.0, INF], [INF, 5.0, 1.0]])
    w = [1.0, 1.0, 2.0]
    r = DecayCoverage.from_matrix(t, p=1, cutoff=10, weights=w).solve(solver=solver)
    # site 0: 1 + 0.4 = 1.4; site 1: 0.2 + 0.8 + 2 * 0.5 = 2.0; site 2: 2 * 0.9 = 1.8
    assert r.objective == pytest.approx(2.0)
    assert list(r.selected) == [1]
    r = DecayCoverage.from_matrix(t, p=2, cutoff=10, weights=w).solve(solver=solver)
    # {0, 2}: 1 + 0.4 + 1.8 = 3.2; {1, 2}: 0.2 + 0.8 + 1.8 = 2.8; {0, 1}: 1 + 0.8 + 1 = 2.8
    assert r.objective == pytest.approx(3.2)
    assert set(r.selected) == {0, 2}
    assert r.demand["factor"].tolist() == pytest.approx([1.0, 0.4, 0.9])


def test_coverage_curve_and_phasing_hand_solved():
    t, w = hand_matrix()
    model = MCLP.from_matrix(t, cutoff=10, p=1, weights=w, site_index=["a", "b", "c"])
    curve = model.coverage_curve(3)
    assert curve["objective"].tolist() == [10.0, 17.0, 17.0]
    assert curve["site"].tolist()[:2] == ["a", "b"]
    assert curve["share"].tolist()[:2] == [10 / 17, 1.0]
    exact = model.coverage_curve(2, solver="exact")
    assert exact["objective"].tolist() == [10.0, 17.0]
    assert (exact["gap"] == 0).all()
    plan = model.phased([1, 1])
    assert plan.sites.index.tolist() == ["a", "b"]
    assert plan.sites["phase"].tolist() == [1, 2]
    assert plan.sites["cumulative"].tolist() == [10.0, 17.0]
    assert plan.phases[1].sites.loc["a", "existing"]


# ----------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(4))
def test_mclp_exact_matches_brute_force(seed):
    t, w = random_times(seed, 30, 8, dup=10)
    rng = np.random.default_rng(seed)
    existing = tuple(int(j) for j in rng.choice(8, 1))
    for p in (1, 2, 3):
        r = MCLP.from_matrix(t, cutoff=8, p=p, weights=w, existing=list(existing)).solve(
            solver="exact"
        )
        assert r.objective == pytest.approx(brute_mclp(t, w, 8, p, existing))
        assert covered_weight(t, w, 8, list(existing) + list(r.selected)) == r.objective
        f = MCLP.from_matrix(t, cutoff=8, p=p, weights=w, existing=list(existing)).solve(
            solver="fast"
        )
        assert f.objective <= r.objective + 1e-9
        assert f.bound >= r.objective - 1e-9  # the fast bound holds
    costs = rng.integers(1, 5, 8).astype(float)
    for budget in (2.0, 5.0, 9.0):
        best = brute_mclp(t, w, 8, None, existing, costs=costs, budget=budget)
        kw = {
            "cutoff": 8,
            "weights": w,
            "existing": list(existing),
            "costs": costs,
            "budget": budget,
        }
        r = MCLP.from_matrix(t, **kw).solve(solver="exact")
        assert r.objective == pytest.approx(best)
        assert costs[list(r.selected)].sum() <= budget
        f = MCLP.from_matrix(t, **kw).solve(solver="fast")
        assert f.objective <= best + 1e-9 <= f.bound + 2e-9
        assert costs[list(f.selected)].sum() <= budget


@pytest.mark.parametrize("seed", range(4))
def test_lscp_exact_matches_brute_force(seed):
    t, _ = random_times(seed, 25, 9, density=0.5)
    reach = (t <= 9).any(axis=1)
    best = None
    for k in range(10):
        for s in itertools.combinations(range(9), k):
            if (t[reach][:, list(s)] <= 9).any(axis=1).all():
                best = k
                break
        if best is not None:
            break
    r = LSCP.from_matrix(t, cutoff=9).solve(solver="exact")
    assert r.objective == best
    assert r.figures["uncoverable_points"] == float((~reach).sum())
    f = LSCP.from_matrix(t, cutoff=9).solve(solver="fast")
    assert f.objective >= best >= f.bound
    for res in (r, f):
        assert (t[reach][:, list(res.selected)] <= 9).any(axis=1).all()


@pytest.mark.parametrize("seed", range(3))
def test_pmedian_pcenter_decay_match_brute_force(seed):
    t, w = random_times(seed, 20, 7, density=0.8, dup=5)
    rng = np.random.default_rng(seed)
    existing = [int(rng.integers(7))]
    cand = [j for j in range(7) if j not in existing]
    for p in (1, 2, 3):
        sets = [existing + list(s) for s in itertools.combinations(cand, p)]
        best = min(pmedian_cost(t, w, s) for s in sets)
        for solver in ("exact", "fast"):
            r = PMedian.from_matrix(t, p=p, weights=w, existing=existing).solve(solver=solver)
            assert pmedian_cost(t, w, existing + list(r.selected)) == pytest.approx(r.objective)
            assert r.objective >= best - 1e-6
            assert r.bound <= best + 1e-6
            if solver == "exact":
                assert r.objective == pytest.approx(best)
        reach = np.isfinite(t).any(axis=1)
        worst = min(
            float(np.where(np.isfinite(t), t, INF)[reach][:, s].min(axis=1).max()) for s in sets
        )
        c = PCenter.from_matrix(t, p=p, existing=existing).solve(solver="exact")
        assert c.objective == pytest.approx(worst)
        assert len(c.selected) == p
        f = PCenter.from_matrix(t, p=p, existing=existing).solve(solver="fast")
        assert f.objective >= worst - 1e-9 >= f.bound - 2e-9
        fac = np.where(np.isfinite(t), decay_weights(np.where(np.isfinite(t), t, 0), cutoff=12), 0)
        dbest = max(float((w * fac[:, s].max(axis=1)).sum()) for s in sets)
        d = DecayCoverage.from_matrix(t, p=p, cutoff=12, weights=w, existing=existing)
        assert d.solve(solver="exact").objective == pytest.approx(dbest)
        df = d.solve(solver="fast")
        assert df.objective <= dbest + 1e-9 <= df.bound + 2e-9


def test_cover_mip_with_warm_start_reports_its_own_plan():
    # HiGHS 1.16.0 scored this warm start in the presolved space without the offset of
    # the columns presolve fixes and answered "optimal, 1 column" while returning the
    # 2-column start; the optimum (by hand: no column covers every row) is 2 columns.
    a = np.array(
        [
            [1, 0, 1, 1, 1, 0],
            [1, 1, 1, 1, 1, 0],
            [0, 1, 0, 0, 1, 0],
            [0, 1, 1, 1, 1, 0],
            [1, 1, 0, 1, 1, 0],
            [1, 1, 1, 1, 1, 1],
            [1, 1, 0, 1, 0, 1],
            [0, 0, 0, 0, 1, 1],
            [0, 0, 0, 0, 1, 1],
            [1, 1, 1, 1, 1, 0],
            [1, 1, 0, 1, 1, 0],
        ],
        dtype=float,
    )
    assert not (a.min(axis=0) > 0).any()
    res, cols = cover_mip(sp.csr_array(a), np.ones(6), start=np.array([0, 4]))
    assert res.status == "optimal"
    assert res.objective == res.bound == cols.size == 2
    assert (a[:, cols].max(axis=1) > 0).all()


def test_merge_rows_is_exact():
    m = sp.csr_array(np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1], [0, 0, 0], [0, 1, 0]], float))
    merged, w, group = merge_rows(m, np.array([1.0, 2, 3, 4, 5]), by_values=False)
    assert merged.shape[0] == 3
    assert sorted(w.tolist()) == [4.0, 4.0, 7.0]
    assert group[0] == group[2]
    assert group[1] == group[4]
    assert group[3] not in (group[0], group[1])


def _coverage_problem(t, w, cutoff):
    a = sp.csr_array((t <= cutoff).astype(float))
    keep = np.diff(a.indptr) > 0
    a = sp.csr_array(a[np.flatnonzero(keep)])
    return BenefitProblem(a, w[keep], np.zeros(a.shape[0])), a.toarray() > 0, w[keep]


@pytest.mark.parametrize("seed", range(3))
def test_lagrangian_bound_fixing_and_dominance_are_valid(seed):
    t, w = random_times(seed, 25, 8, density=0.5)
    prob, a, wk = _coverage_problem(t, w, 9)
    rng = np.random.default_rng(seed)
    for p in (1, 2, 3):
        values = {
            s: float(wk[a[:, list(s)].any(axis=1)].sum())
            for s in itertools.combinations(range(8), p)
        }
        opt = max(values.values())
        for _ in range(5):
            lam = rng.uniform(0, 1, wk.size) * wk
            bound, _ = lagrangian_value(prob, p, lam)
            assert bound >= opt - 1e-9  # L(lam) is an upper bound for every lam in [0, w]
            lower = opt - 0.5  # a plan value just below the optimum
            out, fixed_in = coverage_fixing(prob, p, lam, lower)
            for s, v in values.items():
                if v > lower:  # every better plan avoids `out` and holds `fixed_in`
                    assert not set(np.flatnonzero(out)) & set(s)
                    assert set(np.flatnonzero(fixed_in)) <= set(s)
        drop = dominated_columns(prob, p)
        kept = [j for j in range(8) if not drop[j]]
        assert len(kept) >= p
        best_kept = max(
            float(wk[a[:, list(s)].any(axis=1)].sum()) for s in itertools.combinations(kept, p)
        )
        assert best_kept == opt


@pytest.mark.parametrize("seed", range(4))
def test_fixed_problem_holds_every_plan_with_the_fixed_columns(seed):
    t, w = random_times(seed, 30, 9, density=0.4)
    prob, a, wk = _coverage_problem(t, w, 9)
    rng = np.random.default_rng(seed)
    p = 4
    flags = rng.integers(0, 3, 9)  # 0 free, 1 out, 2 fixed in
    out, fixed_in = flags == 1, flags == 2
    if fixed_in.sum() >= p or (flags == 0).sum() < p - fixed_in.sum():
        flags[:] = [2, 1, 0, 0, 0, 0, 0, 1, 0]
        out, fixed_in = flags == 1, flags == 2
    rest, cols, fixed, offset = _fixed_problem(prob, out, fixed_in)
    assert np.array_equal(fixed, np.flatnonzero(fixed_in))
    assert np.array_equal(cols, np.flatnonzero(flags == 0))
    k = p - fixed.size
    brute = max(
        float(wk[a[:, list(s) + list(fixed)].any(axis=1)].sum())
        for s in itertools.combinations(cols.tolist(), k)
    )
    res, chosen = coverage_mip(rest, k)
    assert res.status == "optimal"
    assert res.objective + offset == pytest.approx(brute)
    assert float(wk[a[:, list(cols[chosen]) + list(fixed)].any(axis=1)].sum()) == pytest.approx(
        brute
    )


@pytest.mark.parametrize("seed", range(6))
def test_prove_coverage_finds_and_proves_the_optimum_from_any_plan(seed):
    rng = np.random.default_rng(seed)
    a = rng.random((150, 25)) < 0.1
    a = a[a.any(axis=1)]
    w = rng.integers(1, 50, a.shape[0]).astype(float)
    prob = BenefitProblem(sp.csr_array(a.astype(float)), w, np.zeros(a.shape[0]))
    plans = np.array(list(itertools.combinations(range(25), 4)))
    values = np.array([w[a[:, s].any(axis=1)].sum() for s in plans])
    opt = values.max()
    plain, _ = coverage_mip(prob, 4)  # HiGHS with its presolve, none of our reductions
    assert plain.objective == opt
    runner_up = int(np.argmax(np.where(values < opt, values, -1)))  # fixing prunes most here
    poor = int(np.argmin(values))
    for start in (runner_up, poor):
        chosen, value, bound, status = prove_coverage(
            prob, 4, plans[start], float(values[start]), float(w.sum())
        )
        assert status == "optimal"
        assert value == bound == opt
        assert chosen.size == 4
        assert float(w[a[:, chosen].any(axis=1)].sum()) == opt
    # from the optimum itself: nothing to improve, and the proof still holds
    again = prove_coverage(prob, 4, chosen, opt, float(w.sum()))
    assert again[1:] == (opt, opt, "optimal")
    # a plan known only to be worth opt - 1: fixing must keep the plans worth exactly opt
    best = plans[int(np.argmax(values))]
    found = prove_coverage(prob, 4, best, opt - 1, float(w.sum()))
    assert found[1:] == (opt, opt, "optimal")


# ----------------------------------------------------------------------------- spopt


def _spopt():
    pulp = pytest.importorskip("pulp")
    locate = pytest.importorskip("spopt.locate")
    return pulp, locate


@pytest.mark.parametrize("seed", range(2))
def test_cross_check_spopt(seed):
    pulp, locate = _spopt()
    rng = np.random.default_rng(100 + seed)
    n, m = 40, 12
    t = np.round(rng.uniform(0, 20, (n, m)), 3)
    w = rng.integers(1, 100, n).astype(float)
    solver = pulp.HiGHS(msg=False)
    s = locate.MCLP.from_cost_matrix(t, w, service_radius=6, p_facilities=3).solve(solver)
    ours = MCLP.from_matrix(t, cutoff=6, p=3, weights=w).solve(solver="exact")
    assert ours.objective == pytest.approx(pulp.value(s.problem.objective), abs=1e-6)
    # spopt counts predefined facilities inside p
    pre = np.zeros(m, dtype=bool)
    pre[[0, 5]] = True
    s = locate.MCLP.from_cost_matrix(
        t, w, service_radius=6, p_facilities=5, predefined_facilities_arr=pre
    ).solve(solver)
    ours = MCLP.from_matrix(t, cutoff=6, p=3, weights=w, existing=[0, 5]).solve(solver="exact")
    assert ours.objective == pytest.approx(pulp.value(s.problem.objective), abs=1e-6)
    # spopt's LSCP fails (RuntimeError) when a point cannot be covered: give it only
    # the coverable rows; ours takes them all and reports the others
    coverable = (t <= 6).any(axis=1)
    s = locate.LSCP.from_cost_matrix(t[coverable], service_radius=6).solve(solver)
    ours = LSCP.from_matrix(t, cutoff=6).solve(solver="exact")
    assert ours.objective == pytest.approx(pulp.value(s.problem.objective), abs=1e-6)
    assert ours.figures["uncoverable_points"] == (~coverable).sum()
    s = locate.PMedian.from_cost_matrix(t, w, p_facilities=3).solve(solver)
    ours = PMedian.from_matrix(t, p=3, weights=w).solve(solver="exact")
    assert ours.objective == pytest.approx(pulp.value(s.problem.objective), abs=1e-6)
    s = locate.PCenter.from_cost_matrix(t, p_facilities=3).solve(solver)
    ours = PCenter.from_matrix(t, p=3).solve(solver="exact")
    assert ours.objective == pytest.approx(pulp.value(s.problem.objective), abs=1e-6)


# ----------------------------------------------------------------------------- properties

matrices = st.builds(
    lambda seed, n, m, dens: (seed, n, m, dens),
    st.integers(0, 10_000),
    st.integers(1, 30),
    st.integers(2, 9),
    st.floats(0.1, 1.0),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices, st.integers(0, 3))
def test_property_coverage_monotone_existing_kept_gap_holds(args, n_existing):
    seed, n, m, dens = args
    t, w = random_times(seed, n, m, density=dens)
    n_existing = min(n_existing, m - 1)
    existing = list(range(n_existing))
    n_cand = m - n_existing
    prev = -1.0
    for p in range(1, min(n_cand, 4) + 1):
        model = MCLP.from_matrix(t, cutoff=8, p=p, weights=w, existing=existing)
        ex = model.solve(solver="exact")
        fa = model.solve(solver="fast")
        # fixed existing sites are never re-chosen, exactly p new ones are returned
        assert not set(ex.selected) & set(existing)
        assert len(ex.selected) == p
        assert not set(fa.selected) & set(existing)
        assert len(fa.selected) == p
        # more sites never lower coverage
        assert ex.objective >= prev - 1e-9
        prev = ex.objective
        # heuristic never beats the exact optimum; the fast bound and gap hold
        assert fa.objective <= ex.objective + 1e-9
        assert fa.bound >= ex.objective - 1e-9
        assert ex.objective <= fa.objective * (1 + fa.gap) + 1e-9
        # reported objective is the true covered weight
        assert covered_weight(t, w, 8, existing + list(fa.selected)) == pytest.approx(fa.objective)
    curve = MCLP.from_matrix(t, cutoff=8, p=1, weights=w, existing=existing).coverage_curve(n_cand)
    assert np.all(np.diff(curve["objective"].to_numpy()) >= -1e-9)
    assert np.all(curve["bound"] >= curve["objective"] - 1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices)
def test_property_pmedian_heuristic_never_beats_exact(args):
    seed, n, m, _ = args
    t, w = random_times(seed, n, m, density=1.0)
    for p in range(1, min(m, 3) + 1):
        ex = PMedian.from_matrix(t, p=p, weights=w).solve(solver="exact")
        fa = PMedian.from_matrix(t, p=p, weights=w).solve(solver="fast")
        assert fa.objective >= ex.objective - 1e-6
        assert fa.bound <= ex.objective + 1e-6
        assert ex.objective >= fa.objective * (1 - fa.gap) - 1e-6


# ----------------------------------------------------------------------------- time limit


def test_time_limit_returns_best_plan_with_gap():
    rng = np.random.default_rng(7)
    pts = rng.random((3000, 2))
    sites = rng.random((400, 2))
    d = np.sqrt(((pts[:, None, :] - sites[None, :, :]) ** 2).sum(-1)) * 60
    t = np.where(d <= 6, d, INF)
    w = rng.integers(1, 100, 3000).astype(float)
    r = MCLP.from_matrix(t, cutoff=6, p=25, weights=w).solve(solver="exact", time_limit=0.05)
    assert r.status in ("time_limit", "optimal")
    assert r.bound >= r.objective
    assert r.objective == pytest.approx(covered_weight(t, w, 6, list(r.selected)))
    assert r.objective >= r.figures["heuristic_objective"] - 1e-9
    assert r.gap == pytest.approx((r.bound - r.objective) / r.objective, abs=1e-12)


def test_auto_solver_reason():
    t, w = hand_matrix()
    r = MCLP.from_matrix(t, cutoff=10, p=1, weights=w).solve()
    assert r.solver.startswith("highs")
    assert r.reason.startswith("auto:")
    assert "non-zeros" in r.reason


# ----------------------------------------------------------------------------- bad inputs


def test_infeasible_and_bad_inputs_have_clear_messages():
    t, _ = hand_matrix()
    with pytest.raises(InputError, match=r"p = 4 new sites asked for, but only 3 candidate"):
        MCLP.from_matrix(t, cutoff=10, p=4)
    with pytest.raises(InputError, match=r"only 2 candidate sites .*1 of them existing"):
        PMedian.from_matrix(t, p=3, existing=[0])
    with pytest.raises(
        InfeasibleError, match=r"budget 0.5 is below the cheapest candidate site \(1"
    ):
        MCLP.from_matrix(t, cutoff=10, costs=[1, 2, 3], budget=0.5)
    with pytest.raises(InputError, match=r"empty \(0 demand points × 3 sites\)"):
        MCLP.from_matrix(sp.csr_array((0, 3)), cutoff=10, p=1)
    with pytest.raises(InputError, match=r"NaN or infinite \(first at demand row 2\)"):
        MCLP.from_matrix(t, cutoff=10, p=1, weights=[1, np.nan, 1, 1])
    with pytest.raises(InputError, match=r"negative \(first: -2.0 at demand row 3\)"):
        LSCP.from_matrix(t, cutoff=10, weights=[1, 1, -2, 1])
    with pytest.raises(InputError, match=r"2 problems found"):
        LSCP.from_matrix(t, cutoff=10, weights=[1, np.nan, -2, 1])
    with pytest.raises(InputError, match=r"`existing` names 1 sites .*\['z'\]"):
        MCLP.from_matrix(t, cutoff=10, p=1, existing=["z"], site_index=["a", "b", "c"])
    with pytest.raises(InputError, match=r"`weights` has 2 values but the matrix has 4"):
        MCLP.from_matrix(t, cutoff=10, p=1, weights=[1, 2])
    with pytest.raises(InputError, match=r"negative or non-finite travel times"):
        MCLP.from_matrix(sp.csr_array(np.array([[-1.0, 2.0]])), cutoff=10, p=1)
    with pytest.raises(InputError, match=r"`solver` must be 'auto', 'exact' or 'fast'"):
        MCLP.from_matrix(t, cutoff=10, p=1).solve(solver="cplex")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"either `p` or `budget`"):
        MCLP.from_matrix(t, cutoff=10, p=1, costs=[1, 1, 1], budget=3)
    with pytest.raises(InputError, match=r"`cutoff` must be a finite time"):
        LSCP.from_matrix(t, cutoff=-1)
    with pytest.raises(InfeasibleError, match=r"p = 1 new sites cannot serve every"):
        PCenter.from_matrix(np.array([[1.0, INF], [INF, 1.0]]), p=1).solve()
    assert math.isfinite(MCLP.from_matrix(t, cutoff=10, p=0).solve().objective)


# ----------------------------------------------------------------------------- real data


@pytest.mark.realdata
@pytest.mark.slow
def test_shenzhen_mclp_5min_p20_optimum():
    """The shared instance of BENCHMARKS.md: optimum 370,212 of 504,887 at 5 min, p = 20."""
    import osmnx as ox  # a dependency of planner: never skipped for want of it
    from scipy.sparse.csgraph import dijkstra

    from tests.conftest import shared_file

    path = shared_file("shenzhen/futian_nanshan_drive.osm.bz2")
    graph = ox.truncate.largest_component(ox.graph_from_xml(path, simplify=True), strongly=True)
    nodes = list(graph.nodes)
    pos = {n: i for i, n in enumerate(nodes)}
    u, v, tt = zip(
        *((pos[a], pos[b], length / 250.0) for a, b, length in graph.edges(data="length")),
        strict=True,
    )
    u, v, tt = np.array(u), np.array(v), np.array(tt)
    order = np.lexsort((tt, v, u))
    u, v, tt = u[order], v[order], tt[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    n = len(nodes)
    g = sp.csr_array((tt[first], (u[first], v[first])), shape=(n, n))
    rng = np.random.default_rng(42)
    sites = rng.choice(n, 2000, replace=False)
    demand = rng.choice(n, 10000, replace=True)
    weights = rng.integers(1, 101, 10000).astype(float)
    dist = dijkstra(g.T.tocsr(), directed=True, indices=sites, limit=5.0).T
    r, c = np.nonzero(np.isfinite(dist))
    times = sp.csr_array(sp.csr_array((dist[r, c], (r, c)), shape=dist.shape)[demand])
    assert weights.sum() == 504_887
    res = MCLP.from_matrix(times, cutoff=5, p=20, weights=weights).solve(solver="exact")
    assert res.objective == 370_212
    assert res.status == "optimal"
    fast = MCLP.from_matrix(times, cutoff=5, p=20, weights=weights).solve(solver="fast")
    assert fast.objective <= 370_212 <= fast.bound
    assert fast.objective >= 0.999 * 370_212  # the fast solver's target on the hard case


def test_access_matrix_in_seconds_is_read_in_minutes() -> None:
    from planner.access import access_matrix
    from planner.network import TravelMode
    from tests.conftest import grid_network, points_gdf

    # 5 x 5 grid, 300 m blocks, walkers at 4.5 km/h: one block is 4 minutes
    net = grid_network(5, 5, 300.0, modes=[TravelMode("walk", speed_kmh=4.5, oneway=False)])
    demand = points_gdf([(c * 300.0, r * 300.0) for r in range(5) for c in range(5)])
    sites = points_gdf([(0.0, 0.0), (1200.0, 1200.0), (600.0, 600.0)], index=["a", "b", "c"])
    am = access_matrix(net, demand, sites, mode="walk", cutoff_min=30)
    direct = MCLP.from_matrix(am, cutoff=8.0, p=1).solve(solver="exact")
    by_hand = MCLP.from_matrix(
        am.matrix / 60.0,
        cutoff=8.0,
        p=1,
        demand_index=am.demand_index,
        site_index=am.site_index,
    ).solve(solver="exact")
    # within 8 minutes (two blocks) of the centre: the 13 nodes of the diamond around it
    assert direct.objective == by_hand.objective == 13
    assert list(direct.sites.index) == ["c"]


def test_from_geodataframes_matches_from_matrix() -> None:
    from planner.access import access_matrix
    from planner.network import TravelMode
    from tests.conftest import grid_network, points_gdf

    # 5 x 5 grid, 300 m blocks, walkers at 4.5 km/h: one block is 4 minutes
    net = grid_network(5, 5, 300.0, modes=[TravelMode("walk", speed_kmh=4.5, oneway=False)])
    xy = [(c * 300.0, r * 300.0) for r in range(5) for c in range(5)]
    demand = points_gdf(xy, index=[f"d{k}" for k in range(25)], w=np.arange(1.0, 26.0))
    sites = points_gdf(
        [(0.0, 0.0), (1200.0, 1200.0), (600.0, 600.0), (1200.0, 0.0)],
        index=["a", "b", "c", "d"],
        existing=[False, False, False, True],
        cost=[1.0, 2.0, 1.0, 1.0],
        cap=[40.0, 40.0, 60.0, 30.0],
    )
    geo = {"weight": "w", "existing": "existing"}
    mat = {"weights": demand["w"], "existing": ["d"]}
    am8 = access_matrix(net, demand, sites, mode="walk", cutoff_min=8)
    am40 = access_matrix(net, demand, sites, mode="walk", cutoff_min=40)
    pairs = [
        (
            MCLP.from_geodataframes(net, demand, sites, mode="walk", cutoff=8, p=1, **geo),
            MCLP.from_matrix(am8, cutoff=8, p=1, **mat),
        ),
        (
            MCLP.from_geodataframes(
                net, demand, sites, mode="walk", cutoff=8, budget=2, costs="cost", **geo
            ),
            MCLP.from_matrix(am8, cutoff=8, budget=2, costs=sites["cost"], **mat),
        ),
        (
            MCLP.from_geodataframes(
                net, demand, sites, mode="walk", cutoff=8, p=1, capacity="cap", **geo
            ),
            MCLP.from_matrix(am8, cutoff=8, p=1, capacity=sites["cap"], **mat),
        ),
        (
            LSCP.from_geodataframes(net, demand, sites, mode="walk", cutoff=8, **geo),
            LSCP.from_matrix(am8, cutoff=8, **mat),
        ),
        (
            PMedian.from_geodataframes(net, demand, sites, mode="walk", cutoff=40, p=2, **geo),
            PMedian.from_matrix(am40, p=2, **mat),
        ),
        (
            PCenter.from_geodataframes(net, demand, sites, mode="walk", cutoff=40, p=1, **geo),
            PCenter.from_matrix(am40, p=1, **mat),
        ),
        (
            DecayCoverage.from_geodataframes(net, demand, sites, mode="walk", p=1, cutoff=8, **geo),
            DecayCoverage.from_matrix(am8, p=1, cutoff=8, **mat),
        ),
    ]
    for from_geo, from_matrix in pairs:
        a, b = from_geo.solve(solver="exact"), from_matrix.solve(solver="exact")
        assert a.objective == pytest.approx(b.objective), a.model
        assert a.sites.index.tolist() == b.sites.index.tolist()
        assert a.demand.index.equals(demand.index)
        assert a.sites.loc["d", "existing"]
    # by hand: the centre "c" covers the 13-node diamond within two blocks; "d" (existing,
    # a corner) covers its 6 nodes within two blocks, 2 of them also near the centre
    first = pairs[0][0].solve(solver="exact")
    assert list(first.selected) == ["c"]
    near_c = [k for k, (x, y) in enumerate(xy) if abs(x - 600) + abs(y - 600) <= 600]
    near_d = [k for k, (x, y) in enumerate(xy) if abs(x - 1200) + abs(y) <= 600]
    assert first.objective == float(np.arange(1.0, 26.0)[sorted(set(near_c) | set(near_d))].sum())


def test_from_geodataframes_keeps_off_network_points_and_names_columns() -> None:
    from planner.network import TravelMode
    from tests.conftest import grid_network, points_gdf

    net = grid_network(3, 3, 300.0, modes=[TravelMode("walk", speed_kmh=4.5, oneway=False)])
    demand = points_gdf([(0.0, 0.0), (600.0, 600.0), (5000.0, 5000.0)], index=["x", "y", "far"])
    sites = points_gdf([(0.0, 0.0), (600.0, 600.0)], index=["s", "t"])
    res = MCLP.from_geodataframes(
        net, demand, sites, mode="walk", cutoff=5, p=1, on_far="exclude"
    ).solve()
    assert res.demand.index.tolist() == ["x", "y", "far"]
    assert not res.demand.loc["far", "covered"]
    assert res.figures["uncoverable_weight"] == 1.0
    assert res.objective == 1.0
    with pytest.raises(InputError, match="`weight` names the column 'pop', which `demand`"):
        MCLP.from_geodataframes(net, demand, sites, mode="walk", cutoff=5, p=1, weight="pop")


def test_exact_solves_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """HiGHS 1.16 prints a banner when ``Highs()`` is built; our solves stay silent."""
    rng = np.random.default_rng(3)
    times = np.where(rng.random((40, 12)) < 0.3, rng.uniform(1, 20, (40, 12)), np.inf)
    MCLP.from_matrix(times, cutoff=10, p=3).solve(solver="exact")
    LSCP.from_matrix(times, cutoff=10).solve(solver="exact")
    out, err = capfd.readouterr()
    assert out == ""
    assert "HiGHS" not in err


def test_exact_solve_works_after_highspy_started_its_own_thread_pool() -> None:
    """HiGHS keeps one thread pool per process; we ask for one thread, a user may not.

    Run in a fresh interpreter: a user's HiGHS run with two threads first, then our
    exact solve (it must fall back to the pool there is), and the other way round
    (a user's default run after ours). The MIP must reach HiGHS: the greedy plan of
    this instance is not proven optimal.
    """
    import subprocess
    import sys

    code = """
import sys
import highspy
import numpy as np
from planner.locate import MCLP
rng = np.random.default_rng(3)
t = np.where(rng.random((40, 12)) < 0.3, rng.uniform(1, 20, (40, 12)), np.inf)

def user(threads):
    # a MIP that reaches branch and bound (presolve off), so HiGHS starts its pool
    h = highspy.Highs()
    h.silent()
    h.setOptionValue("presolve", "off")
    if threads:
        h.setOptionValue("threads", threads)
    for j in range(3):
        h.addVar(0, 1)
        h.changeColIntegrality(j, highspy.HighsVarType.kInteger)
        h.changeColCost(j, -1.0 - j)
    h.addRow(-highspy.kHighsInf, 1.5, 3, np.arange(3, dtype=np.int32), np.ones(3))
    h.run()
    return h.getInfo().objective_function_value

def ours():
    res = MCLP.from_matrix(t, cutoff=10, p=3).solve(solver="exact")
    assert res.solver == "highs (dominance + reduced-cost fixing, heuristic incumbent)"
    assert res.status == "optimal"
    return res.objective

if sys.argv[1] == "user-first":
    print(user(2), ours())
else:
    print(ours(), user(0))
"""
    rng = np.random.default_rng(3)
    t = np.where(rng.random((40, 12)) < 0.3, rng.uniform(1, 20, (40, 12)), np.inf)
    best = brute_mclp(t, np.ones(40), 10, 3)
    root = Path(__file__).resolve().parents[1]
    for order, expect in (("user-first", [-3.0, best]), ("ours-first", [best, -3.0])):
        out = subprocess.run(
            [sys.executable, "-c", code, order], capture_output=True, text=True, cwd=root
        )
        assert out.returncode == 0, out.stderr
        last = out.stdout.strip().split("\n")[-1]  # highspy.Highs() prints a banner first
        assert [float(v) for v in last.split()] == expect


# ------------------------------------------------------------ a minimum per area
def test_min_per_area_hand_solved() -> None:
    """Two districts; the best two sites both lie in the west, the minimum moves one east.

    Sites 0, 1 (west) cover demand a (9) and b (8); site 2 (east) covers c (2), site 3
    (east) covers nothing. Without the minimum: {0, 1}, 17. With at least one site per
    district: {0, 2} or {1, 2} would cover 9 + 2 = 11 (site 0 covers the most), so {0, 2}.
    """
    inf = np.inf
    times = np.array(
        [
            [5.0, inf, inf, inf],  # a, weight 9
            [inf, 5.0, inf, inf],  # b, weight 8
            [inf, inf, 5.0, inf],  # c, weight 2
        ]
    )
    areas = ["west", "west", "east", "east"]
    free = MCLP.from_matrix(times, cutoff=10, p=2, weights=[9, 8, 2]).solve(solver="exact")
    assert sorted(free.selected) == [0, 1]
    assert free.objective == 17.0
    for solver in ("exact", "fast"):
        res = MCLP.from_matrix(
            times, cutoff=10, p=2, weights=[9, 8, 2], site_areas=areas, min_per_area=1
        ).solve(solver=solver)
        assert sorted(res.selected) == [0, 2], solver
        assert res.objective == 11.0
        assert res.bound >= 11.0
        assert any("per area" in n for n in res.notes)
    # an existing station in the east already meets the east's minimum
    with_east = MCLP.from_matrix(
        times,
        cutoff=10,
        p=2,
        weights=[9, 8, 2],
        existing=[3],
        site_areas=areas,
        min_per_area=1,
    ).solve(solver="exact")
    assert sorted(with_east.selected) == [0, 1]
    # per-area minimums
    both = MCLP.from_matrix(
        times, cutoff=10, p=3, weights=[9, 8, 2], site_areas=areas, min_per_area={"east": 2}
    ).solve(solver="exact")
    assert sorted(both.selected) == [0, 2, 3]


def test_min_per_area_infeasible_says_the_numbers() -> None:
    times = np.array([[1.0, 2.0, 3.0]])
    with pytest.raises(InfeasibleError, match="east needs 2 new and has 1 candidate"):
        MCLP.from_matrix(times, cutoff=5, p=3, site_areas=["west", "west", "east"], min_per_area=2)
    with pytest.raises(InfeasibleError, match=r"needs 2 new sites in all, more than p = 1"):
        MCLP.from_matrix(times, cutoff=5, p=1, site_areas=["west", "west", "east"], min_per_area=1)
    with pytest.raises(InputError, match="works with a number of new sites p"):
        MCLP.from_matrix(
            times,
            cutoff=5,
            budget=2.0,
            costs=[1.0, 1.0, 1.0],
            site_areas=["a", "a", "b"],
            min_per_area=1,
        )


@pytest.mark.parametrize("seed", range(12))
def test_min_per_area_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_demand, n_sites, n_areas, p, k = 30, 10, 3, 4, 1
    times = np.where(
        rng.random((n_demand, n_sites)) < 0.3, rng.uniform(0, 20, (n_demand, n_sites)), np.inf
    )
    weights = rng.integers(1, 10, n_demand).astype(float)
    areas = rng.integers(0, n_areas, n_sites)
    areas[:n_areas] = np.arange(n_areas)  # every area has a site
    existing = [int(np.flatnonzero(areas == 0)[0])] if seed % 2 else []
    model = MCLP.from_matrix(
        times,
        cutoff=10,
        p=p,
        weights=weights,
        existing=existing,
        site_areas=areas,
        min_per_area=k,
    )
    best = -1.0
    free = [j for j in range(n_sites) if j not in existing]
    for combo in itertools.combinations(free, p):
        open_ = [*combo, *existing]
        if (np.bincount(areas[open_], minlength=n_areas) < k).any():
            continue
        best = max(best, float(weights[(times[:, open_] <= 10).any(axis=1)].sum()))
    exact = model.solve(solver="exact")
    fast = model.solve(solver="fast")
    assert exact.objective == pytest.approx(best, abs=1e-9)
    assert exact.status == "optimal"
    assert fast.objective <= best + 1e-9
    assert fast.bound >= best - 1e-9  # the bound without the minimum holds with it
    for res in (exact, fast):
        open_ = [*res.selected, *existing]
        assert (np.bincount(areas[open_], minlength=n_areas) >= k).all()
        assert len(res.selected) == p
