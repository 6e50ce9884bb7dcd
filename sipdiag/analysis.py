"""Input paths → `Analysis` → findings: the pipeline behind `sipdiag analyze`."""

from __future__ import annotations

from .dissect import read_messages
from .flow import Analysis, build_analysis


def analyze_paths(paths: list[str]) -> Analysis:
    """Read every input (raises InputError for unreadable ones) and build one analysis."""
    inputs = []
    for path in paths:
        source, items = read_messages(path)
        inputs.append((source.summary, list(items)))
    return build_analysis(inputs)
