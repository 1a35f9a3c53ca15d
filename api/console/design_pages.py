"""The console's design editor: what its page shows and what its forms do.

Every change goes through ``api.designs.service``, as the JSON API's does, so the console can
do nothing the API would refuse. The live preview renders the form as typed (checked, never
saved) with the real serializers; the draft's images are served to the signed-in merchant
from its own draft only.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlmodel import Session

from api.cards.apple import AppleWallet
from api.console import design_repository
from api.console.design_form import DesignForm, document_of, form_field_of, form_of
from api.console.preview import Preview, Sample, build_preview
from api.console.service import ConsoleCaller
from api.designs import service as design_service
from api.designs.errors import DesignImageInvalid, DesignInvalid
from api.designs.models import DesignVersion
from api.designs.progress import publish_progress
from api.designs.registry import resolve_images
from api.errors import Forbidden
from api.merchants.models import Role
from api.paging import PageRequest
from api.programs.models import Program
from passes import IMAGE_SLOTS, ApplePassTemplate, CardDesign, Focus

VERSIONS_PAGE = 10
UPLOAD_SLOTS = ("logo", "icon", "strip", "google_logo", "google_hero")
#: Each slot's shape (width / height) for the crop frame the page draws.
SLOT_ASPECTS = {name: IMAGE_SLOTS[name].width / IMAGE_SLOTS[name].height for name in UPLOAD_SLOTS}


@dataclass(frozen=True, slots=True)
class FieldError:
    """A refusal shown next to ``field`` (a form field's name; None: above the form)."""

    field: str | None
    key: str  # the page text that says what is wrong
    detail: str  # the design rule's own words (the field and limit)


def starters(cards: Path) -> list[str]:
    """The starter templates: every folder of ``templates/cards`` with a design.toml."""
    return sorted(p.name for p in cards.iterdir() if (p / "design.toml").is_file())


def require_edit(user: ConsoleCaller) -> None:
    """Raises: Forbidden: the signed-in key may only read."""
    if not user.can_edit:
        raise Forbidden(f"this needs a key with role {Role.admin}")


def editor_page(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    *,
    cards: Path,
    wallet: AppleWallet,
    labels: Mapping[str, Mapping[str, str]],
    today: date,
    offset: int | None = None,
    document: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The editor of a program's draft (``document``: the form as typed, when it was
    refused). Raises: ProgramNotFound."""
    saved = design_service.draft(session, merchant_id, program_id, cards)
    shown = document if document is not None else saved
    program, design = design_service.draft_design(session, merchant_id, program_id, cards)
    if document is not None:
        # the saved draft's preview stays beside a refused form
        with contextlib.suppress(DesignInvalid):
            program, design = design_service.check_draft(session, merchant_id, program_id, document)
    return {
        "program": program,
        "form": form_of(shown, labels),
        "preview": draft_preview(program, design, saved, wallet=wallet, today=today),
        "cards": design_repository.cards_of(session, merchant_id, program_id),
        "starters": starters(cards),
        "slots": UPLOAD_SLOTS,
        "slot_aspects": SLOT_ASPECTS,
        "progress": publish_progress(session, merchant_id, program_id),
        **versions(session, merchant_id, program_id, offset),
    }


def versions(
    session: Session, merchant_id: UUID, program_id: UUID, offset: int | None
) -> dict[str, Any]:
    """A page of the published versions, newest first (the last page unless ``offset``)."""
    program, _, total = design_service.page_versions(
        session, merchant_id, program_id, PageRequest(limit=1)
    )
    start = max(0, total - VERSIONS_PAGE) if offset is None else min(offset, total)
    _, rows, _ = design_service.page_versions(
        session, merchant_id, program_id, PageRequest(limit=VERSIONS_PAGE, offset=start)
    )
    return {
        "versions": list(reversed(rows)),
        "versions_total": total,
        "versions_offset": start,
        "versions_page": VERSIONS_PAGE,
        "live_version": design_service.live_version(program),
    }


def draft_preview(
    program: Program,
    design: CardDesign,
    document: Mapping[str, Any],
    *,
    wallet: AppleWallet,
    today: date,
) -> Preview:
    """A sample card of the draft in both wallets, its images served from the draft."""
    template = ApplePassTemplate.create(
        design,
        pass_type_identifier=wallet.signer.pass_type_identifier,
        team_identifier=wallet.signer.team_identifier,
        allow_http=True,
    )
    return build_preview(
        wallet, design, stamps_required=program.stamps_required, sample=Sample(), today=today,
        template=template, images_url=images_url(program.id, document),
    )  # fmt: skip


def images_url(program_id: UUID, document: Mapping[str, Any]) -> str:
    """Where the page loads the draft's images: a new URL whenever an image changes, so the
    browser never shows an old one."""
    refs = sorted(dict(document.get("images") or {}).items())
    stamp = hashlib.sha256(repr(refs).encode()).hexdigest()[:16]
    return f"/console/programs/{program_id}/design/draft/{stamp}"


def preview_form(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    fields: Mapping[str, str],
    *,
    cards: Path,
    wallet: AppleWallet,
    today: date,
) -> tuple[Preview | None, FieldError | None]:
    """The form as typed, previewed without saving; or why it cannot be."""
    draft = design_service.draft(session, merchant_id, program_id, cards)
    document, where = document_of(draft, fields)
    try:
        program, design = design_service.check_draft(session, merchant_id, program_id, document)
    except DesignInvalid as error:
        return None, _field_error(error, where)
    return draft_preview(program, design, document, wallet=wallet, today=today), None


def save(
    session: Session, user: ConsoleCaller, program_id: UUID, fields: Mapping[str, str],
    *, cards: Path, now: datetime,
) -> tuple[dict[str, Any], FieldError | None]:  # fmt: skip
    """Save the form as the draft: the document, and the refusal (nothing saved) if any.

    Raises:
        Forbidden: a read-only key.
    """
    require_edit(user)
    draft = design_service.draft(session, user.merchant_id, program_id, cards)
    document, where = document_of(draft, fields)
    try:
        design_service.replace_draft(session, user.merchant_id, program_id, document, now)
    except DesignInvalid as error:
        return document, _field_error(error, where)
    return document, None


def start_from(
    session: Session, user: ConsoleCaller, program_id: UUID, starter: str, *, cards: Path,
    now: datetime,
) -> None:  # fmt: skip
    """Replace the draft with a starter template.

    Raises:
        Forbidden: a read-only key.
        UnknownDesign: no such starter.
    """
    require_edit(user)
    if starter not in starters(cards):
        starter = "-"  # never a path: only a listed folder is opened
    design_service.start_from(session, user.merchant_id, program_id, starter, cards, now)


def upload(
    session: Session, user: ConsoleCaller, program_id: UUID, slot: str, data: bytes,
    *, focus: Focus, cards: Path, now: datetime,
) -> FieldError | None:  # fmt: skip
    """Make an upload the slot's images in the draft; the refusal if it cannot be.

    Raises:
        Forbidden: a read-only key.
    """
    require_edit(user)
    try:
        design_service.add_upload(
            session, user.merchant_id, program_id, slot, data, cards, now, focus=focus
        )
    except DesignImageInvalid as error:
        reason = str(error.extra.get("reason") or "unreadable")
        return FieldError("upload", f"design_image_{reason}", error.detail or "")
    except DesignInvalid as error:
        return FieldError("upload", "design_image_aspect", error.detail or "")
    return None


def publish(
    session: Session, user: ConsoleCaller, program_id: UUID, *, cards: Path, now: datetime
) -> DesignVersion:
    """Raises: Forbidden: a read-only key. DesignInvalid: the draft breaks a rule."""
    require_edit(user)
    return design_service.publish(session, user.caller, program_id, cards, now)


def rollback(
    session: Session, user: ConsoleCaller, program_id: UUID, version: int, *, now: datetime
) -> DesignVersion:
    """Raises: Forbidden: a read-only key. DesignVersionNotFound: no such version."""
    require_edit(user)
    return design_service.rollback(session, user.caller, program_id, version, now)


def draft_image(
    session: Session, merchant_id: UUID, program_id: UUID, file: str, *, cards: Path
) -> bytes | None:
    """One image of the merchant's own draft, by file name (None: the draft has none)."""
    document = design_service.draft(session, merchant_id, program_id, cards)
    digest = dict(document.get("images") or {}).get(file)
    if not isinstance(digest, str):
        return None
    return resolve_images(session, {"images": {file: digest}}).get(file)


def _field_error(error: DesignInvalid, where: Mapping[str, str]) -> FieldError:
    field = error.extra.get("field")
    shown = form_field_of(field if isinstance(field, str) else None, where)
    return FieldError(shown, "design_err_invalid", error.detail or error.title)


def form_values(form: DesignForm) -> dict[str, str]:
    """The form's values by field name (what the page's inputs show)."""
    values = {f"t.{tab}.{text_id}": text for tab, texts in form.texts.items()
              for text_id, text in texts.items()}  # fmt: skip
    values.update({f"colors.{name}": colour for name, colour in form.colours.items()})
    return {**values, "barcode": form.barcode, "language": form.language}
