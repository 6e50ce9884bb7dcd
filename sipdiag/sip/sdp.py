"""SDP bodies (RFC 4566/8866): connection addresses, media lines, codecs, direction.

`parse_sdp(text)` never raises; lines it does not understand are skipped and counted in
`SessionDescription.bad_lines`. Media-level c= overrides session-level c= (RFC 4566 §5.7);
media-level direction overrides session-level, default sendrecv (RFC 3264 §5.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .grammar import number

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")

# RFC 3551 static payload types, used when an offer has no a=rtpmap for them.
STATIC_PAYLOADS = {
    "0": "PCMU/8000", "3": "GSM/8000", "4": "G723/8000", "5": "DVI4/8000", "6": "DVI4/16000",
    "7": "LPC/8000", "8": "PCMA/8000", "9": "G722/8000", "10": "L16/44100", "11": "L16/44100",
    "12": "QCELP/8000", "13": "CN/8000", "14": "MPA/90000", "15": "G728/8000", "16": "DVI4/11025",
    "17": "DVI4/22050", "18": "G729/8000", "25": "CelB/90000", "26": "JPEG/90000",
    "28": "nv/90000", "31": "H261/90000", "32": "MPV/90000", "33": "MP2T/90000", "34": "H263/90000",
}


@dataclass(slots=True)
class Media:
    """One m= section."""

    kind: str
    """audio, video, image (T.38), application, ..."""
    port: int
    """0 means the stream is rejected or disabled."""
    proto: str
    formats: list[str]
    connection: str | None = None
    """The effective c= address (media level, else session level)."""
    rtpmap: dict[str, str] = field(default_factory=dict)
    direction: str = "sendrecv"
    rtcp: str | None = None
    crypto: bool = False
    ice_candidates: int = 0

    @property
    def codecs(self) -> list[str]:
        """Encoding names in offer order, e.g. ['PCMU/8000', 'telephone-event/8000']."""
        return [self.rtpmap.get(f) or STATIC_PAYLOADS.get(f, f) for f in self.formats]


@dataclass(slots=True)
class SessionDescription:
    origin_address: str | None = None
    origin_user: str | None = None
    connection: str | None = None
    media: list[Media] = field(default_factory=list)
    direction: str = "sendrecv"
    bad_lines: int = 0


def _conn_address(value: str) -> str | None:
    parts = value.split()
    if len(parts) >= 3:
        return parts[2].split("/")[0]
    return None


def parse_sdp(text: str) -> SessionDescription:
    sdp = SessionDescription()
    current: Media | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            sdp.bad_lines += 1
            continue
        kind, value = line[0], line[2:]
        if kind == "o":
            parts = value.split()
            if len(parts) >= 6:
                sdp.origin_user, sdp.origin_address = parts[0], parts[5]
        elif kind == "c":
            addr = _conn_address(value)
            if current is None:
                sdp.connection = addr
            else:
                current.connection = addr
        elif kind == "m":
            parts = value.split()
            if len(parts) < 3:
                sdp.bad_lines += 1
                current = None
                continue
            port_text = parts[1].split("/")[0]
            current = Media(parts[0], number(port_text, 5) or 0, parts[2], parts[3:])
            current.direction = sdp.direction
            sdp.media.append(current)
        elif kind == "a":
            name, _, attr = value.partition(":")
            if name in DIRECTIONS:
                if current is None:
                    sdp.direction = name
                else:
                    current.direction = name
            elif current is None:
                continue
            elif name == "rtpmap":
                pt, _, enc = attr.partition(" ")
                current.rtpmap[pt.strip()] = enc.strip()
            elif name == "rtcp":
                current.rtcp = attr.strip()
            elif name == "crypto":
                current.crypto = True
            elif name == "candidate":
                current.ice_candidates += 1
    for m in sdp.media:
        if m.connection is None:
            m.connection = sdp.connection
    return sdp
