"""Google Wallet classes, objects and save links from the same design as the Apple pass."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth import crypt

from passes import ApplePassTemplate, CardDesign, Location, LoyaltyCard, PassValidationError
from passes import render_pass_json as apple_pass_json
from passes.google.objects import length_warnings, loyalty_class, loyalty_object, resource_id
from passes.google.savelink import MAX_URL_LENGTH, SAVE_URL, save_url

ISSUER = "3388000000012345678"


class TestIds:
    def test_valid(self) -> None:
        assert resource_id(ISSUER, "member-123_ab.c") == f"{ISSUER}.member-123_ab.c"

    @pytest.mark.parametrize(("issuer", "suffix"), [("abc", "x"), (ISSUER, "a b"), (ISSUER, "é")])
    def test_refused_before_any_call(self, issuer: str, suffix: str) -> None:
        with pytest.raises(PassValidationError):
            resource_id(issuer, suffix)


class TestClassAndObject:
    def test_class(self, florist: CardDesign) -> None:
        body = loyalty_class(
            florist,
            class_id=resource_id(ISSUER, "florist"),
            images_url="https://cards.example/designs/florist",
            callback_url="https://cards.example/google/callbacks",
            locations=[Location(55.75, 37.61)],
        )
        assert body["reviewStatus"] == "UNDER_REVIEW"
        assert body["hexBackgroundColor"] == "#1f4d3a"
        assert body["programLogo"]["sourceUri"]["uri"].endswith("/google_logo.png")
        assert body["heroImage"]["sourceUri"]["uri"].endswith("/google_hero.png")
        assert body["merchantLocations"] == [{"latitude": 55.75, "longitude": 37.61}]
        assert body["multipleDevicesAndHoldersAllowedStatus"] == "ONE_USER_ALL_DEVICES"

    def test_object_matches_the_apple_pass(
        self, card: LoyaltyCard, coffee: CardDesign, coffee_template: ApplePassTemplate
    ) -> None:
        tiered = dataclasses.replace(card, tier="Gold", message="Double points today")
        google = loyalty_object(
            tiered, coffee, object_id=resource_id(ISSUER, tiered.serial_number),
            class_id=resource_id(ISSUER, "coffee"),
        )  # fmt: skip
        apple = json.loads(apple_pass_json(tiered, coffee_template))
        store = apple["storeCard"]
        assert google["accountId"] == apple["serialNumber"]
        assert google["barcode"]["value"] == apple["barcodes"][0]["message"]
        assert google["barcode"]["type"] == "QR_CODE"
        primary = store["primaryFields"][0]
        assert google["loyaltyPoints"]["label"] == primary["label"]
        assert google["loyaltyPoints"]["balance"] == {"string": primary["value"]}
        assert google["secondaryLoyaltyPoints"]["balance"] == {"int": tiered.points}
        apple_texts = {
            f["key"]: str(f["value"])
            for group in store.values()
            for f in group
            if "dateStyle" not in f and f.get("label")
        }
        google_texts = {m["id"]: m["body"] for m in google["textModulesData"]}
        shared = apple_texts.keys() & google_texts.keys()
        assert {"news", "how", "member"} <= shared
        assert all(apple_texts[k] == google_texts[k] for k in shared)
        assert google["merchantLocations"] == [{"latitude": 55.7651, "longitude": 37.6056}]

    def test_too_many_locations(self, card: LoyaltyCard, coffee: CardDesign) -> None:
        many = dataclasses.replace(
            card, locations=tuple(Location(55, 37 + i / 100) for i in range(11))
        )
        with pytest.raises(PassValidationError, match="merchantLocations"):
            loyalty_object(many, coffee, object_id=f"{ISSUER}.a", class_id=f"{ISSUER}.b")

    def test_length_warnings(self, coffee: CardDesign, florist: CardDesign) -> None:
        assert length_warnings(florist) == []
        long_name = dataclasses.replace(coffee, program_name="Bean & Brew Rewards Programme")
        assert any("programName" in w for w in length_warnings(long_name))


class TestSaveLink:
    def test_skinny_signed_and_short(self, pki_dir: Path) -> None:
        account = json.loads((pki_dir / "google" / "service-account.json").read_text())
        signer = crypt.RSASigner.from_service_account_info(account)
        url = save_url(
            signer,
            issuer_email=account["client_email"],
            object_id=f"{ISSUER}.123456789012",
            class_id=f"{ISSUER}.coffee",
            origins=["https://cards.example"],
            now=datetime(2026, 11, 23, tzinfo=UTC),
        )
        assert url.startswith(SAVE_URL)
        assert len(url) < MAX_URL_LENGTH
        token = url.removeprefix(SAVE_URL)
        header_b64, claims_b64, signature_b64 = token.split(".")

        def decode(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        claims = json.loads(decode(claims_b64))
        assert claims["aud"] == "google"
        assert claims["typ"] == "savetowallet"
        assert claims["iat"] == int(datetime(2026, 11, 23, tzinfo=UTC).timestamp())
        assert claims["payload"] == {
            "loyaltyObjects": [{"id": f"{ISSUER}.123456789012", "classId": f"{ISSUER}.coffee"}]
        }
        assert json.loads(decode(header_b64))["alg"] == "RS256"
        key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        key.public_key().verify(
            decode(signature_b64),
            f"{header_b64}.{claims_b64}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
