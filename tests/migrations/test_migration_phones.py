"""Migration 0014: phones stored as typed become E.164, except where that would make two
members of a program share a phone."""

from __future__ import annotations

import uuid

from alembic import command
from sqlalchemy import create_engine, text

from api.db import alembic_config
from tests.migrations.test_migrations import MIGRATIONS, fresh_url  # noqa: F401  (the fixture)


def test_phones_become_e164(fresh_url: str) -> None:  # noqa: F811
    config = alembic_config(MIGRATIONS, fresh_url)
    command.upgrade(config, "0013")
    engine = create_engine(fresh_url)
    merchant, program = uuid.uuid4().hex, uuid.uuid4().hex
    phones = {"a": "89031112233", "b": "89161234567", "c": "+79161234567", "d": None}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO merchant (id, name, created_at) VALUES (:id, 'M', CURRENT_TIMESTAMP)"
            ),
            {"id": merchant},
        )
        connection.execute(
            text(
                "INSERT INTO program (id, merchant_id, name, slug, public_slug, kind, design, "
                "rules, created_at) VALUES (:id, :m, 'P', 'p', 'p-1', 'points', 'coffee', '{}', "
                "CURRENT_TIMESTAMP)"
            ),
            {"id": program, "m": merchant},
        )
        for name, phone in phones.items():
            connection.execute(
                text(
                    "INSERT INTO member (id, merchant_id, program_id, name, phone, email, points, "
                    "stamps, referral_code, created_at) VALUES (:id, :m, :p, :name, :phone, "
                    ":email, 0, 0, :code, CURRENT_TIMESTAMP)"
                ),
                {
                    "id": uuid.uuid4().hex,
                    "m": merchant,
                    "p": program,
                    "name": name,
                    "phone": phone,
                    "email": f"{name}@example.com" if phone is None else None,
                    "code": f"CODE{name.upper()}",
                },  # fmt: skip
            )
    command.upgrade(config, "0014")
    with engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT name, phone FROM member")).all())
    assert stored == {"a": "+79031112233", "b": "89161234567", "c": "+79161234567", "d": None}
    engine.dispose()
