"""A burst of joins, as after a QR code goes up at the counter: 50 at once through the API
and 50 at once through the join form, on both databases, every one enrolled exactly once
with its own card, and every card downloads."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from uuid import UUID

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.members.models import Card, Member
from api.settings import Settings
from tests.support.burst import at_once, outcomes
from tests.support.factories import auth, new_merchant, new_program
from tests.support.server import running_server

pytestmark = pytest.mark.db
JOINS = 50


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> tuple[str, dict[str, Any]]:
    key = new_merchant(app, "Burst Coffee")
    return key, new_program(client, key, name="Burst Club")


def _members(app: FastAPI, program: str) -> tuple[int, int]:
    """(members of the program, distinct card serials among them)."""
    program_id = UUID(program)
    with Session(app.state.engine) as session:
        members = session.exec(
            select(func.count()).select_from(Member).where(Member.program_id == program_id)
        ).one()
        serials = session.exec(
            select(func.count(func.distinct(Card.serial_number)))
            .join(Member, col(Card.member_id) == col(Member.id))
            .where(Member.program_id == program_id)
        ).one()
    return int(members), int(serials)


class TestBurst:
    def test_fifty_joins_through_the_api_at_once(
        self, app: FastAPI, settings: Settings, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        path = f"/api/v1/programs/{program['id']}/members"

        def join(i: int) -> Any:
            body = {"name": f"Guest {i}", "phone": f"+7916777{i:04d}"}
            return lambda http: http.post(path, json=body, headers=auth(key))

        with running_server(settings) as base:
            answers = at_once(base, [join(i) for i in range(JOINS)])
            assert outcomes(answers) == {(201, ""): JOINS}
            for answer in answers[:5]:  # each new card downloads as a signed pass
                url = answer.json()["apple_pass_url"].removeprefix("http://testserver")
                download = httpx2.get(base + url, timeout=30)
                assert download.status_code == 200
                with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
                    assert "signature" in archive.namelist()
        assert _members(app, program["id"]) == (JOINS, JOINS)

    def test_fifty_joins_through_the_form_at_once(
        self, app: FastAPI, settings: Settings, shop: tuple[str, dict[str, Any]]
    ) -> None:
        _, program = shop
        path = f"/join/{program['public_slug']}"

        def join(i: int) -> Any:
            form = {"name": f"Guest {i}", "phone": f"+7916888{i:04d}", "consent": "yes"}
            return lambda http: http.post(path, data=form, follow_redirects=False)

        with running_server(settings) as base:
            assert httpx2.get(base + path).status_code == 200  # routes built before the race
            answers = at_once(base, [join(i) for i in range(JOINS)])
        assert [answer.status_code for answer in answers] == [303] * JOINS
        assert _members(app, program["id"]) == (JOINS, JOINS)
