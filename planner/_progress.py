"""Progress bars: tqdm, imported so that quiet runs never touch notebook widgets.

``tqdm.auto`` picks Jupyter widgets inside a notebook (and warns when ipywidgets is
missing); it is imported only when a bar is actually shown. :class:`Progress`
counts the steps of a long computation (a solve) on one bar, or silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def tqdm(*args: Any, disable: bool = False, **kwargs: Any) -> Any:
    """Return a tqdm progress bar; a silent one (plain tqdm) when ``disable`` is true.

    Parameters
    ----------
    *args, **kwargs
        Passed to ``tqdm``.
    disable
        No bar at all (the library's default: ``progress=False``).

    Returns
    -------
    tqdm.tqdm
        The bar (usable as an iterator or a context manager).
    """
    if disable:
        from tqdm import tqdm as plain

        return plain(*args, disable=True, **kwargs)
    from tqdm.auto import tqdm as auto

    return auto(*args, **kwargs)


class Progress:
    """Steps of a long computation (a solve) counted on one tqdm bar; silent without a bar.

    Parameters
    ----------
    bar
        A tqdm bar (see :func:`tqdm`), or None for no output.
    """

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def step(self, label: str, n: int = 1) -> None:
        """Count ``n`` steps of the stage ``label``.

        Parameters
        ----------
        label
            What is being done (shown next to the bar).
        n
            Steps done.
        """
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        """Close the bar (nothing without one)."""
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        """Show ``label`` while a long call runs (e.g. a HiGHS solve), count one step after it.

        Parameters
        ----------
        label
            What is being done.

        Yields
        ------
        None
            Control, while the stage runs.
        """
        if self.bar is not None:
            self.bar.set_postfix_str(f"{label}...", refresh=True)
        yield
        self.step(label)


def progress_bar(desc: str, *, enabled: bool) -> Progress:
    """Return a :class:`Progress` on a new tqdm bar counting steps (silent if disabled).

    Parameters
    ----------
    desc
        Bar title (e.g. the model's name).
    enabled
        Show the bar (a ``progress=`` argument).

    Returns
    -------
    Progress
        The reporter; call its ``close()`` when the work is done.
    """
    if not enabled:
        return Progress(None)
    return Progress(tqdm(desc=desc, unit="step", leave=True))
