"""README, `--help` and the code agree on exit codes, limits and their defaults."""

from __future__ import annotations

from click.testing import CliRunner

from conftest import REPO
from sipdiag.cli import main
from sipdiag.sources.limits import RATIO_GRACE, Limits, format_size, parse_size

README = (REPO / "README.md").read_text(encoding="utf-8")


def help_of(*command: str) -> str:
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    return " ".join(result.output.split())


def test_limit_defaults_are_the_documented_ones():
    defaults = Limits()
    documented = {"--max-line": defaults.max_line, "--max-expand": defaults.max_expand}
    for command in ("analyze", "messages"):
        text = help_of(command)
        for option, value in documented.items():
            short = format_size(value).replace(" MiB", "M").replace(" GiB", "G")
            assert parse_size(short) == value
            assert f"Default {short}," in text.split(option, 1)[1][:300], (command, option)
            assert f"| `{option}` / `SIPDIAG_{option[2:].upper().replace('-', '_')}` | {short} |" in README
        assert f"Default {defaults.max_ratio}," in text.split("--max-ratio", 1)[1][:300]
        assert f"past {format_size(RATIO_GRACE)}" in text
    assert f"| `--max-ratio` / `SIPDIAG_MAX_RATIO` | {defaults.max_ratio} |" in README
    assert f"once past {format_size(RATIO_GRACE)}" in README


def test_exit_codes_are_documented_alike():
    text = help_of("analyze")
    for line in ("0 no error findings", "1 at least one error finding",
                 "2 an input cannot be read at all, bad usage, or the report cannot be written",
                 "3 internal error"):
        assert line in text
    assert "analysed as far as it could be read" in text and "the exit status follows the findings" in text
    assert "A capture damaged before its first packet is one that cannot be read at all" in " ".join(text.split())
    readme = " ".join(README.split())
    assert "the exit status follows the findings (0 or 1)" in readme
    assert "A capture damaged before its first packet could be read" in readme
    assert "2 an input that cannot be read at all, bad usage, or a report that cannot be written" in readme
    assert "the exit status stays the same" in readme


def test_standard_input_is_documented():
    assert "`-` reads" in help_of("analyze") and "`-` reads standard input" in help_of("messages")
    assert "tcpdump -i any -w - port 5060 | sipdiag analyze -" in help_of("analyze")
    assert "`-` reads a capture or a text trace from a pipe" in README
    assert "(`-`: standard output)" in help_of("analyze") and "`-o -`: standard output" in README


def test_internal_error_is_one_line_and_exit_3_with_or_without_debug(monkeypatch):
    import sipdiag.analysis

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sipdiag.analysis, "analyze_paths", broken)
    plain = CliRunner().invoke(main, ["analyze", "x.pcap"])
    debug = CliRunner().invoke(main, ["--debug", "analyze", "x.pcap"])
    assert plain.exit_code == debug.exit_code == 3
    assert plain.stderr.splitlines() == ["sipdiag: internal error: RuntimeError: boom (run again with --debug for the "
                                         "traceback, and please report it)"]
    assert "Traceback" in debug.stderr and debug.stderr.splitlines()[-1] == plain.stderr.splitlines()[0]
