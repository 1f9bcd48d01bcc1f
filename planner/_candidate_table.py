"""Candidate sites from POI tables exported from Amap (Gaode): CSV or Excel, GCJ-02.

:func:`candidates_from_table` splits the export's ``location`` column (``"lng,lat"``)
and hands the table to :func:`planner.io.read_candidates` for validation and the
datum conversion, then to :func:`planner.candidates.candidates_from_points` for the
candidate schema. Its public path is :mod:`planner.candidates`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError, Problem

__all__ = ["AMAP_COLUMNS", "AMAP_KINDS", "candidates_from_table"]


#: Header names of an Amap (Gaode) POI export, by role (English and Chinese).
AMAP_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "poi_id", "poiid", "uid"),
    "name": ("name", "名称", "poi名称"),
    "address": ("address", "地址", "详细地址"),
    "type": ("type", "类型", "类别", "poi类型"),
    "location": ("location", "经纬度", "坐标", "lnglat", "lng,lat"),
}
#: Kinds given to POI types (the first match in the type text wins).
AMAP_KINDS: tuple[tuple[str, str], ...] = (
    ("服务区", "service_area"),
    ("service area", "service_area"),
    ("加油", "fuel"),
    ("gas station", "fuel"),
    ("fuel", "fuel"),
    ("停车", "parking"),
    ("parking", "parking"),
    ("物流", "logistics"),
    ("logistics", "logistics"),
    ("工会", "union"),
    ("社区", "community_centre"),
)


def _amap_column(columns: Sequence[Any], role: str, given: str | None) -> str | None:
    if given is not None:
        return given if given in columns else None
    by_lower = {str(c).strip().lower(): c for c in columns}
    for alias in AMAP_COLUMNS[role]:
        if alias in by_lower:
            return str(by_lower[alias])
    return None


def candidates_from_table(
    source: str | Path | pd.DataFrame,
    *,
    datum: str = "gcj02",
    location: str | None = None,
    sheet: str | int = 0,
    kind: str | None = None,
    area: Any = None,
) -> gpd.GeoDataFrame:
    """Read candidate sites from a POI table exported from Amap (CSV or Excel).

    An Amap (Gaode) POI export has a name, an address, a type (e.g.
    ``"汽车服务;加油站;中国石化"``) and a ``location`` column holding
    ``"lng,lat"`` in **GCJ-02**. The location is split into longitude and
    latitude here; reading, validation and the datum conversion to WGS84 are
    :func:`planner.io.read_candidates`'s, so every problem is reported at once
    with the file, row and field. Tables with separate longitude/latitude
    columns (any header :mod:`planner.io` knows) are read as they are.

    Parameters
    ----------
    source
        A ``.csv``/``.txt`` (UTF-8, with or without BOM) or ``.xlsx``/``.xls``
        file, or a DataFrame.
    datum
        The coordinates' datum: ``"gcj02"`` (Amap, the default), ``"bd09"``
        (Baidu) or ``"wgs84"``.
    location
        The ``"lng,lat"`` column (default: found by name: ``location``,
        ``经纬度``, ``坐标``, ...).
    sheet
        The Excel sheet (name or 0-based position).
    kind
        The ``kind`` of every site; default: from the type text
        (:data:`AMAP_KINDS`: service areas, fuel, parking, logistics, ...;
        ``"poi"`` otherwise).
    area
        Points outside this area (WGS84) are reported, as in
        :func:`planner.io.read_candidates`.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate schema (``site_id`` = ``"user/<id or row>"``, ``kind``,
        ``source`` = ``"user"``, ``name``) plus ``address`` and ``type`` when
        present; WGS84 points.

    Raises
    ------
    InputError
        With every problem: unreadable file, no location column, locations that
        are not two numbers, coordinates out of range or outside ``area``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"name": ["某服务区"], "address": ["G65"],
    ...                       "type": ["交通设施服务;高速服务区;高速服务区"],
    ...                       "location": ["108.9402,34.3416"]})
    >>> sites = candidates_from_table(table)
    >>> sites["kind"].tolist(), round(float(sites.geometry.x.iloc[0]), 3)
    (['service_area'], 108.936)
    """
    from planner.candidates import candidates_from_points
    from planner.io import read_candidates

    label = "<DataFrame>" if isinstance(source, pd.DataFrame) else str(source)
    frame = _raw_table(source, sheet=sheet)
    columns = list(frame.columns)
    loc = _amap_column(columns, "location", location)
    problems: list[Problem] = []
    lon_col: str | None = None
    lat_col: str | None = None
    if loc is not None:
        text = frame[loc].astype("string").str.strip()
        parts = text.str.replace("，", ",", regex=False).str.split(",", expand=True)
        good = parts.shape[1] == 2 if len(parts.columns) else False
        if not good:
            problems.append(
                Problem(
                    f"column '{loc}' must hold 'lng,lat' (two numbers and a comma).",
                    file=label,
                    field=loc,
                    fix="export the POIs with their location, e.g. '108.9402,34.3416'.",
                )
            )
        else:
            bad = parts.isna().any(axis=1) | (parts[1].str.contains(",", na=False))
            for pos in np.flatnonzero(bad.to_numpy())[:20]:
                problems.append(
                    Problem(
                        f"location {frame[loc].iloc[pos]!r} is not 'lng,lat'.",
                        file=label,
                        row=int(pos) + 1,
                        field=loc,
                        fix="write the longitude, a comma and the latitude.",
                    )
                )
            frame = frame.assign(_lng=parts[0].str.strip(), _lat=parts[1].str.strip())
            lon_col, lat_col = "_lng", "_lat"
    if problems:
        raise InputError(problems)
    try:
        read = read_candidates(
            frame, id_column=None, lon=lon_col, lat=lat_col, datum=datum, area=area
        )
    except InputError as error:
        # the table was read here: name the file, not the DataFrame, in every problem
        raise InputError(
            [
                Problem(p.message, file=label, row=p.row, field=p.field, fix=p.fix)
                for p in error.problems
            ]
        ) from error
    # the reader gives aliased headers planner's names (名称 -> name, 类型 -> kind, ...)
    name_col = _read_column(read, _amap_column(columns, "name", None), "name")
    type_col = _read_column(read, _amap_column(columns, "type", None), "kind")
    id_col = _read_column(read, _amap_column(columns, "id", None), "id")
    kinds = kind if kind is not None else _amap_kinds(read, type_col)
    out = candidates_from_points(
        read.drop(columns=[c for c in ("_lng", "_lat") if c in read.columns]),
        kind=kinds if isinstance(kinds, str) else "poi",
        kind_field=None,
        name_field=name_col,
        id_field=id_col,
        label=label,
    )
    if not isinstance(kinds, str):
        out["kind"] = kinds
    for role, canonical in (("address", "address"), ("type", "kind")):
        column = _read_column(read, _amap_column(columns, role, None), canonical)
        if column is not None:
            out[role] = read[column].to_numpy(dtype=object)
    return out


def _read_column(read: pd.DataFrame, column: str | None, canonical: str) -> str | None:
    """Return where the reader put the table's ``column`` (its own name or planner's)."""
    if column is None:
        return None
    if column in read.columns:
        return column
    return canonical if canonical in read.columns else None


def _raw_table(source: str | Path | pd.DataFrame, *, sheet: str | int) -> pd.DataFrame:
    """Return the table as text columns (a DataFrame as given; a CSV or Excel file read)."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if not path.is_file():
        raise InputError(
            f"file not found (looked for {path.resolve()}).",
            file=str(path),
            fix="check the path.",
        )
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl")
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", sep=None, engine="python")
    except UnicodeDecodeError as error:
        raise InputError(
            "the table is not UTF-8 text.",
            file=str(path),
            fix="save it as UTF-8 (Excel: 'CSV UTF-8'), or as .xlsx.",
        ) from error
    except ImportError as error:
        raise InputError(
            f"reading Excel files needs openpyxl ({error}).",
            file=str(path),
            fix="pip install openpyxl, or save the table as CSV.",
        ) from error
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise InputError(
            f"cannot read the table: {error}",
            file=str(path),
            fix="check that it is a complete CSV or Excel file.",
        ) from error


def _amap_kinds(read: pd.DataFrame, type_col: str | None) -> np.ndarray | str:
    if type_col is None:
        return "poi"
    texts = read[type_col].fillna("").astype(str).str.lower().to_numpy()
    out = np.full(len(texts), "poi", dtype=object)
    for i, text in enumerate(texts):
        for needle, name in AMAP_KINDS:
            if needle in text:
                out[i] = name
                break
    return out
