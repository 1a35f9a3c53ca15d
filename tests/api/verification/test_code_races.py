"""A one-time code takes 5 tries and opens the card once, however many requests arrive at
the same moment (real HTTP, PostgreSQL; SQLite serialises writers and hides races)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import utcnow
from api.programs.models import Program
from api.settings import Settings
from api.verification.models import ContactChallenge
from api.verification.service import MAX_ATTEMPTS, _code_hash
from tests.support.factories import enrol, new_merchant, new_program
from tests.support.server import running_server

pytestmark = pytest.mark.db
PARALLEL = 45
CODE = "314159"


@pytest.fixture
def challenge(app: FastAPI, client: TestClient) -> dict[str, Any]:
    """A code sent to Anna's phone (the row the page writes, with a code we know)."""
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("a race test: SQLite serialises writers")
    key = new_merchant(app)
    program = new_program(client, key)
    member = enrol(client, key, program["id"], name="Anna", phone="+79161234567")
    now = utcnow()
    with Session(app.state.engine) as session:
        merchant_id = session.get_one(Program, UUID(program["id"])).merchant_id
        row = ContactChallenge(
            merchant_id=merchant_id, program_id=UUID(program["id"]),
            member_id=UUID(member["id"]), channel="sms", masked_contact="+7 *** ***-45-67",
            code_hash="", expires_at=now + timedelta(minutes=10), created_at=now,
        )  # fmt: skip
        row.code_hash = _code_hash(row.id, CODE)
        session.add(row)
        session.commit()
        return {"id": row.id, "path": f"/join/{program['public_slug']}/card/{row.id}"}


def fire(settings: Settings, path: str, codes: list[str]) -> Counter[int]:
    with running_server(settings) as base, ThreadPoolExecutor(PARALLEL) as pool:

        def post(code: str) -> int:
            with httpx2.Client(base_url=base, timeout=60) as http:
                return http.post(path, data={"code": code}, follow_redirects=False).status_code

        return Counter(pool.map(post, codes))


def attempts(app: FastAPI, challenge_id: UUID) -> int:
    with Session(app.state.engine) as session:
        return session.get_one(ContactChallenge, challenge_id).attempts


def test_parallel_guesses_check_at_most_five_codes(
    app: FastAPI, settings: Settings, challenge: dict[str, Any]
) -> None:
    wrong = [f"{n:06d}" for n in range(PARALLEL)]
    assert fire(settings, challenge["path"], wrong) == Counter({422: PARALLEL})
    assert attempts(app, challenge["id"]) == MAX_ATTEMPTS
    assert fire(settings, challenge["path"], [CODE]) == Counter({422: 1})  # burnt


def test_the_right_code_sent_many_times_at_once_opens_the_card_once(
    app: FastAPI, settings: Settings, challenge: dict[str, Any]
) -> None:
    statuses = fire(settings, challenge["path"], [CODE] * PARALLEL)
    assert statuses[303] == 1
    assert statuses[422] == PARALLEL - 1
