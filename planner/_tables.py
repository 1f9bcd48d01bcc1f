"""Tables in: read a file or a DataFrame into memory, and find its columns.

The private half of :mod:`planner.io`: which file types are read and how
(CSV/TSV/TXT, optionally compressed, in UTF-8 or GB18030; GeoJSON, GeoPackage,
Shapefile, FlatGeobuf through pyogrio; (Geo)Parquet), the errors for files that
cannot be read, and the column helpers the readers share (find a column by its
aliases, read a column as numbers with a problem per bad row).
"""

from __future__ import annotations

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

from planner._errors import InputError, Problem

__all__ = [
    "DATAFRAME_NAME",
    "SUPPORTED_SUFFIXES",
    "BoolArray",
    "FloatArray",
    "Source",
    "Table",
    "find_column",
    "load_table",
    "numeric_column",
    "plain",
]

Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"
"""A file path, or a pandas/geopandas DataFrame."""

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

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
