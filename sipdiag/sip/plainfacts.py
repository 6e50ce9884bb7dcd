"""The key facts read straight from a message's bytes for the plain forms: the pure-Python twin
of rust/src/facts.rs, line for line.

How this works. Nearly every message writes its Via, From, To and Contact in the plain forms:
printable ASCII, no quoted parameters, no IPv6 references, no folded lines, one value per
header line. For those the facts (keyfacts.py) can be cut out of the header values with a few
`find`s, instead of building the Via, name-addr and URI views (sip/headers.py) of every message
— which cost the pure core a third of its reading time and kept four view objects a message.
Anything else is declined (None), and then `facts_from_views` reads the facts from the views,
as before. So a value is either exactly what the views give or not given at all:
tests/test_core_differential.py checks that this, the compiled core and the views give the same
tuple on every bundled and corpus message and on generated heads.
"""

from __future__ import annotations

import re

from .grammar import header_id

_WS = b" \t"
_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t"
"""What a plain value is made of: what `str.strip()` and `\\s` treat exactly as facts.rs does."""
_HOST = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"
_HOST_END = re.compile(rb"[:;?\[\]]")
_DIGITS = re.compile(rb"[0-9]*")
CONTINUATION = 1
"""parser.CONTINUATION (a folded line): the views join folded values, this path declines them."""

FACT_IDS = tuple(header_id(h) for h in ("Via", "From", "To", "Contact", "User-Agent", "Server", "Authorization",
                                         "Proxy-Authorization"))
"""Ids of the headers the key facts are read from, here and by the compiled core (rust/src/facts.rs
`FactIds`, in this order: parser.py hands them to it)."""
VIA, FROM, TO, CONTACT, USER_AGENT, SERVER, AUTHORIZATION, PROXY_AUTHORIZATION = FACT_IDS
_FACT_IDS = frozenset(FACT_IDS)

_TEXT: dict[bytes, str] = {}
"""Values as bytes → one str each, as the compiled core interns them: a host, a transport, a
dialog's tags and a transaction's branch recur in many messages. Bounded."""


class _Decline(Exception):
    """Not of the plain form: the views decide."""


def _text(b: bytes) -> str:
    found = _TEXT.get(b)
    if found is None:
        if len(_TEXT) >= 1 << 16:
            _TEXT.clear()
        found = _TEXT[b] = b.decode("ascii")
    return found


def _number5(s: bytes) -> int | None:
    """`grammar.number(text, 5)` on text without surrounding whitespace: 1–5 ASCII digits."""
    if not 0 < len(s) <= 5 or not s.isdigit():
        return None
    return int(s)


def _plain_host(s: bytes) -> bool:
    return bool(s) and not s.translate(None, _HOST)


_FLAG = object()
"""A parameter written without a value (`;rport`)."""


def _params(text: bytes, wanted: tuple[bytes, ...]) -> list:
    """The last value of each wanted parameter (`_FLAG` for a flag, None when absent)."""
    if b'"' in text:
        raise _Decline
    found: list = [None] * len(wanted)
    for part in text.split(b";"):
        part = part.strip(_WS)
        if not part:
            continue
        eq = part.find(b"=")
        if eq >= 0:
            name, value = part[:eq].strip(_WS), part[eq + 1:].strip(_WS)
        else:
            name, value = part, _FLAG
        name = name.lower()
        for k, w in enumerate(wanted):
            if name == w:
                found[k] = value
    return found


def _value(found):
    """A parameter's value, None for a flag or when absent (Rust's `flatten`)."""
    return None if found is None or found is _FLAG else found


def _via(value: bytes) -> tuple:
    """(TRANSPORT, host, port, branch, received, rport, has_rport) of one plain Via value."""
    slash1 = value.find(b"/")
    if slash1 < 0:
        raise _Decline
    slash2 = value.find(b"/", slash1 + 1)
    if slash2 < 0:
        raise _Decline
    proto, version = value[:slash1], value[slash1 + 1:slash2]
    if not proto or not version or b" " in proto or b"\t" in proto or b" " in version or b"\t" in version:
        raise _Decline
    after2 = value[slash2 + 1:]
    space, tab = after2.find(b" "), after2.find(b"\t")
    transport_len = min(space, tab) if space >= 0 and tab >= 0 else max(space, tab)
    if transport_len <= 0:
        raise _Decline
    rest = after2[transport_len:].strip(_WS)
    semi = rest.find(b";")
    if semi >= 0:
        sent_by, param_text = rest[:semi].strip(_WS), rest[semi + 1:]
    else:
        sent_by, param_text = rest, b""
    colon = sent_by.find(b":")
    if colon >= 0:
        port = _number5(sent_by[colon + 1:])
        if port is None:
            raise _Decline
        host = sent_by[:colon]
    else:
        host, port = sent_by, None
    if not _plain_host(host):
        raise _Decline
    branch, received, rport = _params(param_text, (b"branch", b"received", b"rport"))
    rport_value = _value(rport)
    return (after2[:transport_len].upper(), host, port, _value(branch), _value(received),
            None if rport_value is None else _number5(rport_value), rport is not None)


def _name_addr(value: bytes) -> tuple[bytes, bytes]:
    """(URI text, parameter text) of a plain name-addr or addr-spec."""
    lt = -1
    at = 0
    while True:  # the first '<' outside a quoted display name
        quote, angle = value.find(b'"', at), value.find(b"<", at)
        if angle < 0 or quote < 0 or angle < quote:
            lt = angle
            break
        close = value.find(b'"', quote + 1)
        if close < 0:
            lt = -1
            break
        at = close + 1
    if lt >= 0:
        gt = value.find(b">", lt)
        if gt < 0:
            raise _Decline
        rest = value[gt + 1:].strip(_WS)
        return value[lt + 1:gt].strip(_WS), rest[1:] if rest[:1] == b";" else b""
    if b'"' in value:
        raise _Decline
    semi = value.find(b";")
    if semi >= 0:
        return value[:semi].strip(_WS), value[semi + 1:]
    return value, b""


def _tag(value: bytes) -> bytes | None:
    if value == b"*":
        return None
    _uri, param_text = _name_addr(value)
    (tag,) = _params(param_text, (b"tag",))
    return _value(tag)


def _uri_host_port(uri: bytes) -> tuple[bytes, int | None]:
    colon = uri.find(b":")
    if colon < 0 or uri[:colon].lower() not in (b"sip", b"sips"):
        raise _Decline
    rest = uri[colon + 1:]
    at, question = rest.find(b"@"), rest.find(b"?")
    if at >= 0 and (question < 0 or at < question):
        rest = rest[at + 1:]
    end = _HOST_END.search(rest)
    host_len = end.start() if end else len(rest)
    host = rest[:host_len]
    if not _plain_host(host):
        raise _Decline
    after = rest[host_len:]
    port = None
    if after[:1] == b":":
        digits = _DIGITS.match(after, 1).end() - 1
        if digits == 0 or digits > 5:
            raise _Decline
        port = int(after[1:1 + digits])
        after = after[1 + digits:]
    if after and after[:1] not in (b";", b"?"):
        raise _Decline
    if b"[" in after or b"]" in after:
        raise _Decline
    return host, port


def plain_facts(data: bytes, index, others) -> tuple | None:
    """The key-facts tuple (keyfacts.KeyFacts order) of the message `data` with header `index`
    (name id, line start, value start, value end per header) and other lines `others` (kind,
    start, end, headers before: parser.head_record), or None when it is not of the plain form."""
    if CONTINUATION in others[0::4]:
        return None
    ids = index[0::4]
    values: dict[int, bytes] = {}
    """The first value of each fact header, checked plain (SP/HT trimmed)."""
    via_count = 0
    top = None
    try:
        for position, name_id in enumerate(ids):
            if name_id not in _FACT_IDS or (name_id in values and name_id != VIA):
                continue
            i = position * 4
            v = data[index[i + 2]:index[i + 3]].strip(_WS)
            if name_id == PROXY_AUTHORIZATION:
                values[name_id] = v  # asked only without Authorization: checked then, as facts.rs
                continue
            if v.translate(None, _PRINTABLE):
                return None  # not plain (Rust: `first_plain` declines, and every Via is checked)
            if name_id == VIA:
                if not v or b"," in v or b'"' in v:
                    return None
                parsed = _via(v)
                if top is None:
                    top = parsed
                via_count += 1
            values.setdefault(name_id, v)
        from_tag = to_tag = None
        v = values.get(FROM)
        if v:
            from_tag = _tag(v)
        v = values.get(TO)
        if v:
            to_tag = _tag(v)
        contact_host = contact_port = None
        v = values.get(CONTACT)
        if v is not None:
            if not v or b"," in v:
                return None
            if v != b"*":
                uri, _params_text = _name_addr(v)
                contact_host, contact_port = _uri_host_port(uri)
    except _Decline:
        return None
    user_agent, server = values.get(USER_AGENT), values.get(SERVER)
    credentials = bool(values.get(AUTHORIZATION))
    if not credentials:
        v = values.get(PROXY_AUTHORIZATION)
        if v is not None and v.translate(None, _PRINTABLE):
            return None
        credentials = bool(v)
    if top is None:
        via = (None, None, None, None, None, None, False)
    else:
        transport, host, port, branch, received, rport, has_rport = top
        via = (_text(transport), _text(host), port, None if branch is None else _text(branch),
               None if received is None else _text(received), rport, has_rport)
    return (via_count, *via,
            None if from_tag is None else _text(from_tag), None if to_tag is None else _text(to_tag),
            None if contact_host is None else _text(contact_host), contact_port,
            None if user_agent is None else _text(user_agent), None if server is None else _text(server),
            credentials)
