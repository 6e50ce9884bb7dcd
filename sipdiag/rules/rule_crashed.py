"""SD900 rule-crashed: a rule raised an exception; the other rules still ran."""

from __future__ import annotations

from .base import Rule, register


@register
class RuleCrashed(Rule):
    code = "SD900"
    slug = "rule-crashed"
    severity = "warning"
    name = "Internal: a rule failed on this trace (the others still ran)"
    role = "internal"

    def check(self, analysis):
        return iter(())

    def crashed(self, rule: type[Rule], exc: BaseException):
        return self.finding(
            f"Rule {rule.code} {rule.slug} failed on this trace: {type(exc).__name__}: {exc}",
            "This is a bug in sipdiag, not in your network. The other rules ran normally; this rule's "
            "conclusion is missing from the report.",
            "Please report it with the trace (use --redact) and `sipdiag --debug analyze ...` output.",
            [], details={"rule": rule.code, "error": f"{type(exc).__name__}: {exc}"},
        )
