//! The core's own tests: record walk, link decode, RTP heuristic, sniff, damaged input.
//! (The differential tests in tests/test_core_differential.py compare it with the Python reader.)

use _core::addr::Addr;
use _core::decode::{decode, Decoded};
use _core::scanner::{is_rtp, Events, Scanner};
use _core::walk::{div_round, Record, Time};

#[derive(Debug, PartialEq, Clone)]
enum Ev {
    Udp(u64, Option<f64>, String, u16, String, u16, Vec<u8>),
    Tcp(u64, u32, u32, u8, Vec<u8>),
    Raw(u64, u32, usize, bool),
    HugeTime(u64),
    Warn(Option<u64>, String),
}

#[derive(Default)]
struct Collect(Vec<Ev>, Vec<(Option<u64>, Vec<u8>)>);

impl Events for Collect {
    #[allow(clippy::too_many_arguments)]
    fn udp(
        &mut self,
        n: u64,
        t: Option<f64>,
        s: Addr,
        sp: u16,
        d: Addr,
        dp: u16,
        p: &[u8],
        offset: Option<u64>,
    ) {
        self.0
            .push(Ev::Udp(n, t, s.text(), sp, d.text(), dp, p.to_vec()));
        self.1.push((offset, p.to_vec()));
    }
    fn tcp(
        &mut self,
        n: u64,
        _t: Option<f64>,
        _s: Addr,
        _sp: u16,
        _d: Addr,
        _dp: u16,
        seq: u32,
        ack: u32,
        f: u8,
        p: &[u8],
    ) {
        self.0.push(Ev::Tcp(n, seq, ack, f, p.to_vec()));
    }
    fn raw(&mut self, r: &Record<'_>) {
        match r.time {
            Time::Huge { .. } => self.0.push(Ev::HugeTime(r.number)),
            _ => self
                .0
                .push(Ev::Raw(r.number, r.linktype, r.data.len(), r.cut)),
        }
    }
    fn warn(&mut self, f: Option<u64>, text: String, lost: bool) {
        assert!(
            lost,
            "every warning of the walk says that input was lost: {text}"
        );
        self.0.push(Ev::Warn(f, text));
    }
}

// -- builders -------------------------------------------------------------------------------

fn pcap_header(linktype: u32) -> Vec<u8> {
    let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1];
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0i32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&linktype.to_le_bytes());
    v
}

fn pcap_record(sec: u32, usec: u32, frame: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [sec, usec, frame.len() as u32, frame.len() as u32] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(frame);
    v
}

fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8], frag: u16) -> Vec<u8> {
    let total = (20 + l4.len()) as u16;
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&[0, 1]);
    v.extend_from_slice(&frag.to_be_bytes());
    v.extend_from_slice(&[64, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(l4);
    v
}

fn udp(sport: u16, dport: u16, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(body);
    v
}

fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&7u32.to_be_bytes());
    v.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    v.extend_from_slice(body);
    v
}

fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

const A: [u8; 4] = [192, 0, 2, 10];
const B: [u8; 4] = [198, 51, 100, 20];
const SIP: &[u8] = b"OPTIONS sip:pbx.example.com SIP/2.0\r\nCall-ID: 1\r\n\r\n";

fn rtp(pt: u8) -> Vec<u8> {
    let mut v = vec![0x80, pt, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9];
    v.extend_from_slice(&[0xd5; 160]);
    v
}

fn sample_pcap() -> Vec<u8> {
    let mut f = pcap_header(1);
    f.extend(pcap_record(
        1_709_283_600,
        123_456,
        &ether(0x0800, &ipv4(17, A, B, &udp(5060, 5060, SIP), 0)),
    ));
    f.extend(pcap_record(
        1_709_283_600,
        200_000,
        &ether(0x0800, &ipv4(17, A, B, &udp(10000, 20000, &rtp(0)), 0)),
    ));
    f.extend(pcap_record(
        1_709_283_601,
        0,
        &ether(
            0x0800,
            &ipv4(6, B, A, &tcp(40000, 5060, 1000, 0x18, SIP), 0),
        ),
    ));
    f.extend(pcap_record(1_709_283_601, 1, &ether(0x0806, &[0; 28]))); // ARP
    f.extend(pcap_record(
        1_709_283_602,
        0,
        &ether(
            0x0800,
            &ipv4(17, A, B, &udp(5060, 5060, &SIP[..10]), 0x2000),
        ),
    ));
    f
}

fn scan(file: &[u8], chunk: usize) -> (Vec<Ev>, Scanner) {
    let (events, _offsets, scanner) = scan_with_offsets(file, chunk);
    (events, scanner)
}

#[allow(clippy::type_complexity)]
fn scan_with_offsets(file: &[u8], chunk: usize) -> (Vec<Ev>, Vec<(Option<u64>, Vec<u8>)>, Scanner) {
    let mut s = Scanner::new(true, 10_000);
    let mut c = Collect::default();
    for piece in file.chunks(chunk.max(1)) {
        s.feed(piece, &mut c);
        while s.paused() {
            s.resume(&mut c);
        }
    }
    s.finish(&mut c);
    while s.paused() {
        s.resume(&mut c);
    }
    (c.0, c.1, s)
}

// -- record walk ----------------------------------------------------------------------------

#[test]
fn the_scan_pauses_after_each_record_for_python() {
    let mut file = sample_pcap();
    file.extend(pcap_record(9, 0, &[0u8; 5])); // a runt: Python words the warning
    let mut s = Scanner::new(true, 10);
    let mut c = Collect::default();
    s.feed(&file, &mut c);
    assert!(s.paused());
    assert_eq!(c.0.last(), Some(&Ev::Raw(5, 1, 14 + 20 + 8 + 10, false)));
    s.resume(&mut c);
    assert!(s.paused());
    assert_eq!(c.0.last(), Some(&Ev::Raw(6, 1, 5, false)));
    s.resume(&mut c);
    assert!(!s.paused());
    s.finish(&mut c);
    assert_eq!((c.0.len(), s.counts.packets), (4, 6));
}

#[test]
fn pcap_records_become_events() {
    let (ev, s) = scan(&sample_pcap(), 1 << 20);
    assert_eq!(s.counts.packets, 5);
    assert_eq!(s.format(), Some("pcap"));
    assert_eq!(s.last_record(), 5);
    assert_eq!(
        ev,
        vec![
            Ev::Udp(
                1,
                Some(1_709_283_600.0 + 123_456.0 / 1e6),
                "192.0.2.10".into(),
                5060,
                "198.51.100.20".into(),
                5060,
                SIP.to_vec()
            ),
            Ev::Tcp(3, 1000, 7, 0x18, SIP.to_vec()),
            Ev::Raw(5, 1, 14 + 20 + 8 + 10, false), // an IP fragment: Python's defragmenter
        ]
    );
    assert_eq!(s.counts.first_time, Some(1_709_283_600.123456));
    assert_eq!(s.counts.last_time, Some(1_709_283_602.0));
    assert_eq!(
        s.counts.link_types.iter().copied().collect::<Vec<_>>(),
        vec![1]
    );
    let flows = &s.counts.rtp.flows;
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].0, (Addr::V4(A), 10000, Addr::V4(B), 20000));
    assert_eq!((flows[0].1, flows[0].2), (1, 1u128));
}

#[test]
fn every_udp_payload_says_where_it_is_in_the_file() {
    let file = sample_pcap();
    for chunk in [1, 2, 3, 7, 64, 100, 4096, file.len()] {
        let (_events, offsets, _s) = scan_with_offsets(&file, chunk);
        assert!(!offsets.is_empty());
        for (offset, payload) in offsets {
            let at = offset.expect("a payload of the walked bytes has an offset") as usize;
            assert_eq!(&file[at..at + payload.len()], &payload[..], "chunk {chunk}");
        }
    }
}

#[test]
fn any_chunking_gives_the_same_events() {
    let file = sample_pcap();
    let (whole, _) = scan(&file, 1 << 20);
    for chunk in [1, 2, 3, 7, 16, 17, 100] {
        assert_eq!(scan(&file, chunk).0, whole, "chunk size {chunk}");
    }
}

#[test]
fn file_cut_inside_a_packet() {
    let file = sample_pcap();
    let cut = 24 + 16 + 30; // inside the first packet
    let (ev, s) = scan(&file[..cut], 1 << 20);
    let incl = file.len(); // any: only the numbers in the text matter
    let _ = incl;
    let len1 = 14 + 20 + 8 + SIP.len();
    assert_eq!(
        ev,
        vec![
            Ev::Warn(
                Some(1),
                format!("file is cut short in the middle of a packet (30 of {len1} bytes)")
            ),
            Ev::Raw(1, 1, 30, true),
        ]
    );
    assert_eq!(s.counts.packets, 1);
}

#[test]
fn file_cut_inside_a_record_header() {
    let file = sample_pcap();
    let first = 24 + 16 + 14 + 20 + 8 + SIP.len();
    let (ev, _) = scan(&file[..first + 5], 3);
    assert_eq!(ev.len(), 2);
    assert_eq!(
        ev[1],
        Ev::Warn(
            Some(2),
            "file is cut short inside a packet header (5 of 16 bytes)".into()
        )
    );
}

#[test]
fn impossible_record_length_stops_the_walk() {
    let mut file = pcap_header(1);
    file.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    file.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
    file.extend_from_slice(&[0, 0, 0, 0]);
    file.extend(vec![0u8; 100]);
    let (ev, s) = scan(&file, 1 << 20);
    assert_eq!(
        ev,
        vec![Ev::Warn(
            Some(1),
            "damaged packet header (captured length 2147483647 bytes); stopped reading here".into()
        )]
    );
    assert_eq!(s.counts.packets, 0);
}

#[test]
fn truncated_file_header() {
    let (ev, _) = scan(&pcap_header(1)[..10], 1 << 20);
    assert_eq!(
        ev,
        vec![Ev::Warn(
            None,
            "pcap file header is truncated: no packets".into()
        )]
    );
}

fn block(btype: u32, body: &[u8]) -> Vec<u8> {
    let total = (12 + body.len()) as u32;
    let mut v = btype.to_le_bytes().to_vec();
    v.extend_from_slice(&total.to_le_bytes());
    v.extend_from_slice(body);
    v.extend_from_slice(&total.to_le_bytes());
    v
}

fn shb() -> Vec<u8> {
    let mut body = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    body.extend_from_slice(&[1, 0, 0, 0]);
    body.extend_from_slice(&(-1i64).to_le_bytes());
    block(0x0A0D_0D0A, &body)
}

fn idb(linktype: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = linktype.to_le_bytes().to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&0u32.to_le_bytes());
    if let Some(r) = tsresol {
        body.extend_from_slice(&9u16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[r, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]);
    }
    block(1, &body)
}

fn epb(if_id: u32, ticks: u64, frame: &[u8]) -> Vec<u8> {
    let mut body = if_id.to_le_bytes().to_vec();
    body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ticks as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(frame);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    block(6, &body)
}

#[test]
fn pcapng_interfaces_resolution_and_damage() {
    let sip = ipv4(17, A, B, &udp(5060, 5060, SIP), 0);
    let mut f = shb();
    f.extend(idb(101, Some(9))); // raw IP, nanoseconds
    f.extend(epb(0, 1_709_283_600_123_456_789, &sip));
    f.extend(epb(3, 1, &sip)); // an interface never described
    f.extend(idb(1, Some(0x80 | 70))); // 2^70 ticks per second: Python's big integers
    f.extend(epb(1, 5, &ether(0x0800, &sip)));
    let (ev, s) = scan(&f, 5);
    assert_eq!(s.format(), Some("pcapng"));
    assert_eq!(
        ev,
        vec![
            Ev::Udp(
                1,
                Some(f64::from_bits(4744956063034894007)),
                "192.0.2.10".into(),
                5060,
                "198.51.100.20".into(),
                5060,
                SIP.to_vec()
            ),
            Ev::Warn(
                Some(2),
                "packet names interface 3, which the file never described".into()
            ),
            Ev::HugeTime(3),
        ]
    );
    assert_eq!(s.counts.packets, 2);
    // a block whose length cannot be right
    let mut bad = shb();
    bad.extend_from_slice(&6u32.to_le_bytes());
    bad.extend_from_slice(&13u32.to_le_bytes());
    bad.extend_from_slice(&[0; 20]);
    let (ev, _) = scan(&bad, 1 << 20);
    assert_eq!(
        ev,
        vec![Ev::Warn(
            Some(1),
            "damaged pcapng block (type 0x6, length 13); stopped reading here".into()
        )]
    );
}

#[test]
fn timestamps_are_pythons_int_division() {
    // n / d as Python computes it (correctly rounded), as IEEE bits
    for (n, d, bits) in [
        (
            1709283600123456789u64,
            1_000_000_000u64,
            4744956063034894007u64,
        ),
        (u64::MAX, 1_000_000_000, 4760636909781702293),
        (u64::MAX, 3, 4887906795572778325),
        (12345678901234567891, 1_000_000, 4802654590747010339),
        (u64::MAX, 9223372036854775809, 4611686018427387904),
        (9007199254740993, 1, 4845873199050653696),
        (
            18446744073709551557,
            10_000_000_000_000_000_000,
            4610986494146302636,
        ),
    ] {
        assert_eq!(div_round(n, d).to_bits(), bits, "{n} / {d}");
    }
}

// -- link, IP and transport decode ----------------------------------------------------------

fn udp_of(d: Decoded<'_>) -> Option<(Addr, u16, Addr, u16, Vec<u8>)> {
    match d {
        Decoded::Udp {
            src,
            sport,
            dst,
            dport,
            payload,
        } => Some((src, sport, dst, dport, payload.to_vec())),
        _ => None,
    }
}

#[test]
fn link_layers() {
    let ip = ipv4(17, A, B, &udp(5060, 5062, SIP), 0);
    let want = Some((Addr::V4(A), 5060, Addr::V4(B), 5062, SIP.to_vec()));
    assert_eq!(udp_of(decode(1, &ether(0x0800, &ip))), want);
    let mut vlan = vec![0, 100, 0x08, 0x00];
    vlan.extend_from_slice(&ip);
    assert_eq!(udp_of(decode(1, &ether(0x8100, &vlan))), want);
    let mut qinq = vec![0, 200, 0x81, 0x00, 0, 100, 0x08, 0x00];
    qinq.extend_from_slice(&ip);
    assert_eq!(udp_of(decode(1, &ether(0x88A8, &qinq))), want);
    for lt in [12, 14, 101, 228] {
        assert_eq!(udp_of(decode(lt, &ip)), want, "link type {lt}");
    }
    let mut sll = vec![0u8; 14];
    sll.extend_from_slice(&[0x08, 0x00]);
    sll.extend_from_slice(&ip);
    assert_eq!(udp_of(decode(113, &sll)), want);
    let mut sll2 = vec![0x08, 0x00];
    sll2.extend_from_slice(&[0u8; 18]);
    sll2.extend_from_slice(&ip);
    assert_eq!(udp_of(decode(276, &sll2)), want);
    for (lt, family) in [
        (0u32, 2u32.to_le_bytes()),
        (0, 2u32.to_be_bytes()),
        (108, 2u32.to_be_bytes()),
    ] {
        let mut lo = family.to_vec();
        lo.extend_from_slice(&ip);
        assert_eq!(udp_of(decode(lt, &lo)), want, "loopback {lt} {family:?}");
    }
    assert_eq!(decode(1, &ether(0x0806, &[0; 28])), Decoded::Nothing, "ARP");
    assert_eq!(
        decode(1, &ether(100, &[0; 28])),
        Decoded::Nothing,
        "802.3 length field"
    );
    assert_eq!(
        decode(1, &ether(0x0800, &ipv4(1, A, B, &[8, 0, 0, 0], 0))),
        Decoded::Nothing,
        "ICMP"
    );
}

#[test]
fn ipv6_udp_and_tcp() {
    let mut v6 = vec![0x60, 0, 0, 0];
    let l4 = tcp(5061, 40000, 9, 0x02, b"");
    v6.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    v6.extend_from_slice(&[6, 64]);
    let src: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
    let dst: std::net::Ipv6Addr = "2001:db8::2".parse().unwrap();
    v6.extend_from_slice(&src.octets());
    v6.extend_from_slice(&dst.octets());
    v6.extend_from_slice(&l4);
    match decode(229, &v6) {
        Decoded::Tcp {
            src: s,
            dport,
            seq,
            flags,
            payload,
            ..
        } => {
            assert_eq!(s.text(), "2001:db8::1");
            assert_eq!((dport, seq, flags, payload.len()), (40000, 9, 0x02, 0));
        }
        other => panic!("{other:?}"),
    }
    v6[6] = 44; // a fragment header: Python's defragmenter
    assert_eq!(decode(229, &v6), Decoded::Fallback);
}

#[test]
fn what_python_must_decode() {
    let sip = udp(5060, 5060, SIP);
    // fragments, tunnels, SCTP, VXLAN, MPLS, PPP, unknown link types
    assert_eq!(
        decode(1, &ether(0x0800, &ipv4(17, A, B, &sip, 0x2000))),
        Decoded::Fallback
    );
    assert_eq!(
        decode(1, &ether(0x0800, &ipv4(17, A, B, &sip, 0x0001))),
        Decoded::Fallback
    );
    assert_eq!(
        decode(
            1,
            &ether(0x0800, &ipv4(4, A, B, &ipv4(17, A, B, &sip, 0), 0))
        ),
        Decoded::Fallback
    );
    assert_eq!(
        decode(1, &ether(0x0800, &ipv4(47, A, B, &[0; 30], 0))),
        Decoded::Fallback
    );
    assert_eq!(
        decode(1, &ether(0x0800, &ipv4(132, A, B, &[0; 30], 0))),
        Decoded::Fallback
    );
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
    vx.extend(ether(0x0800, &ipv4(17, A, B, &sip, 0)));
    assert_eq!(
        decode(
            1,
            &ether(0x0800, &ipv4(17, A, B, &udp(50000, 4789, &vx), 0))
        ),
        Decoded::Fallback
    );
    assert_eq!(decode(1, &ether(0x8847, &[0; 40])), Decoded::Fallback);
    assert_eq!(decode(9, &[0xff, 0x03, 0, 0x21]), Decoded::Fallback);
    assert_eq!(decode(147, &[0; 40]), Decoded::Fallback);
    // damage Python words a warning for
    let ip = ipv4(17, A, B, &sip, 0);
    assert_eq!(
        decode(1, &ether(0x0800, &ip[..19])),
        Decoded::Fallback,
        "truncated IPv4 header"
    );
    assert_eq!(
        decode(1, &ether(0x0800, &ip[..30])),
        Decoded::Fallback,
        "IPv4 cut short"
    );
    assert_eq!(
        decode(1, &ether(0x0800, &ipv4(17, A, B, &sip[..5], 0))),
        Decoded::Fallback,
        "truncated UDP"
    );
    assert_eq!(
        decode(1, &ether(0x0800, &ipv4(6, A, B, &[0; 12], 0))),
        Decoded::Fallback,
        "truncated TCP"
    );
    assert_eq!(decode(1, &[0; 13]), Decoded::Fallback, "truncated Ethernet");
    assert_eq!(
        decode(1, &ether(0x8100, &[0, 1])),
        Decoded::Fallback,
        "truncated VLAN tag"
    );
    assert_eq!(decode(101, &[]), Decoded::Fallback, "empty IP packet");
}

#[test]
fn tso_zero_total_length_takes_what_is_there() {
    let mut ip = ipv4(17, A, B, &udp(5060, 5060, SIP), 0);
    ip[2] = 0;
    ip[3] = 0;
    assert!(udp_of(decode(101, &ip)).is_some());
}

// -- RTP --------------------------------------------------------------------------------------

#[test]
fn rtp_heuristic() {
    assert!(is_rtp(&rtp(0), 10000, 20000));
    assert!(is_rtp(&rtp(0x80 | 8), 10000, 20000), "marker bit");
    assert!(
        !is_rtp(&rtp(200), 10000, 20000),
        "RTCP sender report (PT 200 = 0xC8)"
    );
    assert!(!is_rtp(&rtp(204), 10000, 20000), "RTCP APP");
    assert!(is_rtp(&rtp(205 & 0x7F), 10000, 20000));
    assert!(!is_rtp(&rtp(0), 53, 20000), "a well-known port");
    assert!(
        !is_rtp(&rtp(0)[..11], 10000, 20000),
        "shorter than the fixed header"
    );
    assert!(
        !is_rtp(b"INVITE sip:a SIP/2.0\r\n", 10000, 20000),
        "ASCII is never RTP"
    );
}

#[test]
fn rtp_directions_are_bounded_and_ordered() {
    let mut f = pcap_header(101);
    for (i, port) in [30000u16, 30002, 30000, 30004, 30006, 30004]
        .iter()
        .enumerate()
    {
        f.extend(pcap_record(
            1,
            i as u32,
            &ipv4(17, A, B, &udp(*port, 40000, &rtp(i as u8)), 0),
        ));
    }
    let mut s = Scanner::new(true, 2);
    let mut c = Collect::default();
    s.feed(&f, &mut c);
    s.finish(&mut c);
    assert!(!s.paused());
    assert!(c.0.is_empty(), "RTP is counted, never delivered");
    let r = &s.counts.rtp;
    let got: Vec<(u16, u64, u128)> = r.flows.iter().map(|f| (f.0 .1, f.1, f.2)).collect();
    assert_eq!(got, vec![(30000, 2, 0b101), (30002, 1, 0b10)]);
    assert_eq!((r.untracked, r.first_untracked), (3, 4));
}

// -- hostile input ----------------------------------------------------------------------------

#[test]
fn every_truncation_and_bit_flip_is_survived() {
    let mut file = sample_pcap();
    for cut in 0..file.len() {
        let (_, s) = scan(&file[..cut], 64);
        assert!(s.counts.packets <= 5);
    }
    // deterministic pseudo-random bit flips
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = (x as usize) % file.len();
        file[at] ^= 1 << (x >> 60 & 7);
        let (_, s) = scan(&file, 1 + (x as usize >> 8) % 200);
        assert!(s.counts.packets <= 1000);
    }
}

#[test]
fn garbage_after_a_pcapng_magic_is_survived() {
    let mut x: u64 = 42;
    for len in 0..400 {
        let mut f = vec![0x0a, 0x0d, 0x0d, 0x0a];
        for _ in 0..len {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            f.push((x >> 56) as u8);
        }
        scan(&f, 13);
    }
}

#[test]
fn hep_messages_go_to_the_python_decoder() {
    use _core::decode::looks_like_hep;
    assert!(looks_like_hep(b"HEP3\x00\x10"));
    assert!(!looks_like_hep(b"HEP3\x00"));
    assert!(looks_like_hep(&[2, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4]));
    assert!(looks_like_hep(&[1, 40, 10, 6, 0, 0, 0, 0]));
    assert!(!looks_like_hep(&[2, 16, 2, 1, 0, 0, 0, 0]));
    assert!(!looks_like_hep(&[0x80, 0, 2, 17, 0, 0, 0, 0]));
    let frame = ether(
        0x0800,
        &ipv4(
            17,
            [10, 0, 0, 9],
            [10, 0, 0, 1],
            &udp(9060, 9060, b"HEP3\x00\x06"),
            0,
        ),
    );
    assert_eq!(decode(1, &frame), Decoded::Fallback);
}
