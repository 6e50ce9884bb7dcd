"""Findings → verdicts: the root cause first, the symptoms it explains under it.

How this works. Every rule declares a `role` and, when it can be a cause, which other rules'
findings it `explains` and by what link (see `LINKS`):

* ``same-flow``: both findings are about one flow (a registration, a call, an exchange);
* ``same-call``: both are about legs of one call through a B2BUA (the caller's INVITE to the
  PBX and the PBX's INVITE to the callee, flow/legs.py), or about one flow;
* ``same-address``: the cause names an address (the Contact a phone advertises, the address
  it is seen from, its NAT binding) and the symptom's messages were sent to it — the request
  that got no answer went where the cause says nothing can be reached;
* ``same-user``: both are about one user (the AOR that could not register and the call to it).

What a finding is about is read from its evidence (the flows and destinations of the messages
it cites) and its `details` (the address and user facts rules record), so the links need no
code per rule. A finding explained by another finding is a symptom of it and never leads; the
findings that nobody explains are the roots. Roots of one rule form one problem class (on a
busy capture "aor-not-found × 215 registrations" is one verdict, not 215 alarms), and classes
are ranked by the worst severity in their chain, then by how many flows they touch, then by
when they first appear. With no error or warning left, the verdict is ``ok`` and says what
worked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..flow import model as m
from ..flow.model import Analysis
from . import evidence
from .base import REGISTRY, SEVERITY_RANK, Finding

CAUSE, SYMPTOM, OUTCOME, CAPTURE, INTERNAL = "cause", "symptom", "outcome", "capture", "internal"
ROLES = (CAUSE, SYMPTOM, OUTCOME, CAPTURE, INTERNAL)
"""cause: a reason things fail; symptom: a failure that needs a reason (no-response, call-failed);
outcome: what happened to a flow (registered, answered, busy); capture: a property of the trace
itself; internal: sipdiag's own trouble."""

LINKS = ("same-flow", "same-call", "same-address", "same-user")
"""From the closest link to the loosest: a symptom goes to the cause with the closest link."""

ADDRESS_DETAILS = ("contact", "binding", "via")
"""`details` keys naming the address a finding blames: the Contact or Via a phone advertises, the
NAT binding that expired. (Where a phone is seen from is where it can be reached: not blamed.)"""
USER_DETAILS = ("aor_user", "user", "endpoint", "username")
"""`details` keys whose values name the user a finding is about."""

OK_SLUG = "ok"
ENDED_WELL = m.ENDED_WELL


@dataclass
class Verdict:
    """One independent problem (or `ok`): its root-cause findings and the symptoms they explain."""

    slug: str
    code: str | None
    severity: str
    """The worst severity in the chain (a busy callee that made the call fail is a warning)."""
    title: str
    summary: str
    causes: list[Finding] = field(default_factory=list)
    """The root findings of this class, in trace order (several for a busy capture)."""
    explains: list[Finding] = field(default_factory=list)
    """Findings accounted for by the causes, in trace order."""
    also: list[Finding] = field(default_factory=list)
    """For `ok`: warnings about flows that still ended well, or about the capture (risks, not causes)."""
    flows: int = 0
    """How many flows the chain touches (its impact)."""
    worked: list[Finding] = field(default_factory=list)
    """For `ok`: the outcome findings of what worked (registered, answered)."""
    fix_also: list[Finding] = field(default_factory=list)
    """Other root causes about the same flows or users whose fix belongs with this one (the NAT
    settings of the endpoint a corrected config must have as well); see `Rule.fix_marker`."""

    @property
    def finding(self) -> Finding | None:
        """The representative root finding: the first instance."""
        return self.causes[0] if self.causes else None

    @property
    def evidence(self):
        return self.causes[0].evidence if self.causes else []


@dataclass
class _Scope:
    flows: set[str]
    calls: set[str]
    """The calls the flows are legs of (a flow that is no B2BUA leg is its own call)."""
    destinations: set[str]
    addresses: set[str]
    users: set[str]
    cites_failure: bool = False
    """The finding's evidence includes a final failure response (>= 300, not a 401/407 challenge)."""


def role_of(finding: Finding) -> str:
    rule = REGISTRY.get(finding.code)
    return rule.role if rule is not None else INTERNAL


def decide(analysis: Analysis, findings: list[Finding]) -> list[Verdict]:
    """The verdicts of one analysis, most important first; `[ok]` when nothing is wrong."""
    scopes = {id(f): _scope(analysis, f) for f in findings}
    explained_by = _explanations(findings, scopes)
    by_id = {id(f): f for f in findings}
    causing = {id(c) for sym_id, c in explained_by.items() if by_id[sym_id].severity in PROBLEM}
    classes: dict[str, list[Finding]] = {}
    unexplained: list[Finding] = []
    for f in findings:
        if id(f) in explained_by:
            continue
        role = role_of(f)
        if id(f) in causing:
            classes.setdefault(f.slug, []).append(f)
        elif role == OUTCOME:
            continue
        elif f.severity == "error" and role != CAPTURE:
            classes.setdefault(f.slug, []).append(f)
        elif f.severity == "warning" and role != CAPTURE and not _ended_well(analysis, scopes[id(f)]):
            classes.setdefault(f.slug, []).append(f)
        elif f.severity in PROBLEM:
            unexplained.append(f)
    verdicts = [_verdict(analysis, causes, findings, explained_by, scopes) for causes in classes.values()]
    verdicts.sort(key=lambda v: (SEVERITY_RANK.get(v.severity, 9), -v.flows, _position(v.causes[0])))
    if not verdicts:
        verdicts = [_ok(analysis, findings, unexplained)]
    for v in verdicts:
        lead = v.finding or next(iter(v.also), None)
        if lead is not None:
            evidence.attach(analysis, lead)
        if v.worked:
            evidence.attach(analysis, v.worked[0])
        if v.finding is not None:
            v.fix_also = _fix_also(v, findings, scopes)
            if not v.finding.corrected_config:
                evidence.attach_fix(analysis, v.finding, v.fix_also)
    return verdicts


def _fix_also(verdict: Verdict, findings: list[Finding], scopes: dict[int, "_Scope"]) -> list[Finding]:
    lead = verdict.finding
    mine = scopes[id(lead)]
    members = {id(c) for c in verdict.causes}
    out: list[Finding] = []
    seen: set[str] = set()
    for f in findings:
        rule = REGISTRY.get(f.code)
        marker = rule.fix_marker if rule is not None else ""
        if not marker or id(f) in members or f.slug in seen or not f.fix or marker in lead.fix:
            continue
        other = scopes[id(f)]
        if mine.flows & other.flows or mine.users & other.users:
            out.append(f)
            seen.add(f.slug)
    return out


PROBLEM = ("error", "warning")


def _ended_well(analysis: Analysis, scope: _Scope) -> bool:
    """Every flow the finding is about ended well (registered, answered, answered 2xx) and it cites no
    failed request: a risk, not a failure."""
    index = analysis.index
    if index is None or not scope.flows or scope.cites_failure:
        return False
    flows = [index.flow_by_id.get(fid) for fid in scope.flows]
    return all(flow is not None and flow.outcome in ENDED_WELL for flow in flows)


def _explanations(findings: list[Finding], scopes: dict[int, _Scope]) -> dict[int, Finding]:
    """id(symptom) → the finding that explains it (the best-ranked cause that links to it).

    Effects are looked up by flow, address and user, so this stays linear on busy captures.
    A finding is never explained by one it explains itself.
    """
    by_key: dict[tuple, list[Finding]] = {}
    for f in findings:
        sc = scopes[id(f)]
        for flow_id in sc.flows:
            by_key.setdefault((f.slug, "same-flow", flow_id), []).append(f)
        for call_id in sc.calls:
            by_key.setdefault((f.slug, "same-call", call_id), []).append(f)
        for address in sc.destinations | sc.addresses:
            by_key.setdefault((f.slug, "same-address", address), []).append(f)
        for user in sc.users:
            by_key.setdefault((f.slug, "same-user", user), []).append(f)
    out: dict[int, Finding] = {}
    # a handled problem (info: the server compensates for the NAT) explains nothing; an outcome
    # (the callee was busy) does explain the failure it caused
    causes = [f for f in findings if _rule_explains(f) and (f.severity in PROBLEM or role_of(f) == OUTCOME)]
    causes.sort(key=lambda f: (f.rank, _position(f)))
    # the closest link wins: a cause in the symptom's own flow (the callee answered 486) before one
    # about the address it was sent to, before one that only shares the user
    for link in LINKS:
        for cause in causes:
            cs = scopes[id(cause)]
            for slug, wanted in _rule_explains(cause).items():
                if wanted not in LINKS:
                    raise ValueError(f"{cause.slug} explains {slug} by unknown link {wanted!r}")
                if wanted != link:
                    continue
                keys = {"same-flow": cs.flows, "same-call": cs.calls, "same-address": cs.addresses,
                        "same-user": cs.users}[link]
                for key in keys:
                    for effect in by_key.get((slug, link, key), ()):
                        if effect is cause or id(effect) in out or out.get(id(cause)) is effect:
                            continue
                        out[id(effect)] = cause
    return out


def _rule_explains(f: Finding) -> dict[str, str]:
    rule = REGISTRY.get(f.code)
    return rule.explains if rule is not None else {}


def _scope(analysis: Analysis, f: Finding) -> _Scope:
    flows = {f.flow} if f.flow else set()
    destinations: set[str] = set()
    users: set[str] = set()
    failure = False
    index = analysis.index
    for origin in f.evidence:
        msg = index.message_at.get(origin) if index is not None else None
        if msg is None:
            continue
        flow = index.flow_of.get(msg.seq)
        if flow is not None:
            flows.add(flow.id)
        if msg.method is not None:
            destinations.add(str(msg.dst))
        elif msg.status is not None and msg.status >= 300 and msg.status not in (401, 407):
            failure = True
    if index is not None:
        for flow_id in flows:
            flow = index.flow_by_id.get(flow_id)
            if flow is not None and flow.aor:
                users.add(flow.aor.split(":", 1)[-1].split("@", 1)[0])
    details = f.details if isinstance(f.details, dict) else {}
    addresses = {str(details[k]) for k in ADDRESS_DETAILS if details.get(k)}
    users.update(str(details[k]) for k in USER_DETAILS if details.get(k))
    aor = details.get("aor")
    if aor:
        users.add(str(aor).split(":", 1)[-1].split("@", 1)[0])
    calls = {index.call_of.get(fid, fid) for fid in flows} if index is not None else set(flows)
    return _Scope(flows, calls, destinations, addresses, users, failure)


def _position(f: Finding) -> int:
    first = f.evidence[0] if f.evidence else None
    return (first.frame or first.line or 0) if first else 0


def _verdict(analysis: Analysis, causes: list[Finding], findings: list[Finding],
             explained_by: dict[int, Finding], scopes: dict[int, _Scope]) -> Verdict:
    members = {id(c) for c in causes}
    explains = [f for f in findings if _root_of(f, explained_by) in members and id(f) not in members]
    chain = causes + explains
    severity = min((f.severity for f in chain), key=lambda s: SEVERITY_RANK.get(s, 9))
    flows: set[str] = set()
    for f in chain:
        flows |= scopes[id(f)].flows
    first = causes[0]
    if len(causes) == 1:
        title = first.title
    else:
        title = f"{first.slug} × {len(causes):,} {_noun(causes, analysis, scopes)} (e.g. {first.title})"
    summary = first_sentence(first.cause)
    if explains:
        counts: dict[str, int] = {}
        for f in explains:
            counts[f.slug] = counts.get(f.slug, 0) + 1
        listed = ", ".join(f"{slug} × {n}" if n > 1 else slug for slug, n in counts.items())
        summary += f" This explains {plural(len(explains), 'other finding')}: {listed}."
    return Verdict(first.slug, first.code, severity, title, summary, causes=list(causes), explains=explains,
                   flows=len(flows))


def _root_of(f: Finding, explained_by: dict[int, Finding]) -> int | None:
    """id() of the root cause at the top of `f`'s chain, or None if nothing explains it."""
    seen: set[int] = set()
    cause = explained_by.get(id(f))
    root = None
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        root = id(cause)
        cause = explained_by.get(id(cause))
    return root


def _noun(causes: list[Finding], analysis: Analysis, scopes: dict[int, _Scope]) -> str:
    """What the instances of one class are: AORs (registrations), calls, or flows."""
    index = analysis.index
    kinds = set()
    for c in causes:
        for flow_id in scopes[id(c)].flows:
            flow = index.flow_by_id.get(flow_id) if index is not None else None
            kinds.add(flow.kind if flow is not None else None)
    if kinds == {"registration"}:
        return "AORs"
    if kinds == {"call"}:
        return "calls"
    return "findings"


def _ok(analysis: Analysis, findings: list[Finding], also: list[Finding]) -> Verdict:
    worked = [f for f in findings if role_of(f) == OUTCOME]
    if worked:
        parts = [f.title for f in worked[:3]]
        more = f" (and {len(worked) - 3} more)" if len(worked) > 3 else ""
        summary = "What worked: " + "; ".join(parts) + more + "."
        if len(worked) <= 2:
            title = "; ".join(f.title for f in worked)
        else:
            title = f"No problem found: {plural(len(worked), 'flow')} worked"
    elif analysis.messages:
        title = "No problem found"
        summary = f"{plural(len(analysis.messages), 'SIP message')} read; no rule found an error or a warning."
    else:
        title = "No SIP messages in the trace"
        summary = "Nothing to judge: the inputs hold no SIP messages sipdiag could read."
    if also:
        summary += f" Worth a look: {plural(len(also), 'warning')} ({', '.join(dict.fromkeys(f.slug for f in also))})."
    return Verdict(OK_SLUG, None, "info", title, summary, flows=len(analysis.flows), also=list(also),
                   worked=worked)


def first_sentence(text: str) -> str:
    for end in (". ", ".\n"):
        at = text.find(end)
        if at > 0:
            return text[: at + 1]
    return text


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n:,} {noun}s"
