"""The rules of designs: drafts, images, publishing, versions and roll back.

A program's live design is named by ``program.design``: a shipped design's name (a starter),
``p-<program>-v0`` (the neutral design of its own names) or ``p-<program>-v<n>`` (version n,
published here). Publishing copies the draft into a new immutable version, makes it live and
marks every card of the program changed, so phones fetch the new card.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session

from api.audit import service as audit
from api.designs import progress, repository
from api.designs.document import (
    IMAGE_NAMES,
    build_design,
    neutral_document,
    neutral_images,
    sha256,
    starter_document,
)
from api.designs.errors import DesignImageInvalid, DesignInvalid, DesignVersionNotFound
from api.designs.models import DesignDraft, DesignVersion
from api.merchants.service import Caller
from api.paging import PageRequest
from api.programs.errors import UnknownDesign
from api.programs.models import Program, own_design, parse_own_design
from api.programs.service import get_program
from passes import (
    IMAGE_SLOTS,
    CardDesign,
    DesignError,
    EncodedPng,
    Focus,
    ImageError,
    check_design_limits,
    prepare_image,
)

MAX_IMAGE_BYTES = 1_000_000
MAX_IMAGE_PIXELS = 4_000_000  # a decompression bomb is refused before it is decoded


def live(
    session: Session, merchant_id: UUID, program_id: UUID, templates: Path
) -> tuple[Program, int | None, dict[str, Any]]:
    """The program, its live version number (None: a starter or the neutral design) and the
    live document."""
    program = get_program(session, merchant_id, program_id)
    document, _ = _base(session, program, templates)
    parsed = parse_own_design(program.design)
    return program, (parsed[1] or None) if parsed else None, document


def draft(session: Session, merchant_id: UUID, program_id: UUID, templates: Path) -> dict[str, Any]:
    """The draft; a program that has none yet starts from its live design."""
    program = get_program(session, merchant_id, program_id)
    return _draft_document(session, program, templates)


def replace_draft(
    session: Session, merchant_id: UUID, program_id: UUID, document: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Save ``document`` as the draft once it validates as a whole (nothing half-saved).

    Raises:
        DesignInvalid: names the offending field.
    """
    program = get_program(session, merchant_id, program_id)
    _within_limits(_validate(session, program, document))
    _save_draft(session, program, document, now)
    return document


def start_from(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    starter: str,
    templates: Path,
    now: datetime,
) -> dict[str, Any]:
    """Replace the draft with a shipped design (a starter template).

    Raises:
        UnknownDesign: no shipped design has that name.
    """
    program = get_program(session, merchant_id, program_id)
    folder = templates / starter
    if not (folder / "design.toml").is_file():
        raise UnknownDesign(f"no starter template is called {starter!r}")
    document = _with_images(session, *starter_document(folder))
    _save_draft(session, program, document, now)
    return document


def add_image(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    file: str,
    data: bytes,
    templates: Path,
    now: datetime,
) -> str:
    """Put an image into the draft (by its hash); the draft must still validate.

    Raises:
        DesignImageInvalid: unknown slot, not a PNG, too large, or a decompression bomb.
        DesignInvalid: the image's size does not fit its slot.
    """
    program = get_program(session, merchant_id, program_id)
    _check_image(file, data)
    digest = sha256(data)
    repository.save_images(session, {digest: data})
    document = _draft_document(session, program, templates)
    document["images"] = {**document.get("images", {}), file: digest}
    _validate(session, program, document)
    _save_draft(session, program, document, now)
    return digest


def add_upload(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    slot: str,
    data: bytes,
    templates: Path,
    now: datetime,
    *,
    focus: Focus = Focus(),  # noqa: B008 (frozen: the centre)
) -> dict[str, EncodedPng]:
    """Make a merchant's upload (PNG, JPEG or WebP, any size within the limits) into
    ``slot``'s images (``logo`` -> logo.png, logo@2x.png, logo@3x.png), cropped around
    ``focus``, palette-quantised, and put them into the draft. Returns them by file name.

    Raises:
        DesignImageInvalid: ``field`` is ``images.<slot>``; ``reason`` says why (unknown_type,
            unreadable, too_large, bomb, too_small, aspect).
    """
    program = get_program(session, merchant_id, program_id)
    field = f"images.{slot}"
    if slot not in IMAGE_SLOTS:
        raise DesignImageInvalid(
            f"unknown image slot; one of {sorted(IMAGE_SLOTS)}", field=field, reason="unknown_slot"
        )
    try:
        rendered = prepare_image(data, slot, field=field, focus=focus)
    except ImageError as error:
        raise DesignImageInvalid(error.message, field=field, reason=error.reason.value) from None
    repository.save_images(session, {sha256(png.data): png.data for png in rendered.values()})
    document = _draft_document(session, program, templates)
    refs = {file: sha256(png.data) for file, png in rendered.items()}
    document["images"] = {**document.get("images", {}), **refs}
    _validate(session, program, document)
    _save_draft(session, program, document, now)
    return rendered


def draft_design(
    session: Session, merchant_id: UUID, program_id: UUID, templates: Path
) -> tuple[Program, CardDesign]:
    """The draft as a design (for the preview)."""
    program = get_program(session, merchant_id, program_id)
    document = _draft_document(session, program, templates)
    return program, _validate(session, program, document, name=f"p-{program.id.hex}-draft")


def check_draft(
    session: Session, merchant_id: UUID, program_id: UUID, document: Mapping[str, Any]
) -> tuple[Program, CardDesign]:
    """``document`` as the program's draft design, checked but not saved (a live preview).

    Raises:
        DesignInvalid: names the offending field.
    """
    program = get_program(session, merchant_id, program_id)
    return program, _validate(session, program, document, name=f"p-{program.id.hex}-draft")


def publish(
    session: Session, caller: Caller, program_id: UUID, templates: Path, now: datetime
) -> DesignVersion:
    """Make the draft the live version and mark every card of the program changed."""
    program = get_program(session, caller.merchant_id, program_id)
    document = _draft_document(session, program, templates)
    return _publish(session, caller, program, document, now, limits=True)


def rollback(
    session: Session, caller: Caller, program_id: UUID, version: int, now: datetime
) -> DesignVersion:
    """Publish an older version again (as a new version: the history only grows).

    Raises:
        DesignVersionNotFound: the program has no such version.
    """
    program = get_program(session, caller.merchant_id, program_id)
    old = repository.version(session, program.id, version, merchant_id=caller.merchant_id)
    if old is None:
        raise DesignVersionNotFound(f"the program has no design version {version}")
    return _publish(session, caller, program, dict(old.document), now, limits=False)


def page_versions(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Program, list[DesignVersion], int]:
    program = get_program(session, merchant_id, program_id)
    rows, total = repository.page_versions(session, merchant_id, program_id, page)
    return program, list(rows), total


def live_version(program: Program) -> int | None:
    parsed = parse_own_design(program.design)
    return parsed[1] if parsed and parsed[1] else None


def _publish(
    session: Session,
    caller: Caller,
    program: Program,
    document: dict[str, Any],
    now: datetime,
    *,
    limits: bool,
) -> DesignVersion:
    design = _validate(session, program, document)
    if limits:
        _within_limits(design)
    number = repository.latest_version(session, program.id) + 1
    row = DesignVersion(
        merchant_id=program.merchant_id,
        program_id=program.id,
        version=number,
        document=document,
        published_by=caller.key_id,
        published_at=now,
    )
    session.add(row)
    before, after = {"design": program.design}, {"version": number}
    audit.record(session, caller, "design.published", "program", program.id, before, after)
    program.design = own_design(program.id, number)
    session.add(program)
    session.flush()
    progress.start_marking(session, row, now=now)  # the first batches; the designs job the rest
    return row


def _draft_document(session: Session, program: Program, templates: Path) -> dict[str, Any]:
    found = repository.draft(session, program.merchant_id, program.id)
    if found is not None:
        return dict(found.document)
    document, images = _base(session, program, templates)
    return _with_images(session, document, images)


def _base(
    session: Session, program: Program, templates: Path
) -> tuple[dict[str, Any], Mapping[str, bytes]]:
    """The live document and the images it needs stored (none for a published version)."""
    parsed = parse_own_design(program.design)
    if parsed is None:
        document, images = starter_document(templates / program.design)
        return {**document, "images": {n: sha256(d) for n, d in images.items()}}, images
    _, number = parsed
    if number == 0:
        names = repository.names(session, program.id)
        assert names is not None
        document = neutral_document(names[0], names[1], stamps_required=names[2])
        images = neutral_images()
        return {**document, "images": {n: sha256(d) for n, d in images.items()}}, images
    row = repository.version(session, program.id, number)
    assert row is not None
    return dict(row.document), {}


def _with_images(
    session: Session, document: dict[str, Any], images: Mapping[str, bytes]
) -> dict[str, Any]:
    repository.save_images(session, {sha256(data): data for data in images.values()})
    refs = document.get("images") or {n: sha256(d) for n, d in images.items()}
    return {**document, "images": refs}


def _validate(
    session: Session, program: Program, document: Mapping[str, Any], *, name: str | None = None
) -> CardDesign:
    refs = document.get("images", {})
    unknown = sorted(set(refs) - IMAGE_NAMES)
    if unknown:
        raise DesignInvalid(f"unknown image {unknown[0]!r}", field=f"images.{unknown[0]}")
    stored = repository.images(session, refs.values())
    missing = [file for file, digest in refs.items() if digest not in stored]
    if missing:
        raise DesignInvalid(
            f"no uploaded image has that hash ({missing[0]})", field=f"images.{missing[0]}"
        )
    images = {file: stored[digest] for file, digest in refs.items()}
    try:
        return build_design(name or own_design(program.id, 0), document, images)
    except DesignError as error:
        field = error.key or f"images.{Path(error.file).name}"
        raise DesignInvalid(f"{field}: {error.message}", field=field) from None
    except TypeError as error:
        raise DesignInvalid(str(error), field="document") from None


def _within_limits(design: CardDesign) -> None:
    """Texts within the lengths both wallets show: checked when a merchant saves or
    publishes a draft. Designs stored before a limit existed still load, and a roll back
    restores a version as it was published."""
    try:
        check_design_limits(design)
    except DesignError as error:
        raise DesignInvalid(f"{error.key}: {error.message}", field=error.key) from None


def _save_draft(
    session: Session, program: Program, document: dict[str, Any], now: datetime
) -> None:
    row = repository.draft(session, program.merchant_id, program.id)
    if row is None:
        row = DesignDraft(program_id=program.id, merchant_id=program.merchant_id)
    row.document, row.updated_at = document, now
    session.add(row)
    session.flush()


def _check_image(file: str, data: bytes) -> None:
    """PNG only for now, checked with Pillow. The seam for the image pipeline (crop, resize,
    re-encode JPEG/WebP, quantise): it replaces this check and returns the bytes to store."""
    if file not in IMAGE_NAMES:
        raise DesignImageInvalid(
            f"unknown image slot; one of {sorted(IMAGE_NAMES)}", field=f"images.{file}"
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise DesignImageInvalid(f"at most {MAX_IMAGE_BYTES} bytes", field=f"images.{file}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise DesignImageInvalid("must be a PNG image", field=f"images.{file}")
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise DesignImageInvalid(
                    f"at most {MAX_IMAGE_PIXELS} pixels", field=f"images.{file}"
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise DesignImageInvalid("not a readable image", field=f"images.{file}") from None
