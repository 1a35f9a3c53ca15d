"""The console's design editor over HTTP (both databases): the form saves the draft through the
designs service, previews without saving, uploads with a focal point, publishes and rolls
back; refusals name the field; other merchants and cross-site forms get nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from api.console.design_form import contrast_ratio, document_of, form_of
from api.merchants.models import Role
from api.pages.design_texts import standard_labels
from tests.support.factories import auth, enrol, new_key, new_merchant, new_program

pytestmark = pytest.mark.db


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> dict[str, Any]:
    key = new_merchant(app, name="Petal Shop")
    program = new_program(client, key, name="Petal Club")
    for phone in ("+79005550101", "+79005550102"):
        enrol(client, key, program["id"], phone=phone)
    client.headers["Accept-Language"] = "en"
    return {"key": key, "program": program, "path": f"/console/programs/{program['id']}/design"}


def sign_in(client: TestClient, key: str) -> None:
    response = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    assert response.status_code == 303


def form_values(page: str) -> dict[str, str]:
    """The editor form's text and colour inputs as the page shows them."""
    values = dict(re.findall(r'name="([^"]+)" type="(?:text|color)" value="([^"]*)"', page))
    values.update(re.findall(r'name="([^"]+)" rows="3"[^>]*>([^<]*)</textarea>', page))
    values["language"] = re.search(r'<option value="(\w+)" selected>', page).group(1)  # type: ignore[union-attr]
    values["barcode"] = "qr"
    return values


def jpeg(width: int = 900, height: int = 600) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), "#f4b6c2")
    image.paste(Image.new("RGB", (width // 3, height // 3), "#1f4d3a"), (0, 0))
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def draft(client: TestClient, shop: dict[str, Any]) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/programs/{shop['program']['id']}/design/draft", headers=auth(shop["key"])
    )
    result: dict[str, Any] = response.json()["document"]
    return result


class TestEditorPage:
    def test_it_shows_the_draft_as_a_form_with_the_preview(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        page = client.get(shop["path"])
        assert page.status_code == 200
        assert 'name="t.en.program.name" type="text" value="Petal Club"' in page.text
        assert 'id="design-preview"' in page.text
        assert "Publish to 2 cards" in page.text
        assert '<option value="florist">florist</option>' in page.text
        program = client.get(f"/console/programs/{shop['program']['id']}")
        assert f'href="{shop["path"]}"' in program.text

    def test_the_page_speaks_russian(self, client: TestClient, shop: dict[str, Any]) -> None:
        sign_in(client, shop["key"])
        page = client.get(shop["path"], headers={"Accept-Language": "ru"})
        assert "Дизайн карты" in page.text
        assert "Опубликовать (карт: 2)" in page.text

    def test_the_form_saves_texts_in_both_languages(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        values = form_values(client.get(shop["path"]).text)
        values.update({"t.en.program.name": "Petal Friends", "t.ru.program.name": "Друзья Petal"})
        values["colors.background"] = "#1f4d3a"
        saved = client.post(shop["path"], data=values, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        document = draft(client, shop)
        assert document["program"]["name"] == "Petal Friends"
        assert document["translations"]["ru"]["program"]["name"] == "Друзья Petal"
        assert document["colors"]["background"] == "#1f4d3a"

    def test_a_hard_to_read_colour_is_warned_about_but_saved(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        values = form_values(client.get(shop["path"]).text)
        values.update({"colors.background": "#1f4d3a", "colors.label": "#2f6a50"})
        page = client.post(shop["path"], data=values)
        assert page.status_code == 200
        assert "Draft saved." in page.text
        assert "Hard to read: Labels on the background is 1.5:1" in page.text
        assert "Hard to read: Text" not in page.text

    def test_a_bad_field_is_named_next_to_it_and_nothing_is_saved(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        before = draft(client, shop)
        values = form_values(client.get(shop["path"]).text)
        values["t.en.program.logo_text"] = "L" * 200
        refused = client.post(shop["path"], data=values)
        assert refused.status_code == 422
        assert 'id="err-t-en-program-logo_text">Not accepted:' in refused.text
        assert 'value="' + "L" * 200 + '"' in refused.text  # the typed value is kept
        assert draft(client, shop) == before

    def test_the_preview_renders_the_form_without_saving_it(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        before = draft(client, shop)
        values = form_values(client.get(shop["path"]).text)
        values["t.en.program.logo_text"] = "Typed, not saved"
        shown = client.post(f"{shop['path']}/preview", data=values)
        assert shown.status_code == 200
        assert "Typed, not saved" in shown.text
        assert draft(client, shop) == before
        values["colors.foreground"] = "red"
        refused = client.post(f"{shop['path']}/preview", data=values)
        assert refused.status_code == 422
        assert refused.json()["field"] == "colors.foreground"

    def test_a_starter_replaces_the_draft(self, client: TestClient, shop: dict[str, Any]) -> None:
        sign_in(client, shop["key"])
        chosen = client.post(shop["path"], data={"action": "starter", "starter": "florist"})
        assert chosen.status_code == 200  # after the redirect
        assert draft(client, shop)["program"]["organization"] == "Petal & Stem"
        unknown = client.post(shop["path"], data={"action": "starter", "starter": "../coffee"})
        assert unknown.status_code == 422
        assert unknown.json()["type"] == "unknown_design"


class TestUploads:
    def test_a_jpeg_becomes_the_logo_around_the_focal_point(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        response = client.post(
            f"/console/uploads/design/{shop['program']['id']}",
            data={"slot": "strip", "focus_x": "0.1", "focus_y": "0.1"},
            files={"image": ("photo.jpg", jpeg(), "image/jpeg")},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        images = draft(client, shop)["images"]
        assert {"strip.png", "strip@2x.png", "strip@3x.png"} <= set(images)
        page = client.get(shop["path"]).text
        url = re.search(r'src="(/console/programs/[^"]+/strip\.png)"', page).group(1)  # type: ignore[union-attr]
        served = client.get(url)
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(served.content)) as strip:
            assert strip.size == (375, 123)
            # the focal point was the dark top-left corner: the crop keeps some of it
            assert strip.convert("RGB").getpixel((0, 0)) != (0xF4, 0xB6, 0xC2)

    def test_without_script_the_upload_is_cropped_around_the_centre(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        response = client.post(
            f"/console/uploads/design/{shop['program']['id']}",
            data={"slot": "logo"},
            files={"image": ("logo.jpg", jpeg(600, 200), "image/jpeg")},
        )
        assert response.status_code == 200  # after the redirect
        assert "The image is in the draft." in response.text
        assert {"logo.png", "logo@2x.png", "logo@3x.png"} <= set(draft(client, shop)["images"])

    def test_a_refused_upload_says_why_next_to_the_field(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        response = client.post(
            f"/console/uploads/design/{shop['program']['id']}",
            data={"slot": "logo"},
            files={"image": ("notes.txt", b"not an image at all", "text/plain")},
            headers={"Accept-Language": "ru"},
        )
        assert response.status_code == 422
        assert 'id="err-upload">Это не PNG, JPEG или WebP.' in response.text


class TestPublishing:
    def test_publish_then_roll_back(self, client: TestClient, shop: dict[str, Any]) -> None:
        sign_in(client, shop["key"])
        published = client.post(shop["path"], data={"action": "publish"})
        assert published.status_code == 200
        assert "Published: version 1." in published.text
        assert '<tr id="v1"><td>1</td>' in published.text
        progress = client.get(shop["path"]).text
        assert 'id="progress"' in progress  # how far version 1 has reached the phones
        client.post(shop["path"], data={"action": "starter", "starter": "florist"})
        client.post(shop["path"], data={"action": "publish"})
        rolled = client.post(shop["path"], data={"action": "rollback", "version": "1"})
        assert "Published: version 3." in rolled.text
        program = client.get(
            f"/api/v1/programs/{shop['program']['id']}", headers=auth(shop["key"])
        ).json()
        assert program["design"].endswith("-v3")
        missing = client.post(shop["path"], data={"action": "rollback", "version": "9"})
        assert missing.status_code == 404

    def test_versions_are_paged_newest_first(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        for _ in range(12):
            client.post(shop["path"], data={"action": "publish"})
        page = client.get(shop["path"]).text
        shown = re.findall(r'<tr id="v(\d+)">', page)
        assert shown == [str(n) for n in range(12, 2, -1)]
        older = client.get(f"{shop['path']}?offset=0").text
        assert re.findall(r'<tr id="v(\d+)">', older) == [str(n) for n in range(10, 0, -1)]


class TestWhoMayEdit:
    def test_a_read_key_sees_the_design_and_changes_nothing(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, new_key(app, shop["key"], Role.read))
        page = client.get(shop["path"])
        assert page.status_code == 200
        assert "Publish to" not in page.text
        assert (
            'name="t.en.program.name" type="text" value="Petal Club" placeholder="" readonly'
            in (page.text)
        )
        assert client.post(shop["path"], data={"action": "publish"}).status_code == 403
        upload = client.post(
            f"/console/uploads/design/{shop['program']['id']}",
            data={"slot": "logo"},
            files={"image": ("a.jpg", jpeg(), "image/jpeg")},
        )
        assert upload.status_code == 403

    def test_a_form_from_another_site_is_refused(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        before = draft(client, shop)
        for path in (shop["path"], f"/console/uploads/design/{shop['program']['id']}"):
            response = client.post(
                path, data={"action": "publish"}, headers={"Origin": "https://evil.example"}
            )
            assert response.status_code == 403
            assert response.json()["type"] == "cross_site_form"
        assert draft(client, shop) == before

    def test_another_merchant_never_sees_the_draft_or_its_images(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])
        client.post(shop["path"], data={"action": "starter", "starter": "florist"})
        mine = client.get(shop["path"]).text
        logo = re.search(r'src="(/console/programs/[^"]+/logo\.png)"', mine).group(1)  # type: ignore[union-attr]
        assert client.get(logo).status_code == 200
        client.cookies.clear()
        sign_in(client, new_merchant(app, name="Other Shop"))
        assert client.get(shop["path"]).status_code == 404
        assert client.get(logo).status_code == 404
        preview = client.post(f"{shop['path']}/preview", data={})
        assert preview.status_code == 404
        assert "Petal" not in preview.text

    def test_signed_out_visitors_go_to_the_sign_in(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        response = client.get(shop["path"], follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/console"


class TestDesignForm:
    def test_contrast_is_wcag(self) -> None:
        assert round(contrast_ratio("#ffffff", "#000000"), 1) == 21.0
        assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48

    def test_choosing_the_other_language_swaps_the_texts(self) -> None:
        document = {
            "program": {"name": "Club", "organization": "Shop", "description": "Card"},
            "colors": {"background": "#ffffff", "foreground": "#eeeeee", "label": "#000000"},
            "card": {"primary_label": "POINTS"},
            "change_messages": {"points": "You have %@ points"},
            "translations": {"ru": {"program": {"name": "Клуб"}}},
        }
        form = form_of(document, standard_labels())
        assert form.language == "en"
        assert form.texts["ru"]["program.name"] == "Клуб"
        assert [name for name, _ in form.warnings] == ["foreground"]
        values = {f"t.{tab}.{k}": v for tab, texts in form.texts.items() for k, v in texts.items()}
        swapped, _ = document_of(document, {**values, "language": "ru"})
        assert swapped["program"]["language"] == "ru"
        assert swapped["program"]["name"] == "Клуб"
        assert swapped["translations"]["en-US"]["program"]["name"] == "Club"
        assert swapped["translations"]["en-US"]["change_messages"]["points"] == "You have %@ points"
        assert "ru" not in swapped["translations"]
