"""Scenario files: one siting study described in TOML, validated before any heavy work.

A scenario names the road network, the inputs (stations, demand, candidates and
their datums), the travel mode and cutoff, the model and its options, the solver
options and the outputs. :func:`load_scenario` reads and checks one file and
returns a frozen :class:`Scenario`; every problem in the file is reported at once,
naming the file, the key (``[model] p``) and the allowed values. Unknown keys are
errors, so a typo never passes silently.

Relative paths in a scenario are taken from the scenario file's folder.

Driver-home scenarios (``programme = "driver_homes"``) take their truck routes
from ``[routes]`` (an OD table or GPS traces), candidates from ``[candidates]``
(``osm = true`` reads the driver-home tags of the scenario's OSM file;
``min_volume`` keeps sites passed by that many trucks a day), and in
``[model]``: ``interval_h`` (a rest at least every so many hours of driving),
``detour_min`` (a home within that many minutes off a route counts for it),
``p``, ``phases`` or ``budget`` (new homes), and ``subsidy_per_home`` (the cost of
each new home, for budgets and per-phase costs). See
``examples/province_driver_homes.toml``.

``[model] p = 0`` asks for no new site: the run measures today's coverage (as
``Plan.site(p=0)``, with a note saying so). ``[solver] mip_gap`` is the exact
solver's relative gap (default 0: prove the optimum). ``[output] map = false``
or ``report = false`` leaves that file out (``run.json`` says so).

Example (``examples/worker_stations.toml``)::

    name = "Futian worker stations"
    programme = "worker_stations"

    [network]
    osm = "futian.osm.pbf"

    [stations]
    path = "stations.csv"
    datum = "gcj02"

    [demand]
    traces = "rider_gps.csv"

    [candidates]
    osm = true

    [model]
    kind = "mclp"
    p = 20
    cutoff_min = 15
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner._errors import InputError, Problem
from planner.presets import (
    KINDS_BY_PROGRAMME,
    MODEL_KINDS,
    MODES,
    PRESETS,
    PROGRAMMES,
    WORKER_STATIONS,
)

__all__ = [
    "KINDS_BY_PROGRAMME",
    "MODEL_KINDS",
    "PROGRAMMES",
    "Scenario",
    "check_inputs",
    "load_scenario",
    "scenario_files",
]

_DATUMS = ("wgs84", "gcj02", "bd09")
# [demand] sources: each is also the key naming its file (roads = true: every street)
_DEMAND_SOURCES = ("demo", "traces", "points", "osm", "areas", "amap", "raster", "roads")
_SPREADS = ("roads", "nodes", "centroid", "buildings")
_GROUPS = ("rider", "courier", "ride_hailing", "truck", "other")
_SOLVERS = ("auto", "exact", "fast")
_LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class _Key:
    """One allowed key of a scenario section."""

    types: tuple[type, ...]
    default: Any = None
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = None
    path: bool = False


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _fraction(value: Any) -> str | None:
    return None if 0 <= value < 1 else "must be a fraction from 0 (inclusive) to 1"


def _share(value: Any) -> str | None:
    return None if 0 < value <= 1 else "must be a share above 0 and at most 1"


def _phase_list(value: Any) -> str | None:
    if not value or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value):
        return "must be a non-empty list of whole numbers >= 0 (new sites per phase)"
    return None


def _positive_list(value: Any) -> str | None:
    if not value or any(not isinstance(v, (int, float)) or v <= 0 for v in value):
        return "must be a non-empty list of numbers greater than 0"
    return None


def _bbox(value: Any) -> str | None:
    if len(value) != 4 or not all(isinstance(v, (int, float)) for v in value):
        return "must be [min_lon, min_lat, max_lon, max_lat]"
    west, south, east, north = value
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return "must be [min_lon, min_lat, max_lon, max_lat] in degrees, west < east, south < north"
    return None


_NUMBER = (int, float)
# How a table file is read: the same keys in every section that names one. ``datum`` has
# no default: points in China need it stated (``planner validate`` checks the files).
_TABLE_KEYS: Mapping[str, _Key] = {
    "datum": _Key((str,), None, _DATUMS),
    "lon": _Key((str,)),
    "lat": _Key((str,)),
    "crs": _Key((str,)),
    "layer": _Key((str, int)),
    "sheet": _Key((str, int)),
    "encoding": _Key((str,)),
}
_SECTIONS: Mapping[str, Mapping[str, _Key]] = {
    "": {
        "name": _Key((str,)),
        "description": _Key((str,), ""),
        "programme": _Key((str,), "worker_stations", PROGRAMMES),
        "seed": _Key((int,), 0, check=_non_negative),
    },
    "network": {
        "demo": _Key((bool,), False),
        "osm": _Key((str,), path=True),
        "graphml": _Key((str,), path=True),
        "place": _Key((str,)),
        "bbox": _Key((list,), check=_bbox),
        "modes": _Key((list,)),
        "cache_dir": _Key((str,), path=True),
        "timeout_s": _Key(_NUMBER, 180.0, check=_positive),
    },
    "stations": {
        "demo": _Key((bool,), False),
        "path": _Key((str,), path=True),
        **_TABLE_KEYS,
        "id": _Key((str,), "id"),
    },
    "demand": {
        "demo": _Key((bool,), False),
        "source": _Key((str,), None, _DEMAND_SOURCES),
        "traces": _Key((str,), path=True),
        "points": _Key((str,), path=True),
        "osm": _Key((str,), path=True),
        "areas": _Key((str,), path=True),
        "amap": _Key((str,), path=True),
        "raster": _Key((str,), path=True),
        "roads": _Key((bool,), False),
        "population": _Key((str,), "population"),
        "area_id": _Key((str,)),
        "spread": _Key((str,), "roads", _SPREADS),
        "buildings": _Key((str,), path=True),
        "typecode": _Key((str,)),
        "band": _Key((int,), 1, check=_positive),
        "scale": _Key(_NUMBER, 1.0, check=_non_negative),
        "per_km": _Key(_NUMBER, 1.0, check=_non_negative),
        "worker_group": _Key((str,), "other", _GROUPS),
        **_TABLE_KEYS,
        "weight": _Key((str,), "weight"),
        "group": _Key((str,), "group"),
        "driver": _Key((str,)),
        "time": _Key((str,)),
        "tz": _Key((str,), "Asia/Shanghai"),
        "stay_distance_m": _Key(_NUMBER, 200.0, check=_positive),
        "stay_minutes": _Key(_NUMBER, 5.0, check=_positive),
        "hotspot_eps_m": _Key(_NUMBER, 150.0, check=_positive),
    },
    "candidates": {
        "demo": _Key((bool,), False),
        "path": _Key((str,), path=True),
        "osm": _Key((bool, str)),
        "grid_m": _Key(_NUMBER, check=_positive),
        "hotspots": _Key((bool,), False),
        **_TABLE_KEYS,
        "id": _Key((str,), "id"),
        "min_distance_m": _Key(_NUMBER, 0.0, check=_non_negative),
        "dedupe_m": _Key(_NUMBER, 0.0, check=_non_negative),
        "min_volume": _Key(_NUMBER, 0.0, check=_non_negative),
        "cost": _Key((str,)),
    },
    "routes": {
        "demo": _Key((bool,), False),
        "od": _Key((str,), path=True),
        "traces": _Key((str,), path=True),
        **_TABLE_KEYS,
        "driver": _Key((str,)),
        "time": _Key((str,)),
        "tz": _Key((str,), "Asia/Shanghai"),
    },
    "model": {
        "kind": _Key((str,), None, MODEL_KINDS),
        "mode": _Key((str,), None, MODES),
        "cutoff_min": _Key(_NUMBER, None, check=_positive),
        "curve_cutoffs_min": _Key((list,), [5, 10, 15, 20], check=_positive_list),
        # 0: no new site, the run measures the existing stations (as Plan.site(p=0))
        "p": _Key((int,), check=_non_negative),
        "budget": _Key(_NUMBER, check=_positive),
        "phases": _Key((list,), check=_phase_list),
        "interval_h": _Key(_NUMBER, 4.0, check=_positive),
        "detour_min": _Key(_NUMBER, 0.0, check=_non_negative),
        "subsidy_per_home": _Key(_NUMBER, check=_positive),
        "max_snap_m": _Key(_NUMBER, 500.0, check=_positive),
        "min_per_area": _Key((int,), check=_non_negative),
        "areas": _Key((str,), path=True),
        "area_name": _Key((str,)),
        "areas_datum": _Key((str,), None, _DATUMS),
        "within_share": _Key(_NUMBER, 0.5, check=_share),
    },
    "solver": {
        "method": _Key((str,), "auto", _SOLVERS),
        "time_limit_s": _Key(_NUMBER, 600.0, check=_positive),
        # 0: prove the optimum (as every model's solve); e.g. 1e-4 stops within 0.01 %
        "mip_gap": _Key(_NUMBER, 0.0, check=_fraction),
    },
    "output": {
        "folder": _Key((str,), path=True),
        "language": _Key((str,), "en", _LANGUAGES),
        # coordinates of sites.csv / sites.xlsx beside WGS84; default: [stations] datum
        "datum": _Key((str,), None, _DATUMS),
        "offline": _Key((bool,), True),
        "tiles": _Key((str,), "OpenStreetMap"),
        "map": _Key((bool,), True),
        "report": _Key((bool,), True),
    },
}
# Sections where exactly one (or at most one) source key must be given.
_ONE_OF: Mapping[str, tuple[tuple[str, ...], bool]] = {
    "network": (("demo", "osm", "graphml", "place", "bbox"), True),
    "stations": (("demo", "path"), False),
    "demand": (_DEMAND_SOURCES, False),
    "routes": (("demo", "od", "traces"), False),
}


@dataclass(frozen=True)
class Scenario:
    """A validated siting study.

    Parameters
    ----------
    name
        The scenario's name (map titles, output folder default).
    programme
        ``"worker_stations"`` or ``"driver_homes"``.
    sections
        Each section's keys with defaults filled in and paths made absolute.
    file
        The scenario file (``None`` for a scenario built from a dict).
    seed
        Random seed for everything random in the run.
    """

    name: str
    programme: str
    sections: Mapping[str, Mapping[str, Any]]
    file: Path | None = None
    seed: int = 0
    description: str = ""
    _hash: str = field(default="", repr=False)

    def __getitem__(self, section: str) -> Mapping[str, Any]:
        """Return one section (``scenario["model"]["p"]``)."""
        return self.sections[section]

    @property
    def hash(self) -> str:
        """A SHA-256 of the validated content, for reproducibility records."""
        return self._hash

    @property
    def output_folder(self) -> Path:
        """Where results go: ``[output] folder``, or ``results/<name>`` beside the file."""
        folder = self.sections["output"].get("folder")
        if folder is not None:
            return Path(folder)
        base = self.file.parent if self.file is not None else Path.cwd()
        slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.name).strip("_")
        return base / "results" / (slug or "scenario")

    def to_dict(self) -> dict[str, Any]:
        """Return the validated scenario as JSON-compatible data."""
        return {
            "name": self.name,
            "description": self.description,
            "programme": self.programme,
            "seed": self.seed,
            **{
                k: {kk: str(vv) if isinstance(vv, Path) else vv for kk, vv in v.items()}
                for k, v in self.sections.items()
            },
        }


def _type_name(types: tuple[type, ...]) -> str:
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text"}
    names |= {list: "a list"}
    if types == _NUMBER:
        return "a number"
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_section(
    name: str,
    given: Mapping[str, Any],
    *,
    file: str,
    base: Path,
    problems: list[Problem],
) -> dict[str, Any]:
    schema = _SECTIONS[name]
    where = f"[{name}] " if name else ""
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(
                Problem(
                    f"unknown key '{key}' in {where or 'the top level'}.".replace("] .", "]."),
                    file=file,
                    field=f"{where}{key}".strip(),
                    fix=f"{hint}allowed keys: {', '.join(sorted(schema))}.",
                )
            )
            continue
        spec = schema[key]
        is_bool = isinstance(value, bool)
        ok_type = isinstance(value, spec.types) and (bool in spec.types or not is_bool)
        if not ok_type:
            problems.append(
                Problem(
                    f"{key} = {value!r} must be {_type_name(spec.types)}.",
                    file=file,
                    field=f"{where}{key}".strip(),
                )
            )
            continue
        if spec.choices is not None and value not in spec.choices:
            problems.append(
                Problem(
                    f"{key} = {value!r} is not allowed.",
                    file=file,
                    field=f"{where}{key}".strip(),
                    fix=f"use one of {', '.join(map(repr, spec.choices))}.",
                )
            )
            continue
        message = spec.check(value) if spec.check is not None else None
        if message:
            problems.append(
                Problem(f"{key} = {value!r} {message}.", file=file, field=f"{where}{key}".strip())
            )
            continue
        if spec.path and isinstance(value, str):
            path = Path(value).expanduser()
            value = path if path.is_absolute() else (base / path).resolve()
            if key not in ("folder", "cache_dir") and not value.exists():
                problems.append(
                    Problem(
                        f"no such file {value}.",
                        file=file,
                        field=f"{where}{key}".strip(),
                        fix="check the path; relative paths are taken from the scenario's folder.",
                    )
                )
                continue
        out[key] = value
    for key, spec in schema.items():
        out.setdefault(key, spec.default)
    return out


def _check_counts(
    model: Mapping[str, Any],
    candidates: Mapping[str, Any],
    raw: Mapping[str, Any],
    *,
    file: str,
    problems: list[Problem],
) -> None:
    """Check how the scenario says how many sites: ``p``, ``budget`` or ``phases``."""
    kind, p, budget, phases = model["kind"], model["p"], model["budget"], model["phases"]
    given = [k for k in ("p", "budget", "phases") if model[k] is not None]
    if kind == "lscp":
        if given:
            problems.append(
                Problem(
                    f"kind = 'lscp' chooses how many sites are needed; it takes no "
                    f"{', '.join(given)}.",
                    file=file,
                    field=f"[model] {given[0]}",
                    fix="drop it, or use kind = 'mclp' to choose a number of sites or a budget.",
                )
            )
        return
    if not any(k in raw for k in ("p", "budget", "phases")):
        problems.append(
            Problem(
                "[model] does not say how many new sites to choose.",
                file=file,
                field="[model] p",
                fix="add p = <number of new sites> (or budget = ... or phases = [...]).",
            )
        )
    if budget is not None and (p is not None or phases is not None):
        problems.append(
            Problem(
                "[model] gives budget and also p or phases: give only one way of counting.",
                file=file,
                field="[model] budget",
            )
        )
    if budget is not None and candidates["cost"] is None and model["subsidy_per_home"] is None:
        problems.append(
            Problem(
                "budget needs site costs.",
                file=file,
                field="[candidates] cost",
                fix="name the candidates' cost column: cost = 'cost' (driver homes: or give "
                "[model] subsidy_per_home = ...).",
            )
        )
    if model.get("min_per_area") and (kind != "mclp" or budget is not None or phases is not None):
        problems.append(
            Problem(
                "min_per_area works with kind = 'mclp' and p (no budget or phases).",
                file=file,
                field="[model] min_per_area",
                fix="give p = <number of new sites>, or drop min_per_area.",
            )
        )
    if p == 0 and model.get("min_per_area"):
        problems.append(
            Problem(
                "p = 0 adds no site, so no district can be brought up to min_per_area.",
                file=file,
                field="[model] min_per_area",
                fix="give p = <number of new sites>, or drop min_per_area to measure today's "
                "coverage.",
            )
        )
    if p is not None and phases is not None and isinstance(phases, list) and p != sum(phases):
        problems.append(
            Problem(
                f"p = {p} but the phases add up to {sum(phases)}.",
                file=file,
                field="[model] phases",
                fix="leave p out when giving phases, or make them agree.",
            )
        )


def _check_demand(
    demand: dict[str, Any], model: Mapping[str, Any], *, file: str, problems: list[Problem]
) -> None:
    """Check ``[demand] source`` against the file keys, and what the sources need."""
    given = [k for k in _DEMAND_SOURCES if demand.get(k) not in (None, False)]
    source = demand.get("source")
    if source is not None:
        if given and source not in given:
            problems.append(
                Problem(
                    f"[demand] source = {source!r} but the section gives {', '.join(given)}.",
                    file=file,
                    field="[demand] source",
                    fix=f"give {source} = ... (or drop source: it is inferred from the file key).",
                )
            )
        elif not given:
            value = "true" if source in ("demo", "roads") else "'FILE'"
            problems.append(
                Problem(
                    f"[demand] source = {source!r} names no {source} input.",
                    file=file,
                    field=f"[demand] {source}",
                    fix=f"add {source} = {value}.",
                )
            )
    elif given:
        demand["source"] = given[0]
    if demand.get("spread") == "buildings" and demand.get("buildings") is None:
        problems.append(
            Problem(
                "spread = 'buildings' needs the building footprints.",
                file=file,
                field="[demand] buildings",
                fix="add buildings = 'buildings.geojson', or use spread = 'roads'.",
            )
        )
    if model.get("min_per_area") is not None and not (
        model.get("areas") is not None or demand.get("areas") is not None
    ):
        problems.append(
            Problem(
                "min_per_area needs the districts it applies to.",
                file=file,
                field="[model] areas",
                fix="add areas = 'districts.geojson' to [model] (or [demand] areas).",
            )
        )


def _validate(data: Mapping[str, Any], *, file: str, base: Path) -> Scenario:
    problems: list[Problem] = []
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    sections: dict[str, dict[str, Any]] = {}
    head = _check_section("", top, file=file, base=base, problems=problems)
    for name in tables:
        if name not in _SECTIONS or name == "":
            close = difflib.get_close_matches(name, [s for s in _SECTIONS if s], n=1)
            hint = f"did you mean [{close[0]}]? " if close else ""
            problems.append(
                Problem(
                    f"unknown section [{name}].",
                    file=file,
                    field=f"[{name}]",
                    fix=f"{hint}sections: " + ", ".join(f"[{s}]" for s in _SECTIONS if s) + ".",
                )
            )
    for name in _SECTIONS:
        if name:
            sections[name] = _check_section(
                name, tables.get(name, {}), file=file, base=base, problems=problems
            )
    if not head.get("name"):
        problems.append(
            Problem(
                "the scenario has no name.",
                file=file,
                field="name",
                fix='add name = "..." at the top.',
            )
        )
    for name, (keys, required) in _ONE_OF.items():
        given = [k for k in keys if sections[name].get(k) not in (None, False)]
        if len(given) > 1:
            problems.append(
                Problem(
                    f"[{name}] gives {', '.join(given)}: give only one of them.",
                    file=file,
                    field=f"[{name}]",
                )
            )
        elif required and not given:
            problems.append(
                Problem(
                    f"[{name}] names no source.",
                    file=file,
                    field=f"[{name}]",
                    fix=f"give one of {', '.join(keys)} (demo = true for the embedded region).",
                )
            )
    _check_demand(sections["demand"], sections["model"], file=file, problems=problems)
    programme = head.get("programme") or "worker_stations"
    # the programme's preset fills what [model] leaves out (planner.presets)
    preset = PRESETS.get(programme, WORKER_STATIONS)
    model = sections["model"]
    defaults = {"kind": preset.model, "mode": preset.mode, "cutoff_min": preset.cutoff_min}
    for key, value in defaults.items():
        if model.get(key) is None:
            model[key] = value
    allowed = KINDS_BY_PROGRAMME.get(programme, KINDS_BY_PROGRAMME["worker_stations"])
    if model["kind"] not in allowed:
        problems.append(
            Problem(
                f"[model] kind = {model['kind']!r} does not fit programme = {programme!r}.",
                file=file,
                field="[model] kind",
                fix=f"use kind = one of {', '.join(map(repr, allowed))} (or leave it out).",
            )
        )
    _check_counts(
        model, sections["candidates"], tables.get("model", {}), file=file, problems=problems
    )
    if programme != "driver_homes":
        for key in ("subsidy_per_home",):
            if model[key] is not None:
                problems.append(
                    Problem(
                        f"{key} is the cost of a new driver home.",
                        file=file,
                        field=f"[model] {key}",
                        fix="give worker-station costs as a candidates' column: "
                        "[candidates] cost = 'cost'.",
                    )
                )
    elif model["subsidy_per_home"] is not None and sections["candidates"]["cost"] is not None:
        problems.append(
            Problem(
                "[model] subsidy_per_home and [candidates] cost both give site costs.",
                file=file,
                field="[model] subsidy_per_home",
                fix="keep one of them.",
            )
        )
    if programme == "driver_homes" and model["kind"] in ("flow_capture", "rest_interval"):
        routes = sections["routes"]
        if not any(routes.get(k) for k in ("demo", "od", "traces")):
            problems.append(
                Problem(
                    "a driver-homes scenario needs truck routes.",
                    file=file,
                    field="[routes]",
                    fix="add [routes] with od = 'trips.csv', traces = 'gps.csv' or demo = true.",
                )
            )
    if problems:
        raise InputError(problems)
    canonical = json.dumps(
        {"head": head, "sections": sections}, sort_keys=True, default=str
    ).encode()
    return Scenario(
        name=head["name"],
        programme=programme,
        sections={k: dict(v) for k, v in sections.items()},
        file=Path(file) if file != "<dict>" else None,
        seed=head["seed"],
        description=head["description"],
        _hash=hashlib.sha256(canonical).hexdigest(),
    )


def load_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    """Read and validate a scenario from a TOML file (or a dict).

    Parameters
    ----------
    source
        A ``.toml`` file, or the same content as a mapping (paths then relative to
        the working folder).

    Returns
    -------
    Scenario
        The validated scenario, with defaults filled in.

    Raises
    ------
    InputError
        Listing every problem: the file, the key, the value and the allowed values.

    Examples
    --------
    >>> s = load_scenario({"name": "demo", "network": {"demo": True}, "model": {"p": 5}})
    >>> s["model"]["kind"], s["model"]["mode"], s["model"]["cutoff_min"]
    ('mclp', 'ebike', 15.0)
    """
    if isinstance(source, Mapping):
        return _validate(source, file="<dict>", base=Path.cwd())
    path = Path(source)
    if not path.is_file():
        raise InputError(f"no such scenario file: {path}.", file=path, fix="check the path.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(
            f"not valid TOML: {error}.",
            file=path,
            fix="check quotes, brackets and '=' on that line (https://toml.io).",
        ) from error
    except UnicodeDecodeError as error:
        raise InputError(
            "the scenario is not UTF-8 text.", file=path, fix="save it as UTF-8."
        ) from error
    if not data:
        raise InputError("the scenario file is empty.", file=path, fix="see examples/*.toml.")
    return _validate(data, file=str(path), base=path.resolve().parent)


# --------------------------------------------------------------------------- input files

# The reader's argument for each scenario key, to word fixes in the scenario's terms.
_READER_ARGS = {"lon": "lon", "lat": "lat", "id_column": "id", "driver": "driver", "time": "time"}
_READER_ARGS |= {"sheet": "sheet", "layer": "layer", "crs": "crs", "encoding": "encoding"}


def _in_scenario(problem: Problem, section: str, data: Path, scenario: str) -> Problem:
    """Word a reader's problem for a scenario: keys instead of arguments."""
    if problem.field == "datum":
        return Problem(
            problem.message,
            file=problem.file or str(data),
            field=f"[{section}] datum",
            fix=f'add datum = "wgs84" (GPS, OpenStreetMap), "gcj02" (Amap/Gaode, Tencent) '
            f'or "bd09" (Baidu) to [{section}] in {scenario}.',
        )
    fix = problem.fix
    if fix:
        for arg, key in _READER_ARGS.items():
            if f"{arg}=" in fix:
                fix = f'{fix} (in the scenario: {key} = "..." in [{section}].)'
                break
    return Problem(
        problem.message,
        file=problem.file or str(data),
        row=problem.row,
        field=problem.field,
        fix=fix,
    )


def _table_options(spec: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: spec[k] for k in ("lon", "lat", "datum", "crs", "layer", "sheet", "encoding", *keys)}


def _check_osm_file(path: Path) -> Problem | None:
    import osmium

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        reader.header()
        reader.close()
    except Exception as error:  # any libosmium failure: name the file and the format
        return Problem(
            f"cannot read the file as OpenStreetMap data: {error}.",
            file=str(path),
            field="[network] osm",
            fix="give an .osm, .osm.bz2, .osm.gz or .osm.pbf extract (e.g. from "
            "download.geofabrik.de).",
        )
    return None


def _check_graphml(path: Path) -> Problem | None:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if b"<graphml" in head or (head.lstrip().startswith(b"<?xml") and b"graphml" in head):
        return None
    return Problem(
        "the file is not GraphML (no <graphml> element at its start).",
        file=str(path),
        field="[network] graphml",
        fix="give a file written by osmnx.save_graphml or RoadNetwork.to_graphml.",
    )


def check_inputs(scenario: Scenario, *, sample_rows: int | None = 10_000) -> list[Problem]:
    """Open every input file of a scenario and return every problem found, without a run.

    Each table (stations, candidates, demand points or traces, truck traces or
    OD) is read as its reader would read it, on its first ``sample_rows`` rows:
    format, encoding, sheet, headers, coordinates, CRS, ids, weights, hours,
    timestamps and emptiness. Points in China in a table without ``datum`` are a
    problem (``[stations] datum``): GCJ-02 read as WGS84 lands about 600 m off.
    OSM and GraphML files are opened, but no network is built.

    Parameters
    ----------
    scenario
        A scenario validated by :func:`load_scenario`.
    sample_rows
        Rows read from each table (``None``: all).

    Returns
    -------
    list of Problem
        Every problem, with file, row, field (or scenario key) and fix; empty
        when the inputs are good.

    Examples
    --------
    >>> s = load_scenario({"name": "demo", "network": {"demo": True}, "model": {"p": 5}})
    >>> check_inputs(s)
    []
    """
    from planner._files import load_table
    from planner.io import check_file

    where = str(scenario.file) if scenario.file is not None else "the scenario"
    found: list[Problem] = []

    def table(section: str, key: str, kind: str, *extra: str) -> None:
        spec = scenario[section]
        path = spec.get(key)
        if path is None:
            return
        options = _table_options(spec, *extra)
        if kind in ("stations", "candidates"):
            options["id_column"] = spec["id"]
        problems = check_file(path, kind=kind, sample_rows=sample_rows, **options)  # type: ignore[arg-type]
        found.extend(_in_scenario(p, section, Path(path), where) for p in problems)

    network = scenario["network"]
    if network["osm"] is not None:
        problem = _check_osm_file(Path(network["osm"]))
        found.extend([problem] if problem else [])
    if network["graphml"] is not None:
        problem = _check_graphml(Path(network["graphml"]))
        found.extend([problem] if problem else [])
    table("stations", "path", "stations")
    table("candidates", "path", "candidates")
    table("demand", "points", "points")
    table("demand", "traces", "traces", "driver", "time", "tz")
    table("routes", "traces", "traces", "driver", "time", "tz")
    od = scenario["routes"]["od"]
    if od is not None:
        try:
            load_table(od, nrows=sample_rows)
        except InputError as error:
            found.extend(_in_scenario(p, "routes", Path(od), where) for p in error.problems)
    return found


def scenario_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files and folders into the list of scenario files to run, sorted.

    Parameters
    ----------
    paths
        Scenario files and/or folders (a folder means every ``*.toml`` in it).

    Returns
    -------
    list of pathlib.Path
        The files, in a stable order.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                problems.append(Problem("the folder holds no .toml scenario.", file=str(path)))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem("no such scenario file or folder.", file=str(path)))
    if problems:
        raise InputError(problems)
    return files
