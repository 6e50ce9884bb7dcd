"""PBX configuration inputs: pjsip.conf and `pjsip show` output, and how aor-not-found uses them."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import SAMPLES

from sipdiag.analysis import analyze_paths
from sipdiag.cli import main
from sipdiag.config import PbxConfig, read_config
from sipdiag.config.pjsip_conf import parse_pjsip_conf
from sipdiag.rules import run_rules

LAB = SAMPLES / "lab"
CONF = LAB / "asterisk-config" / "pjsip-01-aor-404.conf"


def test_pjsip_conf_sections_with_shared_names_and_lines():
    config = PbxConfig()
    assert read_config(str(CONF), config) == []
    assert config.names("aor") == ["10000", "10001"]
    ep = config.get("endpoint", "10000")
    assert ep.values("aors") == ["10000-aor"]
    assert ep.option_origins["aors"].line == 22
    assert config.get("auth", "10000").options["username"] == "10000"


def test_templates_comments_and_missing_type():
    text = "[base](!)\ntype=endpoint\ncontext=from-internal ; a comment\n\n[200](base)\naors=200\n[orphan]\nfoo=bar\n"
    objects, warnings = parse_pjsip_conf(text, "x.conf")
    (ep,) = objects
    assert (ep.type, ep.name, ep.options["context"], ep.options["aors"]) == ("endpoint", "200", "from-internal", "200")
    assert warnings == ["x.conf:7: section [orphan] has no type= (ignored by res_pjsip)"]


def test_pjsip_show_output():
    config = PbxConfig()
    assert read_config(str(LAB / "ast-01-aor-404.cli.txt"), config) == []
    assert config.get("endpoint", "10000").values("aors") == ["10000-aor"]
    assert config.names("aor") == ["10000", "10001"]
    assert config.contacts == []  # "No objects found."


def test_traces_are_not_taken_for_config():
    config = PbxConfig()
    for name in ("ast-01-aor-404.console.txt", "ast-01-aor-404.pjsip-logger.log", "ast-01-aor-404.pcap"):
        assert read_config(str(LAB / name), config) is None
    assert not config.objects


def test_aor_not_found_names_the_dangling_option_and_its_line():
    analysis = analyze_paths([str(LAB / "ast-01-aor-404.pcap"), str(CONF)])
    finding = run_rules(analysis)[0]
    assert finding.slug == "aor-not-found"
    assert "aors=10000-aor, but no [aor] section of that name exists" in finding.cause
    assert finding.fix.startswith(f"Change line 22 of {CONF}: in [10000] (type=endpoint) set aors=10000")
    assert any(o.source == str(CONF) and o.line == 22 for o in finding.evidence)


def test_cli_accepts_config_next_to_the_capture():
    result = CliRunner().invoke(main, ["analyze", str(LAB / "ast-01-aor-404.pcap"), str(LAB / "ast-01-aor-404.cli.txt"),
                                       "--format", "json"])
    assert result.exit_code == 1
    assert '"format": "pbx-config"' in result.output


def test_pjsip_show_output_without_empty_listing_is_recognised():
    """ast-02's CLI capture lists every object ('No objects found.' never occurs in it)."""
    path = LAB / "ast-02-fixed-200.cli.txt"
    assert "No objects found" not in path.read_text()
    config = PbxConfig()
    assert read_config(str(path), config) == []
    assert config.get("endpoint", "10000").values("aors") == ["10000"]
    assert len(config.contacts) == 1
