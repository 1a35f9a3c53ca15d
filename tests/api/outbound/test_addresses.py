"""Where the service may connect: every address of a host public, a literal address judged
as itself, the resolver's answer used (it is a parameter, so no test needs DNS)."""

from __future__ import annotations

import socket
from collections.abc import Sequence

import pytest

from api.outbound.addresses import NotPublic, Resolver, Unresolvable, public_address


def answering(*addresses: str) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        assert (host, port) == ("push.example.com", 443)
        return addresses

    return resolve


@pytest.mark.parametrize(
    "addresses",
    [
        ("10.0.0.5",), ("192.168.1.1",), ("127.0.0.1",), ("169.254.169.254",), ("0.0.0.0",),
        ("100.64.0.1",), ("224.0.0.1",), ("::1",), ("fe80::1",), ("fd00::1",),
        ("::ffff:10.0.0.1",), ("142.250.74.74", "10.0.0.5"),  # one private is enough
    ],
)  # fmt: skip
def test_a_private_address_among_the_answers_is_refused(addresses: tuple[str, ...]) -> None:
    with pytest.raises(NotPublic):
        public_address("push.example.com", 443, answering(*addresses))


def test_the_first_public_address_is_the_one_to_connect_to() -> None:
    resolve = answering("142.250.74.74", "2a00:1450:4010:c0e::5f")
    assert public_address("push.example.com", 443, resolve) == "142.250.74.74"


@pytest.mark.parametrize("answer", [socket.gaierror("no such name"), []])
def test_no_address_is_unresolvable(answer: object) -> None:
    def resolve(host: str, port: int) -> Sequence[str]:
        if isinstance(answer, Exception):
            raise answer
        return []

    with pytest.raises(Unresolvable):
        public_address("push.example.com", 443, resolve)


def test_a_literal_address_is_judged_without_resolving() -> None:
    def never(host: str, port: int) -> Sequence[str]:
        raise AssertionError("resolved a literal address")

    assert public_address("142.250.74.74", 443, never) == "142.250.74.74"
    with pytest.raises(NotPublic):
        public_address("[::ffff:127.0.0.1]", 443, never)
