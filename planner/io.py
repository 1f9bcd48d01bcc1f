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

import logging
import os
import re
import zoneinfo
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from planner._errors import DatumError, InputError, Problem
from planner.crs import in_china, local_metric_crs, normalize_datum, to_wgs84

logger = logging.getLogger(__name__)

Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"
"""A file path, or a pandas/geopandas DataFrame."""

BBox: TypeAlias = tuple[float, float, float, float]
Area: TypeAlias = "BaseGeometry | BBox | gpd.GeoSeries | gpd.GeoDataFrame"
"""An area in WGS84: a shapely geometry, a (minx, miny, maxx, maxy) box, or a GeoSeries."""

LON_NAMES: Final[tuple[str, ...]] = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_NAMES: Final[tuple[str, ...]] = ("lat", "latitude", "y", "纬度")

_CSV_SUFFIXES: Final = (".csv", ".tsv", ".txt")
_COMPRESSION_SUFFIXES: Final = (".gz", ".bz2", ".zip", ".xz", ".zst")
_VECTOR_SUFFIXES: Final = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".geojsonl")
_PARQUET_SUFFIXES: Final = (".parquet", ".geoparquet", ".pq")
SUPPORTED_SUFFIXES: Final[tuple[str, ...]] = _CSV_SUFFIXES + _VECTOR_SUFFIXES + _PARQUET_SUFFIXES

_DATAFRAME_NAME: Final = "<DataFrame>"
_HOURS_RANGE: Final = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
_TZ_SUFFIX: Final = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class _Table:
    """A source read into memory, with the name used in messages."""

    frame: pd.DataFrame
    name: str
    from_file: bool

    def where(self, pos: int | np.integer[Any]) -> str:
        """Describe a row for a DataFrame whose index is not the default one."""
        if self.from_file or self.frame.index.equals(pd.RangeIndex(len(self.frame))):
            return ""
        return f" (index {self.frame.index[int(pos)]!r})"


def _suffixes(path: Path) -> tuple[str, str]:
    """Return (format suffix, compression suffix) of a path, lower case."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = ""
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        compression = suffixes.pop()
    return (suffixes[-1] if suffixes else ""), compression


def _read_csv(path: Path, sep: str, str_columns: Sequence[str]) -> pd.DataFrame:
    dtype = dict.fromkeys(str_columns, str)
    try:
        frame = pd.read_csv(path, sep=sep, dtype=dtype, encoding="utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        # Chinese spreadsheets are often saved in GBK / GB18030.
        encoding = "gb18030"
        frame = pd.read_csv(path, sep=sep, dtype=dtype, encoding=encoding)
    if len(frame.columns) == 1:
        header = str(frame.columns[0])
        for other in (";", "\t", "|"):
            if other != sep and other in header:
                return pd.read_csv(path, sep=other, dtype=dtype, encoding=encoding)
    return frame


def _load(source: Source, *, layer: str | int | None, str_columns: Sequence[str] = ()) -> _Table:
    """Read a source into a (Geo)DataFrame; raise InputError if it cannot be read."""
    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            msg = "the DataFrame has no rows."
            raise InputError(msg, file=_DATAFRAME_NAME, fix="pass a table with at least one row.")
        return _Table(source, _DATAFRAME_NAME, from_file=False)
    if not isinstance(source, str | os.PathLike):
        msg = f"cannot read a {type(source).__name__}."
        raise InputError(
            msg, field="source", fix="pass a file path, a DataFrame or a GeoDataFrame."
        )
    path = Path(source)
    name = str(path)
    if not path.exists():
        msg = f"file not found (looked for {path.resolve()})."
        raise InputError(
            msg, file=name, fix=f"check the path (relative paths start from {Path.cwd()})."
        )
    if path.is_dir():
        msg = f"{name} is a folder, not a file."
        raise InputError(msg, file=name, fix="pass the path of a file in it.")
    suffix, compression = _suffixes(path)
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if suffix not in SUPPORTED_SUFFIXES or (compression and suffix not in _CSV_SUFFIXES):
        shown = suffix + compression or "(none)"
        msg = f"unsupported file type '{shown}'."
        raise InputError(
            msg,
            file=name,
            fix=(
                f"save it as CSV, GeoJSON, GeoPackage or Parquet (supported: {supported}; "
                "CSV may be compressed .gz/.bz2/.zip/.xz), or read it yourself and pass "
                "a DataFrame."
            ),
        )
    if path.is_file() and path.stat().st_size == 0:
        msg = "the file is empty."
        raise InputError(msg, file=name, fix="write a header line and at least one data row.")
    try:
        frame = _read_path(path, suffix, layer=layer, str_columns=str_columns)
    except InputError:
        raise
    except pd.errors.EmptyDataError as e:
        msg = "the file is empty."
        raise InputError(
            msg, file=name, fix="write a header line and at least one data row."
        ) from e
    except Exception as e:  # any reader failure: report it with the file name
        msg = f"cannot read the file as {suffix[1:].upper()}: {e}"
        raise InputError(
            msg, file=name, fix="check that the file is complete and in the format its name says."
        ) from e
    if len(frame) == 0:
        msg = "the file has no data rows (only a header)."
        raise InputError(msg, file=name, fix="add at least one data row.")
    return _Table(frame, name, from_file=True)


def _read_path(
    path: Path, suffix: str, *, layer: str | int | None, str_columns: Sequence[str]
) -> pd.DataFrame:
    if suffix in _CSV_SUFFIXES:
        return _read_csv(path, "\t" if suffix == ".tsv" else ",", str_columns)
    if suffix in _PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        metadata = pq.read_schema(path).metadata or {}
        if b"geo" in metadata:
            return gpd.read_parquet(path)
        return pd.read_parquet(path)
    if layer is None:
        layers = pyogrio.list_layers(path)
        if len(layers) > 1:
            names = ", ".join(repr(str(n)) for n in layers[:, 0])
            msg = f"the file has {len(layers)} layers: {names}."
            raise InputError(msg, file=str(path), fix="choose one with layer='<name>'.")
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    for column in str_columns:
        if column in frame.columns and frame[column].dtype.kind in "iu":
            # ids read as numbers by the driver: keep them as text like CSV does
            frame[column] = frame[column].astype(str)
    return frame


# --------------------------------------------------------------------------- columns


def _find_column(
    columns: Sequence[Hashable], given: str | None, names: Sequence[str], role: str, arg: str
) -> tuple[Hashable | None, Problem | None]:
    """Find the column for ``role`` ("longitude"/"latitude"); return it or a problem."""
    found = [str(c) for c in columns]
    if given is not None:
        if given in columns:
            return given, None
        close = [c for c in columns if str(c).strip().lower() == given.strip().lower()]
        if len(close) == 1:
            return close[0], None
        return None, Problem(
            f"{arg}={given!r} is not a column; the columns are {found}.",
            field=given,
            fix=f"pass {arg}= one of those names.",
        )
    matches = [c for c in columns if str(c).strip().lower() in names]
    if len(matches) == 1:
        return matches[0], None
    if len(matches) > 1:
        listed = " and ".join(repr(str(c)) for c in matches)
        return None, Problem(
            f"ambiguous {role} column: {listed} could each be the {role}.",
            field=str(matches[0]),
            fix=f"choose one with {arg}='<column>'.",
        )
    return None, Problem(
        f"no {role} column found; the columns are {found} and the names tried "
        f"(any case) are {', '.join(names)}.",
        fix="pass lon='<longitude column>' and lat='<latitude column>'.",
    )


def _numeric(
    table: _Table, column: Hashable, problems: list[Problem]
) -> tuple[FloatArray, BoolArray]:
    """Return a column as floats and a mask of rows usable; record problems by row."""
    raw = table.frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    bad = ~np.isfinite(values)
    for pos in np.flatnonzero(bad):
        if missing[pos]:
            text = "empty coordinate (missing value)."
            fix = "fill in the value or delete the row."
        else:
            text = f"non-numeric coordinate {_plain(raw.iloc[pos])!r}."
            fix = (
                "write the value as a decimal number in degrees (e.g. 116.3975) or delete the row."
            )
        problems.append(
            Problem(
                text + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=str(column),
                fix=fix,
            )
        )
    return values, ~bad


def _parse_crs(crs: Any, *, file: str) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except CRSError as e:
        msg = f"unknown CRS {crs!r}."
        raise DatumError(
            msg,
            file=file,
            field="crs",
            fix="pass an EPSG code such as 'EPSG:4326' (WGS84 degrees) or 'EPSG:32650' "
            "(UTM 50N metres), or a WKT/PROJ string.",
        ) from e


def _transform_to_wgs84(x: FloatArray, y: FloatArray, crs: CRS) -> tuple[FloatArray, FloatArray]:
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return x, y
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = transformer.transform(x, y, errcheck=False)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


# --------------------------------------------------------------------------- coordinates


@dataclass
class _Coords:
    """Coordinates found in a table, before range, datum and area checks."""

    x: FloatArray
    y: FloatArray
    ok: BoolArray
    crs: CRS | None  # None: WGS84 degrees
    lon_name: str | None  # the columns, or None for a geometry source
    lat_name: str | None


def _coords_from_geometry(table: _Table, crs: CRS | None, problems: list[Problem]) -> _Coords:
    frame = table.frame
    assert isinstance(frame, gpd.GeoDataFrame)
    source_crs = frame.crs
    if source_crs is None and crs is None:
        how = (
            "set it in the file (e.g. save it again with a CRS), or pass crs='EPSG:4326' "
            "(or the right EPSG code) to read_points."
            if table.from_file
            else "set it with gdf.set_crs('EPSG:4326') (or the right EPSG code), or pass crs=."
        )
        msg = "the geometry has no CRS, so its coordinates cannot be placed."
        raise InputError(msg, file=table.name, field=frame.geometry.name, fix=how)
    if source_crs is not None and crs is not None and not CRS(source_crs).equals(crs):
        msg = f"crs={crs.to_string()!r} conflicts with the source's CRS {source_crs.to_string()!r}."
        raise DatumError(
            msg, file=table.name, field="crs", fix="drop crs= (the source's own CRS is used)."
        )
    geoms = frame.geometry.array
    kinds = shapely.get_type_id(np.asarray(geoms))
    missing = shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms))
    point = (kinds == shapely.GeometryType.POINT) & ~missing
    for pos in np.flatnonzero(~point):
        if missing[pos]:
            text, fix = "missing or empty geometry.", "give the feature a point or delete it."
        else:
            kind = shapely.get_type_id(geoms[pos])
            text = f"geometry is a {shapely.GeometryType(kind).name.title()}, not a Point."
            fix = "convert to points first, e.g. gdf.representative_point()."
        problems.append(
            Problem(
                text + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=str(frame.geometry.name),
                fix=fix,
            )
        )
    x = np.full(len(frame), np.nan)
    y = np.full(len(frame), np.nan)
    x[point] = shapely.get_x(np.asarray(geoms)[point])
    y[point] = shapely.get_y(np.asarray(geoms)[point])
    ok = point & np.isfinite(x) & np.isfinite(y)
    return _Coords(x, y, ok, CRS(source_crs) if source_crs is not None else crs, None, None)


def _coords_from_columns(
    table: _Table,
    lon: str | None,
    lat: str | None,
    crs: CRS | None,
    problems: list[Problem],
) -> _Coords:
    columns = [c for c in table.frame.columns if c != _geometry_name(table.frame)]
    lon_col, lon_problem = _find_column(columns, lon, LON_NAMES, "longitude", "lon")
    lat_col, lat_problem = _find_column(columns, lat, LAT_NAMES, "latitude", "lat")
    found = [p for p in (lon_problem, lat_problem) if p is not None]
    if found:
        # Without both columns nothing else can be checked: raise now.
        raise InputError(
            [Problem(p.message, file=table.name, field=p.field, fix=p.fix) for p in found]
        )
    assert lon_col is not None
    assert lat_col is not None
    if lon_col == lat_col:
        msg = f"the same column {str(lon_col)!r} was given for longitude and latitude."
        raise InputError(msg, file=table.name, field=str(lon_col), fix="pass two columns.")
    x, x_ok = _numeric(table, lon_col, problems)
    y, y_ok = _numeric(table, lat_col, problems)
    return _Coords(x, y, x_ok & y_ok, crs, str(lon_col), str(lat_col))


def _geometry_name(frame: pd.DataFrame) -> Hashable | None:
    if isinstance(frame, gpd.GeoDataFrame):
        name = frame.active_geometry_name
        if name is not None and name in frame.columns:
            return name
    return None


def _uses_geometry(table: _Table, lon: str | None, lat: str | None) -> bool:
    name = _geometry_name(table.frame)
    if name is None or lon is not None or lat is not None:
        return False
    geoms = np.asarray(table.frame[name].array)
    return not bool(shapely.is_missing(geoms).all())


def _swap_fix(coords: _Coords) -> str:
    if coords.lon_name is not None:
        return f"pass lon={coords.lat_name!r} lat={coords.lon_name!r}."
    return (
        "swap x and y in the geometry, e.g. "
        "gdf.set_geometry(gpd.points_from_xy(gdf.geometry.y, gdf.geometry.x, crs=gdf.crs))."
    )


def _check_ranges(
    table: _Table, coords: _Coords, problems: list[Problem]
) -> tuple[FloatArray, FloatArray, BoolArray, bool]:
    """Convert to WGS84 degrees and check ranges; return lon, lat, ok, swapped."""
    x, y, ok = coords.x, coords.y, coords.ok.copy()
    geographic = coords.crs is None or coords.crs.is_geographic
    if coords.crs is not None:
        lon, lat = _transform_to_wgs84(np.where(ok, x, 0.0), np.where(ok, y, 0.0), coords.crs)
        lon, lat = np.where(ok, lon, np.nan), np.where(ok, lat, np.nan)
    else:
        lon, lat = x.copy(), y.copy()
    in_range = ok & (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)
    bad = ok & ~in_range
    if not bad.any():
        return lon, lat, ok, False
    lon_field = coords.lon_name or "geometry"
    lat_field = coords.lat_name or "geometry"
    swapped_ok = geographic & (np.abs(lat) <= 180.0) & (np.abs(lon) <= 90.0)
    if geographic and swapped_ok[ok].all() and 2 * bad.sum() >= ok.sum():
        # Most rows are invalid as given and every row is valid swapped: the columns
        # (or the geometry's axes) are exchanged.
        rows = np.flatnonzero(bad)
        first = int(rows[0])
        shown = ", ".join(str(r + 1) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        problems.append(
            Problem(
                f"longitude and latitude look swapped: {len(rows)} of {int(ok.sum())} rows "
                f"(rows {shown}) have a latitude outside [-90, 90] that would be valid "
                f"as a longitude, e.g. row {first + 1} has lon={float(lon[first])!r}, "
                f"lat={float(lat[first])!r}.",
                file=table.name,
                field=f"{lon_field}/{lat_field}" if coords.lon_name else lon_field,
                fix=_swap_fix(coords),
            )
        )
        return lon, lat, ok & in_range, True
    hint = (
        " If these are projected coordinates (metres), pass crs='EPSG:<code>'."
        if geographic
        else ""
    )
    # A few rows with the two values exchanged: swapped, they land among the good rows.
    good = ok & in_range
    near_good = np.zeros(len(lon), dtype=bool)
    if good.any():
        minx, maxx = lon[good].min() - 1.0, lon[good].max() + 1.0
        miny, maxy = lat[good].min() - 1.0, lat[good].max() + 1.0
        near_good = (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
    for pos in np.flatnonzero(bad):
        if swapped_ok[pos] and near_good[pos]:
            problems.append(
                Problem(
                    f"longitude and latitude look swapped in this row: lon={float(lon[pos])!r}, "
                    f"lat={float(lat[pos])!r}." + table.where(pos),
                    file=table.name,
                    row=int(pos) + 1,
                    field=f"{lon_field}/{lat_field}" if coords.lon_name else lon_field,
                    fix="exchange the two values in this row.",
                )
            )
            continue
        if not np.isfinite(lon[pos]) or not np.isfinite(lat[pos]):
            text = (
                f"({float(x[pos])!r}, {float(y[pos])!r}) cannot be converted from "
                f"{coords.crs.to_string() if coords.crs else 'the CRS'} to longitude/latitude."
            )
            field = lon_field
        elif abs(lon[pos]) > 180.0:
            text = f"longitude {float(lon[pos])!r} is outside [-180, 180]."
            field = lon_field
        else:
            text = f"latitude {float(lat[pos])!r} is outside [-90, 90]."
            field = lat_field
        problems.append(
            Problem(
                text + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=field,
                fix="correct the value or delete the row." + hint,
            )
        )
    return lon, lat, ok & in_range, False


def _area_geometry(area: Area) -> BaseGeometry:
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        series = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        if series.crs is not None:
            series = series.to_crs(4326)
        return series.union_all()
    if isinstance(area, BaseGeometry):
        # a copy, so that preparing it leaves the caller's geometry alone
        return shapely.transform(area, lambda xy: xy)
    try:
        minx, miny, maxx, maxy = (float(v) for v in area)
    except (TypeError, ValueError) as e:
        msg = f"area must be a shapely geometry or a (minx, miny, maxx, maxy) box, got {area!r}."
        raise InputError(msg, field="area", fix="pass network.bbox or a polygon in WGS84.") from e
    if not (minx < maxx and miny < maxy):
        msg = f"area box {area!r} is empty: it needs minx < maxx and miny < maxy."
        raise InputError(msg, field="area", fix="pass (minx, miny, maxx, maxy) in WGS84 degrees.")
    return shapely.box(minx, miny, maxx, maxy)


def _distance_outside_m(lon: FloatArray, lat: FloatArray, area: BaseGeometry) -> FloatArray:
    """Distance in metres from each point to the area (0 inside)."""
    shapely.prepare(area)
    dist = np.zeros(len(lon))
    outside = ~shapely.contains_xy(area, lon, lat) & ~shapely.intersects_xy(area, lon, lat)
    if not outside.any():
        return dist
    centre = area.centroid if not area.is_empty else shapely.Point(0.0, 0.0)
    metric = local_metric_crs(centre.x, centre.y)
    to_metric = Transformer.from_crs(4326, metric, always_xy=True)
    area_m = shapely.transform(area, lambda xy: np.column_stack(to_metric.transform(*xy.T)))
    px, py = to_metric.transform(lon[outside], lat[outside])
    points = shapely.points(np.asarray(px), np.asarray(py))
    dist[outside] = shapely.distance(area_m, points)
    return dist


def _check_area(
    table: _Table,
    coords: _Coords,
    lon: FloatArray,
    lat: FloatArray,
    raw_lon: FloatArray,
    raw_lat: FloatArray,
    ok: BoolArray,
    area: Area,
    buffer_m: float,
    problems: list[Problem],
) -> None:
    geometry = _area_geometry(area)
    if not ok.any():
        return
    idx = np.flatnonzero(ok)
    dist = _distance_outside_m(lon[idx], lat[idx], geometry)
    outside = dist > buffer_m
    if not outside.any():
        return
    inside_count = int((~outside).sum())
    # Would the points lie inside if longitude and latitude were swapped?
    swap_valid = (np.abs(raw_lat[idx]) <= 180.0) & (np.abs(raw_lon[idx]) <= 90.0)
    swap_inside = np.zeros(len(idx), dtype=bool)
    if coords.crs is None or coords.crs.is_geographic:
        swap_inside[swap_valid] = shapely.intersects_xy(
            geometry, raw_lat[idx][swap_valid], raw_lon[idx][swap_valid]
        )
        if swap_inside[outside].all() and int(swap_inside.sum()) > inside_count:
            problems.append(
                Problem(
                    f"longitude and latitude look swapped: {int(outside.sum())} of {len(idx)} "
                    "points fall outside the area as given but inside it with longitude and "
                    "latitude exchanged.",
                    file=table.name,
                    field=f"{coords.lon_name}/{coords.lat_name}" if coords.lon_name else "geometry",
                    fix=_swap_fix(coords),
                )
            )
            return
    minx, miny, maxx, maxy = geometry.bounds
    for k in np.flatnonzero(outside):
        pos = int(idx[k])
        if swap_inside[k]:
            problems.append(
                Problem(
                    f"longitude and latitude look swapped in this row: ({raw_lon[pos]:.6f}, "
                    f"{raw_lat[pos]:.6f}) is outside the network's area but inside it with "
                    "the two values exchanged." + table.where(pos),
                    file=table.name,
                    row=pos + 1,
                    field=f"{coords.lon_name}/{coords.lat_name}" if coords.lon_name else "geometry",
                    fix="exchange the two values in this row.",
                )
            )
            continue
        problems.append(
            Problem(
                f"point ({lon[pos]:.6f}, {lat[pos]:.6f}) is {dist[k] / 1000.0:.2f} km outside "
                f"the network's area (bounds {minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f})."
                + table.where(pos),
                file=table.name,
                row=pos + 1,
                field=coords.lon_name or "geometry",
                fix="delete the row, use a network that covers it, or allow a margin with "
                "area_buffer_m=<metres>.",
            )
        )


# --------------------------------------------------------------------------- points


def _read_points(
    table: _Table,
    *,
    lon: str | None,
    lat: str | None,
    datum: str,
    crs: Any,
    area: Area | None,
    area_buffer_m: float,
    problems: list[Problem],
) -> gpd.GeoDataFrame:
    """Validate coordinates of a loaded table and build the WGS84 GeoDataFrame.

    Problems are appended to ``problems``; the caller raises them (with its own).
    """
    datum_name = normalize_datum(datum)
    parsed_crs = _parse_crs(crs, file=table.name) if crs is not None else None
    if area_buffer_m < 0 or not np.isfinite(area_buffer_m):
        msg = f"area_buffer_m must be a non-negative number of metres, got {area_buffer_m!r}."
        raise InputError(msg, field="area_buffer_m", fix="pass 0 or more.")
    if _uses_geometry(table, lon, lat):
        coords = _coords_from_geometry(table, parsed_crs, problems)
    else:
        coords = _coords_from_columns(table, lon, lat, parsed_crs, problems)
    raw_lon, raw_lat, ok, swapped = _check_ranges(table, coords, problems)
    wlon, wlat = raw_lon.copy(), raw_lat.copy()
    if datum_name != "wgs84" and ok.any():
        wlon[ok], wlat[ok] = to_wgs84(raw_lon[ok], raw_lat[ok], datum_name)
        outside = int((~in_china(raw_lon[ok], raw_lat[ok])).sum())
        if outside:
            logger.warning(
                "%s: %d of %d points lie outside China, where datum=%r applies no offset; "
                "check that the datum is right.",
                table.name,
                outside,
                int(ok.sum()),
                datum_name,
            )
    if area is not None and not swapped:
        _check_area(table, coords, wlon, wlat, raw_lon, raw_lat, ok, area, area_buffer_m, problems)
    frame = table.frame
    geometry_name = _geometry_name(frame)
    data = pd.DataFrame(frame.drop(columns=[geometry_name]) if geometry_name else frame)
    index = frame.index if not table.from_file else pd.RangeIndex(len(frame))
    data = data.set_axis(index, axis=0)
    points = gpd.points_from_xy(wlon, wlat, crs=4326)
    out = gpd.GeoDataFrame(data, geometry=points, crs=4326)
    out.attrs["datum"] = datum_name  # the datum given: outputs write coordinates back in it
    return out


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
    table = _load(source, layer=layer)
    problems: list[Problem] = []
    result = _read_points(
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


def parse_hours(text: str) -> tuple[tuple[int, int], ...]:
    """Parse opening hours into ``(open, close)`` minutes since midnight.

    Accepted: ``"24/7"``, ``"HH:MM-HH:MM"`` and comma-separated lists of such
    ranges. A range may end at ``24:00`` or pass midnight (``"22:00-06:00"``,
    returned with ``close < open``).

    Parameters
    ----------
    text
        The opening hours.

    Returns
    -------
    tuple of (int, int)
        The open ranges in minutes; ``((0, 1440),)`` for ``"24/7"``.

    Raises
    ------
    ValueError
        If the text is not in one of the accepted forms.

    Examples
    --------
    >>> parse_hours("08:00-12:00, 14:00-20:30")
    ((480, 720), (840, 1230))
    >>> parse_hours("24/7")
    ((0, 1440),)
    """
    value = str(text).strip()
    if value.lower() in ("24/7", "24h", "00:00-24:00"):
        return ((0, 1440),)
    ranges = []
    for part in value.split(","):
        match = _HOURS_RANGE.match(part.strip().replace("–", "-"))
        if match is None:
            msg = f"opening hours {text!r} are not like '08:00-20:00' or '24/7'."
            raise ValueError(msg)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end > 1440 or start == end:
            msg = f"opening hours {text!r}: range {part.strip()!r} is empty or past 24:00."
            raise ValueError(msg)
        ranges.append((start, end))
    return tuple(ranges)


def _plain(value: Any) -> Any:
    """Return a numpy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_unique_ids(table: _Table, column: str, problems: list[Problem]) -> None:
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
                f"id {_plain(value)!r} is used by rows {', '.join(map(str, rows))}; "
                "ids must be unique.",
                file=table.name,
                row=rows[1],
                field=column,
                fix="give each row its own id.",
            )
        )


def _check_numeric_column(table: _Table, column: str, problems: list[Problem]) -> pd.Series | None:
    """Check an optional non-negative numeric column; return it as floats."""
    if column not in table.frame.columns:
        return None
    raw = table.frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad_text = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    for pos in np.flatnonzero(bad_text.to_numpy()):
        problems.append(
            Problem(
                f"non-numeric {column} {_plain(raw.iloc[pos])!r}." + table.where(pos),
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


def _check_hours(table: _Table, column: str, problems: list[Problem]) -> None:
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
    table = _load(source, layer=layer, str_columns=str_columns)
    problems: list[Problem] = []
    result = _read_points(
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
      or ``"24/7"`` (see :func:`parse_hours`); empty means unknown.
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


# --------------------------------------------------------------------------- traces


def _check_tz(tz: str) -> str:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as e:
        msg = f"unknown time zone {tz!r}."
        raise InputError(
            msg, field="tz", fix="pass an IANA name such as 'Asia/Shanghai' or 'UTC'."
        ) from e
    return tz


def _parse_text_times(text: pd.Series) -> pd.Series:
    """Parse strings to datetimes (NaT where unparseable); ISO 8601 first, then any."""
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    retry = parsed.isna() & text.notna()
    if retry.any():
        parsed.loc[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
    return parsed


def _parse_times(table: _Table, column: str, tz: str, problems: list[Problem]) -> pd.Series:
    """Return the column as timezone-aware UTC timestamps; record bad rows."""
    raw = table.frame[column]
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        result = raw.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        result = raw.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    elif pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        seconds = raw.astype(float)
        unit: Literal["s", "ms"] = "ms" if seconds.abs().median() > 1e11 else "s"
        result = pd.to_datetime(seconds, unit=unit, utc=True, errors="coerce")
    else:
        text = raw.astype("string").str.strip()
        text = text.mask(text == "")
        aware = text.str.contains(_TZ_SUFFIX, na=False).to_numpy(dtype=bool)
        if aware.any():
            result.loc[aware] = pd.to_datetime(
                text[aware], errors="coerce", utc=True, format="ISO8601"
            )
        naive = ~aware & text.notna().to_numpy(dtype=bool)
        if naive.any():
            local = _parse_text_times(text[naive])
            result.loc[naive] = local.dt.tz_localize(
                tz, ambiguous="NaT", nonexistent="NaT"
            ).dt.tz_convert("UTC")
    missing = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    bad = result.isna().to_numpy()
    for pos in np.flatnonzero(bad):
        if missing[pos]:
            text_msg = "missing timestamp."
            fix = "fill in the time or delete the row."
        else:
            text_msg = (
                f"cannot read timestamp {_plain(raw.iloc[pos])!r} (or it does not exist in {tz})."
            )
            fix = (
                "write times like '2024-05-01 08:30:00' (local time in tz=) "
                "or in ISO 8601 with an offset."
            )
        problems.append(
            Problem(
                text_msg + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=column,
                fix=fix,
            )
        )
    return result


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
    table = _load(source, layer=layer, str_columns=[driver])
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
    result = _read_points(
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
    times = _parse_times(table, time, tz, problems)
    _raise(problems)
    result[time] = times.array
    return result.sort_values([driver, time], kind="stable")


__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
    "SUPPORTED_SUFFIXES",
    "Area",
    "BBox",
    "Source",
    "parse_hours",
    "read_candidates",
    "read_points",
    "read_stations",
    "read_traces",
]
