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

    verify = (
        ("pjsip show auths", "the auth object of the endpoint with username {username}"),
        ("pjsip set logger on", "the next REGISTER with credentials answered 200 OK, no 'Failed to authenticate'"),
    )
    next_capture = "REGISTER → 401 Unauthorized → REGISTER with credentials for {username} → 200 OK"

    def check(self, analysis):
        for flow in analysis.flows:
            failures = []
            later = _LaterSuccess()
            for t in reversed(flow.transactions):  # one pass, from the end: failures come out last first
                status = t.status
                if status is None:
                    continue
                if status in (401, 407):
                    if t.has_credentials and not _stale(t.final) and not later.accepted(t.method):
                        failures.append((t, False))
                elif status == 403:
                    if t.has_credentials or flow.kind == "registration":
                        failures.append((t, True))
                elif 200 <= status < 300:
                    later.add(t)
            if failures:
                t, forbidden = failures[-1]
                yield self._finding(analysis, flow, t, forbidden, len(failures))
        yield from self._unseen_requests(analysis)

    def _unseen_requests(self, analysis):
        """A 403 to a REGISTER whose request is not in the trace (a log excerpt that starts after
        it, a capture gap): registrars answer 403 to credentials they refuse, and one REGISTER flow
        in the trace that it belongs to would have been judged above."""
        attached = {id(r) for flow in analysis.flows_of("registration") for r in flow.orphan_responses}
        seen: set[tuple] = set()
        for resp in analysis.orphan_responses:
            if resp.status != 403 or resp.cseq_method != "REGISTER" or id(resp) in attached:
                continue
            aor = resp.to.uri.aor if resp.to is not None and resp.to.uri is not None else None
            key = (aor, str(resp.dst))
            if key in seen:
                continue
            seen.add(key)
            yield self._unseen_finding(analysis, resp, aor)

    def _unseen_finding(self, analysis, resp, aor):
        user = resp.to.uri.user if resp.to is not None and resp.to.uri is not None else None
        log = facts_near(analysis, "request-failed", resp)
        verdict = resp.start_line[8:]
        observations = [(f"The registrar answered {verdict} to a REGISTER (CSeq {resp.cseq_number}) for {aor} "
                         f"from {resp.dst}; the request itself is not in the trace.", [resp.origin])]
        for f in log:
            observations.append((f"PBX log: {f.event.text}", [f.origin]))
        confirmed = any("authenticate" in f.event.text.lower() for f in log)
        cause = (f"The registrar refused the registration of {aor} with {verdict}: a registrar answers 403 to "
                 "credentials it does not accept (wrong password, an auth username that is not the account's) "
                 "or to an identity or source address it does not allow."
                 + (" The PBX log says so: 'Failed to authenticate'." if confirmed else
                    " The REGISTER is outside this excerpt, so its credentials cannot be shown; take a trace "
                    "that starts earlier to see them."))
        if is_asterisk(analysis):
            fix = (f"Check the [auth] section of the endpoint for \"{user or '?'}\": `pjsip show auths` — the "
                   "username and password must match the phone's; `pjsip show endpoint <name>` shows which "
                   "auth= it uses; after too many failures a fail2ban/ACL rule may also answer 403.")
        else:
            fix = (f"Re-enter the auth username and password for \"{user or '?'}\" on the phone, as the provider "
                   "gave them; check that the registrar allows this source address.")
        return self.finding(
            f"REGISTER for {user or aor or '?'} refused: {verdict} (its request is outside the trace)",
            cause, fix, analysis.origins_of(resp) + [f.origin for f in log],
            observations=observations,
            details={"username": user, "aor": aor, "status": resp.status, "method": "REGISTER",
                     "request_in_trace": False},
        )

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
            cause, fix, analysis.origins_of(resp) + [f.origin for f in log] + [req.origin],
            flow=flow.id, observations=observations,
            details={"username": user, "realm": realm, "status": resp.status, "method": t.method},
        )


class _LaterSuccess:
    """The 2xx transactions passed so far walking a flow back from its end (so: later in the flow).

    `accepted(method)`: was a later request of that method with credentials answered 2xx? A 2xx is
    asked for its credentials only when a rejected retry needs the answer, and once at most.
    """

    def __init__(self) -> None:
        self._unasked: dict[str, list] = {}
        self._accepted: set[str] = set()

    def add(self, t) -> None:
        self._unasked.setdefault(t.method, []).append(t)

    def accepted(self, method: str) -> bool:
        if method in self._accepted:
            return True
        unasked = self._unasked.get(method)
        while unasked:
            if unasked.pop().has_credentials:
                self._accepted.add(method)
                return True
        return False


def _stale(challenge_response) -> bool:
    """The challenge says stale=true (RFC 2617 §3.2.1): the nonce expired, the credentials were right."""
    challenge = challenge_response.challenge
    return challenge is not None and (challenge.get("stale") or "").lower() == "true"


def reason_is_policy(reason: str | None) -> bool:
    return bool(reason) and any(w in reason.lower() for w in ("acl", "not allowed", "blocked", "ip"))
