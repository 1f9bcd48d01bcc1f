"""Plan a siting study end to end (see :mod:`planner.plan._plan`)."""

from planner.plan._plan import (
    DRIVER_HOMES,
    WORKER_STATIONS,
    DemoResult,
    Plan,
    PlanResult,
    Preset,
    demo_homes_plan,
    demo_worker_plan,
    run_demo,
    write_outputs,
)

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
