"""Flow capturing and rest-interval coverage on hand-made corridors (known optima)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner._errors import InfeasibleError, InputError
from planner.locate.flows import FlowCapture, RestIntervalCoverage

INF = np.inf


# ------------------------------------------------------------------ flow capturing
# A corridor A-B-C-D with sites at A (0), B (1), C (2), D (3); routes:
#   r0 A->D volume 10 passes all; r1 A->B 20 passes 0,1; r2 C->D 25 passes 2,3;
#   r3 near B only with a 4-minute detour, volume 40.
DETOUR = np.array(
    [
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, INF, INF],
        [INF, INF, 0.0, 0.0],
        [INF, 4.0, INF, INF],
    ]
)
VOL = [10.0, 20.0, 25.0, 40.0]


def test_flow_capture_on_path_optimum() -> None:
    res = FlowCapture.from_matrix(DETOUR, p=1, volumes=VOL).solve(solver="exact")
    # site 2 or 3 captures r0 + r2 = 35 > 30 for sites 0/1
    assert res.objective == 35.0
    assert res.selected[0] in (2, 3)
    res2 = FlowCapture.from_matrix(DETOUR, p=2, volumes=VOL).solve(solver="exact")
    assert res2.objective == 55.0
    assert res2.gap == 0.0


def test_flow_capture_detour_counts_off_path_routes() -> None:
    res = FlowCapture.from_matrix(DETOUR, p=1, volumes=VOL, detour=5).solve()
    assert res.objective == 70.0  # site 1: r0 + r1 + r3
    assert list(res.selected) == [1]
    too_far = FlowCapture.from_matrix(DETOUR, p=1, volumes=VOL, detour=3).solve()
    assert too_far.objective == 35.0


def test_flow_capture_existing_fixed_and_min_volume() -> None:
    res = FlowCapture.from_matrix(DETOUR, p=1, volumes=VOL, existing=[2]).solve()
    assert 2 not in set(res.selected)
    assert res.objective == 55.0  # existing captures r0, r2; site 0 or 1 adds r1
    assert bool(res.sites.loc[2, "existing"])
    # site 2 and 3 are passed by 35, sites 0 and 1 by 30: a 32/day floor leaves 2 and 3
    res = FlowCapture.from_matrix(DETOUR, p=1, volumes=VOL, min_volume=32).solve()
    assert res.figures["candidates_below_min_volume"] == 2.0
    assert res.selected[0] in (2, 3)
    with pytest.raises(InfeasibleError, match="only 2 candidate sites"):
        FlowCapture.from_matrix(DETOUR, p=3, volumes=VOL, min_volume=32)


def test_flow_capture_budget_and_fast_matches_exact() -> None:
    costs = [1.0, 5.0, 5.0, 1.0]
    res = FlowCapture.from_matrix(DETOUR, volumes=VOL, costs=costs, budget=2.0).solve()
    assert set(res.selected) == {0, 3}
    assert res.objective == 55.0
    rng = np.random.default_rng(3)
    for _ in range(5):
        dense = np.where(rng.random((40, 15)) < 0.15, 0.0, INF)
        vols = rng.integers(1, 50, 40).astype(float)
        exact = FlowCapture.from_matrix(dense, p=3, volumes=vols).solve(solver="exact")
        fast = FlowCapture.from_matrix(dense, p=3, volumes=vols).solve(solver="fast")
        best = max(
            vols[(dense[:, list(c)] == 0).any(axis=1)].sum()
            for c in itertools.combinations(range(15), 3)
        )
        assert exact.objective == best
        assert fast.objective <= best <= fast.bound + 1e-9


# ------------------------------------------------------------------ rest intervals


def served_by_gaps(
    pos_row: dict[int, list[float]],
    length: float,
    open_: set[int],
    r: float,
    start: float = 0.0,
    end_extra: float = 0.0,
) -> bool:
    """Independent check: every gap between rest places is at most r."""
    stops = sorted(
        [start, length + end_extra] + [x for s, xs in pos_row.items() if s in open_ for x in xs]
    )
    return all(b - a <= r + 1e-9 for a, b in itertools.pairwise(stops))


def test_rest_two_stops_needed_unique_optimum() -> None:
    positions = np.array([[1.0, 4.0, 5.0, 8.0]])
    model = RestIntervalCoverage.from_matrix(positions, lengths=[10.0], interval=4.0)
    res = model.solve(solver="exact")
    assert sorted(res.selected) == [1, 3]
    assert res.objective == 2.0
    assert bool(res.demand["served"].iloc[0])
    assert res.demand["max_gap"].iloc[0] == pytest.approx(4.0)
    fast = model.solve(solver="fast")
    assert sorted(fast.selected) == [1, 3]
    # one site serves nothing: no single stop keeps every gap within 4 hours
    one = RestIntervalCoverage.from_matrix(positions, lengths=[10.0], interval=4.0, p=1).solve()
    assert one.objective == 0.0
    assert not bool(one.demand["served"].iloc[0])


def test_rest_max_volume_prefers_two_stop_route_when_worth_it() -> None:
    # route 0: 6 h, sites 0 (3 h) -> one stop; volume 10
    # route 1: 10 h, sites 1 (4 h) and 2 (8 h) -> two stops; volume 30
    # route 2: 7 h, sites 0 (3.5 h) and 3 (5 h): one stop at 3.5 h; volume 5
    positions = sp.coo_array(
        ([3.0, 4.0, 8.0, 3.5, 5.0], ([0, 1, 1, 2, 2], [0, 1, 2, 0, 3])), shape=(3, 4)
    )
    kw = {"lengths": [6.0, 10.0, 7.0], "interval": 4.0, "volumes": [10.0, 30.0, 5.0]}
    p1 = RestIntervalCoverage.from_matrix(positions, p=1, **kw).solve(solver="exact")
    assert list(p1.selected) == [0]
    assert p1.objective == 15.0
    p2 = RestIntervalCoverage.from_matrix(positions, p=2, **kw).solve(solver="exact")
    assert set(p2.selected) == {1, 2}
    assert p2.objective == 30.0
    p2f = RestIntervalCoverage.from_matrix(positions, p=2, **kw).solve(solver="fast")
    assert p2f.objective == 30.0
    assert p2f.gap == 0.0
    cover = RestIntervalCoverage.from_matrix(positions, **kw).solve()
    assert set(cover.selected) == {0, 1, 2}
    assert cover.objective == 3.0


def test_rest_existing_origin_rules_and_unservable() -> None:
    positions = np.array(
        [
            [1.0, 4.0, 5.0, 8.0],
            [np.nan, 2.0, np.nan, np.nan],  # 3-hour route: served by its ends
            [0.5, np.nan, np.nan, 6.0],  # 9 h, gap 0.5 -> 6 is 5.5 > 4: unservable
        ]
    )
    kw = {"lengths": [10.0, 3.0, 9.0], "interval": 4.0, "volumes": [1.0, 2.0, 4.0]}
    res = RestIntervalCoverage.from_matrix(positions, existing=[3], **kw).solve()
    assert list(res.selected) == [1]  # with 8 h fixed, one stop at 4 h completes route 0
    assert bool(res.demand.loc[1, "served"])
    assert res.demand.loc[1, "stops"] == 1
    assert not bool(res.demand.loc[2, "servable"])
    assert res.figures["unservable_volume"] == 4.0
    # an origin that is not a rest place: 2 h already driven, so the first stop by 2 h
    res = RestIntervalCoverage.from_matrix(positions, origin_rest=[False, True, True], **kw).solve()
    assert sorted(res.selected) == [0, 1, 3]  # 1 h, then 4 h (and 8 h)
    # an interval shorter than every gap: nothing can be served, reported, not raised
    res = RestIntervalCoverage.from_matrix(
        positions, lengths=[10.0, 3.0, 9.0], interval=0.2
    ).solve()
    assert len(res.selected) == 0
    assert not res.demand["servable"].any()
    assert res.figures["unservable_routes"] == 3.0
    assert "shortest such gap is 2" in res.reason  # route 1: 0 -> 2 h -> 3 h


def test_rest_bad_input() -> None:
    positions = np.array([[1.0, 4.0]])
    with pytest.raises(InputError, match="interval"):
        RestIntervalCoverage.from_matrix(positions, lengths=[5.0], interval=0)
    with pytest.raises(InputError, match="not within their route"):
        RestIntervalCoverage.from_matrix(positions, lengths=[3.0], interval=4)
    with pytest.raises(InputError, match="lengths"):
        RestIntervalCoverage.from_matrix(positions, lengths=[3.0, 4.0], interval=4)
    with pytest.raises(InputError, match="either `p` or `budget`"):
        RestIntervalCoverage.from_matrix(
            positions, lengths=[5.0], interval=4, p=1, budget=2, costs=[1, 1]
        )


def test_rest_min_volume_and_budget() -> None:
    positions = sp.coo_array(([2.0, 3.0, 3.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    kw = {"lengths": [6.0, 6.0], "interval": 4.0, "volumes": [10.0, 25.0]}
    res = RestIntervalCoverage.from_matrix(positions, p=1, min_volume=30, **kw).solve()
    assert list(res.selected) == [1]
    assert res.objective == 35.0
    assert res.figures["candidates_below_min_volume"] == 1.0
    with pytest.raises(InfeasibleError, match="only 1 candidate"):
        RestIntervalCoverage.from_matrix(positions, p=2, min_volume=30, **kw)
    res = RestIntervalCoverage.from_matrix(positions, costs=[1.0, 3.0], budget=2.0, **kw).solve()
    assert list(res.selected) == [0]
    assert res.objective == 10.0


def test_rest_matches_brute_force_on_random_corridors() -> None:
    rng = np.random.default_rng(7)
    for trial in range(6):
        n_routes, n_sites, r = 12, 9, 3.0
        site_km = np.sort(rng.uniform(0, 12, n_sites))  # sites along one corridor
        rows, cols, vals, lengths = [], [], [], []
        for k in range(n_routes):
            a, b = np.sort(rng.uniform(0, 12, 2))
            lengths.append(b - a)
            for s in np.flatnonzero((site_km >= a) & (site_km <= b)):
                rows.append(k)
                cols.append(s)
                vals.append(site_km[s] - a)
        vols = rng.integers(1, 40, n_routes).astype(float)
        positions = sp.coo_array((vals, (rows, cols)), shape=(n_routes, n_sites))
        per_route: list[dict[int, list[float]]] = [{} for _ in range(n_routes)]
        for k, s, x in zip(rows, cols, vals, strict=True):
            per_route[k].setdefault(s, []).append(x)
        p = 1 + trial % 3
        best = max(
            sum(
                vols[k]
                for k in range(n_routes)
                if served_by_gaps(per_route[k], lengths[k], set(c), r)
            )
            for c in itertools.combinations(range(n_sites), p)
        )
        model = RestIntervalCoverage.from_matrix(
            positions, lengths=lengths, interval=r, volumes=vols, p=p
        )
        if not model.windows.servable.any():
            continue
        exact = model.solve(solver="exact")
        fast = model.solve(solver="fast")
        assert exact.objective == pytest.approx(best)
        # ranked marginal volumes add up to the objective
        assert exact.sites["cumulative"].iloc[-1] == pytest.approx(exact.objective)
        assert fast.objective <= best + 1e-9 <= fast.bound + 1e-6
        # the route table agrees with the independent gap check
        chosen = set(exact.selected)
        for k in range(n_routes):
            expect = served_by_gaps(per_route[k], lengths[k], chosen, r)
            assert bool(exact.demand["served"].iloc[k]) == expect


def corridor_cover_instance(
    rng: np.random.Generator, n_routes: int = 14, n_sites: int = 10, span: float = 14.0
) -> tuple[sp.coo_array, list[float], list[dict[int, list[float]]]]:
    """Routes along one corridor with sites on it (positions from each route's origin)."""
    site_km = np.sort(rng.uniform(0, span, n_sites))
    rows, cols, vals, lengths = [], [], [], []
    for k in range(n_routes):
        a, b = np.sort(rng.uniform(0, span, 2))
        lengths.append(float(b - a))
        for s in np.flatnonzero((site_km >= a) & (site_km <= b)):
            rows.append(k)
            cols.append(int(s))
            vals.append(float(site_km[s] - a))
    per_route: list[dict[int, list[float]]] = [{} for _ in range(n_routes)]
    for k, s, x in zip(rows, cols, vals, strict=True):
        per_route[k].setdefault(s, []).append(x)
    positions = sp.coo_array((vals, (rows, cols)), shape=(n_routes, n_sites))
    return positions, lengths, per_route


def test_rest_cover_fast_never_beats_exact_and_gap_holds() -> None:
    rng = np.random.default_rng(21)
    checked = 0
    for _trial in range(12):
        positions, lengths, per_route = corridor_cover_instance(rng)
        r = 2.5
        model = RestIntervalCoverage.from_matrix(positions, lengths=lengths, interval=r)
        servable = model.windows.servable
        if not servable.any():
            continue
        # the fewest sites serving every servable route, by enumeration
        n_sites = positions.shape[1]
        best = next(
            size
            for size in range(n_sites + 1)
            for c in itertools.combinations(range(n_sites), size)
            if all(
                served_by_gaps(per_route[k], lengths[k], set(c), r)
                for k in np.flatnonzero(servable)
            )
        )
        exact = model.solve(solver="exact")
        fast = model.solve(solver="fast")
        assert exact.objective == best
        assert fast.objective >= best  # never better than the optimum
        assert fast.bound <= best + 1e-9  # the bound holds
        assert fast.gap == pytest.approx((fast.objective - fast.bound) / fast.objective)
        assert fast.demand.loc[servable, "served"].all()
        checked += 1
    assert checked >= 8


def test_rest_cover_greedy_trap_fixed_by_local_search() -> None:
    """A corridor where greedy set cover takes three sites and two suffice.

    Each route lasts 1.5 hours with a rest every hour, and passes its sites at
    0.75 h: it is served when one of them is open. Seven "top" routes pass site
    T, seven "bottom" routes pass site B; sites S1, S2, S3 each serve 1+1,
    2+2 and 4+4 of them. Greedy takes S3 (8 routes), then S2, then S1; the
    optimum is {T, B}.
    """
    from planner.locate._cover_search import cover_search
    from planner.locate.solvers import greedy_cover

    t_site, b_site, s1, s2, s3 = range(5)
    group = {0: s1, 1: s2, 2: s2, 3: s3, 4: s3, 5: s3, 6: s3}
    rows, cols = [], []
    for half, site in ((0, t_site), (1, b_site)):
        for i in range(7):
            route = half * 7 + i
            rows += [route, route]
            cols += [site, group[i]]
    positions = sp.coo_array((np.full(len(rows), 0.75), (rows, cols)), shape=(14, 5))
    model = RestIntervalCoverage.from_matrix(positions, lengths=np.full(14, 1.5), interval=1.0)
    W = model.windows.W
    cost = np.ones(5)
    heur = greedy_cover(W, cost, lp_bound=False)
    assert sorted(heur.selected) == [s1, s2, s3]
    stuck, _ = cover_search(W, cost, [heur.selected], rounds=0)
    assert sorted(stuck) == [s1, s2, s3]  # no exchange of one site helps
    better, _ = cover_search(W, cost, [heur.selected], rounds=5, seed=0)
    assert sorted(better) == [t_site, b_site]  # perturbed restarts find it
    fast = model.solve(solver="fast")
    assert sorted(fast.selected) == [t_site, b_site]
    assert fast.objective == 2.0
    assert fast.gap == 0.0
    assert fast.figures["greedy_objective"] == 3.0


def test_rest_cover_exchange_swaps_two_sites_for_one() -> None:
    """Exchange moves alone: a cover {a, b} where one site c does both jobs.

    Route 0 (10 h, rest every 4 h) passes sites a (3 h), c (4 h) and b (5 h);
    route 1 (6 h) passes a (2 h) and c (3 h), route 2 (6 h) passes b (3 h)
    and c (2 h). Starting from {a, b}, swapping a for c makes b redundant.
    """
    from planner.locate._cover_search import cover_search

    a, b, c, far = 0, 1, 2, 3
    positions = sp.coo_array(
        (
            [3.0, 4.0, 5.0, 8.0, 2.0, 3.0, 3.0, 2.0],
            ([0, 0, 0, 0, 1, 1, 2, 2], [a, c, b, far, a, c, b, c]),
        ),
        shape=(3, 4),
    )
    model = RestIntervalCoverage.from_matrix(positions, lengths=[10.0, 6.0, 6.0], interval=4.0)
    W = model.windows.W
    cols = model.windows.cand_cols
    start = np.flatnonzero(np.isin(cols, [a, b, far]))
    got, moves = cover_search(W, np.ones(W.shape[1]), [start], rounds=0)
    assert sorted(cols[got]) == [c, far]
    assert moves >= 1
    assert sorted(model.solve(solver="fast").selected) == [c, far]
