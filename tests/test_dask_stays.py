"""Stay points from trace files on Dask: exactly the in-memory result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import datasets
from planner._errors import InputError
from planner.crs import local_metric_crs
from planner.demand import stays_from_trace_files, stays_from_traces
from planner.demand.dask_stays import _buckets, _crs_of, _lon_bucket, _Scan

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def fixes() -> pd.DataFrame:
    traces = datasets.demo_traces()
    return pd.DataFrame(traces.drop(columns="geometry"))


@pytest.fixture(scope="module")
def expected(fixes: pd.DataFrame) -> pd.DataFrame:
    return stays_from_traces(datasets.demo_traces())


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _by_driver(fixes: pd.DataFrame, folder: Path) -> Path:
    """Parquet files partitioned by driver (drivers spread by the last digit of their id)."""
    folder.mkdir()
    for key, part in fixes.groupby(fixes["driver_id"].str[-1]):
        part.to_parquet(folder / f"part-{key}.parquet", index=False)
    return folder


def _by_time(fixes: pd.DataFrame, folder: Path, parts: int = 5) -> Path:
    """CSV files cut by time: every driver's fixes spread over several files."""
    folder.mkdir()
    rows = fixes.sort_values("time", kind="stable")
    text = rows.assign(time=rows["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for k, idx in enumerate(np.array_split(np.arange(len(text)), parts)):
        text.iloc[idx].to_csv(folder / f"fixes-{k}.csv", index=False)
    return folder


def test_parquet_partitioned_by_driver_on_a_cluster(
    fixes: pd.DataFrame, expected: pd.DataFrame, client: object, tmp_path: Path
) -> None:
    folder = _by_driver(fixes, tmp_path / "pq")
    stays = stays_from_trace_files(folder, scheduler=client)
    assert len(stays) > 3000
    pd.testing.assert_frame_equal(stays, expected, check_exact=True)
    assert stays.index.name == "stay"
    assert stays.attrs["trace_files"]["shuffled"] is False
    assert stays.attrs["trace_files"]["partitions"] == 10


def test_csv_cut_by_time_is_shuffled_by_driver(
    fixes: pd.DataFrame, expected: pd.DataFrame, client: object, tmp_path: Path
) -> None:
    folder = _by_time(fixes, tmp_path / "csv")
    stays = stays_from_trace_files(folder, scheduler=client, blocksize="2MB")
    assert stays.attrs["trace_files"]["shuffled"] is True
    # the in-memory path on the same files read by pandas: identical, types included
    table = pd.concat([pd.read_csv(f) for f in sorted(folder.glob("*.csv"))], ignore_index=True)
    pd.testing.assert_frame_equal(stays, stays_from_traces(table), check_exact=True)
    # and the same stays as from the demo loader (whose times are in microseconds)
    pd.testing.assert_frame_equal(stays, expected, check_exact=True, check_dtype=False)


def test_local_threads_and_a_glob(
    fixes: pd.DataFrame, expected: pd.DataFrame, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    # rows in random order, cut into files: drivers span files
    rows = fixes.sample(frac=1.0, random_state=3)
    for k, idx in enumerate(np.array_split(np.arange(len(rows)), 3)):
        rows.iloc[idx].to_parquet(folder / f"day-{k}.parquet", index=False)
    stays = stays_from_trace_files(str(folder / "day-*.parquet"))
    assert stays.attrs["trace_files"]["shuffled"] is True
    pd.testing.assert_frame_equal(stays, expected, check_exact=True)


def test_processes_cluster_and_options(fixes: pd.DataFrame, tmp_path: Path) -> None:
    couriers = fixes[fixes["group"] == "courier"]
    folder = _by_driver(couriers, tmp_path / "pq")
    options = {"max_distance_m": 120.0, "min_duration_min": 3.0, "merge": False}
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        stays = stays_from_trace_files(folder, scheduler=cluster.scheduler_address, **options)
    pd.testing.assert_frame_equal(stays, stays_from_traces(couriers, **options), check_exact=True)


def test_stays_do_not_depend_on_the_other_drivers(
    fixes: pd.DataFrame, expected: pd.DataFrame
) -> None:
    # what the partitions rely on: chunks and subsets of drivers give bit-equal stays
    small_chunks = stays_from_traces(fixes, chunk_points=5_000)
    pd.testing.assert_frame_equal(small_chunks, expected, check_exact=True, check_dtype=False)
    some = sorted(fixes["driver_id"].unique())[::7]
    alone = stays_from_traces(fixes[fixes["driver_id"].isin(some)], metric_crs="EPSG:32649")
    subset = expected[expected["driver"].isin(some)].reset_index(drop=True)
    subset.index.name = "stay"
    pd.testing.assert_frame_equal(alone, subset, check_exact=True, check_dtype=False)


def _straddling(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """Two drivers on either side of the UTM zone border at 114 E, more fixes east."""
    rows = []
    t0 = pd.Timestamp("2024-05-01 08:00", tz="UTC")
    rng = np.random.default_rng(5)
    for name, lon0, n in (("west", 113.99, 40), ("east", 114.01, 60)):
        for k in range(n):
            moving = k >= 20
            rows.append(
                {
                    "driver_id": name,
                    "time": t0 + pd.Timedelta(minutes=k),
                    "lon": lon0 + (0.004 * (k - 19) if moving else 0) + rng.normal(0, 3e-5),
                    "lat": 22.5 + rng.normal(0, 3e-5),
                }
            )
    table = pd.DataFrame(rows)
    folder = tmp_path / "zones"
    folder.mkdir()
    for name, part in table.groupby("driver_id"):
        part.to_parquet(folder / f"{name}.parquet", index=False)
    return folder, table


def test_metric_crs_is_taken_from_all_fixes(tmp_path: Path) -> None:
    folder, table = _straddling(tmp_path)
    expected = stays_from_traces(table, group_field=None)
    stays = stays_from_trace_files(folder, group_field=None)
    # the west driver's own median lies in zone 49, all fixes' median in zone 50
    assert stays.attrs["trace_files"]["metric_crs"] == "EPSG:32650"
    pd.testing.assert_frame_equal(stays, expected, check_exact=True)
    west_alone = stays_from_traces(table[table["driver_id"] == "west"], group_field=None)
    west = stays[stays["driver"] == "west"]
    assert len(west) == len(west_alone) == 1
    assert west_alone.geometry.x.iloc[0] != west.geometry.x.iloc[0]


@pytest.mark.parametrize("seed", range(6))
def test_median_zone_from_buckets_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    # values around zone borders (108, 114, 120 E), even and odd counts
    lon = rng.choice([107.999, 108.0, 113.9, 114.0, 114.1, 119.5, 120.0], size=n)
    lat = rng.choice([-0.5, -1e-9, 0.0, 0.5], size=n)
    cuts = np.sort(rng.integers(0, n + 1, 2))
    scans = [
        _Scan(
            drivers=np.empty(0, dtype=object),
            lon=_buckets(lon[a:b], _lon_bucket(lon[a:b]), 60),
            lat=_buckets(lat[a:b], (lat[a:b] >= 0).astype(np.int64), 2),
        )
        for a, b in zip([0, *cuts], [*cuts, n], strict=True)
    ]
    assert _crs_of(scans) == local_metric_crs(float(np.nanmedian(lon)), float(np.nanmedian(lat)))


def test_errors_name_the_problem(fixes: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        stays_from_trace_files(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no Parquet or CSV files"):
        stays_from_trace_files(empty)
    folder = tmp_path / "renamed"
    folder.mkdir()
    fixes.head(100).rename(columns={"lon": "x"}).to_parquet(folder / "a.parquet")
    with pytest.raises(InputError, match=r"columns \['lon'\] are missing"):
        stays_from_trace_files(folder)
    with pytest.raises(InputError, match="max_distance_m"):
        stays_from_trace_files(folder, lon="x", max_distance_m=-1)
    with pytest.raises(InputError, match="not a projected CRS in metres"):
        stays_from_trace_files(folder, lon="x", metric_crs="EPSG:4326")
    fixes.head(10).to_csv(folder / "b.csv", index=False)
    with pytest.raises(InputError, match="both Parquet"):
        stays_from_trace_files(folder, lon="x")


@pytest.mark.filterwarnings("ignore:The inplace keyword:pandas.errors.Pandas4Warning")
def test_dropped_fixes_are_counted_over_partitions_and_announced_once(
    fixes: pd.DataFrame, tmp_path: Path
) -> None:
    import shapely

    from planner._errors import DroppedFixesWarning

    couriers = fixes[fixes["group"] == "courier"]
    folder = _by_driver(couriers, tmp_path / "pq")
    west, south, east, north = datasets.demo_area().bounds
    area = shapely.box(west, south, (west + east) / 2, north)  # the western half
    with pytest.warns(DroppedFixesWarning, match="outside the network's area") as caught:
        stays = stays_from_trace_files(folder, area=area)
    assert sum(issubclass(w.category, DroppedFixesWarning) for w in caught) == 1
    with pytest.warns(DroppedFixesWarning):
        expected = stays_from_traces(couriers, area=area)
    pd.testing.assert_frame_equal(stays, expected, check_exact=True)
    assert stays.attrs["dropped_fixes"] == expected.attrs["dropped_fixes"]
    assert stays.attrs["dropped_fixes"]["outside_area"] > 0
