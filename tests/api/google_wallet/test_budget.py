"""Google's notification budget and message list as pure rules (no database, no Google)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.delivery.budgets import notifications_left
from api.google_wallet import budget
from api.google_wallet.budget import Message

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def messages(*ids: int) -> list[Message]:
    return [Message(i, f"m{i}", T0) for i in ids]


def plan(**overrides: object) -> budget.Plan:
    values: dict[str, object] = {
        "synced_version": 3, "synced_points": "a", "points": "b", "wants_notification": True,
        "notifications_left": 3, "new_messages": [], "kept_messages": [],
    }  # fmt: skip
    return budget.plan(**{**values, **overrides})  # type: ignore[arg-type]


class TestPlan:
    def test_a_new_object_notifies_nobody(self) -> None:
        found = plan(synced_version=0, new_messages=messages(1, 2))
        assert found.is_new
        assert not found.patch_notifies
        assert not found.first_message_notifies
        assert [m.event_id for m in found.initial_messages] == [1, 2]

    def test_a_balance_change_notifies_while_the_budget_lasts(self) -> None:
        assert plan().patch_notifies
        assert not plan(notifications_left=0).patch_notifies
        assert not plan(points="a").patch_notifies
        assert not plan(wants_notification=False).patch_notifies

    def test_a_message_carries_the_notification(self) -> None:
        found = plan(new_messages=messages(5))
        assert found.first_message_notifies
        assert not found.patch_notifies

    def test_at_most_ten_messages_the_newest_kept(self) -> None:
        found = plan(new_messages=messages(20, 21, 22), kept_messages=messages(*range(1, 11)))
        assert [m.event_id for m in found.kept_messages or ()] == list(range(4, 11))
        crowded = plan(new_messages=messages(*range(30, 42)), kept_messages=messages(1))
        assert crowded.kept_messages == ()
        assert [m.event_id for m in crowded.added_messages] == list(range(32, 42))

    def test_messages_untouched_without_new_ones(self) -> None:
        assert plan().kept_messages is None


class TestRules:
    def test_silent_kinds(self) -> None:
        assert not budget.wants_notification(["enrol", "coupon_used"])
        assert budget.wants_notification(["enrol", "purchase"])

    def test_left(self) -> None:
        assert [notifications_left(n) for n in (0, 2, 3, 5)] == [3, 1, 0, 0]

    def test_retry_delay_doubles_up_to_an_hour(self) -> None:
        assert budget.retry_delay(1) == timedelta(seconds=30)
        assert budget.retry_delay(2) == timedelta(seconds=60)
        assert budget.retry_delay(20) == timedelta(hours=1)


def test_the_points_key_fits_its_column_whatever_the_labels() -> None:
    """Labels in several languages make the JSON long; the key stays within the 300-character
    column (it failed on PostgreSQL with value too long)."""
    from api.google_wallet.budget import POINTS_KEY_LENGTH, points_key

    label = {"defaultValue": {"language": "en-US", "value": "POINTS"},
             "translatedValues": [{"language": "ru", "value": "БАЛЛЫ" * 20}]}  # fmt: skip
    long = {"loyaltyPoints": {"balance": {"int": 5}, "localizedLabel": label}}
    short = {"loyaltyPoints": {"balance": {"int": 5}, "label": "POINTS"}}
    assert len(points_key(long)) <= POINTS_KEY_LENGTH
    assert points_key(short).startswith("[")  # stored keys from before still compare equal
    assert points_key(long) != points_key({**long, "loyaltyPoints": {"balance": {"int": 6}}})
