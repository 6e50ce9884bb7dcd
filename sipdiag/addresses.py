"""What kind of IP address this is: the one classification rules, report and redaction share.

`category(ip)` names the range an address is in, each after the RFC that sets it aside:

=================  ==============================================================================
``private``        RFC 1918 (10/8, 172.16/12, 192.168/16), IPv6 unique local fc00::/7 (RFC 4193)
``site-local``     deprecated IPv6 site-local fec0::/10 (RFC 3879): not routed, like RFC 1918
``cgn``            RFC 6598 shared address space 100.64/10: the inside of a carrier-grade NAT
``link-local``     169.254/16 (RFC 3927), fe80::/10
``loopback``       127/8, ::1
``documentation``  RFC 5737 (192.0.2/24, 198.51.100/24, 203.0.113/24), 2001:db8::/32 (RFC 3849)
``reserved``       other special-purpose space that is not routed (0/8, 198.18/15, 240/4, ...)
``multicast``, ``unspecified`` (0.0.0.0, ::), ``broadcast`` (255.255.255.255)
``public``         everything routable on the Internet
``invalid``        not an IP address
=================  ==============================================================================

Two questions are asked of these categories, and they differ on purpose:

* `is_lan_private`: is this the private side of a NAT in a real network (private, site-local,
  CGN, link-local)? The report marks such hosts and redaction gives them private pseudonyms.
* `is_private_ip` / `is_global_ip`: can it be reached from the Internet? For the NAT rules
  documentation ranges count as not reachable: test labs (ours included, see GROUND_TRUTH.md:
  192.0.2.0/24 plays the LAN) build whole networks out of them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_CGN = ipaddress.ip_network("100.64.0.0/10")
_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_ULA = ipaddress.ip_network("fc00::/7")
_DOCUMENTATION = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                                         "2001:db8::/32"))
_BROADCAST = ipaddress.ip_address("255.255.255.255")

LAN_PRIVATE = frozenset({"private", "site-local", "cgn", "link-local"})
NOT_REACHABLE = LAN_PRIVATE | {"loopback", "documentation", "reserved", "unspecified", "broadcast"}


@lru_cache(maxsize=65536)
def category(ip: str | None) -> str:
    """The range `ip` belongs to (see the module docstring); 'invalid' if it is no IP address."""
    if not ip:
        return "invalid"
    try:
        addr = ipaddress.ip_address(ip.strip("[]").split("%")[0])
    except ValueError:
        return "invalid"
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return category(str(addr.ipv4_mapped))
    if addr.is_loopback:
        return "loopback"
    if addr.is_unspecified:
        return "unspecified"
    if addr == _BROADCAST:
        return "broadcast"
    if addr.is_multicast:
        return "multicast"
    if addr.is_link_local:
        return "link-local"
    if addr.version == 4 and any(addr in net for net in _RFC1918):
        return "private"
    if addr.version == 6 and addr in _ULA:
        return "private"
    if addr.version == 6 and addr in _SITE_LOCAL:
        return "site-local"
    if addr.version == 4 and addr in _CGN:
        return "cgn"
    if any(addr.version == net.version and addr in net for net in _DOCUMENTATION):
        return "documentation"
    if addr.is_global:
        return "public"
    return "reserved"


def is_lan_private(ip: str | None) -> bool:
    """The private side of a NAT in a real network: RFC 1918, ULA, site-local, CGN, link-local."""
    return category(ip) in LAN_PRIVATE


@lru_cache(maxsize=65536)
def is_private_ip(ip: str | None) -> bool:
    """Not reachable from the Internet (documentation ranges included: labs use them as LANs)."""
    cat = category(ip)
    if cat in NOT_REACHABLE:
        return True
    # anything else Python's ipaddress calls private (e.g. IPv6 protocol-assignment space)
    try:
        return ipaddress.ip_address((ip or "").strip("[]").split("%")[0]).is_private
    except ValueError:
        return False


def is_global_ip(ip: str | None) -> bool:
    """Routable on the Internet."""
    return category(ip) == "public"
