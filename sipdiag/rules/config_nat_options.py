"""SD603 config-nat-options: endpoints on a NAT-facing transport without the NAT options."""

from __future__ import annotations

from .base import Rule, register

NAT_OPTIONS = {"rewrite_contact": "yes", "force_rport": "yes", "rtp_symmetric": "yes"}
"""What an endpoint behind NAT needs (Asterisk wiki, "Configuring res_pjsip to work through NAT")."""


@register
class ConfigNatOptions(Rule):
    code = "SD603"
    slug = "config-nat-options"
    severity = "warning"
    name = "Endpoint on a transport with local_net lacks rewrite_contact/force_rport/rtp_symmetric"
    role = "cause"
    explains = {"nat-private-contact": "same-user", "contact-port-mismatch": "same-user"}

    def check(self, analysis):
        config = analysis.config
        if config is None:
            return
        nat_transports = {t.name for t in config.of_type("transport") if t.options.get("local_net")}
        if not nat_transports:
            return
        single = len(config.of_type("transport")) == 1
        for ep in config.of_type("endpoint"):
            transport = ep.options.get("transport")
            if transport not in nat_transports and not (transport is None and single):
                continue
            missing = [k for k, v in NAT_OPTIONS.items() if ep.options.get(k, "no").lower() not in ("yes", "true", "1")]
            if not missing:
                continue
            yield self.finding(
                f"Endpoint [{ep.name}] lacks {', '.join(missing)} (its transport has local_net)",
                f"The transport {transport or '(the only one)'} declares local_net=, so Asterisk expects peers "
                f"outside that network, often phones behind NAT. Endpoint [{ep.name}] does not set "
                f"{', '.join(f'{k}=yes' for k in missing)}: a phone behind NAT registers its private Contact, "
                "and calls and qualify OPTIONS to it go to an address that cannot be reached (one-way or no audio, "
                "calls that never ring).",
                f"[{ep.name}]\ntype=endpoint\n" + "".join(f"{k}=yes\n" for k in missing)
                + "direct_media=no\n\nSkip this for an endpoint that is never behind NAT (a trunk on a fixed "
                  "public address).",
                [ep.origin], details={"endpoint": ep.name, "missing": missing, "transport": transport},
            )
