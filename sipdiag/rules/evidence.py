"""The evidence a reader is shown for a finding: its key messages and their decisive lines.

How this works. For a finding a verdict leads with, `attach` picks the messages a reader should
see (the first few the finding cites, in trace order; a lone response comes with its request)
and marks the lines in them that carry the argument, as `Highlight`s: who authenticated as
whom (Authorization username and realm), what was challenged (the realm), what a sender
advertises against where its packets come from (its own Contact, Via and SDP `c=`, never in a
copy a proxy forwarded), what the server saw (`received`/`rport`), the AOR a REGISTER is for,
and the refusal itself. A rule adds its own lines through `Rule.highlight` (the IP-literal
Request-URI). It also fills in the PBX commands that confirm the finding when the server is an
Asterisk. Reports only lay these out; they never parse a message to find them.
"""

from __future__ import annotations

from ..flow.model import Analysis
from ..sip.grammar import canonical_header
from ..sip.headers import parse_credentials, parse_name_addr, parse_via
from ..sip.message import SipMessage
from string import Formatter

from . import config_fix, phone_settings
from .base import REGISTRY, Finding, Highlight

KEY_MESSAGES_MAX = 4


def attach(analysis: Analysis, finding: Finding) -> Finding:
    """Fill in `finding.key_messages`, `highlights` and `checks` (once; later calls keep them)."""
    if finding.key_messages:
        return finding
    messages = key_messages(analysis, finding)
    finding.key_messages = [m.origin for m in messages]
    rule_cls = REGISTRY.get(finding.code)
    rule = rule_cls() if rule_cls is not None else None
    highlights: list[Highlight] = []
    for msg in messages:
        highlights += message_highlights(analysis, msg)
        if rule is not None:
            highlights += rule.highlight(analysis, finding, msg)
    finding.highlights = highlights
    if rule is None:
        return finding
    asterisk = _asterisk_involved(analysis, finding, messages)
    if rule.pbx_checks and not finding.checks and asterisk:
        details = finding.details if isinstance(finding.details, dict) else {}
        endpoint = str(details.get("endpoint") or details.get("auth_username") or "<endpoint>")
        finding.checks = [c.format(endpoint=endpoint) for c in rule.pbx_checks]
    fill = _Fill(finding)
    finding.verify = [(_format(c, fill), _format(x, fill)) for c, x in rule.verify
                      if asterisk or not c.startswith(("pjsip ", "core "))]
    finding.next_capture = _format(rule.next_capture, fill)
    finding.lessons = rule.lessons()
    finding.config_edits = rule.edits(analysis, finding) if asterisk else []
    return finding


def attach_fix(analysis: Analysis, finding: Finding, also: list[Finding]) -> None:
    """The corrected configuration for `finding`'s fix, with the edits of the causes whose fix
    travels with it (`also`): from the user's pjsip.conf, else an example built from the trace."""
    edits = list(finding.config_edits)
    for other in also:
        rule_cls = REGISTRY.get(other.code)
        if rule_cls is not None:
            edits += [e for e in rule_cls().edits(analysis, other) if e not in edits]
    if any(e.option == "rewrite_contact" for e in edits):
        phone = _natted_phone(analysis, finding)
        if phone is not None:
            finding.phone_product, finding.phone_settings = phone_settings.for_product(
                phone.user_agents[0] if phone.user_agents else None)
    if not edits:
        return
    sections = config_fix.corrected(analysis, finding, edits)
    finding.config_example = not sections
    finding.corrected_config = sections or config_fix.example(analysis, finding, edits)


def _natted_phone(analysis: Analysis, finding: Finding):
    """The host behind NAT that sent the finding's key requests (the phone the fix is about)."""
    index = analysis.index
    for origin in finding.key_messages or finding.evidence:
        msg = index.message_at.get(origin) if index is not None else None
        if msg is not None and msg.is_request:
            host = analysis.hosts.get(msg.src.ip) if msg.src.ip else None
            if host is not None and host.behind_nat:
                return host
    return None


class _Fill(dict):
    """Placeholders of `verify` texts from a finding's details; unknown ones stay visible."""

    def __init__(self, finding: Finding) -> None:
        details = finding.details if isinstance(finding.details, dict) else {}
        super().__init__({k: v for k, v in details.items() if isinstance(v, (str, int)) and v != ""})

    def __missing__(self, key: str) -> str:
        return "<" + key + ">"


def _format(text: str, fill: _Fill) -> str:
    try:
        return Formatter().vformat(text, (), fill)
    except (ValueError, IndexError, KeyError):
        return text


def key_messages(analysis: Analysis, finding: Finding) -> list[SipMessage]:
    index = analysis.index
    if index is None:
        return []
    found: dict[int, SipMessage] = {}
    for origin in finding.evidence:
        msg = index.message_at.get(origin)
        if msg is not None:
            found.setdefault(msg.seq, msg)
    shown = [found[k] for k in sorted(found)][:KEY_MESSAGES_MAX]
    if len(shown) == 1 and not shown[0].is_request:
        t = index.transaction_of.get(shown[0].seq)
        if t is not None:
            shown = [t.request] + shown
    return shown


def _asterisk_involved(analysis: Analysis, finding: Finding, messages: list[SipMessage]) -> bool:
    details = finding.details if isinstance(finding.details, dict) else {}
    if details.get("asterisk") or details.get("endpoint"):
        return True
    for msg in messages:
        for ip in (msg.src.ip, msg.dst.ip):
            host = analysis.hosts.get(ip) if ip else None
            if host is not None and any("asterisk" in ua.lower() for ua in host.user_agents):
                return True
    return bool(messages) and any("res_pjsip" in (e.module or "") for e in analysis.log_events)


def message_highlights(analysis: Analysis, msg: SipMessage) -> list[Highlight]:
    """The lines of `msg` that say something whatever the finding: see the module docstring."""
    origin = msg.origin
    out: list[Highlight] = []
    src = msg.src
    # what the sender wrote itself (not a copy a proxy forwarded): only then do its Contact,
    # Via host and SDP address say something about the sender's own address
    own = msg.seq not in analysis.forwarded and (not msg.is_request or msg.via_count <= 1)
    if not msg.is_request and (msg.status or 0) >= 400:
        out.append(Highlight(origin, 0, "", "refusal"))
    in_body = False
    first_via = True
    for n, line in enumerate(msg.text_lines()):
        if n == 0:
            continue
        if in_body:
            if line.startswith("c=") and src.ip and own:
                parts = line[2:].split()
                ip = parts[2].split("/")[0] if len(parts) >= 3 else ""
                if ip and ip != src.ip and ip not in ("0.0.0.0", "::"):
                    out.append(Highlight(origin, n, f"media address; the packets come from {src.ip}", "problem"))
            continue
        if not line.strip():
            in_body = True
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        hname = canonical_header(name)
        if hname in ("Authorization", "Proxy-Authorization"):
            creds = parse_credentials(value)
            if creds is not None:
                out.append(Highlight(origin, n, f'username "{creds.get("username") or "?"}", '
                                                f'realm "{creds.get("realm") or "?"}"'))
        elif hname in ("WWW-Authenticate", "Proxy-Authenticate"):
            creds = parse_credentials(value)
            out.append(Highlight(origin, n, f'challenge, realm "{(creds.get("realm") if creds else None) or "?"}"'))
        elif hname == "Contact" and msg.is_request and src.ip and own:
            na = parse_name_addr(value.split(",")[0])
            if na is not None and na.uri is not None and na.uri.host_is_ip:
                port = na.uri.port or 5060
                if na.uri.bare_host != src.ip or (msg.transport == "UDP" and src.port and port != src.port):
                    out.append(Highlight(origin, n, f"advertised address; the packets come from {src}", "problem"))
        elif hname == "Via" and first_via:
            first_via = False
            v = parse_via(value.split(",")[0].strip())
            if v is None:
                continue
            if not msg.is_request and (v.received or v.rport):
                seen = f"{v.received or '?'}:{v.rport}" if v.rport else (v.received or "")
                out.append(Highlight(origin, n, f"the server saw the request come from {seen}"))
            elif own and msg.is_request and src.ip and v.host != src.ip and ":" not in v.host \
                    and v.host.replace(".", "").isdigit():
                out.append(Highlight(origin, n, "", "problem"))
        elif hname == "To" and msg.is_request and msg.method == "REGISTER":
            na = parse_name_addr(value)
            if na is not None and na.uri is not None and na.uri.user:
                out.append(Highlight(origin, n, f"address-of-record: user {na.uri.user}"))
    return out
