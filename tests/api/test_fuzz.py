"""Schemathesis fuzzes every merchant API route from the OpenAPI schema, with valid and
invalid data, against real ids and random ones: whatever a client sends, never a 5xx."""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.factories import POINTS_RULES, enrol, new_merchant, new_program, purchase

# CI runs 15 per route and mode; set LOYALPASS_FUZZ_EXAMPLES for a longer hunt.
EXAMPLES_PER_ROUTE = int(os.environ.get("LOYALPASS_FUZZ_EXAMPLES", "15"))
# The routes are fuzzed in shards (every SHARDS-th route), so that pytest-xdist spreads them
# over its workers instead of one test holding a worker for minutes.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_merchant_api_never_answers_5xx(app: FastAPI, client: TestClient, shard: int) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    member = enrol(client, key, program["id"])
    purchase(client, key, member["id"], "100")
    schema = schemathesis.openapi.from_asgi("/openapi.json", _without_lifespan(app))
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    every = [op for op in operations if op.path.startswith("/api/")]
    assert len(every) >= 15
    fuzzed = every[shard::SHARDS]

    known_ids = {"member_id": member["id"], "program_id": program["id"]}
    for operation, mode in itertools.product(fuzzed, schemathesis.GenerationMode):
        path_ids = {k: v for k, v in known_ids.items() if "{" + k + "}" in operation.path}
        strategy = operation.as_strategy(mode) | operation.as_strategy(
            mode, path_parameters=path_ids or None
        )

        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
            # A generous timeout: CI's 2 cores also run the other worker, PostgreSQL and
            # Chromium; a request that hangs still fails, at 60 s instead of 10.
            response = case.call(timeout=60)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

        try:
            call()
        except Unsatisfiable:
            # A route with no parameter (GET /api/v1/operator/status) has nothing to make
            # invalid: the negative mode generates no case for it.
            assert mode == schemathesis.GenerationMode.NEGATIVE, operation.path
    assert failures == []


def _without_lifespan(app: FastAPI) -> ASGIApp:
    """The app, minus its lifespan: schemathesis starts the lifespan of the app it is given,
    which would build a second engine and signer and leak the first."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return wrapper
