"""Staff: creating them, PIN sign-in with a lockout, and the scanner's actions.

A PIN is short, so guessing is what we defend against: each staff member has a random code
to type with it, the PIN is stored as a salted scrypt hash, and five wrong PINs lock the
account for 15 minutes. A session is a random token in an HttpOnly cookie; only its SHA-256
is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlmodel import Session

from api.errors import ApiError, InvalidRequest
from api.ledger.postings import Actor
from api.members import repository as member_repository
from api.members.models import Card, Member
from api.pages.sessions import lookup_hash, new_token, token_hash
from api.programs import repository as program_repository
from api.programs.models import Program
from api.programs.rules import rules_of
from api.rewards import repository as reward_repository
from api.rewards.models import Reward
from api.staff import repository
from api.staff.errors import CardNumberNotFound, InvalidAmount, SignInFailed, SignInLocked
from api.staff.models import Staff, StaffAction, StaffSession
from api.staff.schemas import StaffCreate
from api.stores import repository as store_repository
from api.stores.errors import StoreNotFound
from api.stores.models import Store
from api.transactions import service as transaction_service
from api.transactions.schemas import EarnRequest, PurchaseRequest, RedeemRewardRequest

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LENGTH = timedelta(hours=12)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True, slots=True)
class SignedInStaff:
    """Who is signed in to the scanner, and the store they work at."""

    staff: Staff
    store: Store


def create_staff(session: Session, merchant_id: UUID, data: StaffCreate) -> Staff:
    """A staff member of one of the merchant's stores, with a fresh sign-in code.

    Raises:
        StoreNotFound: the store is not this merchant's.
    """
    if store_repository.get(session, merchant_id, data.store_id) is None:
        raise StoreNotFound()
    code = _new_code(session)
    staff = Staff(
        merchant_id=merchant_id,
        store_id=data.store_id,
        name=data.name,
        code=code,
        pin_hash=hash_pin(data.pin),
    )
    session.add(staff)
    session.flush()
    return staff


def list_staff(session: Session, merchant_id: UUID) -> Sequence[Staff]:
    return repository.list_for_merchant(session, merchant_id)


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def is_pin(pin: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def sign_in(session: Session, code: str, pin: str, *, now: datetime) -> str:
    """A new session token for the staff member with ``code`` and ``pin``.

    Raises:
        SignInFailed: unknown code, inactive staff or wrong PIN.
        SignInLocked: too many wrong PINs in a row; locked for a while.
    """
    staff = repository.get_by_code(session, code.strip().upper())
    if staff is None or not staff.is_active:
        raise SignInFailed()
    if staff.locked_until is not None and staff.locked_until > now:
        raise SignInLocked()
    if not is_pin(pin.strip(), staff.pin_hash):
        staff.failed_attempts += 1
        if staff.failed_attempts >= MAX_ATTEMPTS:
            staff.failed_attempts, staff.locked_until = 0, now + LOCKOUT
            logger.warning("staff sign-in locked", extra={"staff_id": str(staff.id)})
        session.add(staff)
        raise SignInLocked() if staff.locked_until and staff.locked_until > now else SignInFailed()
    staff.failed_attempts, staff.locked_until = 0, None
    token = new_token()
    session.add(staff)
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            merchant_id=staff.merchant_id,
            staff_id=staff.id,
            expires_at=now + SESSION_LENGTH,
            created_at=now,
        )
    )
    session.flush()
    logger.info("staff signed in", extra={"staff_id": str(staff.id)})
    return token


def signed_in(session: Session, token: str | None, *, now: datetime) -> SignedInStaff | None:
    """The staff member and store behind a session cookie, if it is valid."""
    hashed = lookup_hash(token)
    found = repository.signed_in(session, hashed, now) if hashed else None
    return SignedInStaff(*found) if found else None


def sign_out(session: Session, token: str | None) -> None:
    hashed = lookup_hash(token)
    row = repository.get_session(session, hashed) if hashed else None
    if row is not None:
        session.delete(row)


@dataclass(frozen=True, slots=True)
class ScannedCard:
    member: Member
    card: Card
    program: Program
    rewards: Sequence[Reward]


def find_card(session: Session, staff: Staff, number: str) -> ScannedCard:
    """The card a cashier typed or scanned (spaces and dashes ignored).

    Raises:
        CardNumberNotFound: no card of this merchant has that number.
    """
    serial = re.sub(r"[\s-]", "", number)[:32]
    found = member_repository.get_by_serial(session, staff.merchant_id, serial)
    if found is None:
        raise CardNumberNotFound()
    member, card = found
    program = program_repository.get(session, staff.merchant_id, member.program_id)
    if program is None:
        raise CardNumberNotFound()
    rewards = [
        r
        for r in reward_repository.list_rewards(session, staff.merchant_id, program.id)
        if r.is_active
    ]
    return ScannedCard(member, card, program, rewards)


@dataclass(frozen=True, slots=True)
class ScanResult:
    scanned: ScannedCard
    coupon_code: str | None
    notes: Sequence[str]
    is_replay: bool


def act(
    session: Session,
    staff: Staff,
    number: str,
    *,
    action: str,
    nonce: str,
    now: datetime,
    amount: str = "",
    reward_id: str = "",
) -> ScanResult:
    """Credit a purchase, add a stamp or redeem a reward, as ``staff`` at their store.

    The form's ``nonce`` makes a resubmitted form a replay. Everything happens in a savepoint,
    so a refusal leaves nothing behind.

    Raises:
        CardNumberNotFound, InvalidAmount, and the ledger's refusals (InsufficientBalance,
        InsufficientStamps, WrongMechanic, RewardNotFound, RewardLimitReached, ...).
    """
    scanned = find_card(session, staff, number)
    if repository.action_by_nonce(session, staff.merchant_id, nonce) is not None:
        return ScanResult(scanned, None, (), True)
    request = _request(scanned.program, staff, action, nonce, amount, reward_id)
    actor = Actor(f"staff {staff.code}: {staff.name}"[:100], None, staff.store_id)
    with session.begin_nested():
        outcome = transaction_service.record(
            session, staff.merchant_id, scanned.member.id, request, actor=actor, now=now
        )
        session.add(
            StaffAction(
                merchant_id=staff.merchant_id,
                staff_id=staff.id,
                store_id=staff.store_id,
                member_id=scanned.member.id,
                transaction_id=outcome.result.transaction.id,
                kind=action,
                nonce=nonce,
                created_at=now,
            )
        )
        session.flush()
    result = outcome.result
    coupon = result.coupon.code if result.coupon else None
    return ScanResult(scanned, coupon, result.notes, not outcome.is_new)


def _request(
    program: Program, staff: Staff, action: str, nonce: str, amount: str, reward_id: str
) -> PurchaseRequest | EarnRequest | RedeemRewardRequest:
    if action == "purchase":
        try:
            value = Decimal(amount.replace(",", ".").replace(" ", ""))
        except ArithmeticError:
            raise InvalidAmount() from None
        if not value.is_finite() or value <= 0 or value > Decimal("1000000000"):
            raise InvalidAmount()
        currency = rules_of(program).currency
        return PurchaseRequest(
            kind="purchase",
            amount=value.quantize(Decimal("0.01")),
            currency=currency,
            receipt_id=f"scan-{nonce}",
            location_id=staff.store_id,
        )
    if action == "stamp":
        return EarnRequest(kind="earn", stamps=1, reason="scanner", location_id=staff.store_id)
    if action == "redeem":
        try:
            reward = UUID(reward_id)
        except ValueError:
            raise InvalidRequest("choose a reward") from None
        return RedeemRewardRequest(
            kind="redeem_reward", reward_id=reward, location_id=staff.store_id
        )
    raise InvalidRequest(f"unknown action {action!r}")


def refusal(exc: ApiError) -> str:
    """What to tell the cashier when the ledger refuses."""
    return f"{exc.title}: {exc.detail}" if exc.detail else exc.title


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        if not repository.code_exists(session, code):
            return code


def record_handover(session: Session, staff: Staff, scanned: ScannedCard, *, now: datetime) -> None:
    """Staff showed a member their card's link (a QR code to open it on a new phone): kept in
    the staff actions, so the merchant can see who handed out which card."""
    session.add(
        StaffAction(
            merchant_id=staff.merchant_id, staff_id=staff.id, store_id=staff.store_id,
            member_id=scanned.member.id, kind="handover", nonce=secrets.token_urlsafe(16),
            created_at=now,
        )
    )  # fmt: skip
    session.flush()
    logger.info("card handed over at the till", extra={"member_id": str(scanned.member.id)})
