"""SD102 auth-failed: credentials rejected (403, or a new 401/407 after credentials)."""

from __future__ import annotations

from .base import Rule, register
from .facts import facts_near, is_asterisk


@register
class AuthFailed(Rule):
    code = "SD102"
    slug = "auth-failed"
    severity = "error"
    name = "Credentials rejected: 403, or challenged again after sending credentials"
    role = "cause"
    short = "authentication rejected"
    pbx_checks = ("pjsip show endpoint {endpoint}", "pjsip show auths", "pjsip set logger on")
    explains = {
        "registration-failed": "same-flow",
        "request-failed": "same-flow",
        "call-failed": "same-flow",
    }

    def check(self, analysis):
        for flow in analysis.flows:
            failures = []
            last_ok: dict[str, int] = {}  # method → index of its last 2xx to a request with credentials
            for i, t in enumerate(flow.transactions):
                if t.status and 200 <= t.status < 300 and t.has_credentials:
                    last_ok[t.method] = i
            for i, t in enumerate(flow.transactions):
                final = t.final
                if final is None:
                    continue
                stale = final.challenge is not None and (final.challenge.get("stale") or "").lower() == "true"
                later_ok = last_ok.get(t.method, -1) > i
                rejected_again = t.is_challenge and t.has_credentials and not stale and not later_ok
                forbidden = t.status == 403 and (t.has_credentials or flow.kind == "registration")
                if rejected_again or forbidden:
                    failures.append((t, forbidden))
            if failures:
                t, forbidden = failures[0]
                yield self._finding(analysis, flow, t, forbidden, len(failures))

    def _finding(self, analysis, flow, t, forbidden, attempts):
        req, resp = t.request, t.final
        creds = req.authorization
        user = creds.get("username") if creds else None
        realm = creds.get("realm") if creds else None
        log = facts_near(analysis, "request-failed", resp)
        observations = []
        if creds is not None:
            observations.append((f"{t.method} carried credentials: username \"{user}\", realm \"{realm}\".",
                                 [req.origin]))
        verdict = resp.start_line[8:]
        observations.append((f"The server answered {verdict}" + (" again" if not forbidden else "") + ".",
                             [resp.origin]))
        for f in log:
            observations.append((f"PBX log: {f.event.text}", [f.origin]))
        if forbidden and reason_is_policy(resp.reason):
            cause = (f"The server refused the {t.method} with {verdict}. With credentials present this is "
                     "usually a wrong password, an auth username that does not match the account, or an "
                     "ACL/identify rule refusing the source address.")
        else:
            cause = (f"The credentials for username \"{user}\" (realm \"{realm}\") were not accepted: "
                     + ("403 Forbidden after digest authentication" if forbidden else
                        f"the server challenged again ({resp.status}) instead of accepting them")
                     + ". Typical causes: wrong password, auth username differs from the configured one "
                     "(e.g. extension number vs. account id), or the realm/domain the phone uses is wrong.")
        if is_asterisk(analysis):
            fix = (f"Check the [auth] section used by the endpoint: `pjsip show auths` — username must be "
                   f"\"{user}\" and the password must match the phone's. `pjsip show endpoint <name>` shows "
                   f"which auth= it uses. The NOTICE line 'Request ... failed for ... - Failed to authenticate' "
                   f"in the Asterisk log confirms a wrong password; 'No matching endpoint found' means the "
                   f"From user/identify match is wrong.")
        else:
            fix = (f"Re-enter the password for \"{user}\" on the phone and the server; make sure the auth "
                   f"username and the domain/realm \"{realm}\" are the ones the provider gave.")
        if attempts > 1:
            observations.append((f"{attempts} attempts in this flow were rejected the same way.", [resp.origin]))
        return self.finding(
            f"{t.method} credentials rejected for \"{user or '?'}\": {verdict}"
            + (f" ({attempts} attempts)" if attempts > 1 else ""),
            cause, fix, [resp.origin] + list(resp.also_seen) + [f.origin for f in log] + [req.origin],
            flow=flow.id, observations=observations,
            details={"username": user, "realm": realm, "status": resp.status, "method": t.method},
        )


def reason_is_policy(reason: str | None) -> bool:
    return bool(reason) and any(w in reason.lower() for w in ("acl", "not allowed", "blocked", "ip"))
