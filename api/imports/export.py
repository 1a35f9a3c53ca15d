"""A program's members, ledger, coupons and promo codes as CSV, streamed: rows are read with
a server-side cursor in chunks (``yield_per``) and written as they come, so memory stays
constant at any size. The members file imports back (its headers are the import's names).

CSV injection: a text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select
from sqlmodel import col

from api.ledger.models import LedgerEntry
from api.members.models import Card, Member
from api.promos.models import Promo, PromoCode
from api.rewards.models import Coupon, Reward

CHUNK = 1_000


class Dataset(StrEnum):
    members = "members"
    ledger = "ledger"
    coupons = "coupons"
    promo_codes = "promo-codes"


HEADERS: dict[Dataset, tuple[str, ...]] = {
    Dataset.members: (
        "member_id", "external_id", "name", "phone", "email", "birthday", "points", "stamps",
        "tier", "card_number", "referral_code", "created_at",
    ),
    Dataset.ledger: (
        "entry_id", "created_at", "member_id", "external_id", "transaction_id", "kind",
        "currency", "amount", "balance_after", "sequence", "actor", "receipt_id", "reason",
    ),
    Dataset.coupons: (
        "coupon_id", "code", "reward", "member_id", "external_id", "valid_until", "used_at",
        "created_at",
    ),
    Dataset.promo_codes: ("promo_id", "promo", "code", "uses", "created_at"),
}  # fmt: skip


def rows(engine: Engine, merchant_id: UUID, program_id: UUID, dataset: Dataset) -> Iterator[str]:
    """The CSV text of ``dataset``, a chunk of lines at a time (the header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS[dataset])
    yield _take(buffer)
    with engine.connect() as connection:
        query = _query(dataset, merchant_id, program_id)
        streamed = connection.execution_options(yield_per=CHUNK).execute(query)
        for partition in streamed.partitions():
            for row in partition:
                writer.writerow([_cell(value) for value in row])
            yield _take(buffer)


def _query(dataset: Dataset, merchant_id: UUID, program_id: UUID) -> Any:
    in_program = (Member.merchant_id == merchant_id, Member.program_id == program_id)
    if dataset is Dataset.members:
        return (
            _select(
                Member.id,
                Member.external_id,
                Member.name,
                Member.phone,
                Member.email,
                Member.birthday,
                Member.points,
                Member.stamps,
                Member.tier,
                Card.serial_number,
                Member.referral_code,
                Member.created_at,
            )  # fmt: skip
            .join(Card, col(Card.member_id) == col(Member.id))
            .where(*in_program)
            .order_by(col(Member.created_at), col(Member.id))
        )
    if dataset is Dataset.ledger:
        return (
            _select(
                LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.member_id, Member.external_id,
                LedgerEntry.transaction_id, LedgerEntry.kind, LedgerEntry.currency,
                LedgerEntry.amount, LedgerEntry.balance_after, LedgerEntry.sequence,
                LedgerEntry.actor, LedgerEntry.receipt_id, LedgerEntry.reason,
            )  # fmt: skip
            .join(Member, col(Member.id) == col(LedgerEntry.member_id))
            .where(LedgerEntry.merchant_id == merchant_id, *in_program)
            .order_by(col(LedgerEntry.created_at), col(LedgerEntry.member_id),
                      col(LedgerEntry.sequence))
        )  # fmt: skip
    if dataset is Dataset.coupons:
        return (
            _select(
                Coupon.id,
                Coupon.code,
                Reward.name,
                Coupon.member_id,
                Member.external_id,
                Coupon.valid_until,
                Coupon.used_at,
                Coupon.created_at,
            )  # fmt: skip
            .join(Member, col(Member.id) == col(Coupon.member_id))
            .join(Reward, col(Reward.id) == col(Coupon.reward_id))
            .where(Coupon.merchant_id == merchant_id, *in_program)
            .order_by(col(Coupon.created_at), col(Coupon.id))
        )
    return (
        _select(Promo.id, Promo.name, PromoCode.code, PromoCode.uses, PromoCode.created_at)
        .join(Promo, col(Promo.id) == col(PromoCode.promo_id))
        .where(PromoCode.merchant_id == merchant_id, Promo.program_id == program_id)
        .order_by(col(PromoCode.created_at), col(PromoCode.id))
    )


def _select(*columns: Any) -> Any:
    return select(*columns)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_phone(value):
        return "'" + value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _is_phone(value: str) -> bool:
    return value.startswith("+") and value[1:].isdigit()


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
