"""How many notifications a card may cause, per wallet: the numbers the Google sync spends
and the delivery read model reports. Pure values, no queries.

Google allows 3 notifications per object per 24 hours (counted by us, per card).
"""

from __future__ import annotations

from datetime import timedelta

NOTIFICATION_LIMIT = 3
NOTIFICATION_WINDOW = timedelta(hours=24)


def notifications_left(used: int) -> int:
    """What is left of the card's Google budget after ``used`` in the window."""
    return max(0, NOTIFICATION_LIMIT - used)
