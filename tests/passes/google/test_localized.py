"""Google's LocalizedString twins: the default text in the design's language, the others as
``translatedValues``, on the class, the object's texts and object messages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from passes import CardDesign, LoyaltyCard, loyalty_class, loyalty_object, object_message
from passes.google.client import WalletClient
from passes.google.objects import length_warnings, resource_id
from tests.support.fake_google import FakeGoogle, make_service_account

ISSUER = "3388000000012345678"


def _class(design: CardDesign) -> dict[str, Any]:
    return loyalty_class(
        design, class_id=resource_id(ISSUER, design.name), images_url="https://x/designs/d"
    )


def _object(card: LoyaltyCard, design: CardDesign) -> dict[str, Any]:
    return loyalty_object(
        card, design, object_id=resource_id(ISSUER, card.serial_number),
        class_id=resource_id(ISSUER, design.name),
    )  # fmt: skip


def _ru(localized: dict[str, Any]) -> str:
    (value,) = [t["value"] for t in localized["translatedValues"] if t["language"] == "ru"]
    assert isinstance(value, str)
    return value


class TestClass:
    def test_program_name_and_labels_in_russian(self, florist: CardDesign) -> None:
        body = _class(florist)
        assert body["programName"] == "Petal & Stem Club"
        assert body["localizedProgramName"]["defaultValue"] == {
            "language": "en-US",
            "value": "Petal & Stem Club",
        }
        assert _ru(body["localizedProgramName"]) == "Клуб Petal & Stem"
        assert _ru(body["localizedAccountIdLabel"]) == "Номер карты"
        assert _ru(body["localizedAccountNameLabel"]) == "Участник"
        assert _ru(body["heroImage"]["contentDescription"]) == "Клуб Petal & Stem"

    def test_a_text_the_same_in_every_language_has_no_twin(self, florist: CardDesign) -> None:
        body = _class(florist)
        assert body["issuerName"] == "Petal & Stem"  # the brand reads the same in Russian
        assert "localizedIssuerName" not in body


class TestObject:
    def test_labels_and_text_modules_carry_translations(
        self, card: LoyaltyCard, florist: CardDesign
    ) -> None:
        tiered = dataclasses.replace(
            card, stamps_required=None, tier="Bloom", message="Tulips are here",
            translations={"tier": {"ru": "Цветение"}, "message": {"ru": "Пришли тюльпаны"}},
        )  # fmt: skip
        body = _object(tiered, florist)
        assert body["loyaltyPoints"]["label"] == "POINTS"
        assert _ru(body["loyaltyPoints"]["localizedLabel"]) == "БАЛЛЫ"
        assert _ru(body["secondaryLoyaltyPoints"]["localizedLabel"]) == "УРОВЕНЬ"
        modules = {m["id"]: m for m in body["textModulesData"]}
        assert modules["how"]["header"] == "How it works"
        assert _ru(modules["how"]["localizedHeader"]) == "Как это работает"
        assert _ru(modules["how"]["localizedBody"]).startswith("Баллы за каждый букет")
        assert _ru(modules["news"]["localizedBody"]) == "Пришли тюльпаны"
        assert _ru(modules["tier"]["localizedBody"]) == "Цветение"
        assert "localizedBody" not in modules["member"]  # a name is a name in every language

    def test_every_localized_string_is_well_formed(
        self, card: LoyaltyCard, coffee: CardDesign
    ) -> None:
        found = 0

        def walk(node: object) -> None:
            nonlocal found
            if isinstance(node, dict):
                for key, value in node.items():
                    if key.startswith("localized") or key == "contentDescription":
                        found += 1
                        assert value["defaultValue"]["language"] == "en-US"
                        assert value.get("translatedValues", [{"language": "ru"}])
                        for item in value.get("translatedValues", []):
                            assert set(item) == {"language", "value"}
                            assert item["language"] != "en-US"
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk([_class(coffee), _object(card, coffee)])
        assert found >= 6


class TestMessages:
    def test_message_in_two_languages(self) -> None:
        body = object_message(
            message_id="lp-1", header="Petal & Stem", body="Tulips are here",
            start=datetime(2026, 3, 1, tzinfo=UTC), lifetime=timedelta(days=7),
            language="en-US", translations={"ru": ("Petal & Stem", "Пришли тюльпаны")},
        )  # fmt: skip
        assert body["body"] == "Tulips are here"
        assert "localizedHeader" not in body
        assert body["localizedBody"] == {
            "defaultValue": {"language": "en-US", "value": "Tulips are here"},
            "translatedValues": [{"language": "ru", "value": "Пришли тюльпаны"}],
        }

    def test_translated_bodies_are_cut_too(self) -> None:
        body = object_message(
            message_id="lp-1", header="h", body="x", start=datetime(2026, 3, 1, tzinfo=UTC),
            lifetime=timedelta(days=1), translations={"ru": ("з", "я" * 600)},
        )  # fmt: skip
        assert len(_ru(body["localizedBody"])) == 500
        assert _ru(body["localizedHeader"]) == "з"


def test_length_warnings_name_the_language(florist: CardDesign) -> None:
    long = dataclasses.replace(
        florist, translations={**florist.translations, "program.name": {"ru": "Я" * 25}}
    )
    assert length_warnings(florist) == []
    assert length_warnings(long) == [
        f"programName (ru) {'Я' * 25!r} is over Google's recommended 20 characters"
    ]


class TestAcceptedByGoogle:
    """The fake Google checks bodies against the discovery schema (unknown fields and wrong
    types are 400), so the localized twins are names and shapes Google knows."""

    def test_class_object_and_message_in_two_languages(
        self, card: LoyaltyCard, florist: CardDesign
    ) -> None:
        tiered = dataclasses.replace(
            card, stamps_required=None, tier="Bloom", translations={"tier": {"ru": "Цветение"}}
        )
        class_id = resource_id(ISSUER, "florist")
        object_id = resource_id(ISSUER, tiered.serial_number)
        with FakeGoogle(issuer_id=ISSUER) as google:
            account = make_service_account(google.token_url)
            google.register_service_account(account)
            wallet = WalletClient(
                google.authorized_session(account), api_url=google.api_url, sleep=lambda _: None
            )
            try:
                wallet.upsert_class(_class(florist) | {"id": class_id})
                wallet.upsert_object(
                    loyalty_object(tiered, florist, object_id=object_id, class_id=class_id)
                )
                message = object_message(
                    message_id="lp-1", header="Petal & Stem", body="Tulips are here",
                    start=datetime(2026, 3, 1, tzinfo=UTC), lifetime=timedelta(days=7),
                    translations={"ru": ("Petal & Stem", "Пришли тюльпаны")},
                )  # fmt: skip
                wallet.add_object_message(object_id, message)
            finally:
                wallet.close()
            stored = google.get_object(object_id)
            stored_class = google.get_class(class_id)
        assert stored is not None
        assert _ru(stored["loyaltyPoints"]["localizedLabel"]) == "БАЛЛЫ"
        assert _ru(stored["messages"][0]["localizedBody"]) == "Пришли тюльпаны"
        assert _ru(stored_class["localizedProgramName"]) == "Клуб Petal & Stem"


def test_a_russian_design_sends_russian_defaults(florist: CardDesign) -> None:
    russian = dataclasses.replace(
        florist, language="ru", program_name="Клуб Petal & Stem",
        translations={"program.name": {"en": "Petal & Stem Club"}},
    )  # fmt: skip
    body = _class(russian)
    assert body["programName"] == "Клуб Petal & Stem"
    assert body["localizedProgramName"] == {
        "defaultValue": {"language": "ru", "value": "Клуб Petal & Stem"},
        "translatedValues": [{"language": "en", "value": "Petal & Stem Club"}],
    }
    assert body["accountIdLabel"] == "Номер карты"
    assert body["localizedAccountIdLabel"]["translatedValues"] == [
        {"language": "en", "value": "Card number"}
    ]
