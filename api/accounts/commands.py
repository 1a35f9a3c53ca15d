"""``loyalpass accounts create-owner --merchant ID --email E`` (the first person of a merchant,
with a password shown once) and ``loyalpass accounts reset-password EMAIL`` (a one-time link):
what an operator does for the console's people from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from uuid import UUID

import typer
from sqlmodel import Session

from api.accounts import operator
from api.clock import utcnow
from api.db import make_engine, migrate
from api.errors import ApiError
from api.logs import configure_logging
from api.settings import Settings

accounts_app = typer.Typer(help="People who sign in to the console.")


@contextmanager
def _transaction(settings: Settings) -> Iterator[Session]:
    """One transaction on the migrated database; an API error or a bad id is printed as
    ``error: ...`` and exits 1."""
    configure_logging(settings.log_level, as_json=settings.logs_as_json)
    engine = make_engine(settings.database_url)
    migrate(engine, settings.migrations_dir)
    try:
        with Session(engine) as session, session.begin():
            yield session
    except (ApiError, ValueError) as exc:
        typer.echo(f"error: {getattr(exc, 'title', exc)}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@accounts_app.command("create-owner")
def create_owner(
    merchant: Annotated[str, typer.Option(help="The merchant's id.")],
    email: Annotated[str, typer.Option(help="The owner's email (their sign-in).")],
) -> None:
    """Create a merchant's owner account and print its password (shown only this once)."""
    with _transaction(Settings()) as session:
        password = operator.create_owner(session, UUID(merchant), email)
    typer.echo(json.dumps({"email": email.strip().lower(), "password": password}))


@accounts_app.command("reset-password")
def reset_password(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Print a one-time password reset link (30 minutes) for the account."""
    settings = Settings()
    with _transaction(settings) as session:
        url = operator.reset_link(session, email, public_url=settings.public_url, now=utcnow())
    typer.echo(url)
