"""HTTP routes for a merchant's stores (``locations``) and their CSV import."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, status

from api.audit import service as audit
from api.clock import utcnow
from api.deps import AdminCaller, ReaderCaller, SessionDep
from api.paging import Page, Paging
from api.stores import service as store_service
from api.stores.schemas import ImportResult, StoreCreate, StorePublic, StoreUpdate

router = APIRouter(prefix="/api/v1", tags=["stores"])
CSV_EXAMPLE = (
    "name,latitude,longitude,address,relevant_text,is_flagship\n"
    "Arbat,55.7522,37.5929,Arbat St 10,Your coffee is 50 m away,true\n"
)


@router.post("/locations", status_code=status.HTTP_201_CREATED)
def create_location(data: StoreCreate, session: SessionDep, caller: AdminCaller) -> StorePublic:
    """Add a store. Cards pick it up within a minute if it is among a member's 10 most
    relevant stores (Apple and Google show at most 10 per card)."""
    store = store_service.create(session, caller.merchant_id, data)
    audit.record(session, caller, "store.created", "store", store.id, None, store)
    return StorePublic.of(store)


@router.get("/locations")
def list_locations(session: SessionDep, caller: ReaderCaller, page: Paging) -> Page[StorePublic]:
    """Open stores, in the order they were added, a page at a time."""
    stores, total = store_service.page_open(session, caller.merchant_id, page)
    return Page.of([StorePublic.of(s) for s in stores], total, page)


@router.get("/locations/{store_id}")
def get_location(store_id: UUID, session: SessionDep, caller: ReaderCaller) -> StorePublic:
    return StorePublic.of(store_service.get(session, caller.merchant_id, store_id))


@router.patch("/locations/{store_id}")
def update_location(
    store_id: UUID, data: StoreUpdate, session: SessionDep, caller: AdminCaller
) -> StorePublic:
    """Change some of a store's fields; the cards that carry it are updated."""
    before = audit.snapshot(store_service.get(session, caller.merchant_id, store_id))
    store = store_service.update_store(session, caller.merchant_id, store_id, data)
    audit.record(session, caller, "store.updated", "store", store.id, before, store)
    return StorePublic.of(store)


@router.delete("/locations/{store_id}")
def close_location(store_id: UUID, session: SessionDep, caller: AdminCaller) -> StorePublic:
    """Close a store: it leaves every card; its purchase history stays."""
    before = audit.snapshot(store_service.get(session, caller.merchant_id, store_id))
    store = store_service.close(session, caller.merchant_id, store_id, now=utcnow())
    audit.record(session, caller, "store.closed", "store", store.id, before, store)
    return StorePublic.of(store)


@router.post(
    "/locations/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        }
    },
)
def import_locations(
    session: SessionDep,
    caller: AdminCaller,
    body: Annotated[bytes, Body(media_type="text/csv")] = b"",
) -> ImportResult:
    """Create or update (by name) stores from CSV with a header row: ``name, latitude,
    longitude`` and optionally ``address, opening_hours, relevant_text, is_flagship,
    beacon_uuid, beacon_major, beacon_minor``. All or nothing: any bad row is reported with
    its line number and nothing is imported."""
    result = store_service.import_csv_file(session, caller.merchant_id, body)
    audit.record(session, caller, "stores.imported", "store", None, None, result)
    return result
