"""Public card access by unguessable token, and the card state both wallets render."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.campaigns import geo as geo_service
from api.cards.apple import AppleWallet
from api.cards.errors import CardNotFound
from api.clock import as_utc, utcnow
from api.members import repository as member_repository
from api.members.models import Card, Member
from api.programs import repository as program_repository
from api.programs.models import Program, ProgramKind
from api.programs.rules import rules_of
from api.stores import service as store_service
from api.stores.models import Store
from passes import Beacon, Location, LoyaltyCard


@dataclass(frozen=True, slots=True)
class CardView:
    member: Member
    card: Card
    program: Program

    @property
    def last_modified(self) -> datetime:
        # The stamp runs ahead of the clock under bursts of changes; Last-Modified never may.
        return min(as_utc(self.card.updated_at), utcnow().replace(microsecond=0))


def get_card(session: Session, public_token: str) -> CardView:
    """The card behind a public token.

    Raises:
        CardNotFound: no card has this token.
    """
    found = member_repository.get_by_public_token(session, public_token)
    if found is None:
        raise CardNotFound()
    return view_of(session, *found)


def view_of(session: Session, member: Member, card: Card) -> CardView:
    program = program_repository.get(session, member.merchant_id, member.program_id)
    if program is None:  # the foreign key makes this impossible; keep the type honest
        raise CardNotFound()
    return CardView(member, card, program)


def loyalty_card(
    view: CardView,
    stores: Sequence[Store],
    *,
    web_service_url: str | None,
    next_expiry: tuple[int, datetime] | None = None,
    store_texts: Mapping[UUID, str] | None = None,
) -> LoyaltyCard:
    """The wallet-neutral state of a member's card. ``store_texts`` overrides stores'
    lock-screen texts (running geo campaigns)."""
    member, card, program = view.member, view.card, view.program
    texts = store_texts or {}
    return LoyaltyCard(
        serial_number=card.serial_number,
        member_name=member.name,
        barcode_message=card.serial_number,
        points=member.points,
        stamps=member.stamps,
        stamps_required=program.stamps_required if program.kind == ProgramKind.stamps else None,
        tier=member.tier,
        discount_percent=rules_of(program).discount_percent(member.tier),
        member_since=as_utc(member.created_at).date(),
        points_expiring=next_expiry[0] if next_expiry else None,
        points_expire_on=as_utc(next_expiry[1]).date() if next_expiry else None,
        message=card.message,
        translations={"message": card.message_translations} if card.message_translations else {},
        quiet=frozenset({"message"}) if card.message_quiet else frozenset(),
        locations=tuple(
            Location(
                s.latitude, s.longitude, relevant_text=texts.get(s.id, s.relevant_text), name=s.name
            )  # fmt: skip
            for s in stores
        ),
        beacons=tuple(
            Beacon(
                s.beacon_uuid,
                s.beacon_major,
                s.beacon_minor,
                relevant_text=texts.get(s.id, s.relevant_text),
            )  # fmt: skip
            for s in stores
            if s.beacon_uuid
        ),
        web_service_url=web_service_url,
        authentication_token=card.authentication_token,
        is_voided=card.voided_at is not None,
    )


def card_state(
    session: Session, view: CardView, *, web_service_url: str | None, now: datetime
) -> LoyaltyCard:
    """The card's state read from the database: its stores, next expiry, campaign texts."""
    merchant_id = view.member.merchant_id
    stores = store_service.stores_for_card(session, merchant_id, view.card.store_ids)
    return loyalty_card(
        view,
        stores,
        web_service_url=web_service_url,
        next_expiry=member_repository.next_expiry(session, view.member.id),
        store_texts=geo_service.store_texts(session, merchant_id, now),
    )


@dataclass(frozen=True, slots=True)
class SignedPass:
    data: bytes
    serial_number: str
    last_modified: datetime


def render_apple_pass(session: Session, public_token: str, *, wallet: AppleWallet) -> SignedPass:
    """The signed ``.pkpass`` for the card behind ``public_token``.

    Raises:
        CardNotFound: no card has this token.
    """
    return render_apple_view(session, get_card(session, public_token), wallet=wallet)


def render_apple_view(session: Session, view: CardView, *, wallet: AppleWallet) -> SignedPass:
    """The signed pass of a card, from the cache when this version was signed before."""

    def state() -> LoyaltyCard:
        return card_state(session, view, web_service_url=wallet.web_service_url, now=utcnow())

    data = wallet.pkpass(
        state, design=view.program.design, card_id=view.card.id, version=view.card.version
    )
    return SignedPass(data, view.card.serial_number, view.last_modified)
