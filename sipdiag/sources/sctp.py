"""SCTP packets (RFC 9260) → the user messages in their DATA and I-DATA chunks.

Each chunk is type, flags, length, value, padded to 4 bytes. DATA (0) carries TSN, stream
id, stream sequence number and PPID before the user data; I-DATA (64, RFC 8260) carries
TSN, stream id, message id and PPID/FSN. A chunk with both the B(eginning) and E(nding)
flags is a whole user message. Fragments are kept per association direction and stream
until the message is complete: DATA fragments are consecutive TSNs from a B chunk to an E
chunk, I-DATA fragments share a message id and count up their fragment sequence number
(FSN) from the B chunk (FSN 0). The message is delivered with the packet that completes it,
as Wireshark does. Memory is bounded: past `MAX_FRAGMENTS` waiting fragments or
`MAX_BYTES` bytes the oldest waiting message of that direction is dropped and reported.
"""

from __future__ import annotations

MAX_FRAGMENTS = 1024
MAX_BYTES = 4 << 20
_B, _E, _U = 0x02, 0x01, 0x04


class SctpReassembler:
    """User messages from the SCTP packets of one capture."""

    def __init__(self) -> None:
        self._waiting: dict[tuple, dict[tuple, tuple[int, bytes]]] = {}
        """direction key → {(kind, stream, message id or None, TSN or FSN): (flags, data)}."""
        self._bytes: dict[tuple, int] = {}

    def messages(self, key: tuple, packet: bytes, problems: list[str]) -> list[bytes]:
        """The complete user messages in (or completed by) one SCTP packet after its common header."""
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
            if ctype == 0:
                if len(value) < 12:
                    problems.append("truncated SCTP DATA chunk")
                elif flags & (_B | _E) == _B | _E:
                    out.append(value[12:])
                else:
                    tsn = int.from_bytes(value[0:4], "big")
                    stream = int.from_bytes(value[4:6], "big")
                    self._fragment(key, ("DATA", stream, None, tsn), flags, value[12:], out, problems)
            elif ctype == 64:
                if len(value) < 16:
                    problems.append("truncated SCTP I-DATA chunk")
                elif flags & (_B | _E) == _B | _E:
                    out.append(value[16:])
                else:
                    stream = int.from_bytes(value[4:6], "big")
                    mid = int.from_bytes(value[8:12], "big")
                    fsn = 0 if flags & _B else int.from_bytes(value[12:16], "big")
                    self._fragment(key, ("I-DATA", stream, (mid, bool(flags & _U)), fsn), flags, value[16:],
                                   out, problems)
            pos += (length + 3) & ~3
        return out

    def _fragment(self, key, fkey, flags, data, out, problems) -> None:
        waiting = self._waiting.setdefault(key, {})
        if fkey in waiting:
            return  # a retransmitted fragment
        waiting[fkey] = (flags, data)
        self._bytes[key] = self._bytes.get(key, 0) + len(data)
        message = self._complete(waiting, fkey)
        if message is not None:
            self._bytes[key] -= len(message)
            out.append(message)
        while waiting and (len(waiting) > MAX_FRAGMENTS or self._bytes[key] > MAX_BYTES):
            oldest = next(iter(waiting))
            self._bytes[key] -= len(waiting.pop(oldest)[1])
            problems.append("fragmented SCTP user message never completed; dropped")
        if not waiting:
            del self._waiting[key]
            self._bytes.pop(key, None)

    def _complete(self, waiting, fkey) -> bytes | None:
        """If the fragment `fkey` completes a message, remove its fragments and return it."""
        kind, stream, mid, number = fkey
        start = number
        while True:  # walk back to the B fragment
            flags, _ = waiting[(kind, stream, mid, start)]
            if flags & _B:
                break
            prev = (start - 1) & 0xFFFFFFFF
            if (kind, stream, mid, prev) not in waiting:
                return None
            start = prev
        parts: list[bytes] = []
        keys: list[tuple] = []
        number = start
        while True:  # and forward to the E fragment
            k = (kind, stream, mid, number)
            entry = waiting.get(k)
            if entry is None or (keys and entry[0] & _B):
                return None
            keys.append(k)
            parts.append(entry[1])
            if entry[0] & _E:
                break
            number = (number + 1) & 0xFFFFFFFF
        for k in keys:
            del waiting[k]
        return b"".join(parts)
