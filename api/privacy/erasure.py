"""Erasing a member (152-FZ art. 21, GDPR art. 17) while keeping the books.

What identifies the person goes: name (``Erased member``), phone, email, birthday, home
point, tags, feedback comments, message recipients and bodies, the card's message; any
other text that quotes the original values is scrubbed, in the member's rows of every table
with a ``member_id`` or ``card_id`` and in merchant rows that mention the member (stored
idempotent replies, the audit log). Ledger amounts, balances and transactions stay, so the
program's totals do not move. The consent rows stay as proof that consent was given; the
contact it was given for is kept only as a SHA-256 digest in the erasure's audit entry.

The Apple pass is voided and the Google object expired through the card outbox (one card
change): the devices fetch the void pass, and registrations of a void card are removed by
the retention job once fetched (removed now, the push announcing the void could not reach
the device).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, Text, cast, delete, or_, select, update
from sqlmodel import Session

from api.audit import service as audit
from api.ledger import repository as ledger_repository
from api.members import service as member_service
from api.members.errors import MemberNotFound
from api.members.models import Member
from api.outbox import service as outbox_service
from api.privacy import events
from api.privacy.tables import card_tables, member_tables, schema_tables, text_columns

ERASED_NAME = "Erased member"
ERASED = "[erased]"
# Tables whose rows go entirely: they are nothing but personal labels or free text.
DELETED = frozenset({"member_tag", "member_rfm"})
# Card rows that go entirely: a signed pass is bytes that show the member's name (the void
# pass of the new version is signed again when it is fetched).
DELETED_CARD_ROWS = frozenset({"apple_signed_pass"})
# Columns cleared outright: free text the member wrote or a contact.
CLEARED: dict[str, dict[str, Any]] = {
    "feedback": {"comment": None},
    "message": {"recipient": ERASED, "context": {}},
}


def proof_of(member: Member) -> str:
    """SHA-256 of the contacts the member's consents were given for: the merchant can show a
    consent existed for a contact the data subject names, without keeping the contact."""
    material = f"{member.phone or ''}|{member.email or ''}|{member.id}"
    return hashlib.sha256(material.encode()).hexdigest()


def _originals(member: Member) -> list[str]:
    values = [member.name, member.phone, member.email, member.external_id]
    if member.birthday:
        values += [member.birthday.isoformat(), member.birthday.strftime("%d.%m.%Y")]
    return [v for v in values if v and len(v) >= 3]


def _scrub(value: Any, patterns: list[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(ERASED, value)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, patterns) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, patterns) for v in value]
    return value


def _scrub_rows(
    session: Session, table: Table, where: Any, patterns: list[re.Pattern[str]]
) -> None:
    columns = list(text_columns(table))
    if not columns:
        return
    keys = list(table.primary_key.columns)
    rows = session.execute(select(*keys, *columns).where(where)).mappings().all()
    cleared = CLEARED.get(table.name, {})
    for row in rows:
        changes: dict[str, Any] = {}
        for column in columns:
            old = row[column.name]
            new = cleared[column.name] if column.name in cleared else _scrub(old, patterns)
            if new != old:
                changes[column.name] = new
        if changes:
            match = [key == row[key.name] for key in keys]
            session.execute(update(table).where(*match).values(**changes))


def _mentions(table: Table, needles: Iterable[str]) -> Any:
    return or_(*(cast(c, Text).like(f"%{n}%") for c in text_columns(table) for n in needles))


def erase(
    session: Session, caller: audit.Actor, member_id: UUID, *, reason: str, now: datetime
) -> Member:
    """Anonymise the member, void their card, remove what only identifies them.

    Raises:
        MemberNotFound: no such member for this merchant.
    """
    merchant_id = caller.merchant_id
    member = ledger_repository.lock_member(session, merchant_id, member_id)
    if member is None:
        raise MemberNotFound()
    _, card = member_service.get_member(session, merchant_id, member_id)
    already = card.voided_at is not None
    patterns = [re.compile(re.escape(v), re.IGNORECASE) for v in _originals(member)]
    needles = [str(member.id), *(v for v in (member.phone, member.email) if v)]
    proof = proof_of(member)

    session.flush()
    for table in member_tables():
        if table.name in DELETED:
            session.execute(delete(table).where(table.c.member_id == member.id))
        elif table.name != "card":
            _scrub_rows(session, table, table.c.member_id == member.id, patterns)
    for table in card_tables():
        if table.name in DELETED_CARD_ROWS:
            session.execute(delete(table).where(table.c.card_id == card.id))
        else:
            _scrub_rows(session, table, table.c.card_id == card.id, patterns)
    handled = {t.name for t in (*member_tables(), *card_tables())} | {"member", "card"}
    for table in schema_tables():
        if table.name in handled or "merchant_id" not in table.c:
            continue
        if list(text_columns(table)):
            where = (table.c.merchant_id == merchant_id) & _mentions(table, needles)
            _scrub_rows(session, table, where, patterns)

    member.name, member.phone, member.email, member.birthday = ERASED_NAME, None, None, None
    member.home_latitude = member.home_longitude = None
    member.external_id = None  # the POS's id of the person: it names them there
    card.message, card.message_translations, card.voided_at = None, None, card.voided_at or now
    session.add_all([member, card])
    session.flush()
    if not already:
        outbox_service.mark_card_changed(session, member.id, kind="erased", now=now)
    audit.record(
        session, caller, "member.erased", "member", member.id,
        before={"contact_sha256": proof}, after={"reason": reason, "voided": True},
    )  # fmt: skip
    events.member_erased(session, member)
    return member
