"""Transactions → the flows a support engineer thinks in, each with an outcome.

Grouping: REGISTER transactions by address-of-record (the To URI without port and
parameters), so a registration's story survives Call-ID changes and refreshes; every
other transaction by Call-ID, the flow's kind given by its initial request (INVITE → call,
SUBSCRIBE → subscription, OPTIONS, NOTIFY, MESSAGE, PUBLISH, else other). Out-of-dialog
OPTIONS with their own Call-IDs between the same two hosts for the same target are one
keep-alive flow.

Outcomes are facts from a small vocabulary (model.py: registered, answered, rejected,
cancelled, challenge-unanswered, no-response, ...), with the decisive message, its status and
whether the decisive request carried credentials beside them. Why a flow was rejected (no AOR,
bad password, busy, codecs) is for rules/ to say.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from ..sip.message import SipMessage
from . import model as m
from .model import Flow, Transaction

KIND_BY_METHOD = {
    "INVITE": "call",
    "SUBSCRIBE": "subscription",
    "OPTIONS": "options",
    "NOTIFY": "notify",
    "MESSAGE": "message",
    "PUBLISH": "publish",
    "REFER": "refer",
    "INFO": "other",
}
KIND_PRIORITY = ["call", "subscription", "refer", "publish", "message", "notify", "options", "other"]

# Among several final responses to an initial INVITE (a forking proxy, a B2BUA relaying the
# callee's answer) the one that names what happened is shown: these before any other >= 300.
SPECIFIC_INVITE_STATUSES = frozenset({486, 600, 488, 606, 487, 503})


# RFC 3261 §20.43: warning-value = warn-code SP warn-agent SP warn-text (quoted). Codes 300-329
# name session-description keywords, 330-339 network services and 370-379 QoS asked for in the
# session description (340-369 and 380-389 are unassigned in those blocks); 390-399 are
# miscellaneous warnings "that do not fall into one of the above categories", so only their text
# tells what was refused. 1xx/2xx come from HTTP and say nothing about media.
WARNING_VALUE = re.compile(r'(?P<code>\d{3})\s+(?P<agent>[^\s"]+)\s+"(?P<text>(?:[^"\\]|\\.)*)"')
SDP_WARN_CODES = range(300, 390)
MISC_WARN_CODES = range(390, 400)
MEDIA_WORDS = re.compile(r"codec|media|\bsdp\b|payload|\brtp\b|t\.?38|fax|bandwidth|srtp|crypto|dtls|\bice\b",
                         re.IGNORECASE)


def warnings_of(response: SipMessage) -> list[tuple[int, str, str]]:
    """The response's Warning values as (code, agent, text), in order."""
    out = []
    for value in response.header_values("Warning"):
        for mm in WARNING_VALUE.finditer(value):
            out.append((int(mm["code"]), mm["agent"], mm["text"]))
    return out


def refuses_media(response: SipMessage) -> bool:
    """Does a 488/606 refuse the offered media? Its Warning header decides when there is one.

    Without a Warning the status itself (RFC 3261 §21.4.26: "the offered session description")
    is taken at its word. With Warnings, it is a media refusal if one of them has an SDP code
    (300-389) or a miscellaneous code (390-399) whose text talks about media; a Warning that
    names something else (a refused ISUP body, a missing header) is not about codecs.
    """
    warnings = warnings_of(response)
    if not warnings:
        return True
    return any(code in SDP_WARN_CODES or (code in MISC_WARN_CODES and MEDIA_WORDS.search(text))
               for code, _agent, text in warnings)


def _aor(msg: SipMessage) -> str | None:
    to = msg.to
    if to is None or to.uri is None:
        return None
    return to.uri.aor.lower()


def _is_unregister(msg: SipMessage) -> bool:
    if msg.expires == 0:
        return True
    contacts = msg.contacts
    if contacts and all(c.params.get("expires") == "0" or c.raw == "*" for c in contacts):
        return True
    return False


def build_flows(transactions: list[Transaction], end_time: float | None = None,
                orphans: list[SipMessage] = ()) -> list[Flow]:
    """Group transactions into flows; `end_time` (end of the trace) tells a timeout from a cut.

    `orphans` are responses whose request is not in the trace; final responses to a REGISTER
    join the registration flow they belong to (see `_attach_orphans`) and count in its outcome.
    """
    groups: "OrderedDict[tuple, list[Transaction]]" = OrderedDict()
    for t in transactions:
        if t.method == "REGISTER":
            key = ("registration", _aor(t.request) or t.request.call_id)
        else:
            key = ("dialog", t.request.call_id)
        groups.setdefault(key, []).append(t)
    orphans_of = _attach_orphans(groups, orphans)

    flows: list[Flow] = []
    options_index: dict[tuple, Flow] = {}
    for (group, ident), ts in groups.items():
        if group == "registration":
            flow = Flow(id="", kind="registration", call_id=ts[0].request.call_id, aor=ident, transactions=ts,
                        orphan_responses=orphans_of.get((group, ident), []))
            _registration_outcome(flow, end_time)
        else:
            kinds = {KIND_BY_METHOD.get(t.method, "other") for t in ts if t.method not in ("ACK", "CANCEL", "BYE")}
            kind = next((k for k in KIND_PRIORITY if k in kinds), "other")
            initial = next((t for t in ts if KIND_BY_METHOD.get(t.method, "other") == kind), ts[0])
            target = initial.request.ruri.aor.lower() if initial.request.ruri else None
            if kind == "options":
                okey = (initial.client.ip, initial.server.ip, target)
                if okey in options_index:
                    options_index[okey].transactions.extend(ts)
                    continue
            flow = Flow(id="", kind=kind, call_id=ident, aor=target, transactions=ts)
            if kind == "options":
                options_index[okey] = flow
            flows.append(flow)
            continue
        flows.append(flow)

    for flow in flows:
        flow.transactions.sort(key=lambda t: t.request.seq)
        flow.call_ids = list(OrderedDict.fromkeys(t.request.call_id for t in flow.transactions if t.request.call_id))
        if flow.kind == "call":
            _call_outcome(flow, end_time)
        elif flow.kind != "registration":
            _exchange_outcome(flow, end_time)
    flows.sort(key=lambda f: f.transactions[0].request.seq)
    for i, flow in enumerate(flows, 1):
        flow.id = f"{flow.kind[:3]}-{i}"
    return flows


def _attach_orphans(groups, orphans) -> dict[tuple, list[SipMessage]]:
    """Final responses to REGISTER whose request is missing → the registration group they answer.

    A response copies the request's To, Call-ID and CSeq (RFC 3261 §8.2.6), so it names its
    registration (To AOR) and the REGISTER it answers (Call-ID, CSeq number) even when that
    request fell into a capture gap. It joins the group with the same AOR and Call-ID, unless
    the group already has a final response for that CSeq (then it is a duplicate whose Via
    did not match, and adds nothing).
    """
    out: dict[tuple, list[SipMessage]] = {}
    seen: dict[tuple, tuple[set, set]] = {}
    """group key → (its Call-IDs, its (Call-ID, CSeq number) pairs with a final response), once."""
    for r in orphans:
        if r.cseq_method != "REGISTER" or not r.status or r.status < 200:
            continue
        key = ("registration", _aor(r) or r.call_id)
        ts = groups.get(key)
        if not ts:
            continue
        known = seen.get(key)
        if known is None:
            known = seen[key] = ({t.request.call_id for t in ts},
                                 {(t.request.call_id, t.request.cseq_number) for t in ts if t.final is not None})
        call_ids, answered = known
        if r.call_id not in call_ids or (r.call_id, r.cseq_number) in answered:
            continue
        out.setdefault(key, []).append(r)
    return out


TIMER_B = 32.0
"""RFC 3261 §17.1.1.2: 64*T1; a request unanswered this long has timed out."""


def _no_final(t: Transaction, end_time: float | None) -> str:
    """no-response if the request was retransmitted or timed out before the trace ended."""
    if t.request_retransmissions:
        return m.NO_RESPONSE
    if end_time is not None and t.request.time is not None and end_time - t.request.time >= TIMER_B:
        return m.NO_RESPONSE
    return m.IN_PROGRESS


def _registration_attempts(flow: Flow) -> list[tuple[Transaction | None, SipMessage | None]]:
    """(transaction, its final response) in trace order; an orphan final response is (None, response)."""
    items = [(t.request.seq, t, t.final) for t in flow.transactions]
    items += [(r.seq, None, r) for r in flow.orphan_responses]
    return [(t, final) for _seq, t, final in sorted(items, key=lambda x: x[0])]


def _only_expired_bindings(response: SipMessage) -> bool:
    """A 2xx to REGISTER whose bindings all expire now: the request removed them (RFC 3261 §10.3)."""
    contacts = response.contacts
    return bool(contacts) and all(c.params.get("expires") == "0" for c in contacts)


def _decide(flow: Flow, outcome: str, detail: str, message: SipMessage | None, credentials: bool = False) -> None:
    flow.outcome, flow.outcome_detail, flow.outcome_message = outcome, detail, message
    flow.final_status = message.status if message is not None and not message.is_request else None
    flow.credentials = credentials


def _registration_outcome(flow: Flow, end_time: float | None) -> None:
    """Walk the REGISTER attempts; the flow's outcome is that of the last decisive one.

    An orphan final response (its REGISTER lost in a capture gap) is an attempt too: it shows
    the client did send another REGISTER and what the registrar answered. Whether that request
    carried credentials is not visible; after a challenge it did (RFC 3261 §22.2).
    """
    decision: tuple = (m.IN_PROGRESS, "no final response in the trace", None, False)
    registered = False
    attempts = _registration_attempts(flow)
    # retried_after[i]: an attempt after i carried credentials (or is an orphan response, whose
    # request did), worked out once from the end instead of rescanning the rest per attempt
    retried_after = [False] * len(attempts)
    for i in range(len(attempts) - 2, -1, -1):
        x = attempts[i + 1][0]
        retried_after[i] = retried_after[i + 1] or x is None or x.has_credentials
    challenged_before = False
    for i, (t, final) in enumerate(attempts):
        last = i == len(attempts) - 1
        if t is not None:
            creds = t.has_credentials
        else:
            creds = challenged_before
        if final is not None and final.status in (401, 407):
            challenged_before = True
        if final is None:
            if last:
                outcome = _no_final(t, end_time)
                detail = (f"REGISTER sent {len(t.requests)} times without a final response"
                          if outcome == m.NO_RESPONSE else "no final response in the trace")
                decision = (outcome, detail, t.requests[-1], creds)
            continue
        status = final.status or 0
        unseen = "" if t is not None else f" CSeq {final.cseq_number}, whose request is not in the trace"
        if 200 <= status < 300:
            unregister = _is_unregister(t.request) if t is not None else _only_expired_bindings(final)
            if unregister:
                if not registered:
                    decision = (m.UNREGISTERED, "un-REGISTER (expires=0) accepted" + unseen, final, creds)
            else:
                registered = True
                decision = (m.REGISTERED, f"{final.start_line[8:]} to REGISTER{unseen}", final, creds)
            continue
        if status in (401, 407):
            if t is None:
                continue  # a challenge to an unseen request decides nothing
            retried = retried_after[i]
            if creds and not _stale(final):
                decision = (m.REJECTED, f"{status} again after credentials were sent", final, True)
            elif not retried and last:
                decision = (m.CHALLENGE_UNANSWERED, f"{status} challenge, no REGISTER with credentials followed",
                            final, False)
            continue
        auth = " to authenticated REGISTER" if creds else " to REGISTER"
        decision = (m.REJECTED, f"{final.start_line[8:]}{auth}{unseen}", final, creds)
    _decide(flow, *decision)


def _stale(challenge: SipMessage) -> bool:
    """The 401/407 says stale=true (RFC 2617 §3.2.1): the nonce expired, the credentials may be right."""
    parsed = challenge.challenge
    return parsed is not None and (parsed.get("stale") or "").lower() == "true"


def _call_outcome(flow: Flow, end_time: float | None) -> None:
    invites = [t for t in flow.transactions if t.is_initial_invite]
    if not invites:
        invites = [t for t in flow.transactions if t.method == "INVITE"]
    cancels = [t for t in flow.transactions if t.method == "CANCEL"]
    answered = next((t for t in invites if t.status and 200 <= t.status < 300), None)
    if answered is not None:
        _decide(flow, m.ANSWERED, f"answered: {answered.final.start_line[8:]}", answered.final,
                answered.has_credentials)
        return
    finals = [t for t in invites if t.status and t.status >= 300 and t.status not in (401, 407)]
    if finals:
        # the response closest to the caller is the first one generated; prefer the most specific
        t = min(finals, key=lambda x: (x.status not in SPECIFIC_INVITE_STATUSES, x.final.seq))
        outcome = m.CANCELLED if t.status == 487 and cancels else m.REJECTED
        _decide(flow, outcome, f"INVITE answered {t.final.start_line[8:]}", t.final, t.has_credentials)
        return
    if cancels:
        _decide(flow, m.CANCELLED, "CANCEL sent before any final response", cancels[0].request)
        return
    challenged = [t for t in invites if t.status in (401, 407)]
    if challenged and all(t.status in (401, 407) for t in invites):
        _decide(flow, m.CHALLENGE_UNANSWERED,
                f"{challenged[-1].status} challenge, no INVITE with credentials followed", challenged[-1].final)
        return
    last = invites[-1] if invites else flow.transactions[-1]
    outcome = _no_final(last, end_time)
    _decide(flow, outcome, f"INVITE sent {len(last.requests)} times without a final response"
            if outcome == m.NO_RESPONSE else "no final response in the trace", last.requests[-1], last.has_credentials)


def _exchange_outcome(flow: Flow, end_time: float | None) -> None:
    """OPTIONS, SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH...: the last request decides."""
    main = [t for t in flow.transactions if t.method not in ("ACK",)]
    last = main[-1] if main else flow.transactions[-1]
    final = last.final
    if final is None:
        outcome = _no_final(last, end_time)
        _decide(flow, outcome, f"{last.method} sent {len(last.requests)} times without a final response"
                if outcome == m.NO_RESPONSE else "no final response in the trace", last.requests[-1],
                last.has_credentials)
        return
    failed = [t for t in main if t.status and t.status >= 300 and t.status not in (401, 407)]
    if failed:
        t = failed[-1]
        _decide(flow, m.REJECTED, f"{t.method} answered {t.final.start_line[8:]}", t.final, t.has_credentials)
        return
    if final.status in (401, 407):
        _decide(flow, m.CHALLENGE_UNANSWERED,
                f"{final.status} challenge, no {last.method} with credentials followed", final)
        return
    _decide(flow, m.ANSWERED, f"{last.method} answered {final.start_line[8:]}", final, last.has_credentials)
