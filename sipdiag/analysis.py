"""Input paths → `Analysis`: the pipeline behind `sipdiag analyze`.

Each path is either PBX configuration (pjsip.conf, `pjsip show` output), collected into one
`PbxConfig`, or a trace (capture or text log), dissected and merged with the others.
"""

from __future__ import annotations

from .config import PbxConfig, read_config, read_config_data
from .dissect import dissect, read_messages
from .flow import Analysis, build_analysis
from .sources import label, open_data
from .sources.frame import InputSummary, InputWarning, Origin


def analyze_paths(paths: list[str]) -> Analysis:
    """Read every input (raises InputError for unreadable ones) and build one analysis."""
    return analyze_inputs(list(paths))


def analyze_inputs(items: list[str | tuple[str, bytes]]) -> Analysis:
    """`analyze_paths` where an input is a path or a (name, content) pair (an archive member)."""
    inputs = []
    config = PbxConfig()
    config_inputs: list[InputSummary] = []
    for item in items:
        path, data = (item, None) if isinstance(item, str) else item
        if data is None:
            warnings = read_config(path, config)
        else:
            warnings = read_config_data(path, data, config)
        if warnings is not None:
            summary = InputSummary(label(path), format="pbx-config")
            summary.packets = config.lines.get(label(path), 0)
            summary.facts["pjsip_objects"] = sum(1 for o in config.objects if o.origin.source == label(path))
            summary.warnings = [InputWarning(Origin(label(path)), w) for w in warnings]
            config_inputs.append(summary)
            continue
        if data is None:
            source, messages = read_messages(path)
        else:
            source = open_data(path, data)
            messages = dissect(source)
        inputs.append((source.summary, list(messages)))
    analysis = build_analysis(inputs)
    analysis.inputs.extend(config_inputs)
    analysis.config = config if config.objects else None
    return analysis
