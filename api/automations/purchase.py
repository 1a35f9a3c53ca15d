"""The message after a purchase (the ``after_purchase`` automation): the points a purchase
earned and the balance after it, on the member's preferred channel, coalesced.

Coalescing: the first purchase starts a pending message due a minute later
(``COALESCE``); purchases until then add their points to it (one upsert in the purchase's
transaction), so three purchases within a minute make one message with the total. The
automations job sends the due ones (:func:`send_due`), reading the balance at that moment.

What kind of message it is: a receipt of the member's own purchase, with no offer in it, so
it is sent as a service message (38-FZ covers advertising, which this is not), and only while
the member has not withdrawn service messages on that channel; it needs no marketing
consent, and quiet hours and frequency caps (which apply to marketing) do not hold it back.
The merchant's text must therefore stay informational; advertising belongs in a campaign.
On an installed card the message is the card's "latest news" (the balance on the card has
already changed with the purchase itself); a member the card does not reach gets an email
or SMS; a member with neither is not messaged (a card that is not installed shows the balance
anyway).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.automations import repository as automation_repository
from api.automations.channels import Route, choose, preference
from api.automations.models import Automation, AutomationKind
from api.automations.service import LOCALE, render
from api.members.models import Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Kind, Purpose
from api.outbox import service as outbox_service

COALESCE = timedelta(minutes=1)
DEFAULT_TEXT = "+{earned} points. Balance: {balance}"


def on_purchase(session: Session, member: Member, *, points: int, now: datetime) -> bool:
    """Run in the purchase's transaction: start or grow the member's pending message when
    the program has the automation on. True when it did."""
    if not automation_repository.is_enabled(
        session, member.program_id, AutomationKind.after_purchase
    ):
        return False
    automation_repository.add_purchase(
        session, member, points=points, now=now, send_after=now + COALESCE
    )
    return True


def due(session: Session, *, now: datetime, limit: int = 500) -> list[UUID]:
    """The members whose pending message is due."""
    return automation_repository.due_purchase_messages(session, now, limit=limit)


def send(session: Session, member_id: UUID, *, now: datetime) -> Route | None:
    """Send one member's due message (and delete it); None when another worker sent it or
    the automation was turned off meanwhile (the pending message is dropped then)."""
    # The member first, as a purchase locks it before it adds to the pending row: taking the
    # row first would deadlock with a purchase (each waiting for the other's lock).
    member = automation_repository.lock_member(session, member_id)
    taken = automation_repository.take_purchase_message(session, member_id, now)
    if taken is None or member is None:
        return None
    key, points, purchases = taken
    automation = session.get(Automation, (member.program_id, AutomationKind.after_purchase))
    if automation is None or not automation.enabled:
        return None
    values = {"name": member.name, "earned": points, "points": points,
              "balance": member.points, "purchases": purchases}  # fmt: skip
    text = render(automation.text or DEFAULT_TEXT, values)
    route = choose(session, [member], preference(automation.channels), purpose=Purpose.service)
    chosen = route[member.id]
    if chosen in (Route.wallet, Route.web_push):
        outbox_service.post_message(session, [member.id], text, kind="auto_after_purchase",
                                    now=now)  # fmt: skip
    elif chosen in (Route.email, Route.sms):
        messaging_service.enqueue(
            session, member=member, channel=Channel(chosen), kind=Kind.service,
            template="campaign", locale=LOCALE, context={"text": text},
            idempotency_key=f"after_purchase:{key}", now=now,
        )  # fmt: skip
    else:
        return Route.none
    return chosen
