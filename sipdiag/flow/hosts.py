"""Hosts and their roles, and the addresses they advertise (NAT evidence).

How roles are found, from behaviour first and product names second:
* proxy/SBC: it forwards requests or responses — it sends a message (same Call-ID, CSeq and
  method/status) that it received a moment before from someone else;
* registrar: it answers REGISTER with a final response;
* PBX: a registrar or call server whose Server/User-Agent names a PBX product, or the host
  that wrote a PBX log;
* phone: it sends REGISTER of its own, or names a softphone/desk phone product;
* trunk: it exchanges INVITEs with a PBX or SBC without registering;
* endpoint: anything else.

Advertised addresses: a message a host *originates* (a request with one Via, or a response
that it did not forward) tells where the host thinks it is — the Via sent-by, the Contact,
the SDP c= line. When those differ from the address the packet really came from, the host
is behind NAT (or advertises a wrong port); the pairs are kept with their first evidence.
"""

from __future__ import annotations

import re

from ..sip.grammar import is_ip_literal, normalise_ip
from ..sip.keyfacts import KeyFacts
from ..sip.message import SipMessage
from .model import Host

PBX_PRODUCTS = re.compile(
    r"asterisk|freeswitch|3cx|yeastar|freepbx|issabel|elastix|fusionpbx|wazo|avaya|cisco-cucm|"
    r"mitel|grandstream ucm|xorcom|vodia|kazoo|brekeke|bicom|pbxware",
    re.IGNORECASE,
)
PROXY_PRODUCTS = re.compile(r"kamailio|opensips|openser|ser \(|repro|sipxecs|acme packet|audiocodes sbc|ribbon|sonus|oracle sbc|sbc", re.IGNORECASE)
PHONE_PRODUCTS = re.compile(
    r"baresip|microsip|zoiper|linphone|x-lite|eyebeam|bria|jitsi|yealink|polycom|snom|"
    r"grandstream (?:gxp|grp|ht|dp|wp)|cisco/spa|cisco-cp|sipnetic|doubango|csipsimple|"
    r"telephone|softphone|fanvil|gigaset|panasonic|sip\.js|jssip|sipml5|groundwire|acrobits|"
    r"ht8\d\d|spa\d{3}|obihai|twinkle|ekiga|blink|phoner",
    re.IGNORECASE,
)


_UNJUDGED = object()


def _addr(ip: str | None, port: int | None) -> str:
    if ip is None:
        return "?"
    host = f"[{ip}]" if ":" in ip else ip
    return f"{host}:{port}" if port else host


class HostTracker:
    """Feeds messages in order; builds the hosts table."""

    def __init__(self) -> None:
        self.hosts: dict[str, Host] = {}
        self._received: dict[tuple, str | set[str]] = {}
        """(Call-ID, CSeq, method or status) → the ip it was sent to (a set once several)."""
        self.forwards: dict[str, int] = {}
        self.forwarded: set[int] = set()
        """`seq` of every message a proxy passed on (the same request/response was sent to its sender before)."""
        self.register_answers: dict[str, int] = {}
        self.registers_sent: dict[str, int] = {}
        self.invites: dict[str, set[str]] = {}
        self._claims: dict[tuple, tuple[str, bool] | None] = {}
        """(claimed ip, port, signalling?, seen ip, seen port, transport) → what it says (`_judge`)."""

    def host(self, ip: str) -> Host:
        h = self.hosts.get(ip)
        if h is None:
            h = self.hosts[ip] = Host(ip)
        return h

    def add(self, msg: SipMessage) -> None:
        src_ep, dst_ep = msg.src, msg.dst
        src_ip, dst_ip = src_ep.ip, dst_ep.ip
        if src_ip is None or dst_ip is None:
            return
        hosts = self.hosts
        src = hosts.get(src_ip) or self.host(src_ip)
        dst = hosts.get(dst_ip) or self.host(dst_ip)
        src.sent += 1
        dst.received += 1
        if src_ep.port:
            src.ports.add(src_ep.port)
        if dst_ep.port:
            dst.ports.add(dst_ep.port)
        direction = msg.direction
        if direction == "out":
            src.is_logging_host = True
        elif direction == "in":
            dst.is_logging_host = True

        method = msg.method
        key = (msg.call_id, msg.cseq, method or msg.status)
        receivers = self._received.get(key)
        if receivers is None:  # most messages: sent once, to one host
            self._received[key] = dst_ip
            forwarded = False
        elif type(receivers) is str:
            forwarded = src_ip == receivers
            if dst_ip != receivers:
                self._received[key] = {receivers, dst_ip}
        else:
            forwarded = src_ip in receivers
            receivers.add(dst_ip)
        if forwarded:
            self.forwards[src_ip] = self.forwards.get(src_ip, 0) + 1
            self.forwarded.add(msg.seq)

        facts = msg.facts
        product = facts.user_agent if method is not None else facts.server
        if product and product not in src.user_agents:
            src.user_agents.append(product)

        if method is not None:
            if method == "REGISTER" and facts.via_count <= 1:
                self.registers_sent[src_ip] = self.registers_sent.get(src_ip, 0) + 1
            elif method == "INVITE":
                self.invites.setdefault(src_ip, set()).add(dst_ip)
                self.invites.setdefault(dst_ip, set()).add(src_ip)
            if facts.via_count <= 1:  # originated here
                self._advertised(src, msg, facts)
            return
        status = msg.status
        if status and status >= 200 and not forwarded and msg.cseq_method == "REGISTER":
            self.register_answers[src_ip] = self.register_answers.get(src_ip, 0) + 1
        if not forwarded:  # originated here
            self._advertised(src, msg, facts)

    def _advertised(self, host: Host, msg: SipMessage, facts: KeyFacts) -> None:
        seen_ip, seen_port = msg.src.ip, msg.src.port
        claims: list[tuple[str | None, int | None, bool]] = []
        if msg.is_request and facts.via_host is not None:
            claims.append((facts.via_host, facts.via_port or 5060, True))
        # a REGISTER response lists the bindings of the registering UA, not the responder
        if facts.contact_host and (msg.is_request or msg.cseq_method != "REGISTER"):
            claims.append((facts.contact_host.strip("[]"), facts.contact_port or 5060, True))
        sdp = msg.sdp
        if sdp is not None:
            for media in sdp.media:
                if media.connection and media.port:
                    claims.append((media.connection, None, False))
        for ip, port, signalling in claims:
            judged = self._claims.get((ip, port, signalling, seen_ip, seen_port, msg.transport), _UNJUDGED)
            if judged is _UNJUDGED:
                judged = self._judge(ip, port, signalling, seen_ip, seen_port, msg.transport)
            if judged is not None:
                key, nat = judged
                host.advertised.setdefault(key, msg.origin)
                if nat:
                    host.behind_nat = True

    def _judge(self, ip, port, signalling, seen_ip, seen_port, transport) -> tuple[str, bool] | None:
        """(advertised key, behind NAT) when a host seen at (seen_ip, seen_port) names (ip, port),
        None when that says nothing; remembered, as a UA repeats the same few claims."""
        found = None
        if ip and is_ip_literal(ip) and ip not in ("0.0.0.0", "::"):
            bare = normalise_ip(ip)
            if bare != seen_ip or (signalling and port is not None and transport == "UDP" and port != seen_port):
                key = _addr(bare, port) if signalling else f"{bare} (media)"
                found = (key, signalling and bare != seen_ip)
        if len(self._claims) >= 65536:
            self._claims.clear()
        self._claims[(ip, port, signalling, seen_ip, seen_port, transport)] = found
        return found

    def finish(self) -> dict[str, Host]:
        """Every message is in: the roles, and the hosts table (the lookups by message go)."""
        self._received = {}
        self._claims = {}
        for ip, h in self.hosts.items():
            products = " ".join(h.user_agents)
            if self.forwards.get(ip, 0) >= 1 and (self.forwards[ip] >= 2 or PROXY_PRODUCTS.search(products)):
                h.role = "proxy/sbc"
                h.role_reason = f"forwards SIP messages ({self.forwards[ip]} seen)"
                if self.register_answers.get(ip):
                    h.role_reason += " and answers REGISTER"
            elif h.is_logging_host:
                h.role = "pbx"
                h.role_reason = "wrote the PBX log"
            elif self.register_answers.get(ip) or PBX_PRODUCTS.search(products):
                h.role = "pbx" if PBX_PRODUCTS.search(products) or not PROXY_PRODUCTS.search(products) else "registrar"
                h.role_reason = "answers REGISTER" if self.register_answers.get(ip) else "PBX product in Server/User-Agent"
            elif self.registers_sent.get(ip) or PHONE_PRODUCTS.search(products):
                h.role = "phone"
                h.role_reason = "sends REGISTER" if self.registers_sent.get(ip) else "phone product in User-Agent"
            else:
                h.role = "endpoint"
                h.role_reason = "sends or answers SIP requests"
        servers = {ip for ip, h in self.hosts.items() if h.role in ("pbx", "registrar", "proxy/sbc")}
        advertisers: dict[str, Host] = {}
        for h in self.hosts.values():
            for key in h.advertised:
                if not key.endswith("(media)"):
                    advertisers.setdefault(key.rsplit(":", 1)[0].strip("[]"), h)
        for ip, h in self.hosts.items():
            owner = advertisers.get(ip)
            if owner is not None and owner is not h and h.sent == 0:
                # only ever a destination, and some host's own Contact/Via names it: that host's
                # private side behind its NAT, whatever requests were sent to it
                h.role = owner.role if owner.role not in ("endpoint", "trunk") else "phone"
                h.role_reason = (f"private side of {owner.address}: it advertises this address in Contact/Via, "
                                 "and no packet ever came from here")
            elif h.role == "endpoint" and self.invites.get(ip, set()) & servers:
                h.role = "trunk"
                h.role_reason = "exchanges calls with a PBX/SBC without registering"
        return self.hosts
