"""Signed-in sessions of the people-facing pages: the console and the staff scanner.

A session is a random token in an HttpOnly cookie that only its pages' path receives; the
database keeps the token's SHA-256, never the token. The cookie is ``Secure`` whenever the
public URL is https. SameSite=Strict also keeps other sites from posting the pages' forms
with it (and ``api.pages.origin`` refuses their forms, sign-in included). A page that needs
someone signed in takes its sign-in dependency (``ConsoleUser``, ``StaffUser``), which
raises :class:`SignInRequired` for a visitor without a valid session; the handler installed
here sends them to the sign-in page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

MAX_TOKEN_LENGTH = 100  # ours are 43 characters; anything much longer is not one of ours


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores and looks a session up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def lookup_hash(token: str | None) -> str | None:
    """The hash of a cookie's token, or None when there is no plausible token to look up."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token_hash(token)


@dataclass(frozen=True, slots=True)
class SessionCookie:
    """The cookie that carries one kind of page session."""

    name: str
    path: str  # the pages' root: the cookie is sent to them only
    lifetime: timedelta

    def token(self, request: Request) -> str | None:
        return request.cookies.get(self.name)

    def set(self, response: Response, token: str, *, request: Request) -> None:
        response.set_cookie(
            self.name, token, max_age=int(self.lifetime.total_seconds()), httponly=True,
            samesite="strict", secure=is_https(request), path=self.path,
        )  # fmt: skip

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path=self.path)

    def signed_in_redirect(self, token: str, *, request: Request) -> RedirectResponse:
        """After a sign-in: back to the pages' root, with the session cookie."""
        response = RedirectResponse(self.path, status_code=303)
        self.set(response, token, request=request)
        return response

    def signed_out_redirect(self) -> RedirectResponse:
        response = RedirectResponse(self.path, status_code=303)
        self.clear(response)
        return response


def is_https(request: Request) -> bool:
    """Whether the visitor reached us over https: the public URL says so (behind a proxy the
    request itself may look like http, whatever the proxy's headers say), or the request."""
    public_url: str = request.app.state.settings.public_url
    return public_url.startswith("https://") or request.url.scheme == "https"


class SignInRequired(Exception):
    """Raised by a page's sign-in dependency: nobody valid is signed in."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


async def _to_sign_in(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(exc.location, status_code=303)


def install_sign_in_redirect(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _to_sign_in)
