"""Where SIP messages begin and end: datagrams and byte streams. Sans-I/O.

Datagrams (RFC 3261 §18.3): a UDP payload normally holds one message whose body runs to
the end; Content-Length, when present, bounds it, and whatever follows is checked for a
further message (some SBCs bundle several). Leading CR/LF is a keep-alive (RFC 5626 §4.4.1).

Streams (RFC 3261 §18.3): messages follow each other back to back; Content-Length is
mandatory and is the only way to find the end of the body. `StreamFramer` buffers one
stream direction, drops CRLF keep-alives, and when the stream was picked up mid-way or
lost bytes it resynchronises at the next line that looks like a SIP start line. A message
is attributed to the chunk that completed it, and it remembers how many chunks it spanned.
A stream that shows no SIP at all in its first `NON_SIP_LIMIT` bytes is abandoned cheaply; one
that did carry SIP never is, whatever follows a gap. Bytes skipped after a gap or between
messages are reported once per run (`stream-gap`, `stream-junk`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..sources.frame import Origin
from .grammar import SNIFF, START_ANYWHERE, START_IN_STREAM

_CONTENT_LENGTH = re.compile(rb"^(?:content-length|l)[ \t]*:[ \t]*(\d+)", re.IGNORECASE | re.MULTILINE)
MAX_HEAD = 64 * 1024
MAX_BODY = 4 * 1024 * 1024
NON_SIP_LIMIT = 64 * 1024


def looks_like_sip(payload: bytes) -> bool:
    """Cheap test run on every datagram: does it start with a SIP request or status line?"""
    return SNIFF.match(payload) is not None


def _head_end(buf, start: int = 0) -> tuple[int, int]:
    """Index of the empty line ending the head and its length (4 or 2), or (-1, 0)."""
    crlf = buf.find(b"\r\n\r\n", start)
    lf = buf.find(b"\n\n", start)
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return crlf, 4
    if lf >= 0:
        return lf, 2
    return -1, 0


def _content_length(head) -> int | None:
    """The declared body length; absurdly long digit strings count as implausible, not as int()s."""
    m = _CONTENT_LENGTH.search(head)
    if not m:
        return None
    digits = m.group(1)
    return int(digits) if len(digits) <= 12 else MAX_BODY + 1


def split_datagram(payload: bytes) -> list[bytes]:
    """Split a datagram into the SIP messages it holds (usually one)."""
    out: list[bytes] = []
    pos, n = 0, len(payload)
    while pos < n:
        while pos < n and payload[pos] in (13, 10):
            pos += 1
        if pos >= n:
            break
        end, sep = _head_end(payload, pos)
        if end < 0:
            out.append(payload[pos:])
            break
        length = _content_length(payload[pos:end])
        stop = end + sep + (length or 0)
        if length is None or stop >= n or not SNIFF.match(payload[stop:]):
            out.append(payload[pos:])
            break
        out.append(payload[pos:stop])
        pos = stop
    return out


def _resync_point(buf) -> int | None:
    """Offset of the first plausible start line in a buffer that does not begin with one."""
    m = START_IN_STREAM.search(buf)
    a = START_ANYWHERE.search(buf, 1, m.start(1) if m else len(buf))
    if a is not None and (m is None or a.start() < m.start(1)):
        return a.start()
    return m.start(1) if m else None


@dataclass(slots=True)
class FramedMessage:
    """A complete message cut from a stream, with the chunks it came from."""

    data: bytes
    origin: Origin
    """The chunk that completed the message."""
    time: float | None
    first_origin: Origin
    segments: int


@dataclass(slots=True)
class StreamProblem:
    """Bytes a stream framer had to give up on: junk before a start line, a cut message."""

    name: str
    detail: str
    origin: Origin
    raw: bytes


class StreamFramer:
    """Cuts one stream direction into SIP messages."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.marks: list[list] = []  # [end offset in buf, origin, time] per chunk in buf
        self.synced = False
        """The buffer starts at a message boundary (a start line was found and followed)."""
        self.ever_synced = False
        self.seen = 0
        self.abandoned = False
        self._after_gap = False
        """Bytes were lost and the buffer was empty: what precedes the next start line belongs
        to a message whose beginning is missing."""

    def feed(self, data: bytes, origin: Origin, time: float | None, gap_before: bool = False):
        """Add a chunk; return (messages, problems) completed by it."""
        messages: list[FramedMessage] = []
        problems: list[StreamProblem] = []
        if self.abandoned:
            return messages, problems
        if gap_before:
            if self.buf.strip(b"\r\n"):
                problems.append(StreamProblem("stream-gap", "bytes missing from the stream; partial message dropped",
                                              origin, bytes(self.buf[:2048])))
            else:
                self._after_gap = self.ever_synced
            self._consume(len(self.buf))
            self.synced = False
        self.seen += len(data)
        self.buf += data
        self.marks.append([len(self.buf), origin, time])
        self._cut(messages, problems, origin)
        return messages, problems

    def finish(self) -> StreamProblem | None:
        """The stream ended: report an unfinished message, if any."""
        rest = bytes(self.buf).strip(b"\r\n")
        if rest and self.synced and self.marks:
            return StreamProblem("incomplete-message", "stream ended in the middle of a message",
                                 self.marks[-1][1], rest[:2048])
        return None

    def _consume(self, n: int) -> None:
        del self.buf[:n]
        marks = self.marks
        for m in marks:
            m[0] -= n
        while marks and marks[0][0] <= 0:
            marks.pop(0)
        if not self.buf:
            marks.clear()

    def _skip(self, n: int, problems, origin) -> None:
        """Drop n bytes that are no SIP message, saying why if they matter."""
        junk = bytes(self.buf[: min(n, 2048)])
        if junk.strip(b"\r\n"):
            if self._after_gap:
                problems.append(StreamProblem("stream-gap", "bytes missing from the stream; the message they "
                                              "belong to is dropped", origin, junk))
            elif self.synced:
                problems.append(StreamProblem("stream-junk", "bytes between messages that are not SIP",
                                              origin, junk))
            self._after_gap = False
            self.synced = False  # one report per run of junk
        self._consume(n)

    def _cut(self, messages, problems, origin) -> None:
        buf = self.buf
        while buf:
            skip = 0
            while skip < len(buf) and buf[skip] in (13, 10):
                skip += 1
            if skip:
                self._consume(skip)
                continue
            if not SNIFF.match(buf):
                start = _resync_point(buf)
                if start is None:
                    if not self.ever_synced and self.seen > NON_SIP_LIMIT:
                        self.abandoned = True
                        self.buf.clear()
                        self.marks.clear()
                        return
                    keep = 2048  # a start line may be arriving in pieces
                    if len(buf) > keep:
                        self._skip(len(buf) - keep, problems, origin)
                    return
                self._skip(start, problems, origin)
                continue
            self.synced = self.ever_synced = True
            self._after_gap = False
            end, sep = _head_end(buf)
            if end < 0:
                if len(buf) > MAX_HEAD:
                    problems.append(StreamProblem("oversized-headers", "no end of headers within 64 KiB",
                                                  origin, bytes(buf[:2048])))
                    self._consume(len(buf))
                return
            length = _content_length(buf[:end]) or 0
            if length > MAX_BODY:
                problems.append(StreamProblem("bad-content-length", f"Content-Length {length} is implausible",
                                              origin, bytes(buf[:2048])))
                self._consume(end + sep)
                continue
            total = end + sep + length
            if len(buf) < total:
                return
            first = self.marks[0]
            segments = 0
            done = first
            for mark in self.marks:
                segments += 1
                done = mark
                if mark[0] >= total:
                    break
            messages.append(FramedMessage(bytes(buf[:total]), done[1], done[2], first[1], segments))
            self._consume(total)
