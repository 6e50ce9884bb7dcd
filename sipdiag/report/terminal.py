"""Analysis + findings → rich renderables for the terminal summary (cli.py prints them).

The output is inert: every string that can hold input data (header values, file names,
addresses, and the findings' texts, which quote them) goes in as a `Text` built by `_t()`,
with control characters shown escaped (`inert`) and never read as rich markup; only
sipdiag's own styles colour the output. `_t()` also shortens secrets (secrets.py) and, for a
redacted summary (`--redact`), puts each string through the run's `Redactor`, learnt from the
analysis as the HTML and JSON reports learn theirs.
"""

from __future__ import annotations

from contextvars import ContextVar

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..flow.model import Analysis
from ..inert import inert
from ..rules.base import Finding
from ..rules.verdict import OK_SLUG, Verdict, decide, first_sentence, plural
from .redact import Redactor, learn_from_analysis
from .secrets import shorten

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
OUTCOME_STYLE = {"registered": "green", "answered": "green", "unregistered": "green",
                 "in-progress": "dim", "cancelled": "dim"}


_REDACTOR: ContextVar[Redactor | None] = ContextVar("terminal_redactor", default=None)
"""The redactor of the summary being built (None: not redacted)."""


def _clean(value: str) -> str:
    """Input-derived text with secrets shortened and, in a redacted summary, pseudonyms."""
    redactor = _REDACTOR.get()
    value = shorten(value)
    return redactor.text(value) if redactor is not None else value


def _t(value: object, style: str = "", newlines: bool = False) -> Text:
    """Input-derived text for a renderable: escaped control characters, no markup, secrets shortened."""
    return Text(inert(_clean(value) if isinstance(value, str) else value, newlines), style=style)


FIX_LINES = 14
"""Lines of the lead's fix in the summary without --verbose (the report has it whole)."""


def _fix_lines(fix: str, verbose: bool) -> str:
    lines = fix.splitlines()
    if verbose or len(lines) <= FIX_LINES:
        return fix
    return "\n".join(lines[:FIX_LINES] + [f"… {len(lines) - FIX_LINES} more lines (--verbose, or the HTML report)"])


class _OneLine:
    """A line of text cut to the terminal's width with an ellipsis, never wrapped."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console, options):
        line = self.text.copy()
        line.truncate(options.max_width, overflow="ellipsis")
        yield line


def _where(origin, single_input: bool) -> str:
    """'#618' / 'L57' for the only input, else the full origin."""
    if single_input:
        return f"#{origin.frame}" if origin.frame is not None else (f"L{origin.line}" if origin.line is not None else str(origin))
    return str(origin)


def _evidence(origins) -> str:
    return inert(_clean(", ".join(str(o) for o in origins[:4]) + (" …" if len(origins) > 4 else "")))


MAX_TABLE_ROWS = 12
"""Rows of the flows and hosts tables, and problem classes shown, without --verbose."""
MAX_EXAMPLES = 3
"""Instances of one problem class (and symptoms under it) named without --verbose."""


def renderables(analysis: Analysis, findings: list[Finding], verbose: bool = False,
                verdicts: list[Verdict] | None = None, redactor: Redactor | None = None) -> list:
    """The summary: inputs, the verdict first, then the other problems, flows, hosts, the rest;
    with `redactor`, every address, user, domain, name and Call-ID is a pseudonym."""
    if redactor is not None:
        learn_from_analysis(redactor, analysis, findings)
        redactor.scan_tree(findings)
        redactor.scan_tree([(h.address, h.user_agents, sorted(h.advertised)) for h in analysis.hosts.values()])
    token = _REDACTOR.set(redactor)
    try:
        return _renderables(analysis, findings, verbose, verdicts)
    finally:
        _REDACTOR.reset(token)


def _renderables(analysis: Analysis, findings: list[Finding], verbose: bool,
                 verdicts: list[Verdict] | None) -> list:
    if verdicts is None:
        verdicts = decide(analysis, findings)
    out: list = []
    inputs = Table.grid(padding=(0, 1))
    for s in analysis.inputs:
        extra = f", logging host {s.local_address}" if s.local_address else ""
        unit = "packets" if s.is_capture else "lines"
        inputs.add_row(_t(s.path, "bold"), _t(f"{s.format}, {s.packets} {unit}{extra}"))
        for w in s.warnings[:5]:
            inputs.add_row("", _t(f"warning: {w.text}", "yellow"))
    out.append(inputs)
    out.append(Text(f"{plural(len(analysis.messages), 'SIP message')}, "
                    f"{plural(len(analysis.transactions), 'transaction')}, {plural(len(analysis.flows), 'flow')}",
                    style="dim"))

    shown_verdicts = verdicts if verbose else verdicts[:MAX_TABLE_ROWS]
    out.append(_verdict_panel(verdicts[0], verbose, lead=True))
    others = shown_verdicts[1:]
    for v in others[:MAX_EXAMPLES] if not verbose else others:
        out.append(_verdict_panel(v, verbose, lead=False))
    if not verbose and len(others) > MAX_EXAMPLES:
        more = Table(title="More problems", title_justify="left", show_edge=False, show_header=False)
        more.add_column()
        more.add_column()
        for v in others[MAX_EXAMPLES:]:
            more.add_row(Text(v.severity.upper(), style=STYLE.get(v.severity, "")),
                         _t(f"{v.code} {v.slug}: {v.title}"))
        if len(verdicts) > len(shown_verdicts):
            more.add_row("…", Text(f"{len(verdicts) - len(shown_verdicts)} more (use --verbose)"))
        out.append(more)

    busy = not verbose and (len(analysis.flows) > MAX_TABLE_ROWS or len(analysis.hosts) > MAX_TABLE_ROWS)
    if busy:  # a busy capture: the tables as counts, one line per kind and per role
        out.append(_counts_table(analysis))
    if analysis.flows and not busy:
        flows = Table(title="Flows", title_justify="left", show_edge=False, header_style="bold")
        for col in ("id", "kind", "target / AOR", "outcome", "detail"):
            flows.add_column(col)
        shown = analysis.flows if verbose else analysis.flows[:MAX_TABLE_ROWS]
        for f in shown:
            flows.add_row(_t(f.id), _t(f.kind), _t(f.aor or "-"),
                          _t(f.outcome, OUTCOME_STYLE.get(f.outcome, "red")), _t(f.outcome_detail))
        if len(shown) < len(analysis.flows):
            flows.add_row("…", f"{len(analysis.flows) - len(shown)} more (use --verbose)", "", "", "")
        out.append(flows)

    if analysis.hosts and not busy:
        hosts = Table(title="Hosts", title_justify="left", show_edge=False, header_style="bold")
        for col in ("address", "role", "user agent / server", "advertises"):
            hosts.add_column(col)
        all_hosts = list(analysis.hosts.values())
        shown_hosts = all_hosts if verbose else all_hosts[:MAX_TABLE_ROWS]
        for h in shown_hosts:
            hosts.add_row(_t(h.address), _t(h.role), _t(", ".join(h.user_agents[:2]) or "-"),
                          _t(", ".join(sorted(h.advertised)[:3]) or "-"))
        if len(shown_hosts) < len(all_hosts):
            hosts.add_row("…", f"{len(all_hosts) - len(shown_hosts)} more (use --verbose)", "", "")
        out.append(hosts)

    placed = {id(f) for v in verdicts for f in (*v.causes, *v.explains, *v.also)}
    rest = [f for f in findings if id(f) not in placed]
    if rest:
        groups = _grouped(rest, verbose)
        labels = [f"{g[0].code} {g[0].slug}" + (f" × {len(g):,}" if len(g) > 1 else "") for g in groups]
        single = len(analysis.inputs) == 1
        wheres = [inert(_clean(", ".join(_where(o, single) for o in g[0].evidence[:2 if verbose else 1])))
                  for g in groups]
        label_w = max(len(x) for x in labels)
        where_w = min(30, max(len(x) for x in wheres))
        lines: list = [Text("Other findings", style="italic")]
        # one line per rule, cut to the terminal's width (--verbose: wrapped, nothing cut)
        for group, label, where in zip(groups, labels, wheres):
            line = Text(" ")
            line.append(label.ljust(label_w), style=STYLE.get(group[0].severity, ""))
            line.append("  " + where[:where_w].ljust(where_w) + "  ", style="dim")
            line.append(inert(_clean(group[0].title)))
            lines.append(line if verbose else _OneLine(line))
        out.extend(lines)
    return out


def _counts_table(analysis: Analysis) -> Table:
    """Flows by kind and outcome, hosts by role: what the tables hold, in a few lines (--verbose lists them)."""
    table = Table(title="Flows and hosts (--verbose lists each)", title_justify="left", show_edge=False,
                  show_header=False)
    table.add_column(style="bold")
    table.add_column()
    kinds: dict[str, dict[str, int]] = {}
    for f in analysis.flows:
        outcomes = kinds.setdefault(f.kind, {})
        outcomes[f.outcome] = outcomes.get(f.outcome, 0) + 1
    for kind, outcomes in kinds.items():
        text = Text(f"{sum(outcomes.values()):,}: ")
        for i, (outcome, n) in enumerate(sorted(outcomes.items(), key=lambda x: -x[1])):
            text.append((", " if i else "") + f"{n:,} ")
            text.append(outcome, style=OUTCOME_STYLE.get(outcome, "red"))
        table.add_row(kind, text)
    roles: dict[str, int] = {}
    for h in analysis.hosts.values():
        roles[h.role] = roles.get(h.role, 0) + 1
    table.add_row("hosts", _t(", ".join(f"{n:,} {role}" for role, n in sorted(roles.items(), key=lambda x: -x[1]))))
    return table


def _grouped(findings: list[Finding], verbose: bool) -> list[list[Finding]]:
    """One group per rule (each instance its own group with --verbose), in first-seen order."""
    if verbose:
        return [[f] for f in findings]
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.slug, []).append(f)
    return list(groups.values())


def _verdict_panel(v: Verdict, verbose: bool, lead: bool) -> Panel:
    style = STYLE.get(v.severity, "green") if v.slug != OK_SLUG else "green"
    f = v.finding
    body = [_t(v.title, "bold", newlines=True)]
    if f is None:
        body += [Text(""), _t(v.summary, newlines=True)]
    elif lead or verbose:
        body += [Text(""), Text("Cause: ", style="bold").append(_t(f.cause, newlines=True)),
                 Text(""), Text("Fix:", style="bold"), _t(_fix_lines(f.fix, verbose), newlines=True)]
    else:  # a further problem: its cause in one sentence; the fix with --verbose or in the report
        body += [Text("Cause: ", style="bold").append(_t(first_sentence(f.cause), newlines=True))]
        if f.observations and verbose:
            body.append(Text(""))
            for text, origins in f.observations:
                body.append(_t(f"• {text}  [{_evidence(origins)}]", newlines=True))
        if len(v.causes) > 1:
            body += [Text(""), Text(f"{len(v.causes):,} instances, e.g.:", style="bold")]
            examples = v.causes if verbose else v.causes[:MAX_EXAMPLES if lead else 1]
            for c in examples:
                body.append(_t(f"• {c.title}  [{_evidence(c.evidence[:1])}]", newlines=True))
            if len(examples) < len(v.causes):
                body.append(Text(f"• … {len(v.causes) - len(examples):,} more (use --verbose)", style="dim"))
        if lead or verbose:
            body += [Text(""), Text(f"Evidence: {_evidence(f.evidence)}", style="dim")]
    for heading, items in (("Explains (symptoms of this cause):", v.explains), ("Worth a look:", v.also)):
        if not items:
            continue
        body += [Text(""), Text(heading, style="bold")]
        groups = _grouped(items, verbose)
        for group in groups[: None if verbose else MAX_EXAMPLES]:
            first = group[0]
            count = f" × {len(group):,}" if len(group) > 1 else ""
            body.append(Text(f"• {first.code} {first.slug}{count}: ", style=STYLE.get(first.severity, ""))
                        .append(_t(first.title)).append(Text(f"  [{_evidence(first.evidence[:1])}]", style="dim")))
        hidden = len(groups) - MAX_EXAMPLES
        if not verbose and hidden > 0:
            body.append(Text(f"• … {hidden} more kinds (use --verbose)", style="dim"))
    label = "VERDICT" if lead else "ALSO"
    if v.slug == OK_SLUG:
        title = Text(f"{label} ", style="bold green").append("ok")
    else:
        title = Text(f"{label} ", style="bold").append(Text(v.severity.upper(), style=STYLE.get(v.severity, ""))) \
            .append(f" {v.code} {v.slug}")
    return Panel(Group(*body), title=title, title_align="left", border_style=style)
