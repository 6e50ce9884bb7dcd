"""TCP byte-stream reassembly: segments in capture order → in-order chunks per direction.

How this works: each direction of a connection (src, sport, dst, dport) has an expected next
sequence number. A segment at that number is delivered at once; one below it is a
retransmission or overlap (the already-delivered part is cut off, a full duplicate is counted
and dropped); one above it waits in a small buffer until the hole is filled. If the hole is
never filled (the capture lost a segment), the buffer is flushed once it grows past a bound
or the stream ends, and the next chunk is marked `gap_before` so the SIP framer resyncs.
A stream seen without its SYN is picked up at its first segment. Sequence numbers are
compared modulo 2^32. A new SYN with another initial sequence number starts a new stream
generation, so a reused port pair is not mixed with the old connection.

Delivered chunks are attributed to the frame whose arrival made them deliverable, as
Wireshark attributes a reassembled PDU to the frame that completed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIN, SYN, RST = 0x01, 0x02, 0x04
MAX_PENDING_SEGMENTS = 64
MAX_PENDING_BYTES = 1 << 20
MAX_STREAMS = 200_000


def _rel(a: int, b: int) -> int:
    """Signed distance a - b in 32-bit sequence space."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d & 0x80000000 else d


@dataclass(slots=True)
class _Direction:
    next_seq: int | None = None
    generation: int = 0
    isn: int | None = None
    pending: dict[int, bytes] = field(default_factory=dict)
    pending_bytes: int = 0
    gap: bool = False


@dataclass(slots=True)
class Chunk:
    """In-order stream bytes ready for the application layer."""

    key: tuple
    """(src, sport, dst, dport, generation)."""
    data: bytes
    gap_before: bool


class TcpReassembler:
    def __init__(self) -> None:
        self._dirs: dict[tuple, _Direction] = {}
        self.retransmissions = 0
        self.out_of_order = 0
        self.gaps = 0
        self.midstream = 0

    def add(self, src: str, sport: int, dst: str, dport: int, seq: int, flags: int, data: bytes) -> list[Chunk]:
        key = (src, sport, dst, dport)
        d = self._dirs.get(key)
        if d is None:
            if len(self._dirs) >= MAX_STREAMS:
                self._dirs.pop(next(iter(self._dirs)))
            d = self._dirs[key] = _Direction()
        out: list[Chunk] = []
        if flags & SYN:
            if d.isn is not None and d.isn != seq:
                self._flush(key, d, out)
                d.generation += 1
                d.pending.clear()
                d.pending_bytes = 0
                d.gap = False
            d.isn = seq
            d.next_seq = (seq + 1) & 0xFFFFFFFF
            seq = d.next_seq
        if not data:
            if flags & RST or flags & FIN:
                self._flush(key, d, out)
            return out
        if d.next_seq is None:
            d.next_seq = seq
            self.midstream += 1
        rel = _rel(seq, d.next_seq)
        if rel < 0:
            if rel + len(data) <= 0:
                self.retransmissions += 1
                return out
            data = data[-rel:]
            rel = 0
        if rel == 0:
            self._deliver(key, d, data, out)
            self._drain(key, d, out)
        else:
            self.out_of_order += 1
            if seq not in d.pending or len(d.pending[seq]) < len(data):
                d.pending_bytes += len(data) - len(d.pending.get(seq, b""))
                d.pending[seq] = data
            if len(d.pending) > MAX_PENDING_SEGMENTS or d.pending_bytes > MAX_PENDING_BYTES:
                self._skip_hole(key, d, out)
        if flags & (FIN | RST):
            self._flush(key, d, out)
        return out

    def _deliver(self, key, d: _Direction, data: bytes, out: list[Chunk]) -> None:
        out.append(Chunk(key + (d.generation,), data, d.gap))
        d.gap = False
        d.next_seq = (d.next_seq + len(data)) & 0xFFFFFFFF

    def _drain(self, key, d: _Direction, out: list[Chunk]) -> None:
        while d.pending:
            progressed = False
            for seq in list(d.pending):
                rel = _rel(seq, d.next_seq)
                if rel > 0:
                    continue
                data = d.pending.pop(seq)
                d.pending_bytes -= len(data)
                if rel + len(data) > 0:
                    self._deliver(key, d, data[-rel:] if rel else data, out)
                    progressed = True
            if not progressed:
                return

    def _skip_hole(self, key, d: _Direction, out: list[Chunk]) -> None:
        """Give up waiting for missing bytes: continue from the lowest buffered segment."""
        first = min(d.pending, key=lambda s: _rel(s, d.next_seq))
        d.next_seq = first
        d.gap = True
        self.gaps += 1
        self._drain(key, d, out)

    def _flush(self, key, d: _Direction, out: list[Chunk]) -> None:
        while d.pending:
            self._skip_hole(key, d, out)

    def finish(self) -> list[Chunk]:
        """End of capture: deliver whatever still waits behind a hole."""
        out: list[Chunk] = []
        for key, d in self._dirs.items():
            self._flush(key, d, out)
        return out
