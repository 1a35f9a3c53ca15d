"""Domain errors with stable codes, rendered as RFC 9457 ``application/problem+json``.

Services raise these; routes never catch them. One handler per kind renders every error the
same way: ``{"type": code, "title": ..., "status": ..., "detail": ...}`` plus extra members.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from passes import PassError

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """Base class: a status code, a stable machine code and a human title."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail
        self.extra = extra
        super().__init__(detail or self.title)


class Unauthorized(ApiError):
    status_code, code, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(ApiError):
    status_code, code, title = 403, "forbidden", "This API key's role does not allow that"


class NotFound(ApiError):
    status_code, code, title = 404, "not_found", "Not found"


class Conflict(ApiError):
    status_code, code, title = 409, "conflict", "Conflict"


class InvalidRequest(ApiError):
    status_code, code, title = 422, "invalid_request", "The request is not valid"


class ServiceUnavailable(ApiError):
    status_code, code, title = 503, "unavailable", "Service unavailable"


def problem(
    status: int, code: str, title: str, detail: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status, media_type=PROBLEM_JSON, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(exc.status_code, exc.code, exc.title, exc.detail, **exc.extra)


async def _pass_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PassError)
    logger.error("pass could not be built", extra={"code": exc.code, "error": str(exc)})
    return problem(500, exc.code, "The card could not be rendered", str(exc))


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
    return problem(422, "validation_error", "The request is not valid", detail, errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
    code = codes.get(exc.status_code, f"http_{exc.status_code}")
    return problem(exc.status_code, code, str(exc.detail))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "Internal error", "The error has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(PassError, _pass_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
