"""A PBX log and a capture of the same event list the same SIP messages.

The lab recorded each Asterisk scenario twice: a pcap on the PBX's public interface and the
PBX's own `pjsip set logger on` output (log file and console form). Read on their own, both
must give the same messages in the same order, with the same addresses (the PBX's address in
the log is inferred from what it sends); given together, they merge into one story where every
message has two pieces of evidence.
"""

from __future__ import annotations

import pytest
from conftest import SAMPLES

from sipdiag.analysis import analyze_paths
from sipdiag.dissect import read_messages
from sipdiag.sip.message import SipMessage

LAB = SAMPLES / "lab"
PAIRS = [(f"{case}.pcap", f"{case}.{form}") for case in ("ast-01-aor-404", "ast-02-fixed-200")
         for form in ("pjsip-logger.log", "console.txt")]


def rows(path):
    _source, items = read_messages(str(path))
    return [(m.start_line, m.call_id, m.cseq, str(m.src), str(m.dst), m.transport)
            for m in items if isinstance(m, SipMessage)]


@pytest.mark.parametrize("capture, log", PAIRS, ids=lambda x: x)
def test_log_lists_the_same_messages_as_the_capture(capture, log):
    assert rows(LAB / log) == rows(LAB / capture)


@pytest.mark.parametrize("capture, log", PAIRS, ids=lambda x: x)
def test_capture_and_log_merge_into_one_story(capture, log):
    alone = analyze_paths([str(LAB / capture)])
    both = analyze_paths([str(LAB / capture), str(LAB / log)])
    assert len(both.messages) == len(alone.messages)
    assert all(len(both.also_seen.get(m.seq, [])) == 1 and both.also_seen[m.seq][0].source.endswith(log)
               for m in both.messages)
    assert [f.outcome for f in both.flows] == [f.outcome for f in alone.flows]
