//! The key facts of one SIP message: what transaction matching, the host table and the NAT
//! checks ask of every message (top Via, Via count, From/To tags, first Contact).
//!
//! The twin of `sipdiag.sip.keyfacts.facts_from_views`, which reads the same facts from the
//! parsed views (sip/headers.py); tests/test_core_differential.py checks that both give the
//! same tuple on every bundled and corpus message and on generated heads. This side only
//! answers for the plain forms nearly every message uses — printable ASCII, no quoted
//! parameters, no IPv6 references, no folded lines, no comma-separated values, names the table
//! knows — and declines (`None`) everything else, which Python then reads from the views. So a
//! value is either exactly what the general parser gives or not given at all.
#![forbid(unsafe_code)]

use crate::head::{Record, CONTINUATION};

/// The header ids (sip/grammar.py) of the headers read here.
#[derive(Clone, Copy)]
pub struct FactIds {
    pub via: u32,
    pub from: u32,
    pub to: u32,
    pub contact: u32,
    pub user_agent: u32,
    pub server: u32,
    pub authorization: u32,
    pub proxy_authorization: u32,
}

/// The top Via (RFC 3261 §20.42, RFC 3581), as `sip.headers.Via` has it.
#[derive(Debug, PartialEq, Eq)]
pub struct TopVia<'a> {
    /// Upper-cased.
    pub transport: Vec<u8>,
    pub host: &'a [u8],
    pub port: Option<u32>,
    pub branch: Option<&'a [u8]>,
    pub received: Option<&'a [u8]>,
    /// `rport=` as a number of at most 5 digits (None: absent, a flag, or no such number).
    pub rport: Option<u32>,
    pub has_rport: bool,
}

/// See the module comment; `None` fields mean the header is absent or has no such part.
#[derive(Debug, PartialEq, Eq)]
pub struct Facts<'a> {
    pub via_count: u32,
    pub via: Option<TopVia<'a>>,
    pub from_tag: Option<&'a [u8]>,
    pub to_tag: Option<&'a [u8]>,
    /// Host of the first Contact's URI as written (`sip.headers.Uri.host`), and its port.
    pub contact_host: Option<&'a [u8]>,
    pub contact_port: Option<u32>,
    /// The first User-Agent and Server values (`SipMessage.user_agent`, `.server`).
    pub user_agent: Option<&'a [u8]>,
    pub server: Option<&'a [u8]>,
    /// A non-empty first Authorization or Proxy-Authorization value (`Transaction.has_credentials`).
    pub credentials: bool,
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ws(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_ws(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Printable ASCII and tabs only: what Python's `str.strip()` and `\s` treat exactly as here.
fn plain(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// `grammar.number(text, 5)` on text without surrounding whitespace: 1–5 ASCII digits.
fn number5(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 5 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// A host of letters, digits, '.', '-' and '_' (a name or an IPv4 address).
fn plain_host(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The last value of each wanted parameter in `;a=b;c` text (`headers.parse_params`, without
/// quotes): `Some(None)` for a flag, `Some(Some(v))` for a value. None when the text has quotes.
fn params<'a, const N: usize>(
    text: &'a [u8],
    wanted: [&[u8]; N],
) -> Option<[Option<Option<&'a [u8]>>; N]> {
    if text.contains(&b'"') {
        return None;
    }
    let mut found = [None; N];
    for part in text.split(|&b| b == b';') {
        let part = trim(part);
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(eq) => (trim(&part[..eq]), Some(trim(&part[eq + 1..]))),
            None => (part, None),
        };
        for (k, w) in wanted.iter().enumerate() {
            if name.eq_ignore_ascii_case(w) {
                found[k] = Some(value);
            }
        }
    }
    Some(found)
}

/// One Via value (`headers.parse_via`): None when it is not of the plain form, including when
/// the general parser would reject it (declined, not judged, here).
fn via(value: &[u8]) -> Option<TopVia<'_>> {
    // sent-protocol: proto "/" version "/" transport, no whitespace inside, then LWS
    let slash1 = value.iter().position(|&b| b == b'/')?;
    let after1 = &value[slash1 + 1..];
    let slash2 = after1.iter().position(|&b| b == b'/')?;
    let (proto, version) = (&value[..slash1], &after1[..slash2]);
    if proto.is_empty() || version.is_empty() || proto.iter().chain(version).any(|&b| is_ws(b)) {
        return None;
    }
    let after2 = &after1[slash2 + 1..];
    let transport_len = after2.iter().position(|&b| is_ws(b))?;
    if transport_len == 0 {
        return None;
    }
    let rest = trim(&after2[transport_len..]);
    let (sent_by, param_text) = match rest.iter().position(|&b| b == b';') {
        Some(semi) => (trim(&rest[..semi]), &rest[semi + 1..]),
        None => (rest, &b""[..]),
    };
    let (host, port) = match sent_by.iter().position(|&b| b == b':') {
        Some(colon) => {
            let port_text = &sent_by[colon + 1..];
            if port_text.is_empty() {
                return None;
            }
            (&sent_by[..colon], Some(number5(port_text)?))
        }
        None => (sent_by, None),
    };
    if !plain_host(host) {
        return None;
    }
    let [branch, received, rport] = params(param_text, [b"branch", b"received", b"rport"])?;
    Some(TopVia {
        transport: after2[..transport_len].to_ascii_uppercase(),
        host,
        port,
        branch: branch.flatten(),
        received: received.flatten(),
        rport: rport.flatten().and_then(number5),
        has_rport: rport.is_some(),
    })
}

/// Where a name-addr's URI and header parameters are (`headers.parse_name_addr`):
/// (uri text, parameter text). None when not of the plain form.
fn name_addr(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut quoted = false;
    let mut lt = None;
    for (i, &b) in value.iter().enumerate() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == b'<' && !quoted {
            lt = Some(i);
            break;
        }
    }
    match lt {
        Some(lt) => {
            let gt = lt + value[lt..].iter().position(|&b| b == b'>')?;
            let rest = trim(&value[gt + 1..]);
            let param_text = if rest.first() == Some(&b';') {
                &rest[1..]
            } else {
                &b""[..]
            };
            Some((trim(&value[lt + 1..gt]), param_text))
        }
        None if value.contains(&b'"') => None,
        None => match value.iter().position(|&b| b == b';') {
            Some(semi) => Some((trim(&value[..semi]), &value[semi + 1..])),
            None => Some((value, &b""[..])),
        },
    }
}

/// The tag= of a From/To value.
fn tag(value: &[u8]) -> Option<Option<&[u8]>> {
    if value == b"*" {
        return Some(None);
    }
    let (_uri, param_text) = name_addr(value)?;
    let [tag] = params(param_text, [b"tag"])?;
    Some(tag.flatten())
}

/// (host, port) of a sip:/sips: URI of the plain form (`headers.parse_uri`).
fn uri_host_port(uri: &[u8]) -> Option<(&[u8], Option<u32>)> {
    let colon = uri.iter().position(|&b| b == b':')?;
    let scheme = &uri[..colon];
    if !(scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips")) {
        return None;
    }
    let mut rest = &uri[colon + 1..];
    let at = rest.iter().position(|&b| b == b'@');
    let question = rest.iter().position(|&b| b == b'?');
    if let Some(at) = at {
        if question.is_none_or(|q| at < q) {
            rest = &rest[at + 1..];
        }
    }
    let host_len = rest
        .iter()
        .position(|&b| matches!(b, b':' | b';' | b'?' | b'[' | b']'))
        .unwrap_or(rest.len());
    let host = &rest[..host_len];
    if !plain_host(host) {
        return None;
    }
    let mut after = &rest[host_len..];
    let mut port = None;
    if after.first() == Some(&b':') {
        let digits = after[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 5 {
            return None;
        }
        port = number5(&after[1..1 + digits]);
        after = &after[1 + digits..];
    }
    match after.first() {
        None | Some(b';') | Some(b'?') => {}
        Some(_) => return None,
    }
    if after.contains(&b'[') || after.contains(&b']') {
        return None;
    }
    Some((host, port))
}

/// The key facts of a message with record `r` over `data`, or None to have Python read them
/// from the views (see the module comment).
pub fn facts<'a>(data: &'a [u8], r: &Record, ids: FactIds) -> Option<Facts<'a>> {
    if !r.unknown.is_empty() || r.others.chunks_exact(4).any(|o| o[0] == CONTINUATION) {
        return None;
    }
    let value = |position: usize| -> &'a [u8] {
        let i = position * 4;
        trim(&data[r.index[i + 2] as usize..r.index[i + 3] as usize])
    };
    // the first value of header `id`: Some(None) without one, None (decline) when not plain
    let first_plain = |id: u32| -> Option<Option<&'a [u8]>> {
        match r.index.chunks_exact(4).position(|h| h[0] == id) {
            None => Some(None),
            Some(position) => {
                let v = value(position);
                plain(v).then_some(Some(v))
            }
        }
    };

    let mut via_count = 0;
    let mut top = None;
    for (position, h) in r.index.chunks_exact(4).enumerate() {
        if h[0] != ids.via {
            continue;
        }
        let v = value(position);
        if v.is_empty() || !plain(v) || v.contains(&b',') || v.contains(&b'"') {
            return None;
        }
        let parsed = via(v)?;
        if top.is_none() {
            top = Some(parsed);
        }
        via_count += 1;
    }

    let mut tags = [None, None];
    for (k, id) in [ids.from, ids.to].into_iter().enumerate() {
        if let Some(v) = first_plain(id)? {
            if !v.is_empty() {
                tags[k] = tag(v)?;
            }
        }
    }

    let (mut contact_host, mut contact_port) = (None, None);
    if let Some(v) = first_plain(ids.contact)? {
        if v.is_empty() || v.contains(&b',') {
            return None;
        }
        if v != b"*" {
            let (uri, _params) = name_addr(v)?;
            let (host, port) = uri_host_port(uri)?;
            contact_host = Some(host);
            contact_port = port;
        }
    }
    let (user_agent, server) = (first_plain(ids.user_agent)?, first_plain(ids.server)?);
    let credentials = first_plain(ids.authorization)?.is_some_and(|v| !v.is_empty())
        || first_plain(ids.proxy_authorization)?.is_some_and(|v| !v.is_empty());
    Some(Facts {
        via_count,
        via: top,
        from_tag: tags[0],
        to_tag: tags[1],
        contact_host,
        contact_port,
        user_agent,
        server,
        credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::{layout, NameTable};

    const IDS: FactIds = FactIds {
        via: 1,
        from: 2,
        to: 3,
        contact: 4,
        user_agent: 8,
        server: 9,
        authorization: 10,
        proxy_authorization: 11,
    };

    fn table() -> NameTable {
        let mut names = crate::head::Names::default();
        for (name, id) in [
            ("User-Agent", 8),
            ("Server", 9),
            ("Via", 1),
            ("v", 1),
            ("From", 2),
            ("To", 3),
            ("Contact", 4),
            ("Call-ID", 5),
            ("Authorization", 10),
            ("Proxy-Authorization", 11),
        ] {
            names.insert(name.as_bytes().to_vec(), id);
        }
        NameTable {
            names,
            special: [5, 6, 7],
        }
    }

    fn facts_of(m: &[u8]) -> Option<Facts<'_>> {
        let r = table().record(m, &layout(m));
        facts(m, &r, IDS)
    }

    #[test]
    fn a_plain_request() {
        let m = b"REGISTER sip:pbx SIP/2.0\r\nVia: SIP/2.0/udp 192.168.1.5:5062;rport;branch=z9hG4bK-1\r\n\
                  v: SIP/2.0/TCP proxy;received=1.2.3.4;rport=7\r\nFrom: \"A <x>\" <sip:a@pbx>;tag=ab\r\n\
                  To: sip:a@pbx\r\nContact: <sip:a@192.168.1.5:5062;transport=udp>;expires=60\r\n\r\n";
        let f = facts_of(m).unwrap();
        assert_eq!(f.via_count, 2);
        let v = f.via.unwrap();
        assert_eq!(
            (v.transport.as_slice(), v.host, v.port),
            (&b"UDP"[..], &b"192.168.1.5"[..], Some(5062))
        );
        assert_eq!(
            (v.branch, v.received, v.rport, v.has_rport),
            (Some(&b"z9hG4bK-1"[..]), None, None, true)
        );
        assert_eq!((f.from_tag, f.to_tag), (Some(&b"ab"[..]), None));
        assert_eq!(
            (f.contact_host, f.contact_port),
            (Some(&b"192.168.1.5"[..]), Some(5062))
        );
    }

    #[test]
    fn unusual_forms_are_declined() {
        for m in [
            &b"OPTIONS x SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:5060;branch=a\r\n\r\n"[..],
            b"OPTIONS x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=a, SIP/2.0/UDP b\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nVia: SIP / 2.0 / UDP a\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=\"q\"\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nVia: SIP/2.0/UDP a\r\n ;branch=folded\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nX-Unknown: 1\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nContact: <tel:+1555>\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nContact: <sip:a@h:5060x>\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nFrom: \"a;b\" sip:x;tag=1\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nTo: <sip:b@h>;tag=\xc3\xa9\r\n\r\n",
            b"OPTIONS x SIP/2.0\r\nVia: SIP/2.0/UDP h:123456\r\n\r\n",
        ] {
            assert!(facts_of(m).is_none(), "{}", String::from_utf8_lossy(m));
        }
    }

    #[test]
    fn parameters_last_one_wins_and_flags_have_no_value() {
        let m = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:5060;rport=1;RPORT;branch=a;branch=b\r\n\
                  To: <sip:b@h>;tag=x;tag\r\nContact: *\r\n\r\n";
        let f = facts_of(m).unwrap();
        let v = f.via.unwrap();
        assert_eq!(
            (v.branch, v.rport, v.has_rport),
            (Some(&b"b"[..]), None, true)
        );
        assert_eq!(f.to_tag, None);
        assert_eq!(f.contact_host, None);
    }

    #[test]
    fn credentials_are_a_non_empty_first_authorization_of_either_kind() {
        let with = |h: &str| {
            let m = format!("INVITE x SIP/2.0\r\n{h}\r\n");
            facts_of(m.as_bytes()).unwrap().credentials
        };
        assert!(with("Authorization: Digest username=\"a\"\r\n"));
        assert!(with("Proxy-Authorization: Digest username=\"a\"\r\n"));
        assert!(with("Authorization:  \r\nProxy-Authorization: x\r\n"));
        assert!(!with("Authorization: \t\r\nAuthorization: Digest x\r\n"));
        assert!(!with("Via: SIP/2.0/UDP h\r\n"));
    }

    #[test]
    fn no_headers_at_all() {
        let f = facts_of(b"BYE x SIP/2.0\r\n\r\n").unwrap();
        assert_eq!(
            f,
            Facts {
                via_count: 0,
                via: None,
                from_tag: None,
                to_tag: None,
                contact_host: None,
                contact_port: None,
                user_agent: None,
                server: None,
                credentials: false,
            }
        );
    }
}
