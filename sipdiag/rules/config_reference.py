"""SD601 config-dangling-reference: a pjsip.conf option names an object that does not exist."""

from __future__ import annotations

from .base import Rule, register

REFERENCES = (  # (object type, option, type it names)
    ("endpoint", "aors", "aor"),
    ("endpoint", "auth", "auth"),
    ("endpoint", "outbound_auth", "auth"),
    ("endpoint", "transport", "transport"),
    ("registration", "outbound_auth", "auth"),
    ("registration", "transport", "transport"),
    ("identify", "endpoint", "endpoint"),
)


@register
class ConfigDanglingReference(Rule):
    code = "SD601"
    slug = "config-dangling-reference"
    severity = "error"
    name = "pjsip.conf names an aor/auth/transport/endpoint section that does not exist"
    role = "cause"
    explains = {"config-unused-aor": "same-user"}

    def check(self, analysis):
        config = analysis.config
        if config is None or not config.is_whole:
            return
        for kind, option, target in REFERENCES:
            existing = set(config.names(target))
            for obj in config.of_type(kind):
                missing = [v for v in obj.values(option) if v not in existing]
                if not missing:
                    continue
                where = obj.option_origins.get(option, obj.origin)
                same_name = obj.name if obj.name in existing else None
                listed = ", ".join(sorted(existing)) or "none"
                fix = (f"[{obj.name}]\ntype={kind}\n{option}={same_name}" if same_name else
                       f"[{missing[0]}]\ntype={target}")
                fix = (f"Point {option}= at a [{target}] section that exists, or add the missing section:\n\n{fix}\n\n"
                       "Then `core reload` (a `pjsip reload` does not always drop the stale object) and check "
                       f"`pjsip show {kind} {obj.name}`" + (f" lists `{target.capitalize()}: {same_name}`."
                                                            if same_name else "."))
                yield self.finding(
                    f"[{obj.name}] type={kind}: {option}={','.join(missing)} names no type={target} section",
                    f"The {kind} [{obj.name}] lists {option}={obj.options.get(option, '')}, but no "
                    f"type={target} section is called {', '.join(missing)} (the {target} sections are: {listed}). "
                    "Asterisk loads this without a warning; the reference is simply empty at run time"
                    + (" — a REGISTER for it gets 404 Not Found after a successful digest authentication."
                       if target == "aor" else "."),
                    fix, [where, obj.origin],
                    details={"object": obj.name, "type": kind, "option": option, "missing": missing,
                             "endpoint": obj.name if kind == "endpoint" else None},
                )
