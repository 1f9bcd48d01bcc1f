"""Stay points from trace files too large for one machine, on Dask.

:func:`stays_from_trace_files` reads GPS fixes lazily from a folder (or glob) of
Parquet or CSV files with :mod:`dask.dataframe`, makes sure each partition holds
whole drivers (shuffling by driver id when the files are not partitioned by
driver), and runs :func:`planner.demand.stays_from_traces` on each partition: the
same code as the in-memory path. A driver's stays depend only on that driver's
fixes and on the metric CRS, which is chosen for all the fixes at once exactly as
the in-memory path chooses it, so the result is the same GeoDataFrame, row for
row and value for value.
"""

from __future__ import annotations

import contextlib
import glob as globlib
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner._dask import dask_client, wait_results
from planner._errors import DroppedFixesWarning, InputError, warn
from planner._progress import tqdm
from planner._tables import Area
from planner.crs import local_metric_crs
from planner.demand._common import datum_to_wgs84
from planner.demand.stays import _Notes, _stays, stays_from_traces

logger = logging.getLogger(__name__)

__all__ = ["stays_from_trace_files"]

_PARQUET = (".parquet", ".parq", ".pq")
_CSV = (".csv", ".csv.gz", ".csv.bz2", ".txt")
_LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")
_N_BUCKETS = 60  # UTM zones


# ------------------------------------------------------------------ reading files
def _files(path_or_glob: str | Path, file_format: str | None) -> tuple[list[str], str]:
    """Return the files to read and their format ('parquet' or 'csv')."""
    text = str(path_or_glob)
    path = Path(text)
    if any(ch in text for ch in "*?["):
        found = sorted(globlib.glob(text, recursive=True))
    elif path.is_dir():
        found = sorted(str(p) for p in path.rglob("*") if p.is_file())
    elif path.is_file():
        found = [text]
    else:
        raise InputError(
            f"no such file or folder: {text}.",
            file=text,
            fix="pass a folder of Parquet/CSV files, one file, or a glob ('fixes/*.parquet').",
        )
    if file_format is None:
        parquet = [f for f in found if f.lower().endswith(_PARQUET)]
        csv = [f for f in found if f.lower().endswith(_CSV)]
        if parquet and csv:
            raise InputError(
                f"{text} holds both Parquet ({len(parquet)}) and CSV ({len(csv)}) files.",
                file=text,
                field="file_format",
                fix="keep one format in the folder, or pass file_format='parquet' or 'csv'.",
            )
        file_format = "parquet" if parquet else "csv"
        found = parquet or csv
    elif file_format in ("parquet", "csv"):
        ends = _PARQUET if file_format == "parquet" else _CSV
        found = [f for f in found if f.lower().endswith(ends)]
    else:
        raise InputError(
            f"file_format must be 'parquet', 'csv' or None, got {file_format!r}.",
            field="file_format",
        )
    if not found:
        raise InputError(
            f"{text} holds no Parquet or CSV files.",
            file=text,
            fix="check the path; files must end in .parquet or .csv (.csv.gz).",
        )
    return found, file_format


def _columns(file: str, file_format: str) -> list[str]:
    if file_format == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(file).names)
    return list(pd.read_csv(file, nrows=0).columns)


def _read(
    files: list[str],
    file_format: str,
    columns: list[str],
    head: list[str],
    *,
    driver: str,
    text_columns: Sequence[str],
    blocksize: str | int | None,
) -> Any:
    import dask.dataframe as dd

    missing = [c for c in columns if c not in head]
    if missing:
        raise InputError(
            f"columns {missing} are missing; the columns of {files[0]} are {head}.",
            file=files[0],
            field=missing[0],
            fix="rename the columns or pass driver=, time=, lon=, lat= (group_field=None "
            "for no group column).",
        )
    if file_format == "parquet":
        return dd.read_parquet(files, columns=columns)
    compressed = any(f.lower().endswith((".gz", ".bz2")) for f in files)
    dtypes = dict.fromkeys(text_columns, "string")
    dtypes[driver] = "string"
    return dd.read_csv(
        files,
        usecols=columns,
        dtype=dtypes,
        blocksize=None if compressed else blocksize,
    )


# ------------------------------------------------- the first pass: drivers and CRS
@dataclass
class _Scan:
    """What one partition holds: its drivers, and where its fixes lie (for the CRS)."""

    drivers: np.ndarray
    lon: tuple[np.ndarray, np.ndarray, np.ndarray]  # count, min, max per UTM zone
    lat: tuple[np.ndarray, np.ndarray, np.ndarray]  # count, min, max per hemisphere


def _buckets(
    values: np.ndarray, bucket: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count = np.bincount(bucket, minlength=k)
    low = np.full(k, np.inf)
    high = np.full(k, -np.inf)
    np.minimum.at(low, bucket, values)
    np.maximum.at(high, bucket, values)
    return count, low, high


def _lon_bucket(lon: np.ndarray) -> np.ndarray:
    # the zone rule of planner.crs.local_metric_crs, less one
    return np.minimum(np.floor((lon + 180.0) / 6.0), _N_BUCKETS - 1).astype(np.int64)


def _scan(frame: pd.DataFrame, driver: str, lon: str, lat: str, datum: str) -> _Scan:
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180.0) & (np.abs(y) <= 90.0)
    x, y = x[ok], y[ok]
    if datum.lower() not in ("wgs84", "epsg:4326") and len(x):
        x, y = datum_to_wgs84(x, y, datum, "traces")
    drivers = pd.unique(frame[driver].dropna())
    return _Scan(
        drivers=np.asarray(drivers, dtype=object),
        lon=_buckets(x, _lon_bucket(x), _N_BUCKETS),
        lat=_buckets(y, (y >= 0).astype(np.int64), 2),
    )


def _median(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float | None:
    """Return the median of all values (as ``numpy.nanmedian`` does), or one in its bucket.

    From counts, minima and maxima per bucket: when the two middle values fall in
    one bucket, any value of that bucket stands for the median (a bucket is an
    interval); otherwise they are the largest of the lower bucket and the smallest
    of the upper one, whose mean is the median.
    """
    count = np.sum([p[0] for p in parts], axis=0)
    low = np.min([p[1] for p in parts], axis=0)
    high = np.max([p[2] for p in parts], axis=0)
    n = int(count.sum())
    if n == 0:
        return None
    cum = np.cumsum(count)
    b1 = int(np.searchsorted(cum, (n - 1) // 2, side="right"))
    b2 = int(np.searchsorted(cum, n // 2, side="right"))
    if b1 == b2:
        return float(low[b1])
    return float(np.mean([high[b1], low[b2]]))


def _crs_of(scans: Sequence[_Scan]) -> CRS:
    lon = _median([s.lon for s in scans])
    lat = _median([s.lat for s in scans])
    if lon is None or lat is None:
        return local_metric_crs(0.0, 0.0)
    return local_metric_crs(lon, lat)


# ----------------------------------------------------------- the partitions' stays
def _stays_part(
    frame: pd.DataFrame, index: int, options: dict[str, Any]
) -> tuple[gpd.GeoDataFrame, _Notes]:
    """Stays of one partition of whole drivers, and what to announce about it."""
    label = f"{options['label']} (partition {index})"
    return _stays(frame.reset_index(drop=True), **{**options, "label": label, "progress": False})


def _compute(
    tasks: list[Any], run_on: Any, *, progress: bool, desc: str, timeout_s: float | None
) -> list[Any]:
    """Compute delayed tasks on a local dask scheduler or a client, in order.

    On a client every wait is bounded (:func:`planner._dask.wait_results`).
    """
    import dask

    bar = tqdm(total=len(tasks), desc=desc, unit="partition", disable=not progress)
    try:
        if run_on is None or run_on in _LOCAL_SCHEDULERS:
            out = list(dask.compute(*tasks, scheduler=run_on or "threads"))
            bar.update(len(tasks))
            return out
        results: list[Any] = []
        futures = run_on.compute(tasks)
        for result in wait_results(run_on, futures, timeout_s=timeout_s, what="partition"):
            results.append(result)
            bar.update()
        return results
    finally:
        bar.close()


def stays_from_trace_files(
    path_or_glob: str | Path,
    *,
    scheduler: Any = None,
    driver: str = "driver_id",
    time: str = "time",
    lon: str = "lon",
    lat: str = "lat",
    max_distance_m: float = 200.0,
    min_duration_min: float = 5.0,
    max_gap_min: float | None = 60.0,
    merge: bool = True,
    metric_crs: str | CRS | None = None,
    group: str = "rider",
    group_field: str | None = "group",
    datum: str = "wgs84",
    tz: str | None = None,
    max_speed_kmh: float | None = None,
    area: Area | None = None,
    chunk_points: int = 2_000_000,
    file_format: Literal["parquet", "csv"] | None = None,
    partitioned: bool | None = None,
    blocksize: str | int = "64MB",
    label: str | None = None,
    progress: bool = False,
    scheduler_timeout_s: float | None = None,
) -> gpd.GeoDataFrame:
    """Detect stay points in GPS trace files too large for memory, on Dask.

    Reads the fixes lazily from Parquet or CSV files (:mod:`dask.dataframe`),
    brings each driver's fixes into one partition, and runs
    :func:`stays_from_traces` on every partition, on local threads or a
    ``dask.distributed`` cluster. The result equals
    ``stays_from_traces(<all the fixes in one table>, ...)`` with the same
    parameters: same rows, same order, same values.

    Two passes read the files. The first reads the driver and coordinate columns:
    it finds whether any driver's fixes span partitions, and the median position
    that the in-memory path takes its metric CRS (a UTM zone) from. When drivers
    span partitions (files not partitioned by driver), the second pass shuffles
    the fixes by driver id (``dask.dataframe.DataFrame.shuffle``), which moves
    every fix once over the network and spills to disk as needed. Pass
    ``partitioned=True`` and ``metric_crs`` to skip the first pass.

    Parameters
    ----------
    path_or_glob
        A folder (searched recursively; a partitioned Parquet dataset is fine), one
        file, or a glob (``"fixes/2024-05-*.parquet"``) of Parquet or CSV files
        (``.csv.gz`` too) with one row per fix.
    scheduler
        Where to run: ``None`` (local threads), ``"threads"``, ``"processes"``,
        ``"synchronous"``, or a ``dask.distributed.Client`` or scheduler address
        (``"tcp://10.0.0.5:8786"``), as ``scheduler=`` elsewhere in planner.
    driver, time, lon, lat, max_distance_m, min_duration_min, max_gap_min, merge
        As in :func:`stays_from_traces`.
    metric_crs, group, group_field, datum, tz, max_speed_kmh, area, chunk_points
        As in :func:`stays_from_traces`; ``metric_crs=None`` takes the UTM zone of
        the median of all the fixes, exactly as the in-memory path does. Fixes
        dropped (impossible jumps, outside ``area``) are counted over all
        partitions in ``attrs["dropped_fixes"]`` and announced in one warning.
    file_format
        ``"parquet"`` or ``"csv"``; ``None`` decides by the files' endings.
    partitioned
        ``True``: every driver's fixes lie in one partition (one file, or one
        Parquet row group, per set of drivers): no shuffle, no check. ``False``:
        always shuffle. ``None``: check in the first pass, shuffle when needed.
    blocksize
        Size of CSV partitions (compressed CSV files are one partition each).
    label
        What the traces are, for messages; the path by default.
    progress
        Show a progress bar over partitions.
    scheduler_timeout_s
        On a cluster: seconds allowed to reach the scheduler and find a worker,
        and for a cluster that stops answering or loses its workers while
        partitions run; then a :class:`~planner._errors.SchedulerError` naming the
        address and the fix, never a hang. ``None``: Dask's
        ``distributed.comm.timeouts.connect`` setting (30 s by default).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`stays_from_traces` returns: one row per stay, sorted by driver
        and start. ``attrs["trace_files"]`` says what ran: ``files``,
        ``partitions``, ``shuffled``, ``metric_crs``, ``scheduler``.

    Raises
    ------
    InputError
        No such path, no Parquet/CSV files, missing columns, a bad ``file_format``
        or ``scheduler``, and every error of :func:`stays_from_traces`.

    Notes
    -----
    CSV driver ids are read as text (Parquet keeps its types). Driver ids of
    mixed types are ordered by first appearance in memory, which a cluster cannot
    reproduce; give them one type.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from planner.datasets import demo_traces
    >>> folder = tempfile.mkdtemp()
    >>> fixes = pd.DataFrame(demo_traces(groups=["courier"]).drop(columns="geometry"))
    >>> for k, part in fixes.groupby(fixes["driver_id"].str[-1]):
    ...     part.to_parquet(f"{folder}/part-{k}.parquet")
    >>> stays = stays_from_trace_files(folder)
    >>> stays.equals(stays_from_traces(fixes))
    True
    """
    files, fmt = _files(path_or_glob, file_format)
    label = str(path_or_glob) if label is None else label
    group_col = group_field
    columns = [driver, time, lon, lat]
    text_columns = [time]
    head = _columns(files[0], fmt)
    if group_field is not None:
        if group_field in head:
            columns.append(group_field)
            text_columns.append(group_field)
        else:
            group_col = None
    ddf = _read(
        files,
        fmt,
        columns,
        head,
        driver=driver,
        text_columns=text_columns,
        blocksize=blocksize,
    )
    options: dict[str, Any] = {
        "driver": driver,
        "time": time,
        "lon": lon,
        "lat": lat,
        "max_distance_m": max_distance_m,
        "min_duration_min": min_duration_min,
        "max_gap_min": max_gap_min,
        "merge": merge,
        "metric_crs": metric_crs,
        "group": group,
        "group_field": group_col,
        "datum": datum,
        "tz": tz,
        "max_speed_kmh": max_speed_kmh,
        "area": area,
        "chunk_points": chunk_points,
        "label": label,
    }
    # check the parameters here, before any work: the empty table raises what a
    # partition would
    empty = stays_from_traces(ddf._meta.reset_index(drop=True), **options)
    if partitioned not in (None, True, False):
        raise InputError(
            f"partitioned must be True, False or None, got {partitioned!r}.", field="partitioned"
        )
    import dask

    local = scheduler is None or scheduler in _LOCAL_SCHEDULERS
    with contextlib.ExitStack() as stack:
        run_on = scheduler
        if not local:
            # one connection for both passes, every step of it bounded
            client, own = dask_client(scheduler, timeout_s=scheduler_timeout_s)
            if own:
                stack.callback(client.close)
            run_on = client
        shuffled = False
        if partitioned is not True or metric_crs is None:
            scans = _compute(
                [
                    dask.delayed(_scan)(part, driver, lon, lat, datum)
                    for part in ddf[[driver, lon, lat]].to_delayed()
                ],
                run_on,
                progress=progress,
                timeout_s=scheduler_timeout_s,
                desc="trace files: drivers and extent",
            )
            if metric_crs is None:
                options["metric_crs"] = _crs_of(scans)
            if partitioned is None:
                every = np.concatenate([s.drivers for s in scans]) if scans else np.empty(0)
                partitioned = len(pd.unique(every)) == len(every)
                if not partitioned:
                    logger.info("%s: drivers span partitions; shuffling the fixes by driver", label)
        if not partitioned:
            # peer-to-peer on a cluster (spills to disk); task-based on local schedulers
            method = "tasks" if local else None
            ddf = ddf.shuffle(on=driver, npartitions=max(ddf.npartitions, 1), shuffle_method=method)
            shuffled = True
        parts = ddf.to_delayed()
        results = _compute(
            [dask.delayed(_stays_part)(part, k, options) for k, part in enumerate(parts)],
            run_on,
            progress=progress,
            timeout_s=scheduler_timeout_s,
            desc="stay points",
        )
    dropped: dict[str, int] = {}
    for stays, _ in results:
        for key, value in stays.attrs.get("dropped_fixes", {}).items():
            dropped[key] = dropped.get(key, 0) + int(value)
    messages = [notes.drop_message for _, notes in results if notes.drop_message]
    if messages:
        jumps, outside = dropped.get("impossible_jumps", 0), dropped.get("outside_area", 0)
        text = (
            f"{label}: dropped {jumps:,} fixes after impossible jumps and {outside:,} outside "
            f"the network's area, of {dropped.get('fixes', 0):,} GPS fixes, before finding "
            f"stays, in {len(messages)} of {len(results)} partitions; the first: {messages[0]}"
        )
        logger.warning("%s", text)
        warn(text, DroppedFixesWarning)
    single = sorted(d for _, notes in results for d in notes.single)
    if single:
        names = ", ".join(repr(d) for d in single[:5])
        more = f" and {len(single) - 5} more" if len(single) > 5 else ""
        warnings.warn(
            f"{label}: {len(single)} drivers have a single fix and cannot have stays "
            f"(field {driver!r}: {names}{more}).",
            UserWarning,
            stacklevel=2,
        )
    frames = [stays for stays, _ in results if len(stays)]
    if frames:
        out = pd.concat(frames, ignore_index=True)
        out = out.sort_values("driver", kind="stable").reset_index(drop=True)
    else:
        out = empty
    out.index.name = "stay"
    out.attrs = {"dropped_fixes": dropped or dict(empty.attrs.get("dropped_fixes", {}))}
    crs = options["metric_crs"]
    out.attrs["trace_files"] = {
        "files": len(files),
        "partitions": len(parts),
        "shuffled": shuffled,
        "metric_crs": CRS.from_user_input(crs).to_string(),
        "scheduler": "threads" if scheduler is None else str(scheduler) if local else "cluster",
    }
    assert isinstance(out, gpd.GeoDataFrame)
    return out
