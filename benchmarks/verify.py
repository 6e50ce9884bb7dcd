"""Check a generated capture with tshark: no malformed packets, and the SIP counts of its sidecar.

How this works: one tshark pass reads the file with IPv4, UDP and TCP checksum validation on
(`-o ip.check_checksum:TRUE` …) and two taps: `-z expert` (every expert-info item: malformed
packets are errors, bad checksums errors too, TCP sequence trouble warnings) and `-z sip,stat`
(SIP messages per request method and response status; the SIP dissector taps once per
message, so a TCP segment that holds several messages counts several). The result is compared
with the generator's ground truth and cached beside the capture (`*.verified.json`) so the
runner verifies each file once, not once per run.

`parse_sip_stat` is shared with the runner, which reads the same table from its timed
`tshark -z sip,stat` runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHECKSUM_OPTIONS = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]

_TOTAL = re.compile(r"Number of SIP messages:\s*(\d+)")
_RESENT = re.compile(r"Number of resent SIP messages:\s*(\d+)")
_STATUS = re.compile(r"^\s*SIP (\d{3}) .*?:\s*(\d+) Packets", re.M)
_METHOD = re.compile(r"^\s*([A-Z]+)\s*:\s*(\d+) Packets", re.M)
_EXPERT_SECTION = re.compile(r"^(Errors|Warnings|Notes|Chats) \((\d+)\)", re.M)
_EXPERT_ROW = re.compile(r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$")


@dataclass
class SipStat:
    """tshark's `-z sip,stat` table."""

    messages: int = 0
    resent: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    responses: dict[str, int] = field(default_factory=dict)


def parse_sip_stat(text: str) -> SipStat | None:
    """The sip,stat table in tshark's output, or None when there is none."""
    total = _TOTAL.search(text)
    if total is None:
        return None
    stat = SipStat(int(total.group(1)))
    resent = _RESENT.search(text)
    stat.resent = int(resent.group(1)) if resent else 0
    head, _, methods = text.partition("List of SIP Request methods")
    for code, n in _STATUS.findall(head):
        stat.responses[code] = stat.responses.get(code, 0) + int(n)
    for method, n in _METHOD.findall(methods.split("Average setup time")[0]):
        stat.requests[method] = int(n)
    return stat


def parse_expert(text: str) -> dict[str, list[str]]:
    """Expert-info rows by severity ('Errors', 'Warnings', 'Notes', 'Chats'): "count group protocol summary"."""
    out: dict[str, list[str]] = {}
    rows = None
    for line in text.splitlines():
        m = _EXPERT_SECTION.match(line)
        if m:
            rows = out[m.group(1)] = []
        elif line.startswith("=" * 10) and rows is not None and not line.startswith("=" * 20):
            continue  # the short rule under a section title
        elif rows is not None and (row := _EXPERT_ROW.match(line)):
            rows.append(" ".join(row.groups()))
        elif line.startswith("=" * 20):
            rows = None  # the next tap's table
    return out


def compare(stat: SipStat, truth: dict) -> list[str]:
    """Differences between tshark's SIP counts and the sidecar's, one line each; empty when they agree."""
    problems = []
    if stat.messages != truth["sip_messages"]:
        problems.append(f"SIP messages: tshark {stat.messages:,}, ground truth {truth['sip_messages']:,}")
    for kind, ours, theirs in (("request", truth["sip_requests"], stat.requests),
                               ("response", truth["sip_responses"], stat.responses)):
        for key in sorted(set(ours) | set(theirs)):
            if ours.get(key, 0) != theirs.get(key, 0):
                problems.append(f"{kind} {key}: tshark {theirs.get(key, 0):,}, ground truth {ours.get(key, 0):,}")
    return problems


@dataclass
class Verification:
    """The outcome of one verifying tshark pass over a capture."""

    tshark_messages: int
    mismatches: list[str]
    errors: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.errors or self.warnings)


def verify(path: Path, truth: dict, tshark: str | None = None) -> Verification:
    """Run the checking tshark pass (cached in `<capture>.verified.json`)."""
    cache = path.with_suffix(".verified.json")
    if cache.exists() and cache.stat().st_mtime >= path.stat().st_mtime:
        return Verification(**json.loads(cache.read_text()))
    tshark = tshark or shutil.which("tshark")
    if tshark is None:
        raise FileNotFoundError("tshark is not installed")
    p = subprocess.run([tshark, "-n", "-q", "-r", str(path), *CHECKSUM_OPTIONS, "-z", "expert", "-z", "sip,stat"],
                       capture_output=True, text=True)
    stat = parse_sip_stat(p.stdout)
    expert = parse_expert(p.stdout)
    result = Verification(stat.messages if stat else 0,
                          compare(stat, truth) if stat else ["tshark printed no sip,stat table"],
                          expert.get("Errors", []), expert.get("Warnings", []))
    cache.write_text(json.dumps(asdict(result), indent=2) + "\n")
    return result
