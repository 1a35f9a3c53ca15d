"""Alembic environment: migrations run inside the connection the service hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from api.tables import metadata

config = context.config


def render_item(kind: str, item: object, autogen_context: object) -> str | bool:
    """Render our UTC timestamp type as the plain column type it stores."""
    if kind == "type" and type(item).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=NullPool)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
