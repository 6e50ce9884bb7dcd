"""SIP messages → what happened: transactions, flows with outcomes, hosts with roles. Facts only.

`build_analysis(inputs)` takes, per input, its summary and its dissected items (SIP messages,
anomalies, log events), merges several inputs of one event into one timeline, and builds
transactions, flows, hosts and PBX log facts.
"""

from __future__ import annotations

from ..sip.message import Anomaly, SipMessage
from ..sources.frame import InputSummary, LogEvent
from .flows import build_flows
from .hosts import HostTracker
from .index import build_index
from .logfacts import extract_facts
from .merge import merge_inputs
from .model import Analysis, Flow, Host, Transaction
from .transactions import TransactionTracker

__all__ = ["Analysis", "Flow", "Host", "Transaction", "build_analysis"]


def build_analysis(inputs: list[tuple[InputSummary, list]]) -> Analysis:
    timeline = merge_inputs([items for _summary, items in inputs])
    messages: list[SipMessage] = []
    anomalies: list[Anomaly] = []
    events: list[LogEvent] = []
    tracker = TransactionTracker()
    hosts = HostTracker()
    for item in timeline:
        if isinstance(item, SipMessage):
            item.seq = len(messages)
            messages.append(item)
            tracker.add(item)
            hosts.add(item)
        elif isinstance(item, Anomaly):
            anomalies.append(item)
        else:
            events.append(item)
    times = [msg.time for msg in messages if msg.time is not None]
    flows = build_flows(tracker.transactions, max(times) if times else None, tracker.orphan_responses)
    analysis = Analysis(
        inputs=[summary for summary, _items in inputs],
        messages=messages,
        anomalies=anomalies + tracker.anomalies,
        log_events=events,
        transactions=tracker.transactions,
        flows=flows,
        hosts=hosts.finish(),
        log_facts=extract_facts(events),
        orphan_responses=tracker.orphan_responses,
        forwarded=hosts.forwarded,
    )
    analysis.index = build_index(analysis)
    return analysis
