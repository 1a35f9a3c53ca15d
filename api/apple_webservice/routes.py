"""Apple's pass-update web service, under the pass's ``webServiceURL`` (``/apple``): Wallet
appends ``/v1/...`` itself. Exactly the status codes Apple documents."""

from __future__ import annotations

import functools
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Request, Response

from api.apple_webservice import device_logs, passfiles
from api.apple_webservice import service as apple_service
from api.apple_webservice.android_wallets import client_kind
from api.apple_webservice.schemas import DeviceLogPublic, LogBody, RegistrationBody, SerialsPublic
from api.apple_webservice.wallet_route import WalletRoute
from api.clock import as_utc, utcnow
from api.delivery import service as delivery_service
from api.delivery.schemas import DeliveryPublic
from api.deps import (
    AppleWalletDep,
    EngineDep,
    ReaderCaller,
    ReportCaller,
    SessionDep,
    on_hot_thread,
)
from passes import PKPASS_MEDIA_TYPE

router = APIRouter(prefix="/apple/v1", tags=["apple wallet web service"], route_class=WalletRoute)
operator = APIRouter(prefix="/api/v1", tags=["apple wallet delivery"])

LibraryId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
PassType = Annotated[str, Path(pattern=r"^[A-Za-z0-9.-]{1,128}$")]
Serial = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Authorization = Annotated[str | None, Header()]


@router.post(
    "/devices/{library_id}/registrations/{pass_type}/{serial}",
    status_code=201,
    responses={200: {"description": "Already registered"}, 401: {"description": "Bad token"}},
)
def register_device(
    library_id: LibraryId,
    pass_type: PassType,
    serial: Serial,
    body: RegistrationBody,
    response: Response,
    session: SessionDep,
    wallet: AppleWalletDep,
    authorization: Authorization = None,
    x_pass_client: Annotated[str | None, Header(max_length=64)] = None,
) -> None:
    """Wallet registers a device for a pass's update pushes (201 new, 200 known). Android
    wallet apps say who they are (``AndroidPass``, ``X-Pass-Client``): their pushes go to
    the app's own endpoint."""
    card = apple_service.authenticate_pass(
        session, pass_type, serial, authorization, our_pass_type=wallet.pass_type_identifier
    )
    client = client_kind(authorization, x_pass_client)
    if not apple_service.register(
        session, library_id, card, body.pushToken, now=utcnow(), client=client
    ):
        response.status_code = 200


@router.get(
    "/devices/{library_id}/registrations/{pass_type}",
    responses={204: {"description": "No matching passes"}},
)
def updated_passes(
    library_id: LibraryId,
    pass_type: PassType,
    session: SessionDep,
    wallet: AppleWalletDep,
    passes_updated_since: Annotated[
        str | None, Query(alias="passesUpdatedSince", max_length=64)
    ] = None,
) -> Response:
    """The serial numbers this device registered that changed after the tag it sends."""
    found = apple_service.updated_passes(
        session, library_id, pass_type, passes_updated_since,
        our_pass_type=wallet.pass_type_identifier,
    )  # fmt: skip
    if found is None:
        return Response(status_code=204)
    serials, last = found
    body = SerialsPublic(serialNumbers=serials, lastUpdated=last)
    return Response(body.model_dump_json(), media_type="application/json")


@router.get(
    "/passes/{pass_type}/{serial}",
    response_class=Response,
    responses={200: {"content": {PKPASS_MEDIA_TYPE: {}}}, 304: {"description": "Unchanged"}},
)
async def latest_pass(
    pass_type: PassType,
    serial: Serial,
    request: Request,
    engine: EngineDep,
    wallet: AppleWalletDep,
    authorization: Authorization = None,
    if_modified_since: Annotated[str | None, Header()] = None,
) -> Response:
    """The current pass, or 304 when it has not changed since ``If-Modified-Since``: one
    query, the signed bytes from the store (``passfiles``), on a hot-path thread."""
    serve = functools.partial(
        passfiles.serve, engine, pass_type, serial, authorization, wallet=wallet,
        if_modified_since=_http_date(if_modified_since),
        is_download=request.method == "GET", now=utcnow(),
    )  # fmt: skip
    answer = await on_hot_thread(serve)
    headers = {"Last-Modified": format_datetime(answer.last_modified, usegmt=True)}
    if answer.data is None:
        return Response(status_code=304, headers=headers)
    return Response(answer.data, media_type=PKPASS_MEDIA_TYPE, headers=headers)


# Wallet sometimes asks with HEAD; same answer, no body.
router.add_api_route(
    "/passes/{pass_type}/{serial}", latest_pass, methods=["HEAD"], include_in_schema=False
)


@router.delete("/devices/{library_id}/registrations/{pass_type}/{serial}")
def unregister_device(
    library_id: LibraryId,
    pass_type: PassType,
    serial: Serial,
    session: SessionDep,
    wallet: AppleWalletDep,
    authorization: Authorization = None,
) -> Response:
    """Wallet stops update pushes for a pass on this device."""
    card = apple_service.authenticate_pass(
        session, pass_type, serial, authorization, our_pass_type=wallet.pass_type_identifier
    )
    apple_service.unregister(session, library_id, card)
    return Response(status_code=200)


@router.post("/log", responses={429: {"description": "Too many lines from this address"}})
def device_log(body: LogBody, request: Request, session: SessionDep) -> Response:
    """Wallet reports problems here. Anyone can post (Apple's protocol has no credential for
    it): lines are bounded, rate limited per address, kept 14 days, and shown to merchants
    as unverified reports."""
    address = request.client.host if request.client else None
    device_logs.store(session, body.logs, client_address=address, now=utcnow())
    return Response(status_code=200)


@operator.get("/members/{member_id}/delivery")
def card_delivery(member_id: UUID, session: SessionDep, caller: ReaderCaller) -> DeliveryPublic:
    """Did the card reach the phones: Apple devices registered, last push and its result, last
    fetch by a device and whether that was the current version; the Google Wallet object's
    sync state, whether it is saved, and the notifications left today."""
    return delivery_service.member_delivery(session, caller.merchant_id, member_id, now=utcnow())


@operator.get("/apple/device-logs")
def device_logs_of_merchant(
    session: SessionDep,
    caller: ReportCaller,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeviceLogPublic]:
    """Unverified reports posted to the Apple web service's ``/log`` that mention this
    merchant's serial numbers (newest first). Anyone can post such a line: the ``unverified_*``
    fields are what the sender claims, not facts about a card."""
    return device_logs.for_merchant(session, caller.merchant_id, limit=limit)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return as_utc(parsed) if parsed is not None else None
