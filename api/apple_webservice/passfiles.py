"""The signed-pass store: each card's signed ``.pkpass`` at its current version, in the
database, so that every API process serves the same bytes and the pass route is a lookup.

Wallet's ``GET /v1/passes/<type>/<serial>`` is answered with one indexed query (the card by
serial, joined with its stored pass at the card's version) and no ORM objects: the token is
compared in constant time, ``If-Modified-Since`` decides 304 as ``service.freshness`` does,
and a download notes the device's version with one ``UPDATE`` when it moved. A pass is
stored for (card, version): a change bumps the version, so a stale entry never matches the
join and is never served. A miss (not pre-rendered yet) is rendered on the request and
stored, so correctness never depends on the pre-render (``prerender``).
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Column, LargeBinary, and_, bindparam, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlmodel import Field, Session, SQLModel

from api.apple_webservice import service as apple_service
from api.apple_webservice.android_wallets import SCHEMES
from api.apple_webservice.errors import PassUnauthorized
from api.cards import service as card_service
from api.cards.apple import AppleWallet
from api.clock import as_utc, utcnow
from api.columns import UTCDateTime, timestamp
from api.members import repository as member_repository
from api.members.models import Card


class StoredPass(SQLModel, table=True):
    """The newest signed pass of a card and the card version it shows (one row per card)."""

    __tablename__ = "apple_signed_pass"

    card_id: UUID = Field(foreign_key="card.id", primary_key=True, ondelete="CASCADE")
    version: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = timestamp()


_card = Card.__table__  # type: ignore[attr-defined]
_stored = StoredPass.__table__  # type: ignore[attr-defined]
# The device's If-Modified-Since plus a second: at or past it, the card changed since.
_changed_from = bindparam("changed_from", type_=UTCDateTime())
_LOOKUP = (
    select(
        _card.c.id,
        _card.c.authentication_token,
        _card.c.version,
        _card.c.updated_at,
        _card.c.last_fetched_version,
        # The bytes only when they will be sent: a 304 does not read 60 KB for nothing.
        case(
            (or_(_changed_from.is_(None), _card.c.updated_at >= _changed_from), _stored.c.data),
            else_=None,
        ).label("data"),
    )
    .select_from(
        _card.outerjoin(
            _stored, and_(_stored.c.card_id == _card.c.id, _stored.c.version == _card.c.version)
        )
    )
    .where(_card.c.serial_number == bindparam("serial"))
)
_RECORD_FETCH = (
    update(_card)
    .where(_card.c.id == bindparam("card_id"))
    .values(last_fetched_at=bindparam("fetched_at"), last_fetched_version=bindparam("fetched"))
)
_NO_TOKEN = b"x" * 43


@dataclass(frozen=True, slots=True)
class PassAnswer:
    """What the pass route sends: the pass (None for a 304) and its ``Last-Modified``."""

    data: bytes | None
    last_modified: datetime


def serve(
    engine: Engine,
    pass_type_identifier: str,
    serial: str,
    authorization: str | None,
    *,
    wallet: AppleWallet,
    if_modified_since: datetime | None,
    is_download: bool,
    now: datetime,
) -> PassAnswer:
    """Wallet's request for a pass: 304 when ``If-Modified-Since`` proves the device has this
    version, else the signed pass of the current version (from the store, or rendered now
    and stored); a download notes the device's version.

    Raises:
        PassUnauthorized: no header, wrong scheme, another pass type, unknown pass or wrong
            token (all alike).
    """
    scheme, _, token = (authorization or "").partition(" ")
    changed_from = if_modified_since + timedelta(seconds=1) if if_modified_since else None
    is_postgres = engine.dialect.name == "postgresql"
    with _connect(engine) as connection:
        row = None
        if pass_type_identifier == wallet.pass_type_identifier:
            row = _lookup(connection, serial, changed_from)
        expected = row.authentication_token.encode() if row is not None else _NO_TOKEN
        is_valid = hmac.compare_digest(expected, token.strip().encode())
        if scheme not in SCHEMES or row is None or not is_valid:
            raise PassUnauthorized()
        last_modified, is_unchanged = apple_service.freshness(
            as_utc(row.updated_at), if_modified_since, now=now
        )
        if is_unchanged:
            return PassAnswer(None, last_modified)
        moved = is_download and row.last_fetched_version != row.version
        if row.data is not None and is_postgres:  # the storm's path: one connection
            if moved:
                connection.execute(_RECORD_FETCH, _fetched(row.id, row.version, now))
            return PassAnswer(row.data, last_modified)
    data, version = row.data, row.version
    if data is None:
        data, version = render_and_store(engine, row.id, wallet=wallet)
    if is_download and row.last_fetched_version != version:
        with engine.begin() as connection:
            connection.execute(_RECORD_FETCH, _fetched(row.id, version, now))
    return PassAnswer(data, last_modified)


def _fetched(card_id: UUID, version: int, now: datetime) -> dict[str, Any]:
    return {"card_id": card_id, "fetched_at": now, "fetched": version}


def _connect(engine: Engine) -> Connection:
    """The lookup's pooled connection. PostgreSQL: in autocommit, so the lookup and the note
    of the download are a statement each, with no BEGIN, COMMIT or ROLLBACK round trips.
    SQLite: a read (a deferred transaction, see ``api.db.reading``); the note and a render
    on a miss take the write lock in transactions of their own, after it is closed."""
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(read_only=True).connect()


def _lookup(connection: Connection, serial: str, changed_from: datetime | None) -> Any:
    """The card's row of :data:`_LOOKUP`, or None.

    On PostgreSQL the row comes in the binary protocol: a 55 KB pass in the text protocol
    is 110 KB of hex that PostgreSQL writes and psycopg decodes (0.54 against 0.25 ms a
    fetch, half of it the server's CPU: docs/BENCHMARKS.md, the fetch storm)."""
    params = {"serial": serial, "changed_from": changed_from}
    if connection.dialect.name != "postgresql":
        return connection.execute(_LOOKUP, params).first()
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cursor:
        cursor.execute(_lookup_sql(connection.dialect), params)
        found = cursor.fetchone()
    return _Row(*found) if found is not None else None


@functools.cache
def _lookup_sql(dialect: Dialect) -> str:
    return str(_LOOKUP.compile(dialect=dialect))


class _Row(NamedTuple):
    id: UUID
    authentication_token: str
    version: int
    updated_at: datetime
    last_fetched_version: int | None
    data: bytes | None


def render_and_store(engine: Engine, card_id: UUID, *, wallet: AppleWallet) -> tuple[bytes, int]:
    """Sign the card's current version now (the store missed it) and keep it for the other
    processes; returns the pass and the version it shows.

    Raises:
        PassUnauthorized: the card is gone (erased meanwhile).
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        card = session.get(Card, card_id)
        found = member_repository.get(session, card.merchant_id, card.member_id) if card else None
        if found is None:
            raise PassUnauthorized()
        view = card_service.view_of(session, *found)
        signed = card_service.render_apple_view(session, view, wallet=wallet)
        store(session.connection(), [(view.card.id, view.card.version, signed.data)])
        return signed.data, view.card.version


def store(connection: Connection, passes: list[tuple[UUID, int, bytes]]) -> None:
    """Keep these (card, version, pass) rows; a row never goes back to an older version.

    The rows are written in card id order: each takes a key-share lock on its card (the
    foreign key), and campaigns lock their cards ``FOR UPDATE`` in id order too, so the two
    can wait for each other but never deadlock.
    """
    if not passes:
        return
    passes = sorted(passes, key=lambda row: row[0])
    is_postgres = connection.dialect.name == "postgresql"
    insert = postgresql.insert(_stored) if is_postgres else sqlite.insert(_stored)
    statement = insert.on_conflict_do_update(
        index_elements=[_stored.c.card_id],
        set_={
            "version": insert.excluded.version,
            "data": insert.excluded.data,
            "created_at": insert.excluded.created_at,
        },
        where=_stored.c.version <= insert.excluded.version,
    )
    created = utcnow()
    connection.execute(
        statement,
        [
            {"card_id": card_id, "version": version, "data": data, "created_at": created}
            for card_id, version, data in passes
        ],
    )


def stored_version(connection: Connection, card_id: UUID) -> tuple[int, bytes] | None:
    """The stored (version, pass) of a card, if any."""
    row = connection.execute(
        select(_stored.c.version, _stored.c.data).where(_stored.c.card_id == card_id)
    ).first()
    return (row.version, row.data) if row is not None else None
