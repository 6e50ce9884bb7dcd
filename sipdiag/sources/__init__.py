"""Input files → `Frame`s and `LogEvent`s. The only package that opens files.

`open_input(path)` looks at the file's first bytes (magic numbers, never the extension), picks
a reader and returns it. A reader is an iterable of `Frame | LogEvent` with a `summary`
(`InputSummary`) that fills in while it is read: format, packet count, warnings.

Files that cannot be read at all raise `InputError` with one clear sentence. Damage found
while reading (a truncated last packet, a garbled line) is a warning in the summary, and
everything that could still be read is delivered.
"""

from __future__ import annotations

import io
import os
from typing import Iterator, Protocol

from ..errors import InputError
from .frame import Endpoint, Frame, InputSummary, InputWarning, LogEvent, Origin
from .gunzip import GZIP_MAGIC, damage_of, open_gunzip

__all__ = [
    "Endpoint",
    "Frame",
    "InputSummary",
    "InputWarning",
    "LogEvent",
    "Origin",
    "Source",
    "open_data",
    "open_input",
]

SNIFF_BYTES = 64 * 1024


class Source(Protocol):
    """One opened input: iterate it once to get its frames and log events."""

    summary: InputSummary

    def __iter__(self) -> Iterator[Frame | LogEvent]: ...


# Magic numbers of capture formats we do not read, with what to tell the user.
_UNSUPPORTED_MAGIC: list[tuple[bytes, str]] = [
    (b"GMBU", "Microsoft Network Monitor capture (.cap): not supported; open it in Wireshark and save it as pcapng"),
    (b"XCP\x00", "NetXray/Sniffer capture: not supported; save it as pcapng in Wireshark"),
    (b"snoop\x00\x00\x00", "Solaris snoop capture: not supported; convert it with `editcap -F pcapng`"),
    (b"\xfd7zXZ\x00", "xz-compressed file: decompress it first (`unxz`)"),
    (b"BZh", "bzip2-compressed file: decompress it first (`bunzip2`)"),
    (b"PK\x03\x04", "zip archive: unpack it first and give sipdiag the files inside"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed file: decompress it first (`unzstd`)"),
    (b"%PDF", "a PDF document, not a capture or a log"),
    (b"\x89PNG", "a PNG image, not a capture or a log"),
    (b"\xff\xd8\xff", "a JPEG image, not a capture or a log"),
]


def _open_bytes(path: str):
    """Open a file for binary reading, transparently un-gzipping it. Returns (file, gzipped)."""
    try:
        raw = open(path, "rb")
    except IsADirectoryError:
        raise InputError(path, "is a directory; name the capture or log files inside it") from None
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot open: {exc.strerror or exc}") from None
    try:
        if not raw.seekable():
            raise InputError(path, "is not a regular file (a pipe or a device?); save it to a file first")
        head = raw.read(2)
        raw.seek(0)
    except OSError as exc:
        raw.close()
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    except InputError:
        raw.close()
        raise
    if head == GZIP_MAGIC:
        return open_gunzip(raw), True
    return raw, False


def _read_head(fh) -> tuple[bytes, str | None]:
    """The first SNIFF_BYTES bytes (fewer if the file is shorter or its gzip data breaks off),
    and what is wrong with the gzip data, if anything."""
    try:
        head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        return b"", f"cannot read: {exc.strerror or exc}"
    return head, damage_of(fh) if len(head) < SNIFF_BYTES else None


def open_input(path: str) -> Source:
    """Detect the format of `path` by content and return a reader for it."""
    if os.path.isdir(path):
        raise InputError(path, "is a directory; name the capture or log files inside it")
    return _detect(path, lambda: _open_bytes(path))


def open_data(name: str, data: bytes) -> Source:
    """Like `open_input`, for content already in memory (an archive member), shown as `name`."""

    def opener():
        raw = io.BytesIO(data)
        return (open_gunzip(raw), True) if data[:2] == GZIP_MAGIC else (raw, False)

    return _detect(name, opener, lambda: io.BufferedReader(io.BytesIO(data)))  # type: ignore[arg-type]


def _detect(path: str, opener, open_raw=None) -> Source:
    """Sniff the head of `opener()` (a (binary file, gzipped) pair, fresh on each call) and pick a
    reader that re-opens the content with it; `open_raw` opens the content undecompressed for
    text readers (None: by path)."""
    from . import capture, textlogs

    fh, gzipped = opener()
    try:
        head, damage = _read_head(fh)
    finally:
        fh.close()
    if not head:
        if damage is not None:
            raise InputError(path, f"gzip file with no readable data: {damage}")
        raise InputError(path, "is empty" + (" after gunzip" if gzipped else ""))

    if capture.is_capture(head):
        problem = capture.unreadable(head)
        if problem is not None:
            raise InputError(path, problem + (f" (gzip'd file: {damage})" if damage else ""))
        return capture.CaptureReader(path, lambda: opener()[0], gzipped=gzipped)
    for magic, problem in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise InputError(path, problem)

    reader = textlogs.detect(path, head, gzipped=gzipped, open_raw=open_raw)
    if reader is not None:
        return reader
    if _looks_binary(head):
        raise InputError(
            path,
            "not a capture or text trace sipdiag knows (no pcap/pcapng magic number, binary content)",
        )
    raise InputError(
        path,
        "text without SIP messages in a known form (pjsip logger, chan_sip debug, ngrep, "
        "FreeSWITCH siptrace, sngrep export, or plain SIP messages)",
    )


def _looks_binary(head: bytes) -> bool:
    """Binary data rather than text: NULs, control characters, or mostly bytes that are not UTF-8."""
    sample = head[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if (b < 32 and b not in b"\r\n\t\f\b") or b == 127)
    if controls > len(sample) * 0.1:
        return True
    try:
        sample.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    return sum(1 for b in sample if b >= 128) > len(sample) * 0.3  # Latin-1 text has a few, not a third
