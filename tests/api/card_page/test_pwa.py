"""The card as a web app over HTTP (both databases): the manifest, its icons and the service
worker, each from the card's own design and never another merchant's; the buttons each
platform is offered."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from api.card_page.service import wallet_order
from api.deps import get_settings
from tests.support.factories import enrol, new_merchant, new_program

pytestmark = pytest.mark.db
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0 Mobile"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"


def _card(app: FastAPI, client: TestClient, merchant: str, program: str) -> dict[str, Any]:
    key = new_merchant(app, merchant)
    created = new_program(client, key, name=program)
    return enrol(client, key, created["id"])


@pytest.fixture
def card(app: FastAPI, client: TestClient) -> dict[str, Any]:
    return _card(app, client, "Rose Florist", "Rose Club")


def _path(card: dict[str, Any]) -> str:
    return "/" + card["card_url"].split("/", 3)[3]


class TestManifest:
    def test_names_colours_scope_and_icons_come_from_the_design(
        self, client: TestClient, card: dict[str, Any]
    ) -> None:
        path = _path(card)
        response = client.get(f"{path}/manifest.webmanifest")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/manifest+json")
        manifest = response.json()
        assert manifest["name"] == "Rose Club"
        assert manifest["start_url"] == manifest["scope"] == manifest["id"] == path
        assert manifest["display"] == "standalone"
        assert manifest["theme_color"].startswith("#")
        assert manifest["background_color"] == manifest["theme_color"]
        kinds = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
        assert kinds == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}

    def test_every_icon_is_a_png_of_its_size_cached_for_a_year(
        self, client: TestClient, card: dict[str, Any]
    ) -> None:
        manifest = client.get(f"{_path(card)}/manifest.webmanifest").json()
        for icon in manifest["icons"]:
            assert icon["src"].startswith(_path(card) + "/icons/")
            response = client.get(icon["src"])
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/png"
            assert "immutable" in response.headers["cache-control"]
            size = int(icon["sizes"].split("x")[0])
            assert Image.open(io.BytesIO(response.content)).size == (size, size)

    def test_another_merchants_card_never_gets_these_names(
        self, app: FastAPI, client: TestClient, card: dict[str, Any]
    ) -> None:
        other = _card(app, client, "Bean Coffee", "Bean Club")
        mine = client.get(f"{_path(card)}/manifest.webmanifest").json()
        theirs = client.get(f"{_path(other)}/manifest.webmanifest").json()
        assert theirs["name"] == "Bean Club"
        for manifest, other_names in ((mine, "Bean"), (theirs, "Rose")):
            assert other_names not in str(manifest)

    def test_an_unknown_token_is_404(self, client: TestClient) -> None:
        for tail in ("manifest.webmanifest", "sw.js", "icons/" + "0" * 24 + ".png"):
            response = client.get(f"/cards/{'x' * 32}/{tail}")
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"

    def test_an_unknown_icon_is_404(self, client: TestClient, card: dict[str, Any]) -> None:
        response = client.get(f"{_path(card)}/icons/{'0' * 24}.png")
        assert response.status_code == 404
        assert response.json()["type"] == "card_icon_not_found"


class TestServiceWorker:
    def test_is_a_script_scoped_to_the_card_with_our_origin_only(
        self, client: TestClient, card: dict[str, Any]
    ) -> None:
        path = _path(card)
        response = client.get(f"{path}/sw.js")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["service-worker-allowed"] == path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        for handler in ("install", "fetch", "push", "notificationclick"):
            assert f'addEventListener("{handler}"' in response.text
        assert f'"{path}"' in response.text
        assert "http://" not in response.text
        assert "https://" not in response.text

    def test_the_page_links_the_manifest(self, client: TestClient, card: dict[str, Any]) -> None:
        page = client.get(_path(card)).text
        assert f'<link rel="manifest" href="{_path(card)}/manifest.webmanifest">' in page
        assert 'id="updated"' in page


class TestButtons:
    def test_each_platform_gets_its_own(self) -> None:
        assert wallet_order(IPHONE, has_google=True) == ("apple", "google")
        assert wallet_order(ANDROID, has_google=True) == ("google", "install", "wallet_app")
        assert wallet_order(ANDROID, has_google=False) == ("install", "wallet_app")
        assert wallet_order("Mozilla/5.0 (X11; Linux x86_64)", has_google=False) == (
            "apple",
            "install",
        )

    def test_android_without_google_is_offered_the_web_app_and_a_wallet_app(
        self, client: TestClient, card: dict[str, Any]
    ) -> None:
        page = client.get(_path(card), headers={"User-Agent": ANDROID}).text
        assert 'id="install-card"' in page
        assert 'id="add-wallet-app"' in page
        assert "Pass2U" in page
        assert 'id="add-apple"' not in page
        assert 'id="add-google"' not in page
        assert 'id="push" data-key="' in page  # shown once the browser has PushManager

    def test_android_with_google_gets_google_first(
        self, app: FastAPI, client: TestClient, card: dict[str, Any]
    ) -> None:
        settings = app.state.settings.model_copy(
            update={"google_issuer_id": "3388", "google_service_account_file": Path("key.json")}
        )
        app.dependency_overrides[get_settings] = lambda: settings
        try:
            page = client.get(_path(card), headers={"User-Agent": ANDROID}).text
        finally:
            app.dependency_overrides.clear()
        assert page.index('id="add-google"') < page.index('id="install-card"')
        assert page.index('id="install-card"') < page.index('id="add-wallet-app"')


class TestPageImages:
    """The card page and its worker name only images the design has: a program on the neutral
    design (no logo, no strip) must not send the phone after 404s."""

    def test_every_image_the_page_and_worker_name_is_served(
        self, client: TestClient, card: dict[str, Any]
    ) -> None:
        path = _path(card)
        page = client.get(path, headers={"user-agent": ANDROID}).text
        worker = client.get(f"{path}/sw.js").text
        named = set(re.findall(r"/designs/[a-z0-9_-]+/[a-z0-9_@-]+\.png", page + worker))
        named |= set(re.findall(r"/cards/[^\"' ]+/icons/[^\"' ]+\.png", worker))
        assert named, "the page shows at least the design's icon"
        for url in sorted(named):
            assert client.get(url).status_code == 200, url
