"""SIP messages → what happened: transactions, flows with outcomes, hosts with roles. Facts only.

`build_analysis(inputs)` takes, per input, its summary and its dissected items (SIP messages,
anomalies, log events), merges several inputs of one event into one timeline, and builds
transactions, flows, hosts and PBX log facts.

A packet seen twice within `DUPLICATE_WINDOW` — the same bytes between the same addresses in the
same capture — is one message. Mostly the capture took it twice (two interfaces, a bridge and
its port, a mirror copying both directions: the IP identification is the same); sometimes the
sender wrote it twice at once. Neither is a SIP retransmission: a UDP retransmission waits
T1 = 500 ms (RFC 3261 §17.1.1.2). The copy is kept as an origin of the message (`duplicates`)
and counted in the input's facts, never fed to the transaction layer.
"""

from __future__ import annotations

from ..sip.message import Anomaly, SipMessage
from ..sources.frame import InputSummary, LogEvent, Origin
from .flows import build_flows
from .hosts import HostTracker
from .index import build_index
from .logfacts import extract_facts
from .merge import merge_inputs
from .model import Analysis, Flow, Host, Transaction
from .transactions import TransactionTracker

__all__ = ["Analysis", "Flow", "Host", "Transaction", "build_analysis"]


DUPLICATE_WINDOW = 0.002
"""Seconds within which the same bytes between the same addresses are one packet seen twice."""


def build_analysis(inputs: list[tuple[InputSummary, list]]) -> Analysis:
    timeline, seen_also = merge_inputs([items for _summary, items in inputs])
    summaries = {summary.path: summary for summary, _items in inputs}
    messages: list[SipMessage] = []
    anomalies: list[Anomaly] = []
    events: list[LogEvent] = []
    tracker = TransactionTracker()
    hosts = HostTracker()
    recent: dict[tuple, SipMessage] = {}
    copies: dict[int, list[Origin]] = {}
    also_seen: dict[int, list[Origin]] = {}
    for item in timeline:
        if isinstance(item, SipMessage):
            original = _captured_before(recent, item)
            if original is not None:
                copies.setdefault(original.seq, []).append(item.origin)
                summary = summaries.get(item.origin.source)
                if summary is not None:
                    summary.count("duplicate_packets")
                continue
            item.seq = len(messages)  # the one change to a message after dissection: its place
            if id(item) in seen_also:
                also_seen[item.seq] = seen_also[id(item)]
            messages.append(item)
            tracker.add(item)
            hosts.add(item)
        elif isinstance(item, Anomaly):
            anomalies.append(item)
        else:
            events.append(item)
    tracker.close()
    recent.clear()
    host_table = hosts.finish()
    last = max((msg.time for msg in messages if msg.time is not None), default=None)
    flows = build_flows(tracker.transactions, last, tracker.orphan_responses)
    analysis = Analysis(
        inputs=[summary for summary, _items in inputs],
        messages=messages,
        anomalies=anomalies + tracker.anomalies,
        log_events=events,
        transactions=tracker.transactions,
        flows=flows,
        hosts=host_table,
        log_facts=extract_facts(events),
        orphan_responses=tracker.orphan_responses,
        forwarded=hosts.forwarded,
        duplicates=copies,
        also_seen=also_seen,
    )
    analysis.index = build_index(analysis)
    return analysis


def _captured_before(recent: dict[tuple, SipMessage], msg: SipMessage) -> SipMessage | None:
    """The message `msg` is a duplicate of (see the module docstring), else None; `recent`
    keeps the last message per (input, addresses, transport, bytes), pruned as time moves on.
    The bytes are compared by length and hash (`SipMessage.digest`): a message may have left
    them in its capture file already (sources/rawfile.py)."""
    if msg.time is None or msg.origin.frame is None:
        return None  # text logs: no packet to capture twice, and times too coarse to tell
    src, dst = msg.src, msg.dst
    key = (msg.origin.source, src.ip, src.port, dst.ip, dst.port, msg.transport, msg.digest)
    before = recent.get(key)
    if before is not None and msg.time - before.time <= DUPLICATE_WINDOW:
        return before
    recent[key] = msg
    if len(recent) > 4096:
        horizon = msg.time - DUPLICATE_WINDOW
        for k in [k for k, m in recent.items() if m.time < horizon]:
            del recent[k]
    return None
