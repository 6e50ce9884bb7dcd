"""Inputs the long fuzzing runs (fuzz/) broke once: each must now go through the whole pipeline.

Every file in tests/data/fuzz/ is a crash input atheris found, kept under a name that says what
it holds. The pipeline is the one `fuzz/fuzz_inputs.py` drives: detection, reading, dissection,
flows, rules (no rule may crash: SD900) and the verdict.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdiag.dissect import dissect
from sipdiag.errors import InputError
from sipdiag.flow import build_analysis
from sipdiag.rules import run_rules
from sipdiag.rules.verdict import decide
from sipdiag.sources import open_data

CRASHES = sorted((Path(__file__).parent / "data" / "fuzz").iterdir())


@pytest.mark.parametrize("path", CRASHES, ids=lambda p: p.name)
def test_former_crash_input_goes_through(path):
    try:
        source = open_data(path.name, path.read_bytes())
    except InputError:
        return
    analysis = build_analysis([(source.summary, list(dissect(source)))])
    findings = run_rules(analysis)
    assert not [f.title for f in findings if f.code == "SD900"]
    assert decide(analysis, findings)


def test_lan_side_contact_port_without_a_server_response():
    """A LAN-side capture where the phone's Contact port differs from its source port and the
    server never answered: no public port is known, so the finding names the source port."""
    source = open_data("x.pcap", (Path(__file__).parent / "data" / "fuzz" / "lan-contact-port-no-response.pcap")
                       .read_bytes())
    analysis = build_analysis([(source.summary, list(dissect(source)))])
    titles = [f.title for f in run_rules(analysis) if f.slug == "contact-port-mismatch"]
    assert titles == ["Contact port 5020 ≠ source port 5060 for 192.0.2.10:5060"]
