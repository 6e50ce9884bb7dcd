//! What makes a message this message: its start line (method or status), Call-ID and CSeq —
//! for a message the parser has nothing to say about.
//!
//! `sipdiag.sip.parser.parse_message` reads these with its regexes (sip/grammar.py
//! REQUEST_LINE, STATUS_LINE, CSEQ) and checks the message (mandatory headers, CSeq method,
//! Content-Length, an empty line after the head). This side answers only when all of that
//! would pass without an anomaly and every byte involved is printable ASCII (so the regexes'
//! `\s`, `\S` and IGNORECASE mean exactly what they mean here); anything else is declined
//! (`None`) and Python takes the general path. tests/test_core_differential.py compares the
//! parsed messages of both cores field by field, anomalies included.
#![forbid(unsafe_code)]

use crate::head::{Layout, Record, CONTINUATION};

/// Ids of the headers every request and its responses must carry (RFC 3261 §8.1.1), and of
/// Call-ID, CSeq and Content-Length (`Record::specials` holds their first positions).
#[derive(Clone, Copy)]
pub struct IdentIds {
    pub mandatory: [u32; 5],
}

#[derive(Debug, PartialEq, Eq)]
pub struct Ident<'a> {
    pub start_line: &'a [u8],
    /// Upper-cased (requests).
    pub method: Option<Vec<u8>>,
    /// Responses.
    pub status: Option<u16>,
    pub call_id: Option<&'a [u8]>,
    /// (number, upper-cased method).
    pub cseq: Option<(u32, Vec<u8>)>,
}

fn plain(s: &[u8]) -> bool {
    s.iter().all(|&b| (0x20..0x7f).contains(&b))
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// RFC 3261 §25.1 Method token as REQUEST_LINE takes it: a letter, then letters, digits, '_', '-'.
fn method_token(s: &[u8]) -> bool {
    matches!(s.first(), Some(b) if b.is_ascii_alphabetic())
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// (method, status) of a plain start line, None where the regexes might answer otherwise.
fn start(line: &[u8]) -> Option<(Option<Vec<u8>>, Option<u16>)> {
    if !plain(line) || line.first() == Some(&b' ') {
        return None;
    }
    if line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"SIP/2.0 ") {
        let rest = &line[8..];
        let rest = &rest[rest.iter().position(|&b| b != b' ')?..];
        if rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
            return None;
        }
        if rest.len() > 3 && rest[3] != b' ' {
            return None;
        }
        let status = rest[..3]
            .iter()
            .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        return (100..=699)
            .contains(&status)
            .then_some((None, Some(status)));
    }
    let mut tokens = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    let (method, _uri, version) = (tokens.next()?, tokens.next()?, tokens.next()?);
    if tokens.next().is_some() || !method_token(method) || !version.eq_ignore_ascii_case(b"SIP/2.0")
    {
        return None;
    }
    Some((Some(method.to_ascii_uppercase()), None))
}

/// `headers.parse_cseq` on a plain value: 1–10 digits, whitespace, a method.
fn cseq(value: &[u8]) -> Option<(u32, Vec<u8>)> {
    let mut parts = value
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|t| !t.is_empty());
    let (number, method) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || number.len() > 10 || !number.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = number
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    Some((u32::try_from(n).ok()?, method.to_ascii_uppercase()))
}

/// The start line, Call-ID and CSeq of a message the checks would pass (see the module comment).
pub fn ident<'a>(data: &'a [u8], l: &Layout, r: &Record, ids: IdentIds) -> Option<Ident<'a>> {
    if !l.terminated
        || !r.unknown.is_empty()
        || r.others.chunks_exact(4).any(|o| o[0] == CONTINUATION)
    {
        return None;
    }
    let start_line = &data[l.lead..l.start_end];
    let (method, status) = start(start_line)?;
    let present = |id: u32| r.index.chunks_exact(4).any(|h| h[0] == id);
    if !ids.mandatory.iter().all(|&id| present(id)) {
        return None;
    }
    let value = |special: usize| -> Option<&'a [u8]> {
        let p = usize::try_from(r.specials[special]).ok()?;
        Some(trim(
            &data[r.index[p * 4 + 2] as usize..r.index[p * 4 + 3] as usize],
        ))
    };
    let call_id = value(0).filter(|v| !v.is_empty());
    if call_id.is_some_and(|v| !plain(v)) {
        return None;
    }
    let cseq_value = value(1)?;
    if !plain(cseq_value) {
        return None;
    }
    let cseq = cseq(cseq_value)?;
    if method.as_ref().is_some_and(|m| *m != cseq.1) {
        return None;
    }
    let body = &data[l.body_at..];
    match value(2) {
        None if !body.is_empty() => return None, // over TCP that is an anomaly: Python knows the transport
        None => {}
        Some(length) => {
            if length.is_empty() || length.len() > 10 || !length.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let declared = length
                .iter()
                .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
            if declared != body.len() as u64 {
                return None;
            }
        }
    }
    Some(Ident {
        start_line,
        method,
        status,
        call_id,
        cseq: Some(cseq),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::{layout, NameTable};

    const IDS: IdentIds = IdentIds {
        mandatory: [1, 2, 3, 5, 6],
    };

    fn ident_of(m: &[u8]) -> Option<Ident<'_>> {
        let mut names = crate::head::Names::default();
        for (name, id) in [
            ("Via", 1),
            ("From", 2),
            ("To", 3),
            ("Call-ID", 5),
            ("CSeq", 6),
            ("Content-Length", 7),
        ] {
            names.insert(name.as_bytes().to_vec(), id);
        }
        let table = NameTable {
            names,
            special: [5, 6, 7],
        };
        let l = layout(m);
        let r = table.record(m, &l);
        ident(m, &l, &r, IDS)
    }

    const HEADERS: &str =
        "Via: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: abc@h\r\n";

    #[test]
    fn requests_and_responses() {
        let m = format!(
            "invite sip:b@h SIP/2.0\r\n{HEADERS}CSeq: 7 invite\r\nContent-Length: 3\r\n\r\nabc"
        );
        let i = ident_of(m.as_bytes()).unwrap();
        assert_eq!(i.method.as_deref(), Some(&b"INVITE"[..]));
        assert_eq!(
            (i.call_id, i.cseq),
            (Some(&b"abc@h"[..]), Some((7, b"INVITE".to_vec())))
        );
        let m = format!("SIP/2.0  486 Busy Here\r\n{HEADERS}CSeq: 7 INVITE\r\n\r\n");
        assert_eq!(ident_of(m.as_bytes()).unwrap().status, Some(486));
        let m = format!("SIP/2.0 200\r\n{HEADERS}CSeq: 7 INVITE\r\n\r\n");
        assert_eq!(ident_of(m.as_bytes()).unwrap().status, Some(200));
    }

    #[test]
    fn anything_the_checks_would_remark_on_is_declined() {
        for m in [
            format!("INVITE sip:b@h SIP/2.0\r\n{HEADERS}CSeq: 7 BYE\r\n\r\n"),
            format!("INVITE sip:b@h SIP/2.0\r\n{HEADERS}CSeq: 7 INVITE\r\nContent-Length: 4\r\n\r\nabc"),
            format!("INVITE sip:b@h SIP/2.0\r\n{HEADERS}CSeq: 7 INVITE\r\n\r\nabc"),
            format!("INVITE sip:b@h SIP/2.0\r\n{HEADERS}CSeq: x INVITE\r\n\r\n"),
            format!("INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n"),
            format!("SIP/2.0 700 Odd\r\n{HEADERS}CSeq: 7 INVITE\r\n\r\n"),
            format!("SIP/2.0 2000 OK\r\n{HEADERS}CSeq: 7 INVITE\r\n\r\n"),
            format!("INVITE sip:b@h  SIP/2.0 x\r\n{HEADERS}CSeq: 7 INVITE\r\n\r\n"),
            format!("INVITE\tsip:b@h SIP/2.0\r\n{HEADERS}CSeq: 7 INVITE\r\n\r\n"),
            format!("INVITE sip:b@h SIP/2.0\r\n{HEADERS}CSeq: 7 INVITE\r\nX-Unknown: 1\r\n\r\n"),
            format!("INVITE sip:b@h SIP/2.0\r\n{HEADERS}CSeq: 7 INVITE\r\n"),
        ] {
            assert!(ident_of(m.as_bytes()).is_none(), "{m}");
        }
    }
}
