"""Secrets are never shown in full, redacted or not: digest responses, nonces and cnonces from
captures and logs, password=/secret=/md5_cred= values from pjsip.conf.

Every secret value is collected from the raw input files (so the test does not depend on the
parser finding it), then every output of every command on those inputs is searched for it:
analyze in html, json and text (verbose), with and without --redact, messages in text and json,
and the triage index, tables and per-event reports.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, SAMPLES

from sipdiag.cli import main
from sipdiag.report.secrets import shorten, shorten_tree

LAB = SAMPLES / "lab"
CONFIG = LAB / "asterisk-config" / "pjsip-01-aor-404.conf"
VALUE = re.compile(rb'(?i)(?<![\w-])(response|nonce|cnonce|nextnonce|rspauth|password|secret|md5_cred)\s*=\s*'
                   rb'("[^"\r\n]*"|[^\s,;>"]+)')
PUBLIC = ["asterisk11_register_403_auth_failure.pcapng", "register_401_200_hello.pcapng",
          "nat_android_invite_407_received_rport.pcap", "asterisk_pjsip_logger_nat_register_publish489_invite401.log"]


def secrets_in(paths: list[Path]) -> set[str]:
    """Every secret value written in the files, as it is written (8 characters or more)."""
    found = set()
    for path in paths:
        for m in VALUE.finditer(path.read_bytes()):
            value = m.group(2).strip(b'"').decode("latin-1")
            if len(value) >= 8:
                found.add(value)
    return found


def events() -> list[list[Path]]:
    """The inputs of one analysis each: the lab traces with their config, and public captures."""
    out = [[LAB / "ast-01-aor-404.pcap", LAB / "ast-01-aor-404.pjsip-logger.log", CONFIG],
           [LAB / "ast-02-fixed-200.pcap", LAB / "ast-02-fixed-200.pjsip-logger.log",
            LAB / "asterisk-config" / "pjsip-02-fixed.conf"],
           [LAB / "ast-01-aor-404.console.txt", LAB / "ast-01-aor-404.cli.txt"]]
    out += [[p] for p in sorted(LAB.glob("lab-*.pcap"))]
    out += [[CORPUS / "public" / name] for name in PUBLIC if (CORPUS / "public" / name).exists()]
    return [paths for paths in out if secrets_in(paths)]  # the lab calls without a challenge hold none


def test_the_inputs_hold_credentials():
    assert len(events()) >= 7


def outputs(paths: list[Path], tmp: Path) -> dict[str, str]:
    runner = CliRunner()
    files = [str(p) for p in paths]
    got = {}
    for redact in ([], ["--redact"]):
        for fmt in ("html", "json", "text"):
            out = tmp / f"out{'-r' if redact else ''}.{fmt}"
            result = runner.invoke(main, ["analyze", "--format", fmt, "-v", *redact, "-o", str(out), *files])
            assert result.exit_code in (0, 1), result.output
            got[f"analyze {fmt} {redact}"] = out.read_text(encoding="utf-8") + result.stderr
    for fmt in ("text", "json", "jsonl"):
        result = runner.invoke(main, ["messages", "--format", fmt, *[f for f in files if not f.endswith(".conf")]])
        got[f"messages {fmt}"] = result.stdout + result.stderr
    return got


@pytest.mark.parametrize("paths", events(), ids=lambda ps: ps[0].name)
def test_no_output_shows_a_secret_in_full(paths, tmp_path):
    secrets = secrets_in(paths)
    assert secrets, "the inputs hold credentials"
    for name, text in outputs(paths, tmp_path).items():
        shown = sorted(s for s in secrets if s in text)
        assert not shown, f"{name} shows {shown}"


def test_the_shortened_values_are_shown_where_the_secrets_were(tmp_path):
    """The report still says there was a response and a nonce, and which (their first characters)."""
    paths = [LAB / "ast-01-aor-404.pcap"]
    text = outputs(paths, tmp_path)["analyze html []"]
    assert "nonce=&#34;1795…&#34;" in text and "response=&#34;…&#34;" in text or "response=&#34;1274…" in text


def test_triage_outputs_show_no_secret_in_full(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for p in [LAB / "ast-01-aor-404.pcap", LAB / "ast-01-aor-404.pjsip-logger.log", CONFIG]:
        (inputs / p.name.replace("pjsip-01-aor-404", "ast-01-aor-404")).write_bytes(p.read_bytes())
    secrets = secrets_in(list(inputs.iterdir()))
    assert len(secrets) >= 5
    for redact in ([], ["--redact"]):
        out = tmp_path / f"triage{len(redact)}"
        result = CliRunner().invoke(main, ["triage", str(inputs), "-o", str(out), "-j", "1", *redact])
        assert result.exit_code in (0, 1), result.output
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*")
                 if p.is_file() and p.suffix in (".html", ".json", ".csv")]
        with sqlite3.connect(out / "triage.sqlite") as db:
            texts += [repr(row) for row in db.execute("select * from events")]
        assert len(texts) >= 4
        for text in texts:
            assert not [s for s in secrets if s in text]


def test_shorten():
    line = ('Authorization: Digest username="10000", realm="asterisk", nonce="1795375727/05fe148c", '
            'uri="sip:198.51.100.2", response="12744bc79c8b7a95cbbfcf65b9923d25", cnonce="f90396228b34e8c4", qop=auth')
    assert shorten(line) == ('Authorization: Digest username="10000", realm="asterisk", nonce="1795…", '
                             'uri="sip:198.51.100.2", response="1274…", cnonce="f903…", qop=auth')
    assert shorten(shorten(line)) == shorten(line)
    assert shorten("[auth-10000]\ntype=auth\npassword=superSecret123\nsecret = 12345678\nmd5_cred=0123456789abcdef") \
        == "[auth-10000]\ntype=auth\npassword=supe…\nsecret = 12…\nmd5_cred=0123…"
    assert shorten("the response: 404 Not Found, a nonce of its own") == "the response: 404 Not Found, a nonce of its own"
    assert shorten('label cut to fit: nonce="1795375727/05f') == 'label cut to fit: nonce="1795…'
    assert shorten('response="[redacted]"') == 'response="[redacted]"'
    assert shorten("Authorization: Basic dXNlcjpwYXNzd29yZA==") == "Authorization: Basic dXNl…"
    assert shorten_tree({"nonce": "abcdefghijklmnop", "text": ["password=hunter2hunter2"]}) == \
        {"nonce": "abcd…", "text": ["password=hunt…"]}


def test_shorten_properties():
    """On any text: no exception, idempotent, and a secret value written in it does not survive."""
    from hypothesis import assume, given, settings
    from hypothesis import strategies as st

    names = st.sampled_from(["response", "nonce", "cnonce", "password", "secret", "md5_cred", "NONCE"])
    value = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=12, max_size=40)

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=80), names, st.sampled_from(["=", " = ", '="']), value, st.text(max_size=40))
    def check(before, name, sep, secret, after):
        assume(secret not in before + after and secret[:-1] not in before + after)
        text = f"{before} {name}{sep}{secret}{chr(34) if sep.endswith(chr(34)) else ''}, {after}"
        once = shorten(text)
        assert shorten(once) == once
        assert secret not in once

    check()
