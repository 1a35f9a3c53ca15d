"""The unsubscribe link of marketing messages, ``/unsubscribe/{token}``.

``POST`` unsubscribes at once: mail clients send ``List-Unsubscribe=One-Click`` there (RFC
8058), and the page's button posts the same. ``GET`` only shows that button, because mail
scanners follow links and must not unsubscribe anyone.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from api.clock import utcnow
from api.deps import SessionDep, SettingsDep
from api.messaging import service
from api.messaging.errors import UnsubscribeLinkInvalid
from api.messaging.links import messaging_secret, read_unsubscribe_token
from api.messaging.mail import message_templates
from api.pages.render import negotiate_locale, page_csp

router = APIRouter(tags=["messaging"], include_in_schema=False)


@lru_cache(maxsize=4)
def _templates(templates_dir: Path) -> Environment:
    return message_templates(templates_dir)


def _page(
    request: Request, templates_dir: Path, *, done: bool, invalid: bool = False
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    body = (
        _templates(templates_dir)
        .get_template("unsubscribe.html")
        .render(
            lang=negotiate_locale(request),
            done=done,
            invalid=invalid,
            action=request.url.path,
            csp_nonce=nonce,
        )  # fmt: skip
    )
    headers = {
        "Content-Security-Policy": page_csp(nonce),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(body, status_code=404 if invalid else 200, headers=headers)


def _invalid(request: Request, templates_dir: Path) -> HTMLResponse:
    """A browser gets a page saying the link is not valid; a mail client or a program the
    problem document (``unsubscribe_link_invalid``).

    Raises:
        UnsubscribeLinkInvalid: the request does not ask for HTML.
    """
    if "text/html" not in request.headers.get("accept", ""):
        raise UnsubscribeLinkInvalid()
    return _page(request, templates_dir, done=False, invalid=True)


@router.get("/unsubscribe/{token}")
def unsubscribe_page(token: str, request: Request, settings: SettingsDep) -> HTMLResponse:
    if read_unsubscribe_token(messaging_secret(settings), token) is None:
        return _invalid(request, settings.templates_dir)
    return _page(request, settings.templates_dir, done=False)


@router.post("/unsubscribe/{token}")
def unsubscribe(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    try:
        service.unsubscribe(session, token, secret=messaging_secret(settings), now=utcnow())
    except UnsubscribeLinkInvalid:
        return _invalid(request, settings.templates_dir)
    return _page(request, settings.templates_dir, done=True)
