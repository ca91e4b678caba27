"""Address guard for every outgoing request (link checks, archive look-ups, webhooks).

`vet_url` decides, before any connection, whether a URL may be fetched and which IP the
connection must be pinned to. The fetcher calls it on every redirect hop and connects to
`Target.ip` only, so a name cannot resolve to something else between vetting and connecting
(no DNS-rebinding window).

Pure Python: no Django imports; configuration arrives as an `EgressPolicy`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# A resolver takes (host, port) and returns the IP strings the host resolves to. It raises
# UnsafeURL(reason="dns") when the name does not resolve.
Resolver = Callable[[str, int], Sequence[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}

# Explicit block list. ipaddress flags are consulted as well (see `_is_blocked`), but their
# meaning shifts between Python releases, so the ranges that matter are spelled out here.
BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        # IPv4
        "0.0.0.0/8",  # "this network", 0.0.0.0 reaches localhost on Linux
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "192.175.48.0/24",  # AS112 direct delegation
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast 255.255.255.255
        # IPv6
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::ffff:0:0/96",  # IPv4-mapped: vetted through the embedded IPv4 instead
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/32",  # Teredo: embedded client address is obfuscated, refuse outright
        "2001:2::/48",  # benchmarking
        "2001:10::/28",  # ORCHID
        "2001:20::/28",  # ORCHIDv2
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)

_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_HOSTS_FILE = "/etc/hosts"

_ASCII_HOST_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_CONTROL_OR_SPACE_RE = re.compile(r"[\x00-\x20\x7f]")


# The words of every refusal by the egress allow-list (reason `not_in_allowlist`): checks keep
# only the message, and the desk tells this refusal apart from a private address by them.
ALLOWLIST_REFUSAL = "outside the egress allow-list"


class UnsafeURL(Exception):
    """The URL was refused before any connection.

    `reason` is a short machine code: scheme, credentials, crlf, port, blocked_address,
    not_in_allowlist, dns, malformed.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"UnsafeURL({self.reason!r}, {self.message!r})"


def _parse_networks(value: str | Iterable[str] | None) -> tuple[IPNetwork, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for item in items:
        text = str(item).strip()
        if text:
            # strict=False: "127.0.0.1/8" in an env var means the /8 it sits in.
            networks.append(ipaddress.ip_network(text, strict=False))
    return tuple(networks)


def _parse_ports(value: str | Iterable[str | int]) -> frozenset[int]:
    items = value.split(",") if isinstance(value, str) else list(value)
    ports = set()
    for item in items:
        text = str(item).strip()
        if text:
            port = int(text)
            if not 0 < port < 65536:
                raise ValueError(f"port out of range: {port}")
            ports.add(port)
    return frozenset(ports)


@dataclass(frozen=True)
class EgressPolicy:
    """Where outgoing requests may connect.

    `allowed_networks` exempts addresses from the block list (local testing).
    `egress_allowlist`, when not None, is the only set of destinations allowed at all.
    """

    allowed_networks: tuple[IPNetwork, ...] = ()
    egress_allowlist: tuple[IPNetwork, ...] | None = None
    allowed_ports: frozenset[int] = field(default_factory=lambda: frozenset({80, 443, 8080, 8443}))

    @classmethod
    def from_strings(
        cls,
        allowed_networks: str | Sequence[str] | None = "",
        egress_allowlist: str | Sequence[str] | None = None,
        allowed_ports: str | Sequence[str | int] = "80,443,8080,8443",
    ) -> EgressPolicy:
        """Build a policy from comma-separated strings or lists (as settings hold them).

        An empty allow-list ("" or []) means "not set", matching an unset env variable.
        """
        allowlist = _parse_networks(egress_allowlist)
        return cls(
            allowed_networks=_parse_networks(allowed_networks),
            egress_allowlist=allowlist or None,
            allowed_ports=_parse_ports(allowed_ports),
        )


@dataclass(frozen=True)
class Target:
    """A vetted destination. Connect to `ip`, send `host` as Host header and TLS SNI."""

    scheme: str
    host: str  # IDNA-encoded hostname, or the canonical IP for literals (no brackets)
    port: int
    path: str  # path plus "?query"; never empty, fragment dropped
    ip: str
    all_ips: tuple[str, ...] = ()

    @property
    def host_is_ip(self) -> bool:
        return _is_ip(self.host)

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The logical URL (hostname form): what redirects are resolved against."""
        return f"{self.scheme}://{self.netloc}{self.path}"

    def pinned_url(self, ip: str | None = None) -> str:
        """The URL actually requested: the vetted IP in place of the hostname."""
        addr = ip or self.ip
        host = f"[{addr}]" if ":" in addr else addr
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def default_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver (may send a DNS query)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeURL("dns", f"cannot resolve {host}: {exc}") from exc
    addrs: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0]).split("%", 1)[0]
        if addr not in addrs:
            addrs.append(addr)
    if not addrs:
        raise UnsafeURL("dns", f"{host} resolved to no address")
    return addrs


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def hosts_file_resolver(host: str, port: int, *, path: str = _HOSTS_FILE) -> list[str]:
    """Resolve from the local hosts file only (RFC 6761 `localhost` names included).

    Used instead of DNS when the egress allow-list only admits loopback: nothing outside the
    machine could pass the guard anyway, and a DNS query would itself leave the machine.
    """
    addrs: list[str] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split("#", 1)[0].split()
                names = [name.lower() for name in fields[1:]]
                if host in names and fields[0] not in addrs and _is_ip(fields[0]):
                    addrs.append(fields[0])
    except OSError:
        pass
    if not addrs and (host == "localhost" or host.endswith(".localhost")):
        addrs = ["127.0.0.1", "::1"]
    if not addrs:
        raise UnsafeURL(
            "not_in_allowlist",
            f"{host} is {ALLOWLIST_REFUSAL}: it admits loopback only and {host} is "
            "not in the local hosts file (no DNS query is made)",
        )
    return addrs


def _loopback_only(networks: tuple[IPNetwork, ...] | None) -> bool:
    if not networks:
        return False
    # Every address of every network is loopback (first and last suffice for a CIDR).
    return all(
        net.network_address.is_loopback and net.broadcast_address.is_loopback for net in networks
    )


def _parse_ipv4_number(part: str) -> int | None:
    """One dotted part as inet_aton/WHATWG read it: 0x hex, leading-zero octal, decimal."""
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        if digits == "":
            return 0
        return int(digits, 16) if re.fullmatch(r"[0-9a-fA-F]+", digits) else None
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if re.fullmatch(r"[0-7]+", part) else None
    return int(part) if part.isdigit() and part.isascii() else None


def _ends_in_number(host: str) -> bool:
    last = host.split(".")[-1]
    if last == "":
        return False
    if last.isascii() and last.isdigit():
        return True
    return bool(re.fullmatch(r"0[xX][0-9a-fA-F]*", last))


def parse_ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """Read `host` as an IPv4 literal in any spelling the resolver would accept.

    Returns None when the host is a name. Raises UnsafeURL("malformed") when it looks like a
    number but is not a valid address (browsers refuse those too).
    Examples: 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 all read as 127.0.0.1.
    """
    if not _ends_in_number(host):
        return None
    parts = host.split(".")
    if len(parts) > 4 or any(p == "" for p in parts):
        raise UnsafeURL("malformed", f"malformed numeric host {host!r}")
    numbers = [_parse_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        raise UnsafeURL("malformed", f"malformed numeric host {host!r}")
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(values)):
        raise UnsafeURL("malformed", f"numeric host out of range {host!r}")
    address = last
    for i, n in enumerate(head):
        address += n << (8 * (3 - i))
    return ipaddress.IPv4Address(address)


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address would deliver to (mapped, compatible, 6to4, NAT64)."""
    found = []
    if addr.ipv4_mapped is not None:
        found.append(addr.ipv4_mapped)
    if addr.sixtofour is not None:
        found.append(addr.sixtofour)
    if addr in _NAT64_WELL_KNOWN or addr in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return found


def _in_any(addr: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(addr.version == net.version and addr in net for net in networks)


def _is_blocked(addr: IPAddress) -> bool:
    if _in_any(addr, BLOCKED_NETWORKS):
        return True
    # Belt and braces on top of the explicit list.
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or not addr.is_global
    )


def _canonical(addr: IPAddress) -> IPAddress:
    # An IPv4-mapped IPv6 address connects to its IPv4 address; judge (and pin) it as such.
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _parse_address(raw: IPAddress | str) -> IPAddress:
    if isinstance(raw, str):
        try:
            raw = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError as exc:
            raise UnsafeURL("malformed", f"not an IP address: {raw!r}") from exc
    return _canonical(raw)


def _allowlisted(addr: IPAddress, policy: EgressPolicy) -> bool:
    return policy.egress_allowlist is None or _in_any(addr, policy.egress_allowlist)


_PRIVATE_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def address_kind(addr: IPAddress) -> str:
    """What kind of blocked address `addr` is, for messages that must not show the address."""
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_link_local:
        return "a link-local/metadata address"
    if _in_any(addr, _PRIVATE_NETWORKS):
        return "a private address"
    if addr.is_multicast:
        return "a multicast address"
    if addr.is_unspecified or _in_any(addr, (_THIS_NETWORK,)):
        return "an unspecified address"
    return "a reserved or special-purpose address"


def _refuse_blocked(addr: IPAddress, policy: EgressPolicy, *, host: str | None = None) -> None:
    """`host`: the name `addr` was resolved from. Messages name it and the kind of address,
    never the address DNS answered (they reach users); a literal the user typed is echoed."""
    candidates: list[IPAddress] = [addr]
    if isinstance(addr, ipaddress.IPv6Address):
        candidates.extend(_embedded_ipv4(addr))
    for candidate in candidates:
        if _in_any(candidate, policy.allowed_networks):
            continue
        if _is_blocked(candidate):
            kind = address_kind(candidate)
            if host is not None:
                message = f"{host} resolves to {kind}"
            elif candidate == addr:
                message = f"{addr} is {kind}"
            else:
                message = f"{addr} embeds {candidate}, {kind}"
            raise UnsafeURL("blocked_address", message)


def check_address(addr: IPAddress | str, policy: EgressPolicy) -> IPAddress:
    """Refuse an address the policy does not allow; return its canonical form."""
    canonical = _parse_address(addr)
    if not _allowlisted(canonical, policy):
        raise UnsafeURL("not_in_allowlist", f"{canonical} is {ALLOWLIST_REFUSAL}")
    _refuse_blocked(canonical, policy)
    return canonical


def _normalize_host(raw: str) -> str:
    host = raw.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host or "%" in host or "\\" in host:
        raise UnsafeURL("malformed", f"malformed host {raw!r}")
    if not host.isascii():
        # UTS 46 mapping first: fullwidth digits and dots fold to ASCII, so the numeric check
        # below sees "127.0.0.1" and not a "name".
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise UnsafeURL("malformed", f"invalid international host {raw!r}: {exc}") from exc
    if len(host) > 253 or not _ASCII_HOST_RE.match(host):
        raise UnsafeURL("malformed", f"malformed host {raw!r}")
    if any(len(label) > 63 for label in host.split(".")):
        raise UnsafeURL("malformed", f"host label too long in {raw!r}")
    return host


def vet_url(url: str, policy: EgressPolicy, *, resolver: Resolver = default_resolver) -> Target:
    """Decide whether `url` may be fetched; return the target to pin the connection to.

    Raises UnsafeURL. The name is resolved once, here; the fetcher must connect to
    `Target.ip` and never resolve again.
    """
    if not isinstance(url, str):
        raise UnsafeURL("malformed", "URL is not a string")
    # Surrounding whitespace is common in scraped hrefs and harmless; inner control
    # characters are header-injection material.
    url = url.strip(" \t\r\n\f\v")
    if _CONTROL_OR_SPACE_RE.search(url):
        raise UnsafeURL("crlf", "URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnsafeURL("malformed", f"cannot parse URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeURL("scheme", f"scheme {scheme or '(none)'!r} is not http or https")
    netloc = parts.netloc
    if "@" in netloc:
        raise UnsafeURL("credentials", "URL carries credentials")
    if not netloc or "\\" in netloc:
        raise UnsafeURL("malformed", "URL has no valid authority")

    # Split host and port ourselves: urlsplit's .port hides garbage such as "80abc".
    if netloc.startswith("["):
        end = netloc.find("]")
        if end == -1:
            raise UnsafeURL("malformed", "unterminated IPv6 literal")
        host_text, rest = netloc[1:end], netloc[end + 1 :]
        bracketed = True
    else:
        host_text, _, port_part = netloc.partition(":")
        rest = f":{port_part}" if ":" in netloc else ""
        bracketed = False
    if rest and not rest.startswith(":"):
        raise UnsafeURL("malformed", "garbage after host")
    port_text = rest[1:]  # "http://host:/" (empty) means the default port
    if port_text and not (port_text.isascii() and port_text.isdigit()):
        raise UnsafeURL("malformed", f"invalid port {port_text!r}")
    port = int(port_text) if port_text else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise UnsafeURL("malformed", f"port out of range: {port}")

    literal: IPAddress | None
    if bracketed:
        if "%" in host_text:
            raise UnsafeURL("malformed", "IPv6 zone identifiers are not allowed")
        try:
            literal = ipaddress.IPv6Address(host_text)
        except ValueError as exc:
            raise UnsafeURL("malformed", f"invalid IPv6 literal {host_text!r}") from exc
        host = str(literal)
    else:
        host = _normalize_host(host_text)
        literal = parse_ipv4_literal(host)

    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if not path.startswith("/"):
        raise UnsafeURL("malformed", "path must be absolute")

    if literal is not None:
        # Literals never reach a resolver: block list and allow-list are decided here.
        addr = check_address(literal, policy)
        if port not in policy.allowed_ports:
            raise UnsafeURL("port", f"port {port} is not allowed")
        ip = str(addr)
        return Target(scheme=scheme, host=str(addr), port=port, path=path, ip=ip, all_ips=(ip,))

    if port not in policy.allowed_ports:
        raise UnsafeURL("port", f"port {port} is not allowed")
    if resolver is default_resolver and _loopback_only(policy.egress_allowlist):
        resolver = hosts_file_resolver
    addrs = list(resolver(host, port))
    if not addrs:
        raise UnsafeURL("dns", f"{host} resolved to no address")
    parsed = [_parse_address(raw) for raw in addrs]
    # Addresses outside the allow-list are never connected to (the connection is pinned to a
    # vetted one), so they are dropped rather than fatal: "localhost" answering 127.0.0.1 and
    # ::1 stays usable under a 127.0.0.0/8 allow-list.
    eligible = [addr for addr in parsed if _allowlisted(addr, policy)]
    if not eligible:
        raise UnsafeURL("not_in_allowlist", f"{host} resolves to an address {ALLOWLIST_REFUSAL}")
    # Every remaining address must pass the block list: a name with one public and one
    # private address is a rebinding setup, not a site to check.
    vetted: list[str] = []
    for addr in eligible:
        _refuse_blocked(addr, policy, host=host)
        if str(addr) not in vetted:
            vetted.append(str(addr))
    return Target(
        scheme=scheme, host=host, port=port, path=path, ip=vetted[0], all_ips=tuple(vetted)
    )
