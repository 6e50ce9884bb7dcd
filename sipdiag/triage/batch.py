"""A batch: paths → events → results in the store → tables and index page in the output folder.

`triage()` plans the events (`inputs.plan`), skips those whose row in the store is current,
analyses the others in parallel (`run.run_local`, or `run.run_dask`), writes each event's
report and JSON to `OUTDIR/events/` and its row to the store as it arrives, and finally writes
`triage.csv`, `triage.parquet` and `index.html` for the events named by `paths`.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Protocol

from .. import __version__
from ..errors import UsageError
from .event import EventResult
from .inputs import EventSpec, plan
from .store import TriageStore

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_TIMEOUT = 300.0
DEFAULT_MEMORY_LIMIT_MIB = 4096


class Progress(Protocol):
    """What the batch tells a progress display (the CLI's rich bar)."""

    def begin(self, total: int, todo: int) -> None: ...
    def started(self, spec: EventSpec) -> None: ...
    def finished(self, result: EventResult) -> None: ...
    def tick(self) -> None: ...


def triage(paths, outdir: str | None = None, *, jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
           group: str = "stem", redact: bool = False, dask=None,
           memory_limit_mib: int | None = DEFAULT_MEMORY_LIMIT_MIB, retry_errors: bool = False,
           progress: Progress | None = None) -> "pd.DataFrame":
    """Triage the files, folders, globs and archives in `paths` into `outdir`; return the table.

    One row per event (see `store.COLUMNS`), in the order the events were found. `jobs` worker
    processes (default: the number of cores) each analyse one event within `timeout` seconds and
    `memory_limit_mib`; `dask` (a scheduler address or a `distributed.Client`) runs them on a
    Dask cluster instead. Events already in `outdir`'s store, unchanged, are not analysed again
    (`retry_errors` re-analyses those that failed). `frame.attrs` holds `outdir`, `analysed`
    and `reused` (event counts).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise UsageError("name at least one file, folder, glob or archive to triage")
    if timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    outdir = os.fspath(outdir) if outdir is not None else tempfile.mkdtemp(prefix="sipdiag-triage-")
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise UsageError(f"{outdir}: exists and is not a folder")
    events_dir = os.path.join(outdir, "events")
    # local workers write their event's report and JSON themselves; Dask workers send them back
    options = {"memory_limit_mib": memory_limit_mib, "events_dir": None if dask is not None else events_dir}
    specs = plan(paths, group, exclude=outdir, redact=redact, options=options)
    if not specs:
        raise UsageError("nothing to triage: no files in " + ", ".join(paths))
    os.makedirs(events_dir, exist_ok=True)
    store = TriageStore(os.path.join(outdir, "triage.sqlite"))
    try:
        todo = [s for s in specs if not store.is_current(s.event_id, __version__, redact, retry_errors)]
        if progress is not None:
            progress.begin(len(specs), len(todo))
        started = progress.started if progress is not None else None
        if not todo:
            results = iter(())
        elif dask is not None:
            from .run import run_dask

            results = run_dask(todo, dask, timeout, started)
        else:
            from .run import run_local

            results = run_local(todo, jobs or os.cpu_count() or 1, timeout, started,
                                progress.tick if progress is not None else None)
        for result in results:
            _save(result, events_dir, store)
            if progress is not None:
                progress.finished(result)
        rows = store.rows([s.event_id for s in specs])
    finally:
        store.close()
    # pandas is imported only now: workers fork from a lean process (cheaper forks, smaller workers)
    from .tables import to_frame, write_tables

    frame = to_frame(rows)
    write_tables(frame, outdir)
    from .index import render_index

    with open(os.path.join(outdir, "index.html"), "w", encoding="utf-8") as fh:
        fh.write(render_index(frame, redacted=redact))
    frame.attrs.update(outdir=outdir, analysed=len(todo), reused=len(specs) - len(todo))
    return frame


def _save(result: EventResult, events_dir: str, store: TriageStore) -> None:
    row = result.row
    if not result.written:
        write_reports(result, events_dir)
    store.put(row)


def write_reports(result: EventResult, events_dir: str) -> None:
    """Write the event's report and JSON to `events_dir` and name them in its row (relative to
    the output folder); an event without reports has a stale one removed, never linked."""
    row = result.row
    eid = row["event_id"]
    row["report_html"] = row["report_json"] = None
    for ext, text in (("html", result.html), ("json", result.json)):
        path = os.path.join(events_dir, f"{eid}.{ext}")
        if text is None:
            if os.path.exists(path):
                os.remove(path)
            continue
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        row[f"report_{ext}"] = f"events/{eid}.{ext}"
    result.html = result.json = None
    result.written = True
