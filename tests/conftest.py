"""Shared test fixtures: where the real captures are, and skipping cleanly when they are not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
CORPUS = Path(os.environ.get("SIPDIAG_CORPUS", REPO.parent / "shared" / "samples"))


def corpus_file(relative: str) -> Path:
    """A file of the shared corpus (e.g. 'public/x.pcap', 'lab/ast-01-aor-404.pcap'); skip if absent.

    The lab recordings are ours and bundled in samples/lab/: a 'lab/...' file found there is used
    from there, so a clean clone runs every test on them without the shared corpus. Third-party
    captures ('public/...') are only ever read from the corpus."""
    if relative.startswith("lab/"):
        bundled = SAMPLES / relative
        if bundled.exists():
            return bundled
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file {relative} not available (set SIPDIAG_CORPUS)")
    return path


def corpus_files(folder: str, patterns: tuple[str, ...]) -> list[Path]:
    """All corpus files in `folder` matching any glob pattern, sorted; empty when absent."""
    base = CORPUS / folder
    if not base.is_dir():
        return []
    found: set[Path] = set()
    for pattern in patterns:
        found.update(base.glob(pattern))
    return sorted(found)


@pytest.fixture
def corpus():
    return corpus_file
