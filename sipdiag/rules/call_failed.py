"""SD201 call-failed: an INVITE's final answer was >= 300 (auth challenges excluded)."""

from __future__ import annotations

from ..flow import model as m
from ..flow.flows import refuses_media, warnings_of
from .base import Rule, register
from .facts import generated_by_b2bua, legs_of

# Status → (plain cause, what to check). Statuses the user chose (busy/decline) are not faults.
CAUSES: dict[int, tuple[str, str]] = {
    403: ("the server refused the call (no permission for this destination, wrong credentials, or an ACL)",
          "check the caller's permissions/dial plan context and the trunk's allowed prefixes"),
    404: ("the called number or user does not exist where the INVITE was routed",
          "check the dialled number, the dial plan (extension exists in the context?) and the routing"),
    408: ("nobody answered the INVITE in time (timer B/C): the next hop or the callee is unreachable",
          "check that the callee is registered and reachable (NAT binding, firewall), and the routing"),
    410: ("the number is gone (no longer in service)", "check the dialled number"),
    480: ("the callee is temporarily unavailable: not registered, do-not-disturb, or not answering",
          "check that the callee's device is registered (e.g. `pjsip show contacts`) and reachable"),
    481: ("the server does not know the dialog/transaction", "look for lost or mis-routed earlier messages"),
    482: ("a routing loop was detected", "fix the routing between the proxies/PBXs involved"),
    483: ("too many hops: a routing loop", "fix the routing between the proxies/PBXs involved"),
    488: ("the callee does not accept what the INVITE carried (see the Warning header for what was refused)",
          "remove or change the refused part (a body, a header) on the sending side, or allow it on the "
          "receiving side"),
    606: ("no place accepts what the INVITE carried (see the Warning header for what was refused)",
          "remove or change the refused part on the sending side"),
    484: ("the number is incomplete (address incomplete)", "check the dialled number and the dial plan's patterns"),
    485: ("the address is ambiguous", "dial a more specific address"),
    500: ("the server had an internal error", "check the server's log at that time"),
    501: ("the server does not implement what was asked", "check features/methods used"),
    502: ("a gateway got an invalid answer from the next hop", "check the trunk/provider side"),
    504: ("a gateway timed out waiting for the next hop", "check the trunk/provider reachability"),
    603: ("the callee declined the call", "nothing to fix if the user declined"),
    604: ("the called user does not exist anywhere", "check the dialled number"),
}
USER_CHOICE = {486, 600, 603, 487}
BUSY = {486, 600}


@register
class CallFailed(Rule):
    code = "SD201"
    slug = "call-failed"
    severity = "error"
    name = "Call attempt failed with a final error response"
    role = "symptom"
    short = "call rejected"
    pbx_checks = ("pjsip set logger on", "core set verbose 5", "pjsip show endpoint {endpoint}")

    verify = (("pjsip set logger on", "the next call to the same number answered, or a final response that names the cause"),)
    next_capture = "INVITE → 100/180 → 200 OK → ACK"

    def check(self, analysis):
        for flow in analysis.flows_of("call"):
            if flow.outcome != m.REJECTED:
                continue
            msg = flow.outcome_message
            if msg is None or not msg.status:
                continue
            media_refused = msg.status in (488, 606) and refuses_media(msg)
            cause_text, check = CAUSES.get(msg.status, ("the call was rejected", "see the reason phrase and the rejecting side's log"))
            if msg.status in BUSY:
                cause_text, check = ("the callee's device rejected the call as busy", "nothing to fix in the network; "
                                     "route busy calls to voicemail if wanted")
            elif media_refused:
                cause_text, check = ("no common media format could be agreed", "see the codec-mismatch finding")
            elif msg.status == 503:
                cause_text, check = ("a server on the path is unavailable", "see the server-unavailable-503 finding")
            rejecter = analysis.hosts.get(msg.src.ip) if msg.src.ip else None
            who = rejecter.label if rejecter else str(msg.src)
            severity = "warning" if msg.status in USER_CHOICE else "error"
            reason = msg.header("Reason")
            observations = [(f"{who} answered the INVITE with {msg.start_line[8:]}.", [msg.origin])]
            legs = legs_of(analysis, flow)
            evidence_legs = []
            generated = generated_by_b2bua(analysis, flow)
            for leg in legs:
                om = leg.outcome_message
                observations.append((f"{who} called on: {leg.id}, INVITE to {leg.aor} — {leg.outcome_detail}.",
                                     [om.origin] if om is not None else []))
                if om is not None:
                    evidence_legs.append(om.origin)
            if generated:
                targets = ", ".join(dict.fromkeys(str(leg.aor) for leg in legs))
                unanswered = "got no answer" if any(leg.outcome != m.CANCELLED for leg in legs) else \
                    "was cancelled before anyone answered"
                cause_text = (f"{who} generated this {msg.status} itself: its own INVITE to {targets} {unanswered}, "
                              f"so nobody {'declined' if msg.status in (603, 600) else 'rejected'} the call — "
                              f"the question is why the callee's leg was not answered")
                check = ("find out why the callee's leg got no answer (see the no-response finding for that "
                         "INVITE): whether the callee is reachable at the address the PBX used, registered, "
                         "and not behind a NAT binding that expired")
                severity = "error"
            if reason:
                observations.append((f"Reason header: {reason}", [msg.origin]))
            warnings = warnings_of(msg)
            for code, agent, text in warnings:
                observations.append((f"Warning {code} from {agent}: \"{text}\"", [msg.origin]))
            if warnings and not media_refused and msg.status in (488, 606):
                code, _agent, text = warnings[0]
                cause_text = (f"the receiver refused something other than the media (Warning {code} \"{text}\"); "
                              f"the offered codecs are not the problem")
            yield self.finding(
                f"Call to {flow.aor} failed: {msg.start_line[8:]}",
                f"{msg.status} from {who}: {cause_text}.", check[0].upper() + check[1:] + ".",
                analysis.origins_of(msg) + evidence_legs, severity=severity, flow=flow.id,
                observations=observations, details={"status": msg.status, "rejected_by": who,
                                                    "generated_by_b2bua": generated,
                                                    "legs": [leg.id for leg in legs]},
            )
