"""How far one input may make sipdiag go: line length, gzip expansion. Settable, documented.

A hostile or broken input must cost bounded memory and time, whatever its size claims:

* `max_line`: a text line longer than this is cut there (the rest of the line is skipped
  unread into memory, with a warning naming the line); the lines after it are read as usual.
* `max_expand`: a gzip'd input stops expanding after this many bytes (warning naming the last
  frame or line read).
* `max_ratio`: ... and once it has produced `RATIO_GRACE` bytes, whenever it has expanded more
  than this many times its compressed size so far (a compression bomb: zeros compress about
  1000:1, real captures and logs 2:1 to 30:1).

Each has an environment variable (`SIPDIAG_MAX_LINE`, `SIPDIAG_MAX_EXPAND`, `SIPDIAG_MAX_RATIO`)
and a command line option (`--max-line`, `--max-expand`, `--max-ratio`) that overrides it.
Sizes take a K, M or G suffix (powers of 1024); 0 means no limit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

RATIO_GRACE = 16 << 20
"""Bytes a gzip'd input may expand to before `max_ratio` is checked (small files are never refused)."""

_SIZE = re.compile(r"^\s*([0-9]{1,15})\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """'64K', '1M', '8G', '1000' → bytes; raises ValueError for anything else."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a size (a number with an optional K, M or G suffix)")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def format_size(n: int) -> str:
    """Bytes → '1 MiB', '8 GiB', '300 KiB', '16.1 MiB', '1000 bytes'."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    if n >= 1 << 20:
        return f"{n / (1 << 20):,.1f} MiB"
    return f"{n} bytes"


@dataclass(slots=True)
class Limits:
    """The limits in force (0: no limit)."""

    max_line: int = 1 << 20
    max_expand: int = 8 << 30
    max_ratio: int = 100

    @classmethod
    def from_environ(cls, environ=os.environ) -> "Limits":
        """The defaults, overridden by SIPDIAG_MAX_LINE / _EXPAND / _RATIO where set (bad values are errors)."""
        limits = cls()
        for name, var in (("max_line", "SIPDIAG_MAX_LINE"), ("max_expand", "SIPDIAG_MAX_EXPAND"),
                          ("max_ratio", "SIPDIAG_MAX_RATIO")):
            value = environ.get(var)
            if value:
                try:
                    setattr(limits, name, parse_size(value))
                except ValueError as exc:
                    raise ValueError(f"{var}: {exc}") from None
        return limits


def _initial() -> Limits:
    try:
        return Limits.from_environ()
    except ValueError:  # cli.py reports it; a library caller gets the defaults
        return Limits()


LIMITS = _initial()
"""The limits sources/ read with: the environment's at import; `cli.py` applies its options."""


def configure(**values: int | None) -> None:
    """Set the given limits (None leaves one as it is)."""
    for name, value in values.items():
        if value is not None:
            setattr(LIMITS, name, value)
