"""Database engine and migrations. SQLite is the embedded default; PostgreSQL in production."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Insert, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

logger = logging.getLogger(__name__)


def make_engine(database_url: str) -> Engine:
    """An engine for ``database_url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(database_url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, say when a transaction begins (see _sqlite_begin_immediate).
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts. With pysqlite's deferred BEGIN, two
    transactions that both read and then write fail with "database is locked" instead of
    waiting; IMMEDIATE makes writers queue (busy timeout), which is what keeps concurrent
    purchases on one member correct without SELECT ... FOR UPDATE. A read-only connection
    (execution option ``read_only``) takes a deferred BEGIN: in WAL it never waits for one."""
    read_only = connection.get_execution_options().get("read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Session:
    """A session for reads only, such as a background loop's "is there work?" poll, several
    times a second. On SQLite it begins a deferred (shared) transaction instead of taking the
    write lock, so the polls never make a request's write wait; PostgreSQL is unchanged."""
    return Session(engine.execution_options(read_only=True))


def insert_unless_conflict(session: Session, row: SQLModel) -> bool:
    """INSERT ``row`` unless it collides with a unique key; True when it was inserted.

    ``ON CONFLICT DO NOTHING`` keeps the transaction usable without a savepoint, and on
    PostgreSQL a concurrent insert of the same key waits until the other transaction ends,
    then counts as a conflict only if that one committed.
    """
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.name) is None)  # autoincrement
    }
    statement = _insert_or_nothing(session.get_bind().dialect.name, table)
    return session.execute(statement, values).first() is not None


@functools.cache
def _insert_or_nothing(dialect: str, table: Table) -> Insert:
    """Built once per table: the values come as parameters, so the compiled form is cached
    too (building ``.values(...)`` per call cost more than the round trip)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = list(table.primary_key.columns)
    return insert(table).on_conflict_do_nothing().returning(*key)


def insert_row(session: Session, row: SQLModel) -> None:
    """INSERT ``row`` with one Core statement, outside the unit of work: for append-only rows
    on hot paths, where the ORM's flush bookkeeping costs more than the statement itself. The
    object is not tracked by ``session``; later changes to it are not written."""
    table = type(row).__table__  # type: ignore[attr-defined]
    session.execute(table.insert(), {column.name: getattr(row, column.name) for column in table.c})


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(engine: Engine, migrations_dir: Path) -> None:
    """Bring the schema to the newest migration (run on every start; a no-op when current)."""
    config = alembic_config(migrations_dir, engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    logger.info("database schema is current", extra={"database": engine.url.get_backend_name()})
