"""The console's design editor (``/console/programs/{id}/design``): a form over the program's
draft, with the live preview, uploads with a focal point, publish, history and roll back.
Server-rendered; a few lines of script preview the form as it is typed and draw the crop."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from api.clock import utcnow
from api.console import design_pages
from api.console.auth import ConsoleUser
from api.console.design_pages import FieldError
from api.console.service import ConsoleCaller
from api.deps import AppleWalletDep, SessionDep, SettingsDep
from api.designs.errors import DesignInvalid
from api.pages.design_texts import standard_labels
from api.pages.errors import TooManyFormFields
from api.pages.render import Page, PageDep, negotiate_locale
from api.pages.texts import text
from passes import DEFAULT_IMAGE_LIMITS, Focus

router = APIRouter(tags=["pages"], include_in_schema=False)
MAX_DESIGN_FIELDS = 200  # two languages of texts, twelve back fields each, and the rest
ImageName = Annotated[str, Path(pattern=r"^[a-z_]{1,20}(@[23]x)?\.png$")]
Stamp = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]


async def design_fields(request: Request) -> dict[str, str]:
    """The editor's urlencoded form (more fields than ``pages.render.form_fields`` takes).

    Raises:
        TooManyFormFields: more than ``MAX_DESIGN_FIELDS`` fields.
    """
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(body, max_num_fields=MAX_DESIGN_FIELDS)
    except ValueError:
        raise TooManyFormFields(f"at most {MAX_DESIGN_FIELDS} fields") from None
    return {key: value.replace("\x00", "") for key, value in pairs}


DesignFields = Annotated[dict[str, str], Depends(design_fields)]


def _editor(
    page: Page, user: ConsoleCaller, context: dict[str, Any], *, status_code: int = 200,
    error: FieldError | None = None, **extra: Any,
) -> HTMLResponse:  # fmt: skip
    return page.render(
        "console/design.html", status_code=status_code, caller=user.caller,
        can_edit=user.can_edit, error=error, values=design_pages.form_values(context["form"]),
        **context, **extra,
    )  # fmt: skip


def _context(
    request: Request, session: SessionDep, settings: SettingsDep, wallet: AppleWalletDep,
    user: ConsoleCaller, program_id: UUID, **kwargs: Any,
) -> dict[str, Any]:  # fmt: skip
    return design_pages.editor_page(
        session, user.merchant_id, program_id, cards=settings.templates_dir / "cards",
        wallet=wallet, labels=standard_labels(), today=utcnow().date(), **kwargs,
    )  # fmt: skip


@router.get("/programs/{program_id}/design", response_class=HTMLResponse)
def editor(
    program_id: UUID,
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    wallet: AppleWalletDep,
    user: ConsoleUser,
    offset: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    done: Annotated[str, Query(pattern=r"^(saved|starter|uploaded|published)?$")] = "",
) -> Response:
    """The draft's form, its preview, publish and the version history."""
    context = _context(request, session, settings, wallet, user, program_id, offset=offset)
    return _editor(page, user, context, done=done)


@router.post("/programs/{program_id}/design", response_class=HTMLResponse)
def change(
    program_id: UUID,
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    wallet: AppleWalletDep,
    user: ConsoleUser,
    fields: DesignFields,
) -> Response:
    """``action``: ``save`` the form, ``starter`` (replace the draft with one), ``publish``,
    or ``rollback`` (to ``version``). A refusal is the page again (422), values kept."""
    cards, now = settings.templates_dir / "cards", utcnow()
    action = fields.get("action", "save")
    path = f"/console/programs/{program_id}/design"
    if action == "starter":
        design_pages.start_from(
            session, user, program_id, fields.get("starter", ""), cards=cards, now=now
        )
        return RedirectResponse(f"{path}?done=starter", status_code=303)
    if action in ("publish", "rollback"):
        try:
            if action == "publish":
                row = design_pages.publish(session, user, program_id, cards=cards, now=now)
            else:
                number = fields.get("version", "")
                version = int(number) if number.isdigit() and len(number) < 8 else 0
                row = design_pages.rollback(session, user, program_id, version, now=now)
        except DesignInvalid as refused:
            context = _context(request, session, settings, wallet, user, program_id)
            refusal = FieldError(None, "design_err_invalid", refused.detail or refused.title)
            return _editor(page, user, context, status_code=422, error=refusal)
        return RedirectResponse(f"{path}?done=published#v{row.version}", status_code=303)
    document, error = design_pages.save(session, user, program_id, fields, cards=cards, now=now)
    if error is None:
        return RedirectResponse(f"{path}?done=saved", status_code=303)
    context = _context(request, session, settings, wallet, user, program_id, document=document)
    return _editor(page, user, context, status_code=422, error=error)


@router.post("/programs/{program_id}/design/preview", response_class=HTMLResponse)
def preview(
    program_id: UUID,
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    wallet: AppleWalletDep,
    user: ConsoleUser,
    fields: DesignFields,
) -> Response:
    """The form as typed, previewed (the fragment the page swaps in); nothing is saved. A
    refusal is 422 JSON: the form field and the message to show next to it."""
    shown, error = design_pages.preview_form(
        session, user.merchant_id, program_id, fields, cards=settings.templates_dir / "cards",
        wallet=wallet, today=utcnow().date(),
    )  # fmt: skip
    if error is not None or shown is None:
        assert error is not None
        locale = negotiate_locale(request)
        message = f"{text(locale, error.key)} {error.detail}"
        return JSONResponse({"field": error.field, "message": message}, status_code=422)
    return page.render("console/_design_preview.html", preview=shown)


@router.post("/uploads/design/{program_id}", response_class=HTMLResponse)
def upload(
    program_id: UUID,
    request: Request,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    wallet: AppleWalletDep,
    user: ConsoleUser,
    image: Annotated[UploadFile, File(description="PNG, JPEG or WebP")],
    slot: Annotated[str, Form(pattern=r"^[a-z_]{1,20}$")],
    focus_x: Annotated[float, Form(ge=0, le=1)] = 0.5,
    focus_y: Annotated[float, Form(ge=0, le=1)] = 0.5,
) -> Response:
    """An image for a slot, cropped around the focal point the merchant tapped (the centre
    without script). A refusal is the page again (422) with the reason next to the field."""
    data = image.file.read(DEFAULT_IMAGE_LIMITS.max_bytes + 1)
    error = design_pages.upload(
        session, user, program_id, slot, data, focus=Focus(focus_x, focus_y),
        cards=settings.templates_dir / "cards", now=utcnow(),
    )  # fmt: skip
    if error is None:
        return RedirectResponse(
            f"/console/programs/{program_id}/design?done=uploaded", status_code=303
        )
    context = _context(request, session, settings, wallet, user, program_id)
    return _editor(page, user, context, status_code=422, error=error, upload_slot=slot)


@router.get("/programs/{program_id}/design/draft/{stamp}/{file}")
def draft_image(
    program_id: UUID,
    stamp: Stamp,
    file: ImageName,
    session: SessionDep,
    settings: SettingsDep,
    user: ConsoleUser,
) -> Response:
    """An image of the signed-in merchant's own draft (``stamp`` changes with the images)."""
    data = design_pages.draft_image(
        session, user.merchant_id, program_id, file, cards=settings.templates_dir / "cards"
    )
    if data is None:
        return Response(status_code=404)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
