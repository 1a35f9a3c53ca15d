"""The neutral design speaks Russian too: English by default (programs store no language),
Russian labels and change messages for a phone set to Russian; the names stay the merchant's."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.designs.document import build_design, neutral_document, neutral_images
from passes import loyalty_class
from tests.api.designs.helpers import pass_files, pass_json
from tests.support.factories import enrol, new_merchant, new_program


def strings(files: dict[str, bytes], language: str) -> str:
    return files[f"{language}.lproj/pass.strings"].decode("utf-16")


def russian(localized: dict[str, Any]) -> str:
    (value,) = [t["value"] for t in localized["translatedValues"] if t["language"] == "ru"]
    assert isinstance(value, str)
    return value


class TestNeutralDocument:
    def test_english_default_with_russian_labels_and_messages(self) -> None:
        document = neutral_document("Угол", "Угол: штампы", stamps_required=8)
        design = build_design("p-1-v0", document, neutral_images())
        assert design.language == "en-US"
        texts = design.translations
        assert texts["card.primary_label"] == {"ru": "ШТАМПЫ"}
        assert texts["fields.member.label"] == {"ru": "УЧАСТНИК"}
        assert texts["fields.card_number.label"] == {"ru": "Номер карты"}
        assert texts["change_messages.stamps"] == {"ru": "Штампов на карте: %@"}
        assert texts["program.description"] == {"ru": "Угол: штампы: карта лояльности"}
        # The merchant's names are theirs in every language: no translation invents others.
        assert "program.name" not in texts
        assert "program.organization" not in texts

    def test_a_points_program_gets_russian_points(self) -> None:
        document = neutral_document("Corner Coffee", "Corner Points", stamps_required=None)
        design = build_design("p-2-v0", document, neutral_images())
        assert design.translations["card.primary_label"] == {"ru": "БАЛЛЫ"}
        assert design.translations["change_messages.points"] == {"ru": "У вас %@ баллов"}

    def test_long_names_keep_the_description_within_its_limit(self) -> None:
        document = neutral_document("М" * 60, "П" * 60, stamps_required=None)
        design = build_design("p-3-v0", document, neutral_images())
        assert len(design.translations["program.description"]["ru"]) <= 200


class TestNeutralCardInRussian:
    def test_the_pass_carries_russian_strings(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app, name="Corner Coffee")
        program = new_program(client, key, name="Corner Stamps", kind="stamps", stamps_required=6)
        member = enrol(client, key, program["id"])
        files = pass_files(client, member)
        ru, en = strings(files, "ru"), strings(files, "en")
        for text in ("ШТАМПЫ", "УЧАСТНИК", "Номер карты", "Новости", "Штампов на карте: %@"):
            assert text in ru, text
        assert "Card number" in en
        assert "Номер" not in en
        document = pass_json(client, member)
        assert document["organizationName"] == "Corner Coffee"  # the name is not translated

    def test_google_class_has_russian_labels(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app, name="Corner Coffee")
        program = new_program(client, key, name="Corner Points")
        design = app.state.designs[program["design"]]
        body = loyalty_class(
            design,
            class_id="1.test",
            images_url="http://testserver/designs/x",
            callback_url="http://testserver/google/v1/callbacks",
            locations=[],
        )
        assert body["localizedAccountIdLabel"]["defaultValue"]["language"] == "en-US"
        assert russian(body["localizedAccountIdLabel"]) == "Номер карты"
        assert russian(body["localizedAccountNameLabel"]) == "Участник"
        assert (body["issuerName"], body["programName"]) == ("Corner Coffee", "Corner Points")
        assert "localizedProgramName" not in body  # the same name in every language
