//! The Python binding: `sipdiag._core.CaptureScanner` and two helpers for the tests.
//!
//! Events are plain tuples (cheapest to build and to unpack), tagged by their first item:
//!   (0, frame, time, src, sport, dst, dport, payload, offset)              a UDP payload (offset:
//!                                                                          where it is in the bytes fed)
//!   (1, frame, time, src, sport, dst, dport, seq, ack, flags, payload)     a TCP segment
//!   (2, frame, time, linktype, data, orig_len, cut)                        a record for Python
//!   (3, frame, (ticks, base, exp, offset), linktype, data, orig_len, cut)  same, time for Python
//!   (4, frame or None, text, lost)                                         a file-level warning
//!   (5, frame, time, src, sport, dst, dport, offset, digest, body_at, ident, facts)
//!                                                                          a UDP payload that is one
//!                                                                          plain SIP message (below)
//! Address strings are cached, so the many packets of one host share one `str`.
//!
//! Event 5 replaces event 0 once `parse_plain(parser)` is called, for a payload at a known
//! offset of the file that holds exactly one SIP message the parser reads completely: its
//! identity and key facts are read (`HeadParser::plain`), the rest is where to read the bytes
//! back (offset, and `digest` = hash(payload) << 24 | len(payload), Python's `hash` of the
//! bytes, as `SipMessage.leave_in` keeps it). Python then makes the message without the payload
//! ever being a Python object for long; anything else stays event 0 and goes the general way.

use crate::FastMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::addr::Addr;
use crate::scanner::{Events, Scanner};
use crate::walk::{Record, Time};

const ADDR_CACHE_MAX: usize = 1 << 16;

struct ToPython<'py, 'c> {
    py: Python<'py>,
    out: Bound<'py, PyList>,
    cache: &'c mut FastMap<Addr, Py<PyString>>,
    error: Option<PyErr>,
    /// The head parser for event 5, when asked for (`CaptureScanner::parse_plain`).
    parser: Option<&'c mut HeadParser>,
}

impl<'py> ToPython<'py, '_> {
    fn addr(&mut self, a: Addr) -> Bound<'py, PyString> {
        if let Some(s) = self.cache.get(&a) {
            return s.bind(self.py).clone();
        }
        if self.cache.len() >= ADDR_CACHE_MAX {
            self.cache.clear();
        }
        let s = PyString::new(self.py, &a.text());
        self.cache.insert(a, s.clone().unbind());
        s
    }

    fn push<T: IntoPyObject<'py>>(&mut self, item: T) {
        if self.error.is_some() {
            return;
        }
        let result = item
            .into_bound_py_any(self.py)
            .and_then(|obj| self.out.append(obj));
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

impl Events for ToPython<'_, '_> {
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
    ) {
        let (s, d) = (self.addr(src), self.addr(dst));
        if let (Some(parser), Some(at)) = (self.parser.as_deref_mut(), offset) {
            match parser.plain(self.py, payload) {
                Ok(Some((digest, body_at, ident, facts))) => {
                    let event = (
                        5u8, number, time, s, sport, d, dport, at, digest, body_at, ident, facts,
                    );
                    self.push(event);
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    self.error.get_or_insert(e);
                    return;
                }
            }
        }
        let payload = PyBytes::new(self.py, payload);
        self.push((0u8, number, time, s, sport, d, dport, payload, offset));
    }

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
    ) {
        let (s, d) = (self.addr(src), self.addr(dst));
        let payload = PyBytes::new(self.py, payload);
        self.push((
            1u8, number, time, s, sport, d, dport, seq, ack, flags, payload,
        ));
    }

    fn raw(&mut self, rec: &Record<'_>) {
        let data = PyBytes::new(self.py, rec.data);
        match rec.time {
            Time::Huge {
                ticks,
                base,
                exp,
                offset,
            } => self.push((
                3u8,
                rec.number,
                (ticks, base, exp, offset),
                rec.linktype,
                data,
                rec.orig_len,
                rec.cut,
            )),
            Time::Seconds(t) => self.push((
                2u8,
                rec.number,
                Some(t),
                rec.linktype,
                data,
                rec.orig_len,
                rec.cut,
            )),
            Time::Absent => self.push((
                2u8,
                rec.number,
                None::<f64>,
                rec.linktype,
                data,
                rec.orig_len,
                rec.cut,
            )),
        }
    }

    fn warn(&mut self, frame: Option<u64>, text: String, lost: bool) {
        self.push((4u8, frame, text, lost));
    }
}

enum Feed<'a> {
    Chunk(&'a [u8]),
    Resume,
    End,
}

/// Scans one capture file fed in chunks; see `sipdiag/sources/capture.py` for the events.
#[pyclass(module = "sipdiag._core")]
struct CaptureScanner {
    inner: Scanner,
    cache: FastMap<Addr, Py<PyString>>,
    parser: Option<Py<HeadParser>>,
}

impl CaptureScanner {
    fn run<'py>(&mut self, py: Python<'py>, chunk: Feed<'_>) -> PyResult<Bound<'py, PyList>> {
        let mut parser = match &self.parser {
            Some(p) => Some(p.bind(py).try_borrow_mut()?),
            None => None,
        };
        let mut sink = ToPython {
            py,
            out: PyList::empty(py),
            cache: &mut self.cache,
            error: None,
            parser: parser.as_deref_mut(),
        };
        match chunk {
            Feed::Chunk(c) => self.inner.feed(c, &mut sink),
            Feed::Resume => self.inner.resume(&mut sink),
            Feed::End => self.inner.finish(&mut sink),
        }
        match sink.error {
            Some(e) => Err(e),
            None => Ok(sink.out),
        }
    }
}

#[pymethods]
impl CaptureScanner {
    #[new]
    #[pyo3(signature = (sniff_sip, max_rtp_flows))]
    fn new(sniff_sip: bool, max_rtp_flows: usize) -> Self {
        CaptureScanner {
            inner: Scanner::new(sniff_sip, max_rtp_flows),
            cache: FastMap::default(),
            parser: None,
        }
    }

    /// From now on, a UDP payload at a known offset of the file that is one plain SIP message
    /// is read by `parser` and delivered as event 5 (see the module docs). Call it only when
    /// the offsets are the file's and the scan sniffs SIP itself.
    fn parse_plain(&mut self, parser: Py<HeadParser>) {
        self.parser = Some(parser);
    }

    /// Scan the next bytes of the file; return the events they complete. The scan pauses
    /// after a record for Python (event 2 or 3): handle the events, then call `resume()`
    /// while `paused` is true.
    fn feed<'py>(&mut self, py: Python<'py>, chunk: &[u8]) -> PyResult<Bound<'py, PyList>> {
        if self.inner.paused() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "feed() while paused: resume() first",
            ));
        }
        self.run(py, Feed::Chunk(chunk))
    }

    /// Go on after a pause; return the next events.
    fn resume<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.run(py, Feed::Resume)
    }

    /// The file has ended; return the last events (this too may pause).
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        if self.inner.paused() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "finish() while paused: resume() first",
            ));
        }
        self.run(py, Feed::End)
    }

    /// The scan stopped after a record for Python.
    #[getter]
    fn paused(&self) -> bool {
        self.inner.paused()
    }

    /// Records read so far.
    #[getter]
    fn packets(&self) -> u64 {
        self.inner.counts.packets
    }

    /// Frame number of the last record delivered (0: none).
    #[getter]
    fn last_record(&self) -> u64 {
        self.inner.last_record()
    }

    /// The walk is over (the end of the file, or damage that stops it): feed no more.
    #[getter]
    fn done(&self) -> bool {
        self.inner.done()
    }

    /// Damage, not the end of the file, stopped the walk.
    #[getter]
    fn stopped_by_damage(&self) -> bool {
        self.inner.stopped_by_damage()
    }

    /// "pcap" or "pcapng" once the magic number is read, else None.
    #[getter]
    fn format(&self) -> Option<&'static str> {
        self.inner.format()
    }

    /// (first, last) timestamp of the records timed here, or None.
    fn times(&self) -> Option<(f64, f64)> {
        let c = &self.inner.counts;
        c.first_time.zip(c.last_time)
    }

    /// Link types of the records decoded here.
    fn link_types(&self) -> Vec<u32> {
        self.inner.counts.link_types.iter().copied().collect()
    }

    /// Count one RTP packet found by the Python decoder (addresses as 4 or 16 raw bytes), so
    /// the directions keep their order of first appearance across both decoders.
    fn count_rtp(
        &mut self,
        src: &[u8],
        sport: u16,
        dst: &[u8],
        dport: u16,
        payload_type: u8,
        number: u64,
    ) -> PyResult<()> {
        let (Some(s), Some(d)) = (Addr::from_bytes(src), Addr::from_bytes(dst)) else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "an address is 4 or 16 bytes",
            ));
        };
        self.inner
            .counts
            .rtp
            .count((s, sport, d, dport), payload_type, number);
        Ok(())
    }

    /// [(src, sport, dst, dport, packets, [payload types])] in order of first appearance.
    fn rtp_flows(&self) -> Vec<(String, u16, String, u16, u64, Vec<u8>)> {
        self.inner
            .counts
            .rtp
            .flows
            .iter()
            .map(|&((s, sp, d, dp), n, types)| {
                let pts = (0u8..128).filter(|&t| types & (1u128 << t) != 0).collect();
                (s.text(), sp, d.text(), dp, n, pts)
            })
            .collect()
    }

    /// (packets of directions beyond the bound, frame of the first of them).
    fn rtp_untracked(&self) -> (u64, u64) {
        let r = &self.inner.counts.rtp;
        (r.untracked, r.first_untracked)
    }
}

/// `sipdiag.sip.framing.looks_like_sip`, compiled (for the differential tests).
#[pyfunction]
fn looks_like_sip(payload: &[u8]) -> bool {
    crate::sniff::looks_like_sip(payload)
}

/// An address (4 or 16 raw bytes) as text, as `socket.inet_ntop` writes it (for the tests).
#[pyfunction]
fn ip_text(raw: &[u8]) -> PyResult<String> {
    Addr::from_bytes(raw)
        .map(|a| a.text())
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("an address is 4 or 16 bytes"))
}

/// `sipdiag.sip.parser.head_layout`, compiled: (lead, head_end, body_at, terminated, start_end,
/// lines), byte offsets into `data` (see head.rs).
#[pyfunction]
fn head_layout(data: &[u8]) -> (usize, usize, usize, bool, usize, Vec<u32>) {
    let l = crate::head::layout(data);
    (
        l.lead,
        l.head_end,
        l.body_at,
        l.terminated,
        l.start_end,
        l.lines,
    )
}

/// The parser's record of one message (see head.rs `Record`) and its key facts (facts.rs),
/// with the header-name table the parser fills in as it meets names (`learn`).
#[pyclass(module = "sipdiag._core")]
struct HeadParser {
    table: crate::head::NameTable,
    ids: crate::facts::FactIds,
    /// Fact values as text → one `str` each: a host, a transport, a dialog's tags and a
    /// transaction's branch recur in many messages. Bounded: cleared when full.
    strings: FastMap<Vec<u8>, Py<PyString>>,
    /// Port numbers (at most 5 digits) → one `int` each, filled as they are met: a phone's
    /// port recurs in every message it sends.
    numbers: Vec<Option<Py<PyAny>>>,
    ident_ids: crate::ident::IdentIds,
    /// CSeq pairs → one (number, method) tuple each (a transaction's messages share one).
    cseqs: FastMap<(u32, Vec<u8>), Py<PyAny>>,
}

const STRINGS_MAX: usize = 1 << 16;

impl HeadParser {
    fn text<'py>(&mut self, py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyString> {
        if let Some(s) = self.strings.get(bytes) {
            return s.bind(py).clone();
        }
        if self.strings.len() >= STRINGS_MAX {
            self.strings.clear();
        }
        // facts.rs and ident.rs hand out printable ASCII only, so this is never lossy
        let s = PyString::new(py, &String::from_utf8_lossy(bytes));
        self.strings.insert(bytes.to_vec(), s.clone().unbind());
        s
    }

    fn number<'py>(
        &mut self,
        py: Python<'py>,
        n: Option<u32>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(n) = n else { return Ok(None) };
        if self.numbers.is_empty() {
            self.numbers.resize_with(100_000, || None);
        }
        let slot = &mut self.numbers[n as usize];
        if let Some(v) = slot {
            return Ok(Some(v.bind(py).clone()));
        }
        let v = n.into_bound_py_any(py)?;
        *slot = Some(v.clone().unbind());
        Ok(Some(v))
    }

    fn ident_tuple(&mut self, py: Python<'_>, i: crate::ident::Ident<'_>) -> PyResult<Py<PyAny>> {
        let start_line = self.text(py, i.start_line);
        let method = i.method.as_deref().map(|m| self.text(py, m));
        let call_id = i.call_id.map(|c| self.text(py, c));
        let cseq = match i.cseq {
            None => None,
            Some(key) => Some(match self.cseqs.get(&key) {
                Some(t) => t.bind(py).clone(),
                None => {
                    if self.cseqs.len() >= STRINGS_MAX {
                        self.cseqs.clear();
                    }
                    let method = self.text(py, &key.1);
                    let t = (key.0, method).into_pyobject(py)?.into_any();
                    self.cseqs.insert(key, t.clone().unbind());
                    t
                }
            }),
        };
        let t = (start_line, method, i.status, call_id, cseq);
        Ok(t.into_pyobject(py)?.into_any().unbind())
    }

    fn facts_tuple(&mut self, py: Python<'_>, f: crate::facts::Facts<'_>) -> PyResult<Py<PyAny>> {
        let via = f.via.as_ref();
        let via_port = self.number(py, via.and_then(|v| v.port))?;
        let rport = self.number(py, via.and_then(|v| v.rport))?;
        let contact_port = self.number(py, f.contact_port)?;
        let transport = via.map(|v| self.text(py, &v.transport));
        let host = via.map(|v| self.text(py, v.host));
        let branch = via.and_then(|v| v.branch).map(|b| self.text(py, b));
        let received = via.and_then(|v| v.received).map(|b| self.text(py, b));
        let from_tag = f.from_tag.map(|b| self.text(py, b));
        let to_tag = f.to_tag.map(|b| self.text(py, b));
        let contact_host = f.contact_host.map(|b| self.text(py, b));
        let user_agent = f.user_agent.map(|b| self.text(py, b));
        let server = f.server.map(|b| self.text(py, b));
        // more items than PyO3's tuple conversion takes: built from a list of objects
        let items: Vec<Bound<'_, PyAny>> = vec![
            f.via_count.into_bound_py_any(py)?,
            transport.into_bound_py_any(py)?,
            host.into_bound_py_any(py)?,
            via_port.into_bound_py_any(py)?,
            branch.into_bound_py_any(py)?,
            received.into_bound_py_any(py)?,
            rport.into_bound_py_any(py)?,
            via.is_some_and(|v| v.has_rport).into_bound_py_any(py)?,
            from_tag.into_bound_py_any(py)?,
            to_tag.into_bound_py_any(py)?,
            contact_host.into_bound_py_any(py)?,
            contact_port.into_bound_py_any(py)?,
            user_agent.into_bound_py_any(py)?,
            server.into_bound_py_any(py)?,
            f.credentials.into_bound_py_any(py)?,
        ];
        Ok(PyTuple::new(py, items)?.into_any().unbind())
    }
}

/// What event 5 carries of a message: (digest, body_at, ident, facts).
type Plain = (i128, usize, Py<PyAny>, Py<PyAny>);

impl HeadParser {
    /// The parts of event 5 when `data` is one SIP message that `parse` reads completely — its
    /// identity (ident.rs: the start line, Call-ID and CSeq, every mandatory header, the body as
    /// long as Content-Length says) and key facts (facts.rs), no line that is not a header line
    /// and no CR/LF before the start line — else None. Those are the messages
    /// `sipdiag.dissect._one_message` takes from a datagram without looking further, and whose
    /// bytes `SipMessage.leave_in` leaves in the file with no index: nothing else of them
    /// would be kept.
    fn plain(&mut self, py: Python<'_>, data: &[u8]) -> PyResult<Option<Plain>> {
        if data.is_empty() || data[0] == b'\n' || data[0] == b'\r' || data.len() > 0xFF_FFFF {
            return Ok(None);
        }
        let l = crate::head::layout(data);
        let r = self.table.record(data, &l);
        if !r.others.is_empty() {
            return Ok(None);
        }
        let Some(i) = crate::ident::ident(data, &l, &r, self.ident_ids) else {
            return Ok(None);
        };
        let Some(f) = crate::facts::facts(data, &r, self.ids) else {
            return Ok(None);
        };
        let ident = self.ident_tuple(py, i)?;
        let facts = self.facts_tuple(py, f)?;
        let hash = PyBytes::new(py, data).hash()?;
        let digest = (hash as i128) << 24 | data.len() as i128;
        Ok(Some((digest, l.body_at, ident, facts)))
    }
}

#[pymethods]
impl HeadParser {
    /// `special`: the ids of Call-ID, CSeq and Content-Length; `facts`: of Via, From, To, Contact
    /// (with Call-ID and CSeq the headers every message must carry), User-Agent, Server,
    /// Authorization, Proxy-Authorization.
    #[new]
    fn new(
        call_id: u32,
        cseq: u32,
        content_length: u32,
        via: u32,
        from: u32,
        to: u32,
        contact: u32,
        user_agent: u32,
        server: u32,
        authorization: u32,
        proxy_authorization: u32,
    ) -> Self {
        HeadParser {
            table: crate::head::NameTable {
                names: Default::default(),
                special: [call_id, cseq, content_length],
            },
            ids: crate::facts::FactIds {
                via,
                from,
                to,
                contact,
                user_agent,
                server,
                authorization,
                proxy_authorization,
            },
            strings: FastMap::default(),
            numbers: Vec::new(),
            ident_ids: crate::ident::IdentIds {
                mandatory: [via, from, to, call_id, cseq],
            },
            cseqs: FastMap::default(),
        }
    }

    /// Remember that the name written as `written` has id `id`.
    fn learn(&mut self, written: &[u8], id: u32) {
        self.table.names.insert(written.to_vec(), id);
    }

    /// (lead, head_end, body_at, terminated, start_end, index, unknown, others, specials, facts,
    /// ident): index is the bytes of an array of 16-bit items when head_end < 65536 and unknown
    /// is empty, else of 32-bit ones; facts is the tuple of `sipdiag.sip.keyfacts.KeyFacts`, or None where facts.rs
    /// declines; ident is (start line, method, status, Call-ID, CSeq), or None where ident.rs declines.
    #[allow(clippy::type_complexity)]
    fn parse<'py>(
        &mut self,
        py: Python<'py>,
        data: &[u8],
    ) -> PyResult<(
        usize,
        usize,
        usize,
        bool,
        usize,
        Bound<'py, PyBytes>,
        Vec<u32>,
        Vec<u32>,
        [i64; 3],
        Option<Py<PyAny>>,
        Option<Py<PyAny>>,
    )> {
        let l = crate::head::layout(data);
        let r = self.table.record(data, &l);
        let facts = match crate::facts::facts(data, &r, self.ids) {
            Some(f) => Some(self.facts_tuple(py, f)?),
            None => None,
        };
        let index = index_bytes(py, &l, &r);
        let ident = match crate::ident::ident(data, &l, &r, self.ident_ids) {
            Some(i) => Some(self.ident_tuple(py, i)?),
            None => None,
        };
        Ok((
            l.lead,
            l.head_end,
            l.body_at,
            l.terminated,
            l.start_end,
            index,
            r.unknown,
            r.others,
            r.specials,
            facts,
            ident,
        ))
    }

    /// (head_end, index, unknown) of `parse`, without the facts and the identity: the header
    /// index of a message whose bytes were read back from its capture file.
    fn index<'py>(
        &mut self,
        py: Python<'py>,
        data: &[u8],
    ) -> (usize, Bound<'py, PyBytes>, Vec<u32>) {
        let l = crate::head::layout(data);
        let r = self.table.record(data, &l);
        let index = index_bytes(py, &l, &r);
        (l.head_end, index, r.unknown)
    }
}

/// The header index as the bytes of the array Python keeps (native byte order): 16-bit items
/// when every offset and id fits, as in `parser.parse_message`.
fn index_bytes<'py>(
    py: Python<'py>,
    l: &crate::head::Layout,
    r: &crate::head::Record,
) -> Bound<'py, PyBytes> {
    let narrow = l.head_end < 65536 && r.unknown.is_empty();
    let mut raw = Vec::with_capacity(r.index.len() * if narrow { 2 } else { 4 });
    for &v in &r.index {
        if narrow {
            raw.extend_from_slice(&(v as u16).to_ne_bytes());
        } else {
            raw.extend_from_slice(&v.to_ne_bytes());
        }
    }
    PyBytes::new(py, &raw)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<CaptureScanner>()?;
    m.add_function(wrap_pyfunction!(looks_like_sip, m)?)?;
    m.add_function(wrap_pyfunction!(ip_text, m)?)?;
    m.add_function(wrap_pyfunction!(head_layout, m)?)?;
    m.add_class::<HeadParser>()?;
    Ok(())
}
