"""Write the worker-station study's tables on the demo region, as the per-point path gave them.

These files were written by the per-point worker-station path (one access-matrix
row per demand point), before demand was grouped by road node;
``tests/test_plan_scale.py`` checks that the grouped path gives the same tables,
value for value. Run from the repository root to rewrite them (only when a
change of figures is intended)::

    python tests/data/plan_per_point/make_expected.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).parent

# name -> (plan overrides, site() arguments, weight transform)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str | None]] = {
    "p8": ({}, {"p": 8}, None),
    "p8_fractional": ({}, {"p": 8}, "fractional"),
    "p3_5min_fractional": ({"cutoff_min": 5.0}, {"p": 3}, "fractional"),
    "phases": ({}, {"phases": [3, 3, 2]}, None),
    "lscp": ({}, {"model": "lscp"}, None),
    "lscp_fractional": ({}, {"model": "lscp"}, "fractional"),
    "exact_10min": ({"cutoff_min": 10.0}, {"p": 5, "solver": "exact"}, None),
    "no_stations": ({"stations": None}, {"p": 4}, "fractional"),
}


def plan_for(case: str) -> Any:
    """The demo worker plan of a case (service areas off: they depend on the sites only)."""
    from planner import datasets
    from planner.datasets.demo import demo_worker_plan

    overrides, _, weights = CASES[case]
    net = datasets.demo_network(modes=["ebike"])
    plan = demo_worker_plan(net, service_areas=False, **overrides)
    if weights == "fractional":
        demand = plan.demand.copy()
        k = np.arange(len(demand))
        # weights that are not whole numbers, so that sums depend on their order
        demand["weight"] = demand["weight"].to_numpy(float) * (0.37 + 0.113 * np.sin(k))
        plan = demo_worker_plan(net, service_areas=False, demand=demand, **overrides)
    return plan


def tables(result: Any) -> dict[str, pd.DataFrame]:
    """The result's tables as plain frames (geometry as WKT)."""
    out = {}
    for name in ("sites", "demand", "coverage", "curve", "hexes"):
        frame = getattr(result, name)
        frame = pd.DataFrame(frame).copy()
        if "geometry" in frame:
            frame["geometry"] = [g.wkt for g in frame["geometry"]]
        out[name] = frame
    return out


def solver(result: Any) -> dict[str, Any]:
    loc = result.locate
    return {
        "objective": loc.objective,
        "bound": loc.bound,
        "gap": loc.gap,
        "status": loc.status,
        "notes": list(result.notes),
    }


def main() -> None:
    sys.path.insert(0, str(HERE.parents[2]))
    for case, (_, site_args, _) in CASES.items():
        result = plan_for(case).site(**site_args)
        folder = HERE / case
        folder.mkdir(exist_ok=True)
        for name, frame in tables(result).items():
            frame.to_csv(folder / f"{name}.csv")
        (folder / "solver.json").write_text(json.dumps(solver(result), indent=1) + "\n")
        print(case, len(result.sites), result.share_before, result.share_after)


if __name__ == "__main__":
    main()
