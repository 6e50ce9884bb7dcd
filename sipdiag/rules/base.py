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
from typing import Iterator

from ..flow.model import Analysis
from ..sources.frame import Origin

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
DOC_HEADINGS = ("What it detects", "Why calls break", "Example", "Fix")


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

    def check(self, analysis: Analysis) -> Iterator[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

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
        )

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation (Markdown)."""
        return resources.files("sipdiag.rules").joinpath("docs", f"{cls.slug}.md").read_text(encoding="utf-8")


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
