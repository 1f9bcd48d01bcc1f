"""A coverage problem's 0/1 pattern held as int8 ones solves exactly as the float64 one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner.locate import MCLP
from planner.locate.solvers import (
    BenefitProblem,
    coverage_exact,
    coverage_fast,
    coverage_pattern,
    dominated_columns,
    greedy_swap,
    restrict_columns,
)


def coverage_pair(seed: int, m: int = 120, n: int = 25) -> tuple[BenefitProblem, BenefitProblem]:
    """The same coverage problem twice: float64 ones (as before) and int8 ones (as now)."""
    rng = np.random.default_rng(seed)
    dense = rng.random((m, n)) < rng.uniform(0.05, 0.25)
    dense[np.arange(m), rng.integers(0, n, m)] = True  # every row has a column
    ones = sp.csr_array(dense.astype(np.float64))
    w = rng.integers(1, 9, m).astype(np.float64)
    old = BenefitProblem(ones, w, np.zeros(m))
    new = BenefitProblem(coverage_pattern(ones), w, np.zeros(m))
    return old, new


def test_the_pattern_is_int8_ones_sharing_the_index_arrays():
    _, new = coverage_pair(0)
    assert new.B.data.dtype == np.int8
    assert np.all(new.B.data == 1)
    assert new.B.indices.dtype == np.int32
    assert new.BT.data.dtype == np.int8  # the transpose is no float64 copy either
    # the index arrays of the matrix given are used as they are
    ones = sp.csr_array(np.eye(3))
    assert np.shares_memory(coverage_pattern(ones).indices, ones.indices)


@pytest.mark.parametrize("seed", range(8))
def test_solvers_give_the_same_plans_values_and_bounds_on_the_int8_pattern(seed):
    old, new = coverage_pair(seed)
    p = 2 + seed % 4
    assert np.array_equal(dominated_columns(old, p), dominated_columns(new, p))
    for kwargs in ({"swaps": False, "curve": True}, {"seed": seed}):
        a, b = greedy_swap(old, p, **kwargs), greedy_swap(new, p, **kwargs)
        assert np.array_equal(a.selected, b.selected)
        assert (a.value, a.bound, a.greedy_value) == (b.value, b.bound, b.greedy_value)
        assert np.array_equal(a.curve_bounds, b.curve_bounds)
    a, _ = coverage_fast(old, p, seed=seed)
    b, _ = coverage_fast(new, p, seed=seed)
    assert np.array_equal(np.sort(a.selected), np.sort(b.selected))
    assert (a.value, a.bound) == (b.value, b.bound)
    exact_a = coverage_exact(old, p, seed=seed)
    exact_b = coverage_exact(new, p, seed=seed)
    assert exact_a[1:4] == exact_b[1:4]  # value, bound, status
    # the optimum, by brute force over every plan of p columns
    dense = old.B.toarray() > 0
    best = max(
        float(old.w[dense[:, list(c)].any(axis=1)].sum())
        for c in itertools.combinations(range(old.n_cols), p)
    )
    assert exact_b[1] == best
    cols = np.flatnonzero(~dominated_columns(new, p))
    r_old, r_new = restrict_columns(old, cols), restrict_columns(new, cols)
    assert r_new.B.data.dtype == np.int8
    assert (r_old.B != r_new.B).nnz == 0
    assert np.array_equal(r_old.w, r_new.w)


def test_mclp_holds_its_reduced_problem_as_int8_and_finds_the_optimum():
    rng = np.random.default_rng(3)
    times = rng.uniform(0.0, 20.0, (60, 12))
    times[rng.random((60, 12)) < 0.5] = np.inf
    w = rng.integers(1, 5, 60).astype(float)
    model = MCLP.from_matrix(times, cutoff=8.0, p=3, weights=w, existing=[0])
    res = model.solve(solver="fast")
    assert model.prepared.prob.B.data.dtype == np.int8
    near = times <= 8.0
    best = max(
        float(w[near[:, [0, *c]].any(axis=1)].sum())
        for c in itertools.combinations(range(1, 12), 3)
    )
    assert res.objective == best
