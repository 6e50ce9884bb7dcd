"""The rule registry, `Finding`, and the contract every rule follows.

A rule is a class with a stable `code` (never reused), a `slug` (the JSON name), a default
`severity`, a one-line `name`, and `check(analysis)` yielding findings. It sees the flow
model only (`Analysis`), never files. Its documentation lives in `docs/<slug>.md` with the
headings "What it detects", "Why calls break", "Example", "Fix"; a test fails when a rule
lacks docs or test cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Iterator

from ..flow.model import Analysis
from ..sources.frame import Origin

if TYPE_CHECKING:
    from ..sip.message import SipMessage

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
DOC_HEADINGS = ("What it detects", "Why calls break", "Example", "Fix")
LESSONS_HEADING = "What we learned"
"""Optional doc section: the lessons of this root cause (Case 01's "What we learned"), one bullet each."""


@dataclass(frozen=True)
class Highlight:
    """A decisive line of a message a finding cites: which message, which line, what it shows."""

    origin: Origin
    line: int
    """Index of the line in the message text (`SipMessage.text_lines()`; 0 is the start line)."""
    note: str = ""
    """What the line shows, e.g. "advertised address; the packets come from 203.0.113.5:5062"."""
    tone: str = "fact"
    """'problem' (the line that is wrong), 'refusal' (a failure or challenge status) or 'fact'."""

    def to_json(self) -> dict:
        return {"evidence": self.origin.to_json(), "line": self.line, "note": self.note, "tone": self.tone}


@dataclass(frozen=True)
class ConfigEdit:
    """One change a fix asks of the PBX configuration: set `option` of object [`section`] (of
    `type`) to `value`. An empty `section` means the endpoint the fix is about."""

    type: str
    section: str
    option: str
    value: str
    note: str = ""
    """Why, in a few words (shown beside the changed line)."""


@dataclass
class Finding:
    """One conclusion with its evidence: what is wrong (or fine), why, and what to do."""

    code: str
    slug: str
    severity: str
    title: str
    """One line for this instance, e.g. "REGISTER for 10000 rejected with 404 after digest auth"."""
    cause: str
    """The root cause in plain words."""
    fix: str
    """What to change; may be several lines (e.g. pjsip.conf sections)."""
    evidence: list[Origin]
    """Frames or log lines that show it, most telling first."""
    flow: str | None = None
    observations: list[tuple[str, list[Origin]]] = field(default_factory=list)
    """Diagnosis bullets: (observation, its evidence)."""
    details: dict = field(default_factory=dict)
    """Structured facts for reports (names seen in the trace, addresses, counts)."""
    short: str = ""
    """The cause in a few words, for titles and tables ("AOR not found")."""
    checks: list[str] = field(default_factory=list)
    """Commands that confirm the finding on the PBX (Case 01's "CLI tools used"), when it is one."""
    key_messages: list[Origin] = field(default_factory=list)
    """The messages a reader should see, in order (set for the findings a verdict leads with)."""
    highlights: list[Highlight] = field(default_factory=list)
    """The decisive lines of the key messages."""
    config_edits: list[ConfigEdit] = field(default_factory=list)
    """The configuration changes the fix asks for (the corrected pjsip.conf is built from them)."""
    verify: list[tuple[str, str]] = field(default_factory=list)
    """After the fix: (command to run, what it must show)."""
    next_capture: str = ""
    """After the fix: what the next capture must show."""
    lessons: list[str] = field(default_factory=list)
    """What this root cause teaches (the rule doc's "What we learned")."""
    corrected_config: list = field(default_factory=list)
    """The configuration sections the fix involves, corrected (config_fix.FixSection); from the user's
    pjsip.conf when given (`config_example` False), else an example built from the trace."""
    config_example: bool = False
    phone_product: str = ""
    phone_settings: list[str] = field(default_factory=list)
    """When the fix involves a phone behind NAT: the phone-side settings (phone_settings.py)."""

    @property
    def rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, len(SEVERITIES))

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "slug": self.slug,
            "severity": self.severity,
            "title": self.title,
            "cause": self.cause,
            "fix": self.fix,
            "flow": self.flow,
            "evidence": [o.to_json() for o in self.evidence],
            "observations": [
                {"text": text, "evidence": [o.to_json() for o in origins]} for text, origins in self.observations
            ],
            "details": self.details,
            "short": self.short,
            "checks": self.checks,
            "key_messages": [o.to_json() for o in self.key_messages],
            "highlights": [h.to_json() for h in self.highlights],
            "config_edits": [{"type": e.type, "section": e.section, "option": e.option, "value": e.value,
                              "note": e.note} for e in self.config_edits],
            "verify": [{"command": c, "expect": x} for c, x in self.verify],
            "next_capture": self.next_capture,
            "lessons": self.lessons,
        }


class Rule:
    """Base class; subclasses set the class attributes and implement `check`."""

    code: str = ""
    slug: str = ""
    severity: str = "info"
    name: str = ""
    role: str = "cause"
    """What its findings are in a diagnosis: 'cause', 'symptom', 'outcome', 'capture' or 'internal'
    (see verdict.py)."""
    explains: dict[str, str] = {}
    """Slugs of the rules whose findings this rule's findings account for → the link that must hold
    ('same-flow', 'same-address', 'same-user'); the verdict puts those findings under this one."""

    short: str = ""
    """The cause in a few words ("AOR not found"); the slug in words when empty."""
    pbx_checks: tuple[str, ...] = ()
    """Asterisk CLI commands that confirm a finding ({endpoint} is filled in from its details)."""
    fix_marker: str = ""
    """A word that only this rule's fix contains (e.g. `rewrite_contact`): when it is set, the fix
    travels with the fix of any other root cause about the same flow or user, unless that fix
    already contains the marker (the NAT settings belong in every corrected endpoint)."""

    verify: tuple[tuple[str, str], ...] = ()
    """After the fix, on the PBX: (command, what it must show); {placeholders} come from the
    finding's details (endpoint, aor_user, auth_username, ...)."""
    next_capture: str = ""
    """After the fix: what the next capture must show ({placeholders} as for `verify`)."""

    def check(self, analysis: Analysis) -> Iterator[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    def edits(self, analysis: Analysis, finding: Finding) -> list[ConfigEdit]:
        """The configuration changes `finding`'s fix asks for (none for most rules)."""
        return []

    def highlight(self, analysis: Analysis, finding: Finding, msg: "SipMessage") -> list[Highlight]:
        """This rule's own decisive lines in one of `finding`'s key messages (beyond the generic
        ones rules/evidence.py marks in every message: credentials, challenges, NAT addresses)."""
        return []

    def finding(self, title: str, cause: str, fix: str, evidence: list[Origin], *, severity: str | None = None,
                flow: str | None = None, observations=None, details=None) -> Finding:
        return Finding(
            code=self.code,
            slug=self.slug,
            severity=severity or self.severity,
            title=title,
            cause=cause,
            fix=fix,
            evidence=_dedupe(evidence),
            flow=flow,
            observations=observations or [],
            details=details or {},
            short=self.short or self.slug.replace("-", " "),
        )

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation (Markdown)."""
        return resources.files("sipdiag.rules").joinpath("docs", f"{cls.slug}.md").read_text(encoding="utf-8")

    @classmethod
    def lessons(cls) -> list[str]:
        """The bullets of the doc's "What we learned" section (none when it has no such section)."""
        out: list[str] = []
        inside = False
        for line in cls.doc().splitlines():
            if line.startswith("## "):
                inside = line[3:].strip() == LESSONS_HEADING
                continue
            if not inside:
                continue
            if line.startswith(("- ", "* ")):
                out.append(line[2:].strip())
            elif line.startswith("  ") and out:
                out[-1] += " " + line.strip()
        return out


def _dedupe(origins: list[Origin]) -> list[Origin]:
    seen: set[Origin] = set()
    out = []
    for o in origins:
        if o is not None and o not in seen:
            seen.add(o)
            out.append(o)
    return out


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry; codes and slugs must be unique."""
    for other in REGISTRY.values():
        if other.code == cls.code or other.slug == cls.slug:
            raise ValueError(f"rule {cls.__name__} reuses code/slug of {other.__name__}")
    if cls.severity not in SEVERITIES:
        raise ValueError(f"rule {cls.__name__} has unknown severity {cls.severity}")
    REGISTRY[cls.code] = cls
    return cls
