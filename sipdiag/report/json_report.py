"""Analysis + findings → the `sipdiag.analysis/2` JSON document (see docs/json-schema.md); secrets
from the input (digest responses, nonces, passwords) shortened, as in every output (secrets.py)."""

from __future__ import annotations

from ..flow.model import Analysis, Flow, Host
from ..rules.base import Finding
from ..rules.verdict import Verdict, decide
from .listing import input_json
from .secrets import shorten_tree

SCHEMA = "sipdiag.analysis/2"


def flow_json(flow: Flow, analysis: Analysis) -> dict:
    return {
        "id": flow.id,
        "kind": flow.kind,
        "call_id": flow.call_id,
        "call_ids": flow.call_ids,
        "aor": flow.aor,
        "outcome": flow.outcome,
        "outcome_detail": flow.outcome_detail,
        "final_status": flow.final_status,
        "credentials": flow.credentials,
        "messages": flow.message_count,
        "evidence": [o.to_json() for o in (analysis.origins_of(flow.outcome_message)
                                           if flow.outcome_message is not None else flow.evidence)],
    }


def host_json(host: Host) -> dict:
    return {
        "address": host.address,
        "role": host.role,
        "role_reason": host.role_reason,
        "user_agents": host.user_agents,
        "ports": sorted(host.ports),
        "behind_nat": host.behind_nat,
        "advertised": sorted(host.advertised),
        "messages_sent": host.sent,
        "messages_received": host.received,
    }


def verdict_json(verdict: Verdict, ids: dict[int, str]) -> dict:
    return {
        "slug": verdict.slug,
        "code": verdict.code,
        "severity": verdict.severity,
        "title": verdict.title,
        "summary": verdict.summary,
        "causes": [ids[id(f)] for f in verdict.causes],
        "explains": [ids[id(f)] for f in verdict.explains],
        "also": [ids[id(f)] for f in verdict.also],
        "flows": verdict.flows,
        "evidence": [o.to_json() for o in verdict.evidence],
        "fix_also": [ids[id(f)] for f in verdict.fix_also],
    }


def analysis_json(analysis: Analysis, findings: list[Finding], verdicts: list[Verdict] | None = None) -> dict:
    """The document, whole."""
    document = analysis_json_stream(analysis, findings, verdicts)
    document["flows"] = list(document["flows"])
    document["findings"] = list(document["findings"])
    return document


def analysis_json_stream(analysis: Analysis, findings: list[Finding],
                         verdicts: list[Verdict] | None = None) -> dict:
    """The document with its two long arrays, flows and findings, as iterators that make each
    item when it is written (jsonout.write_document), secrets shortened item by item."""
    per_input: dict[str, int] = {}
    for msg in analysis.messages:
        per_input[msg.origin.source] = per_input.get(msg.origin.source, 0) + 1
        for o in analysis.also_seen.get(msg.seq, ()):
            per_input[o.source] = per_input.get(o.source, 0) + 1
    span = analysis.time_span
    if verdicts is None:
        verdicts = decide(analysis, findings)
    ids = {id(f): f"f{i}" for i, f in enumerate(findings, 1)}
    document = shorten_tree({
        "schema": SCHEMA,
        "inputs": [input_json(s, per_input.get(s.path, 0)) for s in analysis.inputs],
        "summary": {
            "sip_messages": len(analysis.messages),
            "transactions": len(analysis.transactions),
            "flows": len(analysis.flows),
            "errors": sum(1 for f in findings if f.severity == "error"),
            "warnings": sum(1 for f in findings if f.severity == "warning"),
            "time_span": list(span) if span else None,
        },
        "verdict": verdict_json(verdicts[0], ids),
        "verdicts": [verdict_json(v, ids) for v in verdicts],
        "hosts": [host_json(h) for h in analysis.hosts.values()],
        "flows": None,
        "findings": None,
        "anomalies": [a.to_json() for a in analysis.anomalies],
    })
    document["flows"] = (shorten_tree(flow_json(f, analysis)) for f in analysis.flows)
    document["findings"] = (shorten_tree({"id": ids[id(f)], **f.to_json()}) for f in findings)
    return document
