"""Text files → decoded, numbered lines, whatever their encoding, compression and line endings.

Logs pasted into tickets arrive as UTF-8, Latin-1 or UTF-16 (Windows editors), gzipped or not,
with CRLF, LF or CR line ends, sometimes mixed in one file and sometimes doubled (`\\r\\r\\n`
after two conversions). `line_opener` hides all of that: it yields one `str` per line, without
its line end, so that line N of the iteration is line N of the file as an editor shows it.

Decoding never fails: UTF-16 is used when the file starts with its byte order mark, otherwise
each line is decoded as UTF-8 and, if that fails, as Latin-1 (which accepts any byte).

Memory per line is bounded: a line longer than `limits.max_line` bytes is cut there and the
rest of it is read and dropped in chunks, never held (a 200 MB header line costs 1 MiB); the
line is delivered as a `CutLine`, so that `LineStream` can warn naming it. Lines ended by lone
CRs (old Mac files) are split before the limit is applied, so they are not cut.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO, Callable, Iterator

from .. import limits as _limits
from ..frame import InputSummary, Origin
from ..gunzip import CHUNK, GZIP_MAGIC, damage_of, limited, open_gunzip
from ..limits import format_size

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LONE_CR = re.compile(r"\r(?!\n)")
_LINE_END = re.compile(r"\r*\n\Z|\r+\Z")


def decode_head(head: bytes) -> str:
    """Decode the first bytes of a file for sniffing: UTF-16 with a BOM, else UTF-8, else Latin-1."""
    if head.startswith(_UTF16_BOMS):
        return head.decode("utf-16", errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a multi-byte character cut at the end of the sample
            return head[: exc.start].decode("utf-8", errors="replace")
        return head.decode("latin-1")


class CutLine(str):
    """A line cut at the `max_line` limit; `length` is how long it was, in bytes as written."""

    length: int = 0


class LimitReached(EOFError):
    """The input stopped where a limit (`limits.py`) was reached, not because it is damaged."""


def line_opener(source: str | Callable[[], BinaryIO]) -> Callable[[], Iterator[str]]:
    """Return a function that opens `source` and iterates over its decoded lines.

    `source` is a path (opened afresh, un-gzipped if it is gzip'd) or an opener that returns
    the binary stream, already un-gzipped (`sources.open_input` gives one). gzip data that
    breaks off gives the lines before the damage, then `EOFError` saying why (`LineStream`
    turns it into a warning); `LimitReached` where a gzip limit stopped it.
    """
    open_bytes = source if callable(source) else (lambda: _open_path(source))

    def open_lines() -> Iterator[str]:
        max_line = _limits.LIMITS.max_line
        with open_bytes() as fh:
            yield from _split_lines(_decoded_lines(fh, max_line))
            damage = damage_of(fh)
            stopped = limited(fh)
        if damage is not None:
            raise (LimitReached if stopped else EOFError)(damage)

    return open_lines


def _open_path(path: str) -> BinaryIO:
    raw = open(path, "rb")
    if raw.read(2) != GZIP_MAGIC:
        raw.seek(0)
        return raw
    raw.seek(0)
    return open_gunzip(raw)


def _decoded_lines(fh: io.BufferedReader, max_line: int = 0) -> Iterator[str]:
    """Physical lines of a binary file, decoded as described above, still with their line ends."""
    first = fh.peek(4)[:4]
    if first.startswith(_UTF16_BOMS):
        text = io.TextIOWrapper(fh, encoding="utf-16", errors="replace", newline="")
        while line := text.readline(max_line or -1):
            if max_line and len(line) >= max_line and not line.endswith(("\n", "\r")):
                dropped = 0
                while rest := text.readline(CHUNK):
                    dropped += len(rest)
                    if rest.endswith(("\n", "\r")):
                        break
                line = _cut(line, 2 * (len(line) + dropped))
            yield line
        return
    if first.startswith(codecs.BOM_UTF8):
        fh.read(len(codecs.BOM_UTF8))
    for raw_line, dropped in _physical_lines(fh, max_line):
        try:
            line = raw_line.decode("utf-8", errors="strict" if not dropped else "replace")
        except UnicodeDecodeError:
            line = raw_line.decode("latin-1")
        yield _cut(line, len(raw_line) + dropped) if dropped else line


def _cut(line: str, length: int) -> CutLine:
    cut = CutLine(line)
    cut.length = length
    return cut


def _physical_lines(fh: BinaryIO, max_line: int) -> Iterator[tuple[bytes, int]]:
    """(line, bytes dropped from its end): lines ending in LF (or lone CRs, see above), each at
    most `max_line` bytes long when `max_line` is set."""
    pending = b""
    while True:
        more = fh.readline(max(max_line - len(pending), 1)) if max_line else fh.readline()
        line, pending = pending + more, b""
        if not line:
            return
        if not max_line or len(line) < max_line or line.endswith(b"\n") or not more:
            yield line, 0
            continue
        end = fh.peek(2)[:2]
        if end[:1] in (b"\n", b"\r"):  # exactly `max_line` bytes long, then its line end
            yield line + fh.read(2 if end == b"\r\n" else 1), 0
            continue
        cr = line.rfind(b"\r", 0, len(line) - 1)
        if cr >= 0:  # lone CRs end lines here: deliver up to the last one, keep the rest
            yield line[: cr + 1], 0
            pending = line[cr + 1 :]
            continue
        dropped = 0
        while piece := fh.readline(CHUNK):
            cr = piece.find(b"\r")
            if 0 <= cr < len(piece) - 1 and piece[cr + 1 : cr + 2] != b"\n":
                dropped += cr + 1
                pending = piece[cr + 1 :]
                break
            dropped += len(piece)
            if piece.endswith(b"\n"):
                break
        yield line, dropped


def _split_lines(physical: Iterator[str]) -> Iterator[str]:
    """Cut decoded text into lines: CRLF, LF, lone CR and runs like CR CR LF each end one line."""
    for chunk in physical:
        body = _LINE_END.sub("", chunk)
        pieces = _LONE_CR.split(body) if "\r" in body else [body]
        if isinstance(chunk, CutLine):
            pieces[-1] = _cut(pieces[-1], chunk.length)
        yield from pieces


MAX_CUT_WARNINGS = 5
"""Cut lines warned about one by one; further ones are counted in one warning at the end."""
_KEEP = 1 << 30
"""`InputSummary.warn` limit for the warning that says where reading stopped: never suppressed."""


class LineStream:
    """Numbered lines with one line of look-ahead; counts the lines read into `summary.packets`."""

    def __init__(self, lines: Iterator[str], summary: InputSummary) -> None:
        self._lines = iter(lines)
        self._summary = summary
        self._next: tuple[int, str] | None = None
        self._number = 0
        self._cut = 0
        self._advance()

    def _advance(self) -> None:
        try:
            text = next(self._lines)
        except StopIteration:
            self._end()
            return
        except LimitReached as exc:
            self._end(f"reading stopped after line {self._number}, the rest is not read: {exc}", "limit")
            return
        except (OSError, EOFError) as exc:  # gzip data that breaks off, a read error
            self._end(f"file damaged after line {self._number}, the rest is lost: {exc}", "damage")
            return
        self._number += 1
        self._summary.packets = self._number
        if type(text) is CutLine:
            self._cut += 1
            if self._cut <= MAX_CUT_WARNINGS:
                self._summary.warn(
                    Origin(self._summary.path, line=self._number),
                    f"line of {format_size(text.length)} cut after its first {format_size(len(text))}: longer "
                    f"than {format_size(_limits.LIMITS.max_line)}, the limit (--max-line, SIPDIAG_MAX_LINE)",
                    loss="line",
                )
            text = str(text)
        self._next = (self._number, text)

    def _end(self, problem: str | None = None, loss: str | None = None) -> None:
        self._next = None
        if self._cut > MAX_CUT_WARNINGS:
            self._summary.count("lines_cut", self._cut)
            self._summary.warn(Origin(self._summary.path), f"{self._cut - MAX_CUT_WARNINGS} more lines cut at "
                               "the limit (--max-line, SIPDIAG_MAX_LINE)", limit=_KEEP, loss="line")
            self._cut = 0
        if problem is not None:
            self._summary.warn(Origin(self._summary.path, line=self._number + 1), problem, limit=_KEEP, loss=loss)

    def peek(self) -> tuple[int, str] | None:
        """The next (line number, text) without consuming it; None at the end of the file."""
        return self._next

    def take(self) -> tuple[int, str]:
        """Consume and return the next line; call only after `peek()` returned a line."""
        line = self._next
        assert line is not None
        self._advance()
        return line

    def __iter__(self) -> Iterator[tuple[int, str]]:
        while self._next is not None:
            yield self.take()
