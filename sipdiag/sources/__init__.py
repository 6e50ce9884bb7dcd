"""Input files → `Frame`s and `LogEvent`s. The only package that opens files.

`open_input(path)` looks at the input's first bytes (magic numbers, never the extension),
picks a reader and returns it. A reader is an iterable of `Frame | LogEvent` with a `summary`
(`InputSummary`) that fills in while it is read: format, packet count, warnings.

The input is opened once and its head read once: `-` (standard input), pipes and FIFOs
cannot be opened again, so the reader gets an opener that replays the head, un-gzipped if
the data was gzip'd, before the rest of the same stream (`_Replay`); a plain regular file is
simply rewound, and handed on as the real file it is. A regular file may be iterated again
(the opener then opens it afresh). A named pipe nobody writes to is not waited
on forever: `FIFO_WAIT` seconds, then it is refused. Terminals, block devices and sockets are
refused. Inputs are named in messages and reports by `label()`: `<stdin>` for `-`, and the
path with control characters and undecodable bytes shown escaped (`inert`).

Files that cannot be read at all raise `InputError` with one clear sentence. Damage found
while reading (a truncated last packet, a garbled line, a limit reached, see `limits.py`) is
a warning in the summary, and everything that could still be read is delivered; the reader
that lost data marks its warning (`InputWarning.loss`), and `summary.lost` is the one that says
what was lost and where.
"""

from __future__ import annotations

import io
import os
import select
import stat
import sys
from typing import Iterator, Protocol

from ..errors import InputError
from ..inert import inert
from .frame import Endpoint, Frame, InputSummary, InputWarning, LogEvent, Origin
from .gunzip import CHUNK, GZIP_MAGIC, damage_of, open_gunzip
from .gunzip import limited as gunzip_limited

__all__ = [
    "Endpoint",
    "Frame",
    "InputSummary",
    "InputWarning",
    "LogEvent",
    "Origin",
    "ReadProgress",
    "Source",
    "STDIN",
    "label",
    "open_data",
    "open_input",
]

SNIFF_BYTES = 64 * 1024


class Source(Protocol):
    """One opened input: iterate it once to get its frames and log events."""

    summary: InputSummary
    progress: "ReadProgress"

    def __iter__(self) -> Iterator[Frame | LogEvent]: ...


# Magic numbers of capture formats we do not read, with what to tell the user.
_UNSUPPORTED_MAGIC: list[tuple[bytes, str]] = [
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


STDIN = "-"
"""The input name that means standard input."""
STDIN_LABEL = "<stdin>"

FIFO_WAIT = 10.0
"""Seconds to wait for a program to open a named pipe for writing (env SIPDIAG_FIFO_WAIT)."""


def label(path: str) -> str:
    """How messages and reports name the input `path`."""
    return STDIN_LABEL if path == STDIN else inert(path)


class _Replay(io.RawIOBase):
    """A stream whose first bytes were read already: `head`, then the rest of `stream`.

    `damage` and `limited` are those of the stream below (an `open_gunzip` file)."""

    def __init__(self, head: bytes, stream, owns: bool = True) -> None:
        self._head = memoryview(head)
        self._stream = stream
        self._owns = owns

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        return len(data)

    @property
    def damage(self) -> str | None:
        return damage_of(self._stream)

    @property
    def limited(self) -> bool:
        return gunzip_limited(self._stream)

    def close(self) -> None:
        if not self.closed and self._owns:
            self._stream.close()
        super().close()


class ReadProgress:
    """How far reading an input has got, for a progress bar: bytes of the file (compressed bytes
    for a gzip'd one) consumed so far, of `total` (None for a stream, whose size is not known).

    It asks the operating system where the file descriptor stands (one `lseek`), so readers
    need not count anything; read-ahead buffering makes it run at most one buffer early."""

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self._fd: int | None = None
        self._last = 0

    def watch(self, fd: int | None) -> None:
        """Follow file descriptor `fd` (the file as opened, below any gunzip and buffering)."""
        self._fd = fd

    def done(self) -> int:
        """Bytes consumed so far (the last known count once the file is closed)."""
        if self._fd is not None:
            try:
                self._last = os.lseek(self._fd, 0, os.SEEK_CUR)
            except OSError:  # closed, or a pipe: keep the last count
                self._fd = None
        return self._last


def _buffered(raw: io.RawIOBase) -> io.BufferedReader:
    return io.BufferedReader(raw, CHUNK)


def _read_full(fh, n: int) -> bytes:
    """Up to n bytes, fewer only at the end of the data (a pipe may deliver less per read)."""
    parts, got = [], 0
    while got < n:
        data = fh.read(n - got)
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _open_stream(path: str, name: str):
    """Open `path` (or standard input for `-`) for binary reading. Returns (file, owns, regular)."""
    if path == STDIN:
        stdin = getattr(sys.stdin, "buffer", sys.stdin)
        if stdin is None:
            raise InputError(name, "standard input is closed")
        if stdin.isatty():
            raise InputError(name, "standard input is a terminal: pipe a capture or log into sipdiag, "
                                   "e.g. `tcpdump -w - | sipdiag analyze -`")
        return stdin, False, False
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except (OSError, ValueError) as exc:
        raise InputError(name, f"cannot open: {getattr(exc, 'strerror', None) or exc}") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise InputError(name, "is a directory; name the capture or log files inside it")
    if stat.S_ISBLK(mode):
        raise InputError(name, "is a block device, not a capture or log file")
    if stat.S_ISSOCK(mode):
        raise InputError(name, "is a socket; read it into a file or pipe it into `sipdiag analyze -`")
    try:
        if stat.S_ISFIFO(mode):
            return _open_fifo(path, name), True, False
        fh = open(path, "rb", buffering=0)
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, f"cannot open: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode) and fh.isatty():
        fh.close()
        raise InputError(name, "is a terminal, not a capture or log file")
    return fh, True, stat.S_ISREG(mode)


def _open_fifo(path: str, name: str):
    """Open a named pipe without blocking; wait `FIFO_WAIT` s for a writer, then read it as a stream."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        try:
            wait = float(os.environ.get("SIPDIAG_FIFO_WAIT", FIFO_WAIT))
        except ValueError:
            wait = FIFO_WAIT
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        first = b""
        if not poller.poll(max(wait, 0) * 1000):
            try:
                first = os.read(fd, 1)
            except BlockingIOError:  # a writer is there and silent so far: read as a stream
                first = None
            if first == b"":
                raise InputError(name, f"is a named pipe (FIFO) that no program opened for writing within "
                                       f"{wait:g} s; start the writer first, or pipe into `sipdiag analyze -`")
        os.set_blocking(fd, True)
        fh = open(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    return _Replay(first, fh) if first else fh


class _Opener:
    """The reader's opener: the first call hands on the stream already opened, from its start
    (a plain regular file rewound: a real file, with a descriptor; anything else with its head
    replayed); later calls open a regular file afresh and refuse a stream, which cannot be read
    twice."""

    def __init__(self, path: str, name: str, head: bytes, stream, regular: bool, rewind: bool,
                 progress: ReadProgress) -> None:
        self._path = path
        self._name = name
        self._first = (head, stream)
        self._regular = regular
        self._rewind = rewind
        self._progress = progress

    def __call__(self) -> io.BufferedReader:
        if self._first is not None:
            head, stream = self._first
            self._first = None
            if self._rewind:
                stream.seek(0)
                return stream
            return _buffered(_Replay(head, stream))
        if not self._regular:
            raise InputError(self._name, "is a stream and can be read only once")
        fh, _gzipped, _regular, fd = _open_bytes(self._path, self._name)
        self._progress.watch(fd)
        return fh

    def close(self) -> None:
        if self._first is not None:
            self._first[1].close()
            self._first = None


def _open_bytes(path: str, name: str | None = None):
    """Open `path` for binary reading, transparently un-gzipping it.

    Returns (file, gzipped, regular, fd): `fd` is the descriptor of a regular file, else None.

    The file is read from its start: a regular file is rewound after its first two bytes were
    read to see whether it is gzip'd; a stream replays them."""
    name = label(path) if name is None else name
    raw, owns, regular = _open_stream(path, name)
    try:
        if regular:
            fh = io.BufferedReader(raw, CHUNK)
            magic = fh.read(2)
            fh.seek(0)
        else:
            magic = _read_full(raw, 2)
            fh = _buffered(_Replay(magic, raw, owns))
    except OSError as exc:
        if owns:
            raw.close()
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    fd = raw.fileno() if regular else None
    if magic == GZIP_MAGIC:
        return open_gunzip(fh), True, regular, fd
    return fh, False, regular, fd


def _read_head(fh) -> tuple[bytes, str | None]:
    """The first SNIFF_BYTES bytes (fewer if the file is shorter or its gzip data breaks off),
    and what is wrong with the gzip data, if anything."""
    try:
        head = _read_full(fh, SNIFF_BYTES)
    except OSError as exc:
        return b"", f"cannot read: {exc.strerror or exc}"
    return head, damage_of(fh) if len(head) < SNIFF_BYTES else None


def open_input(path: str) -> Source:
    """Detect the format of `path` (`-`: standard input) by content and return a reader for it."""
    name = label(path)
    fh, gzipped, regular, fd = _open_bytes(path, name)
    opener = None
    try:
        progress = ReadProgress(os.fstat(fd).st_size if fd is not None else None)
        progress.watch(fd)
        head, damage = _read_head(fh)
        if head:
            opener = _Opener(path, name, head, fh, regular, rewind=regular and not gzipped, progress=progress)
        source = _detect(name, head, damage, gzipped, opener)
        source.progress = progress
        if regular and not gzipped and path != "-" and hasattr(os, "pread"):
            from .capture import CaptureReader
            from .rawfile import RawFile

            if isinstance(source, CaptureReader):  # its packets are in the file as they are
                source.raw_file = RawFile(path, name)
        return source
    except BaseException:
        if opener is not None:
            opener.close()
        else:
            fh.close()
        raise


def open_data(name: str, data: bytes) -> Source:
    """Like `open_input`, for content already in memory (an archive member), shown as `name`."""
    gzipped = data[:2] == GZIP_MAGIC

    def opener() -> io.BufferedReader:
        raw = io.BufferedReader(io.BytesIO(data), CHUNK)
        return open_gunzip(raw) if gzipped else raw

    fh = opener()
    try:
        head, damage = _read_head(fh)
    finally:
        fh.close()
    source = _detect(name, head, damage, gzipped, opener)
    source.progress = ReadProgress()
    return source


def _detect(name: str, head: bytes, damage: str | None, gzipped: bool, opener) -> Source:
    """Pick the reader for content whose (un-gzipped) first bytes are `head`; `opener()` gives the
    content from its start to the reader. Raises InputError when nothing can read it."""
    from . import capture, textlogs

    if not head:
        if damage is not None:
            raise InputError(name, f"gzip file with no readable data: {damage}")
        raise InputError(name, "is empty" + (" after gunzip" if gzipped else ""))
    if capture.is_capture(head):
        problem = capture.unreadable(head)
        if problem is not None:
            raise InputError(name, problem + (f" (gzip'd file: {damage})" if damage else ""))
        reader = capture.CaptureReader(name, opener, gzipped=gzipped)
        reader.netmon = head[:4] == b"GMBU"
        return reader
    for magic, problem in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise InputError(name, problem)
    reader = textlogs.detect(name, head, gzipped=gzipped, opener=opener)
    if reader is not None:
        return reader
    if _looks_binary(head):
        raise InputError(
            name,
            "not a capture or text trace sipdiag knows (no pcap/pcapng magic number, binary content)",
        )
    raise InputError(
        name,
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
