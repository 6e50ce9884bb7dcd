//! IP addresses as the core keeps them (raw bytes), and their text exactly as Python's
//! `socket.inet_ntoa` / `socket.inet_ntop` (glibc, after BIND) writes it, so a flow key built
//! here equals the one the pure-Python reader builds.
#![forbid(unsafe_code)]

use std::fmt::Write;

/// An IPv4 or IPv6 address, by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Addr {
    /// From 4 or 16 raw bytes (None for any other length).
    pub fn from_bytes(b: &[u8]) -> Option<Addr> {
        match b.len() {
            4 => Some(Addr::V4([b[0], b[1], b[2], b[3]])),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                Some(Addr::V6(a))
            }
            _ => None,
        }
    }

    /// The text form: dotted quad, or RFC 5952-style IPv6 as glibc's inet_ntop writes it.
    pub fn text(&self) -> String {
        match self {
            Addr::V4(a) => format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            Addr::V6(a) => inet_ntop6(a),
        }
    }
}

/// glibc `inet_ntop(AF_INET6)`: the longest run (first on ties) of two or more zero words is
/// `::`; an address whose first 96 bits are zero (other than `::` and `::w`) or that is
/// IPv4-mapped (`::ffff:0:0/96`) ends in a dotted quad.
fn inet_ntop6(a: &[u8; 16]) -> String {
    let mut words = [0u16; 8];
    for (i, w) in words.iter_mut().enumerate() {
        *w = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    // longest run of zero words
    let (mut best_base, mut best_len) = (usize::MAX, 0usize);
    let (mut cur_base, mut cur_len) = (usize::MAX, 0usize);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            if cur_base == usize::MAX {
                cur_base = i;
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if cur_base != usize::MAX {
            if best_base == usize::MAX || cur_len > best_len {
                best_base = cur_base;
                best_len = cur_len;
            }
            cur_base = usize::MAX;
        }
    }
    if cur_base != usize::MAX && (best_base == usize::MAX || cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
    }
    if best_base != usize::MAX && best_len < 2 {
        best_base = usize::MAX;
    }
    let mut out = String::with_capacity(40);
    let mut i = 0;
    while i < 8 {
        if best_base != usize::MAX && i >= best_base && i < best_base + best_len {
            if i == best_base {
                out.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            let _ = write!(out, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
            break;
        }
        let _ = write!(out, "{:x}", words[i]);
        i += 1;
    }
    if best_base != usize::MAX && best_base + best_len == 8 {
        out.push(':');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let ip: std::net::Ipv6Addr = s.parse().unwrap();
        Addr::V6(ip.octets()).text()
    }

    #[test]
    fn ipv4_dotted_quad() {
        assert_eq!(Addr::V4([192, 0, 2, 10]).text(), "192.0.2.10");
    }

    #[test]
    fn ipv6_like_glibc() {
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("2001:db8::1"), "2001:db8::1");
        assert_eq!(v6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(v6("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
        assert_eq!(v6("::192.0.2.1"), "::192.0.2.1");
        assert_eq!(v6("fe80::"), "fe80::");
        assert_eq!(v6("2001:db8:1:2:3:4:5:0"), "2001:db8:1:2:3:4:5:0");
    }
}
