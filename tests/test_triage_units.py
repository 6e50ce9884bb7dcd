"""The parts of triage one at a time: grouping, archives by content and their caps, the verdict,
the worker's limits (memory, crash), redaction of everything written, exit status 2."""

from __future__ import annotations

import os
import shutil
import signal
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

import sipdiag
from sipdiag.analysis import analyze_paths
from sipdiag.cli import main
from sipdiag.rules import run_rules
from sipdiag.rules.verdict import decide
from sipdiag.triage import event as event_module
from sipdiag.triage import inputs
from sipdiag.triage.run import run_local
from sipdiag.triage.verdict import verdict_of

LAB = SAMPLES / "lab"


def _tree(root: Path, names: list[str]) -> None:
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes((LAB / "lab-06a-call-rejected-486.pcap").read_bytes() + name.encode())


def test_grouping_by_stem_folder_and_file(tmp_path):
    _tree(tmp_path, ["t1/case.pcap", "t1/case.pjsip-logger.log", "t1/case.pjsip.conf", "t1/other.pcap",
                     "t2/case.pcap", "t2/.hidden.pcap"])
    files = inputs.expand([str(tmp_path)])
    assert not any(".hidden" in f.name for f in files)
    by_stem = {os.path.relpath(label, tmp_path): len(fs) for label, fs in inputs.group(files, "stem")}
    assert by_stem == {"t1/case": 3, "t1/other": 1, "t2/case": 1}
    by_folder = {os.path.relpath(label, tmp_path): len(fs) for label, fs in inputs.group(files, "folder")}
    assert by_folder == {"t1": 4, "t2": 1}
    assert len(inputs.group(files, "file")) == 5


def test_globs_and_output_folder_skipped(tmp_path):
    _tree(tmp_path, ["a/x.pcap", "b/y.pcap", "out/events/z.pcap"])
    files = inputs.expand([str(tmp_path / "*" / "*.pcap")], exclude=str(tmp_path / "out"))
    assert sorted(Path(f.name).name for f in files) == ["x.pcap", "y.pcap"]
    files = inputs.expand([str(tmp_path / "**" / "*.pcap")], exclude=str(tmp_path / "out"))
    assert sorted(Path(f.name).name for f in files) == ["x.pcap", "y.pcap", "z.pcap"]  # named explicitly
    files = inputs.expand([str(tmp_path)], exclude=str(tmp_path / "out"))
    assert sorted(Path(f.name).name for f in files) == ["x.pcap", "y.pcap"]
    with pytest.raises(sipdiag.errors.UsageError, match="no such file, folder or matching glob"):
        inputs.expand([str(tmp_path / "nothing-*.pcap")])


def test_event_id_follows_content_not_names(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(LAB / "lab-06a-call-rejected-486.pcap", a / "one.pcap")
    shutil.copy(LAB / "lab-06a-call-rejected-486.pcap", b / "renamed.pcap")
    ids = [s.event_id for s in inputs.plan([str(a), str(b)])]
    assert len(ids) == 1  # the same attachment in two tickets is one event
    (b / "renamed.pcap").write_bytes((b / "renamed.pcap").read_bytes() + b"\0")
    assert len({s.event_id for s in inputs.plan([str(a), str(b)])}) == 2


def test_zip_member_over_the_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MEMBER_CAP", 1000)
    with zipfile.ZipFile(tmp_path / "t.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.write(LAB / "lab-06a-call-rejected-486.pcap", "big.pcap")
        zf.writestr("small.log", b"x" * 100)
    files = {f.member: f for f in inputs.expand([str(tmp_path / "t.zip")])}
    assert files["big.pcap"].problem.startswith("archive member larger than the 0 MiB cap")
    assert files["small.log"].problem is None
    with pytest.raises(ValueError, match="cap"):
        inputs.read_member(files["big.pcap"])


def test_damaged_zip_is_an_error_row(tmp_path):
    data = (LAB / "lab-06a-call-rejected-486.pcap").read_bytes()
    with zipfile.ZipFile(tmp_path / "t.zip", "w") as zf:
        zf.writestr("a.pcap", data)
    broken = (tmp_path / "t.zip").read_bytes()
    (tmp_path / "t.zip").write_bytes(broken[: len(broken) // 2])
    frame = sipdiag.triage([str(tmp_path / "t.zip")], tmp_path / "out", jobs=1)
    assert len(frame) == 1 and "damaged zip archive" in frame["error"][0]


def test_verdict_is_what_analyze_leads_with_or_ok():
    analysis = analyze_paths([str(LAB / "ast-01-aor-404.pcap")])
    findings = run_rules(analysis)
    v = verdict_of(analysis, findings)
    assert (v.slug, v.code, v.severity) == ("aor-not-found", "SD101", "error")
    assert v.title == decide(analysis, findings)[0].title
    ok = analyze_paths([str(LAB / "lab-01-register-auth-ok-nat.pcap")])
    v = verdict_of(ok, run_rules(ok))
    assert (v.slug, v.code, v.severity) == ("ok", "", "ok")
    assert "registered" in v.title


def test_one_unreadable_file_of_an_event_is_skipped(tmp_path):
    shutil.copy(LAB / "ast-01-aor-404.pcap", tmp_path / "case.pcap")
    (tmp_path / "case.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    frame = sipdiag.triage([str(tmp_path)], tmp_path / "out", jobs=1)
    row = frame.iloc[0]
    assert row["verdict_slug"] == "aor-not-found" and row["error"] is None
    assert "case.png" in row["skipped"] and "PNG image" in row["skipped"]


def _eat_memory(spec):
    chunks = [bytearray(64 << 20) for _ in range(64)]  # 4 GiB: far beyond the limit
    return chunks


def _segfault(spec):
    import faulthandler

    faulthandler.disable()  # pytest's traceback dump would only be noise here
    os.kill(os.getpid(), signal.SIGSEGV)


def test_memory_limit_and_crash_become_error_rows(monkeypatch):
    specs = inputs.plan([str(LAB / "lab-06a-call-rejected-486.pcap")], options={"memory_limit_mib": 512})
    monkeypatch.setattr(event_module, "_analyse", _eat_memory)  # inherited by the forked worker
    [result] = list(run_local(specs, 1, 60))
    assert result.row["error"] == "ran out of memory (limit 512 MiB per worker, --memory-limit)"
    monkeypatch.setattr(event_module, "_analyse", _segfault)
    [result] = list(run_local(specs, 1, 60))
    assert result.row["error"] == "worker killed by SIGSEGV"


def test_hung_worker_is_killed_and_the_batch_goes_on(monkeypatch):
    import time

    specs = inputs.plan([str(LAB / "lab-06a-call-rejected-486.pcap"), str(LAB / "ast-01-aor-404.pcap")],
                        how="file")
    real = event_module._analyse

    def hang_on_486(spec):
        if "486" in spec.label:
            time.sleep(600)
        return real(spec)

    monkeypatch.setattr(event_module, "_analyse", hang_on_486)
    start = time.monotonic()
    results = {r.row["event"]: r.row for r in run_local(specs, 2, 1.5)}
    assert time.monotonic() - start < 20
    assert results[str(LAB / "lab-06a-call-rejected-486.pcap")]["error"].startswith("timed out")
    assert results[str(LAB / "ast-01-aor-404.pcap")]["verdict_slug"] == "aor-not-found"


def test_redact_applies_to_everything_written(tmp_path):
    plain = sipdiag.triage([str(LAB / "ast-01-aor-404.pcap")], tmp_path / "plain", jobs=1)
    originals = plain["hosts"][0].split("; ") + ["ast-01-aor-404"]
    assert "198.51.100.2" in originals
    result = CliRunner().invoke(main, ["triage", str(LAB / "ast-01-aor-404.pcap"), "-o", str(tmp_path / "red"),
                                       "--redact"])
    assert result.exit_code == 1, result.output
    written = [p for p in (tmp_path / "red").rglob("*") if p.is_file()]
    assert {p.suffix for p in written} >= {".html", ".json", ".csv", ".parquet", ".sqlite"}
    for path in written:
        data = path.read_bytes()
        for original in originals:
            assert original.encode() not in data, (path.name, original)
    import pandas as pd

    row = pd.read_parquet(tmp_path / "red" / "triage.parquet").iloc[0]
    assert row["verdict_slug"] == "aor-not-found" and row["redacted"] == 1 and row["hosts"]


def test_redacted_error_rows_name_no_file(tmp_path):
    ticket = tmp_path / "acme-corp-ticket-4711"
    ticket.mkdir()
    (ticket / "acme-trace.pcap").write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00")
    shutil.copy(LAB / "ast-01-aor-404.pcap", ticket / "acme-call.pcap")
    (ticket / "acme-call.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    frame = sipdiag.triage([str(tmp_path)], tmp_path / "out", jobs=1, redact=True)
    assert sorted(frame["verdict_slug"].fillna("-")) == ["-", "aor-not-found"]
    assert frame["error"].notna().sum() == 1 and frame["skipped"].str.contains("PNG image").any()
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert b"acme" not in path.read_bytes(), path.name


def test_nothing_readable_exits_2(tmp_path):
    (tmp_path / "notes.txt").write_text("customer says it does not work\n")
    result = CliRunner().invoke(main, ["triage", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "not analysed" in result.output and "notes.txt" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["triage", str(empty), "-o", str(tmp_path / "out2")])
    assert result.exit_code == 2 and "nothing to triage" in result.output


def test_ok_archive_exits_0_and_api_is_callable(tmp_path):
    result = CliRunner().invoke(main, ["triage", str(LAB / "lab-01-register-auth-ok-nat.pcap"),
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    frame = sipdiag.triage(str(LAB / "lab-01-register-auth-ok-nat.pcap"), tmp_path / "out")
    assert frame.attrs["reused"] == 1 and list(frame["verdict_slug"]) == ["ok"]


@pytest.mark.parametrize("names", [["ast-01-aor-404.pcap", "ast-01-aor-404.pjsip-logger.log",
                                    "asterisk-config/pjsip-01-aor-404.conf"],
                                   ["../synthetic/gzipped.pcap.gz"], ["ast-02-fixed-200.console.txt"]])
def test_archive_members_read_from_memory_give_the_same_analysis(names):
    """`analysis.analyze_inputs` with (name, bytes) — the archive-member path through
    `sources.open_data` and `config.read_config_data` — equals reading the files by path."""
    import json

    from sipdiag.analysis import analyze_inputs
    from sipdiag.report.json_report import analysis_json

    paths = [str(LAB / n) for n in names]
    by_path = analyze_paths(paths)
    in_memory = analyze_inputs([(p, Path(p).read_bytes()) for p in paths])
    assert by_path.messages
    assert (json.dumps(analysis_json(by_path, run_rules(by_path)), sort_keys=True)
            == json.dumps(analysis_json(in_memory, run_rules(in_memory)), sort_keys=True))


def test_help_names_the_exit_status():
    result = CliRunner().invoke(main, ["triage", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Exit status: 0 no event with an error verdict, 1 at least one event with an error verdict" in text
    for option in ("--jobs", "--timeout", "--memory-limit", "--group", "--redact", "--dask", "--retry-errors"):
        assert option in text
