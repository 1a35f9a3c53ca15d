"""An import whose process stopped mid-way (a crash, a restart): once its lease expires it is
resumed from its kept file, or marked failed with the reason when no file is left; importing
the same file again resumes a failed one; a runner that lost its lease writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.audit.service import StaffActor
from api.cli import app as cli
from api.clock import utcnow
from api.imports import jobs, service, tasks
from api.imports.models import MemberImport, MemberImportUpload
from api.programs.models import Program
from tests.api.imports.test_imports import members, upload
from tests.support.factories import auth, new_merchant, new_program

pytestmark = pytest.mark.db

FILE = (
    b"name,phone,points\n"
    b"Anna,+79161234501,10\n"
    b"Boris,+79161234502,20\n"
    b"Vera,+79161234503,30\n"
    b"Gleb,not a phone,5\n"
)


@pytest.fixture
def key(app: FastAPI) -> str:
    return new_merchant(app)


@pytest.fixture
def program(client: TestClient, key: str) -> dict[str, Any]:
    return new_program(client, key)


def begun(engine: Engine, program_id: str) -> jobs.Run:
    """A job begun as the API begins it, whose process then died before any batch."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant_id = session.get(Program, UUID(program_id)).merchant_id  # type: ignore[union-attr]
        plan = service.check(session, merchant_id, UUID(program_id), FILE, "clients.csv")
        caller = StaffActor(merchant_id, uuid4(), "test")
        job, run = jobs.begin(session, caller, plan, FILE, actor="test", now=utcnow())
    assert run is not None
    assert job.status == "running"
    return run


def job_of(client: TestClient, key: str, program_id: str, job_id: UUID) -> dict[str, Any]:
    answer = client.get(f"/api/v1/programs/{program_id}/imports/{job_id}", headers=auth(key))
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


class TestStuckImport:
    def test_a_job_within_its_lease_is_left_alone(
        self, client: TestClient, engine: Engine, key: str, program: dict[str, Any]
    ) -> None:
        run = begun(engine, program["id"])
        assert tasks.recover_stuck(engine, now=utcnow() + timedelta(minutes=1), wait=True) == 0
        assert job_of(client, key, program["id"], run.job_id)["status"] == "running"

    def test_an_expired_job_is_resumed_from_its_kept_file(
        self, client: TestClient, engine: Engine, key: str, program: dict[str, Any]
    ) -> None:
        run = begun(engine, program["id"])
        # Only the first member was written before the process stopped.
        tasks.run(engine, run.job_id, run.members[:1], runner=run.runner)
        later = utcnow() + jobs.LEASE + timedelta(seconds=1)
        assert tasks.recover_stuck(engine, now=later, wait=True) == 1

        job = job_of(client, key, program["id"], run.job_id)
        assert (job["status"], job["done"], job["valid"], job["failure"]) == ("done", 3, 3, None)
        names = sorted(m["name"] for m in members(client, key, program["id"]))
        assert names == ["Anna", "Boris", "Vera"]
        with Session(engine) as session:  # the file is not kept past its job
            assert session.get(MemberImport, run.job_id) is not None
            assert session.exec(select(MemberImportUpload)).all() == []

    def test_an_expired_job_without_its_file_fails_and_the_same_file_resumes_it(
        self, client: TestClient, engine: Engine, key: str, program: dict[str, Any]
    ) -> None:
        run = begun(engine, program["id"])
        tasks.run(engine, run.job_id, run.members[:2], runner=run.runner)
        with Session(engine) as session, session.begin():
            session.execute(delete(MemberImportUpload))
        tasks.recover_stuck(engine, now=utcnow() + jobs.LEASE * 2, wait=True)

        job = job_of(client, key, program["id"], run.job_id)
        assert (job["status"], job["done"]) == ("failed", 2)
        assert job["failure"].startswith("interrupted")
        assert job["finished_at"] is not None

        again = upload(client, key, program["id"], FILE)
        assert again["id"] == str(run.job_id)
        job = job_of(client, key, program["id"], run.job_id)
        assert (job["status"], job["done"], job["valid"], job["failure"]) == ("done", 3, 3, None)
        assert len(members(client, key, program["id"])) == 3

    def test_a_runner_that_lost_its_lease_writes_nothing(
        self, client: TestClient, engine: Engine, key: str, program: dict[str, Any]
    ) -> None:
        run = begun(engine, program["id"])
        tasks.run(engine, run.job_id, run.members, runner=uuid4())
        assert members(client, key, program["id"]) == []
        assert job_of(client, key, program["id"], run.job_id)["done"] == 0


def test_the_command_resumes_a_failed_import_of_the_same_file(
    app: FastAPI, client: TestClient, engine: Engine, key: str, program: dict[str, Any],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("LOYALPASS_DATABASE_URL", app.state.settings.database_url)
    run = begun(engine, program["id"])
    tasks.run(engine, run.job_id, run.members[:1], runner=run.runner)
    with Session(engine) as session, session.begin():
        session.execute(delete(MemberImportUpload))
    tasks.recover_stuck(engine, now=utcnow() + jobs.LEASE * 2, wait=True)
    assert job_of(client, key, program["id"], run.job_id)["status"] == "failed"

    file = tmp_path / "clients.csv"
    file.write_bytes(FILE)
    done = CliRunner().invoke(cli, ["members", "import", str(file), "--program", program["id"]])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output.strip().splitlines()[-1])["import_id"] == str(run.job_id)
    job = job_of(client, key, program["id"], run.job_id)
    assert (job["status"], job["done"], job["valid"]) == ("done", 3, 3)
    assert len(members(client, key, program["id"])) == 3
    resumed = client.get("/api/v1/audit", params={"action": "members.import_resumed"},
                         headers=auth(key)).json()["items"]  # fmt: skip
    assert [e["actor_kind"] for e in resumed] == ["operator"]
