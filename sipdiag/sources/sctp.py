"""SCTP packets (RFC 9260) → the user messages in their DATA and I-DATA chunks.

Each chunk is type, flags, length, value, padded to 4 bytes. DATA (0) carries TSN, stream
id, stream sequence number and PPID before the user data; I-DATA (64, RFC 8260) carries
TSN, stream id, message id, PPID/FSN. Only unfragmented chunks (B and E flags both set)
are returned whole; fragmented user messages are rare for SIP and are reported as a
problem rather than guessed at.
"""

from __future__ import annotations


def data_chunks(packet: bytes, problems: list[str]) -> list[bytes]:
    out: list[bytes] = []
    pos = 0
    n = len(packet)
    while pos + 4 <= n:
        ctype, flags = packet[pos], packet[pos + 1]
        length = (packet[pos + 2] << 8) | packet[pos + 3]
        if length < 4:
            problems.append("damaged SCTP chunk length")
            break
        value = packet[pos + 4 : pos + length]
        if ctype in (0, 64):
            header = 12 if ctype == 0 else 16
            if len(value) < header:
                problems.append("truncated SCTP DATA chunk")
            elif flags & 0x03 == 0x03:
                out.append(value[header:])
            else:
                problems.append("fragmented SCTP user message not reassembled")
        pos += (length + 3) & ~3
    return out
