"""The `sipdiag messages` listing: one line per SIP message, like `tshark -Y sip`, or JSON.

A listing line is inert: the start line, Call-ID, CSeq, anomaly details and file name come
from the input and pass through `inert` (ESC, OSC, CR and the other controls shown escaped);
JSON escapes them by itself. Secrets (digest responses, nonces, passwords) are shortened in
every form (secrets.py).
"""

from __future__ import annotations

from ..inert import inert
from ..sip.message import Anomaly, SipMessage
from ..sources.frame import InputSummary
from .secrets import shorten, shorten_tree

SCHEMA = "sipdiag.messages/1"


def where(msg: SipMessage | Anomaly) -> str:
    """'frame 12' or 'line 40'."""
    o = msg.origin
    if o.frame is not None:
        return f"{o.frame:>6}"
    if o.line is not None:
        return f"L{o.line:<5}"
    return "     -"


def relative_time(t: float | None, base: float | None) -> str:
    if t is None:
        return "       -"
    if base is None:
        return f"{t:8.3f}"
    return f"{t - base:8.3f}"


def message_line(msg: SipMessage, base: float | None, source_label: str) -> str:
    cseq = f"{msg.cseq[0]} {msg.cseq[1]}" if msg.cseq else "-"
    return inert(shorten(
        f"{source_label}  {where(msg)}  {relative_time(msg.time, base)}  "
        f"{str(msg.src):>21} -> {str(msg.dst):<21}  {msg.transport:<4}  "
        f"{msg.start_line}  [{msg.call_id or '-'}]  {cseq}"
    ))


def anomaly_line(anomaly: Anomaly, source_label: str) -> str:
    return inert(shorten(f"{source_label}  {where(anomaly)}  ! {anomaly.name}: {anomaly.detail}"))


def anomaly_json(anomaly: Anomaly) -> dict:
    return shorten_tree(anomaly.to_json())


def message_json(msg: SipMessage, base: float | None) -> dict:
    out = shorten_tree(msg.to_json())
    if msg.time is not None and base is not None:
        out["time_relative"] = round(msg.time - base, 6)
    return out


def input_json(summary: InputSummary, sip_messages: int) -> dict:
    out = shorten_tree({
        "path": summary.path,
        "format": summary.format,
        "packets": summary.packets,
        "sip_messages": sip_messages,
        "warnings": [str(w) for w in summary.warnings],
        "lost": None if summary.lost is None else {**summary.lost.origin.to_json(), "kind": summary.lost.loss,
                                                   "warning": str(summary.lost)},
        "facts": dict(summary.facts),
    })
    if summary.link_types:
        out["link_types"] = sorted(summary.link_types)
    if summary.local_address:
        out["local_address"] = summary.local_address
    return out
