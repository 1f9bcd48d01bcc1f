"""Dask connections and waits that never hang: the one helper behind every ``scheduler=``.

``dask.distributed`` alone can wait forever: on a port that accepts
connections but never completes its handshake (a plain TCP or HTTP server, the
dashboard port, a firewall that swallows packets), and on a future whose
workers are gone or whose scheduler stopped answering. Every entry point of
planner that takes ``scheduler=`` (:func:`planner.access.access_matrix`,
:func:`planner.access.access_by_node`, :func:`planner.coverage.coverage`,
:func:`planner.demand.stays_from_trace_files`, :meth:`planner.plan.Plan.site`,
the scenario runs and the command line) connects through :func:`dask_client`
and collects results through :func:`wait_results`, so each wait is bounded by
one timeout: the one given (``scheduler_timeout_s``, ``--scheduler-timeout``)
or Dask's own ``distributed.comm.timeouts.connect`` setting (30 s unless set,
e.g. by ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s``). What goes wrong
ends in a :class:`~planner._errors.SchedulerError` naming the address, what
happened and the fix.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from planner._errors import InputError, SchedulerError

__all__ = [
    "broadcast",
    "connect_scheduler",
    "dask_client",
    "scheduler_address",
    "timeout_seconds",
    "wait_results",
]

# how often a wait looks at the cluster while a result is not there (at most; less
# when the timeout is shorter)
_POLL_S = 5.0


def _fix(field: str) -> str:
    return (
        "check the address and port (a Dask scheduler listens on 8786 by default; its "
        "dashboard on 8787 is not it), start one with `dask scheduler` and `dask worker "
        f"ADDRESS`, raise the timeout, or leave {field} out to run locally."
    )


def timeout_seconds(value: float | None) -> float:
    """Return the timeout in seconds: ``value``, or Dask's connect-timeout setting.

    Parameters
    ----------
    value
        Seconds (a positive number), or ``None`` for Dask's
        ``distributed.comm.timeouts.connect`` (30 s when unset).

    Returns
    -------
    float
        The timeout in seconds.

    Raises
    ------
    InputError
        When ``value`` is not a positive number of seconds.
    """
    if value is None:
        import dask
        from dask.utils import parse_timedelta

        parsed = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")
        return float(parsed) if parsed else 30.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise InputError(
            f"the scheduler timeout must be a positive number of seconds, got {value!r}.",
            field="scheduler_timeout_s",
            fix="pass e.g. scheduler_timeout_s=30.",
        )
    return seconds


def scheduler_address(client: Any) -> str:
    """Return the address of a client's scheduler (for messages).

    Parameters
    ----------
    client
        A ``dask.distributed.Client``.

    Returns
    -------
    str
        E.g. ``"tcp://10.0.0.5:8786"``.
    """
    return str(getattr(getattr(client, "scheduler", None), "address", None) or client)


def dask_client(
    scheduler: Any, *, timeout_s: float | None = None, field: str = "scheduler"
) -> tuple[Any, bool]:
    """Return a client for a ``scheduler=`` argument, and whether the caller owns it.

    Parameters
    ----------
    scheduler
        A ``dask.distributed.Client`` (checked to have a worker) or a scheduler
        address (connected with :func:`connect_scheduler`).
    timeout_s
        Seconds allowed for each step (see :func:`connect_scheduler`).
    field
        The argument named in errors.

    Returns
    -------
    tuple
        The client, and ``True`` when it was opened here (the caller closes it).

    Raises
    ------
    InputError
        When dask.distributed is missing or ``scheduler`` is neither a client
        nor an address; :class:`~planner._errors.SchedulerError` as
        :func:`connect_scheduler`.
    """
    try:
        from dask.distributed import Client
    except ImportError as error:  # pragma: no cover - dask is a dev dependency
        raise InputError(
            f"{field}= needs dask.distributed, which is not installed.",
            field=field,
            fix=f"pip install 'planner[dask]' (or 'dask[distributed]'), or leave {field} out.",
        ) from error
    seconds = timeout_seconds(timeout_s)
    if isinstance(scheduler, Client):
        _wait_for_workers(scheduler, scheduler_address(scheduler), seconds, field)
        return scheduler, False
    if isinstance(scheduler, str):
        return connect_scheduler(scheduler, timeout_s=seconds, field=field), True
    raise InputError(
        f"{field} must be a dask.distributed Client or a scheduler address, got "
        f"{type(scheduler).__name__}.",
        field=field,
        fix="pass Client(...) or an address such as 'tcp://10.0.0.5:8786'.",
    )


def connect_scheduler(
    address: str, *, timeout_s: float | None = None, field: str = "scheduler"
) -> Any:
    """Return a ``dask.distributed.Client`` on a scheduler that answers, or raise; never hang.

    The scheduler is first asked who it is over one connection bounded by
    ``timeout_s`` as a whole (``dask.distributed`` alone waits forever on a
    port that accepts and stays silent); then the client is created and one
    worker awaited, each within ``timeout_s`` again.

    Parameters
    ----------
    address
        The scheduler's address, e.g. ``"tcp://10.0.0.5:8786"``.
    timeout_s
        Seconds allowed for each step (connect and identify, create the client,
        find a worker); ``None``: Dask's ``distributed.comm.timeouts.connect``
        setting (30 s unless configured, e.g. by the environment variable
        ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``).
    field
        The argument named in errors (``"--scheduler"`` on the command line).

    Returns
    -------
    distributed.Client
        A client the caller owns (and closes).

    Raises
    ------
    SchedulerError
        When nothing answers, something else answers, or the scheduler has no
        worker within ``timeout_s``; the message names the address, what
        happened and the fix.
    """
    from dask.distributed import Client

    seconds = timeout_seconds(timeout_s)
    fix = _fix(field)
    refused = _refused(address, seconds)
    if refused == "timeout":
        raise SchedulerError(
            f"no Dask scheduler answered at {address!r} within {seconds:g} s: the connection "
            "was not accepted (a host that does not answer, or a firewall that drops the "
            "packets).",
            field=field,
            fix=fix,
        )
    if refused is not None:
        raise SchedulerError(
            f"no Dask scheduler answers at {address!r} ({refused}).", field=field, fix=fix
        )
    try:
        reply = _bounded(lambda: asyncio.run(_identity(address, seconds)), seconds)
    except TimeoutError as error:
        raise SchedulerError(
            f"no Dask scheduler answered at {address!r} within {seconds:g} s: the connection "
            "was not accepted, or was accepted but the Dask handshake never completed "
            "(something else listens on that port).",
            field=field,
            fix=fix,
        ) from error
    except (OSError, ValueError, TypeError) as error:
        raise SchedulerError(
            f"no Dask scheduler answers at {address!r} ({type(error).__name__}: {error}).",
            field=field,
            fix=fix,
        ) from error
    except Exception as error:  # a foreign server's reply breaks the protocol anywhere
        raise SchedulerError(
            f"something answered at {address!r} but not as a Dask scheduler "
            f"({type(error).__name__}: {error}).",
            field=field,
            fix=fix,
        ) from error
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        raise SchedulerError(
            f"{address!r} answered as {kind or 'something unknown'!s}, not as a Dask scheduler.",
            field=field,
            fix=fix,
        )
    try:
        client = _bounded(lambda: Client(address, timeout=f"{seconds:g}s"), seconds)
    except Exception as error:  # timeouts and connection errors alike
        raise SchedulerError(
            f"the Dask scheduler at {address!r} answered, but no client could be opened "
            f"on it within {seconds:g} s ({type(error).__name__}: {error}).",
            field=field,
            fix=fix,
        ) from error
    try:
        _wait_for_workers(client, address, seconds, field)
    except BaseException:
        client.close()
        raise
    return client


def broadcast(
    client: Any, data: Any, *, timeout_s: float | None = None, field: str = "scheduler"
) -> Any:
    """Send ``data`` to every worker once; return its future, or raise; never hang.

    Parameters
    ----------
    client
        A ``dask.distributed.Client``.
    data
        What every task shares (scattered with ``broadcast=True``).
    timeout_s
        Seconds (see :func:`timeout_seconds`).
    field
        The argument named in errors.

    Returns
    -------
    distributed.Future
        The scattered data.

    Raises
    ------
    SchedulerError
        When the cluster does not take the data within ``timeout_s``.
    """
    seconds = timeout_seconds(timeout_s)
    address = scheduler_address(client)
    try:
        return _bounded(lambda: client.scatter(data, broadcast=True, timeout=seconds), seconds * 2)
    except Exception as error:  # timeouts and lost connections alike
        raise SchedulerError(
            f"the Dask scheduler at {address!r} did not take the shared data within "
            f"{seconds:g} s ({type(error).__name__}: {error}).",
            field=field,
            fix=_fix(field),
        ) from error


def wait_results(
    client: Any,
    futures: Sequence[Any],
    *,
    timeout_s: float | None = None,
    field: str = "scheduler",
    what: str = "task",
) -> Iterator[Any]:
    """Yield each future's result, in order; never wait on a cluster that cannot deliver.

    While a result is not there, the scheduler is asked every few seconds
    (each question bounded by ``timeout_s``) whether it still answers and has a
    worker. A scheduler that stops answering, a client that lost it, or a
    cluster left without workers for ``timeout_s`` end the wait; so does a task
    whose workers died (Dask's ``KilledWorker``) or that was cancelled. A task
    that runs on a live worker is waited for as long as it takes.

    Parameters
    ----------
    client
        The ``dask.distributed.Client`` the futures belong to.
    futures
        The futures, in the order their results are wanted.
    timeout_s
        Seconds (see :func:`timeout_seconds`).
    field
        The argument named in errors.
    what
        What one future computes, for messages (``"chunk"``, ``"partition"``).

    Yields
    ------
    object
        Each future's result, in order. An error raised by the task itself is
        raised as it is.

    Raises
    ------
    SchedulerError
        Naming the address, the task (``chunk 3 of 40``), what happened and the fix.
    """
    from concurrent.futures import CancelledError

    from distributed.scheduler import KilledWorker

    seconds = timeout_seconds(timeout_s)
    address = scheduler_address(client)
    poll = min(_POLL_S, seconds)
    n = len(futures)
    for k, future in enumerate(futures, start=1):
        trouble_since: float | None = None
        while True:
            try:
                result = future.result(timeout=poll)
            except TimeoutError:
                problem, at_once = _cluster_problem(client, seconds)
                if problem is None:
                    trouble_since = None
                    continue
                now = time.monotonic()
                trouble_since = now if trouble_since is None else trouble_since
                if at_once or now - trouble_since >= seconds:
                    raise SchedulerError(
                        f"{what} {k} of {n} on the Dask scheduler at {address!r} cannot "
                        f"finish: {problem}.",
                        field=field,
                        fix=f"check the cluster (`dask worker {address}` starts a worker), "
                        f"or leave {field} out to run locally.",
                    ) from None
                continue
            except KilledWorker as error:
                raise SchedulerError(
                    f"{what} {k} of {n} on the Dask scheduler at {address!r} failed: the "
                    f"workers running it died ({error}).",
                    field=field,
                    fix="give the workers more memory (`dask worker --memory-limit`), smaller "
                    f"chunks, or leave {field} out to run locally.",
                ) from error
            except CancelledError as error:
                raise SchedulerError(
                    f"{what} {k} of {n} on the Dask scheduler at {address!r} was cancelled: "
                    f"the client lost the scheduler ({type(error).__name__}: {error}).",
                    field=field,
                    fix=_fix(field),
                ) from error
            yield result
            break


def _cluster_problem(client: Any, seconds: float) -> tuple[str | None, bool]:
    """Return what keeps the cluster from delivering (or None), and whether it is final."""
    status = getattr(client, "status", "running")
    if status in ("closing", "closed", "failed"):
        return f"the client lost its connection to the scheduler (status {status!r})", True
    try:
        info = _bounded(lambda: client.scheduler_info(n_workers=1), seconds)
    except TimeoutError:
        return f"the scheduler stopped answering (no reply within {seconds:g} s)", True
    except Exception as error:  # the connection broke mid-question
        return f"the scheduler stopped answering ({type(error).__name__}: {error})", False
    workers = info.get("n_workers", len(info.get("workers", {}))) if isinstance(info, dict) else 0
    if not workers:
        return f"the scheduler has had no worker for {seconds:g} s", False
    return None, False


def _refused(address: str, timeout_s: float) -> str | None:
    """Why a plain TCP connection to ``address`` fails, ``"timeout"``, or ``None``.

    Dask's own connect retries a refused port until its timeout, so a port with
    nothing behind it would be told apart from a silent server only by which of
    two equal timeouts fired first. One plain connection attempt (``tcp://``
    addresses only) says so at once; one not made within ``timeout_s`` gives
    ``"timeout"`` (Dask would wait as long again). A connection that is accepted
    is left to the Dask handshake (``None``).
    """
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme != "tcp":
            return None
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        return None
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except TimeoutError:
        return "timeout"
    except OSError as error:  # refused, no route, unknown host
        return f"{type(error).__name__}: {error}"


async def _identity(address: str, timeout_s: float) -> Any:
    """Ask the server at ``address`` who it is, the way a Dask client does, bounded as a whole."""
    from distributed.comm import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    return await asyncio.wait_for(ask(), timeout_s)


def _bounded(func: Callable[[], Any], timeout_s: float) -> Any:
    """Run ``func`` in a daemon thread; return its result or raise ``TimeoutError``.

    A thread stuck in a foreign library is left behind, never waited for (it
    does not keep the process alive).
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = func()
        except BaseException as error:  # handed to the caller
            box["error"] = error

    thread = threading.Thread(target=run, name="planner-dask-wait", daemon=True)
    thread.start()
    thread.join(timeout_s + 1.0)  # the steps bound themselves; this is the backstop
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["result"]


def _wait_for_workers(client: Any, address: str, timeout_s: float, field: str) -> None:
    try:
        _bounded(lambda: client.wait_for_workers(1, timeout=timeout_s), timeout_s)
    except TimeoutError as error:
        raise SchedulerError(
            f"the Dask scheduler at {address!r} has no worker after {timeout_s:g} s, so no "
            "task could ever run.",
            field=field,
            fix=f"start workers with `dask worker {address}`, or leave {field} out to run locally.",
        ) from error
