"""Write the seed corpora of the fuzz harnesses from the bundled samples (small files only).

python fuzz/make_seeds.py  →  fuzz/seeds-sip/ (single SIP messages) and fuzz/seeds-inputs/ (whole files)

Besides the samples themselves, two of them are written as a HOMER collector would capture them:
every SIP message in HEP3 over UDP, and in HEP3 over one TCP connection cut into segments of
changing sizes (splitting some messages, holding several others), so that the HEP decoders and
the HEP3 stream framer start from inputs they accept.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

from sipdiag.dissect import read_messages
from sipdiag.errors import InputError
from sipdiag.sip.message import SipMessage

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "samples"
MAX_SEED = 64 * 1024


def main() -> None:
    sip, inputs = HERE / "seeds-sip", HERE / "seeds-inputs"
    sip.mkdir(exist_ok=True)
    inputs.mkdir(exist_ok=True)
    n = 0
    for path in sorted(SAMPLES.rglob("*")):
        if not path.is_file() or path.stat().st_size > MAX_SEED or path.suffix in (".py", ".md"):
            continue
        (inputs / path.name).write_bytes(path.read_bytes())
        try:
            _source, items = read_messages(str(path))
            for item in items:
                if isinstance(item, SipMessage):
                    n += 1
                    (sip / f"{n:05d}.sip").write_bytes(item.raw)
        except InputError:
            continue
    for name in HEP_SAMPLES:
        _source, items = read_messages(str(SAMPLES / "lab" / name))
        messages = [m for m in items if isinstance(m, SipMessage)]
        (inputs / f"hep3-udp-{name}").write_bytes(_pcap(
            [(m.time, _ip(17, struct.pack("!HHHH", 40000, 9060, 8 + len(h), 0) + h))
             for m in messages for h in [_hep3(m)]]))
        stream = b"".join(_hep3(m) for m in messages)
        segments, pos, sizes = [], 0, (5, 700, 60, 1500, 3000, 1)
        while pos < len(stream):
            size = sizes[len(segments) % len(sizes)]
            segments.append((pos, stream[pos:pos + size]))
            pos += size
        tcp = [(messages[0].time, _ip(6, _tcp(0, 0x02, b"")))]
        tcp += [(messages[0].time + i / 1000, _ip(6, _tcp(1 + off, 0x18, data))) for i, (off, data) in enumerate(segments)]
        tcp.append((messages[-1].time, _ip(6, _tcp(1 + len(stream), 0x11, b""))))
        (inputs / f"hep3-tcp-{name}").write_bytes(_pcap(tcp))
    print(f"{len(list(inputs.iterdir()))} input seeds, {n} SIP message seeds")


HEP_SAMPLES = ("ast-01-aor-404.pcap", "lab-08a-tcp-register-call-segmented-invite.pcap")


def _hep3(m: SipMessage) -> bytes:
    """One SIP message in HEP3, with its own addresses, ports, transport and time."""
    sec, usec = int(m.time), int((m.time % 1) * 1e6)
    chunks = [(1, b"\x02"), (2, bytes([6 if m.transport == "TCP" else 17])), (3, socket.inet_aton(m.src.ip)),
              (4, socket.inet_aton(m.dst.ip)), (7, struct.pack("!H", m.src.port)), (8, struct.pack("!H", m.dst.port)),
              (9, struct.pack("!I", sec)), (10, struct.pack("!I", usec)), (11, b"\x01"), (15, m.raw)]
    body = b"".join(struct.pack("!HHH", 0, kind, 6 + len(value)) + value for kind, value in chunks)
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def _tcp(seq: int, flags: int, data: bytes) -> bytes:
    return struct.pack("!HHIIBBHHH", 40000, 9061, seq, 1, 5 << 4, flags, 65535, 0, 0) + data


def _ip(proto: int, payload: bytes) -> bytes:
    """An Ethernet frame with an IPv4 packet from the agent (10.0.0.9) to the collector (10.0.0.1)."""
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                     socket.inet_aton("10.0.0.9"), socket.inet_aton("10.0.0.1"))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + payload


def _pcap(packets: list[tuple[float, bytes]]) -> bytes:
    records = b"".join(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(f), len(f)) + f for t, f in packets)
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1) + records


if __name__ == "__main__":
    main()
