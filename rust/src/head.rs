//! The layout of one SIP message: where its start line, header lines and body are.
//!
//! The twin of `sipdiag.sip.parser.head_layout` (same tuple, checked by
//! tests/test_core_differential.py on every bundled message and on generated input). Only ASCII
//! bytes decide (CR, LF, SP, HT, ':'), so the Python side can decode any slice between two
//! offsets and get that slice of the decoded message. The start line is decoded and matched by
//! the parser's regexes in Python (one short line); this finds everything else in one pass.
#![forbid(unsafe_code)]

/// A header line `name: value`.
pub const HEADER: u32 = 0;
/// A line starting with SP or HT: the continuation of the previous header (RFC 3261 §7.3.1).
pub const CONTINUATION: u32 = 1;
/// A line that is no header line: no colon, or it starts with one or with a control byte.
pub const NO_COLON: u32 = 2;

/// Byte offsets into the message; see `layout`.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    pub lead: usize,
    pub head_end: usize,
    pub body_at: usize,
    pub terminated: bool,
    pub start_end: usize,
    /// Per non-empty line after the start line: kind, line start, line end (CRs stripped),
    /// name end (before the colon and the SP/HT in front of it), value start (after them).
    pub lines: Vec<u32>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|p| p + from)
}

fn not_a_name_start(b: u8) -> bool {
    matches!(b, b':' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f)
}

/// Where the parts of `data` are. `data` longer than 4 GiB is never handed in (a message is at
/// most 64 KiB of head and 4 MiB of body), so offsets fit in u32.
pub fn layout(data: &[u8]) -> Layout {
    let n = data.len();
    let mut lead = 0;
    while lead < n && (data[lead] == b'\n' || data[lead] == b'\r') {
        lead += 1;
    }
    let crlf = find(data, b"\r\n\r\n", lead);
    // a bare-LF end counts only before the CRLF one: look no further (not through the body)
    let lf = find(&data[..crlf.map_or(n, |c| c + 1)], b"\n\n", lead);
    let (head_end, body_at, terminated) = match (crlf, lf) {
        (Some(c), Some(l)) if c <= l => (c, c + 4, true),
        (Some(c), None) => (c, c + 4, true),
        (_, Some(l)) => (l, l + 2, true),
        (None, None) => (n, n, false),
    };
    let mut lines = Vec::with_capacity(64);
    let mut at = lead;
    let mut start_end: Option<usize> = None;
    loop {
        let nl = memchr::memchr(b'\n', &data[at..head_end]).map(|p| p + at);
        let stop = nl.unwrap_or(head_end);
        let mut end = stop;
        while end > at && data[end - 1] == b'\r' {
            end -= 1;
        }
        if start_end.is_none() {
            start_end = Some(end);
        } else if end > at {
            let first = data[at];
            let (kind, name_end, value_at) = if first == b' ' || first == b'\t' {
                (CONTINUATION, at, at)
            } else {
                match memchr::memchr(b':', &data[at..end]).map(|p| p + at) {
                    Some(colon) if !not_a_name_start(first) => {
                        let mut name_end = colon;
                        while name_end > at && matches!(data[name_end - 1], b' ' | b'\t') {
                            name_end -= 1;
                        }
                        let mut value_at = colon + 1;
                        while value_at < end && matches!(data[value_at], b' ' | b'\t') {
                            value_at += 1;
                        }
                        (HEADER, name_end, value_at)
                    }
                    _ => (NO_COLON, at, at),
                }
            };
            lines.extend_from_slice(&[
                kind,
                at as u32,
                end as u32,
                name_end as u32,
                value_at as u32,
            ]);
        }
        match nl {
            Some(p) => at = p + 1,
            None => break,
        }
    }
    Layout {
        lead,
        head_end,
        body_at,
        terminated,
        start_end: start_end.unwrap_or(lead),
        lines,
    }
}

/// A header name not in the table: its header's position and where its name ends.
pub const UNKNOWN: u32 = u32::MAX;

/// The message's record as the parser keeps it, from a layout: per header four integers (name
/// id, line start, value start, value end), the headers whose names the table does not know yet
/// (position, name end), the other lines in order (kind, start, end, headers before them), and
/// the first positions of Call-ID, CSeq and Content-Length (-1: none among the known names).
pub struct Record {
    pub index: Vec<u32>,
    pub unknown: Vec<u32>,
    pub others: Vec<u32>,
    pub specials: [i64; 3],
}

/// Header names as written → ids (a dozen lookups a message: `crate::FastMap`).
pub type Names = crate::FastMap<Vec<u8>, u32>;

/// Header names as written → their ids, learnt from the Python side (sip/grammar.py owns the
/// ids); `special` holds the ids of Call-ID, CSeq and Content-Length.
pub struct NameTable {
    pub names: Names,
    pub special: [u32; 3],
}

impl NameTable {
    pub fn record(&self, data: &[u8], l: &Layout) -> Record {
        let mut index = Vec::with_capacity(l.lines.len() * 4 / 5);
        let mut unknown = Vec::new();
        let mut others = Vec::new();
        let mut specials = [-1i64; 3];
        for line in l.lines.chunks_exact(5) {
            let (kind, at, end, name_end, value_at) = (line[0], line[1], line[2], line[3], line[4]);
            let position = (index.len() / 4) as u32;
            if kind != HEADER {
                others.extend_from_slice(&[kind, at, end, position]);
                continue;
            }
            let id = match self.names.get(&data[at as usize..name_end as usize]) {
                Some(&id) => {
                    for (k, s) in self.special.iter().enumerate() {
                        if id == *s && specials[k] < 0 {
                            specials[k] = position as i64;
                        }
                    }
                    id
                }
                None => {
                    unknown.extend_from_slice(&[position, name_end]);
                    UNKNOWN
                }
            };
            index.extend_from_slice(&[id, at, value_at, end]);
        }
        Record {
            index,
            unknown,
            others,
            specials,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_with_headers_fold_and_body() {
        let m = b"\r\nINVITE sip:b SIP/2.0\r\nVia : SIP/2.0/UDP h\r\n  ;branch=x\r\nbad line\r\nl:\t3\r\n\r\nabc";
        let l = layout(m);
        assert_eq!(l.lead, 2);
        assert_eq!(&m[l.lead..l.start_end], b"INVITE sip:b SIP/2.0");
        assert!(l.terminated);
        assert_eq!(&m[l.body_at..], b"abc");
        assert_eq!(&m[l.head_end..l.body_at], b"\r\n\r\n");
        let lines: Vec<&[u32]> = l.lines.chunks(5).collect();
        assert_eq!(lines.len(), 4);
        let via = lines[0];
        assert_eq!(via[0], HEADER);
        assert_eq!(&m[via[1] as usize..via[3] as usize], b"Via");
        assert_eq!(&m[via[4] as usize..via[2] as usize], b"SIP/2.0/UDP h");
        assert_eq!(lines[1][0], CONTINUATION);
        assert_eq!(lines[2][0], NO_COLON);
        assert_eq!(&m[lines[3][4] as usize..lines[3][2] as usize], b"3");
    }

    #[test]
    fn bare_lf_unterminated_and_empty() {
        let l = layout(b"SIP/2.0 200 OK\nCall-ID: a\n\nbody");
        assert!(l.terminated && l.body_at == 27);
        let l = layout(b"SIP/2.0 200 OK\r\nCall-ID: a");
        assert!(!l.terminated && l.head_end == 26 && l.body_at == 26);
        assert_eq!(l.lines, vec![HEADER, 16, 26, 23, 25]);
        let l = layout(b"");
        assert_eq!(
            (l.lead, l.head_end, l.start_end, l.lines.len()),
            (0, 0, 0, 0)
        );
        let l = layout(b"\r\n\r\n");
        assert_eq!((l.lead, l.head_end, l.terminated), (4, 4, false));
    }

    #[test]
    fn record_uses_the_name_table_and_reports_the_rest() {
        let mut names = Names::default();
        names.insert(b"Call-ID".to_vec(), 7);
        let table = NameTable {
            names,
            special: [7, 8, 9],
        };
        let m = b"BYE x SIP/2.0\r\nCall-ID: a\r\nX-New: b\r\n c\r\n\r\n";
        let r = table.record(m, &layout(m));
        assert_eq!(r.index.len(), 8);
        assert_eq!(r.index[0], 7);
        assert_eq!(r.index[4], UNKNOWN);
        assert_eq!(&m[r.index[5] as usize..r.unknown[1] as usize], b"X-New");
        assert_eq!(r.unknown[0], 1);
        assert_eq!(r.others, vec![CONTINUATION, 37, 39, 2]);
        assert_eq!(r.specials, [0, -1, -1]);
    }

    #[test]
    fn lines_starting_with_a_colon_or_a_control_byte_are_no_headers() {
        let l = layout(b"OPTIONS x SIP/2.0\r\n: v\r\n\x0bName: v\r\nA:\r\n\r\n");
        let kinds: Vec<u32> = l.lines.chunks(5).map(|c| c[0]).collect();
        assert_eq!(kinds, vec![NO_COLON, NO_COLON, HEADER]);
    }
}
