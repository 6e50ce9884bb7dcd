"""Write a busy PBX capture: hundreds of phones behind NAT registering, calling and being qualified.

Used by the report tests (a few hundred messages) and by tests/benchmark/bench_report.py (10,000
and more). Written with `struct`, not scapy, so 10,000 messages take well under a second. The
traffic is what an Asterisk PJSIP box in front of many NATed phones sees, with the failures
support engineers meet: most registrations succeed after a 401 challenge, some end in 404
(AOR not found) or 403 (wrong password); most calls are answered, some get 486 Busy Here or
are cancelled (487); OPTIONS qualify the registered phones. All addresses are RFC 5737 /
RFC 1918; the digest responses are random hex.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

PBX = ("198.51.100.2", 5060)
SERVER = "Asterisk PBX 22.10.1"


def _ip_bytes(ip: str) -> bytes:
    return bytes(int(x) for x in ip.split("."))


class _Writer:
    def __init__(self, fh) -> None:
        self.fh = fh
        self.ident = 0
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def udp(self, t: float, src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> None:
        udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
        self.ident = (self.ident + 1) & 0xFFFF
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), self.ident, 0x4000, 64, 17, 0,
                             _ip_bytes(src[0]), _ip_bytes(dst[0]))
        checksum = sum(struct.unpack("!10H", header))
        checksum = (checksum & 0xFFFF) + (checksum >> 16)
        checksum = ~((checksum & 0xFFFF) + (checksum >> 16)) & 0xFFFF
        header = header[:10] + struct.pack("!H", checksum) + header[12:]
        frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + header + udp
        sec = int(t)
        self.fh.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(frame), len(frame)) + frame)


def _msg(first: str, headers: list[tuple[str, str]], body: str = "") -> bytes:
    lines = [first] + [f"{k}: {v}" for k, v in headers]
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


class _Phone:
    def __init__(self, n: int, rng: random.Random) -> None:
        self.user = str(20000 + n)
        self.lan = (f"192.168.{1 + n // 200}.{10 + n % 200}", 5060)
        self.public = (f"203.0.113.{1 + n % 250}", 20000 + n)
        self.ua = rng.choice(["Yealink SIP-T46S 66.86.0.15", "Grandstream GXP2170 1.0.11.23",
                              "Zoiper rv2.10.19.4", "baresip v1.0.0 (x86_64/linux)", "MicroSIP/3.21.6"])
        self.registered = False


def write_busy_capture(path: Path, messages: int, seed: int = 1) -> int:
    """Write about `messages` SIP messages to `path`; return how many were written."""
    rng = random.Random(seed)
    phones = [_Phone(i, rng) for i in range(max(4, messages // 25))]
    t = 1_790_000_000.0
    written = 0
    with open(path, "wb") as fh:
        w = _Writer(fh)

        def send(src, dst, data: bytes) -> None:
            nonlocal t, written
            t += rng.uniform(0.0005, 0.02)
            w.udp(t, src, dst, data)
            written += 1

        serial = 0
        while written < messages:
            serial += 1
            phone = rng.choice(phones)
            kind = rng.random()
            if kind < 0.45 or not phone.registered:
                _register(send, phone, serial, rng)
            elif kind < 0.85:
                callee = rng.choice(phones)
                _call(send, phone, callee, serial, rng)
            else:
                _options(send, phone, serial)
    return written


def _via(host: tuple[str, int], branch: str, received: tuple[str, int] | None = None) -> str:
    v = f"SIP/2.0/UDP {host[0]}:{host[1]};branch=z9hG4bK{branch}"
    return v + (f";received={received[0]};rport={received[1]}" if received else ";rport")


def _register(send, phone: _Phone, serial: int, rng: random.Random) -> None:
    call_id = f"reg{serial:06x}-{phone.user}"
    aor = f"<sip:{phone.user}@{PBX[0]}>"
    common = [("From", f"{aor};tag=f{serial}"), ("To", aor), ("Call-ID", call_id)]
    contact = ("Contact", f"<sip:{phone.user}@{phone.lan[0]}:{phone.lan[1]};ob>;expires=300")
    outcome = rng.random()
    b1, b2 = f"r{serial}a", f"r{serial}b"
    send(phone.public, PBX, _msg(f"REGISTER sip:{PBX[0]} SIP/2.0", [("Via", _via(phone.lan, b1))] + common +
                                 [("CSeq", "1 REGISTER"), contact, ("User-Agent", phone.ua), ("Expires", "300")]))
    nonce = f"{serial}/{rng.getrandbits(64):016x}"
    send(PBX, phone.public, _msg("SIP/2.0 401 Unauthorized",
                                 [("Via", _via(phone.lan, b1, phone.public))] + common[:1] +
                                 [("To", f"{aor};tag=z9hG4bK{b1}"), common[2], ("CSeq", "1 REGISTER"),
                                  ("WWW-Authenticate", f'Digest realm="asterisk",nonce="{nonce}",algorithm=MD5,qop="auth"'),
                                  ("Server", SERVER)]))
    auth = (f'Digest username="{phone.user}", realm="asterisk", nonce="{nonce}", uri="sip:{PBX[0]}", '
            f'response="{rng.getrandbits(128):032x}", algorithm=MD5, cnonce="{rng.getrandbits(32):08x}", '
            f"qop=auth, nc=00000001")
    send(phone.public, PBX, _msg(f"REGISTER sip:{PBX[0]} SIP/2.0", [("Via", _via(phone.lan, b2))] + common +
                                 [("CSeq", "2 REGISTER"), contact, ("Authorization", auth), ("User-Agent", phone.ua),
                                  ("Expires", "300")]))
    to = ("To", f"{aor};tag=z9hG4bK{b2}")
    via = ("Via", _via(phone.lan, b2, phone.public))
    if outcome < 0.08:
        send(PBX, phone.public, _msg("SIP/2.0 404 Not Found", [via, common[0], to, common[2], ("CSeq", "2 REGISTER"),
                                                                ("Server", SERVER)]))
    elif outcome < 0.12:
        send(PBX, phone.public, _msg("SIP/2.0 403 Forbidden", [via, common[0], to, common[2], ("CSeq", "2 REGISTER"),
                                                                ("Server", SERVER)]))
    else:
        phone.registered = True
        stored = f"<sip:{phone.user}@{phone.public[0]}:{phone.public[1]};ob>;expires=299"
        send(PBX, phone.public, _msg("SIP/2.0 200 OK", [via, common[0], to, common[2], ("CSeq", "2 REGISTER"),
                                                         ("Contact", stored), ("Server", SERVER)]))


def _sdp(ip: str, port: int, session: int) -> str:
    return (f"v=0\r\no=- {session} {session} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            f"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


def _call(send, caller: _Phone, callee: _Phone, serial: int, rng: random.Random) -> None:
    call_id = f"call{serial:06x}@{caller.lan[0]}"
    frm = ("From", f'"{caller.user}" <sip:{caller.user}@{PBX[0]}>;tag=c{serial}')
    to_uri = f"<sip:{callee.user}@{PBX[0]}>"
    b = f"i{serial}"
    inv_hdrs = [("Via", _via(caller.lan, b)), frm, ("To", to_uri), ("Call-ID", call_id), ("CSeq", "1 INVITE"),
                ("Contact", f"<sip:{caller.user}@{caller.lan[0]}:{caller.lan[1]}>"), ("User-Agent", caller.ua),
                ("Content-Type", "application/sdp")]
    send(caller.public, PBX, _msg(f"INVITE sip:{callee.user}@{PBX[0]} SIP/2.0", inv_hdrs,
                                  _sdp(caller.lan[0], 10000 + 2 * (serial % 5000), serial)))
    rvia = ("Via", _via(caller.lan, b, caller.public))
    send(PBX, caller.public, _msg("SIP/2.0 100 Trying", [rvia, frm, ("To", to_uri), ("Call-ID", call_id),
                                                           ("CSeq", "1 INVITE"), ("Server", SERVER)]))
    # the PBX's leg to the callee, to the contact it stored (the NAT binding)
    leg_id = f"leg{serial:06x}"
    lb = f"p{serial}"
    pfrom = ("From", f'"{caller.user}" <sip:{caller.user}@{PBX[0]}>;tag=p{serial}')
    pto = f"<sip:{callee.user}@{callee.public[0]}:{callee.public[1]}>"
    send(PBX, callee.public, _msg(f"INVITE sip:{callee.user}@{callee.public[0]}:{callee.public[1]};ob SIP/2.0",
                                  [("Via", _via(PBX, lb)), pfrom, ("To", pto), ("Call-ID", leg_id),
                                   ("CSeq", "100 INVITE"), ("Contact", f"<sip:asterisk@{PBX[0]}:5060>"),
                                   ("User-Agent", SERVER), ("Content-Type", "application/sdp")],
                                  _sdp(PBX[0], 14000 + 2 * (serial % 5000), serial)))
    pvia = ("Via", _via(PBX, lb))
    tag = f"t{serial}"
    outcome = rng.random()
    leg_hdrs = [pvia, pfrom, ("To", f"{pto};tag={tag}"), ("Call-ID", leg_id), ("CSeq", "100 INVITE"),
                ("User-Agent", callee.ua)]
    send(callee.public, PBX, _msg("SIP/2.0 180 Ringing", leg_hdrs))
    up_to = ("To", f"{to_uri};tag=u{serial}")
    up = [rvia, frm, up_to, ("Call-ID", call_id), ("CSeq", "1 INVITE"), ("Server", SERVER)]
    send(PBX, caller.public, _msg("SIP/2.0 180 Ringing", up))
    if outcome < 0.15:
        send(callee.public, PBX, _msg("SIP/2.0 486 Busy Here", leg_hdrs))
        send(PBX, callee.public, _msg(f"ACK sip:{callee.user}@{callee.public[0]}:{callee.public[1]};ob SIP/2.0",
                                      [pvia, pfrom, ("To", f"{pto};tag={tag}"), ("Call-ID", leg_id),
                                       ("CSeq", "100 ACK")]))
        send(PBX, caller.public, _msg("SIP/2.0 486 Busy Here", up))
        send(caller.public, PBX, _msg(f"ACK sip:{callee.user}@{PBX[0]} SIP/2.0",
                                      [("Via", _via(caller.lan, b)), frm, up_to, ("Call-ID", call_id),
                                       ("CSeq", "1 ACK")]))
        return
    if outcome < 0.25:
        cancel = [("Via", _via(caller.lan, b)), frm, ("To", to_uri), ("Call-ID", call_id), ("CSeq", "1 CANCEL")]
        send(caller.public, PBX, _msg(f"CANCEL sip:{callee.user}@{PBX[0]} SIP/2.0", cancel))
        send(PBX, caller.public, _msg("SIP/2.0 200 OK", [rvia] + cancel[1:]))
        leg_uri = f"sip:{callee.user}@{callee.public[0]}:{callee.public[1]};ob"
        leg_cancel = [pvia, pfrom, ("To", pto), ("Call-ID", leg_id), ("CSeq", "100 CANCEL")]
        send(PBX, callee.public, _msg(f"CANCEL {leg_uri} SIP/2.0", leg_cancel))
        send(callee.public, PBX, _msg("SIP/2.0 200 OK", leg_cancel[:2] + [("To", f"{pto};tag={tag}")] +
                                      leg_cancel[3:]))
        send(callee.public, PBX, _msg("SIP/2.0 487 Request Terminated", leg_hdrs))
        send(PBX, callee.public, _msg(f"ACK {leg_uri} SIP/2.0", [pvia, pfrom, ("To", f"{pto};tag={tag}"),
                                                                 ("Call-ID", leg_id), ("CSeq", "100 ACK")]))
        send(PBX, caller.public, _msg("SIP/2.0 487 Request Terminated", up))
        send(caller.public, PBX, _msg(f"ACK sip:{callee.user}@{PBX[0]} SIP/2.0",
                                      [("Via", _via(caller.lan, b)), frm, up_to, ("Call-ID", call_id),
                                       ("CSeq", "1 ACK")]))
        return
    send(callee.public, PBX, _msg("SIP/2.0 200 OK", leg_hdrs + [("Content-Type", "application/sdp")],
                                  _sdp(callee.lan[0], 12000 + 2 * (serial % 5000), serial)))
    send(PBX, callee.public, _msg(f"ACK sip:{callee.user}@{callee.public[0]}:{callee.public[1]};ob SIP/2.0",
                                  [("Via", _via(PBX, f"{lb}a")), pfrom, ("To", f"{pto};tag={tag}"),
                                   ("Call-ID", leg_id), ("CSeq", "100 ACK")]))
    send(PBX, caller.public, _msg("SIP/2.0 200 OK", up + [("Content-Type", "application/sdp")],
                                  _sdp(PBX[0], 16000 + 2 * (serial % 5000), serial)))
    send(caller.public, PBX, _msg(f"ACK sip:asterisk@{PBX[0]}:5060 SIP/2.0",
                                  [("Via", _via(caller.lan, f"{b}a")), frm, up_to, ("Call-ID", call_id),
                                   ("CSeq", "1 ACK")]))
    bye = [("Via", _via(caller.lan, f"{b}b")), frm, up_to, ("Call-ID", call_id), ("CSeq", "2 BYE")]
    send(caller.public, PBX, _msg(f"BYE sip:asterisk@{PBX[0]}:5060 SIP/2.0", bye))
    send(PBX, caller.public, _msg("SIP/2.0 200 OK", [("Via", _via(caller.lan, f"{b}b", caller.public))] + bye[1:]))
    pbye = [("Via", _via(PBX, f"{lb}b")), pfrom, ("To", f"{pto};tag={tag}"), ("Call-ID", leg_id), ("CSeq", "101 BYE")]
    send(PBX, callee.public, _msg(f"BYE sip:{callee.user}@{callee.public[0]}:{callee.public[1]};ob SIP/2.0", pbye))
    send(callee.public, PBX, _msg("SIP/2.0 200 OK", pbye))


def _options(send, phone: _Phone, serial: int) -> None:
    hdrs = [("Via", _via(PBX, f"o{serial}")), ("From", f"<sip:asterisk@{PBX[0]}>;tag=o{serial}"),
            ("To", f"<sip:{phone.user}@{phone.public[0]}:{phone.public[1]}>"), ("Call-ID", f"opt{serial:06x}"),
            ("CSeq", "1 OPTIONS"), ("User-Agent", SERVER)]
    send(PBX, phone.public, _msg(f"OPTIONS sip:{phone.user}@{phone.public[0]}:{phone.public[1]};ob SIP/2.0", hdrs))
    send(phone.public, PBX, _msg("SIP/2.0 200 OK", hdrs[:3] + [("To", f"{hdrs[2][1]};tag=q{serial}")] + hdrs[3:5] +
                                 [("User-Agent", phone.ua)]))
