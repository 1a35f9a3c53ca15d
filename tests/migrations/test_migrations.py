"""Migrations: the models and the migrated schema agree, old data upgrades, and every step
downgrades cleanly."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from api.db import alembic_config
from api.tables import metadata
from tests.conftest import BACKENDS, PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    server = request.getfixturevalue("postgres")
    return str(server.create_database(f"loyalpass_migrations_{uuid.uuid4().hex[:8]}"))


def test_models_match_the_migrated_schema(fresh_url: str) -> None:
    command.upgrade(alembic_config(MIGRATIONS, fresh_url), "head")
    engine = create_engine(fresh_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert diff == []


def test_members_from_0001_get_referral_codes(fresh_url: str) -> None:
    config = alembic_config(MIGRATIONS, fresh_url)
    command.upgrade(config, "0001")
    engine = create_engine(fresh_url)
    ids = {name: uuid.uuid4().hex for name in ("merchant", "program", "member")}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO merchant (id, name, created_at) VALUES (:id, 'M', CURRENT_TIMESTAMP)"
            ),
            {"id": ids["merchant"]},
        )
        connection.execute(
            text(
                "INSERT INTO program (id, merchant_id, name, slug, kind, design, created_at) "
                "VALUES (:id, :m, 'P', 'p', 'points', 'coffee', CURRENT_TIMESTAMP)"
            ),
            {"id": ids["program"], "m": ids["merchant"]},
        )
        connection.execute(
            text(
                "INSERT INTO member (id, merchant_id, program_id, name, points, stamps, "
                "created_at) VALUES (:id, :m, :p, 'Old', 0, 0, CURRENT_TIMESTAMP)"
            ),
            {"id": ids["member"], "m": ids["merchant"], "p": ids["program"]},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        code = connection.execute(text("SELECT referral_code FROM member")).scalar_one()
    assert len(code) == 8
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    engine.dispose()
