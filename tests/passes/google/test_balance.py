"""Google's LoyaltyPointsBalance.int is an int32: a larger balance goes as a string."""

from __future__ import annotations

import dataclasses

import pytest

from passes import CardDesign, LoyaltyCard, loyalty_object, resource_id

ISSUER = "3388000000012345678"


@pytest.mark.parametrize(
    ("points", "balance"),
    [
        (120, {"int": 120}),
        (2**31 - 1, {"int": 2**31 - 1}),
        (2**31, {"string": "2147483648"}),
        (-(2**31), {"int": -(2**31)}),
        (-(2**31) - 1, {"string": "-2147483649"}),
    ],
)
def test_balance_never_overflows_int32(
    card: LoyaltyCard, florist: CardDesign, points: int, balance: dict[str, object]
) -> None:
    big = dataclasses.replace(card, points=points, stamps_required=None, stamps=0)
    body = loyalty_object(
        big, florist, object_id=resource_id(ISSUER, "a"), class_id=resource_id(ISSUER, "c")
    )
    assert body["loyaltyPoints"]["balance"] == balance
