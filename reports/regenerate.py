#!/usr/bin/env python3
"""Regenerate the example reports in this folder from the bundled samples.

    python reports/regenerate.py              # HTML reports (+ the README screenshots if chromium is there)
    python reports/regenerate.py --check      # exit 1 if a committed report differs from a fresh one

tests/test_example_reports.py runs the check, so the examples never go stale: after a change
to the rules or the report, run this script and commit the result.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPORTS = Path(__file__).resolve().parent
REPO = REPORTS.parent

EXAMPLES: list[tuple[str, list[str], list[str]]] = [
    # (report file, inputs relative to the repository, extra options)
    ("ast-01-aor-404.html", ["samples/lab/ast-01-aor-404.pcap"], []),
    ("ast-01-aor-404-with-pbx-log.html",
     ["samples/lab/ast-01-aor-404.pcap", "samples/lab/ast-01-aor-404.pjsip-logger.log"], []),
    ("ast-01-aor-404-redacted.html",
     ["samples/lab/ast-01-aor-404.pcap", "samples/lab/ast-01-aor-404.pjsip-logger.log"], ["--redact"]),
    ("ast-02-fixed-200.html", ["samples/lab/ast-02-fixed-200.pcap", "samples/lab/ast-02-fixed-200.pjsip-logger.log"],
     []),
    ("lab-04b-ip-ruri-mapped-to-contact-ok.html", ["samples/lab/lab-04b-ip-ruri-mapped-to-contact-ok.pcap"], []),
    ("lab-06a-call-rejected-486.html", ["samples/lab/lab-06a-call-rejected-486.pcap"], []),
    ("lab-09-udp-big-invite-ip-fragmented.html", ["samples/lab/lab-09-udp-big-invite-ip-fragmented.pcap"], []),
]
SCREENSHOTS = [
    # (report, picture, window width, window height): the README shows both
    ("ast-01-aor-404.html", "ast-01-aor-404.png", 1400, 2300),
    ("ast-01-aor-404.html", "ast-01-aor-404-390px.png", 390, 2400),
]


def render(name: str, inputs: list[str], options: list[str], out_dir: Path) -> Path:
    """Run the real command line, from the repository, so the report shows the same paths a user's would."""
    out = out_dir / name
    cmd = [sys.executable, "-m", "sipdiag", "analyze", *inputs, "--format", "html", "-o", str(out), *options]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()}")
    return out


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2300) -> bool:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: screenshot not updated", file=sys.stderr)
        return False
    subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri()],
                   check=True, capture_output=True)
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args()
    if args.check:
        stale = []
        with tempfile.TemporaryDirectory() as tmp:
            for name, inputs, options in EXAMPLES:
                fresh = render(name, inputs, options, Path(tmp)).read_text(encoding="utf-8")
                committed = REPORTS / name
                if not committed.exists() or committed.read_text(encoding="utf-8") != fresh:
                    stale.append(name)
        for name in stale:
            print(f"stale: reports/{name} (run python reports/regenerate.py)")
        return 1 if stale else 0
    for name, inputs, options in EXAMPLES:
        print(f"reports/{render(name, inputs, options, REPORTS).name}")
    for html, png, width, height in SCREENSHOTS:
        if screenshot(REPORTS / html, REPORTS / png, width, height):
            print(f"reports/{png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
