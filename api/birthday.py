"""The one birthday rule, shared by the birthday bonus and the birthday automation."""

from __future__ import annotations

import calendar
from datetime import date


def is_birthday(birthday: date, today: date) -> bool:
    """True on the member's birthday. A 29 February birthday is celebrated on 28 February in
    the years without a 29 February."""
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    return (
        (birthday.month, birthday.day) == (2, 29)
        and not calendar.isleap(today.year)
        and (today.month, today.day) == (2, 28)
    )
