"""Input files → `Frame`s and `LogEvent`s. The only package that opens files.

`open_input(path)` looks at the file's first bytes (magic numbers, never the extension), picks
a reader and returns it. A reader is an iterable of `Frame | LogEvent` with a `summary`
(`InputSummary`) that fills in while it is read: format, packet count, warnings.

Files that cannot be read at all raise `InputError` with one clear sentence. Damage found
while reading (a truncated last packet, a garbled line) is a warning in the summary, and
everything that could still be read is delivered.
"""

from __future__ import annotations

import gzip
import os
from typing import Iterator, Protocol

from ..errors import InputError
from .frame import Endpoint, Frame, InputSummary, InputWarning, LogEvent, Origin

__all__ = [
    "Endpoint",
    "Frame",
    "InputSummary",
    "InputWarning",
    "LogEvent",
    "Origin",
    "Source",
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
        raise InputError(path, "is a directory, not a file (use `sipdiag triage` for folders)") from None
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot open: {exc.strerror or exc}") from None
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb"), True
    return raw, False


def open_input(path: str) -> Source:
    """Detect the format of `path` by content and return a reader for it."""
    from . import capture, textlogs

    if os.path.isdir(path):
        raise InputError(path, "is a directory, not a file (use `sipdiag triage` for folders)")
    fh, gzipped = _open_bytes(path)
    try:
        head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        fh.close()
        raise InputError(path, f"damaged gzip data: {exc}") from None
    fh.close()
    if not head:
        raise InputError(path, "is empty" + (" after gunzip" if gzipped else ""))

    if capture.is_capture(head):
        return capture.CaptureReader(path, lambda: _open_bytes(path)[0], gzipped=gzipped)
    for magic, problem in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise InputError(path, problem)

    reader = textlogs.detect(path, head, gzipped=gzipped)
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
    sample = head[:4096]
    if b"\x00" in sample:
        return True
    text_chars = bytes(range(32, 127)) + b"\r\n\t\f\b"
    nontext = sum(1 for b in sample if b not in text_chars and b < 128)
    return nontext > len(sample) * 0.1
