"""The subject-access export: everything held about one member, as JSON (152-FZ art. 14,
GDPR art. 15). Secrets (card tokens, push tokens, hashes) are left out."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel import Session

from api.clock import utcnow
from api.members import service as member_service
from api.privacy.tables import card_tables, exported_row, member_tables, schema_tables


def personal_data(session: Session, merchant_id: UUID, member_id: UUID) -> dict[str, Any]:
    """The member row, their card and every row of every table that names them or their card.

    Raises:
        MemberNotFound: no such member for this merchant.
    """
    member, card = member_service.get_member(session, merchant_id, member_id)
    by_name = {t.name: t for t in schema_tables()}
    member_row = (
        session.execute(select(by_name["member"]).where(by_name["member"].c.id == member.id))
        .mappings()
        .one()
    )
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in member_tables():
        rows = session.execute(select(table).where(table.c.member_id == member.id)).mappings()
        tables[table.name] = [exported_row(table, row) for row in rows]
    for table in card_tables():
        rows = session.execute(select(table).where(table.c.card_id == card.id)).mappings()
        tables[table.name] = [exported_row(table, row) for row in rows]
    return {
        "exported_at": utcnow().isoformat(),
        "member": exported_row(by_name["member"], member_row),
        "tables": dict(sorted(tables.items())),
    }
