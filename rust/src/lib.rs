//! sipdiag's compiled capture core: the per-packet loop of `sipdiag.sources.capture`.
//!
//! A capture is hostile input, so the loop that touches every byte of it is written in safe
//! Rust (every module here is `#![forbid(unsafe_code)]`; the PyO3 binding in `python.rs` has no
//! `unsafe` of its own). The pure-Python reader stays the reference: this crate reproduces its
//! output exactly — same records, warnings, frame numbers, addresses, float timestamps and RTP
//! counts — and everything it does not handle on the fast path it hands back to Python. See
//! README.md beside this file.
#![cfg_attr(not(feature = "python"), forbid(unsafe_code))]

/// The crate's hash maps on hot paths (interning tables, the header-name table, the RTP flow
/// index): foldhash, seeded per process, so a capture cannot be crafted ahead of time to collide
/// its keys (as with a fixed-seed hash such as FxHash), and several times faster than SipHash on
/// the short keys a message meets a dozen times.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub mod addr;
pub mod decode;
pub mod facts;
pub mod head;
pub mod ident;
pub mod scanner;
pub mod sniff;
pub mod walk;

#[cfg(feature = "python")]
mod python;
