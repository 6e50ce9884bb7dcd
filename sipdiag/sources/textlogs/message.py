"""Recovering one SIP message from the lines of a text trace: the part every reader shares.

A reader finds where a message starts (its own header line such as `<--- Received SIP request
... --->`, then a SIP start line) and calls `read_message`, giving it a `content` function
that says, for each raw line, which text of the message it carries (e.g. without FreeSWITCH's
three-space indent) or None when the line belongs to the log again (the next log line or
message header: the message has ended). From the start line, `read_message` takes:

* header lines up to the first empty line. A line that is neither `Name: value`, nor a folded
  continuation (leading space or tab, RFC 3261 §7.3.1), nor empty is the tail of a header
  line cut in two by a mail client or a terminal, if the line before it was long enough to
  be wrapped (`WRAP_COLUMNS`): it is joined back, as is, so a cut at 72 characters is undone
  exactly, with a warning. Otherwise the headers end there: the body lost its empty line
  (or, without Content-Length, the message ends). An indented line after a full-width line
  is joined back too: wrapping or folding, the header means the same;
* the body: with a Content-Length, lines until that many bytes, counting CRLF line ends, so
  that empty lines inside a body do not end it; without one, lines up to the next empty line.
  SDP lines cut in two are joined back the same way (every SDP line is `x=...`, RFC 4566 §5).

It stops early, with a warning, where the log goes on, at a new SIP start line (except inside
a `message/sipfrag` body), at the end of the file, or after `MAX_LINES` lines or
`MAX_MESSAGE_CHARS` characters. The payload is rebuilt with CRLF line ends, as the message had
on the wire, and encoded as UTF-8.

The little SIP grammar this needs (start lines, header names, Content-Length) lives here and
not in `sip/`, which sits above `sources/`: the parser proper still judges every message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from ..frame import Endpoint, Frame, InputSummary, Origin
from .textio import LineStream

T = TypeVar("T")
Content = Callable[[str], "str | None"]
"""Maps a raw log line to the message text it carries, or None when the message has ended."""

UNKNOWN = Endpoint(None, None)
"""An address the log does not give (a message pasted or trimmed without its addresses)."""

MAX_LINES = 5000
"""A message longer than this is cut (a runaway from binary garbage, not a real message)."""

MAX_MESSAGE_CHARS = 4 << 20
"""... and so is one of more characters than this (lines of up to `limits.max_line` each)."""

WRAP_COLUMNS = 60
"""A non-header line is taken for the tail of a wrapped header only if the line before it plus
the tail's first word would exceed this width: mail clients and terminals wrap at 66-80
columns, at a space when they can. Otherwise the line is where the headers end (body without
its blank line, or text after the message)."""

MAX_WRAP_COLUMNS = 80
"""A log line longer than this was not cut by wrapping (see `rejoin_cut_line`)."""

# RFC 3261 §7.1 Request-Line (method is a token, upper-case in practice; the URI has a scheme).
REQUEST_LINE = re.compile(r"^[A-Z][A-Z0-9._!%*+`'~-]* \S+:\S+ SIP/2\.0$")
# RFC 3261 §7.2 Status-Line.
STATUS_LINE = re.compile(r"^SIP/2\.0 \d{3}(?: .*)?$")
# RFC 3261 §7.3.1 header field name (a token) and colon. Names start with a letter in practice,
# which keeps wrapped tails like `192.0.2.9:5160;branch=...` from passing for a header.
_HEADER_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9!%*_+`'~.-]*)[ \t]*:")
_URI_SCHEMES = {"sip", "sips", "tel", "urn", "http", "https", "mailto"}
_CONTENT_LENGTH = re.compile(r"^(?:Content-Length|l)[ \t]*:[ \t]*([0-9]{1,10})[ \t]*$", re.IGNORECASE)
_CONTENT_TYPE = re.compile(r"^(?:Content-Type|c)[ \t]*:[ \t]*([^;\s]+)", re.IGNORECASE)
# RFC 3261 §18.2.2: a response goes back over the transport its request came on, named in the
# top Via; for a request the top Via names the transport it is sent over.
_VIA_TRANSPORT = re.compile(r"^(?:Via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*([A-Za-z]+)", re.IGNORECASE)
_SDP_LINE = re.compile(r"^[a-z]=")
_PORT = re.compile(r"[0-9]{1,5}\Z")  # ASCII digits only: str.isdigit() takes '³', which int() refuses


def is_start_line(text: str) -> bool:
    """True for a SIP request line or status line."""
    text = text.strip()
    return bool(REQUEST_LINE.match(text) or STATUS_LINE.match(text))


def is_header_line(text: str) -> bool:
    """True for `Name: value` (a URI such as `sip:bob@host` does not count)."""
    m = _HEADER_NAME.match(text)
    return bool(m) and m.group(1).lower() not in _URI_SCHEMES


@dataclass(slots=True)
class TextMessage:
    """One SIP message recovered from a log."""

    line: int
    """Line number of its start line."""
    headers: list[str]
    """Header lines after the start line, repaired, without line ends."""
    payload: bytes
    """The message as it was on the wire: CRLF line ends, blank line, body."""

    def transport_from_via(self, default: str = "UDP") -> str:
        """The transport named by the top Via header, for formats that do not write one."""
        for header in self.headers:
            m = _VIA_TRANSPORT.match(header)
            if m:
                return m.group(1).upper()
        return default


@dataclass(slots=True)
class _Line:
    text: str
    marked: bool
    """The line ended with the format's end-of-line marker (ngrep's '.' for CR)."""
    last_piece: int
    """Length of its last physical line, as written (to judge whether the next one is a wrap)."""


@dataclass(slots=True)
class _Cursor:
    """Where `read_message` is in the lines, and why the section it read last ended."""

    lines: LineStream
    content: Content
    summary: InputSummary
    marker: str | None
    count: int = 0
    chars: int = 0
    peeked_chars: int = 0
    stop: str = ""
    """Why the last section ended: 'blank', 'text' (a line that is no header), 'log' (the log goes
    on), 'start' (a new start line), 'eof' or 'long'."""
    stop_line: int | None = None
    repairs: list[tuple[int, str]] = field(default_factory=list)

    def next_text(self) -> tuple[int, str, bool] | None:
        """Peek the next line as (number, message text, had marker); None where the message ends."""
        peeked = self.lines.peek()
        if peeked is None:
            self.stop, self.stop_line = "eof", None
            return None
        number, raw = peeked
        text = self.content(raw)
        if text is None:
            self.stop, self.stop_line = "log", number
            return None
        if self.count >= MAX_LINES or self.chars >= MAX_MESSAGE_CHARS:
            self.stop, self.stop_line = "long", number
            return None
        self.peeked_chars = len(text)
        if self.marker and text.endswith(self.marker):
            return number, text[: -len(self.marker)], True
        return number, text, False

    def take(self) -> None:
        self.lines.take()
        self.count += 1
        self.chars += self.peeked_chars

    def written_length(self, text: str, marked: bool) -> int:
        """Length of a line as the log wrote it (with its end-of-line marker)."""
        return len(text) + (len(self.marker) if marked and self.marker else 0)


def read_message(
    lines: LineStream, content: Content, summary: InputSummary, eol_marker: str | None = None
) -> TextMessage:
    """Read one message whose start line is the next line of `lines` (the caller checked it).

    `eol_marker` is a character the format writes for the CR of each CRLF (ngrep byline's '.'):
    it is removed from the end of each line, and kept where a cut line is joined back.
    """
    cursor = _Cursor(lines, content, summary, eol_marker)
    first = cursor.next_text()
    assert first is not None, "read_message called without a start line"
    first_number, start, _ = first
    start = start.strip()
    cursor.take()

    headers = [h.text for h in _read_headers(cursor)]
    declared = _content_length(headers)
    headers_complete = cursor.stop == "blank" or (cursor.stop == "text" and bool(declared))
    if cursor.stop == "text" and declared:
        warn_line(summary, first_number, f"no blank line after the headers: body taken from line {cursor.stop_line}")
    elif not headers_complete and declared != 0 and cursor.stop != "text":
        _warn_cut(cursor, first_number, "before the blank line that ends the headers")

    body: list[str] = []
    trailing_crlf = False
    if headers_complete and declared != 0:
        content_type = _content_type(headers) or ""
        sdp, sipfrag = content_type == "application/sdp", content_type.startswith("message/")
        body, size = _read_body(cursor, declared, sdp=sdp, start_lines_allowed=sipfrag)
        if declared is None:
            trailing_crlf = bool(body)
        else:
            if size + 2 < declared:
                while body and not body[-1].strip():  # empty lines that only separated messages
                    body.pop()
                size = _joined_size(body)
            trailing_crlf = bool(body) and size + 2 == declared
            if size < declared and not trailing_crlf:
                warn_line(summary, first_number, f"body has {size} of the {declared} bytes its Content-Length "
                          f"announces ({_stop_reason(cursor)}); message kept as it is")
            elif size > declared:
                warn_line(summary, first_number, f"body is {size - declared} bytes longer than its Content-Length")

    for number, text in cursor.repairs:
        warn_line(summary, number, text)
    head = "\r\n".join([start, *headers]) + "\r\n\r\n"
    text = head + "\r\n".join(body) + ("\r\n" if trailing_crlf else "")
    return TextMessage(first_number, headers, text.encode("utf-8", errors="replace"))


def _read_headers(cursor: _Cursor) -> list[_Line]:
    headers: list[_Line] = []
    while True:
        peeked = cursor.next_text()
        if peeked is None:
            return headers
        number, text, marked = peeked
        if not text.strip():
            cursor.take()
            cursor.stop = "blank"
            return headers
        if is_start_line(text):
            cursor.stop, cursor.stop_line = "start", number
            return headers
        if text[0] in " \t" and is_header_line(text.lstrip()):
            cursor.repairs.append((number, "header line indented (by a mail client?): indent removed"))
            text = text.lstrip()
        indented = text[0] in " \t"
        if indented and headers and could_be_wrapped(headers[-1].last_piece):
            _join(cursor, headers[-1], text, marked)  # a cut before a space, or folding: same meaning
            cursor.repairs.append((number, "indented line after a full-width line: joined back to the line before "
                                           "(line wrapping or RFC 3261 folding, same meaning)"))
        elif indented or is_header_line(text):  # a folded line is RFC 3261 §7.3.1 LWS
            headers.append(_Line(text, marked, cursor.written_length(text, marked)))
        elif headers and _looks_wrapped(headers[-1].last_piece, text):
            _join(cursor, headers[-1], text, marked)
            cursor.repairs.append((number, "header line cut in two (line wrapping): joined back to the line before"))
        else:
            cursor.stop, cursor.stop_line = "text", number
            return headers
        cursor.take()


def _join(cursor: _Cursor, previous: _Line, text: str, marked: bool) -> None:
    """Append a wrapped tail to the line before; that line's end marker was data, not a CR."""
    joint = cursor.marker if previous.marked and cursor.marker else ""
    previous.text += joint + text
    previous.marked = marked
    previous.last_piece = cursor.written_length(text, marked)


def _looks_wrapped(previous_length: int, text: str) -> bool:
    """Could `text` have been pushed to its own line by wrapping the line before at ~60-80 columns?"""
    first_word = text.split(None, 1)[0]
    return previous_length + 1 + len(first_word) > WRAP_COLUMNS


def _read_body(cursor: _Cursor, declared: int | None, *, sdp: bool, start_lines_allowed: bool) -> tuple[list[str], int]:
    """Body lines and their size in bytes when joined with CRLF (without a final CRLF)."""
    body: list[str] = []
    size = 0
    while True:
        if declared is not None and (size >= declared or (body and size + 2 == declared)):
            return body, size
        peeked = cursor.next_text()
        if peeked is None:
            return body, size
        number, text, _ = peeked
        if is_start_line(text) and not start_lines_allowed:
            cursor.stop, cursor.stop_line = "start", number
            return body, size
        if declared is None and not text.strip():
            cursor.take()
            return body, size
        cursor.take()
        length = len(text.encode("utf-8", errors="replace"))
        if sdp and body and body[-1] and text and not _SDP_LINE.match(text):
            body[-1] += text
            size += length
            cursor.repairs.append((number, "SDP line cut in two (line wrapping): joined back to the line before"))
        else:
            size += length + (2 if body else 0)
            body.append(text)


def _joined_size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8", errors="replace")) for line in lines) + 2 * max(len(lines) - 1, 0)


def _content_length(headers: list[str]) -> int | None:
    for header in headers:
        m = _CONTENT_LENGTH.match(header)
        if m:
            return int(m.group(1))
    return None


def _content_type(headers: list[str]) -> str | None:
    for header in headers:
        m = _CONTENT_TYPE.match(header)
        if m:
            return m.group(1).lower()
    return None


def _stop_reason(cursor: _Cursor) -> str:
    return {
        "eof": "the file ends",
        "log": f"the log goes on at line {cursor.stop_line}",
        "start": f"a new message starts at line {cursor.stop_line}",
        "long": f"cut after {cursor.count} lines (at most {MAX_LINES} lines or {MAX_MESSAGE_CHARS:,} characters)",
    }.get(cursor.stop, "")


def _warn_cut(cursor: _Cursor, first_number: int, where: str) -> None:
    warn_line(cursor.summary, first_number, f"message cut short {where}: {_stop_reason(cursor)}; kept what is there")


def warn_line(summary: InputSummary, line: int, text: str) -> None:
    """Record a warning about line `line` of the input."""
    summary.warn(Origin(summary.path, line=line), text)


def check_declared_size(summary: InputSummary, message: TextMessage, declared: int) -> None:
    """Warn when a message is much shorter or longer than the size its log header announced."""
    actual = len(message.payload)
    if abs(actual - declared) > max(8, declared // 20):
        warn_line(summary, message.line,
                  f"log says {declared} bytes, recovered message has {actual}: lines may be missing or damaged")


def parse_endpoint(text: str) -> Endpoint:
    """'192.0.2.1:5060', '[2001:db8::1]:5060', '2001:db8::1:5060' or a bare host → Endpoint."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    elif text.count(":") > 1:
        host, _, port = text.rpartition(":")
    else:
        host, port = text, ""
    return Endpoint(host or None, int(port) if _PORT.match(port) and int(port) < 65536 else None)


def make_frame(
    summary: InputSummary,
    message: TextMessage,
    *,
    time: float | None,
    src: Endpoint,
    dst: Endpoint,
    transport: str,
    direction: str | None = None,
) -> Frame:
    """The `Frame` for one recovered message; notes its time in the summary."""
    summary.saw_time(time)
    summary.count("sip_messages")
    return Frame(
        origin=Origin(summary.path, line=message.line),
        time=time,
        src=src,
        dst=dst,
        transport=transport.upper(),
        payload=message.payload,
        whole_message=True,
        direction=direction,
    )


def rejoin_cut_line(
    lines: LineStream, text: str, parse: Callable[[str], T | None], summary: InputSummary
) -> T | None:
    """Repair a log line (a message header) cut in two by wrapping: `text` starts it and `parse`
    refuses it; if `parse` accepts it joined with the next line (as is, or with the space a word
    wrap dropped), consume that line, warn and return what `parse` returned."""
    peeked = lines.peek()
    if peeked is None or not peeked[1].strip():
        return None
    number, tail = peeked
    for joined in (text + tail.lstrip(), text + " " + tail.lstrip()):
        result = parse(joined)
        if result is not None:
            lines.take()
            warn_line(summary, number, "log line cut in two (line wrapping): joined back to the line before")
            return result
    return None


def could_be_wrapped(length: int) -> bool:
    """True when a line of `length` characters is as long as one a mail client or terminal cut."""
    return WRAP_COLUMNS <= length <= MAX_WRAP_COLUMNS


def at_message_start(lines: LineStream, content: Content, eol_marker: str | None = None) -> bool:
    """Skip empty lines; True when the next line is a SIP start line that `content` accepts."""
    while (peeked := lines.peek()) is not None:
        text = content(peeked[1])
        if text is None:
            return False
        if eol_marker and text.rstrip().endswith(eol_marker):
            text = text.rstrip()[: -len(eol_marker)]
        if text.strip():
            return is_start_line(text)
        lines.take()
    return False


def skip_until_log(lines: LineStream, content: Content) -> tuple[int, int | None]:
    """Consume lines up to where `content` says the log goes on; returns (non-empty lines skipped, first such line)."""
    skipped, first = 0, None
    while (peeked := lines.peek()) is not None:
        number, raw = peeked
        text = content(raw)
        if text is None:
            break
        lines.take()
        if text.strip():
            skipped += 1
            first = first or number
    return skipped, first
