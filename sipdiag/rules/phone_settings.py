"""Phone-side settings that make a NATed phone advertise the wrong address, by product.

When a fix involves a phone behind NAT, the server-side settings (rewrite_contact, rtp_symmetric)
are half of it; the other half is the phone not lying about its address. Which setting does that
depends on the product named in the phone's User-Agent; the list is what each product's own
documentation calls it. Unknown products get the generic advice.
"""

from __future__ import annotations

import re

PRODUCTS: list[tuple[re.Pattern, str, list[str]]] = [
    (re.compile(r"microsip", re.I), "MicroSIP", [
        "Account → Public Address: empty (not \"auto\", which writes a guessed address into Contact)",
        "Account → STUN server: empty unless the provider asks for one",
        "Keep-alive (Settings → Keep-alive): 15–30 s, so the NAT binding stays open"]),
    (re.compile(r"zoiper", re.I), "Zoiper", [
        "Account → Network settings → Use rport: on", "STUN: off (the server rewrites the Contact)",
        "Keep-alive UDP: 30 s"]),
    (re.compile(r"linphone", re.I), "Linphone", [
        "Network → NAT and firewall: no STUN/ICE unless the server needs them", "Account → Publish presence: off",
        "Account → Expires: 600 s or less, so the binding is refreshed"]),
    (re.compile(r"baresip", re.I), "baresip", [
        "In the account line: ;regint=60 (or lower) so the NAT binding is refreshed",
        "No ;medianat=stun unless the server needs it; with rewrite_contact on the server the Contact may stay "
        "private"]),
    (re.compile(r"yealink", re.I), "Yealink", [
        "Account → Advanced → NAT Traversal: Disabled (STUN off) when the PBX handles NAT",
        "Account → Advanced → UDP Keep-alive Messages: Enabled, 30 s", "Network → Advanced → SIP ALG on the router: off"]),
    (re.compile(r"grandstream", re.I), "Grandstream", [
        "Account → Network Settings → NAT Traversal: Keep-Alive (not STUN/Auto)",
        "Account → SIP Settings → Use rport / Support SIP Instance ID: enabled"]),
    (re.compile(r"polycom|poly\b", re.I), "Poly", [
        "nat.keepalive.interval=30", "reg.1.server.1.expires=300 or less"]),
    (re.compile(r"snom", re.I), "Snom", [
        "Identity → NAT → NAT Keepalive: on, 30 s", "Identity → NAT → STUN server: empty"]),
    (re.compile(r"cisco|linksys|spa\d", re.I), "Cisco SPA", [
        "SIP → NAT Support Parameters → NAT Keep Alive Enable: yes", "Ext → NAT Mapping Enable: no when the PBX "
        "rewrites the Contact"]),
]
GENERIC = ["turn off any \"public address\" or STUN guess that writes an address into Contact/Via",
           "enable rport (RFC 3581) and NAT keep-alives (15–30 s)",
           "turn off the router's SIP ALG, which rewrites some headers and not others"]


def for_product(user_agent: str | None) -> tuple[str, list[str]]:
    """(product name, its settings) for a phone's User-Agent; ('', generic advice) when unknown."""
    for pattern, name, settings in PRODUCTS:
        if user_agent and pattern.search(user_agent):
            return name, settings
    return "", GENERIC
