"""Secrets from the input, never shown in full: every output shortens them, redacted or not.

A digest `response=`, `nonce=`, `cnonce=`, `nextnonce=` or `rspauth=` (RFC 3261 §22.4, RFC 2617
§3.2) and a `password=`, `secret=` or `md5_cred=` value (pjsip.conf `[auth]`, chan_sip's
`sip.conf`, a pasted provisioning file), or a Basic credential, keep their first characters, so
that two of them can still be told apart, and end in "…": `response="1274…"`, `password=supe…`.
Four characters for a value of 12 or more, a third of a shorter one. A value that was already
shortened (ends in "…") or redacted is left as it is, so shortening twice changes nothing. A
value cut short by a label that was cut to fit (an opening quote with no closing one) is
shortened too.

`shorten` is the text form; `shorten_tree` applies it to every string of a JSON document or
a view model (dataclasses, lists, tuples, dicts) in place, and shortens whole values kept
under a secret's name (`{"nonce": "…"}`).
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from typing import Any

DIGEST_NAMES = ("response", "nonce", "cnonce", "nextnonce", "rspauth")
PASSWORD_NAMES = ("password", "passwd", "secret", "md5_cred", "auth_token", "api_key")
SECRET_NAMES = DIGEST_NAMES + PASSWORD_NAMES
_VALUE = r'("[^"\n]*"?|[^\s,;&>"\]]+)'
SECRET = re.compile(r'(?i)(?<![\w-])(' + "|".join(DIGEST_NAMES) + r')(\s*=\s*)' + _VALUE
                    + r'|(?<![\w-])(' + "|".join(PASSWORD_NAMES) + r')(\s*[=:][ \t]*)' + _VALUE)
"""A digest parameter (name=value only: "response: 404" in prose is no secret) or a password-like
setting (name=value or name: value, as in pjsip.conf, sip.conf, YAML)."""
BASIC = re.compile(r"(?i)(?<![\w-])(Basic\s+)([A-Za-z0-9+/]{8,}={0,2})")
ELLIPSIS = "…"
_HINTS = SECRET_NAMES + ("basic",)
"""The names SECRET and BASIC look for: a text without any of them has nothing to shorten."""
_KEPT = ("[redacted]", "")


def shortened(value: str) -> str:
    """`value` with only its first characters kept: 4 of 12 or more, a third of a shorter one."""
    if value.endswith(ELLIPSIS) or value in _KEPT:
        return value
    return value[: 4 if len(value) >= 12 else len(value) // 3] + ELLIPSIS


def _secret(m: re.Match) -> str:
    name, sep, value = m.group(1, 2, 3) if m.group(1) is not None else m.group(4, 5, 6)
    if value.startswith('"'):
        closed = len(value) > 1 and value.endswith('"')
        inner = value[1:-1] if closed else value[1:]
        return f'{name}{sep}"{shortened(inner)}{chr(34) if closed else ""}'
    return f"{name}{sep}{shortened(value)}"


def shorten(text: str) -> str:
    """`text` with every secret value in it shortened."""
    if not text or not isinstance(text, str):
        return text
    if len(text) < 5:
        return text  # shorter than any name that comes before a secret
    low = text.lower()
    for name in _HINTS:
        if name in low:
            break
    else:
        return text  # the common case, at the cost of one scan per name
    text = SECRET.sub(_secret, text)
    return BASIC.sub(lambda m: m.group(1) + shortened(m.group(2)), text)


def shorten_tree(obj: Any, key: str | None = None) -> Any:
    """Shorten the secrets in every string of `obj` (in place where it can); see the module docstring.

    The kinds a JSON document is made of are tested first, the commonest first."""
    if isinstance(obj, str):
        if key is not None and key.lower() in SECRET_NAMES:
            return shortened(obj)
        return shorten(obj)
    if obj is None or isinstance(obj, (int, float)):
        return obj  # numbers and flags: nothing to look at
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = shorten_tree(obj[k], k if isinstance(k, str) else None)
        return obj
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            obj[i] = shorten_tree(v)
        return obj
    if is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            new = shorten_tree(value, f.name)
            if new is not value:
                changes[f.name] = new
        if changes:
            if type(obj).__dataclass_params__.frozen:
                return replace(obj, **changes)
            for name, new in changes.items():
                setattr(obj, name, new)
        return obj
    if isinstance(obj, tuple):
        return tuple(shorten_tree(v) for v in obj)
    return obj
    return obj
