"""gzip'd input that ends early or is damaged → the bytes before the damage, and a note of it.

Python's `gzip.GzipFile` raises `EOFError` when a file is cut short and loses whatever the
failing `read()` had already decompressed, so a truncated `capture.pcap.gz` would yield
nothing at all. `open_gunzip()` decompresses with `zlib` itself: the stream simply ends where
the data stops being readable, and `damage` says why, for the reader to turn into a warning
that names the last good packet. Concatenated gzip members are read one after the other, as
`gunzip` does. Memory stays bounded: at most `CHUNK` compressed bytes are decompressed per
read, and their output is capped at `MAX_OUTPUT` (a compression bomb costs time, not memory).
"""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

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
        try:
            out = self._z.decompress(data, MAX_OUTPUT)
        except zlib.error as exc:
            self.damage = f"the compressed data is damaged ({exc})"
            self._done = True
            return b""
        self._member_bytes += len(data) - len(self._z.unconsumed_tail)
        self._input = self._z.unconsumed_tail
        if self._z.eof:
            rest = self._z.unused_data
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._member_bytes = 0
            # another member may follow; zero padding after the last one is not one
            self._input = rest + self._input if rest.strip(b"\x00") else b""
        return out

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_gunzip(raw: BinaryIO) -> io.BufferedReader:
    """Wrap an open gzip'd binary file; `.raw.damage` tells, at the end, whether it was whole."""
    return io.BufferedReader(_Gunzip(raw), CHUNK)


def damage_of(fh) -> str | None:
    """The damage noted by a file from `open_gunzip` (None for other files or a clean end)."""
    return getattr(getattr(fh, "raw", None), "damage", None)
