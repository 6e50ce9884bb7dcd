"""The triage table → `OUTDIR/index.html`: counts per root cause, top offenders, every event.

Like the case report: one self-contained file (the report's stylesheet and a small script
inlined, the bar chart as inline SVG, a Content-Security-Policy that allows no network and
only this script, by its hash), readable without JavaScript. Jinja2 autoescapes every value;
everything that came from a capture is untrusted. The view model is plain data, chart geometry
included; the template only lays it out.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import jinja2
import pandas as pd
from markupsafe import Markup

from .. import __version__
from .tables import cause_counts, top_offenders

BAR_H, ROW_H, BAR_PCT = 14, 40, 88
"""Chart geometry: each cause is its label over a bar; bar lengths are percentages of the
chart's width, so the text keeps its size on a phone and the bars stretch on a wide screen."""


@dataclass
class CauseBar:
    label: str
    filter: str
    severity: str
    events: int
    text_y: float
    bar_y: float
    width_pct: float
    count_x_pct: float
    count_y: float
    height: float = BAR_H


@dataclass
class EventRow:
    event_id: str
    verdict: str
    code: str
    severity: str
    cls: str
    title: str
    sort_key: str
    problem: int
    event: str
    files: str
    skipped: str
    messages: int
    span: str
    span_sort: float
    findings: str
    aors: str
    hosts: str
    html: str
    json: str


@dataclass
class IndexView:
    title: str
    subtitle: str
    totals: list[dict]
    causes: list[CauseBar]
    chart_height: int
    tops: list[dict]
    tops_note: str
    rows: list[EventRow]
    footer: str
    extra: dict = field(default_factory=dict)


VERDICT_CLS = {"error": "err", "warning": "warn", "ok": "ok"}
"""The report's verdict pill classes (report.css)."""


def _s(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def build_index_view(frame: pd.DataFrame, redacted: bool = False) -> IndexView:
    """The index page as plain data."""
    severities = frame["verdict_severity"].fillna("failed")
    n = len(frame)
    totals = [
        {"cls": "all", "count": n, "label": "events"},
        {"cls": "error", "count": int((severities == "error").sum()), "label": "with an error"},
        {"cls": "warning", "count": int((severities == "warning").sum()), "label": "with a warning"},
        {"cls": "ok", "count": int((severities == "ok").sum()), "label": "ok"},
        {"cls": "failed", "count": int((severities == "failed").sum()), "label": "not analysed"},
    ]
    counts = cause_counts(frame) if n else pd.DataFrame(columns=["cause", "code", "severity", "events"])
    most = int(counts["events"].max()) if len(counts) else 1
    causes = []
    for i, c in enumerate(counts.itertuples(index=False)):
        label = f"{c.code} {c.cause}" if c.code else c.cause
        pct = max(0.5, BAR_PCT * c.events / most)
        y = i * ROW_H
        causes.append(CauseBar(label=label, filter=c.cause if c.cause != "(not analysed)" else "not-analysed",
                               severity=c.severity, events=int(c.events), text_y=y + 14, bar_y=y + 20,
                               width_pct=round(pct, 2), count_x_pct=round(pct + 1, 2), count_y=y + 32))
    tops, note = [], ""
    if redacted:
        note = ("Left out with --redact: pseudonyms are chosen per event, so the same host or AOR "
                "has different names in different events.")
    elif n:
        tops = [{"title": "AORs of failing flows", "entries": top_offenders(frame, "aors")},
                {"title": "Hosts", "entries": top_offenders(frame, "hosts")},
                {"title": "User agents", "entries": top_offenders(frame, "user_agents")}]
    rank = {"error": 0, "warning": 1, "failed": 2, "ok": 3}
    rows = []
    for r in frame.to_dict("records"):
        severity = _s(r["verdict_severity"]) or "failed"
        verdict = _s(r["verdict_slug"]) or "not-analysed"
        span = r["span_seconds"]
        rows.append(EventRow(
            event_id=r["event_id"], verdict=verdict, code=_s(r["verdict_code"]), severity=severity,
            cls=VERDICT_CLS.get(severity, "neutral"),
            title=_s(r["verdict_title"]) or _s(r["error"]), sort_key=f"{rank.get(severity, 4)} {verdict}",
            problem=int(severity != "ok"), event=_s(r["event"]), files=_s(r["files"]), skipped=_s(r["skipped"]),
            messages=int(r["sip_messages"] or 0), span="" if pd.isna(span) else f"{span:.1f}",
            span_sort=0.0 if pd.isna(span) else float(span), findings=_s(r["finding_codes"]),
            aors=_s(r["aors"]), hosts=_s(r["hosts"]), html=_s(r["report_html"]), json=_s(r["report_json"])))
    rows.sort(key=lambda e: (rank.get(e.severity, 4), e.verdict, e.event))
    problems = totals[1]["count"] + totals[2]["count"]
    return IndexView(
        title=f"Triage: {n} event{'s' if n != 1 else ''}, {problems} with problems",
        subtitle="Each event's verdict is the finding its report leads with; open the report for the evidence and the fix."
                 + (" Redacted: addresses, users, domains and names are pseudonyms." if redacted else ""),
        totals=totals, causes=causes, chart_height=max(ROW_H, len(causes) * ROW_H), tops=tops, tops_note=note, rows=rows,
        footer=f"sipdiag {__version__} triage · the same table is in triage.csv, triage.parquet and triage.sqlite")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("sipdiag.triage", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=None)
def _asset(package: str, name: str) -> str:
    return resources.files(package).joinpath("templates", name).read_text(encoding="utf-8")


def render_index(frame: pd.DataFrame, redacted: bool = False) -> str:
    """The index page for the triage table `frame`."""
    script = _asset("sipdiag.triage", "index.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src 'none'; "
           "form-action 'none'; base-uri 'none'")
    css = _asset("sipdiag.report", "report.css") + "\n" + _asset("sipdiag.triage", "index.css")
    return _environment().get_template("index.html.j2").render(
        v=build_index_view(frame, redacted), css=Markup(css), script=Markup(script), csp=csp)
