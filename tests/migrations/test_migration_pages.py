"""Migration 0005: programs that existed before it get a unique public slug."""

from __future__ import annotations

import re
import uuid

from alembic import command
from sqlalchemy import create_engine, text

from api.db import alembic_config
from tests.migrations.test_migrations import MIGRATIONS, fresh_url  # noqa: F401  (the fixture)


def test_existing_programs_get_public_slugs(fresh_url: str) -> None:  # noqa: F811
    config = alembic_config(MIGRATIONS, fresh_url)
    command.upgrade(config, "0004")
    engine = create_engine(fresh_url)
    merchant = uuid.uuid4().hex
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO merchant (id, name, created_at) VALUES (:id, 'M', CURRENT_TIMESTAMP)"
            ),
            {"id": merchant},
        )
        for slug in ("coffee-club", "tea-club"):
            connection.execute(
                text(
                    "INSERT INTO program (id, merchant_id, name, slug, kind, design, rules, "
                    "created_at) VALUES (:id, :m, 'P', :slug, 'points', 'coffee', '{}', "
                    "CURRENT_TIMESTAMP)"
                ),
                {"id": uuid.uuid4().hex, "m": merchant, "slug": slug},
            )
    command.upgrade(config, "0005")
    with engine.connect() as connection:
        slugs = connection.execute(text("SELECT public_slug FROM program ORDER BY slug")).scalars()
        first, second = list(slugs)
    assert re.fullmatch(r"coffee-club-[a-z2-9]{8}", first)
    assert re.fullmatch(r"tea-club-[a-z2-9]{8}", second)
    command.downgrade(config, "0004")
    engine.dispose()
