"""The one family of errors sipdiag raises; `cli.py` turns them into a message and an exit code.

Every message names what it is about as it can be printed: file names pass through `inert`
(control characters and bytes that are not UTF-8 shown escaped).
"""

from __future__ import annotations

from .inert import inert


class SipdiagError(Exception):
    """Base of every error sipdiag reports to the user as one line."""

    exit_code = 2


class InputError(SipdiagError):
    """An input file cannot be read at all: missing, empty, unknown or unsupported format."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{inert(path)}: {problem}")
        self.path = path
        self.problem = problem


class UsageError(SipdiagError):
    """The command line asks for something that cannot be done."""


class OutputError(SipdiagError):
    """The report cannot be written: a missing directory, a full disk, a closed pipe."""

    def __init__(self, target: str, problem: str) -> None:
        super().__init__(f"cannot write {inert(target)}: {problem}")
        self.target = target
        self.problem = problem
