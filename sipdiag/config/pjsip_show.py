"""`pjsip show endpoint(s)/aors/auths/contacts` CLI output → `PjsipObject`s.

The listings have fixed shapes: `Endpoint:  <name> <state> ...`, `Aor:  <name> <max>`,
`Auth:  <id>/<username>` (or `InAuth:` under an endpoint), `Contact:  <aor>/<uri> ...`, and
`pjsip show endpoint X` adds a ` name : value` parameter table for that endpoint. Header rows
(`<Endpoint/CID....>`) and `Objects found:` lines are skipped.
"""

from __future__ import annotations

import re

from ..sources.frame import Origin
from .model import PjsipObject

LISTING = re.compile(r"^\s*(Endpoint|Aor|Auth|InAuth|OutAuth|Contact|Transport|Identify):\s+(\S+)", re.M)
PARAM = re.compile(r"^\s([a-z0-9_]+)\s+:\s?(.*)$")
COMMAND = re.compile(r"pjsip show (endpoint|endpoints|aors|aor|auths|auth|contacts|contact)\b\s*(\S*)")


def parse_pjsip_show(text: str, path: str):
    """Return (objects, contacts) found in CLI output."""
    objects: list[PjsipObject] = []
    contacts: list[tuple[str, str, Origin]] = []
    seen_contacts: dict[tuple[str, str], int] = {}
    detailed: PjsipObject | None = None
    for number, line in enumerate(text.splitlines(), 1):
        origin = Origin(path, line=number)
        cmd = COMMAND.search(line)
        if cmd:
            detailed = None
            if cmd.group(1) == "endpoint" and cmd.group(2):
                detailed = PjsipObject("endpoint", cmd.group(2), origin)
                objects.append(detailed)
            continue
        m = LISTING.match(line)
        if m:
            kind, value = m.group(1), m.group(2)
            if value.startswith("<"):
                continue  # column header
            if kind == "Contact":
                # one contact appears in 'show endpoint', 'show aors' and 'show contacts', its URI cut
                # to each listing's column width; the hash column says it is the same contact
                aor, _, uri = value.partition("/")
                rest = line[m.end():].split()
                key = (aor, rest[0] if rest else uri)
                if key in seen_contacts:
                    i = seen_contacts[key]
                    if len(uri) > len(contacts[i][1]):
                        contacts[i] = (aor, uri, contacts[i][2])
                else:
                    seen_contacts[key] = len(contacts)
                    contacts.append((aor, uri, origin))
            elif kind in ("Auth", "InAuth", "OutAuth"):
                name, _, username = value.partition("/")
                auth = PjsipObject("auth", name, origin, {"username": username} if username else {})
                objects.append(auth)
            elif kind == "Endpoint":
                if detailed is None or detailed.name != value:
                    objects.append(PjsipObject("endpoint", value, origin))
            else:
                objects.append(PjsipObject(kind.lower(), value, origin))
            continue
        p = PARAM.match(line)
        if p and detailed is not None:
            detailed.options[p.group(1)] = p.group(2).strip()
            detailed.option_origins[p.group(1)] = origin
    return objects, contacts


def looks_like_pjsip_show(text: str) -> bool:
    return bool(COMMAND.search(text)) and bool(LISTING.search(text) or "No objects found" in text)
