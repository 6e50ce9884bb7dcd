"""One input's frames → its SIP messages, anomalies and log events, in order.

This is the seam between `sources/` (which knows files and transports) and `sip/` (which
knows SIP): datagrams are split and parsed, stream chunks go through one `StreamFramer` per
stream direction, and each message gets the capture facts of the frame it came in
(IP fragments, TCP segments, tunnel, log direction).

Text logs do not say the logging host's own address. After reading a log, it is inferred
from the messages (`infer_local_address`) and filled in, and the summary says where it
came from, so a log and a capture of the same event show the same addresses.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from .sip.grammar import is_ip_literal
from .sip.framing import StreamFramer, looks_like_sip, split_datagram
from .sip.message import Anomaly, SipMessage
from .sip.parser import parse_message
from .sources import Frame, LogEvent, Source, open_input
from .sources.capture import CaptureReader
from .sources.frame import Endpoint

Item = SipMessage | Anomaly | LogEvent


def dissect(source: Source) -> Iterator[Item]:
    """Yield the SIP messages, anomalies and log events of one opened input, in order."""
    if isinstance(source, CaptureReader):
        source.datagram_filter = looks_like_sip
        yield from _dissect_frames(source)
        return
    items = list(_dissect_frames(source))
    local = infer_local_address([i for i in items if isinstance(i, SipMessage)])
    if local is not None:
        endpoint, reason = local
        if not source.summary.local_address:  # the text reader may have found it already
            source.summary.local_address = f"{endpoint} ({reason})"
        for item in items:
            if isinstance(item, SipMessage):
                if item.src.ip is None and item.direction == "out":
                    item.src = endpoint
                if item.dst.ip is None and item.direction == "in":
                    item.dst = endpoint
    yield from items


def read_messages(path: str) -> tuple[Source, Iterator[Item]]:
    """Open `path` and return the source (for its summary) and its dissected items."""
    source = open_input(path)
    return source, dissect(source)


def _dissect_frames(source: Source) -> Iterator[Item]:
    framers: dict[tuple, StreamFramer] = {}
    for frame in source:
        if isinstance(frame, LogEvent):
            yield frame
            continue
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
                                     transport=frame.transport)
                if isinstance(item, SipMessage):
                    _annotate(item, frame)
                    item.tcp_segments = fm.segments
                    if fm.segments > 1:
                        item.first_origin = fm.first_origin
                yield item
            continue
        payloads = [frame.payload] if frame.whole_message else split_datagram(frame.payload)
        for index, payload in enumerate(payloads):
            if not frame.whole_message and not looks_like_sip(payload):
                continue
            item = parse_message(payload, origin=frame.origin, time=frame.time, src=frame.src, dst=frame.dst,
                                 transport=frame.transport)
            if isinstance(item, SipMessage):
                _annotate(item, frame)
                if index:
                    item.anomalies.append(Anomaly(
                        "bundled-message",
                        f"follows another message in the same {frame.transport} datagram; "
                        "a receiver that follows RFC 3261 §18.3 discards it",
                        frame.origin,
                    ))
            yield item
    for framer in framers.values():
        problem = framer.finish()
        if problem is not None:
            yield Anomaly(problem.name, problem.detail, problem.origin, problem.raw)


def _annotate(msg: SipMessage, frame: Frame) -> None:
    msg.direction = frame.direction
    msg.ip_fragments = frame.ip_fragments
    msg.tunnel = frame.tunnel


_DEFAULT_PORTS = {"TLS": 5061, "WSS": 443, "WS": 80}


def infer_local_address(messages: list[SipMessage]) -> tuple[Endpoint, str] | None:
    """The logging host's address, from what its messages say about it, with the reason.

    In order of trust: the Via sent-by of requests it sends (its own address as it
    advertises it) and the Request-URI of requests it receives when that is an IP literal
    (the peers' view of it). Never the Contact of a response it sends: a registrar's 200 OK
    lists the phone's contacts, not its own.
    """
    votes: Counter = Counter()
    first_line: dict[tuple, int | None] = {}
    for msg in messages:
        candidates: list[tuple[str, int | None, int, str]] = []
        if msg.direction == "out" and msg.is_request and msg.top_via is not None:
            v = msg.top_via
            candidates.append((v.host, v.port, 3, "the Via sent-by of requests it sends"))
        if msg.direction == "in" and msg.is_request and msg.ruri is not None and msg.ruri.host_is_ip:
            candidates.append((msg.ruri.bare_host, msg.ruri.port, 1, "the Request-URI of requests it receives"))
        for host, port, priority, reason in candidates:
            if not is_ip_literal(host):
                continue
            port = port or _DEFAULT_PORTS.get(msg.transport, 5060)
            key = (host.strip("[]"), port, priority, reason)
            votes[key] += 1
            first_line.setdefault(key, msg.origin.line)
    if not votes:
        return None
    best = max(votes, key=lambda k: (k[2], votes[k]))
    host, port, _priority, reason = best
    line = first_line.get(best)
    where = f", line {line}" if line else ""
    return Endpoint(host, port), f"inferred from {reason}{where}"
