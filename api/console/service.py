"""The console's rules: sign-in with an API key, what its pages show and what their forms do.

Signing in takes an ``admin`` or ``read`` key (a ``pos`` key belongs to a till). A read key
sees everything and changes nothing: whether the signed-in key may edit is decided once, by
the sign-in dependency (``api.console.auth``), and the forms read ``ConsoleCaller.can_edit``.
Each change goes through the same service the JSON API uses, so the console cannot do what
the API would refuse.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlmodel import Session

from api.campaigns import service as campaign_service
from api.campaigns.models import Campaign
from api.cards.apple import AppleWallet
from api.clock import utcnow
from api.console import reach, repository
from api.console.charts import Chart, bar_chart
from api.console.errors import ConsoleSignInFailed
from api.console.models import ConsoleSession
from api.console.preview import Preview, Sample, build_preview
from api.delivery import service as delivery_service
from api.enrolment import qr
from api.errors import ApiError, Forbidden, Unauthorized
from api.mechanics import service as mechanics_service
from api.mechanics.schemas import CompleteRules
from api.members import service as member_service
from api.merchants.models import Role
from api.merchants.service import Caller, authenticate
from api.messaging import service as messaging_service
from api.pages.sessions import lookup_hash, new_token, token_hash
from api.paging import PageRequest
from api.programs import service as program_service
from api.programs.rules import rules_of
from api.rewards import service as reward_service
from api.rewards.schemas import RewardCreate
from api.segments import service as segment_service
from api.segments.filters import SegmentFilter
from api.transactions import service as transaction_service
from passes import CardDesign

logger = logging.getLogger(__name__)
SESSION_LENGTH = timedelta(hours=8)
CHART_DAYS = 30
PAGE_SIZE = 25
PageContext = dict[str, Any]  # what a console template is rendered with


@dataclass(frozen=True, slots=True)
class ConsoleCaller:
    """Who is signed in to the console, and whether their key may change anything."""

    caller: Caller
    can_edit: bool

    @property
    def merchant_id(self) -> UUID:
        return self.caller.merchant_id


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
    token = new_token()
    session.add(
        ConsoleSession(
            token_hash=token_hash(token),
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
    hashed = lookup_hash(token)
    key = repository.signed_in(session, hashed, now) if hashed else None
    if key is None:
        return None
    return Caller(
        merchant_id=key.merchant_id, key_id=key.id, role=Role(key.role), key_prefix=key.prefix
    )


def sign_out(session: Session, token: str | None) -> None:
    hashed = lookup_hash(token)
    row = repository.get_session(session, hashed) if hashed else None
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


def members_page(
    session: Session, merchant_id: UUID, *, q: str, program: str, offset: int, public_url: str
) -> PageContext:
    """Members, newest first, searched by name, phone, email or card number."""
    found = member_service.search(
        session, merchant_id, query=q or None, program_id=parse_uuid(program), limit=PAGE_SIZE,
        offset=offset, public_url=public_url,
    )  # fmt: skip
    programs = program_service.list_programs(session, merchant_id)
    return {"found": found, "q": q, "program": program, "programs": programs,
            "page_size": PAGE_SIZE}  # fmt: skip


def member_page(
    session: Session, merchant_id: UUID, member_id: UUID, *, public_url: str, now: datetime
) -> PageContext:
    """One member with their ledger, whether their card reached the phones, and their email
    and SMS messages with their delivery status.

    Raises:
        MemberNotFound: no such member for this merchant.
    """
    found, card = member_service.get_member(session, merchant_id, member_id)
    public = member_service.public(session, found, card, public_url=public_url)
    ledger = transaction_service.list_transactions(
        session, merchant_id, member_id, limit=100, offset=0
    )
    delivery = delivery_service.card_delivery(session, card, now=now)
    consents = messaging_service.marketing_consents(session, found.id)
    messages, _ = campaign_service.member_messages(session, merchant_id, member_id,
                                                   PageRequest(limit=50))  # fmt: skip
    return {"member": public, "ledger": ledger, "delivery": delivery, "consents": consents,
            "messages": messages}  # fmt: skip


def programs_page(session: Session, merchant_id: UUID) -> PageContext:
    return {"programs": program_service.list_programs(session, merchant_id)}


def stores_page(session: Session, merchant_id: UUID) -> PageContext:
    """The stores with their coordinates, and the programs whose join QR codes they print."""
    return {"stores": repository.stores(session, merchant_id),
            "programs": program_service.list_programs(session, merchant_id)}  # fmt: skip


def preview(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    *,
    wallet: AppleWallet,
    designs: Mapping[str, CardDesign],
    sample: Sample,
    today: date,
) -> Preview:
    """A sample card of the program, as both wallets would show it. Raises: ProgramNotFound."""
    found = program_service.get_program(session, merchant_id, program_id)
    return build_preview(
        wallet, designs[found.design], stamps_required=found.stamps_required, sample=sample,
        today=today,
    )  # fmt: skip


def program_page(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    *,
    public_url: str,
    preview: Preview,
    sample: Sample,
    error: str | None = None,
    rules_text: str | None = None,
) -> PageContext:
    """A program's settings, rewards, join link and card preview. Raises: ProgramNotFound."""
    found = program_service.get_program(session, merchant_id, program_id)
    rules = rules_of(found)
    return {
        "program": found,
        "rules_text": rules_text or rules.model_dump_json(indent=2),
        "rewards": reward_service.list_rewards(session, merchant_id, found.id),
        "join_url": qr.join_url(public_url, found.public_slug),
        "preview": preview,
        "sample": sample,
        "error": error,
    }


def change_program(
    session: Session, user: ConsoleCaller, program_id: UUID, fields: Mapping[str, str]
) -> str | None:
    """Apply the program form: ``action=rules`` saves the mechanics (JSON), ``action=reward``
    adds a reward. The error to show on the form, or None when saved."""
    action = fields.get("action")
    try:
        if action in ("rules", "reward") and not user.can_edit:
            raise Forbidden(f"this needs a key with role {Role.admin}")
        if action == "rules":
            return replace_rules(
                session, user.caller, program_id, fields.get("rules", ""),
                confirm=[part for part in fields.get("confirm", "").split(",") if part],
            )  # fmt: skip
        if action == "reward":
            data = RewardCreate(name=fields.get("name", ""), cost_points=fields.get("cost") or None)
            reward_service.create_reward(session, user.caller, program_id, data)
    except ValidationError as exc:
        return "; ".join(str(e["msg"]) for e in exc.errors())
    except ApiError as exc:
        return exc.detail or exc.title
    return None


def replace_rules(
    session: Session, caller: Caller, program_id: UUID, rules_json: str, *, confirm: list[str]
) -> str | None:
    """Save a program's mechanics from the console's JSON editor (a complete document, as
    ``PUT`` takes it); the error text otherwise."""
    try:
        rules = CompleteRules.model_validate_json(rules_json)
    except ValidationError as exc:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'rules'}: {e['msg']}" for e in exc.errors()
        )
    mechanics_service.replace_rules(
        session, caller, program_id, rules, confirm=confirm, now=utcnow()
    )
    return None


def parse_uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


def campaigns_page(
    session: Session, merchant_id: UUID, fields: Mapping[str, str], *, now: datetime
) -> PageContext:
    """The campaign form (of the named program, else the first), its audience counted now,
    and the program's saved segments and sent campaigns."""
    programs = program_service.list_programs(session, merchant_id)
    program_id = parse_uuid(fields.get("program", "")) or (programs[0].id if programs else None)
    shown = {**fields, "program": str(program_id or "")}
    count, error = audience(session, merchant_id, shown, now=now)
    segments = (
        segment_service.list_for_program(session, merchant_id, program_id) if program_id else []
    )
    sent = campaign_service.list_for_program(session, merchant_id, program_id) if program_id else []
    return {"programs": programs, "fields": shown, "count": count, "segments": segments,
            "campaigns": sent, "audience_error": error}  # fmt: skip


def audience(
    session: Session, merchant_id: UUID, fields: Mapping[str, str], *, now: datetime
) -> tuple[int | None, str | None]:
    """How many members the campaign form's audience has; or the error in the form."""
    try:
        program_id, segment_id, segment = _audience_of(fields)
        if program_id is None:
            return None, None
        if segment_id is not None:
            saved = segment_service.get(session, merchant_id, segment_id)
            segment = SegmentFilter.model_validate(saved.filter)
        count = campaign_service.audience_count(
            session, merchant_id, program_id, segment or SegmentFilter(), now
        )
    except (ApiError, ValueError) as exc:
        return None, _error_text(exc)
    return count, None


def send_campaign(
    session: Session, user: ConsoleCaller, fields: Mapping[str, str], *, now: datetime
) -> tuple[Campaign | None, str | None]:
    """Send the campaign form's message now: the campaign, or the error in the form."""
    try:
        if not user.can_edit:
            raise Forbidden(f"this needs a key with role {Role.admin}")
        program_id, segment_id, segment = _audience_of(fields)
        if program_id is None:
            raise ValueError("choose a program")
        campaign = campaign_service.create(
            session, user.caller, program_id, name=fields.get("name", "").strip()[:100],
            message=fields.get("message", "").strip(), segment_id=segment_id, segment=segment,
            send_at=None, now=now, channels=reach.channels_of(fields),
        )  # fmt: skip
    except (ApiError, ValueError) as exc:
        return None, _error_text(exc)
    return campaign, None


def _audience_of(
    fields: Mapping[str, str],
) -> tuple[UUID | None, UUID | None, SegmentFilter | None]:
    """The program, saved segment and inline filter a campaign form names."""
    segment_id = parse_uuid(fields.get("segment", ""))
    conditions = {
        name: fields[name]
        for name in ("min_balance", "visited_within_days", "not_visited_for_days")
        if fields.get(name, "").strip()
    }
    segment = None if segment_id else SegmentFilter.model_validate(conditions)
    return parse_uuid(fields.get("program", "")), segment_id, segment


def _error_text(exc: ApiError | ValueError) -> str:
    if isinstance(exc, ApiError):
        return exc.detail or exc.title
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}".lstrip(": ")
    return str(exc)
