"""planner: site worker stations and driver homes on real road networks."""

from planner._errors import (
    DatumError,
    InfeasibleError,
    InputError,
    NetworkError,
    OfflineError,
    PlannerError,
    SnapError,
    SolverError,
)

__version__ = "0.1.0"

__all__ = [
    "DatumError",
    "InfeasibleError",
    "InputError",
    "NetworkError",
    "OfflineError",
    "PlannerError",
    "SnapError",
    "SolverError",
    "__version__",
]
