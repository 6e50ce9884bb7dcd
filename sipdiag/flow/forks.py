"""Forked INVITEs: one proxy sends the same call to several contacts at once. Facts only.

How this works. A forking proxy (RFC 3261 §16.7: a registrar proxy ringing every contact of a
user, a ring group) sends the INVITE it received to several targets, each copy a client
transaction of its own (a new branch) with the same Call-ID and CSeq. Within one call flow the
initial INVITE transactions are grouped by (sending host, CSeq number): a group that went to two
or more destinations is a fork, and each of its transactions is a branch whose fate is read from
its final response — answered (2xx), cancelled (487 after the proxy's CANCEL), rejected (another
final), or unanswered (none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Flow, Transaction

ANSWERED, CANCELLED, REJECTED, UNANSWERED = "answered", "cancelled", "rejected", "unanswered"


@dataclass(eq=False)
class Fork:
    """One INVITE sent by `proxy` to several contacts; `branches` in the order they were sent."""

    flow: Flow
    proxy: str
    branches: list[Transaction] = field(default_factory=list)
    fate: dict[int, str] = field(default_factory=dict)
    """id() of a branch → answered, cancelled, rejected or unanswered."""

    @property
    def answered(self) -> list[Transaction]:
        return [t for t in self.branches if self.fate[id(t)] == ANSWERED]


def find_forks(flows: list[Flow]) -> list[Fork]:
    forks = []
    for flow in flows:
        if flow.kind != "call":
            continue
        groups: dict[tuple, list[Transaction]] = {}
        cancelled: set[tuple] = set()
        for t in flow.transactions:
            req = t.request
            if t.is_initial_invite:
                groups.setdefault((req.src.ip, req.cseq_number), []).append(t)
            elif t.method == "CANCEL":
                cancelled.add((req.src.ip, req.cseq_number, str(req.dst)))
        for (proxy, cseq), ts in groups.items():
            if len({str(t.server) for t in ts}) < 2:
                continue
            fork = Fork(flow, proxy or "", list(ts))
            for t in ts:
                status = t.status
                if status is not None and 200 <= status < 300:
                    fate = ANSWERED
                elif (proxy, cseq, str(t.server)) in cancelled or status == 487:
                    fate = CANCELLED
                elif status is not None and status >= 300:
                    fate = REJECTED
                else:
                    fate = UNANSWERED
                fork.fate[id(t)] = fate
            forks.append(fork)
    return forks
