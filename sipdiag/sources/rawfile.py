"""The bytes of SIP messages left in their capture file and read back when asked for.

A message that was one whole UDP datagram of a plain (not gzip'd) regular capture file is a
slice of that file. Once parsed, the message lets go of its bytes and keeps where they are
(`SipMessage.leave_in`, called by dissect.py); what the flow layer, rules and reports ask of it
beyond its key facts reads the bytes back with `pread`, the last ones kept in a small cache
(about 100k reads for the 200k messages of the benchmark's 1M capture). Its bytes were a fifth
of what a message held; with the compiled core it lets go of its header index too, which the
core finds again in the bytes read back in about a microsecond (`SipMessage._layout`).

If the file changed after it was read (truncated, rewritten), the bytes read back are not the
message's any more: a read that comes back short or with other bytes (their hash differs from
the one taken when the message was parsed) is an `InputError`, never a wrong answer.
"""

from __future__ import annotations

import os
from collections import OrderedDict

from ..errors import InputError

RECENT = 512
"""Messages read back and kept, most recent first: a rule asks a message several questions."""


class RawFile:
    """One capture file to read message bytes back from (opened on the first read)."""

    __slots__ = ("path", "name", "index_of", "_fd", "_recent")

    def __init__(self, path: str, name: str) -> None:
        self.path = path
        self.name = name
        self.index_of = None
        """The parser's header index function (bytes → index) when it is quick (the compiled
        core's), given by dissect.py: then a message left here keeps no index either and finds
        it again when asked (`SipMessage._layout`); None: messages keep their index."""
        self._fd: int | None = None
        self._recent: OrderedDict[int, list] = OrderedDict()
        """offset → [bytes, their header index or None until asked], most recent last."""

    def read(self, offset: int, length: int, digest: int) -> bytes:
        """The `length` bytes at `offset`, whose `hash()` is `digest`."""
        return self._entry(offset, length, digest)[0]

    def read_indexed(self, offset: int, length: int, digest: int, index_of) -> tuple[bytes, object]:
        """`read`, and the header index `index_of` finds in those bytes (kept with them)."""
        entry = self._entry(offset, length, digest)
        if entry[1] is None:
            entry[1] = index_of(entry[0])
        return entry[0], entry[1]

    def _entry(self, offset: int, length: int, digest: int) -> list:
        recent = self._recent
        entry = recent.get(offset)
        if entry is not None and len(entry[0]) == length:
            recent.move_to_end(offset)
            return entry
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY)
            data = os.pread(self._fd, length, offset)
        except OSError as exc:
            raise InputError(self.name, f"cannot be read again: {exc.strerror or exc}") from None
        if len(data) != length or hash(data) != digest:
            raise InputError(self.name, "changed while it was being analysed (a message read again at byte "
                                        f"{offset} is not what was read the first time); analyse a copy that "
                                        "is not being written to")
        entry = recent[offset] = [data, None]
        if len(recent) > RECENT:
            recent.popitem(last=False)
        return entry

    def close(self, _close=os.close) -> None:
        """Close the descriptor (`_close` is bound early: this also runs at interpreter exit)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            _close(fd)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing to report from a destructor
            pass

    def __reduce__(self):
        """Pickled as its path: the descriptor is opened again where it is read."""
        return (RawFile, (self.path, self.name))
