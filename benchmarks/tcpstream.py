"""One persistent SIP-over-TCP connection: handshake, data segments, pure ACKs, seq/ack bookkeeping.

How this works: the connection keeps, for each side (0 = the phone that connected, 1 = the
PBX), the next sequence number it will send. Every segment carries the other side's next
sequence number as its acknowledgement, as if the capture point (the PBX's network card) saw
each segment arrive at once. `send` takes one or more whole SIP messages that leave the same
side together, joins them (several messages coalesced in one segment, RFC 3261 §18.3
framing by Content-Length), and cuts the bytes into segments: at the MSS, and, with the
given probability, at one or two random points as well, so that a message is split across
segments. For each segment it reports which messages end in it (a segment can complete none,
one or several), which is how the ground truth counts SIP messages per frame.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .packets import ACK, PSH, SYN, TOS_SIGNALLING, FrameBuilder

MSS = 1460
MSS_OPTION = b"\x02\x04\x05\xb4\x01\x03\x03\x07\x01\x01\x04\x02"  # MSS 1460, NOP, WS 7, NOP, NOP, SACK-OK


@dataclass
class TcpConnection:
    """Both directions of one TCP connection between a phone (side 0) and the PBX (side 1)."""

    client: tuple[str, int]
    server: tuple[str, int]
    isn: tuple[int, int]
    next_seq: list[int] = field(default_factory=lambda: [0, 0])
    acked: list[int] = field(default_factory=lambda: [0, 0])  # what each side last acknowledged
    established: bool = False

    def _ends(self, side: int) -> tuple[tuple[str, int], tuple[str, int]]:
        return (self.client, self.server) if side == 0 else (self.server, self.client)

    def _frame(self, fb: FrameBuilder, side: int, flags: int, payload: bytes = b"", options: bytes = b"") -> bytes:
        (sip, sport), (dip, dport) = self._ends(side)
        ack = self.next_seq[1 - side] if flags & ACK else 0
        if flags & ACK:
            self.acked[side] = ack
        frame = fb.tcp(sip, sport, dip, dport, self.next_seq[side], ack, flags, payload, options, TOS_SIGNALLING)
        self.next_seq[side] += len(payload) + (1 if flags & SYN else 0)
        return frame

    def handshake(self, fb: FrameBuilder) -> list[bytes]:
        """SYN, SYN-ACK, ACK; the phone connects to the PBX."""
        self.next_seq = [self.isn[0], self.isn[1]]
        frames = [self._frame(fb, 0, SYN, options=MSS_OPTION)]
        frames.append(self._frame(fb, 1, SYN | ACK, options=MSS_OPTION))
        frames.append(self._frame(fb, 0, ACK))
        self.established = True
        return frames

    def send(self, fb: FrameBuilder, side: int, messages: list[tuple[bytes, str]], rng: random.Random,
             split_probability: float) -> list[tuple[bytes, list[str]]]:
        """Segments carrying `messages` (bytes, label) from `side`; each with the labels it completes."""
        data = b"".join(m for m, _ in messages)
        ends, offset = [], 0
        for m, label in messages:
            offset += len(m)
            ends.append((offset, label))
        cuts = set(range(MSS, len(data), MSS))
        if len(data) > 40 and rng.random() < split_probability:
            for _ in range(rng.choice((1, 1, 2))):
                cuts.add(rng.randrange(8, len(data) - 8))
        bounds = [0] + sorted(cuts) + [len(data)]
        out = []
        for start, stop in zip(bounds, bounds[1:]):
            completes = [label for end, label in ends if start < end <= stop]
            out.append((self._frame(fb, side, PSH | ACK, data[start:stop]), completes))
        return out

    def pure_ack(self, fb: FrameBuilder, side: int) -> bytes | None:
        """A bare ACK from `side` if it has unacknowledged data to acknowledge, else None."""
        if self.acked[side] == self.next_seq[1 - side]:
            return None
        return self._frame(fb, side, ACK)
