"""Route order: the hot routers are included first (api/main.py), which is safe only while no
route hides another. Every route's own path, with an id in each parameter, must reach that
route and no other."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match

SAMPLE_ID = "0b5c6c1e-7a4e-4a4b-9c1e-1d2f3a4b5c6d"


def _leaves(routes: Iterable[Any]) -> Iterator[Any]:
    # FastAPI keeps included routers as branches; their effective routes are the leaves.
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _leaves(route.effective_candidates())
        else:
            yield route


def _first_match(app: FastAPI, method: str, path: str) -> BaseRoute | None:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
             "query_string": b"", "app": app}  # fmt: skip
    for top in app.router.routes:
        if hasattr(top, "_match"):  # an included router: what it would hand the request to
            match, _, route, _ = top._match(scope)
            while hasattr(route, "_match") and match == Match.FULL:
                match, _, route, _ = route._match(scope)
        else:
            match, _ = top.matches(scope)
            route = top
        if match == Match.FULL:
            return route
    return None


def test_every_route_is_reached_by_its_own_path(app: FastAPI) -> None:
    checked, hidden = 0, []
    for route in _leaves(app.router.routes):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not path or not methods:
            continue
        concrete = re.sub(r"\{[^}]+\}", SAMPLE_ID, path)
        for method in sorted(methods):
            checked += 1
            hit = _first_match(app, method, concrete)
            if getattr(hit, "endpoint", None) is not route.endpoint:
                hidden.append(f"{method} {path} -> {getattr(hit, 'path', hit)}")
    assert checked > 150
    assert hidden == []


def test_the_hot_paths_are_matched_first(app: FastAPI) -> None:
    """A device's pass fetch, the first download and a purchase are matched before the
    console's and the API's other routes (each route tried costs a regex and bookkeeping)."""
    order = [getattr(route, "path", "") for route in _leaves(app.router.routes)]
    for hot in (
        "/apple/v1/passes/{pass_type}/{serial}",
        "/cards/{token}/apple.pkpass",
        "/api/v1/members/{member_id}/transactions",
    ):
        assert order.index(hot) < 30, hot
