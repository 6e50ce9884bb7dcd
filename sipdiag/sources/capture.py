"""Capture files (pcap, pcapng, gzip'd) → `Frame`s: the packet pipeline, streaming.

records (pcapfile) → link/IP/tunnels/fragments (packet) → UDP datagrams as they are,
TCP through the reassembler (tcp) and, for WebSocket connections, the frame decoder
(websocket), SCTP user messages through theirs (sctp). Memory stays flat: nothing is kept
per packet, only per open stream or pending fragment, each bounded; a closed TCP stream
keeps only its sequence numbers.

`datagram_filter`, when set by the caller, is asked about every UDP/SCTP payload and every
WebSocket message before a `Frame` is built, so a capture full of RTP costs little; the
reader itself knows nothing of what the caller looks for.

RTP is counted, not delivered: a UDP payload of at least 12 bytes with version 2 in its first
two bits (RFC 3550 §5.1) whose second byte, without the marker bit, is not 72-76 (RTCP's
packet types 200-204, RFC 5761 §4), between ports that are both 1024 or above (DNS and other
well-known services can start with 0x80-0xBF by chance), is counted per direction in
`summary.rtp_flows` with its payload types in `summary.rtp_payload_types`. The first byte of
a SIP message is ASCII, so no SIP datagram can pass this test. At most `MAX_RTP_FLOWS`
directions are tracked; packets of further directions are only counted, in
`summary.rtp_untracked_packets`, with one warning.
"""

from __future__ import annotations

from typing import Callable, Iterator

from .frame import Endpoint, Frame, InputSummary, Origin
from .linklayer import LINKTYPE_NAMES, SUPPORTED_LINKTYPES
from .packet import PacketDecoder
from .pcapfile import header_problem, is_capture_magic, read_records
from .sctp import SctpReassembler
from .tcp import TcpReassembler
from .websocket import WebSocketTracker

MAX_WARNINGS_PER_KIND = 5
MAX_RTP_FLOWS = 10_000
"""Distinct RTP directions tracked per capture; memory stays bounded on a capture full of scans."""


def is_capture(head: bytes) -> bool:
    return is_capture_magic(head)


def unreadable(head: bytes) -> str | None:
    """Why a capture starting with `head` cannot be read at all (truncated file header), or None."""
    return header_problem(head)


class CaptureReader:
    """Reads one capture file; iterate once."""

    def __init__(self, path: str, opener: Callable, gzipped: bool = False) -> None:
        self.path = path
        self._opener = opener
        self._gzipped = gzipped
        self.summary = InputSummary(path)
        self.datagram_filter: Callable[[bytes], bool] | None = None
        self._problem_counts: dict[str, int] = {}

    def _problem(self, frame: int, text: str) -> None:
        seen = self._problem_counts.get(text, 0)
        self._problem_counts[text] = seen + 1
        if seen < MAX_WARNINGS_PER_KIND:
            self.summary.warn(Origin(self.path, frame=frame), text)

    def __iter__(self) -> Iterator[Frame]:
        summary = self.summary
        path = self.path
        keep = self.datagram_filter
        decoder = PacketDecoder()
        tcp = TcpReassembler()
        sctp = SctpReassembler()
        ws = WebSocketTracker()
        seen_streams: set[tuple] = set()
        tls_streams: set[tuple] = set()
        bad_links: set[int] = set()
        rtp_flows = summary.rtp_flows
        rtp_types = summary.rtp_payload_types
        rtp_untracked = 0
        rtp_first_untracked = 0
        fh = self._opener()
        try:
            for rec in read_records(fh, summary):
                summary.packets += 1
                t = rec.time
                if t is not None:
                    summary.saw_time(t)
                linktype = rec.linktype
                if linktype not in SUPPORTED_LINKTYPES:
                    if linktype not in bad_links:
                        bad_links.add(linktype)
                        self._problem(rec.number, f"link type {linktype} is not supported; its packets are skipped")
                    continue
                summary.link_types.add(LINKTYPE_NAMES[linktype])
                problems: list[str] = []
                segments = decoder.decode(linktype, rec.data, t, problems)
                if not rec.cut_by_file_end:
                    for p in problems:
                        self._problem(rec.number, p)
                if not segments:
                    continue
                origin = Origin(path, frame=rec.number)
                for seg in segments:
                    if seg.tunnel:
                        summary.count("tunnelled_packets")
                    proto = seg.proto
                    if proto == "UDP":
                        payload = seg.payload
                        if not payload:
                            continue
                        if (payload[0] & 0xC0) == 0x80 and len(payload) >= 12 and not 72 <= (payload[1] & 0x7F) <= 76 \
                                and seg.sport >= 1024 and seg.dport >= 1024:
                            key = (seg.src, seg.sport, seg.dst, seg.dport)
                            n = rtp_flows.get(key)
                            if n is not None:
                                rtp_flows[key] = n + 1
                                rtp_types[key].add(payload[1] & 0x7F)
                            elif len(rtp_flows) < MAX_RTP_FLOWS:
                                rtp_flows[key] = 1
                                rtp_types[key] = {payload[1] & 0x7F}
                            else:
                                if not rtp_untracked:
                                    rtp_first_untracked = rec.number
                                rtp_untracked += 1
                        if keep is not None and not keep(payload):
                            continue
                        yield Frame(
                            origin, t, Endpoint(seg.src, seg.sport), Endpoint(seg.dst, seg.dport), "UDP",
                            payload, ip_fragments=seg.ip_fragments, tunnel=seg.tunnel,
                        )
                    elif proto == "TCP":
                        chunks = tcp.add(seg.src, seg.sport, seg.dst, seg.dport, seg.seq, seg.flags, seg.payload,
                                         (origin, t, seg.ip_fragments, seg.tunnel), t, seg.ack)
                        if chunks:
                            yield from self._stream_frames(chunks, ws, seen_streams, tls_streams)
                    else:
                        sctp_problems: list[str] = []
                        key = (seg.src, seg.sport, seg.dst, seg.dport)
                        for data in sctp.messages(key, seg.raw_l4, sctp_problems):
                            if keep is not None and not keep(data):
                                continue
                            yield Frame(
                                origin, t, Endpoint(seg.src, seg.sport), Endpoint(seg.dst, seg.dport), "SCTP",
                                data, ip_fragments=seg.ip_fragments, tunnel=seg.tunnel, whole_message=True,
                            )
                        for p in sctp_problems:
                            self._problem(rec.number, p)
            yield from self._stream_frames(tcp.finish(), ws, seen_streams, tls_streams)
        finally:
            fh.close()
            summary.rtp_untracked_packets = rtp_untracked
        if rtp_untracked:
            summary.warn(
                Origin(path, frame=rtp_first_untracked),
                f"more than {MAX_RTP_FLOWS:,} RTP flow directions: {rtp_untracked:,} RTP packets from here on "
                "belong to directions that are counted together, not one by one",
            )
        if self._gzipped:
            summary.format += "+gzip"
        incomplete = decoder.defrag.finish()
        if decoder.fragmented_datagrams:
            summary.count("ip_fragmented_datagrams", decoder.fragmented_datagrams)
        if incomplete:
            summary.count("ip_fragments_incomplete", incomplete)
            summary.warn(Origin(path), f"{incomplete} fragmented IP datagram(s) never completed (fragments missing)")
        for fact, value in (
            ("tcp_retransmissions", tcp.retransmissions),
            ("tcp_out_of_order", tcp.out_of_order),
            ("tcp_gaps", tcp.gaps),
            ("tcp_streams_picked_up_midway", tcp.midstream),
            ("tls_streams", len(tls_streams)),
        ):
            if value:
                summary.count(fact, value)
        if tcp.gaps:
            summary.warn(Origin(path), f"{tcp.gaps} hole(s) in TCP streams (segments missing from the capture)")
        if tls_streams:
            summary.warn(
                Origin(path),
                f"{len(tls_streams)} TLS-encrypted TCP stream direction(s): SIP over TLS cannot be read "
                "from a capture; use the PBX's own logger (e.g. `pjsip set logger on`)",
            )
        for p in ws.problems[:MAX_WARNINGS_PER_KIND]:
            summary.warn(Origin(path), p)
        for text, n in self._problem_counts.items():
            if n > MAX_WARNINGS_PER_KIND:
                summary.warn(Origin(path), f"{n - MAX_WARNINGS_PER_KIND} more packets with: {text}")

    def _stream_frames(self, chunks, ws, seen_streams, tls_streams) -> Iterator[Frame]:
        keep = self.datagram_filter
        for chunk in chunks:
            key = chunk.key
            origin, t, fragments, tunnel = chunk.tag
            if chunk.end:
                if key in seen_streams:
                    seen_streams.discard(key)
                    ws.forget(key)
                    if key not in tls_streams:
                        yield Frame(origin, t, Endpoint(key[0], key[1]), Endpoint(key[2], key[3]), "TCP", b"",
                                    stream=("TCP",) + key, end_of_stream=True)
                continue
            first = key not in seen_streams
            if first:
                seen_streams.add(key)
                if len(chunk.data) >= 3 and chunk.data[0] == 0x16 and chunk.data[1] == 0x03:
                    tls_streams.add(key)
            if key in tls_streams:
                continue
            src = Endpoint(key[0], key[1])
            dst = Endpoint(key[2], key[3])
            if ws.claims(key, chunk.data if first else None):
                for message, _kind in ws.feed(key, chunk.data, chunk.gap_before):
                    if not message or (keep is not None and not keep(message)):
                        continue
                    yield Frame(origin, t, src, dst, "WS", message, stream=("TCP",) + key,
                                ip_fragments=fragments, tunnel=tunnel, whole_message=True)
                continue
            yield Frame(origin, t, src, dst, "TCP", chunk.data, stream=("TCP",) + key,
                        gap_before=chunk.gap_before, ip_fragments=fragments, tunnel=tunnel)
