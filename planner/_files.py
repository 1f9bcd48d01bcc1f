"""Files in: read a table from disk the way planners have them.

The loading half of :mod:`planner.io` (the columns and points half is
:mod:`planner._tables`):

- CSV/TSV/TXT, optionally compressed (``.gz``, ``.bz2``, ``.zip``, ``.xz``), in
  any common encoding: UTF-8 with or without a byte-order mark, GBK/GB18030
  (Chinese Excel's "CSV"), UTF-16 (Excel's "Unicode text"); the encoding is
  detected from the bytes and named in messages;
- Excel workbooks (``.xlsx``, ``.xlsm``, ``.xls``, ``.xlsb``, ``.ods``) through
  python-calamine, one sheet chosen with ``sheet=``;
- GeoJSON, GeoPackage, Shapefile, FlatGeobuf through pyogrio; (Geo)Parquet;
- binary files given a text name (a workbook saved as ``.csv``) are named for
  what they are, not reported as a codec error;
- headers are trimmed of spaces (``' id '`` is ``id``) and empty rows at the
  end (``,,,`` lines that spreadsheets leave) are skipped, with a note.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import logging
import lzma
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from planner._errors import InputError

logger = logging.getLogger(__name__)

__all__ = [
    "DATAFRAME_NAME",
    "SUPPORTED_SUFFIXES",
    "Source",
    "Table",
    "load_table",
]

Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"
"""A file path, or a pandas/geopandas DataFrame."""

CSV_SUFFIXES: Final = (".csv", ".tsv", ".txt")
COMPRESSION_SUFFIXES: Final = (".gz", ".bz2", ".zip", ".xz", ".zst")
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
GEOJSON_SUFFIXES: Final = (".geojson", ".json", ".geojsonl")
VECTOR_SUFFIXES: Final = (*GEOJSON_SUFFIXES, ".gpkg", ".shp", ".fgb")
PARQUET_SUFFIXES: Final = (".parquet", ".geoparquet", ".pq")
SUPPORTED_SUFFIXES: Final[tuple[str, ...]] = (
    CSV_SUFFIXES + EXCEL_SUFFIXES + VECTOR_SUFFIXES + PARQUET_SUFFIXES
)

DATAFRAME_NAME: Final = "<DataFrame>"

_SAMPLE_BYTES: Final = 1 << 20
# What a binary file given a text name most likely is, by its first bytes.
_MAGIC: Final[tuple[tuple[bytes, str, str], ...]] = (
    (
        b"PK\x03\x04",
        "a ZIP archive, most likely an Excel workbook (.xlsx) saved under a text name",
        "give it its real name (.xlsx) and read that, or save it from Excel as CSV UTF-8.",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "an old Excel workbook (.xls) or another Office file saved under a text name",
        "give it its real name (.xls) and read that, or save it from Excel as CSV UTF-8.",
    ),
    (b"%PDF", "a PDF document", "export the table from its source as CSV or Excel."),
    (b"PAR1", "a Parquet file", "name it .parquet."),
    (b"SQLite format 3", "an SQLite database or GeoPackage", "name it .gpkg if it is one."),
    (b"\x89PNG", "a PNG image", "export the table as CSV or Excel."),
    (b"\xff\xd8\xff", "a JPEG image", "export the table as CSV or Excel."),
)
_ENCODING_NAMES: Final = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "gb18030": "GB18030/GBK",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
}


def encoding_name(encoding: str | None) -> str:
    """Return how messages name an encoding (``"GB18030/GBK"``)."""
    if encoding is None:
        return "(binary format)"
    return _ENCODING_NAMES.get(encoding.lower(), encoding)


@dataclass(frozen=True)
class Table:
    """A source read into memory, with what messages need to know about it.

    Parameters
    ----------
    frame
        The rows read (headers trimmed, trailing empty rows dropped).
    name
        The file (or ``<DataFrame>``), for messages.
    from_file
        Whether the rows came from a file (rows are then numbered from 1).
    kind
        ``"csv"``, ``"excel"``, ``"geojson"``, ``"vector"``, ``"parquet"`` or
        ``"frame"``.
    encoding
        The text encoding a CSV was read in.
    sheet
        The Excel sheet read.
    skipped_rows
        Empty rows dropped at the end of the table.
    """

    frame: pd.DataFrame
    name: str
    from_file: bool
    kind: str = "frame"
    encoding: str | None = None
    sheet: str | None = None
    skipped_rows: int = 0

    def where(self, pos: int | np.integer[Any]) -> str:
        """Describe a row for a DataFrame whose index is not the default one."""
        if self.from_file or self.frame.index.equals(pd.RangeIndex(len(self.frame))):
            return ""
        return f" (index {self.frame.index[int(pos)]!r})"

    @property
    def read_as(self) -> str:
        """A note for messages on how the file was read (``" (read as GB18030/GBK)"``)."""
        if self.kind == "csv" and self.encoding is not None:
            return f" (read as {encoding_name(self.encoding)})"
        if self.kind == "excel" and self.sheet is not None:
            return f" (sheet {self.sheet!r})"
        return ""

    def info(self) -> dict[str, Any]:
        """Return how the table was read, for a result's ``attrs``."""
        out: dict[str, Any] = {"source": self.name}
        if self.encoding is not None:
            out["encoding"] = self.encoding
        if self.sheet is not None:
            out["sheet"] = self.sheet
        out["skipped_rows"] = self.skipped_rows
        return out


def _suffixes(path: Path) -> tuple[str, str]:
    """Return (format suffix, compression suffix) of a path, lower case."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = ""
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        compression = suffixes.pop()
    return (suffixes[-1] if suffixes else ""), compression


# --------------------------------------------------------------------------- encodings


def _open_bytes(path: Path, compression: str) -> IO[bytes]:
    if compression == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if compression == ".bz2":
        return bz2.open(path, "rb")
    if compression == ".xz":
        return lzma.open(path, "rb")
    if compression == ".zip":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if not members:
            msg = "the ZIP archive holds no file."
            raise InputError(msg, file=str(path), fix="put the CSV file in it.")
        return archive.open(members[0])
    if compression == ".zst":
        try:
            import zstandard
        except ImportError as e:
            msg = "reading .zst files needs the zstandard package, which is not installed."
            raise InputError(
                msg, file=str(path), fix="pip install zstandard, or compress with gzip."
            ) from e
        return zstandard.open(path, "rb")
    return path.open("rb")


def _decodes(sample: bytes, encoding: str) -> bool:
    """Tell whether a sample decodes (an incomplete character at its end is allowed)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _binary_error(path: Path, sample: bytes) -> InputError:
    for magic, what, fix in _MAGIC:
        if sample.startswith(magic):
            return InputError(f"this is not a text table: it is {what}.", file=str(path), fix=fix)
    return InputError(
        "this is not a text table: it holds binary data (NUL bytes).",
        file=str(path),
        fix="save the table as CSV (UTF-8) or Excel, and check that the right file is named.",
    )


def detect_encoding(path: Path, compression: str = "") -> str:
    """Detect the text encoding of a CSV file from its first megabyte.

    UTF-8 and UTF-16 byte-order marks are honoured; UTF-16 without one is
    recognised by its NUL bytes; otherwise UTF-8 is tried, then GB18030 (a
    superset of GBK and GB2312, what Chinese Excel writes as "CSV").

    Parameters
    ----------
    path
        The file.
    compression
        Its compression suffix (``".gz"``, ...), or ``""``.

    Returns
    -------
    str
        A Python codec name.

    Raises
    ------
    InputError
        For binary files (named for what they are) and text in no known encoding.
    """
    with _open_bytes(path, compression) as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        half = max(len(sample) // 2, 1)
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.3 * half and even == 0 and _decodes(sample, "utf-16-le"):
            return "utf-16-le"
        if even > 0.3 * half and odd == 0 and _decodes(sample, "utf-16-be"):
            return "utf-16-be"
        raise _binary_error(path, sample)
    for magic, _, _ in _MAGIC:
        if sample.startswith(magic):
            raise _binary_error(path, sample)
    for encoding in ("utf-8", "gb18030"):
        if _decodes(sample, encoding):
            return encoding
    msg = "the text is in no encoding planner knows (tried UTF-8, GB18030/GBK and UTF-16)."
    raise InputError(
        msg,
        file=str(path),
        fix="save it again as CSV UTF-8 (in Excel: Save As > CSV UTF-8), or pass encoding=.",
    )


# --------------------------------------------------------------------------- readers


def _read_csv(
    path: Path,
    sep: str,
    str_columns: Sequence[str],
    *,
    compression: str,
    encoding: str | None,
    nrows: int | None,
) -> tuple[pd.DataFrame, str]:
    chosen = encoding or detect_encoding(path, compression)
    wanted = {c.strip() for c in str_columns}

    def read(codec: str) -> pd.DataFrame:
        separator = sep
        header = pd.read_csv(path, sep=separator, encoding=codec, nrows=0).columns
        if len(header) == 1:
            for other in (";", "\t", "|"):
                if other != sep and other in str(header[0]):
                    separator = other
                    header = pd.read_csv(path, sep=separator, encoding=codec, nrows=0).columns
                    break
        # ids as text, found under their trimmed names (' id ' is id)
        dtype = {c: str for c in header if str(c).strip() in wanted}
        frame = pd.read_csv(path, sep=separator, dtype=dtype, encoding=codec, nrows=nrows)
        if not isinstance(frame.index, pd.RangeIndex):
            # pandas took surplus values in the first data row for an index
            extra = frame.index.nlevels
            msg = (
                f"row 1 has {len(header) + extra} values but the header names {len(header)} "
                "columns, so the values cannot be matched to the columns."
            )
            raise InputError(
                msg,
                file=str(path),
                row=1,
                fix="check that every row has as many values as the header (a decimal comma "
                "such as 116,39 in a comma-separated file splits a value in two: write "
                "116.39; a separator at the end of each row adds an empty value).",
            )
        return frame

    try:
        return read(chosen), chosen
    except UnicodeDecodeError as e:
        if encoding is None and chosen == "utf-8":
            # UTF-8 in the first megabyte, something else later: GBK text further down
            try:
                return read("gb18030"), "gb18030"
            except UnicodeDecodeError:
                pass
        msg = (
            f"the file is not valid {encoding_name(chosen)} text at byte {e.start:,} "
            f"({e.object[e.start : e.start + 4]!r})."
        )
        raise InputError(
            msg,
            file=str(path),
            fix="save it again as CSV UTF-8 (in Excel: Save As > CSV UTF-8), or pass the "
            "right encoding=.",
        ) from e


def _sheet_is_empty(workbook: Any, name: str) -> bool:
    rows = workbook.get_sheet_by_name(name).to_python(nrows=2)
    return not any(any(cell not in ("", None) for cell in row) for row in rows)


def _read_excel(
    path: Path, sheet: str | int | None, str_columns: Sequence[str], nrows: int | None
) -> tuple[pd.DataFrame, str]:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError as e:  # pragma: no cover - a dependency of planner
        msg = "reading Excel files needs python-calamine, which is not installed."
        raise InputError(
            msg, file=str(path), fix="pip install python-calamine, or save the sheet as CSV."
        ) from e
    workbook = CalamineWorkbook.from_path(str(path))
    names = list(workbook.sheet_names)
    listed = ", ".join(repr(n) for n in names)
    if sheet is None:
        filled = [n for n in names if not _sheet_is_empty(workbook, n)]
        if len(filled) > 1:
            msg = f"the workbook has {len(filled)} sheets with data: {listed}."
            raise InputError(msg, file=str(path), fix="choose one with sheet='<name>'.")
        if not filled:
            msg = f"every sheet of the workbook is empty ({listed})."
            raise InputError(msg, file=str(path), fix="write a header row and data rows.")
        chosen = filled[0]
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            msg = f"sheet={sheet} is out of range: the workbook has {len(names)} sheets ({listed})."
            raise InputError(
                msg, file=str(path), field="sheet", fix="count sheets from 0, or give the name."
            )
        chosen = names[sheet]
    else:
        if sheet not in names:
            close = [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
            if len(close) != 1:
                msg = f"no sheet {sheet!r}; the sheets are {listed}."
                raise InputError(
                    msg, file=str(path), field="sheet", fix="pass sheet= one of those names."
                )
            sheet = close[0]
        chosen = str(sheet)
    wanted = {c.strip() for c in str_columns}
    header = pd.read_excel(path, sheet_name=chosen, engine="calamine", nrows=0).columns
    dtype = {c: str for c in header if str(c).strip() in wanted}
    frame = pd.read_excel(path, sheet_name=chosen, engine="calamine", dtype=dtype, nrows=nrows)
    return frame, chosen


def _read_vector(
    path: Path, *, layer: str | int | None, str_columns: Sequence[str], nrows: int | None
) -> pd.DataFrame:
    if layer is None:
        layers = pyogrio.list_layers(path)
        if len(layers) > 1:
            names = ", ".join(repr(str(n)) for n in layers[:, 0])
            msg = f"the file has {len(layers)} layers: {names}."
            raise InputError(msg, file=str(path), fix="choose one with layer='<name>'.")
    frame = gpd.read_file(path, layer=layer, engine="pyogrio", max_features=nrows)
    for column in str_columns:
        if column in frame.columns and frame[column].dtype.kind in "iu":
            # ids read as numbers by the driver: keep them as text like CSV does
            frame[column] = frame[column].astype(str)
    return frame


def _read_parquet(path: Path, nrows: int | None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    frame = gpd.read_parquet(path) if b"geo" in metadata else pd.read_parquet(path)
    return frame.iloc[:nrows] if nrows is not None else frame


# --------------------------------------------------------------------------- tidying


def _trim_headers(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Strip spaces around column names; refuse names that then coincide."""
    geometry = frame.active_geometry_name if isinstance(frame, gpd.GeoDataFrame) else None
    renamed = {
        c: c.strip()
        for c in frame.columns
        if isinstance(c, str) and c != geometry and c != c.strip()
    }
    if not renamed:
        return frame
    trimmed = [renamed.get(c, c) for c in frame.columns]
    seen: dict[Any, list[Any]] = {}
    for original, new in zip(frame.columns, trimmed, strict=True):
        seen.setdefault(new, []).append(original)
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    if clashes:
        key, originals = next(iter(clashes.items()))
        msg = (
            f"the columns {', '.join(repr(str(o)) for o in originals)} have the same name "
            f"{key!r} once the spaces around them are removed."
        )
        raise InputError(msg, file=name, field=str(key), fix="give each column its own name.")
    return frame.rename(columns=renamed)


def _empty_cells(frame: pd.DataFrame) -> np.ndarray:
    """Boolean (rows, columns) array: the cell is missing or blank text."""
    geometry = frame.active_geometry_name if isinstance(frame, gpd.GeoDataFrame) else None
    columns = []
    for column in frame.columns:
        values = frame[column]
        if column == geometry:
            columns.append(values.isna().to_numpy() | np.asarray(values.is_empty, dtype=bool))
            continue
        empty = values.isna().to_numpy(dtype=bool).copy()
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            text = values.astype("string").str.strip()
            empty |= (text == "").fillna(True).to_numpy(dtype=bool)
        columns.append(empty)
    if not columns:
        return np.ones((len(frame), 0), dtype=bool)
    return np.column_stack(columns)


def _drop_trailing_empty(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, int]:
    """Drop the empty rows at the end of a table (``,,,`` lines spreadsheets leave)."""
    if len(frame) == 0 or len(frame.columns) == 0:
        return frame, 0
    empty_rows: np.ndarray = np.asarray(_empty_cells(frame).all(axis=1), dtype=bool)
    if not empty_rows[-1]:
        return frame, 0
    keep = len(frame) - int(np.argmin(empty_rows[::-1])) if not empty_rows.all() else 0
    skipped = len(frame) - keep
    logger.info("%s: skipped %d empty rows at the end of the table", name, skipped)
    return frame.iloc[:keep], skipped


# --------------------------------------------------------------------------- the front door


def _unsupported(name: str, suffix: str, compression: str) -> InputError:
    supported = ", ".join(SUPPORTED_SUFFIXES)
    shown = suffix + compression or "(none)"
    return InputError(
        f"unsupported file type '{shown}'.",
        file=name,
        fix=(
            f"save it as CSV, Excel, GeoJSON, GeoPackage or Parquet (supported: {supported}; "
            "CSV may be compressed .gz/.bz2/.zip/.xz), or read it yourself and pass "
            "a DataFrame."
        ),
    )


def load_table(
    source: Source,
    *,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    str_columns: Sequence[str] = (),
    nrows: int | None = None,
) -> Table:
    """Read a source into a (Geo)DataFrame; raise InputError if it cannot be read.

    Parameters
    ----------
    source
        A file path or a (Geo)DataFrame.
    layer
        Layer of a multi-layer vector file (GeoPackage).
    sheet
        Sheet of an Excel workbook (name, or position from 0); by default the
        one sheet that holds data.
    encoding
        Text encoding of a CSV file (default: detected).
    str_columns
        Columns read as text (ids).
    nrows
        Read only the first rows (a sample, for validation).

    Returns
    -------
    Table
        The rows and how they were read.
    """
    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            msg = "the DataFrame has no rows."
            raise InputError(msg, file=DATAFRAME_NAME, fix="pass a table with at least one row.")
        frame = _trim_headers(source, DATAFRAME_NAME)
        return Table(frame, DATAFRAME_NAME, from_file=False)
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
    if suffix not in SUPPORTED_SUFFIXES or (compression and suffix not in CSV_SUFFIXES):
        raise _unsupported(name, suffix, compression)
    if path.is_file() and path.stat().st_size == 0:
        msg = "the file is empty."
        raise InputError(msg, file=name, fix="write a header line and at least one data row.")
    used_encoding: str | None = None
    used_sheet: str | None = None
    kind = "vector"
    try:
        if suffix in CSV_SUFFIXES:
            kind = "csv"
            frame, used_encoding = _read_csv(
                path,
                "\t" if suffix == ".tsv" else ",",
                str_columns,
                compression=compression,
                encoding=encoding,
                nrows=nrows,
            )
        elif suffix in EXCEL_SUFFIXES:
            kind = "excel"
            frame, used_sheet = _read_excel(path, sheet, str_columns, nrows)
        elif suffix in PARQUET_SUFFIXES:
            kind = "parquet"
            frame = _read_parquet(path, nrows)
        else:
            kind = "geojson" if suffix in GEOJSON_SUFFIXES else "vector"
            frame = _read_vector(path, layer=layer, str_columns=str_columns, nrows=nrows)
    except InputError:
        raise
    except pd.errors.EmptyDataError as e:
        msg = "the file is empty."
        raise InputError(
            msg, file=name, fix="write a header line and at least one data row."
        ) from e
    except pd.errors.ParserError as e:
        msg = f"cannot read the file as CSV: {e}".rstrip() + ("" if str(e).endswith(".") else ".")
        raise InputError(
            msg,
            file=name,
            fix="check that every row has as many values as the header (a decimal comma "
            "such as 116,39 in a comma-separated file splits a value in two: write 116.39).",
        ) from e
    except Exception as e:  # any reader failure: report it with the file name
        what = "Excel" if kind == "excel" else suffix[1:].upper()
        msg = f"cannot read the file as {what}: {e}"
        raise InputError(
            msg, file=name, fix="check that the file is complete and in the format its name says."
        ) from e
    frame = _trim_headers(frame, name)
    frame, skipped = _drop_trailing_empty(frame, name)
    if len(frame) == 0:
        msg = "the file has no data rows (only a header)."
        raise InputError(msg, file=name, fix="add at least one data row.")
    return Table(
        frame,
        name,
        from_file=True,
        kind=kind,
        encoding=used_encoding,
        sheet=used_sheet,
        skipped_rows=skipped,
    )
