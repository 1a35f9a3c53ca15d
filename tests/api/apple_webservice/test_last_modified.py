"""``Last-Modified`` of the pass endpoint is never later than the response's ``Date`` (RFC 9110
8.8.2.1), however often a card changes, and a device that fetched between two changes is never
told 304 for the newer version."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from uuid import UUID

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.clock import as_utc, utcnow
from api.members.models import Card
from tests.support.factories import purchase

from .test_web_service import card, points_on


def _http_date(value: str) -> datetime:
    return as_utc(parsedate_to_datetime(value))


class TestLastModified:
    def test_eleven_changes_in_a_second_stay_in_the_past_and_none_is_missed(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member, wallet = card(app, client)
        fetched = wallet.fetch()
        assert fetched.status_code == 200
        points = points_on(fetched.content)
        for _ in range(11):
            purchase(client, key, member["id"], "100")  # 5 points each
            # the device fetched between every two changes: it must get each new version
            response = wallet.fetch(since=fetched.headers["last-modified"])
            now = utcnow().replace(microsecond=0)
            assert response.status_code == 200, "a stale 304 hid a change"
            assert points_on(response.content) == points + 5
            assert _http_date(response.headers["last-modified"]) <= now
            fetched, points = response, points + 5
        with Session(app.state.engine) as session:
            stamp = session.exec(
                select(Card.updated_at).where(Card.member_id == UUID(member["id"]))
            ).one()
        # the changes did come faster than one a second (else this test proves nothing)
        assert as_utc(stamp) > utcnow()
        again = wallet.fetch(since=fetched.headers["last-modified"])
        assert again.status_code == 200  # not yet provably the same version: never a 304 then
        assert _http_date(again.headers["last-modified"]) <= utcnow()
        download = client.get(member["apple_pass_url"])  # the card page's download, too
        assert _http_date(download.headers["last-modified"]) <= utcnow()

    def test_an_unchanged_pass_is_304_once_its_stamp_is_past(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member, wallet = card(app, client)
        with Session(app.state.engine) as session, session.begin():  # enrolled a minute ago
            session.execute(
                update(Card)
                .where(col(Card.member_id) == UUID(member["id"]))
                .values(updated_at=utcnow() - timedelta(minutes=1))
            )
        first = wallet.fetch()
        assert wallet.fetch(since=first.headers["last-modified"]).status_code == 304
        purchase(client, key, member["id"], "100")
        changed = wallet.fetch(since=first.headers["last-modified"])
        assert changed.status_code == 200
        assert wallet.fetch(since=changed.headers["last-modified"]).status_code == 304
