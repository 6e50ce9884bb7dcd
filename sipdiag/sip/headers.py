"""Structured SIP header values: URIs, name-addr, Via, digest credentials, CSeq.

Every parser here takes a header value string and returns a value object, or None when the
value cannot be understood; none of them raises on peer input.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

from .grammar import AUTH_PARAM, CSEQ, URI_HOSTPORT, URI_SCHEME, VIA, is_ip_literal, number, shared


SHARED_VIEWS = 16384
"""URI, name-addr and Via views are cached by their text (an LRU of this many per kind): the
request and its responses, a UA's Contact in every message it sends, retransmissions all carry
the same text, so they share one (frozen, never mutated) view instead of holding a copy each."""


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, ignoring commas in quotes and <...>."""
    if "," not in value:
        item = value.strip()
        return [item] if item else []
    if '"' not in value and "<" not in value:
        return [item for item in (part.strip() for part in value.split(",")) if item]
    out, buf, quoted, angle, escaped = [], [], False, 0, False
    for ch in value:
        if escaped:
            buf.append(ch)
            escaped = False
            continue
        if ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle += 1
        elif ch == ">" and not quoted and angle:
            angle -= 1
        elif ch == "," and not quoted and not angle:
            item = "".join(buf).strip()
            if item:
                out.append(item)
            buf = []
            continue
        buf.append(ch)
    item = "".join(buf).strip()
    if item:
        out.append(item)
    return out


UNIQUE_PARAMS = frozenset({"branch", "tag", "nonce", "cnonce", "response", "opaque", "epid", "+sip.instance"})
"""Parameters whose values are (nearly) unique per message: not worth sharing (see `shared`)."""


def parse_params(text: str) -> dict[str, str | None]:
    """';a=b;c' → {'a': 'b', 'c': None}; names lower-cased, quotes kept off values.

    Names, and the values of parameters that repeat (received=, rport=, transport=, expires=),
    are shared objects: a busy capture has a few dozen of them and hundreds of thousands of views."""
    params: dict[str, str | None] = {}
    for part in _split_semis(text):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            k, v = part.split("=", 1)
            v = v.strip()
            if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                v = v[1:-1]
            k = shared(k.strip().lower())
            params[k] = v if k in UNIQUE_PARAMS else shared(v)
        else:
            params[shared(part.lower())] = None
    return params


def _split_semis(text: str) -> list[str]:
    if '"' not in text:
        return text.split(";")
    out, buf, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


@dataclass(frozen=True, slots=True)
class Uri:
    """A parsed URI (sip, sips, tel, or other schemes with host-less forms)."""

    raw: str
    scheme: str
    user: str | None
    host: str | None
    port: int | None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def host_is_ip(self) -> bool:
        return is_ip_literal(self.host)

    @property
    def bare_host(self) -> str | None:
        """Host without IPv6 brackets."""
        return self.host.strip("[]") if self.host else self.host

    @property
    def transport(self) -> str | None:
        t = self.params.get("transport")
        return t.upper() if t else None

    @property
    def aor(self) -> str:
        """scheme:user@host, the address-of-record form (no port, no parameters)."""
        if self.scheme == "tel":
            return self.raw.split(";")[0]
        user = f"{self.user}@" if self.user else ""
        return f"{self.scheme}:{user}{self.host or ''}"

    def __str__(self) -> str:
        return self.raw


def split_bare_ipv6(text: str) -> tuple[str, int | None]:
    """Leniency: an IPv6 address written without brackets, maybe with ':port' glued on.

    RFC 3261 §19.1.1 requires [brackets]; Valid8 and other IPv6 test tools write
    'fe80:0:0:0:21a:a0ff:fe07:32e0:5060'. If the whole text is no address but all but the
    last group is, the last group is the port.
    """
    try:
        return str(ipaddress.IPv6Address(text)), None
    except ValueError:
        pass
    head, _, tail = text.rpartition(":")
    try:
        return str(ipaddress.IPv6Address(head)), number(tail, 5)
    except ValueError:
        return text, None


@lru_cache(maxsize=SHARED_VIEWS)
def parse_uri(text: str | None) -> Uri | None:
    """sip/sips/tel and other URIs (RFC 3261 §19.1.1, RFC 3966); None when not a URI."""
    if not text:
        return None
    text = text.strip()
    m = URI_SCHEME.match(text)
    if not m:
        return None
    scheme = m.group(1).lower()
    rest = text[m.end() :]
    if scheme == "tel":
        number, _, params = rest.partition(";")
        return Uri(text, "tel", number, None, None, parse_params(params))
    user = None
    at = rest.find("@")
    question = rest.find("?")
    if at >= 0 and (question < 0 or at < question):
        user = rest[:at].partition(":")[0] or None  # user[:password]
        rest = rest[at + 1 :]
    h = URI_HOSTPORT.match(rest)
    if not h:
        return _parse_bare_ipv6_uri(text, scheme, user, rest)
    port = h.group("port")
    params = parse_params(h.group("params")[1:]) if h.group("params") else {}
    return Uri(text, shared(scheme), user, shared(h.group("host")) or None, int(port) if port else None, params)


def _parse_bare_ipv6_uri(text: str, scheme: str, user: str | None, hostpart: str) -> Uri | None:
    """sip:user@fe80:0:0:0:1:2:3:4:5060;params — see split_bare_ipv6."""
    if scheme not in ("sip", "sips"):
        return None
    hostport, _, params = hostpart.partition(";")
    if hostport.count(":") < 2:
        return None
    host, port = split_bare_ipv6(hostport)
    if ":" not in host:
        return None
    return Uri(text, scheme, user, f"[{host}]", port, parse_params(params))


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A From/To/Contact/Route value: display name, URI and header parameters."""

    raw: str
    display: str | None
    uri: Uri | None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")


@lru_cache(maxsize=SHARED_VIEWS)
def parse_name_addr(text: str | None) -> NameAddr | None:
    """RFC 3261 §20.10 name-addr / addr-spec, with header params after the URI."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    if text == "*":
        return NameAddr(text, None, None, {})
    lt = _find_unquoted(text, "<")
    if lt >= 0:
        gt = text.find(">", lt)
        if gt < 0:
            return NameAddr(text, None, parse_uri(text[lt + 1 :]), {})
        display = text[:lt].strip()
        if len(display) >= 2 and display[0] == '"' and display[-1] == '"':
            display = display[1:-1].replace('\\"', '"')
        rest = text[gt + 1 :].strip()
        params = parse_params(rest[1:]) if rest.startswith(";") else {}
        return NameAddr(text, display or None, parse_uri(text[lt + 1 : gt]), params)
    # addr-spec: parameters after the URI belong to the header (RFC 3261 §20.10)
    uri_text, _, rest = text.partition(";")
    return NameAddr(text, None, parse_uri(uri_text), parse_params(rest))


def _find_unquoted(text: str, ch: str) -> int:
    quoted = False
    for i, c in enumerate(text):
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            return i
    return -1


@dataclass(frozen=True, slots=True)
class Via:
    """One Via element (RFC 3261 §20.42, RFC 3581 rport). Its text is not kept: the message has it
    (`header_values("Via")`), and a busy capture holds one Via view per message."""

    transport: str
    host: str
    port: int | None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        return number(self.params.get("rport"), 5)

    @property
    def has_rport(self) -> bool:
        return "rport" in self.params

    @property
    def sent_by(self) -> str:
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"{h}:{self.port}" if self.port else h


@lru_cache(maxsize=SHARED_VIEWS)
def parse_via(text: str) -> Via | None:
    m = VIA.match(text)
    if not m:
        return None
    rest = m.group("rest").strip()
    sent_by, _, params = rest.partition(";")
    sent_by = sent_by.strip()
    host, port = _split_host_port(sent_by)
    if not host:
        return None
    return Via(shared(m.group("transport").upper()), shared(host), port, parse_params(params))


def _split_host_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        end = text.find("]")
        host = text[1:end] if end > 0 else text[1:]
        rest = text[end + 1 :] if end > 0 else ""
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") > 1:
        return split_bare_ipv6(text)
    else:
        host, _, port = text.partition(":")
    port = port.strip()
    return host.strip(), number(port, 5)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A WWW-/Proxy-Authenticate challenge or (Proxy-)Authorization credentials."""

    scheme: str
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def get(self, name: str) -> str | None:
        return self.params.get(name.lower())


def parse_credentials(text: str | None) -> Credentials | None:
    """RFC 3261 §25.1 challenge / credentials: scheme followed by auth-params."""
    if not text:
        return None
    text = text.strip()
    scheme, _, rest = text.partition(" ")
    params: dict[str, str] = {}
    for m in AUTH_PARAM.finditer(rest):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        name = shared(m.group(1).lower())
        value = value.replace('\\"', '"') if value else value
        params[name] = value if name in UNIQUE_PARAMS else shared(value)
    return Credentials(shared(scheme), params)


def parse_cseq(text: str | None) -> tuple[int, str] | None:
    if not text:
        return None
    m = CSEQ.match(text)
    if not m:
        return None
    return int(m.group(1)), m.group(2).upper()
