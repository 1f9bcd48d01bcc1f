"""Tests of the driver-home study (planner.plan._homes) on a corridor solved by hand.

The corridor: nodes 0..12 every 60 km on one road, driven at 60 km/h, so one node
is one hour; a rest at least every 4 hours. A spur: node 13, 60 km off node 1
(an hour away); node 14, 1 km off node 9 (a minute away). The existing home E
stands at node 3. Routes (trucks a day):

====== ========== ===== ==========================================================
route  path       trucks rest places before (hours from its origin) and gaps
====== ========== ===== ==========================================================
A      0 -> 12    100   0, 3 (E), 12: a gap from 3 to 12 (9 h)
B      2 -> 9     40    0, 1 (E), 7: a gap from 1 to 7 (6 h)
C      8 -> 12    25    0, 4: no gap (4 h)
D      6 -> 12    30    0, 6: a gap from 0 to 6 (6 h)
S      13 -> 0    10    0, 2: no gap (2 h); the only route past node 13
====== ========== ===== ==========================================================

Candidates: n7, n10 (on the corridor), n13 (passed by 10 trucks a day only: not
eligible with 30+) and n14 (off the corridor, a minute from node 9).

By hand, with on-path homes: B is served by n7 alone (1, 5, 7: gaps 4, 2); D by
n10 alone (4 h then 2 h; n7 would leave 5 h); A needs n7 and n10 (3 -> 7 -> 10 ->
12: 4, 3, 2 h). So one home: n7 (B, 40 trucks; n10 serves D, 30). Two: n7 and
n10, every truck served (195). Before: 25 of 195 (C; S is 10 more: 35 of 205).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from planner import InputError
from planner.plan import Plan
from tests.conftest import metric_network, points_gdf

HOUR_M = 60_000.0
TOTAL = 205.0  # A 100, B 40, C 25, D 30, S 10


@pytest.fixture(scope="module")
def corridor() -> dict[str, Any]:
    from planner.network import TravelMode
    from planner.routes import flows_from_paths

    truck = TravelMode("truck", speed_kmh=60.0, access_speed_kmh=5.0)
    nodes = {k: (HOUR_M * k, 0.0) for k in range(13)}
    nodes[13] = (HOUR_M * 1, HOUR_M)
    nodes[14] = (HOUR_M * 9, -1000.0)
    edges = [(k, k + 1) for k in range(12)] + [(1, 13), (9, 14)]
    net = metric_network(nodes, edges, modes=[truck])
    flows = flows_from_paths(
        net,
        [
            list(range(13)),
            list(range(2, 10)),
            list(range(8, 13)),
            list(range(6, 13)),
            [13, 1, 0],
        ],
        volumes=[100.0, 40.0, 25.0, 30.0, 10.0],
        index=["A", "B", "C", "D", "S"],
    )
    candidates = points_gdf(
        [nodes[7], nodes[10], nodes[13], nodes[14]],
        index=pd.Index(["n7", "n10", "n13", "n14"], name="site_id"),
        name=["Seven", "Ten", "Thirteen", "Spur"],
    )
    stations = points_gdf(
        [nodes[3]], index=pd.Index(["E"]), name=["Existing"], kind=["driver_home"]
    )
    return {"net": net, "flows": flows, "candidates": candidates, "stations": stations}


def _plan(corridor: dict[str, Any], **kwargs: Any) -> Plan:
    settings: dict[str, Any] = {
        "flows": corridor["flows"],
        "candidates": corridor["candidates"],
        "stations": corridor["stations"],
        "name": "Corridor",
    }
    return Plan.driver_homes(corridor["net"], **(settings | kwargs))


def _gaps(res: Any, state: str) -> list[tuple[str, float, float]]:
    gaps = res.gaps[res.gaps["state"] == state]
    return sorted(
        (r, round(a, 6), round(b, 6))
        for r, a, b in zip(gaps["route"], gaps["start_h"], gaps["end_h"], strict=True)
    )


def test_the_rest_rule_chooses_the_homes_solved_by_hand(corridor: dict[str, Any]) -> None:
    one = _plan(corridor).site(p=1)
    assert list(one.sites.index) == ["n7"]
    assert one.sites["reason"].tolist() == ["rest interval"]
    assert one.model_run == "RestIntervalCoverage"
    assert one.model_note == ""
    assert one.demand["served_before"].tolist() == [False, False, True, False, True]
    assert one.demand["served_after"].tolist() == [False, True, True, False, True]
    assert one.share_before == pytest.approx(35 / TOTAL)
    assert one.share_after == pytest.approx(75 / TOTAL)
    assert one.sites["added"].tolist() == pytest.approx([40.0])
    # the gaps: which stretches, exactly
    assert _gaps(one, "before") == [("A", 3.0, 12.0), ("B", 1.0, 7.0), ("D", 0.0, 6.0)]
    assert _gaps(one, "after") == [("A", 7.0, 12.0), ("D", 1.0, 6.0)]
    assert one.demand["max_gap_after_h"].tolist() == pytest.approx([5.0, 4.0, 4.0, 5.0, 2.0])
    # n13 is passed by 10 trucks a day only, n14 by none (off the road): not eligible
    assert any("2 of 4 candidate sites are passed by fewer than 30" in n for n in one.notes)
    two = _plan(corridor).site(p=2)
    assert sorted(two.sites.index) == ["n10", "n7"]
    assert two.share_after == pytest.approx(1.0)
    assert _gaps(two, "after") == []
    assert two.status == "optimal"
    assert two.gap == 0.0
    # trucks a day passing each home (on the path)
    assert two.sites["passing_volume"].to_dict() == {"n7": 170.0, "n10": 155.0}
    assert two.stations["passing_volume"].tolist() == [140.0]
    # the roads driven inside gaps, with the trucks a day doing so
    roads = one.gap_roads.set_index(["state", "u", "v"])["volume"]
    assert roads[("before", 10, 11)] == 130.0  # A and D
    assert roads[("before", 4, 5)] == 140.0  # A and B
    assert roads[("after", 10, 11)] == 130.0
    assert ("after", 4, 5) not in roads.index  # B is served and A rests at n7 after it
    assert set(two.gap_roads["state"]) == {"before"}


def test_p_counts_new_homes_only_and_homes_beyond_the_rule_capture_trucks(
    corridor: dict[str, Any],
) -> None:
    res = _plan(corridor).site(p=3)
    # the rule needs n7 and n10; no third site is eligible (S passes n13 only, 10 trucks)
    assert sorted(res.sites.index) == ["n10", "n7"]
    assert any("Only 2 candidate sites are passed by 30+ trucks a day" in n for n in res.notes)
    assert len(res.stations) == 1  # the existing home is fixed, not counted in p
    # with S's candidate eligible, the third home captures S
    low = _plan(corridor, min_volume=10.0).site(p=3)
    assert list(low.sites.index[:2].sort_values()) == ["n10", "n7"]
    assert low.sites.loc["n13", "reason"] == "flow capture"
    assert low.model_run == "RestIntervalCoverage+FlowCapture"
    assert "the other 1 homes were chosen by flow capturing" in low.model_note
    assert list(low.solves["model"]) == ["RestIntervalCoverage", "FlowCapture"]
    assert low.phases["captured_share"].tolist() == pytest.approx([140 / TOTAL, 1.0])


def test_phases_and_budget(corridor: dict[str, Any]) -> None:
    res = _plan(corridor, subsidy_per_home=100.0).site(phases=[1, 1])
    assert list(res.sites.index) == ["n7", "n10"]
    assert res.sites["phase"].tolist() == [1, 2]
    assert res.sites["cost"].tolist() == [100.0, 100.0]
    table = res.phases.set_index("phase")
    assert table["state"].tolist() == ["before", "after phase 1", "after"]
    assert table["homes"].tolist() == [1, 2, 3]
    assert table["served"].tolist() == [35.0, 75.0, TOTAL]
    assert table["gaps"].tolist() == [3, 2, 0]
    assert table["trucks_in_gaps"].tolist() == [170.0, 130.0, 0.0]
    assert table["cost"].tolist() == [0.0, 100.0, 100.0]
    assert res.parameters["phases"] == [1, 1]
    # phase 2 alone, with n7 built, adds n10
    assert _gaps(res, "after phase 1") == [("A", 7.0, 12.0), ("D", 1.0, 6.0)]
    # a budget affords what the subsidy allows
    assert list(_plan(corridor, subsidy_per_home=100.0).site(budget=150.0).sites.index) == ["n7"]
    both = _plan(corridor, subsidy_per_home=100.0).site(budget=250.0)
    assert sorted(both.sites.index) == ["n10", "n7"]
    assert any("Budget 250: the 2 homes chosen cost 200" in n for n in both.notes)
    with pytest.raises(InputError, match="or `budget`, not both"):
        _plan(corridor, subsidy_per_home=100.0).site(budget=250.0, phases=[1, 1])
    with pytest.raises(InputError, match="subsidy_per_home"):
        _plan(corridor).site(budget=250.0)
    with pytest.raises(InputError, match="cost of a new driver home"):
        Plan(corridor["net"], demand=corridor["stations"], mode="truck", subsidy_per_home=1.0)


def test_a_home_within_the_detour_limit_counts(corridor: dict[str, Any]) -> None:
    spur = corridor["candidates"].loc[["n14"]]
    # on the path only: n14 is passed by nobody, so it is not eligible
    none = _plan(corridor, candidates=spur).site(p=1)
    assert none.sites.empty
    # within 5 minutes: A and D reach it (a minute each way); it rests D (3 h + 3 h),
    # not A (3 -> 9 is 6 h)
    near = _plan(corridor, candidates=spur, detour_min=5.0).site(p=1)
    assert list(near.sites.index) == ["n14"]
    assert near.demand["served_after"].tolist() == [False, False, True, True, True]
    assert near.parameters["detour_min"] == 5.0


def test_no_trip_longer_than_the_interval_is_said_not_swapped_silently(
    corridor: dict[str, Any], tmp_path: Path
) -> None:
    res = _plan(corridor, rest_interval_h=12.0).site(p=1)
    # every truck meets a 12-hour rule: the rest-interval model is solved (nothing to
    # choose) and flow capturing places the home where the most uncaptured trucks pass:
    # n10 (C and D, 55) beats n7 (D, 30)
    assert list(res.sites.index) == ["n10"]
    assert res.sites["reason"].tolist() == ["flow capture"]
    assert res.parameters["model"] == "rest_interval"
    assert res.model_run == "FlowCapture"
    assert "No trip drives longer than 12 h" in res.model_note
    assert res.model_note in res.notes
    assert list(res.solves["model"]) == ["RestIntervalCoverage", "FlowCapture"]
    assert list(res.solves["homes"]) == [0, 1]
    assert res.demand["served_before"].all()
    assert res.share_before == pytest.approx(140 / TOTAL)  # captured: passing E
    assert res.share_after == pytest.approx(195 / TOTAL)
    info = res.run_info()
    assert info["parameters"]["model"] == "rest_interval"
    assert info["solver"]["model"] == "FlowCapture"
    assert info["solver"]["model_asked"] == "rest_interval"
    assert "No trip drives longer" in info["solver"]["model_note"]
    res.to_files(tmp_path, tiles=None)
    written = json.loads((tmp_path / "run.json").read_text())
    assert written["plans"][0]["solver"]["model"] == "FlowCapture"
    # flow capturing asked for: no note
    asked = _plan(corridor).site(p=1, model="flow_capture")
    assert asked.model_run == "FlowCapture"
    assert asked.model_note == ""
    assert list(asked.solves["model"]) == ["FlowCapture"]


def test_the_old_driver_home_plan_is_a_deprecated_wrapper(corridor: dict[str, Any]) -> None:
    from planner import driver_home_plan
    from planner.routes import driver_home_plan as from_routes

    assert from_routes is driver_home_plan
    with pytest.warns(DeprecationWarning, match="counts every new home"):
        old = driver_home_plan(
            corridor["flows"],
            corridor["candidates"],
            existing=corridor["stations"],
            p=2,
            min_volume=30.0,
        )
    assert old.sites["reason"].tolist() == ["existing", "rest interval", "rest interval"]
    assert sorted(old.sites.index) == ["existing:E", "n10", "n7"]
    assert old.routes["served"].all() == bool(old.routes["servable"].all())
    assert old.routes["max_gap_h"].max() <= 4.0 + 1e-9
    assert old.rest is not None
    assert old.rest.model == "RestIntervalCoverage"
    assert old.candidates.loc["n13", "eligible"] == np.False_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert len(driver_home_plan(corridor["flows"], corridor["candidates"], p=1).sites) == 1


def test_the_province_map_draws_gaps_and_phases(corridor: dict[str, Any]) -> None:
    from planner.maps import province_map

    res = _plan(corridor).site(phases=[1, 1])
    page = province_map(res).get_root().render()
    assert "Rest gaps before (over 4 h without a home)" in page
    assert "Rest gaps left after the new homes" not in page  # none are left
    assert "Programme by phase" in page
    assert "Recommended driver homes, phase 2" in page
    one = _plan(corridor).site(p=1)
    assert "Rest gaps left after the new homes" in one.map(tiles=None).get_root().render()


# ------------------------------------------------------------ candidates from Amap tables


def test_candidates_from_an_amap_poi_table(tmp_path: Path) -> None:
    from planner import candidates_from_table, to_wgs84

    rows = [
        (
            "B001",
            "西安服务区",
            "G30连霍高速",
            "交通设施服务;高速服务区;高速服务区",
            "108.9402,34.3416",
        ),
        ("B002", "中国石化加油站", "咸阳市", "汽车服务;加油站;中国石化", "108.7093,34.3296"),
        ("B003", "物流园停车场", "渭南市", "交通设施服务;停车场;停车场", "109.5100，34.5000"),
    ]
    text = "id,名称,地址,类型,经纬度\n" + "\n".join(",".join(f'"{v}"' for v in r) for r in rows)
    path = tmp_path / "amap.csv"
    path.write_text(text, encoding="utf-8-sig")  # Excel's "CSV UTF-8" writes a BOM
    sites = candidates_from_table(path)
    assert list(sites.index) == ["user/B001", "user/B002", "user/B003"]
    assert sites["kind"].tolist() == ["service_area", "fuel", "parking"]
    assert sites["name"].iloc[0] == "西安服务区"
    assert sites["address"].iloc[1] == "咸阳市"
    lon, lat = to_wgs84(
        np.array([108.9402, 108.7093, 109.51]), np.array([34.3416, 34.3296, 34.5]), "gcj02"
    )
    assert sites.geometry.x.to_numpy() == pytest.approx(lon, abs=1e-9)
    assert sites.geometry.y.to_numpy() == pytest.approx(lat, abs=1e-9)
    # the same table as Excel
    xlsx = tmp_path / "amap.xlsx"
    pd.read_csv(path, dtype=str, encoding="utf-8-sig").to_excel(xlsx, index=False)
    again = candidates_from_table(xlsx)
    assert again.geometry.x.to_numpy() == pytest.approx(lon, abs=1e-9)
    # every bad location is reported with the file, row and field
    bad = tmp_path / "bad.csv"
    bad.write_text('name,location\nA,"108.94,34.34"\nB,"108.94"\nC,"abc,34.3"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        candidates_from_table(bad)
    problems = info.value.problems
    assert [(p.row, p.field) for p in problems] == [(2, "location")]
    assert problems[0].file == str(bad)
    bad.write_text('name,location\nA,"108.94,34.34"\nC,"abc,34.3"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        candidates_from_table(bad)
    assert info.value.problems[0].file == str(bad)
    assert info.value.problems[0].row == 2


def test_planner_demo_runs_the_province(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import EXIT_OK, app

    out = tmp_path / "province"
    result = CliRunner().invoke(app, ["demo", "--region", "province", "--out", str(out), "-q"])
    assert result.exit_code == EXIT_OK, result.output
    assert "== Driver homes — synthetic province" in result.output
    assert "before" in result.output
    assert "after phase 1" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "coverage.csv",
        "map.html",
        "report.html",
        "run.json",
        "sites.csv",
        "sites.geojson",
        "sites.xlsx",
    ]
    run = json.loads((out / "run.json").read_text())["plans"][0]
    assert run["solver"]["model"].startswith("RestIntervalCoverage")
    assert run["parameters"]["phases"] == [20, 20, 20, 20, 20]
    bad = CliRunner().invoke(app, ["demo", "--region", "atlantis", "--out", str(out)])
    assert bad.exit_code == 2
    assert "unknown region" in bad.output
