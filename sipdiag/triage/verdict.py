"""An event's verdict: the one finding that says what went wrong, or `ok`.

Issue 13 (one root-cause finding per analysis, decided in `rules/`) has not landed. Until it
does, the verdict is exactly what `sipdiag analyze` leads with today: the report's main finding
(`report.viewmodel.main_finding`: the first error, else the first warning). When the rules
layer names the root cause itself, only `verdict_of` changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..flow.model import Analysis
from ..report.viewmodel import OK_OUTCOMES, main_finding
from ..rules.base import Finding


@dataclass(frozen=True)
class Verdict:
    """What went wrong in one event, in one line."""

    slug: str
    """The rule's slug (`aor-not-found`), or `ok` when nothing is wrong."""
    code: str
    """The rule's code (`SD101`); empty for `ok`."""
    severity: str
    """error, warning or ok."""
    title: str
    """The finding's one-line title, or a sentence saying what worked."""


def verdict_of(analysis: Analysis, findings: list[Finding]) -> Verdict:
    """The verdict of one analysed event: the finding `analyze` shows first, else `ok`.

    This is the only place that chooses it; when issue 13's root-cause verdict lands, this
    function asks the rules for it instead of taking the report's main finding.
    """
    main = main_finding(findings)
    if main is not None:
        return Verdict(main.slug, main.code, main.severity, main.title)
    ok = sum(1 for f in analysis.flows if f.outcome in OK_OUTCOMES)
    if not analysis.messages:
        title = "No SIP messages found"
    elif analysis.flows:
        title = f"No errors or warnings: {ok} of {len(analysis.flows)} flow{'s' if len(analysis.flows) != 1 else ''} OK"
    else:
        title = "No errors or warnings"
    return Verdict("ok", "", "ok", title)
