"""A design in one language renders exactly as it did before designs had translations.

``golden/*.json`` hold the ``pass.json`` and Google class and object of the shipped designs,
rendered (with their translations removed) by the code before localisation existed. A
single-language design must keep producing these bytes: no keys, no ``.lproj`` folders, no
``localized*`` twins.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import (
    ApplePassTemplate,
    Beacon,
    Location,
    LoyaltyCard,
    Signer,
    build_pkpass,
    load_design,
    loyalty_class,
    loyalty_object,
    render_pass_json,
)
from tests.passes.conftest import CARDS

GOLDEN = Path(__file__).parent / "golden"
CARDS_BY_NAME = {
    "stamps": LoyaltyCard(
        serial_number="123456789012", member_name='Anna "Ann" Petrova',
        barcode_message="123456789012", points=120, stamps=3, stamps_required=10, tier="Gold",
        discount_percent=5, member_since=date(2026, 3, 1), points_expiring=40,
        points_expire_on=date(2026, 12, 31), message="Double points\nthis weekend",
        locations=(Location(55.7651, 37.6056, "Coffee on Tverskaya"), Location(55.75, 37.61)),
        beacons=(Beacon("E2C56DB5-DFFB-48D2-B060-D0F5A71096E0", 1, 2),),
        web_service_url="https://loyalpass.example/apple", authentication_token="t" * 32,
    ),
    "points": LoyaltyCard(
        serial_number="123456789013", member_name="Ivan", barcode_message="123456789013",
        points=55,
    ),
}  # fmt: skip


def rendered(design_name: str, card_name: str) -> dict[str, Any]:
    design = dataclasses.replace(load_design(CARDS / design_name), translations={})
    template = ApplePassTemplate.create(
        design, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )
    card = CARDS_BY_NAME[card_name]
    class_id = "3388000000012345678.x"
    raw = render_pass_json(card, template).decode()
    google_class = loyalty_class(
        design, class_id=class_id, images_url="https://x/designs/d", homepage_url="https://x"
    )
    google_object = loyalty_object(card, design, object_id=f"{class_id}.1", class_id=class_id)
    return {
        "pass.json": json.loads(raw),
        "google_class": google_class,
        "google_object": google_object,
        "exact": {  # the same, key order and all
            "pass.json": raw,
            "google_class": json.dumps(google_class, ensure_ascii=False),
            "google_object": json.dumps(google_object, ensure_ascii=False),
        },
    }


@pytest.mark.parametrize("design_name", ["coffee", "florist"])
@pytest.mark.parametrize("card_name", ["stamps", "points"])
def test_single_language_design_renders_as_before(design_name: str, card_name: str) -> None:
    golden = json.loads((GOLDEN / f"{design_name}-{card_name}.json").read_text(encoding="utf-8"))
    assert rendered(design_name, card_name) == golden


def test_single_language_pkpass_has_no_lproj(signer: Signer) -> None:
    design = dataclasses.replace(load_design(CARDS / "coffee"), translations={})
    template = ApplePassTemplate.create(
        design, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )
    archive = zipfile.ZipFile(io.BytesIO(build_pkpass(CARDS_BY_NAME["stamps"], template, signer)))
    assert not any(".lproj/" in name for name in archive.namelist())
    assert not any(".lproj/" in name for name in json.loads(archive.read("manifest.json")))
