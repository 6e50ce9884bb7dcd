"""Text traces people paste into tickets → `Frame`s (one per SIP message) and `LogEvent`s.

Each module here reads one text format. A reader class has:

* `format`: the name shown to users (e.g. 'pjsip-logger');
* `sniff(head: str) -> int`: 0..100, how sure it is that a file starting with `head` is its format;
* `__init__(path, open_text)`: `open_text()` returns a fresh iterator of decoded lines;
* `summary`: an `InputSummary`, and `__iter__` yielding `Frame | LogEvent` in file order.

`detect()` asks every reader and takes the most confident one.
"""

from __future__ import annotations

from ..frame import InputSummary  # noqa: F401  (re-exported for reader modules)

READERS: list[type] = []


def detect(path: str, head: bytes, gzipped: bool = False):
    """Return a reader for the text file `path`, or None if no text format fits."""
    from .textio import decode_head, line_opener

    text = decode_head(head)
    best, best_score = None, 0
    for reader in READERS:
        score = reader.sniff(text)
        if score > best_score:
            best, best_score = reader, score
    if best is None:
        return None
    return best(path, line_opener(path))
