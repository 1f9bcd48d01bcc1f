"""Stages of a run, timed and shown: one progress bar stepping through named stages.

A study (:meth:`planner.plan.Plan.site`) and the writing of its output folder
(:func:`planner.outputs.write_outputs`) run in stages (read, snap, access,
solve, coverage, service areas, map, report). :class:`Stages` times each one
(``time.perf_counter``), shows it on a bar when ``progress=True``, and keeps the
list of ``{name, seconds}`` that the result and ``run.json`` report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from planner._progress import progress_bar

__all__ = ["Stage", "Stages", "stage_dicts"]


@dataclass(frozen=True)
class Stage:
    """One timed stage of a run.

    Attributes
    ----------
    name
        What ran (``"snap"``, ``"solve"``, ...).
    seconds
        Wall time it took.
    """

    name: str
    seconds: float

    def as_dict(self) -> dict[str, float | str]:
        """Return ``{"name": ..., "seconds": ...}`` (seconds to the millisecond).

        Returns
        -------
        dict
            JSON-ready.
        """
        return {"name": self.name, "seconds": round(self.seconds, 3)}


class Stages:
    """Time named stages and show them on one bar (silent without ``progress``).

    Parameters
    ----------
    desc
        Bar title.
    progress
        Show the bar.

    Examples
    --------
    >>> stages = Stages("study", progress=False)
    >>> with stages("solve"):
    ...     pass
    >>> [s.name for s in stages.done]
    ['solve']
    """

    def __init__(self, desc: str, *, progress: bool) -> None:
        self._bar = progress_bar(desc, enabled=progress)
        self.done: list[Stage] = []

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Run one stage: show its name while it runs, record its time after.

        Parameters
        ----------
        name
            The stage's name.

        Yields
        ------
        None
            Control, while the stage runs.
        """
        started = time.perf_counter()
        with self._bar.stage(name):
            yield
        self.done.append(Stage(name, time.perf_counter() - started))

    def add(self, name: str, seconds: float) -> None:
        """Record a stage timed elsewhere (e.g. inside a call that does two stages).

        Parameters
        ----------
        name
            The stage's name.
        seconds
            Its wall time.
        """
        self._bar.step(name)
        self.done.append(Stage(name, float(seconds)))

    def close(self) -> tuple[Stage, ...]:
        """Close the bar and return the stages in the order they ran.

        Returns
        -------
        tuple of Stage
            The stages.
        """
        self._bar.close()
        return tuple(self.done)


def stage_dicts(stages: Sequence[Stage]) -> list[dict[str, float | str]]:
    """Return stages as ``[{"name": ..., "seconds": ...}, ...]`` (for ``run.json``).

    Parameters
    ----------
    stages
        The stages.

    Returns
    -------
    list of dict
        JSON-ready.
    """
    return [s.as_dict() for s in stages]
