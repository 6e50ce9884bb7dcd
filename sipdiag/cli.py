"""Command line: the only place that prints, picks exit codes and turns errors into messages.

Exit codes: 0 = done, no error findings; 1 = at least one error finding (analyze, lint), or an
event with an error verdict or that could not be analysed (triage); 2 = bad input, usage or output
(a file that cannot be read at all, an unknown option, a report that cannot be written);
3 = internal error. An input damaged part-way (cut short, a limit reached) is analysed as far as it
could be read, with one line on stderr saying what was lost and where, and the exit code follows
the findings; a capture damaged before its first packet is one that cannot be read at all (2). Both
come from the reader's own account of the loss (`InputSummary.lost`). `--debug` adds the traceback, never changes the code. Everything printed that comes
from an input passes through `inert`.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import traceback
from typing import BinaryIO, Callable

import click

from . import __version__
from .errors import OutputError, SipdiagError, UsageError
from .inert import inert
from .jsonout import dumps
from .report.secrets import shorten
from .sources import core as capture_core

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


class _Group(click.Group):
    """Turns sipdiag errors into one line and their exit code; tracebacks only with --debug."""

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            _flush_stdout()
            return result
        except SipdiagError as exc:
            _fail(ctx, f"sipdiag: error: {exc}", exc.exit_code)
        except (KeyboardInterrupt, BrokenPipeError):
            _silence_stdout()
            ctx.exit(EXIT_INTERRUPTED)
        except click.exceptions.Exit:
            try:
                _flush_stdout()
            except OutputError as exc:
                _fail(ctx, f"sipdiag: error: {exc}", exc.exit_code)
            raise
        except (click.ClickException, click.Abort):
            raise
        except OSError as exc:
            if exc.errno in _WRITE_ERRNOS and exc.filename is None:  # stdout: a full disk, /dev/full
                _silence_stdout()
                _fail(ctx, f"sipdiag: error: cannot write standard output: {exc.strerror or exc}", EXIT_BAD_INPUT)
            _internal(ctx, exc)
        except Exception as exc:  # a bug in sipdiag: one clear line, the traceback with --debug
            _internal(ctx, exc)


def _fail(ctx: click.Context, line: str, code: int) -> None:
    """One line on stderr and exit `code`; with --debug the traceback first, same code."""
    if ctx.obj and ctx.obj.get("debug"):
        traceback.print_exc()
    click.echo(inert(line), err=True)
    ctx.exit(code)


def _internal(ctx: click.Context, exc: BaseException) -> None:
    _fail(ctx, f"sipdiag: internal error: {type(exc).__name__}: {exc} "
               "(run again with --debug for the traceback, and please report it)", EXIT_INTERNAL)


def _flush_stdout() -> None:
    """Push out what is buffered for stdout now, so a write error is reported, not lost at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        _silence_stdout()
        raise OutputError("standard output", exc.strerror or str(exc)) from None


def _silence_stdout() -> None:
    """After stdout failed, send what is left to /dev/null so Python does not complain at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test runner's stream)
        pass


def _size(value: str | None) -> int | None:
    from .sources.limits import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def limit_options(command):
    """The input limits (sources/limits.py) as options of a command that reads inputs."""
    command = click.option(
        "--max-ratio", metavar="N", callback=lambda c, p, v: _size(v),
        help="Stop un-gzipping an input that expands more than N times its compressed size, once past "
             "16 MiB (a compression bomb). Default 100, or SIPDIAG_MAX_RATIO; 0: no limit.")(command)
    command = click.option(
        "--max-expand", metavar="SIZE", callback=lambda c, p, v: _size(v),
        help="Stop un-gzipping an input after SIZE bytes (K, M, G suffixes). Default 8G, or "
             "SIPDIAG_MAX_EXPAND; 0: no limit.")(command)
    command = click.option(
        "--max-line", metavar="SIZE", callback=lambda c, p, v: _size(v),
        help="Cut text-log lines longer than SIZE (the rest of the line is skipped). Default 1M, or "
             "SIPDIAG_MAX_LINE; 0: no limit.")(command)
    return command


def _apply_limits(max_line: int | None, max_expand: int | None, max_ratio: int | None) -> None:
    from .sources import limits

    try:
        env = limits.Limits.from_environ()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    limits.configure(max_line=env.max_line, max_expand=env.max_expand, max_ratio=env.max_ratio)
    limits.configure(max_line=max_line, max_expand=max_expand, max_ratio=max_ratio)


def _lost_line(summary, verb: str) -> str | None:
    """The one stderr line for an input that lost data part-way, or None."""
    lost = summary.lost
    if lost is None:
        return None
    unit = "packets" if summary.is_capture else "lines"
    return shorten(f"sipdiag: warning: {lost}; {verb} the {summary.packets} {unit} read")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sipdiag", message=f"%(prog)s %(version)s (core: {capture_core.describe()})")
@click.option("--debug", is_flag=True, help="Show Python tracebacks with the error messages (same exit codes).")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """sipdiag: find why SIP calls and registrations fail.

    Give it a capture (pcap, pcapng, gzip'd or not) or a text trace (Asterisk `pjsip set
    logger` output, chan_sip debug, ngrep, FreeSWITCH siptrace, sngrep export). `-` reads
    standard input: `tcpdump -w - | sipdiag analyze -`.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True, help="text: one line per message; json: one document; jsonl: one object per line.")
@click.option("--anomalies/--no-anomalies", default=True, show_default=True,
              help="Also list malformed or odd input (text format).")
@limit_options
@click.pass_context
def messages(ctx: click.Context, files: tuple[str, ...], fmt: str, anomalies: bool, max_line: int | None,
             max_expand: int | None, max_ratio: int | None) -> None:
    """List the SIP messages in FILES, one line each, like `tshark -Y sip`.

    Columns: file, frame (or L<line> for text logs), time relative to the first packet,
    source -> destination, transport, request line or status line, Call-ID, CSeq. `-` reads
    standard input. Control characters from the input are shown escaped (\\x1b).

    Exit status: 0 listed (inputs damaged part-way included: one warning line on stderr each
    says what was lost), 2 an input could not be read at all (a capture damaged before its
    first packet included) or bad usage, 3 internal error.
    """
    from .analysis import watched
    from .dissect import read_messages
    from .report.listing import anomaly_json, anomaly_line, input_json, message_json, message_line
    from .sip.message import Anomaly, SipMessage
    from .sources import label as input_label

    _apply_limits(max_line, max_expand, max_ratio)
    _check_stdin_once(files)
    failed = False
    doc_inputs, doc_messages, doc_anomalies = [], [], []
    # the listing itself shows progress when it goes to the terminal
    bar = None if sys.stdout.isatty() else _ReadProgress.on_terminal()
    for path in files:
        label = input_label(path)
        try:
            source, items = read_messages(path, held=False)  # each message is printed and dropped
            count = 0
            for item in watched(source, items, bar.watch if bar else None):
                base = source.summary.first_time
                if isinstance(item, SipMessage):
                    count += 1
                    if fmt == "text":
                        click.echo(message_line(item, base, label))
                    elif fmt == "jsonl":
                        click.echo(dumps({"type": "message", **message_json(item, base)}))
                    else:
                        doc_messages.append(message_json(item, base))
                elif isinstance(item, Anomaly):
                    if fmt == "text":
                        if anomalies:
                            click.echo(anomaly_line(item, label))
                    elif fmt == "jsonl":
                        click.echo(dumps({"type": "anomaly", **anomaly_json(item)}))
                    else:
                        doc_anomalies.append(anomaly_json(item))
        except SipdiagError as exc:
            if bar is not None:
                bar.close()
            if ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(inert(f"sipdiag: error: {exc}"), err=True)
            failed = True
            continue
        if bar is not None:
            bar.close()
        summary = source.summary
        info = input_json(summary, count)
        if fmt == "json":
            doc_inputs.append(info)
        elif fmt == "jsonl":
            click.echo(dumps({"type": "input", **info}))
        if fmt == "text":
            for w in summary.warnings:
                click.echo(inert(shorten(f"sipdiag: warning: {w}")), err=True)
            local = f"; logging host {summary.local_address}" if summary.local_address else ""
            click.echo(inert(f"# {label}: {summary.format}, {summary.packets} "
                             f"{'packets' if summary.format.startswith('pcap') else 'lines'}, {count} SIP messages"
                             f"{local}"), err=True)
        elif (lost := _lost_line(summary, "listed")) is not None:
            click.echo(inert(lost), err=True)
    if fmt == "json":
        click.echo(dumps({"schema": "sipdiag.messages/1", "inputs": doc_inputs,
                               "messages": doc_messages, "anomalies": doc_anomalies}, indent=True))
    ctx.exit(EXIT_BAD_INPUT if failed else EXIT_OK)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="text: terminal summary; json: the sipdiag.analysis/2 document; html: the self-contained "
                   "case report (give -o report.html).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report to this file instead of standard output (`-`: standard output). "
                   "Never one of the inputs.")
@click.option("--redact", is_flag=True,
              help="Replace addresses, users, phone numbers, domains, names, config names and Call-IDs with "
                   "consistent pseudonyms and drop nonces and digest responses (every format), so the report "
                   "can be shared.")
@click.option("-v", "--verbose", is_flag=True, help="Show every flow and each finding's observations.")
@limit_options
@click.pass_context
def analyze(ctx: click.Context, files: tuple[str, ...], fmt: str, output: str | None, redact: bool,
            verbose: bool, max_line: int | None, max_expand: int | None, max_ratio: int | None) -> None:
    """Find out why calls or registrations fail in FILES.

    Several FILES of one event (a capture and the PBX log of the same minute, the PBX's pjsip.conf
    or `pjsip show` output) are merged into one story: a message seen in both is one message with
    two pieces of evidence. `-` reads a capture or log from standard input (pcap, pcapng, text,
    gzip'd or not, told apart by content).

    \b
    Examples:
      sipdiag analyze capture.pcap
      sipdiag analyze capture.pcap full.log pjsip.conf
      sipdiag analyze capture.pcap --format html -o report.html
      sipdiag analyze capture.pcap --format html --redact -o shareable.html
      tcpdump -i any -w - port 5060 | sipdiag analyze -

    \b
    Exit status:
      0  no error findings
      1  at least one error finding
      2  an input cannot be read at all, bad usage, or the report cannot be written
      3  internal error (a bug in sipdiag)

    An input damaged part-way (cut short, a broken record, a limit reached) is analysed as far as
    it could be read; one warning line per such input on stderr says what was lost and where, and
    the exit status follows the findings. A capture damaged before its first packet is one that
    cannot be read at all.
    """
    from .analysis import analyze_paths
    from .rules import run_rules

    _apply_limits(max_line, max_expand, max_ratio)
    if output == "-":
        output = None
    if fmt == "html" and not output and sys.stdout.isatty():
        raise UsageError("the HTML report goes to a file: add -o report.html")
    _check_stdin_once(files)
    if output:
        _check_not_an_input(output, files)
    bar = _ReadProgress.on_terminal()
    try:
        analysis = analyze_paths(list(files), bar.watch if bar else None, keep=True)
        findings = run_rules(analysis)
    finally:
        if bar is not None:
            bar.close()
    for summary in analysis.inputs:
        if (lost := _lost_line(summary, "analysed")) is not None:
            click.echo(inert(lost), err=True)
    if fmt == "html":
        from .report.html import render_html

        _emit(render_html(analysis, findings, redact=redact), output)
        if output:
            click.echo(f"sipdiag: wrote {inert(output)}", err=True)
    elif fmt == "json":
        from .jsonout import write_document
        from .report.json_report import analysis_json, analysis_json_stream

        if redact:
            from .report.redact import redact_json

            document = redact_json(analysis_json(analysis, findings), analysis, findings)
        else:
            document = analysis_json_stream(analysis, findings)
        _emit_with(lambda fh: (write_document(document, fh), fh.write(b"\n")), output)
    else:
        from rich.console import Console

        from .report.redact import Redactor
        from .report.terminal import renderables

        if output:
            import io

            buffer = io.StringIO()
            console = Console(file=buffer, width=110, force_terminal=False)
            for r in renderables(analysis, findings, verbose, redactor=Redactor() if redact else None):
                console.print(r)
            _emit(buffer.getvalue(), output, newline=False)
        else:
            console = Console()
            for r in renderables(analysis, findings, verbose, redactor=Redactor() if redact else None):
                console.print(r)
    ctx.exit(EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK)


def _check_stdin_once(files: tuple[str, ...]) -> None:
    if files.count("-") > 1:
        raise UsageError("`-` (standard input) can be given only once")


def _check_not_an_input(output: str, files: tuple[str, ...]) -> None:
    """Refuse an output file that is one of the inputs (it would be overwritten before or after reading)."""
    for path in files:
        if path == "-":
            continue
        try:
            same = os.path.samefile(path, output)
        except (OSError, ValueError):
            same = os.path.abspath(path) == os.path.abspath(output)
        if same:
            raise UsageError(f"-o {inert(output)} names an input ({inert(path)}); choose another file for the report")


def _emit(text: str, output: str | None, newline: bool = True) -> None:
    """Write the report to `output`, or to stdout when None; errors become OutputError (exit 2)."""
    if not output:
        click.echo(text, nl=newline)
        return
    try:
        with _open_output(output) as fh:
            fh.write(text)  # not text + "\n": a busy capture's JSON is tens of MB, copied for nothing
            if newline:
                fh.write("\n")
    except OSError as exc:
        raise OutputError(output, exc.strerror or str(exc)) from None


def _emit_with(write: Callable[[BinaryIO], object], output: str | None) -> None:
    """`write` the report, bytes, to `output`, or to stdout when None; errors become OutputError (exit 2)."""
    if not output:
        sys.stdout.flush()
        stdout = sys.stdout.buffer
        write(stdout)
        stdout.flush()
        return
    try:
        with _open_output(output, binary=True) as fh:
            write(fh)
    except OSError as exc:
        raise OutputError(output, exc.strerror or str(exc)) from None


def _open_output(output: str, binary: bool = False):
    """The report file, opened for writing; a named pipe nobody reads from is refused, not waited on."""
    try:
        is_fifo = stat.S_ISFIFO(os.stat(output).st_mode)
    except (OSError, ValueError):
        is_fifo = False
    if not is_fifo:
        if binary:
            return open(output, "wb")
        return open(output, "w", encoding="utf-8", errors="backslashreplace")
    try:
        fd = os.open(output, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(output, "a named pipe (FIFO) that no program reads from") from None
        raise
    os.set_blocking(fd, True)
    if binary:
        return open(fd, "wb")
    return open(fd, "w", encoding="utf-8", errors="backslashreplace")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per finding (file:line: CODE severity title), cause and fix with -v; "
                   "json: the findings as in `analyze --format json`.")
@click.option("-v", "--verbose", is_flag=True, help="Show each finding's cause and fix.")
@click.pass_context
def lint(ctx: click.Context, files: tuple[str, ...], fmt: str, verbose: bool) -> None:
    """Check Asterisk PJSIP configuration FILES (pjsip.conf, `pjsip show` output) without a trace.

    Finds what Asterisk loads without complaint but cannot work: an aors=/auth=/transport= that
    names no section, an AOR no endpoint uses, endpoints on a NAT-facing transport (local_net)
    without rewrite_contact/force_rport/rtp_symmetric, chan_sip options PJSIP ignores. Each
    finding cites file:line. Dangling names are only reported when every file is a whole
    pjsip.conf (no #include): `pjsip show` output may list only some objects.

    \b
    Examples:
      sipdiag lint /etc/asterisk/pjsip.conf
      sipdiag lint pjsip.conf pjsip_wizard.conf

    Exit status: 0 no error finding, 1 at least one error finding, 2 a file is not PJSIP
    configuration or cannot be read.
    """
    from .config import PbxConfig, read_config
    from .flow import build_analysis
    from .rules import run_rules

    config = PbxConfig()
    for path in files:
        if read_config(path, config) is None:
            if not os.path.exists(path):
                raise UsageError(f"{path}: no such file")
            raise UsageError(f"{inert(path)}: not Asterisk PJSIP configuration (pjsip.conf or `pjsip show` output)")
    analysis = build_analysis([])
    analysis.config = config
    findings = [f for f in run_rules(analysis) if f.code.startswith("SD6")]
    if fmt == "json":
        click.echo(dumps({"schema": "sipdiag.lint/1", "files": list(config.sources),
                          "whole": config.is_whole, "findings": [f.to_json() for f in findings]}, indent=True))
    else:
        for f in findings:
            where = f.evidence[0] if f.evidence else ""
            click.echo(inert(f"{where}: {f.code} {f.severity} {f.slug}: {f.title}"))
            if verbose:
                click.echo(inert(f"    cause: {f.cause}"))
                for line in f.fix.splitlines():
                    click.echo(inert(f"    {line}"))
        objects = len(config.objects)
        note = "" if config.is_whole else " (not every file is a whole pjsip.conf: dangling names not checked)"
        click.echo(f"{len(files)} file{'s' if len(files) != 1 else ''}, {objects} object{'s' if objects != 1 else ''}, "
                   f"{len(findings)} finding{'s' if len(findings) != 1 else ''}{note}", err=True)
    ctx.exit(EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Output folder: triage.sqlite, triage.csv, triage.parquet, index.html and events/.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=300, show_default=True,
              help="Seconds one event may take; a slower one becomes a row with its error.")
@click.option("--memory-limit", "memory_limit", type=click.IntRange(min=0), default=4096, show_default=True,
              help="MiB of memory (address space) a worker may add for one event (0: no limit); an event that "
                   "needs more becomes an error row.")
@click.option("--group", type=click.Choice(["stem", "folder", "file"]), default="stem", show_default=True,
              help="stem: files sharing a name up to the first dot in one folder are one event; "
                   "folder: one event per folder (or archive); file: one event per file.")
@click.option("--redact", is_flag=True, help="Pseudonyms in everything written: rows, CSV, Parquet, index and reports.")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run the events on the Dask cluster at ADDRESS (e.g. tcp://scheduler:8786); "
                   "workers read the input files by path.")
@click.option("--retry-errors", is_flag=True, help="Analyse again the events whose earlier analysis failed.")
@click.pass_context
def triage(ctx: click.Context, paths: tuple[str, ...], outdir: str, jobs: int | None, timeout: float,
           memory_limit: int, group: str, redact: bool, dask_address: str | None, retry_errors: bool) -> None:
    """Triage an archive: what went wrong in each event, and which causes are common.

    PATHS are files, folders (read recursively), globs and archives (.zip, .tar, .tar.gz/.tgz,
    read in place); types are detected by content. The files of one event are analysed together,
    as `analyze` does. Each event runs in its own worker process with a time and memory limit; a
    crashing, hanging or huge input becomes a row with its error and the batch goes on. Results
    go to OUTDIR/triage.sqlite (one row per event, keyed by the content of its files: a second
    run analyses only new or changed events, an interrupted run resumes), triage.csv,
    triage.parquet, index.html and one HTML report and JSON document per event in OUTDIR/events/.

    \b
    Examples:
      sipdiag triage tickets/ -o triage-out
      sipdiag triage 'tickets/2024-*/' attachments.zip -o triage-out -j 4 --timeout 120
      sipdiag triage tickets/ -o shareable --redact

    Exit status: 0 no event with an error verdict, 1 at least one event with an error verdict or
    an event that could not be analysed, 2 bad usage or nothing readable (no input files, or no
    event could be analysed), 3 internal error.
    """
    from .triage.batch import triage as run_triage

    progress = _TriageProgress() if sys.stderr.isatty() else None
    try:
        frame = run_triage(list(paths), outdir, jobs=jobs, timeout=timeout, group=group, redact=redact,
                           dask=dask_address, memory_limit_mib=memory_limit or None, retry_errors=retry_errors,
                           progress=progress)
    finally:
        if progress is not None:
            progress.close()
    failed = int(frame["error"].notna().sum())
    errors = int((frame["verdict_severity"] == "error").sum())
    warnings = int((frame["verdict_severity"] == "warning").sum())
    click.echo(f"sipdiag: {len(frame)} events ({frame.attrs['analysed']} analysed, {frame.attrs['reused']} "
               f"unchanged): {errors} with an error verdict, {warnings} with a warning, {failed} not analysed; "
               f"wrote {outdir}/index.html", err=True)
    failures = frame[frame["error"].notna()]
    for row in failures.head(10).itertuples():
        error = str(row.error)
        click.echo(f"sipdiag: {error if error.startswith(str(row.event)) else f'{row.event}: {error}'}", err=True)
    if failed > 10:
        click.echo(f"sipdiag: … and {failed - 10} more events not analysed (see the error column)", err=True)
    if failed == len(frame):
        ctx.exit(EXIT_BAD_INPUT)
    ctx.exit(EXIT_FINDINGS if errors or failed else EXIT_OK)


class _ReadProgress:
    """The progress bar of a long read on a terminal (stderr): file, bytes read as a bar, packets
    (or lines) and SIP messages so far, the time left from the bytes still to read.

    It appears only after `SIPDIAG_PROGRESS_AFTER` seconds (default 0.5), so short reads print
    nothing, and it is erased when it closes; `on_terminal()` gives None unless stderr is a
    terminal, so a pipe, a file or a test sees no trace of it. Nothing of it goes to stdout."""

    def __init__(self, after: float) -> None:
        self.after = after
        self.bar = None
        self.task = None
        self.source = None
        self.started_at: float | None = None

    @classmethod
    def on_terminal(cls) -> "_ReadProgress | None":
        if not sys.stderr.isatty():
            return None
        try:
            after = float(os.environ.get("SIPDIAG_PROGRESS_AFTER", "0.5"))
        except ValueError:
            after = 0.5
        return cls(after)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(bar_width=24), TaskProgressColumn(),
                            TextColumn("{task.fields[counts]}"), TimeRemainingColumn(),
                            TextColumn("[dim]{task.fields[stage]}"),
                            console=Console(stderr=True), transient=True, refresh_per_second=4)
        self.bar.start()

    def watch(self, source, messages: int, finished: bool) -> None:
        """analysis.Watcher: `source` has given `messages` SIP messages so far."""
        import time

        now = time.monotonic()
        if self.started_at is None:
            self.started_at = now
        if self.bar is None:
            if now - self.started_at < self.after:
                return
            self._start()
        summary = source.summary
        progress = getattr(source, "progress", None)
        total = progress.total if progress is not None else None
        done = progress.done() if progress is not None else 0
        unit = "packets" if summary.is_capture else "lines"
        counts = f"{summary.packets:,} {unit} · {messages:,} SIP messages"
        stage = "analysing…" if finished else ""
        completed = total if finished and total else done
        if source is not self.source:
            self.source = source
            name = summary.path.rsplit("/", 1)[-1]
            name = name if len(name) <= 32 else "…" + name[-31:]
            self.task = self.bar.add_task(name, total=total or None, completed=completed, counts=counts,
                                          stage=stage)
        else:
            self.bar.update(self.task, completed=completed, counts=counts, stage=stage)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
        self.source = None
        self.started_at = None


class _TriageProgress:
    """The triage progress bar on a terminal: events done, SIP messages, current file, ETA.

    Refreshed from the batch loop (auto_refresh off), so no thread runs while workers fork."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("[bold]triage"), BarColumn(bar_width=24), MofNCompleteColumn(),
                            TextColumn("events · {task.fields[messages]} SIP messages"), TimeRemainingColumn(),
                            TextColumn("[dim]{task.fields[current]}"), auto_refresh=False, transient=True,
                            console=None)
        self.task = None
        self.messages = 0

    def begin(self, total: int, todo: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("triage", total=todo, messages=0, current="")
        self.bar.refresh()

    def started(self, spec) -> None:
        import os

        name = os.path.basename(spec.files[0].name if spec.files else spec.label)
        self.bar.update(self.task, current=name if len(name) <= 32 else "…" + name[-31:])
        self.bar.refresh()

    def finished(self, result) -> None:
        self.messages += result.messages
        self.bar.update(self.task, advance=1, messages=self.messages)
        self.bar.refresh()

    def tick(self) -> None:
        self.bar.refresh()

    def close(self) -> None:
        self.bar.stop()


@main.command(name="rules")
def list_rules() -> None:
    """List every rule: code, slug, default severity and what it detects."""
    from .rules import REGISTRY

    for rule in sorted(REGISTRY.values(), key=lambda r: r.code):
        click.echo(f"{rule.code}  {rule.slug:<24} {rule.severity:<8} {rule.name}")


@main.command()
@click.argument("rule")
@click.option("--plain", is_flag=True, help="Print the Markdown source even on a terminal.")
def explain(rule: str, plain: bool) -> None:
    """Print the documentation of RULE (a code like SD101 or a slug like aor-not-found).

    On a terminal the Markdown is rendered (headings, code blocks); piped, or with --plain, it is
    printed as written."""
    from .rules import rule_by_name

    found = rule_by_name(rule)
    if found is None:
        raise UsageError(f"no rule named {rule!r}; `sipdiag rules` lists them")
    click.echo(f"{found.code} {found.slug} ({found.severity}): {found.name}")
    links = ", ".join(f"{slug} ({link.replace('-', ' ')})" for slug, link in found.explains.items())
    click.echo(f"Role in a verdict: {found.role}" + (f"; explains {links}" if links else "") + "\n")
    if sys.stdout.isatty() and not plain:
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(found.doc()))
    else:
        click.echo(found.doc())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
