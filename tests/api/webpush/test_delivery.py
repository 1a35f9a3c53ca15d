"""Web Push delivery through the outbox, against the fake push service: a purchase becomes a
decryptable "You have N points" with the design's icon; coalescing; 404/410 remove the
subscription; 429 and 5xx are retried with backoff; the per-card budget; on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from api.clock import utcnow
from api.delivery.budgets import NOTIFICATION_LIMIT
from api.outbox import service as outbox_service
from api.settings import Settings
from api.webpush import service as webpush_service
from api.webpush import tasks
from api.webpush.models import WebPushSubscription
from api.webpush.pusher import WebPushPusher
from tests.api.webpush.conftest import Member
from tests.support.factories import enrol, purchase
from tests.support.fake_webpush import FakeWebPush

pytestmark = pytest.mark.db


def stored(app: FastAPI) -> list[WebPushSubscription]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(WebPushSubscription)).all())


def buy(member: Member, amount: str = "2400") -> None:
    purchase(member.client, member.key, member.id, amount)


class TestPurchaseNotification:
    def test_purchase_reaches_the_browser_decrypted(
        self, member: Member, push: FakeWebPush, pusher: WebPushPusher
    ) -> None:
        sub = push.new_subscription()
        assert member.subscribe(sub.as_json(), language="en").status_code == 204
        buy(member)  # 2400 RUB at 5 per 100: 120 points
        report = pusher.run_once()
        assert report.sent == 1
        (message,) = push.received
        body = message.json()
        assert body["body"] == "You have 120 points"
        assert body["title"] == "Coffee Club"
        assert body["icon"].endswith("/icon.png")
        icon = member.client.get(body["icon"].removeprefix("http://testserver"))
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/png"
        assert body["url"].endswith(f"/cards/{member.token}")
        assert message.subscription_id == sub.id
        assert message.ttl > 0
        assert message.urgency == "normal"
        assert message.claims["aud"] == push.origin
        assert push.refusals == []

    def test_russian_text(self, member: Member, push: FakeWebPush, pusher: WebPushPusher) -> None:
        member.subscribe(push.new_subscription().as_json(), language="ru")
        buy(member)
        pusher.run_once()
        assert push.received[0].json()["body"] == "У вас 120 баллов"

    def test_changes_are_coalesced(
        self, member: Member, push: FakeWebPush, pusher: WebPushPusher
    ) -> None:
        member.subscribe(push.new_subscription().as_json(), language="en")
        buy(member, "1000")
        buy(member, "1000")
        report = pusher.run_once()
        assert report.events >= 2
        assert report.sent == 1
        assert [m.json()["body"] for m in push.received] == ["You have 100 points"]
        assert pusher.run_once().sent == 0  # nothing pending any more

    def test_every_subscription_of_the_card(
        self, member: Member, push: FakeWebPush, pusher: WebPushPusher
    ) -> None:
        first, second = push.new_subscription(), push.new_subscription()
        member.subscribe(first.as_json())
        member.subscribe(second.as_json())
        buy(member)
        assert pusher.run_once().sent == 2
        assert {m.subscription_id for m in push.received} == {first.id, second.id}

    def test_no_subscription_no_push(self, member: Member, push: FakeWebPush,
                                     pusher: WebPushPusher) -> None:  # fmt: skip
        buy(member)
        report = pusher.run_once()
        assert report.events >= 1
        assert report.sent == 0
        assert push.received == []


class TestGone:
    @pytest.mark.parametrize("status", [404, 410])
    def test_gone_removes_the_subscription(
        self, app: FastAPI, member: Member, push: FakeWebPush, pusher: WebPushPusher,
        status: int,
    ) -> None:  # fmt: skip
        member.subscribe(push.new_subscription().as_json())
        push.answer(status)
        buy(member)
        report = pusher.run_once()
        assert report.removed == 1
        assert stored(app) == []

    def test_expired_browser_subscription_is_removed(
        self, app: FastAPI, member: Member, push: FakeWebPush, pusher: WebPushPusher
    ) -> None:
        sub = push.new_subscription()
        member.subscribe(sub.as_json())
        push.expire(sub)
        buy(member)
        assert pusher.run_once().removed == 1
        assert stored(app) == []


class TestRetries:
    @pytest.mark.parametrize("status", [429, 500, 503])
    def test_retried_with_backoff_then_delivered(
        self, app: FastAPI, member: Member, push: FakeWebPush, pusher: WebPushPusher,
        status: int,
    ) -> None:  # fmt: skip
        member.subscribe(push.new_subscription().as_json(), language="en")
        push.answer(status, retry_after="30" if status == 429 else None)
        buy(member)
        start = utcnow()
        report = pusher.run_once(lambda: start)
        assert report.retried == 1
        (sub,) = stored(app)
        assert sub.attempts == 1
        assert sub.next_attempt_at is not None
        wait = sub.next_attempt_at - start
        assert wait == (timedelta(seconds=30) if status == 429 else timedelta(seconds=5))
        assert pusher.run_once(lambda: start + timedelta(seconds=1)).sent == 0  # not yet due
        later = pusher.run_once(lambda: start + timedelta(seconds=31))
        assert later.sent == 1
        assert [m.json()["body"] for m in push.received] == ["You have 120 points"]
        assert stored(app)[0].attempts == 0

    def test_backoff_doubles(
        self, app: FastAPI, member: Member, push: FakeWebPush, pusher: WebPushPusher
    ) -> None:
        member.subscribe(push.new_subscription().as_json())
        push.answer(500, times=3)
        buy(member)
        moment = utcnow()
        waits = []
        for _ in range(3):
            pusher.run_once(lambda at=moment: at)
            due = stored(app)[0].next_attempt_at
            assert due is not None
            waits.append((due - moment).total_seconds())
            moment = due
        assert waits == [5.0, 10.0, 20.0]
        assert pusher.run_once(lambda: moment).sent == 1


class TestBudget:
    def test_budget_per_card_in_24_hours(
        self, member: Member, push: FakeWebPush, pusher: WebPushPusher
    ) -> None:
        member.subscribe(push.new_subscription().as_json(), language="en")
        start = utcnow()
        for i in range(NOTIFICATION_LIMIT + 2):
            buy(member, "100")
            pusher.run_once(lambda i=i: start + timedelta(minutes=i))  # type: ignore[misc]
        assert len(push.received) == NOTIFICATION_LIMIT
        buy(member, "100")
        pusher.run_once(lambda: start + timedelta(hours=24, minutes=1))
        assert len(push.received) == NOTIFICATION_LIMIT + 1
        assert push.received[-1].json()["body"] == f"You have {5 * (NOTIFICATION_LIMIT + 3)} points"


class TestLoop:
    def test_the_loop_thread_delivers_within_seconds(
        self, app: FastAPI, settings: Settings, member: Member, push: FakeWebPush
    ) -> None:
        member.subscribe(push.new_subscription().as_json(), language="en")
        trusted = settings.model_copy(update={"webpush_ca_file": Path(push.ca_file)})
        thread = tasks.build_thread(app.state.engine, trusted, app.state.vapid_keys)
        try:
            buy(member)
            received = push.wait_for(1, timeout=10)
        finally:
            thread.stop()
        assert [m.json()["body"] for m in received] == ["You have 120 points"]


class TestFanOut:
    def test_a_batch_is_grouped_per_outcome_and_keeps_each_cards_newest_message(
        self, app: FastAPI, member: Member, push: FakeWebPush
    ) -> None:
        """One UPDATE per group of cards that end alike, with the same result as one per
        change: a card with a message then a silent change keeps the message and moves two
        generations; another card with the message alone moves one."""
        other_body = enrol(
            member.client, member.key, member.body["program_id"], phone="+7 916 765-43-21"
        )
        other = Member(member.client, member.key, other_body)
        member.subscribe(push.new_subscription().as_json())
        other.subscribe(push.new_subscription().as_json())
        before = {s.card_id: s.generation for s in stored(app)}
        now = utcnow()
        with Session(app.state.engine) as session, session.begin():
            for who, message in ((member, "Autumn menu"), (other, "Autumn menu"), (member, None)):
                outbox_service.mark_card_changed(
                    session, UUID(who.id), kind="campaign" if message else "purchase", now=now,
                    message=message,
                )  # fmt: skip
        with Session(app.state.engine) as session, session.begin():
            assert webpush_service.fan_out(session, now=now) >= 3
        after = {s.card_id: s for s in stored(app)}
        moved = {card_id: after[card_id].generation - before[card_id] for card_id in after}
        assert sorted(moved.values()) == [1, 2]
        assert {s.pending_message for s in after.values()} == {"Autumn menu"}
        assert all(s.pending_since is not None for s in after.values())
