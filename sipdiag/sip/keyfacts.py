"""The key facts of a message: what transaction matching, the host table and the NAT checks ask
of every message, without the parsed views.

`KeyFacts` holds the top Via (transport, host, port, branch, received=, rport=), how many Via
values there are, the From and To tags, the first Contact's host and port, the User-Agent
and Server and whether there are credentials — each exactly as the views of sip/headers.py (and `SipMessage.header`) give it
(`facts_from_views` reads them from there). The compiled core (rust/src/facts.rs), and on the
pure core its twin sip/plainfacts.py, read the same tuple straight from the bytes for the plain
forms nearly every message uses and decline the rest, so on a busy capture most messages never
build a Via, name-addr or URI view at all; tests/test_core_differential.py checks that all
three give the same tuple.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .message import SipMessage


class KeyFacts(NamedTuple):
    via_count: int
    """Via values in the message (`SipMessage.via_count`)."""
    via_transport: str | None
    via_host: str | None
    via_port: int | None
    branch: str | None
    received: str | None
    rport: int | None
    """rport= as a number (None: absent, a flag only, or no number)."""
    has_rport: bool
    from_tag: str | None
    to_tag: str | None
    contact_host: str | None
    """Host of the first Contact's URI as written (brackets kept on IPv6), None without one."""
    contact_port: int | None
    user_agent: str | None
    """The first User-Agent value (`SipMessage.user_agent`), and the first Server value."""
    server: str | None
    credentials: bool
    """The request carries credentials: a non-empty Authorization or Proxy-Authorization."""

    @property
    def sent_by(self) -> str | None:
        """The top Via's sent-by as `Via.sent_by` writes it, None without a top Via."""
        host = self.via_host
        if host is None:
            return None
        h = f"[{host}]" if ":" in host else host
        return f"{h}:{self.via_port}" if self.via_port else h


def facts_from_views(msg: "SipMessage") -> KeyFacts:
    """The key facts read from the parsed views (the general path, and the pure-Python twin of
    rust/src/facts.rs)."""
    via = msg.top_via
    from_, to = msg.from_, msg.to
    contacts = msg.contacts
    uri = contacts[0].uri if contacts else None
    return KeyFacts(
        msg._count_vias(),
        via.transport if via is not None else None,
        via.host if via is not None else None,
        via.port if via is not None else None,
        via.branch if via is not None else None,
        via.received if via is not None else None,
        via.rport if via is not None else None,
        via.has_rport if via is not None else False,
        from_.tag if from_ is not None else None,
        to.tag if to is not None else None,
        uri.host if uri is not None else None,
        uri.port if uri is not None else None,
        msg.header("User-Agent"),
        msg.header("Server"),
        bool(msg.header("Authorization") or msg.header("Proxy-Authorization")),
    )


new_facts = tuple.__new__
"""`new_facts(KeyFacts, t)`: a KeyFacts from the compiled core's plain tuple, without the
per-field checks of KeyFacts(*t)."""
