"""SIP message and SDP text for the generated workload, as phones, Asterisk and a trunk write it.

How this works: an `Endpoint` is one SIP party as the PBX sees it: the address on the wire
(`wire`: for a phone behind NAT, its router's public address and mapped port) and the address
it writes into its own messages (`local`: Via sent-by, Contact, SDP `c=`, the private LAN
address for a phone). A `Leg` is one dialog (or one REGISTER/OPTIONS/NOTIFY transaction run)
between a UAC and a UAS; it writes requests from the UAC's point of view and responses from
the UAS's, adding `received=`/`rport=` to the top Via when the UAS is the PBX and the UAC's
sent-by is not the address the request came from (RFC 3581, what Asterisk does for a phone
behind NAT).
"""

from __future__ import annotations

from dataclasses import dataclass, field

UA = {
    "phone": "Yealink SIP-T46U 108.86.0.20",
    "pbx": "Asterisk PBX 20.5.2",
    "trunk": "Sippy Softswitch v2021",
}
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, SUBSCRIBE, UPDATE, PRACK, MESSAGE"
REALM = "asterisk"
REASONS = {100: "Trying", 180: "Ringing", 200: "OK", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 486: "Busy Here", 487: "Request Terminated"}


@dataclass
class Endpoint:
    """One SIP party: who it is, where its packets come from, what it writes about itself."""

    role: str  # phone, pbx, trunk
    user: str
    wire: tuple[str, int]  # source address on the capture
    local: tuple[str, int]  # Via sent-by / Contact (private for a phone behind NAT)
    transport: str = "UDP"
    domain: str = "192.0.2.10"

    @property
    def natted(self) -> bool:
        return self.wire != self.local

    def contact(self, transport: str = "") -> str:
        t = "" if (transport or self.transport) == "UDP" else ";transport=tcp"
        return f"<sip:{self.user}@{self.local[0]}:{self.local[1]}{t}>"


def message(start: str, headers: list[tuple[str, str]], body: bytes = b"", content_type: str = "") -> bytes:
    """A SIP message: start line, headers, Content-Length (RFC 3261 §7)."""
    lines = [start]
    lines += [f"{name}: {value}" for name, value in headers]
    if body:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp(ip: str, port: int, session: int, user: str = "-") -> bytes:
    """An RFC 4566 audio offer/answer: PCMU, PCMA, telephone-event, 20 ms packets."""
    return ("v=0\r\n"
            f"o={user} {session} {session} IN IP4 {ip}\r\n"
            "s=Talk\r\n"
            f"c=IN IP4 {ip}\r\n"
            "t=0 0\r\n"
            f"m=audio {port} RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n").encode()


def mwi_body(user: str, domain: str, new: int, old: int) -> bytes:
    """RFC 3842 message-summary body of an MWI NOTIFY."""
    return (f"Messages-Waiting: {'yes' if new else 'no'}\r\n"
            f"Message-Account: sip:{user}@{domain}\r\n"
            f"Voice-Message: {new}/{old} (0/0)\r\n").encode()


@dataclass
class Leg:
    """One dialog or transaction run between `uac` and `uas`, with its identifiers."""

    uac: Endpoint
    uas: Endpoint
    call_id: str
    from_tag: str
    to_tag: str = ""
    cseq: int = 1
    to_user: str = ""
    from_user: str = ""
    vias: dict[str, str] = field(default_factory=dict)  # branch → the Via line the UAC sent

    @property
    def transport(self) -> str:
        """The phone's transport: the PBX talks to each phone the way it registered."""
        return self.uas.transport if self.uac.role == "pbx" else self.uac.transport

    def ruri(self) -> str:
        user = self.to_user or self.uas.user
        if self.uas.role == "phone":  # Asterisk sends to the registered Contact, rewritten to the NAT address
            return f"sip:{user}@{self.uas.wire[0]}:{self.uas.wire[1]}"
        return f"sip:{user}@{self.uas.local[0]}:{self.uas.local[1]}"

    def _from(self) -> str:
        user = self.from_user or self.uac.user
        return f"\"{user}\" <sip:{user}@{self.uac.domain}>;tag={self.from_tag}"

    def _to(self, with_tag: bool) -> str:
        user = self.to_user or self.uas.user
        tag = f";tag={self.to_tag}" if with_tag and self.to_tag else ""
        return f"<sip:{user}@{self.uac.domain}>{tag}"

    def request(self, method: str, branch: str, *, cseq: int | None = None, body: bytes = b"",
                content_type: str = "application/sdp", in_dialog: bool = False,
                extra: list[tuple[str, str]] = ()) -> bytes:
        via = (f"SIP/2.0/{self.transport} {self.uac.local[0]}:{self.uac.local[1]}"
               f";{'rport;' if self.uac.role == 'phone' else ''}branch=z9hG4bK{branch}")
        self.vias[branch] = via
        headers = [("Via", via), ("Max-Forwards", "70"), ("From", self._from()),
                   ("To", self._to(in_dialog)), ("Call-ID", self.call_id),
                   ("CSeq", f"{self.cseq if cseq is None else cseq} {method}")]
        if method in ("INVITE", "REGISTER", "OPTIONS", "NOTIFY", "SUBSCRIBE"):
            headers.append(("Contact", self.uac.contact(self.transport)))
        if method == "INVITE":
            headers += [("Allow", ALLOW), ("Supported", "replaces, timer"), ("Session-Expires", "1800")]
        headers += list(extra)
        headers.append(("User-Agent", UA[self.uac.role]))
        ruri = f"sip:{self.uas.local[0]}" if method == "REGISTER" else self.ruri()
        return message(f"{method} {ruri} SIP/2.0", headers, body, content_type)

    def response(self, code: int, method: str, branch: str, *, cseq: int | None = None, body: bytes = b"",
                 extra: list[tuple[str, str]] = ()) -> bytes:
        via = self.vias.get(branch) or (f"SIP/2.0/{self.transport} {self.uac.local[0]}:{self.uac.local[1]}"
                                        f";branch=z9hG4bK{branch}")
        if self.uas.role == "pbx" and self.uac.natted:
            via = via.replace(";rport;", f";rport={self.uac.wire[1]};") + f";received={self.uac.wire[0]}"
        headers = [("Via", via), ("From", self._from()), ("To", self._to(code > 100)),
                   ("Call-ID", self.call_id), ("CSeq", f"{self.cseq if cseq is None else cseq} {method}")]
        if method == "INVITE" and 180 <= code < 300:
            headers.append(("Contact", self.uas.contact(self.transport)))
        headers += list(extra)
        headers.append(("Server", UA[self.uas.role]))
        return message(f"SIP/2.0 {code} {REASONS[code]}", headers, body, "application/sdp")
