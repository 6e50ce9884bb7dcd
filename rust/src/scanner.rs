//! The capture scanner: bytes in, the few things Python needs out (sans-I/O).
//!
//! How this works: the caller `feed`s the file in chunks of any size and calls `finish` at the
//! end. The record walk (walk.rs) cuts records out of the bytes; each record is counted (packets,
//! first and last time, link type) and decoded on the fast path (decode.rs). A UDP payload that
//! looks like RTP is counted per direction, exactly as `capture.py` counts it (same test, same
//! bound on the number of directions, directions kept in order of first appearance); one that
//! passes the SIP sniff (or every non-empty one, without `sniff_sip`) becomes an `Events::udp`.
//! Every TCP segment becomes an `Events::tcp`, for Python's reassembler. A record the fast path
//! does not decode goes out whole as `Events::raw`, for Python's `PacketDecoder`, and the walk's
//! file-level warnings go out as `Events::warn`, in file order with the rest.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;

use crate::addr::Addr;
use crate::decode::{decode, Decoded, FAST_LINKTYPES};
use crate::sniff::looks_like_sip;
use crate::walk::{Record, Sink, Time, Walker};

/// What the scanner hands to its caller, in file order.
pub trait Events {
    #[allow(clippy::too_many_arguments)]
    /// `offset`: where `payload` starts in the stream of bytes fed (the file, for a plain file).
    fn udp(
        &mut self,
        number: u64,
        time: Option<f64>,
        src: Addr,
        sport: u16,
        dst: Addr,
        dport: u16,
        payload: &[u8],
        offset: Option<u64>,
    );
    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        number: u64,
        time: Option<f64>,
        src: Addr,
        sport: u16,
        dst: Addr,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    );
    /// A record for the Python decoder (it also does the link-type bookkeeping for it).
    fn raw(&mut self, rec: &Record<'_>);
    fn warn(&mut self, frame: Option<u64>, text: String, lost: bool);
}

/// RFC 3550 §5.1 version 2, not RTCP (RFC 5761 §4: packet types 200-204), between ports that
/// are both 1024 or above: `capture.py`'s test, byte for byte.
pub fn is_rtp(payload: &[u8], sport: u16, dport: u16) -> bool {
    payload.len() >= 12
        && payload[0] & 0xC0 == 0x80
        && !(72..=76).contains(&(payload[1] & 0x7F))
        && sport >= 1024
        && dport >= 1024
}

pub type FlowKey = (Addr, u16, Addr, u16);

/// RTP packets per direction, in order of first appearance, at most `max_flows` directions.
#[derive(Debug)]
pub struct RtpFlows {
    max_flows: usize,
    /// One lookup per RTP packet, most of a capture's packets (`crate::FastMap`).
    index: crate::FastMap<FlowKey, usize>,
    /// (direction, packets, payload types seen as a bit set)
    pub flows: Vec<(FlowKey, u64, u128)>,
    /// Packets of directions beyond the first `max_flows`.
    pub untracked: u64,
    /// Frame of the first of those.
    pub first_untracked: u64,
}

impl RtpFlows {
    pub fn new(max_flows: usize) -> Self {
        RtpFlows {
            max_flows,
            index: crate::FastMap::default(),
            flows: Vec::new(),
            untracked: 0,
            first_untracked: 0,
        }
    }

    pub fn count(&mut self, key: FlowKey, payload_type: u8, number: u64) {
        let bit = 1u128 << (payload_type & 0x7F);
        if let Some(&i) = self.index.get(&key) {
            let flow = &mut self.flows[i];
            flow.1 += 1;
            flow.2 |= bit;
        } else if self.flows.len() < self.max_flows {
            self.index.insert(key, self.flows.len());
            self.flows.push((key, 1, bit));
        } else {
            if self.untracked == 0 {
                self.first_untracked = number;
            }
            self.untracked += 1;
        }
    }
}

/// Counters over all records, for the capture's summary.
#[derive(Debug)]
pub struct Counts {
    pub packets: u64,
    pub first_time: Option<f64>,
    pub last_time: Option<f64>,
    /// Link types of the records decoded here (Python notes those of the records it decodes).
    pub link_types: BTreeSet<u32>,
    pub rtp: RtpFlows,
    sniff_sip: bool,
}

impl Counts {
    fn saw_time(&mut self, t: f64) {
        if self.first_time.is_none_or(|f| t < f) {
            self.first_time = Some(t);
        }
        if self.last_time.is_none_or(|l| t > l) {
            self.last_time = Some(t);
        }
    }
}

struct PerRecord<'a, E: Events> {
    counts: &'a mut Counts,
    events: &'a mut E,
    paused: bool,
    /// The bytes being walked and their offset in the stream, to tell where a payload is.
    buffer: (usize, usize),
    buffer_at: u64,
}

impl<E: Events> PerRecord<'_, E> {
    /// A record for Python: the walk stops after it, so that the RTP it may hold is counted
    /// (through `RtpFlows::count`, called from Python) before the RTP of later records.
    fn raw(&mut self, rec: &Record<'_>) {
        self.events.raw(rec);
        self.paused = true;
    }
}

impl<E: Events> Sink for PerRecord<'_, E> {
    fn paused(&self) -> bool {
        self.paused
    }

    fn warn(&mut self, frame: Option<u64>, text: String, lost: bool) {
        self.events.warn(frame, text, lost);
    }

    fn record(&mut self, rec: Record<'_>) {
        let c = &mut *self.counts;
        c.packets += 1;
        let time = match rec.time {
            Time::Seconds(t) => {
                c.saw_time(t);
                Some(t)
            }
            Time::Absent => None,
            Time::Huge { .. } => {
                self.raw(&rec);
                return;
            }
        };
        if rec.cut || !FAST_LINKTYPES.contains(&rec.linktype) {
            self.raw(&rec);
            return;
        }
        c.link_types.insert(rec.linktype);
        match decode(rec.linktype, rec.data) {
            Decoded::Nothing => {}
            Decoded::Fallback => self.raw(&rec),
            Decoded::Udp {
                src,
                dst,
                sport,
                dport,
                payload,
            } => {
                if payload.is_empty() {
                    return;
                }
                if is_rtp(payload, sport, dport) {
                    c.rtp
                        .count((src, sport, dst, dport), payload[1] & 0x7F, rec.number);
                }
                if !c.sniff_sip || looks_like_sip(payload) {
                    // a slice of the walked bytes (never a copy): its place in the stream
                    let at = payload.as_ptr() as usize;
                    let (start, len) = self.buffer;
                    let offset = (at >= start && at + payload.len() <= start + len)
                        .then(|| self.buffer_at + (at - start) as u64);
                    self.events
                        .udp(rec.number, time, src, sport, dst, dport, payload, offset);
                }
            }
            Decoded::Tcp {
                src,
                dst,
                sport,
                dport,
                seq,
                ack,
                flags,
                payload,
            } => {
                self.events.tcp(
                    rec.number, time, src, sport, dst, dport, seq, ack, flags, payload,
                );
            }
        }
    }
}

/// One capture file being scanned.
#[derive(Debug)]
pub struct Scanner {
    walker: Walker,
    /// Bytes not walked yet: `pending[start..]` (the tail of an unfinished record, or the rest
    /// of a chunk after a pause).
    pending: Vec<u8>,
    start: usize,
    /// Offset in the stream of `pending[0]`, and of the next byte to be fed.
    pending_at: u64,
    fed: u64,
    eof: bool,
    paused: bool,
    pub counts: Counts,
}

impl Scanner {
    /// `sniff_sip`: deliver only UDP payloads that start like SIP; `max_rtp_flows`: directions
    /// counted one by one.
    pub fn new(sniff_sip: bool, max_rtp_flows: usize) -> Self {
        Scanner {
            walker: Walker::new(),
            pending: Vec::new(),
            start: 0,
            pending_at: 0,
            fed: 0,
            eof: false,
            paused: false,
            counts: Counts {
                packets: 0,
                first_time: None,
                last_time: None,
                link_types: BTreeSet::new(),
                rtp: RtpFlows::new(max_rtp_flows),
                sniff_sip,
            },
        }
    }

    /// Scan the next bytes of the file, until they end or the scan pauses after a record for
    /// Python (`paused()`: call `resume` once Python has handled it). Bytes of an unfinished
    /// record are kept for the next call (at most one record, which the walk bounds).
    pub fn feed<E: Events>(&mut self, chunk: &[u8], events: &mut E) {
        assert!(
            !self.paused && !self.eof,
            "feed() while paused or after finish()"
        );
        let fed = self.fed;
        self.fed += chunk.len() as u64;
        if self.start == self.pending.len() {
            self.pending.clear();
            self.start = 0;
            let mut sink = PerRecord {
                counts: &mut self.counts,
                events,
                paused: false,
                buffer: (chunk.as_ptr() as usize, chunk.len()),
                buffer_at: fed,
            };
            let used = self.walker.step(chunk, false, &mut sink);
            self.paused = sink.paused;
            self.pending.extend_from_slice(&chunk[used..]);
            self.pending_at = fed + used as u64;
        } else {
            self.pending.drain(..self.start);
            self.pending_at += self.start as u64;
            self.start = 0;
            self.pending.extend_from_slice(chunk);
            let mut sink = PerRecord {
                counts: &mut self.counts,
                events,
                paused: false,
                buffer: (self.pending.as_ptr() as usize, self.pending.len()),
                buffer_at: self.pending_at,
            };
            self.start = self.walker.step(&self.pending, false, &mut sink);
            self.paused = sink.paused;
        }
    }

    /// Go on after a pause.
    pub fn resume<E: Events>(&mut self, events: &mut E) {
        let rest = self.pending.get(self.start..).unwrap_or(&[]);
        let mut sink = PerRecord {
            counts: &mut self.counts,
            events,
            paused: false,
            buffer: (rest.as_ptr() as usize, rest.len()),
            buffer_at: self.pending_at + self.start as u64,
        };
        self.start += self.walker.step(rest, self.eof, &mut sink);
        self.paused = sink.paused;
    }

    /// The file has ended: finish the last record as the pure reader does at end of file
    /// (this too may pause).
    pub fn finish<E: Events>(&mut self, events: &mut E) {
        assert!(!self.paused, "finish() while paused");
        self.eof = true;
        self.resume(events);
    }

    /// The scan stopped after a record for Python; call `resume`.
    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn format(&self) -> Option<&'static str> {
        self.walker.format()
    }

    /// Frame number of the last record delivered (0: none).
    pub fn last_record(&self) -> u64 {
        self.walker.last_record
    }

    /// The walk is over: no more bytes are needed.
    pub fn done(&self) -> bool {
        self.walker.done()
    }

    /// Damage, not the end of the file, stopped the walk.
    pub fn stopped_by_damage(&self) -> bool {
        self.walker.stopped_by_damage
    }
}
