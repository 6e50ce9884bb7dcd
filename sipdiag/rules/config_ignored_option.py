"""SD604 config-ignored-option: options that PJSIP does not know (chan_sip habits)."""

from __future__ import annotations

from .base import Rule, register

IGNORED = {  # (type, option) → what PJSIP uses instead
    ("endpoint", "nat"): "rewrite_contact=yes, force_rport=yes, rtp_symmetric=yes",
    ("endpoint", "host"): "an [aor] with contact= (static) or max_contacts= (registering phone)",
    ("endpoint", "secret"): "an [auth] section with password= and auth= on the endpoint",
    ("endpoint", "username"): "username= in the [auth] section",
    ("endpoint", "qualify"): "qualify_frequency= on the [aor]",
    ("endpoint", "canreinvite"): "direct_media=",
    ("endpoint", "dtmfmode"): "dtmf_mode=",
    ("endpoint", "insecure"): "an [identify] section (match=) for the trunk instead of authentication",
    ("endpoint", "defaultuser"): "from_user= / contact_user= on the endpoint",
    ("endpoint", "fromuser"): "from_user=",
    ("endpoint", "fromdomain"): "from_domain=",
    ("global", "contact_user"): "contact_user= on each endpoint (in [global] it does nothing)",
    ("aor", "qualify"): "qualify_frequency= (seconds)",
}


@register
class ConfigIgnoredOption(Rule):
    code = "SD604"
    slug = "config-ignored-option"
    severity = "warning"
    name = "pjsip.conf option that PJSIP ignores (a chan_sip habit)"
    role = "cause"

    def check(self, analysis):
        config = analysis.config
        if config is None:
            return
        for obj in config.objects:
            found = [(k, IGNORED[(obj.type, k)]) for k in obj.options if (obj.type, k) in IGNORED]
            if not found:
                continue
            names = ", ".join(f"{k}=" for k, _ in found)
            yield self.finding(
                f"[{obj.name}] type={obj.type}: {names} {'is' if len(found) == 1 else 'are'} ignored by PJSIP",
                f"Section [{obj.name}] sets {names}, {'an option' if len(found) == 1 else 'options'} of chan_sip's "
                "sip.conf that res_pjsip does not read. Asterisk loads the file without an error, so the setting "
                "looks applied but has no effect.",
                "Use the PJSIP way instead:\n" + "\n".join(f"{k}= → {instead}" for k, instead in found),
                [obj.option_origins.get(k, obj.origin) for k, _ in found],
                details={"object": obj.name, "type": obj.type, "options": [k for k, _ in found]},
            )
