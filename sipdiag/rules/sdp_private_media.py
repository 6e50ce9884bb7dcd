"""SD305 sdp-private-media: a call's SDP c= address differs from where the sender's signalling comes from.

Only offers and answers of a session (INVITE, ACK, PRACK, UPDATE) count; on a LAN-side capture
c= equals the packet source, and the NAT shows in the responses' Via received= (RFC 3581).

How bad it is depends on what the trace shows of the media. With RTP in the capture: media sent
to the private address while the sender's own RTP arrives from its public address is one-way
audio, an error and the verdict however well the signalling went; RTP that reaches the address
(a LAN-side capture) or none sent there (a relay latched onto the real source) is information.
Without RTP (a log, a signalling-only capture) an answer's private c= behind a public signalling
source is a warning that names the risk: the answerer's media path is what the caller's side
will use (an offer's private c= is information until the answer and the media tell more).
"""

from __future__ import annotations

import ipaddress

from ..sip.grammar import is_ip_literal, normalise_ip
from .base import Rule, register
from ..addresses import is_lan_private, is_private_ip
from .facts import flow_of, is_asterisk, nat_seen_as

OFFER_ANSWER_METHODS = {"INVITE", "ACK", "PRACK", "UPDATE"}
"""Where a session's offer and answer travel (RFC 3264 with RFC 3261 §13, RFC 3262, RFC 3311)."""


@register
class SdpPrivateMedia(Rule):
    code = "SD305"
    slug = "sdp-private-media"
    severity = "warning"
    name = "SDP media address differs from the sender's real address"
    role = "cause"
    short = "private media address"

    def check(self, analysis):
        seen: set[tuple] = set()
        for msg in analysis.messages:
            sdp = msg.sdp
            if sdp is None or msg.src.ip is None or msg.seq in analysis.forwarded:
                continue
            if msg.cseq_method not in OFFER_ANSWER_METHODS:
                continue  # e.g. a 200 OK to OPTIONS lists capabilities (m=audio 9): no media flows
            if msg.is_request and msg.via_count != 1:
                continue
            for media in sdp.media:
                addr = media.connection
                if not media.port or not addr or not is_ip_literal(addr) or addr in ("0.0.0.0", "::"):
                    continue
                addr = normalise_ip(addr)
                key = (msg.src.ip, addr)
                if key in seen:
                    continue  # one finding per sender and address: the first one that qualified
                nat = None
                if addr == msg.src.ip:
                    # LAN-side capture: c= is the sender's own address; a NAT shows in the responses
                    nat = nat_seen_as(analysis, msg.src) if is_private_ip(addr) else None
                    if nat is None:
                        continue
                elif addr in analysis.hosts:
                    continue
                else:
                    advertised = _advertised_by(analysis, msg.src.ip, addr) and not _same_subnet(addr, msg.src.ip)
                    if not (advertised or (is_private_ip(addr) and not is_private_ip(msg.src.ip))):
                        continue  # a media server or relay at another public address is normal
                seen.add(key)
                rtp = _rtp_towards(analysis, addr, media.port, lan_side=nat is not None)
                severity, one_way = _severity(analysis, msg.src.ip, addr, media.port, nat is not None,
                                               answer=not msg.is_request or msg.method == "ACK")
                flow = flow_of(analysis, msg)
                relay = ("Asterisk relays media (direct_media=no) and with rtp_symmetric=yes sends RTP back to "
                         "where it comes from" if is_asterisk(analysis) else
                         "a media relay/SBC that latches onto the observed RTP source fixes this")
                if nat is not None:
                    public, response = nat
                    where = (f"its own private address, which is what this LAN-side capture sees it send from; the "
                             f"server's response Via (received=, RFC 3581) shows a NAT in between: the far end sees "
                             f"this host as {public}. Media sent to the private address cannot cross the NAT")
                    evidence = [msg.origin, response.origin]
                else:
                    where = ("an address other than the one its signalling comes from. If that is a private "
                             "address behind NAT, media sent there is lost")
                    evidence = [msg.origin]
                title = (f"SDP from {msg.src.ip} offers media at {addr}:{media.port}"
                         + (f" (behind NAT, seen as {public.rsplit(':', 1)[0]})" if nat is not None else ""))
                if one_way:
                    title = (f"One-way audio: RTP goes to {addr}:{media.port}, the private address in {msg.src.ip}'s "
                             f"SDP, while {msg.src.ip}'s own RTP arrives from its public address")
                elif severity == "warning":
                    title += ": audio towards it may be lost (no RTP in the trace to tell)"
                yield self.finding(
                    title,
                    f"The {msg.label} from {msg.src.ip} asks for {media.kind} to be sent to {addr}:{media.port}, "
                    f"{where} (one-way or no audio) unless {relay}. " + rtp,
                    ("Asterisk endpoint: rtp_symmetric=yes, direct_media=no (and rewrite_contact=yes). "
                     if is_asterisk(analysis) else "") +
                    "On the phone: STUN/ICE or disable the router's SIP ALG; on the SBC: media relay with "
                    "symmetric RTP (latching).",
                    evidence, severity=severity, flow=flow.id if flow else None,
                    details={"sdp_address": addr, "port": media.port, "seen": msg.src.ip,
                             "public": nat[0] if nat is not None else None, "one_way_audio": one_way,
                             "rtp_to_sdp_address": analysis.index.rtp_to.get((addr, media.port), 0),
                             "rtp_from_sender": analysis.index.rtp_from.get(msg.src.ip, 0)},
                )


def _advertised_by(analysis, ip, addr) -> bool:
    """True if the host at `ip` also advertises `addr` in its Contact/Via (it is behind NAT)."""
    host = analysis.hosts.get(ip)
    return host is not None and any(k.split(" ")[0].rsplit(":", 1)[0].strip("[]") == addr
                                    for k in host.advertised if not k.endswith("(media)"))


def _same_subnet(a: str, b: str) -> bool:
    """Same /24 (IPv4) or /64 (IPv6): a multi-homed server, not NAT."""
    try:
        na, nb = ipaddress.ip_address(a), ipaddress.ip_address(b)
        prefix = 24 if na.version == 4 else 64
        return na.version == nb.version and ipaddress.ip_network(f"{a}/{prefix}", strict=False) == \
            ipaddress.ip_network(f"{b}/{prefix}", strict=False)
    except ValueError:
        return False


def _severity(analysis, sender: str, addr: str, port: int, lan_side: bool, answer: bool) -> tuple[str, bool]:
    """(severity, one-way audio shown by RTP) of a private c= from `sender` (see the module docstring)."""
    index = analysis.index
    if lan_side:
        return "info", False
    if not index.rtp_to:
        return ("warning" if answer and is_lan_private(addr) and not is_lan_private(sender) else "info"), False
    if index.rtp_to.get((addr, port), 0) and index.rtp_from.get(sender, 0):
        return "error", True
    return "info", False


def _rtp_towards(analysis, addr, port, lan_side: bool = False) -> str:
    rtp_to = analysis.index.rtp_to
    if not rtp_to:
        return "RTP is not in this trace, so whether audio flowed cannot be told."
    inbound = rtp_to.get((addr, port), 0)
    if lan_side and inbound:
        return (f"{inbound} RTP packets reached it in this capture: the far end (or a relay) sends media to the "
                f"NAT's public side, which forwards it, so media works here.")
    return (f"{inbound} RTP packets were sent to that address in the capture." if inbound
            else "No RTP in the capture was sent to that address.")
