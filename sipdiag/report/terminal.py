"""Analysis + findings → rich renderables for the terminal summary (cli.py prints them)."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..flow.model import Analysis
from ..rules.base import Finding

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
OUTCOME_STYLE = {"registration-ok": "green", "call-ok": "green", "ok": "green", "unregistered": "green",
                 "in-progress": "dim"}


def _evidence(origins) -> str:
    return ", ".join(str(o) for o in origins[:4]) + (" …" if len(origins) > 4 else "")


def renderables(analysis: Analysis, findings: list[Finding], verbose: bool = False) -> list:
    out: list = []
    inputs = Table.grid(padding=(0, 1))
    for s in analysis.inputs:
        extra = f", logging host {s.local_address}" if s.local_address else ""
        unit = "lines" if not s.format.startswith("pcap") else "packets"
        inputs.add_row(Text(s.path, style="bold"), Text(f"{s.format}, {s.packets} {unit}{extra}"))
        for w in s.warnings[:5]:
            inputs.add_row("", Text(f"warning: {w.text}", style="yellow"))
    out.append(inputs)
    out.append(Text(f"{len(analysis.messages)} SIP messages, {len(analysis.transactions)} transactions, "
                    f"{len(analysis.flows)} flows", style="dim"))

    if analysis.flows:
        flows = Table(title="Flows", title_justify="left", show_edge=False, header_style="bold")
        for col in ("id", "kind", "target / AOR", "outcome", "detail"):
            flows.add_column(col)
        shown = analysis.flows if verbose or len(analysis.flows) <= 30 else analysis.flows[:30]
        for f in shown:
            flows.add_row(f.id, f.kind, escape(f.aor or "-"),
                          Text(f.outcome, style=OUTCOME_STYLE.get(f.outcome, "red")), escape(f.outcome_detail))
        if len(shown) < len(analysis.flows):
            flows.add_row("…", f"{len(analysis.flows) - len(shown)} more (use --verbose)", "", "", "")
        out.append(flows)

    if analysis.hosts:
        hosts = Table(title="Hosts", title_justify="left", show_edge=False, header_style="bold")
        for col in ("address", "role", "user agent / server", "advertises"):
            hosts.add_column(col)
        for h in analysis.hosts.values():
            hosts.add_row(h.address, h.role, escape(", ".join(h.user_agents[:2]) or "-"),
                          escape(", ".join(sorted(h.advertised)[:3]) or "-"))
        out.append(hosts)

    main = [f for f in findings if f.severity != "info"]
    info = [f for f in findings if f.severity == "info"]
    if not main:
        out.append(Text("No errors or warnings.", style="bold green"))
    for f in main:
        body = [Text(f.title, style="bold"), Text(""), Text("Cause: ", style="bold").append(f.cause),
                Text(""), Text("Fix:", style="bold"), Text(f.fix)]
        if f.observations and verbose:
            body.append(Text(""))
            for text, origins in f.observations:
                body.append(Text(f"• {text}  [{_evidence(origins)}]"))
        body += [Text(""), Text(f"Evidence: {_evidence(f.evidence)}", style="dim")]
        out.append(Panel(Group(*body), title=f"[{STYLE[f.severity]}]{f.severity.upper()}[/] {f.code} {f.slug}",
                         title_align="left", border_style=STYLE[f.severity]))
    if info:
        table = Table(title="Information", title_justify="left", show_edge=False, show_header=False)
        table.add_column(style="cyan")
        table.add_column()
        table.add_column(style="dim")
        for f in info:
            table.add_row(f"{f.code} {f.slug}", escape(f.title), _evidence(f.evidence[:2]))
        out.append(table)
    return out
