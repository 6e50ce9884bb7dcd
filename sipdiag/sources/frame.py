"""What every input reader produces: transport payloads (`Frame`) and log lines (`LogEvent`).

A reader turns one file into a stream of these objects. It knows file formats, link layers,
IP and transport protocols, but nothing of SIP: a `Frame` carries raw payload bytes and where
they came from (`Origin`), and the `sip/` layer decides whether they hold SIP.

Stream transports (TCP, and the text logs' TCP/TLS/WS lines) deliver their bytes in order,
one `Frame` per chunk, all chunks of one direction sharing a `stream` key. `gap_before` says
that bytes are missing before this chunk (a lost segment), so the framer must resynchronise;
a last, empty frame with `end_of_stream` says the direction closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a piece of evidence is: a file and a frame number (captures) or a line (text)."""

    source: str
    """The input file as the user named it."""
    frame: int | None = None
    """1-based frame number, as Wireshark shows it (captures)."""
    line: int | None = None
    """1-based line number (text logs)."""

    def __str__(self) -> str:
        if self.frame is not None:
            return f"{self.source}#{self.frame}"
        if self.line is not None:
            return f"{self.source}:{self.line}"
        return self.source

    def to_json(self) -> dict:
        out: dict = {"source": self.source}
        if self.frame is not None:
            out["frame"] = self.frame
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A transport address. `ip` is None when a text log does not say it (the logging host)."""

    ip: str | None
    port: int | None

    def __str__(self) -> str:
        host = self.ip if self.ip is not None else "?"
        if ":" in host:
            host = f"[{host}]"
        return host if self.port is None else f"{host}:{self.port}"


LOCAL = Endpoint(None, None)
"""The host that wrote a text log, before its address is inferred from the messages."""


@dataclass(slots=True)
class Frame:
    """Transport payload bytes with their addresses, time and origin."""

    origin: Origin
    time: float | None
    """Seconds since the epoch (UTC); None when the input has no timestamp for it."""
    src: Endpoint
    dst: Endpoint
    transport: str
    """UDP, TCP, TLS, SCTP, WS or WSS."""
    payload: bytes
    stream: tuple | None = None
    """Key shared by all in-order chunks of one stream direction; None for datagrams."""
    gap_before: bool = False
    """Stream bytes are missing before this chunk."""
    end_of_stream: bool = False
    """No payload: the stream direction `stream` is finished (TCP FIN or RST)."""
    ip_fragments: int = 1
    """How many IP fragments this payload was reassembled from (1 = not fragmented)."""
    tunnel: str | None = None
    """Encapsulation the packet was found in (e.g. 'IPIP', 'GRE', 'ERSPAN-II', 'VXLAN')."""
    whole_message: bool = False
    """The payload is exactly one application message (WebSocket, SCTP, text logs)."""
    direction: str | None = None
    """For text logs: 'in' (received by the logging host) or 'out' (sent by it)."""
    file_offset: int | None = None
    """Where `payload` starts in the input file, when the file holds it as it is (a UDP payload
    of a plain capture file: sources/rawfile.py)."""


@dataclass(slots=True)
class LogEvent:
    """A non-SIP line of a text log (WARNING, NOTICE, ERROR, VERBOSE...), kept as evidence."""

    origin: Origin
    time: float | None
    level: str
    """Upper-case level as written: WARNING, NOTICE, ERROR, VERBOSE, DEBUG, ..."""
    module: str | None
    """The emitting module or file, e.g. 'res_pjsip_registrar.c'."""
    function: str | None
    """The emitting function where the format says it, e.g. 'find_registrar_aor'."""
    text: str
    """The message part of the line."""
    raw: str = ""
    """The whole line as written."""


LOSS_KINDS = ("damage", "limit", "line")
"""What `InputWarning.loss` says: "damage" (the input is damaged or cut short here: a record, or
everything after it, could not be read), "limit" (a limit stopped reading here: the rest is not
read), "line" (a text line was cut at --max-line: the rest of that line is skipped)."""


@dataclass(slots=True)
class InputWarning:
    """Something odd or damaged in an input, said in one line; reading went on."""

    origin: Origin
    text: str
    loss: str | None = None
    """Set (one of `LOSS_KINDS`) by the reader when part of the input was lost here."""

    def __str__(self) -> str:
        return f"{self.origin}: {self.text}"


@dataclass(slots=True)
class InputSummary:
    """What a reader saw in one input file, filled in as it reads."""

    path: str
    format: str = "unknown"
    """Detected format, e.g. 'pcap', 'pcapng', 'pcap+gzip', 'pjsip-logger', 'ngrep'."""
    packets: int = 0
    """Packets (captures) or lines (text logs) read."""
    link_types: set[str] = field(default_factory=set)
    first_time: float | None = None
    last_time: float | None = None
    warnings: list[InputWarning] = field(default_factory=list)
    facts: dict[str, int] = field(default_factory=dict)
    """Counters for capture facts: 'ip_fragmented', 'tcp_retransmissions', 'tunnels', ..."""
    local_address: str | None = None
    """For text logs: the logging host's address as inferred, with the reason."""
    rtp_flows: dict[tuple[str, int, str, int], int] = field(default_factory=dict)
    """Captures: RTP packets per direction, keyed (src ip, src port, dst ip, dst port)."""
    rtp_payload_types: dict[tuple[str, int, str, int], set[int]] = field(default_factory=dict)
    """Captures: the RTP payload type numbers seen per direction (same keys as `rtp_flows`)."""
    rtp_untracked_packets: int = 0
    """Captures: RTP packets of directions beyond the first `capture.MAX_RTP_FLOWS`, counted together."""
    lost: InputWarning | None = None
    """The warning that says where input was lost, if any was: the first one, except that a limit
    that stopped reading comes first (a packet it cut is only its consequence). Kept even when
    the warnings list is full."""

    @property
    def is_capture(self) -> bool:
        """A packet capture (pcap, pcapng, NetMon; gzip'd or not), not a text log: it counts packets."""
        return self.format.startswith(("pcap", "netmon"))

    def warn(self, origin: Origin, text: str, limit: int = 200, loss: str | None = None) -> None:
        """Record a warning (`loss`: input was lost here, see `LOSS_KINDS`); past `limit` only
        count them, so a damaged file stays readable."""
        warning = InputWarning(origin, text, loss)
        if loss is not None and (self.lost is None or (loss == "limit" and self.lost.loss != "limit")):
            self.lost = warning
        if len(self.warnings) < limit:
            self.warnings.append(warning)
        else:
            self.facts["warnings_suppressed"] = self.facts.get("warnings_suppressed", 0) + 1

    def count(self, fact: str, n: int = 1) -> None:
        self.facts[fact] = self.facts.get(fact, 0) + n

    def saw_time(self, t: float | None) -> None:
        if t is None:
            return
        if self.first_time is None or t < self.first_time:
            self.first_time = t
        if self.last_time is None or t > self.last_time:
            self.last_time = t
