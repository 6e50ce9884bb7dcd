#!/usr/bin/env python3
"""Write the golden findings of every bundled lab trace: tests/golden/<trace>.json.

The golden files say what sipdiag concludes on each bundled sample (verdict, and every finding's
code, severity, title and evidence), so a change to the engine that alters a conclusion shows up
as a diff to review, not as silence. They are compared by tests/test_golden.py. After a change
that is *meant* to alter findings, refresh them and read the diff before committing:

    python tests/golden/refresh.py && git diff tests/golden/

Whether a conclusion is *right* is judged elsewhere, against the ground truth written by a person
(tests/test_verdict.py, tests/rule_cases.toml); these files only pin what the code does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LAB = REPO / "samples" / "lab"

EVENTS = {  # golden name → inputs (relative to the repository); one event per bundled trace
    **{p.name: [f"samples/lab/{p.name}"] for p in sorted(LAB.iterdir())
       if p.suffix in (".pcap", ".log") or p.name.endswith(".console.txt")},
    "ast-01-aor-404+log+conf": ["samples/lab/ast-01-aor-404.pcap", "samples/lab/ast-01-aor-404.pjsip-logger.log",
                                "samples/lab/asterisk-config/pjsip-01-aor-404.conf"],
    "ast-02-fixed-200+log+conf": ["samples/lab/ast-02-fixed-200.pcap", "samples/lab/ast-02-fixed-200.pjsip-logger.log",
                                  "samples/lab/asterisk-config/pjsip-02-fixed.conf"],
}


def golden(inputs: list[str]) -> dict:
    """The conclusions on one event, scrubbed of anything that depends on the machine."""
    import os

    from sipdiag.analysis import analyze_paths
    from sipdiag.rules import run_rules
    from sipdiag.rules.verdict import decide

    cwd = os.getcwd()
    os.chdir(REPO)  # evidence names the inputs as given: relative to the repository
    try:
        analysis = analyze_paths(inputs)
        findings = run_rules(analysis)
        verdicts = decide(analysis, findings)
    finally:
        os.chdir(cwd)
    return {
        "inputs": inputs,
        "sip_messages": len(analysis.messages),
        "flows": [[f.id, f.kind, f.outcome] for f in analysis.flows],
        "verdicts": [[v.slug, v.severity, v.title, [c.code for c in v.explains]] for v in verdicts],
        "findings": [[f.code, f.severity, f.title, [str(o) for o in f.evidence]] for f in findings],
    }


def main() -> int:
    for name, inputs in EVENTS.items():
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(golden(inputs), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(EVENTS)} golden files in {HERE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
