"""The route class of Apple's web service: the answers Wallet expects where FastAPI's differ.

A request FastAPI cannot parse is 400 (Apple's clients expect it; the rest of the API answers
422 ``validation_error``), with the same problem body and ``errors`` list. A rate-limited
``/log`` is 429 with ``Retry-After``, the header Wallet's retries can honour.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.apple_webservice.errors import DeviceLogRateLimited, MalformedWalletRequest
from api.errors import problem


class WalletRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                errors = [
                    {
                        "location": [str(part) for part in error.get("loc", ())],
                        "message": error.get("msg", ""),
                        "kind": error.get("type", ""),
                    }
                    for error in exc.errors()
                ]
                detail = "; ".join(f"{'.'.join(e['location'])}: {e['message']}" for e in errors)
                raise MalformedWalletRequest(detail, errors=errors) from None
            except DeviceLogRateLimited as exc:
                answer = problem(exc.status_code, exc.code, exc.title, exc.detail, **exc.extra)
                answer.headers["Retry-After"] = str(exc.extra["retry_after"])
                return answer

        return handle
