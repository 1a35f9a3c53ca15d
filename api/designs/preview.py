"""The draft rendered by the real serializers for a made-up member."""

from __future__ import annotations

import json
from datetime import date

from api.designs.schemas import PreviewPublic
from api.programs.models import Program
from passes import (
    ApplePassTemplate,
    CardDesign,
    LoyaltyCard,
    loyalty_class,
    loyalty_object,
    render_pass_json,
)


def render_preview(
    design: CardDesign,
    program: Program,
    *,
    pass_type_identifier: str,
    team_identifier: str,
    public_url: str,
) -> PreviewPublic:
    card = LoyaltyCard(
        serial_number="123456789012",
        member_name="Anna Petrova",
        barcode_message="123456789012",
        points=120,
        stamps=3 if program.stamps_required else 0,
        stamps_required=program.stamps_required,
        member_since=date(2026, 1, 1),
    )
    template = ApplePassTemplate.create(
        design,
        pass_type_identifier=pass_type_identifier,
        team_identifier=team_identifier,
        allow_http=True,
    )
    class_id = f"preview.{program.id.hex}"
    return PreviewPublic(
        pass_json=json.loads(render_pass_json(card, template)),
        google_class=loyalty_class(
            design, class_id=class_id, images_url=f"{public_url}/designs/{design.name}"
        ),
        google_object=loyalty_object(
            card, design, object_id=f"{class_id}.sample", class_id=class_id
        ),
    )
