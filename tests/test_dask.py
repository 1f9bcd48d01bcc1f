"""A cluster that does not answer never hangs a run: every ``scheduler=`` entry point, bounded.

A real TCP server that accepts connections and never says a word stands for a
wrong port (the dashboard's, a firewall, another service): ``dask.distributed``
alone waits on it forever. Each entry point must end within its timeout with a
:class:`SchedulerError` naming the address. Clusters that lose their workers or
whose workers die mid-run must end the same way (``planner._dask.wait_results``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner._errors import InputError, SchedulerError
from tests.conftest import SilentServer

distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parents[1]
_HELD = threading.Event()  # released when a test no longer needs its task to run


def _hold(x: int) -> int:
    """A task that runs until the test lets it go (at most a minute)."""
    _HELD.wait(60)
    return x


def _demo_scenario(folder: Path, extra: str = "") -> Path:
    text = (ROOT / "examples" / "demo_worker_stations.toml").read_text(encoding="utf-8")
    text = text.replace('folder = "../maps/examples/demo_worker_stations"', 'folder = "out"')
    path = folder / "demo.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _trace_folder(folder: Path) -> Path:
    from planner import datasets

    fixes = pd.DataFrame(datasets.demo_traces(groups=["courier"]).drop(columns="geometry"))
    folder.mkdir()
    fixes.head(200).to_parquet(folder / "part-0.parquet", index=False)
    return folder


_ENTRIES = (
    "access_by_node",
    "access_matrix",
    "coverage",
    "coverage_scenario",
    "Plan.site",
    "run_scenario",
    "stays_from_trace_files",
)


def _entry_points(net: Any) -> dict[str, Callable[[str, Path], Any]]:
    """Every public way to pass ``scheduler=``; each gets a 1-second timeout its own way."""
    import dask

    from planner.access import access_by_node, access_matrix
    from planner.batch import coverage_scenario, run_scenario
    from planner.coverage import coverage
    from planner.demand import stays_from_trace_files
    from tests.conftest import line_inputs, line_plan

    def dask_setting(call: Callable[[], Any]) -> Any:
        # the library's own entry points take Dask's connect-timeout setting
        with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
            return call()

    inputs = line_inputs()
    return {
        "access_matrix": lambda a, _: dask_setting(
            lambda: access_matrix(
                net, inputs["demand"], inputs["candidates"], mode="ebike", scheduler=a
            )
        ),
        "access_by_node": lambda a, _: dask_setting(
            lambda: access_by_node(
                net, inputs["demand"], inputs["candidates"], mode="ebike", scheduler=a
            )
        ),
        "coverage": lambda a, _: dask_setting(
            lambda: coverage(net, inputs["stations"], inputs["demand"], mode="ebike", scheduler=a)
        ),
        "Plan.site": lambda a, _: dask_setting(lambda: line_plan(net).site(p=1, scheduler=a)),
        "stays_from_trace_files": lambda a, tmp: stays_from_trace_files(
            _trace_folder(tmp / "fixes"), scheduler=a, scheduler_timeout_s=1
        ),
        "run_scenario": lambda a, tmp: run_scenario(
            _demo_scenario(tmp), scheduler=a, scheduler_timeout_s=1
        ),
        "coverage_scenario": lambda a, tmp: coverage_scenario(
            _demo_scenario(tmp), scheduler=a, scheduler_timeout_s=1
        ),
    }


@pytest.mark.parametrize("entry", _ENTRIES)
def test_every_entry_point_refuses_a_silent_port_in_time(
    entry: str, silent_server: SilentServer, tmp_path: Path, line_network: Any
) -> None:
    entries = _entry_points(line_network)
    assert sorted(entries) == sorted(_ENTRIES)
    call = entries[entry]
    started = time.monotonic()
    with pytest.raises(SchedulerError, match="handshake never completed") as caught:
        call(silent_server.address, tmp_path)
    message = str(caught.value)
    assert silent_server.address in message
    assert "within 1 s" in message
    assert "dask scheduler" in message  # the fix: start one, or check the port
    assert isinstance(caught.value, InputError)
    assert len(silent_server.accepted) >= 1  # the port did accept: the wait was the handshake
    # bounded: far below anything that could be mistaken for a hang (no speed assert)
    assert time.monotonic() - started < 60
    assert not (tmp_path / "out").exists()  # a scenario run leaves nothing behind


@pytest.mark.parametrize("command", ["run", "coverage"])
def test_the_command_line_says_what_was_wrong(
    command: str, silent_server: SilentServer, tmp_path: Path
) -> None:
    from planner.cli import EXIT_BAD_INPUT, app

    scenario = _demo_scenario(tmp_path)
    args = [command, str(scenario), "-q", "--scheduler", silent_server.address]
    result = CliRunner().invoke(app, [*args, "--scheduler-timeout", "1"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert f"no Dask scheduler answered at '{silent_server.address}' within 1 s" in result.output
    assert "field '--scheduler'" in result.output
    assert not (tmp_path / "out").exists()


def test_a_connection_never_accepted_is_told_from_a_silent_server() -> None:
    """A port whose backlog is full drops the handshake (as a firewall does): said at once."""
    import socket

    from planner._dask import connect_scheduler

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        # the first connection fills the backlog
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5),
            pytest.raises(SchedulerError) as info,
        ):
            connect_scheduler(f"tcp://127.0.0.1:{port}", timeout_s=1)
    text = str(info.value)
    assert f"no Dask scheduler answered at 'tcp://127.0.0.1:{port}' within 1 s" in text
    # not accepted at all: the Dask handshake is not tried (nor waited for) again
    assert "the connection was not accepted (a host that does not answer" in text


def test_a_batch_reports_a_silent_scheduler_per_scenario(
    silent_server: SilentServer, tmp_path: Path
) -> None:
    from planner.batch import run_batch

    runs = run_batch(
        [_demo_scenario(tmp_path)], scheduler=silent_server.address, scheduler_timeout_s=1
    )
    assert [r.status for r in runs] == ["invalid"]
    assert silent_server.address in runs[0].message
    assert "handshake never completed" in runs[0].message


def test_a_cluster_that_loses_its_workers_ends_the_wait() -> None:
    from planner._dask import wait_results

    _HELD.clear()
    try:
        with (
            distributed.LocalCluster(
                processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            futures = [client.submit(_hold, 1, pure=False)]
            threading.Timer(0.5, lambda: cluster.scale(0)).start()
            outcome: dict[str, BaseException] = {}

            def wait() -> None:
                try:
                    list(wait_results(client, futures, timeout_s=1, what="chunk"))
                except BaseException as error:  # looked at below
                    outcome["error"] = error

            waiting = threading.Thread(target=wait, daemon=True)
            waiting.start()
            waiting.join(30)  # unbounded, the wait would outlive the task's hold
            assert not waiting.is_alive(), "the wait on a cluster without workers hangs"
            error = outcome.get("error")
            assert isinstance(error, SchedulerError), error
            assert "no worker for 1 s" in str(error)
            assert "chunk 1 of 1" in str(error)
            assert cluster.scheduler_address in str(error)
            assert "dask worker" in str(error)  # the fix
    finally:
        _HELD.set()


def test_a_worker_that_dies_ends_the_wait() -> None:
    import dask

    from planner._dask import wait_results

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            processes=True, n_workers=1, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ok = client.submit(abs, -3, pure=False)
        dies = client.submit(os._exit, 1, pure=False)
        results = wait_results(client, [ok, dies], timeout_s=5, what="partition")
        assert next(results) == 3  # in order, the good one first
        with pytest.raises(SchedulerError, match="the workers running it died") as caught:
            next(results)
        assert "partition 2 of 2" in str(caught.value)
        assert cluster.scheduler_address in str(caught.value)


def test_an_error_of_the_task_itself_is_raised_as_it_is() -> None:
    from planner._dask import wait_results

    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        future = client.submit(int, "not a number", pure=False)
        with pytest.raises(ValueError, match="invalid literal"):
            list(wait_results(client, [future], timeout_s=1))
