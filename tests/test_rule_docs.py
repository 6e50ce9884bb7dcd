"""Every rule is documented (`sipdiag explain`) and has positive and negative cases."""

from __future__ import annotations

import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from sipdiag.cli import main
from sipdiag.rules import REGISTRY

SECTIONS = ["## What it detects", "## Why calls break", "## Example", "## Fix"]
CASES = tomllib.loads(Path(__file__).with_name("rule_cases.toml").read_text(encoding="utf-8"))
NO_CASES = {"rule-crashed": "SD900 is produced by the engine, tested by test_crashing_rule_becomes_sd900_*"}


@pytest.mark.parametrize("rule", sorted(REGISTRY.values(), key=lambda r: r.code), ids=lambda r: r.code)
def test_rule_has_doc_with_all_sections(rule):
    doc = rule.doc()
    positions = [doc.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), f"{rule.slug}.md lacks {[s for s, p in zip(SECTIONS, positions) if p < 0]}"
    assert positions == sorted(positions), f"{rule.slug}.md: sections out of order"
    for start, end in zip(positions, positions[1:] + [len(doc)]):
        body = doc[start:end].split("\n", 1)[1].strip()
        assert len(body.split()) >= 15, f"{rule.slug}.md: section at {start} is nearly empty"


@pytest.mark.parametrize("rule", sorted(REGISTRY.values(), key=lambda r: r.code), ids=lambda r: r.code)
def test_rule_has_firing_and_quiet_cases(rule):
    if rule.slug in NO_CASES:
        return
    kinds = CASES.get(rule.slug, {})
    assert kinds.get("fires"), f"no [[{rule.slug}.fires]] case in rule_cases.toml"
    assert kinds.get("quiet"), f"no [[{rule.slug}.quiet]] case in rule_cases.toml"


def test_codes_and_slugs_are_unique_and_well_formed():
    codes = [r.code for r in REGISTRY.values()]
    slugs = [r.slug for r in REGISTRY.values()]
    assert len(set(codes)) == len(codes) and len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"SD\d{3}", c) for c in codes)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)


@pytest.mark.parametrize("key", ["SD101", "aor-not-found", "sd303"])
def test_explain_prints_the_doc(key):
    result = CliRunner().invoke(main, ["explain", key])
    assert result.exit_code == 0, result.output
    assert "## Fix" in result.output


def test_explain_unknown_rule_is_a_usage_error():
    result = CliRunner().invoke(main, ["explain", "SD999"])
    assert result.exit_code == 2
    assert "SD999" in result.output


def test_rules_lists_every_rule():
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    for rule in REGISTRY.values():
        assert rule.code in result.output and rule.slug in result.output
