"""Analysis + findings → rich renderables for the terminal summary (cli.py prints them).

The output is inert: every string that can hold input data (header values, file names,
addresses, and the findings' texts, which quote them) goes in as a `Text` built by `_t()`,
with control characters shown escaped (`inert`) and never read as rich markup; only
sipdiag's own styles colour the output.
"""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..flow.model import Analysis
from ..inert import inert
from ..rules.base import Finding

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
OUTCOME_STYLE = {"registration-ok": "green", "call-ok": "green", "ok": "green", "unregistered": "green",
                 "in-progress": "dim"}


def _t(value: object, style: str = "", newlines: bool = False) -> Text:
    """Input-derived text for a renderable: escaped control characters, no markup."""
    return Text(inert(value, newlines), style=style)


def _evidence(origins) -> str:
    return inert(", ".join(str(o) for o in origins[:4]) + (" …" if len(origins) > 4 else ""))


def renderables(analysis: Analysis, findings: list[Finding], verbose: bool = False) -> list:
    out: list = []
    inputs = Table.grid(padding=(0, 1))
    for s in analysis.inputs:
        extra = f", logging host {s.local_address}" if s.local_address else ""
        unit = "lines" if not s.format.startswith("pcap") else "packets"
        inputs.add_row(_t(s.path, "bold"), _t(f"{s.format}, {s.packets} {unit}{extra}"))
        for w in s.warnings[:5]:
            inputs.add_row("", _t(f"warning: {w.text}", "yellow"))
    out.append(inputs)
    out.append(Text(f"{len(analysis.messages)} SIP messages, {len(analysis.transactions)} transactions, "
                    f"{len(analysis.flows)} flows", style="dim"))

    if analysis.flows:
        flows = Table(title="Flows", title_justify="left", show_edge=False, header_style="bold")
        for col in ("id", "kind", "target / AOR", "outcome", "detail"):
            flows.add_column(col)
        shown = analysis.flows if verbose or len(analysis.flows) <= 30 else analysis.flows[:30]
        for f in shown:
            flows.add_row(_t(f.id), _t(f.kind), _t(f.aor or "-"),
                          _t(f.outcome, OUTCOME_STYLE.get(f.outcome, "red")), _t(f.outcome_detail))
        if len(shown) < len(analysis.flows):
            flows.add_row("…", f"{len(analysis.flows) - len(shown)} more (use --verbose)", "", "", "")
        out.append(flows)

    if analysis.hosts:
        hosts = Table(title="Hosts", title_justify="left", show_edge=False, header_style="bold")
        for col in ("address", "role", "user agent / server", "advertises"):
            hosts.add_column(col)
        for h in analysis.hosts.values():
            hosts.add_row(_t(h.address), _t(h.role), _t(", ".join(h.user_agents[:2]) or "-"),
                          _t(", ".join(sorted(h.advertised)[:3]) or "-"))
        out.append(hosts)

    main = [f for f in findings if f.severity != "info"]
    info = [f for f in findings if f.severity == "info"]
    if not main:
        out.append(Text("No errors or warnings.", style="bold green"))
    for f in main:
        body = [_t(f.title, "bold", newlines=True), Text(""),
                Text("Cause: ", style="bold").append(_t(f.cause, newlines=True)),
                Text(""), Text("Fix:", style="bold"), _t(f.fix, newlines=True)]
        if f.observations and verbose:
            body.append(Text(""))
            for text, origins in f.observations:
                body.append(_t(f"• {text}  [{_evidence(origins)}]", newlines=True))
        body += [Text(""), Text(f"Evidence: {_evidence(f.evidence)}", style="dim")]
        title = Text(f.severity.upper(), style=STYLE[f.severity]).append(f" {f.code} {f.slug}")
        out.append(Panel(Group(*body), title=title, title_align="left", border_style=STYLE[f.severity]))
    if info:
        table = Table(title="Information", title_justify="left", show_edge=False, show_header=False)
        table.add_column(style="cyan")
        table.add_column()
        table.add_column(style="dim")
        for f in info:
            table.add_row(_t(f"{f.code} {f.slug}"), _t(f.title), Text(_evidence(f.evidence[:2])))
        out.append(table)
    return out
