"""A program's design as data: draft, images, preview, publish, versions, roll back."""

from __future__ import annotations

import io
import json
from typing import Any
from uuid import UUID

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from api.members.models import Card
from api.outbox.models import OutboxEvent
from tests.api.designs.helpers import pass_files, pass_json
from tests.support.factories import auth, enrol, new_merchant, new_program


def png(width: int, height: int, colour: str = "#c0392b") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def design_url(program: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/programs/{program['id']}/design{tail}"


def card_version(app: FastAPI, member: dict[str, Any]) -> int:
    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.member_id == UUID(member["id"]))).one()
    return card.version


def design_events(app: FastAPI) -> int:
    with Session(app.state.engine) as session:
        return len(session.exec(select(OutboxEvent).where(OutboxEvent.kind == "design")).all())


def edit_draft(client: TestClient, key: str, program: dict[str, Any], **changes: Any) -> Any:
    document = client.get(design_url(program, "/draft"), headers=auth(key)).json()["document"]
    for path, value in changes.items():
        table, name = path.split("__")
        document[table][name] = value
    return client.put(design_url(program, "/draft"), json=document, headers=auth(key))


class TestPublish:
    def test_a_published_draft_changes_the_pass_and_marks_the_cards(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Corner Coffee")
        program = new_program(client, key, name="Corner Points")
        members = [enrol(client, key, program["id"], phone=f"+7916000000{i}") for i in range(3)]
        assert pass_json(client, members[0])["organizationName"] == "Corner Coffee"
        before = card_version(app, members[0])

        edited = edit_draft(
            client,
            key,
            program,
            program__organization="Corner Roasters",
            colors__background="#004d40",
        )
        assert edited.status_code == 200, edited.text
        # The draft is not live yet.
        assert pass_json(client, members[0])["organizationName"] == "Corner Coffee"

        published = client.post(design_url(program, "/publish"), headers=auth(key))
        assert published.status_code == 201, published.text
        assert published.json()["version"] == 1
        assert published.json()["live"] is True

        document = pass_json(client, members[0])
        assert document["organizationName"] == "Corner Roasters"
        assert document["backgroundColor"] == "rgb(0, 77, 64)"
        assert card_version(app, members[0]) == before + 1
        assert design_events(app) == 3
        live = client.get(design_url(program), headers=auth(key)).json()
        assert live["version"] == 1
        assert live["document"]["program"]["organization"] == "Corner Roasters"

    def test_an_uploaded_logo_reaches_the_pass(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app, name="Bloom")
        program = new_program(client, key, name="Bloom Club")
        member = enrol(client, key, program["id"])
        logo = png(160, 50)
        response = client.post(
            design_url(program, "/draft/images/logo.png"),
            content=logo,
            headers={**auth(key), "Content-Type": "image/png"},
        )
        assert response.status_code == 200, response.text
        draft = client.get(design_url(program, "/draft"), headers=auth(key)).json()
        assert draft["document"]["images"]["logo.png"] == response.json()["sha256"]
        assert "logo.png" not in pass_files(client, member)
        client.post(design_url(program, "/publish"), headers=auth(key))
        assert pass_files(client, member)["logo.png"] == logo

    def test_the_preview_renders_the_draft(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app, name="Bloom")
        program = new_program(client, key, name="Bloom Club", kind="stamps", stamps_required=6)
        assert edit_draft(client, key, program, program__logo_text="BLOOM").status_code == 200
        preview = client.post(design_url(program, "/draft/preview"), headers=auth(key)).json()
        assert preview["pass_json"]["logoText"] == "BLOOM"
        assert preview["pass_json"]["organizationName"] == "Bloom"
        assert preview["google_class"]["issuerName"] == "Bloom"
        assert preview["google_object"]["classId"] == preview["google_class"]["id"]

    def test_a_starter_template_is_a_draft_to_start_from(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        started = client.post(
            design_url(program, "/draft/starter"), json={"starter": "florist"}, headers=auth(key)
        )
        assert started.status_code == 200, started.text
        assert "google_hero.png" in started.json()["document"]["images"]
        unknown = client.post(
            design_url(program, "/draft/starter"), json={"starter": "bakery"}, headers=auth(key)
        )
        assert unknown.status_code == 422
        assert unknown.json()["type"] == "unknown_design"


class TestRollback:
    def test_rolling_back_publishes_the_older_version_again(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Corner Coffee")
        program = new_program(client, key, name="Corner Points")
        member = enrol(client, key, program["id"])
        for name in ("First Name", "Second Name"):
            edit_draft(client, key, program, program__organization=name)
            client.post(design_url(program, "/publish"), headers=auth(key))
        assert pass_json(client, member)["organizationName"] == "Second Name"

        back = client.post(design_url(program, "/rollback"), json={"version": 1}, headers=auth(key))
        assert back.status_code == 201, back.text
        assert back.json()["version"] == 3
        assert pass_json(client, member)["organizationName"] == "First Name"
        versions = client.get(design_url(program, "/versions"), headers=auth(key)).json()
        assert versions["total"] == 3
        assert [v["live"] for v in versions["items"]] == [False, False, True]

        missing = client.post(
            design_url(program, "/rollback"), json={"version": 9}, headers=auth(key)
        )
        assert missing.status_code == 404
        assert missing.json()["type"] == "design_version_not_found"


class TestBadInput:
    def test_a_bad_colour_is_a_422_naming_the_field_and_nothing_is_saved(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        before = client.get(design_url(program, "/draft"), headers=auth(key)).json()
        response = edit_draft(client, key, program, colors__background="red")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "design_invalid"
        assert response.json()["field"] == "colors.background"
        assert client.get(design_url(program, "/draft"), headers=auth(key)).json() == before

    def test_an_unknown_barcode_and_a_long_name_name_their_fields(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        barcode = edit_draft(client, key, program, card__barcode="datamatrix")
        assert barcode.json()["field"] == "card.barcode"
        name = edit_draft(client, key, program, program__name="x" * 61)
        assert name.json()["field"] == "program.name"

    def test_bad_images(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)

        def upload(file: str, data: bytes) -> Any:
            return client.post(
                design_url(program, f"/draft/images/{file}"),
                content=data,
                headers={**auth(key), "Content-Type": "image/png"},
            )

        jpeg = io.BytesIO()
        Image.new("RGB", (10, 10)).save(jpeg, format="JPEG")
        cases = [
            ("logo.png", jpeg.getvalue(), "design_image_invalid", "images.logo.png"),
            ("logo.png", b"not an image", "design_image_invalid", "images.logo.png"),
            ("banner.png", png(10, 10), "design_image_invalid", "images.banner.png"),
            ("logo.png", png(400, 400), "design_invalid", "images.logo.png"),
            ("strip.png", png(3000, 2000), "design_image_invalid", "images.strip.png"),
        ]
        for file, data, code, field in cases:
            response = upload(file, data)
            assert response.status_code == 422, (file, response.text)
            assert (response.json()["type"], response.json()["field"]) == (code, field)
        draft = client.get(design_url(program, "/draft"), headers=auth(key)).json()
        assert "logo.png" not in draft["document"]["images"]

    def test_an_unknown_image_hash_is_refused(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        document = client.get(design_url(program, "/draft"), headers=auth(key)).json()["document"]
        document["images"]["logo.png"] = "0" * 64
        response = client.put(design_url(program, "/draft"), json=document, headers=auth(key))
        assert response.status_code == 422
        assert response.json()["field"] == "images.logo.png"


class TestTenancy:
    def test_a_second_merchant_never_sees_the_first_ones_design(
        self, app: FastAPI, client: TestClient
    ) -> None:
        first_key = new_merchant(app, name="Corner Coffee")
        first = new_program(client, first_key, name="Corner Points")
        client.post(
            design_url(first, "/draft/images/logo.png"),
            content=png(160, 50, "#123456"),
            headers={**auth(first_key), "Content-Type": "image/png"},
        )
        client.post(design_url(first, "/publish"), headers=auth(first_key))

        second_key = new_merchant(app, name="Bloom Florist")
        second = new_program(client, second_key, name="Bloom Club")
        files = pass_files(client, enrol(client, second_key, second["id"]))
        text = json.dumps(json.loads(files["pass.json"]))
        assert "Corner" not in text
        assert "logo.png" not in files
        for method, tail in (
            ("get", ""),
            ("get", "/draft"),
            ("get", "/versions"),
            ("post", "/publish"),
            ("post", "/draft/preview"),
        ):
            response = client.request(method, design_url(first, tail), headers=auth(second_key))
            assert response.status_code == 404, (tail, response.text)
        taken = client.post(
            "/api/v1/programs",
            json={"name": "Copy", "kind": "points", "design": first["design"]},
            headers=auth(second_key),
        )
        assert taken.status_code == 422
        assert taken.json()["type"] == "unknown_design"
        bad = client.post(
            design_url(first, "/rollback"), json={"version": 1}, headers=auth(second_key)
        )
        assert bad.status_code == 404


class TestUploads:
    """An upload in any of PNG, JPEG or WebP becomes a slot's images at every scale."""

    @staticmethod
    def photo(width: int, height: int, kind: str) -> bytes:
        out = io.BytesIO()
        image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        image.save(out, format=kind)
        return out.getvalue()

    def upload(
        self, client: TestClient, key: str, program: dict[str, Any], slot: str, data: bytes
    ) -> Any:
        return client.post(
            design_url(program, f"/draft/uploads/{slot}?focus_x=0.5&focus_y=0.3"),
            content=data,
            headers={**auth(key), "Content-Type": "application/octet-stream"},
        )

    def test_a_phone_photo_becomes_the_strip_at_every_scale(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Bloom")
        program = new_program(client, key, name="Bloom Club")
        member = enrol(client, key, program["id"])
        response = self.upload(client, key, program, "strip", self.photo(1200, 1600, "JPEG"))
        assert response.status_code == 201, response.text
        files = response.json()["files"]
        assert {f: (v["width"], v["height"]) for f, v in files.items()} == {
            "strip.png": (375, 123),
            "strip@2x.png": (750, 246),
            "strip@3x.png": (1125, 369),
        }
        assert all(v["ssim"] >= 0.99 for v in files.values())
        client.post(design_url(program, "/publish"), headers=auth(key))
        shipped = pass_files(client, member)
        with Image.open(io.BytesIO(shipped["strip@2x.png"])) as strip:
            assert strip.size == (750, 246)

    def test_refusals_name_the_slot_and_the_reason(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        gif = io.BytesIO()
        Image.new("RGB", (100, 100)).save(gif, format="GIF")
        cases = [
            ("logo", gif.getvalue(), "unknown_type"),
            ("logo", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "unreadable"),
            ("banner", self.photo(100, 100, "PNG"), "unknown_slot"),
            ("strip", self.photo(2000, 100, "WEBP"), "aspect"),
            ("strip", self.photo(60, 30, "PNG"), "too_small"),
        ]
        for slot, data, reason in cases:
            response = self.upload(client, key, program, slot, data)
            assert response.status_code == 422, (slot, reason, response.text)
            body = response.json()
            assert (body["type"], body["field"], body["reason"]) == (
                "design_image_invalid",
                f"images.{slot}",
                reason,
            )
        draft = client.get(design_url(program, "/draft"), headers=auth(key)).json()
        assert not any(name.startswith("strip") for name in draft["document"]["images"])
