"""gzip'd input that ends early or is damaged → the bytes before the damage, and a note of it.

Python's `gzip.GzipFile` raises `EOFError` when a file is cut short and loses whatever the
failing `read()` had already decompressed, so a truncated `capture.pcap.gz` would yield
nothing at all. `open_gunzip()` decompresses with `zlib` itself: the stream simply ends where
the data stops being readable, and `damage` says why, for the reader to turn into a warning
that names the last good packet. Concatenated gzip members are read one after the other, as
`gunzip` does. Memory stays bounded: at most `CHUNK` compressed bytes are decompressed per
read, and their output is capped at `MAX_OUTPUT`. Time stays bounded too: expansion stops,
with `damage` saying which limit was reached, after `limits.max_expand` bytes or, past
`limits.RATIO_GRACE`, when the output outgrows `limits.max_ratio` times the compressed bytes
read so far (see `limits.py`); `limited` then tells a limit from damage.
"""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

from . import limits as _limits
from .limits import format_size

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 64 * 1024
MAX_OUTPUT = 1 << 20


class _Gunzip(io.RawIOBase):
    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._member_bytes = 0
        """Compressed bytes fed to the current member (0: between members)."""
        self._out = b""
        self._pos = 0
        self._input = b""
        self._done = False
        self.damage: str | None = None
        """Why the data ended early (None: the gzip stream ended cleanly)."""
        self.limited = False
        """The data ended early because a limit (`limits.py`) was reached, not because it is damaged."""
        self._compressed = 0
        self._expanded = 0
        self._max_expand = _limits.LIMITS.max_expand
        self._max_ratio = _limits.LIMITS.max_ratio

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._out):
            if self._done:
                return 0
            self._out, self._pos = self._decompress_some(), 0
        n = min(len(buffer), len(self._out) - self._pos)
        buffer[:n] = self._out[self._pos : self._pos + n]
        self._pos += n
        return n

    def _decompress_some(self) -> bytes:
        if not self._input:
            self._input = self._raw.read(CHUNK)
            if not self._input:
                if self._member_bytes and not self._z.eof:
                    self.damage = "the compressed data ends early (file cut short)"
                self._done = True
                return b""
        data, self._input = self._input, b""
        room = MAX_OUTPUT
        if self._max_expand:  # one byte more than allowed, to tell "exactly at the limit" from "past it"
            room = min(room, self._max_expand - self._expanded + 1)
        try:
            out = self._z.decompress(data, room)
        except zlib.error as exc:
            self.damage = f"the compressed data is damaged ({exc})"
            self._done = True
            return b""
        if self._max_expand and self._expanded + len(out) > self._max_expand:
            out = out[: self._max_expand - self._expanded]
            self._expanded += len(out)
            self._stop(f"it expands to more than {format_size(self._max_expand)}, the limit "
                       "(--max-expand, SIPDIAG_MAX_EXPAND)")
            return out
        used = len(data) - len(self._z.unconsumed_tail)
        self._member_bytes += used
        self._compressed += used
        self._expanded += len(out)
        if self._max_ratio and self._expanded > _limits.RATIO_GRACE \
                and self._expanded > self._max_ratio * self._compressed:
            self._stop(f"it expands more than {self._max_ratio} times its compressed size, the limit "
                       "(--max-ratio, SIPDIAG_MAX_RATIO; a compression bomb?)")
            return out
        self._input = self._z.unconsumed_tail
        if self._z.eof:
            rest = self._z.unused_data
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._member_bytes = 0
            # another member may follow; zero padding after the last one is not one
            self._input = rest + self._input if rest.strip(b"\x00") else b""
        return out

    def _stop(self, why: str) -> bytes:
        self.damage = f"stopped after {format_size(self._expanded)} of expanded data: {why}"
        self.limited = True
        self._done = True
        return b""

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_gunzip(raw: BinaryIO) -> io.BufferedReader:
    """Wrap an open gzip'd binary file; `.raw.damage` tells, at the end, whether it was whole."""
    return io.BufferedReader(_Gunzip(raw), CHUNK)


def damage_of(fh) -> str | None:
    """The damage noted by a file from `open_gunzip` (None for other files or a clean end)."""
    return getattr(getattr(fh, "raw", None), "damage", None)


def limited(fh) -> bool:
    """True when a file from `open_gunzip` ended because a limit was reached."""
    return bool(getattr(getattr(fh, "raw", None), "limited", False))
