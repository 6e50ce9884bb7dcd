"""Input paths → `Analysis`: the pipeline behind `sipdiag analyze`.

Each path is either PBX configuration (pjsip.conf, `pjsip show` output), collected into one
`PbxConfig`, or a trace (capture or text log), dissected and merged with the others.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from .config import PbxConfig, read_config, read_config_data
from .dissect import dissect, read_messages
from .flow import Analysis, build_analysis
from .sources import label, open_data
from .sources.frame import InputSummary, InputWarning, Origin


Watcher = Callable[[object, int, bool], None]
"""Called while inputs are read: (source, SIP messages read so far, finished); see `watched`."""
WATCH_EVERY = 512
"""Items between two calls of a watcher."""


def analyze_paths(paths: list[str], watch: Watcher | None = None, keep: bool = False) -> Analysis:
    """Read every input (raises InputError for unreadable ones) and build one analysis.

    `watch`, if given, is told how reading each trace goes (a progress bar: cli.py). `keep`: the
    analysis lives until the process ends (one `sipdiag analyze`), so the cyclic garbage
    collector need never look at it again (see `cyclic_gc_paused`)."""
    return analyze_inputs(list(paths), watch, keep)


def watched(source, items: Iterable, watch: Watcher | None) -> Iterator:
    """`items` as they are, telling `watch` every WATCH_EVERY items how many SIP messages came."""
    if watch is None:
        yield from items
        return
    from .sip.message import SipMessage

    count = 0
    pending = 0
    watch(source, 0, False)
    for item in items:
        if type(item) is SipMessage:
            count += 1
        pending += 1
        if pending >= WATCH_EVERY:
            pending = 0
            watch(source, count, False)
        yield item
    watch(source, count, True)


@contextmanager
def cyclic_gc_paused(keep: bool = False):
    """Pause CPython's cyclic garbage collector, and restore it as it was.

    Reading and building an analysis makes millions of long-lived objects (messages, views,
    transactions) and almost no reference cycles; the collector's full passes rescan all of them
    and find nothing (13 passes on the benchmark's SIP-only 1M capture, 0 objects collected, a fifth
    of the CPU time). Memory is still freed by reference counting; cycles made meanwhile are
    collected by the first pass after it resumes — which rescans everything once more (half a
    second on the benchmark's 1M capture). With `keep`, for an analysis that lives as long as the
    process, what exists by then is moved out of the collector's sight instead (`gc.freeze`):
    only what is made afterwards (findings, the report) is ever scanned."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if was_enabled:
            gc.enable()


def analyze_inputs(items: list[str | tuple[str, bytes]], watch: Watcher | None = None,
                   keep: bool = False) -> Analysis:
    """`analyze_paths` where an input is a path or a (name, content) pair (an archive member)."""
    with cyclic_gc_paused(keep):
        return _analyze_inputs(items, watch)


def _analyze_inputs(items: list[str | tuple[str, bytes]], watch: Watcher | None) -> Analysis:
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
        inputs.append((source.summary, list(watched(source, messages, watch))))
    analysis = build_analysis(inputs)
    analysis.inputs.extend(config_inputs)
    analysis.config = config if config.objects else None
    return analysis
