"""Microsoft Network Monitor 2.x capture files (.cap) → raw link-layer records, in frame order.

How this works (the layout Wireshark's wiretap/netmon.c documents): a 128-byte little-endian
header — "GMBU", minor and major version, the network (media) type, the capture's start time as
a SYSTEMTIME (year, month, weekday, day, hour, minute, second, millisecond; UTC), and the offset
and length of the frame table; the frame table, an array of 32-bit file offsets, one per frame;
at each offset a record header (64-bit microseconds since the start, original length, captured
length) and the frame's bytes. From version 2.1 a 2-byte media type follows each frame's bytes
(it overrides the file's), from 2.2 more trailer fields that are not needed here.

The frame table sits after the frames, so the file is read whole into memory first (NetMon
captures in tickets are small; the gzip limits bound a compressed one). Damage never raises: a
frame offset or length outside the file ends reading with a warning, keeping what came before.
"""

from __future__ import annotations

import calendar
import struct
from typing import BinaryIO, Iterator

from .frame import InputSummary, Origin
from .pcapfile import MAX_RECORD, Record

MAGIC = b"GMBU"
HEADER = struct.Struct("<4sBBH8HII")
"""magic, minor, major, network, SYSTEMTIME (8 × uint16), frame table offset, frame table length."""
HEADER_SIZE = 128
RECORD = struct.Struct("<QII")
PCAP_MEDIA_BASE = 0xE000
"""NetMon's "pcap link type inside" media types: 0xE000 + the pcap LINKTYPE."""
MEDIA_TO_LINKTYPE = {1: 1, 2: 6, 3: 10, 6: 101, 0xFFE0: 101}
"""NetMon media type → pcap link type: Ethernet, Token Ring, FDDI, raw IP (NDIS WAN / raw)."""


def header_problem(head: bytes) -> str | None:
    """Why a NetMon file starting with `head` cannot be read at all, or None."""
    if len(head) < HEADER_SIZE:
        return f"Network Monitor capture header cut short ({len(head)} of {HEADER_SIZE} bytes)"
    major = head[5]
    if major != 2:
        return f"Network Monitor {major}.x capture: only version 2.x is read; save it as pcapng in Wireshark"
    return None


def linktype_of(media: int) -> int:
    if media >= PCAP_MEDIA_BASE and media != 0xFFE0:
        return media - PCAP_MEDIA_BASE
    return MEDIA_TO_LINKTYPE.get(media, 0x10000 + media)  # unknown: reported as an unsupported link type


def read_netmon(fh: BinaryIO, summary: InputSummary, stopped: list[bool]) -> Iterator[Record]:
    """The frames of a NetMon 2.x file whose first four bytes (the magic) were already read."""
    summary.format = "netmon2"
    data = MAGIC + fh.read()
    if header_problem(data) is not None:
        summary.warn(Origin(summary.path), header_problem(data), loss="damage")
        stopped.append(True)
        return
    (_magic, minor, _major, network, year, month, _dow, day, hour, minute, second, msec,
     table_at, table_len) = HEADER.unpack_from(data, 0)
    try:
        start_us = (calendar.timegm((year, month, day, hour, minute, second)) * 1000 + msec) * 1000
    except (ValueError, OverflowError):
        start_us = None
        summary.warn(Origin(summary.path), "Network Monitor capture with an invalid start time; frames have none")
    trailer = 2 if minor >= 1 else 0
    if table_at + table_len > len(data) or table_len % 4 or table_at < HEADER_SIZE:
        # the table is written last: a file cut short has lost it. The frames follow each other
        # from the header on, so they are read in file order as far as they are whole.
        summary.warn(Origin(summary.path), f"Network Monitor frame table ({table_len} bytes at {table_at}) lies "
                                           f"outside the file ({len(data)} bytes; cut short?): frames are read "
                                           "in file order from the start")
        offsets = _sequential_offsets(data, trailer)
    else:
        offsets = struct.unpack_from(f"<{table_len // 4}I", data, table_at)
    for number, at in enumerate(offsets, 1):
        if at + RECORD.size > len(data):
            summary.warn(Origin(summary.path, frame=number), "file is cut short: the frame lies outside it; "
                                                             "reading stopped", loss="damage")
            stopped.append(True)
            return
        delta, orig_len, incl_len = RECORD.unpack_from(data, at)
        begin = at + RECORD.size
        if incl_len > MAX_RECORD or begin + incl_len > len(data):
            summary.warn(Origin(summary.path, frame=number),
                         f"file is cut short in the middle of a frame ({len(data) - begin} of {incl_len} bytes); "
                         "reading stopped", loss="damage")
            stopped.append(True)
            return
        media = network
        if trailer and begin + incl_len + 2 <= len(data):
            media = struct.unpack_from("<H", data, begin + incl_len)[0]
        if start_us is not None:  # whole seconds plus a fraction, as pcapfile computes pcap times
            us = start_us + delta
            time = us // 10**6 + (us % 10**6) / 10**6
        else:
            time = None
        yield Record(number, time, linktype_of(media), data[begin:begin + incl_len], orig_len)


def _sequential_offsets(data: bytes, trailer: int) -> Iterator[int]:
    """Frame offsets found by walking the frames from the header on (no frame table)."""
    at = HEADER_SIZE
    while at + RECORD.size <= len(data):
        yield at
        _delta, _orig, incl_len = RECORD.unpack_from(data, at)
        at += RECORD.size + incl_len + trailer
