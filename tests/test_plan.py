"""Tests of planner.plan on a hand-solved line of streets and on the demo region.

The line: nodes 0..10 every 300 m along one street; at 18 km/h (300 m a
minute) one node is one minute, so with a 2.5-minute cutoff a site covers the
nodes within two steps. Demand sits on the nodes with weights
``1 1 1 3 2 2 5 5 5 1 2`` (total 28), riders on even nodes, couriers on odd
ones; the existing station S0 at node 0 covers nodes 0-2 (weight 3).
Candidates at nodes 5, 8 and 10. By hand: the best first site is node 8
(covers 6-10: +18, where node 5 would add 17), then node 5 (covers 3-5: +7), after which all 28 are
covered and node 10 adds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planner import InputError
from planner.plan import Plan, PlanResult
from tests.conftest import UTM50N, line_inputs, line_plan, points_gdf


@pytest.fixture(scope="module")
def line(line_network: Any) -> Any:
    return line_network


def _demand() -> gpd.GeoDataFrame:
    return line_inputs()["demand"]


def _stations() -> gpd.GeoDataFrame:
    return line_inputs()["stations"]


def _candidates() -> gpd.GeoDataFrame:
    return line_inputs()["candidates"]


def _plan(line: Any, **kwargs: Any) -> Plan:
    return line_plan(line, **kwargs)


def test_ranked_sites_and_coverage_match_the_hand_solution(line: Any) -> None:
    res = _plan(line).site(p=3)
    assert isinstance(res, PlanResult)
    assert list(res.sites.index) == ["c8", "c5"]
    assert res.sites["rank"].tolist() == [1, 2]
    assert res.sites["added"].tolist() == pytest.approx([18.0, 7.0])
    assert res.sites["cumulative"].tolist() == pytest.approx([21.0, 28.0])
    assert res.sites["cumulative_share"].tolist() == pytest.approx([21 / 28, 1.0])
    assert res.sites["name"].tolist() == ["Parking", "Community centre"]
    assert res.sites["nearest_station"].tolist() == ["Station zero", "Station zero"]
    assert res.sites["nearest_station_m"].to_numpy() == pytest.approx([2400.0, 1500.0], abs=0.5)
    assert any("Only 2 of the 3 sites" in n for n in res.notes)
    cov = res.coverage.set_index(["group_by", "group"])
    assert cov.loc[("all", "all"), "weight"] == 28
    assert cov.loc[("all", "all"), "share_before"] == pytest.approx(3 / 28)
    assert cov.loc[("all", "all"), "share_after"] == pytest.approx(1.0)
    # riders: nodes 0,2,4,6,8,10 (16, 2 covered before); couriers 1,3,5,7,9 (12, 1 before)
    assert cov.loc[("group", "rider"), "weight_before"] == 2
    assert cov.loc[("group", "rider"), "weight"] == 16
    assert cov.loc[("group", "courier"), "weight_before"] == 1
    assert cov.loc[("group", "courier"), "share_after"] == pytest.approx(1.0)
    before = res.demand["covered_before"]
    assert before[before].index.tolist() == ["d0", "d1", "d2"]
    assert res.demand["covered_after"].all()
    assert res.uncovered.empty
    assert res.hexes.empty
    assert res.demand.loc["d9", "site"] == "c8"
    assert res.demand.loc["d9", "time_min"] == pytest.approx(1.0)
    # the curve: before, then the greedy order
    curve = res.curve.set_index("p")
    assert curve.loc[0, "share"] == pytest.approx(3 / 28)
    assert curve.loc[1, "share"] == pytest.approx(21 / 28)
    assert curve.loc[2, "share"] == pytest.approx(1.0)
    assert curve.loc[2, "chosen"]
    assert res.status == "optimal"
    assert res.gap == 0


def test_summary_repr_and_html(line: Any) -> None:
    res = _plan(line).site(p=2)
    summary = res.summary()["value"]
    assert summary["new sites"] == 2
    assert summary["covered before"] == "10.7%"
    assert summary["covered after"] == "100.0%"
    assert summary["existing stations"] == 1
    assert "10.7% -> 100.0%" in repr(res)
    page = res._repr_html_()
    assert "Line town" in page
    assert "c8" in page
    assert "covered after" in page


def test_same_inputs_same_output(line: Any) -> None:
    one = _plan(line, seed=3).site(p=2, solver="fast")
    two = _plan(line, seed=3).site(p=2, solver="fast")
    pd.testing.assert_frame_equal(one.sites, two.sites)
    pd.testing.assert_frame_equal(one.coverage, two.coverage)
    pd.testing.assert_frame_equal(one.curve, two.curve)
    assert one.inputs == two.inputs


def test_inputs_are_not_changed_and_projected_crs_gives_the_same_plan(line: Any) -> None:
    demand = _demand()
    copy = demand.copy()
    projected = _plan(line, demand=demand.to_crs(UTM50N)).site(p=2)
    pd.testing.assert_frame_equal(demand, copy)
    plain = _plan(line).site(p=2)
    assert list(projected.sites.index) == list(plain.sites.index)
    assert projected.share_after == pytest.approx(plain.share_after)
    assert projected.demand.crs.to_epsg() == 4326


def test_everything_already_covered(line: Any) -> None:
    everywhere = points_gdf(
        [(600.0, 0.0), (2100.0, 0.0)], index=pd.Index(["A", "B"]), name=["A", "B"]
    )
    res = _plan(line, stations=everywhere, cutoff_min=3.5).site(p=2)
    assert res.sites.empty
    assert res.share_before == pytest.approx(1.0)
    assert res.share_after == pytest.approx(1.0)
    assert any("already covered" in n for n in res.notes)
    assert any("All demand is covered" in n for n in res.notes)


def test_no_stations_and_no_candidates(line: Any) -> None:
    res = _plan(line, stations=None).site(p=1)
    assert res.share_before == 0
    assert list(res.sites.index) == ["c8"]
    assert any("No existing stations" in n for n in res.notes)
    empty = _plan(line, candidates=_candidates().iloc[:0]).site(p=2)
    assert empty.sites.empty
    assert empty.curve.empty
    assert empty.share_after == pytest.approx(3 / 28)
    assert any("No candidate sites" in n for n in empty.notes)


def test_station_kinds_filter_and_bad_input(line: Any) -> None:
    stations = pd.concat(
        [
            _stations(),
            points_gdf([(2400.0, 0.0)], index=pd.Index(["H"]), name=["Home"], kind=["driver_home"]),
        ]
    )
    res = _plan(line, stations=stations, station_kinds=("worker_station",)).site(p=1)
    assert list(res.stations.index) == ["S0"]
    assert list(res.sites.index) == ["c8"]
    with pytest.raises(InputError, match="has no CRS"):
        _plan(line, demand=_demand().set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="also existing station labels"):
        _plan(line, candidates=_candidates().rename(index={"c5": "S0"})).site(p=1)
    with pytest.raises(InputError, match="weight column 'people'"):
        _plan(line, weight="people").site(p=1)
    with pytest.raises(InputError, match="whole number"):
        _plan(line).site(p=-1)
    with pytest.raises(InputError, match="driver-home siting needs route flows"):
        _plan(line, programme="driver_homes")


def test_service_areas_before_and_after(line: Any) -> None:
    res = _plan(line, service_areas=True).site(p=2)
    areas = res.service_areas.set_index("site")
    assert sorted(areas.index) == ["S0", "c5", "c8"]
    assert areas.loc["S0", "state"] == "before"
    assert areas.loc["c8", "state"] == "after"
    demand = _demand()
    # S0 2.5-minute area holds nodes 0-2 and not node 4
    assert areas.loc["S0", "geometry"].contains(demand.geometry["d2"])
    assert not areas.loc["S0", "geometry"].intersects(demand.geometry["d4"])
    assert areas.loc["c8", "geometry"].contains(demand.geometry["d10"])


def test_to_files_writes_every_output(line: Any, tmp_path: Path) -> None:
    res = _plan(line).site(p=2)
    paths = res.to_files(tmp_path / "out", tiles=None)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "coverage.csv",
        "map.html",
        "report.html",
        "run.json",
        "sites.csv",
        "sites.geojson",
        "sites.xlsx",
    ]
    assert {p.stat().st_mode & 0o777 for p in paths.values()} == {0o644}
    sites = gpd.read_file(paths["sites"])
    assert sites["site_id"].tolist() == ["c8", "c5"]
    assert sites["rank"].tolist() == [1, 2]
    coverage = pd.read_csv(paths["coverage"])
    assert coverage.loc[0, "share_after"] == pytest.approx(1.0)
    run = json.loads(paths["run"].read_text(encoding="utf-8"))
    plan = run["plans"][0]
    assert plan["parameters"]["cutoff_min"] == 2.5
    assert plan["solver"]["status"] == "optimal"
    assert plan["inputs"]["demand"] == res.inputs["demand"]


# ------------------------------------------------------------------- the demo region
def test_demo_worker_stations_against_planner_coverage(demo_run: Any) -> None:
    from planner import datasets
    from planner.coverage import coverage

    res = demo_run.workers
    assert sorted(p.name for p in demo_run.paths["map"].parent.iterdir()) == [
        "coverage.csv",
        "map.html",
        "report.html",
        "run.json",
        "sites.csv",
        "sites.geojson",
        "sites.xlsx",
    ]
    assert res.sites["rank"].tolist() == list(range(1, len(res.sites) + 1))
    assert (np.diff(res.sites["added"].to_numpy()) <= 1e-9).all()
    assert res.share_after > res.share_before
    # coverage measured independently by planner.coverage with the new sites as stations
    demand = res.demand[["weight", "group"]].set_geometry(res.demand.geometry)
    net = res.network
    existing = res.stations
    after = pd.concat([existing.geometry, res.sites.geometry])
    for stations, share in ((existing.geometry, res.share_before), (after, res.share_after)):
        frame = gpd.GeoDataFrame(geometry=stations.to_numpy(), crs=4326)
        check = coverage(net, frame, demand, mode="ebike", cutoffs_min=(15,), on_far="exclude")
        overall = check.shares[check.shares["group_by"] == "all"]
        assert float(overall["share"].iloc[0]) == pytest.approx(share, abs=1e-12)
    assert res.parameters["attribution"] == [datasets.DEMO_ATTRIBUTION]
    text = demo_run.text()
    assert f"covered {res.share_before:.1%} -> {res.share_after:.1%}" in text
    assert str(res.sites["name"].iloc[0]) in text


def test_demo_driver_homes_against_brute_force(demo_run: Any) -> None:
    from itertools import combinations

    from planner import datasets
    from planner.routes import driver_home_candidates, route_od

    res = demo_run.homes
    net = res.network
    flows = route_od(datasets.demo_truck_trips(), net, mode="truck")
    cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    homes = res.stations
    assert set(homes["kind"]) == {"driver_home"}
    sites = gpd.GeoDataFrame(geometry=pd.concat([homes.geometry, cands.geometry]), crs=4326)
    inc = flows.site_incidence(sites)
    on = inc.table[inc.table["detour_s"] == 0]
    passes = on.groupby("site")["route"].apply(set)
    vol = inc.routes["volume"]
    base = set().union(*(passes.get(h, set()) for h in homes.index))
    eligible = [
        s for s in passes.index if s not in homes.index and inc.sites.loc[s, "passing_volume"] >= 30
    ]
    p = len(res.sites)
    best = max(
        vol[list(base.union(*(passes[s] for s in pair)))].sum()
        for pair in combinations(eligible, p)
    )
    assert res.coverage.loc[0, "weight_before"] == pytest.approx(vol[list(base)].sum())
    assert res.coverage.loc[0, "weight_after"] == pytest.approx(best)
    assert (res.sites["passing_volume"] >= 30).all()
    # the demo's trips are all shorter than 4 hours: the rest rule is met without stops
    assert res.demand["served_before"].all()
    assert res.demand["served_after"].all()
    assert res.routes is not None
    assert res.routes["volume"].max() == pytest.approx(flows.edge_volumes()["volume"].max())


def test_driver_homes_with_nothing_to_site(demo_run: Any) -> None:
    from planner.plan import demo_homes_plan

    empty = gpd.GeoDataFrame(geometry=[], crs=4326)
    res = demo_homes_plan(demo_run.homes.network, candidates=empty, stations=None).site(p=2)
    assert res.sites.empty
    assert res.share_before == 0
    assert res.share_after == 0
    assert res.status == "not solved"
    assert any("No candidate sites" in n for n in res.notes)
    assert any("No existing driver homes" in n for n in res.notes)
    # no site at all: a route meets the 4-hour rule when it is shorter than 4 hours
    assert (res.demand["served_before"] == (res.demand["time_h"] <= 4)).all()
    high = demo_homes_plan(demo_run.homes.network, min_volume=1e6).site(p=2)
    assert high.sites.empty
    assert any("Only 0 candidate sites are passed by 1e+06+ trucks a day" in n for n in high.notes)
    assert high.share_after == pytest.approx(demo_run.homes.share_before)


def test_driver_homes_on_a_long_corridor_meet_the_rest_rule() -> None:
    """Nodes 0..10 every 60 km at 60 km/h: an hour a node, a rest every 4 hours.

    Route A drives 0 -> 10 (10 h, 50 trucks a day): it needs two stops with gaps
    of at most 4 h (e.g. at 4 and 8, or 3 and 7). Route B drives 0 -> 5 (5 h, 30
    trucks): one stop at 3 or 4. With one new site only B can be served (30 of
    80); with two both (80). Candidates at nodes 3, 4, 7 and 8.
    """
    from planner.network import TravelMode
    from planner.routes import flows_from_paths
    from tests.conftest import metric_network

    truck = TravelMode("truck", speed_kmh=60.0, access_speed_kmh=5.0)
    nodes = {k: (60_000.0 * k, 0.0) for k in range(11)}
    net = metric_network(nodes, [(k, k + 1) for k in range(10)], modes=[truck])
    flows = flows_from_paths(
        net, [list(range(11)), list(range(6))], volumes=[50.0, 30.0], index=["A", "B"]
    )
    candidates = points_gdf(
        [(60_000.0 * k, 0.0) for k in (3, 4, 7, 8)],
        index=pd.Index(["n3", "n4", "n7", "n8"], name="site_id"),
        name=["Three", "Four", "Seven", "Eight"],
    )
    plan = Plan.driver_homes(net, flows=flows, candidates=candidates, name="Corridor")
    one = plan.site(p=1)
    assert list(one.sites.index) in (["n3"], ["n4"])
    assert one.share_before == 0
    assert one.share_after == pytest.approx(30 / 80)
    assert one.demand["served_after"].tolist() == [False, True]
    assert any("rest-interval model" in n for n in one.notes)
    two = plan.site(p=2)
    assert two.share_after == pytest.approx(1.0)
    assert two.demand["served_after"].all()
    assert sorted(two.sites.index) in (["n3", "n7"], ["n4", "n7"], ["n4", "n8"])
    assert two.sites["added"].sum() == pytest.approx(80.0)
    curve = two.curve.set_index("p")
    assert curve.loc[1, "share"] == pytest.approx(30 / 80)
    assert curve.loc[2, "share"] == pytest.approx(1.0)
    assert curve.loc[2, "chosen"]
    # flow capturing ignores the rest rule: n3 or n4 is passed by both routes (80)
    captured = plan.site(p=1, model="flow_capture")
    assert list(captured.sites.index) in (["n3"], ["n4"])
    assert captured.share_after == pytest.approx(1.0)
    assert captured.demand["served_after"].tolist() == [False, True]
    assert not any("rest-interval model" in n for n in captured.notes)
    # a budget needs costs: a cost column or a subsidy per home
    with pytest.raises(InputError, match="subsidy_per_home"):
        plan.site(budget=3.0)


# ------------------------------------------------ phases, budgets, models, clusters
# The line: station S0 covers d0-d2 (3); c5 covers d3-d7 (17), c8 d6-d10 (18),
# c10 d8-d10 (8); 28 in all.
def _costed(line: Any, costs: dict[str, Any]) -> Plan:
    candidates = _candidates().assign(cost=pd.Series(costs))
    return _plan(line, candidates=candidates, cost="cost")


def test_phased_plan_keeps_earlier_phases(line: Any) -> None:
    res = _plan(line).site(phases=[1, 1])
    assert list(res.sites.index) == ["c8", "c5"]
    assert res.sites["phase"].tolist() == [1, 2]
    assert res.sites["added"].tolist() == pytest.approx([18.0, 7.0])
    assert res.share_after == pytest.approx(1.0)
    assert res.parameters["phases"] == [1, 1]
    assert any("phase 1 chooses 1 site; phase 2 chooses 1 site" in n for n in res.notes)
    # the phase is on the map popups and in the report's table
    page = res.map().get_root().render()
    assert "Phase: 2" in page
    assert "Recommended worker stations, phase 2" in page
    # phase 2 alone, with c8 already built, is the best single addition: c5
    built = pd.concat([_stations(), _candidates().loc[["c8"]].assign(kind="worker_station")])
    again = _plan(line, stations=built, candidates=_candidates().drop(index="c8")).site(p=1)
    assert list(again.sites.index) == ["c5"]
    with pytest.raises(InputError, match="phases add up to 2"):
        _plan(line).site(p=3, phases=[1, 1])
    with pytest.raises(InputError, match="whole numbers"):
        _plan(line).site(phases=[])


def test_budget_picks_the_best_affordable_set(line: Any) -> None:
    plan = _costed(line, {"c5": 3.0, "c8": 5.0, "c10": 1.0})
    # budget 4: c8 (5) is out of reach; {c5, c10} covers d3-d10, everything
    four = plan.site(budget=4.0)
    assert sorted(four.sites.index) == ["c10", "c5"]
    assert four.share_after == pytest.approx(1.0)
    assert any("Budget 4: the 2 sites chosen cost 4" in n for n in four.notes)
    # budget 3: c5 (17) beats c10 (8)
    three = plan.site(budget=3.0)
    assert list(three.sites.index) == ["c5"]
    assert three.share_after == pytest.approx(20 / 28)
    assert three.parameters["budget"] == 3.0
    with pytest.raises(InputError, match="not both"):
        plan.site(p=2, budget=4.0)
    with pytest.raises(InputError, match="needs site costs"):
        _plan(line).site(budget=4.0)


def test_bad_site_costs_name_the_row_and_column(line: Any) -> None:
    with pytest.raises(InputError, match="site costs are missing") as info:
        _costed(line, {"c5": 3.0, "c8": -1.0, "c10": 1.0})
    assert info.value.problems[0].row == 2
    with pytest.raises(InputError, match="no cost column 'price'"):
        _plan(line, cost="price")


def test_lscp_covers_everything_with_the_fewest_or_cheapest_sites(line: Any) -> None:
    fewest = _plan(line).site(model="lscp")
    assert len(fewest.sites) == 2
    assert "c5" in fewest.sites.index
    assert fewest.share_after == pytest.approx(1.0)
    assert fewest.parameters["model"] == "lscp"
    cheapest = _costed(line, {"c5": 3.0, "c8": 5.0, "c10": 1.0}).site(model="lscp")
    assert sorted(cheapest.sites.index) == ["c10", "c5"]
    with pytest.raises(InputError, match="takes no p"):
        _plan(line).site(p=2, model="lscp")
    with pytest.raises(InputError, match="does not fit the worker_stations programme"):
        _plan(line).site(model="flow_capture")


def test_a_dask_cluster_gives_the_same_plan(line: Any) -> None:
    from dask.distributed import Client, LocalCluster

    local = _plan(line).site(p=2)
    with LocalCluster(
        processes=False, dashboard_address=":0", n_workers=1, threads_per_worker=1
    ) as cluster:
        with Client(cluster) as client:
            remote = _plan(line).site(p=2, scheduler=client)
        by_address = _plan(line).site(p=2, scheduler=cluster.scheduler_address, n_jobs=2)
    for res in (remote, by_address):
        pd.testing.assert_frame_equal(
            pd.DataFrame(res.sites.drop(columns="geometry")),
            pd.DataFrame(local.sites.drop(columns="geometry")),
        )
        pd.testing.assert_frame_equal(res.coverage, local.coverage)


# ------------------------------------------------------------------ rest rule: repeated passes


def test_driver_homes_route_passing_a_site_twice() -> None:
    """An out-and-back route passes its site twice, and both passes count as rests.

    Nodes 0..5 every 60 km at 60 km/h (an hour a node); route A drives
    0 -> 5 -> 0 (10 h, 40 trucks a day) and passes node 3 after 3 h and again
    after 7 h: with a site there the gaps are 3, 4 and 3 hours, within a rest
    every 4 hours. (Summing the two passes into one at 10 h would leave a
    10-hour gap and call the route unserved.)
    """
    from planner.network import TravelMode
    from planner.routes import flows_from_paths
    from tests.conftest import metric_network

    truck = TravelMode("truck", speed_kmh=60.0, access_speed_kmh=5.0)
    nodes = {k: (60_000.0 * k, 0.0) for k in range(6)}
    net = metric_network(nodes, [(k, k + 1) for k in range(5)], modes=[truck])
    flows = flows_from_paths(net, [[0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0]], volumes=[40.0], index=["A"])
    candidates = points_gdf(
        [(60_000.0 * k, 0.0) for k in (1, 3)],
        index=pd.Index(["n1", "n3"], name="site_id"),
        name=["One", "Three"],
    )
    plan = Plan.driver_homes(net, flows=flows, candidates=candidates, name="Out and back")
    one = plan.site(p=1)
    assert list(one.sites.index) == ["n3"]
    assert one.share_before == 0
    assert one.demand["served_after"].tolist() == [True]
    assert one.share_after == pytest.approx(1.0)


def test_stations_off_the_network_are_warned_about_and_listed(line: Any) -> None:
    from planner._errors import OffNetworkWarning

    stations = points_gdf(
        [(0.0, 0.0), (1500.0, 2000.0)],
        index=pd.Index(["S0", "S9"]),
        name=["Station zero", "远站"],
        kind=["worker_station", "worker_station"],
        hours=["24/7", "24/7"],
    )
    candidates = _candidates()
    far_site = points_gdf([(600.0, 900.0)], index=pd.Index(["c_far"]), name=["Field"])
    with pytest.warns(OffNetworkWarning) as record:
        res = _plan(line, stations=stations, candidates=pd.concat([candidates, far_site])).site(p=3)
    text = str(record[0].message)
    assert "1 of 2 existing stations lie more than 500 m from the ebike network" in text
    assert "远站 (2,000 m)" in text
    assert "result.off_network" in text
    table = res.off_network.set_index("site")
    assert table.loc["S9", "role"] == "station"
    assert table.loc["S9", "name"] == "远站"
    assert table.loc["S9", "distance_m"] == pytest.approx(2000.0, abs=1.0)
    assert table.loc["c_far", "role"] == "candidate"
    assert table.loc["c_far", "distance_m"] == pytest.approx(900.0, abs=1.0)
    assert any("远站" in n for n in res.notes)
    assert any("1 candidate sites lie more than 500 m" in n for n in res.notes)
    # the station off the network covers no one: the same plan as without it
    assert list(res.sites.index) == ["c8", "c5"]


def test_no_off_network_table_when_everything_snaps(line: Any) -> None:
    res = _plan(line).site(p=1)
    assert len(res.off_network) == 0
    assert list(res.off_network.columns) == ["role", "site", "name", "distance_m"]
