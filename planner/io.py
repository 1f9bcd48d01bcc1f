"""Read and validate stations, candidate sites, demand points and GPS traces.

Every reader takes a file path or a (Geo)DataFrame from a notebook, and returns
a :class:`geopandas.GeoDataFrame` of points in WGS84 (EPSG:4326):

* Files: CSV/TSV/TXT (optionally ``.gz``/``.bz2``/``.zip``/``.xz``) in UTF-8
  (with or without BOM), GBK/GB18030 or UTF-16, detected; Excel workbooks
  (``.xlsx``, ``.xls``, ``.xlsm``, ``.xlsb``, ``.ods``; ``sheet=`` chooses the
  sheet); GeoJSON, GeoPackage, Shapefile, FlatGeobuf; (Geo)Parquet. Headers are
  trimmed of spaces; empty rows at the end (``,,,``) are skipped, with a note.
* Coordinates: longitude and latitude columns found by name (any case: ``lon``,
  ``lng``, ``long``, ``longitude``, ``x``, ``经度`` / ``lat``, ``latitude``,
  ``y``, ``纬度``) or given with ``lon=`` and ``lat=``; or one Amap-style
  ``"lng,lat"`` column (``location``, ``坐标``, ``经纬度``; or ``lon=lat=`` its
  name); or the point geometry of a geometry source, its CRS honoured. Columns
  are WGS84 degrees unless ``crs=`` names their CRS; ``crs=`` also places a
  geometry without a CRS, and a GeoJSON file (WGS84 by definition) that holds
  projected metres.
* Datum: ``datum="wgs84"`` (GPS, OpenStreetMap), ``"gcj02"`` (Amap/Gaode,
  Tencent) or ``"bd09"`` (Baidu), converted with :mod:`planner.crs`. Points in
  China read **without** a datum are taken as WGS84 with a
  :class:`~planner._errors.DatumWarning`: GCJ-02 read as WGS84 lands about
  600 m off.
* Columns planners name in many ways get planner's names (:data:`COLUMN_ALIASES`):
  ``编号`` -> ``id``, ``名称``/``站点名称``/``驿站名称`` -> ``name``, ``地址`` ->
  ``address``, ``类型``/``type`` -> ``kind``, ``开放时间``/``营业时间`` ->
  ``hours``, ``人口``/``人数``/``数量``/``population`` -> ``weight`` ...; the
  result's ``attrs["columns"]`` lists the renames.

Validation collects every problem in one pass and raises a single
:class:`~planner._errors.InputError` naming the file, the 1-based data row (the
header is row 0), the field, the bad value and the fix: missing or ambiguous
coordinate columns, non-numeric or empty values (a decimal comma named as such),
values outside [-180, 180] / [-90, 90], swapped longitude and latitude, points
outside the network's area (``area=``), bad timestamps, duplicate ids, negative
or missing weights, malformed opening hours.

The input is never changed. Columns are kept (the coordinate columns too,
holding the values as given); the ``geometry`` column holds the validated
WGS84 position. DataFrame inputs keep their index; files get a RangeIndex (file
row ``i`` has label ``i - 1``). ``attrs`` records how the table was read:
``source``, ``encoding``, ``sheet``, ``skipped_rows``, ``columns``, ``datum``
(the datum the coordinates were read in) and ``datum_stated``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import replace
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError, Problem
from planner._tables import (
    COLUMN_ALIASES,
    LAT_NAMES,
    LOCATION_NAMES,
    LON_NAMES,
    SUPPORTED_SUFFIXES,
    Area,
    BBox,
    Source,
    Table,
    canonical_columns,
    load_table,
    number_problem,
    plain,
    read_point_table,
)
from planner._timestamps import check_tz, parse_timestamps
from planner.hours import parse_hours

logger = logging.getLogger(__name__)

TRACE_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "driver_id": (
        "driver_id",
        "driver",
        "rider_id",
        "rider",
        "courier_id",
        "vehicle_id",
        "vehicle",
        "user_id",
        "司机",
        "司机编号",
        "骑手",
        "骑手编号",
        "车辆",
        "车牌",
        "车牌号",
    ),
    "time": (
        "time",
        "timestamp",
        "datetime",
        "gps_time",
        "时间",
        "定位时间",
        "采集时间",
        "时间戳",
    ),
}
"""Headers of GPS trace tables read as ``driver_id`` and ``time``."""

Kind = Literal["points", "stations", "candidates", "traces"]


# --------------------------------------------------------------------------- points


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InputError(problems)


def _check_numeric_column(
    table: Table, column: str, problems: list[Problem], *, required: bool = False
) -> pd.Series | None:
    """Check an optional non-negative numeric column; return it as floats.

    With ``required``, empty cells and NaN are problems too (weights).
    """
    if column not in table.frame.columns:
        return None
    raw = table.frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    blank = (raw.isna() | (raw.astype(str).str.strip() == "")).to_numpy(dtype=bool)
    bad_text = values.isna().to_numpy(dtype=bool) & ~blank
    for pos in np.flatnonzero(bad_text):
        message, fix = number_problem(raw.iloc[pos], column)
        problems.append(
            Problem(
                message + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=column,
                fix=fix
                or (
                    "write a number (0 or more)."
                    if required
                    else "write a number, or leave the cell empty if unknown."
                ),
            )
        )
    if required:
        for pos in np.flatnonzero(blank):
            problems.append(
                Problem(
                    f"missing {column} (empty or NaN)." + table.where(pos),
                    file=table.name,
                    row=int(pos) + 1,
                    field=column,
                    fix=f"write the {column} (0 or more), or delete the row.",
                )
            )
    negative = (values < 0).fillna(False).to_numpy(dtype=bool)
    infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    for pos in np.flatnonzero(negative | infinite):
        kind = "negative" if negative[pos] else "infinite"
        problems.append(
            Problem(
                f"{kind} {column} {float(values.iloc[pos])!r}." + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=column,
                fix=f"{column} must be a finite number, 0 or more.",
            )
        )
    return values.astype(float)


def _points(
    table: Table,
    *,
    kind: Kind,
    id_column: str | None = None,
    lon: str | None,
    lat: str | None,
    datum: str | None,
    crs: Any,
    area: Area | None,
    area_buffer_m: float,
    problems: list[Problem],
    unstated_datum: Literal["warn", "problem"] = "warn",
) -> gpd.GeoDataFrame:
    """Validate a loaded table as ``kind``; collect problems; return the points."""
    keep: list[Hashable] = [c for c in (lon, lat) if c is not None]
    aliases = dict(COLUMN_ALIASES)
    if id_column != "id":
        aliases.pop("id")  # an id column named by the caller: leave 编号 alone
    if id_column is not None:
        keep.append(id_column)
    table, renamed = canonical_columns(table, keep=keep, aliases=aliases)
    if id_column not in (None, "id") and id_column not in table.frame.columns:
        # an id column the caller named: results would be labelled by row numbers instead
        found = [str(c) for c in _as_read(table, renamed).frame.columns]
        problems.append(
            Problem(
                f"the id column {id_column!r} is not in the {kind} table; its columns are {found}.",
                file=table.name,
                field=str(id_column),
                fix="name one of those columns as the id (id_column= in Python, id = in a "
                "scenario), or leave it out to number the rows.",
            )
        )
    if id_column is not None and table.from_file and id_column in table.frame.columns:
        ids = table.frame[id_column]
        if ids.dtype.kind in "iu":  # ids are labels: read them as text, like CSV ids
            table = replace(table, frame=table.frame.assign(**{id_column: ids.astype(str)}))
    start = len(problems)
    # coordinates are found among the file's own headers, so messages list those
    result = read_point_table(
        _as_read(table, renamed),
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        area=area,
        area_buffer_m=area_buffer_m,
        problems=problems,
        unstated_datum=unstated_datum,
    ).rename(columns={old: new for new, old in renamed.items()})
    result.attrs["columns"] = renamed
    if kind in ("stations", "candidates"):
        if id_column:
            _check_unique_ids(table, id_column, problems)
        numeric = {c: _check_numeric_column(table, c, problems) for c in ("capacity", "cost")}
        numeric["weight"] = _check_numeric_column(table, "weight", problems, required=True)
        if kind == "stations":
            _check_hours(table, "hours", problems)
        for column, values in numeric.items():
            if values is not None:
                result[column] = values.to_numpy()
    elif kind == "points":
        weights = _check_numeric_column(table, "weight", problems, required=True)
        if weights is not None:
            result["weight"] = weights.to_numpy()
    _own_headers(problems, start, renamed)
    return result


def _as_read(table: Table, renamed: Mapping[str, str]) -> Table:
    """Return the table under the headers of its source (undo ``canonical_columns``)."""
    if not renamed:
        return table
    return replace(table, frame=table.frame.rename(columns=dict(renamed)))


def _own_headers(problems: list[Problem], start: int, renamed: Mapping[str, str]) -> None:
    """Name the source's own header (``人口``) in problems about a renamed column (``weight``)."""
    for k in range(start, len(problems)):
        field = problems[k].field
        if field is not None and field in renamed:
            problems[k] = replace(problems[k], field=renamed[field])


def read_points(
    source: Source,
    *,
    lon: str | None = None,
    lat: str | None = None,
    datum: str | None = None,
    crs: Any = None,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    area: Area | None = None,
    area_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read points from a file or a DataFrame, validated, in WGS84.

    Parameters
    ----------
    source
        A path (``.csv``, ``.tsv``, ``.txt`` (optionally ``.gz``/``.bz2``/
        ``.zip``/``.xz``), ``.xlsx``, ``.xls``, ``.xlsm``, ``.xlsb``, ``.ods``,
        ``.geojson``, ``.json``, ``.gpkg``, ``.shp``, ``.fgb``, ``.parquet``) or a
        pandas DataFrame / geopandas GeoDataFrame.
    lon, lat
        Names of the longitude and latitude (or x and y) columns. By default
        they are found by name (see :data:`LON_NAMES`, :data:`LAT_NAMES`), a
        single ``"lng,lat"`` column by :data:`LOCATION_NAMES`, or the geometry
        is used when the source has one. Give the same name to both for a
        ``"lng,lat"`` column.
    datum
        ``"wgs84"`` (GPS, OpenStreetMap), ``"gcj02"`` (Amap/Gaode, Tencent) or
        ``"bd09"`` (Baidu); the latter two are converted to WGS84. ``None``
        (not said) reads WGS84 and warns (:class:`~planner._errors.DatumWarning`)
        when points lie in China.
    crs
        CRS of the coordinate columns (default WGS84 degrees), or of a geometry
        that has none (a GeoJSON file counts as having none: it always says
        WGS84); anything :meth:`pyproj.CRS.from_user_input` accepts.
    layer
        Layer of a multi-layer file (GeoPackage).
    sheet
        Sheet of an Excel workbook, by name or position (from 0); by default
        the only sheet that holds data.
    encoding
        Text encoding of a CSV file; by default detected (UTF-8, GB18030/GBK,
        UTF-16).
    area
        The area the points must fall in, in WGS84: a shapely geometry (e.g.
        the network's convex hull), a ``(minx, miny, maxx, maxy)`` box or a
        GeoSeries. Rows outside are reported.
    area_buffer_m
        Tolerance in metres around ``area``.

    Returns
    -------
    geopandas.GeoDataFrame
        All columns of the source (known headers renamed, see
        :data:`COLUMN_ALIASES`; ``weight`` checked and read as floats) and a
        WGS84 point ``geometry``; the index of a DataFrame source, or a
        RangeIndex for a file.

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
    >>> [round(v, 4) for v in gdf.geometry.x], gdf.attrs["datum"]
    ([116.3838, 116.3938], 'gcj02')
    """
    table = load_table(source, layer=layer, sheet=sheet, encoding=encoding)
    problems: list[Problem] = []
    result = _points(
        table,
        kind="points",
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
    missing = ids.isna().to_numpy() | (ids.astype(str).str.strip() == "").to_numpy()
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
    # ' A7' and 'A7' are one id to a person: compare them trimmed
    keys = ids.map(lambda v: v.strip() if isinstance(v, str) else v)
    duplicated = keys.duplicated(keep=False).to_numpy() & ~missing
    if not duplicated.any():
        return
    groups: dict[Any, list[int]] = {}
    for pos in np.flatnonzero(duplicated):
        groups.setdefault(keys.iloc[pos], []).append(int(pos) + 1)
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
    kind: Literal["stations", "candidates"],
    id_column: str | None,
    lon: str | None,
    lat: str | None,
    datum: str | None,
    crs: Any,
    layer: str | int | None,
    sheet: str | int | None,
    encoding: str | None,
    area: Area | None,
    area_buffer_m: float,
) -> gpd.GeoDataFrame:
    str_columns = [id_column] if id_column else []
    if id_column == "id":
        str_columns += list(COLUMN_ALIASES["id"])
    table = load_table(source, layer=layer, sheet=sheet, encoding=encoding, str_columns=str_columns)
    problems: list[Problem] = []
    result = _points(
        table,
        kind=kind,
        id_column=id_column,
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


def read_stations(
    source: Source,
    *,
    id_column: str | None = "id",
    lon: str | None = None,
    lat: str | None = None,
    datum: str | None = None,
    crs: Any = None,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    area: Area | None = None,
    area_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read existing stations (worker stations, driver homes, ...), validated.

    Like :func:`read_points`, and checks the optional columns stations have
    (found under their English or Chinese headers, see :data:`COLUMN_ALIASES`):

    * ``id`` (``id_column``; ``编号``): present in every row and unique; read as text.
    * ``name`` (``名称``, ``站点名称``, ``驿站名称``), ``address`` (``地址``),
      ``kind`` (``类型``, ``type``): text, kept (maps show the name).
    * ``hours`` (``开放时间``, ``营业时间``): opening hours, ``"08:00-20:00"``,
      ``"08:00-12:00,14:00-20:00"`` or ``"24/7"`` (see
      :func:`planner.hours.parse_hours`); empty means unknown.
    * ``capacity``, ``cost``: numbers of 0 or more (returned as floats).
    * ``weight`` (``人口``, ``人数``, ``数量``, ``population``): a number of 0
      or more in every row.

    Parameters
    ----------
    source
        A file path or a (Geo)DataFrame, as for :func:`read_points`.
    id_column
        Name of the id column, or None to skip the id check.
    lon, lat, datum, crs, layer, sheet, encoding, area, area_buffer_m
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
    >>> df = pd.DataFrame({"编号": ["s1", "s2"], "站点名称": ["北站", "南站"],
    ...                    "lng": [114.05, 114.06], "lat": [22.54, 22.55],
    ...                    "营业时间": ["24/7", "08:00-20:00"]})
    >>> stations = read_stations(df, datum="gcj02")
    >>> stations[["id", "name", "hours"]].values.tolist()
    [['s1', '北站', '24/7'], ['s2', '南站', '08:00-20:00']]
    """
    return _read_sites(
        source,
        kind="stations",
        id_column=id_column,
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        layer=layer,
        sheet=sheet,
        encoding=encoding,
        area=area,
        area_buffer_m=area_buffer_m,
    )


def read_candidates(
    source: Source,
    *,
    id_column: str | None = "id",
    lon: str | None = None,
    lat: str | None = None,
    datum: str | None = None,
    crs: Any = None,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    area: Area | None = None,
    area_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read candidate sites for new stations, validated.

    Like :func:`read_points`, and checks the optional columns: ``id``
    (``id_column``) present and unique, ``capacity`` and ``cost`` numbers of 0
    or more (returned as floats), ``weight`` a number of 0 or more in every row.
    Headers are read as in :func:`read_stations`.

    Parameters
    ----------
    source
        A file path or a (Geo)DataFrame, as for :func:`read_points`.
    id_column
        Name of the id column, or None to skip the id check.
    lon, lat, datum, crs, layer, sheet, encoding, area, area_buffer_m
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
    >>> read_candidates(df, datum="wgs84")["cost"].tolist()
    [100.0, 250.5]
    """
    return _read_sites(
        source,
        kind="candidates",
        id_column=id_column,
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        layer=layer,
        sheet=sheet,
        encoding=encoding,
        area=area,
        area_buffer_m=area_buffer_m,
    )


# --------------------------------------------------------------------------- traces


def _trace_columns(
    table: Table, driver: str | None, time: str | None
) -> tuple[Table, str, str, dict[str, str]]:
    """Find the driver and time columns; rename found (not named) ones to planner's names."""
    aliases = {
        canonical: names
        for canonical, names, given in (
            ("driver_id", TRACE_ALIASES["driver_id"], driver),
            ("time", TRACE_ALIASES["time"], time),
        )
        if given is None
    }
    columns = [str(c) for c in table.frame.columns]
    table, renamed = canonical_columns(
        table, keep=[c for c in (driver, time) if c is not None], aliases=aliases
    )
    driver_col = driver if driver is not None else "driver_id"
    time_col = time if time is not None else "time"
    problems = []
    for arg, name, given in (("driver", driver_col, driver), ("time", time_col, time)):
        if name in table.frame.columns:
            continue
        tried = "" if given is not None else f" (names tried: {', '.join(TRACE_ALIASES[name])})"
        problems.append(
            Problem(
                f"no {arg} column {name!r}; the columns are {columns}{table.read_as}{tried}.",
                file=table.name,
                field=name,
                fix=f"pass {arg}='<column>'.",
            )
        )
    if problems:
        raise InputError(problems)
    return table, driver_col, time_col, renamed


def _traces(
    table: Table,
    *,
    driver: str | None,
    time: str | None,
    lon: str | None,
    lat: str | None,
    datum: str | None,
    tz: str,
    crs: Any,
    area: Area | None,
    area_buffer_m: float,
    problems: list[Problem],
    unstated_datum: Literal["warn", "problem"] = "warn",
) -> gpd.GeoDataFrame:
    table, driver_col, time_col, renamed = _trace_columns(table, driver, time)
    start = len(problems)
    result = read_point_table(
        _as_read(table, renamed),
        lon=lon,
        lat=lat,
        datum=datum,
        crs=crs,
        area=area,
        area_buffer_m=area_buffer_m,
        problems=problems,
        unstated_datum=unstated_datum,
    ).rename(columns={old: new for new, old in renamed.items()})
    result.attrs["columns"] = renamed
    ids = table.frame[driver_col]
    blank = ids.isna().to_numpy() | (ids.astype(str).str.strip() == "").to_numpy()
    for pos in np.flatnonzero(blank):
        problems.append(
            Problem(
                "missing driver id." + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=driver_col,
                fix="fill in the driver or delete the row.",
            )
        )
    times = parse_timestamps(
        table.frame[time_col], tz=tz, field=time_col, file=table.name, problems=problems
    )
    _own_headers(problems, start, renamed)
    result[time_col] = times.dt.tz_convert("UTC").array
    return result


def read_traces(
    source: Source,
    *,
    driver: str | None = None,
    time: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    datum: str | None = None,
    tz: str = "Asia/Shanghai",
    crs: Any = None,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
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
        By default one of :data:`TRACE_ALIASES` (``driver_id``, ``driver``,
        ``rider_id``, ``vehicle_id``, ``司机``, ``骑手``, ``车牌号`` ...), returned
        as ``driver_id``; a column named here keeps its name.
    time
        Column of timestamps: text (ISO 8601 like ``2024-05-01 08:30:00`` or
        with an offset ``...+08:00``/``Z``; other common forms are tried too),
        datetimes, or numbers (Unix epoch seconds, or milliseconds when larger
        than 1e11). By default ``time``, ``timestamp``, ``datetime``,
        ``时间``, ``定位时间`` ..., returned as ``time``.
    lon, lat, datum, crs, layer, sheet, encoding, area, area_buffer_m
        As for :func:`read_points`.
    tz
        IANA time zone of times written without an offset (default China).

    Returns
    -------
    geopandas.GeoDataFrame
        All columns, the time column as timezone-aware UTC timestamps, and
        WGS84 point geometry, sorted by driver and time (stable). The index is
        that of a DataFrame source, or the 0-based file row for a file.

    Raises
    ------
    InputError
        With every problem found, including bad timestamps by row.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"骑手": ["b", "a", "a"], "定位时间": ["2024-05-01 08:01",
    ...     "2024-05-01 08:05", "2024-05-01 08:00"], "lon": [116.30, 116.31, 116.32],
    ...     "lat": [39.90, 39.91, 39.92]})
    >>> traces = read_traces(df, datum="wgs84")
    >>> traces.index.tolist(), str(traces["time"].iloc[0]), traces.attrs["columns"]
    ([2, 1, 0], '2024-05-01 00:00:00+00:00', {'driver_id': '骑手', 'time': '定位时间'})
    """
    check_tz(tz)
    str_columns = [driver] if driver is not None else list(TRACE_ALIASES["driver_id"])
    table = load_table(source, layer=layer, sheet=sheet, encoding=encoding, str_columns=str_columns)
    problems: list[Problem] = []
    result = _traces(
        table,
        driver=driver,
        time=time,
        lon=lon,
        lat=lat,
        datum=datum,
        tz=tz,
        crs=crs,
        area=area,
        area_buffer_m=area_buffer_m,
        problems=problems,
    )
    _raise(problems)
    driver_col = driver if driver is not None else "driver_id"
    time_col = time if time is not None else "time"
    return result.sort_values([driver_col, time_col], kind="stable")


# --------------------------------------------------------------------------- checking files


def check_file(
    source: Source,
    *,
    kind: Kind,
    sample_rows: int | None = 10_000,
    **options: Any,
) -> list[Problem]:
    """Check an input file as its reader would, on a sample, and return every problem.

    The file is opened, its headers found, its first ``sample_rows`` rows
    validated (coordinates, CRS, ids, weights, hours, timestamps), and points
    in China without a stated datum are a problem (field ``datum``), not a
    warning. Nothing is raised for a bad file: its problems are returned.

    Parameters
    ----------
    source
        A file path or a (Geo)DataFrame.
    kind
        The reader it is for: ``"points"``, ``"stations"``, ``"candidates"`` or
        ``"traces"``.
    sample_rows
        Rows read (``None``: all).
    **options
        The reader's options (``lon``, ``lat``, ``datum``, ``crs``, ``layer``,
        ``sheet``, ``encoding``, ``id_column``, ``driver``, ``time``, ``tz``).

    Returns
    -------
    list of Problem
        Empty when the sample is good.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lng": [111.67, 111.68], "lat": [40.82, 40.83]})
    >>> [p.field for p in check_file(df, kind="points")]
    ['datum']
    >>> check_file(df, kind="points", datum="gcj02")
    []
    """
    known = {"lon", "lat", "datum", "crs", "layer", "sheet", "encoding"}
    known |= {"id_column"} if kind in ("stations", "candidates") else set()
    known |= {"driver", "time", "tz"} if kind == "traces" else set()
    unknown = sorted(set(options) - known)
    if unknown:
        msg = f"unknown options {unknown} for a {kind} file."
        raise InputError(msg, field=unknown[0], fix=f"use {', '.join(sorted(known))}.")
    problems: list[Problem] = []
    id_column = options.get("id_column", "id" if kind in ("stations", "candidates") else None)
    if kind == "traces":
        driver = options.get("driver")
        str_columns = [driver] if driver is not None else list(TRACE_ALIASES["driver_id"])
    elif id_column is not None:
        str_columns = [id_column] + (list(COLUMN_ALIASES["id"]) if id_column == "id" else [])
    else:
        str_columns = []
    common = {k: options.get(k) for k in ("lon", "lat", "datum", "crs")}
    with warnings.catch_warnings():
        # a check reports; the reader's warnings would repeat its problems
        warnings.simplefilter("ignore")
        try:
            table = load_table(
                source,
                layer=options.get("layer"),
                sheet=options.get("sheet"),
                encoding=options.get("encoding"),
                str_columns=str_columns,
                nrows=sample_rows,
            )
            if kind == "traces":
                tz = options.get("tz") or "Asia/Shanghai"
                check_tz(tz)
                _traces(
                    table,
                    driver=options.get("driver"),
                    time=options.get("time"),
                    tz=tz,
                    area=None,
                    area_buffer_m=0.0,
                    problems=problems,
                    unstated_datum="problem",
                    **common,
                )
            else:
                _points(
                    table,
                    kind=kind,
                    id_column=id_column,
                    area=None,
                    area_buffer_m=0.0,
                    problems=problems,
                    unstated_datum="problem",
                    **common,
                )
        except InputError as error:
            problems.extend(error.problems)
    return problems


__all__ = [
    "COLUMN_ALIASES",
    "LAT_NAMES",
    "LOCATION_NAMES",
    "LON_NAMES",
    "SUPPORTED_SUFFIXES",
    "TRACE_ALIASES",
    "Area",
    "BBox",
    "Source",
    "check_file",
    "parse_hours",
    "parse_timestamps",
    "read_candidates",
    "read_points",
    "read_stations",
    "read_traces",
]
