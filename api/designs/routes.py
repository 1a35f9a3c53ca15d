"""HTTP routes of a program's card design (admin keys only)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request

from api.clock import utcnow
from api.deps import AdminCaller, AppleWalletDep, SessionDep, SettingsDep
from api.designs import progress
from api.designs import service as design_service
from api.designs.document import sha256
from api.designs.errors import DesignVersionNotFound
from api.designs.preview import render_preview
from api.designs.progress import PublishProgress
from api.designs.schemas import (
    DesignDocument,
    DesignPublic,
    DesignVersionPublic,
    DesignWarning,
    ImageStored,
    PreviewPublic,
    RenderedImage,
    RollbackRequest,
    StarterChoice,
    UploadStored,
)
from api.paging import Page, Paging
from passes import Focus, design_contrast_warnings

router = APIRouter(prefix="/api/v1/programs/{program_id}/design", tags=["designs"])


async def _raw_body(request: Request) -> bytes:
    """The request body as sent (an image), whatever its content type says."""
    return await request.body()


ImageFile = Annotated[str, Path(pattern=r"^[a-z0-9_@-]{1,64}\.png$")]


@router.get("")
def get_live(
    program_id: UUID, session: SessionDep, caller: AdminCaller, settings: SettingsDep
) -> DesignPublic:
    """The live design: a starter's, the neutral one of the program's names, or a version."""
    program, version, document = design_service.live(
        session, caller.merchant_id, program_id, settings.templates_dir / "cards"
    )
    return DesignPublic(name=program.design, version=version, document=document)


@router.get("/draft")
def get_draft(
    program_id: UUID, session: SessionDep, caller: AdminCaller, settings: SettingsDep
) -> DesignPublic:
    """The draft (the live design until one is saved)."""
    document = design_service.draft(
        session, caller.merchant_id, program_id, settings.templates_dir / "cards"
    )
    warnings = DesignWarning.of_document(document)
    return DesignPublic(name=None, version=None, document=document, warnings=warnings)


@router.put("/draft")
def put_draft(
    program_id: UUID, body: DesignDocument, session: SessionDep, caller: AdminCaller
) -> DesignPublic:
    """Replace the draft; checked as a whole (422 ``design_invalid`` names the field).
    Colours with low contrast save, with ``warnings``."""
    document = design_service.replace_draft(
        session, caller.merchant_id, program_id, body.model_dump(mode="json"), utcnow()
    )
    warnings = DesignWarning.of_document(document)
    return DesignPublic(name=None, version=None, document=document, warnings=warnings)


@router.post("/draft/starter")
def start_from_starter(
    program_id: UUID,
    body: StarterChoice,
    session: SessionDep,
    caller: AdminCaller,
    settings: SettingsDep,
) -> DesignPublic:
    """Replace the draft with a starter template (a shipped design)."""
    document = design_service.start_from(
        session,
        caller.merchant_id,
        program_id,
        body.starter,
        settings.templates_dir / "cards",
        utcnow(),
    )
    return DesignPublic(name=None, version=None, document=document)


@router.post(
    "/draft/images/{file}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
def upload_image(
    program_id: UUID,
    file: ImageFile,
    session: SessionDep,
    caller: AdminCaller,
    settings: SettingsDep,
    body: Annotated[bytes, Depends(_raw_body)],
) -> ImageStored:
    """Put an image (``logo.png``, ``strip@2x.png``, ``google_logo.png``, ...) into the draft."""
    digest = design_service.add_image(
        session,
        caller.merchant_id,
        program_id,
        file,
        body,
        settings.templates_dir / "cards",
        utcnow(),
    )
    return ImageStored(file=file, sha256=digest)


UPLOAD_TYPES = ("image/png", "image/jpeg", "image/webp")


@router.post(
    "/draft/uploads/{slot}",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in UPLOAD_TYPES
            },
        },
    },
)
def upload(
    program_id: UUID,
    slot: Annotated[str, Path(pattern=r"^[a-z_]{1,20}$")],
    session: SessionDep,
    caller: AdminCaller,
    settings: SettingsDep,
    body: Annotated[bytes, Depends(_raw_body)],
    focus_x: Annotated[float, Query(ge=0, le=1)] = 0.5,
    focus_y: Annotated[float, Query(ge=0, le=1)] = 0.5,
) -> UploadStored:
    """An image from the merchant's phone or computer (PNG, JPEG or WebP) made into a slot's
    images (``icon``, ``logo``, ``strip``, ``google_logo``, ``google_hero``): cropped around
    the focal point (fractions from the top left), resized to every scale, palette-quantised.
    422 ``design_image_invalid`` names the slot and a stable ``reason``."""
    rendered = design_service.add_upload(
        session,
        caller.merchant_id,
        program_id,
        slot,
        body,
        settings.templates_dir / "cards",
        utcnow(),
        focus=Focus(focus_x, focus_y),
    )
    return UploadStored(
        slot=slot,
        files={
            file: RenderedImage(
                sha256=sha256(png.data),
                width=png.width,
                height=png.height,
                bytes=len(png.data),
                colours=png.colours,
                ssim=round(png.ssim, 4),
            )  # fmt: skip
            for file, png in rendered.items()
        },
    )


@router.post("/draft/preview")
def preview(
    program_id: UUID,
    session: SessionDep,
    caller: AdminCaller,
    settings: SettingsDep,
    wallet: AppleWalletDep,
) -> PreviewPublic:
    """The real pass.json and Google class and object of a sample card of the draft."""
    program, design = design_service.draft_design(
        session, caller.merchant_id, program_id, settings.templates_dir / "cards"
    )
    rendered = render_preview(
        design,
        program,
        pass_type_identifier=wallet.signer.pass_type_identifier,
        team_identifier=wallet.signer.team_identifier,
        public_url=settings.public_url,
    )
    rendered.warnings = [DesignWarning.of(w) for w in design_contrast_warnings(design)]
    return rendered


@router.post("/publish", status_code=201)
def publish(
    program_id: UUID, session: SessionDep, caller: AdminCaller, settings: SettingsDep
) -> DesignVersionPublic:
    """Make the draft the live version; every card of the program updates on the phones."""
    row = design_service.publish(
        session, caller, program_id, settings.templates_dir / "cards", utcnow()
    )
    return DesignVersionPublic.of(row, live_version=row.version)


@router.get("/versions")
def list_versions(
    program_id: UUID, session: SessionDep, caller: AdminCaller, page: Paging
) -> Page[DesignVersionPublic]:
    """The published versions, oldest first."""
    program, rows, total = design_service.page_versions(
        session, caller.merchant_id, program_id, page
    )
    live = design_service.live_version(program)
    return Page.of([DesignVersionPublic.of(r, live_version=live) for r in rows], total, page)


@router.post("/rollback", status_code=201)
def rollback(
    program_id: UUID, body: RollbackRequest, session: SessionDep, caller: AdminCaller
) -> DesignVersionPublic:
    """Publish an older version again (as a new version, recording who did it)."""
    row = design_service.rollback(session, caller, program_id, body.version, utcnow())
    return DesignVersionPublic.of(row, live_version=row.version)


@router.get("/progress")
def publish_progress(program_id: UUID, session: SessionDep, caller: AdminCaller) -> PublishProgress:
    """How far the latest publish has gone: cards marked, pushed to a wallet and fetched.

    Raises:
        DesignVersionNotFound: the program has published no version yet.
    """
    found = progress.publish_progress(session, caller.merchant_id, program_id)
    if found is None:
        raise DesignVersionNotFound("the program has published no design version yet")
    return found
