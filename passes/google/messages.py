"""Google Wallet object messages (walletobjects v1: ``Message``), as ``addMessage`` and the
``messages`` list of a LoyaltyObject take them.

A message is shown on the card for its ``displayInterval``; ``TEXT_AND_NOTIFY`` also asks for
a notification, which counts against Google's budget of 3 per object per 24 hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

MAX_MESSAGE_BODY = 500


def object_message(
    *,
    message_id: str,
    header: str,
    body: str,
    start: datetime,
    lifetime: timedelta,
    notify: bool = False,
) -> dict[str, Any]:
    """One message: shown from ``start`` for ``lifetime``; the body is cut to 500 characters."""
    return {
        "id": message_id,
        "header": header,
        "body": body[:MAX_MESSAGE_BODY],
        "messageType": "TEXT_AND_NOTIFY" if notify else "TEXT",
        "displayInterval": {
            "start": {"date": _rfc3339(start)},
            "end": {"date": _rfc3339(start + lifetime)},
        },
    }


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
