"""PBX log lines → structured facts that rules can cite (Asterisk PJSIP messages).

Each pattern is the text Asterisk prints (res_pjsip_registrar.c, pjsip_distributor.c,
pjsip_configuration.c, res_pjsip_pubsub.c, res_rtp_asterisk.c); a fact keeps the fields and
the `LogEvent` (with its file and line) as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..sources.frame import LogEvent

PATTERNS: list[tuple[str, re.Pattern]] = [
    ("aor-not-found", re.compile(
        r"AOR '(?P<aor>[^']*)' not found for endpoint '(?P<endpoint>[^']*)'(?: \((?P<address>[^)]*)\))?")),
    ("contact-added", re.compile(
        r"Added contact '(?P<contact>[^']*)' to AOR '(?P<aor>[^']*)' with expiration of (?P<expires>\d+) seconds")),
    ("contact-removed", re.compile(r"Removed contact '(?P<contact>[^']*)' from AOR '(?P<aor>[^']*)'(?: due to (?P<reason>.*))?")),
    ("endpoint-state", re.compile(r"Endpoint (?P<endpoint>\S+) is now (?P<state>Reachable|Unreachable)")),
    ("contact-state", re.compile(r"Contact (?P<contact>\S+) is now (?P<state>Reachable|Unreachable|Unknown)")),
    ("request-failed", re.compile(
        r"Request '(?P<method>[^']*)' from '(?P<from>.*?)' failed for '(?P<address>[^']*)'"
        r"(?: \(callid: (?P<call_id>[^)]*)\))? - (?P<reason>.*)")),
    ("max-contacts", re.compile(
        r"Registration attempt from endpoint '(?P<endpoint>[^']*)' \((?P<address>[^)]*)\) to AOR '(?P<aor>[^']*)' "
        r"will exceed max contacts of (?P<max>\d+)")),
    ("publish-handler-missing", re.compile(r"No registered publish handler for event (?P<event>\S+)")),
    ("subscription-handler-missing", re.compile(r"No registered subscribe handler for event (?P<event>\S+)")),
    ("dtls-certificate", re.compile(r"(?:create_certificate_from_file|dtls)\S*:?\s.*?(?P<problem>Failed to .*)",
                                    re.IGNORECASE)),
]


@dataclass(slots=True)
class LogFact:
    kind: str
    fields: dict[str, str]
    event: LogEvent
    extra: dict = field(default_factory=dict)

    @property
    def origin(self):
        return self.event.origin


def subject(event: LogEvent) -> str:
    """What a pattern sees: 'module function: text', as Asterisk prints it.

    Some facts are only recognisable by the emitting function (res_rtp_asterisk.c's
    create_certificate_from_file says just "Failed to read private key from PEM file"), and
    readers keep module and function apart from the text.
    """
    where = " ".join(part for part in (event.module, event.function) if part)
    return f"{where}: {event.text}" if where else event.text


def extract_facts(events: list[LogEvent]) -> list[LogFact]:
    facts: list[LogFact] = []
    for event in events:
        seen = subject(event)
        for kind, pattern in PATTERNS:
            mm = pattern.search(seen)
            if mm:
                facts.append(LogFact(kind, {k: v for k, v in mm.groupdict().items() if v is not None}, event))
                break
    return facts
