"""Facility-location models on matrices: LSCP, MCLP, p-median, p-center, decay, flows.

Models know nothing of maps: they take a sparse demand × site matrix of travel
times (minutes; stored entries, zeros included, are reachable pairs), demand
weights and site attributes, and return the selected sites with their figures
as a :class:`LocateResult`. Every model has ``from_matrix(...)`` and
``solve(solver="auto" | "exact" | "fast", time_limit=..., mip_gap=..., seed=...)``.
"""

from planner.locate._base import LocateResult
from planner.locate._engine import PhasePlan
from planner.locate.coverage import LSCP, MCLP
from planner.locate.decay import DecayCoverage, decay_weights
from planner.locate.flows import FlowCapture, RestIntervalCoverage
from planner.locate.median import PCenter, PMedian

__all__ = [
    "LSCP",
    "MCLP",
    "DecayCoverage",
    "FlowCapture",
    "LocateResult",
    "PCenter",
    "PMedian",
    "PhasePlan",
    "RestIntervalCoverage",
    "decay_weights",
]
