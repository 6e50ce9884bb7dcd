"""SD203 codec-mismatch: 488/606 about media, or offer and answer share no codec, or all media refused.

A 488/606 whose Warning header (RFC 3261 §20.43) names a non-media problem is not a codec
problem: `flow.flows.refuses_media` decides, and call-failed reports it with the Warning text.
"""

from __future__ import annotations

from ..flow.flows import refuses_media
from .base import Rule, register

NON_CODECS = {"telephone-event", "cn", "red", "ulpfec", "rtx", "comfort-noise"}


def _codec_names(media) -> set[str]:
    return {c.split("/")[0].lower() for c in media.codecs} - NON_CODECS


@register
class CodecMismatch(Rule):
    code = "SD203"
    slug = "codec-mismatch"
    severity = "error"
    name = "No common codec: 488/606 or offer and answer do not overlap"
    role = "cause"
    short = "no common codec"
    pbx_checks = ("pjsip show endpoint {endpoint}", "core show translation")
    explains = {"call-failed": "same-call", "request-failed": "same-flow"}

    def check(self, analysis):
        for flow in analysis.flows_of("call"):
            for t in flow.transactions:
                if t.method != "INVITE":
                    continue
                offer = t.request.sdp
                final = t.final
                if t.status in (488, 606):
                    if not refuses_media(final):
                        continue  # the Warning names another refused part (a body, a header): call-failed says it
                    offered = sorted({c for md in (offer.media if offer else []) for c in md.codecs})
                    reinvite = bool(t.request.to and t.request.to.tag)
                    yield self.finding(
                        f"{'re-INVITE' if reinvite else 'INVITE'} refused with {final.start_line[8:]}",
                        f"The other side does not accept the offered media ({', '.join(offered) or 'no SDP'})."
                        + (" It was a re-INVITE (e.g. a switch to T.38 fax), so the call itself stayed up on "
                           "the old media." if reinvite else ""),
                        "Allow a codec both sides support (Asterisk: allow= on the endpoint; phones: codec "
                        "list). For T.38 re-INVITEs: enable T.38 on both sides (Asterisk t38_udptl=yes) or "
                        "use G.711 pass-through.",
                        [final.origin, t.request.origin], severity="warning" if reinvite else "error",
                        flow=flow.id, details={"offered": offered, "status": t.status},
                    )
                    continue
                if final is None or not final.status or not 200 <= final.status < 300:
                    continue
                answer = final.sdp
                if offer is None or answer is None:
                    continue
                for o_media, a_media in zip(offer.media, answer.media):
                    if o_media.port == 0 or o_media.kind != "audio":
                        continue  # declining an offered video/other stream is normal negotiation
                    common = _codec_names(o_media) & _codec_names(a_media)
                    if a_media.port == 0 or (not common and _codec_names(o_media) and _codec_names(a_media)):
                        yield self.finding(
                            f"{o_media.kind} stream refused in the answer",
                            f"Offer: {', '.join(o_media.codecs)}; answer: "
                            f"{'port 0 (stream rejected)' if a_media.port == 0 else ', '.join(a_media.codecs)}."
                            " The answerer accepted the call but not its audio: there will be no sound.",
                            "Make the codec lists overlap on both sides.",
                            [final.origin, t.request.origin],
                            flow=flow.id,
                            details={"media": o_media.kind},
                        )
