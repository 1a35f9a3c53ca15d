"""The console's import page: upload, the dry run's report (every bad row by line and
column, repeats), confirm, the progress page and the result; the exports; the audit entry;
read-only callers and other merchants kept out (both databases)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlmodel import Session

from api.clock import utcnow
from api.imports import jobs, tasks
from api.imports.models import MemberImportUpload
from api.merchants.models import Role
from tests.api.imports.test_imports import members
from tests.api.imports.test_stuck import begun
from tests.support.factories import auth, new_key, new_merchant, new_program

pytestmark = pytest.mark.db

FILE = (
    "Имя;Телефон;Баллы\n"
    "Анна;+79161234501;10\n"
    "Борис;+79161234502;20\n"
    "Вера;8 916 123-45-01;5\n"
    "Глеб;12345;5\n"
).encode()


@pytest.fixture
def key(app: FastAPI) -> str:
    return new_merchant(app)


@pytest.fixture
def program(client: TestClient, key: str) -> dict[str, Any]:
    program = new_program(client, key)
    client.headers["Accept-Language"] = "en"
    response = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    assert response.status_code == 303
    return program


def check(client: TestClient, program_id: str, data: bytes, expect: int = 200) -> str:
    response = client.post(
        "/console/members/imports",
        data={"program": program_id},
        files={"file": ("clients.csv", data, "text/csv")},
    )
    assert response.status_code == expect, response.text
    return response.text


def confirm_url(page: str) -> str:
    found = re.search(r'action="(/console/members/imports/[0-9a-f-]+/confirm)"', page)
    assert found is not None, page
    return found.group(1)


class TestImportPage:
    def test_the_members_page_links_to_the_import_page_with_exports(
        self, client: TestClient, program: dict[str, Any]
    ) -> None:
        assert 'href="/console/members/import"' in client.get("/console/members").text
        page = client.get(f"/console/members/import?program={program['id']}")
        assert page.status_code == 200
        assert 'enctype="multipart/form-data"' in page.text
        for dataset in ("members", "ledger", "coupons", "promo-codes"):
            assert f"/console/members/export/{program['id']}/{dataset}.csv" in page.text

    def test_the_dry_run_reports_bad_rows_and_repeats_and_writes_nothing(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        page = check(client, program["id"], FILE)
        assert "Rows in the file: 4" in page
        assert "New members: 2" in page
        assert "Rows with errors (not imported): 2" in page
        assert "repeats within the file: 1" in page
        assert "<td>4</td><td>Телефон</td><td>duplicate of line 2" in page
        assert "<td>5</td><td>Телефон</td>" in page
        assert "Import 2 members" in page
        assert members(client, key, program["id"]) == []

    def test_confirm_imports_and_the_progress_page_shows_the_result(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        url = confirm_url(check(client, program["id"], FILE))
        done = client.post(url, follow_redirects=False)
        assert done.status_code == 303
        job_page = client.get(done.headers["location"])
        assert job_page.status_code == 200
        assert 'id="finished"' in job_page.text
        assert 'http-equiv="refresh"' not in job_page.text
        assert "2 members added" in job_page.text
        assert sorted(m["name"] for m in members(client, key, program["id"])) == ["Анна", "Борис"]
        # The same file again: already imported, nothing to confirm; the upload is gone.
        again = check(client, program["id"], FILE)
        assert 'id="already"' in again
        assert client.post(url, follow_redirects=False).status_code == 404

        audit = client.get("/api/v1/audit", params={"action": "members.imported"},
                           headers=auth(key)).json()  # fmt: skip
        assert audit["total"] == 1
        assert audit["items"][0]["after"]["valid"] == 2

    def test_the_reports_language_link_leads_back_to_the_import_page(
        self, client: TestClient, program: dict[str, Any]
    ) -> None:
        page = check(client, program["id"], FILE)
        assert 'href="/console/members/imports?lang=ru"' in page
        back = client.get("/console/members/imports?lang=ru", follow_redirects=False)
        assert back.status_code == 303
        assert back.headers["location"] == "/console/members/import?lang=ru"

    def test_an_unreadable_or_missing_file_is_shown_on_the_page(
        self, client: TestClient, program: dict[str, Any]
    ) -> None:
        page = check(client, program["id"], b"\x00\x01 not a table", expect=422)
        assert 'id="error"' in page
        response = client.post("/console/members/imports", data={"program": program["id"]})
        assert response.status_code == 422
        assert "Choose a file." in response.text

    def test_the_export_streams_the_programs_members(
        self, client: TestClient, program: dict[str, Any]
    ) -> None:
        client.post(confirm_url(check(client, program["id"], FILE)))
        csv = client.get(f"/console/members/export/{program['id']}/members.csv")
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
        assert "Анна" in csv.text


class TestProgressPage:
    def test_a_running_import_refreshes_itself_and_a_failed_one_says_why(
        self, client: TestClient, engine: Engine, program: dict[str, Any]
    ) -> None:
        run = begun(engine, program["id"])
        page = client.get(f"/console/members/imports/{run.job_id}")
        assert '<meta http-equiv="refresh" content="1">' in page.text
        assert "Importing: 0 of 3." in page.text
        assert '<progress id="bar" max="3" value="0">' in page.text
        with Session(engine) as session, session.begin():
            session.execute(delete(MemberImportUpload))
        tasks.recover_stuck(engine, now=utcnow() + jobs.LEASE * 2, wait=True)
        page = client.get(f"/console/members/imports/{run.job_id}")
        assert 'http-equiv="refresh"' not in page.text
        assert 'id="failed"' in page.text
        assert "import the same file again" in page.text


class TestWhoMay:
    def test_a_read_only_caller_sees_no_form_and_cannot_upload_or_export(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        client.cookies.clear()
        reader = new_key(app, key, Role.read)
        client.post("/console/sign-in", data={"api_key": reader}, follow_redirects=False)
        page = client.get("/console/members/import")
        assert 'id="upload"' not in page.text
        check(client, program["id"], FILE, expect=403)
        assert client.get(f"/console/members/export/{program['id']}/members.csv").status_code == 403

    def test_another_merchants_upload_and_import_are_not_found(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        url = confirm_url(check(client, program["id"], FILE))
        done = client.post(url, follow_redirects=False).headers["location"]
        client.cookies.clear()
        other = new_merchant(app, "Other")
        client.post("/console/sign-in", data={"api_key": other}, follow_redirects=False)
        assert client.get(done).status_code == 404
        assert check(client, program["id"], FILE, expect=404)
