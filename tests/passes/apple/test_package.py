"""Signed .pkpass archives, verified by openssl against the development root."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from passes import (
    ApplePassTemplate,
    Beacon,
    CardDesign,
    Location,
    LoyaltyCard,
    PassValidationError,
    RelevantInterval,
    Signer,
    SigningError,
    build_pkpass,
    render_pass_json,
)
from tests.support.pkpass import verify_pkpass


def pass_json(card: LoyaltyCard, template: ApplePassTemplate) -> dict:  # type: ignore[type-arg]
    return json.loads(render_pass_json(card, template))


class TestSignedPass:
    def test_openssl_verifies_signature_manifest_and_keys(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer, root_ca: Path
    ) -> None:
        verified = verify_pkpass(build_pkpass(card, coffee_template, signer), root_ca)
        assert verified.pass_json["serialNumber"] == card.serial_number
        assert "storeCard" in verified.pass_json

    def test_signature_carries_wwdr_signing_time_and_sha256(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer, root_ca: Path
    ) -> None:
        verified = verify_pkpass(build_pkpass(card, coffee_template, signer), root_ca)
        assert "Pass Type ID: pass.dev.loyalpass.demo" in verified.certificates
        assert "WWDR G4 (FAKE, NOT APPLE)" in verified.certificates
        assert "signingTime" in verified.cms_dump
        assert "sha256" in verified.cms_dump

    def test_pngs_stored_json_deflated(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer, root_ca: Path
    ) -> None:
        verified = verify_pkpass(build_pkpass(card, coffee_template, signer), root_ca)
        for name, info in verified.infos.items():
            expected = zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED
            if name == "signature":
                expected = zipfile.ZIP_STORED
            assert info.compress_type == expected, name

    def test_every_apple_image_is_in_the_manifest_and_google_art_is_not(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer, root_ca: Path
    ) -> None:
        verified = verify_pkpass(build_pkpass(card, coffee_template, signer), root_ca)
        assert {"icon.png", "icon@2x.png", "icon@3x.png", "logo.png", "strip@3x.png"} <= set(
            verified.manifest
        )
        assert not any(name.startswith("google_") for name in verified.names)

    def test_same_card_gives_same_archive_apart_from_signature(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate, signer: Signer
    ) -> None:
        first = zipfile.ZipFile(io.BytesIO(build_pkpass(card, coffee_template, signer)))
        second = zipfile.ZipFile(io.BytesIO(build_pkpass(card, coffee_template, signer)))
        for name in first.namelist():
            if name != "signature":
                assert first.read(name) == second.read(name)

    def test_signer_for_another_pass_type_is_refused(
        self, card: LoyaltyCard, coffee: CardDesign, signer: Signer
    ) -> None:
        other = ApplePassTemplate.create(
            coffee, pass_type_identifier="pass.other.example", team_identifier="DEVTEAM000"
        )
        with pytest.raises(SigningError, match="pass.other.example"):
            build_pkpass(card, other, signer)


class TestPassJson:
    def test_no_junk_keys(self, card: LoyaltyCard, coffee_template: ApplePassTemplate) -> None:
        raw = render_pass_json(card, coffee_template).decode()
        for junk in ('"distance"', '"changeMessage":""', "suppressStripShine", '"barcode"'):
            assert junk not in raw

    def test_store_card_fields(self, card: LoyaltyCard, coffee_template: ApplePassTemplate) -> None:
        body = pass_json(card, coffee_template)["storeCard"]
        assert body["primaryFields"] == [
            {
                "key": "stamps",
                "value": "3/10",
                "label": "COFFEES",
                "changeMessage": "Coffees on your card: %@",
            }
        ]
        assert body["headerFields"][0]["value"] == 120
        assert {"key": "next_reward", "value": 7, "label": "FREE COFFEE IN"} in body[
            "secondaryFields"
        ]

    def test_one_change_message_per_value(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        body = pass_json(card, coffee_template)["storeCard"]
        messages = [
            f["changeMessage"] for group in body.values() for f in group if "changeMessage" in f
        ]
        assert len(messages) == len(set(messages))
        assert "You have %@ points" in messages

    def test_quiet_values_change_without_a_message(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        loud = dataclasses.replace(card, message="Fresh croissants today")
        quiet = dataclasses.replace(loud, quiet=frozenset({"message", "points", "stamps"}))

        def news(body: dict) -> dict:  # type: ignore[type-arg]
            return next(f for group in body.values() for f in group if f["value"] == loud.message)

        assert news(pass_json(loud, coffee_template)["storeCard"])["changeMessage"] == "%@"
        quiet_body = pass_json(quiet, coffee_template)["storeCard"]
        assert "changeMessage" not in news(quiet_body)
        assert all("changeMessage" not in f for f in quiet_body["primaryFields"])

    def test_fields_without_a_value_are_left_out(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        body = pass_json(card, coffee_template)["storeCard"]
        keys = {f["key"] for group in body.values() for f in group}
        assert "tier" not in keys
        assert "news" not in keys
        with_tier = dataclasses.replace(card, tier="Gold", message="Double points today")
        body = pass_json(with_tier, coffee_template)["storeCard"]
        keys = {f["key"] for group in body.values() for f in group}
        assert {"tier", "news"} <= keys

    def test_member_since_is_a_date_field(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        dated = dataclasses.replace(card, member_since=date(2026, 3, 1))
        back = pass_json(dated, coffee_template)["storeCard"]["backFields"]
        since = next(f for f in back if f["key"] == "since")
        assert since["value"] == "2026-03-01T12:00:00Z"
        assert since["dateStyle"] == "PKDateStyleMedium"

    def test_relevance_keys(self, card: LoyaltyCard, coffee_template: ApplePassTemplate) -> None:
        relevant = dataclasses.replace(
            card,
            beacons=(Beacon("E2C56DB5-DFFB-48D2-B060-D0F5A71096E0", 1, 2),),
            relevant_dates=(
                RelevantInterval(datetime(2026, 12, 1, 9, tzinfo=UTC)),
                RelevantInterval(
                    datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 18, tzinfo=UTC)
                ),
            ),
            expiration_date=datetime(2027, 1, 1, tzinfo=UTC),
        )
        body = pass_json(relevant, coffee_template)
        assert body["maxDistance"] == 100
        assert body["locations"] == [
            {"latitude": 55.7651, "longitude": 37.6056, "relevantText": "Coffee on Tverskaya"}
        ]
        assert body["beacons"][0] == {
            "proximityUUID": "E2C56DB5-DFFB-48D2-B060-D0F5A71096E0",
            "major": 1,
            "minor": 2,
            "relevantText": "Fresh coffee is brewing. Show your card for a stamp.",
        }
        assert body["relevantDates"][0] == {
            "date": "2026-12-01T09:00:00Z",
            "relevantDate": "2026-12-01T09:00:00Z",
        }
        assert body["relevantDates"][1]["endDate"] == "2026-12-02T18:00:00Z"
        assert body["expirationDate"] == "2027-01-01T00:00:00Z"

    def test_colours_and_barcode(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        body = pass_json(card, coffee_template)
        assert body["backgroundColor"] == "rgb(59, 36, 24)"
        assert body["barcodes"] == [
            {
                "format": "PKBarcodeFormatQR",
                "message": card.barcode_message,
                "messageEncoding": "iso-8859-1",
                "altText": card.barcode_message,
            }
        ]


class TestAppleLimits:
    def test_more_than_ten_locations(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        many = dataclasses.replace(
            card, locations=tuple(Location(55.0 + i / 100, 37.0) for i in range(11))
        )
        with pytest.raises(PassValidationError, match="at most 10 locations"):
            render_pass_json(many, coffee_template)

    def test_more_than_ten_beacon_uuids(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        beacons = tuple(Beacon(f"E2C56DB5-DFFB-48D2-B060-D0F5A71096{i:02d}") for i in range(11))
        with pytest.raises(PassValidationError, match="distinct beacon UUIDs"):
            render_pass_json(dataclasses.replace(card, beacons=beacons), coffee_template)

    def test_short_token(self, card: LoyaltyCard, coffee_template: ApplePassTemplate) -> None:
        short = dataclasses.replace(card, authentication_token="short")
        with pytest.raises(PassValidationError, match="at least 16 characters"):
            render_pass_json(short, coffee_template)

    def test_web_service_url_ending_in_v1(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        wrong = dataclasses.replace(card, web_service_url="https://loyalpass.example/apple/v1")
        with pytest.raises(PassValidationError, match="must not end in /v1"):
            render_pass_json(wrong, coffee_template)

    def test_http_only_in_development(
        self, card: LoyaltyCard, coffee: CardDesign, coffee_template: ApplePassTemplate
    ) -> None:
        plain = dataclasses.replace(card, web_service_url="http://127.0.0.1:8000/apple")
        with pytest.raises(PassValidationError, match="must use https"):
            render_pass_json(plain, coffee_template)
        development = dataclasses.replace(coffee_template, allow_http=True)
        assert json.loads(render_pass_json(plain, development))["webServiceURL"].startswith("http:")

    def test_out_of_range_coordinates(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        wrong = dataclasses.replace(card, locations=(Location(95.0, 37.0),))
        with pytest.raises(PassValidationError, match="latitude out of range"):
            render_pass_json(wrong, coffee_template)


class TestStampDesignOnAPointsProgram:
    def test_points_become_the_primary_field_and_are_not_repeated(
        self, card: LoyaltyCard, coffee_template: ApplePassTemplate
    ) -> None:
        points_card = dataclasses.replace(card, stamps_required=None)
        body = pass_json(points_card, coffee_template)["storeCard"]
        assert body["primaryFields"] == [
            {
                "key": "points",
                "value": 120,
                "label": "POINTS",
                "changeMessage": "You have %@ points",
            }
        ]
        keys = [f["key"] for group in body.values() for f in group]
        assert keys.count("points") == 1
