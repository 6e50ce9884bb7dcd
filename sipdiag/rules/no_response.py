"""SD401 no-response: a request retransmitted (or left) with no final response."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


@register
class NoResponse(Rule):
    code = "SD401"
    slug = "no-response"
    severity = "error"
    name = "Request got no final response (timeout)"
    role = "symptom"
    explains = {"call-failed": "same-call"}
    """The caller's call failed because the PBX's own INVITE to the callee went unanswered."""
    short = "no response"

    verify = (("pjsip show contacts", "the destination's contact Avail, qualify RTT shown"),)
    next_capture = "the request answered by {destination}, without retransmissions"

    def check(self, analysis):
        groups: dict[tuple, list] = {}
        flow_of = analysis.index.flow_of_transaction
        for t in analysis.transactions:
            if t.method == "ACK" or t.final is not None:
                continue
            flow = flow_of(t)
            timed_out = t.request_retransmissions > 0 or (flow is not None and flow.outcome == m.NO_RESPONSE
                                                          and flow.outcome_message in t.requests)
            if not timed_out:
                continue
            groups.setdefault((t.method, str(t.request.dst)), []).append(t)
        for (method, dst), ts in groups.items():
            first = ts[0]
            dst_ip = first.request.dst.ip
            host = analysis.hosts.get(dst_ip) if dst_ip else None
            silent = host is not None and host.sent == 0
            provisional = any(t.provisional for t in ts)
            advertised_private = dst in analysis.index.advertised
            reasons = []
            if advertised_private:
                reasons.append(f"{dst} is an address a device advertises in Contact/Via, not where it is "
                               "reachable from outside (private address behind NAT)")
            if silent:
                reasons.append(f"the capture shows no packet at all from {dst_ip}: it is down, unreachable, "
                               "filtered by a firewall, or the capture missed that direction")
            if provisional:
                reasons.append("a provisional response came, so the request arrived, but no final answer followed")
            if not reasons:
                reasons.append("the destination did not answer: wrong address/port, firewall, or a lost NAT "
                               "binding")
            flow = flow_of(first)
            copies = sum(len(t.requests) for t in ts)
            forks = [analysis.index.fork_of.get(id(t)) for t in ts]
            # a forked branch nobody answered while another branch took the call: the call worked
            other_answered = all(f is not None and f.answered for f in forks)
            severity = None
            if other_answered:
                severity = "warning"
                reasons.insert(0, "it is one branch of a forked INVITE and another branch answered the call, "
                                  "so the call worked; this contact would not have rung")
            yield self.finding(
                f"{method} to {dst}: no {'final ' if provisional else ''}response "
                f"({plural(len(ts), 'transaction')}, {plural(copies, 'copy', 'copies')} sent)"
                + (" — a forked branch; another branch answered" if other_answered else ""),
                f"{plural(len(ts), method + ' request')} to {dst} {'was' if len(ts) == 1 else 'were'} sent "
                f"{plural(copies, 'time')} in all without a final "
                f"response (RFC 3261 timer B/F expiry). Likely: " + "; ".join(reasons) + ".",
                "Check reachability of " + dst + " (ping/route/firewall on UDP/TCP 5060 or the port in use), "
                "that the target is registered at that address, and NAT keep-alives; if the address is a "
                "private Contact, fix NAT handling on the server (see nat-private-contact).",
                [first.requests[0].origin, first.requests[-1].origin], flow=flow.id if flow else None,
                severity=severity,
                details={"method": method, "destination": dst, "copies": copies},
            )
