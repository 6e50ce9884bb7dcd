//! The fast path of `sipdiag/sources/linklayer.py` and `packet.py`: one frame → one UDP or TCP
//! segment, nothing, or "let Python decode it".
//!
//! Only frames that the Python decoder would turn into exactly one UDP or TCP segment without a
//! problem string and without touching its state are decoded here: Ethernet with 802.1Q/802.1ad
//! tags, Linux SLL and SLL2, raw IP, BSD/OpenBSD loopback; IPv4 without fragmentation and IPv6
//! without extension headers; UDP other than VXLAN, and TCP. Frames that hold no IP (ARP, LLDP,
//! 802.3 LLC) or another protocol (ICMP, ...) are `Nothing`, as they are there. Everything else
//! — fragments (the defragmenter's state lives in Python), tunnels, SCTP, MPLS, PPPoE, PPP, other
//! link types, and any truncated or damaged header (Python words the warning) — is `Fallback`,
//! and the capture reader hands the record to the Python `PacketDecoder`, so the two paths give
//! the same segments and the same warnings by construction.
#![forbid(unsafe_code)]

use crate::addr::Addr;

pub const VXLAN_PORT: u16 = 4789;

/// Link types whose frames this module decodes (the rest always go to Python).
pub const FAST_LINKTYPES: [u32; 10] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

/// What a frame is to the fast path.
#[derive(Debug, PartialEq)]
pub enum Decoded<'a> {
    /// No IP inside, or an IP protocol the reader ignores: no segment, no warning.
    Nothing,
    Udp {
        src: Addr,
        dst: Addr,
        sport: u16,
        dport: u16,
        payload: &'a [u8],
    },
    Tcp {
        src: Addr,
        dst: Addr,
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &'a [u8],
    },
    /// Python must decode this frame.
    Fallback,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

enum Net {
    Ip(u8, usize),
    NotIp,
    Fallback,
}

fn by_ethertype(mut ethertype: u16, data: &[u8], mut off: usize) -> Net {
    loop {
        match ethertype {
            0x0800 => return Net::Ip(4, off),
            0x86DD => return Net::Ip(6, off),
            0x8100 | 0x88A8 | 0x9100 | 0x9200 => match be16(data, off + 2) {
                Some(next) => {
                    ethertype = next;
                    off += 4;
                }
                None => return Net::Fallback, // truncated VLAN tag
            },
            0x8847 | 0x8848 | 0x8864 => return Net::Fallback, // MPLS, PPPoE: Python
            _ => return Net::NotIp,
        }
    }
}

fn by_version(data: &[u8], off: usize) -> Net {
    match data.get(off) {
        None => Net::Fallback, // "empty IP packet"
        Some(b) if b >> 4 == 4 => Net::Ip(4, off),
        Some(b) if b >> 4 == 6 => Net::Ip(6, off),
        Some(_) => Net::NotIp,
    }
}

fn network(linktype: u32, data: &[u8]) -> Net {
    match linktype {
        1 => match be16(data, 12) {
            None => Net::Fallback,
            Some(et) if et <= 1500 => Net::NotIp,
            Some(et) => by_ethertype(et, data, 14),
        },
        12 | 14 | 101 => by_version(data, 0),
        228 => Net::Ip(4, 0),
        229 => Net::Ip(6, 0),
        113 => match (data.len() >= 16, be16(data, 14)) {
            (true, Some(et)) => by_ethertype(et, data, 16),
            _ => Net::Fallback,
        },
        276 => match (data.len() >= 20, be16(data, 0)) {
            (true, Some(et)) => by_ethertype(et, data, 20),
            _ => Net::Fallback,
        },
        0 | 108 => {
            let Some(raw) = data.get(..4) else {
                return Net::Fallback;
            };
            let raw: [u8; 4] = [raw[0], raw[1], raw[2], raw[3]];
            let family = if linktype == 0 {
                let le = u32::from_le_bytes(raw);
                if le > 0xFFFF {
                    u32::from_be_bytes(raw)
                } else {
                    le
                }
            } else {
                u32::from_be_bytes(raw)
            };
            match family {
                2 => Net::Ip(4, 4),
                10 | 24 | 28 | 30 => Net::Ip(6, 4),
                _ => Net::NotIp,
            }
        }
        _ => Net::Fallback,
    }
}

/// Decode one frame of link type `linktype` (see the module docs for what is decoded).
pub fn decode(linktype: u32, data: &[u8]) -> Decoded<'_> {
    match network(linktype, data) {
        Net::Ip(4, off) => ipv4(data, off),
        Net::Ip(_, off) => ipv6(data, off),
        Net::NotIp => Decoded::Nothing,
        Net::Fallback => Decoded::Fallback,
    }
}

fn ipv4(data: &[u8], off: usize) -> Decoded<'_> {
    if data.len() < off + 20 {
        return Decoded::Fallback;
    }
    let ihl = ((data[off] & 0x0F) as usize) * 4;
    let mut total = ((data[off + 2] as usize) << 8) | data[off + 3] as usize;
    if total == 0 && ihl >= 20 {
        total = data.len() - off; // TCP segmentation offload, as packet.py
    }
    if ihl < 20 || total < ihl {
        return Decoded::Fallback;
    }
    let end = off + total;
    if end > data.len() {
        return Decoded::Fallback; // cut short: Python warns
    }
    let frag = ((data[off + 6] as u16) << 8) | data[off + 7] as u16;
    if frag & 0x3FFF != 0 {
        return Decoded::Fallback; // a fragment: the defragmenter is in Python
    }
    let src = Addr::V4([
        data[off + 12],
        data[off + 13],
        data[off + 14],
        data[off + 15],
    ]);
    let dst = Addr::V4([
        data[off + 16],
        data[off + 17],
        data[off + 18],
        data[off + 19],
    ]);
    match data.get(off + ihl..end) {
        Some(payload) => transport(data[off + 9], src, dst, payload),
        None => Decoded::Fallback,
    }
}

fn ipv6(data: &[u8], off: usize) -> Decoded<'_> {
    if data.len() < off + 40 {
        return Decoded::Fallback;
    }
    let plen = ((data[off + 4] as usize) << 8) | data[off + 5] as usize;
    let next = data[off + 6];
    let end = if plen == 0 {
        data.len()
    } else {
        off + 40 + plen
    };
    if end > data.len() {
        return Decoded::Fallback;
    }
    if matches!(next, 0 | 43 | 44 | 51 | 60 | 135 | 139 | 140 | 253 | 254) {
        return Decoded::Fallback; // extension headers (and fragments): Python walks them
    }
    let mut a = [0u8; 16];
    a.copy_from_slice(&data[off + 8..off + 24]);
    let src = Addr::V6(a);
    a.copy_from_slice(&data[off + 24..off + 40]);
    let dst = Addr::V6(a);
    match data.get(off + 40..end) {
        Some(payload) => transport(next, src, dst, payload),
        None => Decoded::Fallback,
    }
}

/// The same test as `looks_like_hep` in sources/hep.py: HEP3 magic, or a HEP v1/v2 header with a
/// known address family, protocol and header length.
pub fn looks_like_hep(p: &[u8]) -> bool {
    if p.len() >= 4 && &p[..4] == b"HEP3" {
        return p.len() >= 6;
    }
    if p.len() < 8 || !(p[0] == 1 || p[0] == 2) || !(p[3] == 6 || p[3] == 17) {
        return false;
    }
    (p[2] == 2 && p[1] == 16) || (p[2] == 10 && p[1] == 40)
}

fn transport(proto: u8, src: Addr, dst: Addr, p: &[u8]) -> Decoded<'_> {
    match proto {
        17 => {
            let (Some(sport), Some(dport), Some(ulen)) = (be16(p, 0), be16(p, 2), be16(p, 4))
            else {
                return Decoded::Fallback;
            };
            if p.len() < 8 {
                return Decoded::Fallback;
            }
            let ulen = ulen as usize;
            let body = if (8..=p.len()).contains(&ulen) {
                &p[8..ulen]
            } else {
                &p[8..]
            };
            if looks_like_hep(body) {
                return Decoded::Fallback; // HEP: Python unwraps the packet it carries (sources/hep.py)
            }
            if (dport == VXLAN_PORT || sport == VXLAN_PORT)
                && body.len() >= 8 + 14
                && body[0] & 0x08 != 0
            {
                return Decoded::Fallback; // VXLAN: Python unwraps the tunnel
            }
            Decoded::Udp {
                src,
                dst,
                sport,
                dport,
                payload: body,
            }
        }
        6 => {
            if p.len() < 20 {
                return Decoded::Fallback;
            }
            let doff = ((p[12] >> 4) as usize) * 4;
            if doff < 20 || doff > p.len() {
                return Decoded::Fallback;
            }
            Decoded::Tcp {
                src,
                dst,
                sport: be16(p, 0).unwrap_or(0),
                dport: be16(p, 2).unwrap_or(0),
                seq: be32(p, 4).unwrap_or(0),
                ack: be32(p, 8).unwrap_or(0),
                flags: p[13],
                payload: &p[doff..],
            }
        }
        132 | 4 | 41 | 47 => Decoded::Fallback, // SCTP and tunnels
        _ => Decoded::Nothing,
    }
}
