"""The output folder of a run: sites, coverage, map, report and run record.

:func:`write_outputs` writes, each file atomically (a temporary file renamed),
``sites.geojson``, ``coverage.csv``, ``map.html`` (:mod:`planner.maps`),
``report.html`` (:mod:`planner.report`) and ``run.json`` (inputs' hashes,
parameters, versions, solver, and ``stages``: every stage's name and seconds)
for one or more :class:`~planner.plan.PlanResult`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._atomic import write_text
from planner._errors import InputError
from planner._stages import Stages, stage_dicts
from planner.crs import WGS84
from planner.maps import plan_map, save_map
from planner.report import report_html

if TYPE_CHECKING:
    from planner.plan.result import PlanResult

__all__ = ["json_default", "write_outputs"]


def json_default(value: Any) -> Any:
    """Return a JSON-ready stand-in for a value :mod:`json` cannot write.

    Parameters
    ----------
    value
        A numpy scalar, a path, a tuple or set, or anything else (written as text).

    Returns
    -------
    object
        The Python number, the path as text, a list, or ``str(value)``.

    Examples
    --------
    >>> import json, numpy as np
    >>> json.dumps({"p": np.int64(3), "kinds": ("a",)}, default=json_default)
    '{"p": 3, "kinds": ["a"]}'
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def write_outputs(
    results: Sequence[PlanResult],
    folder: str | Path,
    *,
    offline: bool = True,
    tiles: str | None = "OpenStreetMap",
    language: Literal["en", "zh"] = "en",
    title: str | None = None,
    progress: bool = False,
) -> dict[str, Path]:
    """Write the outputs of one or more plans (one map, one report) into a folder.

    Parameters
    ----------
    results
        The plans (e.g. worker stations and driver homes of one region).
    folder
        Output folder (created).
    offline, tiles, language
        Map options (see :meth:`PlanResult.to_files`).
    title
        Map and report title (default: the first plan's name).
    progress
        Show the stages (map, report) on a progress bar; their times are in
        ``run.json``'s ``stages`` after the plans' own.

    Returns
    -------
    dict of str to Path
        ``sites``, ``coverage``, ``map``, ``report`` and ``run`` paths.
    """
    if not results:
        raise InputError("no plan results to write.", field="results")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for res in results:
        sites = res.sites.copy()
        sites.insert(0, "programme", res.programme)
        sites.insert(1, "site_id", [str(i) for i in sites.index])
        frames.append(sites.reset_index(drop=True))
    sites_all = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
    for column in sites_all.columns:
        if column != sites_all.geometry.name and sites_all[column].dtype == object:
            sites_all[column] = sites_all[column].map(lambda v: None if v is None else str(v))
    paths = {
        "sites": write_text(
            folder / "sites.geojson",
            sites_all.to_json(drop_id=True, na="null") if len(sites_all) else _empty_geojson(),
        ),
        "coverage": write_text(
            folder / "coverage.csv",
            pd.concat(
                [r.coverage.assign(programme=r.programme) for r in results], ignore_index=True
            ).to_csv(index=False),
        ),
    }
    stages = Stages("outputs", progress=progress)
    with stages("map"):
        m = plan_map(list(results), tiles=tiles, language=language, title=title)
        paths["map"] = save_map(m, folder / "map.html", offline=offline)
    with stages("report"):
        paths["report"] = write_text(
            folder / "report.html", report_html(list(results), map_file="map.html", title=title)
        )
    run: dict[str, Any] = {"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    run["plans"] = [r.run_info() for r in results]
    # every stage of the run, the plans' (read ... service areas) then the outputs'
    run["stages"] = [
        {"plan": r.name, **stage} for r in results for stage in stage_dicts(r.stages)
    ] + stage_dicts(stages.close())
    paths["run"] = write_text(folder / "run.json", json.dumps(run, indent=2, ensure_ascii=False))
    return paths


def _empty_geojson() -> str:
    return json.dumps({"type": "FeatureCollection", "features": []})
