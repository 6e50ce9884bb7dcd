"""SD301 ip-in-request-uri: a request to a proxy/SBC whose Request-URI host is an IP literal."""

from __future__ import annotations

from .base import Highlight, Rule, register
from .memo import shared

ROUTERS = ("proxy/sbc",)


def ip_literal_requests(analysis) -> list:
    """Requests outside a dialog whose Request-URI is user@IP, in trace order.

    In a dialog the remote target is a Contact, where IPs are normal. One pass per analysis,
    shared by SD301 and SD302: read only.
    """
    return shared(analysis, _ip_literal_requests)


def _ip_literal_requests(analysis) -> list:
    out = []
    for msg in analysis.messages:
        if not msg.is_request:
            continue
        ruri = msg.ruri
        if ruri is None or not ruri.host_is_ip or not ruri.user:
            continue
        if not msg.facts.to_tag:  # outside a dialog
            out.append(msg)
    return out


def _forwarded_copy(analysis, msg):
    """The next copy of the same request sent on by the proxy it was sent to."""
    return analysis.index.next_copy(msg, msg.dst.ip)


def _final_for(analysis, request):
    t = analysis.index.transaction_of.get(request.seq)
    return t.final if t is not None else None


@register
class IpInRequestUri(Rule):
    code = "SD301"
    slug = "ip-in-request-uri"
    severity = "warning"
    name = "Request-URI names an IP address instead of a user@domain"
    role = "cause"
    short = "IP in Request-URI"
    explains = {"call-failed": "same-flow", "request-failed": "same-flow", "no-response": "same-flow"}

    verify = ()
    next_capture = "requests to the proxy addressed to sip:user@domain (or the registered contact), answered by the phone that registered it"

    def check(self, analysis):
        groups: dict[tuple, list] = {}
        for msg in ip_literal_requests(analysis):
            if msg.method in ("ACK", "CANCEL", "BYE", "PRACK", "UPDATE"):
                continue
            ruri = msg.ruri
            dst = analysis.hosts.get(msg.dst.ip) if msg.dst.ip else None
            if dst is None or dst.role not in ROUTERS or ruri.bare_host == msg.dst.ip:
                continue
            groups.setdefault((msg.src.ip, msg.dst.ip), []).append(msg)
        for (src_ip, dst_ip), msgs in groups.items():
            yield self._finding(analysis, src_ip, dst_ip, msgs)

    def highlight(self, analysis, finding, msg):
        if msg.is_request and msg.ruri is not None and msg.ruri.host_is_ip:
            return [Highlight(msg.origin, 0, "IP address where user@domain belongs", "problem")]
        return []

    def _finding(self, analysis, src_ip, dst_ip, msgs):
        sender = analysis.hosts.get(src_ip)
        proxy = analysis.hosts.get(dst_ip)
        methods = sorted({m.method for m in msgs})
        first = msgs[0]
        user = first.ruri.user
        observations, evidence = [], []
        bindings = _bindings(analysis, user)
        for msg in msgs:
            copy = _forwarded_copy(analysis, msg)
            line = f"{msg.method} {msg.request_uri} from {sender.label if sender else src_ip}"
            ev = [msg.origin]
            if copy is not None:
                final = _final_for(analysis, copy)
                line += (f" → forwarded by the proxy as {copy.request_uri} to {copy.dst}"
                         + (f", answered {final.start_line[8:]}" if final is not None else ", no answer seen"))
                ev.append(copy.origin)
                if final is not None:
                    ev.append(final.origin)
            else:
                final = _final_for(analysis, msg)
                line += f" → {'answered ' + final.start_line[8:] if final is not None else 'not forwarded in the trace'}"
                if final is not None:
                    ev.append(final.origin)
            observations.append((line, ev))
            evidence.extend(ev)
        for aor, source, origin in bindings:
            port_note = ""
            ruri_port = first.ruri.port or 5060
            if source.port and source.port != ruri_port:
                port_note = f" (Request-URI port {ruri_port} ≠ binding port {source.port})"
            observations.append((f"{aor} is registered from {source}{port_note}.", [origin]))
        domains = sorted({a.split("@", 1)[1] for a, _s, _o in bindings if "@" in a})
        tenants = (f" {user} is registered under {len(domains)} domains ({', '.join(domains)}), so a "
                   "username-only lookup may pick the wrong tenant." if len(domains) > 1 else
                   " If the same user exists under another domain (multi-tenant), a username-only lookup "
                   "can deliver it to the wrong customer.")
        cause = (
            f"{sender.label if sender else src_ip} sends {', '.join(methods)} to the proxy/SBC "
            f"{proxy.label if proxy else dst_ip} with an IP address in the Request-URI "
            f"({first.request_uri}) instead of user@domain. The proxy cannot do a normal location lookup "
            f"(an AOR is user@domain, not user@IP), and the IP:port in the URI may be a private or stale "
            f"address of the phone, not its current NAT binding. It only works if the proxy maps the "
            f"request to the right registration some other way." + tenants
        )
        fix = (
            "Make the PBX address requests to the user's AOR or to its registered contact through the proxy "
            "(Asterisk behind an SBC: register the phones' AORs with the SBC as outbound_proxy/Path so "
            "Asterisk targets sip:user@domain; or send to the contact the SBC gave). On the proxy, do not "
            "route IP-literal Request-URIs by username alone: derive the tenant domain from the sending "
            "PBX (source IP → domain map) and do a domain-specific lookup "
            "(OpenSIPS/Kamailio: lookup(\"location\", \"uri\", \"sip:user@tenant-domain\")), and forward to "
            "the registered contact, not to the IP:port in the Request-URI."
        )
        return self.finding(
            f"{', '.join(methods)} to the proxy with an IP literal in the Request-URI ({first.request_uri})",
            cause, fix, evidence, observations=observations,
            details={"user": user, "methods": methods, "sender": src_ip, "proxy": dst_ip, "domains": domains},
        )


def _bindings(analysis, user):
    """(aor, observed source, origin) of successful registrations of `user` in any domain."""
    out = []
    for flow in analysis.index.registered.get(user, ()):
        req = flow.transactions[-1].request
        out.append((flow.aor, req.src, flow.outcome_message.origin))
    return out
