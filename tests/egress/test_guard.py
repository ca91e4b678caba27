"""The address guard, as pure decisions: no test here opens a socket or resolves a name.

Literal hosts never reach a resolver; names go to fake resolvers, and the default resolver is
replaced by one that fails the test if called.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from factcheck.egress.guard import (
    BLOCKED_NETWORKS,
    EgressPolicy,
    Resolver,
    Target,
    UnsafeURL,
    check_address,
    hosts_file_resolver,
    parse_ipv4_literal,
    vet_url,
)

OPEN = EgressPolicy()  # the production default: public internet, standard ports
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
LOCAL_ONLY = EgressPolicy(
    allowed_networks=(LOOPBACK,),
    egress_allowlist=(LOOPBACK,),
    allowed_ports=frozenset({80, 443, 8080}),
)


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"resolver must not be called (asked for {host})")


class fixed:  # lower-case: reads like a function call, fixed("1.2.3.4")
    """A fake resolver answering `addrs` for any name, remembering what it was asked."""

    def __init__(self, *addrs: str) -> None:
        self.addrs = list(addrs)
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        return list(self.addrs)


@pytest.fixture(autouse=True)
def _forbid_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("socket.getaddrinfo must not be called in guard tests")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)


def reason(url: str, policy: EgressPolicy = OPEN, resolver: Resolver = no_dns) -> str:
    with pytest.raises(UnsafeURL) as info:
        vet_url(url, policy, resolver=resolver)
    return info.value.reason


# --- scheme, credentials, control characters, ports -------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "//example.com/",
        "example.com/path",
    ],
)
def test_only_http_and_https(url: str) -> None:
    assert reason(url) == "scheme"


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.com/",
        "http://user@example.com/",
        "http://example.com\\@127.0.0.1/",
        "https://:@example.com/",
    ],
)
def test_credentials_refused(url: str) -> None:
    assert reason(url) == "credentials"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/\r\nHost: evil",
        "http://example.com/a\nb",
        "http://exa mple.com/",
        "http://example.com/a b",
        "http://example.com/\x00",
        "http://example.com/\x7f",
        "http://example.com/\tx",
    ],
)
def test_control_characters_refused(url: str) -> None:
    assert reason(url) == "crlf"


def test_surrounding_whitespace_is_trimmed() -> None:
    target = vet_url("  https://example.com/a \n", OPEN, resolver=fixed("93.184.216.34"))
    assert target.url == "https://example.com/a"


@pytest.mark.parametrize(
    "url", ["http://example.com:22/", "http://example.com:6379/", "https://example.com:8000/"]
)
def test_ports_outside_the_allowed_set(url: str) -> None:
    assert reason(url, resolver=fixed("93.184.216.34")) == "port"


def test_port_check_happens_before_resolution() -> None:
    resolver = fixed("93.184.216.34")
    assert reason("http://example.com:25/", resolver=resolver) == "port"
    assert resolver.calls == []


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:80abc/",
        "http://example.com:99999/",
        "http://[::1/",
        "http://[::1]junk/",
        "http:///path",
        "http://ex%61mple.com/",
        "http://[fe80::1%25eth0]/",
        "http://a..b/",
        "http://" + "a" * 64 + ".com/",
        "http://0x7g.1.2.3.4/",
        "http://08.0.0.1/",
        "http://1.2.3.4.5/",
        "http://256.0.0.1/",
        "http://4294967296/",
        "http://exa$mple.com/",
    ],
)
def test_malformed(url: str) -> None:
    assert reason(url, resolver=fixed("93.184.216.34")) == "malformed"


# --- literal addresses in every spelling ------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("012.0.0.1", "10.0.0.1"),
    ],
)
def test_ipv4_spellings(host: str, expected: str) -> None:
    assert str(parse_ipv4_literal(host)) == expected


def test_names_are_not_ipv4_literals() -> None:
    assert parse_ipv4_literal("example.com") is None
    assert parse_ipv4_literal("1.2.3.4.example.com") is None
    assert parse_ipv4_literal("0x7g") is None  # not a number: a (silly) name


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://127.0.0.1./",
        "http://localhost./",  # name: resolved below by the fake resolver to loopback
        "http://[::1]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[::]/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://192.0.0.8/",
        "http://192.0.2.1/",
        "http://198.18.0.1/",
        "http://198.51.100.7/",
        "http://203.0.113.9/",
        "http://[fc00::1]/",
        "http://[fd12:3456::1]/",
        "http://[2001:db8::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::10.0.0.1]/",
        "http://[::127.0.0.1]/",
        "http://[2002:a9fe:a9fe::1]/",  # 6to4 wrapping 169.254.169.254
        "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
        "http://[64:ff9b::10.0.0.1]/",  # NAT64 wrapping 10.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "http://１２７.０.０.１/",  # fullwidth digits fold to 127.0.0.1 under UTS 46
        "http://127。0。0。1/",  # ideographic full stops
    ],
)
def test_blocked_addresses(url: str) -> None:
    assert reason(url, resolver=fixed("127.0.0.1")) == "blocked_address"


def test_literals_never_reach_the_resolver() -> None:
    assert reason("http://169.254.169.254/latest/meta-data/", resolver=no_dns) == (
        "blocked_address"
    )
    target = vet_url("http://93.184.216.34/", OPEN, resolver=no_dns)
    assert target.ip == "93.184.216.34"


def test_public_literals_pass() -> None:
    target = vet_url("https://[2606:4700::1111]/dns", OPEN, resolver=no_dns)
    assert target.ip == "2606:4700::1111"
    assert target.host == "2606:4700::1111"
    assert target.pinned_url() == "https://[2606:4700::1111]:443/dns"
    assert target.url == "https://[2606:4700::1111]/dns"


def test_mapped_public_address_is_pinned_as_ipv4() -> None:
    target = vet_url("http://[::ffff:93.184.216.34]/", OPEN, resolver=no_dns)
    assert target.ip == "93.184.216.34"


def test_block_list_is_explicit() -> None:
    # The list itself must carry the ranges, not only ipaddress flags.
    for cidr in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "::1/128",
        "::/128",
        "fc00::/7",
        "fe80::/10",
        "2001:db8::/32",
        "ff00::/8",
    ):
        assert ipaddress.ip_network(cidr) in BLOCKED_NETWORKS, cidr


# --- names and resolution -----------------------------------------------------------------


def test_name_resolved_once_and_pinned() -> None:
    resolver = fixed("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    target = vet_url("HTTPS://Example.COM/a/b?q=1#frag", OPEN, resolver=resolver)
    assert resolver.calls == ["example.com"]
    assert target == Target(
        scheme="https",
        host="example.com",
        port=443,
        path="/a/b?q=1",
        ip="93.184.216.34",
        all_ips=("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"),
    )
    assert target.pinned_url() == "https://93.184.216.34:443/a/b?q=1"
    assert target.netloc == "example.com"


def test_any_blocked_answer_refuses_the_name() -> None:
    resolver = fixed("93.184.216.34", "10.0.0.7")
    assert reason("http://rebind.example/", resolver=resolver) == "blocked_address"


@pytest.mark.parametrize("addr", ["169.254.169.254", "::ffff:169.254.169.254", "fd00::1"])
def test_name_resolving_to_internal_is_refused(addr: str) -> None:
    assert reason("http://metadata.example/", resolver=fixed(addr)) == "blocked_address"


def test_dns_failure_reason_comes_from_resolver() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise UnsafeURL("dns", "no such host")

    assert reason("http://nxdomain.example/", resolver=failing) == "dns"
    assert reason("http://empty.example/", resolver=fixed()) == "dns"


def test_idna_hosts_are_encoded() -> None:
    target = vet_url("http://Bücher.example/", OPEN, resolver=fixed("93.184.216.34"))
    assert target.host == "xn--bcher-kva.example"
    assert target.netloc == "xn--bcher-kva.example"


# --- allowed networks and the egress allow-list --------------------------------------------


def test_allowed_networks_exempt_from_block_list() -> None:
    policy = EgressPolicy(
        allowed_networks=(ipaddress.ip_network("10.20.0.0/16"),), allowed_ports=frozenset({80})
    )
    assert vet_url("http://10.20.3.4/", policy, resolver=no_dns).ip == "10.20.3.4"
    assert reason("http://10.21.0.1/", policy) == "blocked_address"


def test_loopback_allowed_for_tests() -> None:
    target = vet_url("http://127.0.0.1:8080/x", LOCAL_ONLY, resolver=no_dns)
    assert (target.ip, target.port, target.path) == ("127.0.0.1", 8080, "/x")
    assert vet_url("http://0x7f.1:8080/", LOCAL_ONLY, resolver=no_dns).ip == "127.0.0.1"


@pytest.mark.parametrize(
    "url", ["http://93.184.216.34/", "http://8.8.8.8/", "http://[2606:4700::1111]/"]
)
def test_allowlist_refuses_public_literals_before_anything(url: str) -> None:
    assert reason(url, LOCAL_ONLY) == "not_in_allowlist"


def test_allowlist_refuses_public_name_after_resolution() -> None:
    resolver = fixed("93.184.216.34")
    assert reason("http://www.reuters.com/", LOCAL_ONLY, resolver) == "not_in_allowlist"
    assert resolver.calls == ["www.reuters.com"]


def test_loopback_allowlist_never_sends_dns_with_default_resolver() -> None:
    # getaddrinfo is forbidden by the autouse fixture: the guard must decide from the hosts
    # file alone, since a DNS query would itself leave the machine.
    with pytest.raises(UnsafeURL) as info:
        vet_url("https://www.reuters.com/world/", LOCAL_ONLY)
    assert info.value.reason == "not_in_allowlist"


def test_allowlist_drops_out_of_list_answers_but_keeps_loopback() -> None:
    target = vet_url("http://localhost:8080/", LOCAL_ONLY, resolver=fixed("::1", "127.0.0.1"))
    assert target.ip == "127.0.0.1"
    assert target.all_ips == ("127.0.0.1",)
    assert target.netloc == "localhost:8080"


def test_hosts_file_resolver(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.2 demo.test  # comment\nbogus line.test\n")
    assert hosts_file_resolver("demo.test", 80, path=str(hosts)) == ["127.0.0.2"]
    assert hosts_file_resolver("localhost", 80, path=str(hosts)) == ["127.0.0.1"]
    with pytest.raises(UnsafeURL) as info:
        hosts_file_resolver("line.test", 80, path=str(hosts))
    assert info.value.reason == "not_in_allowlist"
    missing = str(tmp_path / "nope")
    assert hosts_file_resolver("app.localhost", 80, path=missing) == ["127.0.0.1", "::1"]


def test_check_address_directly() -> None:
    assert str(check_address("93.184.216.34", OPEN)) == "93.184.216.34"
    with pytest.raises(UnsafeURL):
        check_address("::ffff:192.168.0.1", OPEN)
    with pytest.raises(UnsafeURL):
        check_address("not-an-ip", OPEN)


# --- policy parsing -----------------------------------------------------------------------


def test_policy_from_strings() -> None:
    policy = EgressPolicy.from_strings(
        allowed_networks="127.0.0.0/8, 10.1.0.0/16",
        egress_allowlist="127.0.0.1/8",
        allowed_ports="80, 443,8080",
    )
    assert policy.allowed_networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("10.1.0.0/16"),
    )
    assert policy.egress_allowlist == (ipaddress.ip_network("127.0.0.0/8"),)
    assert policy.allowed_ports == frozenset({80, 443, 8080})


def test_policy_from_lists_and_empty_allowlist_means_unset() -> None:
    policy = EgressPolicy.from_strings(
        allowed_networks=[], egress_allowlist=[], allowed_ports=[80, "443"]
    )
    assert policy.allowed_networks == ()
    assert policy.egress_allowlist is None
    assert policy.allowed_ports == frozenset({80, 443})
    assert EgressPolicy.from_strings("", None, "80").egress_allowlist is None


def test_policy_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        EgressPolicy.from_strings("not-a-cidr", None, "80")
    with pytest.raises(ValueError):
        EgressPolicy.from_strings("", None, "70000")


def test_default_policy() -> None:
    assert EgressPolicy().allowed_ports == frozenset({80, 443, 8080, 8443})
    assert EgressPolicy().egress_allowlist is None


# --- messages: they reach users, the addresses DNS answered do not ---------------------------


@pytest.mark.parametrize(
    ("addr", "kind"),
    [
        ("10.1.2.3", "a private address"),
        ("192.168.7.7", "a private address"),
        ("fd00::1", "a private address"),
        ("169.254.169.254", "a link-local/metadata address"),
        ("::ffff:169.254.169.254", "a link-local/metadata address"),
        ("127.0.0.1", "a loopback address"),
        ("240.1.2.3", "a reserved or special-purpose address"),
    ],
)
def test_refusal_of_a_name_says_what_kind_of_address_never_which(addr: str, kind: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        vet_url("http://intranet.example/", OPEN, resolver=fixed(addr))
    assert info.value.reason == "blocked_address"
    assert info.value.message == f"intranet.example resolves to {kind}"
    assert addr not in str(info.value) and addr.split(":")[-1] not in str(info.value)


def test_refusal_of_a_typed_literal_echoes_it() -> None:
    with pytest.raises(UnsafeURL) as info:
        vet_url("http://10.1.2.3/", OPEN, resolver=no_dns)
    assert info.value.message == "10.1.2.3 is a private address"


def test_allowlist_refusal_of_a_name_does_not_show_its_addresses() -> None:
    with pytest.raises(UnsafeURL) as info:
        vet_url("http://www.reuters.com/", LOCAL_ONLY, resolver=fixed("93.184.216.34", "10.9.9.9"))
    assert info.value.reason == "not_in_allowlist"
    assert (
        info.value.message == "www.reuters.com resolves to an address outside the egress allow-list"
    )
    with pytest.raises(UnsafeURL) as info:
        vet_url("https://www.reuters.com/world/", LOCAL_ONLY)  # hosts file only, no DNS
    assert "www.reuters.com is outside the egress allow-list" in info.value.message
    assert "private" not in info.value.message
