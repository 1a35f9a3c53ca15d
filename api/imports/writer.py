"""Writing imported members in batches: members, cards, one ``import`` transaction each with
its ``import`` ledger entries (opening points as a lot, stamps) and the outbox row that tells
Google of the new card: one statement per table per batch, a COPY on PostgreSQL and an
executemany of Core INSERTs on SQLite.

The balances start where the entries say (``balance_after``, ``sequence`` 1 and 2), so the
ledger explains every opening balance like any other movement.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from sqlalchemy import String, Table, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from api.imports import rows as import_rows
from api.ledger.engine import expiry_for
from api.ledger.models import (
    Currency,
    EntryKind,
    LedgerEntry,
    PointLot,
    Transaction,
    TransactionKind,
)
from api.members.models import Card, Member
from api.outbox.models import OutboxEvent
from api.programs.models import Program
from api.programs.rules import rules_of

_ATTEMPTS = 5  # draws of card numbers and referral codes before a batch gives up
WHOLE_PROGRAM = 5_000  # more members than this: compared with every key of the program
_CHUNK = 1_000  # values per look-up query


def existing_keys(
    session: Session, program_id: UUID, members: list[import_rows.Member]
) -> set[tuple[str, str]]:
    """The (key, value) pairs of ``members`` that a member of the program already has.

    A large file is compared with all the program's keys, read in one pass; a batch looks
    its own values up (a join, below), which costs the same at any size of the program.
    """
    if len(members) > WHOLE_PROGRAM:
        return _program_keys(session, program_id) & {
            (key, getattr(m, key)) for m in members for key in import_rows.KEYS if getattr(m, key)
        }
    found: set[tuple[str, str]] = set()
    for start in range(0, len(members), _CHUNK):
        found |= _lookup(session, program_id, members[start : start + _CHUNK])
    return found


def _lookup(
    session: Session, program_id: UUID, members: list[import_rows.Member]
) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    postgresql = session.get_bind().dialect.name == "postgresql"
    for key in import_rows.KEYS:
        values = {getattr(m, key) for m in members if getattr(m, key)}
        if not values:
            continue
        column = col(getattr(Member, key))
        if postgresql:
            # Joined to the values as a table: ``IN``/``= ANY`` with 1,000 values is planned
            # as a filter on every member of the program (1,000 comparisons a row: seconds
            # per batch at 100,000 members), a join is a hash or an index look-up per value.
            given = func.unnest(bindparam(f"{key}s", sorted(values), type_=ARRAY(String)))
            wanted = given.table_valued("value").render_derived()
            query = (
                select(column)
                .join(wanted, column == wanted.c.value)
                .where(Member.program_id == program_id)
            )
        else:
            query = select(column).where(Member.program_id == program_id, column.in_(values))
        found.update((key, value) for value in session.exec(query))
    return found


def _program_keys(session: Session, program_id: UUID) -> set[tuple[str, str]]:
    query = select(Member.phone, Member.email, Member.external_id).where(
        Member.program_id == program_id
    )
    found: set[tuple[str, str]] = set()
    for row in session.execute(query.execution_options(yield_per=10_000)):
        pairs = zip(import_rows.KEYS, row, strict=True)
        found.update((key, value) for key, value in pairs if value)
    return found


def is_known(member: import_rows.Member, keys: set[tuple[str, str]]) -> bool:
    return any((key, getattr(member, key)) in keys for key in import_rows.KEYS)


def write(
    session: Session,
    program: Program,
    members: list[import_rows.Member],
    *,
    actor: str,
    reason: str,
    now: datetime,
) -> int:
    """Insert the members of ``members`` the program does not have yet; returns how many.

    Rows that a member of the program already matches (by phone, email or external id) are
    skipped, so a batch written twice changes nothing the second time.
    """
    known = existing_keys(session, program.id, members)
    new = [m for m in members if not is_known(m, known)]
    if not new:
        return 0
    for attempt in range(_ATTEMPTS):
        try:
            with session.begin_nested():
                _insert(session, program, new, actor=actor, reason=reason, now=now)
            return len(new)
        except IntegrityError:
            # A card number or referral code drawn twice (or taken meanwhile): draw again.
            if attempt == _ATTEMPTS - 1:
                raise
    return 0  # unreachable


def _insert(
    session: Session,
    program: Program,
    new: list[import_rows.Member],
    *,
    actor: str,
    reason: str,
    now: datetime,
) -> None:
    rules = rules_of(program)
    expires_at = expiry_for(now, rules.expiry, rules.zone)
    merchant_id = program.merchant_id
    # Each table's defaults taken once from a model instance (building a SQLModel object per
    # row costs more than its INSERT); each row then overrides what is its own.
    member_base = _values(
        Member(merchant_id=merchant_id, program_id=program.id, name="", referral_code="")
    )
    card_base = _values(
        Card(merchant_id=merchant_id, member_id=program.id, serial_number="", public_token="",
             authentication_token="", updated_at=now)
    )  # fmt: skip
    transaction_base = _values(
        Transaction(merchant_id=merchant_id, member_id=program.id, kind=TransactionKind.import_,
                    actor=actor, created_at=now)
    )  # fmt: skip
    entry_base = _values(
        LedgerEntry(merchant_id=merchant_id, member_id=program.id, kind=EntryKind.import_,
                    currency=Currency.points, amount=0, balance_after=0, actor=actor,
                    created_at=now)
    )  # fmt: skip
    lot_base = _values(
        PointLot(merchant_id=merchant_id, member_id=program.id, entry_id=program.id, amount=0,
                 remaining=0, expires_at=expires_at, created_at=now)
    )  # fmt: skip
    outbox_base = _values(
        OutboxEvent(merchant_id=merchant_id, card_id=program.id, kind="enrol", card_version=1,
                    created_at=now, apple_done_at=now)
    )  # fmt: skip
    del outbox_base["id"]  # autoincrement
    tables: dict[type[SQLModel], list[dict[str, Any]]] = {
        Member: [], Card: [], Transaction: [], LedgerEntry: [], PointLot: [], OutboxEvent: []
    }  # fmt: skip
    for row in new:
        member_id, card_id, transaction_id = uuid4(), uuid4(), uuid4()
        amounts = [(Currency.points, row.points), (Currency.stamps, row.stamps)]
        entries = [(currency, amount) for currency, amount in amounts if amount > 0]
        tables[Member].append(
            {**member_base, "id": member_id, "name": row.name, "phone": row.phone,
             "email": row.email, "external_id": row.external_id, "birthday": row.birthday,
             "points": row.points, "stamps": row.stamps, "tier": row.tier,
             "tier_since": now if row.tier else None, "referral_code": _referral_code(),
             "ledger_sequence": len(entries), "created_at": now}
        )  # fmt: skip
        tables[Card].append(
            {**card_base, "id": card_id, "member_id": member_id,
             "serial_number": f"{secrets.randbelow(9 * 10**11) + 10**11}",
             "public_token": secrets.token_urlsafe(24),
             "authentication_token": secrets.token_urlsafe(32)}
        )  # fmt: skip
        tables[OutboxEvent].append({**outbox_base, "card_id": card_id})
        if not entries and not row.tier:
            continue
        tier_note = f"; tier {row.tier}" if row.tier else ""
        tables[Transaction].append(
            {**transaction_base, "id": transaction_id, "member_id": member_id,
             "points_earned": row.points, "stamps_earned": row.stamps,
             "reason": f"{reason}, line {row.line}{tier_note}"[:300]}
        )  # fmt: skip
        for sequence, (currency, amount) in enumerate(entries, start=1):
            entry_id = uuid4()
            tables[LedgerEntry].append(
                {**entry_base, "id": entry_id, "member_id": member_id,
                 "transaction_id": transaction_id, "currency": currency, "amount": amount,
                 "balance_after": amount, "sequence": sequence,
                 "reason": f"opening {currency.value} balance"}
            )  # fmt: skip
            if currency is Currency.points:
                tables[PointLot].append(
                    {**lot_base, "id": uuid4(), "member_id": member_id, "entry_id": entry_id,
                     "transaction_id": transaction_id, "amount": amount, "remaining": amount}
                )  # fmt: skip
    copy = session.get_bind().dialect.name == "postgresql"
    for model, values in tables.items():
        if not values:
            continue
        table = model.__table__  # type: ignore[attr-defined]
        if copy:
            _copy(session, table, values)
        else:  # one executemany per table
            session.execute(table.insert(), values)


def _copy(session: Session, table: Table, values: list[dict[str, Any]]) -> None:
    """``COPY`` the rows into ``table`` on the session's own connection (and transaction):
    one statement per table and batch, each value through its column type's bind processing
    as an INSERT would do it. A unique violation is an IntegrityError, as from an INSERT."""
    connection = session.connection()
    dialect = connection.dialect
    names = list(values[0])
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(
                    [
                        row[name] if process is None else process(row[name])
                        for name, process in zip(names, processors, strict=True)
                    ]
                )
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc


def _values(row: SQLModel) -> dict[str, Any]:
    table = type(row).__table__  # type: ignore[attr-defined]
    return {column.name: getattr(row, column.name) for column in table.c}


def _referral_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
