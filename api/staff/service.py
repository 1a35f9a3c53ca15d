"""Staff: creating them, PIN sign-in with a lockout, and the scanner's actions.

A PIN is short, so guessing is what we defend against: each staff member has a random code
to type with it, the PIN is stored as a salted scrypt hash, and wrong PINs lock sign-in for
15 minutes (``LOCKOUT``). Three counters, each exact under concurrency, decide:

- per staff code *and* client address: ``MAX_ATTEMPTS`` (5) wrong PINs. The attempt is
  counted (``api.ratelimits``) before its PIN is checked, so parallel requests cannot get
  more than 5 PINs checked; a right PIN clears the count. Keyed by address too, so someone
  guessing from elsewhere locks out only themselves, not the cashier at the till;
- per client address, whatever the codes: ``ADDRESS_ATTEMPTS`` (20) wrong PINs, so one
  address cannot try 5 PINs on every code it can think of;
- per staff code from all addresses together: ``CODE_ATTEMPTS`` (20), on the staff row read
  ``FOR UPDATE``. It bounds guessing spread over many addresses; the price is that such an
  attack can lock the code for everyone, for 15 minutes at a time (the merchant can give the
  cashier a new code by creating the staff member again).

An unknown code costs the same as a known one (its PIN is checked against a dummy hash), so
timing does not tell which codes exist. A session is a random token in an HttpOnly cookie;
only its SHA-256 is stored.
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

from api.clock import utcnow
from api.errors import ApiError, InvalidRequest
from api.ledger.postings import Actor
from api.members import repository as member_repository
from api.members.models import Card, Member
from api.pages.sessions import lookup_hash, new_token, token_hash
from api.paging import PageRequest
from api.programs import repository as program_repository
from api.programs.models import Program
from api.programs.rules import rules_of
from api.ratelimits import service as ratelimits
from api.ratelimits.service import Verdict
from api.rewards import repository as reward_repository
from api.rewards import service as reward_service
from api.rewards.models import Coupon, Reward
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
MAX_ATTEMPTS = 5  # wrong PINs per staff code and client address, per LOCKOUT
ADDRESS_ATTEMPTS = 20  # wrong PINs per client address, whatever the codes
CODE_ATTEMPTS = 20  # wrong PINs per staff code, from all addresses together
LOCKOUT = timedelta(minutes=15)
CODE_SCOPE, ADDRESS_SCOPE = "staff_pin", "staff_pin_address"
# The hash of a PIN nobody knows: an unknown code's PIN is checked against it, so an unknown
# code takes as long as a known one.
_DUMMY_HASH = (
    "scrypt$9515a21af0e7a6e5f74b749367a430a8$7aebe190d7d1bee1d33a2a94284201dc8af73694f72c72"
    "a092d83e63f3b9b072ecb8bd6e617460d2faf3ef01a9264b7301350afb86cfb5a907f0c733d78c990f"
)
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
    code = new_code(session)
    staff = Staff(
        merchant_id=merchant_id,
        store_id=data.store_id,
        name=data.name,
        code=code,
        pin_hash=hash_pin(data.pin),
        role=data.role,
    )
    session.add(staff)
    session.flush()
    return staff


def list_staff(session: Session, merchant_id: UUID) -> Sequence[Staff]:
    return repository.list_for_merchant(session, merchant_id)


def page_staff(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[Staff], int]:
    """A page of the merchant's staff, in the order they were added."""
    return repository.page_for_merchant(session, merchant_id, page)


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def is_pin(pin: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def sign_in(session: Session, code: str, pin: str, *, client: str, now: datetime) -> str:
    """A new session token for the staff member with ``code`` and ``pin``, signing in from
    the address ``client``.

    Raises:
        SignInFailed: unknown code, inactive staff or wrong PIN.
        SignInLocked: too many wrong PINs (see the module docstring); try again later.
    """
    code = code.strip().upper()[:12]
    # Counted before the PIN is checked, always in this order (address, then code).
    by_address = ratelimits.hit(session, ADDRESS_SCOPE, client, limit=ADDRESS_ATTEMPTS,
                                window=LOCKOUT, now=now)  # fmt: skip
    by_code = ratelimits.hit(session, CODE_SCOPE, f"{code} {client}", limit=MAX_ATTEMPTS,
                             window=LOCKOUT, now=now)  # fmt: skip
    if not (by_address.allowed and by_code.allowed):
        raise SignInLocked(retry_after=_retry_after(by_address, by_code))
    staff = repository.lock_by_code(session, code)
    if staff is not None and staff.locked_until is not None and staff.locked_until > now:
        raise SignInLocked(retry_after=_seconds_until(staff.locked_until, now))
    is_right = is_pin(pin.strip()[:64], staff.pin_hash if staff is not None else _DUMMY_HASH)
    if staff is None or not staff.is_active or not is_right:
        if staff is not None:
            _count_failure(session, staff, now)
        if staff is not None and staff.locked_until is not None and staff.locked_until > now:
            raise SignInLocked(retry_after=_seconds_until(staff.locked_until, now))
        if by_address.remaining == 0 or by_code.remaining == 0:
            raise SignInLocked(retry_after=_retry_after(by_address, by_code))
        raise SignInFailed()
    ratelimits.reset(session, CODE_SCOPE, f"{code} {client}")
    ratelimits.forgive(session, ADDRESS_SCOPE, client, now=now)
    staff.failed_attempts, staff.locked_until = 0, None
    staff.last_sign_in_at = now
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


def _count_failure(session: Session, staff: Staff, now: datetime) -> None:
    """One more wrong PIN for the code (the row is locked); lock it at ``CODE_ATTEMPTS``."""
    staff.failed_attempts += 1
    if staff.failed_attempts >= CODE_ATTEMPTS:
        staff.failed_attempts, staff.locked_until = 0, now + LOCKOUT
        logger.warning("staff sign-in locked", extra={"staff_id": str(staff.id)})
    session.add(staff)
    session.flush()


def _retry_after(*verdicts: Verdict) -> int:
    return max(v.retry_after_seconds for v in verdicts if not v.allowed or v.remaining == 0)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds()) + 1)


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
    rewards: Sequence[Reward]  # what the member can redeem now (nothing they cannot use)
    coupons: Sequence[tuple[Coupon, Reward]] = ()  # unused, unexpired, soonest first

    @property
    def discount_percent(self) -> int:
        """The tier's discount the cashier applies before ringing the sale."""
        return rules_of(self.program).discount_percent(self.member.tier)


def find_card(
    session: Session, staff: Staff, number: str, *, now: datetime | None = None
) -> ScannedCard:
    """The card a cashier typed or scanned (spaces, dashes and the letters of a design's
    ``card.barcode_prefix`` ignored: card numbers are digits), with the rewards the member can
    redeem and the coupons they hold.

    Raises:
        CardNumberNotFound: no card of this merchant has that number.
    """
    serial = re.sub(r"^[A-Za-z]{1,8}|[\s-]", "", number)[:32]
    found = member_repository.get_by_serial(session, staff.merchant_id, serial)
    if found is None:
        raise CardNumberNotFound()
    member, card = found
    program = program_repository.get(session, staff.merchant_id, member.program_id)
    if program is None:
        raise CardNumberNotFound()
    now = now or utcnow()
    rewards = reward_service.offerable(session, member, program, now=now)
    coupons = reward_repository.usable_coupons(session, staff.merchant_id, member.id, now=now)
    return ScannedCard(member, card, program, rewards, coupons)


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
    scanned = find_card(session, staff, number, now=now)
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
    after = find_card(session, staff, number, now=now)  # the rewards and coupons changed too
    return ScanResult(after, coupon, result.notes, not outcome.is_new)


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


def new_code(session: Session) -> str:
    """A sign-in code no staff member has."""
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
