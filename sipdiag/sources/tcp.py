"""TCP byte-stream reassembly: segments in capture order → in-order chunks per direction.

How this works: each direction of a connection (src, sport, dst, dport) has an expected next
sequence number. A segment at that number is delivered at once; one below it is a
retransmission or overlap (the already-delivered part is cut off, a full duplicate is counted
and dropped); one above it waits in a small buffer until the hole is filled by a late or
retransmitted segment. A hole is given up on (the capture lost the segment) when the peer
acknowledges data past it (it did receive the bytes we never saw), when it has waited
`HOLE_TIMEOUT` seconds of capture time, when the buffer grows past a bound, on RST, or at
the end of the capture; the next chunk is then marked `gap_before` so the SIP framer
resynchronises. A FIN does not end the wait: the missing segment may still be retransmitted.
Once the FIN is reached with no hole left (or on RST) an empty `end` chunk says the direction
is finished, so the layers above can report an unfinished message and free their state.
A stream seen without its SYN is picked up at its first segment. Sequence numbers are
compared modulo 2^32. A new SYN with another initial sequence number starts a new stream
generation, so a reused port pair is not mixed with the old connection.

Every segment comes with a caller's `tag` (for captures: its frame). A chunk carries the tag
of the segment whose arrival made it deliverable, as Wireshark attributes a reassembled PDU
to the frame that completed it; chunks delivered because a hole was given up on keep the tag
of their own segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
MAX_PENDING_SEGMENTS = 64
MAX_PENDING_BYTES = 1 << 20
MAX_STREAMS = 200_000
HOLE_TIMEOUT = 5.0
"""Seconds of capture time a hole may wait for a retransmission before it is given up on."""


def _rel(a: int, b: int) -> int:
    """Signed distance a - b in 32-bit sequence space."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d & 0x80000000 else d


@dataclass(slots=True)
class _Direction:
    next_seq: int | None = None
    generation: int = 0
    isn: int | None = None
    pending: dict[int, tuple[bytes, Any]] = field(default_factory=dict)
    """Segments beyond a hole: seq → (data, tag)."""
    pending_bytes: int = 0
    waiting_since: float | None = None
    """Capture time at which the current hole was first seen."""
    gap: bool = False
    fin_seq: int | None = None
    """Sequence number of the FIN, once seen."""
    ended: bool = False
    """The end of this direction has been reported."""
    last_tag: Any = None


@dataclass(slots=True)
class Chunk:
    """In-order stream bytes ready for the application layer."""

    key: tuple
    """(src, sport, dst, dport, generation)."""
    data: bytes
    gap_before: bool
    tag: Any = None
    """The caller's tag of the segment this chunk is attributed to."""
    end: bool = False
    """No data: this direction is finished (FIN reached with no hole left, or RST)."""


class TcpReassembler:
    def __init__(self) -> None:
        self._dirs: dict[tuple, _Direction] = {}
        self._waiting: dict[tuple, _Direction] = {}
        """Directions with segments waiting behind a hole (usually none)."""
        self.retransmissions = 0
        self.out_of_order = 0
        self.gaps = 0
        self.midstream = 0

    def add(self, src: str, sport: int, dst: str, dport: int, seq: int, flags: int, data: bytes,
            tag: Any = None, time: float | None = None, ack: int | None = None) -> list[Chunk]:
        """Add one segment; return the chunks (of this or the reverse direction) it releases."""
        key = (src, sport, dst, dport)
        out: list[Chunk] = []
        if self._waiting:
            self._give_up_holes(key, time, ack if flags & ACK else None, out)
        d = self._dirs.get(key)
        if d is None:
            if len(self._dirs) >= MAX_STREAMS:
                old = next(iter(self._dirs))
                self._dirs.pop(old)
                self._waiting.pop(old, None)
            d = self._dirs[key] = _Direction()
        if flags & SYN:
            if d.isn != seq and (d.isn is not None or d.next_seq is not None):
                # a new connection on a port pair already seen: keep it apart from the old one
                self._flush(key, d, out)
                d.generation += 1
                d.gap = d.ended = False
                d.next_seq = d.fin_seq = None
            if d.next_seq is None:  # a retransmitted SYN must not rewind the stream
                d.next_seq = (seq + 1) & 0xFFFFFFFF
            d.isn = seq
            seq = (seq + 1) & 0xFFFFFFFF
        if flags & FIN:
            d.fin_seq = (seq + len(data)) & 0xFFFFFFFF
        if data:
            self._data(key, d, seq, data, tag, time, out)
        if flags & RST:
            self._reset(key, d, tag, out)
        elif d.fin_seq is not None:
            self._maybe_end(key, d, tag, out)
        return out

    def _data(self, key, d: _Direction, seq: int, data: bytes, tag, time, out: list[Chunk]) -> None:
        if d.next_seq is None:
            d.next_seq = seq
            self.midstream += 1
        rel = _rel(seq, d.next_seq)
        if rel < 0:
            if rel + len(data) <= 0:
                self.retransmissions += 1
                return
            data = data[-rel:]
            seq = d.next_seq
            rel = 0
        if rel == 0:
            self._deliver(key, d, data, tag, out)
            self._drain(key, d, tag, out)
            return
        self.out_of_order += 1
        held = d.pending.get(seq)
        if held is None or len(held[0]) < len(data):
            d.pending_bytes += len(data) - (len(held[0]) if held else 0)
            d.pending[seq] = (data, tag)
        if d.waiting_since is None:
            d.waiting_since = time
            self._waiting[key] = d
        if len(d.pending) > MAX_PENDING_SEGMENTS or d.pending_bytes > MAX_PENDING_BYTES:
            self._skip_hole(key, d, out)

    def _maybe_end(self, key, d: _Direction, tag, out: list[Chunk]) -> None:
        """Report the end of a direction once its FIN is reached with nothing left waiting."""
        if d.ended or d.pending or d.fin_seq is None or d.next_seq is None:
            return
        if _rel(d.next_seq, d.fin_seq) >= 0:
            d.ended = True
            out.append(Chunk(key + (d.generation,), b"", False, d.last_tag if tag is None else tag, end=True))

    def _reset(self, key, d: _Direction, tag, out: list[Chunk]) -> None:
        """RST: nothing more will come in either direction; deliver what waits and end both."""
        for k in (key, (key[2], key[3], key[0], key[1])):
            other = self._dirs.get(k)
            if other is None or other.ended or other.next_seq is None:
                continue
            self._flush(k, other, out)
            other.ended = True
            out.append(Chunk(k + (other.generation,), b"", False, tag, end=True))

    def _give_up_holes(self, key, time, ack, out: list[Chunk]) -> None:
        """Skip holes the peer has acknowledged, or that waited longer than HOLE_TIMEOUT."""
        reverse = (key[2], key[3], key[0], key[1])
        for wkey, d in list(self._waiting.items()):
            if ack is not None and wkey == reverse:
                while d.pending and _rel(ack, self._lowest(d)) >= 0:
                    self._skip_hole(wkey, d, out)
            if d.pending and time is not None and d.waiting_since is not None \
                    and time - d.waiting_since > HOLE_TIMEOUT:
                self._flush(wkey, d, out)

    def _deliver(self, key, d: _Direction, data: bytes, tag, out: list[Chunk]) -> None:
        out.append(Chunk(key + (d.generation,), data, d.gap, tag))
        d.gap = False
        d.last_tag = tag
        d.next_seq = (d.next_seq + len(data)) & 0xFFFFFFFF

    def _drain(self, key, d: _Direction, tag, out: list[Chunk]) -> None:
        """Deliver buffered segments that are now in order; `tag=None` keeps their own tags."""
        while d.pending:
            progressed = False
            for seq in list(d.pending):
                rel = _rel(seq, d.next_seq)
                if rel > 0:
                    continue
                data, own_tag = d.pending.pop(seq)
                d.pending_bytes -= len(data)
                if rel + len(data) > 0:
                    self._deliver(key, d, data[-rel:] if rel else data, own_tag if tag is None else tag, out)
                    progressed = True
            if not progressed:
                break
        if not d.pending:
            d.waiting_since = None
            d.pending_bytes = 0
            self._waiting.pop(key, None)
            if d.fin_seq is not None:
                self._maybe_end(key, d, tag, out)

    @staticmethod
    def _lowest(d: _Direction) -> int:
        return min(d.pending, key=lambda s: _rel(s, d.next_seq))

    def _skip_hole(self, key, d: _Direction, out: list[Chunk]) -> None:
        """Give up waiting for missing bytes: continue from the lowest buffered segment."""
        d.next_seq = self._lowest(d)
        d.gap = True
        self.gaps += 1
        self._drain(key, d, None, out)

    def _flush(self, key, d: _Direction, out: list[Chunk]) -> None:
        while d.pending:
            self._skip_hole(key, d, out)

    def finish(self) -> list[Chunk]:
        """End of capture: deliver whatever still waits behind a hole."""
        out: list[Chunk] = []
        for key, d in list(self._waiting.items()):
            self._flush(key, d, out)
        return out
