"""The mechanics' arithmetic (pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from api.ledger.engine import (
    expiry_for,
    points_for_purchase,
    reversal_points,
    stamps_for_purchase,
    tier_for,
    tier_window_start,
)
from api.programs.rules import EarnRules, ExpiryRules, ProgramRules, StampRules, Tier, TierRules

MOSCOW = ZoneInfo("Europe/Moscow")


class TestPoints:
    @pytest.mark.parametrize(
        ("rounding", "amount", "expected"),
        [("down", "199.99", 9), ("nearest", "190", 10), ("nearest", "189", 9), ("up", "181", 10)],
    )
    def test_rate_and_rounding(self, rounding: str, amount: str, expected: int) -> None:
        rules = EarnRules(points=5, per_amount=Decimal(100), rounding=rounding)  # type: ignore[arg-type]
        earned = points_for_purchase(Decimal(amount), rules, multiplier=Decimal(1), earned_today=0)
        assert earned.amount == expected

    def test_minimum_purchase(self) -> None:
        rules = EarnRules(min_purchase=Decimal(300))
        earned = points_for_purchase(Decimal(250), rules, multiplier=Decimal(1), earned_today=0)
        assert earned.amount == 0
        assert earned.reason is not None
        assert "minimum purchase" in earned.reason

    def test_caps_per_transaction_and_day(self) -> None:
        rules = EarnRules(max_points_per_transaction=100, max_points_per_day=150)
        first = points_for_purchase(Decimal(5000), rules, multiplier=Decimal(1), earned_today=0)
        assert first.amount == 100
        second = points_for_purchase(Decimal(5000), rules, multiplier=Decimal(1), earned_today=100)
        assert second.amount == 50
        assert second.reason == "daily limit of 150 points reached"
        third = points_for_purchase(Decimal(5000), rules, multiplier=Decimal(1), earned_today=150)
        assert third.amount == 0

    def test_tier_multiplier(self) -> None:
        earned = points_for_purchase(
            Decimal(1000), EarnRules(), multiplier=Decimal("1.5"), earned_today=0
        )
        assert earned.amount == 75


class TestStamps:
    def test_per_visit(self) -> None:
        assert stamps_for_purchase(Decimal(999), StampRules(), stamped_today=0).amount == 1

    def test_per_amount(self) -> None:
        rules = StampRules(basis="amount", stamp_amount=Decimal(250))  # type: ignore[arg-type]
        assert stamps_for_purchase(Decimal(999), rules, stamped_today=0).amount == 3

    def test_daily_cap(self) -> None:
        rules = StampRules(max_stamps_per_day=2)
        assert stamps_for_purchase(Decimal(100), rules, stamped_today=2).amount == 0


class TestReversal:
    def test_partial_refunds_add_up_to_the_whole(self) -> None:
        amount, earned = Decimal("999.99"), 49
        parts = [Decimal("333.33"), Decimal("333.33"), Decimal("333.33")]
        refunded, taken = Decimal(0), 0
        for part in parts:
            taken += reversal_points(earned, amount, refunded, part)
            refunded += part
        assert taken == earned

    def test_half(self) -> None:
        assert reversal_points(100, Decimal(1000), Decimal(0), Decimal(500)) == 50


class TestExpiry:
    earned = datetime(2026, 3, 15, 10, tzinfo=UTC)

    def test_never(self) -> None:
        assert expiry_for(self.earned, ExpiryRules(), MOSCOW) is None

    def test_days(self) -> None:
        ends = expiry_for(self.earned, ExpiryRules(policy="days", days=30), MOSCOW)  # type: ignore[arg-type]
        assert ends is not None
        assert ends.astimezone(MOSCOW).isoformat() == "2026-04-14T23:59:59+03:00"

    def test_end_of_month_and_year(self) -> None:
        month = expiry_for(self.earned, ExpiryRules(policy="end_of_month"), MOSCOW)  # type: ignore[arg-type]
        year = expiry_for(self.earned, ExpiryRules(policy="end_of_year"), MOSCOW)  # type: ignore[arg-type]
        assert month is not None
        assert year is not None
        assert month.astimezone(MOSCOW).date().isoformat() == "2026-03-31"
        assert year.astimezone(MOSCOW).date().isoformat() == "2026-12-31"


class TestTiers:
    levels = [
        Tier(name="Silver", threshold=Decimal(100)),
        Tier(name="Gold", threshold=Decimal(500)),
    ]

    def test_highest_reached(self) -> None:
        assert tier_for(Decimal(99), self.levels) is None
        silver = tier_for(Decimal(100), self.levels)
        gold = tier_for(Decimal(10_000), self.levels)
        assert silver is not None
        assert gold is not None
        assert silver.name == "Silver"
        assert gold.name == "Gold"

    def test_windows(self) -> None:
        now = datetime(2026, 6, 1, tzinfo=UTC)
        assert tier_window_start(now, TierRules(), MOSCOW) is None
        rolling = TierRules(window="rolling_days", window_days=30)  # type: ignore[arg-type]
        assert tier_window_start(now, rolling, MOSCOW) == datetime(2026, 5, 2, tzinfo=UTC)
        year = tier_window_start(now, TierRules(window="calendar_year"), MOSCOW)  # type: ignore[arg-type]
        assert year is not None
        assert year.astimezone(MOSCOW).isoformat() == "2026-01-01T00:00:00+03:00"


class TestRulesValidation:
    @pytest.mark.parametrize(
        ("rules", "message"),
        [
            ({"tiers": {"window": "rolling_days"}}, "window_days"),
            ({"tiers": {"downgrade": "grace"}}, "grace_days"),
            (
                {
                    "tiers": {
                        "levels": [{"name": "A", "threshold": 5}, {"name": "B", "threshold": 1}]
                    }
                },
                "increasing",
            ),
            ({"expiry": {"policy": "days"}}, "days is required"),
            ({"stamps": {"basis": "amount"}}, "stamp_amount"),
            ({"timezone": "Mars/Olympus"}, "unknown time zone"),
            ({"earn": {"points": -1}}, "greater than or equal"),
            ({"bonus": {}}, "Extra inputs"),
        ],
    )
    def test_rejects_inconsistent_rules(self, rules: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            ProgramRules.model_validate(rules)
