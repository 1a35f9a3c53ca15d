"""The values a card design's field templates show, and rendering them as text.

Shared by both wallets: Apple's pass fields and Google's text modules come from the same
templates and the same values, so the two cards say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from passes.design import CardDesign, FieldSpec
from passes.models import LoyaltyCard


def card_values(card: LoyaltyCard, design: CardDesign) -> dict[str, str | int | date | None]:
    """The values field templates may reference, by placeholder name."""
    required = card.stamps_required
    return {
        "member_name": card.member_name,
        "points": card.points,
        "stamps": card.stamps,
        "stamps_required": required,
        "stamps_left": max(required - card.stamps, 0) if required else None,
        "tier": card.tier,
        "discount_percent": card.discount_percent,
        "member_since": card.member_since,
        "points_expiring": card.points_expiring,
        "points_expire_on": card.points_expire_on,
        "serial_number": card.serial_number,
        "message": card.message,
        "program_name": design.program_name,
    }


def render_text(spec: FieldSpec, values: Mapping[str, object]) -> str | None:
    """The field's text, or None when a value it shows is missing."""
    if any(values.get(name) in (None, "") for name in spec.placeholders):
        return None
    return spec.value.format_map({name: values[name] for name in spec.placeholders})


def primary_text(card: LoyaltyCard, primary: str) -> str | int:
    """What the big field shows: the points, ``stamps/required`` or the tier name."""
    if primary == "points":
        return card.points
    if primary == "stamps":
        return f"{card.stamps}/{card.stamps_required}" if card.stamps_required else card.stamps
    return card.tier or "Member"
