"""Files written whole or not at all, readable by everyone (outputs are for sharing)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_file(path: str | Path, *, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block succeeds it replaces ``path``.

    On an error the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path
        The file to write; its folder is created.
    mode
        Permissions of the finished file (temporary files are created 0600).

    Yields
    ------
    pathlib.Path
        Where to write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically.

    Parameters
    ----------
    path
        The file to write.
    text
        Its content.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
