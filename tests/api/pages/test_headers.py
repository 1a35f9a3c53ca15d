"""Security headers on every answer: nosniff and Referrer-Policy everywhere; a strict
Content-Security-Policy (no 'unsafe-inline': each page's inline <style> and <script> carry a
nonce made for that answer, and no element has a style or on... attribute); HSTS when the
public URL is https; no-store on card pages and the .pkpass (it holds the Apple token); and
/docs served without a CDN, under the same policy."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.pages import PageShop, console_cookie, new_page_shop, scanner_cookie

if TYPE_CHECKING:
    from httpx2 import Response

pytestmark = pytest.mark.db

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{16,})'")
INLINE_ELEMENT = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
INLINE_ATTRIBUTE = re.compile(r"<[^>]*\s(style|on[a-z]+)\s*=", re.IGNORECASE)


def _pages(client: TestClient, shop: PageShop) -> dict[str, Response]:
    """Every kind of page, signed in where it needs it."""
    console = "=".join(console_cookie(client, shop.key))
    scanner = "=".join(scanner_cookie(client, shop.staff_code))
    client.cookies.clear()
    get = {
        "join": (f"/join/{shop.public_slug}", None),
        "card": (f"/cards/{shop.card_token}", None),
        "not found": ("/join/no-such-program", None),
        "scanner sign-in": ("/scan", None),
        "console sign-in": ("/console", None),
        "scanner": ("/scan", scanner),
        "scanned card": (f"/scan/cards/{shop.serial}", scanner),
        "console home": ("/console", console),
        "members": ("/console/members", console),
        "programs": ("/console/programs", console),
        "program": (f"/console/programs/{shop.program_id}", console),
        "stores": ("/console/stores", console),
        "campaigns": ("/console/campaigns", console),
        "docs": ("/docs", None),
    }
    return {
        name: client.get(path, headers={"cookie": cookie} if cookie else {})
        for name, (path, cookie) in get.items()
    }


def _policy(response: Response) -> dict[str, str]:
    parts = (p.strip() for p in response.headers["content-security-policy"].split(";"))
    return {p.split(" ", 1)[0]: p.partition(" ")[2] for p in parts if p}


class TestPages:
    def test_every_page_has_a_strict_policy_its_inline_code_satisfies(
        self, client: TestClient, shop: PageShop
    ) -> None:
        nonces = set()
        for name, response in _pages(client, shop).items():
            assert response.status_code in (200, 404), (name, response.status_code)
            header = response.headers["content-security-policy"]
            assert "unsafe-inline" not in header, name
            assert "unsafe-eval" not in header, name
            policy = _policy(response)
            assert policy["default-src"] == "'self'", name
            assert policy["frame-ancestors"] == "'none'"
            assert policy["object-src"] == "'none'"
            match = NONCE.search(policy["script-src"])
            assert match is not None, name
            assert f"'nonce-{match[1]}'" in policy["style-src"], name
            nonce = match[1]
            nonces.add(nonce)
            elements = INLINE_ELEMENT.findall(response.text)
            assert elements, name  # every page has its inline <style> at least
            for tag, attributes in elements:
                is_external = tag.lower() == "script" and "src=" in attributes
                assert is_external or f'nonce="{nonce}"' in attributes, (name, tag, attributes)
            assert INLINE_ATTRIBUTE.findall(response.text) == [], name
        assert len(nonces) == 14  # a new nonce for every answer

    def test_card_pages_and_the_pass_are_not_stored(
        self, client: TestClient, shop: PageShop
    ) -> None:
        card = client.get(f"/cards/{shop.card_token}")
        download = client.get(f"/cards/{shop.card_token}/apple.pkpass")
        assert download.status_code == 200
        for response in (card, download):
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["referrer-policy"] == "same-origin"


class TestEveryAnswer:
    def test_nosniff_referrer_policy_and_a_policy_that_allows_nothing(
        self, client: TestClient, shop: PageShop
    ) -> None:
        answers = {
            "api": client.get("/api/v1/programs", headers={"authorization": f"Bearer {shop.key}"}),
            "api error": client.get("/api/v1/programs"),
            "no such route": client.get("/nowhere"),
            "health": client.get("/healthz"),
            "too large": client.post("/console/sign-in", content=b"x" * 1_000_001),
            "cross-site form": client.post("/console/sign-in", headers={"origin": "null"}),
            "image": client.get("/designs/coffee/logo.png"),
            "openapi": client.get("/openapi.json"),
        }
        for name, response in answers.items():
            assert response.headers["x-content-type-options"] == "nosniff", name
            assert response.headers["referrer-policy"] == "same-origin", name
            assert "strict-transport-security" not in response.headers, name  # http here
            assert _policy(response)["default-src"] == "'none'", name

    def test_hsts_when_the_public_url_is_https(
        self, app: FastAPI, client: TestClient, behind_tls_proxy: TestClient
    ) -> None:
        shop = new_page_shop(app, client)
        for path in ("/healthz", f"/join/{shop.public_slug}", "/docs"):
            response = behind_tls_proxy.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000"


class TestDocs:
    def test_swagger_ui_comes_from_our_own_origin(self, client: TestClient) -> None:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "http" not in re.sub(r'content="[^"]*"', "", page.text)  # no absolute URL
        assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page.text)
        assert len(assets) == 2
        for asset in assets:
            response = client.get(asset)
            assert response.status_code == 200, asset
            assert response.headers["x-content-type-options"] == "nosniff"
            assert len(response.content) > 100_000  # the real Swagger UI, not a stub
        assert {a.rsplit("/", 1)[1] for a in assets} == {"swagger-ui.css", "swagger-ui-bundle.js"}

    def test_redoc_and_the_oauth_redirect_are_not_served(self, client: TestClient) -> None:
        assert client.get("/redoc").status_code == 404
        assert client.get("/docs/oauth2-redirect").status_code == 404
