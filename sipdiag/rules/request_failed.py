"""SD207 request-failed: SUBSCRIBE, PUBLISH, NOTIFY, MESSAGE, OPTIONS... answered with an error."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register

EXPLAIN: dict[tuple[str | None, int], tuple[str, str]] = {
    ("SUBSCRIBE", 489): ("the server does not support the event package the phone subscribes to "
                         "(e.g. 'presence' on a PBX without presence support)",
                         "disable that subscription (BLF/presence) on the phone, or enable the event package "
                         "on the server (Asterisk: res_pjsip_pubsub and a matching hint)"),
    ("PUBLISH", 489): ("the server has no handler for the published event (Asterisk: 'No registered "
                       "publish handler for event presence')",
                       "turn off presence publishing on the phone, or load the PUBLISH handler on the server"),
    ("SUBSCRIBE", 404): ("the subscribed resource does not exist (no mailbox for MWI, no hint for BLF)",
                         "create the mailbox/hint, or remove the subscription from the phone"),
    ("NOTIFY", 481): ("the phone never subscribed (or forgot the subscription), so it rejects an "
                      "unsolicited NOTIFY (typically MWI message-summary)",
                      "let the phone SUBSCRIBE to message-summary, or configure the PBX for unsolicited MWI "
                      "that the phone accepts"),
    ("SUBSCRIBE", 480): ("the subscription target is not reachable right now (not registered)",
                         "check that the watched user is registered"),
}


@register
class RequestFailed(Rule):
    code = "SD207"
    slug = "request-failed"
    severity = "warning"
    name = "Non-call request answered with an error (SUBSCRIBE, PUBLISH, NOTIFY, MESSAGE, ...)"

    def check(self, analysis):
        for flow in analysis.flows:
            if flow.kind in ("call", "registration") or flow.outcome != m.REQUEST_FAILED:
                continue
            msg = flow.outcome_message
            if msg.status == 403 and any(t.has_credentials and t.final is msg for t in flow.transactions):
                continue  # credentials refused: auth-failed says it
            method = msg.cseq_method
            cause, fix = EXPLAIN.get((method, msg.status), (
                f"the other side refused the {method}", "see the reason phrase and the other side's log"))
            yield self.finding(
                f"{method} to {flow.aor} answered {msg.start_line[8:]}",
                f"{msg.start_line[8:]}: {cause}. This does not affect registration or calls by itself.",
                fix[0].upper() + fix[1:] + ".",
                [msg.origin] + list(msg.also_seen), flow=flow.id,
                details={"method": method, "status": msg.status},
            )
