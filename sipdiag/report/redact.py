"""Consistent pseudonyms for a report: addresses, users, domains, names; secrets dropped.

How this works: a `Redactor` first *learns* what identifies people and places — from the
analysis (URIs in request lines and From/To/Contact/identity headers, digest usernames and
realms, display names, Via and SDP hosts, PBX log facts, finding details) and from a scan of
every string it will be asked to redact (URIs, IP addresses) — and then *applies* one mapping
to each string:

* IPv4: each original /24 gets its own replacement /24 and the host byte is kept, so two
  addresses in one subnet stay in one subnet. Private addresses (RFC 1918, CGNAT, link-local)
  become 10.x.y.z; all others become RFC 5737 TEST-NETs, then 198.18.0.0/15 (RFC 2544) when
  more are needed. A replacement subnet is never one that occurs in the input, so no output
  address can be mistaken for an original one. Loopback, 0.0.0.0 and multicast are kept.
* IPv6: per /64, into 2001:db8::/32 (global) or fd00::/8 (unique local); hosts numbered.
* users and phone numbers: user1, user2... (digit strings of 7+ digits stay digit strings of
  the same length, starting 555); domains: domain-a.example, ...; display names: Name A, ...;
  MAC addresses and UUIDs: numbered placeholders; input file names: input-1.pcap, ...
* names from the PBX configuration (the endpoint, aor, auth, identify and registration sections,
  and the names their options list: aors=, auth=, username=, ...) are users too, so a config
  excerpt, a fix and a sentence such as "the configured AORs are …" use the trace's pseudonyms;
  a name built from a user ("10000-aor") keeps its shape ("user1-aor").
* Call-IDs: callid-1, ... (the part before "@"; the host after it is a domain or an address);
  From/To tags: tag-1, ... Values of 6 characters or more are replaced wherever they occur,
  shorter ones after "Call-ID:", "i:" and "tag=", and a string that is a whole Call-ID or tag.
* digest response, nonce, cnonce, opaque, nextnonce, rspauth and password-like values become
  "[redacted]".

Words that tell nothing about anyone (anonymous, asterisk, localhost, ...) are kept. Short
numeric users (3 digits or fewer) collide with status codes, so in free text they are only
replaced where the text says they are users (sip:401@, "401", [401], aors=401, user 401).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import fields, is_dataclass
from typing import Any, Iterable

from ..addresses import category, is_lan_private

REDACTED = "[redacted]"

KEEP_WORDS = frozenset({
    "anonymous", "asterisk", "unknown", "invalid", "localhost", "s", "restricted", "unavailable",
    "user", "users", "test", "sip", "sips", "tel", "phone", "pbx", "example", "domain", "name", "ext",
    "redacted", "none", "null", "default", "from", "to", "contact", "via",
})
"""Never treated as identifying: generic words a user part or a realm sometimes holds."""

SECRET_PARAMS = ("response", "nonce", "cnonce", "opaque", "nextnonce", "rspauth")
DIGEST_PARAM = re.compile(r'(?i)\b(' + "|".join(SECRET_PARAMS) + r')(\s*=\s*)("[^"]*"|[^\s,;>]+)')
DIGEST_RESPONSE = re.compile(r'(?i)(\bresponse\s*=\s*)("[^"]*"|[^\s,;>]+)')
PASSWORD_LIKE = re.compile(
    r'(?i)\b(password|passwd|passphrase|pwd|secret|md5_cred|auth[_-]?token|api[_-]?key)(\s*[=:]\s*)("[^"]*"|[^\s,;&]+)')

IPV4 = re.compile(r"(?<![\w.])((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])((?:[0-9A-Fa-f]{1,4}:|:){2,7}(?:[0-9A-Fa-f]{1,4}|:|\d{1,3}(?:\.\d{1,3}){3}))(?![\w:])")
MAC = re.compile(r"(?<![\w:-])((?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2})(?![\w:-])")
UUID = re.compile(r"(?i)(?<![\w-])([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![\w-])")
TOKEN = re.compile(r"[\w+][\w.+\-]*")

URI_USER = re.compile(r"(?i)\b(sips?|tel):([^@\s;>\"<:,/?]+)(?=@)")
TEL_NUMBER = re.compile(r"(?i)\btel:(\+?[\d\-.()]+)")
URI_HOST = re.compile(r"(?i)\bsips?:(?:[^@\s;>\"<]+@)?([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
QUOTED_DISPLAY = re.compile(r'"((?:[^"\\]|\\.){1,120})"\s*<(?:sips?|tel):')
AUTH_USERNAME = re.compile(r'(?i)\busername\s*=\s*"([^"]+)"')
DOMAIN_LIKE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+$")

USER_CONTEXTS = ("sip:", "sips:", "tel:", '"', "'", "[", "aors=", "auth=", "username=", "user ", "endpoint ",
                 "AOR ", "aor ", "extension ", "for ", "Aor: ", "endpoint=", "aor=", "number ")
"""Text right before a short numeric user that says it is a user (see module docstring)."""

PUBLIC_POOL = ["192.0.2", "198.51.100", "203.0.113"] + [f"198.{18 + i // 256}.{i % 256}" for i in range(512)]
PRIVATE_POOL = [f"10.{i // 256}.{i % 256}" for i in range(1, 65536)]

def _ipv4_class(ip: ipaddress.IPv4Address) -> str:
    cat = category(str(ip))
    if cat in ("loopback", "multicast", "unspecified", "broadcast"):
        return "keep"
    return "private" if is_lan_private(str(ip)) else "public"


class Redactor:
    """One consistent mapping from identifying strings to pseudonyms; see the module docstring."""

    def __init__(self) -> None:
        self.users: dict[str, str] = {}
        self.domains: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.secrets: set[str] = set()
        self._subnets: dict[str, str] = {}
        self._seen_subnets: set[str] = set()
        self._ipv6: dict[str, str] = {}
        self._ipv6_nets: dict[str, int] = {}
        self._ipv6_hosts: dict[str, int] = {}
        self._macs: dict[str, str] = {}
        self._uuids: dict[str, str] = {}
        self._pool_next = {"public": 0, "private": 0}
        self.private_side: set[str] = set()
        """/24s the trace shows on the private side of a NAT, whatever their RFC class (labs use
        TEST-NET addresses for LANs too): they get private pseudonyms."""
        self._names_re: re.Pattern | None = None
        self.ids: dict[str, str] = {}
        """Call-IDs (their part before "@") and tags → pseudonyms."""
        self._ids_re: re.Pattern | None = None
        self._short_ids_re: re.Pattern | None = None

    # -- learning ---------------------------------------------------------------------------
    def add_user(self, user: str | None) -> None:
        if not user:
            return
        user = user.strip()
        if not user or user.lower() in KEEP_WORDS or user in self.users or user == "*":
            return
        digits = user.lstrip("+")
        if digits.isdigit() and len(digits) >= 7:
            n = sum(1 for u in self.users if u.lstrip("+").isdigit() and len(u.lstrip("+")) >= 7) + 1
            body = "555" + str(n).zfill(len(digits) - 3)
            self.users[user] = ("+" if user.startswith("+") else "") + body
        else:
            n = sum(1 for v in self.users.values() if re.fullmatch(r"user\d+", v)) + 1
            self.users[user] = f"user{n}"

    def add_domain(self, host: str | None) -> None:
        if not host:
            return
        host = host.strip().strip(".").lower()
        if not DOMAIN_LIKE.match(host) or host in self.domains or host in KEEP_WORDS or host.endswith(".example"):
            return
        n = len(self.domains)
        label = ""
        while True:
            label = chr(ord("a") + n % 26) + label
            n = n // 26 - 1
            if n < 0:
                break
        self.domains[host] = f"domain-{label}.example"

    def add_name(self, name: str | None) -> None:
        if not name:
            return
        name = name.strip().strip('"').strip()
        if len(name) < 2 or name.lower() in KEEP_WORDS or name in self.names:
            return
        digits = name.lstrip("+")
        if digits.isdigit():
            self.add_user(name)
            return
        n = len(self.names)
        self.names[name] = "Name " + (chr(ord("A") + n) if n < 26 else str(n + 1))
        self._names_re = None

    def add_config_name(self, name: str | None) -> None:
        """A name from the PBX configuration (a section, an aors= item): a user, shaped like its user."""
        if not name:
            return
        name = name.strip()
        if not name or name in self.users or name.lower() in KEEP_WORDS or not TOKEN.fullmatch(name):
            return
        parts = re.split(r"([-_.@])", name)
        if len(parts) > 1 and any(p in self.users for p in parts[::2]):
            self.users[name] = "".join(self._config_word(p) if i % 2 == 0 else p for i, p in enumerate(parts))
            return
        self.add_user(name)

    def _config_word(self, word: str) -> str:
        """One word of a config name built from a user: that user's pseudonym; a short generic word
        ("aor", "auth", "ep") as it is; anything else a user of its own."""
        if word in self.users:
            return self.users[word]
        if not word or word.lower() in KEEP_WORDS or (word.isalpha() and len(word) <= 4):
            return word
        self.add_user(word)
        return self.users.get(word, word)

    def add_call_id(self, call_id: str | None) -> None:
        if not call_id:
            return
        local, _, host = call_id.strip().partition("@")
        if host and not IPV4.fullmatch(host):
            self.add_domain(host)
        if local and local not in self.ids and not UUID.fullmatch(local):
            self.ids[local] = f"callid-{sum(1 for v in self.ids.values() if v.startswith('callid-')) + 1}"
            self._ids_re = self._short_ids_re = None

    def add_tag(self, tag: str | None) -> None:
        if tag and tag not in self.ids:
            n = sum(1 for v in self.ids.values() if v.startswith(("tag-", "z9hG4bK-tag-"))) + 1
            # a UA that reuses its branch as its tag: the pseudonym keeps RFC 3261's magic cookie
            self.ids[tag] = f"z9hG4bK-tag-{n}" if tag.startswith("z9hG4bK") else f"tag-{n}"
            self._ids_re = self._short_ids_re = None

    def _ids(self, text: str) -> str:
        if text in self.ids:
            return self.ids[text]
        if "@" in text and text.partition("@")[0] in self.ids and " " not in text:
            local, _, host = text.partition("@")
            return f"{self.ids[local]}@{host}"
        if self._ids_re is None:
            long = sorted((v for v in self.ids if len(v) >= 6), key=len, reverse=True)
            short = sorted((v for v in self.ids if len(v) < 6), key=len, reverse=True)
            self._ids_re = re.compile(r"(?<![\w.+\-])(" + "|".join(map(re.escape, long)) + r")(?![\w+\-])") \
                if long else re.compile(r"(?!x)x")
            self._short_ids_re = re.compile(r"(?i)((?:\btag=|\bcall-id:[ \t]*|^i:[ \t]*|\bi:[ \t]*))("
                                            + "|".join(map(re.escape, short)) + r")(?![\w+\-])", re.M) \
                if short else re.compile(r"(?!x)x")
        text = self._ids_re.sub(lambda m: self.ids[m.group(1)], text)
        return self._short_ids_re.sub(lambda m: m.group(1) + self.ids[m.group(2)], text)

    def add_secret(self, value: str | None) -> None:
        if value and len(value) >= 6:
            self.secrets.add(value)

    def add_source(self, path: str) -> None:
        if path in self.sources:
            return
        base = os.path.basename(path)
        ext = ""
        for candidate in (".pcap.gz", ".pcapng.gz", ".pcapng", ".pcap", ".cap", ".log", ".txt", ".gz"):
            if base.lower().endswith(candidate):
                ext = candidate
                break
        self.sources[path] = f"input-{len(self.sources) + 1}{ext}"

    def scan(self, text: str) -> None:
        """Learn from free text: URI users and hosts, quoted display names, IP subnets."""
        if not text:
            return
        for m in URI_USER.finditer(text):
            self.add_user(m.group(2))
        for m in TEL_NUMBER.finditer(text):
            self.add_user(m.group(1))
        for m in URI_HOST.finditer(text):
            self.add_domain(m.group(1))
        for m in QUOTED_DISPLAY.finditer(text):
            self.add_name(m.group(1))
        for m in AUTH_USERNAME.finditer(text):
            self.add_user(m.group(1))
        for m in IPV4.finditer(text):
            self._seen_subnets.add(m.group(1).rsplit(".", 1)[0])

    def scan_tree(self, obj: Any) -> None:
        for text in _strings(obj):
            self.scan(text)

    # -- applying ---------------------------------------------------------------------------
    def text(self, text: str) -> str:
        """The redacted form of one string."""
        if not text:
            return text
        text = DIGEST_PARAM.sub(lambda m: f'{m.group(1)}{m.group(2)}"{REDACTED}"', text)
        text = PASSWORD_LIKE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        for path in sorted(self.sources, key=len, reverse=True):
            if path in text:
                text = text.replace(path, self.sources[path])
            base = os.path.basename(path)
            if base and base in text:
                text = text.replace(base, self.sources[path])
        if self.names:
            if self._names_re is None:
                alts = sorted(self.names, key=len, reverse=True)
                self._names_re = re.compile("|".join(re.escape(a) for a in alts))
            text = self._names_re.sub(lambda m: self.names[m.group(0)], text)
        if self.ids:
            text = self._ids(text)
        text = MAC.sub(lambda m: self._mac(m.group(1)), text)
        text = UUID.sub(lambda m: self._uuid(m.group(1)), text)
        text = IPV6.sub(self._ipv6_sub, text)
        text = TOKEN.sub(self._token_sub, text)
        return text

    def tree(self, obj: Any, skip: frozenset[str] = frozenset()) -> Any:
        """Redact every string in a tree of dataclasses, lists, tuples and dicts, in place where possible.

        Dataclass fields named in `skip` (ids, CSS classes) are left alone; dict keys are kept.
        """
        if isinstance(obj, str):
            return self.text(obj)
        if is_dataclass(obj) and not isinstance(obj, type):
            for f in fields(obj):
                if f.name in skip:
                    continue
                setattr(obj, f.name, self.tree(getattr(obj, f.name), skip))
            return obj
        if isinstance(obj, list):
            for i, v in enumerate(obj):
                obj[i] = self.tree(v, skip)
            return obj
        if isinstance(obj, tuple):
            return tuple(self.tree(v, skip) for v in obj)
        if isinstance(obj, dict):
            for k in list(obj):
                obj[k] = self.tree(obj[k], skip)
            return obj
        return obj

    # -- mappings ---------------------------------------------------------------------------
    def ipv4(self, address: str) -> str:
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            return address
        cls = _ipv4_class(ip)
        if cls == "keep":
            return address
        net, host = str(ip).rsplit(".", 1)
        if net in self.private_side:
            cls = "private"
        new = self._subnets.get(net)
        if new is None:
            pool = PUBLIC_POOL if cls == "public" else PRIVATE_POOL
            i = self._pool_next[cls]
            taken = set(self._subnets.values())
            while i < len(pool) and (pool[i] in self._seen_subnets or pool[i] == net or pool[i] in taken):
                i += 1
            self._pool_next[cls] = i + 1
            new = pool[i] if i < len(pool) else "198.18.255"
            self._subnets[net] = new
        return f"{new}.{host}"

    def ipv6(self, address: str) -> str:
        try:
            ip = ipaddress.IPv6Address(address.split("%")[0])
        except ValueError:
            return address
        if ip.is_loopback or ip.is_unspecified or ip.is_multicast:
            return address
        if ip.ipv4_mapped is not None:
            return "::ffff:" + self.ipv4(str(ip.ipv4_mapped))
        key = str(ip)
        if key in self._ipv6:
            return self._ipv6[key]
        net = str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
        if net not in self._ipv6_nets:
            self._ipv6_nets[net] = len(self._ipv6_nets) + 1
        self._ipv6_hosts[net] = self._ipv6_hosts.get(net, 0) + 1
        n, h = self._ipv6_nets[net], self._ipv6_hosts[net]
        if ip.is_link_local:
            new = f"fe80::{n:x}:0:0:{h:x}"
        elif is_lan_private(str(ip)):
            new = f"fd00:0:0:{n:x}::{h:x}"
        else:
            new = f"2001:db8:0:{n:x}::{h:x}"
        self._ipv6[key] = new
        return new

    def _ipv6_sub(self, m: re.Match) -> str:
        text = m.group(1)
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            return text
        return self.ipv6(text)

    def _mac(self, text: str) -> str:
        key = text.lower().replace("-", ":")
        if key not in self._macs:
            n = len(self._macs) + 1
            self._macs[key] = f"02:00:00:00:{n // 256:02x}:{n % 256:02x}"
        return self._macs[key]

    def _uuid(self, text: str) -> str:
        key = text.lower()
        if key not in self._uuids:
            self._uuids[key] = f"00000000-0000-4000-8000-{len(self._uuids) + 1:012d}"
        return self._uuids[key]

    def _token_sub(self, m: re.Match) -> str:
        token = m.group(0)
        trail = ""
        while token and token[-1] in ".-":
            trail = token[-1] + trail
            token = token[:-1]
        if not token:
            return m.group(0)
        out = self._token(token, m.string, m.start())
        return (out if out is not None else token) + trail

    def _token(self, token: str, text: str, start: int) -> str | None:
        if IPV4.fullmatch(token):
            return self.ipv4(token)
        if token in self._secret_parts():
            return REDACTED
        low = token.lower()
        if low in self.domains:
            return self.domains[low]
        if "." in low:
            for dom, new in self.domains.items():
                if low.endswith("." + dom):
                    return token[: len(token) - len(dom)] + new
        new = self.users.get(token)
        if new is None:
            return None
        digits = token.lstrip("+")
        before = text[max(0, start - 12):start]
        if digits.isdigit():
            uri_context = before.endswith(("sip:", "sips:", "tel:"))
            if before.endswith(("#", ".")) or (before.endswith(":") and not uri_context):
                return None
            after = text[start + len(token):start + len(token) + 2]
            if after[:1] == ":" and after[1:2].isdigit():
                return None
            if len(digits) <= 3:
                if not before.endswith(USER_CONTEXTS):
                    return None
                if before.endswith("for ") and re.match(r" [A-Z]", text[start + len(token):start + len(token) + 2]):
                    return None
        return new

    def _secret_parts(self) -> set[str]:
        cached = getattr(self, "_secret_cache", None)
        if cached is None or cached[0] != len(self.secrets):
            parts = {p for s in self.secrets for p in re.split(r"[^\w.+\-]+", s) if len(p) >= 6}
            cached = (len(self.secrets), parts)
            self._secret_cache = cached
        return cached[1]


def _strings(obj: Any) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif is_dataclass(obj) and not isinstance(obj, type):
        for f in fields(obj):
            yield from _strings(getattr(obj, f.name))
    elif isinstance(obj, (list, tuple, set)):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)


TAG = re.compile(r"(?i);\s*tag=([^;>,\s]+)")
CONFIG_ACCOUNT_TYPES = frozenset({"endpoint", "aor", "auth", "identify", "registration"})
"""Config sections whose names name accounts (users); transports, systems and globals are kept."""
CONFIG_NAME_OPTIONS = ("aors", "auth", "outbound_auth", "username", "endpoint", "mailboxes", "from_user",
                       "voicemail_extension", "aor", "outbound_auth")
CONFIG_URI_OPTIONS = ("contact", "server_uri", "client_uri", "outbound_proxy", "from_uri")

URI_HEADERS = ("From", "To", "Contact", "P-Asserted-Identity", "P-Preferred-Identity", "Remote-Party-ID",
               "Diversion", "Refer-To", "Referred-By", "History-Info", "Reply-To", "P-Called-Party-ID",
               "Route", "Record-Route", "Path", "Service-Route")


def learn_from_analysis(redactor: Redactor, analysis, findings=()) -> Redactor:
    """Teach `redactor` the users, domains, names and secrets of an analysis and its findings."""
    from ..sip.headers import parse_credentials, parse_name_addr, parse_uri, split_list

    for summary in analysis.inputs:
        redactor.add_source(summary.path)
    for host in analysis.hosts.values():
        if not host.behind_nat:
            continue
        for key in host.advertised:
            for m in IPV4.finditer(key):
                if m.group(1) != host.address:
                    redactor.private_side.add(m.group(1).rsplit(".", 1)[0])
    for msg in analysis.messages:
        uri = msg.ruri
        if uri is not None:
            redactor.add_user(uri.user)
            if not uri.host_is_ip:
                redactor.add_domain(uri.bare_host)
        for name in URI_HEADERS:
            for value in msg.header_values(name):
                for item in split_list(value) if "," in value else [value]:
                    na = parse_name_addr(item)
                    if na is None:
                        continue
                    redactor.add_name(na.display)
                    if na.uri is not None:
                        redactor.add_user(na.uri.user)
                        if not na.uri.host_is_ip:
                            redactor.add_domain(na.uri.bare_host)
        for v in msg.vias:
            if v.host and not any(c.isdigit() for c in v.host.split(".")[-1]):
                redactor.add_domain(v.host)
        for hname in ("Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
                      "Authentication-Info"):
            for value in msg.header_values(hname):
                creds = parse_credentials(value) if hname != "Authentication-Info" else \
                    parse_credentials("Digest " + value)
                if creds is None:
                    continue
                redactor.add_user(creds.get("username"))
                realm = creds.get("realm")
                if realm and "." in realm:
                    redactor.add_domain(realm)
                for p in SECRET_PARAMS:
                    redactor.add_secret(creds.get(p))
                uri = parse_uri(creds.get("uri"))
                if uri is not None:
                    redactor.add_user(uri.user)
        redactor.add_call_id(msg.call_id)
        for hname in ("From", "To"):
            value = msg.header(hname)
            tag = TAG.search(value) if value else None
            if tag:
                redactor.add_tag(tag.group(1))
        sdp = msg.sdp
        if sdp is not None:
            if sdp.origin_address:
                redactor.add_domain(sdp.origin_address)
        for hname in ("Organization", "Subject"):
            value = msg.header(hname)
            if value and len(value.strip()) >= 3:
                redactor.add_name(value.strip())
        raw = msg.raw.decode("utf-8", "replace")
        redactor.scan(raw)
    config = getattr(analysis, "config", None)
    for obj in getattr(config, "objects", ()):
        if obj.type in CONFIG_ACCOUNT_TYPES:
            redactor.add_config_name(obj.name)
            for option in CONFIG_NAME_OPTIONS:
                for value in obj.values(option):
                    redactor.add_config_name(value)
        for option in CONFIG_URI_OPTIONS:
            uri = parse_uri(obj.options.get(option))
            if uri is not None:
                redactor.add_user(uri.user)
                if not uri.host_is_ip:
                    redactor.add_domain(uri.bare_host)
        for option in ("realm", "from_domain"):
            if "." in obj.options.get(option, ""):
                redactor.add_domain(obj.options[option])
    for aor, contact, _origin in getattr(config, "contacts", ()):
        redactor.add_config_name(aor)
        uri = parse_uri(contact)
        if uri is not None:
            redactor.add_user(uri.user)
    for fact in getattr(analysis, "log_facts", []):
        for key in ("endpoint", "aor"):
            redactor.add_user(fact.fields.get(key))
        contact = parse_uri(fact.fields.get("contact"))
        if contact is not None:
            redactor.add_user(contact.user)
    for event in analysis.log_events:
        redactor.scan(event.raw or event.text)
    for finding in findings:
        for key, value in (finding.details or {}).items():
            if isinstance(value, str) and (key.endswith("user") or key.endswith("username") or key in ("endpoint", "aor", "log_aor")):
                if "@" not in value and ":" not in value:
                    redactor.add_user(value)
    return redactor


JSON_STRUCTURAL_KEYS = frozenset({
    "schema", "format", "kind", "outcome", "role", "code", "slug", "severity", "id", "flow", "transport",
    "method", "level", "frame", "line", "version",
})
"""Keys of the sipdiag.analysis/2 document whose values are vocabulary or ids, never capture data."""


JSON_USER_KEYS = frozenset({"aor", "aors", "endpoint", "log_aor", "auth", "extension", "user", "username"})
"""Keys whose whole value is a user or config name (a short one is only known to be a user here)."""


def redact_json(document: Any, analysis, findings=()) -> Any:
    """The JSON report with the same pseudonyms as the HTML report would use."""
    redactor = learn_from_analysis(Redactor(), analysis, findings)
    redactor.scan_tree(document)

    def walk(obj: Any, key: str | None = None) -> Any:
        if key in JSON_STRUCTURAL_KEYS and not isinstance(obj, (dict, list)):
            return obj
        if isinstance(obj, str) and obj in redactor.users and key is not None \
                and (key.endswith(("user", "username")) or key in JSON_USER_KEYS):
            return redactor.users[obj]  # a whole value that is a user, however short ("401")
        if isinstance(obj, str):
            return redactor.text(obj)
        if isinstance(obj, list):
            return [walk(v, key) for v in obj]
        if isinstance(obj, dict):
            return {k: walk(v, k) for k, v in obj.items()}
        return obj

    return walk(document)
