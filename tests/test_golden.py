"""What sipdiag concludes on every bundled lab trace stays what it was, unless refreshed on purpose.

The golden files (tests/golden/, refreshed by `python tests/golden/refresh.py`) pin the verdicts,
flows and every finding's code, severity, title and evidence. An engine change that only makes
things faster must leave them identical; one that changes a conclusion refreshes them, and the
diff is reviewed in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from refresh import EVENTS, HERE, golden  # noqa: E402


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_findings_match_the_golden_file(name):
    expected = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    assert golden(EVENTS[name]) == expected, f"refresh with `python tests/golden/refresh.py` if intended"


def test_every_golden_file_has_an_event():
    assert {p.stem for p in HERE.glob("*.json")} == set(EVENTS)
