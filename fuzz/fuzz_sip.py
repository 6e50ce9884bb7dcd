"""atheris harness: bytes → the SIP parser, the stream framer and every structured view.

Run (see fuzz/README.md): python fuzz/fuzz_sip.py -atheris_runs=1000000 fuzz/seeds-sip
Any exception is a bug: the parser turns bad peer input into anomalies, never raises.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from sipdiag.sip.framing import StreamFramer, split_datagram
    from sipdiag.sip.message import SipMessage
    from sipdiag.sip.parser import parse_message
    from sipdiag.sources.frame import Origin

HERE = Origin("fuzz", frame=1)


def exercise(msg: SipMessage) -> None:
    """Touch every lazily parsed view, as rules and reports do."""
    _ = (msg.headers, msg.body, msg.call_id, msg.cseq, msg.vias, msg.via_count, msg.top_via, msg.from_, msg.to,
         msg.contacts, msg.record_routes, msg.routes, msg.ruri, msg.authorization, msg.challenge, msg.expires,
         msg.content_type, msg.sdp, msg.body_parts, msg.to_json(), msg.label)
    for name, _value in msg.headers:
        msg.header(name)
        msg.header_values(name)


def test_one_input(data: bytes) -> None:
    for transport in ("UDP", "TCP"):
        result = parse_message(data, origin=HERE, transport=transport)
        if isinstance(result, SipMessage):
            exercise(result)
    for part in split_datagram(data):
        parse_message(part, origin=HERE)
    framer = StreamFramer()
    half = len(data) // 2
    for chunk, gap in ((data[:half], False), (data[half:], len(data) % 3 == 0)):
        messages, _problems = framer.feed(chunk, HERE, None, gap)
        for m in messages:
            parse_message(m.data, origin=m.origin, transport="TCP")
    framer.finish()


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
