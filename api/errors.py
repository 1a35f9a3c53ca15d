"""Domain errors with stable codes, rendered as RFC 9457 ``application/problem+json``.

Services raise these; routes never catch them. One handler per kind renders every error the
same way: ``{"type": code, "title": ..., "status": ..., "detail": ...}`` plus extra members.
``docs/ERRORS.md`` lists every code; a test keeps it and the code in step.

::

    ApiError               500 internal_error: the root; also how an unexpected error renders
    ├── Unauthorized       401 unauthorized: no API key, or an unknown or revoked one
    ├── Forbidden          403 forbidden: the key's role does not allow the action
    ├── NotFound           404 not_found: parent of every "<thing>_not_found"
    ├── Conflict           409 conflict: parent of "the current state forbids it"
    ├── InvalidRequest     422 invalid_request: well-formed, but breaks a rule
    └── ServiceUnavailable 503 unavailable: a service we depend on is not answering

Each domain subclasses these in its own ``errors.py``, one class per stable code, setting
``code`` and ``title`` (and ``status_code`` only where no parent above fits). Besides
``ApiError``, the handlers below answer with codes that have no class: ``validation_error``
(FastAPI rejected the parameters or body), ``not_found``/``method_not_allowed``/``http_<status>``
(Starlette found no route or method) and a ``passes.PassError``'s own code (a 500).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from passes import PassError

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

VALIDATION_ERROR: Final = "validation_error"
"""The code of a request FastAPI rejected before any route ran (status 422)."""
VALIDATION_TITLE: Final = "The request is not valid"
HTTP_ERROR_CODES: Final[Mapping[int, str]] = {
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
}
"""Codes for Starlette's own HTTP errors; any other status renders as ``http_<status>``."""
PASS_ERROR_STATUS: Final = 500
PASS_ERROR_TITLE: Final = "The card could not be rendered"


class ApiError(Exception):
    """Base class of every error the API answers with: a status, a stable code and a title.

    Raised directly by nobody: domains raise a subclass. An exception that is not an
    ``ApiError`` (a bug) is logged and rendered with this class's status, code and title.
    ``detail`` says what went wrong this time; keyword arguments become extra members of the
    problem body (``retry_after=30``).
    """

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"
    # The authentication scheme a 401 names in WWW-Authenticate (RFC 9110, 11.6.1).
    challenge: ClassVar[str] = "Bearer"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail
        self.extra = extra
        super().__init__(detail or self.title)


class Unauthorized(ApiError):
    """The request has no API key, or an unknown or revoked one.

    Raised while authenticating the caller, before any route runs; sign-in failures of the
    console and of staff subclass it. The answer carries ``WWW-Authenticate: Bearer``.
    """

    status_code, code, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(ApiError):
    """The API key is valid, but its role (``admin``, ``pos``, ``read``) does not allow this."""

    status_code, code, title = 403, "forbidden", "This API key's role does not allow that"


class NotFound(ApiError):
    """Parent of every "<thing>_not_found": the id is unknown or belongs to another merchant.

    Another merchant's object is reported exactly like a missing one, so ids cannot be probed.
    """

    status_code, code, title = 404, "not_found", "Not found"


class Conflict(ApiError):
    """Parent of errors where the request is valid but the current state forbids it
    (a used coupon, a balance too small, a refunded purchase); retrying will not help."""

    status_code, code, title = 409, "conflict", "Conflict"


class InvalidRequest(ApiError):
    """The request is well-formed but breaks a rule the schema cannot express.

    Raised directly with a ``detail`` for one-off checks; a rule clients should tell apart
    gets its own subclass and code. Schema failures are ``validation_error`` instead.
    """

    status_code, code, title = 422, "invalid_request", "The request is not valid"


class ServiceUnavailable(ApiError):
    """A service we depend on (Google Wallet, Google's signing keys) is not answering.

    Try again later; subclasses may add ``retry_after`` (seconds).
    """

    status_code, code, title = 503, "unavailable", "Service unavailable"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    challenge: str = "Bearer",
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": challenge} if status == 401 else None
    return JSONResponse(body, status, media_type=PROBLEM_JSON, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(
        exc.status_code, exc.code, exc.title, exc.detail, challenge=exc.challenge, **exc.extra
    )


async def _pass_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PassError)
    logger.error("pass could not be built", extra={"code": exc.code, "error": str(exc)})
    return problem(PASS_ERROR_STATUS, exc.code, PASS_ERROR_TITLE, str(exc))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "location": [str(part) for part in error.get("loc", ())],
            "message": error.get("msg", ""),
            "kind": error.get("type", ""),
        }
        for error in exc.errors()
    ]
    detail = "; ".join(
        f"{'.'.join(e['location'][1:]) or e['location'][0]}: {e['message']}" for e in errors
    )
    return problem(422, VALIDATION_ERROR, VALIDATION_TITLE, detail, errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_ERROR_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return problem(exc.status_code, code, str(exc.detail))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem(
        ApiError.status_code, ApiError.code, ApiError.title, "The error has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(PassError, _pass_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
