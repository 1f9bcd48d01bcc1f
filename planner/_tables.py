"""Tables in: find a loaded table's columns, place its points.

The private half of :mod:`planner.io`, whose readers are the public face
(files are loaded by :mod:`planner._files`):

- columns: find a column by its aliases (English and Chinese headers), rename
  the columns planners name in many ways to planner's names (``站点名称`` ->
  ``name``), read a column as numbers with a problem per bad row (a decimal
  comma is named as such);
- points: :func:`read_point_table` turns a loaded table's coordinate columns,
  its Amap-style ``"lng,lat"`` column or its point geometry into validated WGS84
  points (CRS, datum, ranges, swapped longitude/latitude, points outside an
  area), collecting every problem.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from planner._errors import DatumError, DatumWarning, InputError, Problem, warn
from planner._files import DATAFRAME_NAME, SUPPORTED_SUFFIXES, Source, Table, load_table
from planner.crs import in_china, local_metric_crs, normalize_datum, to_wgs84

logger = logging.getLogger(__name__)

__all__ = [
    "COLUMN_ALIASES",
    "DATAFRAME_NAME",
    "LAT_NAMES",
    "LOCATION_NAMES",
    "LON_NAMES",
    "SUPPORTED_SUFFIXES",
    "Area",
    "BBox",
    "BoolArray",
    "FloatArray",
    "Source",
    "Table",
    "area_geometry",
    "canonical_columns",
    "find_column",
    "load_table",
    "number_problem",
    "numeric_column",
    "plain",
    "read_point_table",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

BBox: TypeAlias = tuple[float, float, float, float]
Area: TypeAlias = "BaseGeometry | BBox | gpd.GeoSeries | gpd.GeoDataFrame"
"""An area in WGS84: a shapely geometry, a (minx, miny, maxx, maxy) box, or a GeoSeries."""

LON_NAMES: Final[tuple[str, ...]] = (
    "lon",
    "lng",
    "long",
    "longitude",
    "x",
    "经度",
    "gcj_lng",
    "gcj02_lng",
    "bd_lng",
)
LAT_NAMES: Final[tuple[str, ...]] = (
    "lat",
    "latitude",
    "y",
    "纬度",
    "gcj_lat",
    "gcj02_lat",
    "bd_lat",
)
LOCATION_NAMES: Final[tuple[str, ...]] = (
    "location",
    "lnglat",
    "lng_lat",
    "lonlat",
    "lon_lat",
    "coordinates",
    "coordinate",
    "坐标",
    "经纬度",
    "经纬度坐标",
    "位置",
)
"""Headers of a single ``"lng,lat"`` column (Amap exports call it ``location``)."""

COLUMN_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "id": ("id", "编号", "站点编号", "驿站编号", "序号", "code", "编码"),
    "name": ("name", "名称", "站点名称", "驿站名称", "站名", "站点", "名字", "station_name"),
    "address": ("address", "addr", "地址", "详细地址", "站点地址"),
    "kind": ("kind", "type", "类型", "类别", "站点类型"),
    "hours": ("hours", "opening_hours", "开放时间", "营业时间", "服务时间"),
    "weight": ("weight", "population", "pop", "人口", "人数", "数量", "常住人口"),
    "capacity": ("capacity", "容量"),
    "cost": ("cost", "成本", "造价", "费用"),
}
"""Headers read as planner's column names (any case, spaces around ignored)."""

_DECIMAL_COMMA: Final = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_PAIR_SPLIT: Final = r"\s*[,，;；]\s*|\s+"


# --------------------------------------------------------------------------- columns


def _key(name: Any) -> str:
    return str(name).strip().lower()


def canonical_columns(
    table: Table,
    *,
    keep: Sequence[Hashable] = (),
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Table, dict[str, str]]:
    """Rename the columns known by another header to planner's names.

    A column is renamed when planner's name is not already a column and exactly
    one header is one of its aliases (:data:`COLUMN_ALIASES`); columns in
    ``keep`` (those the caller named) are left alone.

    Returns
    -------
    tuple
        The table with renamed columns, and ``{planner name: original header}``.
    """
    frame = table.frame
    present = {c for c in frame.columns if isinstance(c, str)}
    kept = {_key(k) for k in keep if k is not None}
    renames: dict[Hashable, str] = {}
    for canonical, names in (aliases or COLUMN_ALIASES).items():
        if canonical in present:
            continue
        wanted = {_key(n) for n in names}
        matches = [
            c
            for c in frame.columns
            if _key(c) in wanted and _key(c) not in kept and c not in renames
        ]
        if len(matches) == 1:
            renames[matches[0]] = canonical
        elif len(matches) > 1:
            logger.info(
                "%s: columns %s could each be the %r column; none was renamed",
                table.name,
                ", ".join(repr(str(m)) for m in matches),
                canonical,
            )
    if not renames:
        return table, {}
    renamed = frame.rename(columns=renames)
    mapping = {new: str(old) for old, new in renames.items()}
    return (
        Table(
            renamed,
            table.name,
            table.from_file,
            kind=table.kind,
            encoding=table.encoding,
            sheet=table.sheet,
            skipped_rows=table.skipped_rows,
        ),
        mapping,
    )


def find_column(
    columns: Sequence[Hashable],
    given: str | None,
    names: Sequence[str],
    role: str,
    arg: str,
    *,
    read_as: str = "",
) -> tuple[Hashable | None, Problem | None]:
    """Find the column for ``role`` ("longitude"/"latitude"); return it or a problem."""
    found = [str(c) for c in columns]
    if given is not None:
        if given in columns:
            return given, None
        close = [c for c in columns if _key(c) == _key(given)]
        if len(close) == 1:
            return close[0], None
        return None, Problem(
            f"{arg}={given!r} is not a column; the columns are {found}{read_as}.",
            field=given,
            fix=f"pass {arg}= one of those names.",
        )
    matches = [c for c in columns if _key(c) in names]
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
        f"no {role} column found; the columns are {found}{read_as} and the names tried "
        f"(any case) are {', '.join(names)}.",
        fix="pass lon='<longitude column>' and lat='<latitude column>', or name a single "
        "'lng,lat' column location.",
    )


def number_problem(value: Any, what: str) -> tuple[str, str]:
    """Return (message, fix) for a value that is not a number, naming a decimal comma."""
    text = str(plain(value))
    if _DECIMAL_COMMA.match(text):
        dotted = text.strip().replace(",", ".")
        return (
            f"{what} {text!r} is written with a decimal comma.",
            f"write a decimal point ({dotted}): in Excel, set the decimal separator to '.' "
            "before saving as CSV, or save the sheet as .xlsx and read that.",
        )
    return f"non-numeric {what} {plain(value)!r}.", ""


def numeric_column(
    table: Table, column: Hashable, problems: list[Problem], *, values: pd.Series | None = None
) -> tuple[FloatArray, BoolArray]:
    """Return a column as floats and a mask of rows usable; record problems by row."""
    raw = table.frame[column] if values is None else values
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    bad = ~np.isfinite(numbers)
    for pos in np.flatnonzero(bad):
        if missing[pos]:
            text = "empty coordinate (missing value)."
            fix = "fill in the value or delete the row."
        else:
            text, fix = number_problem(raw.iloc[pos], "coordinate")
            fix = fix or (
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
    return numbers, ~bad


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
    pair: str | None = None  # the single "lng,lat" column they came from


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
        if table.kind == "geojson" and CRS(source_crs).equals(
            CRS.from_epsg(4326), ignore_axis_order=True
        ):
            # GeoJSON is WGS84 by definition (RFC 7946), so a file without a "crs" member
            # reports EPSG:4326 whatever it holds: crs= says what its coordinates are.
            logger.info(
                "%s: GeoJSON reports WGS84; its coordinates are read in crs=%s as asked",
                table.name,
                crs.to_string(),
            )
            source_crs = None
        else:
            msg = (
                f"crs={crs.to_string()!r} conflicts with the source's CRS "
                f"{source_crs.to_string()!r}."
            )
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


def _coords_from_pairs(
    table: Table, column: Hashable, crs: CRS | None, problems: list[Problem]
) -> _Coords:
    """Read a single ``"lng,lat"`` column (Amap's ``location``)."""
    raw = table.frame[column]
    text = raw.astype("string").str.strip()
    parts = text.str.split(_PAIR_SPLIT, n=1, regex=True)
    first = parts.str[0]
    second = parts.str[1]
    x = pd.to_numeric(first, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y = pd.to_numeric(second, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    for pos in np.flatnonzero(~ok):
        if missing[pos]:
            message, fix = "empty location (missing value).", "fill in 'lng,lat' or delete the row."
        else:
            message = f"cannot read {plain(raw.iloc[pos])!r} as 'longitude,latitude'."
            fix = "write two decimal numbers in degrees, longitude first: '111.6708,40.8183'."
        problems.append(
            Problem(
                message + table.where(pos),
                file=table.name,
                row=int(pos) + 1,
                field=str(column),
                fix=fix,
            )
        )
    name = str(column)
    return _Coords(x, y, ok, crs, name, name, pair=name)


def _coords_from_columns(
    table: Table,
    lon: str | None,
    lat: str | None,
    crs: CRS | None,
    problems: list[Problem],
) -> _Coords:
    columns = [c for c in table.frame.columns if c != _geometry_name(table.frame)]
    if lon is not None and lon == lat:
        pair, pair_problem = find_column(columns, lon, LOCATION_NAMES, "location", "lon")
        if pair_problem is not None:
            raise InputError(
                Problem(pair_problem.message, file=table.name, field=lon, fix=pair_problem.fix)
            )
        return _coords_from_pairs(table, pair, crs, problems)
    read_as = table.read_as
    lon_col, lon_problem = find_column(columns, lon, LON_NAMES, "longitude", "lon", read_as=read_as)
    lat_col, lat_problem = find_column(columns, lat, LAT_NAMES, "latitude", "lat", read_as=read_as)
    if lon is None and lat is None and lon_col is None and lat_col is None:
        pairs = [c for c in columns if _key(c) in LOCATION_NAMES]
        if len(pairs) == 1:
            return _coords_from_pairs(table, pairs[0], crs, problems)
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


def _fields(coords: _Coords) -> str:
    """Name the coordinate field(s) for a problem about both values."""
    if coords.pair is not None:
        return coords.pair
    if coords.lon_name is not None:
        return f"{coords.lon_name}/{coords.lat_name}"
    return "geometry"


def _swap_fix(coords: _Coords) -> str:
    if coords.pair is not None:
        return f"write longitude first in {coords.pair!r}: 'lng,lat'."
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
                field=_fields(coords),
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
                    field=_fields(coords),
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


def area_geometry(area: Area) -> BaseGeometry:
    """Return an area (geometry, box or GeoSeries) as one WGS84 geometry."""
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
    geometry = area_geometry(area)
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
                    field=_fields(coords),
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
                    field=_fields(coords),
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


DATUM_RISK: Final = (
    "Coordinates copied from Amap/Gaode or Tencent are GCJ-02 and land about 600 m "
    "(300-700 m) from the OpenStreetMap roads if read as WGS84; Baidu's BD-09 1-2 km."
)


def unstated_datum_message(name: str, n_china: int, n_points: int) -> str:
    """Say that points in China were read without a datum, the risk and the choices."""
    return (
        f"{name}: {n_china} of {n_points} points lie in China and no datum was given, so "
        f"they were read as WGS84 (GPS, OpenStreetMap). {DATUM_RISK} Say which datum "
        "they are in: datum='wgs84' (GPS, OpenStreetMap), datum='gcj02' (Amap/Gaode, "
        "Tencent) or datum='bd09' (Baidu)."
    )


def read_point_table(
    table: Table,
    *,
    lon: str | None,
    lat: str | None,
    datum: str | None,
    crs: Any,
    area: Area | None,
    area_buffer_m: float,
    problems: list[Problem],
    unstated_datum: Literal["warn", "problem"] = "warn",
) -> gpd.GeoDataFrame:
    """Validate coordinates of a loaded table and build the WGS84 GeoDataFrame.

    Problems are appended to ``problems``; the caller raises them (with its own).
    With ``datum=None``, points are read as WGS84; if any lies in China a
    :class:`~planner._errors.DatumWarning` is issued (or, with
    ``unstated_datum="problem"``, a problem recorded with field ``datum``).
    The result's ``attrs`` say how the table was read: ``source``, ``encoding``,
    ``sheet``, ``skipped_rows``, ``datum`` and ``datum_stated``.
    """
    datum_name = normalize_datum(datum) if datum is not None else "wgs84"
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
    degrees = coords.crs is None or coords.crs.is_geographic
    if datum is None and degrees and ok.any() and not swapped:
        n_china = int(in_china(raw_lon[ok], raw_lat[ok]).sum())
        if n_china:
            text = unstated_datum_message(table.name, n_china, int(ok.sum()))
            if unstated_datum == "problem":
                problems.append(
                    Problem(
                        f"{n_china} of {int(ok.sum())} points lie in China and no datum is "
                        f"given. {DATUM_RISK}",
                        file=table.name,
                        field="datum",
                        fix="state the datum: 'wgs84' (GPS, OpenStreetMap), 'gcj02' "
                        "(Amap/Gaode, Tencent) or 'bd09' (Baidu).",
                    )
                )
            else:
                warn(text, DatumWarning)
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
    result = gpd.GeoDataFrame(data, geometry=points, crs=4326)
    result.attrs = {
        **table.info(),
        "datum": datum_name,
        "datum_stated": datum is not None,
    }
    return result
