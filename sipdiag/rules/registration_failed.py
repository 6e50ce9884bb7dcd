"""SD104 registration-failed: REGISTER ended in another failure (no 404/403/auth loop)."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register

HINTS = {
    423: "the requested Expires is shorter than the registrar's minimum (Min-Expires); raise the "
         "registration interval on the phone to at least the Min-Expires value",
    480: "the registrar (or the proxy in front of it) is temporarily unavailable",
    482: "a loop was detected: the REGISTER came back to a proxy it already passed",
    483: "too many hops: Max-Forwards reached 0, usually a routing loop",
    488: "the registrar does not accept this request as sent",
    500: "the registrar had an internal error; look at its log at that time",
    503: "the registrar is overloaded or has no backend; check that the service behind it is up",
}


def _named_elsewhere(flow) -> bool:
    """A rejection another rule names: credentials refused (auth-failed: 403, or challenged again
    after credentials) or no AOR after a successful digest (aor-not-found: 404 with credentials)."""
    status = flow.final_status
    return status == 403 or status in (401, 407) or (status == 404 and flow.credentials)


@register
class RegistrationFailed(Rule):
    code = "SD104"
    slug = "registration-failed"
    severity = "error"
    name = "REGISTER rejected with a final error response"
    role = "symptom"
    short = "registration rejected"
    pbx_checks = ("pjsip show endpoint {endpoint}", "pjsip show aors", "pjsip set logger on")

    def check(self, analysis):
        for flow in analysis.flows_of("registration"):
            if not (flow.outcome == m.CHALLENGE_UNANSWERED or (flow.outcome == m.REJECTED and not _named_elsewhere(flow))):
                continue
            msg = flow.outcome_message
            if flow.outcome == m.CHALLENGE_UNANSWERED:
                cause = ("The registrar asked for credentials but the phone never sent a REGISTER with an "
                         "Authorization header: no password is configured on the phone, or it gave up.")
                fix = "Configure the account's auth username and password on the phone."
            else:
                hint = HINTS.get(msg.status, "see the reason phrase and the registrar's log")
                cause = f"The registrar answered {msg.start_line[8:]}: {hint}."
                fix = ("Fix what the status says on the registrar or the phone, then re-register; "
                       "the registrar's log at the time of the response gives the detail.")
            yield self.finding(
                f"Registration of {flow.aor} failed: {flow.outcome_detail}", cause, fix,
                analysis.origins_of(msg), flow=flow.id,
                details={"status": msg.status, "aor": flow.aor},
            )
