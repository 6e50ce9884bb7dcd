"""JSON text of sipdiag's documents (jsonout.py): the streaming writer against the whole dump."""

from __future__ import annotations

import io
import json

from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from sipdiag.jsonout import dumps, write_document

LEAF = st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text(max_size=8) | \
    st.floats(allow_nan=False, allow_infinity=False)
TREE = st.recursive(LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3), max_leaves=12)


def _written(document: dict) -> bytes:
    out = io.BytesIO()
    write_document(document, out)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), TREE, max_size=5), st.sets(st.text(max_size=6), max_size=3))
def test_written_a_value_at_a_time_is_the_whole_dump(document, streamed):
    """Byte for byte what `dumps(document, indent=True)` gives, with some values as iterators."""
    expected = dumps(document, indent=True).encode("utf-8")
    lazy = {k: iter(v) if k in streamed and isinstance(v, list) else v for k, v in document.items()}
    assert _written(lazy) == expected


def test_values_orjson_refuses_fall_back_to_the_standard_library():
    """An integer beyond 64 bits and a lone surrogate (from a hostile capture) are still written."""
    document = {"big": 2**70, "items": iter([{"text": "a\udc80b"}, {"n": 1}]), "empty": iter([])}
    text = _written(document).decode("utf-8")
    assert json.loads(text) == {"big": 2**70, "items": [{"text": "a\udc80b"}, {"n": 1}], "empty": []}


def test_analyze_json_is_the_same_on_stdout_and_in_a_file(tmp_path):
    from click.testing import CliRunner

    from sipdiag.cli import main

    capture = str(SAMPLES / "lab" / "ast-01-aor-404.pcap")
    runner = CliRunner()
    to_stdout = runner.invoke(main, ["analyze", capture, "--format", "json"])
    to_file = runner.invoke(main, ["analyze", capture, "--format", "json", "-o", str(tmp_path / "a.json")])
    assert to_stdout.exit_code == to_file.exit_code == 1  # the AOR-not-found error
    written = (tmp_path / "a.json").read_bytes()
    assert to_stdout.stdout_bytes == written
    document = json.loads(written)
    assert document["flows"] and document["findings"] and document["verdict"]["slug"]
