"""An event's verdict row: the root cause `analyze` leads with (rules/verdict.py), or `ok`.

The choice itself is made by `rules.verdict.decide`, the same call behind the terminal's first
panel, the HTML title and JSON's `verdict`; this module only flattens the leading verdict into
the few columns a triage row holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..flow.model import Analysis
from ..rules.base import Finding
from ..rules.verdict import OK_SLUG, decide


@dataclass(frozen=True)
class Verdict:
    """What went wrong in one event, in one line."""

    slug: str
    """The root-cause rule's slug (`aor-not-found`), or `ok` when nothing is wrong."""
    code: str
    """The rule's code (`SD101`); empty for `ok`."""
    severity: str
    """error, warning (the worst in the cause's chain), or ok."""
    title: str
    """The verdict's title ("aor-not-found × 215 AORs (e.g. …)" on a busy capture), or what worked."""


def verdict_of(analysis: Analysis, findings: list[Finding], verdicts: list | None = None) -> Verdict:
    """The leading verdict of one analysed event, as `sipdiag analyze` shows it first
    (`verdicts`: `decide`'s answer when the caller has it already)."""
    lead = (verdicts if verdicts is not None else decide(analysis, findings))[0]
    if lead.slug == OK_SLUG:
        return Verdict(OK_SLUG, "", "ok", lead.title)
    return Verdict(lead.slug, lead.code or "", lead.severity, lead.title)
