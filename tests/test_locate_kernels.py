"""The compiled kernels of planner.locate._kernels against the numpy they replace."""
# ruff: noqa: N803  (A as in the maths)

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from planner.locate import _kernels
from planner.locate.solvers import BenefitProblem, dominated_columns
from planner.locate.solvers.greedy import _State
from planner.locate.solvers.problem import _top2


def random_benefit(seed: int, m: int = 30, n: int = 12, *, ties: bool = False) -> BenefitProblem:
    """A benefit problem with a base per row and only entries above it kept."""
    rng = np.random.default_rng(seed)
    vals = rng.integers(1, 6, (m, n)).astype(float) if ties else rng.uniform(0, 10, (m, n))
    vals[rng.random((m, n)) > 0.5] = 0.0
    base = np.where(rng.random(m) < 0.4, rng.uniform(0, 3, m), 0.0)
    vals[vals <= base[:, None]] = 0.0
    B = sp.csr_array(vals)
    return BenefitProblem(B, rng.integers(1, 9, m).astype(float), base)


def expected_state(prob: BenefitProblem, selected: np.ndarray):
    """Top two per row, the value and every column's gain, from scratch."""
    rows = np.arange(prob.B.shape[0])
    b1, c1, b2, c2 = _top2(prob.B, rows, selected, prob.base)
    dense = prob.B.toarray()
    gains = (prob.w[:, None] * np.maximum(dense - b1[:, None], 0.0)).sum(axis=0)
    return b1, c1, b2, c2, float(np.dot(prob.w, b1)), gains


@pytest.mark.parametrize("seed", range(6))
def test_state_add_and_remove_keep_the_state_exact(seed):
    prob = random_benefit(seed, ties=seed % 2 == 1)
    st = _State(prob)
    rng = np.random.default_rng(seed)
    for _ in range(40):
        chosen = np.flatnonzero(st.selected)
        if chosen.size and (rng.random() < 0.4 or chosen.size == prob.n_cols):
            st.remove(int(rng.choice(chosen)))
        else:
            st.add(int(rng.choice(np.flatnonzero(~st.selected))))
        b1, _, b2, _, value, gains = expected_state(prob, st.selected)
        assert np.array_equal(st.b1, b1)
        assert np.array_equal(st.b2, b2)
        # on ties any selected column giving the value may hold it (-1: the base)
        dense = prob.B.toarray()
        for b, c in ((st.b1, st.c1), (st.b2, st.c2)):
            held = c >= 0
            assert st.selected[c[held]].all()
            assert np.array_equal(dense[held, c[held]], b[held])
            assert np.array_equal(prob.base[~held], b[~held])
        two = (st.c1 >= 0) & (st.c2 >= 0)
        assert not (st.c1[two] == st.c2[two]).any()
        assert st.value == pytest.approx(value, rel=1e-12)
        free = ~st.selected
        assert np.allclose(st.gains[free], gains[free], atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_best_swap_dense_matches_numpy(seed):
    prob = random_benefit(seed, ties=True)
    rng = np.random.default_rng(seed)
    st = _State(prob)
    for j in rng.choice(prob.n_cols, 4, replace=False):
        st.add(int(j))
    chosen, loss, table = st.swap_table()
    assert isinstance(table, np.ndarray)
    # each entry is the exact value change of that swap
    for a, s in enumerate(chosen):
        for t in np.flatnonzero(~st.selected):
            sel = st.selected.copy()
            sel[s], sel[t] = False, True
            change = prob.value(sel) - st.value
            assert table[a, t] + st.gains[t] - loss[a] == pytest.approx(change, abs=1e-9)
    for _ in range(20):
        blocked_in = rng.random(prob.n_cols) < 0.3
        blocked_out = rng.random(prob.n_cols) < 0.3
        floor = float(rng.uniform(-5, 5))
        delta = table + np.where(st.selected, -np.inf, st.gains)[None, :] - loss[:, None]
        k_any = int(np.argmax(delta))
        ok = delta.copy()
        ok[:, blocked_in] = -np.inf
        ok[blocked_out[chosen]] = -np.inf
        k_ok = int(np.argmax(ok))
        if not math.isfinite(ok.flat[k_ok]) or delta.flat[k_any] > max(ok.flat[k_ok], floor):
            k = k_any
        else:
            k = k_ok
        s, t, v = _kernels.best_swap_dense(
            table, st.gains, st.selected, loss, chosen, blocked_in, blocked_out, floor
        )
        assert (s, t, v) == (chosen[k // prob.n_cols], k % prob.n_cols, delta.flat[k])


def reference_subgradient(
    A: np.ndarray, w: np.ndarray, p: int, lower: float, iters: int, deflect: float, tol: float
):
    """The deflected, projected subgradient method in numpy on a dense 0/1 matrix (rows x cols)."""
    lam = w / np.maximum(A.sum(axis=1), 1)
    best_bound, best_value, best_lam = math.inf, lower, lam.copy()
    mu, stall = 2.0, 0
    d = np.zeros(w.size)
    for _ in range(iters):
        c = A.T @ lam
        top = np.argsort(-c, kind="stable")[:p]
        L = np.maximum(w - lam, 0).sum() + c[top].sum()
        cov = A[:, top].sum(axis=1)
        best_value = max(best_value, w[cov > 0].sum())
        if best_bound - 1e-12 * max(1.0, abs(L)) > L:
            best_bound, best_lam, stall = L, lam.copy(), 0
        else:
            stall += 1
            if stall >= 30:
                mu, stall = mu / 2, 0
        if best_bound - best_value <= max(tol, 1e-9 * max(1.0, best_value)) or mu < 1e-4:
            break
        g = cov - (w > lam)
        g[((g > 0) & (lam <= 0)) | ((g < 0) & (lam >= w))] = 0  # moves the box would undo
        d = g + deflect * d
        if not d.any():
            break
        lam = np.clip(lam - mu * (L - best_value) / np.dot(d, d) * d, 0, w)
    return best_bound, best_value, best_lam


@pytest.mark.parametrize(
    ("seed", "deflect", "tol"),
    [(0, 0.0, 0.0), (1, 0.5, 0.0), (2, 0.95, 0.0), (3, 0.95, 1.0 - 1e-6)],
)
def test_subgradient_steps_match_numpy(seed, deflect, tol):
    rng = np.random.default_rng(seed)
    A = (rng.random((60, 25)) < 0.15).astype(float)
    w = rng.integers(1, 20, 60).astype(float)
    p = 3
    AT = sp.csr_array(A.T)
    lam = w / np.maximum(A.sum(axis=1), 1)
    best_lam, cols, d = lam.copy(), np.zeros(p, dtype=np.int64), np.zeros(w.size)
    state = np.array([2.0, 0.0, math.inf, 0.0, 0.0, 0.0])
    done = False
    while not done and state[4] < 300:  # in chunks, as coverage_lagrangian calls it
        done = _kernels.subgradient_steps(
            AT.indptr, AT.indices, w, lam, best_lam, cols, d, state, p, 30, deflect, tol, 7
        )
    bound, value, ref_lam = reference_subgradient(A, w, p, 0.0, int(state[4]), deflect, tol)
    assert state[2] == pytest.approx(bound, rel=1e-9)
    assert state[3] == value == w[A[:, cols].sum(axis=1) > 0].sum()
    assert np.allclose(best_lam, ref_lam)


def test_top_indices_takes_the_largest_and_breaks_ties_by_index():
    rng = np.random.default_rng(0)
    for _ in range(50):
        c = rng.integers(0, 6, int(rng.integers(1, 40))).astype(float)
        p = int(rng.integers(0, c.size + 1))
        got = _kernels._top_indices(c, p)
        assert np.array_equal(np.sort(got), np.sort(np.argsort(-c, kind="stable")[:p]))


def random_times_csr(seed: int, m: int = 40, n: int = 15) -> sp.csr_array:
    """Sparse times with stored zeros (a demand point at a site) and unsorted magnitudes."""
    rng = np.random.default_rng(seed)
    dense = np.round(rng.uniform(0, 20, (m, n)), 0)
    mask = rng.random((m, n)) < 0.35
    rows, cols = np.nonzero(mask)
    return sp.csr_array((dense[rows, cols], (rows, cols)), shape=(m, n))


@pytest.mark.parametrize("seed", range(5))
def test_coverage_rows_matches_numpy(seed):
    t = random_times_csr(seed)
    rng = np.random.default_rng(seed)
    existing = rng.random(t.shape[1]) < 0.2
    w = np.where(rng.random(t.shape[0]) < 0.1, 0.0, 1.0)
    cutoff = 8.0
    row_ids, ptr, idx, reach, by_existing = _kernels.coverage_rows(
        t.indptr, t.indices, t.data, cutoff, existing, w
    )
    within = (t.toarray() <= cutoff) & (t.toarray() != 0) | _stored_zero(t)
    assert np.array_equal(reach, within.any(axis=1))
    assert np.array_equal(by_existing, within[:, existing].any(axis=1))
    keep = reach & ~by_existing & (w > 0)
    assert np.array_equal(row_ids, np.flatnonzero(keep))
    sub = sp.csr_array((np.ones(idx.size), idx, ptr), shape=(row_ids.size, int((~existing).sum())))
    assert np.array_equal(sub.toarray() > 0, within[keep][:, ~existing])


def _stored_zero(t: sp.csr_array) -> np.ndarray:
    z = np.zeros(t.shape, dtype=bool)
    coo = t.tocoo()
    z[coo.row[coo.data == 0], coo.col[coo.data == 0]] = True
    return z


@pytest.mark.parametrize("seed", range(5))
def test_nearest_open_matches_numpy(seed):
    t = random_times_csr(seed)
    rng = np.random.default_rng(seed)
    open_mask = rng.random(t.shape[1]) < 0.3
    site = np.zeros(t.shape[0], dtype=np.int64)
    best = np.zeros(t.shape[0])
    _kernels.nearest_open(t.indptr, t.indices, t.data, open_mask, site, best)
    dense = np.where(_stored_zero(t) | (t.toarray() > 0), t.toarray(), np.inf)
    dense[:, ~open_mask] = np.inf
    assert np.array_equal(best, dense.min(axis=1))
    has = np.isfinite(best)
    assert np.array_equal(site[has], np.argmin(dense[has], axis=1))  # first column on ties
    assert (site[~has] == -1).all()


def pairwise_dominated(a: np.ndarray) -> np.ndarray:
    """Columns of a dense 0/1 matrix whose rows are a subset of another's (ties: the later)."""
    n = a.shape[1]
    expect = np.zeros(n, dtype=bool)
    for j in range(n):
        if not a[:, j].any():
            continue  # columns that cover nothing are kept
        for k in range(n):
            subset = k != j and not (a[:, j] & ~a[:, k]).any()
            if subset and (a[:, k].sum() > a[:, j].sum() or k < j):
                expect[j] = True
    return expect


@pytest.mark.parametrize("seed", range(4))
def test_dominance_kernels_and_dominated_columns_match_a_pairwise_subset_check(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        m, n = int(rng.integers(1, 150)), int(rng.integers(2, 12))
        a = rng.random((m, n)) < rng.uniform(0.05, 0.7)
        a[:, rng.integers(0, n, 2)] = a[:, [0]]  # identical columns
        expect = pairwise_dominated(a)
        A = sp.csr_array(a.astype(float))
        AT = sp.csr_array(A.T)
        args = [np.asarray(x, dtype=np.int64) for x in (A.indptr, A.indices, AT.indptr, AT.indices)]
        by_bits = np.zeros(n, dtype=bool)
        _kernels.dominated_bits(*args, by_bits)
        by_lists = np.zeros(n, dtype=bool)
        assert _kernels.dominated(*args, by_lists, 10**9)
        assert np.array_equal(by_bits, expect)
        assert np.array_equal(by_lists, expect)
        # the public function keeps at least p columns, else drops nothing
        p = int(rng.integers(1, n + 1))
        prob = BenefitProblem(A, np.ones(m), np.zeros(m))
        want = expect if (~expect).sum() >= p else np.zeros(n, dtype=bool)
        assert np.array_equal(dominated_columns(prob, p), want)


@pytest.mark.parametrize("seed", range(6))
def test_initial_gains_equal_the_numpy_bincount_bit_for_bit(seed):
    prob = random_benefit(seed, m=200, n=15, ties=seed % 2 == 1)
    B = prob.B
    b1 = prob.base.astype(np.float64)
    rows_of = np.repeat(np.arange(B.shape[0]), np.diff(B.indptr))
    contrib = prob.w[rows_of] * np.maximum(B.data - b1[rows_of], 0.0)
    expected = np.bincount(B.indices, weights=contrib, minlength=prob.n_cols)
    gains = np.zeros(prob.n_cols)
    _kernels.initial_gains(B.indptr, B.indices, B.data, prob.w, b1, gains)
    assert np.array_equal(gains, expected)  # same sums in the same order: equal, not close
    assert np.array_equal(_State(prob).gains, expected)


@pytest.mark.parametrize("seed", range(4))
def test_row_groups_hash_patterns_as_the_numpy_reduceat_did(seed):
    from planner.locate.solvers import merge_rows, row_groups

    rng = np.random.default_rng(seed)
    dense = (rng.random((300, 9)) < 0.3).astype(float)
    dense[::7] = 0.0  # empty rows
    A = sp.csr_array(dense)
    # the hash of the numpy expression it replaces (the same random draws)
    draws = np.random.default_rng(12345)
    lengths = np.diff(A.indptr)
    keys = [lengths.astype(np.uint64)]
    nonempty = np.flatnonzero(lengths > 0)
    for _ in range(2):
        mult = draws.integers(1, 2**63, size=A.shape[1], dtype=np.uint64) | np.uint64(1)
        h = np.zeros(A.shape[0], dtype=np.uint64)
        h[nonempty] = np.add.reduceat(mult[A.indices], A.indptr[nonempty])
        keys.append(h)
    _, first, group = np.unique(np.stack(keys, axis=1), axis=0, return_index=True,
                                return_inverse=True)  # fmt: skip
    got_first, got_group = row_groups(A, by_values=False)
    assert np.array_equal(got_first, first)
    assert np.array_equal(got_group, group.ravel())
    merged, w, g = merge_rows(A, np.ones(A.shape[0]), by_values=False)
    assert np.array_equal(g, group.ravel())
    assert merged.shape[0] == first.size == np.unique(dense, axis=0).shape[0]
    assert w.sum() == A.shape[0]


@pytest.mark.parametrize("seed", range(6))
def test_row_best_matches_top2_with_its_ties(seed):
    # ties between columns and with the base: integer values, bases drawn from them
    prob = random_benefit(seed, m=80, ties=True)
    rng = np.random.default_rng(seed)
    base = np.where(rng.random(80) < 0.5, rng.integers(0, 6, 80), 0).astype(float)
    B = sp.csr_array(prob.B.toarray())  # entries at or below the base kept too
    tied = BenefitProblem(B, prob.w, base)
    for _ in range(5):
        selected = rng.random(prob.n_cols) < rng.uniform(0.0, 1.0)
        b1, c1, _, _ = _top2(tied.B, np.arange(80), selected, base)
        best, arg = tied.row_best(selected)
        assert np.array_equal(best, b1)
        assert np.array_equal(arg, c1)
        assert tied.value(selected) == float(np.dot(tied.w, b1))
