"""redact_addresses: addresses a name resolved to never reach a user; typed literals stay."""

from __future__ import annotations

from factcheck.egress.redact import WITHHELD_ADDRESS, redact_addresses


def test_resolved_addresses_are_withheld() -> None:
    message = (
        "Cannot connect to host example.org:443 ssl:default [Connect call failed ('10.0.0.5', 443)]"
    )
    redacted = redact_addresses(message, "https://example.org/page")
    assert redacted == message.replace("10.0.0.5", WITHHELD_ADDRESS)


def test_ipv6_and_mapped_addresses_are_withheld() -> None:
    redacted = redact_addresses("failed: fd00::1 and ::ffff:10.1.2.3", "https://example.org/")
    assert redacted == f"failed: {WITHHELD_ADDRESS} and {WITHHELD_ADDRESS}"


def test_an_address_the_url_spells_out_stays() -> None:
    message = "Connect call failed ('127.0.0.1', 8080)"
    assert redact_addresses(message, "http://127.0.0.1:8080/x") == message
    assert redact_addresses(message, "http://0x7f.1:8080/x") == message  # same address


def test_version_numbers_and_times_are_not_addresses() -> None:
    message = "HTTP/1.1 at 12:30 from server nginx/1.25.3"
    assert redact_addresses(message, "https://example.org/") == message
