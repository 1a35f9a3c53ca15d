"""Every starter template's signed pass stays within 60,000 bytes and verifies with openssl:
the points card, and the stamp card with its strip showing 0, half and all of its stamps; the
stamp pictures keep the image pipeline's quality floor."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from PIL import Image

from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import (
    ApplePassTemplate,
    CardDesign,
    LoyaltyCard,
    Signer,
    build_pkpass,
    image_ssim,
    load_design,
    stamps,
)
from passes.stamps import render_hero, render_strips
from tests.passes.conftest import CARDS
from tests.support.pkpass import verify_pkpass

STARTERS = sorted(path.parent.name for path in CARDS.glob("*/design.toml"))
#: The issue's budget, "<= 60 KB", read as 60,000 bytes (stricter than 60 KiB).
MAX_PASS_BYTES = 60_000
#: Google's hero, fetched per stamp count: the same budget as a strip at 3x.
MAX_HERO_BYTES = 30_000


def template_of(design: CardDesign) -> ApplePassTemplate:
    return ApplePassTemplate.create(
        design, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )


def required_of(design: CardDesign) -> int:
    """The design's own stamp total; 10 for a points design a stamp program chose."""
    return design.stamps_required or 10


def counts(required: int) -> list[int]:
    return [0, required // 2, required]


@pytest.fixture(scope="module", params=STARTERS)
def starter(request: pytest.FixtureRequest) -> CardDesign:
    return load_design(CARDS / request.param)


def test_the_seeds_businesses_have_starters() -> None:
    assert {"coffee", "florist", "fitness", "beauty", "clothing"} <= set(STARTERS)
    kinds = {load_design(CARDS / name).default_kind for name in STARTERS}
    assert kinds == {"points", "stamps"}
    tiered = [name for name in STARTERS if load_design(CARDS / name).rule_defaults.get("tiers")]
    assert tiered, "no starter for a tier program"


def test_points_card(starter: CardDesign, card: LoyaltyCard, signer: Signer, root_ca: Path) -> None:
    points_card = dataclasses.replace(card, stamps=0, stamps_required=None, tier="Gold")
    data = build_pkpass(points_card, template_of(starter), signer)
    verified = verify_pkpass(data, root_ca)
    assert {"ru.lproj/pass.strings", "en.lproj/pass.strings"} <= set(verified.names)
    assert len(data) <= MAX_PASS_BYTES, f"{starter.name}: {len(data):,} bytes"


def test_stamp_card_at_0_half_and_full(
    starter: CardDesign, card: LoyaltyCard, signer: Signer, root_ca: Path
) -> None:
    required = required_of(starter)
    template = template_of(starter)
    for count in counts(required):
        stamp_card = dataclasses.replace(card, stamps=count, stamps_required=required)
        strips = render_strips(starter, count, required)
        data = build_pkpass(stamp_card, template, signer, strips)
        verified = verify_pkpass(data, root_ca)
        assert verified.manifest.keys() >= strips.keys()
        assert len(data) <= MAX_PASS_BYTES, f"{starter.name} {count}/{required}: {len(data):,} B"


def test_twenty_stamps_stay_in_budget(
    starter: CardDesign, card: LoyaltyCard, signer: Signer
) -> None:
    """The most marks the layout is tuned for: the busiest strip."""
    stamp_card = dataclasses.replace(card, stamps=13, stamps_required=20)
    data = build_pkpass(stamp_card, template_of(starter), signer, render_strips(starter, 13, 20))
    assert len(data) <= MAX_PASS_BYTES, f"{starter.name}: {len(data):,} bytes"


def test_google_heroes_stay_small(starter: CardDesign) -> None:
    required = required_of(starter)
    for count in counts(required):
        hero = render_hero(starter, count, required)
        assert Image.open(io.BytesIO(hero)).size == (1032, 336)
        assert len(hero) <= MAX_HERO_BYTES, f"{starter.name} {count}/{required}: {len(hero):,} B"


def test_stamp_pictures_keep_their_quality(
    starter: CardDesign, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamp encoder's palette stays above the pipeline's SSIM floor (0.99) against the
    picture before quantising, at every size."""
    canvases: list[Image.Image] = []
    shipped = stamps.encode_picture

    def keep(image: Image.Image) -> bytes:
        canvases.append(image.convert("RGB"))
        return shipped(image)

    monkeypatch.setattr(stamps, "encode_picture", keep)
    required = required_of(starter)
    encoded = [*render_strips(starter, required // 2, required).values()]
    encoded.append(render_hero(starter, required // 2, required))
    for canvas, data in zip(canvases, encoded, strict=True):
        assert image_ssim(canvas, Image.open(io.BytesIO(data)).convert("RGB")) >= 0.99
