"""Plan a siting study end to end: the notebook-facing API.

:class:`Plan` holds the inputs of one study (road network, existing stations,
demand or route flows, candidate sites) and :meth:`Plan.site` runs it: the
access matrix (:mod:`planner.access`), the siting model (:mod:`planner.locate`)
and the figures a planner reads, returned as a :class:`PlanResult` whose
tables are GeoDataFrames keyed by the input indexes:

- ``sites``: recommended new sites in rank order with the demand each adds;
- ``coverage``: covered demand before and after, overall and per group;
- ``uncovered`` and ``hexes``: who is still left out, as points and hexagons;
- ``curve``: covered share against the number of new sites;
- ``service_areas``: the streets within the cutoff of existing and new sites.

Two programmes have presets (:mod:`planner.presets`), each argument overridable:
:meth:`Plan.worker_stations` (e-bike, 15 minutes, demand from rider and courier
stays and POIs) and :meth:`Plan.driver_homes` (truck, route flows, a rest at
least every 4 hours of driving, candidates passed by 30+ trucks a day).

Units: :mod:`planner.access` gives seconds; :mod:`planner.locate` reads any unit
consistent with its cutoff. The plans convert the matrix to **minutes** in one
place (:func:`planner.plan._tables.minutes_matrix`) before it reaches a model.

The files: ``_plan.py`` (:class:`Plan`), ``result.py`` (:class:`PlanResult`),
``_workers.py`` and ``_homes.py`` (one programme each), ``_inputs.py`` and
``_tables.py`` (what both programmes share).
"""

from __future__ import annotations

from typing import Any

from planner.plan._plan import Plan
from planner.plan.result import PlanResult
from planner.presets import DRIVER_HOMES, WORKER_STATIONS, Preset

__all__ = [
    "DRIVER_HOMES",
    "WORKER_STATIONS",
    "DemoResult",
    "Plan",
    "PlanResult",
    "Preset",
    "demo_homes_plan",
    "demo_worker_plan",
    "run_demo",
    "write_outputs",
]

# Names that live downstream of plans and stay importable from here for old code:
# the demo (planner.datasets.demo) and the output folder (planner.outputs) depend on
# plan, not the other way, so they are imported on first use, never when plan loads.
_LAZY = {
    "DemoResult": "planner.datasets.demo",
    "demo_homes_plan": "planner.datasets.demo",
    "demo_worker_plan": "planner.datasets.demo",
    "run_demo": "planner.datasets.demo",
    "write_outputs": "planner.outputs",
}


def __getattr__(name: str) -> Any:
    """Import the demo and output names from their own modules when first asked for."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
