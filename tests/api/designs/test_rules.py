"""Design rules at save time: contrast warnings, length limits, contacts, the barcode."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.designs.models import DesignVersion
from api.members.models import Card
from api.staff import service as staff_service
from api.staff.models import Staff
from tests.api.designs.helpers import pass_files, pass_json
from tests.api.designs.test_designs import design_url
from tests.support.factories import auth, enrol, new_merchant, new_program


def draft(client: TestClient, key: str, program: dict[str, Any]) -> dict[str, Any]:
    response = client.get(design_url(program, "/draft"), headers=auth(key))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()["document"]
    return document


def put(client: TestClient, key: str, program: dict[str, Any], document: dict[str, Any]) -> Any:
    return client.put(design_url(program, "/draft"), json=document, headers=auth(key))


class TestContrast:
    def test_a_low_contrast_draft_saves_with_a_warning(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Pale Florist")
        program = new_program(client, key, name="Petals")
        assert client.get(design_url(program, "/draft"), headers=auth(key)).json()["warnings"] == []
        document = draft(client, key, program)
        document["colors"] = {"background": "#ffffff", "foreground": "#777777", "label": "#000000"}

        saved = put(client, key, program, document)

        assert saved.status_code == 200, saved.text
        assert saved.json()["warnings"] == [
            {
                "field": "colors.foreground",
                "code": "low_contrast",
                "ratio": 4.47,
                "detail": saved.json()["warnings"][0]["detail"],
            }
        ]
        again = client.get(design_url(program, "/draft"), headers=auth(key)).json()
        assert again["document"]["colors"]["foreground"] == "#777777"
        assert [w["field"] for w in again["warnings"]] == ["colors.foreground"]
        preview = client.post(design_url(program, "/draft/preview"), headers=auth(key))
        assert preview.status_code == 200, preview.text
        assert [w["ratio"] for w in preview.json()["warnings"]] == [4.47]


def edited(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``table.name`` set (``table.name.sub`` one level deeper)."""
    copy = json.loads(json.dumps(document))
    *tables, name = path.split(".")
    target = copy
    for table in tables:
        target = target.setdefault(table, {})
    target[name] = value
    return copy


class TestBadFields:
    @pytest.mark.parametrize(
        ("path", "value", "field"),
        [
            ("program.name", "Petals Flower Club Rewards", "program.name"),
            ("program.organization", "Petals Flower Workshop", "program.organization"),
            ("program.logo_text", "Petals Flower Workshop", "program.logo_text"),
            ("card.primary_label", "YOUR POINTS", "card.primary_label"),
            ("card.barcode", "datamatrix", "card.barcode"),
            ("card.barcode_value", "member_phone", "card.barcode_value"),
            ("card.barcode_value", "anything", "card.barcode_value"),
            ("colors.label", "#fff", "colors.label"),
            ("contacts.website", "http://petals.example", "contacts.website"),
            ("contacts.phone", "call us", "contacts.phone"),
            ("contacts.email", "petals", "contacts.email"),
            ("contacts.fax", "+74951234567", "contacts.fax"),
            ("translations.ru.program", {"name": "Лепесток: цветочный клуб"},
             "translations.ru.program.name"),
        ],
    )  # fmt: skip
    def test_each_bad_field_is_a_422_naming_it_and_nothing_is_saved(
        self, app: FastAPI, client: TestClient, path: str, value: Any, field: str
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        before = client.get(design_url(program, "/draft"), headers=auth(key)).json()

        response = put(client, key, program, edited(before["document"], path, value))

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert (response.json()["type"], response.json()["field"]) == ("design_invalid", field)
        assert client.get(design_url(program, "/draft"), headers=auth(key)).json() == before

    def test_a_long_front_label_names_its_field(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        document = draft(client, key, program)
        document["fields"]["secondary"][0]["label"] = "MEMBER OF THE PETALS CLUB"
        response = put(client, key, program, document)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "fields.secondary[0].label"
        assert "Apple Wallet" in response.json()["detail"]

    def test_a_value_that_cannot_render_is_a_422_not_a_500(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        document = draft(client, key, program)
        for value in ("Member }", "{}", "{points:d}"):
            document["fields"]["back"][0]["value"] = value
            response = put(client, key, program, document)
            assert response.status_code == 422, response.text
            assert response.json()["field"] == "fields.back[0].value"


class TestContacts:
    def test_contacts_reach_both_wallets_in_both_languages(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        member = enrol(client, key, program["id"])
        document = draft(client, key, program)
        document["contacts"] = {
            "hours": {"label": "Open", "value": "Mon-Sat 9:00-21:00"},
            "phone": "+7 495 123-45-67",
            "website": "https://petals.example",
        }
        document["translations"] = {
            "ru": {"fields": {"hours": {"label": "Открыто", "value": "Пн-Сб 9:00-21:00"}}}
        }
        saved = put(client, key, program, document)
        assert saved.status_code == 200, saved.text
        assert saved.json()["document"]["contacts"]["phone"] == "+7 495 123-45-67"

        preview = client.post(design_url(program, "/draft/preview"), headers=auth(key)).json()
        links = preview["google_object"]["linksModuleData"]["uris"]
        assert [link["uri"] for link in links] == ["tel:+74951234567", "https://petals.example"]
        assert links[0]["localizedDescription"]["translatedValues"] == [
            {"language": "ru", "value": "Телефон"}
        ]

        published = client.post(design_url(program, "/publish"), headers=auth(key))
        assert published.status_code == 201, published.text
        files = pass_files(client, member)
        back = {
            field["key"]: field
            for field in json.loads(files["pass.json"])["storeCard"]["backFields"]
        }
        assert back["phone"]["dataDetectorTypes"] == ["PKDataDetectorTypePhoneNumber"]
        assert back["website"]["dataDetectorTypes"] == ["PKDataDetectorTypeLink"]
        russian = files["ru.lproj/pass.strings"].decode("utf-16")
        assert '"Open" = "Открыто";' in russian
        assert '"Phone" = "Телефон";' in russian


class TestBarcodePrefix:
    def test_the_barcode_carries_the_prefixed_number_and_the_till_still_finds_the_card(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        member = enrol(client, key, program["id"])
        document = draft(client, key, program)
        document["card"]["barcode_prefix"] = "PT"
        document["card"]["barcode"] = "code128"
        assert put(client, key, program, document).status_code == 200
        assert client.post(design_url(program, "/publish"), headers=auth(key)).status_code == 201

        serial = member["serial_number"]
        barcode = pass_json(client, member)["barcodes"][0]
        assert (barcode["message"], barcode["altText"]) == (f"PT{serial}", serial)
        preview = client.post(design_url(program, "/draft/preview"), headers=auth(key)).json()
        assert preview["google_object"]["barcode"]["value"].startswith("PT")
        with Session(app.state.engine) as session:
            card = session.exec(select(Card).where(Card.serial_number == serial)).one()
            staff = Staff(merchant_id=card.merchant_id, store_id=uuid4(), name="x", code="x")
            assert staff_service.find_card(session, staff, f"PT{serial}").card.id == card.id
            assert staff_service.find_card(session, staff, serial).card.id == card.id

    @pytest.mark.parametrize("prefix", ["pt", "P1", "TOOLONGXX", 7])
    def test_a_prefix_is_capital_letters(
        self, app: FastAPI, client: TestClient, prefix: object
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        document = draft(client, key, program)
        document["card"]["barcode_prefix"] = prefix
        response = put(client, key, program, document)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "card.barcode_prefix"


class TestPublishLimits:
    def test_a_long_merchant_name_is_clipped_in_the_neutral_design(
        self, app: FastAPI, client: TestClient
    ) -> None:
        """The neutral design stays publishable as it is: a name Google would cut at 20
        characters is clipped at a word, with an ellipsis."""
        key = new_merchant(app, name="Цветочная мастерская Лепесток")
        program = new_program(client, key, name="Petals Club")
        response = client.post(design_url(program, "/publish"), headers=auth(key))
        assert response.status_code == 201, response.text
        live = client.get(design_url(program), headers=auth(key)).json()["document"]["program"]
        assert live["organization"].startswith("Цветочная ")
        assert live["organization"].endswith("\u2026")
        assert len(live["organization"]) <= 20

    def test_a_draft_over_a_limit_is_not_saved(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        document = draft(client, key, program)
        document["program"]["organization"] = "Цветочная мастерская Лепесток"
        response = put(client, key, program, document)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "program.organization"
        versions = client.get(design_url(program, "/versions"), headers=auth(key)).json()
        assert versions["total"] == 0

    def test_a_roll_back_restores_a_version_as_it_was_published(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Petals")
        program = new_program(client, key, name="Petals Club")
        assert client.post(design_url(program, "/publish"), headers=auth(key)).status_code == 201
        with Session(app.state.engine) as session:  # published before today's limits
            row = session.exec(select(DesignVersion)).one()
            named = {**row.document["program"], "name": "Petals Club Members Rewards"}
            row.document = {**row.document, "program": named}
            session.add(row)
            session.commit()
        rollback = design_url(program, "/rollback")
        response = client.post(rollback, json={"version": 1}, headers=auth(key))
        assert response.status_code == 201, response.text
        live = client.get(design_url(program), headers=auth(key)).json()
        assert (live["version"], live["document"]["program"]["name"]) == (
            2,
            "Petals Club Members Rewards",
        )
