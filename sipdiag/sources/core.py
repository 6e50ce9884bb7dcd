"""Which capture core walks the records: the compiled Rust scanner or the pure-Python twin.

The compiled core (`sipdiag._core`, built from rust/ when a Rust toolchain is present at
install time) is used when it can be imported, unless `SIPDIAG_PURE=1` is set; without it the
pure-Python reader (pcapfile + packet) does the same work, with the same results, more slowly.
`describe()` is what `sipdiag --version` prints.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Callable

try:
    from .. import _core as _compiled
except ImportError:  # built without a Rust toolchain: the pure-Python twin reads every capture
    _compiled = None


def forced_pure() -> bool:
    """`SIPDIAG_PURE` is set to something other than empty or 0."""
    return os.environ.get("SIPDIAG_PURE", "") not in ("", "0")


def compiled() -> ModuleType | None:
    """The compiled core module, or None when it is not built or SIPDIAG_PURE=1."""
    if _compiled is None or forced_pure():
        return None
    return _compiled


def describe() -> str:
    """e.g. 'rust 0.1.0', 'pure-python, SIPDIAG_PURE=1', 'pure-python, compiled core not built'."""
    if _compiled is None:
        return "pure-python, compiled core not built"
    if forced_pure():
        return "pure-python, SIPDIAG_PURE=1"
    return f"rust {_compiled.__version__}"


def sip_sniff() -> Callable[[bytes], bool]:
    """The datagram filter the scanner implements itself (sip/grammar.py's SNIFF).

    When a reader's `datagram_filter` is this very function, the scanner applies the test and
    Python never sees the datagrams it rejects.
    """
    from ..sip.framing import looks_like_sip

    return looks_like_sip
