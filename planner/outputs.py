"""The output folder of a run: sites, coverage, map, report and run record.

:func:`write_outputs` writes, each file atomically (a temporary file renamed),
for one or more :class:`~planner.plan.PlanResult`:

* ``sites.csv`` and ``sites.xlsx`` (:func:`sites_table`): recommended sites and
  existing stations for people, headers in the reader's language, coordinates in
  the user's datum (GCJ-02 for Amap, BD-09 for Baidu) and in WGS84;
* ``sites.geojson``: the recommended sites for GIS software, WGS84 (RFC 7946);
* ``coverage.csv``; ``map.html`` (:mod:`planner.maps`); ``report.html``
  (:mod:`planner.report`);
* ``run.json``: inputs' hashes, parameters, versions, solver, and ``stages``:
  every stage of the run (the plans' read ... service areas, then map and
  report) with its seconds.

Same inputs and seed, same bytes: every file but ``run.json``, whose
``created`` time, solver and stage ``seconds`` are the clock's.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import _i18n
from planner._atomic import atomic_file, write_text
from planner._errors import InputError
from planner._i18n import Language
from planner._stages import Stages, stage_dicts
from planner.crs import WGS84, from_wgs84, normalize_datum
from planner.maps import plan_map, save_map
from planner.report import _addresses as _address
from planner.report import report_html

if TYPE_CHECKING:
    from planner.plan.result import PlanResult

__all__ = ["DATUM_NAMES", "json_default", "sites_table", "write_outputs"]

#: How each datum is written for people.
DATUM_NAMES = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09"}


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


def _coords(frame: gpd.GeoDataFrame, datum: str) -> tuple[np.ndarray, np.ndarray]:
    lon = frame.geometry.x.to_numpy(dtype=float)
    lat = frame.geometry.y.to_numpy(dtype=float)
    if datum != "wgs84" and lon.size:
        lon, lat = from_wgs84(lon, lat, datum)
    return np.round(np.asarray(lon, dtype=float), 6), np.round(np.asarray(lat, dtype=float), 6)


def sites_table(
    results: Sequence[PlanResult],
    *,
    datum: str = "wgs84",
    language: Language = "en",
) -> pd.DataFrame:
    """Return the sites table for people: recommended sites, then existing stations.

    One row per recommended site (rank order) and per existing station of each
    plan, with headers in ``language``: programme, status, rank, (phase), site
    id, name, type, address or nearest named road, unit, what the site adds
    (and the share of all demand; covered share with it and the sites ranked
    before it), trucks a day passing (driver homes), the nearest existing
    station and its distance, what the site serves when every demand point goes
    to its nearest open site within the cutoff (the ``alloc_*`` columns of
    :attr:`PlanResult.allocation`: demand, points or routes, mean and longest
    travel time), and longitude/latitude in ``datum`` and in WGS84.

    Parameters
    ----------
    results
        The plans.
    datum
        ``"wgs84"``, ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu): the
        coordinates people paste into their map app. WGS84 columns are always there.
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    pandas.DataFrame
        Numbers as numbers (shares in per cent, coordinates to 6 decimals).
    """
    datum = normalize_datum(datum)
    lang = _i18n.check_language(language)

    def t(key: str, **values: Any) -> str:
        return _i18n.text(key, lang, **values)

    with_phase = any("phase" in r.sites for r in results)
    with_passing = any(r.programme == "driver_homes" for r in results)
    frames = []
    for res in results:
        alloc = res.allocation
        unit = t("unit_trucks") if res.programme == "driver_homes" else t("col_demand_unit")
        for status, source in (("new", res.sites), ("existing", res.stations)):
            part = alloc[alloc["status"] == status]
            source = source.reindex(part.index)
            table: dict[str, Any] = {
                t("col_programme"): t(res.programme),
                t("col_status"): t(f"status_{status}"),
                t("col_rank"): part["rank"].astype("Int64").array,
            }
            if with_phase:
                table[t("col_phase")] = _whole(source, "phase")
            table |= {
                t("col_site_id"): [str(i) for i in part.index],
                t("col_name"): [v if isinstance(v, str) else "" for v in part["name"]],
                t("col_kind"): [_i18n.term("kind", v, lang) for v in part["kind"]],
                t("col_address"): _address(source, lang),
                t("col_unit"): unit,
                t("col_adds_plain"): _numbers(source, "added"),
                t("col_adds_share_pct"): _numbers(source, "added_share", scale=100.0),
                t("col_cumulative_pct"): _numbers(source, "cumulative_share", scale=100.0),
            }
            if with_passing:
                table[t("col_passing")] = _numbers(source, "passing_volume", digits=1)
            nearest = source.get("nearest_station")
            table |= {
                t("col_nearest_station"): [
                    v if isinstance(v, str) else ""
                    for v in (nearest if nearest is not None else [None] * len(part))
                ],
                t("col_nearest_station_m"): _whole(source, "nearest_station_m"),
                t("col_served_plain"): _numbers(part, "alloc_weight"),
                t("col_served_count"): _whole(part, "alloc_points"),
                t("col_mean_any" if with_passing else "col_mean_time"): _numbers(
                    part, "alloc_mean_min"
                ),
                t("col_worst_any" if with_passing else "col_worst_time"): _numbers(
                    part, "alloc_max_min"
                ),
            }
            if datum != "wgs84":
                lon, lat = _coords(part, datum)
                table[t("col_lon", datum=DATUM_NAMES[datum])] = lon
                table[t("col_lat", datum=DATUM_NAMES[datum])] = lat
            lon, lat = _coords(part, "wgs84")
            table[t("col_lon", datum="WGS84")] = lon
            table[t("col_lat", datum="WGS84")] = lat
            frames.append(pd.DataFrame(table))
    return pd.concat(frames, ignore_index=True)


def _whole(frame: pd.DataFrame, column: str) -> pd.arrays.IntegerArray:
    """Return a column as whole numbers (missing where missing or absent)."""
    values = _numbers(frame, column, digits=0)
    return pd.array([None if np.isnan(v) else int(v) for v in values], dtype="Int64")


def _numbers(
    frame: pd.DataFrame, column: str, *, scale: float = 1.0, digits: int = 2
) -> np.ndarray:
    """Return a column as rounded floats (NaN where missing or absent)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[column].astype(object), errors="coerce").astype(float)
    return np.round(values.to_numpy(float) * scale, digits)


_FIXED_TIME = dt.datetime(2000, 1, 1)  # xlsx metadata and zip entries: the same bytes every run


def _xlsx_bytes(table: pd.DataFrame, *, sheet: str) -> bytes:
    """Return the table as an .xlsx workbook, byte-identical for the same table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([str(c) for c in table.columns])
    for row in table.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for k, column in enumerate(table.columns, start=1):
        values = [str(column)] + [str(v) for v in table[column].head(200)]
        wide = max(_display_width(v) for v in values)
        ws.column_dimensions[get_column_letter(k)].width = min(max(8, wide + 2), 60)
    book.properties.creator = "planner"
    book.properties.created = _FIXED_TIME
    book.properties.modified = _FIXED_TIME
    raw = io.BytesIO()
    book.save(raw)
    # openpyxl stamps the zip entries and the "modified" property with the clock when
    # it saves: rewrite them with one fixed time
    out = io.BytesIO()
    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2", data
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()


def _display_width(value: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in value)


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_outputs(
    results: Sequence[PlanResult],
    folder: str | Path,
    *,
    offline: bool = True,
    tiles: str | None = "OpenStreetMap",
    language: Language = "en",
    title: str | None = None,
    datum: str | None = None,
    progress: bool = False,
    skip: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write the outputs of one or more plans (one map, one report) into a folder.

    Parameters
    ----------
    results
        The plans (e.g. worker stations and driver homes of one region).
    folder
        Output folder (created).
    offline, tiles
        Map options (see :meth:`PlanResult.to_files`).
    language
        ``"en"`` or ``"zh"``: the report, the sites tables' headers and the map labels.
    title
        Map and report title (default: the first plan's name).
    datum
        Coordinates of ``sites.csv``/``sites.xlsx`` (beside the WGS84 ones):
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``; default the datum the stations
        were read in (:attr:`PlanResult.input_datum`). ``sites.geojson`` is WGS84.
    progress
        Show the stages (map, report) on a progress bar; their times are in
        ``run.json``'s ``stages`` after the plans' own.
    skip
        Outputs not to write, ``"map.html"`` and/or ``"report.html"``, each with
        the reason, e.g. ``{"map.html": "[output] map = false"}``: ``run.json``
        lists them under ``outputs.skipped``; a report without its map neither
        links nor lists it.

    Returns
    -------
    dict of str to Path
        ``sites``, ``sites_csv``, ``sites_xlsx``, ``coverage``, ``map``,
        ``report`` and ``run`` paths (without the skipped ones).
    """
    if not results:
        raise InputError("no plan results to write.", field="results")
    skipped = dict(skip or {})
    unknown = sorted(set(skipped) - {"map.html", "report.html"})
    if unknown:
        raise InputError(
            f"only map.html and report.html can be skipped, not {', '.join(unknown)}.",
            field="skip",
        )
    lang = _i18n.check_language(language)
    datum = normalize_datum(datum if datum is not None else results[0].input_datum)
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
    people = sites_table(results, datum=datum, language=lang)
    paths = {
        "sites": write_text(
            folder / "sites.geojson",
            sites_all.to_json(drop_id=True, na="null") if len(sites_all) else _empty_geojson(),
        ),
        # a byte-order mark: Excel then reads the UTF-8 (Chinese) text right
        "sites_csv": write_text(folder / "sites.csv", "\ufeff" + people.to_csv(index=False)),
    }
    with atomic_file(folder / "sites.xlsx") as tmp:
        tmp.write_bytes(_xlsx_bytes(people, sheet=_i18n.text("sheet_sites", lang)))
    paths["sites_xlsx"] = folder / "sites.xlsx"
    paths["coverage"] = write_text(
        folder / "coverage.csv",
        pd.concat(
            [r.coverage.assign(programme=r.programme) for r in results], ignore_index=True
        ).to_csv(index=False),
    )
    stages = Stages("outputs", progress=progress)
    if "map.html" not in skipped:
        with stages("map"):
            m = plan_map(list(results), tiles=tiles, language=lang, title=title, datum=datum)
            paths["map"] = save_map(m, folder / "map.html", offline=offline)
    if "report.html" not in skipped:
        with stages("report"):
            paths["report"] = write_text(
                folder / "report.html",
                report_html(
                    list(results),
                    map_file=None if "map.html" in skipped else "map.html",
                    title=title,
                    language=lang,
                    datum=datum,
                    files=True,
                ),
            )
    run: dict[str, Any] = {"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    run["outputs"] = {
        "language": lang,
        "datum": datum,
        "datums": {
            "sites.csv": [datum, "wgs84"] if datum != "wgs84" else ["wgs84"],
            "sites.xlsx": [datum, "wgs84"] if datum != "wgs84" else ["wgs84"],
            "sites.geojson": ["wgs84"],
            **({} if "map.html" in skipped else {"map.html": ["wgs84"]}),
        },
        "skipped": skipped,
        "varies_between_runs": [
            "created",
            "plans[].solver.seconds",
            "plans[].stages[].seconds",
            "stages[].seconds",
        ],
    }
    run["plans"] = [r.run_info() for r in results]
    # every stage of the run, the plans' (read ... service areas) then the outputs'
    run["stages"] = [
        {"plan": r.name, **stage} for r in results for stage in stage_dicts(r.stages)
    ] + stage_dicts(stages.close())
    paths["run"] = write_text(folder / "run.json", json.dumps(run, indent=2, ensure_ascii=False))
    return paths


def _empty_geojson() -> str:
    return json.dumps({"type": "FeatureCollection", "features": []})
