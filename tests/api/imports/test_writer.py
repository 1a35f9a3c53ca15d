"""The import writer on both databases: a referral code drawn twice (a unique violation in
the middle of a batch, from COPY on PostgreSQL) makes the batch draw again, and nothing of
the failed attempt stays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.clock import utcnow
from api.imports import rows as import_rows
from api.imports import writer
from api.ledger.models import LedgerEntry
from api.members.models import Card, Member
from api.programs.models import Program
from tests.support.factories import enrol, new_merchant, new_program

pytestmark = pytest.mark.db


def imported(n: int) -> import_rows.Member:
    return import_rows.Member(
        line=n + 1, name=f"Client {n}", phone=f"+7916000{n:04d}", email=None,
        external_id=f"POS-{n}", birthday=None, points=10 * n, stamps=n % 2, tier=None,
    )  # fmt: skip


def test_a_code_drawn_twice_redraws_the_batch(
    app: FastAPI, client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_merchant(app)
    program = new_program(client, key)
    member = enrol(client, key, program["id"])
    with Session(engine) as session:
        query = select(Member.referral_code).where(Member.id == UUID(member["id"]))
        taken = session.exec(query).one()
    draws: Iterator[str] = iter([taken])
    draw = writer._referral_code

    def first_taken() -> str:
        return next(draws, None) or draw()

    monkeypatch.setattr(writer, "_referral_code", first_taken)
    batch = [imported(n) for n in range(1, 6)]
    with Session(engine) as session, session.begin():
        found = session.get(Program, UUID(program["id"]))
        assert found is not None
        written = writer.write(session, found, batch, actor="test", reason="import", now=utcnow())
    assert written == 5
    assert next(draws, None) is None  # the taken code was drawn (and refused)
    with Session(engine) as session:
        count: Any = session.exec(
            select(func.count()).select_from(Member).where(Member.program_id == UUID(program["id"]))
        ).one()
        assert count == 6
        cards = session.exec(
            select(func.count())
            .select_from(Card)
            .join(Member)
            .where(Member.program_id == UUID(program["id"]))
        ).one()
        assert cards == 6
        entries = session.exec(
            select(LedgerEntry.sequence, LedgerEntry.amount, LedgerEntry.balance_after)
            .join(Member, Member.id == LedgerEntry.member_id)
            .where(Member.phone == "+79160000003")
            .order_by(LedgerEntry.sequence)
        ).all()
        assert [tuple(e) for e in entries] == [(1, 30, 30), (2, 1, 1)]
    with Session(engine) as session, session.begin():
        found = session.get(Program, UUID(program["id"]))
        assert found is not None
        again = writer.write(session, found, batch, actor="test", reason="import", now=utcnow())
    assert again == 0


def test_a_large_file_and_a_batch_find_the_same_members(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    key = new_merchant(app)
    program = new_program(client, key)
    enrol(client, key, program["id"], phone="+79160000007")
    enrol(client, key, program["id"], phone=None, email="client@example.ru", name="E")
    large = [imported(n) for n in range(writer.WHOLE_PROGRAM + 1)]
    small = large[:10]
    with_email = import_rows.Member(
        line=1, name="E", phone=None, email="client@example.ru", external_id=None,
        birthday=None, points=0, stamps=0, tier=None,
    )  # fmt: skip
    with Session(engine) as session:
        program_id = UUID(program["id"])
        assert writer.existing_keys(session, program_id, [*large, with_email]) == {
            ("phone", "+79160000007"), ("email", "client@example.ru")
        }  # fmt: skip
        assert writer.existing_keys(session, program_id, [*small, with_email]) == {
            ("phone", "+79160000007"), ("email", "client@example.ru")
        }  # fmt: skip
