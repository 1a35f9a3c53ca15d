"""Members of a program and their wallet cards."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp


class Member(SQLModel, table=True):
    """A customer enrolled in one program. Phone and email are stored normalised."""

    __table_args__ = (
        UniqueConstraint("program_id", "phone"),
        UniqueConstraint("program_id", "email"),
        UniqueConstraint("program_id", "external_id"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    birthday: date | None = None
    # The merchant's own id for the customer (a POS's or CRM's), unique in the program.
    external_id: str | None = Field(default=None, max_length=64)
    points: int = 0
    stamps: int = 0
    tier: str | None = Field(default=None, max_length=40)
    tier_since: datetime | None = optional_timestamp()
    tier_grace_until: datetime | None = optional_timestamp()
    referral_code: str = Field(max_length=16, unique=True)
    referred_by_id: UUID | None = Field(default=None, foreign_key="member.id")
    referral_rewarded_at: datetime | None = optional_timestamp()
    birthday_bonus_year: int | None = None
    # The number of ledger entries posted for the member: the next one's ``sequence``.
    ledger_sequence: int = Field(default=0, sa_type=BigInteger)
    # Where the member lives or works (optional): the card carries the stores nearest to it.
    home_latitude: float | None = None
    home_longitude: float | None = None
    created_at: datetime = timestamp()


class MemberTag(SQLModel, table=True):
    """A merchant's label on a member ("vegan", "wholesale", "from the autumn fair"), for
    segments. Stored lower-case; a member carries each tag once."""

    __tablename__ = "member_tag"
    __table_args__ = (Index("ix_member_tag_merchant_id_tag", "merchant_id", "tag"),)

    member_id: UUID = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(max_length=40, primary_key=True)
    merchant_id: UUID = Field(foreign_key="merchant.id", ondelete="CASCADE")  # indexed with tag


class Card(SQLModel, table=True):
    """The member's wallet card. Holds secrets: never return this model from a route.

    ``version`` grows by one with every change the card shows; it is Apple's update tag.
    """

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    member_id: UUID = Field(foreign_key="member.id", unique=True, ondelete="CASCADE")
    serial_number: str = Field(max_length=32, unique=True)
    public_token: str = Field(max_length=64, unique=True)
    authentication_token: str = Field(max_length=64)
    version: int = 1
    updated_at: datetime = timestamp()
    # Apple's update tag: from one sequence across all cards, so a device holding several
    # passes can compare them with the single tag it sends back.
    update_tag: int = Field(default=0, sa_type=BigInteger, index=True)
    last_push_at: datetime | None = optional_timestamp()
    last_push_status: str | None = Field(default=None, max_length=60)
    last_fetched_at: datetime | None = optional_timestamp()
    last_fetched_version: int | None = None
    # The stores the card carries (at most 10, comma-separated ids, most relevant first);
    # None until chosen, and then the chain's first stores are shown.
    store_ids: str | None = Field(default=None, sa_type=String(400))
    # The latest campaign message, shown on the back of the card.
    message: str | None = Field(default=None, max_length=300)
    # The message in other languages (language -> text), as its campaign gave them.
    message_translations: dict[str, str] | None = Field(default=None, sa_type=JSON)
    message_at: datetime | None = optional_timestamp()
    message_quiet: bool = False  # it arrived past the notification budget: no lock-screen alert
    voided_at: datetime | None = optional_timestamp()  # the member was erased: a void pass
