"""Text from a capture or the command line, made safe to show on a terminal: `inert()`.

A header value (User-Agent, Server, Call-ID) or a file name is peer data. Written raw to a
terminal, an ESC starts a control sequence (clear the screen, set colours, an OSC that sets
the window title), a CR overwrites the line, a BEL rings. `inert()` shows every such
character as a Python-style escape (`\\x1b`, `\\r`, `\\u202e`), so what the capture holds is
visible and does nothing: C0 controls and DEL, C1 controls (U+0080-U+009F), bidirectional
overrides and isolates (they reorder what follows, "Trojan Source"), line and paragraph
separators, and lone surrogates (bytes of a file name that are not UTF-8, as Python decodes
them, shown as the byte: `\\xff`). Backslashes are left alone, so `inert` is idempotent.

Rich markup (`[bold]`) is a second kind of injection; terminal output passes peer text as
`rich.text.Text`, never as a markup string, and `inert_text()` builds one.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # a byte that os.fsdecode could not decode (surrogateescape)
        return f"\\x{n - 0xDC00:02x}"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def inert(text: object, newlines: bool = False) -> str:
    """`text` with control and reordering characters shown escaped; `newlines` keeps LF as is."""
    s = str(text)
    if newlines:
        return "\n".join(_UNSAFE.sub(_escape, part) for part in s.split("\n"))
    return _UNSAFE.sub(_escape, s)


def inert_text(text: object, style: str = "", newlines: bool = False):
    """A `rich.text.Text` of `inert(text)`: literal, never read as markup."""
    from rich.text import Text

    return Text(inert(text, newlines), style=style)
