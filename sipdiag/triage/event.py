"""One event → its row, HTML report and JSON document: the function every worker runs.

`analyse_event(spec)` is the same whether it runs in a local worker process or on a Dask
worker: it reads the event's files (plain files by path, archive members in place, within the
caps of `inputs.py`), runs the `analyze` pipeline on them together, takes the verdict
(`verdict.verdict_of`) and returns an `EventResult`. An input problem (an unreadable file, a
damaged archive) is the row's `error`, never an exception; a file of a several-file event that
cannot be read is left out and named in `skipped`, and the others are analysed.

`python -m sipdiag.triage.event` runs one pickled spec from stdin with the memory limit set
and writes the pickled result to stdout: the isolation used on Dask workers, where a hung
analysis must be killable without killing the worker.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
import time
from dataclasses import dataclass

from .. import __version__
from ..errors import InputError
from ..flow.model import ENDED_WELL, NOT_FAILED
from .inputs import EventSpec, read_member

MIB = 1 << 20


@dataclass
class EventResult:
    """What a worker sends back: the row's fields and the two report texts."""

    row: dict
    html: str | None = None
    json: str | None = None
    messages: int = 0
    written: bool = False
    """The reports are in the events folder already (html and json are then None)."""


def base_row(spec: EventSpec) -> dict:
    """The fields every row has, whether or not its analysis succeeded."""
    names = [f.name for f in spec.files]
    return {
        "event_id": spec.event_id,
        "event": f"event {spec.event_id[:8]}" if spec.redact else spec.label,
        "files": "; ".join(names) if not spec.redact else "; ".join(f"input-{i + 1}" for i in range(len(names))),
        "file_count": len(names),
        "file_hashes": " ".join(f.sha256 for f in spec.files),
        "verdict_slug": None, "verdict_code": None, "verdict_severity": None, "verdict_title": None,
        "finding_codes": "", "errors": 0, "warnings": 0,
        "flows": 0, "flows_ok": 0, "flows_failed": 0, "flow_outcomes": "",
        "sip_messages": 0, "first_time": None, "last_time": None, "span_seconds": None,
        "hosts": "", "aors": "", "user_agents": "",
        "skipped": "", "error": None, "analysis_seconds": None, "cpu_seconds": None, "peak_rss_mib": None,
        "redacted": int(spec.redact), "sipdiag_version": __version__,
    }


def without_names(spec: EventSpec, text: str) -> str:
    """`text` with the event's file names (paths, archive members, base names) replaced by the
    `input-N` that `--redact` rows use."""
    names = []
    for i, f in enumerate(spec.files):
        for name in (f.name, f.path, f.member, os.path.basename(f.name), spec.label):
            if name:
                names.append((name, f"input-{i + 1}" if name != spec.label else f"event {spec.event_id[:8]}"))
    for name, pseudonym in sorted(names, key=lambda n: len(n[0]), reverse=True):
        text = text.replace(name, pseudonym)
    return text


def error_result(spec: EventSpec, error: str, seconds: float | None = None) -> EventResult:
    """The row of an event that could not be analysed, saying why."""
    row = base_row(spec)
    row["error"] = without_names(spec, error) if spec.redact else error
    row["analysis_seconds"] = round(seconds, 3) if seconds is not None else None
    return EventResult(row)


def analyse_event(spec: EventSpec) -> EventResult:
    """Analyse one event and return its row and reports (an input problem is the row's error)."""
    start = time.perf_counter()
    try:
        result = _analyse(spec)
    except InputError as exc:
        result = error_result(spec, str(exc))
    except MemoryError:
        limit = spec.options.get("memory_limit_mib")
        result = error_result(spec, f"ran out of memory (limit {limit} MiB per worker, --memory-limit)"
                              if limit else "ran out of memory")
    except Exception as exc:  # noqa: BLE001 - a bug on one input must not sink the batch
        result = error_result(spec, f"internal error: {type(exc).__name__}: {exc}")
    events_dir = spec.options.get("events_dir")
    if events_dir:
        from .batch import write_reports

        write_reports(result, events_dir)
    result.row["analysis_seconds"] = round(time.perf_counter() - start, 3)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.row["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 3)
    result.row["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
    return result


def _load(spec: EventSpec) -> tuple[list, list[str]]:
    items, skipped = [], []
    for f in spec.files:
        if f.member is None:
            if f.problem:
                skipped.append(f"{f.name}: {f.problem}")
                continue
            items.append(f.name)
            continue
        try:
            items.append((f.name, read_member(f)))
        except (ValueError, OSError, EOFError) as exc:
            skipped.append(f"{f.name}: {exc}")
    return items, skipped


def _analyse(spec: EventSpec) -> EventResult:
    from ..analysis import analyze_inputs
    from ..report.html import render_view
    from ..report.json_report import analysis_json
    from ..report.redact import Redactor, redact_json
    from ..report.viewmodel import build_view
    from ..rules import run_rules
    from ..rules.verdict import decide
    from .verdict import verdict_of

    items, skipped = _load(spec)
    while True:
        if not items:
            raise InputError(spec.label, "; ".join(skipped) if skipped else "no files")
        try:
            analysis = analyze_inputs(items)
            break
        except InputError as exc:
            # one bad file of several: leave it out, analyse the rest
            names = [i if isinstance(i, str) else i[0] for i in items]
            if len(items) == 1 or exc.path not in names:
                if skipped:
                    raise InputError(exc.path, f"{exc.problem} (also: {'; '.join(skipped)})") from None
                raise
            skipped.append(str(exc))
            del items[names.index(exc.path)]
    findings = run_rules(analysis)
    verdicts = decide(analysis, findings)  # once: the row, the report and the JSON share it
    verdict = verdict_of(analysis, findings, verdicts)

    redactor = Redactor() if spec.redact else None
    html = render_view(build_view(analysis, findings, redactor, verdicts))
    document = analysis_json(analysis, findings, verdicts)
    if spec.redact:
        document = redact_json(document, analysis, findings)

    def text(s: str) -> str:
        return redactor.text(s) if redactor is not None else s

    outcomes: dict[str, int] = {}
    for fl in analysis.flows:
        outcomes[fl.outcome] = outcomes.get(fl.outcome, 0) + 1
    failed = [fl for fl in analysis.flows if fl.outcome not in ENDED_WELL and fl.outcome not in NOT_FAILED]
    span = analysis.time_span
    agents = sorted({ua for h in analysis.hosts.values() for ua in h.user_agents})
    row = base_row(spec)
    row.update({
        "verdict_slug": verdict.slug, "verdict_code": verdict.code, "verdict_severity": verdict.severity,
        "verdict_title": text(verdict.title),
        "finding_codes": " ".join(dict.fromkeys(f.code for f in findings)),
        "errors": sum(1 for f in findings if f.severity == "error"),
        "warnings": sum(1 for f in findings if f.severity == "warning"),
        "flows": len(analysis.flows),
        "flows_ok": sum(1 for fl in analysis.flows if fl.outcome in ENDED_WELL),
        "flows_failed": len(failed),
        "flow_outcomes": "; ".join(f"{k}={v}" for k, v in sorted(outcomes.items())),
        "sip_messages": len(analysis.messages),
        "first_time": span[0] if span else None, "last_time": span[1] if span else None,
        "span_seconds": round(span[1] - span[0], 3) if span else None,
        "hosts": "; ".join(text(h) for h in analysis.hosts),
        "aors": "; ".join(dict.fromkeys(text(fl.aor) for fl in failed if fl.aor)),
        "user_agents": "; ".join(text(ua) for ua in agents),
        "skipped": "; ".join(without_names(spec, text(s)) if spec.redact else s for s in skipped),
    })
    return EventResult(row, html=html, json=json.dumps(document, indent=2), messages=len(analysis.messages))


def limit_memory(mib: int | None) -> None:
    """Let this process map at most `mib` MiB more than it has mapped now (RLIMIT_AS): an
    allocation beyond it fails with MemoryError, which becomes the row's error. Counting from
    the current size keeps the limit meaningful in a worker forked from a big process (a
    notebook holding data frames)."""
    if not mib:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _mapped_bytes() + mib * MIB
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _mapped_bytes() -> int:
    """This process's address-space size (Linux /proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def main() -> None:
    spec: EventSpec = pickle.load(sys.stdin.buffer)
    limit_memory(spec.options.get("memory_limit_mib"))
    result = analyse_event(spec)
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    # run from the importable module, so that the pickled result names sipdiag.triage.event
    from sipdiag.triage.event import main as _main

    _main()
