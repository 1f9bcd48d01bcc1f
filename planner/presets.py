"""The programmes' vocabulary, shared by :mod:`planner.plan` and :mod:`planner.scenario`.

Two siting programmes have presets: worker stations (riders and couriers; demand
points within a travel time) and driver homes (truck drivers; route flows passing
sites). This module names them, the models each can run (default first), the
travel modes, and the one conversion of travel times from seconds (the unit of
:mod:`planner.access` and :mod:`planner.routes`) to the minutes and hours the
programmes speak in.

Examples
--------
>>> from planner.presets import KINDS_BY_PROGRAMME, WORKER_STATIONS, minutes
>>> WORKER_STATIONS.mode, WORKER_STATIONS.cutoff_min, KINDS_BY_PROGRAMME["driver_homes"][0]
('ebike', 15.0, 'rest_interval')
>>> minutes(90.0)
1.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

__all__ = [
    "DRIVER_HOMES",
    "KINDS_BY_PROGRAMME",
    "MODEL_KINDS",
    "MODES",
    "PRESETS",
    "PROGRAMMES",
    "WORKER_STATIONS",
    "Preset",
    "Programme",
    "hours",
    "minutes",
]

#: A siting programme.
Programme = Literal["worker_stations", "driver_homes"]
#: The programmes, the default first.
PROGRAMMES: tuple[Programme, ...] = ("worker_stations", "driver_homes")
#: The models each programme can run, default first: maximal coverage (p sites, a
#: budget or phases) or set covering for worker stations; for driver homes, the
#: rest-interval rule (then flow capturing for homes the rule does not need; the
#: result's ``model_run`` says which ran) or flow capturing alone.
KINDS_BY_PROGRAMME: Mapping[str, tuple[str, ...]] = {
    "worker_stations": ("mclp", "lscp"),
    "driver_homes": ("rest_interval", "flow_capture"),
}
#: Every model kind.
MODEL_KINDS: tuple[str, ...] = ("mclp", "lscp", "rest_interval", "flow_capture")
#: The travel modes of :data:`planner.network.DEFAULT_MODES`.
MODES: tuple[str, ...] = ("walk", "ebike", "car", "truck")

_T = TypeVar("_T", float, np.ndarray)


def minutes(seconds: _T) -> _T:
    """Return travel times in seconds as minutes (a number or an array).

    Parameters
    ----------
    seconds
        Travel times in seconds.

    Returns
    -------
    float or numpy.ndarray
        The same times in minutes.
    """
    return seconds / 60.0


def hours(seconds: _T) -> _T:
    """Return travel times in seconds as hours (a number or an array).

    Parameters
    ----------
    seconds
        Travel times in seconds.

    Returns
    -------
    float or numpy.ndarray
        The same times in hours.
    """
    return seconds / 3600.0


@dataclass(frozen=True)
class Preset:
    """The settings of a siting programme (every field can be overridden).

    Parameters
    ----------
    programme
        ``"worker_stations"`` (demand points within a travel time) or
        ``"driver_homes"`` (routes passing sites).
    title
        A readable name, used in maps and reports.
    mode
        Travel mode of the network.
    cutoff_min
        Service time in minutes (worker stations).
    station_kinds
        Existing stations of these ``kind`` values count (all when empty).
    groups
        Demand columns to report coverage by.
    rest_interval_h
        Driver homes: a route is served when it meets a site at least every this
        many hours of driving.
    min_volume
        Driver homes: candidates passed by fewer trucks a day are not eligible.
    detour_min
        Driver homes: largest detour in minutes at which a home still counts for a
        route (it captures the route, and gives it a rest).
    subsidy_per_home
        Driver homes: the cost of every new home (a programme's fixed subsidy),
        for budgets and per-phase costs; ``None``: no costs.
    """

    programme: Programme
    title: str
    mode: str
    cutoff_min: float = 15.0
    station_kinds: tuple[str, ...] = ()
    groups: tuple[str, ...] = ("group",)
    rest_interval_h: float | None = None
    min_volume: float | None = None
    detour_min: float = 0.0
    subsidy_per_home: float | None = None

    @property
    def model(self) -> str:
        """The programme's default model kind (the first of :data:`KINDS_BY_PROGRAMME`)."""
        return KINDS_BY_PROGRAMME[self.programme][0]


#: Worker stations for riders and couriers: e-bike, 15 minutes.
WORKER_STATIONS = Preset(
    programme="worker_stations",
    title="Worker stations",
    mode="ebike",
    cutoff_min=15.0,
    station_kinds=("worker_station",),
    groups=("group",),
)
#: Driver homes for truck drivers: route flows, a rest every 4 hours, 30+ trucks a day.
DRIVER_HOMES = Preset(
    programme="driver_homes",
    title="Driver homes",
    mode="truck",
    cutoff_min=15.0,
    station_kinds=("driver_home",),
    groups=(),
    rest_interval_h=4.0,
    min_volume=30.0,
    detour_min=0.0,
)
#: The preset of each programme.
PRESETS: Mapping[str, Preset] = {p.programme: p for p in (WORKER_STATIONS, DRIVER_HOMES)}
