"""The privacy domain's events for integrations: one hook per event, so the webhook outbox
is wired into erasure at exactly one place."""

from __future__ import annotations

import logging

from sqlmodel import Session

from api.members.models import Member
from api.webhooks import service as webhook_service

logger = logging.getLogger(__name__)


def member_erased(session: Session, member: Member) -> None:
    """``member.erased``, in the erasure's transaction: carries the member's id and program,
    nothing personal (it is gone): one webhook event per endpoint that wants it."""
    webhook_service.member_erased(session, member.merchant_id, member.id)
    logger.info("member erased", extra={"member_id": str(member.id)})
