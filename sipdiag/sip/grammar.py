"""SIP and SDP grammar in one place, each pattern beside the RFC rule it implements.

Leniencies are deliberate and say which real-world input needs them. Patterns work on
`str` (messages are decoded as UTF-8 with replacement, then parsed); the start-line sniffing
patterns work on `bytes` because they run on every datagram of a capture.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

# RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"

# RFC 3261 §25.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF
# Leniency: the method and the version are matched case-insensitively ("sip/2.0" is seen from
# some old gateways, lower-case methods from hand-written test scripts) and the parser
# upper-cases the method; the method is restricted to letters, digits, '_' and '-' (every real
# method is), which with the mandatory SIP version keeps HTTP and other text out.
REQUEST_LINE = re.compile(r"^([A-Z][A-Z0-9_\-]*) +(\S+) +(SIP/2\.0)\s*$", re.IGNORECASE)
_REQUEST_METHOD = re.compile(r"^[A-Z][A-Z0-9_\-]*$")

# RFC 3261 §25.1: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
# Leniency: the reason phrase may be empty and the space before it missing (seen from
# SIPp scenarios and some SBCs sending "SIP/2.0 200").
STATUS_LINE = re.compile(r"^SIP/2\.0 +([0-9]{3})(?: +(.*?))?\s*$", re.IGNORECASE)

# Bytes-level sniffing, used on every UDP datagram: a request line or a status line at the
# very start. Leading CR/LF (keep-alives before a message) is allowed.
SNIFF = re.compile(rb"^(?:\r?\n)*(?:SIP/2\.0 \d{3}|[A-Z][A-Z0-9_\-]{1,31} [^ \r\n]{1,2048} SIP/2\.0\r?\n)", re.IGNORECASE)
# Where a message may start inside a stream picked up mid-way or after lost bytes: a start line
# at the beginning of a line (any method), or, because a body need not end with a line break
# ('...</presence>INVITE sip:...'), a whole start line of an RFC 3261/3262/3265/3311/3428/3515/
# 3903/6086 method or a status line anywhere.
START_IN_STREAM = re.compile(rb"(?:^|\n)((?:SIP/2\.0 \d{3} |[A-Z][A-Z0-9_\-]{1,31} [^ \r\n]{1,2048} SIP/2\.0\r?\n))")
START_ANYWHERE = re.compile(
    rb"SIP/2\.0 [1-6][0-9]{2} [^\r\n]{0,256}\r?\n"
    rb"|(?:INVITE|ACK|BYE|CANCEL|OPTIONS|REGISTER|PRACK|SUBSCRIBE|NOTIFY|PUBLISH|INFO|REFER|MESSAGE|UPDATE)"
    rb" [^ \r\n]{1,2048} SIP/2\.0\r?\n"
)

# RFC 3261 §7.3.3: compact header forms; plus RFC 3265 (o, u), RFC 3515 (r), RFC 3892 (b),
# RFC 4028 (x), RFC 3841 (a, j, d), RFC 8224 (y), RFC 4474 (n).
COMPACT_FORMS = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "u": "Allow-Events",
    "r": "Refer-To",
    "b": "Referred-By",
    "x": "Session-Expires",
    "a": "Accept-Contact",
    "j": "Reject-Contact",
    "d": "Request-Disposition",
    "y": "Identity",
    "n": "Identity-Info",
}

# Canonical spelling of common headers, so lookups and output are uniform.
CANONICAL = {
    name.lower(): name
    for name in (
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
        "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
        "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
        "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "In-Reply-To",
        "Max-Forwards", "Min-Expires", "MIME-Version", "Organization", "P-Asserted-Identity",
        "P-Preferred-Identity", "Path", "Priority", "Privacy", "Proxy-Authenticate",
        "Proxy-Authorization", "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-To",
        "Referred-By", "Remote-Party-ID", "Reply-To", "Require", "Retry-After", "Route", "RSeq",
        "Server", "Session-Expires", "Subject", "Subscription-State", "Supported", "Timestamp",
        "To", "Unsupported", "User-Agent", "Via", "Warning", "WWW-Authenticate", "Min-SE",
        "Diversion", "History-Info", "X-Asterisk-HangupCause", "Identity", "Service-Route",
    )
}

# Headers whose value is a comma-separated list of elements (RFC 3261 §7.3.1), so several
# header lines and one line with commas mean the same thing.
LIST_HEADERS = frozenset(
    {"Via", "Contact", "Route", "Record-Route", "Path", "Service-Route", "Allow", "Supported",
     "Require", "Proxy-Require", "Unsupported", "Allow-Events", "Accept", "Accept-Encoding"}
)

# RFC 3261 §25.1 header line: field-name HCOLON field-value; HCOLON = *( SP / HTAB ) ":" SWS
HEADER_LINE = re.compile(r"^([^:\s][^:]*?)[ \t]*:[ \t]*(.*)$")

LIST_HEADERS_LOWER = frozenset(name.lower() for name in LIST_HEADERS)

# Header names as small integers, so a message stores four integers per header line instead
# of two strings (see SipMessage). The canonical names are taken in first; other names as
# they are met, up to MAX_HEADER_NAMES (hostile input could invent millions): the rest share
# OTHER_NAME and are compared by their spelled-out name.
OTHER_NAME = 0
MAX_HEADER_NAMES = 20_000
_NAME_IDS: dict[str, int] = {}
_CANONICAL_OF: dict[str, tuple[str, int]] = {}
"""Spelling as written → (canonical name, id), for the names met while parsing."""


def _take_name(low: str) -> int:
    found = _NAME_IDS.get(low)
    if found is None:
        if len(_NAME_IDS) >= MAX_HEADER_NAMES:
            return OTHER_NAME
        found = _NAME_IDS[low] = len(_NAME_IDS) + 1
    return found


_ASKED: dict[str, int] = {}
"""Names as code asks for them ('Via', 'Contact') → id: one lookup for the common questions."""


def header_id(name: str) -> int:
    """The id of header `name` (any spelling, compact forms too); OTHER_NAME if never met."""
    found = _ASKED.get(name)
    if found is not None:
        return found
    found = _NAME_IDS.get(name.lower())
    if found is None:
        found = _NAME_IDS.get(canonical_header(name).lower(), OTHER_NAME)
    if found != OTHER_NAME and len(_ASKED) < 4096:
        _ASKED[name] = found
    return found


def header_name(written: str) -> tuple[str, int]:
    """(canonical name, id) of a header name as written in a message."""
    found = _CANONICAL_OF.get(written)
    if found is not None:
        return found
    canonical = canonical_header(written)
    found = (canonical, _take_name(canonical.lower()))
    if len(_CANONICAL_OF) < MAX_HEADER_NAMES:
        _CANONICAL_OF[written] = found
    return found

# RFC 3261 §19.1.1 SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
# The scheme comes first; RFC 3986 §3.1 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
URI_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# userinfo = ( user / telephone-subscriber ) [ ":" password ] "@". The user part may hold ';'
# (user-unreserved, e.g. 'sip:+15551234567;npdi;rn=+15550000000@gw;user=phone' from number
# portability), so it is not matched by a pattern: it is everything before the first '@',
# when that '@' comes before any '?' (headers such as '?Replaces=a@b' are not userinfo).
# hostport uri-parameters [ headers ], after the userinfo. Leniency: unescaped characters
# outside `unreserved` are accepted in the host (phones put '#' and spaces there); the host
# may be an IPv6 reference [..].
URI_HOSTPORT = re.compile(
    r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;?\[\]]*)"
    r"(?::(?P<port>[0-9]{0,5}))?"
    r"(?P<params>;[^?]*)?"
    r"(?:\?(?P<headers>.*))?$"
)

# RFC 3261 §20.42 Via: sent-protocol LWS sent-by *( SEMI via-params )
VIA = re.compile(r"^\s*(?P<proto>[^/\s]+)\s*/\s*(?P<version>[^/\s]+)\s*/\s*(?P<transport>\S+)\s+(?P<rest>.*)$")

# RFC 3261 §25.1 IPv4address and an IPv6reference; used to call a host "an IP literal".
IPV4 = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")

# RFC 2617 / RFC 3261 §25.1 digest parameters: auth-param = token "=" ( token / quoted-string )
AUTH_PARAM = re.compile(r'\s*([A-Za-z0-9_\-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')

# RFC 3261 §20.16 CSeq = 1*DIGIT LWS Method; the number is below 2**31 (§8.1.1.5), so 10 digits.
CSEQ = re.compile(r"^\s*([0-9]{1,10})\s+(\S+)\s*$")

# RFC 2046 §5.1.1 boundary parameter of multipart bodies.
BOUNDARY = re.compile(r'boundary\s*=\s*"?([^";]+)"?', re.IGNORECASE)


SHARED_VALUES = 65536
_SHARED: dict = {}


def shared(value):
    """One object for equal values met again (methods, CSeq pairs, a dialog's Call-ID, header
    parameter names, hosts, transports), so each message's record does not hold its own copy.
    The table is bounded: when full it starts afresh (values stay correct, only sharing is lost
    for a while), so hostile input cannot grow it."""
    found = _SHARED.get(value)
    if found is None:
        if len(_SHARED) >= SHARED_VALUES:
            _SHARED.clear()
        _SHARED[value] = found = value
    return found


def is_request_method(token: str) -> bool:
    return bool(_REQUEST_METHOD.match(token))


def canonical_header(name: str) -> str:
    """Canonical header name, expanding compact forms (RFC 3261 §7.3.3)."""
    low = name.strip().lower()
    if len(low) == 1 and low in COMPACT_FORMS:
        return COMPACT_FORMS[low]
    found = CANONICAL.get(low)
    if found:
        return found
    return "-".join(part[:1].upper() + part[1:] for part in name.strip().split("-"))


def is_ip_literal(host: str | None) -> bool:
    """True for an IPv4 dotted quad or a bracketed/bare IPv6 address."""
    if not host:
        return False
    if IPV4.match(host):
        return True
    h = host.strip("[]")
    return ":" in h and all(c in "0123456789abcdefABCDEF:." for c in h)


@lru_cache(maxsize=65536)
def normalise_ip(host: str) -> str:
    """Canonical text of an IP literal ('fe80:0:0::1' → 'fe80::1'); other hosts unchanged."""
    h = host.strip("[]")
    try:
        return str(ipaddress.ip_address(h))
    except ValueError:
        return h


def number(text: str | None, digits: int = 10) -> int | None:
    """A decimal number of at most `digits` ASCII digits (surrounding whitespace allowed), else None.

    Peer input reaches int() only through here (or through [0-9]{n} patterns): str.isdigit()
    accepts '²' and other Unicode digits that int() rejects, and int() refuses numbers longer
    than 4300 digits.
    """
    if text is None:
        return None
    t = text.strip()
    if not t or len(t) > digits or not (t.isascii() and t.isdigit()):
        return None
    return int(t)


for _name in CANONICAL.values():
    _take_name(_name.lower())
