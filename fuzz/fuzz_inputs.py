"""atheris harness: bytes as a whole input file → format detection, the capture reader (the
compiled core when built, else pure Python; SIPDIAG_PURE=1 forces it), the text-log readers,
dissection, flows, rules and the verdict.

Run (see fuzz/README.md): python fuzz/fuzz_inputs.py -atheris_runs=1000000 fuzz/seeds-inputs
`InputError` (input that cannot be read at all, said in one line) is the expected outcome for
most mutations; any other exception is a bug.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from sipdiag.dissect import dissect
    from sipdiag.errors import InputError
    from sipdiag.flow import build_analysis
    from sipdiag.rules import run_rules
    from sipdiag.rules.verdict import decide
    from sipdiag.sources import open_data


def test_one_input(data: bytes) -> None:
    try:
        source = open_data("fuzz.bin", data)
        items = list(dissect(source))  # a capture damaged before its first packet ends in InputError
    except InputError:
        return
    analysis = build_analysis([(source.summary, items)])
    findings = run_rules(analysis)
    if any(f.code == "SD900" for f in findings):
        raise RuntimeError("a rule crashed: " + "; ".join(f.title for f in findings if f.code == "SD900"))
    decide(analysis, findings)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
