"""Run one command as a child process and measure its wall time and peak RSS.

How this works: the command runs under GNU time (`/usr/bin/time -v -o FILE`, Debian package
`time`), whose "Maximum resident set size" is the child's own peak RSS; the wall time is taken
here around the whole run, so it includes process start-up (the tools are compared as the
commands a user types). Without GNU time the child's rusage comes from `os.wait4`, which,
unlike `RUSAGE_CHILDREN`, belongs to that one child. A run that outlives `timeout` seconds is
killed (its whole process group) and reported as timed out, not as a time; its RSS is then
the highest VmHWM (peak RSS so far) of the process tree, read from /proc just before the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = "/usr/bin/time"


@dataclass
class Measurement:
    """One run of one command."""

    seconds: float
    rss_mb: float | None
    returncode: int | None  # None: killed after the timeout
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def tree_peak_rss_mb(pid: int) -> float | None:
    """The highest VmHWM of `pid` and its descendants (Linux /proc), in MB; None if unreadable."""
    peak, todo = None, [pid]
    while todo:
        n = todo.pop()
        try:
            for line in Path(f"/proc/{n}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kb = int(line.split()[1])
                    peak = kb / 1024 if peak is None else max(peak, kb / 1024)
            todo += [int(c) for c in Path(f"/proc/{n}/task/{n}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return peak


def _communicate(p: subprocess.Popen, timeout: float | None) -> tuple[str, str, float | None]:
    """stdout, stderr, and None if it finished, else the tree's peak RSS when it was killed."""
    try:
        out, err = p.communicate(timeout=timeout)
        return out, err, None
    except subprocess.TimeoutExpired:
        rss = tree_peak_rss_mb(p.pid) or 0.0
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return out, err, rss


def run(cmd: list[str], timeout: float | None = None) -> Measurement:
    """Run `cmd`, capturing stdout and stderr as text; measure wall time and peak RSS."""
    if os.path.exists(GNU_TIME):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            started = time.perf_counter()
            p = subprocess.Popen([GNU_TIME, "-v", "-o", tf.name, *cmd], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
            out, err, rss_at_kill = _communicate(p, timeout)
            seconds = time.perf_counter() - started
            rss = rss_at_kill
            for line in Path(tf.name).read_text().splitlines():
                if "Maximum resident set size" in line:
                    rss = int(line.rsplit(":", 1)[1]) / 1024
        return Measurement(seconds, rss, None if rss_at_kill is not None else p.returncode, out, err)
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        started = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, start_new_session=True)
        killed = False
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - started > timeout:
                killed_rss = tree_peak_rss_mb(p.pid)
                os.killpg(p.pid, signal.SIGKILL)
                _, status, usage = os.wait4(p.pid, 0)
                killed = True
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        rss = killed_rss if killed and killed_rss else usage.ru_maxrss / 1024
        return Measurement(seconds, rss, None if killed else p.returncode, fo.read(), fe.read())
