"""Google's notification budget and message list, as pure rules: who is notified, which
messages stay on the object, how long a failed card waits.

Google allows 3 notifications per object per 24 hours, counted by us: a change that deserves
one (a balance change, a message) notifies while the budget lasts and goes out silently after
that. A new message carries the notification when there is one, so a purchase with a reward
message costs one notification, not two. An object shows at most 10 messages, the newest kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# The member is at the counter, just joined, or the merchant changed the card's design (a new
# label is no balance change: the design reaches every card silently).
SILENT_KINDS = frozenset({"enrol", "coupon_used", "design"})
MAX_MESSAGES = 10
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Message:
    """A message an outbox row carries to the card."""

    event_id: int
    text: str
    created_at: datetime
    translations: Mapping[str, str] | None = None  # language -> text (the campaign's)


@dataclass(frozen=True, slots=True)
class Plan:
    """What one sync does to the object, decided before any call to Google.

    A new object is inserted with ``initial_messages`` and notifies nobody (no one holds it
    yet). An existing one is patched (``patch_notifies``), its message list cut to
    ``kept_messages`` first when new messages need room, then each of ``added_messages`` is
    added, the first one notifying when ``first_message_notifies``.
    """

    is_new: bool
    initial_messages: tuple[Message, ...] = ()
    kept_messages: tuple[Message, ...] | None = None
    patch_notifies: bool = False
    added_messages: tuple[Message, ...] = ()
    first_message_notifies: bool = False


def wants_notification(kinds: Iterable[str]) -> bool:
    """True when any of the pending changes deserves a notification."""
    return any(kind not in SILENT_KINDS for kind in kinds)


POINTS_KEY_LENGTH = 300  # google_object.synced_points


def points_key(object_body: Mapping[str, Any]) -> str:
    """The balances an object shows, as one comparable string of at most 300 characters (a
    change of it notifies): the JSON itself, or its SHA-256 when longer (labels in several
    languages). Short keys stay the JSON, so rows synced before compare equal."""
    shown = [object_body["loyaltyPoints"], object_body.get("secondaryLoyaltyPoints")]
    key = json.dumps(shown, sort_keys=True)
    return key if len(key) <= POINTS_KEY_LENGTH else hashlib.sha256(key.encode()).hexdigest()


def retry_delay(failures: int) -> timedelta:
    """How long a card waits after its ``failures``-th failure in a row: 30 s, doubling, at
    most an hour."""
    return min(timedelta(seconds=30 * 2 ** min(failures - 1, 10)), MAX_BACKOFF)


def plan(
    *,
    synced_version: int,
    synced_points: str | None,
    points: str,
    wants_notification: bool,
    notifications_left: int,
    new_messages: Sequence[Message],
    kept_messages: Sequence[Message],
) -> Plan:
    """Decide one sync: what is written and which write spends the notification."""
    budget = notifications_left if wants_notification else 0
    message_notifies = bool(new_messages) and budget > 0
    newest = tuple(new_messages[-MAX_MESSAGES:])
    if synced_version == 0:
        return Plan(is_new=True, initial_messages=newest)
    kept: tuple[Message, ...] | None = None
    if new_messages:  # make room: at most 10 messages, the newest kept
        room = MAX_MESSAGES - min(len(new_messages), MAX_MESSAGES)
        kept = tuple(kept_messages[-room:]) if room else ()
    return Plan(
        is_new=False,
        kept_messages=kept,
        patch_notifies=budget > 0 and not message_notifies and points != synced_points,
        added_messages=newest,
        first_message_notifies=message_notifies,
    )
