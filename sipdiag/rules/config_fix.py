"""The corrected PBX configuration a fix asks for, laid out section by section with its changes.

How this works. Rules say what to change as `ConfigEdit`s (set option X of [section] to Y).
With the user's pjsip.conf, `corrected` takes every section the fix involves — the endpoint,
its auth and AOR objects (after the edits), the transport it uses, the identify objects that
point at it — and writes each one as the file has it, with changed lines marked (the old value
kept as a note), added lines and sections marked, everything else as context. Without a
configuration, `example` writes the same sections from what the trace shows: the user, the
auth username, the NAT the phone is behind, the codecs it offered. Secrets are never written
out: a password stays a placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..flow.model import Analysis
from ..sources.frame import Origin
from .base import ConfigEdit, Finding

SECRET_OPTIONS = frozenset({"password", "md5_cred", "secret"})
SAME, CHANGED, ADDED = "", "changed", "added"
CODEC_NAMES = {"pcmu": "ulaw", "pcma": "alaw", "g722": "g722", "g729": "g729", "opus": "opus", "gsm": "gsm",
               "ilbc": "ilbc", "speex": "speex", "g726-32": "g726"}
"""SDP rtpmap encoding names → Asterisk codec names (`allow=`)."""


@dataclass
class FixLine:
    text: str
    change: str = SAME
    """'' (as it is), 'changed' or 'added'."""
    note: str = ""


@dataclass
class FixSection:
    """One [section] of the corrected configuration."""

    name: str
    type: str
    lines: list[FixLine] = field(default_factory=list)
    origin: Origin | None = None
    """Where the section starts in the user's file (None for a new or example section)."""
    new: bool = False


def corrected(analysis: Analysis, finding: Finding, edits: list[ConfigEdit]) -> list[FixSection]:
    """The sections of the user's configuration the fix involves, edits applied and marked."""
    config = analysis.config
    if config is None or not hasattr(config, "objects"):
        return []
    details = finding.details if isinstance(finding.details, dict) else {}
    endpoint = config.endpoint_for(details.get("endpoint"), details.get("auth_username"), details.get("aor_user"))
    if endpoint is None:
        return []
    by_target: dict[tuple[str, str], list[ConfigEdit]] = {}
    for e in edits:
        by_target.setdefault((e.type, e.section or endpoint.name), []).append(e)
    endpoint_obj = config.get("endpoint", endpoint.name)
    endpoint_edits = by_target.pop(("endpoint", endpoint.name), [])
    sections = [_section(endpoint_obj, "endpoint", endpoint.name, endpoint_edits)]
    after = _options_after(endpoint_obj, endpoint_edits)  # the auth, aors and transport it names once fixed
    for auth in _names(after.get("auth", "")):
        sections.append(_section(config.get("auth", auth), "auth", auth, by_target.pop(("auth", auth), [])))
    for aor in _names(after.get("aors", "")):
        sections.append(_section(config.get("aor", aor), "aor", aor, by_target.pop(("aor", aor), [])))
    transport = after.get("transport") or (config.names("transport")[0] if len(config.names("transport")) == 1 else "")
    if transport:
        sections.insert(0, _section(config.get("transport", transport), "transport", transport,
                                    by_target.pop(("transport", transport), [])))
    for ident in config.of_type("identify"):
        if ident.options.get("endpoint") == endpoint.name:
            sections.append(_section(ident, "identify", ident.name, by_target.pop(("identify", ident.name), [])))
    for (kind, name), rest in by_target.items():  # edits of objects not reached above
        sections.append(_section(config.get(kind, name), kind, name, rest))
    return sections


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _options_after(obj, edits: list[ConfigEdit]) -> dict[str, str]:
    options = dict(obj.options) if obj is not None else {}
    for e in edits:
        options[e.option] = e.value
    return options


def _section(obj, kind: str, name: str, edits: list[ConfigEdit]) -> FixSection:
    lines: list[FixLine] = []
    wanted = {e.option: e for e in edits}
    if obj is None:
        lines.append(FixLine(f"type={kind}", ADDED))
        for e in edits:
            if e.option != "type":
                lines.append(FixLine(f"{e.option}={e.value}", ADDED, e.note))
        return FixSection(name, kind, lines, None, new=True)
    if "type" not in obj.options:
        lines.append(FixLine(f"type={kind}"))
    for option, value in obj.options.items():
        shown = _shown(option, value)
        e = wanted.pop(option, None)
        if e is None or e.value == value:
            lines.append(FixLine(f"{option}={shown}"))
        else:
            lines.append(FixLine(f"{option}={e.value}", CHANGED, f"was {option}={shown}" + (f"; {e.note}" if e.note else "")))
    for e in wanted.values():
        lines.append(FixLine(f"{e.option}={e.value}", ADDED, e.note))
    return FixSection(name, kind, lines, obj.origin)


def _shown(option: str, value: str) -> str:
    return "<the password, unchanged>" if option in SECRET_OPTIONS and value else value


def example(analysis: Analysis, finding: Finding, edits: list[ConfigEdit]) -> list[FixSection]:
    """Without a configuration: the sections a working setup for this user needs, from the trace."""
    details = finding.details if isinstance(finding.details, dict) else {}
    user = str(details.get("aor_user") or details.get("endpoint") or details.get("username") or "")
    if not user:
        return []
    endpoint = str(details.get("endpoint") or user)
    auth_user = str(details.get("auth_username") or user)
    endpoint_edits = {e.option: e for e in edits if e.type == "endpoint" and e.section in ("", endpoint)}
    codecs = _offered_codecs(analysis)
    ep_lines = [FixLine("type=endpoint"), FixLine(f"aors={user}"), FixLine(f"auth={auth_user}"),
                FixLine("context=from-internal"), FixLine("disallow=all"),
                FixLine(f"allow={','.join(codecs) or 'ulaw,alaw'}",
                        note="the codecs the phone offered" if codecs else "")]
    for option in ("aors", "auth"):
        endpoint_edits.pop(option, None)
    for e in endpoint_edits.values():
        ep_lines.append(FixLine(f"{e.option}={e.value}", ADDED, e.note))
    sections = [
        FixSection("transport-udp", "transport", [FixLine("type=transport"), FixLine("protocol=udp"),
                                                   FixLine("bind=0.0.0.0:5060")], new=True),
        FixSection(endpoint, "endpoint", ep_lines, new=True),
        FixSection(user, "aor", [FixLine("type=aor"), FixLine("max_contacts=1")], new=True),
        FixSection(auth_user, "auth", [FixLine("type=auth"), FixLine("auth_type=userpass"),
                                       FixLine(f"username={auth_user}"),
                                       FixLine("password=<the phone's password>")], new=True),
    ]
    return sections


def _offered_codecs(analysis: Analysis) -> list[str]:
    out: list[str] = []
    for msg in analysis.messages[:2000]:
        if msg.method != "INVITE" or msg.sdp is None:
            continue
        for media in msg.sdp.media:
            if media.kind != "audio":
                continue
            for name in media.codecs:
                codec = CODEC_NAMES.get(name.split("/")[0].lower())
                if codec and codec not in out:
                    out.append(codec)
        if out:
            break
    return out
