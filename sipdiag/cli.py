"""Command line: the only place that prints, picks exit codes and turns errors into messages.

Exit codes: 0 = done, no error findings; 1 = at least one error finding (analyze);
2 = bad input or usage (a file that cannot be read, an unknown option); 3 = internal error.
"""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .errors import SipdiagError, UsageError
from .sources import core as capture_core

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


class _Group(click.Group):
    """Turns sipdiag errors into one line and exit code 2; tracebacks only with --debug."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SipdiagError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"sipdiag: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, BrokenPipeError):
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug in sipdiag: one clear line, the traceback with --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"sipdiag: internal error: {type(exc).__name__}: {exc} "
                       "(run again with --debug for the traceback, and please report it)", err=True)
            ctx.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sipdiag", message=f"%(prog)s %(version)s (core: {capture_core.describe()})")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """sipdiag: find why SIP calls and registrations fail.

    Give it a capture (pcap, pcapng, gzip'd or not) or a text trace (Asterisk `pjsip set
    logger` output, chan_sip debug, ngrep, FreeSWITCH siptrace, sngrep export).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True, help="text: one line per message; json: one document; jsonl: one object per line.")
@click.option("--anomalies/--no-anomalies", default=True, show_default=True,
              help="Also list malformed or odd input (text format).")
@click.pass_context
def messages(ctx: click.Context, files: tuple[str, ...], fmt: str, anomalies: bool) -> None:
    """List the SIP messages in FILES, one line each, like `tshark -Y sip`.

    Columns: file, frame (or L<line> for text logs), time relative to the first packet,
    source -> destination, transport, request line or status line, Call-ID, CSeq.
    """
    from .dissect import read_messages
    from .report.listing import anomaly_line, input_json, message_json, message_line
    from .sip.message import Anomaly, SipMessage

    failed = False
    doc_inputs, doc_messages, doc_anomalies = [], [], []
    for path in files:
        try:
            source, items = read_messages(path)
            count = 0
            label = path
            for item in items:
                base = source.summary.first_time
                if isinstance(item, SipMessage):
                    count += 1
                    if fmt == "text":
                        click.echo(message_line(item, base, label))
                    elif fmt == "jsonl":
                        click.echo(json.dumps({"type": "message", **message_json(item, base)}))
                    else:
                        doc_messages.append(message_json(item, base))
                elif isinstance(item, Anomaly):
                    if fmt == "text":
                        if anomalies:
                            click.echo(anomaly_line(item, label))
                    elif fmt == "jsonl":
                        click.echo(json.dumps({"type": "anomaly", **item.to_json()}))
                    else:
                        doc_anomalies.append(item.to_json())
        except SipdiagError as exc:
            if ctx.obj.get("debug"):
                raise
            click.echo(f"sipdiag: error: {exc}", err=True)
            failed = True
            continue
        summary = source.summary
        info = input_json(summary, count)
        if fmt == "json":
            doc_inputs.append(info)
        elif fmt == "jsonl":
            click.echo(json.dumps({"type": "input", **info}))
        else:
            for w in summary.warnings:
                click.echo(f"sipdiag: warning: {w}", err=True)
            local = f"; logging host {summary.local_address}" if summary.local_address else ""
            click.echo(f"# {path}: {summary.format}, {summary.packets} "
                       f"{'packets' if summary.format.startswith('pcap') else 'lines'}, {count} SIP messages{local}",
                       err=True)
    if fmt == "json":
        click.echo(json.dumps({"schema": "sipdiag.messages/1", "inputs": doc_inputs,
                               "messages": doc_messages, "anomalies": doc_anomalies}, indent=2))
    ctx.exit(EXIT_BAD_INPUT if failed else EXIT_OK)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="text: terminal summary; json: the sipdiag.analysis/1 document; html: the self-contained "
                   "case report (give -o report.html).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.option("--redact", is_flag=True,
              help="Replace addresses, users, phone numbers, domains and names with consistent pseudonyms and "
                   "drop nonces and digest responses (html and json), so the report can be shared.")
@click.option("-v", "--verbose", is_flag=True, help="Show every flow and each finding's observations.")
@click.pass_context
def analyze(ctx: click.Context, files: tuple[str, ...], fmt: str, output: str | None, redact: bool,
            verbose: bool) -> None:
    """Find out why calls or registrations fail in FILES.

    Several FILES of one event (a capture and the PBX log of the same minute, the PBX's pjsip.conf
    or `pjsip show` output) are merged into one story: a message seen in both is one message with
    two pieces of evidence.

    \b
    Examples:
      sipdiag analyze capture.pcap
      sipdiag analyze capture.pcap full.log pjsip.conf
      sipdiag analyze capture.pcap --format html -o report.html
      sipdiag analyze capture.pcap --format html --redact -o shareable.html

    Exit status: 0 no error findings, 1 at least one error finding, 2 unreadable input or bad usage,
    3 internal error.
    """
    from .analysis import analyze_paths
    from .rules import run_rules

    if redact and fmt == "text":
        raise UsageError("--redact works with --format html or --format json")
    if fmt == "html" and not output and sys.stdout.isatty():
        raise UsageError("the HTML report goes to a file: add -o report.html")
    analysis = analyze_paths(list(files))
    findings = run_rules(analysis)
    if fmt == "html":
        from .report.html import render_html

        _emit(render_html(analysis, findings, redact=redact), output)
        if output:
            click.echo(f"sipdiag: wrote {output}", err=True)
    elif fmt == "json":
        from .report.json_report import analysis_json

        document = analysis_json(analysis, findings)
        if redact:
            from .report.redact import redact_json

            document = redact_json(document, analysis, findings)
        _emit(json.dumps(document, indent=2), output)
    else:
        from rich.console import Console

        from .report.terminal import renderables

        if output:
            with open(output, "w", encoding="utf-8") as fh:
                console = Console(file=fh, width=110, force_terminal=False)
                for r in renderables(analysis, findings, verbose):
                    console.print(r)
        else:
            console = Console()
            for r in renderables(analysis, findings, verbose):
                console.print(r)
    ctx.exit(EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK)


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        click.echo(text)


@main.command(name="rules")
def list_rules() -> None:
    """List every rule: code, slug, default severity and what it detects."""
    from .rules import REGISTRY

    for rule in sorted(REGISTRY.values(), key=lambda r: r.code):
        click.echo(f"{rule.code}  {rule.slug:<24} {rule.severity:<8} {rule.name}")


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print the documentation of RULE (a code like SD101 or a slug like aor-not-found)."""
    from .rules import rule_by_name

    found = rule_by_name(rule)
    if found is None:
        raise UsageError(f"no rule named {rule!r}; `sipdiag rules` lists them")
    click.echo(f"{found.code} {found.slug} ({found.severity}): {found.name}\n")
    click.echo(found.doc())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
