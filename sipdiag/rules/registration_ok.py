"""SD103 registration-ok: a REGISTER was accepted (healthy outcome)."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register


@register
class RegistrationOk(Rule):
    code = "SD103"
    slug = "registration-ok"
    severity = "info"
    name = "Registration accepted"
    role = "outcome"

    verify = (("pjsip show contacts", "the phone's contact, Status Avail"),)
    next_capture = "REGISTER → 401 → REGISTER with credentials → 200 OK again at every refresh, before the expiry runs out"

    def check(self, analysis):
        for flow in analysis.flows_of("registration"):
            if flow.outcome not in (m.REGISTERED, m.UNREGISTERED):
                continue
            msg = flow.outcome_message
            bindings = [c.raw for c in msg.contacts]
            expires = [c.params.get("expires") for c in msg.contacts if c.params.get("expires")]
            what = "un-registered cleanly" if flow.outcome == m.UNREGISTERED else "registered"
            yield self.finding(
                f"{flow.aor} {what} ({flow.outcome_detail})",
                f"The registrar accepted the REGISTER; {len(bindings)} binding{'' if len(bindings) == 1 else 's'} in the 200 OK"
                + (f", expires {', '.join(expires)} s" if expires else "") + ".",
                "Nothing to fix.",
                analysis.origins_of(msg), flow=flow.id,
                details={"bindings": bindings, "aor": flow.aor},
            )
