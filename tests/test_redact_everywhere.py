"""`--redact` covers every place a value appears, in every format (issues 15 and 16).

For every bundled lab trace (with its pjsip.conf where there is one) and a public capture, every
identifying value is collected from the raw input: addresses, users and extensions, host names,
Call-IDs, tags and display names of the SIP messages, the names of the config's account sections
and the names their options list, and every IPv4 address written anywhere in the files. Then
`analyze --redact` writes html, json and text (verbose, so that every flow, finding and
observation is printed), and `triage --redact` its index, tables and per-event reports, and no
output may contain any of the values: not in titles, the TL;DR, causes, fixes, the ladder, config
excerpts, the message appendix, nor in prose that names users ("the configured AORs are …").
"""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, SAMPLES

from sipdiag.cli import main
from sipdiag.config import read_config
from sipdiag.config.model import PbxConfig
from sipdiag.errors import InputError
from sipdiag.dissect import read_messages
from sipdiag.report.redact import KEEP_WORDS
from sipdiag.sip.headers import parse_name_addr
from sipdiag.sip.message import SipMessage

LAB = SAMPLES / "lab"
CONFIGS = LAB / "asterisk-config"
IPV4 = re.compile(rb"(?<![\d.])((?:\d{1,3}\.){3}\d{1,3})(?![\d])")
KEPT_ADDRESSES = ("0.", "127.", "255.", "224.")
TAG = re.compile(r";\s*tag=([^;>,\s]+)", re.I)
SECTION = re.compile(r"^\[([^\]]+)\]\s*$(?:\n(?!\[).*)*?^type\s*=\s*(\w+)", re.M)
NAME_OPTION = re.compile(r"^(aors|auth|outbound_auth|username)\s*=\s*([^;\n]+)", re.M)


def events() -> list[list[Path]]:
    out = []
    for pcap in sorted(LAB.glob("*.pcap")):
        stem = pcap.name.split(".")[0]
        group = [pcap] + sorted(p for p in LAB.glob(f"{stem}.*") if p.suffix in (".log", ".txt"))
        conf = {"ast-01-aor-404": "pjsip-01-aor-404.conf", "ast-02-fixed-200": "pjsip-02-fixed.conf"}.get(stem)
        if conf and not pcap.name.endswith(".lan.pcap"):
            group.append(CONFIGS / conf)
        out.append(group)
    public = CORPUS / "public" / "nat_android_invite_407_received_rport.pcap"
    if public.exists():
        out.append([public])
    return out


def identifying(paths: list[Path]) -> dict[str, set[str]]:
    """The identifying values of the inputs, by kind."""
    found: dict[str, set[str]] = {k: set() for k in ("address", "user", "host", "call-id", "tag", "name", "config")}
    for path in paths:
        raw = path.read_bytes()
        found["address"] |= {m.group(1).decode() for m in IPV4.finditer(raw)
                             if not m.group(1).decode().startswith(KEPT_ADDRESSES)
                             and all(int(x) < 256 for x in m.group(1).split(b"."))}
        if path.suffix == ".conf":
            text = raw.decode()
            for name, kind in SECTION.findall(text):
                if kind in ("endpoint", "aor", "auth", "identify", "registration"):
                    found["config"].add(name)
            for _option, value in NAME_OPTION.findall(text):
                found["config"] |= {v.strip() for v in value.split(",") if v.strip()}
            continue
        try:
            _source, items = read_messages(str(path))
        except InputError:  # `pjsip show` output: configuration
            config = PbxConfig()
            assert read_config(str(path), config) is not None
            for obj in config.objects:
                if obj.type in ("endpoint", "aor", "auth", "identify", "registration"):
                    found["config"].add(obj.name)
                    for option in ("aors", "auth", "outbound_auth", "username"):
                        found["config"].update(obj.values(option))
            continue
        for m in items:
            if not isinstance(m, SipMessage):
                continue
            found["call-id"].add(m.call_id.split("@")[0])
            for name in ("From", "To", "Contact", "P-Asserted-Identity"):
                value = m.header(name)
                if not value:
                    continue
                tag = TAG.search(value)
                if tag and name in ("From", "To"):
                    found["tag"].add(tag.group(1))
                na = parse_name_addr(value)
                if na is None:
                    continue
                if na.display:
                    found["name"].add(na.display.strip('"'))
                if na.uri is not None:
                    found["user"].add(na.uri.user or "")
                    if not na.uri.host_is_ip:
                        found["host"].add(na.uri.bare_host)
            if m.ruri is not None:
                found["user"].add(m.ruri.user or "")
                if not m.ruri.host_is_ip:
                    found["host"].add(m.ruri.bare_host)
            creds = m.authorization
            if creds is not None and creds.get("username"):
                found["user"].add(creds.get("username"))
    for kind in found:
        found[kind] = {v for v in found[kind] if v and v.lower() not in KEEP_WORDS and not v.endswith(".example")}
    found["host"] = {h for h in found["host"] if "." in h}
    return found


def leaks(text: str, values: dict[str, set[str]]) -> list[tuple[str, str, str]]:
    """(kind, value, context) for each value found in `text`. Short numeric users (3 digits or
    fewer collide with status codes) are looked for where text says they are users."""
    out = []
    text = text.replace("http://www.w3.org/2000/svg", "")  # the report's own markup
    for kind, vals in values.items():
        for v in sorted(vals):
            if kind in ("user", "config") and v.isdigit() and len(v) <= 3:
                n = re.escape(v)
                pattern = (rf"(?:sips?:{n}[@;>]|tel:{n}(?!\d)|\"{n}\"|'{n}'|\[{n}\]|&#34;{n}&#34;"
                           rf"|(?:aors|auth|username)={n}(?![\w.])|(?:user|extension|AOR|aor|endpoint) {n}(?![\w.]))")
            elif kind == "address":
                pattern = rf"(?<![\d.]){re.escape(v)}(?!\d|\.\d)"
            elif kind == "host":
                pattern = rf"(?i)(?<![\w.-]){re.escape(v)}(?![\w-])"
            else:
                pattern = rf"(?<![\w.+-]){re.escape(v)}(?![\w+-])"
            m = re.search(pattern, text)
            if m:
                out.append((kind, v, text[max(0, m.start() - 60):m.end() + 30]))
    return out


@pytest.mark.parametrize("paths", events(), ids=lambda ps: ps[0].name)
def test_analyze_redact_leaves_no_identifying_value_in_any_format(paths, tmp_path):
    values = identifying(paths)
    assert values["address"] and values["call-id"] and values["user"]
    runner = CliRunner()
    for fmt in ("html", "json", "text"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(main, ["analyze", "--redact", "-v", "--format", fmt, "-o", str(out),
                                      *map(str, paths)])
        assert result.exit_code in (0, 1), result.output
        text = out.read_text(encoding="utf-8")
        assert len(text) > 500
        found = leaks(text, values)
        assert not found, f"{fmt}: {found[:5]}"


def test_triage_redact_leaves_no_identifying_value(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    values: dict[str, set[str]] = {}
    for group in events()[:6]:
        for p in group:
            (inputs / p.name).write_bytes(p.read_bytes())
        for kind, vals in identifying(group).items():
            values.setdefault(kind, set()).update(vals)
    values["file"] = {p.name.split(".")[0] for p in inputs.iterdir()}
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["triage", str(inputs), "-o", str(out), "-j", "1", "--redact"])
    assert result.exit_code in (0, 1), result.output
    written = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".csv")]
    assert (out / "index.html") in written and len(written) >= 8
    texts = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in written}
    with sqlite3.connect(out / "triage.sqlite") as db:
        texts["triage.sqlite"] = "\n".join(repr(row) for row in db.execute("select * from events"))
    for name, text in texts.items():
        found = leaks(text, values)
        assert not found, f"{name}: {found[:5]}"
    rows = list(csv.DictReader(open(out / "triage.csv", encoding="utf-8")))
    assert rows and all(r["verdict_title"] for r in rows)
