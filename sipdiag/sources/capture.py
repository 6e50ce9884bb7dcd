"""Capture files (pcap, pcapng, gzip'd) → `Frame`s: the packet pipeline, streaming.

records (pcapfile) → link/IP/tunnels/fragments (packet) → UDP datagrams as they are,
TCP through the reassembler (tcp) and, for WebSocket connections, the frame decoder
(websocket), for HEP3 streams (an agent sending to a HOMER collector over TCP) the HEP3 framer
(hep), SCTP user messages through theirs (sctp). Memory stays flat: nothing is kept
per packet, only per open stream or pending fragment, each bounded; a closed TCP stream
keeps only its sequence numbers.

`datagram_filter`, when set by the caller, is asked about every UDP/SCTP payload and every
WebSocket message before a `Frame` is built, so a capture full of RTP costs little; the
reader itself knows nothing of what the caller looks for, with one exception: when the filter
is sip/'s `looks_like_sip` (as `dissect` sets it), the compiled scanner applies that very test
itself (rust/src/sniff.rs, checked against the regex by the differential tests), so datagrams
it rejects never reach Python.

RTP is counted, not delivered: a UDP payload of at least 12 bytes with version 2 in its first
two bits (RFC 3550 §5.1) whose second byte, without the marker bit, is not 72-76 (RTCP's
packet types 200-204, RFC 5761 §4), between ports that are both 1024 or above (DNS and other
well-known services can start with 0x80-0xBF by chance), is counted per direction in
`summary.rtp_flows` with its payload types in `summary.rtp_payload_types`. The first byte of
a SIP message is ASCII, so no SIP datagram can pass this test. At most `MAX_RTP_FLOWS`
directions are tracked; packets of further directions are only counted, in
`summary.rtp_untracked_packets`, with one warning.

Two cores walk the records (core.py picks one): the compiled scanner (`sipdiag._core`, Rust)
and the pure-Python twin (pcapfile + packet). Both feed the same `_Pipeline`, which holds
everything above the per-packet loop: stream reassembly, WebSocket and SCTP, warnings and the
end-of-capture facts. The scanner decodes the common packets itself — it counts RTP, drops
what cannot be SIP and hands over only SIP-candidate UDP payloads and TCP segments — and gives
every record it does not decode on its fast path (fragments, tunnels, SCTP, rare link types,
anything damaged) back whole, to `_Pipeline.record`, the code the pure path runs for every
record. So both cores give the same frames and the same summary; tests/test_core_differential.py
checks that they do.
"""

from __future__ import annotations

import socket
from typing import Callable, Iterator

from ..errors import InputError
from . import core
from .frame import Endpoint, Frame, InputSummary, Origin
from .gunzip import damage_of, limited
from .hep import Hep3Stream, decode_hep, looks_like_hep, starts_hep3_stream
from .linklayer import LINKTYPE_NAMES, SUPPORTED_LINKTYPES
from .packet import VXLAN_PORT, PacketDecoder, Segment
from .pcapfile import Record, header_problem, is_capture_magic, read_records
from .sctp import SctpReassembler
from .tcp import TcpReassembler
from .websocket import WebSocketTracker

MAX_WARNINGS_PER_KIND = 5
MAX_RTP_FLOWS = 10_000
"""Distinct RTP directions tracked per capture; memory stays bounded on a capture full of scans."""
_inet4 = socket.inet_ntoa
MAX_HEP_STREAMS = 1024
"""Open HEP3 TCP stream directions kept at once (a collector has a few agents, each one connection)."""
READ_CHUNK = 1 << 20
"""Bytes handed to the compiled scanner per call."""


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
        self.core = "pure-python"
        """The core that read (or is reading) the file: "rust" or "pure-python"."""
        self.netmon = False
        """A Network Monitor file (set by open_input from the head): read by the pure-Python walk."""
        self.raw_file = None
        """A `rawfile.RawFile` for this file when it is a plain regular file (open_input sets it):
        then both readers say where each UDP payload is (`Frame.file_offset`: the scanner, or
        the pure reader from its records' offsets)."""
        self.plain_messages: tuple[object, Callable] | None = None
        """(parser, make) from the SIP layer (dissect.py), for the compiled core: a UDP payload
        of a plain regular file that is one SIP message `parser` (a `_core.HeadParser`) reads
        completely is not a Frame but `make(origin, time, src, dst, offset, digest, body_at,
        ident, facts)`, what the core read of it (rust/src/python.rs, event 5); this reader
        passes it on as it is, in order. Only with the scanner's own SIP sniff."""

    def __iter__(self) -> Iterator[Frame]:
        compiled = core.compiled()
        if compiled is not None and self.netmon:
            compiled = None  # the compiled scanner walks pcap and pcapng; NetMon is read by netmon.py
        pipeline = _Pipeline(self.path, self.summary, self.datagram_filter)
        if compiled is None:
            self.core = "pure-python"
            yield from self._read_pure(pipeline)
        else:
            self.core = "rust"
            yield from self._read_compiled(pipeline, compiled)
        if self._gzipped:
            self.summary.format += "+gzip"
        pipeline.summarize()
        lost = self.summary.lost
        if lost is not None and not self.summary.packets:
            # damage before the first packet (a broken first record header): nothing was read
            raise InputError(self.path, f"{lost.text}, at frame {lost.origin.frame or 1}; nothing could be read")

    def _read_pure(self, p: _Pipeline) -> Iterator[Frame]:
        summary = self.summary
        out = p.out
        p.in_file = self.raw_file is not None  # then say where UDP payloads are in the file
        fh = self._opener()
        try:
            for rec in read_records(fh, summary):
                summary.packets += 1
                if rec.time is not None:
                    summary.saw_time(rec.time)
                p.record(rec)
                if out:
                    yield from out
                    out.clear()
            p.end_streams()
            yield from out
            out.clear()
        finally:
            fh.close()
            summary.rtp_untracked_packets = p.rtp_untracked

    def _read_compiled(self, p: _Pipeline, compiled) -> Iterator[Frame]:
        summary = self.summary
        path = self.path
        keep = self.datagram_filter
        in_file = self.raw_file is not None  # the offsets the scanner gives are the file's
        sniff = keep is not None and keep is core.sip_sniff()
        if sniff:
            keep = None  # the scanner applies exactly this test itself
        scanner = compiled.CaptureScanner(sniff, MAX_RTP_FLOWS)
        make = None
        if sniff and in_file and self.plain_messages is not None:
            parser, make = self.plain_messages
            scanner.parse_plain(parser)
        p.count_rtp = _ScannerRtp(scanner).count
        tcp_add = p.tcp.add
        out = p.out

        endpoints: dict[tuple[str, int], Endpoint] = {}

        def endpoint(ip: str, port: int) -> Endpoint:
            """One shared (immutable) Endpoint per address and port: most packets repeat a few."""
            key = (ip, port)
            ep = endpoints.get(key)
            if ep is None:
                if len(endpoints) >= 65536:
                    endpoints.clear()
                ep = endpoints[key] = Endpoint(ip, port)
            return ep

        def handle(events: list[tuple]) -> None:
            """Turn one batch of scanner events into frames, in `out`."""
            for ev in events:  # the tuples are described in rust/src/python.rs
                kind = ev[0]
                if kind == 5:  # a UDP payload the core read as one plain SIP message
                    out.append(make(Origin(path, frame=ev[1]), ev[2], endpoint(ev[3], ev[4]), endpoint(ev[5], ev[6]),
                                    *ev[7:]))
                elif kind == 0:  # a UDP payload
                    if keep is not None and not keep(ev[7]):
                        continue
                    out.append(Frame(Origin(path, frame=ev[1]), ev[2], endpoint(ev[3], ev[4]), endpoint(ev[5], ev[6]),
                                     "UDP", ev[7], file_offset=ev[8] if in_file else None))
                elif kind == 1:  # a TCP segment
                    _, number, t, src, sport, dst, dport, seq, ack, flags, payload = ev
                    chunks = tcp_add(src, sport, dst, dport, seq, flags, payload,
                                     (Origin(path, frame=number), t, 1, None), t, ack)
                    if chunks:
                        p.stream_frames(chunks)
                elif kind == 4:  # a file-level warning: (4, frame, text, lost)
                    summary.warn(Origin(path, frame=ev[1]), ev[2], loss="damage" if ev[3] else None)
                else:  # a record for the Python decoder; the scan paused after it
                    _, number, t, linktype, data, orig_len, cut = ev
                    if kind == 3:  # a timestamp resolution beyond 64 bits: Python's big integers
                        ticks, base, exp, offset = t
                        t = ticks / base**exp + offset
                        summary.saw_time(t)
                    p.record(Record(number, t, linktype, data, orig_len, cut))

        fh = self._opener()
        try:
            while True:
                try:
                    chunk = fh.read(READ_CHUNK)
                except OSError:  # as pcapfile's _read_exact: a read error ends the file
                    chunk = b""
                handle(scanner.feed(chunk) if chunk else scanner.finish())
                if summary.format == "unknown" and scanner.format is not None:
                    summary.format = scanner.format
                while scanner.paused:  # after a record for Python, whose RTP is now counted
                    handle(scanner.resume())
                yield from out
                out.clear()
                summary.packets = scanner.packets
                if not chunk:
                    break
                if scanner.done:  # damage stopped the walk: read no further, as pcapfile
                    break
            damage = damage_of(fh)
            if damage and not scanner.stopped_by_damage:
                last = scanner.last_record
                summary.warn(Origin(path, frame=last + 1),
                             f"gzip'd file: {damage}; nothing after frame {last} can be read",
                             loss="limit" if limited(fh) else "damage")
            p.end_streams()
            yield from out
            out.clear()
        finally:
            fh.close()
            times = scanner.times()
            if times is not None:
                summary.saw_time(times[0])
                summary.saw_time(times[1])
            summary.link_types.update(LINKTYPE_NAMES[lt] for lt in scanner.link_types())
            for src, sport, dst, dport, n, types in scanner.rtp_flows():
                key = (src, sport, dst, dport)
                summary.rtp_flows[key] = n
                summary.rtp_payload_types[key] = set(types)
            p.rtp_untracked, p.rtp_first_untracked = scanner.rtp_untracked()
            summary.rtp_untracked_packets = p.rtp_untracked


class _ScannerRtp:
    """RTP found by the Python decoder, counted by the scanner, so all directions share one order."""

    def __init__(self, scanner) -> None:
        self._count = scanner.count_rtp

    def count(self, seg: Segment, payload: bytes, number: int) -> None:
        self._count(_packed(seg.src), seg.sport, _packed(seg.dst), seg.dport, payload[1] & 0x7F, number)


def _packed(ip: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)


class _Pipeline:
    """Everything above the record walk, for one capture: records → segments → frames in `out`."""

    def __init__(self, path: str, summary: InputSummary, keep: Callable[[bytes], bool] | None) -> None:
        self.path = path
        self.summary = summary
        self.keep = keep
        self.out: list[Frame] = []
        """Frames made by the last call, for the reader to yield."""
        self.in_file = False
        """The records' `file_offset`s are offsets in a file that can be read again (the pure
        reader of a plain regular file): UDP frames then say where their payload is."""
        self.decoder = PacketDecoder()
        self.tcp = TcpReassembler()
        self.sctp = SctpReassembler()
        self.ws = WebSocketTracker()
        self.hep_streams: dict[tuple, Hep3Stream] = {}
        """TCP stream directions that carry HEP3 messages (agent → collector)."""
        self.hep_undecided: dict[tuple, bytes] = {}
        """A stream direction's first few bytes, too few to tell HEP3 from anything else yet."""
        self.seen_streams: set[tuple] = set()
        self.tls_streams: set[tuple] = set()
        self.bad_links: set[int] = set()
        self.problem_counts: dict[str, int] = {}
        self.rtp_untracked = 0
        self.rtp_first_untracked = 0
        self.count_rtp: Callable[[Segment, bytes, int], None] | None = None
        """Counts one RTP packet elsewhere: the compiled reader points it at its scanner."""

    def _problem(self, frame: int, text: str) -> None:
        seen = self.problem_counts.get(text, 0)
        self.problem_counts[text] = seen + 1
        if seen < MAX_WARNINGS_PER_KIND:
            self.summary.warn(Origin(self.path, frame=frame), text)

    def _count_rtp(self, key: tuple, payload_type: int, number: int) -> None:
        """Count one RTP packet of direction `key` (the pure reader's way; the compiled reader
        counts in its scanner)."""
        summary = self.summary
        rtp_flows = summary.rtp_flows
        n = rtp_flows.get(key)
        if n is not None:
            rtp_flows[key] = n + 1
            summary.rtp_payload_types[key].add(payload_type)
        elif len(rtp_flows) < MAX_RTP_FLOWS:
            rtp_flows[key] = 1
            summary.rtp_payload_types[key] = {payload_type}
        else:
            if not self.rtp_untracked:
                self.rtp_first_untracked = number
            self.rtp_untracked += 1

    def _plain_rtp(self, rec: Record) -> bool:
        """Count `rec` and say True when it is an RTP packet in plain Ethernet/IPv4/UDP that
        nothing else would look at (no fragment, no tunnel, no HEP, nothing to warn about, not
        kept by the datagram filter): what `record` would do with it, without decoding it into
        a Segment. The pure reader meets this for most packets of a PBX-side capture."""
        data = rec.data
        if len(data) < 54 or data[12] != 8 or data[13] != 0 or data[14] != 0x45 or data[23] != 17 \
                or data[20] & 0x3F or data[21]:
            return False  # not IPv4/UDP with a 20-byte header, or a fragment
        total = (data[16] << 8) | data[17]
        if total < 28 or 14 + total > len(data):
            return False  # a length the decoder would take apart or warn about
        sport = (data[34] << 8) | data[35]
        dport = (data[36] << 8) | data[37]
        if sport < 1024 or dport < 1024 or sport == VXLAN_PORT or dport == VXLAN_PORT:
            return False
        length = (data[38] << 8) | data[39]
        body = data[42:34 + length] if 8 <= length <= total - 20 else data[42:14 + total]
        if len(body) < 12 or (body[0] & 0xC0) != 0x80 or 72 <= (body[1] & 0x7F) <= 76:
            return False
        if self.keep is None or self.keep(body) or looks_like_hep(body):
            return False
        self.summary.link_types.add(LINKTYPE_NAMES[1])
        self._count_rtp((_inet4(data[26:30]), sport, _inet4(data[30:34]), dport), body[1] & 0x7F, rec.number)
        return True

    def _offset_of(self, rec: Record, payload: bytes, seg) -> int | None:
        """Where `payload` is in the file, when it is there as it is: the tail of one record's
        bytes, not reassembled from fragments, not in a tunnel (as the compiled scanner's UDP
        payloads); None otherwise, or when the file cannot be read again (`in_file`)."""
        if not self.in_file or rec.file_offset is None or seg.ip_fragments != 1 or seg.tunnel:
            return None
        data = rec.data
        if not data.endswith(payload):
            return None  # an Ethernet trailer, padding or an FCS after it
        return rec.file_offset + len(data) - len(payload)

    def record(self, rec: Record) -> None:
        """Decode one record (already counted in the summary) into frames."""
        if rec.linktype == 1 and self.count_rtp is None and self._plain_rtp(rec):
            return
        summary = self.summary
        keep = self.keep
        out = self.out
        t = rec.time
        linktype = rec.linktype
        if linktype not in SUPPORTED_LINKTYPES:
            if linktype not in self.bad_links:
                self.bad_links.add(linktype)
                self._problem(rec.number, f"link type {linktype} is not supported; its packets are skipped")
            return
        summary.link_types.add(LINKTYPE_NAMES[linktype])
        problems: list[str] = []
        segments = self.decoder.decode(linktype, rec.data, t, problems)
        if not rec.cut_by_file_end:
            for p in problems:
                self._problem(rec.number, p)
        if not segments:
            return
        origin = Origin(self.path, frame=rec.number)
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
                    if self.count_rtp is not None:
                        self.count_rtp(seg, payload, rec.number)
                    else:
                        self._count_rtp((seg.src, seg.sport, seg.dst, seg.dport), payload[1] & 0x7F, rec.number)
                if keep is not None and not keep(payload):
                    continue
                if seg.transport is None:
                    out.append(Frame(
                        origin, t, Endpoint(seg.src, seg.sport), Endpoint(seg.dst, seg.dport), "UDP",
                        payload, ip_fragments=seg.ip_fragments, tunnel=seg.tunnel,
                        file_offset=self._offset_of(rec, payload, seg),
                    ))
                else:  # carried in HEP: the agent's transport and time, one whole packet's payload
                    out.append(Frame(
                        origin, seg.time if seg.time is not None else t, Endpoint(seg.src, seg.sport),
                        Endpoint(seg.dst, seg.dport), seg.transport, payload, ip_fragments=seg.ip_fragments,
                        tunnel=seg.tunnel,
                    ))
            elif proto == "TCP":
                chunks = self.tcp.add(seg.src, seg.sport, seg.dst, seg.dport, seg.seq, seg.flags, seg.payload,
                                      (origin, t, seg.ip_fragments, seg.tunnel), t, seg.ack)
                if chunks:
                    self.stream_frames(chunks)
            else:
                sctp_problems: list[str] = []
                key = (seg.src, seg.sport, seg.dst, seg.dport)
                for data in self.sctp.messages(key, seg.raw_l4, sctp_problems):
                    if keep is not None and not keep(data):
                        continue
                    out.append(Frame(
                        origin, t, Endpoint(seg.src, seg.sport), Endpoint(seg.dst, seg.dport), "SCTP",
                        data, ip_fragments=seg.ip_fragments, tunnel=seg.tunnel, whole_message=True,
                    ))
                for p in sctp_problems:
                    self._problem(rec.number, p)

    def end_streams(self) -> None:
        """The records have ended: flush the TCP streams."""
        self.stream_frames(self.tcp.finish())

    def summarize(self) -> None:
        """The end-of-capture warnings and facts."""
        summary = self.summary
        path = self.path
        if self.rtp_untracked:
            summary.warn(
                Origin(path, frame=self.rtp_first_untracked),
                f"more than {MAX_RTP_FLOWS:,} RTP flow directions: {self.rtp_untracked:,} RTP packets from here on "
                "belong to directions that are counted together, not one by one",
            )
        decoder, tcp = self.decoder, self.tcp
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
            ("tls_streams", len(self.tls_streams)),
        ):
            if value:
                summary.count(fact, value)
        if tcp.gaps:
            summary.warn(Origin(path), f"{tcp.gaps} hole(s) in TCP streams (segments missing from the capture)")
        if self.tls_streams:
            summary.warn(
                Origin(path),
                f"{len(self.tls_streams)} TLS-encrypted TCP stream direction(s): SIP over TLS cannot be read "
                "from a capture; use the PBX's own logger (e.g. `pjsip set logger on`)",
            )
        for p in self.ws.problems[:MAX_WARNINGS_PER_KIND]:
            summary.warn(Origin(path), p)
        for text, n in self.problem_counts.items():
            if n > MAX_WARNINGS_PER_KIND:
                summary.warn(Origin(path), f"{n - MAX_WARNINGS_PER_KIND} more packets with: {text}")

    def stream_frames(self, chunks) -> None:
        keep = self.keep
        ws = self.ws
        seen_streams = self.seen_streams
        tls_streams = self.tls_streams
        out = self.out
        for chunk in chunks:
            key = chunk.key
            origin, t, fragments, tunnel = chunk.tag
            if chunk.end:
                held = self.hep_undecided.pop(key, None)
                if held is not None:
                    out.append(Frame(origin, t, Endpoint(key[0], key[1]), Endpoint(key[2], key[3]), "TCP", held,
                                     stream=("TCP",) + key, ip_fragments=fragments, tunnel=tunnel))
                hep = self.hep_streams.pop(key, None)
                if hep is not None:
                    seen_streams.discard(key)
                    problem = hep.finish()
                    if problem:
                        self._problem(origin.frame, problem)
                    continue
                if key in seen_streams:
                    seen_streams.discard(key)
                    ws.forget(key)
                    if key not in tls_streams:
                        out.append(Frame(origin, t, Endpoint(key[0], key[1]), Endpoint(key[2], key[3]), "TCP", b"",
                                         stream=("TCP",) + key, end_of_stream=True))
                continue
            first = key not in seen_streams
            if first:
                seen_streams.add(key)
                if len(chunk.data) >= 3 and chunk.data[0] == 0x16 and chunk.data[1] == 0x03:
                    tls_streams.add(key)
            if key in tls_streams:
                continue
            data = chunk.data
            hep = self.hep_streams.get(key)
            held = self.hep_undecided.pop(key, None)
            if held is not None and not chunk.gap_before:
                data = held + data
            if hep is None and (first or held is not None):
                if len(data) < 12 and data[:4] == b"HEP3"[:len(data)]:
                    self.hep_undecided[key] = data  # too short to tell: the next chunk decides
                    continue
                if starts_hep3_stream(data):
                    if len(self.hep_streams) >= MAX_HEP_STREAMS:  # each holds up to one 64 KiB message
                        oldest = next(iter(self.hep_streams))
                        self.hep_streams.pop(oldest)
                        self._problem(origin.frame, f"more than {MAX_HEP_STREAMS} open HEP3 TCP streams: "
                                                    "the oldest one's unfinished message is dropped")
                    hep = self.hep_streams[key] = Hep3Stream()
            if hep is not None:
                messages, problems = hep.feed(data, chunk.gap_before)
                for p in problems:
                    self._problem(origin.frame, p)
                for message in messages:
                    self._hep_frame(message, origin, t, fragments, tunnel)
                continue
            src = Endpoint(key[0], key[1])
            dst = Endpoint(key[2], key[3])
            if ws.claims(key, data if first or held is not None else None):
                for message, _kind in ws.feed(key, data, chunk.gap_before):
                    if not message or (keep is not None and not keep(message)):
                        continue
                    out.append(Frame(origin, t, src, dst, "WS", message, stream=("TCP",) + key,
                                     ip_fragments=fragments, tunnel=tunnel, whole_message=True))
                continue
            out.append(Frame(origin, t, src, dst, "TCP", data, stream=("TCP",) + key,
                             gap_before=chunk.gap_before, ip_fragments=fragments, tunnel=tunnel))

    def _hep_frame(self, message: bytes, origin: Origin, t: float | None, fragments: int, tunnel: str | None) -> None:
        """One HEP3 message from a TCP stream → the packet it carries, as PacketDecoder._hep does
        for HEP over UDP: the agent's addresses, ports, transport and time, one whole payload."""
        packet = decode_hep(message)
        if isinstance(packet, str):
            if packet:
                self._problem(origin.frame, packet)
            return
        if packet.proto not in (6, 17) or not packet.payload:
            return
        self.summary.count("tunnelled_packets")
        if self.keep is not None and not self.keep(packet.payload):
            return
        self.out.append(Frame(
            origin, packet.time if packet.time is not None else t, Endpoint(packet.src, packet.sport),
            Endpoint(packet.dst, packet.dport), "TCP" if packet.proto == 6 else "UDP", packet.payload,
            ip_fragments=fragments, tunnel=f"{tunnel}+HEP{packet.version}" if tunnel else f"HEP{packet.version}",
        ))
