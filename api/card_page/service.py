"""What the card page shows: the card, its wallet buttons in the visitor's platform order, the
referral link, the coupons, and the feedback form for the latest purchase not yet rated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from api.actions import feedback as feedback_service
from api.actions.feedback import FeedbackOffer
from api.cards.service import CardView, view_of
from api.enrolment import qr
from api.members import repository as member_repository
from api.programs.rules import rules_of
from api.rewards import repository as reward_repository
from api.rewards.models import Coupon, Reward


@dataclass(frozen=True, slots=True)
class CardPage:
    view: CardView
    coupons: Sequence[tuple[Coupon, Reward]]
    referral_url: str
    barcode_svg: str
    rendered_at: datetime  # shown as "updated at": an offline copy says how old it is
    feedback: FeedbackOffer | None = None

    @property
    def discount_percent(self) -> int:
        """The member's tier discount, shown on the card page."""
        return rules_of(self.view.program).discount_percent(self.view.member.tier)


def find_card_page(
    session: Session, public_token: str, *, public_url: str, now: datetime
) -> CardPage | None:
    """The card page of ``public_token``, or None when no card has it."""
    found = member_repository.get_by_public_token(session, public_token)
    if found is None:
        return None
    view = view_of(session, *found)
    coupons = reward_repository.usable_coupons(
        session, view.member.merchant_id, view.member.id, now=now
    )
    referral_url = (
        f"{qr.join_url(public_url, view.program.public_slug)}?ref={view.member.referral_code}"
    )
    barcode = qr.inline_svg(view.card.serial_number, title=view.card.serial_number)
    feedback = feedback_service.offer(session, view.member)
    return CardPage(view, coupons, referral_url, barcode, now, feedback)


Button = Literal["apple", "google", "install", "wallet_app"]


def wallet_order(user_agent: str, *, has_google: bool) -> tuple[Button, ...]:
    """The card page's buttons for the visitor's platform, the best first.

    iOS: Apple Wallet (then Google Wallet when configured). Android: Google Wallet when
    configured, then "Install the card" (the page as a web app) and "Add to a wallet app"
    (the same ``.pkpass``, which Wallet Passes or Pass2U open): most Android phones in
    Russia have no Google Wallet. Elsewhere: both wallets and the web app.
    """
    agent = user_agent.lower()
    google: tuple[Button, ...] = ("google",) if has_google else ()
    if "android" in agent:
        return (*google, "install", "wallet_app")
    if any(device in agent for device in ("iphone", "ipad", "ipod")):
        return ("apple", *google)
    return ("apple", *google, "install")
