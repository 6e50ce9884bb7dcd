"""Writes the synthetic text traces beside this script: `python tests/data/textlogs/make_fixtures.py`.

No real sample exists for chan_sip debug, FreeSWITCH siptrace, sngrep exports, ngrep with
timestamps and TCP, or plain pasted messages, so these are rendered from one set of messages
in each tool's exact output format (chan_sip.c `sip set debug`, sofia-sip `tport_log_msg`,
sngrep `save_msg_txt`, ngrep `-W byline -t`). Content-Length values are computed, so the
messages are valid. Addresses are RFC 5737: phone 192.0.2.10, PBX 198.51.100.2.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PHONE = "192.0.2.10:5060"
PBX = "198.51.100.2:5060"

SDP_OFFER = (
    "v=0\r\n"
    "o=- 3918492801 3918492801 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=sendrecv\r\n"
)
ASTERISK = "Asterisk PBX 13.38.3"
FREESWITCH = "FreeSWITCH-mod_sofia/1.10.9-release~64bit"
SDP_ANSWER = (
    "v=0\r\n"
    "o=root 1904 1904 IN IP4 198.51.100.2\r\n"
    "s=PBX\r\n"
    "c=IN IP4 198.51.100.2\r\n"
    "t=0 0\r\n"
    "m=audio 12000 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
)
NONCE = "1f2e3d4c5b6a79880f1e2d3c4b5a6978"


def sip(start: str, headers: list[str], body: str = "") -> str:
    """A SIP message with CRLF line ends and a correct Content-Length."""
    lines = [start, *headers, f"Content-Length: {len(body.encode())}"]
    return "\r\n".join(lines) + "\r\n\r\n" + body


def register(cseq: int, branch: str, auth: bool) -> str:
    headers = [
        f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{branch};rport",
        "Max-Forwards: 70",
        "From: <sip:101@198.51.100.2>;tag=8d1c6f0b",
        "To: <sip:101@198.51.100.2>",
        "Call-ID: 5f1b7a2c9e3d4f60@192.0.2.10",
        f"CSeq: {cseq} REGISTER",
        "Contact: <sip:101@192.0.2.10:5060;transport=udp>;expires=3600",
        "User-Agent: Yealink SIP-T46S 66.86.0.15",
        "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, SUBSCRIBE, UPDATE, PRACK, MESSAGE",
    ]
    if auth:
        headers.insert(6, (
            f'Authorization: Digest username="101", realm="asterisk", nonce="{NONCE}", '
            'uri="sip:198.51.100.2", response="0a4f3b2e1d0c9b8a7f6e5d4c3b2a1908", algorithm=MD5'
        ))
    return sip("REGISTER sip:198.51.100.2 SIP/2.0", headers)


def register_reply(cseq: int, branch: str, status: str, extra: list[str], server: str = ASTERISK) -> str:
    return sip(f"SIP/2.0 {status}", [
        f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{branch};received=192.0.2.10;rport=5060",
        "From: <sip:101@198.51.100.2>;tag=8d1c6f0b",
        "To: <sip:101@198.51.100.2>;tag=as5c7e1a2b",
        "Call-ID: 5f1b7a2c9e3d4f60@192.0.2.10",
        f"CSeq: {cseq} REGISTER",
        f"Server: {server}",
        "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE",
        *extra,
    ])


CHALLENGE = f'WWW-Authenticate: Digest algorithm=MD5, realm="asterisk", nonce="{NONCE}"'
REGISTRATION = [
    ("in", register(1, "a1", auth=False)),
    ("out", register_reply(1, "a1", "401 Unauthorized", [CHALLENGE])),
    ("in", register(2, "a2", auth=True)),
    ("out", register_reply(2, "a2", "200 OK", ["Expires: 3600",
                                              "Contact: <sip:101@192.0.2.10:5060;transport=udp>;expires=3600",
                                              "Date: Sun, 22 Nov 2026 19:28:47 GMT"])),
]

_DIALOG = [
    "From: \"Desk 101\" <sip:101@198.51.100.2>;tag=3c9a0e71",
    "To: <sip:102@198.51.100.2>",
    "Call-ID: 0c7d2e4a91b3@192.0.2.10",
]
INVITE = sip("INVITE sip:102@198.51.100.2 SIP/2.0", [
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKc1;rport",
    "Max-Forwards: 70",
    *_DIALOG,
    "CSeq: 20 INVITE",
    "Contact: <sip:101@192.0.2.10:5060>",
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, UPDATE",
    "User-Agent: Yealink SIP-T46S 66.86.0.15",
    "Content-Type: application/sdp",
], SDP_OFFER)
ACK = sip("ACK sip:102@198.51.100.2:5060 SIP/2.0", [
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKc2;rport",
    "Max-Forwards: 70",
    _DIALOG[0],
    _DIALOG[1] + ";tag=as0f3e2d1c",
    _DIALOG[2],
    "CSeq: 20 ACK",
])
BYE_OK = sip("SIP/2.0 200 OK", [
    "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK5a0e33c1;rport=5060",
    "From: <sip:102@198.51.100.2>;tag=as0f3e2d1c",
    "To: \"Desk 101\" <sip:101@198.51.100.2>;tag=3c9a0e71",
    _DIALOG[2],
    "CSeq: 102 BYE",
])


def call(server: str) -> list[tuple[str, str]]:
    """INVITE / 100 / 200 (SDP) / ACK, then the PBX (`server`) hangs up: BYE / 200."""
    trying = sip("SIP/2.0 100 Trying", [
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKc1;received=192.0.2.10;rport=5060",
        *_DIALOG,
        "CSeq: 20 INVITE",
        f"Server: {server}",
    ])
    answer = sip("SIP/2.0 200 OK", [
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKc1;received=192.0.2.10;rport=5060",
        _DIALOG[0],
        _DIALOG[1] + ";tag=as0f3e2d1c",
        _DIALOG[2],
        "CSeq: 20 INVITE",
        f"Server: {server}",
        "Contact: <sip:102@198.51.100.2:5060>",
        "Content-Type: application/sdp",
    ], SDP_ANSWER)
    bye = sip("BYE sip:101@192.0.2.10:5060 SIP/2.0", [
        "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK5a0e33c1;rport",
        "Max-Forwards: 70",
        "From: <sip:102@198.51.100.2>;tag=as0f3e2d1c",
        "To: \"Desk 101\" <sip:101@198.51.100.2>;tag=3c9a0e71",
        _DIALOG[2],
        "CSeq: 102 BYE",
        f"User-Agent: {server}",
    ])
    return [("in", INVITE), ("out", trying), ("out", answer), ("in", ACK), ("out", bye), ("in", BYE_OK)]


CALL = call(ASTERISK)


def console(message: str) -> list[str]:
    """A message as the Asterisk console shows it: CRs gone, one line per header."""
    return message.split("\r\n")


def chan_sip_console() -> str:
    out = [
        "Connected to Asterisk 13.38.3 currently running on pbx (pid = 1187)",
        "pbx*CLI> sip set debug on",
        "SIP Debugging enabled",
    ]
    for direction, message in REGISTRATION + CALL:
        out.append("")
        if direction == "in":
            out.append(f"<--- SIP read from UDP:{PHONE} --->")
            out += console(message)
            out.append("<------------->")
            headers = message.split("\r\n\r\n")[0].count("\r\n")
            out.append(f"--- ({headers} headers 0 lines) ---")
        else:
            reliable = message.startswith("BYE") or (message.startswith("SIP/2.0 200") and "INVITE\r\n" in message)
            reliably = "Reliably " if reliable else ""
            out.append(f"<--- {reliably}Transmitting (NAT) to {PHONE} --->")
            out += console(message)
            out.append("<------------>")
        if message is INVITE:
            out.append("    -- Executing [102@from-internal:1] Dial(\"SIP/101-00000003\", \"SIP/102,30\") in new stack")
            out.append("  == Using SIP RTP CoS mark 5")
    # a CRLF keep-alive and an old-style retransmission of the 200 OK
    out += ["", f"<--- SIP read from UDP:{PHONE} --->", "", "", "<------------->"]
    out += ["[Nov 22 19:29:03] WARNING[1204][C-00000003]: chan_sip.c:4123 retrans_pkt: "
            "Retransmission timeout reached on transmission 0c7d2e4a91b3@192.0.2.10 for seqno 102 (Critical Request)"]
    bye = CALL[4][1]
    out += [f"Retransmitting #1 (NAT) to {PHONE}:"] + console(bye) + ["---"]
    out += ["pbx*CLI> sip set debug off", "SIP Debugging disabled", ""]
    return "\n".join(out)


def chan_sip_full_log() -> str:
    """Asterisk `full` log: each dump follows a VERBOSE line whose text is empty; CRs kept."""
    failed = [
        ("in", register(1, "b1", auth=False)),
        ("out", register_reply(1, "b1", "401 Unauthorized", [CHALLENGE])),
        ("in", register(2, "b2", auth=True)),
        ("out", register_reply(2, "b2", "403 Forbidden", [])),
    ]
    out = ["[2026-11-22 19:30:01.412] VERBOSE[1187] asterisk.c: Remote UNIX connection"]
    stamps = ["19:30:05.100", "19:30:05.101", "19:30:05.140", "19:30:05.142"]
    for (direction, message), stamp in zip(failed, stamps):
        out.append(f"[2026-11-22 {stamp}] VERBOSE[1204][C-00000004] chan_sip.c: ")
        if direction == "in":
            out.append(f"<--- SIP read from UDP:{PHONE} --->")
            out.append(message)
            out.append("<------------->")
        else:
            out.append(f"<--- Transmitting (NAT) to {PHONE} --->")
            out.append(message)
            out.append("<------------>")
        if stamp == "19:30:05.142":
            out.append("[2026-11-22 19:30:05.142] NOTICE[1204] chan_sip.c: Registration from "
                       "'<sip:101@198.51.100.2>' failed for '192.0.2.10:5060' - Wrong password")
    out.append("")
    return "\n".join(out)


def freeswitch_siptrace() -> str:
    """sofia-sip tport_log_msg output with FreeSWITCH log lines around it (PBX 198.51.100.2)."""
    separator = "   " + "-" * 72
    out = [
        "2026-11-22 19:28:40.001204 [NOTICE] sofia.c:3418 Started Profile internal [sofia_reg_internal]",
        "2026-11-22 19:28:44.502117 98.53% [INFO] mod_sofia.c:6245 sofia global siptrace on",
    ]
    times = ["19:28:47.166123", "19:28:47.166901", "19:28:47.401552", "19:28:47.402007",
             "19:28:49.901220", "19:28:49.920345", "19:28:55.000871", "19:28:55.012456"]
    exchange = call(FREESWITCH) + [
        ("in", register(1, "f1", auth=False)),
        ("out", register_reply(1, "f1", "401 Unauthorized", [CHALLENGE], server=FREESWITCH)),
    ]
    for (direction, message), at in zip(exchange, times):
        size = len(message.encode())
        if direction == "in":
            out.append(f"recv {size} bytes from udp/[192.0.2.10]:5060 at {at}:")
        else:
            out.append(f"send {size} bytes to udp/[192.0.2.10]:5060 at {at}:")
        out.append(separator)
        body_lines = message.split("\r\n")
        if body_lines[-1] == "":
            body_lines.pop()
        out += ["   " + line for line in body_lines]
        out.append(separator)
        if message is INVITE:
            out.append("4b7e2a10-6c1d-4e8f-9a2b-3c4d5e6f7a8b 2026-11-22 19:28:47.167350 97.90% [NOTICE] "
                       "switch_channel.c:1142 New Channel sofia/internal/101@198.51.100.2 "
                       "[4b7e2a10-6c1d-4e8f-9a2b-3c4d5e6f7a8b]")
        if message.startswith("REGISTER"):
            out.append("2026-11-22 19:28:55.001422 97.85% [WARNING] sofia_reg.c:1761 SIP auth challenge (REGISTER) "
                       "on sofia profile 'internal' for [101@198.51.100.2] from ip 192.0.2.10")
    out.append("")
    return "\n".join(out)


def sngrep_export() -> str:
    """sngrep `save_msg_txt`: date time src -> dst, the payload as captured, an empty line."""
    out = []
    times = ["19:28:47.166123", "19:28:47.166901", "19:28:47.201552", "19:28:47.202007",
             "19:28:49.901220", "19:28:49.920345", "19:28:50.001234", "19:28:50.011002",
             "19:28:55.000871", "19:28:55.012456"]
    for (direction, message), at in zip(REGISTRATION + CALL, times):
        src, dst = (PHONE, PBX) if direction == "in" else (PBX, PHONE)
        out.append(f"2026/11/22 {at} {src} -> {dst}\n{message}\n\n")
    return "".join(out)


def ngrep_byline() -> str:
    """`ngrep -d any -t -W byline port 5060`: CR shown as '.', UDP and one TCP segment with two messages."""
    out = [
        "interface: any",
        "filter: ( port 5060 ) and ((ip || ip6) || (vlan && (ip || ip6)))",
    ]
    times = ["19:28:47.166123", "19:28:47.166901", "19:28:47.201552", "19:28:47.202007"]
    for (direction, message), at in zip(REGISTRATION, times):
        src, dst = (PHONE, PBX) if direction == "in" else (PBX, PHONE)
        out += ["#", f"U 2026/11/22 {at} {src} -> {dst}"]
        out += [line + "." for line in message.split("\r\n")[:-1]]
        out.append("")
    out += ["#", f"U 2026/11/22 19:28:48.000001 {PHONE} -> {PBX}", ".", ".", ""]  # CRLF keep-alive
    tcp_phone = "192.0.2.20:40112"
    options = sip("OPTIONS sip:198.51.100.2 SIP/2.0", [
        "Via: SIP/2.0/TCP 192.0.2.20:40112;branch=z9hG4bKo1;rport",
        "Max-Forwards: 70",
        "From: <sip:103@198.51.100.2>;tag=o1",
        "To: <sip:198.51.100.2>",
        "Call-ID: opt-1@192.0.2.20",
        "CSeq: 1 OPTIONS",
    ])
    info = sip("INFO sip:198.51.100.2 SIP/2.0", [
        "Via: SIP/2.0/TCP 192.0.2.20:40112;branch=z9hG4bKo2;rport",
        "Max-Forwards: 70",
        "From: <sip:103@198.51.100.2>;tag=o1",
        "To: <sip:198.51.100.2>",
        "Call-ID: opt-1@192.0.2.20",
        "CSeq: 2 INFO",
        "Content-Type: application/dtmf-relay",
    ], "Signal=5\r\nDuration=160\r\n")
    out += ["#", f"T 2026/11/22 19:28:48.500000 {tcp_phone} -> {PBX} [AP] #7"]
    out += [line + "." for line in (options + info).split("\r\n")[:-1]]
    out += ["", "exit", "7 received, 0 dropped", ""]
    return "\n".join(out)


def plain_paste() -> str:
    """Messages pasted into a ticket, text around them, a multipart body with empty lines in it."""
    boundary = "unique-boundary-1"
    multipart = (
        f"--{boundary}\r\n"
        "Content-Type: application/sdp\r\n"
        "\r\n"
        + SDP_OFFER
        + "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: application/isup;version=itu-t92+\r\n"
        "Content-Disposition: signal;handling=optional\r\n"
        "\r\n"
        "0110020a0a03\r\n"
        f"--{boundary}--\r\n"
    )
    invite = sip("INVITE sip:+15550100@198.51.100.2 SIP/2.0", [
        "Via: SIP/2.0/TCP 203.0.113.5:5060;branch=z9hG4bKmp1",
        "Max-Forwards: 69",
        "From: <sip:+15550199@203.0.113.5>;tag=gw77",
        "To: <sip:+15550100@198.51.100.2>",
        "Call-ID: mp-call-1@203.0.113.5",
        "CSeq: 1 INVITE",
        'P-Asserted-Identity: "Carrier Customer 0199" <sip:+15550199@carrier.example.net;user=phone>',
        "Contact: <sip:gw@203.0.113.5:5060;transport=tcp>",
        f"Content-Type: multipart/mixed;boundary={boundary}",
        "MIME-Version: 1.0",
    ], multipart)
    rejected = sip("SIP/2.0 488 Not Acceptable Here", [
        "Via: SIP/2.0/TCP 203.0.113.5:5060;branch=z9hG4bKmp1;received=203.0.113.5",
        "From: <sip:+15550199@203.0.113.5>;tag=gw77",
        "To: <sip:+15550100@198.51.100.2>;tag=pbx1",
        "Call-ID: mp-call-1@203.0.113.5",
        "CSeq: 1 INVITE",
        "Warning: 399 pbx \"ISUP body not supported\"",
    ])
    return "\n".join([
        "Hi, the carrier's INVITE is rejected. Here is what the PBX got:",
        "",
        invite.replace("\r\n", "\n"),
        "and it answered:",
        "",
        rejected.replace("\r\n", "\n"),
        "Thanks!",
        "",
    ])


FIXTURES = {
    "chan_sip_console.txt": chan_sip_console,
    "chan_sip_full.log": chan_sip_full_log,
    "freeswitch_siptrace.log": freeswitch_siptrace,
    "sngrep_export.txt": sngrep_export,
    "ngrep_byline_tcp.txt": ngrep_byline,
    "plain_paste.txt": plain_paste,
}


def main() -> None:
    for name, render in FIXTURES.items():
        (HERE / name).write_bytes(render().encode("utf-8"))


if __name__ == "__main__":
    main()
