"""Rules: `Analysis` → `Finding`s. One rule per module, a registry keyed by stable codes.

`run_rules(analysis)` runs every registered rule; a rule that raises becomes an SD900
finding naming it, and the others still run. Findings come back sorted: errors first, then
warnings, then info, each in trace order.
"""

from __future__ import annotations

from ..errors import SipdiagError
from ..flow.model import Analysis
from . import (  # noqa: F401  (importing registers the rules)
    aor_not_found,
    auth_failed,
    call_cancelled,
    call_failed,
    call_forked,
    call_ok,
    codec_mismatch,
    config_ignored_option,
    config_nat_options,
    config_reference,
    config_unused_aor,
    contact_port_mismatch,
    ip_fragmented,
    ip_in_request_uri,
    malformed_sip,
    multi_tenant,
    nat_binding_expired,
    nat_private_contact,
    no_response,
    one_sided_capture,
    pbx_log_error,
    registration_failed,
    registration_ok,
    request_failed,
    retransmissions,
    rule_crashed,
    sdp_private_media,
    server_unavailable,
    tcp_segmented,
    user_busy,
)
from .base import REGISTRY, SEVERITIES, Finding, Rule

__all__ = ["REGISTRY", "SEVERITIES", "Finding", "Rule", "run_rules", "rule_by_name"]


def rule_by_name(name: str) -> type[Rule] | None:
    """Look a rule up by code (SD101) or slug (aor-not-found), case-insensitively."""
    low = name.strip().lower()
    for rule in REGISTRY.values():
        if rule.code.lower() == low or rule.slug == low:
            return rule
    return None


def run_rules(analysis: Analysis, only: list[type[Rule]] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    crash = rule_crashed.RuleCrashed()
    for rule_cls in only or list(REGISTRY.values()):
        try:
            findings.extend(rule_cls().check(analysis))
        except SipdiagError:
            raise  # the input itself (a capture that changed while read again): not the rule's fault
        except Exception as exc:  # noqa: BLE001 - a broken rule must not sink the report
            findings.append(crash.crashed(rule_cls, exc))
    position = {}
    for f in findings:
        first = f.evidence[0] if f.evidence else None
        position[id(f)] = (first.frame or first.line or 0) if first else 0
    findings.sort(key=lambda f: (f.rank, position[id(f)]))
    return findings
