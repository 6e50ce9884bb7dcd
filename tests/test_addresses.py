"""The one address classification (sipdiag/addresses.py), as a table."""

from __future__ import annotations

import pytest

from sipdiag.addresses import category, is_global_ip, is_lan_private, is_private_ip


@pytest.mark.parametrize("ip, cat, lan, unreachable", [
    ("10.1.2.3", "private", True, True),
    ("172.31.0.1", "private", True, True),
    ("192.168.1.10", "private", True, True),
    ("100.64.0.7", "cgn", True, True),                 # RFC 6598: inside a carrier-grade NAT
    ("169.254.10.1", "link-local", True, True),
    ("127.0.0.1", "loopback", False, True),
    ("192.0.2.30", "documentation", False, True),      # RFC 5737: the lab's LAN
    ("203.0.113.88", "documentation", False, True),
    ("198.18.0.1", "reserved", False, True),           # RFC 2544 benchmarking
    ("0.0.0.0", "unspecified", False, True),
    ("255.255.255.255", "broadcast", False, True),
    ("224.0.0.1", "multicast", False, False),
    ("8.8.8.8", "public", False, False),
    ("fd00::1", "private", True, True),                # RFC 4193 unique local
    ("fec0::216:d3ff:fe0d:22c", "site-local", True, True),
    ("fe80::1", "link-local", True, True),
    ("::1", "loopback", False, True),
    ("2001:db8::5", "documentation", False, True),
    ("[2a00:1450:4001:81b::200e]", "public", False, False),
    ("::ffff:10.0.0.1", "private", True, True),        # an IPv4-mapped address is its IPv4 address
    ("pbx.example.com", "invalid", False, False),
    (None, "invalid", False, False),
])
def test_category(ip, cat, lan, unreachable):
    assert category(ip) == cat
    assert is_lan_private(ip) is lan
    assert is_private_ip(ip) is unreachable
    assert is_global_ip(ip) is (cat == "public")
