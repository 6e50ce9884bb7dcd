"""Analysis + findings → `ReportView`: the plain data the HTML template lays out, nothing more.

How this works: the report is written like an expert's ticket note (see docs: Case 01). The
*main finding* is the first error (else the first warning); its flow, or the messages of its
evidence, give the client and the server, the symptom (the flow's story: "REGISTER → 401
Unauthorized; REGISTER (credentials for 10000) → 404 Not Found"), the key messages to quote
and the ladder to draw first. Everything else — other findings grouped by rule, every flow,
every host, the capture facts, every message — follows below it.

Every string taken from the capture reaches the view model as plain text; the template
escapes it (autoescape) and never computes. Evidence is resolved here: each `Origin` becomes
a link to the element that shows it (`m-<seq>` for a message, in any input it was seen in;
`log-<n>` for a PBX log line; `an-<n>` for an anomaly) or plain text when the page has no
such element. With `redactor`, every string of the finished view model goes through it, so
titles, findings, ladders and raw messages use the same pseudonyms.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import __version__
from ..flow.model import ENDED_WELL, NO_RESPONSE, NOT_FAILED, Analysis, Flow, Host, Transaction
from ..addresses import is_lan_private
from ..rules.base import Finding, Highlight
from ..rules.verdict import Verdict, decide
from ..sources.frame import Origin
from .ladder import Ladder, LadderColumnSpec, LadderItem, build_ladder
from .redact import DIGEST_RESPONSE, Redactor, learn_from_analysis

if TYPE_CHECKING:
    from ..flow.model import SipMessage

WHOLE_LADDER_MAX_MESSAGES = 150
"""Up to this many messages (and WHOLE_LADDER_MAX_HOSTS hosts), one ladder shows the whole capture."""
WHOLE_LADDER_MAX_HOSTS = 7
LADDER_MAX_ARROWS = 150
"""Arrows per ladder of a busy capture; the rest of the flow is in the appendix."""
LADDER_MAX_LADDERS = 30
LADDER_ARROW_BUDGET = 2500
"""Arrows over all ladders of a busy capture, so the page stays light."""
RAW_MAX_CHARS = 12000
WARNINGS_SHOWN = 20
OBSERVATIONS_SHOWN = 12
GROUP_ITEMS_SHOWN = 50

STRUCTURAL_FIELDS = frozenset({
    "id", "href", "cls", "kind", "severity", "anchor", "head", "path", "sort", "status_cls", "outcome_cls",
    "level_cls", "ladder_href", "flow_href", "code", "slug", "target_id", "section", "cls_list",
    "message_chunks", "log_chunks",
})
"""View-model fields that hold ids, CSS classes or geometry: never redacted."""

OK_OUTCOMES = ENDED_WELL
NEUTRAL_OUTCOMES = NOT_FAILED

# -- view model ----------------------------------------------------------------------------------

@dataclass
class Chip:
    """An evidence link: 'frame 4' → #m-3."""

    label: str
    href: str
    title: str


@dataclass
class Span:
    text: str
    code: bool = False


@dataclass
class ConfLine:
    """One line of a config/code block: kind 'section', 'key', 'comment' or 'plain'."""

    kind: str
    text: str
    value: str = ""


@dataclass
class Block:
    """A paragraph (spans) or a code block (lines) of a cause or fix text."""

    kind: str
    spans: list[Span] = field(default_factory=list)
    lines: list[ConfLine] = field(default_factory=list)


@dataclass
class DiffLine:
    """One line of a corrected config section: cls '' (as it is), 'chg' or 'add'."""

    text: str
    cls: str = ""
    note: str = ""


@dataclass
class ConfigSectionView:
    header: str
    where: str
    """'file:line' of the section in the user's config, '' for a new or example section."""
    new: bool
    lines: list[DiffLine]


@dataclass
class VerifyStep:
    command: str
    expect: str


@dataclass
class Bullet:
    label: str
    spans: list[Span]
    chips: list[Chip] = field(default_factory=list)
    cls: str = ""


@dataclass
class AdvertisedView:
    address: str
    where: str
    chip: Chip | None


@dataclass
class HostRow:
    id: str
    device: str
    other_products: str
    role: str
    role_reason: str
    address: str
    ports: str
    private: bool
    advertised: list[AdvertisedView]
    behind_nat: bool
    sent: int
    received: int


@dataclass
class MsgLine:
    text: str
    cls: str = ""
    note: str = ""


@dataclass
class KeyMessage:
    id: str
    heading: str
    href: str
    lines: list[MsgLine]
    cls: str
    also: list[Chip]
    copies: str = ""
    """'sent 7 times: frames 3, 4, … 9' for a retransmitted request (one copy is shown)."""
    copy_chips: list[Chip] = field(default_factory=list)
    folded: list[MsgLine] = field(default_factory=list)
    """The rest of a long body, shown folded."""
    folded_label: str = ""


KEY_BODY_LINES = 6
"""Body lines of a key message shown open; the rest is folded unless a highlighted line is in it."""


@dataclass
class LogLineView:
    id: str
    label: str
    href: str
    level: str
    level_cls: str
    text: str


@dataclass
class FindingView:
    id: str
    code: str
    slug: str
    severity: str
    title: str
    cause: list[Block]
    fix: list[Block]
    observations: list[Bullet]
    chips: list[Chip]
    flow_label: str
    flow_href: str


@dataclass
class FindingItem:
    title: str
    chips: list[Chip]
    flow_label: str
    flow_href: str


@dataclass
class FindingGroup:
    id: str
    code: str
    slug: str
    severity: str
    name: str
    count: int
    first: FindingView
    rest: list[FindingItem]
    hidden: int
    explained_by: str = ""
    """Title of the root cause these findings are symptoms of ('' when they stand alone)."""
    explained_href: str = ""


@dataclass
class FlowRow:
    id: str
    label: str
    href: str
    kind: str
    target: str
    parties: str
    start: str
    start_sort: float
    messages: int
    outcome: str
    outcome_cls: str
    detail: str
    findings: str
    severity: str
    ladder_href: str
    problem: str
    """'1' when the flow failed or has an error/warning finding (the table's filter), else '0'."""


@dataclass
class InputView:
    file: str
    format: str
    packets: str
    sip_messages: int
    read: str
    """What was read, e.g. '4 packets, 4 SIP messages' or '59 lines, 8 PJSIP objects'."""
    link_types: str
    span: str
    warnings: list[str]
    more_warnings: int
    facts: list[tuple[str, str]]
    local_address: str


@dataclass
class AppendixMessage:
    id: str
    frame: str
    time: str
    src: str
    dst: str
    transport: str
    summary: str
    cls: str
    flow: str
    flow_href: str
    raw: str
    also: list[Chip]
    ladder_href: str
    notes: list[str]


@dataclass
class AnomalyView:
    id: str
    name: str
    detail: str
    chip: Chip | None


@dataclass
class NavItem:
    href: str
    label: str


@dataclass
class Chunk:
    """A slice [start, end) of a long appendix list, shown as one closed <details>; label '' = no wrapper."""

    start: int
    end: int
    label: str = ""


APPENDIX_FLAT_MAX = 400
"""Up to this many messages (or log lines) the appendix is one flat list; longer lists come in
closed chunks of APPENDIX_CHUNK, which the browser neither lays out nor paints until opened:
that keeps a 10,000-message page scrolling smoothly (tests/benchmark/bench_report.py)."""
APPENDIX_CHUNK = 250
APPENDIX_ALL_MAX = 2000
"""Up to this many messages the appendix has every message; above, only those the report links to
(ladders, evidence, key messages, flows): a report, not a dump (`sipdiag messages` lists all)."""
FLOW_ROWS_MAX = 1000
"""Flow rows in the table of a busy capture: the flows with problems first, then in trace order."""


def chunks(n: int, noun: str, times: list[str] | None = None) -> list[Chunk]:
    """Chunks over a list of `n` items; `times` (relative times, nothing identifying: chunk
    labels are not redacted) tell the reader which part of the capture each chunk covers."""
    if n <= APPENDIX_FLAT_MAX:
        return [Chunk(0, n)]
    out = []
    for i in range(0, n, APPENDIX_CHUNK):
        end = min(i + APPENDIX_CHUNK, n)
        span = f" (time {times[i]} to {times[end - 1]} s)" if times and times[i] and times[end - 1] else ""
        out.append(Chunk(i, end, f"{noun} {i + 1:,}–{end:,}{span}"))
    return out


@dataclass
class ReportView:
    title: str
    title_parts: list[str]
    page_title: str
    verdict: str
    verdict_cls: str
    inputs_line: str
    tldr: list[Bullet]
    hosts: list[HostRow]
    hosts_note: str
    main_ladders: list[Ladder]
    ladder_note: str
    key_messages: list[KeyMessage]
    key_logs: list[LogLineView]
    log_hint: list[Span]
    main: FindingView | None
    healthy: FindingView | None
    """For an `ok` verdict: what worked (the first outcome finding), shown as the diagnosis."""
    risks: list[Bullet]
    diagnosis: list[Bullet]
    checks: list[str]
    checks_title: str
    fix: list[Block]
    fix_extra_title: str
    fix_extra: list[Block]
    config_title: str
    config_sections: list[ConfigSectionView]
    phone_title: str
    phone_settings: list[list[Span]]
    verify_title: str
    verify: list[VerifyStep]
    next_capture: list[Span]
    lessons: list[list[Span]]
    groups: list[FindingGroup]
    flows: list[FlowRow]
    flows_note: str
    more_ladders: list[Ladder]
    more_ladders_note: str
    inputs: list[InputView]
    facts: list[tuple[str, str]]
    messages: list[AppendixMessage]
    appendix_note: str
    message_chunks: list[Chunk]
    logs: list[LogLineView]
    log_chunks: list[Chunk]
    anomalies: list[AnomalyView]
    nav: list[NavItem]
    footer: str
    redacted: bool
    big: bool


# -- helpers ---------------------------------------------------------------------------------

def _basename(path: str) -> str:
    return os.path.basename(path) or path


def product_name(ua: str | None) -> str:
    """'baresip v1.0.0 (x86_64/linux)' → 'baresip'; 'Arcor/Arcor-1.02' → 'Arcor'."""
    if not ua:
        return ""
    s = ua.strip()
    first = re.split(r"[/(\[]", s, maxsplit=1)[0].strip() or s
    words = []
    for w in first.split():
        if re.match(r"^(v?\d|release\b|version\b|build\b|rev\b|r\d)", w, re.IGNORECASE):
            break
        words.append(w)
        if len(words) == 3:
            break
    return " ".join(words) or s[:24]


def spans(text: str) -> list[Span]:
    """Plain text with `backtick` code spans → spans."""
    out: list[Span] = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        if part:
            out.append(Span(part, code=i % 2 == 1))
    return out


_CONF_LINE = re.compile(r"^\s*(\[[^\]]+\]\s*(\(.*\))?|[A-Za-z_][\w.\-]*\s*=.*|[;#].*|[a-z_]+\(.*\)\s*;?)\s*$")


def _conf_line(line: str) -> ConfLine:
    s = line.rstrip()
    stripped = s.strip()
    if stripped.startswith("[") and "]" in stripped:
        return ConfLine("section", s)
    if stripped.startswith((";", "#")):
        return ConfLine("comment", s)
    m = re.match(r"^(\s*[A-Za-z_][\w.\-]*\s*=)(.*)$", s)
    if m:
        return ConfLine("key", m.group(1), m.group(2))
    return ConfLine("plain", s)


def blocks(text: str) -> list[Block]:
    """Cause/fix text → paragraphs and code blocks (config lines, commands)."""
    out: list[Block] = []
    for para in re.split(r"\n\s*\n", (text or "").strip()):
        lines = para.split("\n")
        prose: list[str] = []
        code: list[str] = []

        def flush_prose():
            if prose:
                out.append(Block("p", spans=spans(" ".join(x.strip() for x in prose))))
                prose.clear()

        def flush_code():
            if code:
                out.append(Block("code", lines=[_conf_line(x) for x in code]))
                code.clear()

        for line in lines:
            if _CONF_LINE.match(line) and line.strip():
                flush_prose()
                code.append(line)
            else:
                flush_code()
                prose.append(line)
        flush_prose()
        flush_code()
    return out


def _fmt_time(t: float | None, base: float | None) -> str:
    if t is None:
        return ""
    if base is None:
        return f"{t:.3f}"
    return f"+{t - base:.3f}"


def _utc(t: float | None) -> str:
    if t is None:
        return "-"
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _first_sentence(text: str) -> str:
    """The first sentence (or line) of a fix, never cut inside parentheses."""
    text = text.strip()
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "\n" or (ch in ".:" and depth == 0 and (i + 1 == len(text) or text[i + 1].isspace())):
            return text[:i].rstrip(" :")
    return text


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s"


def _status_cls(msg: SipMessage) -> str:
    if msg.is_request:
        return "req"
    s = msg.status or 0
    if s < 200:
        return "prov"
    if s < 300:
        return "ok"
    if s in (401, 407):
        return "chal"
    if s < 400:
        return "redir"
    return "err"


def _user_of_uri(text: str | None) -> str:
    if not text:
        return ""
    rest = text.split(":", 1)[-1]
    return rest.split("@", 1)[0] if "@" in rest else ""


def _decode(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", lambda m: f"\\x{ord(m.group(0)):02x}", text).rstrip("\n")


_AUTH_LINE = re.compile(r"(?im)^((?:proxy-)?authorization\s*:.*)$")


def message_text(msg: SipMessage) -> str:
    """The message as text, digest response omitted, long or binary bodies summarised."""
    head, sep, body = msg.raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = msg.raw.partition(b"\n\n")
    text = _decode(head)
    text = _AUTH_LINE.sub(lambda m: DIGEST_RESPONSE.sub(lambda r: f'{r.group(1)}"…"', m.group(1)), text)
    if body.strip():
        ctype = (msg.content_type or "").lower()
        printable = sum(1 for b in body[:2000] if 32 <= b < 127 or b in (9, 10, 13)) / max(1, min(len(body), 2000))
        if printable < 0.9 and not ctype.startswith(("text/", "application/sdp")):
            text += f"\n\n[{len(body)}-byte {ctype or 'binary'} body not shown]"
        else:
            text += "\n\n" + _decode(body)
    if len(text) > RAW_MAX_CHARS:
        cut = text.rfind("\n", 0, RAW_MAX_CHARS)  # at a line end: redaction must see whole addresses
        cut = cut if cut > 0 else RAW_MAX_CHARS
        text = text[:cut] + f"\n… [{len(text) - cut} more characters not shown]"
    return text


# -- the builder -------------------------------------------------------------------------------

class _Builder:
    def __init__(self, analysis: Analysis, findings: list[Finding], redactor: Redactor | None = None) -> None:
        self.a = analysis
        self.findings = findings
        self.redactor = redactor
        """Set for a redacted report: ladders are redacted as they are built, before labels are cut
        to fit (an address cut in half would escape redaction); the rest of the view afterwards."""
        self.multi_input = len(analysis.inputs) > 1
        self.by_origin: dict[Origin, str] = {}
        self.msg_by_origin: dict[Origin, SipMessage] = {}
        for msg in analysis.messages:
            copies = analysis.duplicates.get(msg.seq, [])
            for o in [*analysis.origins_of(msg), *copies] + ([msg.first_origin] if msg.first_origin else []):
                self.by_origin.setdefault(o, f"m-{msg.seq}")
                self.msg_by_origin.setdefault(o, msg)
        self.log_index: dict[Origin, int] = {}
        for i, e in enumerate(analysis.log_events):
            self.by_origin.setdefault(e.origin, f"log-{i}")
            self.log_index.setdefault(e.origin, i)
        for i, an in enumerate(analysis.anomalies):
            self.by_origin.setdefault(an.origin, f"an-{i}")
        times = [m.time for m in analysis.messages if m.time is not None]
        times += [e.time for e in analysis.log_events if e.time is not None]
        self.base = min(times) if times else None
        self.flow_of: dict[int, Flow] = {}
        self.tx_of: dict[int, Transaction] = {}
        for flow in analysis.flows:
            for t in flow.transactions:
                for m in t.messages:
                    self.flow_of.setdefault(m.seq, flow)
                    self.tx_of.setdefault(m.seq, t)
        self.retrans: set[int] = set()
        for t in analysis.transactions:
            for m in t.retransmitted:
                self.retrans.add(m.seq)
        self.flow_findings: dict[str, list[Finding]] = {}
        for f in findings:
            for fid in self._flows_of_finding(f):
                self.flow_findings.setdefault(fid, []).append(f)
        self.ladder_of_msg: dict[int, str] = {}

    # evidence ------------------------------------------------------------------------------
    def origin_label(self, o: Origin) -> str:
        where = f"frame {o.frame}" if o.frame is not None else (f"line {o.line}" if o.line is not None else "")
        if self.multi_input:
            short = _basename(o.source)
            return f"{short} {('#' + str(o.frame)) if o.frame is not None else (':' + str(o.line) if o.line else '')}".strip()
        return where or _basename(o.source)

    def chip(self, o: Origin) -> Chip:
        target = self.by_origin.get(o)
        return Chip(self.origin_label(o), f"#{target}" if target else "", str(o))

    def chips(self, origins, limit: int = 6) -> list[Chip]:
        out, seen = [], set()
        for o in origins:
            if o is None or o in seen:
                continue
            seen.add(o)
            out.append(self.chip(o))
        if len(out) > limit:
            rest = len(out) - limit
            out = out[:limit] + [Chip(f"+{rest} more", "", "more evidence: see the appendix")]
        return out

    def _flows_of_finding(self, f: Finding) -> list[str]:
        if f.flow:
            return [f.flow]
        ids = []
        for o in f.evidence:
            msg = self.msg_by_origin.get(o)
            flow = self.flow_of.get(msg.seq) if msg is not None else None
            if flow is not None and flow.id not in ids:
                ids.append(flow.id)
        return ids

    def evidence_messages(self, f: Finding) -> list[SipMessage]:
        out: dict[int, SipMessage] = {}
        for o in f.evidence:
            msg = self.msg_by_origin.get(o)
            if msg is not None:
                out.setdefault(msg.seq, msg)
        return [out[k] for k in sorted(out)]

    # hosts ---------------------------------------------------------------------------------
    def host(self, ip: str | None) -> Host | None:
        return self.a.hosts.get(ip) if ip else None

    def host_name(self, ip: str | None, long: bool = False) -> str:
        h = self.host(ip)
        if h is None:
            return "the logging host" if ip is None else ip
        if h.user_agents:
            return h.user_agents[0] if long else product_name(h.user_agents[0])
        return h.role if h.role != "endpoint" else ip

    def advertised_where(self, host: Host, key: str, origin: Origin) -> str:
        if key.endswith(" (media)"):
            return "SDP c="
        msg = self.msg_by_origin.get(origin)
        if msg is None:
            return ""
        where = []
        v = msg.top_via
        if v is not None and (v.sent_by == key or f"{v.host}:{v.port or 5060}" == key):
            where.append("Via")
        for c in msg.contacts[:1]:
            if c.uri is not None and f"{c.uri.host}:{c.uri.port or 5060}" == key:
                where.append("Contact")
        return ", ".join(where)

    def host_rows(self) -> list[HostRow]:
        rows = []
        for i, h in enumerate(self.a.hosts.values()):
            adv = []
            for key, origin in list(h.advertised.items())[:8]:
                adv.append(AdvertisedView(key.replace(" (media)", ""), self.advertised_where(h, key, origin),
                                          self.chip(origin)))
            ports = sorted(h.ports)
            port_text = ", ".join(str(p) for p in ports[:4]) + (f" +{len(ports) - 4}" if len(ports) > 4 else "")
            rows.append(HostRow(
                id=f"host-{i}", device=h.user_agents[0] if h.user_agents else "—",
                other_products=", ".join(h.user_agents[1:4]), role=h.role, role_reason=h.role_reason,
                address=h.address, ports=port_text, private=is_lan_private(h.address), advertised=adv,
                behind_nat=h.behind_nat, sent=h.sent, received=h.received))
        return rows

    # messages ------------------------------------------------------------------------------
    def ladder_label(self, msg: SipMessage) -> tuple[str, str]:
        if msg.is_request:
            label = f"{msg.method} {msg.request_uri or ''}".strip()
            detail = []
            creds = msg.authorization
            if creds is not None:
                u = creds.get("username")
                detail.append(f"credentials for {u}" if u else "credentials")
            if msg.sdp is not None:
                conns = [m.connection for m in msg.sdp.media if m.connection]
                detail.append(f"SDP c={conns[0]}" if conns else "SDP")
        else:
            label = msg.label
            detail = []
            if msg.sdp is not None:
                conns = [m.connection for m in msg.sdp.media if m.connection]
                detail.append(f"SDP c={conns[0]}" if conns else "SDP")
            if msg.cseq_method and msg.cseq_method != "INVITE":
                detail.insert(0, f"to {msg.cseq_method}")
        if msg.seq in self.retrans:
            detail.insert(0, "retransmission")
        return label, " · ".join(detail)

    def ladder_item(self, msg: SipMessage, tags: bool) -> LadderItem:
        label, detail = self.ladder_label(msg)
        cls = _status_cls(msg) + (" retr" if msg.seq in self.retrans else "")
        flow = self.flow_of.get(msg.seq)
        o = msg.origin
        frame = f"#{o.frame}" if o.frame is not None else (f"L{o.line}" if o.line is not None else "")
        return LadderItem(
            seq=msg.seq, src=msg.src.ip or "local", dst=msg.dst.ip or "local", label=label, detail=detail, cls=cls,
            time=_fmt_time(msg.time, self.base), frame=frame, tag=flow.id if (flow and tags) else "",
            title=f"{self.origin_label(o)}  {msg.src} → {msg.dst} {msg.transport}\n{msg.start_line}",
            href=f"#m-{msg.seq}")

    def columns_for(self, messages: list[SipMessage]) -> list[LadderColumnSpec]:
        order: list[str] = []
        for m in messages:
            for ip in (m.src.ip or "local", m.dst.ip or "local"):
                if ip not in order:
                    order.append(ip)
        cols = []
        for ip in order:
            h = self.host(ip if ip != "local" else None)
            if h is None:
                cols.append(LadderColumnSpec(ip, "logging host" if ip == "local" else ip,
                                             "address not in the log" if ip == "local" else ip))
                continue
            title = product_name(h.user_agents[0]) if h.user_agents else h.role
            ports = sorted(h.ports)
            address = h.address if ":" in h.address else (f"{h.address}:{ports[0]}" if len(ports) == 1 else h.address)
            note = h.role
            if h.behind_nat:
                adv = [k for k in h.advertised if not k.endswith("(media)")]
                note = f"{h.role} · NAT, advertises {adv[0]}" if adv else f"{h.role} · behind NAT"
            cols.append(LadderColumnSpec(ip, title, address, note, h.behind_nat))
        return cols

    def ladder(self, ladder_id: str, title: str, messages: list[SipMessage], max_arrows: int, tags: bool) -> Ladder:
        drawn = messages[:max_arrows]
        items = [self.ladder_item(m, tags) for m in messages]
        columns = self.columns_for(drawn)
        if self.redactor is not None:
            r = self.redactor
            title = r.text(title)
            for c in columns:
                c.title, c.address, c.note = r.text(c.title), r.text(c.address), r.text(c.note)
            for it in items:
                it.label, it.detail, it.title = r.text(it.label), r.text(it.detail), r.text(it.title)
        ladder = build_ladder(ladder_id, title, columns, items, max_arrows, show_tags=tags)
        for m in drawn:
            self.ladder_of_msg.setdefault(m.seq, f"a-{m.seq}")
        return ladder

    def key_lines(self, msg: SipMessage, highlights: list[Highlight]) -> list[MsgLine]:
        """The message's text lines, the finding's highlights marked (rules/evidence.py chose them)."""
        marks: dict[int, Highlight] = {}
        for h in highlights:
            if h.origin == msg.origin:
                marks.setdefault(h.line, h)
        status_cls = _status_cls(msg)
        lines = []
        for n, line in enumerate(message_text(msg).split("\n")):
            h = marks.get(n)
            if h is None:
                lines.append(MsgLine(line))
            else:
                lines.append(MsgLine(line, f"hl {status_cls}" if h.tone == "refusal" else "hl", h.note))
        return lines

    def key_message(self, msg: SipMessage, highlights: list[Highlight]) -> KeyMessage:
        o = msg.origin
        heading = (f"{self.origin_label(o)} · {_fmt_time(msg.time, self.base)} s · "
                   f"{msg.src} → {msg.dst} · {msg.transport}")
        lines = self.key_lines(msg, highlights)
        folded: list[MsgLine] = []
        blank = next((i for i, line in enumerate(lines) if i and not line.text.strip()), None)
        if blank is not None:
            last_marked = max((i for i, line in enumerate(lines) if line.cls), default=0)
            cut = max(blank + 1 + KEY_BODY_LINES, last_marked + 1)
            if len(lines) - cut > 2:
                lines, folded = lines[:cut], lines[cut:]
        t = self.tx_of.get(msg.seq)
        copies, copy_chips = "", []
        if t is not None and msg in t.requests and len(t.requests) > 1:
            copies = f"sent {len(t.requests)} times"
            copy_chips = self.chips([r.origin for r in t.requests], 8)
        return KeyMessage(id=f"k-{msg.seq}", heading=heading, href=f"#m-{msg.seq}",
                          lines=lines, cls=_status_cls(msg),
                          also=self.chips(self.a.also_seen.get(msg.seq, [])), copies=copies, copy_chips=copy_chips,
                          folded=folded, folded_label=f"{len(folded)} more lines of the body" if folded else "")

    def log_view(self, i: int, target_prefix: str = "log") -> LogLineView:
        e = self.a.log_events[i]
        level = (e.level or "").upper()
        cls = "err" if level in ("ERROR", "WARNING") else ("note" if level == "NOTICE" else "")
        return LogLineView(id=f"{target_prefix}-{i}", label=self.origin_label(e.origin), href=f"#log-{i}",
                           level=level, level_cls=cls, text=e.raw or e.text)

    # findings ------------------------------------------------------------------------------
    def flow_link(self, f: Finding) -> tuple[str, str]:
        ids = self._flows_of_finding(f)
        if not ids:
            return "", ""
        return ids[0], f"#flow-{ids[0]}"

    def finding_view(self, f: Finding, idx: int) -> FindingView:
        label, href = self.flow_link(f)
        obs = [Bullet("", spans(text), self.chips(origins)) for text, origins in f.observations[:OBSERVATIONS_SHOWN]]
        if len(f.observations) > OBSERVATIONS_SHOWN:
            obs.append(Bullet("", [Span(f"… and {len(f.observations) - OBSERVATIONS_SHOWN} more observations.")], []))
        return FindingView(id=f"finding-{idx}", code=f.code, slug=f.slug, severity=f.severity, title=f.title,
                           cause=blocks(f.cause), fix=blocks(f.fix), observations=obs, chips=self.chips(f.evidence),
                           flow_label=label, flow_href=href)


def _collect_message_links(obj, out: set[int]) -> None:
    """`seq` of every message an href ("#m-N") in the view part `obj` points at."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.startswith("#m-") and item[3:].isdigit():
                out.add(int(item[3:]))
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "__dataclass_fields__"):
            stack.extend(getattr(item, name) for name in item.__dataclass_fields__)


def _one_copy(b: _Builder, messages: list[SipMessage]) -> list[SipMessage]:
    """Key messages with one copy of each retransmitted request (the first): the others are named in it."""
    out, seen = [], set()
    for m in messages:
        t = b.tx_of.get(m.seq)
        key = (id(t), "request") if t is not None and m in t.requests else ("msg", m.seq)
        if key not in seen:
            seen.add(key)
            out.append(t.requests[0] if key[1] == "request" else m)
    return out


def _rule_name(code: str) -> str:
    try:
        from ..rules.base import REGISTRY
    except ImportError:  # pragma: no cover
        return ""
    rule = REGISTRY.get(code)
    return rule.name if rule else ""


def _story(flow: Flow, max_tx: int = 4) -> str:
    parts = []
    txs = [t for t in flow.transactions if t.method != "ACK"]
    for t in txs[:max_tx]:
        extras = []
        if t.has_credentials:
            u = t.request.authorization.get("username") if t.request.authorization else None
            extras.append(f"credentials for {u}" if u else "credentials")
        if t.request_retransmissions:
            extras.append(f"sent {len(t.requests)} times")
        s = t.method + (f" ({', '.join(extras)})" if extras else "")
        labels: list[str] = []
        for r in t.responses:
            if r.label not in labels:
                labels.append(r.label)
        if labels:
            s += " → " + " → ".join(labels[-3:])
        else:
            s += " → no response"
        parts.append(s)
    if len(txs) > max_tx:
        parts.append(f"… {len(txs) - max_tx} more transactions")
    return "; ".join(parts)


def _key_transaction(b: _Builder, main: Finding | None, flow: Flow | None) -> Transaction | None:
    """The exchange the report is about: the one the main finding's evidence points at first
    (for an IP-literal Request-URI, the PBX's request, not the proxy's forwarded copy), else
    the one that decided the flow's outcome."""
    if main is not None:
        for msg in b.evidence_messages(main):
            t = b.tx_of.get(msg.seq)
            if t is not None:
                return t
    if flow is not None and flow.outcome_message is not None:
        t = b.tx_of.get(flow.outcome_message.seq)
        if t is not None:
            return t
    if flow is not None and flow.transactions:
        return flow.transactions[0]
    return None


def _is_pjsip(analysis: Analysis, ua: str, main: Finding | None) -> bool:
    if any("res_pjsip" in (e.module or "") for e in analysis.log_events):
        return True
    m = re.search(r"([0-9]{1,9})\.[0-9]", ua)  # bounded: int() refuses 4300+ digits
    if m and int(m.group(1)) >= 21:
        return True
    return bool(main and isinstance(main.details, dict) and main.details.get("endpoint"))


def _party(b: _Builder, ip: str | None, main: Finding | None) -> str:
    h = b.host(ip)
    if h is None or not h.user_agents:
        return ip or "logging host"
    ua = h.user_agents[0]
    name = product_name(ua)
    if "asterisk" in ua.lower():
        return "Asterisk PJSIP" if _is_pjsip(b.a, ua, main) else "Asterisk"
    return name


def _subject(flow: Flow | None) -> str:
    if flow is None or not flow.aor:
        return ""
    user = _user_of_uri(flow.aor)
    if flow.kind == "registration":
        return f"AOR {user}" if user else f"AOR {flow.aor}"
    if flow.kind == "call":
        return f"call to {user}" if user else f"call to {flow.aor}"
    return f"{flow.kind} to {user}" if user else ""


OK_PHRASES = {"registration": "REGISTER succeeds", "call": "Call answered", "options": "OPTIONS answered",
              "subscription": "SUBSCRIBE accepted", "message": "MESSAGE delivered"}


def _symptom(flow: Flow | None, main: Finding | None, tx: Transaction | None) -> str:
    if flow is not None and main is not None and main.severity != "error" and flow.outcome in OK_OUTCOMES:
        # the flow worked: say so first, the warning comes at the end of the title
        om = flow.outcome_message
        label = f" ({om.label})" if om is not None and not om.is_request and om.status else ""
        return OK_PHRASES.get(flow.kind, f"{flow.kind.capitalize()} OK") + label
    if flow is not None and main is not None and flow.outcome not in OK_OUTCOMES:
        om = flow.outcome_message
        method = tx.method if tx is not None else flow.kind.upper()
        if om is not None and not om.is_request and om.status and om.status >= 300:
            return f"{method} fails with {om.label}"
        if flow.outcome == NO_RESPONSE:
            return f"{method} gets no response"
    if main is not None:
        return main.title
    return ""


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def build_view(analysis: Analysis, findings: list[Finding], redactor: Redactor | None = None,
               verdicts: list[Verdict] | None = None) -> ReportView:
    """The whole report as plain data (redacted with `redactor` when given)."""
    if redactor is not None:
        learn_from_analysis(redactor, analysis, findings)
    b = _Builder(analysis, findings, redactor)
    if verdicts is None:
        verdicts = decide(analysis, findings)
    main = verdicts[0].finding
    main_flow = None
    if main is not None:
        ids = b._flows_of_finding(main)
        main_flow = analysis.flow(ids[0]) if ids else None
    elif analysis.flows:
        main_flow = next((f for f in analysis.flows if f.kind == "registration"), analysis.flows[0])
    tx = _key_transaction(b, main, main_flow)

    # -- title ------------------------------------------------------------------------------
    client_ip = tx.request.src.ip if tx else None
    server_ip = tx.request.dst.ip if tx else None
    client_host, server_host = b.host(client_ip), b.host(server_ip)
    nat = bool(client_host and client_host.behind_nat)
    parts: list[str] = []
    # an ok verdict with a risk (a warning about a flow that still worked) leads with the outcome
    # and names the risk last, like a warning that is the verdict
    headline = main if main is not None else next(iter(verdicts[0].also), None)
    if headline is not None:
        symptom = _symptom(main_flow, headline, tx)
        head = symptom + (f" — {_subject(main_flow)}" if _subject(main_flow) else "")
        parts.append(head)
    else:
        ok = [f for f in analysis.flows if f.outcome in OK_OUTCOMES]
        if analysis.flows:
            kinds: dict[str, int] = {}
            for f in ok:
                kinds[f.kind] = kinds.get(f.kind, 0) + 1
            summary = ", ".join(f"{n} {k}{'s' if n > 1 else ''} OK" for k, n in kinds.items())
            parts.append("No problems found" + (f" — {summary}" if summary else ""))
        else:
            parts.append("No SIP dialogue found" if not analysis.messages else "No problems found")
    if tx is not None:
        parts.append(f"{_party(b, client_ip, main)} → {_party(b, server_ip, main)}")
    if nat:
        parts.append("NAT")
    if headline is not None:
        short = headline.short or headline.slug.replace("-", " ")
        parts.append(short if headline.severity == "error" else f"warning: {short}")
    title = " | ".join(parts)

    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    if errors:
        verdict, verdict_cls = f"{errors} error{'s' if errors > 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}", "err"
    elif warnings:
        verdict, verdict_cls = f"{warnings} warning{'s' if warnings > 1 else ''}", "warn"
    else:
        verdict, verdict_cls = "no errors or warnings", "ok"

    # -- TL;DR ------------------------------------------------------------------------------
    tldr: list[Bullet] = []
    if tx is not None:
        req = tx.request
        if client_host is not None:
            text = f"{b.host_name(client_ip, long=True)} at {req.src}"
            adv = [k for k in client_host.advertised if not k.endswith("(media)")]
            if client_host.behind_nat and adv:
                text += f", behind NAT: it advertises {adv[0]} but its packets come from {req.src}."
            elif client_host.behind_nat:
                text += ", behind NAT."
            else:
                text += "."
            tldr.append(Bullet("Client", spans(text), b.chips([req.origin], 1)))
        else:
            tldr.append(Bullet("Client", spans(f"{req.src}."), b.chips([req.origin], 1)))
        if server_host is not None:
            role = {"pbx": "PBX", "registrar": "registrar", "proxy/sbc": "proxy/SBC", "trunk": "trunk",
                    "phone": "phone"}.get(server_host.role, server_host.role)
            text = f"{b.host_name(server_ip, long=True)} at {req.dst} ({role})."
            final = tx.final
            tldr.append(Bullet("Server", spans(text), b.chips([final.origin], 1) if final else []))
        else:
            tldr.append(Bullet("Server", spans(f"{req.dst}."), []))
    if main is not None:
        story = _story(main_flow) if main_flow is not None else ""
        sym = story + "." if story else main.title + "."
        ev = b.evidence_messages(main)
        tldr.append(Bullet("Symptom", spans(sym), b.chips([m.origin for m in ev], 4), "symptom"))
        tldr.append(Bullet("Cause", spans(main.cause), [], "cause"))
        fix_first = _first_sentence(main.fix)
        tldr.append(Bullet("Fix", spans(fix_first + " — see Fix below."), [Chip("Fix", "#fix", "the full fix")], "fix"))
        lead = verdicts[0]
        if lead.explains:
            kinds = list(dict.fromkeys(f.slug for f in lead.explains))
            tldr.append(Bullet("Explains", spans(
                f"{_count(len(lead.explains), 'symptom')} of this cause ({', '.join(kinds)}), shown under it "
                "in Other findings."), [Chip("Other findings", "#other", "")], ""))
        if len(verdicts) > 1:
            others = verdicts[1:]
            listed = "; ".join(v.title for v in others[:2]) + ("; …" if len(others) > 2 else "")
            tldr.append(Bullet("Also", spans(f"{_count(len(others), 'independent problem')}: {listed}"),
                               [Chip("Other findings", "#other", "")], ""))
    else:
        if main_flow is not None:
            tldr.append(Bullet("Outcome", spans(f"{_story(main_flow)}."), b.chips(analysis.origins_of(main_flow.outcome_message) if main_flow.outcome_message is not None else main_flow.evidence, 2), "ok"))
        flows_ok = sum(1 for f in analysis.flows if f.outcome in OK_OUTCOMES)
        risks = verdicts[0].also
        if risks:
            kinds = ", ".join(dict.fromkeys(f.slug for f in risks))
            text = (f"No problem made a flow fail ({flows_ok} of {_count(len(analysis.flows), 'flow')} completed "
                    f"normally); worth a look: {kinds} — see Other findings.")
        else:
            text = (f"No rule found an error or a warning in {_count(len(analysis.messages), 'SIP message')} "
                    f"({flows_ok} of {_count(len(analysis.flows), 'flow')} completed normally).")
        tldr.append(Bullet("Verdict", spans(text), [], "ok"))

    # -- ladders ----------------------------------------------------------------------------
    messages = analysis.messages
    big = len(messages) > WHOLE_LADDER_MAX_MESSAGES or len(analysis.hosts) > WHOLE_LADDER_MAX_HOSTS
    main_ladders: list[Ladder] = []
    more_ladders: list[Ladder] = []
    ladder_note = ""
    more_note = ""
    ladder_flow: dict[str, str] = {}
    if messages and not big:
        tags = len(analysis.flows) > 1
        main_ladders.append(b.ladder("ladder-all", "All messages", messages, WHOLE_LADDER_MAX_MESSAGES, tags))
        for f in analysis.flows:
            ladder_flow[f.id] = "#ladder-all"
    elif messages:
        rank = {"error": 0, "warning": 1, "info": 2}

        def flow_rank(f: Flow):
            sev = min((rank.get(x.severity, 3) for x in b.flow_findings.get(f.id, [])), default=3)
            return (0 if main_flow is not None and f.id == main_flow.id else 1, sev,
                    0 if f.outcome not in OK_OUTCOMES else 1, f.transactions[0].request.seq)

        ordered = sorted(analysis.flows, key=flow_rank)
        budget = LADDER_ARROW_BUDGET
        drawn = 0
        for f in ordered:
            if drawn >= LADDER_MAX_LADDERS or budget <= 0:
                break
            fm = f.messages
            cap = min(LADDER_MAX_ARROWS, budget)
            sev = min((rank.get(x.severity, 3) for x in b.flow_findings.get(f.id, [])), default=3)
            ladder_title = f"{f.id} · {f.kind} · {f.aor or f.call_id or ''} · {f.outcome}"
            ladder = b.ladder(f"ladder-{f.id}", ladder_title, fm, cap, False)
            ladder.open = sev <= 1
            budget -= len(ladder.arrows)
            drawn += 1
            ladder_flow[f.id] = f"#ladder-{f.id}"
            if main_flow is not None and f.id == main_flow.id and not main_ladders:
                main_ladders.append(ladder)
            else:
                more_ladders.append(ladder)
        crowded = (f"{_count(len(messages), 'message')}" if len(messages) > WHOLE_LADDER_MAX_MESSAGES
                   else f"{_count(len(analysis.hosts), 'host')}")
        ladder_note = (f"{_count(len(messages), 'message')} in {_count(len(analysis.flows), 'flow')}: {crowded} "
                       "are too many for one diagram. "
                       f"Each ladder shows one flow (at most {LADDER_MAX_ARROWS} arrows).")
        skipped = len(analysis.flows) - drawn
        more_note = (f"Ladders are drawn for {drawn} of {len(analysis.flows)} flows — those with findings first, "
                     f"at most {LADDER_MAX_LADDERS} ladders and {LADDER_ARROW_BUDGET} arrows in all."
                     + (f" The other {skipped} flows are in the table above; every message is in the appendix."
                        if skipped > 0 else ""))
        if not main_ladders and more_ladders:
            main_ladders.append(more_ladders.pop(0))

    # -- key messages, diagnosis, fix -------------------------------------------------------
    key_messages: list[KeyMessage] = []
    key_logs: list[LogLineView] = []
    diagnosis: list[Bullet] = []
    checks: list[str] = []
    fix: list[Block] = []
    fix_extra: list[Block] = []
    fix_extra_title = ""
    log_hint: list[Span] = []
    main_view = None
    if main is not None:
        main_view = b.finding_view(main, 0)
        shown = _one_copy(b, [b.msg_by_origin[o] for o in main.key_messages if o in b.msg_by_origin])
        key_messages = [b.key_message(m, main.highlights) for m in shown]
        for o in main.evidence:
            i = b.log_index.get(o)
            if i is not None and o not in b.msg_by_origin:
                key_logs.append(b.log_view(i, "klog"))
        checks = list(main.checks)
        if checks and not analysis.log_events:
            log_hint = spans("No Asterisk log was given. To see the PBX's own account of this, add its full log "
                             "(with `pjsip set logger on`) to the command: `sipdiag analyze capture.pcap "
                             "/var/log/asterisk/full`.")
        diagnosis = main_view.observations
        fix = main_view.fix
        if main.corrected_config:
            # the corrected sections below replace the config snippets of the fix text
            fix = [blk for blk in fix if blk.kind != "code"]
            for blk in fix:
                if blk.spans and blk.spans[-1].text.rstrip().endswith(":"):
                    blk.spans[-1] = Span(blk.spans[-1].text.rstrip()[:-1] + " (the corrected sections below).",
                                         blk.spans[-1].code)
        also = verdicts[0].fix_also
        if also and not main.corrected_config:
            fix_extra_title = f"Also: {also[0].short}"
            fix_extra = blocks(also[0].fix)

    healthy_view = None
    risks: list[Bullet] = []
    if main is None and verdicts[0].worked:
        worked = verdicts[0].worked[0]
        healthy_view = b.finding_view(worked, 0)
        shown = _one_copy(b, [b.msg_by_origin[o] for o in worked.key_messages if o in b.msg_by_origin])
        key_messages = [b.key_message(m, worked.highlights) for m in shown]
        diagnosis = healthy_view.observations
        risks = [Bullet(f.short, spans(f.title), b.chips(f.evidence, 3)) for f in verdicts[0].also[:8]]

    # -- corrected configuration, verification, lessons ---------------------------------------
    config_sections: list[ConfigSectionView] = []
    config_title = ""
    if main is not None and main.corrected_config:
        for sec in main.corrected_config:
            where = f"{_basename(sec.origin.source)}:{sec.origin.line}" if sec.origin is not None and sec.origin.line else ""
            config_sections.append(ConfigSectionView(
                f"[{sec.name}]", where, sec.new and not main.config_example,
                [DiffLine(line.text, {"changed": "chg", "added": "add"}.get(line.change, ""), line.note)
                 for line in sec.lines]))
        if main.config_example:
            config_title = "A complete configuration for this phone (example, built from the trace)"
        else:
            config_title = "pjsip.conf, corrected (changed and added lines marked)"
    phone_title, phone_lines = "", []
    if main is not None and main.phone_settings:
        phone_title = f"On the phone ({main.phone_product})" if main.phone_product else "On the phone"
        phone_lines = [spans(x) for x in main.phone_settings]
    guide = main if main is not None else next(iter(verdicts[0].worked), None)
    verify = [VerifyStep(c, x) for c, x in guide.verify] if guide is not None else []
    next_capture = spans(guide.next_capture) if guide is not None and guide.next_capture else []
    lessons = [spans(x) for x in guide.lessons] if guide is not None else []
    verify_title = ("Verify after the fix" if main is not None else "What healthy looks like") \
        if (verify or next_capture) else ""

    # -- other findings ---------------------------------------------------------------------
    # one group per rule, and per verdict for the symptoms a verdict explains: those come right
    # after their cause (the main verdict's first), marked as such and closed; findings that
    # stand alone come last
    verdict_of_symptom: dict[int, int] = {}
    verdict_of_cause: dict[int, int] = {}
    for i, v in enumerate(verdicts):
        if v.finding is None:
            continue
        for c in v.causes:
            verdict_of_cause[id(c)] = i
        for f in v.explains:
            verdict_of_symptom[id(f)] = i
    position = {id(f): k for k, f in enumerate(findings)}
    by_key: dict[tuple[str, int], list[Finding]] = {}
    for f in findings:
        if f is main:
            continue
        by_key.setdefault((f.code, verdict_of_symptom.get(id(f), -1)), []).append(f)

    def group_order(item):
        (_code, owner), fs = item
        if owner >= 0:
            return (owner, 1, position[id(fs[0])])
        if id(fs[0]) in verdict_of_cause:
            return (verdict_of_cause[id(fs[0])], 0, position[id(fs[0])])
        return (len(verdicts), 2, position[id(fs[0])])

    groups: list[FindingGroup] = []
    cause_group: dict[int, str] = {}
    n = 1
    for (code, owner), fs in sorted(by_key.items(), key=group_order):  # owner: the explaining verdict
        first = b.finding_view(fs[0], n)
        n += 1
        rest = []
        for f in fs[1:GROUP_ITEMS_SHOWN + 1]:
            label, href = b.flow_link(f)
            rest.append(FindingItem(f.title, b.chips(f.evidence, 3), label, href))
        group_id = f"group-{code}" + (f"-of-{owner}" if owner >= 0 else "")
        if owner < 0 and id(fs[0]) in verdict_of_cause:
            cause_group.setdefault(verdict_of_cause[id(fs[0])], group_id)
        explained_by = verdicts[owner].title if owner >= 0 else ""
        explained_href = ("#diagnosis" if owner == 0 and main is not None else cause_group.get(owner, "")) \
            if owner >= 0 else ""
        if explained_href and not explained_href.startswith("#"):
            explained_href = f"#{explained_href}"
        groups.append(FindingGroup(id=group_id, code=code, slug=fs[0].slug, severity=fs[0].severity,
                                   name=_rule_name(code), count=len(fs), first=first, rest=rest,
                                   hidden=max(0, len(fs) - 1 - GROUP_ITEMS_SHOWN),
                                   explained_by=explained_by, explained_href=explained_href))

    # -- flows ------------------------------------------------------------------------------
    flows: list[FlowRow] = []
    listed = analysis.flows
    if len(listed) > FLOW_ROWS_MAX:
        troubled = [f for f in listed if f.outcome not in OK_OUTCOMES and f.outcome not in NEUTRAL_OUTCOMES
                    or any(x.severity in ("error", "warning") for x in b.flow_findings.get(f.id, []))]
        keep = {id(f) for f in troubled[:FLOW_ROWS_MAX]}
        for f in listed:
            if len(keep) >= FLOW_ROWS_MAX:
                break
            keep.add(id(f))
        listed = [f for f in listed if id(f) in keep]
    flows_note = (f"{len(listed):,} of {len(analysis.flows):,} flows listed, in trace order: the flows with a "
                  f"failure or a warning are kept first, then the others." if len(listed) < len(analysis.flows) else "")
    for f in listed:
        fs = b.flow_findings.get(f.id, [])
        sev = min((x.severity for x in fs), key=lambda s: {"error": 0, "warning": 1, "info": 2}.get(s, 3), default="")
        t0 = f.transactions[0] if f.transactions else None
        parties = f"{b.host_name(t0.client.ip)} → {b.host_name(t0.server.ip)}" if t0 else ""
        cls = "ok" if f.outcome in OK_OUTCOMES else ("neutral" if f.outcome in NEUTRAL_OUTCOMES else "err")
        first_msg = f.messages[0] if f.transactions else None
        flows.append(FlowRow(
            id=f"flow-{f.id}", label=f.id, href=ladder_flow.get(f.id, f"#m-{first_msg.seq}" if first_msg else ""), kind=f.kind,
            target=f.aor or "", parties=parties,
            start=_fmt_time(f.first_time, b.base), start_sort=(f.first_time - b.base) if (f.first_time is not None and b.base is not None) else 0.0,
            messages=f.message_count, outcome=f.outcome, outcome_cls=cls, detail=f.outcome_detail,
            findings=" ".join(sorted({x.code for x in fs})), severity=sev,
            ladder_href=ladder_flow.get(f.id, ""),
            problem="1" if sev in ("error", "warning") or cls == "err" else "0"))

    # -- capture facts ----------------------------------------------------------------------
    per_input: dict[str, int] = {}
    for msg in messages:
        per_input[msg.origin.source] = per_input.get(msg.origin.source, 0) + 1
        for o in analysis.also_seen.get(msg.seq, ()):
            per_input[o.source] = per_input.get(o.source, 0) + 1
    inputs = []
    for s in analysis.inputs:
        unit = "packets" if s.is_capture else "lines"
        span = ""
        if s.first_time is not None and s.last_time is not None:
            span = f"{_utc(s.first_time)} — {_duration(s.last_time - s.first_time)}"
        shown_warnings = [f"{w.origin.frame or w.origin.line or ''}: {w.text}".lstrip(": ")
                          for w in s.warnings[:WARNINGS_SHOWN]]
        more = len(s.warnings) - len(shown_warnings) + s.facts.get("warnings_suppressed", 0)
        inputs.append(InputView(
            file=_basename(s.path), format=s.format, packets=f"{s.packets:,} {unit}", sip_messages=per_input.get(s.path, 0),
            read=(f"{s.packets:,} {unit}, " + (_count(s.facts.get("pjsip_objects", 0), "PJSIP object")
                                               if s.format == "pbx-config" else
                                               _count(per_input.get(s.path, 0), "SIP message"))),
            link_types=", ".join(sorted(s.link_types)), span=span, warnings=shown_warnings, more_warnings=more,
            facts=[(k.replace("_", " "), str(v)) for k, v in sorted(s.facts.items()) if k != "warnings_suppressed"],
            local_address=s.local_address or ""))
    span = analysis.time_span
    facts = [
        ("SIP messages", f"{len(messages):,}"),
        ("Transactions", f"{len(analysis.transactions):,}"),
        ("Flows", f"{len(analysis.flows):,}"),
        ("Hosts", f"{len(analysis.hosts):,}"),
        ("Time span", f"{_utc(span[0])} to {_utc(span[1])} ({_duration(span[1] - span[0])})" if span else "no timestamps"),
        ("Findings", f"{_count(errors, 'error')}, {_count(warnings, 'warning')}, "
                     f"{len(findings) - errors - warnings} information"),
        ("Anomalies (odd or malformed input)", f"{len(analysis.anomalies):,}"),
        ("Responses without their request", f"{len(analysis.orphan_responses):,}"),
        ("Retransmitted messages", f"{len(b.retrans):,}"),
    ]
    if analysis.log_events:
        facts.insert(4, ("PBX log lines (non-SIP)", f"{len(analysis.log_events):,}"))

    hosts = b.host_rows()

    # -- appendix ---------------------------------------------------------------------------
    appendix = []
    appendix_note = ""
    listed_messages = messages
    if len(messages) > APPENDIX_ALL_MAX:
        linked: set[int] = set()
        for part in (tldr, main_ladders, more_ladders, key_messages, main_view, healthy_view, groups, flows,
                     hosts, risks):
            _collect_message_links(part, linked)
        listed_messages = [m for m in messages if m.seq in linked]
        appendix_note = (f"{len(listed_messages):,} of {len(messages):,} messages: the ones this report links to "
                         "(ladders, evidence, key messages, flows). `sipdiag messages` lists every message; "
                         "frame numbers are Wireshark's.")
    for msg in listed_messages:
        flow = b.flow_of.get(msg.seq)
        o = msg.origin
        notes = []
        if msg.ip_fragments > 1:
            notes.append(f"reassembled from {msg.ip_fragments} IP fragments")
        if msg.tcp_segments > 1:
            notes.append(f"reassembled from {msg.tcp_segments} TCP segments")
        if msg.tunnel:
            notes.append(f"inside {msg.tunnel}")
        if msg.seq in b.retrans:
            notes.append("retransmission")
        copies = analysis.duplicates.get(msg.seq, [])
        if copies:
            labels = ", ".join(b.origin_label(c) for c in copies[:3]) + (" …" if len(copies) > 3 else "")
            notes.append(f"the same packet again as {labels}, within 2 ms: a duplicate (captured twice, "
                         "or sent twice at once), not a retransmission")
        for an in msg.anomalies:
            notes.append(f"anomaly: {an.name} — {an.detail}")
        appendix.append(AppendixMessage(
            id=f"m-{msg.seq}", frame=b.origin_label(o), time=_fmt_time(msg.time, b.base), src=str(msg.src),
            dst=str(msg.dst), transport=msg.transport, summary=msg.start_line, cls=_status_cls(msg),
            flow=flow.id if flow else "", flow_href=f"#flow-{flow.id}" if flow else "", raw=message_text(msg),
            also=b.chips(analysis.also_seen.get(msg.seq, [])), ladder_href=f"#{b.ladder_of_msg[msg.seq]}" if msg.seq in b.ladder_of_msg else "",
            notes=notes))
    logs = [b.log_view(i) for i in range(len(analysis.log_events))]
    anomalies = [AnomalyView(f"an-{i}", an.name, an.detail, b.chip(an.origin)) for i, an in enumerate(analysis.anomalies)]

    # -- network note, nav, footer -----------------------------------------------------------
    hosts_note = ""
    if any(h.behind_nat for h in analysis.hosts.values()):
        hosts_note = ("“Advertises” lists the addresses a host writes into its own Via, Contact or SDP when they "
                      "differ from the address its packets really come from: the private side of a NAT.")

    nav = [NavItem("#tldr", "TL;DR"), NavItem("#network", "Network")]
    if main_ladders:
        nav.append(NavItem("#sequence", "Sequence"))
    if key_messages:
        nav.append(NavItem("#messages", "Key messages"))
    if main is not None:
        nav += [NavItem("#diagnosis", "Diagnosis"), NavItem("#fix", "Fix")]
    elif healthy_view is not None:
        nav += [NavItem("#diagnosis", "What worked"), NavItem("#fix", "Fix")]
    if verify_title:
        nav.append(NavItem("#verify", "Verify" if main is not None else "Healthy"))
    if lessons:
        nav.append(NavItem("#lessons", "Lessons"))
    if groups:
        nav.append(NavItem("#other", f"Other findings ({sum(g.count for g in groups)})"))
    nav.append(NavItem("#flows", f"Flows ({len(flows)})"))
    if more_ladders:
        nav.append(NavItem("#ladders", f"Ladders ({len(more_ladders)})"))
    nav += [NavItem("#capture", "Capture"), NavItem("#appendix", f"All messages ({len(messages):,})" if not appendix_note
                                                         else f"Messages ({len(appendix):,} of {len(messages):,})")]

    names = ", ".join(_basename(s.path) for s in analysis.inputs)
    footer = (f"Generated by sipdiag {__version__} from {names}. Digest responses are never shown.")
    view = ReportView(
        title=title, title_parts=parts, page_title=title, verdict=verdict, verdict_cls=verdict_cls,
        inputs_line=names, tldr=tldr, hosts=hosts, hosts_note=hosts_note, main_ladders=main_ladders,
        ladder_note=ladder_note, key_messages=key_messages, key_logs=key_logs, log_hint=log_hint, main=main_view,
        healthy=healthy_view, risks=risks,
        diagnosis=diagnosis, checks=checks, checks_title="Confirm on the PBX" if checks else "", fix=fix,
        fix_extra_title=fix_extra_title, fix_extra=fix_extra, config_title=config_title,
        config_sections=config_sections, phone_title=phone_title, phone_settings=phone_lines,
        verify_title=verify_title, verify=verify, next_capture=next_capture,
        lessons=lessons, groups=groups, flows=flows, more_ladders=more_ladders,
        more_ladders_note=more_note, inputs=inputs, facts=facts, messages=appendix, appendix_note=appendix_note, flows_note=flows_note, logs=logs, anomalies=anomalies,
        message_chunks=chunks(len(appendix), "Messages", [m.time for m in appendix]),
        log_chunks=chunks(len(logs), "Log lines"),
        nav=nav, footer=footer, redacted=redactor is not None, big=big)
    if redactor is not None:
        redactor.tree(view, STRUCTURAL_FIELDS | {"main_ladders", "more_ladders"})
        view.footer += (" Redacted: addresses, users, phone numbers, domains and names are consistent pseudonyms; "
                        "nonces and other digest secrets are removed.")
    return view
