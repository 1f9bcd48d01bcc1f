"""Tables in: read a file or a DataFrame into memory, find its columns, place its points.

The private half of :mod:`planner.io`, whose readers are the public face:

- loading: which file types are read and how (CSV/TSV/TXT, optionally
  compressed, in UTF-8 or GB18030; GeoJSON, GeoPackage, Shapefile, FlatGeobuf
  through pyogrio; (Geo)Parquet), and the errors for files that cannot be read;
- columns: find a column by its aliases, read a column as numbers with a problem
  per bad row;
- points: :func:`read_point_table` turns a loaded table's coordinate columns or
  point geometry into validated WGS84 points (CRS, datum, ranges, swapped
  longitude/latitude, points outside an area), collecting every problem.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeAlias

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

__all__ = [
    "DATAFRAME_NAME",
    "LAT_NAMES",
    "LON_NAMES",
    "SUPPORTED_SUFFIXES",
    "Area",
    "BBox",
    "BoolArray",
    "FloatArray",
    "Source",
    "Table",
    "find_column",
    "load_table",
    "numeric_column",
    "plain",
    "read_point_table",
]

Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"
"""A file path, or a pandas/geopandas DataFrame."""

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

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

DATAFRAME_NAME: Final = "<DataFrame>"


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Table:
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


def load_table(
    source: Source, *, layer: str | int | None, str_columns: Sequence[str] = ()
) -> Table:
    """Read a source into a (Geo)DataFrame; raise InputError if it cannot be read."""
    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            msg = "the DataFrame has no rows."
            raise InputError(msg, file=DATAFRAME_NAME, fix="pass a table with at least one row.")
        return Table(source, DATAFRAME_NAME, from_file=False)
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
    return Table(frame, name, from_file=True)


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


def find_column(
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


def numeric_column(
    table: Table, column: Hashable, problems: list[Problem]
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
            text = f"non-numeric coordinate {plain(raw.iloc[pos])!r}."
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


def plain(value: Any) -> Any:
    """Return a numpy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------- coordinates


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


@dataclass
class _Coords:
    """Coordinates found in a table, before range, datum and area checks."""

    x: FloatArray
    y: FloatArray
    ok: BoolArray
    crs: CRS | None  # None: WGS84 degrees
    lon_name: str | None  # the columns, or None for a geometry source
    lat_name: str | None


def _coords_from_geometry(table: Table, crs: CRS | None, problems: list[Problem]) -> _Coords:
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
    table: Table,
    lon: str | None,
    lat: str | None,
    crs: CRS | None,
    problems: list[Problem],
) -> _Coords:
    columns = [c for c in table.frame.columns if c != _geometry_name(table.frame)]
    lon_col, lon_problem = find_column(columns, lon, LON_NAMES, "longitude", "lon")
    lat_col, lat_problem = find_column(columns, lat, LAT_NAMES, "latitude", "lat")
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
    x, x_ok = numeric_column(table, lon_col, problems)
    y, y_ok = numeric_column(table, lat_col, problems)
    return _Coords(x, y, x_ok & y_ok, crs, str(lon_col), str(lat_col))


def _geometry_name(frame: pd.DataFrame) -> Hashable | None:
    if isinstance(frame, gpd.GeoDataFrame):
        name = frame.active_geometry_name
        if name is not None and name in frame.columns:
            return name
    return None


def _uses_geometry(table: Table, lon: str | None, lat: str | None) -> bool:
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
    table: Table, coords: _Coords, problems: list[Problem]
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
    table: Table,
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


# --------------------------------------------------------------------------- the points of a table


def read_point_table(
    table: Table,
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
    return gpd.GeoDataFrame(data, geometry=points, crs=4326)
