"""Posting to a locked member's account: entries with ``balance_after``, lots, allocations.

Everything that changes a balance goes through :class:`Book`, so the member's ``points`` and
``stamps`` always equal the sum of their entries and never go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.db import insert_row
from api.ledger import repository
from api.ledger.engine import expiry_for
from api.ledger.errors import InsufficientBalance, InsufficientStamps
from api.ledger.models import Currency, EntryKind, LedgerEntry, LotAllocation, PointLot
from api.members.models import Member
from api.programs.rules import ProgramRules


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: an API key, a staff member, or the scheduler."""

    label: str
    key_id: UUID | None = None
    location_id: UUID | None = None


@dataclass
class Book:
    """Postings for one locked member within one transaction."""

    session: Session
    member: Member
    rules: ProgramRules
    actor: Actor
    now: datetime
    transaction_id: UUID | None = None
    receipt_id: str | None = None
    entries: list[LedgerEntry] = field(default_factory=list)

    def credit_points(self, amount: int, kind: EntryKind, reason: str | None = None) -> None:
        """Add points as a new lot that expires by the program's policy."""
        if amount <= 0:
            return
        self.member.points += amount
        entry = self._entry(kind, Currency.points, amount, self.member.points, reason)
        expires_at = expiry_for(self.now, self.rules.expiry, self.rules.zone)
        insert_row(
            self.session,
            PointLot(
                merchant_id=self.member.merchant_id,
                member_id=self.member.id,
                entry_id=entry.id,
                transaction_id=self.transaction_id,
                amount=amount,
                remaining=amount,
                expires_at=expires_at,
                created_at=self.now,
            ),
        )

    def debit_points(
        self,
        amount: int,
        kind: EntryKind,
        reason: str | None = None,
        *,
        first: list[PointLot] | None = None,
    ) -> None:
        """Take points from lots, soonest-expiring first (``first`` lots before all others).

        Raises:
            InsufficientBalance: the member has fewer than ``amount`` points.
        """
        if amount <= 0:
            return
        if amount > self.member.points:
            raise InsufficientBalance(
                f"the member has {self.member.points} points, {amount} are needed",
                balance=self.member.points,
            )
        self.member.points -= amount
        entry = self._entry(kind, Currency.points, -amount, self.member.points, reason)
        self.session.flush()  # lots must reflect earlier postings of this transaction
        preferred = first or []
        seen = {lot.id for lot in preferred}
        others = [lot for lot in repository.open_lots(self.session, self.member.id)]
        left = amount
        for lot in [*preferred, *(lot for lot in others if lot.id not in seen)]:
            if left == 0:
                break
            take = min(lot.remaining, left)
            if take <= 0:
                continue
            lot.remaining -= take
            left -= take
            self.session.add(LotAllocation(entry_id=entry.id, lot_id=lot.id, amount=take))
        if left:  # balance and lots disagree: never silently
            raise RuntimeError(f"lots of member {self.member.id} are {left} points short")

    def expire_lot(self, lot: PointLot) -> None:
        """Write an ``expire`` entry for what is left of ``lot``."""
        amount = min(lot.remaining, self.member.points)
        lot_left, lot.remaining = lot.remaining, 0
        if amount <= 0:
            return
        self.member.points -= amount
        entry = self._entry(
            EntryKind.expire,
            Currency.points,
            -amount,
            self.member.points,
            f"{lot_left} points earned {lot.created_at:%Y-%m-%d} expired",
        )
        self.session.add(LotAllocation(entry_id=entry.id, lot_id=lot.id, amount=amount))

    def credit_stamps(self, amount: int, kind: EntryKind, reason: str | None = None) -> None:
        if amount <= 0:
            return
        self.member.stamps += amount
        self._entry(kind, Currency.stamps, amount, self.member.stamps, reason)

    def debit_stamps(self, amount: int, kind: EntryKind, reason: str | None = None) -> None:
        """Raises: InsufficientStamps: the member has fewer than ``amount`` stamps."""
        if amount <= 0:
            return
        if amount > self.member.stamps:
            raise InsufficientStamps(
                f"the member has {self.member.stamps} stamps, {amount} are needed",
                stamps=self.member.stamps,
            )
        self.member.stamps -= amount
        self._entry(kind, Currency.stamps, -amount, self.member.stamps, reason)

    def _entry(
        self, kind: EntryKind, currency: Currency, amount: int, balance: int, reason: str | None
    ) -> LedgerEntry:
        self.member.ledger_sequence += 1
        entry = LedgerEntry(
            sequence=self.member.ledger_sequence,
            merchant_id=self.member.merchant_id,
            member_id=self.member.id,
            transaction_id=self.transaction_id,
            kind=kind,
            currency=currency,
            amount=amount,
            balance_after=balance,
            actor_key_id=self.actor.key_id,
            actor=self.actor.label,
            location_id=self.actor.location_id,
            receipt_id=self.receipt_id,
            reason=reason,
            created_at=self.now,
        )
        insert_row(self.session, entry)  # append-only: never changed after this
        self.session.add(self.member)
        self.entries.append(entry)
        return entry
