"""Read and validate stations, candidate sites and GPS traces.

Every reader takes a file path (CSV/TSV/TXT, optionally compressed; GeoJSON;
GeoPackage; Shapefile; FlatGeobuf; (Geo)Parquet) or a (Geo)DataFrame from a
notebook, and returns a :class:`geopandas.GeoDataFrame` of points in WGS84
(EPSG:4326):

* Tables with coordinate columns: the longitude and latitude columns are found
  by name (case-insensitive ``lon``, ``lng``, ``long``, ``longitude``, ``x``,
  ``经度`` / ``lat``, ``latitude``, ``y``, ``纬度``) or given with ``lon=`` and
  ``lat=``. They are taken as WGS84 degrees unless ``crs=`` names their CRS.
* Sources with a geometry (GeoJSON, GeoPackage, GeoParquet, GeoDataFrames):
  their point geometry is used and their CRS honoured (converted to EPSG:4326);
  a geometry without a CRS is an error unless ``crs=`` states it.
* ``datum="gcj02"`` or ``"bd09"`` converts coordinates copied from Chinese web
  maps (Amap/Tencent, Baidu) to WGS84 with :mod:`planner.crs`.

Validation collects every problem in one pass and raises a single
:class:`~planner._errors.InputError` naming the file, the 1-based data row (the
header is row 0), the field, the bad value and the fix: missing or ambiguous
coordinate columns, non-numeric or empty values, values outside
[-180, 180] / [-90, 90], swapped longitude and latitude, points outside the
network's area (``area=``), bad timestamps, duplicate ids, malformed opening
hours.

The input is never changed. All columns are kept as read (the coordinate
columns too, holding the values as given); the ``geometry`` column holds the
validated WGS84 position. DataFrame inputs keep their index; files get a
RangeIndex (file row ``i`` has label ``i - 1``).
"""

from __future__ import annotations

import re
import warnings
import zoneinfo
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError, Problem
from planner._tables import (
    LAT_NAMES,
    LON_NAMES,
    SUPPORTED_SUFFIXES,
    Area,
    BBox,
    BoolArray,
    Source,
    Table,
    load_table,
    plain,
    read_point_table,
)
from planner.hours import parse_hours

_TZ_SUFFIX: Final = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_OFFSET: Final = re.compile(r"(Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_DAY_OR_MONTH_FIRST: Final = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?!\d)")
_MAX_ROW_PROBLEMS: Final = 1000


# --------------------------------------------------------------------------- points


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InputError(problems)


def read_points(
    source: Source,
    *,
    lon: str | None = None,
    lat: str | None = None,
    datum: str = "wgs84",
    crs: Any = None,
    layer: str | int | None = None,
    area: Area | None = None,
    area_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read points from a file or a DataFrame, validated, in WGS84.

    Parameters
    ----------
    source
        A path (``.csv``, ``.tsv``, ``.txt`` (optionally ``.gz``/``.bz2``/
        ``.zip``/``.xz``), ``.geojson``, ``.json``, ``.gpkg``, ``.shp``, ``.fgb``,
        ``.parquet``) or a pandas DataFrame / geopandas GeoDataFrame.
    lon, lat
        Names of the longitude and latitude (or x and y) columns. By default
        they are found by name (see :data:`LON_NAMES`, :data:`LAT_NAMES`), or
        the geometry is used when the source has one.
    datum
        ``"wgs84"`` (GPS, OpenStreetMap), ``"gcj02"`` (Amap/Gaode, Tencent) or
        ``"bd09"`` (Baidu); the latter two are converted to WGS84.
    crs
        CRS of the coordinate columns (default WGS84 degrees), or of a geometry
        that has none; anything :meth:`pyproj.CRS.from_user_input` accepts.
    layer
        Layer of a multi-layer file (GeoPackage).
    area
        The area the points must fall in, in WGS84: a shapely geometry (e.g.
        the network's convex hull), a ``(minx, miny, maxx, maxy)`` box or a
        GeoSeries. Rows outside are reported.
    area_buffer_m
        Tolerance in metres around ``area``.

    Returns
    -------
    geopandas.GeoDataFrame
        All columns of the source and a WGS84 point ``geometry``; the index of
        a DataFrame source, or a RangeIndex for a file.

    Raises
    ------
    InputError
        With every problem found (file, 1-based row, field, value, fix).
    DatumError
        For an unknown datum or CRS.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"name": ["a", "b"], "经度": [116.39, 116.40], "纬度": [39.91, 39.92]})
    >>> gdf = read_points(df, datum="gcj02")
    >>> [round(v, 4) for v in gdf.geometry.x]
    [116.3838, 116.3938]
    """
    table = load_table(source, layer=layer)
    problems: list[Problem] = []
    result = read_point_table(
        table,
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        area=area,
        area_buffer_m=area_buffer_m,
        problems=problems,
    )
    _raise(problems)
    return result


# --------------------------------------------------------------------------- stations


def _check_unique_ids(table: Table, column: str, problems: list[Problem]) -> None:
    if column not in table.frame.columns:
        return
    ids = table.frame[column]
    missing = ids.isna().to_numpy()
    for pos in np.flatnonzero(missing):
        problems.append(
            Problem(
                "missing id." + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=column,
                fix="give every row an id, or drop the column.",
            )
        )
    duplicated = ids.duplicated(keep=False).to_numpy() & ~missing
    if not duplicated.any():
        return
    groups: dict[Any, list[int]] = {}
    for pos in np.flatnonzero(duplicated):
        groups.setdefault(ids.iloc[pos], []).append(int(pos) + 1)
    for value, rows in groups.items():
        problems.append(
            Problem(
                f"id {plain(value)!r} is used by rows {', '.join(map(str, rows))}; "
                "ids must be unique.",
                file=table.name,
                row=rows[1],
                field=column,
                fix="give each row its own id.",
            )
        )


def _check_numeric_column(table: Table, column: str, problems: list[Problem]) -> pd.Series | None:
    """Check an optional non-negative numeric column; return it as floats."""
    if column not in table.frame.columns:
        return None
    raw = table.frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad_text = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    for pos in np.flatnonzero(bad_text.to_numpy()):
        problems.append(
            Problem(
                f"non-numeric {column} {plain(raw.iloc[pos])!r}." + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=column,
                fix="write a number, or leave the cell empty if unknown.",
            )
        )
    negative = (values < 0).fillna(False).to_numpy(dtype=bool)
    for pos in np.flatnonzero(negative):
        problems.append(
            Problem(
                f"negative {column} {float(values.iloc[pos])!r}." + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=column,
                fix=f"{column} must be 0 or more.",
            )
        )
    return values.astype(float)


def _check_hours(table: Table, column: str, problems: list[Problem]) -> None:
    if column not in table.frame.columns:
        return
    raw = table.frame[column]
    for pos, value in enumerate(raw.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, str) and not value.strip():
            continue
        try:
            parse_hours(value)
        except ValueError as e:
            problems.append(
                Problem(
                    f"{e}{table.where(pos)}",
                    file=table.name,
                    row=pos + 1,
                    field=column,
                    fix="write 'HH:MM-HH:MM' (several separated by commas) or '24/7', "
                    "or leave the cell empty if unknown.",
                )
            )


def _read_sites(
    source: Source,
    *,
    id_column: str | None,
    lon: str | None,
    lat: str | None,
    datum: str,
    crs: Any,
    layer: str | int | None,
    area: Area | None,
    area_buffer_m: float,
    hours: bool,
) -> gpd.GeoDataFrame:
    str_columns = [id_column] if id_column else []
    table = load_table(source, layer=layer, str_columns=str_columns)
    problems: list[Problem] = []
    result = read_point_table(
        table,
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        area=area,
        area_buffer_m=area_buffer_m,
        problems=problems,
    )
    if id_column:
        _check_unique_ids(table, id_column, problems)
    numeric = {c: _check_numeric_column(table, c, problems) for c in ("capacity", "cost")}
    if hours:
        _check_hours(table, "hours", problems)
    _raise(problems)
    for column, values in numeric.items():
        if values is not None:
            result[column] = values.to_numpy()
    return result


def read_stations(
    source: Source,
    *,
    id_column: str | None = "id",
    lon: str | None = None,
    lat: str | None = None,
    datum: str = "wgs84",
    crs: Any = None,
    layer: str | int | None = None,
    area: Area | None = None,
    area_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read existing stations (worker stations, driver homes, ...), validated.

    Like :func:`read_points`, and checks the optional columns stations have:

    * ``id`` (``id_column``): present in every row and unique; read as text.
    * ``kind``: free text such as ``worker_station`` or ``driver_home`` (kept).
    * ``hours``: opening hours, ``"08:00-20:00"``, ``"08:00-12:00,14:00-20:00"``
      or ``"24/7"`` (see :func:`planner.hours.parse_hours`); empty means unknown.
    * ``capacity``, ``cost``: numbers of 0 or more (returned as floats).

    Parameters
    ----------
    source
        A file path or a (Geo)DataFrame, as for :func:`read_points`.
    id_column
        Name of the id column, or None to skip the id check.
    lon, lat, datum, crs, layer, area, area_buffer_m
        As for :func:`read_points`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per station, WGS84 point geometry, all columns kept.

    Raises
    ------
    InputError
        With every problem found.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": ["s1", "s2"], "lng": [114.05, 114.06],
    ...                    "lat": [22.54, 22.55], "hours": ["24/7", "08:00-20:00"]})
    >>> read_stations(df)["hours"].tolist()
    ['24/7', '08:00-20:00']
    """
    return _read_sites(
        source,
        id_column=id_column,
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        layer=layer,
        area=area,
        area_buffer_m=area_buffer_m,
        hours=True,
    )


def read_candidates(
    source: Source,
    *,
    id_column: str | None = "id",
    lon: str | None = None,
    lat: str | None = None,
    datum: str = "wgs84",
    crs: Any = None,
    layer: str | int | None = None,
    area: Area | None = None,
    area_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read candidate sites for new stations, validated.

    Like :func:`read_points`, and checks the optional columns: ``id``
    (``id_column``) present and unique, ``capacity`` and ``cost`` numbers of 0
    or more (returned as floats).

    Parameters
    ----------
    source
        A file path or a (Geo)DataFrame, as for :func:`read_points`.
    id_column
        Name of the id column, or None to skip the id check.
    lon, lat, datum, crs, layer, area, area_buffer_m
        As for :func:`read_points`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate, WGS84 point geometry, all columns kept.

    Raises
    ------
    InputError
        With every problem found.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 2], "x": [114.05, 114.06], "y": [22.54, 22.55],
    ...                    "cost": ["100", "250.5"]})
    >>> read_candidates(df)["cost"].tolist()
    [100.0, 250.5]
    """
    return _read_sites(
        source,
        id_column=id_column,
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        layer=layer,
        area=area,
        area_buffer_m=area_buffer_m,
        hours=False,
    )


# --------------------------------------------------------------------------- timestamps


def _check_tz(tz: str) -> str:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as e:
        msg = f"unknown time zone {tz!r}."
        raise InputError(
            msg, field="tz", fix="pass an IANA name such as 'Asia/Shanghai' or 'UTC'."
        ) from e
    return tz


def _read_naive(text: pd.Series) -> pd.Series:
    """Read times without an offset (NaT where unreadable).

    ISO 8601 first, then other forms, except dates written day or month first
    (``01/05/2024``), which are ambiguous.
    """
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601").astype("datetime64[ns]")
    retry = parsed.isna() & text.notna() & ~text.str.contains(_DAY_OR_MONTH_FIRST, na=False)
    if retry.any():
        try:
            other = pd.to_datetime(text[retry], errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError):  # e.g. a zone name in some rows
            other = None
        if other is not None and not isinstance(other.dtype, pd.DatetimeTZDtype):
            parsed.loc[retry] = other.astype("datetime64[ns]")
    return parsed


def _read_text(
    text: pd.Series, *, tz: str | None, field: str, label: str, problems: list[Problem]
) -> tuple[pd.Series, BoolArray, BoolArray]:
    """Read text times by the rule of :func:`parse_timestamps`.

    Returns the times, the rows read (before localizing to ``tz``) and the rows
    already reported (those without an offset among zoned ones, without ``tz``).
    """
    index, text = text.index, text.reset_index(drop=True)
    n = len(text)
    read = np.zeros(n, dtype=bool)
    reported = np.zeros(n, dtype=bool)
    aware = text.str.contains(_TZ_SUFFIX, na=False).to_numpy(dtype=bool)
    naive = text.notna().to_numpy(dtype=bool) & ~aware
    if tz is None and aware.any() and naive.any():
        first_naive, first_aware = int(np.flatnonzero(naive)[0]), int(np.flatnonzero(aware)[0])
        problems.append(
            Problem(
                f"timestamps mix local times without a time zone (row {first_naive + 1}: "
                f"{text.iloc[first_naive]!r}) with times that carry a UTC offset "
                f"(row {first_aware + 1}: {text.iloc[first_aware]!r}).",
                file=label,
                row=first_naive + 1,
                field=field,
                fix="give every timestamp a UTC offset (e.g. +08:00) or none, or pass tz= "
                "(the time zone of the times without one).",
            )
        )
        reported, naive = naive, np.zeros(n, dtype=bool)
    parts: list[pd.Series] = []
    if aware.any():
        zoned = pd.to_datetime(text[aware], errors="coerce", utc=True, format="ISO8601")
        if tz is not None:
            zoned = zoned.dt.tz_convert(tz)
        else:
            offsets = text[aware].str.extract(_OFFSET, expand=False).map(_normal_offset)
            distinct = sorted(str(o) for o in offsets.unique())
            if len(distinct) > 1:
                warnings.warn(
                    f"{label}: field {field!r} mixes UTC offsets ({', '.join(distinct[:4])}); "
                    "times were converted to UTC, so hours of day are UTC hours. "
                    "Pass tz='Asia/Shanghai' (or your zone) for local hours.",
                    UserWarning,
                    stacklevel=5,
                )
            elif zoned.notna().any():  # one offset: keep the local clock of the fixes
                first = text[aware][zoned.notna()].iloc[0]
                zoned = zoned.dt.tz_convert(pd.Timestamp(first).tz)
        read[aware] = zoned.notna().to_numpy()
        parts.append(zoned)
    if naive.any():
        local = _read_naive(text[naive])
        read[naive] = local.notna().to_numpy()
        if tz is not None:
            local = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        parts.append(local)
    if not parts:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"), read, reported
    both = pd.concat(parts) if len(parts) > 1 else parts[0]
    return both.reindex(text.index).dt.as_unit("ns").set_axis(index), read, reported


def _normal_offset(text: str) -> str:
    """Spell a UTC offset one way: ``Z``, ``+08``, ``+0800`` become ``+00:00``, ``+08:00``."""
    if text.upper() == "Z":
        return "+00:00"
    digits = text[1:].replace(":", "")
    return f"{text[0]}{digits[:2]}:{digits[2:4] or '00'}"


def parse_timestamps(
    values: pd.Series,
    *,
    tz: str | None = None,
    field: str = "time",
    file: str | None = None,
    problems: list[Problem] | None = None,
) -> pd.Series:
    """Read a column of timestamps by the one rule planner uses for times.

    - **Datetimes** are kept: zoned ones converted to ``tz``, naive ones localized
      to ``tz`` (kept naive without ``tz``).
    - **Numbers** are Unix epoch seconds, or milliseconds when their median is
      above 1e11: instants in UTC, converted to ``tz``.
    - **Text**: ISO 8601 (``2024-05-01 08:30:00``, ``2024-05-01T08:30``), optionally
      with an offset (``+08:00``, ``+0800``, ``Z``); other forms are read too
      (``2024/05/01 08:30``), except numeric dates written day or month first
      (``01/05/2024`` is 1 May or 5 January), which are refused. Empty text is missing.

      * With ``tz``: times without an offset are local times in ``tz``; times with
        one are converted to ``tz``. Both may appear in one column.
      * Without ``tz``: times without an offset stay naive (wall clock); times with
        an offset **keep their local wall clock** when they all share one offset
        (every fix ``+08:00``: noon stays hour 12), and are converted to UTC, with
        a warning, when the offsets differ. Mixing times with and without an
        offset is an error: nothing says which zone the latter are in.

    A time that does not exist in ``tz`` (the hour skipped or repeated when
    clocks change) is an error.

    Parameters
    ----------
    values
        The column: datetimes, numbers or text.
    tz
        IANA time zone (``"Asia/Shanghai"``) of times without an offset, and the
        zone every time is converted to; ``None`` keeps each time's own clock.
    field, file
        The column and the file (or what the table is), for messages.
    problems
        Where to append one problem per bad row; the rows are then ``NaT``. By
        default the problems are raised at once.

    Returns
    -------
    pandas.Series
        Timestamps on the index of ``values``: in ``tz`` when it is given.

    Raises
    ------
    InputError
        An unknown ``tz``; without ``problems``, every row that is missing,
        cannot be read, does not exist in ``tz``, or mixes text times with and
        without an offset (no ``tz``).

    Examples
    --------
    >>> import pandas as pd
    >>> noon = parse_timestamps(pd.Series(["2024-05-01 12:00+08:00", "2024-05-01 12:30+08:00"]))
    >>> noon.dt.hour.tolist(), str(noon.dt.tz)
    ([12, 12], 'UTC+08:00')
    >>> local = parse_timestamps(pd.Series(["2024-05-01 12:00"]), tz="Asia/Shanghai")
    >>> str(local.iloc[0]), local.dt.tz_convert("UTC").dt.hour.tolist()
    ('2024-05-01 12:00:00+08:00', [4])
    >>> [str(parse_timestamps(pd.Series([t])).iloc[0]) for t in (1714521600, 1714521600000)]
    ['2024-05-01 00:00:00+00:00', '2024-05-01 00:00:00+00:00']
    """
    if tz is not None:
        _check_tz(tz)
    label = file if file is not None else "timestamps"
    found: list[Problem] = []
    reported = np.zeros(len(values), dtype=bool)
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        parsed = values
        read = parsed.notna().to_numpy()
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype(float)
        unit: Literal["s", "ms"] = "ms" if numbers.abs().median() > 1e11 else "s"
        parsed = pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")
        read = parsed.notna().to_numpy()
    else:
        text = values.astype("string").str.strip()
        parsed, read, reported = _read_text(
            text.mask(text == ""), tz=tz, field=field, label=label, problems=found
        )
    if tz is not None:
        if parsed.dt.tz is None:
            parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        else:
            parsed = parsed.dt.tz_convert(tz)
    _report_times(values, parsed, read, reported, tz=tz, field=field, label=label, problems=found)
    if problems is not None:
        problems.extend(found)
    elif found:
        raise InputError(found)
    return parsed


def _report_times(
    values: pd.Series,
    parsed: pd.Series,
    read: BoolArray,
    reported: BoolArray,
    *,
    tz: str | None,
    field: str,
    label: str,
    problems: list[Problem],
) -> None:
    """Append one problem per bad row (the first 1,000, then a count of the others)."""
    bad = np.flatnonzero(parsed.isna().to_numpy() & ~reported)
    text = values.astype("string").str.strip()
    missing = values.isna().to_numpy() | (text == "").fillna(True).to_numpy(dtype=bool)
    own_index = not values.index.equals(pd.RangeIndex(len(values)))
    for pos in bad[:_MAX_ROW_PROBLEMS]:
        value = plain(values.iloc[pos])
        if missing[pos]:
            message, fix = "missing timestamp.", "fill in the time or delete the row."
        elif read[pos] and tz is not None:
            message = (
                f"timestamp {value!r} does not exist in {tz}, or is there twice "
                "(the clocks changed)."
            )
            fix = "correct the time, or give it with its UTC offset."
        elif _DAY_OR_MONTH_FIRST.match(str(text.iloc[pos])):
            message = f"timestamp {value!r} is ambiguous: the day or the month may come first."
            fix = "write times in ISO 8601, year first: '2024-05-01 08:30:00'."
        else:
            message = f"cannot read timestamp {value!r}."
            fix = (
                "write times in ISO 8601 like '2024-05-01 08:30:00' (local time in tz=), "
                "or with a UTC offset like '2024-05-01 08:30:00+08:00'."
            )
        where = f" (index {values.index[pos]!r})" if own_index else ""
        problems.append(
            Problem(message + where, file=label, row=int(pos) + 1, field=field, fix=fix)
        )
    if len(bad) > _MAX_ROW_PROBLEMS:
        problems.append(
            Problem(
                f"and {len(bad) - _MAX_ROW_PROBLEMS:,} more rows with bad timestamps.",
                file=label,
                field=field,
            )
        )


# --------------------------------------------------------------------------- traces


def read_traces(
    source: Source,
    *,
    driver: str = "driver_id",
    time: str = "time",
    lon: str | None = None,
    lat: str | None = None,
    datum: str = "wgs84",
    tz: str = "Asia/Shanghai",
    crs: Any = None,
    layer: str | int | None = None,
    area: Area | None = None,
    area_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read GPS trace points, validated, sorted by driver and time.

    Parameters
    ----------
    source
        A file path or a (Geo)DataFrame, as for :func:`read_points`.
    driver
        Column identifying the driver / rider / vehicle (read as text from CSV).
    time
        Column of timestamps: text (ISO 8601 like ``2024-05-01 08:30:00`` or
        with an offset ``...+08:00``/``Z``; other common forms are tried too),
        datetimes, or numbers (Unix epoch seconds, or milliseconds when larger
        than 1e11).
    lon, lat, datum, crs, layer, area, area_buffer_m
        As for :func:`read_points`.
    tz
        IANA time zone of times written without an offset (default China).

    Returns
    -------
    geopandas.GeoDataFrame
        All columns, the ``time`` column as timezone-aware UTC timestamps, and
        WGS84 point geometry, sorted by driver and time (stable). The index is
        that of a DataFrame source, or the 0-based file row for a file.

    Raises
    ------
    InputError
        With every problem found, including bad timestamps by row.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"driver_id": ["b", "a", "a"], "time": ["2024-05-01 08:01",
    ...     "2024-05-01 08:05", "2024-05-01 08:00"], "lon": [116.30, 116.31, 116.32],
    ...     "lat": [39.90, 39.91, 39.92]})
    >>> traces = read_traces(df)
    >>> traces.index.tolist(), str(traces["time"].iloc[0])
    ([2, 1, 0], '2024-05-01 00:00:00+00:00')
    """
    _check_tz(tz)
    table = load_table(source, layer=layer, str_columns=[driver])
    columns = [str(c) for c in table.frame.columns]
    missing = [
        (arg, name)
        for arg, name in (("driver", driver), ("time", time))
        if name not in table.frame.columns
    ]
    if missing:
        raise InputError(
            [
                Problem(
                    f"no {arg} column {name!r}; the columns are {columns}.",
                    file=table.name,
                    field=name,
                    fix=f"pass {arg}='<column>'.",
                )
                for arg, name in missing
            ]
        )
    problems: list[Problem] = []
    result = read_point_table(
        table,
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        area=area,
        area_buffer_m=area_buffer_m,
        problems=problems,
    )
    for pos in np.flatnonzero(table.frame[driver].isna().to_numpy()):
        problems.append(
            Problem(
                "missing driver id." + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=driver,
                fix="fill in the driver or delete the row.",
            )
        )
    times = parse_timestamps(
        table.frame[time], tz=tz, field=time, file=table.name, problems=problems
    )
    _raise(problems)
    result[time] = times.dt.tz_convert("UTC").array
    return result.sort_values([driver, time], kind="stable")


__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
    "SUPPORTED_SUFFIXES",
    "Area",
    "BBox",
    "Source",
    "parse_hours",
    "parse_timestamps",
    "read_candidates",
    "read_points",
    "read_stations",
    "read_traces",
]
