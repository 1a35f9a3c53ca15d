"""Which channel reaches a member: the first one in the campaign's or automation's order of
preference that the member can receive, so each member gets a message once.

- ``wallet``: the card is installed (an Apple device registered it, or it is saved in Google
  Wallet); the card's change notifies the phone.
- ``web_push``: the card page (the installable web app) subscribed to push; the card's change
  becomes a notification (``api.webpush``).
- ``email`` / ``sms``: the member has the address and the consent for the purpose (marketing:
  granted; service: not withdrawn).

A member none of them reaches gets the text on the card only (``Route.card``) when the wallet
is among the channels: it waits there for the day the card is installed (and the card page
shows it); otherwise the member is not reached (``Route.none``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field
from sqlmodel import Session

from api.automations import repository as automation_repository
from api.members.models import Member
from api.messaging.models import Channel, Purpose


class ChannelName(StrEnum):
    wallet = "wallet"
    web_push = "web_push"
    email = "email"
    sms = "sms"


class Route(StrEnum):
    wallet = "wallet"
    web_push = "web_push"
    email = "email"
    sms = "sms"
    card = "card"  # on the card only: nothing else reaches the member
    none = "none"


DEFAULT_CHANNELS: tuple[ChannelName, ...] = tuple(ChannelName)  # wallet, web push, email, SMS
ROUTES_SENT = (Route.wallet, Route.web_push, Route.card, Route.email, Route.sms)
# The routes whose message is posted to the card (the wallets and web push notify from it).
ON_CARD = (Route.wallet, Route.web_push, Route.card)


def _unique(channels: list[ChannelName]) -> list[ChannelName]:
    if len(set(channels)) != len(channels):
        raise ValueError("each channel at most once")
    return channels


# A request body's channels: in order of preference, each once.
ChannelList = Annotated[
    list[ChannelName],
    Field(min_length=1, max_length=len(ChannelName)),
    AfterValidator(_unique),
]


def preference(stored: Sequence[str] | None) -> list[ChannelName]:
    """The stored order of preference (None: the default one)."""
    return [ChannelName(c) for c in stored] if stored else list(DEFAULT_CHANNELS)


def choose(
    session: Session,
    members: Sequence[Member],
    channels: Sequence[ChannelName],
    *,
    purpose: Purpose = Purpose.marketing,
) -> dict[UUID, Route]:
    """The route of each member (a few queries for the whole batch)."""
    ids = [m.id for m in members]
    installed = automation_repository.installed_members(session, ids)
    subscribed = automation_repository.push_subscribed_members(session, ids)
    allowed = {
        channel: automation_repository.consented(session, ids, channel, purpose)
        for channel in (Channel.email, Channel.sms)
    }
    routes: dict[UUID, Route] = {}
    for member in members:
        routes[member.id] = _route(member, channels, installed, subscribed, allowed)
    return routes


def _route(
    member: Member,
    channels: Sequence[ChannelName],
    installed: set[UUID],
    subscribed: set[UUID],
    allowed: dict[Channel, set[UUID]],
) -> Route:
    for name in channels:
        if name == ChannelName.wallet and member.id in installed:
            return Route.wallet
        if name == ChannelName.web_push and member.id in subscribed:
            return Route.web_push
        if name == ChannelName.email and member.email and member.id in allowed[Channel.email]:
            return Route.email
        if name == ChannelName.sms and member.phone and member.id in allowed[Channel.sms]:
            return Route.sms
    on_card = ChannelName.wallet in channels or ChannelName.web_push in channels
    return Route.card if on_card else Route.none
