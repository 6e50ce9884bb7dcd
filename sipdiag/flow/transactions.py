"""SIP messages → transactions (RFC 3261 §17), retransmissions recognised, not double-counted.

How matching works (§17.1.3, §17.2.3): a request and its responses share the top Via's
branch and sent-by and the CSeq method. With an RFC 3261 branch (magic cookie `z9hG4bK`)
the key is (branch, sent-by, method); an ACK for a non-2xx final response carries the
INVITE's branch and belongs to the INVITE transaction; a CANCEL has the same branch but is
its own transaction, linked to the INVITE it cancels. An ACK for a 2xx is a new request
with its own branch: it becomes a transaction of its own without responses. Without a
magic cookie (RFC 2543 peers) the key falls back to Call-ID, CSeq, From tag and sent-by.

A request seen again with the same key is a retransmission of the same transaction.
Responses whose request is not in the trace are kept as orphans (one-sided capture).

Transaction states follow the client state machines of §17.1 and are data: the table maps
(state, event) → state, and an event with no entry is an anomaly (e.g. a 2xx after a 4xx).
"""

from __future__ import annotations

from ..sip.message import Anomaly, SipMessage
from .model import Transaction

MAGIC_COOKIE = "z9hG4bK"

# RFC 3261 Figure 5 (INVITE client transaction) and Figure 6 (non-INVITE), observed from the
# wire: 'accepted' is RFC 6026's state after a 2xx.
INVITE_STATES: dict[tuple[str, str], str] = {
    ("calling", "1xx"): "proceeding",
    ("calling", "2xx"): "accepted",
    ("calling", "3xx-6xx"): "completed",
    ("proceeding", "1xx"): "proceeding",
    ("proceeding", "2xx"): "accepted",
    ("proceeding", "3xx-6xx"): "completed",
    ("accepted", "1xx"): "accepted",
    ("accepted", "2xx"): "accepted",
    ("completed", "1xx"): "completed",
    ("completed", "3xx-6xx"): "completed",
    ("completed", "ack"): "confirmed",
    ("confirmed", "3xx-6xx"): "confirmed",
    ("confirmed", "ack"): "confirmed",
}
NON_INVITE_STATES: dict[tuple[str, str], str] = {
    ("trying", "1xx"): "proceeding",
    ("trying", "2xx"): "completed",
    ("trying", "3xx-6xx"): "completed",
    ("proceeding", "1xx"): "proceeding",
    ("proceeding", "2xx"): "completed",
    ("proceeding", "3xx-6xx"): "completed",
    ("completed", "1xx"): "completed",
    ("completed", "2xx"): "completed",
    ("completed", "3xx-6xx"): "completed",
}


def response_event(status: int) -> str:
    if status < 200:
        return "1xx"
    if status < 300:
        return "2xx"
    return "3xx-6xx"


def transaction_key(msg: SipMessage) -> tuple | None:
    """The key shared by a request and its responses, or None if the message lacks one."""
    method = msg.method if msg.is_request else msg.cseq_method
    if method is None:
        return None
    if msg.is_request and method == "ACK":
        method = "INVITE"  # provisional: see TransactionTracker.add for ACK of a 2xx
    facts = msg.facts
    branch = facts.branch
    sent_by = facts.sent_by
    if branch and branch.startswith(MAGIC_COOKIE):
        return ("3261", branch, sent_by.lower(), method)
    return ("2543", msg.call_id, msg.cseq_number, method, facts.from_tag, sent_by.lower() if sent_by else None)


class TransactionTracker:
    """Feeds messages in order; keeps transactions, orphan responses and anomalies."""

    def __init__(self) -> None:
        self.transactions: list[Transaction] = []
        self.orphan_responses: list[SipMessage] = []
        self.anomalies: list[Anomaly] = []
        self._by_key: dict[tuple, Transaction] = {}
        self._ack_keys: dict[tuple, Transaction] = {}

    def _new(self, key: tuple, msg: SipMessage) -> Transaction:
        t = Transaction(
            id=f"t{len(self.transactions) + 1}",
            method=msg.method or "",
            request=msg,
            requests=[msg],
            state="calling" if msg.method == "INVITE" else "trying",
        )
        self.transactions.append(t)
        return t

    def close(self) -> None:
        """Every message is in: let go of the lookups by key (a key per transaction, kept only
        to match the messages that follow)."""
        self._by_key = {}
        self._ack_keys = {}

    def add(self, msg: SipMessage) -> Transaction | None:
        key = transaction_key(msg)
        if key is None:
            return None
        if msg.is_request:
            if msg.method == "ACK":
                return self._ack(key, msg)
            existing = self._by_key.get(key)
            if existing is not None and existing.method == msg.method:
                existing.requests.append(msg)
                return existing
            t = self._new(key, msg)
            self._by_key[key] = t
            return t
        t = self._by_key.get(key)
        if t is None or msg.status is None:
            self.orphan_responses.append(msg)
            return None
        t.add_response(msg)
        self._step(t, response_event(msg.status), msg)
        return t

    def _ack(self, key: tuple, msg: SipMessage) -> Transaction:
        invite = self._by_key.get(key)
        if invite is not None and invite.method == "INVITE" and invite.final is not None and invite.status >= 300:
            if invite.ack is None:
                invite.ack = msg
            self._step(invite, "ack", msg)
            return invite
        ack_key = key[:-1] + ("ACK",)
        existing = self._ack_keys.get(ack_key)
        if existing is not None:
            existing.requests.append(msg)
            return existing
        t = self._new(ack_key, msg)
        t.state = "n/a"
        self._ack_keys[ack_key] = t
        return t

    def _step(self, t: Transaction, event: str, msg: SipMessage) -> None:
        table = INVITE_STATES if t.method == "INVITE" else NON_INVITE_STATES
        nxt = table.get((t.state, event))
        if nxt is None:
            self.anomalies.append(
                Anomaly("unexpected-in-transaction", f"{msg.label} in state {t.state} of {t.method} transaction",
                        msg.origin)
            )
            return
        t.state = nxt
