"""Fixtures for the pure library tests: a signer on the development PKI and the designs."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import ApplePassTemplate, CardDesign, Location, LoyaltyCard, Signer, load_design

CARDS = Path(__file__).resolve().parents[2] / "templates" / "cards"


@pytest.fixture(scope="session")
def signer(pki_dir: Path) -> Signer:
    return Signer.from_files(
        pki_dir / "apple" / "pass.pem",
        pki_dir / "apple" / "pass.key",
        pki_dir / "apple" / "wwdr.pem",
        pass_type_identifier=DEV_PASS_TYPE_ID,
        team_identifier=DEV_TEAM_ID,
    )


@pytest.fixture(scope="session")
def coffee() -> CardDesign:
    return load_design(CARDS / "coffee")


@pytest.fixture(scope="session")
def florist() -> CardDesign:
    return load_design(CARDS / "florist")


@pytest.fixture(scope="session")
def coffee_template(coffee: CardDesign) -> ApplePassTemplate:
    return ApplePassTemplate.create(
        coffee, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )


@pytest.fixture
def card() -> LoyaltyCard:
    return LoyaltyCard(
        serial_number="123456789012",
        member_name="Anna Petrova",
        barcode_message="123456789012",
        points=120,
        stamps=3,
        stamps_required=10,
        locations=(Location(55.7651, 37.6056, "Coffee on Tverskaya"),),
        web_service_url="https://loyalpass.example/apple",
        authentication_token="t" * 32,
    )
