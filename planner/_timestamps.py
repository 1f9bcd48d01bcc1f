"""The one timestamp rule: :func:`parse_timestamps` (public through :mod:`planner.io`).

Times of GPS fixes, trips and opening windows are read one way everywhere:
datetimes kept, numbers as Unix epoch seconds (or milliseconds), text as ISO
8601 with or without a UTC offset; see :func:`parse_timestamps`.
"""

from __future__ import annotations

import re
import warnings
import zoneinfo
from typing import Final, Literal

import numpy as np
import pandas as pd

from planner._errors import InputError, Problem
from planner._tables import BoolArray, plain

__all__ = ["check_tz", "parse_timestamps"]

_TZ_SUFFIX: Final = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_OFFSET: Final = re.compile(r"(Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_DAY_OR_MONTH_FIRST: Final = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?!\d)")
_MAX_ROW_PROBLEMS: Final = 1000


def check_tz(tz: str) -> str:
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
        check_tz(tz)
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
