"""Opening hours of stations: read them, and ask which stations are open when.

Stations may carry opening hours (column ``hours``): ``"24/7"`` (also ``"24h"``,
``"00:00-24:00"``) for unattended stations open around the clock, one range
``"08:00-20:00"``, a range over midnight ``"22:00-06:00"``, or several ranges
``"08:00-12:00,14:00-18:00"``. The same hours apply every day; ranges include their
start minute and exclude their end minute.

- :func:`parse_hours` reads the text into ``(open, close)`` minutes since midnight
  (:func:`planner.io.read_stations` checks every row with it);
- :func:`hours_mask` turns it into the 1440 minutes of a day;
- :func:`stations_open` tells which stations are open in a daily time window,
  for the whole window (``open_rule="whole"``) or at some moment of it (``"any"``);
  :func:`planner.coverage.coverage` uses it for ``hours=``.
"""

from __future__ import annotations

import math
import re
from typing import Final, Literal

import numpy as np
import pandas as pd

from planner._errors import InputError, Problem

__all__ = ["hours_mask", "parse_hours", "stations_open"]

_HOURS_RANGE: Final = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
_MINUTES = 24 * 60
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


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


def _minute(text: str, *, allow_24: bool) -> int:
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"{text.strip()!r} is not a time HH:MM")
    hours, minutes = int(match.group(1)), int(match.group(2))
    value = hours * 60 + minutes
    if minutes >= 60 or value > _MINUTES or (value == _MINUTES and not allow_24):
        raise ValueError(f"{text.strip()!r} is not a time of day")
    return value


def hours_mask(text: str) -> np.ndarray:
    """Return the minutes of the day (0..1439) at which a station is open, as a mask.

    The text is read by :func:`parse_hours` (``"24/7"``,
    ``"08:00-20:00"``, ``"22:00-06:00"`` over midnight, or ranges separated by
    commas); a range's end minute is excluded.

    Parameters
    ----------
    text
        The opening hours.

    Returns
    -------
    numpy.ndarray
        1440 booleans, ``True`` where open.

    Raises
    ------
    ValueError
        Text that is not in this form (weekday rules are not supported).

    Examples
    --------
    >>> mask = hours_mask("22:00-06:00")
    >>> bool(mask[23 * 60]), bool(mask[5 * 60 + 59]), bool(mask[6 * 60]), int(mask.sum())
    (True, True, False, 480)
    """
    mask = np.zeros(_MINUTES, dtype=bool)
    for start, end in parse_hours(text):
        if start < end:
            mask[start:end] = True
        else:  # over midnight
            mask[start:] = True
            mask[:end] = True
    return mask


def _window_mask(window: tuple[str, str]) -> np.ndarray:
    try:
        start_text, end_text = window
    except (TypeError, ValueError) as error:
        raise InputError(
            f"hours must be a (start, end) pair of 'HH:MM' times, got {window!r}.",
            field="hours",
            fix="pass e.g. hours=('22:00', '23:00').",
        ) from error
    try:
        start = _minute(str(start_text), allow_24=False)
        end = _minute(str(end_text), allow_24=True) % _MINUTES
    except ValueError as error:
        raise InputError(
            f"hours {window!r}: {error}.",
            field="hours",
            fix="pass 'HH:MM' times, e.g. hours=('22:00', '23:00').",
        ) from error
    mask = np.zeros(_MINUTES, dtype=bool)
    if start == end:
        mask[start] = True  # an instant
    elif start < end:
        mask[start:end] = True
    else:
        mask[start:] = True
        mask[:end] = True
    return mask


def stations_open(
    stations: pd.DataFrame,
    window: tuple[str, str],
    *,
    column: str = "hours",
    open_rule: Literal["whole", "any"] = "whole",
    label: str = "stations",
) -> pd.Series:
    """Return which stations are open in a daily time window.

    Parameters
    ----------
    stations
        A table with an opening-hours column (see the module docs).
    window
        ``(start, end)`` as ``"HH:MM"``; ``end < start`` runs over midnight, and
        ``start == end`` is the single minute ``start``.
    column
        The opening-hours column.
    open_rule
        ``"whole"``: open for the whole window; ``"any"``: open at some moment of it.
    label
        What the stations are, for messages.

    Returns
    -------
    pandas.Series
        Booleans on the stations' index.

    Raises
    ------
    InputError
        A missing column, missing hours, or hours that cannot be read (every bad
        row is listed).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"hours": ["24/7", "08:00-20:00", "22:00-06:00"]})
    >>> stations_open(s, ("23:00", "01:00")).tolist()
    [True, False, True]
    """
    if open_rule not in ("whole", "any"):
        raise InputError(
            f"open_rule must be 'whole' or 'any', got {open_rule!r}.", field="open_rule"
        )
    if column not in stations.columns:
        raise InputError(
            f"{label} has no {column!r} column, so opening hours cannot be checked.",
            file=label,
            field=column,
            fix="add opening hours (e.g. '24/7', '08:00-20:00') or call without hours=.",
        )
    wanted = _window_mask(window)
    problems: list[Problem] = []
    result = np.zeros(len(stations), dtype=bool)
    for row, value in enumerate(stations[column].tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            problems.append(
                Problem(
                    "opening hours are missing.",
                    file=label,
                    row=row + 1,
                    field=column,
                    fix="fill them, e.g. '24/7' for an unattended station.",
                )
            )
            continue
        try:
            mask = hours_mask(str(value))
        except ValueError as error:
            problems.append(
                Problem(
                    f"cannot read opening hours {value!r}: {error}.",
                    file=label,
                    row=row + 1,
                    field=column,
                    fix="write '24/7', 'HH:MM-HH:MM' or ranges separated by commas.",
                )
            )
            continue
        result[row] = bool(mask[wanted].all() if open_rule == "whole" else mask[wanted].any())
    if problems:
        raise InputError(problems)
    return pd.Series(result, index=stations.index, name="open")
