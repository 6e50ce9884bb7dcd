"""`sipdiag lint`: the configuration rules without a trace (issue: Case 01's dangling aors=)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import SAMPLES

from sipdiag.cli import main

CONFIG = SAMPLES / "lab" / "asterisk-config"


def run(*args):
    return CliRunner().invoke(main, ["lint", *map(str, args)])


def test_lint_reports_the_dangling_aors_of_case01():
    result = run(CONFIG / "pjsip-01-aor-404.conf")
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert first.endswith("pjsip-01-aor-404.conf:22: SD601 error config-dangling-reference: "
                          "[10000] type=endpoint: aors=10000-aor names no type=aor section")
    assert "SD602" in result.stdout and "SD603" in result.stdout
    assert "3 findings" in result.stderr


def test_lint_is_quiet_on_the_fixed_config():
    result = run(CONFIG / "pjsip-02-fixed.conf")
    assert result.exit_code == 0 and result.stdout == ""
    assert "0 findings" in result.stderr


def test_lint_json_and_verbose():
    doc = json.loads(CliRunner().invoke(main, ["lint", str(CONFIG / "pjsip-01-aor-404.conf"), "--format", "json"]).output)
    assert doc["schema"] == "sipdiag.lint/1" and doc["whole"] is True
    assert [f["code"] for f in doc["findings"]] == ["SD601", "SD603", "SD602"]
    assert doc["findings"][0]["evidence"][0]["line"] == 22
    verbose = run(CONFIG / "pjsip-01-aor-404.conf", "-v").stdout
    assert "aors=10000" in verbose and "core reload" in verbose


def test_lint_refuses_what_is_not_configuration(tmp_path):
    result = run(SAMPLES / "lab" / "ast-01-aor-404.pcap")
    assert result.exit_code == 2 and "not Asterisk PJSIP configuration" in result.stderr
    assert run(tmp_path / "missing.conf").exit_code == 2


def test_pjsip_show_output_is_not_checked_for_missing_names():
    result = run(SAMPLES / "lab" / "ast-01-aor-404.cli.txt")
    assert result.exit_code == 0 and "SD601" not in result.stdout
    assert "dangling names not checked" in result.stderr
