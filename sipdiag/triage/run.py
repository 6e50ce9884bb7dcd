"""Events → results, in parallel: local worker processes, or an existing Dask cluster.

How this works, locally: one process per event, at most `jobs` at a time, forked from the
caller with sipdiag imported (so a worker starts in a millisecond; the caller runs no threads
meanwhile: the progress bar is refreshed from this loop). Each worker caps its own address space (RLIMIT_AS), runs
`event.analyse_event` and sends the result back over a pipe. The parent waits on the pipes and
the process sentinels with the nearest deadline as timeout: a worker past its `timeout` is
terminated (then killed), one that dies without answering (a crash, the OOM killer) becomes an
error row with its exit status, and the batch goes on.

On Dask (`dask=ADDRESS`), each event is one task running `run_isolated`, which runs the same
`analyse_event` in a child Python process (`python -m sipdiag.triage.event`) with the same time
and memory limits, so a hung analysis is killed without taking the Dask worker down. Workers
read the input files by path, so the paths must be valid on the workers (shared storage).
Results come back to the caller, which stores them: there is no scheduler here.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Callable, Iterable, Iterator

from .event import EventResult, analyse_event, error_result, limit_memory
from .inputs import EventSpec

OnStart = Callable[[EventSpec], None]
DASK_CONNECT_TIMEOUT = "20s"


def timeout_error(timeout: float) -> str:
    return f"timed out: analysis took longer than {timeout:g} s (--timeout)"


def crash_error(exitcode: int | None, memory_limit_mib: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = f"worker killed by {name}"
        if -exitcode == signal.SIGKILL:
            why += " (out of memory?)"
        return why
    limit = f" (memory limit {memory_limit_mib} MiB)" if memory_limit_mib else ""
    return f"worker exited with status {exitcode} without a result{limit}"


def _child(spec: EventSpec, conn) -> None:
    limit_memory(spec.options.get("memory_limit_mib"))
    try:
        result = analyse_event(spec)
    except BaseException as exc:  # noqa: BLE001 - report, do not hang the parent
        result = error_result(spec, f"internal error: {type(exc).__name__}: {exc}")
    try:
        conn.send(result)
    except MemoryError:
        conn.send(error_result(spec, "ran out of memory sending the result"))
    conn.close()


def _context():
    """fork where there is one (Linux, macOS with care): a worker starts in a millisecond with
    sipdiag already imported; spawn elsewhere. forkserver would re-import the caller's main
    script in every worker, which breaks scripts and notebooks that call `sipdiag.triage`."""
    import sipdiag.analysis  # noqa: F401  (imported once here, inherited by every worker)
    import sipdiag.report.html  # noqa: F401
    import sipdiag.rules  # noqa: F401

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_local(specs: Iterable[EventSpec], jobs: int, timeout: float, on_start: OnStart | None = None,
              on_tick: Callable[[], None] | None = None) -> Iterator[EventResult]:
    """Analyse each event in its own worker process, `jobs` at a time; yield results as they end.

    `on_tick` is called at least every second while workers run (to redraw a progress bar)."""
    ctx = _context()
    pending = deque(specs)
    running: dict = {}  # reader connection -> (process, spec, deadline)
    jobs = max(1, jobs)
    while pending or running:
        while pending and len(running) < jobs:
            spec = pending.popleft()
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(spec, writer), daemon=True)
            proc.start()
            writer.close()
            running[reader] = (proc, spec, time.monotonic() + timeout)
            if on_start is not None:
                on_start(spec)
        nearest = min(d for _, _, d in running.values())
        ready = wait(list(running) + [p.sentinel for p, _, _ in running.values()],
                     timeout=min(1.0, max(0.0, nearest - time.monotonic())))
        if on_tick is not None:
            on_tick()
        now = time.monotonic()
        for reader in list(running):
            proc, spec, deadline = running[reader]
            result = None
            if reader in ready or proc.sentinel in ready:
                try:
                    result = reader.recv() if reader.poll() else None
                except (EOFError, OSError, pickle.UnpicklingError):
                    result = None
                proc.join(5)
                if proc.is_alive():
                    _stop(proc)
                if result is None:
                    result = error_result(spec, crash_error(proc.exitcode, spec.options.get("memory_limit_mib")))
            elif now >= deadline:
                _stop(proc)
                result = error_result(spec, timeout_error(timeout), timeout)
            else:
                continue
            del running[reader]
            reader.close()
            yield result


def _stop(proc) -> None:
    proc.terminate()
    proc.join(2)
    if proc.is_alive():
        proc.kill()
        proc.join(2)


def run_isolated(spec: EventSpec, timeout: float) -> EventResult:
    """`analyse_event` in a child Python process with the time and memory limits (for Dask)."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "sipdiag.triage.event"], input=pickle.dumps(spec),
                              capture_output=True, timeout=timeout, env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return error_result(spec, timeout_error(timeout), time.perf_counter() - start)
    if done.returncode != 0 or not done.stdout:
        return error_result(spec, crash_error(done.returncode, spec.options.get("memory_limit_mib")),
                            time.perf_counter() - start)
    return pickle.loads(done.stdout)


def run_dask(specs: list[EventSpec], address, timeout: float,
             on_start: OnStart | None = None) -> Iterator[EventResult]:
    """Run each event as a task on the Dask cluster at `address` (or a Client/cluster object)."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - a declared dependency
        from ..errors import UsageError

        raise UsageError("--dask needs the `distributed` package (pip install 'dask[distributed]')") from None
    if isinstance(address, Client):
        client, own = address, False
    else:
        try:
            client, own = Client(address, timeout=DASK_CONNECT_TIMEOUT), True
        except OSError as exc:
            from ..errors import UsageError

            raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        futures = {}
        for spec in specs:
            fut = client.submit(run_isolated, spec, timeout, pure=False, key=f"sipdiag-triage-{spec.event_id}-{time.time_ns()}")
            futures[fut.key] = (fut, spec)
            if on_start is not None:
                on_start(spec)
        for fut in as_completed([f for f, _ in futures.values()]):
            spec = futures[fut.key][1]
            try:
                yield fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker is one error row
                yield error_result(spec, f"dask task failed: {type(exc).__name__}: {exc}")
    finally:
        if own:
            client.close()
