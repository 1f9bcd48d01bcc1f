"""The worker-station study at scale: demand grouped by road node, the same figures as per point.

``tests/data/plan_per_point`` holds the tables the per-point path (one access
row per demand point) gave on the demo region before demand was grouped by node;
the grouped path must give them value for value (floats compared exactly).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from planner import datasets
from planner.access import access_by_node, access_matrix
from tests.data.plan_per_point.make_expected import CASES, HERE, plan_for, solver, tables


@pytest.fixture(scope="module")
def demo_ebike() -> Any:
    return datasets.demo_network(modes=["ebike"])


def _read(case: str, name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / case / f"{name}.csv", index_col=0)


def _same(got: pd.DataFrame, want: pd.DataFrame, label: str) -> None:
    """Equal tables: same index, columns and values (floats bit for bit, NaN == NaN)."""
    got = got.copy()
    got.index = got.index.map(str)
    want.index = want.index.map(str)
    assert list(got.columns) == list(want.columns), label
    assert list(got.index) == list(want.index), label
    for column in want.columns:
        a, b = got[column].to_numpy(), want[column].to_numpy()
        if pd.api.types.is_float_dtype(want[column]) and not pd.api.types.is_bool_dtype(
            got[column]
        ):
            a = pd.to_numeric(pd.Series(a), errors="coerce").to_numpy(float)
            b = b.astype(float)
            same = (a == b) | (np.isnan(a) & np.isnan(b))
        else:
            sa = pd.Series(a, dtype=object).map(lambda v: None if _missing(v) else str(v))
            sb = pd.Series(b, dtype=object).map(lambda v: None if _missing(v) else str(v))
            same = (sa == sb) | (sa.isna() & sb.isna())
        bad = np.flatnonzero(~np.asarray(same))
        assert bad.size == 0, (
            f"{label}.{column}: row {got.index[bad[0]]}: {a[bad[0]]!r} != {b[bad[0]]!r}"
        )


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


@pytest.mark.parametrize("case", list(CASES))
def test_grouped_study_gives_the_per_point_tables(case: str) -> None:
    _, site_args, _ = CASES[case]
    result = plan_for(case).site(**site_args)
    for name, frame in tables(result).items():
        _same(frame, _read(case, name), f"{case}/{name}")
    want = json.loads((HERE / case / "solver.json").read_text())
    got = solver(result)
    # HiGHS' proven bound on an optimum varies by ~1e-9 from run to run (the per-point
    # path itself gave 514.16431075 and 514.16431096 for p3_5min_fractional): the
    # bound and gap are compared to 1e-8, everything else exactly
    assert got.pop("bound") == pytest.approx(want.pop("bound"), rel=1e-8)
    assert got.pop("gap") == pytest.approx(want.pop("gap"), abs=1e-8)
    assert got == want
    # the model saw grouped rows, far fewer than points
    assert result.access is not None
    assert result.locate is not None
    assert len(result.locate.demand) < len(result.demand)


def test_node_access_expands_to_the_per_point_matrix_bit_for_bit(demo_ebike: Any) -> None:
    plan = plan_for("p8")
    stations = plan.stations
    sites = pd.concat([stations.geometry, plan.candidates.geometry])
    import geopandas as gpd

    sites = gpd.GeoDataFrame(geometry=sites, crs=4326)
    for cutoff in (5.0, 15.0):
        per_point = access_matrix(
            demo_ebike, plan.demand, sites, mode="ebike", cutoff_min=cutoff, on_far="exclude"
        )
        by_node = access_by_node(
            demo_ebike, plan.demand, sites, mode="ebike", cutoff_min=cutoff, on_far="exclude"
        )
        assert by_node.n_nodes < len(by_node.demand_index)
        expanded = by_node.to_matrix()
        assert list(expanded.demand_index) == list(per_point.demand_index)
        assert list(expanded.site_index) == list(per_point.site_index)
        a, b = expanded.matrix, per_point.matrix
        assert np.array_equal(a.indptr, b.indptr)
        assert np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)  # bit for bit, explicit zeros kept
        col, best = by_node.nearest()
        near = per_point.nearest()
        assert np.array_equal(best[col >= 0], near["time_s"].to_numpy()[col >= 0])
        assert (col < 0).sum() == near["site"].isna().sum()


def test_bands_at_one_node_split_where_a_site_drops_out() -> None:
    """Two sites 100 s and 500 s from a node; cutoff 600 s. Points with access legs
    0, 99.9, 100 and 100.1 s reach both, both, both (500 + 100 = 600 counts) and one."""
    from planner.access import NodeAccess

    m = sp.csr_array(([500.0, 100.0], [0, 1], [0, 2]), shape=(1, 2))
    access = np.array([0.0, 99.9, 100.0, 100.1, 600.0, 700.0])
    na = NodeAccess(
        m,
        np.zeros(access.size, dtype=np.int64),
        access,
        pd.Index(list("abcdef")),
        pd.Index(["far", "near"]),
        600.0,
        "ebike",
        pd.DataFrame(),
        pd.DataFrame(),
    )
    ordered, k = na.bands()
    assert ordered.indices.tolist() == [1, 0]  # nearest first
    assert k.tolist() == [2, 2, 2, 1, 0, 0]
    col, best = na.nearest()
    assert col.tolist() == [1, 1, 1, 1, -1, -1]
    assert best[:4].tolist() == [100.0, 199.9, 200.0, 200.1]
    col, best = na.nearest(["far"], unit_s=60.0)
    assert col.tolist() == [0, 0, 0, -1, -1, -1]
    assert best[2] == 10.0
    # the per-point rows agree with the bands
    rows = na.point_rows()
    assert np.diff(rows.indptr).tolist() == [2, 2, 2, 1, 0, 0]


STUDY_STAGES = ["read", "snap", "access", "solve", "coverage", "service areas"]


def test_stages_are_timed_in_the_result_and_run_json(
    line_network: Any, tmp_path: Any, capsys: Any
) -> None:
    from tests.conftest import line_plan

    result = line_plan(line_network).site(p=3, progress=True)
    assert [s.name for s in result.stages] == STUDY_STAGES
    assert all(s.seconds >= 0 for s in result.stages)
    shown = capsys.readouterr().err
    assert "worker stations" in shown
    assert "service areas" in shown
    assert [s["name"] for s in result.run_info()["stages"]] == STUDY_STAGES
    paths = result.to_files(tmp_path / "out", tiles=None)
    run = json.loads(paths["run"].read_text())
    assert [s["name"] for s in run["stages"]] == [*STUDY_STAGES, "map", "report"]
    assert {s.get("plan") for s in run["stages"][:6]} == {result.name}
    assert all(isinstance(s["seconds"], float) for s in run["stages"])


@pytest.mark.parametrize("seed", range(4))
def test_bands_nearest_and_patterns_equal_the_numpy_reference(seed: int) -> None:
    """Random node rows with many tied times, a column mask: the compiled passes give
    what the numpy expressions they replace gave (lexsort by row, time, column; the
    masked copy of the matrix scanned per point; prefixes sorted by column)."""
    from planner.access import NodeAccess
    from planner.plan._demand_rows import _prefix_patterns

    rng = np.random.default_rng(seed)
    n_nodes, n_sites, n_points = 40, 25, 300
    dense = rng.integers(0, 12, (n_nodes, n_sites)).astype(float) * 50.0  # ties
    dense[rng.random(dense.shape) < 0.4] = np.nan
    rows, cols = np.nonzero(~np.isnan(dense))
    m = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    m.sort_indices()
    row_of = rng.integers(0, n_nodes, n_points)
    access = np.round(rng.uniform(0, 120, n_points), 1)
    na = NodeAccess(
        m, row_of, access, pd.RangeIndex(n_points), pd.RangeIndex(n_sites), 540.0, "ebike",
        pd.DataFrame(), pd.DataFrame(),
    )  # fmt: skip
    mask = rng.random(n_sites) < 0.6
    # reference: the masked entries, lexsorted by (row, time, column)
    keep = mask[m.indices]
    r = np.repeat(np.arange(n_nodes), np.diff(m.indptr))[keep]
    d, c = m.data[keep], m.indices[keep]
    order = np.lexsort((c, d, r))
    ordered, k = na.bands(mask, unit_s=60.0, limit=9.0)
    assert np.array_equal(ordered.data, d[order])
    assert np.array_equal(ordered.indices, c[order])
    assert np.array_equal(np.diff(ordered.indptr), np.bincount(r, minlength=n_nodes))
    # k: the entries of the point's ordered row that pass the exact test
    for p in range(n_points):
        lo, hi = ordered.indptr[row_of[p]], ordered.indptr[row_of[p] + 1]
        t = ordered.data[lo:hi] + access[p]
        assert k[p] == int(((t <= 540.0) & (t / 60.0 <= 9.0)).sum())
    # nearest: first column of the least time among the masked ones
    col, best = na.nearest(mask, unit_s=60.0)
    for p in range(n_points):
        lo, hi = m.indptr[row_of[p]], m.indptr[row_of[p] + 1]
        t = m.data[lo:hi] + access[p]
        ok = mask[m.indices[lo:hi]] & (t <= 540.0)
        if not ok.any():
            assert col[p] == -1
            assert best[p] == np.inf
            continue
        v = np.where(ok, t / 60.0, np.inf)
        assert col[p] == m.indices[lo:hi][int(np.argmin(v))]
        assert best[p] == v.min()
    # prefixes: the first k entries of each ordered row, columns sorted
    want_rows = rng.integers(0, n_nodes, 50)
    want_k = np.minimum(rng.integers(0, 8, 50), np.diff(ordered.indptr)[want_rows])
    pattern = _prefix_patterns(ordered, want_rows, want_k)
    for i in range(50):
        lo = ordered.indptr[want_rows[i]]
        got = pattern.indices[pattern.indptr[i] : pattern.indptr[i + 1]]
        assert got.tolist() == sorted(ordered.indices[lo : lo + want_k[i]].tolist())


def test_city_scale_arrays_keep_int32_indices() -> None:
    """Node rows, bands, prefixes, per-point rows and the model's rows keep scipy's
    int32 column indices: a row pointer of int64 would make scipy widen them (a copy
    of 8 bytes an entry, 1.4 GB at 1.8 x 10^8 entries)."""
    from planner.access import NodeAccess
    from planner.locate import MCLP
    from planner.plan._demand_rows import _prefix_patterns, model_rows

    rng = np.random.default_rng(7)
    n_nodes, n_sites, n_points = 30, 20, 200
    dense = np.where(rng.random((n_nodes, n_sites)) < 0.5, rng.uniform(0, 600, (30, 20)), np.nan)
    rows, cols = np.nonzero(~np.isnan(dense))
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n_nodes))].astype(np.int32)
    # int32 indices and row pointer, as access_by_node gives them
    m = sp.csr_array((dense[rows, cols], cols.astype(np.int32), indptr), shape=dense.shape)
    assert m.indices.dtype == np.int32
    row_of = rng.integers(0, n_nodes, n_points)
    na = NodeAccess(
        m, row_of, rng.uniform(0, 60, n_points), pd.RangeIndex(n_points),
        pd.RangeIndex(n_sites), 540.0, "ebike", pd.DataFrame(), pd.DataFrame(),
    )  # fmt: skip
    ordered, k = na.bands(unit_s=60.0, limit=9.0)
    assert ordered.indices.dtype == np.int32
    assert na.point_rows(np.arange(50)).indices.dtype == np.int32
    assert _prefix_patterns(ordered, row_of[:40], np.minimum(k[:40], 3)).indices.dtype == np.int32
    existing = np.zeros(n_sites, dtype=bool)
    existing[:3] = True
    rows_ = model_rows(na, np.ones(n_points), existing, 9.0)
    assert rows_.matrix.indices.dtype == np.int32
    model = MCLP.from_matrix(
        rows_.matrix, cutoff=9.0, p=2, weights=rows_.weights, existing=[0, 1, 2]
    )
    # used as it is, no copy
    assert np.shares_memory(model.data.times.indices, rows_.matrix.indices)
    assert np.shares_memory(model.data.times.data, rows_.matrix.data)
    assert model.prepared.prob.B.indices.dtype == np.int32
