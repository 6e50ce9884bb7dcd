"""SD501 tcp-segmented: SIP messages that spanned several TCP segments (reassembled)."""

from __future__ import annotations

from .base import Rule, register


@register
class TcpSegmented(Rule):
    code = "SD501"
    slug = "tcp-segmented"
    severity = "info"
    name = "SIP message split across TCP segments (reassembled)"
    role = "capture"
    short = "SIP split over TCP segments"

    def check(self, analysis):
        msgs = [m for m in analysis.messages if m.tcp_segments > 1]
        if not msgs:
            return
        first = msgs[0]
        yield self.finding(
            f"{len(msgs)} SIP message(s) were split across TCP segments",
            f"For example {first.label} ({len(first.raw)} bytes) came in {first.tcp_segments} segments, "
            f"frames {first.first_origin.frame if first.first_origin else '?'}–{first.origin.frame}. This is "
            "normal for large messages on TCP; sipdiag reassembled them. Tools that only look at single "
            "packets (or ngrep) show them cut.",
            "Nothing to fix.",
            [m.origin for m in msgs[:5]] + ([first.first_origin] if first.first_origin else []),
            details={"messages": len(msgs)},
        )
