"""The operator's credential: ``Authorization: Bearer <LOYALPASS_METRICS_TOKEN>``, compared
in constant time. It opens ``/metrics`` and ``GET /api/v1/operator/status``; merchants' API
keys open neither (the installation's state is not one merchant's business)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header

from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden, Unauthorized
from api.merchants.service import authenticate
from api.status.errors import MetricsOff


def is_operator_token(expected: str | None, authorization: str | None) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    if expected is None or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def _expected(settings: SettingsDep) -> str | None:
    token = settings.metrics_token
    return token.get_secret_value() if token else None


async def require_scraper(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """404 while metrics are off; 401 without the operator's token."""
    expected = _expected(settings)
    if expected is None:
        raise MetricsOff()
    if not is_operator_token(expected, authorization):
        raise Unauthorized("send 'Authorization: Bearer <LOYALPASS_METRICS_TOKEN>'")


def require_operator(
    settings: SettingsDep, session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> None:  # fmt: skip
    """The operator's token; a merchant's valid API key is 403, anything else 401."""
    if is_operator_token(_expected(settings), authorization):
        return
    authenticate(session, authorization)  # 401 unless it is a merchant's key
    raise Forbidden("this is the operator's: send the LOYALPASS_METRICS_TOKEN bearer token")


Scraper = Annotated[None, Depends(require_scraper)]
Operator = Annotated[None, Depends(require_operator)]
