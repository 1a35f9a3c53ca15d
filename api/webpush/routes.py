"""Web Push routes of the card page: the VAPID public key, subscribing and unsubscribing.
The card's token in the URL is the credential, as for the card page itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from api.cards import service as card_service
from api.cards.routes import Token
from api.clock import utcnow
from api.deps import SessionDep, SettingsDep
from api.outbound.addresses import Resolver, system_resolver
from api.webpush import service
from api.webpush.keys import VapidKeys
from api.webpush.schemas import PushKeyPublic, SubscriptionCreate, SubscriptionDelete

router = APIRouter(prefix="/cards", tags=["cards"])


async def get_vapid_keys(request: Request) -> VapidKeys:
    keys: VapidKeys = request.app.state.vapid_keys
    return keys


VapidDep = Annotated[VapidKeys, Depends(get_vapid_keys)]


async def get_resolver() -> Resolver:
    """How an endpoint's host name is resolved for its check (tests give their own)."""
    return system_resolver


ResolverDep = Annotated[Resolver, Depends(get_resolver)]


@router.get("/{token}/push-key")
def push_key(token: Token, session: SessionDep, keys: VapidDep) -> PushKeyPublic:
    """The installation's VAPID public key, the browser's ``applicationServerKey``."""
    card_service.get_card(session, token)
    return PushKeyPublic(public_key=keys.public_key)


@router.post("/{token}/push-subscription", status_code=204)
def subscribe(
    token: Token,
    data: SubscriptionCreate,
    session: SessionDep,
    settings: SettingsDep,
    resolve: ResolverDep,
    accept_language: Annotated[str, Header()] = "",
) -> Response:
    """Store the browser's push subscription for this card (after the member's tap)."""
    view = card_service.get_card(session, token)
    language = data.language or ("en" if accept_language.lower().startswith("en") else "ru")
    service.subscribe(session, view, data, language=language,
                      allow_hosts=settings.webpush_allow_hosts, now=utcnow(),
                      resolve=resolve)  # fmt: skip
    return Response(status_code=204)


@router.delete("/{token}/push-subscription", status_code=204)
def unsubscribe(token: Token, data: SubscriptionDelete, session: SessionDep) -> Response:
    """Forget the browser's subscription."""
    view = card_service.get_card(session, token)
    service.unsubscribe(session, view, data.endpoint)
    return Response(status_code=204)
