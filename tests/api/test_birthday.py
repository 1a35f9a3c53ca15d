"""The one birthday rule, used by the birthday bonus and the birthday automation alike."""

from __future__ import annotations

from datetime import date

import pytest

from api.birthday import is_birthday


class TestIsBirthday:
    def test_the_day_itself(self) -> None:
        assert is_birthday(date(1990, 6, 15), date(2026, 6, 15))
        assert not is_birthday(date(1990, 6, 15), date(2026, 6, 16))

    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            (date(2026, 2, 28), True),  # no 29 February this year
            (date(2028, 2, 28), False),  # a leap year: the 29th comes
            (date(2028, 2, 29), True),
            (date(2100, 2, 28), True),  # divisible by 100: not a leap year
            (date(2000, 2, 28), False),  # divisible by 400: a leap year
            (date(2026, 3, 1), False),
        ],
    )
    def test_29_february(self, today: date, expected: bool) -> None:
        assert is_birthday(date(1992, 2, 29), today) is expected
