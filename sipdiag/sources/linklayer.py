"""Link-layer headers → the network-layer packet inside (IPv4 or IPv6).

Handled: Ethernet II with 802.1Q / 802.1ad / QinQ VLAN tags, MPLS label stacks and PPPoE
sessions; Linux cooked capture v1 (SLL) and v2 (SLL2); raw IP (DLT 12/14/101 and the
LINKTYPE_IPV4/IPV6 228/229); BSD loopback (NULL, host byte order) and OpenBSD LOOP;
PPP. `network_payload()` returns (version, offset) or (None, reason).
"""

from __future__ import annotations

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
_VLAN = {0x8100, 0x88A8, 0x9100, 0x9200}
_MPLS = {0x8847, 0x8848}
_PPPOE_SESSION = 0x8864
_PPP_IPV4 = 0x0021
_PPP_IPV6 = 0x0057

LINKTYPE_NAMES = {
    0: "BSD loopback",
    1: "Ethernet",
    9: "PPP",
    12: "raw IP",
    14: "raw IP",
    101: "raw IP",
    108: "OpenBSD loopback",
    113: "Linux cooked (SLL)",
    228: "raw IPv4",
    229: "raw IPv6",
    276: "Linux cooked v2 (SLL2)",
}

SUPPORTED_LINKTYPES = frozenset(LINKTYPE_NAMES)


def _by_ethertype(ethertype: int, data: bytes, off: int):
    """Follow VLAN/MPLS/PPPoE headers from an ethertype to an IP version and offset."""
    n = len(data)
    while True:
        if ethertype == ETH_IPV4:
            return 4, off
        if ethertype == ETH_IPV6:
            return 6, off
        if ethertype in _VLAN:
            if off + 4 > n:
                return None, "truncated VLAN tag"
            ethertype = (data[off + 2] << 8) | data[off + 3]
            off += 4
            continue
        if ethertype in _MPLS:
            while True:
                if off + 4 > n:
                    return None, "truncated MPLS label"
                bottom = data[off + 2] & 1
                off += 4
                if bottom:
                    break
            return _by_version(data, off)
        if ethertype == _PPPOE_SESSION:
            if off + 8 > n:
                return None, "truncated PPPoE header"
            proto = (data[off + 6] << 8) | data[off + 7]
            off += 8
            if proto == _PPP_IPV4:
                return 4, off
            if proto == _PPP_IPV6:
                return 6, off
            return None, None
        return None, None  # ARP, LLDP, ...: not IP, nothing to say


def _by_version(data: bytes, off: int):
    if off >= len(data):
        return None, "empty IP packet"
    version = data[off] >> 4
    if version in (4, 6):
        return version, off
    return None, None


def network_payload(linktype: int, data: bytes):
    """Return (ip_version, offset) of the IP packet in a frame, or (None, problem-or-None)."""
    if linktype == 1:
        if len(data) < 14:
            return None, "truncated Ethernet header"
        ethertype = (data[12] << 8) | data[13]
        if ethertype <= 1500:  # 802.3 length field: LLC/SNAP, not IP for us
            return None, None
        return _by_ethertype(ethertype, data, 14)
    if linktype in (101, 12, 14):
        return _by_version(data, 0)
    if linktype == 228:
        return 4, 0
    if linktype == 229:
        return 6, 0
    if linktype == 113:
        if len(data) < 16:
            return None, "truncated Linux cooked header"
        return _by_ethertype((data[14] << 8) | data[15], data, 16)
    if linktype == 276:
        if len(data) < 20:
            return None, "truncated Linux cooked v2 header"
        return _by_ethertype((data[0] << 8) | data[1], data, 20)
    if linktype in (0, 108):
        if len(data) < 4:
            return None, "truncated loopback header"
        if linktype == 0:
            family = int.from_bytes(data[:4], "little")
            if family > 0xFFFF:
                family = int.from_bytes(data[:4], "big")
        else:
            family = int.from_bytes(data[:4], "big")
        if family == 2:
            return 4, 4
        if family in (10, 24, 28, 30):
            return 6, 4
        return None, None
    if linktype == 9:
        if len(data) >= 4 and data[0] == 0xFF and data[1] == 0x03:
            proto, off = (data[2] << 8) | data[3], 4
        elif len(data) >= 2:
            proto, off = (data[0] << 8) | data[1], 2
        else:
            return None, "truncated PPP header"
        if proto == _PPP_IPV4:
            return 4, off
        if proto == _PPP_IPV6:
            return 6, off
        return None, None
    return None, f"unsupported link type {linktype}"
