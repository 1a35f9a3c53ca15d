"""Rendering a people-facing page: the visitor's language, the switch to the other one, and
headers that keep every byte of the page our own (no CDN, no third-party script).

The pages' inline ``<style>`` and ``<script>`` elements carry a nonce made for each answer,
and the Content-Security-Policy allows only those and our own files: no ``'unsafe-inline'``,
so text that slipped into a page unescaped could still not run. Templates therefore use no
``style="..."`` or ``on...=`` attributes (classes, and CSS in the nonced ``<style>``, instead).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from api.deps import PagesDep
from api.pages.errors import TooManyFormFields
from api.pages.texts import DEFAULT_LOCALE, LOCALES, TEXTS, text

LANG_COOKIE = "lang"
MAX_FORM_FIELDS = 40  # our largest form (the campaign form) has 8


def page_csp(nonce: str) -> str:
    """The policy of a page whose inline styles and scripts carry ``nonce``: nothing may load
    from another origin, and no other inline code runs."""
    return (
        f"default-src 'self'; img-src 'self' data:; style-src 'self' 'nonce-{nonce}'; "
        f"script-src 'self' 'nonce-{nonce}'; object-src 'none'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def negotiate_locale(request: Request) -> str:
    """``?lang=`` first, then the language cookie, then ``Accept-Language``; else Russian."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    return best_accepted(request.headers.get("accept-language", ""))


def best_accepted(header: str) -> str:
    """The supported language an ``Accept-Language`` header prefers most."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LOCALES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def translator(locale: str) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        return text(locale, key, **values)

    return t


@dataclass(frozen=True, slots=True)
class Page:
    """The page a request answers with: its templates, rendered in the visitor's language."""

    request: Request
    templates: Environment

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render ``templates/pages/<template>`` in the visitor's language."""
        request = self.request
        locale = negotiate_locale(request)
        other = next(code for code in LOCALES if code != locale)
        nonce = secrets.token_urlsafe(16)
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        body = self.templates.get_template(template).render(
            lang=locale,
            t=translator(locale),
            other_lang=other,
            other_lang_name=TEXTS[other]["lang_name"],
            switch_url=f"{request.url.path}?{urlencode({**query, 'lang': other})}",
            csp_nonce=nonce,
            **context,
        )
        response = HTMLResponse(body, status_code=status_code)
        response.headers["Content-Security-Policy"] = page_csp(nonce)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = locale
        if request.query_params.get("lang") in LOCALES:
            response.set_cookie(
                LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax", httponly=True
            )
        return response

    def not_found(self) -> HTMLResponse:
        return self.render("not_found.html", status_code=404)


async def get_page(request: Request, templates: PagesDep) -> Page:
    return Page(request, templates)


PageDep = Annotated[Page, Depends(get_page)]


async def form_fields(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (the last value of a repeated
    field wins). Our forms need nothing more (only the scanner's photo upload is multipart).

    Raises:
        TooManyFormFields: the body has more than ``MAX_FORM_FIELDS`` fields.
    """
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(body, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:  # only max_num_fields raises: parse_qsl is lenient about the rest
        raise TooManyFormFields(f"at most {MAX_FORM_FIELDS} fields") from None
    return {key: value.replace("\x00", "") for key, value in pairs}


FormFields = Annotated[dict[str, str], Depends(form_fields)]
