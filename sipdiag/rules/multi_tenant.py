"""SD302 multi-tenant-ambiguity: one user registered under several domains + an IP-literal request."""

from __future__ import annotations

from .base import Rule, register
from .ip_in_request_uri import _bindings, _forwarded_copy, ip_literal_requests


@register
class MultiTenantAmbiguity(Rule):
    code = "SD302"
    slug = "multi-tenant-ambiguity"
    severity = "error"
    name = "Same user in several domains, reached by an IP-literal request: wrong tenant possible"
    role = "cause"
    short = "ambiguous user across tenants"
    explains = {"ip-in-request-uri": "same-user", "call-failed": "same-user", "request-failed": "same-user"}

    def check(self, analysis):
        seen: set[str] = set()  # users judged: reported, or registered under fewer than two domains
        for msg in ip_literal_requests(analysis):
            ruri = msg.ruri
            if ruri.user in seen:
                continue
            seen.add(ruri.user)
            bindings = _bindings(analysis, ruri.user)
            domains = sorted({aor.split("@", 1)[1] for aor, _s, _o in bindings if "@" in aor})
            if len(domains) < 2:
                continue
            delivered = []
            other = _forwarded_copy(analysis, msg)
            if other is not None:
                for aor, source, _origin in bindings:
                    if other.dst.ip == source.ip and other.dst.port == source.port:
                        delivered.append((aor, other))
            observations = [(f"{aor} registered from {source}", [origin]) for aor, source, origin in bindings]
            evidence = [msg.origin] + [o for _a, _s, o in bindings]
            if delivered:
                aor, other = delivered[0]
                observations.append((f"The {msg.method} for {msg.request_uri} was delivered to {aor}'s device "
                                     f"({other.dst}).", [other.origin]))
                evidence.append(other.origin)
            who = f"delivered to {delivered[0][0]}" if delivered else "its destination is ambiguous"
            yield self.finding(
                f"User {ruri.user} exists in {len(domains)} domains; {msg.method} {msg.request_uri} was {who}",
                f"User {ruri.user} is registered under {', '.join(domains)}. A request that names only "
                f"user@IP ({msg.request_uri}) carries no domain, so the proxy can only look up the "
                f"username and takes whichever registration it finds first — the call, OPTIONS or NOTIFY "
                f"may reach the wrong customer's phone.",
                "Do a domain-aware lookup: map the sending PBX (source IP, or a trunk parameter/header) to "
                "its tenant domain and look up sip:user@that-domain; or make the PBX send sip:user@domain. "
                "Never use a wildcard username-only lookup in a multi-tenant proxy.",
                evidence, observations=observations, details={"user": ruri.user, "domains": domains},
            )
