"""Malformed form bodies to the public forms answer a 4xx problem, never a 500 with a
traceback: too many fields (parse_qsl's limit), and broken multipart bodies to the scanner's
photo upload (bad or missing boundary, too many files or fields, a field over 1 MB)."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import PROBLEM_JSON
from api.pages.render import MAX_FORM_FIELDS
from tests.support.pages import PageShop, new_page_shop, scanner_cookie

pytestmark = pytest.mark.db

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> PageShop:
    return new_page_shop(app, client)


def _fields(count: int) -> str:
    return "&".join(f"f{i}=x" for i in range(count))


def _form_routes(shop: PageShop) -> list[str]:
    return ["/console/sign-in", "/scan/sign-in", f"/join/{shop.public_slug}"]


class TestTooManyFields:
    def test_41_fields_are_a_422_problem_and_no_traceback(
        self, client: TestClient, shop: PageShop, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO)
        for path in _form_routes(shop):
            response = client.post(path, content=_fields(MAX_FORM_FIELDS + 1), headers=FORM)
            assert response.status_code == 422, (path, response.text)
            assert response.headers["content-type"] == PROBLEM_JSON
            assert response.json()["type"] == "too_many_form_fields"
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert not any(r.exc_info for r in caplog.records)

    def test_40_fields_are_still_read(self, client: TestClient, shop: PageShop) -> None:
        body = _fields(MAX_FORM_FIELDS - 1) + "&api_key=lp_wrong"
        response = client.post("/console/sign-in", content=body, headers=FORM)
        assert response.status_code == 401  # read, and the key is wrong

    def test_signed_in_forms_too(self, client: TestClient, shop: PageShop) -> None:
        name, value = scanner_cookie(client, shop.staff_code)
        response = client.post(
            f"/scan/cards/{shop.serial}",
            content=_fields(1000),
            headers={**FORM, "cookie": f"{name}={value}"},
        )
        assert response.status_code == 422
        assert response.json()["type"] == "too_many_form_fields"


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return b"--b\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + value + b"\r\n"


MULTIPART = "multipart/form-data; boundary=b"
BROKEN_MULTIPART = {
    "bad boundary": (b"--zzz\r\n" + _part("photo", b"x", "a.png")[4:] + b"--zzz--", MULTIPART),
    "no boundary": (_part("photo", b"x", "a.png") + b"--b--\r\n", "multipart/form-data"),
    "garbage": (b"\xff\xfe\x00\x01", MULTIPART),
    "too many files": (
        b"".join(_part("photo", b"x", f"{i}.png") for i in range(1001)) + b"--b--\r\n",
        MULTIPART,
    ),
    "too many fields": (
        b"".join(_part(f"f{i}", b"x") for i in range(1001)) + b"--b--\r\n",
        MULTIPART,
    ),
    "a field over 1 MB": (_part("note", b"x" * 1_100_000) + b"--b--\r\n", MULTIPART),
    "unterminated": (b"--b\r\nContent-Disposition: form-data; name=", MULTIPART),
}


class TestBrokenMultipart:
    @pytest.mark.parametrize("case", BROKEN_MULTIPART)
    def test_the_photo_upload_answers_4xx(
        self, client: TestClient, shop: PageShop, case: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        name, value = scanner_cookie(client, shop.staff_code)
        body, content_type = BROKEN_MULTIPART[case]
        response = client.post(
            "/scan/photo",
            content=body,
            headers={"content-type": content_type, "cookie": f"{name}={value}"},
        )
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

    @pytest.mark.parametrize("case", BROKEN_MULTIPART)
    def test_a_sign_in_form_answers_4xx(
        self, client: TestClient, shop: PageShop, case: str
    ) -> None:
        body, content_type = BROKEN_MULTIPART[case]
        response = client.post(
            "/console/sign-in", content=body, headers={"content-type": content_type}
        )
        assert 400 <= response.status_code < 500, response.text
