"""The one family of errors sipdiag raises; `cli.py` turns them into a message and an exit code."""

from __future__ import annotations


class SipdiagError(Exception):
    """Base of every error sipdiag reports to the user as one line."""

    exit_code = 2


class InputError(SipdiagError):
    """An input file cannot be read at all: missing, empty, unknown or unsupported format."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class UsageError(SipdiagError):
    """The command line asks for something that cannot be done."""
