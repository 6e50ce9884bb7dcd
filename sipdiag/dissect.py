"""One input's frames → its SIP messages, anomalies and log events, in order.

This is the seam between `sources/` (which knows files and transports) and `sip/` (which
knows SIP): datagrams are split and parsed, stream chunks go through one `StreamFramer` per
stream direction, and each message gets the capture facts of the frame it came in
(IP fragments, TCP segments, tunnel, log direction).

Text logs do not say the logging host's own address. After reading a log, it is inferred
from the messages (`sources.textlogs.local`) and filled in, and the summary says where it
came from, so a log and a capture of the same event show the same addresses.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from .sip.framing import StreamFramer, looks_like_sip, split_datagram
from .sip.grammar import number
from .sip.message import Anomaly, SipMessage
from .sip.parser import compiled_index_function, parse_message, parse_message_checked, plain_messages, record_function
from .sources import Endpoint, Frame, LogEvent, Source, open_input
from .sources.capture import CaptureReader
from .sources.textlogs.local import with_local_address

Item = SipMessage | Anomaly | LogEvent
MAX_SHARED_ENDPOINTS = 100_000


def dissect(source: Source) -> Iterator[Item]:
    """Yield the SIP messages, anomalies and log events of one opened input, in order."""
    if isinstance(source, CaptureReader):
        source.datagram_filter = looks_like_sip
        if source.raw_file is not None:  # the compiled core reads plain datagrams whole
            source.plain_messages = plain_messages(source.raw_file)
        yield from _dissect_frames(source, sniffed=True, raw_file=source.raw_file)
        return
    # a text log names only the peers; its own address comes from its messages (textlogs.local)
    yield from _dissect_frames(with_local_address(source, source.summary))


def read_messages(path: str, held: bool = True) -> tuple[Source, Iterator[Item]]:
    """Open `path` and return the source (for its summary) and its dissected items. `held`:
    the caller keeps every message (an analysis), so a message that is a whole datagram of a
    plain capture file leaves its bytes there (sources/rawfile.py); a listing that prints each
    message and drops it passes False, and spares the work of letting go and reading back."""
    source = open_input(path)
    if not held and isinstance(source, CaptureReader):
        source.raw_file = None
    return source, dissect(source)


def _one_message(payload: bytes, frame: Frame, record=None) -> SipMessage | None:
    """The message of a datagram that holds one message and nothing after it, parsed once; None
    when that is not certain (leading CR/LF, a body longer or shorter than its Content-Length, a
    Content-Length that is no plain number), and then `split_datagram` decides. Where this answers, split_datagram would have returned
    [payload]: its Content-Length pattern finds the header the parser finds first, and with the
    declared length equal to the body there is nothing after it."""
    if not payload or payload[0] in (10, 13):
        return None
    item, body_fits = parse_message_checked(payload, origin=frame.origin, time=frame.time, src=frame.src,
                                            dst=frame.dst, transport=frame.transport, record=record)
    if not isinstance(item, SipMessage):
        return None
    if body_fits:
        return item  # the compiled core compared Content-Length with the body already
    declared = item.header("Content-Length")
    if declared is not None and number(declared) != len(payload) - item._body_at:
        return None  # a length that is no number may still be read by split_datagram's pattern
    return item


def _dissect_frames(frames: Iterable[Frame | LogEvent], sniffed: bool = False, raw_file=None) -> Iterator[Item]:
    """`sniffed`: every datagram passed `looks_like_sip` already (the capture reader's filter);
    `raw_file`: the capture file the datagrams' `file_offset`s point into (a message that is a
    whole datagram is told where its bytes are, so it can let go of them: sources/rawfile.py)."""
    framers: dict[tuple, StreamFramer] = {}
    endpoints: dict[Endpoint, Endpoint] = {}
    """One shared Endpoint per address: a capture has few addresses and many messages."""
    shared: set[int] = set()
    """id() of the Endpoints in `endpoints`: a frame whose address is one of them already (the
    compiled reader shares its own) is not hashed again (an Endpoint's hash is Python code)."""
    record = record_function()
    if raw_file is not None:
        raw_file.index_of = compiled_index_function()
    for frame in frames:
        if type(frame) is SipMessage:  # a datagram the compiled core read whole (CaptureReader.plain_messages)
            yield frame
            continue
        if isinstance(frame, LogEvent):
            yield frame
            continue
        if id(frame.src) not in shared and len(endpoints) < MAX_SHARED_ENDPOINTS:
            frame.src = endpoints.setdefault(frame.src, frame.src)
            shared.add(id(frame.src))
        if id(frame.dst) not in shared and len(endpoints) < MAX_SHARED_ENDPOINTS:
            frame.dst = endpoints.setdefault(frame.dst, frame.dst)
            shared.add(id(frame.dst))
        if frame.end_of_stream:
            framer = framers.pop(frame.stream, None)
            problem = framer.finish() if framer is not None else None
            if problem is not None:
                yield Anomaly(problem.name, problem.detail, problem.origin, problem.raw)
            continue
        if frame.stream is not None and not frame.whole_message:
            framer = framers.get(frame.stream)
            if framer is None:
                framer = framers[frame.stream] = StreamFramer()
            if framer.abandoned:
                continue
            messages, problems = framer.feed(frame.payload, frame.origin, frame.time, frame.gap_before)
            for p in problems:
                yield Anomaly(p.name, p.detail, p.origin, p.raw)
            for fm in messages:
                item = parse_message(fm.data, origin=fm.origin, time=fm.time, src=frame.src, dst=frame.dst,
                                     transport=frame.transport, record=record)
                if isinstance(item, SipMessage):
                    _annotate(item, frame)
                    item.tcp_segments = fm.segments
                    if fm.segments > 1:
                        item.first_origin = fm.first_origin
                yield item
            continue
        if sniffed and not frame.whole_message:
            item = _one_message(frame.payload, frame, record)
            if item is not None:
                _annotate(item, frame)
                if frame.file_offset is not None and raw_file is not None:
                    item.leave_in(raw_file, frame.file_offset)
                yield item
                continue
        payloads = [frame.payload] if frame.whole_message else split_datagram(frame.payload)
        for index, payload in enumerate(payloads):
            if not frame.whole_message and not sniffed and not looks_like_sip(payload):
                continue
            item = parse_message(payload, origin=frame.origin, time=frame.time, src=frame.src, dst=frame.dst,
                                 transport=frame.transport, record=record)
            if isinstance(item, SipMessage):
                _annotate(item, frame)
                if index:
                    item.anomalies = [*item.anomalies, Anomaly(
                        "bundled-message",
                        f"follows another message in the same {frame.transport} datagram; "
                        "a receiver that follows RFC 3261 §18.3 discards it",
                        frame.origin,
                    )]
            yield item
    for framer in framers.values():
        problem = framer.finish()
        if problem is not None:
            yield Anomaly(problem.name, problem.detail, problem.origin, problem.raw)


def _annotate(msg: SipMessage, frame: Frame) -> None:
    """What few frames have, on their message (most have none of it: nothing to set)."""
    if frame.direction is not None:
        msg.direction = frame.direction
    if frame.ip_fragments != 1:
        msg.ip_fragments = frame.ip_fragments
    if frame.tunnel is not None:
        msg.tunnel = frame.tunnel

