"""Write a multi-party capture: a call through an SBC and a forking PBX proxy to several phones.

Used by the report tests for ladders with many lanes. The caller (a softphone behind NAT) calls
extension 600 through the SBC; the PBX (a registrar proxy that forks in parallel, RFC 3261
§16.7, to every contact of a ring group) sends the INVITE to `phones` desk phones at once. One
phone answers; the PBX cancels the others (200 to CANCEL, 487 Request Terminated, ACK). The last
phone is switched off: its INVITE is retransmitted and never answered, so it is not cancelled
(RFC 3261 §9.1: no CANCEL before a provisional response). Then the caller hangs up (BYE through
both proxies). One Call-ID end to end, as proxies keep it: the whole call is one flow, so its
ladder has a lane for every host (2 + phones + the caller). Addresses are RFC 5737 / RFC 1918.
Written with the pcap writer of busy_capture.py, in well under a second.
"""

from __future__ import annotations

from pathlib import Path

from busy_capture import _msg, _sdp, _via, _Writer

CALLER_LAN = ("192.168.1.20", 5060)
CALLER = ("203.0.113.45", 40123)
SBC = ("198.51.100.10", 5060)
PBX = ("10.20.0.2", 5060)
CALL_ID = "fork-7f3a9c21@192.168.1.20"
SBC_PRODUCT = "kamailio (5.7.4 (x86_64/linux))"
PBX_PRODUCT = "OpenSIPS (3.4.2 (x86_64/linux))"
PHONE_PRODUCT = "Yealink SIP-T46S 66.86.0.15"


def write_forking_capture(path: Path, phones: int = 4) -> int:
    """Write the call to `path` with `phones` forked phones (at least 2); return the message count."""
    phones = max(2, phones)
    desks = [(f"10.20.1.{11 + n}", 5060) for n in range(phones)]
    t = 1_790_000_000.0
    written = 0
    with open(path, "wb") as fh:
        w = _Writer(fh)

        def send(src, dst, data: bytes, gap: float = 0.004) -> None:
            nonlocal t, written
            t += gap
            w.udp(t, src, dst, data)
            written += 1

        frm = ("From", '"Alice" <sip:alice@voip.example.net>;tag=al9k2')
        to = ("To", "<sip:600@voip.example.net>")
        cid = ("Call-ID", CALL_ID)
        via_a = _via(CALLER_LAN, "a1", CALLER)
        via_s = f"SIP/2.0/UDP {SBC[0]}:{SBC[1]};branch=z9hG4bKs1"
        via_p = [f"SIP/2.0/UDP {PBX[0]}:{PBX[1]};branch=z9hG4bKp1.{n}" for n in range(phones)]
        rr = ("Record-Route", f"<sip:{PBX[0]};lr>, <sip:{SBC[0]};lr>")
        sdp_a = _sdp(CALLER_LAN[0], 4000, 7001)
        invite = [frm, to, cid, ("CSeq", "1 INVITE"), ("Contact", f"<sip:alice@{CALLER_LAN[0]}:{CALLER_LAN[1]}>"),
                  ("User-Agent", "Zoiper rv2.10.19.4"), ("Content-Type", "application/sdp")]
        send(CALLER, SBC, _msg("INVITE sip:600@voip.example.net SIP/2.0", [("Via", _via(CALLER_LAN, "a1"))] + invite,
                               sdp_a))
        send(SBC, CALLER, _msg("SIP/2.0 100 Trying", [("Via", via_a), frm, to, cid, ("CSeq", "1 INVITE"),
                                                      ("Server", SBC_PRODUCT)]))
        send(SBC, PBX, _msg(f"INVITE sip:600@{PBX[0]} SIP/2.0",
                            [("Via", via_s), ("Via", via_a), ("Record-Route", f"<sip:{SBC[0]};lr>")] + invite +
                            [("Max-Forwards", "69")], sdp_a))
        send(PBX, SBC, _msg("SIP/2.0 100 Trying", [("Via", via_s), ("Via", via_a), frm, to, cid, ("CSeq", "1 INVITE"),
                                                   ("Server", PBX_PRODUCT)]))
        up = [("Via", via_s), ("Via", via_a)]
        for n, desk in enumerate(desks):
            send(PBX, desk, _msg(f"INVITE sip:{201 + n}@{desk[0]}:{desk[1]} SIP/2.0",
                                 [("Via", via_p[n])] + up + [rr] + invite + [("Max-Forwards", "68")], sdp_a))
        answering, off = 1 % (phones - 1), phones - 1
        tags = [f"d{201 + n}x" for n in range(phones)]

        def down(n: int, status: str, body: str = "", extra: list | None = None) -> bytes:
            hdrs = [("Via", via_p[n])] + up + [rr, frm, ("To", f"<sip:600@voip.example.net>;tag={tags[n]}"), cid,
                                               ("CSeq", "1 INVITE"), ("Server", PHONE_PRODUCT)]
            return _msg(status, hdrs + (extra or []), body)

        for n, desk in enumerate(desks[:off]):
            send(desk, PBX, _msg("SIP/2.0 100 Trying", [("Via", via_p[n])] + up + [frm, to, cid, ("CSeq", "1 INVITE"),
                                                                                    ("Server", PHONE_PRODUCT)]))
        for n, desk in enumerate(desks[:off]):
            send(desk, PBX, down(n, "SIP/2.0 180 Ringing"), 0.05)
        ringing = _msg("SIP/2.0 180 Ringing", up + [rr, frm, ("To", f"<sip:600@voip.example.net>;tag={tags[0]}"),
                                                    cid, ("CSeq", "1 INVITE")])
        send(PBX, SBC, ringing)
        send(SBC, CALLER, _msg("SIP/2.0 180 Ringing", [("Via", via_a), rr, frm,
                                                        ("To", f"<sip:600@voip.example.net>;tag={tags[0]}"), cid,
                                                        ("CSeq", "1 INVITE")]))
        # the switched-off phone: its INVITE again at T1 and 2*T1, never an answer
        for n in (off, off):
            send(PBX, desks[n], _msg(f"INVITE sip:{201 + n}@{desks[n][0]}:{desks[n][1]} SIP/2.0",
                                     [("Via", via_p[n])] + up + [rr] + invite + [("Max-Forwards", "68")], sdp_a), 0.5)
        desk = desks[answering]
        sdp_d = _sdp(desk[0], 11780, 9001)
        contact = ("Contact", f"<sip:{201 + answering}@{desk[0]}:{desk[1]}>")
        send(desk, PBX, down(answering, "SIP/2.0 200 OK", sdp_d, [contact, ("Content-Type", "application/sdp")]), 2.2)
        for n in range(off):
            if n == answering:
                continue
            cancel = [("Via", via_p[n]), frm, to, cid, ("CSeq", "1 CANCEL"), ("Max-Forwards", "70")]
            send(PBX, desks[n], _msg(f"CANCEL sip:{201 + n}@{desks[n][0]}:{desks[n][1]} SIP/2.0", cancel))
            send(desks[n], PBX, _msg("SIP/2.0 200 OK", [("Via", via_p[n]), frm,
                                                         ("To", f"<sip:600@voip.example.net>;tag={tags[n]}"), cid,
                                                         ("CSeq", "1 CANCEL")]))
            send(desks[n], PBX, down(n, "SIP/2.0 487 Request Terminated"))
            send(PBX, desks[n], _msg(f"ACK sip:{201 + n}@{desks[n][0]}:{desks[n][1]} SIP/2.0",
                                     [("Via", via_p[n]), frm, ("To", f"<sip:600@voip.example.net>;tag={tags[n]}"), cid,
                                      ("CSeq", "1 ACK")]))
        answer_to = ("To", f"<sip:600@voip.example.net>;tag={tags[answering]}")
        send(PBX, SBC, _msg("SIP/2.0 200 OK", up + [rr, frm, answer_to, cid, ("CSeq", "1 INVITE"), contact,
                                                    ("Content-Type", "application/sdp")], sdp_d))
        send(SBC, CALLER, _msg("SIP/2.0 200 OK", [("Via", via_a), rr, frm, answer_to, cid, ("CSeq", "1 INVITE"),
                                                  contact, ("Content-Type", "application/sdp")], sdp_d))
        route = ("Route", f"<sip:{SBC[0]};lr>, <sip:{PBX[0]};lr>")
        target = f"sip:{201 + answering}@{desk[0]}:{desk[1]}"

        def in_dialog(method: str, cseq: int, branch: str, hops: list) -> None:
            """A request from the caller along the route set, each hop adding its Via; then the 200 back."""
            vias = [_via(CALLER_LAN, branch)]
            path = [CALLER, SBC, PBX, desk]
            for hop in range(3):
                hdrs = [("Via", v) for v in reversed(vias)] + hops[hop] + [frm, answer_to, cid, ("CSeq", f"{cseq} {method}")]
                send(path[hop], path[hop + 1], _msg(f"{method} {target} SIP/2.0", hdrs), 0.003)
                if hop == 0:
                    vias[0] = _via(CALLER_LAN, branch, CALLER)
                vias.append(f"SIP/2.0/UDP {path[hop + 1][0]}:{path[hop + 1][1]};branch=z9hG4bK{branch}.{hop}")
            if method == "ACK":
                return
            vias.pop()
            for hop in (2, 1, 0):
                hdrs = [("Via", v) for v in reversed(vias)] + [frm, answer_to, cid, ("CSeq", f"{cseq} {method}")]
                send(path[hop + 1], path[hop], _msg("SIP/2.0 200 OK", hdrs), 0.003)
                vias.pop()

        in_dialog("ACK", 1, "a2", [[route], [("Route", f"<sip:{PBX[0]};lr>")], []])
        in_dialog("BYE", 2, "a3", [[route], [("Route", f"<sip:{PBX[0]};lr>")], []])
    return written


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "forking.pcap")
    n = write_forking_capture(out, int(sys.argv[2]) if len(sys.argv) > 2 else 4)
    print(f"{out}: {n} SIP messages")
