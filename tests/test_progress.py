"""The progress bar of `analyze` and `messages`: on stderr when it is a terminal, silent otherwise.

The bar normally appears only after half a second; SIPDIAG_PROGRESS_AFTER=0 shows it at once, so
a bundled sample is enough to see it. Under a pseudo-terminal (pty) it must be there, on stderr,
with the file name and the counts; piped it must leave no trace, and stdout (the JSON) is the
same either way.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "samples" / "lab" / "ast-01-aor-404.pcap"
SIPDIAG = [sys.executable, "-m", "sipdiag"]


def _env() -> dict:
    env = dict(os.environ, SIPDIAG_PROGRESS_AFTER="0", TERM="xterm-256color", COLUMNS="140")
    env.pop("NO_COLOR", None)
    return env


def _run_with_pty_stderr(args: list[str]) -> tuple[int, bytes, bytes]:
    """Run sipdiag with stderr on a pseudo-terminal and stdout on a pipe: (status, stdout, terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(SIPDIAG + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            env=_env(), cwd=ROOT)
    os.close(slave)
    terminal = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not data:
            break
        terminal += data
    out = proc.stdout.read()
    proc.stdout.close()
    status = proc.wait(timeout=60)
    os.close(master)
    return status, out, bytes(terminal)


@pytest.mark.parametrize("args", [
    ["analyze", str(CAPTURE), "--format", "json"],
    ["messages", str(CAPTURE), "--format", "json"],
])
def test_progress_bar_on_a_terminal(args):
    status, out, terminal = _run_with_pty_stderr(args)
    assert status in (0, 1)
    text = terminal.decode("utf-8", "replace")
    assert CAPTURE.name in text
    assert "SIP messages" in text and "packets" in text
    assert "\x1b[" in text  # drawn, then erased: the bar is transient
    doc = json.loads(out)  # stdout holds the document and nothing of the bar
    assert doc["schema"].startswith(("sipdiag.analysis/", "sipdiag.messages/"))
    assert b"\x1b" not in out and b"SIP messages" not in out


@pytest.mark.parametrize("args", [
    ["analyze", str(CAPTURE), "--format", "json"],
    ["messages", str(CAPTURE), "--format", "json"],
    ["messages", str(CAPTURE)],
])
def test_progress_bar_silent_when_stderr_is_not_a_terminal(args):
    proc = subprocess.run(SIPDIAG + args, stdin=subprocess.DEVNULL, capture_output=True, env=_env(), cwd=ROOT,
                          timeout=60)
    assert proc.returncode in (0, 1)
    assert b"\x1b" not in proc.stderr and b"\r" not in proc.stderr and b"\x1b" not in proc.stdout
    # only the lines sipdiag always prints there: the listing's per-input summary line
    assert [line for line in proc.stderr.decode().splitlines() if not line.startswith("# ")] == []


def test_same_document_with_and_without_the_bar():
    args = ["analyze", str(CAPTURE), "--format", "json"]
    _status, with_bar, _terminal = _run_with_pty_stderr(args)
    piped = subprocess.run(SIPDIAG + args, stdin=subprocess.DEVNULL, capture_output=True, env=_env(), cwd=ROOT,
                           timeout=60).stdout
    assert json.loads(with_bar)["findings"] == json.loads(piped)["findings"]
