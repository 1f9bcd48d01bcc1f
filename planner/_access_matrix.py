"""The sparse access matrix: travel times from demand points to sites up to a cutoff.

:class:`AccessMatrix` is made by :func:`planner.access.access_matrix` (and
expanded from :class:`planner.access.NodeAccess`); saved and loaded as ``.npz``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner._access_engine import check_cutoff_s
from planner._atomic import atomic_file
from planner._errors import InputError

logger = logging.getLogger(__name__)

_FORMAT = "planner.AccessMatrix"
_FORMAT_VERSION = 1


# =========================================================================== AccessMatrix


def excluded_points(demand_snap: pd.DataFrame, site_snap: pd.DataFrame) -> pd.DataFrame:
    """Return the points of two snap tables left out beyond the snap limit (``far``).

    Columns ``role`` (``"demand"`` or ``"site"``), ``label`` and ``distance_m``; a
    table without a ``far`` column has none left out.
    """
    parts = []
    for role, snap in (("demand", demand_snap), ("site", site_snap)):
        far = snap[snap["far"]] if "far" in snap else snap.iloc[:0]
        parts.append(
            pd.DataFrame(
                {
                    "role": role,
                    "label": far.index.to_list(),
                    "distance_m": far.get("distance_m", []),
                }
            ).reset_index(drop=True)
        )
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True, eq=False)
class AccessMatrix:
    """Network travel times from demand points to sites, up to a cutoff (sparse).

    **Times are in seconds.** ``matrix[i, j]`` is the time from demand point
    ``demand_index[i]`` to site ``site_index[j]`` (snap legs included, see the
    module docs); pairs beyond ``cutoff_s`` are not stored, and a stored ``0.0``
    is a real time.

    Parameters
    ----------
    matrix
        ``scipy.sparse.csr_array`` of ``float64`` seconds, demand × site, sorted
        indices, explicit zeros kept.
    demand_index, site_index
        Labels of the rows and columns: the input indexes, less excluded points.
    cutoff_s
        The cutoff in seconds.
    mode
        The travel mode's name.
    demand_snap, site_snap
        Snap tables of *all* input points (``node``, ``node_index``,
        ``distance_m``, ``access_s``, ``far``), on the input indexes.
    metadata
        JSON-compatible facts: network source, snap limit, timings, counts.
    """

    matrix: sp.csr_array
    demand_index: pd.Index
    site_index: pd.Index
    cutoff_s: float
    mode: str
    demand_snap: pd.DataFrame
    site_snap: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check that the labels fit the matrix."""
        shape = (len(self.demand_index), len(self.site_index))
        if self.matrix.shape != shape:
            raise InputError(
                f"matrix shape {self.matrix.shape} does not match the labels {shape}.",
                field="matrix",
            )

    def __repr__(self) -> str:
        return (
            f"AccessMatrix({self.shape[0]:,} demand × {self.shape[1]:,} sites, "
            f"{self.nnz:,} pairs within {self.cutoff_s / 60:g} min by {self.mode})"
        )

    @property
    def shape(self) -> tuple[int, int]:
        """``(demand points, sites)``."""
        return (int(self.matrix.shape[0]), int(self.matrix.shape[1]))

    @property
    def nnz(self) -> int:
        """The number of stored pairs (explicit zeros included)."""
        return int(self.matrix.nnz)

    @property
    def cutoff_min(self) -> float:
        """The cutoff in minutes."""
        return self.cutoff_s / 60.0

    @property
    def excluded(self) -> pd.DataFrame:
        """Points left out because they lie beyond the snap limit.

        Returns
        -------
        pandas.DataFrame
            Columns ``role`` (``"demand"`` or ``"site"``), ``label`` and ``distance_m``.
        """
        return excluded_points(self.demand_snap, self.site_snap)

    def to_frame(self) -> pd.DataFrame:
        """Return the stored pairs as a long table.

        Returns
        -------
        pandas.DataFrame
            Columns ``demand``, ``site`` (labels) and ``time_s``.
        """
        coo = self.matrix.tocoo()
        return pd.DataFrame(
            {
                "demand": self.demand_index[coo.row],
                "site": self.site_index[coo.col],
                "time_s": coo.data,
            }
        )

    def within(self, cutoff_min: float) -> AccessMatrix:
        """Return the matrix restricted to a smaller cutoff (zeros kept).

        Parameters
        ----------
        cutoff_min
            The new cutoff in minutes, at most the current one.

        Returns
        -------
        AccessMatrix
            The pairs with ``time_s <= 60 * cutoff_min``.
        """
        cutoff = check_cutoff_s(cutoff_min * 60.0 if is_number(cutoff_min) else cutoff_min)
        if cutoff > self.cutoff_s * (1 + 1e-12):
            raise InputError(
                f"cannot widen an access matrix from {self.cutoff_min:g} to {cutoff_min:g} "
                "minutes: pairs beyond the original cutoff were never computed.",
                field="cutoff_min",
                fix="build a new matrix with the larger cutoff.",
            )
        return _replace_matrix(self, _filter_csr(self.matrix, self.matrix.data <= cutoff), cutoff)

    def select_sites(self, sites: Sequence[Any] | pd.Index | np.ndarray) -> AccessMatrix:
        """Return the matrix with only the given sites (columns), by label.

        Parameters
        ----------
        sites
            Site labels to keep, in the order wanted.

        Returns
        -------
        AccessMatrix
            The sub-matrix (zeros kept).
        """
        labels = pd.Index(sites)
        positions = self.site_index.get_indexer(labels)
        if (positions < 0).any():
            missing = labels[positions < 0][:10].to_list()
            raise InputError(f"unknown sites {missing}.", field="sites")
        sub = sp.csr_array(self.matrix[:, positions])
        sub.sort_indices()
        return AccessMatrix(
            sub,
            self.demand_index,
            self.site_index[positions],
            self.cutoff_s,
            self.mode,
            self.demand_snap,
            self.site_snap.loc[labels] if len(self.site_snap) else self.site_snap,
            dict(self.metadata),
        )

    def nearest(self) -> pd.DataFrame:
        """Return each demand point's nearest site within the cutoff.

        Ties go to the site that comes first in ``site_index``.

        Returns
        -------
        pandas.DataFrame
            On ``demand_index``: ``site`` (label, missing where none is within the
            cutoff), ``time_s`` (``NaN`` where none) and ``n_sites`` (how many are
            within the cutoff).

        Examples
        --------
        >>> import numpy as np, pandas as pd, scipy.sparse as sp
        >>> # a stored 0.0 (demand point "a" stands at site "s1") is a real time
        >>> m = sp.csr_array(([0.0, 300.0, 400.0], [0, 1, 1], [0, 2, 3]), shape=(2, 2))
        >>> am = AccessMatrix(m, pd.Index(["a", "b"]), pd.Index(["s1", "s2"]), 900.0,
        ...                   "ebike", pd.DataFrame(), pd.DataFrame())
        >>> am.nearest()["site"].to_list(), am.nearest()["time_s"].to_list()
        (['s1', 's2'], [0.0, 400.0])
        """
        position, best = _row_argmin(self.matrix)
        found = position >= 0
        sites = pd.Series(pd.NA, index=self.demand_index, dtype=object)
        sites[found] = self.site_index[position[found]].to_numpy(dtype=object)
        return pd.DataFrame(
            {
                "site": sites,
                "time_s": best,
                "n_sites": np.diff(self.matrix.indptr).astype(np.int64),
            },
            index=self.demand_index,
        )

    # ------------------------------------------------------------------------ I/O
    def save(self, path: str | Path) -> Path:
        """Write the matrix, labels, snap tables and metadata to one ``.npz`` file, atomically.

        The file is written beside the target and renamed over it, so a crash never
        leaves a half-written file. Labels must be integers, strings or floats.

        Parameters
        ----------
        path
            The file to write (``.npz`` is conventional).

        Returns
        -------
        pathlib.Path
            The path written; read it back with :meth:`AccessMatrix.load`.
        """
        path = Path(path)
        header = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "shape": list(self.shape),
            "cutoff_s": self.cutoff_s,
            "mode": self.mode,
            "demand_index": _index_to_json(self.demand_index, "demand_index"),
            "site_index": _index_to_json(self.site_index, "site_index"),
            "demand_snap_index": _index_to_json(self.demand_snap.index, "demand_snap"),
            "site_snap_index": _index_to_json(self.site_snap.index, "site_snap"),
            "metadata": self.metadata,
        }
        arrays: dict[str, np.ndarray] = {
            "header": np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
            "data": self.matrix.data,
            "indices": self.matrix.indices,
            "indptr": self.matrix.indptr,
        }
        for role, snap in (("demand", self.demand_snap), ("site", self.site_snap)):
            for column in _SNAP_COLUMNS:
                if column in snap:
                    arrays[f"{role}_snap_{column}"] = snap[column].to_numpy()
        with atomic_file(path) as tmp, tmp.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, path: str | Path) -> AccessMatrix:
        """Read a matrix written by :meth:`AccessMatrix.save`.

        Parameters
        ----------
        path
            The ``.npz`` file.

        Returns
        -------
        AccessMatrix
            The same matrix, labels, snap tables and metadata (explicit zeros kept).
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"no such file: {path}.", file=path, fix="check the path.")
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
            header = json.loads(arrays["header"].tobytes().decode("utf-8"))
        except (OSError, ValueError, KeyError) as error:
            raise InputError(
                f"{path.name} is not an access matrix file ({error}).",
                file=path,
                fix="write it with AccessMatrix.save.",
            ) from error
        if header.get("format") != _FORMAT or header.get("version") != _FORMAT_VERSION:
            raise InputError(
                f"{path.name} holds {header.get('format')!r} version "
                f"{header.get('version')!r}, not {_FORMAT!r} version {_FORMAT_VERSION}.",
                file=path,
                fix="rebuild the matrix with this version of planner.",
            )
        shape = tuple(header["shape"])
        matrix = sp.csr_array(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape, copy=False
        )
        snaps = []
        for role in ("demand", "site"):
            index = _index_from_json(header[f"{role}_snap_index"])
            columns = {
                column: arrays[f"{role}_snap_{column}"]
                for column in _SNAP_COLUMNS
                if f"{role}_snap_{column}" in arrays
            }
            snaps.append(pd.DataFrame(columns, index=index))
        return cls(
            matrix,
            _index_from_json(header["demand_index"]),
            _index_from_json(header["site_index"]),
            float(header["cutoff_s"]),
            str(header["mode"]),
            snaps[0],
            snaps[1],
            dict(header["metadata"]),
        )


_SNAP_COLUMNS = ("node", "node_index", "distance_m", "access_s", "far")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _filter_csr(matrix: sp.csr_array, keep: np.ndarray) -> sp.csr_array:
    """Keep the stored entries where ``keep`` is true (never drops explicit zeros)."""
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    indptr = np.zeros(matrix.shape[0] + 1, dtype=matrix.indptr.dtype)
    np.cumsum(np.bincount(row_of[keep], minlength=matrix.shape[0]), out=indptr[1:])
    return sp.csr_array(
        (matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape, copy=False
    )


def _replace_matrix(access: AccessMatrix, matrix: sp.csr_array, cutoff_s: float) -> AccessMatrix:
    return AccessMatrix(
        matrix,
        access.demand_index,
        access.site_index,
        cutoff_s,
        access.mode,
        access.demand_snap,
        access.site_snap,
        dict(access.metadata),
    )


def _row_argmin(matrix: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the column of the smallest stored value (first on ties, -1 if none), value."""
    n = matrix.shape[0]
    position = np.full(n, -1, dtype=np.int64)
    best = np.full(n, np.nan)
    counts = np.diff(matrix.indptr)
    rows = np.flatnonzero(counts)
    if len(rows) == 0:
        return position, best
    starts = matrix.indptr[:-1][rows]
    minima = np.minimum.reduceat(matrix.data, starts)
    best[rows] = minima
    row_of = np.repeat(np.arange(n), counts)
    hit = matrix.data == best[row_of]
    # first hit per row: entries are sorted by column within a row
    hit_pos = np.flatnonzero(hit)
    first = np.unique(row_of[hit_pos], return_index=True)[1]
    position[row_of[hit_pos[first]]] = matrix.indices[hit_pos[first]]
    return position, best


def _index_to_json(index: pd.Index, name: str) -> dict[str, Any]:
    if isinstance(index, pd.MultiIndex):
        raise InputError(
            f"{name} is a MultiIndex, which AccessMatrix.save does not store.",
            field=name,
            fix="reset_index() to plain labels before building the matrix.",
        )
    values: list[Any]
    if pd.api.types.is_integer_dtype(index.dtype):
        kind, values = "int", [int(v) for v in index]
    elif pd.api.types.is_float_dtype(index.dtype):
        kind, values = "float", [float(v) for v in index]
    elif all(isinstance(v, str) for v in index):
        kind, values = "str", [str(v) for v in index]
    elif all(isinstance(v, (int, np.integer, str)) for v in index):
        kind, values = "mixed", [v if isinstance(v, str) else int(v) for v in index]
    else:
        raise InputError(
            f"{name} holds labels that are not integers or strings (e.g. "
            f"{next(v for v in index if not isinstance(v, (int, np.integer, str)))!r}).",
            field=name,
            fix="use integer or string labels.",
        )
    return {"kind": kind, "name": index.name, "values": values}


def _index_from_json(data: dict[str, Any]) -> pd.Index:
    dtype: Any = {"int": "int64", "float": "float64", "str": object, "mixed": object}[data["kind"]]
    return pd.Index(np.asarray(data["values"], dtype=dtype), name=data["name"])
