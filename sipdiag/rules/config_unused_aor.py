"""SD602 config-unused-aor: an [aor] section that no endpoint lists in aors=."""

from __future__ import annotations

from .base import Rule, register


@register
class ConfigUnusedAor(Rule):
    code = "SD602"
    slug = "config-unused-aor"
    severity = "warning"
    name = "An AOR that no endpoint uses (aors=)"
    role = "cause"

    def check(self, analysis):
        config = analysis.config
        if config is None or not config.is_whole:
            return
        used = {name for ep in config.of_type("endpoint") for name in ep.values("aors")}
        for aor in config.of_type("aor"):
            if aor.name in used or aor.options.get("contact"):
                continue  # a static contact= AOR may be used by a dial string without an endpoint
            endpoint = config.get("endpoint", aor.name)
            hint = (f" Endpoint [{aor.name}] exists but lists aors={endpoint.options.get('aors', '')}."
                    if endpoint is not None else "")
            yield self.finding(
                f"AOR [{aor.name}] is not in any endpoint's aors=",
                f"The AOR [{aor.name}] exists, but no endpoint lists it in aors=, so no phone can register "
                f"to it and calls to PJSIP/{aor.name} find no contact.{hint}",
                (f"[{aor.name}]\ntype=endpoint\naors={aor.name}\n\nAdd the AOR to the endpoint that should use it "
                 "(the To user of the phone's REGISTER must be the AOR's name), or delete the AOR."),
                [aor.origin] + ([endpoint.option_origins.get("aors", endpoint.origin)] if endpoint is not None else []),
                details={"aor": aor.name, "endpoint": endpoint.name if endpoint is not None else None},
            )
