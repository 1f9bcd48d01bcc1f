"""Exception types raised by planner.

Every error subclasses a built-in (``ValueError`` or ``RuntimeError``) so that
callers who do not know planner can still catch it, and :class:`PlannerError`
so that callers who do can catch all of planner's errors at once.

Messages name what is wrong (file, row, field, argument), the value found and
the fix, in that order.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class PlannerError(Exception):
    """Base class of every error raised by planner."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating an input.

    Parameters
    ----------
    message
        What is wrong, in a sentence.
    file
        The file the input came from, if any.
    row
        The 1-based data row (the header is row 0), if the problem is in one row.
    field
        The column or key concerned, if any.
    fix
        What the user should do about it.
    """

    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class InputError(PlannerError, ValueError):
    """An input (file, table, argument) is not usable as given.

    Parameters
    ----------
    message_or_problems
        A message, or one or more :class:`Problem` found in one validation pass;
        validation collects every problem it can and raises once.
    file, row, field, fix
        Where the problem is and what to do, when a single message is given.
    """

    def __init__(
        self,
        message_or_problems: str | Problem | Sequence[Problem],
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        if isinstance(message_or_problems, str):
            problems: list[Problem] = [
                Problem(
                    message_or_problems,
                    file=str(file) if file is not None else None,
                    row=row,
                    field=field,
                    fix=fix,
                )
            ]
        elif isinstance(message_or_problems, Problem):
            problems = [message_or_problems]
        else:
            problems = list(message_or_problems)
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = self.problems[0] if self.problems else Problem("invalid input")
        self.file = first.file
        self.row = first.row
        self.field = first.field
        self.fix = first.fix
        if len(self.problems) == 1:
            text = str(first)
        else:
            shown = self.problems[:20]
            text = f"{len(self.problems)} problems found:\n" + "\n".join(f"  - {p}" for p in shown)
            if len(self.problems) > len(shown):
                text += f"\n  ... and {len(self.problems) - len(shown)} more"
        super().__init__(text)


class DatumError(InputError):
    """Coordinates are in an unknown or unsupported datum or CRS."""


class SnapError(InputError):
    """Points lie farther from the road network than the snap limit allows."""


class NetworkError(PlannerError, ValueError):
    """A road network cannot be built or does not support what was asked of it."""


class OfflineError(PlannerError, RuntimeError):
    """A download was needed but the network is unreachable; use a local file instead."""


class InfeasibleError(PlannerError, ValueError):
    """A siting model has no feasible solution; the message gives the numbers."""


class SolverError(PlannerError, RuntimeError):
    """A solver failed for a reason other than infeasibility or a time limit."""


class SchedulerError(InputError):
    """A Dask scheduler does not answer, or cannot deliver, within the time allowed.

    Raised instead of waiting forever: the message names the address, what
    happened (refused, silent, not a Dask scheduler, no workers, workers that
    died or a scheduler that stopped answering mid-run) and the fix.
    """


class PlannerWarning(UserWarning):
    """Base class of planner's warnings: something was assumed or left out, visibly."""


class DatumWarning(PlannerWarning):
    """Points in China were read without a stated datum (WGS84, GCJ-02 or BD-09)."""


class OffNetworkWarning(PlannerWarning):
    """Stations or sites lie beyond the snap limit of the network and were left out."""


class DroppedFixesWarning(PlannerWarning):
    """GPS fixes were dropped: impossible jumps, or fixes outside the network's area."""


_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def warn(message: str, category: type[Warning] = PlannerWarning) -> None:
    """Issue a warning attributed to the first caller outside planner.

    Parameters
    ----------
    message
        The warning text (what was assumed or left out, and the fix).
    category
        The warning class.
    """
    level = 2  # 1 is this function, 2 its caller
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)


__all__ = [
    "DatumError",
    "DatumWarning",
    "DroppedFixesWarning",
    "InfeasibleError",
    "InputError",
    "NetworkError",
    "OffNetworkWarning",
    "OfflineError",
    "PlannerError",
    "PlannerWarning",
    "Problem",
    "SchedulerError",
    "SnapError",
    "SolverError",
    "warn",
]
