"""SD207 request-failed: SUBSCRIBE, PUBLISH, NOTIFY, MESSAGE, OPTIONS... answered with an error.

A warning, except an unsolicited NOTIFY (no SUBSCRIBE in its dialog) refused with 481, which is
informational: the phone just did not ask for it (typically MWI message-summary).
"""

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
    ("NOTIFY", 481): ("the phone does not know the subscription this NOTIFY belongs to (it lost it, e.g. "
                      "after a restart, while the notifier kept it)",
                      "let the phone SUBSCRIBE again (re-register/restart it) or remove the stale "
                      "subscription on the notifier; for MWI, let the phone SUBSCRIBE to message-summary, "
                      "or configure the PBX for unsolicited MWI that the phone accepts"),
    ("SUBSCRIBE", 480): ("the subscription target is not reachable right now (not registered)",
                         "check that the watched user is registered"),
}


@register
class RequestFailed(Rule):
    code = "SD207"
    slug = "request-failed"
    severity = "warning"
    name = "Non-call request answered with an error (SUBSCRIBE, PUBLISH, NOTIFY, MESSAGE, ...)"
    role = "symptom"
    short = "request rejected"

    def check(self, analysis):
        for flow in analysis.flows:
            if flow.kind in ("call", "registration") or flow.outcome != m.REJECTED:
                continue
            msg = flow.outcome_message
            if msg.status == 403 and any(t.has_credentials and t.final is msg for t in flow.transactions):
                continue  # credentials refused: auth-failed says it
            method = msg.cseq_method
            cause, fix = EXPLAIN.get((method, msg.status), (
                f"the other side refused the {method}", "see the reason phrase and the other side's log"))
            severity = None
            if _unsolicited_notify_refused(flow, msg):
                event = _event_of(flow)
                severity = "info"
                cause = (f"the NOTIFY (Event: {event or '?'}) was unsolicited: no SUBSCRIBE created a subscription "
                         f"in this trace, and the phone, which never subscribed, rejects it" +
                         (" (message-waiting indication, RFC 3842)" if event == "message-summary" else ""))
            yield self.finding(
                f"{method} to {flow.aor} answered {msg.start_line[8:]}",
                f"{msg.start_line[8:]}: {cause}. This does not affect registration or calls by itself.",
                fix[0].upper() + fix[1:] + ".",
                analysis.origins_of(msg), flow=flow.id, severity=severity,
                details={"method": method, "status": msg.status},
            )


def _event_of(flow) -> str | None:
    for t in flow.transactions:
        event = t.request.header("Event")
        if event:
            return event.split(";")[0].strip().lower()
    return None


def _unsolicited_notify_refused(flow, msg) -> bool:
    """A NOTIFY answered 481 in a flow no SUBSCRIBE started: an unsolicited NOTIFY (e.g. MWI).

    RFC 6665 §4.1.3: a NOTIFY that matches no subscription gets 481. A NOTIFY of a subscription
    is sent inside the dialog the SUBSCRIBE created, so its To carries a tag; one without a To tag
    and without a SUBSCRIBE in the trace was sent unasked (Asterisk's unsolicited MWI). The
    phone's refusal then only means it wants no such NOTIFYs, nothing about calls or
    registration. A 481 to an in-dialog NOTIFY (subscription older than the capture) stays a
    warning: the subscriber lost a subscription the notifier still has.
    """
    if msg.cseq_method != "NOTIFY" or msg.status != 481:
        return False
    if any(t.method == "SUBSCRIBE" for t in flow.transactions):
        return False
    notify = next((t.request for t in flow.transactions if t.final is msg), None)
    return notify is not None and not (notify.to and notify.to.tag)
