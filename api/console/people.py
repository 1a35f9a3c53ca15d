"""The console's pages for people (``api.accounts``): one's own account (second factor,
sessions), the owner's people page (invite, change a role or stores, remove), and the
one-time links an email or the operator hands out (accept an invitation, reset a password).

Routes only wire: the rules are ``api.accounts``'s; a refused form answers 4xx with its
message, never 500. A link mailed to someone is sent after the commit (a background task),
so it is only sent once it exists.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.accounts import links, mail, totp
from api.accounts import repository as account_repository
from api.accounts import service as account_service
from api.accounts.errors import (
    AccountExists,
    AccountLinkInvalid,
    AccountNotFound,
    AccountSignInFailed,
    AccountSignInLocked,
    LastOwner,
    WeakPassword,
)
from api.accounts.models import AccountRole
from api.accounts.service import AccountCaller
from api.clock import utcnow
from api.console import repository as console_repository
from api.console.auth import COOKIE, AccountUser, client_address
from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden, InvalidRequest
from api.pages.render import FormFields, Page, PageDep, negotiate_locale
from api.settings import Settings

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)


def _page(page: Page, template: str, user: AccountCaller, *, status_code: int = 200,
          **context: Any) -> HTMLResponse:  # fmt: skip
    return page.render(
        f"console/{template}", status_code=status_code, caller=user, can_edit=user.can_edit,
        section="nav_account", **context,
    )  # fmt: skip


def _account_context(session: SessionDep, user: AccountCaller) -> dict[str, Any]:
    account = account_repository.get(session, user.merchant_id, user.key_id)
    return {"account": account, "sessions": account_service.sessions(session, user, now=utcnow())}


@router.get("/account", response_class=HTMLResponse)
def account(page: PageDep, session: SessionDep, user: AccountUser) -> Response:
    """One's own account: role, stores, second factor and signed-in sessions."""
    return _page(page, "account.html", user, **_account_context(session, user))


@router.get("/account/sessions", response_class=HTMLResponse)
def sessions(page: PageDep, session: SessionDep, user: AccountUser) -> Response:
    return _page(page, "account.html", user, **_account_context(session, user))


@router.post("/account/sessions", response_class=HTMLResponse)
def revoke_sessions(
    page: PageDep, session: SessionDep, user: AccountUser, fields: FormFields
) -> Response:
    """End one session (``session=<id>``), or every other one (``session=others``)."""
    which = fields.get("session", "")
    if which == "others":
        account_service.revoke_other_sessions(session, user)
    else:
        with suppress(ValueError):
            account_service.revoke_session(session, user, UUID(which))
    return RedirectResponse("/console/account/sessions", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request, page: PageDep, session: SessionDep, user: AccountUser, fields: FormFields
) -> Response:
    """A new password, given the current one; the other sessions end."""
    try:
        account_service.change_password(
            session, user, fields.get("current", ""), fields.get("password", ""),
            client=client_address(request), now=utcnow(),
        )  # fmt: skip
    except WeakPassword as exc:
        return _page(page, "account.html", user, status_code=422, error=exc.extra["reason"],
                     **_account_context(session, user))  # fmt: skip
    except (AccountSignInFailed, AccountSignInLocked):
        return _page(page, "account.html", user, status_code=422, error="err_account_signin",
                     **_account_context(session, user))  # fmt: skip
    return _page(page, "account.html", user, notice="password_changed",
                 **_account_context(session, user))  # fmt: skip


@router.post("/account/totp", response_class=HTMLResponse)
def second_factor(
    page: PageDep, session: SessionDep, user: AccountUser, fields: FormFields
) -> Response:
    """``start``: a new secret and its QR code; ``confirm``: the code from the app turns it
    on; ``off``: a current code turns it off."""
    account = account_repository.get(session, user.merchant_id, user.key_id)
    assert account is not None  # signed in: the account exists and is active
    action, code, now = fields.get("action", ""), fields.get("code", ""), utcnow()
    context = _account_context(session, user)
    if action == "start" and not account.totp_secret:
        secret = totp.new_secret()
        return _page(page, "account.html", user, totp_secret=secret,
                     totp_qr=totp.qr_svg(secret, account.email), **context)  # fmt: skip
    if action == "confirm" and not account.totp_secret:
        secret = fields.get("secret", "")[:64]
        step = totp.matching_step(secret, code, now=now) if secret else None
        if step is None:
            return _page(page, "account.html", user, status_code=422, error="err_totp_code",
                         totp_secret=secret or None,
                         totp_qr=totp.qr_svg(secret, account.email) if secret else None,
                         **context)  # fmt: skip
        # The enrolment code proves the app has the secret; it signs nobody in.
        account.totp_secret, account.totp_last_step = secret, None
    elif action == "off" and account.totp_secret:
        if not totp.is_code(account.totp_secret, code, now=now):
            return _page(page, "account.html", user, status_code=422, error="err_totp_code",
                         **context)  # fmt: skip
        account.totp_secret, account.totp_last_step = None, None
    session.add(account)
    return RedirectResponse("/console/account", status_code=303)


@router.get("/account/people", response_class=HTMLResponse)
def people(page: PageDep, session: SessionDep, user: AccountUser) -> Response:
    """The owner's people: accounts, pending invitations, and the invitation form."""
    return _people_page(page, session, user)


def _people_page(page: Page, session: SessionDep, user: AccountUser, *, status_code: int = 200,
                 **context: Any) -> HTMLResponse:  # fmt: skip
    if not user.is_owner:
        return _page(page, "account.html", user, status_code=403, error="err_owner_only",
                     **_account_context(session, user))  # fmt: skip
    now = utcnow()
    return _page(
        page, "people.html", user, status_code=status_code,
        accounts=account_repository.list_accounts(session, user.merchant_id),
        invitations=account_repository.pending_invitations(session, user.merchant_id, now),
        stores=console_repository.stores(session, user.merchant_id),
        roles=list(AccountRole), **context,
    )  # fmt: skip


def _chosen_stores(fields: dict[str, str]) -> list[str]:
    return [key.removeprefix("store_") for key in fields if key.startswith("store_")]


@router.post("/account/people", response_class=HTMLResponse)
def invite(
    request: Request, page: PageDep, session: SessionDep, settings: SettingsDep,
    user: AccountUser, fields: FormFields, background: BackgroundTasks,
) -> Response:  # fmt: skip
    """Invite someone by email; the link is mailed when SMTP is set, and shown to the owner."""
    try:
        role = AccountRole(fields.get("role", ""))
        link = links.invite(session, user, email=fields.get("email", ""), role=role,
                            stores=_chosen_stores(fields), now=utcnow())  # fmt: skip
    except (ValueError, InvalidRequest, AccountExists, Forbidden) as exc:
        error = "err_account_exists" if isinstance(exc, AccountExists) else "err_invite"
        return _people_page(page, session, user, status_code=422, error=error)
    url = f"{settings.public_url}/console/invite/{link.token}"
    _mail_later(background, settings, kind="invite", to=link.email, url=url, request=request)
    return _people_page(page, session, user, invite_url=url, mailed=mail.can_mail(settings))


@router.post("/account/people/{account_id}", response_class=HTMLResponse)
def change_person(
    account_id: UUID, page: PageDep, session: SessionDep, user: AccountUser, fields: FormFields
) -> Response:
    """Change someone's role and stores (``action=save``), or remove them (``remove``)."""
    try:
        if fields.get("action") == "remove":
            links.change_access(session, user, account_id, role=None, active=False)
        else:
            links.change_access(session, user, account_id, role=AccountRole(fields.get("role", "")),
                                stores=_chosen_stores(fields))  # fmt: skip
    except (ValueError, InvalidRequest, AccountNotFound, Forbidden):
        return _people_page(page, session, user, status_code=422, error="err_invite")
    except LastOwner:
        return _people_page(page, session, user, status_code=409, error="err_last_owner")
    return RedirectResponse("/console/account/people", status_code=303)


@router.get("/invite/{token}", response_class=HTMLResponse)
def invitation(token: str, page: PageDep, session: SessionDep) -> Response:
    """The invitation's password form (or why the link does not work)."""
    try:
        found = links.invitation(session, token, now=utcnow())
    except AccountLinkInvalid:
        return page.render("console/link.html", status_code=404, error="err_link", form=None)
    return page.render("console/link.html", form="invite", email=found.email, error=None)


@router.post("/invite/{token}", response_class=HTMLResponse)
def accept(
    token: str, request: Request, page: PageDep, session: SessionDep, fields: FormFields
) -> Response:
    """Set a password; the new account is signed in."""
    now = utcnow()
    try:
        account = links.accept(session, token, fields.get("password", ""), now=now)
    except AccountLinkInvalid:
        return page.render("console/link.html", status_code=404, error="err_link", form=None)
    except WeakPassword as exc:
        found = links.invitation(session, token, now=now)
        return page.render("console/link.html", status_code=422, form="invite",
                           email=found.email, error=exc.extra["reason"])  # fmt: skip
    except AccountExists:
        return page.render("console/link.html", status_code=409, error="err_account_exists",
                           form=None)  # fmt: skip
    token = account_service.start_session(
        session, account, client=client_address(request),
        user_agent=request.headers.get("user-agent", ""), now=now,
    )  # fmt: skip
    return COOKIE.signed_in_redirect(token, request=request)


@router.get("/reset", response_class=HTMLResponse)
def reset_form(page: PageDep) -> Response:
    return page.render("console/link.html", form="request", error=None)


@router.post("/reset", response_class=HTMLResponse)
def request_reset(
    request: Request, page: PageDep, session: SessionDep, settings: SettingsDep,
    fields: FormFields, background: BackgroundTasks,
) -> Response:  # fmt: skip
    """Mail a reset link to the account's email, if there is one; the answer is the same
    either way (it does not tell which emails have accounts)."""
    link = None
    if mail.can_mail(settings):
        link = links.request_reset(session, fields.get("email", ""),
                                   client=client_address(request), now=utcnow())  # fmt: skip
    if link is not None:
        url = f"{settings.public_url}/console/reset/{link.token}"
        _mail_later(background, settings, kind="reset", to=link.email, url=url, request=request)
    notice = "reset_sent" if mail.can_mail(settings) else "reset_by_operator"
    return page.render("console/link.html", form=None, notice=notice, error=None)


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_password_form(token: str, page: PageDep) -> Response:
    return page.render("console/link.html", form="reset", error=None)


@router.post("/reset/{token}", response_class=HTMLResponse)
def reset_password(token: str, page: PageDep, session: SessionDep, fields: FormFields) -> Response:
    """Set the new password (the link is used up, every session of the account ends)."""
    try:
        links.reset_password(session, token, fields.get("password", ""), now=utcnow())
    except WeakPassword as exc:
        return page.render("console/link.html", status_code=422, form="reset",
                           error=exc.extra["reason"])  # fmt: skip
    except AccountLinkInvalid:
        return page.render("console/link.html", status_code=404, error="err_link", form=None)
    return page.render("console/signin.html", error=None, notice="reset_done")


def _mail_later(background: BackgroundTasks, settings: Settings, *, kind: str, to: str,
                url: str, request: Request) -> None:  # fmt: skip
    background.add_task(mail.send_link, settings, kind=kind, to=to, url=url,
                        locale=negotiate_locale(request))  # fmt: skip
