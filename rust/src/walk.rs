//! pcap and pcapng files → records, sans-I/O: the record walk of `sipdiag/sources/pcapfile.py`.
//!
//! How this works: the caller hands over the bytes it has not consumed yet (`step`), and the
//! walker takes as many whole units (a pcap record header with its packet, a pcapng block) as
//! are there, returning how many bytes it used; a unit that is not complete yet is left for the
//! next call. At the end of the file (`eof`) a short unit is handled exactly as pcapfile.py
//! handles a short `read()`: the same warnings, with the same frame numbers, and the same
//! partial record. Every length read from the file is checked against the bytes present and
//! against `MAX_RECORD` before it is used, and slicing is done with checked bounds only.
//!
//! Timestamps are the same IEEE doubles Python computes: `sec + frac / units` for pcap, and the
//! correctly rounded quotient `ticks / units` (Python's int / int) plus the offset for pcapng.
#![forbid(unsafe_code)]

pub const MAX_RECORD: u64 = 16 * 1024 * 1024;
const SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// A packet's timestamp as the file gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Time {
    /// No timestamp (pcapng Simple Packet Block).
    Absent,
    Seconds(f64),
    /// A resolution beyond 64 bits (if_tsresol of 10^20 and up or 2^64 and up): Python computes
    /// `ticks / base**exp + offset` with its big integers.
    Huge {
        ticks: u64,
        base: u32,
        exp: u32,
        offset: i64,
    },
}

/// One captured packet, borrowed from the caller's buffer.
#[derive(Debug)]
pub struct Record<'a> {
    pub number: u64,
    pub time: Time,
    pub linktype: u32,
    pub data: &'a [u8],
    pub orig_len: u32,
    /// The file ends inside this packet.
    pub cut: bool,
}

/// Where the walk delivers records and file-level warnings (frame None: the whole file).
/// `lost`: the warning says input was lost there (a cut or damaged record, the rest of the file),
/// the fact Python keeps in `InputWarning.loss`. Every warning of the walk says so today.
pub trait Sink {
    fn record(&mut self, rec: Record<'_>);
    fn warn(&mut self, frame: Option<u64>, text: String, lost: bool);
    /// True when the walk must return after the current unit (the caller resumes it later).
    fn paused(&self) -> bool {
        false
    }
}

#[derive(Clone, Copy, Debug)]
enum Units {
    Ticks(u64),
    Huge { base: u32, exp: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: u32,
    units: Units,
    offset: i64,
    snaplen: u32,
}

#[derive(Debug)]
enum State {
    Start,
    Pcap {
        big: bool,
        units: u64,
        extra: usize,
        linktype: u32,
        limit: u64,
    },
    Pcapng {
        big: bool,
        interfaces: Vec<Interface>,
    },
    Done,
}

/// The record walk of one file.
#[derive(Debug)]
pub struct Walker {
    state: State,
    format: Option<&'static str>,
    number: u64,
    /// Number of the last record delivered (0: none yet).
    pub last_record: u64,
    /// Damage, not the end of the file, stopped the walk (a gzip error further on is then
    /// not reported, as in pcapfile.py).
    pub stopped_by_damage: bool,
}

impl Default for Walker {
    fn default() -> Self {
        Self::new()
    }
}

fn u16_at(b: &[u8], at: usize, big: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if big {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    })
}

fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    })
}

fn i64_at(b: &[u8], at: usize, big: bool) -> Option<i64> {
    let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(if big {
        i64::from_be_bytes(s)
    } else {
        i64::from_le_bytes(s)
    })
}

/// `n / d` rounded to the nearest double, ties to even: what Python's `int / int` gives.
pub fn div_round(n: u64, d: u64) -> f64 {
    debug_assert!(d > 0);
    const EXACT: u64 = 1 << 53;
    if n <= EXACT && d <= EXACT {
        return n as f64 / d as f64; // both exact: IEEE division is correctly rounded
    }
    if n == 0 {
        return 0.0;
    }
    let nbits = 64 - n.leading_zeros() as i32;
    let dbits = 64 - d.leading_zeros() as i32;
    // scale so that the integer quotient has 55 or 56 bits: 53 kept, one to round, one spare
    let k = 55 + dbits - nbits;
    let (q, r) = if k >= 0 {
        let num = (n as u128) << k;
        (num / d as u128, num % d as u128)
    } else {
        let den = (d as u128) << (-k);
        (n as u128 / den, n as u128 % den)
    };
    let qbits = 128 - q.leading_zeros() as i32;
    let drop = qbits - 53;
    let mut m = q >> drop;
    let rest = q & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    let sticky = r != 0;
    if rest > half || (rest == half && (sticky || m & 1 == 1)) {
        m += 1;
    }
    // value = m * 2^(drop - k); m <= 2^53 is exact as a double, the scaling is by a power of two
    let e = drop - k;
    (m as f64) * f64::from_bits(((1023 + e) as u64) << 52)
}

/// The IDB options if_tsresol (9) and if_tsoffset (14), as pcapfile.py's `_if_resolution`.
fn if_resolution(options: &[u8], big: bool) -> (Units, i64) {
    let mut units = Units::Ticks(1_000_000);
    let mut offset = 0i64;
    let mut pos = 0usize;
    while pos + 4 <= options.len() {
        let code = u16_at(options, pos, big).unwrap_or(0);
        let length = u16_at(options, pos + 2, big).unwrap_or(0) as usize;
        pos += 4;
        let end = (pos + length).min(options.len());
        let value = options.get(pos..end).unwrap_or(&[]);
        pos += (length + 3) & !3;
        if code == 0 {
            break;
        }
        if code == 9 && !value.is_empty() {
            let v = value[0];
            units = if v & 0x80 != 0 {
                let exp = (v & 0x7F) as u32;
                if exp < 64 {
                    Units::Ticks(1u64 << exp)
                } else {
                    Units::Huge { base: 2, exp }
                }
            } else {
                let exp = v as u32;
                match 10u64.checked_pow(exp) {
                    Some(t) => Units::Ticks(t),
                    None => Units::Huge { base: 10, exp },
                }
            };
        } else if code == 14 && length == 8 && value.len() == 8 {
            offset = i64_at(value, 0, big).unwrap_or(0);
        }
    }
    (units, offset)
}

impl Walker {
    pub fn new() -> Self {
        Walker {
            state: State::Start,
            format: None,
            number: 0,
            last_record: 0,
            stopped_by_damage: false,
        }
    }

    /// "pcap", "pcapng", or None before the magic number has been seen.
    pub fn format(&self) -> Option<&'static str> {
        self.format
    }

    pub fn done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Walk the whole units in `data`; return the number of bytes consumed. With `eof`, `data`
    /// is the rest of the file and everything is consumed, unless the sink pauses the walk.
    pub fn step<S: Sink>(&mut self, data: &[u8], eof: bool, sink: &mut S) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = data.get(pos..).unwrap_or(&[]);
            let used = match &mut self.state {
                State::Done => return data.len(),
                State::Start => self.start(rest, eof, sink),
                State::Pcap { .. } => self.pcap_record(rest, eof, sink),
                State::Pcapng { .. } => self.pcapng_block(rest, eof, sink),
            };
            match used {
                Some(n) => {
                    pos += n;
                    if sink.paused() {
                        return pos;
                    }
                }
                None => {
                    if eof {
                        self.state = State::Done;
                        return data.len();
                    }
                    return pos;
                }
            }
        }
    }

    fn start<S: Sink>(&mut self, b: &[u8], eof: bool, sink: &mut S) -> Option<usize> {
        if b.len() < 4 {
            if eof {
                self.state = State::Done;
            }
            return None;
        }
        let magic = [b[0], b[1], b[2], b[3]];
        if magic == SHB {
            self.format = Some("pcapng");
            self.state = State::Pcapng {
                big: false,
                interfaces: Vec::new(),
            };
            return Some(0); // the block walk reads the magic again as a block type
        }
        let (big, units, modified) = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, 1_000_000, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, 1_000_000, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, 1_000_000_000, false),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, 1_000_000_000, false),
            [0x34, 0xcd, 0xb2, 0xa1] => (false, 1_000_000, true),
            [0xa1, 0xb2, 0xcd, 0x34] => (true, 1_000_000, true),
            _ => {
                self.state = State::Done;
                return None;
            }
        };
        self.format = Some("pcap");
        if b.len() < 24 {
            if !eof {
                return None;
            }
            sink.warn(
                None,
                "pcap file header is truncated: no packets".to_string(),
                true,
            );
            self.state = State::Done;
            return None;
        }
        let snaplen = u32_at(b, 16, big)? as u64;
        let network = u32_at(b, 20, big)?;
        let limit = if snaplen != 0 {
            snaplen.max(262_144)
        } else {
            MAX_RECORD
        };
        self.state = State::Pcap {
            big,
            units,
            extra: if modified { 8 } else { 0 },
            linktype: network & 0x0FFF_FFFF,
            limit,
        };
        Some(24)
    }

    fn pcap_record<S: Sink>(&mut self, b: &[u8], eof: bool, sink: &mut S) -> Option<usize> {
        let State::Pcap {
            big,
            units,
            extra,
            linktype,
            limit,
        } = self.state
        else {
            return None;
        };
        if b.len() < 16 {
            if eof && !b.is_empty() {
                sink.warn(
                    Some(self.number + 1),
                    format!(
                        "file is cut short inside a packet header ({} of 16 bytes)",
                        b.len()
                    ),
                    true,
                );
            }
            return None;
        }
        let sec = u32_at(b, 0, big)?;
        let frac = u32_at(b, 4, big)?;
        let incl = u32_at(b, 8, big)?;
        let orig = u32_at(b, 12, big)?;
        let number = self.number + 1;
        if incl as u64 > limit || incl as u64 > MAX_RECORD {
            self.number = number;
            sink.warn(
                Some(number),
                format!(
                    "damaged packet header (captured length {incl} bytes); stopped reading here"
                ),
                true,
            );
            self.stopped_by_damage = true;
            self.state = State::Done;
            return None;
        }
        let whole = 16 + extra + incl as usize;
        if b.len() < whole && !eof {
            return None;
        }
        self.number = number;
        let data_start = (16 + extra).min(b.len());
        let data_end = whole.min(b.len());
        let data = b.get(data_start..data_end).unwrap_or(&[]);
        let cut = data.len() < incl as usize;
        if cut {
            sink.warn(
                Some(number),
                format!(
                    "file is cut short in the middle of a packet ({} of {} bytes)",
                    data.len(),
                    incl
                ),
                true,
            );
        }
        let time = Time::Seconds(sec as f64 + frac as f64 / units as f64);
        self.last_record = number;
        sink.record(Record {
            number,
            time,
            linktype,
            data,
            orig_len: orig,
            cut,
        });
        if cut {
            self.state = State::Done;
            return None;
        }
        Some(whole)
    }

    fn pcapng_block<S: Sink>(&mut self, b: &[u8], eof: bool, sink: &mut S) -> Option<usize> {
        let State::Pcapng { big, .. } = self.state else {
            return None;
        };
        if b.len() < 8 {
            if eof && !b.is_empty() {
                sink.warn(
                    Some(self.number + 1),
                    "file is cut short inside a block header".to_string(),
                    true,
                );
            }
            return None;
        }
        if b[..4] == SHB {
            if b.len() < 12 && !eof {
                return None;
            }
            let bom = b.get(8..12);
            let big = match bom {
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => false,
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => true,
                _ => {
                    sink.warn(
                        Some(self.number + 1),
                        "damaged pcapng section header; stopped".to_string(),
                        true,
                    );
                    self.stopped_by_damage = bom.is_some();
                    self.state = State::Done;
                    return None;
                }
            };
            let total = u32_at(b, 4, big)? as u64;
            if total < 28 || total % 4 != 0 || total > MAX_RECORD {
                sink.warn(
                    Some(self.number + 1),
                    "damaged pcapng section header; stopped".to_string(),
                    true,
                );
                self.stopped_by_damage = true;
                self.state = State::Done;
                return None;
            }
            if (b.len() as u64) < total {
                if eof {
                    sink.warn(
                        Some(self.number + 1),
                        "file is cut short inside a section header".to_string(),
                        true,
                    );
                    self.state = State::Done;
                }
                return None;
            }
            self.state = State::Pcapng {
                big,
                interfaces: Vec::new(),
            };
            return Some(total as usize);
        }
        let btype = u32_at(b, 0, big)?;
        let total = u32_at(b, 4, big)? as u64;
        if total < 12 || total % 4 != 0 || total > MAX_RECORD {
            sink.warn(
                Some(self.number + 1),
                format!(
                    "damaged pcapng block (type {btype:#x}, length {total}); stopped reading here"
                ),
                true,
            );
            self.stopped_by_damage = true;
            self.state = State::Done;
            return None;
        }
        let total = total as usize;
        if b.len() < total && !eof {
            return None;
        }
        let truncated = b.len() < total;
        let body = if truncated { &b[8..] } else { &b[8..total - 4] };
        let is_packet = matches!(btype, 2 | 3 | 6);
        if btype == 1 {
            if body.len() >= 8 {
                let linktype = u16_at(body, 0, big)? as u32;
                let snaplen = u32_at(body, 4, big)?;
                let (units, offset) = if_resolution(&body[8..], big);
                if let State::Pcapng { interfaces, .. } = &mut self.state {
                    interfaces.push(Interface {
                        linktype,
                        units,
                        offset,
                        snaplen,
                    });
                }
            }
        } else if is_packet {
            self.number += 1;
            self.packet_block(btype, body, big, truncated, sink);
        }
        if truncated {
            if !is_packet {
                sink.warn(
                    Some(self.number + 1),
                    "file is cut short inside a block".to_string(),
                    true,
                );
            }
            self.state = State::Done;
            return None;
        }
        Some(total)
    }

    /// One EPB (6), SPB (3) or obsolete PB (2), as pcapfile.py's `_packet_block`.
    fn packet_block<S: Sink>(
        &mut self,
        btype: u32,
        body: &[u8],
        big: bool,
        cut: bool,
        sink: &mut S,
    ) {
        let number = self.number;
        let State::Pcapng { interfaces, .. } = &self.state else {
            return;
        };
        if btype == 3 {
            if body.len() < 4 || interfaces.is_empty() {
                let text = if cut {
                    "file is cut short in the middle of a packet"
                } else {
                    "simple packet block without an interface description"
                };
                sink.warn(Some(number), text.to_string(), true);
                return;
            }
            let iface = interfaces[0];
            let orig_len = u32_at(body, 0, big).unwrap_or(0);
            let captured = if iface.snaplen != 0 {
                orig_len.min(iface.snaplen)
            } else {
                orig_len
            } as usize;
            let end = 4usize.saturating_add(captured).min(body.len());
            let data = &body[4..end];
            if cut {
                sink.warn(
                    Some(number),
                    format!(
                        "file is cut short in the middle of a packet ({} of {} bytes)",
                        data.len(),
                        captured
                    ),
                    true,
                );
            }
            self.last_record = number;
            sink.record(Record {
                number,
                time: Time::Absent,
                linktype: iface.linktype,
                data,
                orig_len,
                cut,
            });
            return;
        }
        if body.len() < 20 {
            let text = if cut {
                "file is cut short in the middle of a packet"
            } else {
                "damaged packet block"
            };
            sink.warn(Some(number), text.to_string(), true);
            return;
        }
        let if_id = if btype == 6 {
            u32_at(body, 0, big).unwrap_or(0)
        } else {
            u16_at(body, 0, big).unwrap_or(0) as u32
        };
        let ts_hi = u32_at(body, 4, big).unwrap_or(0) as u64;
        let ts_lo = u32_at(body, 8, big).unwrap_or(0) as u64;
        let cap_len = u32_at(body, 12, big).unwrap_or(0) as usize;
        let orig_len = u32_at(body, 16, big).unwrap_or(0);
        let end = 20usize.saturating_add(cap_len).min(body.len());
        let data = &body[20..end];
        let Some(iface) = interfaces.get(if_id as usize).copied() else {
            sink.warn(
                Some(number),
                format!("packet names interface {if_id}, which the file never described"),
                true,
            );
            return;
        };
        let ticks = (ts_hi << 32) | ts_lo;
        let time = match iface.units {
            Units::Ticks(u) => Time::Seconds(div_round(ticks, u) + iface.offset as f64),
            Units::Huge { base, exp } => Time::Huge {
                ticks,
                base,
                exp,
                offset: iface.offset,
            },
        };
        if data.len() < cap_len {
            let text = if cut {
                format!(
                    "file is cut short in the middle of a packet ({} of {} bytes)",
                    data.len(),
                    cap_len
                )
            } else {
                format!(
                    "damaged packet block: {} bytes announced, {} present",
                    cap_len,
                    data.len()
                )
            };
            sink.warn(Some(number), text, true);
        }
        self.last_record = number;
        sink.record(Record {
            number,
            time,
            linktype: iface.linktype,
            data,
            orig_len,
            cut,
        });
    }
}
