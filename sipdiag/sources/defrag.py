"""IP fragment reassembly for IPv4 and IPv6 (RFC 791, RFC 8200 §4.5).

How this works: fragments are kept per datagram key (addresses, protocol, identification)
as {offset: bytes}. When the last fragment (more-fragments flag clear) has been seen and the
pieces cover 0..end without a hole, the datagram is returned, with the number of fragments,
and reported in the frame of the fragment that completed it, as Wireshark does. Overlaps keep
the first copy. Memory is bounded: datagrams waiting longer than `timeout` seconds of capture
time, or beyond `max_pending`, are dropped and counted as incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class _Pending:
    first_time: float
    pieces: dict[int, bytes] = field(default_factory=dict)
    end: int | None = None
    fragments: int = 0


class Defragmenter:
    """Collects fragments; `add()` returns (payload, fragment_count) once a datagram is whole."""

    def __init__(self, timeout: float = 60.0, max_pending: int = 4096, max_size: int = 65535 + 8):
        self.timeout = timeout
        self.max_pending = max_pending
        self.max_size = max_size
        self._pending: dict[tuple, _Pending] = {}
        self.incomplete = 0
        """Datagrams given up on (timed out, evicted, oversized, or left at the end)."""

    def add(self, key: tuple, offset: int, more: bool, data: bytes, time: float | None):
        now = time or 0.0
        entry = self._pending.get(key)
        if entry is None:
            if len(self._pending) >= self.max_pending:
                self._expire(now, force=True)
            entry = self._pending[key] = _Pending(now)
        entry.fragments += 1
        if offset + len(data) > self.max_size:
            del self._pending[key]
            self.incomplete += 1
            return None
        entry.pieces.setdefault(offset, data)
        if not more:
            entry.end = offset + len(data)
        if entry.end is None:
            return None
        buf = bytearray()
        for off in sorted(entry.pieces):
            piece = entry.pieces[off]
            if off > len(buf):
                return None  # a hole remains
            if off + len(piece) > len(buf):
                buf += piece[len(buf) - off :]
        if len(buf) < entry.end:
            return None
        del self._pending[key]
        if len(self._pending) > 64:
            self._expire(now)
        return bytes(buf[: entry.end]), entry.fragments

    def _expire(self, now: float, force: bool = False) -> None:
        stale = [k for k, e in self._pending.items() if now - e.first_time > self.timeout]
        if force and not stale:
            stale = [min(self._pending, key=lambda k: self._pending[k].first_time)]
        for k in stale:
            del self._pending[k]
            self.incomplete += 1

    def finish(self) -> int:
        """Give up on what is still waiting; return how many datagrams never completed."""
        self.incomplete += len(self._pending)
        self._pending.clear()
        return self.incomplete
