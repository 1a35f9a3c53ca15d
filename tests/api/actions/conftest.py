"""The surprise draw replaced by a fixed number, so that tests decide who is surprised."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI

from api.transactions.surprise import get_draw

SetDraw = Callable[[float], None]


@pytest.fixture
def set_draw(app: FastAPI) -> Iterator[SetDraw]:
    """``set_draw(x)``: every surprise draw answers ``x`` until the test ends."""

    def fix(value: float) -> None:
        app.dependency_overrides[get_draw] = lambda: lambda: value

    yield fix
    app.dependency_overrides.pop(get_draw, None)
