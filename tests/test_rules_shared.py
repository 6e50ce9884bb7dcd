"""The rules' shared passes give what the per-rule, per-message definitions give, and no more.

The rules stage shares work between rules (rules/memo.py) and skips questions whose answer cannot
change a finding (the NAT dedupe key read before the view is judged, a transaction asked for
response retransmissions only when two responses share a status, a 2xx asked for credentials only
when a rejected retry needs it). Each shortcut is checked here against the plain definition, on
every bundled and corpus capture.
"""

from __future__ import annotations

import gc
import weakref

import pytest
from conftest import CORPUS, SAMPLES

from sipdiag.analysis import analyze_paths
from sipdiag.flow.index import build_index
from sipdiag.rules import memo
from sipdiag.rules.auth_failed import _LaterSuccess
from sipdiag.rules.facts import flow_of, nat_view
from sipdiag.rules.ip_in_request_uri import ip_literal_requests
from sipdiag.rules.nat import originated_views
from sipdiag.rules.retransmissions import _may_repeat_a_response

CAPTURES = sorted(p for root in (SAMPLES / "lab", CORPUS / "lab", CORPUS / "public") if root.is_dir()
                  for p in root.iterdir() if p.suffix in (".pcap", ".pcapng", ".cap", ".log"))


@pytest.fixture(scope="module", params=CAPTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def analysis(request):
    return analyze_paths([str(request.param)])


def _views_one_by_one(analysis):
    """originated_views as first written: every request's view built, then deduplicated."""
    seen, out = set(), []
    for msg in analysis.messages:
        if not msg.is_request or msg.method in ("ACK", "CANCEL", "BYE") or msg.via_count != 1:
            continue
        flow = flow_of(analysis, msg)
        view = nat_view(analysis, msg, flow)
        if view is None or (view.seen, view.contact, view.via) in seen:
            continue
        seen.add((view.seen, view.contact, view.via))
        out.append((view, flow))
    return out


def test_nat_views_are_those_of_every_request_judged(analysis):
    shared = originated_views(analysis)
    plain = _views_one_by_one(analysis)
    assert [(v.message.seq, f.id if f else None) for v, f in shared] == \
        [(v.message.seq, f.id if f else None) for v, f in plain]
    assert [vars_of(v) for v, _f in shared] == [vars_of(v) for v, _f in plain]


def vars_of(view) -> dict:
    return {k: getattr(view, k) for k in view.__dataclass_fields__}


def test_ip_literal_requests_are_the_out_of_dialog_user_at_ip_requests(analysis):
    expected = [m for m in analysis.messages if m.is_request and not (m.to is not None and m.to.tag)
                and m.ruri is not None and m.ruri.host_is_ip and m.ruri.user]
    assert ip_literal_requests(analysis) == expected


def test_only_transactions_with_a_repeated_status_have_response_retransmissions(analysis):
    for t in analysis.transactions:
        if not _may_repeat_a_response(t):
            assert t.response_retransmissions == 0, t.id


def test_a_shared_result_is_computed_once_per_analysis_and_again_for_a_new_index():
    a = analyze_paths([str(SAMPLES / "lab" / "lab-01-register-auth-ok-nat.pcap")])
    calls = []

    def compute(analysis):
        calls.append(analysis)
        return object()

    first = memo.shared(a, compute)
    assert memo.shared(a, compute) is first and len(calls) == 1
    a.index = build_index(a)
    assert memo.shared(a, compute) is not first and len(calls) == 2


def test_the_memo_does_not_keep_an_analysis_alive():
    a = analyze_paths([str(SAMPLES / "lab" / "lab-01-register-auth-ok-nat.pcap")])
    assert originated_views(a)
    alive = weakref.ref(a)
    del a
    gc.collect()
    assert alive() is None


class _T:
    def __init__(self, method, has_credentials):
        self.method, self.has_credentials = method, has_credentials


def test_later_success_needs_a_2xx_with_credentials_of_the_same_method():
    later = _LaterSuccess()
    assert not later.accepted("REGISTER")
    later.add(_T("REGISTER", False))
    later.add(_T("INVITE", True))
    assert not later.accepted("REGISTER")
    assert later.accepted("INVITE")
    later.add(_T("REGISTER", True))
    assert later.accepted("REGISTER") and later.accepted("REGISTER")
