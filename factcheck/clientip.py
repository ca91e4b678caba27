"""The client's address: the one rule that login lockouts (django-axes), API throttling and
the failed-token counter all key on.

`X-Forwarded-For` is believed only when the connection comes from a proxy listed in
`TRUSTED_PROXIES` (CIDRs; empty by default). Then the client is the right-most address in the
header that is not itself a trusted proxy: every trusted hop appends the address it saw, so
entries left of the first untrusted one are whatever the client chose to send. Without a
trusted proxy the address is `REMOTE_ADDR`, and a client rotating `X-Forwarded-For` changes
nothing.

Hand-written rather than django-ipware: ipware matches trusted proxies by string prefix, not
by network, and picks left-most or right-most by a fixed proxy count; a walk from the right
past trusted networks is what a chain of known proxies needs.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def trusted_networks() -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` as networks (read per call, so settings overrides apply)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _parse(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: Any) -> str:
    """The address a request comes from (a Django `HttpRequest` or a DRF `Request`)."""
    meta = request.META
    remote = str(meta.get("REMOTE_ADDR") or "")
    networks = trusted_networks()
    if not networks:
        return remote
    peer = _parse(remote)
    if peer is None or not _trusted(peer, networks):
        return remote
    client = peer
    for entry in reversed(str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
        address = _parse(entry)
        if address is None:
            # Garbage in the chain: nothing left of it can be believed; the last trusted hop
            # is the best address known.
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
