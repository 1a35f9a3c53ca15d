"""The state of each way out of the service (APNs, Google Wallet): whether the other side
refused our credential, and when it last delivered and last failed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.columns import optional_timestamp


class OutboundChannel(SQLModel, table=True):
    """One outbound channel, by name (``apns``, ``google``).

    ``blocked_at`` is set when the other side refused our credential (APNs 403, Google 401 or
    403): nothing is sent with ``blocked_credential`` again until the credential is replaced
    or an operator retries. ``last_ok_at`` and ``last_failure_at`` tell the re-push job
    whether the other side answers again after an outage.
    """

    __tablename__ = "outbound_channel"

    name: str = Field(max_length=20, primary_key=True)
    blocked_at: datetime | None = optional_timestamp()
    blocked_credential: str | None = Field(default=None, max_length=200)
    blocked_reason: str | None = Field(default=None, max_length=300)
    last_ok_at: datetime | None = optional_timestamp()
    last_failure_at: datetime | None = optional_timestamp()
    last_failure: str | None = Field(default=None, max_length=300)
