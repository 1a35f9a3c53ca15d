"""Publishing marks a program's cards in batches (the request the first, the designs job the
rest) and reports how far the publish has reached the phones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.clock import utcnow
from api.designs import progress
from api.designs import tasks as design_tasks
from api.designs.models import DesignMarking
from api.jobs import service as job_service
from api.members.models import Card
from tests.support.factories import auth, enrol, new_merchant, new_program


def design_url(program: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/programs/{program['id']}/design{tail}"


def publish(client: TestClient, key: str, program: dict[str, Any]) -> dict[str, Any]:
    response = client.post(design_url(program, "/publish"), headers=auth(key))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def shown(client: TestClient, key: str, program: dict[str, Any]) -> dict[str, Any]:
    response = client.get(design_url(program, "/progress"), headers=auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def versions(app: FastAPI) -> dict[UUID, int]:
    with Session(app.state.engine) as session:
        return {c.member_id: c.version for c in session.exec(select(Card)).all()}


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cards a batch and one batch in the request: five cards need the job."""
    monkeypatch.setattr(progress, "MARK_BATCH", 2)
    monkeypatch.setattr(progress, "INLINE_BATCHES", 1)


class TestMarking:
    def test_a_small_program_is_marked_by_the_publish_itself(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petal Club")
        enrol(client, key, program["id"], phone="+79160000001")
        publish(client, key, program)
        found = shown(client, key, program)
        assert found["version"] == 1
        assert found["cards_total"] == found["cards_marked"] == 1
        assert found["marking_done"] is True
        assert found["cards_fetched"] == 0

    @pytest.mark.usefixtures("small_batches")
    def test_the_job_marks_the_rest_in_batches_once_each(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petal Club")
        for i in range(5):
            enrol(client, key, program["id"], phone=f"+7916000000{i}")
        before = versions(app)
        publish(client, key, program)
        found = shown(client, key, program)
        assert (found["cards_total"], found["cards_marked"]) == (5, 2)
        assert found["marking_done"] is False

        report = job_service.run_all(app.state.engine, now=utcnow())
        assert report.errors == []
        assert report.design_batches >= 2
        found = shown(client, key, program)
        assert (found["cards_marked"], found["marking_done"]) == (5, True)
        after = versions(app)
        assert all(after[m] == before[m] + 1 for m in before)  # each card once
        assert job_service.run_all(app.state.engine, now=utcnow()).design_batches == 0
        assert versions(app) == after

    @pytest.mark.usefixtures("small_batches")
    def test_a_newer_publish_ends_the_older_ones_marking(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petal Club")
        for i in range(5):
            enrol(client, key, program["id"], phone=f"+7916000000{i}")
        before = versions(app)
        publish(client, key, program)
        publish(client, key, program)
        design_tasks.mark_published(app.state.engine, now=utcnow())
        with Session(app.state.engine) as session:
            markings = session.exec(select(DesignMarking)).all()
            assert all(m.done_at is not None for m in markings)
            assert sorted(m.cards_marked for m in markings) == [2, 5]
        after = versions(app)
        assert all(after[m] - before[m] in (1, 2) for m in before)
        assert shown(client, key, program)["version"] == 2

    @pytest.mark.usefixtures("small_batches")
    def test_a_worker_that_lost_the_race_marks_nothing_twice(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petal Club")
        for i in range(5):
            enrol(client, key, program["id"], phone=f"+7916000000{i}")
        publish(client, key, program)
        engine = app.state.engine
        with Session(engine) as session:
            (version_id,) = progress.open_markings(session)
            stale = progress.unmarked_members(session, version_id)  # read by a slow worker
        design_tasks.mark_published(engine, now=utcnow())  # a fast one marks them all
        before = versions(app)
        with Session(engine) as session, session.begin():
            assert progress.mark_batch(session, version_id, stale[:2], now=utcnow()) is False
        assert versions(app) == before


class TestProgress:
    def test_fetched_and_pushed_count_the_cards_that_reached_a_phone(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petal Club")
        members = [enrol(client, key, program["id"], phone=f"+7916000000{i}") for i in range(3)]
        publish(client, key, program)
        later = utcnow() + timedelta(seconds=5)
        with Session(app.state.engine) as session, session.begin():
            cards = {c.member_id: c for c in session.exec(select(Card)).all()}
            fetched = cards[UUID(members[0]["id"])]
            fetched.last_fetched_version = fetched.version
            pushed = cards[UUID(members[1]["id"])]
            pushed.last_push_status, pushed.last_push_at = "delivered", later
            old = cards[UUID(members[2]["id"])]
            old.last_fetched_version = old.version - 1  # the card before the publish
        found = shown(client, key, program)
        assert (found["cards_marked"], found["cards_pushed"], found["cards_fetched"]) == (3, 1, 1)

    def test_before_any_publish_there_is_no_progress(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petal Club")
        response = client.get(design_url(program, "/progress"), headers=auth(key))
        assert response.status_code == 404
        assert response.json()["type"] == "design_version_not_found"

    def test_another_merchant_sees_no_progress_of_the_program(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petal Club")
        publish(client, key, program)
        other = new_merchant(app, name="Other")
        response = client.get(design_url(program, "/progress"), headers=auth(other))
        assert response.status_code == 404
        assert "Petal" not in response.text
