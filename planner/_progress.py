"""Progress bars: tqdm, imported so that quiet runs never touch notebook widgets.

``tqdm.auto`` picks Jupyter widgets inside a notebook (and warns when ipywidgets is
missing); it is imported only when a bar is actually shown.
"""

from __future__ import annotations

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
