"""Putting a finished run's files into its output folder without losing anything.

A run builds its files in a temporary folder beside the target; :func:`install_outputs`
then moves them in. The rules (README, "Batch runs"):

- a run never deletes or replaces a file it did not write: the files an earlier run
  wrote are the ones its manifest (``scenario.json``, key ``"outputs"``) lists; any
  other file in the folder (``my_notes.txt``) is never touched, and a new output
  whose name is taken by such a file stops the run (:class:`InputError`) before
  anything moves;
- earlier results are kept: the files of the earlier run move into
  ``<folder>/previous/<time of the earlier run>/`` (``keep_previous=False``, the
  CLI's ``--overwrite``, drops them instead);
- an error while moving puts everything back as it was.

A folder that does not exist yet is created by one rename, whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from planner._errors import InputError

__all__ = [
    "MANIFEST",
    "PREVIOUS",
    "Installed",
    "check_folder",
    "earlier_outputs",
    "install_outputs",
]

#: The file of a run's folder that lists the files the run wrote (key ``"outputs"``).
MANIFEST = "scenario.json"
#: The subfolder that keeps earlier runs' results.
PREVIOUS = "previous"
# Files planner runs wrote before manifests listed them (``PlanResult.to_files``,
# older scenario runs): counted as an earlier run's only beside its run.json.
_KNOWN = frozenset(
    {
        "sites.geojson",
        "sites.csv",
        "sites.xlsx",
        "coverage.csv",
        "communities.csv",
        "districts.csv",
        "map.html",
        "report.html",
        "run.json",
        "scenario.json",
        "run.log",
        "shares.csv",
        "points.geojson",
        "uncovered.geojson",
        "hexes.geojson",
    }
)


@dataclass(frozen=True)
class Installed:
    """What :func:`install_outputs` did.

    Parameters
    ----------
    folder
        The output folder.
    files
        The new files, by name.
    previous
        Where the earlier run's files went (``None``: there were none, or they
        were dropped on request).
    dropped
        Earlier run's files removed because ``keep_previous=False``.
    """

    folder: Path
    files: tuple[str, ...]
    previous: Path | None
    dropped: tuple[str, ...] = ()


def earlier_outputs(folder: str | Path) -> list[str]:
    """Return the names of the files an earlier planner run wrote into ``folder``.

    Parameters
    ----------
    folder
        An output folder (it need not exist).

    Returns
    -------
    list of str
        The files listed by the folder's manifest that are present; for a folder
        written before manifests, the known output names present beside a
        ``run.json``; nothing else (a user's own files are never listed).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("outputs")
        except (ValueError, OSError, AttributeError):
            listed = None
        if isinstance(listed, list):
            names = {str(n) for n in listed if "/" not in str(n) and str(n) not in ("", ".", "..")}
            return sorted(n for n in names | {MANIFEST} if (folder / n).is_file())
    if manifest.is_file() or (folder / "run.json").is_file():
        return sorted(n for n in _KNOWN if (folder / n).is_file())
    return []


def check_folder(folder: str | Path, names: set[str] | frozenset[str] = _KNOWN) -> None:
    """Refuse a folder where an output would replace a file planner did not write.

    Called before a run starts (so a long run does not fail at its end) and
    again when the outputs are installed.

    Parameters
    ----------
    folder
        The output folder.
    names
        The names the run will write.

    Raises
    ------
    InputError
        Naming the files and the fix.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(
            f"the output folder {folder} is a file.",
            file=str(folder),
            fix="choose another [output] folder.",
        )
    if not folder.is_dir():
        return
    ours = set(earlier_outputs(folder))
    taken = sorted(n for n in names if (folder / n).exists() and n not in ours)
    if taken:
        raise InputError(
            f"the output folder {folder} holds {', '.join(taken)}, which planner did not "
            "write; a run never replaces files it did not write.",
            file=str(folder),
            fix="move or rename those files, or choose another [output] folder.",
        )


def _stamp(folder: Path) -> str:
    manifest = folder / MANIFEST
    source = manifest if manifest.is_file() else folder
    when = dt.datetime.fromtimestamp(source.stat().st_mtime)
    return when.strftime("%Y%m%d-%H%M%S")


def _free_name(parent: Path, name: str) -> Path:
    path = parent / name
    k = 2
    while path.exists():
        path = parent / f"{name}-{k}"
        k += 1
    return path


def install_outputs(
    tmp: str | Path, target: str | Path, *, keep_previous: bool = True
) -> Installed:
    """Move a finished run's files from ``tmp`` into ``target``; keep what was there.

    Parameters
    ----------
    tmp
        The folder holding the new files (removed when done).
    target
        The output folder.
    keep_previous
        Move the earlier run's files into ``target/previous/<time>/`` (default);
        ``False`` removes them (the files of other programs are never touched).

    Returns
    -------
    Installed
        The new files and where the earlier ones went.

    Raises
    ------
    InputError
        When a new file's name is taken by a file planner did not write.
    """
    tmp, target = Path(tmp), Path(target)
    new = sorted(p.name for p in tmp.iterdir())
    if not target.exists():
        tmp.rename(target)
        return Installed(target, tuple(new), None)
    check_folder(target, frozenset(new))
    ours = earlier_outputs(target)
    stamp = _stamp(target) if ours else ""
    staging = _free_name(target, f".planner-previous-{os.getpid()}")
    staging.mkdir()
    moved: list[str] = []
    installed: list[str] = []
    # the manifest goes in first: a folder cut short by a kill still lists its files
    order = sorted(new, key=lambda n: (n != MANIFEST, n))
    try:
        for name in ours:
            os.rename(target / name, staging / name)
            moved.append(name)
        for name in order:
            os.replace(tmp / name, target / name)
            installed.append(name)
    except BaseException:
        for name in installed:
            (target / name).unlink(missing_ok=True)
        for name in moved:
            os.rename(staging / name, target / name)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    if not ours:
        staging.rmdir()
        return Installed(target, tuple(new), None)
    if not keep_previous:
        shutil.rmtree(staging, ignore_errors=True)
        return Installed(target, tuple(new), None, dropped=tuple(ours))
    (target / PREVIOUS).mkdir(exist_ok=True)
    previous = _free_name(target / PREVIOUS, stamp)
    os.rename(staging, previous)
    return Installed(target, tuple(new), previous)
