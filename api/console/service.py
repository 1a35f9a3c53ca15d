"""The console's rules: sign-in with an API key, and what its pages read and change.

Signing in takes an ``admin`` or ``read`` key (a ``pos`` key belongs to a till). A read key
sees everything and changes nothing. Each change goes through the same service the JSON API
uses, so the console cannot do what the API would refuse.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from pydantic import ValidationError
from sqlmodel import Session

from api.console import repository
from api.console.charts import Chart, bar_chart
from api.console.models import ConsoleSession
from api.errors import Unauthorized
from api.merchants.models import Role
from api.merchants.service import Caller, authenticate
from api.programs import service as program_service
from api.programs.models import Program
from api.programs.rules import ProgramRules
from api.stores.models import Store

logger = logging.getLogger(__name__)
SESSION_LENGTH = timedelta(hours=8)
CHART_DAYS = 30


class ConsoleSignInFailed(Unauthorized):
    code, title = "console_sign_in_failed", "Unknown, revoked or till-only API key"


def sign_in(session: Session, api_key: str, *, now: datetime) -> str:
    """A console session token for an admin or read key.

    Raises:
        ConsoleSignInFailed: the key is unknown, revoked, or a ``pos`` key.
    """
    try:
        caller = authenticate(session, f"Bearer {api_key.strip()[:200]}")
    except Unauthorized:
        raise ConsoleSignInFailed() from None
    if caller.role not in (Role.admin, Role.read):
        raise ConsoleSignInFailed()
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_hash(token),
            merchant_id=caller.merchant_id,
            api_key_id=caller.key_id,
            expires_at=now + SESSION_LENGTH,
            created_at=now,
        )
    )
    session.flush()
    logger.info("console signed in", extra={"key_prefix": caller.key_prefix})
    return token


def signed_in(session: Session, token: str | None, *, now: datetime) -> Caller | None:
    """Who is behind a console cookie, while the session lasts and the key is not revoked."""
    if not token or len(token) > 100:
        return None
    key = repository.signed_in(session, _hash(token), now)
    if key is None:
        return None
    return Caller(
        merchant_id=key.merchant_id, key_id=key.id, role=Role(key.role), key_prefix=key.prefix
    )


def sign_out(session: Session, token: str | None) -> None:
    if token and len(token) <= 100:
        row = repository.get_session(session, _hash(token))
        if row is not None:
            session.delete(row)


def charts(session: Session, merchant_id: UUID, *, now: datetime) -> list[Chart]:
    """Enrolments, purchases and active members (who bought that day), per UTC day."""
    today = now.date()
    since = datetime.combine(
        today - timedelta(days=CHART_DAYS - 1), datetime.min.time(), now.tzinfo
    )
    enrolled = repository.enrolments_by_day(session, merchant_id, since)
    purchases, active = repository.purchases_by_day(session, merchant_id, since)
    return [
        bar_chart("chart_enrolments", enrolled, last=today, days=CHART_DAYS),
        bar_chart("chart_purchases", purchases, last=today, days=CHART_DAYS),
        bar_chart("chart_active", active, last=today, days=CHART_DAYS),
    ]


def stores(session: Session, merchant_id: UUID) -> Sequence[Store]:
    return repository.stores(session, merchant_id)


def replace_rules(
    session: Session, caller: Caller, program_id: UUID, rules_json: str
) -> tuple[Program | None, str | None]:
    """Save a program's mechanics from the console's JSON editor; the error text otherwise.

    Raises:
        Forbidden: a read-only key.
    """
    caller.require(Role.admin)
    try:
        rules = ProgramRules.model_validate_json(rules_json)
    except ValidationError as exc:
        return None, "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'rules'}: {e['msg']}" for e in exc.errors()
        )
    return program_service.replace_rules(session, caller.merchant_id, program_id, rules), None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
