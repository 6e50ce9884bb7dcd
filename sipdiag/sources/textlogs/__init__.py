"""Text traces people paste into tickets → `Frame`s (one per SIP message) and `LogEvent`s.

Each module here reads one text format. A reader class has:

* `format`: the name shown to users (e.g. 'pjsip-logger');
* `sniff(head: str) -> int`: 0..100, how sure it is that a file starting with `head` is its format;
* `__init__(path, open_lines)`: `open_lines()` returns a fresh iterator of decoded lines
  (`textio.line_opener`);
* `summary`: an `InputSummary`, and `__iter__` yielding `Frame | LogEvent` in file order.

`detect()` asks every reader and takes the most confident one (the first registered on a tie).
Readers: `pjsip` (Asterisk `pjsip set logger`), `chan_sip` (Asterisk `sip set debug`),
`freeswitch` (sofia siptrace), `sngrep` (.txt export), `ngrep` (-W byline), `plain` (pasted
messages, lowest score). What they share: `textio` (decoding, lines), `message` (recovering
one SIP message and repairing it), `asterisk` (Asterisk log lines), `clock` (timestamps),
`local` (the logging host's own address, from what it sends, in place of `LOCAL`).
"""

from __future__ import annotations

from ..frame import InputSummary  # noqa: F401  (re-exported for reader modules)

READERS: list[type] = []


def detect(path: str, head: bytes, gzipped: bool = False, open_raw=None):
    """Return a reader for the text file `path`, or None if no text format fits.

    `open_raw()`, when given, opens the (still compressed) content instead of the file `path`."""
    from .textio import decode_head, line_opener

    text = decode_head(head)
    best, best_score = None, 0
    for reader in READERS:
        score = reader.sniff(text)
        if score > best_score:
            best, best_score = reader, score
    if best is None:
        return None
    reader = best(path, line_opener(path, open_raw))
    if gzipped:
        reader.summary.format += "+gzip"
    return reader


def _register() -> None:
    from .chan_sip import ChanSipReader
    from .freeswitch import FreeswitchReader
    from .ngrep import NgrepReader
    from .pjsip import PjsipLoggerReader
    from .plain import PlainSipReader
    from .sngrep import SngrepReader

    READERS.extend([PjsipLoggerReader, ChanSipReader, FreeswitchReader, SngrepReader, NgrepReader, PlainSipReader])


_register()
