"""pjsip.conf text → `PjsipObject`s (Asterisk config syntax).

Sections are `[name]` or `[name](template, ...)` / `[name](!)` for templates; options are
`key = value` or `key => value`; `;` starts a comment (`\\;` is a literal semicolon);
`#include` lines are noted but not followed (the user gives each file). A section inherits the
options of the templates it names, in order, before its own. Several sections may share a name
with different `type=` (endpoint, aor and auth all called [10000]).
"""

from __future__ import annotations

import re

from ..sources.frame import Origin
from .model import PjsipObject

SECTION = re.compile(r"^\[([^\]]+)\]\s*(?:\(([^)]*)\))?")
OPTION = re.compile(r"^([A-Za-z0-9_.\-]+)\s*=>?\s*(.*)$")


def _strip_comment(line: str) -> str:
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if line[i] == ";":
            break
        out.append(line[i])
        i += 1
    return "".join(out).strip()


def parse_pjsip_conf(text: str, path: str) -> tuple[list[PjsipObject], list[str]]:
    """Return the typed objects and warnings (e.g. sections without type=)."""
    templates: dict[str, PjsipObject] = {}
    sections: list[tuple[PjsipObject, bool]] = []
    warnings: list[str] = []
    current: PjsipObject | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line or line.startswith("#"):
            continue
        m = SECTION.match(line)
        if m:
            name = m.group(1).strip()
            flags = [f.strip() for f in (m.group(2) or "").split(",") if f.strip()]
            current = PjsipObject(type="", name=name, origin=Origin(path, line=number))
            for template in flags:
                if template in ("!", "+"):
                    continue
                base = templates.get(template)
                if base is None:
                    warnings.append(f"{path}:{number}: section [{name}] uses unknown template {template}")
                    continue
                current.options.update(base.options)
                current.option_origins.update(base.option_origins)
            sections.append((current, "!" in flags))
            if "!" in flags:
                templates[name] = current
            continue
        m = OPTION.match(line)
        if m and current is not None:
            key, value = m.group(1).strip().lower(), m.group(2).strip()
            current.options[key] = value
            current.option_origins[key] = Origin(path, line=number)
    objects = []
    for obj, is_template in sections:
        if is_template:
            continue
        obj.type = obj.options.get("type", "").lower()
        if not obj.type:
            warnings.append(f"{obj.origin}: section [{obj.name}] has no type= (ignored by res_pjsip)")
            continue
        objects.append(obj)
    return objects, warnings


def looks_like_pjsip_conf(text: str) -> bool:
    return bool(re.search(r"(?im)^\s*type\s*=\s*(endpoint|aor|auth|transport|identify)\s*(;.*)?$", text)) and \
        bool(re.search(r"(?m)^\s*\[[^\]]+\]", text))
