"""SD202 user-busy: the callee answered 486 Busy Here / 600 Busy Everywhere.

Not when a B2BUA generated the busy itself because the calls it placed got no answer (Asterisk
answers 486 after its Dial() to an unreachable phone): nobody was busy, and call-failed says
why the callee's leg went unanswered."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register
from .facts import generated_by_b2bua


@register
class UserBusy(Rule):
    code = "SD202"
    slug = "user-busy"
    severity = "info"
    name = "Callee busy or rejected the call (486/600)"
    role = "outcome"
    short = "user busy"
    explains = {"call-failed": "same-call"}

    verify = (("core show channels", "no channel left over from the rejected call"),)
    next_capture = "the same 486 when the callee is busy; callers routed to voicemail if the dial plan handles BUSY"

    def check(self, analysis):
        for flow in analysis.flows_of("call"):
            if flow.outcome != m.REJECTED or flow.final_status not in (486, 600) or \
                    generated_by_b2bua(analysis, flow):
                continue
            msg = flow.outcome_message
            ringing = any(r.status == 180 for t in flow.transactions for r in t.responses)
            yield self.finding(
                f"{flow.aor} was busy / rejected the call ({msg.start_line[8:]})",
                "The called device itself answered " + msg.start_line[8:]
                + (" after ringing" if ringing else "")
                + ": the user rejected the call or the line was busy. Signalling and routing worked.",
                "No network fix needed. If callers should reach voicemail instead, handle 486 in the dial "
                "plan (e.g. Asterisk: check DIALSTATUS=BUSY and send to VoiceMail).",
                analysis.origins_of(msg), flow=flow.id, details={"status": msg.status},
            )
