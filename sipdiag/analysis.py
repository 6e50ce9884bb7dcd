"""Input paths → `Analysis`: the pipeline behind `sipdiag analyze`.

Each path is either PBX configuration (pjsip.conf, `pjsip show` output), collected into one
`PbxConfig`, or a trace (capture or text log), dissected and merged with the others.
"""

from __future__ import annotations

from .config import PbxConfig, read_config
from .dissect import read_messages
from .flow import Analysis, build_analysis
from .sources import label
from .sources.frame import InputSummary, InputWarning, Origin


def analyze_paths(paths: list[str]) -> Analysis:
    """Read every input (raises InputError for unreadable ones) and build one analysis."""
    inputs = []
    config = PbxConfig()
    config_inputs: list[InputSummary] = []
    for path in paths:
        warnings = read_config(path, config)
        if warnings is not None:
            summary = InputSummary(label(path), format="pbx-config")
            summary.warnings = [InputWarning(Origin(label(path)), w) for w in warnings]
            config_inputs.append(summary)
            continue
        source, items = read_messages(path)
        inputs.append((source.summary, list(items)))
    analysis = build_analysis(inputs)
    analysis.inputs.extend(config_inputs)
    analysis.config = config if config.objects else None
    return analysis
