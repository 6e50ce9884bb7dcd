"""SD101 aor-not-found: 404 to a REGISTER that passed digest authentication."""

from __future__ import annotations

from ..flow import model as m
from .base import ConfigEdit, Rule, register
from .facts import facts_near, is_asterisk, nat_view


@register
class AorNotFound(Rule):
    code = "SD101"
    slug = "aor-not-found"
    severity = "error"
    name = "REGISTER authenticated, then 404: the registrar has no AOR for it"
    role = "cause"
    short = "AOR not found"
    pbx_checks = ("pjsip show endpoint {endpoint}", "pjsip show aors", "pjsip show auths", "pjsip show contacts")
    explains = {
        "registration-failed": "same-flow",
        "request-failed": "same-flow",
        "call-failed": "same-user",
        "no-response": "same-user",
        "config-dangling-reference": "same-user",
        "config-unused-aor": "same-user",
    }

    verify = (
        ("pjsip show endpoint {endpoint}", "Aor: {aor_user} listed under the endpoint (and InAuth: {auth_username})"),
        ("pjsip show aors", "an AOR named {aor_user}"),
        ("pjsip show contacts", "after the phone re-registers: Contact: {aor_user}/sip:{aor_user}@… Avail"),
    )
    next_capture = ("REGISTER → 401 Unauthorized → REGISTER with credentials for {auth_username} → 200 OK "
                    "that lists the phone's Contact with an expires value: the binding is stored")

    def edits(self, analysis, finding):
        details = finding.details if isinstance(finding.details, dict) else {}
        user = details.get("aor_user")
        if not user:
            return []
        out = [ConfigEdit("endpoint", "", "aors", str(user), "the AOR of the registering user")]
        if details.get("behind_nat"):
            out += [ConfigEdit("endpoint", "", option, value, "the phone is behind NAT") for option, value in
                    (("rewrite_contact", "yes"), ("force_rport", "yes"), ("rtp_symmetric", "yes"),
                     ("direct_media", "no"))]
        config = analysis.config
        if config is None or not hasattr(config, "get") or config.get("aor", str(user)) is None:
            out.append(ConfigEdit("aor", str(user), "max_contacts", "1", "the AOR the endpoint needs"))
        return out

    def check(self, analysis):
        for flow in analysis.flows_of("registration"):
            for i, t in enumerate(flow.transactions):
                if t.status != 404 or not t.has_credentials:
                    continue
                yield self._finding(analysis, flow, flow.transactions[:i], t)

    def _finding(self, analysis, flow, earlier, t):
        req, resp = t.request, t.final
        to_user = req.to.uri.user if req.to and req.to.uri else None
        domain = req.to.uri.host if req.to and req.to.uri else None
        creds = req.authorization
        auth_user = creds.get("username") if creds else None
        realm = creds.get("realm") if creds else None
        challenge = next((x for x in reversed(earlier) if x.is_challenge and x.final is not None), None)
        log = [f for f in facts_near(analysis, "aor-not-found", resp) or facts_near(analysis, "aor-not-found", req)]
        endpoint = log[0].fields.get("endpoint") if log else None
        aor_in_log = log[0].fields.get("aor") if log else None
        asterisk = is_asterisk(analysis) or bool(log)
        name = endpoint or auth_user or to_user or "<user>"
        user = to_user or auth_user or "<user>"
        server = analysis.hosts.get(resp.src.ip) if resp.src.ip else None
        server_label = server.user_agents[0] if server and server.user_agents else str(resp.src)

        observations = []
        if challenge is not None:
            observations.append((
                f"The first REGISTER was challenged ({challenge.final.start_line[8:]}, realm "
                f"\"{challenge.final.challenge.get('realm') if challenge.final.challenge else '?'}\"); "
                f"the phone answered with credentials for username \"{auth_user}\".",
                [challenge.final.origin, req.origin]))
        observations.append((
            f"The authenticated REGISTER (To user {user}) got {resp.start_line[8:]} — not 401/403, so the "
            f"password was accepted: authentication succeeded.", analysis.origins_of(resp)))
        if log:
            observations.append((
                f"{server_label} logged: {log[0].event.text}", [f.origin for f in log]))
            if aor_in_log == "":
                observations.append((
                    f"AOR '' (empty) means the To user \"{user}\" is not one of the names in endpoint "
                    f"'{name}' aors= list, so no AOR could be chosen for the binding.", [log[0].origin]))
        no_contact = resp.header("Contact") is None
        if no_contact:
            observations.append(("The 404 carries no Contact: no binding was stored.", [resp.origin]))
        nat = nat_view(analysis, req, flow)
        if nat is not None and nat.contact_ip_differs:
            observations.append((
                f"The phone is behind NAT: it advertises Contact {nat.contact} but its packets come from "
                f"{nat.seen}. Once the AOR is fixed this needs NAT handling on the endpoint too.", [req.origin]))

        config_cause, config_fix, config_obs = _from_config(analysis.config, user, endpoint, auth_user)
        observations += config_obs
        if config_cause:
            asterisk = True
        if asterisk:
            cause = (
                f"Authentication passed, but Asterisk's registrar found no AOR for the registration. In PJSIP "
                f"the To-URI user of a REGISTER (\"{user}\") must be the name of an [aor] section listed in "
                f"the endpoint's aors= option. Endpoint '{name}' either lists an AOR name that does not exist "
                f"or does not list \"{user}\""
                + (" (log: AOR '' not found for endpoint '" + name + "')" if log else "")
                + ", so Asterisk answers 404 Not Found even though the credentials are right."
            )
            nat_lines = ""
            if nat is not None and nat.contact_ip_differs:
                nat_lines = ("\n; the phone is behind NAT (Contact " + (nat.contact or "?") + ", seen from "
                             + nat.seen + "):\nrewrite_contact=yes\nforce_rport=yes\nrtp_symmetric=yes\n"
                             "direct_media=no")
            fix = (
                f"In pjsip.conf make the endpoint point at an AOR named like the registering user, and make "
                f"sure that AOR exists:\n\n[{name}]\ntype=endpoint\naors={user}\nauth={auth_user or name}"
                f"{nat_lines}\n\n[{user}]\ntype=aor\nmax_contacts=1\n\n"
                f"Then `pjsip reload` and check `pjsip show endpoint {name}`: it must list `Aor: {user}`; "
                f"after the phone re-registers, `pjsip show contacts` shows its contact."
            )
            if config_cause:
                cause += " " + config_cause
                fix = config_fix + "\n\n" + fix
        else:
            cause = (
                f"Authentication passed (the 404 came after the REGISTER with digest credentials for "
                f"\"{auth_user}\"), but the registrar does not know the address-of-record "
                f"{user}@{domain}: the user/AOR is not provisioned for that domain, or the phone "
                f"registers to the wrong domain."
            )
            fix = (
                f"Provision the AOR {user}@{domain} on the registrar (location/subscriber table), or set the "
                f"phone's domain/registrar to the one where {user} exists. The auth username "
                f"\"{auth_user}\" and the AOR user \"{user}\" must both match the account."
            )
        evidence = analysis.origins_of(resp) + [f.origin for f in log] + [req.origin]
        evidence += [o for _text, origins in config_obs for o in origins]
        return self.finding(
            f"REGISTER for {user} rejected with 404 Not Found after successful digest authentication",
            cause, fix, evidence, flow=flow.id, observations=observations,
            details={"aor_user": user, "domain": domain, "auth_username": auth_user, "realm": realm,
                     "endpoint": name, "log_aor": aor_in_log, "asterisk": asterisk,
                     "server": server_label, "outcome": flow.outcome,
                     "behind_nat": bool(nat is not None and nat.contact_ip_differs)},
        )


def _from_config(config, user, endpoint_name, auth_user):
    """With pjsip.conf or `pjsip show` output: name the dangling aors= value and the line."""
    if config is None:
        return "", "", []
    ep = config.endpoint_for(endpoint_name, auth_user, user)
    if ep is None:
        return "", "", []
    aors = ep.values("aors")
    existing = config.names("aor")
    where = ep.option_origins.get("aors", ep.origin)
    dangling = [a for a in aors if a not in existing]
    observations = [(f"Endpoint [{ep.name}] has aors={','.join(aors) or '(empty)'}; the configured AORs are "
                     f"{', '.join(existing) or 'none'}.", [where])]
    unused = [a for a in existing if not any(a in e.values("aors") for e in config.of_type("endpoint"))]
    parts = []
    if dangling:
        parts.append(f"The configuration confirms it: endpoint [{ep.name}] lists aors={','.join(dangling)}, but no "
                     f"[aor] section of that name exists")
    if user not in aors:
        parts.append(f"the registering user \"{user}\" is not in its aors= list")
    if user in existing and user in unused:
        parts.append(f"an AOR named [{user}] exists but no endpoint uses it")
        observations.append((f"AOR [{user}] exists but no endpoint lists it in aors=.",
                             [config.get("aor", user).origin]))
    if not parts:
        return "", "", observations
    cause = "; ".join(parts) + "."
    fix = (f"Change line {where.line} of {where.source}: in [{ep.name}] (type=endpoint) set aors={user}"
           + (f" (it says aors={','.join(aors)})" if aors else "") + ".")
    return cause[0].upper() + cause[1:], fix, observations
