"""pcap and pcapng files → raw link-layer records, streaming, in file order.

How this works: `read_records(fh, summary)` looks at the first four bytes. pcap (both byte
orders, microsecond and nanosecond magic, and the "modified" Kuznetzov variant) is a 24-byte
header then fixed 16-byte record headers. pcapng is a sequence of blocks; a Section Header
Block fixes the byte order and resets the interface list, Interface Description Blocks give
each interface its link type and timestamp resolution, and Enhanced / Simple / obsolete Packet
Blocks carry packets. Every packet block counts as one frame, as in Wireshark.

Damage never raises: a record that runs past the end of the file is delivered with what is
there and a warning; a record header that cannot be right (length beyond any snaplen) stops
reading with a warning, keeping everything before it. A gzip'd file whose compressed data
breaks off is reported when the walk reaches that point (not when it stopped before it).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from .frame import InputSummary, Origin
from .gunzip import damage_of, limited

PCAP_MAGICS = {  # magic → (byte order, timestamp fraction units per second)
    b"\xd4\xc3\xb2\xa1": ("<", 10**6),
    b"\xa1\xb2\xc3\xd4": (">", 10**6),
    b"\x4d\x3c\xb2\xa1": ("<", 10**9),
    b"\xa1\xb2\x3c\x4d": (">", 10**9),
    b"\x34\xcd\xb2\xa1": ("<", 10**6),  # Kuznetzov's modified pcap (extra 8 bytes per record)
    b"\xa1\xb2\xcd\x34": (">", 10**6),
}
_MODIFIED = {b"\x34\xcd\xb2\xa1", b"\xa1\xb2\xcd\x34"}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
NETMON_MAGIC = b"GMBU"
"""Microsoft Network Monitor 2.x (netmon.py)."""
MAX_RECORD = 16 * 1024 * 1024
"""Records larger than this cannot be real packets: the file is damaged from there on."""


@dataclass(slots=True)
class Record:
    """One captured packet: its frame number, time, link type and bytes."""

    number: int
    time: float | None
    linktype: int
    data: bytes
    orig_len: int
    cut_by_file_end: bool = False
    """The file ends inside this packet (already warned about; its layers need no more warnings)."""
    file_offset: int | None = None
    """Where `data` starts in the file (pcap and pcapng; counted from the first byte read)."""


def is_capture_magic(head: bytes) -> bool:
    return head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_SHB or head[:4] == NETMON_MAGIC


def read_records(fh: BinaryIO, summary: InputSummary) -> Iterator[Record]:
    """The packets of an open pcap or pcapng file (plain or from `open_gunzip`), in file order."""
    magic = fh.read(4)
    last = 0
    stopped: list[bool] = []
    if magic == PCAPNG_SHB:
        summary.format = "pcapng"
        records = _read_pcapng(_Prefixed(magic, fh), summary, stopped)
    elif magic == NETMON_MAGIC:
        from .netmon import read_netmon

        records = read_netmon(fh, summary, stopped)
    else:
        summary.format = "pcap"
        records = _read_pcap(fh, magic, summary, stopped)
    for record in records:
        last = record.number
        yield record
    damage = damage_of(fh)
    if damage and not stopped:
        summary.warn(Origin(summary.path, frame=last + 1),
                     f"gzip'd file: {damage}; nothing after frame {last} can be read",
                     loss="limit" if limited(fh) else "damage")


class _Prefixed:
    """A file whose first bytes were already read (gzip streams cannot seek back cheaply)."""

    def __init__(self, prefix: bytes, fh: BinaryIO) -> None:
        self._prefix = prefix
        self._fh = fh

    def read(self, n: int) -> bytes:
        if self._prefix:
            head, self._prefix = self._prefix[:n], self._prefix[n:]
            return head + self._fh.read(n - len(head)) if n > len(head) else head
        return self._fh.read(n)


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    """Read n bytes (fewer only at the end of the file; a read error ends the file too)."""
    try:
        return fh.read(n)
    except OSError:
        return b""


def header_problem(head: bytes) -> str | None:
    """Why a file starting with a capture magic number has no usable file header, or None."""
    if head[:4] in PCAP_MAGICS and len(head) < 24:
        return f"pcap file header is truncated ({len(head)} of 24 bytes): no packets"
    if head[:4] == PCAPNG_SHB:
        if len(head) < 28:
            return f"pcapng section header is truncated ({len(head)} of at least 28 bytes): no packets"
        if head[8:12] not in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
            return "pcapng section header is damaged (no byte-order magic): no packets"
    if head[:4] == NETMON_MAGIC:
        from .netmon import header_problem as netmon_problem

        return netmon_problem(head)
    return None


def _read_pcap(fh: BinaryIO, magic: bytes, summary: InputSummary, stopped: list[bool]) -> Iterator[Record]:
    """The records of a pcap file; `stopped` gets an item when damage (not the file's end) stops the walk."""
    endian, units = PCAP_MAGICS[magic]
    header = _read_exact(fh, 20)
    if len(header) < 20:
        summary.warn(Origin(summary.path), "pcap file header is truncated: no packets", loss="damage")
        return
    _vmaj, _vmin, _zone, _sigfigs, snaplen, network = struct.unpack(endian + "HHiIII", header)
    linktype = network & 0x0FFFFFFF
    extra = 8 if magic in _MODIFIED else 0
    rec_hdr = struct.Struct(endian + "IIII")
    limit = max(snaplen, 262144) if snaplen else MAX_RECORD
    number = 0
    at = 24 + 16 + extra  # where the next record's data starts (file header, record header)
    while True:
        hdr = _read_exact(fh, 16)
        if len(hdr) < 16:
            if hdr:
                summary.warn(
                    Origin(summary.path, frame=number + 1),
                    f"file is cut short inside a packet header ({len(hdr)} of 16 bytes)", loss="damage"
                )
            return
        sec, frac, incl, orig = rec_hdr.unpack(hdr)
        number += 1
        if incl > limit or incl > MAX_RECORD:
            summary.warn(
                Origin(summary.path, frame=number),
                f"damaged packet header (captured length {incl} bytes); stopped reading here", loss="damage"
            )
            stopped.append(True)
            return
        if extra:
            _read_exact(fh, extra)
        data = _read_exact(fh, incl)
        if len(data) < incl:
            summary.warn(
                Origin(summary.path, frame=number),
                f"file is cut short in the middle of a packet ({len(data)} of {incl} bytes)", loss="damage"
            )
        yield Record(number, sec + frac / units, linktype, data, orig, len(data) < incl, at)
        if len(data) < incl:
            return
        at += incl + 16 + extra


@dataclass(slots=True)
class _Interface:
    linktype: int
    units: int
    """Timestamp ticks per second (if_tsresol): 10**6 unless the IDB says otherwise."""
    offset: int = 0
    """if_tsoffset, whole seconds added to every timestamp."""
    snaplen: int = 0


def _if_resolution(options: bytes, endian: str) -> tuple[int, int]:
    """Parse if_tsresol (9) and if_tsoffset (14) from an IDB's options: (ticks per second, offset)."""
    units, offset = 10**6, 0
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack_from(endian + "HH", options, pos)
        pos += 4
        value = options[pos : pos + length]
        pos += (length + 3) & ~3
        if code == 0:
            break
        if code == 9 and value:  # (an option cut off by the block's end has no value)
            v = value[0]
            units = 2 ** (v & 0x7F) if v & 0x80 else 10**v
        elif code == 14 and length == 8 and len(value) == 8:
            offset = struct.unpack(endian + "q", value)[0]
    return units, offset


def _read_pcapng(fh, summary: InputSummary, stopped: list[bool]) -> Iterator[Record]:
    endian = "<"
    interfaces: list[_Interface] = []
    number = 0
    at = 0  # where the next block starts
    while True:
        head = _read_exact(fh, 8)
        if len(head) < 8:
            if head:
                summary.warn(Origin(summary.path, frame=number + 1), "file is cut short inside a block header",
                             loss="damage")
            return
        if head[:4] == PCAPNG_SHB:
            bom = _read_exact(fh, 4)
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                summary.warn(Origin(summary.path, frame=number + 1), "damaged pcapng section header; stopped",
                             loss="damage")
                if len(bom) == 4:
                    stopped.append(True)
                return
            total = struct.unpack(endian + "I", head[4:8])[0]
            if total < 28 or total % 4 or total > MAX_RECORD:
                summary.warn(Origin(summary.path, frame=number + 1), "damaged pcapng section header; stopped",
                             loss="damage")
                stopped.append(True)
                return
            if len(_read_exact(fh, total - 12)) < total - 12:
                summary.warn(Origin(summary.path, frame=number + 1), "file is cut short inside a section header",
                             loss="damage")
                return
            interfaces = []
            at += total
            continue
        btype, total = struct.unpack(endian + "II", head)
        if total < 12 or total % 4 or total > MAX_RECORD:
            summary.warn(
                Origin(summary.path, frame=number + 1),
                f"damaged pcapng block (type {btype:#x}, length {total}); stopped reading here", loss="damage"
            )
            stopped.append(True)
            return
        body = _read_exact(fh, total - 8)
        truncated = len(body) < total - 8
        if not truncated:
            body = body[:-4]  # the trailing copy of the block length
        if btype == 1:  # Interface Description Block
            if len(body) >= 8:
                linktype, _res, snaplen = struct.unpack_from(endian + "HHI", body, 0)
                units, off = _if_resolution(body[8:], endian)
                interfaces.append(_Interface(linktype, units, off, snaplen))
        elif btype in (6, 3, 2):
            number += 1
            rec = _packet_block(btype, body, endian, interfaces, number, summary, truncated, at + 8)
            if rec is not None:
                yield rec
        if truncated:
            if btype not in (6, 3, 2):
                summary.warn(Origin(summary.path, frame=number + 1), "file is cut short inside a block", loss="damage")
            return
        at += total


def _packet_block(btype, body, endian, interfaces, number, summary, cut: bool, at: int) -> Record | None:
    """One EPB (6), SPB (3) or obsolete PB (2); `cut` = the file ends inside this block; `at`:
    where its body starts in the file."""
    origin = Origin(summary.path, frame=number)
    if btype == 3:  # Simple Packet Block: interface 0, no timestamp
        if len(body) < 4 or not interfaces:
            summary.warn(origin, "file is cut short in the middle of a packet" if cut
                         else "simple packet block without an interface description", loss="damage")
            return None
        orig_len = struct.unpack_from(endian + "I", body, 0)[0]
        snaplen = interfaces[0].snaplen
        captured = min(orig_len, snaplen) if snaplen else orig_len  # the rest of the block is padding
        data = body[4 : 4 + captured]
        if cut:
            summary.warn(origin, f"file is cut short in the middle of a packet ({len(data)} of {captured} bytes)",
                         loss="damage")
        return Record(number, None, interfaces[0].linktype, data, orig_len, cut, at + 4)
    if len(body) < 20:
        summary.warn(origin, "file is cut short in the middle of a packet" if cut else "damaged packet block",
                     loss="damage")
        return None
    if btype == 6:
        if_id, ts_hi, ts_lo, cap_len, orig_len = struct.unpack_from(endian + "IIIII", body, 0)
    else:  # Obsolete Packet Block
        if_id, _drops, ts_hi, ts_lo, cap_len, orig_len = struct.unpack_from(endian + "HHIIII", body, 0)
    data = body[20 : 20 + cap_len]
    if if_id >= len(interfaces):
        summary.warn(origin, f"packet names interface {if_id}, which the file never described", loss="damage")
        return None
    iface = interfaces[if_id]
    ts = ((ts_hi << 32) | ts_lo) / iface.units + iface.offset
    if len(data) < cap_len:
        if cut:
            summary.warn(origin, f"file is cut short in the middle of a packet ({len(data)} of {cap_len} bytes)",
                         loss="damage")
        else:
            summary.warn(origin, f"damaged packet block: {cap_len} bytes announced, {len(data)} present", loss="damage")
    return Record(number, ts, iface.linktype, data, orig_len, cut, at + 20)
