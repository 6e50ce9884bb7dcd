"""SD402 retransmissions: requests or responses sent more than once before being answered."""

from __future__ import annotations

from .base import Rule, register


@register
class Retransmissions(Rule):
    code = "SD402"
    slug = "retransmissions"
    severity = "info"
    name = "SIP retransmissions (packet loss, slow or unreachable peer)"
    role = "symptom"
    short = "retransmissions"

    def check(self, analysis):
        answered, responses = [], []
        for t in analysis.transactions:
            if len(t.requests) > 1 and t.final is not None and t.request_retransmissions:
                answered.append(t)
            if _may_repeat_a_response(t) and t.response_retransmissions:
                responses.append(t)
        if not answered and not responses:
            return
        req_n = sum(t.request_retransmissions for t in answered)
        resp_n = sum(t.response_retransmissions for t in responses)
        worst = max(answered, key=lambda t: t.request_retransmissions, default=None)
        evidence = []
        if worst is not None:
            evidence = [worst.requests[0].origin, worst.requests[1].origin]
        elif responses:
            evidence = [responses[0].responses[-1].origin]
        severity = "warning" if (worst is not None and worst.request_retransmissions >= 2) else "info"
        yield self.finding(
            f"{req_n} request and {resp_n} response retransmission(s)",
            f"{len(answered)} transaction(s) needed request retransmissions before an answer"
            + (f" (up to {worst.request_retransmissions} for {worst.method} to {worst.request.dst})" if worst else "")
            + f", and {len(responses)} saw a response repeated (an ACK or PRACK was late or lost). Occasional "
            "retransmissions are normal on UDP; many mean packet loss or a slow peer.",
            "If frequent: check packet loss and latency on the path, the peer's load, and consider SIP over TCP.",
            evidence, severity=severity, details={"request_retransmissions": req_n, "response_retransmissions": resp_n},
        )


def _may_repeat_a_response(t) -> bool:
    """A response sent again repeats its status: without two responses of one status, none is."""
    responses = t.responses
    return len(responses) > 1 and len({r.status for r in responses}) < len(responses)
