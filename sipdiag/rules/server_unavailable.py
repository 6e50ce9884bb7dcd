"""SD205 server-unavailable-503: a server on the path answered 503 Service Unavailable."""

from __future__ import annotations

from .base import Rule, register


@register
class ServerUnavailable(Rule):
    code = "SD205"
    slug = "server-unavailable-503"
    severity = "error"
    name = "503 Service Unavailable from a server on the path"
    role = "cause"
    short = "server unavailable (503)"
    explains = {
        "call-failed": "same-call",
        "registration-failed": "same-flow",
        "request-failed": "same-flow",
        "no-response": "same-flow",
    }

    def check(self, analysis):
        for flow in analysis.flows:
            for t in flow.transactions:
                if t.status != 503:
                    continue
                msg = t.final
                retry = msg.header("Retry-After")
                host = analysis.hosts.get(msg.src.ip) if msg.src.ip else None
                who = host.label if host else str(msg.src)
                yield self.finding(
                    f"{t.method} answered 503 by {who}",
                    f"{who} is overloaded, in maintenance, or has no working next hop (e.g. a proxy whose "
                    "dispatcher targets are all down, an SBC whose trunk is down, Asterisk when the "
                    "channel/codec is unavailable)" + (f"; it asked to retry after {retry} s" if retry else "") + ".",
                    "Check the health of that server and of the servers it routes to; for proxies, the "
                    "dispatcher/load-balancer target states; for trunks, the provider status.",
                    analysis.origins_of(msg), flow=flow.id, details={"method": t.method},
                )
                break
