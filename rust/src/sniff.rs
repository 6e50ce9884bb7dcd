//! The SIP sniff: does a payload start with a SIP request or status line?
//!
//! The same test as `sipdiag.sip.grammar.SNIFF` (used by `looks_like_sip`), written out by
//! hand: `^(?:\r?\n)*(?:SIP/2\.0 \d{3}|[A-Z][A-Z0-9_\-]{1,31} [^ \r\n]{1,2048} SIP/2\.0\r?\n)`,
//! ASCII case-insensitive. Every part of that pattern is deterministic (no character class can
//! also match what follows it), so one forward pass with the same bounds gives the regex's answer;
//! the differential tests check it against the regex on generated input.
#![forbid(unsafe_code)]

const MAX_TOKEN_TAIL: usize = 31;
const MAX_URI: usize = 2048;

fn starts_with_ci(b: &[u8], lit: &[u8]) -> bool {
    b.len() >= lit.len() && b[..lit.len()].eq_ignore_ascii_case(lit)
}

fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// True when `p` starts (after optional CRLF/LF keep-alive lines) with a SIP start line.
pub fn looks_like_sip(p: &[u8]) -> bool {
    let mut i = 0;
    loop {
        match p.get(i) {
            Some(b'\n') => i += 1,
            Some(b'\r') if p.get(i + 1) == Some(&b'\n') => i += 2,
            _ => break,
        }
    }
    let p = &p[i..];
    // status line: SIP/2.0 and three digits
    if starts_with_ci(p, b"SIP/2.0 ") && p.len() >= 11 && p[8..11].iter().all(u8::is_ascii_digit) {
        return true;
    }
    // request line: method SP Request-URI SP SIP/2.0 (CR) LF
    match p.first() {
        Some(c) if c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    let tail = p[1..].iter().take_while(|&&c| is_token(c)).count();
    if tail == 0 || tail > MAX_TOKEN_TAIL {
        return false;
    }
    let mut j = 1 + tail;
    if p.get(j) != Some(&b' ') {
        return false;
    }
    j += 1;
    let uri = p[j..]
        .iter()
        .take_while(|&&c| c != b' ' && c != b'\r' && c != b'\n')
        .count();
    if uri == 0 || uri > MAX_URI {
        return false;
    }
    j += uri;
    if !starts_with_ci(&p[j..], b" SIP/2.0") {
        return false;
    }
    j += 8;
    match p.get(j) {
        Some(b'\n') => true,
        Some(b'\r') => p.get(j + 1) == Some(&b'\n'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_sip;

    #[test]
    fn requests_and_responses() {
        assert!(looks_like_sip(
            b"INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n"
        ));
        assert!(looks_like_sip(b"register sip:example.com sip/2.0\n"));
        assert!(looks_like_sip(b"\r\n\r\nOPTIONS sip:a SIP/2.0\r\n"));
        assert!(looks_like_sip(b"SIP/2.0 200 OK\r\n"));
        assert!(looks_like_sip(b"sip/2.0 404"));
        assert!(looks_like_sip(b"\nSIP/2.0 100"));
    }

    #[test]
    fn rejects_non_sip() {
        assert!(!looks_like_sip(b""));
        assert!(!looks_like_sip(b"\r\n\r\n"));
        assert!(!looks_like_sip(b"\x80\x00\x12\x34rtp payload"));
        assert!(!looks_like_sip(b"SIP/2.0 20"));
        assert!(!looks_like_sip(b"SIP/2.0 2x0 OK"));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_sip(b"INVITE sip:a SIP/2.0\r"));
        assert!(!looks_like_sip(b"INVITE sip:a SIP/2.0 \r\n"));
        assert!(
            !looks_like_sip(b"I sip:a SIP/2.0\r\n"),
            "a method has at least two characters"
        );
        assert!(
            !looks_like_sip(b"\rINVITE sip:a SIP/2.0\r\n"),
            "a lone CR is no keep-alive"
        );
        assert!(!looks_like_sip(b"1NVITE sip:a SIP/2.0\r\n"));
        assert!(!looks_like_sip(b"INVITE  sip:a SIP/2.0\r\n"));
    }

    #[test]
    fn bounds_of_method_and_uri() {
        let method32 = format!("A{} sip:a SIP/2.0\r\n", "B".repeat(31));
        let method33 = format!("A{} sip:a SIP/2.0\r\n", "B".repeat(32));
        assert!(looks_like_sip(method32.as_bytes()));
        assert!(!looks_like_sip(method33.as_bytes()));
        let uri2048 = format!("INVITE {} SIP/2.0\r\n", "u".repeat(2048));
        let uri2049 = format!("INVITE {} SIP/2.0\r\n", "u".repeat(2049));
        assert!(looks_like_sip(uri2048.as_bytes()));
        assert!(!looks_like_sip(uri2049.as_bytes()));
    }
}
