"""PBX configuration inputs (Asterisk pjsip.conf, `pjsip show …` output) → `PbxConfig`.

Config files are optional inputs to `sipdiag analyze`, next to captures and logs: with them,
rules can say which section and line to change. `read_config(path)` returns the objects of a
config file, or None when the file is not one (it is then read as a trace).
"""

from __future__ import annotations

import os
import re

from ..errors import InputError
from ..sources import label
from .model import PbxConfig, PjsipObject
from .pjsip_conf import looks_like_pjsip_conf, parse_pjsip_conf
from .pjsip_show import looks_like_pjsip_show, parse_pjsip_show

__all__ = ["PbxConfig", "PjsipObject", "read_config", "read_config_data"]

MAX_CONFIG = 4 << 20
INCLUDE = re.compile(r"(?m)^\s*#(?:try)?include\b")


def read_config(path: str, config: PbxConfig) -> list[str] | None:
    """Add the objects of `path` to `config` and return warnings; None if it is no config file.

    Only regular files can be config: standard input (`-`), pipes and devices are left unread
    for `sources.open_input`, which reads them once."""
    if path == "-" or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CONFIG + 1)
    except OSError:
        return None  # open_input reports unreadable files with the right message
    return read_config_data(path, data, config)


def read_config_data(path: str, data: bytes, config: PbxConfig) -> list[str] | None:
    """`read_config` for content already in memory (an archive member), shown as `path`."""
    if len(data) > MAX_CONFIG or b"\x00" in data[:4096]:
        return None
    text = data.decode("utf-8", "replace")
    name = label(path)  # findings and reports name the file printably
    lines = len(text.splitlines())
    if "<--- " in text or "SIP/2.0" in text:
        return None  # a trace (the console capture has CLI prompts too)
    if looks_like_pjsip_show(text):
        objects, contacts = parse_pjsip_show(text, name)
        config.objects.extend(objects)
        config.contacts.extend(contacts)
        config.sources.append(name)
        config.lines[name] = lines
        return []
    if looks_like_pjsip_conf(text):
        objects, warnings = parse_pjsip_conf(text, name)
        if not objects:
            raise InputError(name, "looks like pjsip.conf but has no section with a type=")
        config.objects.extend(objects)
        config.sources.append(name)
        config.lines[name] = lines
        if not INCLUDE.search(text):
            config.whole_files.append(name)
        return warnings
    return None
