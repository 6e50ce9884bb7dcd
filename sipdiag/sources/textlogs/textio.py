"""Text files → decoded, numbered lines, whatever their encoding, compression and line endings.

Logs pasted into tickets arrive as UTF-8, Latin-1 or UTF-16 (Windows editors), gzipped or not,
with CRLF, LF or CR line ends, sometimes mixed in one file and sometimes doubled (`\\r\\r\\n`
after two conversions). `line_opener` hides all of that: it yields one `str` per line, without
its line end, so that line N of the iteration is line N of the file as an editor shows it.

Decoding never fails: UTF-16 is used when the file starts with its byte order mark, otherwise
each line is decoded as UTF-8 and, if that fails, as Latin-1 (which accepts any byte).
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO, Callable, Iterator

from ..frame import InputSummary, Origin
from ..gunzip import GZIP_MAGIC, damage_of, open_gunzip

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


def line_opener(path: str, open_raw: Callable[[], BinaryIO] | None = None) -> Callable[[], Iterator[str]]:
    """Return a function that opens `path` (or calls `open_raw`) afresh and iterates over its
    decoded lines.

    gzip data that breaks off gives the lines before the damage, then `EOFError` saying why
    (`LineStream` turns it into a warning).
    """

    def open_lines() -> Iterator[str]:
        with open_raw() if open_raw is not None else open(path, "rb") as raw:
            if raw.read(2) != GZIP_MAGIC:
                raw.seek(0)
                yield from _split_lines(_decoded_lines(raw))
                return
            raw.seek(0)
            with open_gunzip(raw) as unzipped:
                yield from _split_lines(_decoded_lines(unzipped))
                damage = damage_of(unzipped)
            if damage is not None:
                raise EOFError(damage)

    return open_lines


def _decoded_lines(fh: io.BufferedReader) -> Iterator[str]:
    """Physical lines of a binary file, decoded as described above, still with their line ends."""
    first = fh.peek(4)[:4]
    if first.startswith(_UTF16_BOMS):
        yield from io.TextIOWrapper(fh, encoding="utf-16", errors="replace", newline="")
        return
    if first.startswith(codecs.BOM_UTF8):
        fh.read(len(codecs.BOM_UTF8))
    for raw_line in fh:
        try:
            yield raw_line.decode("utf-8")
        except UnicodeDecodeError:
            yield raw_line.decode("latin-1")


def _split_lines(physical: Iterator[str]) -> Iterator[str]:
    """Cut decoded text into lines: CRLF, LF, lone CR and runs like CR CR LF each end one line."""
    for chunk in physical:
        body = _LINE_END.sub("", chunk)
        if "\r" in body:
            yield from _LONE_CR.split(body)
        else:
            yield body


class LineStream:
    """Numbered lines with one line of look-ahead; counts the lines read into `summary.packets`."""

    def __init__(self, lines: Iterator[str], summary: InputSummary) -> None:
        self._lines = iter(lines)
        self._summary = summary
        self._next: tuple[int, str] | None = None
        self._number = 0
        self._advance()

    def _advance(self) -> None:
        try:
            text = next(self._lines)
        except StopIteration:
            self._next = None
            return
        except (OSError, EOFError) as exc:  # gzip data that breaks off, a read error
            self._summary.warn(
                Origin(self._summary.path, line=self._number + 1),
                f"file damaged after line {self._number}, the rest is lost: {exc}",
            )
            self._next = None
            return
        self._number += 1
        self._summary.packets = self._number
        self._next = (self._number, text)

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
