"""SD208 call-forked: a proxy sent one INVITE to several contacts; which branch took the call."""

from __future__ import annotations

from ..flow import forks as fk
from .base import Rule, register

FATE_WORDS = {fk.ANSWERED: "answered", fk.CANCELLED: "cancelled", fk.REJECTED: "rejected",
              fk.UNANSWERED: "never answered"}


@register
class CallForked(Rule):
    code = "SD208"
    slug = "call-forked"
    severity = "info"
    name = "INVITE forked to several contacts: which one answered, which were cancelled"
    role = "outcome"
    short = "forked call"

    def check(self, analysis):
        for fork in analysis.index.forks:
            yield self._finding(analysis, fork)

    def _finding(self, analysis, fork):
        proxy = analysis.hosts.get(fork.proxy)
        who = proxy.label if proxy is not None else fork.proxy
        observations, evidence = [], []
        for t in fork.branches:
            fate = fork.fate[id(t)]
            final = t.final
            where = f"{t.request.request_uri} at {t.server}"
            if fate == fk.ANSWERED:
                text = f"{where} answered {final.start_line[8:]}" + _registered_as(analysis, t)
            elif fate == fk.CANCELLED:
                text = f"{where} was cancelled" + (f" ({final.start_line[8:]})" if final is not None else "")
            elif fate == fk.REJECTED:
                text = f"{where} rejected it with {final.start_line[8:]}"
            else:
                provisional = bool(t.provisional)
                text = (f"{where} never answered ({len(t.requests)} copies sent"
                        + ("" if provisional else "; no provisional response, so it could not be cancelled, "
                           "RFC 3261 §9.1") + ")")
            origins = [t.request.origin] + ([final.origin] if final is not None else [])
            observations.append((text + ".", origins))
            evidence.extend(origins)
        answered = fork.answered
        target = fork.flow.aor or "the callee"
        counts = {}
        for t in fork.branches:
            counts[fork.fate[id(t)]] = counts.get(fork.fate[id(t)], 0) + 1
        tally = ", ".join(f"{n} {FATE_WORDS[f]}" for f, n in counts.items())
        if answered:
            winner = answered[0]
            title = (f"Call to {target} forked by {who} to {len(fork.branches)} contacts: "
                     f"{winner.request.request_uri} answered")
            lead = (f"{who} rang {len(fork.branches)} contacts at once for one INVITE (RFC 3261 §16.7 parallel "
                    f"forking): {tally}. The call went to {winner.request.request_uri} at {winner.server}"
                    + _registered_as(analysis, winner) + ".")
        else:
            title = f"Call to {target} forked by {who} to {len(fork.branches)} contacts: none answered"
            lead = (f"{who} rang {len(fork.branches)} contacts at once for one INVITE (RFC 3261 §16.7 parallel "
                    f"forking): {tally}; no branch took the call.")
        unanswered = [t for t in fork.branches if fork.fate[id(t)] == fk.UNANSWERED]
        if unanswered and answered:
            lead += (" A branch that never answered while another took the call is a contact that is "
                     "registered but unreachable (switched off, stale binding, lost NAT mapping): the call "
                     "worked, that contact would not have rung.")
        return self.finding(
            title, lead,
            "Nothing to fix for the call. For a branch that never answered, check that contact's registration "
            "and reachability (e.g. `pjsip show contacts`, Kamailio `kamctl ul show`).",
            evidence, flow=fork.flow.id,
            details={"proxy": fork.proxy, "branches": [
                {"uri": t.request.request_uri, "destination": str(t.server), "fate": fork.fate[id(t)],
                 "status": t.status} for t in fork.branches]},
        )


def _registered_as(analysis, t) -> str:
    """' (registered as sip:202@tenant-b.example)' when a registration in the trace has that contact."""
    ruri = t.request.ruri
    if ruri is None or not ruri.user:
        return ""
    for flow in analysis.index.registered.get(ruri.user, ()):
        final = flow.outcome_message
        for c in (final.contacts if final is not None else []):
            if c.uri is not None and c.uri.bare_host == ruri.bare_host and (c.uri.port or 5060) == (ruri.port or 5060):
                return f" (registered as {flow.aor})"
    return ""
