"""Rest-interval solvers (issue 19): brute force over every plan, bounds, fixing, phases.

Instances are small random corridor networks (a few junctions, sites along the
corridors, routes as paths, some of them repeated so that routes merge), solved
by enumerating every p-subset of the candidates with an independent check of
the gaps between rest places.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner._errors import InputError
from planner.locate import RestIntervalCoverage
from planner.locate.solvers.rest import (
    _Plan,
    lagrangian_fixing,
    rest_exact,
    rest_fast,
    rest_lagrangian,
)
from planner.locate.solvers.rest_problem import dominated_rest_columns, fix_columns

R = 3.0


def network_instance(
    rng: np.random.Generator, *, n_routes: int = 14, n_sites: int = 9
) -> tuple[sp.coo_array, np.ndarray, np.ndarray, list[dict[int, list[float]]]]:
    """Routes on a star of three corridors (hours), sites on the corridors.

    Corridor k runs from the hub (0) outwards to 6 h; a route goes from a
    point on one corridor through the hub to a point on another (or along one
    corridor). Half of the routes repeat an earlier one (they merge).
    """
    arm = rng.integers(0, 3, n_sites)
    off = rng.uniform(0.2, 6.0, n_sites)
    rows, cols, vals, lengths, per_route = [], [], [], [], []
    specs: list[tuple[int, float, int, float]] = []
    for k in range(n_routes):
        if k >= n_routes // 2 and rng.random() < 0.7:
            spec = specs[int(rng.integers(0, len(specs)))]
        else:
            a, b = rng.integers(0, 3, 2)
            spec = (int(a), float(rng.uniform(0.5, 6.0)), int(b), float(rng.uniform(0.5, 6.0)))
        specs.append(spec)
        a, xa, b, xb = spec
        here: dict[int, list[float]] = {}
        if a == b:  # along one corridor, outwards
            lo, hi = sorted((xa, xb))
            length = hi - lo
            for s in np.flatnonzero((arm == a) & (off >= lo) & (off <= hi)):
                here.setdefault(int(s), []).append(float(off[s] - lo))
        else:  # in along corridor a, through the hub, out along b
            length = xa + xb
            for s in np.flatnonzero((arm == a) & (off <= xa)):
                here.setdefault(int(s), []).append(float(xa - off[s]))
            for s in np.flatnonzero((arm == b) & (off <= xb)):
                here.setdefault(int(s), []).append(float(xa + off[s]))
        for s, xs in here.items():
            for x in xs:
                rows.append(k)
                cols.append(s)
                vals.append(x)
        lengths.append(length)
        per_route.append(here)
    positions = sp.coo_array((vals, (rows, cols)), shape=(n_routes, n_sites))
    volumes = rng.integers(1, 50, n_routes).astype(np.float64)
    return positions, np.asarray(lengths), volumes, per_route


def served(here: dict[int, list[float]], length: float, open_: set[int]) -> bool:
    """Independent check: every gap between rest places (ends included) is at most R."""
    stops = sorted([0.0, length] + [x for s, xs in here.items() if s in open_ for x in xs])
    return all(b - a <= R + 1e-9 for a, b in itertools.pairwise(stops))


def brute_force(
    per_route: list[dict[int, list[float]]],
    lengths: np.ndarray,
    volumes: np.ndarray,
    candidates: list[int],
    existing: set[int],
    p: int,
) -> float:
    """Best served volume over every plan of ``p`` new sites."""
    return max(
        sum(
            volumes[k]
            for k in range(lengths.size)
            if served(per_route[k], lengths[k], existing | set(plan))
        )
        for plan in itertools.combinations(candidates, p)
    )


def test_fast_and_exact_against_brute_force() -> None:
    rng = np.random.default_rng(19)
    checked = 0
    for trial in range(10):
        positions, lengths, volumes, per_route = network_instance(rng)
        existing = [int(rng.integers(0, 9))] if trial % 2 else []
        p = 1 + trial % 3
        model = RestIntervalCoverage.from_matrix(
            positions, lengths=lengths, interval=R, volumes=volumes, p=p, existing=existing
        )
        if not model.windows.servable.any():
            continue
        candidates = [s for s in range(9) if s not in existing]
        best = brute_force(per_route, lengths, volumes, candidates, set(existing), p)
        exact = model.solve(solver="exact")
        fast = model.solve(solver="fast")
        assert exact.objective == pytest.approx(best)
        assert exact.status == "optimal"
        assert exact.bound >= best - 1e-9
        # the fast plan is a real plan, its bound is proven, its gap printed right
        assert fast.objective <= best + 1e-9 <= fast.bound + 1e-9
        assert fast.gap == pytest.approx((fast.bound - fast.objective) / fast.objective)
        for res in (exact, fast):
            new = res.sites.index[~res.sites["existing"]]
            assert not set(new) & set(existing)  # existing sites are never chosen again
            assert set(existing) <= set(res.sites.index)
            plan = set(res.sites.index)
            volume = sum(
                volumes[k] for k in range(lengths.size) if served(per_route[k], lengths[k], plan)
            )
            assert res.objective == pytest.approx(volume)
            assert res.figures["served_volume"] == pytest.approx(volume)
        checked += 1
    assert checked >= 8


def test_budget_against_brute_force() -> None:
    rng = np.random.default_rng(5)
    for _ in range(4):
        positions, lengths, volumes, per_route = network_instance(rng)
        costs = rng.integers(1, 4, 9).astype(np.float64)
        budget = 4.0
        model = RestIntervalCoverage.from_matrix(
            positions, lengths=lengths, interval=R, volumes=volumes, costs=costs, budget=budget
        )
        if not model.windows.servable.any():
            continue
        best = 0.0
        for size in range(10):
            for plan in itertools.combinations(range(9), size):
                if costs[list(plan)].sum() <= budget:
                    best = max(
                        best,
                        sum(
                            volumes[k]
                            for k in range(lengths.size)
                            if served(per_route[k], lengths[k], set(plan))
                        ),
                    )
        exact = model.solve(solver="exact")
        fast = model.solve(solver="fast")
        assert exact.objective == pytest.approx(best)
        assert fast.objective <= best + 1e-9 <= fast.bound + 1e-9
        assert costs[model.site_index.get_indexer(fast.selected)].sum() <= budget


def test_fewest_new_stops_uses_free_existing_sites() -> None:
    """Route 0-11 h, a rest every 4 h: existing site E at 3 h, new sites at 4, 7 and 8 h.

    Driving as far as possible stops at 4 and 8 (two new stops); stopping at
    the existing E first needs only one new stop, at 7. The route must stay in
    the problem with p = 1 (the greedy count dropped it).
    """
    positions = np.array([[3.0, 4.0, 7.0, 8.0]])
    model = RestIntervalCoverage.from_matrix(
        positions, lengths=[11.0], interval=4.0, p=1, existing=[0]
    )
    assert model.windows.min_stops.tolist() == [1]
    for solver in ("fast", "exact"):
        res = model.solve(solver=solver)
        assert list(res.sites.index[~res.sites["existing"]]) == [2]
        assert res.objective == 1.0


def test_reduced_problem_merges_and_values_every_plan_alike() -> None:
    rng = np.random.default_rng(3)
    positions, lengths, volumes, _ = network_instance(rng, n_routes=30)
    model = RestIntervalCoverage.from_matrix(
        positions, lengths=lengths, interval=R, volumes=volumes, p=2
    )
    win = model.windows
    prob, group = model.reduced(cap=9)
    assert prob.D.shape[0] < win.n_windows  # repeated windows kept once
    assert prob.G.shape[0] < int((win.servable & ~win.by_existing).sum())  # routes merged
    assert prob.v.sum() == pytest.approx(volumes[group >= 0].sum())  # volume conserved
    const = float(volumes[win.by_existing].sum())
    for _ in range(30):
        plan = rng.random(win.cand_cols.size) < 0.4
        assert prob.value(plan) + const == pytest.approx(model._value(plan) + const)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), density=st.floats(0.1, 0.7))
def test_gains_match_reevaluation(seed: int, density: float) -> None:
    """The compiled gain of each closed column equals the value it adds, re-evaluated."""
    rng = np.random.default_rng(seed)
    positions, lengths, volumes, _ = network_instance(rng)
    model = RestIntervalCoverage.from_matrix(
        positions, lengths=lengths, interval=R, volumes=volumes, p=2
    )
    if not model.windows.servable.any():
        return
    prob, _ = model.reduced(cap=9)
    if prob.G.shape[0] == 0:
        return
    start = rng.random(prob.n_cols) < density
    plan = _Plan(prob, start)
    plan.scan()
    assert plan.value == pytest.approx(prob.value(start))
    for j in np.flatnonzero(~start):
        more = start.copy()
        more[j] = True
        assert plan.gain[j] == pytest.approx(prob.value(more) - prob.value(start))
    # open then close a column: the counters come back
    j = int(np.flatnonzero(~start)[0]) if (~start).any() else None
    if j is not None:
        before = (plan.cnt.copy(), plan.miss.copy(), plan.value)
        plan.add(j)
        assert plan.value == pytest.approx(prob.value(plan.sel))
        plan.remove(j)
        assert (plan.cnt == before[0]).all()
        assert (plan.miss == before[1]).all()
        assert plan.value == pytest.approx(before[2])


def all_values(prob, k: int) -> list[tuple[tuple[int, ...], float]]:  # type: ignore[no-untyped-def]
    """Every plan of at most ``k`` columns with its value."""
    out = []
    for size in range(k + 1):
        for plan in itertools.combinations(range(prob.n_cols), size):
            mask = np.zeros(prob.n_cols, dtype=bool)
            mask[list(plan)] = True
            out.append((plan, prob.value(mask)))
    return out


def test_lagrangian_bound_and_fixing_are_valid() -> None:
    """At any multipliers: the bound holds, and fixed columns agree with every better plan."""
    rng = np.random.default_rng(11)
    checked = fixed = 0
    for _ in range(8):
        positions, lengths, volumes, _ = network_instance(rng)
        model = RestIntervalCoverage.from_matrix(
            positions, lengths=lengths, interval=R, volumes=volumes, p=2
        )
        if not model.windows.servable.any():
            continue
        prob, _ = model.reduced(cap=9)
        if prob.G.shape[0] == 0:
            continue
        k = 2
        plans = all_values(prob, k)
        best = max(v for _, v in plans)
        start = np.zeros(prob.n_cols, dtype=bool)
        for iters in (0, 5, 300):
            bound, lam = rest_lagrangian(prob, k, lower=0.0, start=start, max_iter=iters)
            if iters:
                assert bound >= best - 1e-6
            lam = (
                lam
                if iters
                else rng.uniform(0, 1, prob.G.nnz)
                * prob.v[np.repeat(np.arange(prob.G.shape[0]), np.diff(prob.G.indptr))]
            )
            for share in (0.6, 0.8, 0.9, 1.0):
                target = share * best
                out, in_, bound_l = lagrangian_fixing(prob, k, lam, target)
                assert bound_l >= best - 1e-6
                fixed += int(out.sum() + in_.sum())
                for plan, value in plans:
                    if value >= target:
                        assert not out[list(plan)].any()
                        assert set(np.flatnonzero(in_)) <= set(plan)
        checked += 1
    assert checked >= 5
    assert fixed > 0  # the test reaches fixing


def test_dominated_columns_and_fixing_keep_the_optimum() -> None:
    rng = np.random.default_rng(23)
    for _ in range(6):
        positions, lengths, volumes, _ = network_instance(rng)
        model = RestIntervalCoverage.from_matrix(
            positions, lengths=lengths, interval=R, volumes=volumes, p=2
        )
        if not model.windows.servable.any():
            continue
        prob, _ = model.reduced(cap=9)
        if prob.G.shape[0] == 0:
            continue
        best = max(v for _, v in all_values(prob, 2))
        drop = dominated_rest_columns(prob, 2)
        keep = np.flatnonzero(~drop)
        sub, const = fix_columns(prob, np.zeros(0, dtype=np.int64), keep)
        assert const == 0.0
        assert max(v for _, v in all_values(sub, 2)) == pytest.approx(best)
        # fixing one column open: the rest of the problem plus the constant is the same
        j = int(keep[0])
        sub1, const1 = fix_columns(prob, np.array([j]), np.setdiff1d(np.arange(prob.n_cols), [j]))
        with_j = max(
            v
            for plan, v in all_values(prob, 2)
            if j in plan or len(plan) < 2  # plans holding j (or room for it)
        )
        assert max(v for _, v in all_values(sub1, 1)) + const1 == pytest.approx(with_j)
        fast = rest_fast(prob, 2, None, time_limit=5)
        _, value, bound, status, _ = rest_exact(prob, 2, None)
        assert value == pytest.approx(best)
        assert status == "optimal"
        assert bound == best
        assert fast.value <= best <= fast.bound


def test_phased_keeps_earlier_phases_fixed() -> None:
    rng = np.random.default_rng(2)
    positions, lengths, volumes, per_route = network_instance(rng, n_routes=16)
    model = RestIntervalCoverage.from_matrix(
        positions, lengths=lengths, interval=R, volumes=volumes, p=3, existing=[4]
    )
    plan = model.phased([1, 2], solver="exact")
    sites = plan.sites
    assert sites["phase"].tolist() == [1, 2, 2]
    assert sites["rank"].tolist() == [1, 2, 3]
    assert 4 not in sites.index  # the existing site is kept, never chosen
    first = set(plan.phases[0].selected)
    second = plan.phases[1].sites
    assert first <= set(second.index[second["existing"]])  # phase 2 keeps phase 1's site
    assert not first & set(plan.phases[1].selected)  # and does not choose it again
    # each phase is optimal given the earlier ones
    fixed = {4}
    for k, res in enumerate(plan.phases):
        n_new = [1, 2][k]
        cands = [s for s in range(9) if s not in fixed]
        best = brute_force(per_route, lengths, volumes, cands, fixed, n_new)
        assert res.objective == pytest.approx(best)
        fixed = set(res.sites.index)
    with pytest.raises(InputError, match="phases"):
        model.phased([])


def test_route_passing_a_site_twice_needs_one_site() -> None:
    """Out and back 0 -> 5 -> 0 h, a rest every 4 h, one site passed at 3 h and at 7 h.

    Two rests, one site: with p = 1 the route stays in the problem and is served.
    """
    positions = sp.coo_array(([1.0, 3.0, 7.0, 9.0], ([0, 0, 0, 0], [0, 1, 1, 0])), shape=(1, 2))
    model = RestIntervalCoverage.from_matrix(positions, lengths=[10.0], interval=4.0, p=1)
    assert model.windows.min_stops.tolist() == [1]
    for solver in ("fast", "exact"):
        res = model.solve(solver=solver)
        assert list(res.selected) == [1]
        assert res.objective == 1.0
