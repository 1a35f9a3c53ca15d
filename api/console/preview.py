"""The card preview: one sample card rendered by the real wallet serializers (Apple's
pass.json and Google's loyalty class and object), so the HTML approximation of each wallet
shows exactly the labels, values and colours the phones would get."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from api.cards.apple import AppleWallet
from api.enrolment import qr
from passes import (
    ApplePassTemplate,
    CardDesign,
    LoyaltyCard,
    loyalty_class,
    loyalty_object,
    render_pass_json,
)


@dataclass(frozen=True, slots=True)
class Sample:
    """The made-up member the preview shows; the console's form changes it."""

    member_name: str = "Anna Petrova"
    points: int = 120
    stamps: int = 3
    tier: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    design_name: str
    apple: dict[str, Any]  # pass.json
    google_class: dict[str, Any]
    google_object: dict[str, Any]
    google_text: str  # Google picks black or white text for the background; so do we
    barcode_svg: str
    images_url: str  # where the page loads the design's images from


def build_preview(
    wallet: AppleWallet,
    design: CardDesign,
    *,
    stamps_required: int | None,
    sample: Sample,
    today: date,
    template: ApplePassTemplate | None = None,
    images_url: str | None = None,
) -> Preview:
    """``template`` and ``images_url`` show a design the wallet does not hold (a draft)."""
    card = LoyaltyCard(
        serial_number="123456789012",
        member_name=sample.member_name,
        barcode_message="123456789012",
        points=sample.points,
        stamps=sample.stamps if stamps_required else 0,
        stamps_required=stamps_required,
        tier=sample.tier,
        member_since=today,
        message=sample.message,
    )
    pass_json = json.loads(render_pass_json(card, template or wallet.templates[design.name]))
    class_id = f"preview.{design.name}"
    images_url = images_url or f"/designs/{design.name}"
    background = design.background
    luminance = 0.2126 * background.red + 0.7152 * background.green + 0.0722 * background.blue
    return Preview(
        design_name=design.name,
        apple=pass_json,
        google_class=loyalty_class(design, class_id=class_id, images_url=images_url),
        google_object=loyalty_object(
            card, design, object_id=f"{class_id}.sample", class_id=class_id
        ),
        google_text="#000000" if luminance > 150 else "#ffffff",
        barcode_svg=qr.inline_svg(card.barcode_message, title=card.barcode_message),
        images_url=images_url,
    )
