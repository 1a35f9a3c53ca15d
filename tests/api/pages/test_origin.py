"""CSRF: every form POST, sign-in included, must come from a page of the service (its Origin,
or its Referer without one, is the public URL's origin); requests with neither header pass,
and the machine APIs are not checked. Session cookies are Secure whenever the public URL is
https, even when the request reached us as http behind a proxy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.campaigns.models import Campaign
from api.errors import PROBLEM_JSON
from api.pages.origin import SameOriginForms, origin_of
from tests.api.pages.conftest import HTTPS_URL
from tests.support.factories import auth
from tests.support.pages import PIN, PageShop, console_cookie, new_page_shop

if TYPE_CHECKING:
    from httpx2 import Response

pytestmark = pytest.mark.db

OURS = "http://testserver"  # the tests' public URL
EVIL = "https://evil.example"


def _sign_ins(shop: PageShop) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/console/sign-in", {"api_key": shop.key}),
        ("/scan/sign-in", {"code": shop.staff_code, "pin": PIN}),
        (f"/join/{shop.public_slug}", {"name": "Eve", "phone": "+79160000000", "consent": "yes"}),
    ]


def _assert_refused(response: Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "cross_site_form"
    assert "set-cookie" not in response.headers


class TestOriginCheck:
    @pytest.mark.parametrize(
        "headers",
        [
            {"origin": EVIL},
            {"origin": "null"},
            {"origin": "http://testserver.evil.example"},
            {"origin": "https://testserver"},  # another scheme is another origin
            {"origin": "http://testserver:8080"},
            {"referer": f"{EVIL}/page"},
            {"referer": "not a url"},
            {"origin": EVIL, "referer": f"{OURS}/console"},  # Origin decides when present
        ],
        ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()),
    )
    def test_a_sign_in_from_another_site_is_refused(
        self, client: TestClient, shop: PageShop, headers: dict[str, str]
    ) -> None:
        for path, form in _sign_ins(shop):
            response = client.post(path, data=form, headers=headers, follow_redirects=False)
            _assert_refused(response)

    @pytest.mark.parametrize(
        "headers",
        [
            {"origin": OURS},
            {"origin": "HTTP://TESTSERVER:80"},
            {"referer": f"{OURS}/console?lang=en"},
            {},  # no browser: nothing a CSRF could ride on
        ],
        ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()) or "neither",
    )
    def test_our_own_pages_and_programs_may_post(
        self, client: TestClient, shop: PageShop, headers: dict[str, str]
    ) -> None:
        for path, form in _sign_ins(shop):
            response = client.post(path, data=form, headers=headers, follow_redirects=False)
            assert response.status_code == 303, (path, response.text)

    def test_a_signed_in_form_from_another_site_changes_nothing(
        self, app: FastAPI, client: TestClient, shop: PageShop
    ) -> None:
        name, value = console_cookie(client, shop.key)
        form = {"program": shop.program_id, "action": "send", "name": "Spam", "message": "Hi"}
        response = client.post(
            "/console/campaigns",
            data=form,
            headers={"origin": EVIL, "cookie": f"{name}={value}"},
        )
        _assert_refused(response)
        with Session(app.state.engine) as session:
            assert session.exec(select(Campaign)).all() == []

    def test_sign_out_and_the_wheel_are_checked_too(
        self, client: TestClient, shop: PageShop
    ) -> None:
        for path in ("/console/sign-out", "/scan/sign-out", f"/cards/{shop.card_token}/wheel"):
            _assert_refused(client.post(path, headers={"origin": EVIL}))

    def test_the_machine_apis_are_not_checked(self, client: TestClient, shop: PageShop) -> None:
        response = client.post(
            "/api/v1/programs",
            json={"name": "Tea Club", "kind": "points"},
            headers={**auth(shop.key), "origin": EVIL},
        )
        assert response.status_code == 201

    def test_reading_is_not_checked(self, client: TestClient, shop: PageShop) -> None:
        response = client.get(f"/join/{shop.public_slug}", headers={"origin": EVIL})
        assert response.status_code == 200


class TestDevelopmentAndProduction:
    """In development the address the browser used (Host) counts too, so the demo works from
    localhost as well as 127.0.0.1; in production only the public URL's origin does."""

    @staticmethod
    def _client(*, is_development: bool) -> TestClient:
        async def accepted(_request: Request) -> PlainTextResponse:
            return PlainTextResponse("ok")

        app = Starlette(routes=[Route("/form", accepted, methods=["POST"])])
        guarded = SameOriginForms(
            app, public_url="https://shop.example", is_development=is_development
        )
        return TestClient(guarded, base_url="http://localhost:8000")

    @pytest.mark.parametrize(("is_development", "status"), [(True, 200), (False, 403)])
    def test_the_host_counts_only_in_development(self, is_development: bool, status: int) -> None:
        client = self._client(is_development=is_development)
        response = client.post("/form", headers={"origin": "http://localhost:8000"})
        assert response.status_code == status
        assert client.post("/form", headers={"origin": "https://shop.example"}).status_code == 200

    def test_the_refusal_names_origins_never_the_referers_path(self) -> None:
        client = self._client(is_development=False)
        response = client.post("/form", headers={"referer": f"{EVIL}/cards/SECRET-TOKEN"})
        assert response.status_code == 403
        assert "SECRET-TOKEN" not in response.text
        assert EVIL in response.json()["detail"]


class TestOriginOf:
    @pytest.mark.parametrize(
        ("url", "origin"),
        [
            ("https://Shop.Example/cards/x?y=1", "https://shop.example"),
            ("https://shop.example:443", "https://shop.example"),
            ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
            ("http://[::1]:8000/x", "http://[::1]:8000"),
            ("null", None),
            ("", None),
            ("http://host:99999", None),
        ],
    )
    def test_origin_of(self, url: str, origin: str | None) -> None:
        assert origin_of(url) == origin


class TestSecureCookies:
    def test_https_public_url_makes_the_session_cookies_secure(
        self, app: FastAPI, client: TestClient, behind_tls_proxy: TestClient
    ) -> None:
        shop = new_page_shop(app, client)
        for path, form in _sign_ins(shop)[:2]:
            response = behind_tls_proxy.post(
                path,
                data=form,
                headers={"origin": HTTPS_URL},
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text
            cookie = response.headers["set-cookie"].lower()
            assert "; secure" in cookie, cookie
            assert "httponly" in cookie
            assert "samesite=strict" in cookie

    def test_an_http_public_url_in_development_does_not(
        self, client: TestClient, shop: PageShop
    ) -> None:
        response = client.post(
            "/console/sign-in", data={"api_key": shop.key}, follow_redirects=False
        )
        assert "secure" not in response.headers["set-cookie"].lower()
