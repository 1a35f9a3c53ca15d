"""Stores, their CSV import, and which of them each card carries."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError
from sqlmodel import Session

from api.clock import utcnow
from api.db import insert_unless_conflict
from api.paging import PageRequest
from api.stores import repository
from api.stores.errors import BadStoreImport, StoreNotFound, TooManyBeaconUuids
from api.stores.models import Store, StoreRefresh
from api.stores.schemas import ImportResult, RowError, StoreCreate, StoreUpdate

logger = logging.getLogger(__name__)

MAX_CARD_LOCATIONS = 10  # Apple's limit per pass, and Google's merchantLocations limit
MAX_BEACON_UUIDS = 10  # Apple's limit of beacons per pass: one UUID per chain is the norm
CSV_COLUMNS = ("name", "latitude", "longitude", "address", "opening_hours", "relevant_text",
               "is_flagship", "beacon_uuid", "beacon_major", "beacon_minor")  # fmt: skip


def add_store(
    session: Session,
    merchant_id: UUID,
    *,
    name: str,
    latitude: float,
    longitude: float,
    address: str | None = None,
    relevant_text: str | None = None,
) -> Store:
    """Add a store with the basic fields (the demo and tests); the API uses :func:`create`."""
    data = StoreCreate(name=name, latitude=latitude, longitude=longitude, address=address,
                       relevant_text=relevant_text)  # fmt: skip
    return create(session, merchant_id, data)


def create(session: Session, merchant_id: UUID, data: StoreCreate) -> Store:
    """Raises:
    TooManyBeaconUuids: the chain would use more than 10 beacon UUIDs."""
    store = Store(merchant_id=merchant_id, **data.model_dump())
    session.add(store)
    session.flush()
    _check_beacons(session, merchant_id)
    request_refresh(session, merchant_id)
    return store


def update_store(session: Session, merchant_id: UUID, store_id: UUID, data: StoreUpdate) -> Store:
    store = get(session, merchant_id, store_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(store, name, value)
    if store.beacon_uuid is None:
        store.beacon_major = store.beacon_minor = None
    StoreCreate.model_validate(store.model_dump(include=set(CSV_COLUMNS)))  # still consistent
    session.flush()
    _check_beacons(session, merchant_id)
    request_refresh(session, merchant_id)
    return store


def close(session: Session, merchant_id: UUID, store_id: UUID, *, now: datetime) -> Store:
    """Retire a store: it leaves every card; its purchase history stays."""
    store = get(session, merchant_id, store_id)
    if store.closed_at is None:
        store.closed_at = now
        request_refresh(session, merchant_id)
    return store


def get(session: Session, merchant_id: UUID, store_id: UUID) -> Store:
    store = repository.get(session, merchant_id, store_id)
    if store is None:
        raise StoreNotFound()
    return store


def list_open(session: Session, merchant_id: UUID) -> Sequence[Store]:
    return repository.list_open(session, merchant_id)


def page_open(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[Store], int]:
    return repository.page_open(session, merchant_id, page)


def import_csv_file(session: Session, merchant_id: UUID, data: bytes) -> ImportResult:
    """:func:`import_csv` for an uploaded file's bytes (UTF-8, with or without a BOM).

    Raises:
        BadStoreImport: the file is not UTF-8 text, or has bad rows.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadStoreImport("the file must be UTF-8 text") from None
    return import_csv(session, merchant_id, text)


def import_csv(
    session: Session,
    merchant_id: UUID,
    text: str,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update (by name) the stores in a CSV file with a header row. All or nothing:
    with any bad row, nothing is written and every bad row is reported.

    Raises:
        BadStoreImport: with ``errors``: the line and the problem of each bad row.
    """
    # newline="" lets the csv module see \r, \n and \r\n line ends itself, as its docs require.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise _unreadable(reader.line_num or 1, exc) from exc
    unknown = set(header or ()) - set(CSV_COLUMNS)
    if not header or unknown or not {"name", "latitude", "longitude"} <= set(header):
        detail = f"the header must name columns from {', '.join(CSV_COLUMNS)}"
        raise BadStoreImport(detail, errors=[{"line": 1, "error": detail}])
    rows: list[tuple[int, StoreCreate]] = []
    errors: list[RowError] = []
    try:
        for row in reader:
            values = {k: v for k, v in row.items() if k and v not in (None, "")}
            try:
                rows.append((reader.line_num, StoreCreate.model_validate(values)))
            except ValidationError as exc:
                problem = "; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
                )
                errors.append(RowError(line=reader.line_num, error=problem))
    except csv.Error as exc:
        raise _unreadable(reader.line_num, exc) from exc
    if errors:
        raise BadStoreImport(f"{len(errors)} bad rows", errors=[e.model_dump() for e in errors])
    existing = {s.name: s for s in repository.list_open(session, merchant_id)}
    created = updated = 0
    for done, (_, data) in enumerate(rows, start=1):
        store = existing.get(data.name)
        if store is None:
            store = Store(merchant_id=merchant_id, **data.model_dump())
            session.add(store)
            existing[data.name] = store
            created += 1
        else:
            for name, value in data.model_dump().items():
                setattr(store, name, value)
            updated += 1
        if progress is not None:
            progress(done)
    session.flush()
    _check_beacons(session, merchant_id)
    request_refresh(session, merchant_id)
    return ImportResult(created=created, updated=updated, errors=[])


def _unreadable(line: int, exc: csv.Error) -> BadStoreImport:
    detail = f"line {line} is not valid CSV: {exc}"
    return BadStoreImport(detail, errors=[{"line": line, "error": str(exc)}])


def _check_beacons(session: Session, merchant_id: UUID) -> None:
    uuids = repository.count_beacon_uuids(session, merchant_id)
    if uuids > MAX_BEACON_UUIDS:
        raise TooManyBeaconUuids(
            f"the stores would use {uuids} beacon UUIDs; a pass carries beacons of at most "
            f"{MAX_BEACON_UUIDS} (use one UUID for the chain and major/minor per store)"
        )


def request_refresh(session: Session, merchant_id: UUID) -> None:
    """Ask the worker to re-choose the stores of every card of the merchant."""
    now = utcnow()
    if not insert_unless_conflict(session, StoreRefresh(merchant_id=merchant_id, requested_at=now)):
        repository.set_refresh_requested(session, merchant_id, requested_at=now)


def stores_for_card(
    session: Session, merchant_id: UUID, store_ids: str | None = None
) -> list[Store]:
    """The stores a card carries: its chosen ones (closed ones dropped), or, before the
    worker chose, the chain's flagships and first stores (at most 10)."""
    if store_ids:
        wanted = [UUID(s) for s in store_ids.split(",")]
        found = {s.id: s for s in repository.get_many(session, merchant_id, wanted)}
        return [found[i] for i in wanted if i in found and found[i].closed_at is None]
    return list(repository.list_default(session, merchant_id, limit=MAX_CARD_LOCATIONS))


def encode_ids(ids: Iterable[UUID]) -> str | None:
    joined = ",".join(str(i) for i in ids)
    return joined or None
