"""What a benchmark ran on: date, CPU, cores, memory, load, and the versions of every tool timed.

`sipdiag --version` is quoted verbatim (it names the active core when sipdiag has a compiled
one); the other tools' first version line is kept. Everything here reads the system, nothing
is guessed.
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path


def _first_line(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({' '.join(cmd)}: {exc})"
    lines = [ln.strip() for ln in (p.stdout or p.stderr).splitlines() if ln.strip()]
    return lines[0] if lines else "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _git_commit(repo: Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
    return (head or "?") + (" (with uncommitted changes)" if dirty else "")


def describe(sipdiag: list[str], repo: Path) -> dict:
    """The header of a benchmark run, as a dict (it goes into the results JSON too)."""
    mem = _memory_gb()
    version = subprocess.run([*sipdiag, "--version"], capture_output=True, text=True)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem, 1) if mem else None,
        "kernel": platform.release(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "sipdiag_version": (version.stdout or version.stderr).strip(),
        "sipdiag_commit": _git_commit(repo),
        "python": sys.version.split()[0],
        "tshark": _first_line([shutil.which("tshark") or "tshark", "-v"]) if shutil.which("tshark") else "not installed",
        "sngrep": _first_line([shutil.which("sngrep") or "sngrep", "-V"]) if shutil.which("sngrep") else "not installed",
    }


def header_lines(info: dict) -> list[str]:
    """The header as Markdown lines, ready to paste above the tables."""
    load = " / ".join(f"{x:.2f}" for x in info["load_average"])
    end = info.get("load_average_end")
    load_end = f", at the end {' / '.join(f'{x:.2f}' for x in end)}" if end else ""
    sipdiag = info["sipdiag_version"].replace("\n", "; ")
    return [
        f"**{info['date']}** · {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB RAM, Linux {info['kernel']} · "
        f"load average (1/5/15 min) at the start {load}{load_end}",
        f"`sipdiag --version`: {sipdiag} (commit {info['sipdiag_commit']}) · Python {info['python']} · "
        f"{info['tshark']} · {info['sngrep']}",
    ]
