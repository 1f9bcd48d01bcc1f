"""Travel modes: how walkers, delivery riders, cars and trucks move on the road network.

A :class:`TravelMode` turns an edge's OpenStreetMap tags into a speed (or closes
the edge to the mode); :data:`DEFAULT_MODES` holds the four built-in modes
(``walk``, ``ebike``, ``car``, ``truck``). Networks carry one ``time_<mode>``
attribute per mode on every edge (see :mod:`planner.network`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from planner._errors import InputError

__all__ = [
    "DEFAULT_MODES",
    "NEVER_HIGHWAYS",
    "TravelMode",
    "parse_maxspeed",
    "resolve_modes",
    "tag_values",
]

#: Ways that are never part of a usable road network, whatever the mode.
NEVER_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "disused",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
_NOT_FOR_VEHICLES = frozenset(
    {
        "bridleway",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "path",
        "pedestrian",
        "steps",
        "track",
    }
)


@dataclass(frozen=True)
class TravelMode:
    """How one kind of worker moves on the road network.

    Parameters
    ----------
    name
        The mode's name, used in edge attributes (``time_<name>``) and arguments.
    speed_kmh
        A flat speed on every allowed edge (walkers, e-bikes). ``None`` uses
        road speeds by highway class (``road_speeds_kmh``).
    road_speeds_kmh
        Speeds by OSM ``highway`` class, used when ``speed_kmh`` is ``None``.
    fallback_speed_kmh
        Speed on highway classes missing from ``road_speeds_kmh``.
    maxspeed_rule
        What a tagged OSM ``maxspeed`` does: ``"replace"`` the class speed
        (cars), ``"cap"`` it (trucks: the class speed is the truck's cap), or
        ``"ignore"`` it.
    max_speed_kmh
        A cap applied to every edge last.
    excluded_highways
        Highway classes closed to the mode.
    excluded_tags
        Tag values that close an edge to the mode, e.g. ``{"hgv": {"no"}}``.
    oneway
        Whether one-way streets bind the mode (walkers ignore them).
    access_speed_kmh
        Speed on the straight off-network leg between a point and the node it
        snaps to: the snap distance becomes time at this speed.

    Examples
    --------
    >>> import dataclasses
    >>> fast = dataclasses.replace(DEFAULT_MODES["ebike"], speed_kmh=20.0)
    >>> fast.speed_kmh
    20.0
    """

    name: str
    speed_kmh: float | None = None
    road_speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    fallback_speed_kmh: float = 25.0
    maxspeed_rule: Literal["replace", "cap", "ignore"] = "ignore"
    max_speed_kmh: float | None = None
    excluded_highways: frozenset[str] = frozenset()
    excluded_tags: Mapping[str, Collection[str]] = field(default_factory=dict)
    oneway: bool = True
    access_speed_kmh: float = 4.5

    def __post_init__(self) -> None:
        """Validate the speeds and freeze the mappings."""
        problems = []
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            problems.append(f"name {self.name!r} must be lowercase letters, digits or '_'")
        speeds = {"speed_kmh": self.speed_kmh, "max_speed_kmh": self.max_speed_kmh}
        speeds |= {"fallback_speed_kmh": self.fallback_speed_kmh}
        speeds |= {"access_speed_kmh": self.access_speed_kmh}
        speeds |= {f"road_speeds_kmh[{k!r}]": v for k, v in self.road_speeds_kmh.items()}
        for key, value in speeds.items():
            if value is not None and not (np.isfinite(value) and value > 0):
                problems.append(f"{key} must be a positive number of km/h, got {value!r}")
        if self.maxspeed_rule not in ("replace", "cap", "ignore"):
            problems.append(
                f"maxspeed_rule must be 'replace', 'cap' or 'ignore', got {self.maxspeed_rule!r}"
            )
        if problems:
            raise InputError(f"TravelMode {self.name!r}: " + "; ".join(problems) + ".")
        object.__setattr__(self, "road_speeds_kmh", MappingProxyType(dict(self.road_speeds_kmh)))
        tags = {k: frozenset(v) for k, v in self.excluded_tags.items()}
        object.__setattr__(self, "excluded_tags", MappingProxyType(tags))
        object.__setattr__(self, "excluded_highways", frozenset(self.excluded_highways))

    @property
    def attr(self) -> str:
        """The edge attribute holding this mode's travel time in seconds."""
        return f"time_{self.name}"

    def to_dict(self) -> dict[str, Any]:
        """Return the mode as plain JSON-compatible data."""
        return {
            "name": self.name,
            "speed_kmh": self.speed_kmh,
            "road_speeds_kmh": dict(sorted(self.road_speeds_kmh.items())),
            "fallback_speed_kmh": self.fallback_speed_kmh,
            "maxspeed_rule": self.maxspeed_rule,
            "max_speed_kmh": self.max_speed_kmh,
            "excluded_highways": sorted(self.excluded_highways),
            "excluded_tags": {k: sorted(v) for k, v in sorted(self.excluded_tags.items())},
            "oneway": self.oneway,
            "access_speed_kmh": self.access_speed_kmh,
        }

    def edge_speed_kmh(self, attrs: Mapping[str, Any]) -> float:
        """Return the speed on an edge with these OSM tags, or 0 where the mode may not go.

        List-valued tags (edges merged by simplification) are closed when any part
        is closed, and take the slowest part's speed.

        Parameters
        ----------
        attrs
            The edge's attributes (OSM tags as osmnx stores them).

        Returns
        -------
        float
            Speed in km/h; ``0.0`` where the mode is not allowed.

        Examples
        --------
        >>> DEFAULT_MODES["car"].edge_speed_kmh({"highway": "primary", "maxspeed": "60"})
        60.0
        >>> DEFAULT_MODES["ebike"].edge_speed_kmh({"highway": "motorway"})
        0.0
        """
        highways = tag_values(attrs.get("highway")) or ["road"]
        if any(h in self.excluded_highways or h in NEVER_HIGHWAYS for h in highways):
            return 0.0
        for key, closed in self.excluded_tags.items():
            if any(str(v).strip().lower() in closed for v in tag_values(attrs.get(key))):
                return 0.0
        if self.speed_kmh is not None:
            speed = self.speed_kmh
        else:
            speed = min(self.road_speeds_kmh.get(h, self.fallback_speed_kmh) for h in highways)
        if self.maxspeed_rule != "ignore":
            tagged = [s for s in map(parse_maxspeed, tag_values(attrs.get("maxspeed"))) if s]
            if tagged:
                limit = min(tagged)
                speed = limit if self.maxspeed_rule == "replace" else min(speed, limit)
        if self.max_speed_kmh is not None:
            speed = min(speed, self.max_speed_kmh)
        return float(speed)


_CAR_SPEEDS = {
    "motorway": 100.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 35.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
}
_TRUCK_SPEEDS = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 35.0,
    "primary": 45.0,
    "primary_link": 30.0,
    "secondary": 35.0,
    "secondary_link": 25.0,
    "tertiary": 30.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "road": 25.0,
    "residential": 20.0,
    "service": 10.0,
}

#: The four built-in modes. Override any field with :func:`dataclasses.replace`.
DEFAULT_MODES: Mapping[str, TravelMode] = MappingProxyType(
    {
        "walk": TravelMode(
            "walk",
            speed_kmh=4.5,
            excluded_highways=frozenset({"motorway", "motorway_link"}),
            excluded_tags={"foot": {"no"}, "access": {"no"}, "motorroad": {"yes"}},
            oneway=False,
            access_speed_kmh=4.5,
        ),
        "ebike": TravelMode(
            "ebike",
            speed_kmh=15.0,
            excluded_highways=frozenset(
                {"motorway", "motorway_link", "steps", "elevator", "escalator", "corridor"}
            ),
            excluded_tags={"bicycle": {"no"}, "access": {"no"}, "motorroad": {"yes"}},
            oneway=True,
            access_speed_kmh=10.0,
        ),
        "car": TravelMode(
            "car",
            road_speeds_kmh=_CAR_SPEEDS,
            fallback_speed_kmh=25.0,
            maxspeed_rule="replace",
            max_speed_kmh=120.0,
            excluded_highways=_NOT_FOR_VEHICLES,
            excluded_tags={
                "access": {"no", "private"},
                "motor_vehicle": {"no", "private"},
                "motorcar": {"no", "private"},
            },
            oneway=True,
            access_speed_kmh=10.0,
        ),
        "truck": TravelMode(
            "truck",
            road_speeds_kmh=_TRUCK_SPEEDS,
            fallback_speed_kmh=20.0,
            maxspeed_rule="cap",
            max_speed_kmh=90.0,
            excluded_highways=_NOT_FOR_VEHICLES | {"living_street"},
            excluded_tags={
                "access": {"no", "private"},
                "motor_vehicle": {"no", "private"},
                "hgv": {"no", "private"},
            },
            oneway=True,
            access_speed_kmh=10.0,
        ),
    }
)


def tag_values(value: Any) -> list[Any]:
    """Return an edge attribute's values as a list.

    Edges merged by simplification carry lists of tags; a missing tag (``None``
    or NaN) gives an empty list.

    Parameters
    ----------
    value
        The attribute's value as osmnx stores it.

    Returns
    -------
    list
        The values, without ``None``.

    Examples
    --------
    >>> tag_values(["primary", "secondary"]), tag_values("primary"), tag_values(None)
    (['primary', 'secondary'], ['primary'], [])
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v is not None]
    return [value]


_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: Any) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h; ``None`` where it is not a number.

    Parameters
    ----------
    value
        The tag's value: a number, or text such as ``"50"``, ``"30 mph"`` or
        ``"60;80"`` (the lowest limit is taken).

    Returns
    -------
    float or None
        The limit in km/h.

    Examples
    --------
    >>> parse_maxspeed("60;80"), parse_maxspeed("none")
    (60.0, None)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    if not isinstance(value, str):
        return None
    # "60;80" or "60|80": take the lowest limit
    parts = [p for p in re.split(r"[;|]", value) if p.strip()]
    speeds = []
    for part in parts:
        match = _MAXSPEED.match(part)
        if match:
            speed = float(match.group(1))
            if (match.group(2) or "").lower() == "mph":
                speed *= 1.609344
            if speed > 0:
                speeds.append(speed)
    return min(speeds) if speeds else None


def resolve_modes(
    modes: Iterable[str | TravelMode] | Mapping[str, TravelMode] | None,
) -> dict[str, TravelMode]:
    """Return travel modes by name from names of :data:`DEFAULT_MODES` and/or modes.

    Parameters
    ----------
    modes
        Names of default modes and/or :class:`TravelMode` objects (or a mapping
        whose values are modes); ``None`` means all four defaults.

    Returns
    -------
    dict
        The modes by name, in the order given.

    Examples
    --------
    >>> list(resolve_modes(["ebike", "walk"]))
    ['ebike', 'walk']
    """
    if modes is None:
        return dict(DEFAULT_MODES)
    items = modes.values() if isinstance(modes, Mapping) else modes
    resolved: dict[str, TravelMode] = {}
    for item in items:
        if isinstance(item, TravelMode):
            mode = item
        elif isinstance(item, str) and item in DEFAULT_MODES:
            mode = DEFAULT_MODES[item]
        else:
            raise InputError(
                f"unknown travel mode {item!r}.",
                field="modes",
                fix=f"use one of {sorted(DEFAULT_MODES)} or pass a TravelMode.",
            )
        resolved[mode.name] = mode
    if not resolved:
        raise InputError("no travel mode given.", field="modes", fix="pass at least one mode.")
    return resolved
