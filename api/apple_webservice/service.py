"""Apple's PassKit web service: registrations, the list of updated passes, and device logs.

Unknown pass and wrong token look the same (401), tokens are compared in constant time, and
update tags are opaque strings of one sequence (see ``outbox.service``).
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import datetime

from sqlmodel import Session

from api.apple_webservice import repository
from api.apple_webservice.android_wallets import SCHEMES, ClientKind
from api.apple_webservice.errors import MalformedWalletRequest, PassUnauthorized
from api.apple_webservice.models import AppleDevice, AppleRegistration
from api.clock import as_utc
from api.db import insert_unless_conflict
from api.members.models import Card
from api.webhooks import service as webhook_service

logger = logging.getLogger(__name__)
_HEX = re.compile(r"[0-9A-Fa-f]+")


def authenticate_pass(
    session: Session,
    pass_type_identifier: str,
    serial: str,
    authorization: str | None,
    *,
    our_pass_type: str,
) -> Card:
    """The card behind ``serial`` if ``Authorization: ApplePass <token>`` (or Wallet Passes'
    ``AndroidPass <token>``) is its token.

    Raises:
        PassUnauthorized: no header, wrong scheme, unknown pass or wrong token.
    """
    scheme, _, token = (authorization or "").partition(" ")
    card = (
        repository.card_by_serial(session, serial)
        if pass_type_identifier == our_pass_type
        else None
    )
    expected = card.authentication_token if card is not None else "x" * 43
    valid = hmac.compare_digest(expected.encode(), token.strip().encode())
    if scheme not in SCHEMES or card is None or not valid:
        raise PassUnauthorized()
    return card


def register(
    session: Session, library_id: str, card: Card, push_token: str, *, now: datetime,
    client: ClientKind = ClientKind.APPLE,
) -> bool:  # fmt: skip
    """Register a device for a card (upserting its push token and wallet app); True when
    new.

    Raises:
        MalformedWalletRequest: an Apple Wallet push token that is not hex.
    """
    if client is ClientKind.APPLE and not _HEX.fullmatch(push_token):
        raise MalformedWalletRequest("pushToken: an APNs token is hexadecimal")
    device = repository.device(session, library_id)
    if device is None:
        device = AppleDevice(
            device_library_identifier=library_id, push_token=push_token, client=client
        )
        if not insert_unless_conflict(session, device):  # registered concurrently
            device = repository.device(session, library_id)
            assert device is not None
    if device.push_token != push_token or device.client != client:
        device.push_token, device.client, device.updated_at = push_token, client, now
        session.add(device)
    created = insert_unless_conflict(
        session,
        AppleRegistration(merchant_id=card.merchant_id, device_id=device.id, card_id=card.id),
    )
    extra = {"serial": card.serial_number, "new": created, "client": str(client)}
    logger.info("apple device registered", extra=extra)
    if created:
        webhook_service.enqueue(
            session,
            card.merchant_id,
            "card.installed",
            {"card_serial": card.serial_number, "member_id": card.member_id, "wallet": str(client)},
        )
    return created


def unregister(session: Session, library_id: str, card: Card) -> None:
    device = repository.device(session, library_id)
    if device is None:
        return
    found = repository.registration(session, device.id, card.id)
    if found is not None:
        session.delete(found)
        session.flush()
        webhook_service.enqueue(
            session,
            card.merchant_id,
            "card.removed",
            {
                "card_serial": card.serial_number,
                "member_id": card.member_id,
                "wallet": device.client,
            },
        )
    if repository.count_registrations(session, device.id) == 0:
        session.delete(device)


def updated_passes(
    session: Session, library_id: str, pass_type_identifier: str, since: str | None, *,
    our_pass_type: str,
) -> tuple[list[str], str] | None:  # fmt: skip
    """Serials this device registered that changed after tag ``since`` and the newest tag;
    None when there are none. No tag, or one we did not issue, means all of them."""
    if pass_type_identifier != our_pass_type:
        return None
    device = repository.device(session, library_id)
    if device is None:
        return None
    repository.wait_for_tag_writers(session)
    tag = int(since) if since is not None and since.isdigit() and len(since) < 19 else None
    rows = repository.updated_serials(session, device.id, tag)
    if not rows:
        return None
    return sorted(serial for serial, _ in rows), str(max(tag for _, tag in rows))


def freshness(
    updated_at: datetime, if_modified_since: datetime | None, *, now: datetime
) -> tuple[datetime, bool]:
    """The pass's ``Last-Modified`` (from the card's ``updated_at``) and whether
    ``If-Modified-Since`` proves the device has this version (a 304).

    The card's stamp grows by at least a second per version (``outbox.next_stamp``), so it
    runs ahead of the clock while a card changes more than once a second. ``Last-Modified``
    never does (RFC 9110 8.8.2.1): it is the stamp or now, whichever is earlier. A 304 needs
    ``If-Modified-Since`` at or past the stamp itself, which only a device that fetched this
    version can send: one that fetched while the stamp was ahead got an earlier date and gets
    the pass again (once more than needed, never one version too few).
    """
    stamp = as_utc(updated_at).replace(microsecond=0)
    last_modified = min(stamp, as_utc(now).replace(microsecond=0))
    return last_modified, if_modified_since is not None and stamp <= if_modified_since
