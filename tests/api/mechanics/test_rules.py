"""Editing a program's rules cannot destroy it: complete PUT, merge PATCH, confirmation of
breaking changes, versions with before and after, roll back; and concurrent edits on
PostgreSQL each get their own version."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.support.burst import at_once, outcomes
from tests.support.factories import auth, enrol, new_merchant, new_program, purchase
from tests.support.server import running_server

TIERED = {
    "currency": "RUB",
    "timezone": "Europe/Moscow",
    "earn": {"points": 5, "per_amount": "100", "max_points_per_day": 500},
    "tiers": {"levels": [{"name": "Gold", "threshold": "10000", "discount_percent": 5}]},
    "bonuses": {"welcome_points": 50},
    "expiry": {"policy": "days", "days": 365},
}


def rules_url(program: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/programs/{program['id']}/rules{tail}"


def rules(client: TestClient, key: str, program: dict[str, Any]) -> dict[str, Any]:
    response = client.get(rules_url(program), headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> tuple[str, dict[str, Any]]:
    key = new_merchant(app)
    return key, new_program(client, key, rules=TIERED)


class TestReplace:
    def test_a_put_of_only_a_currency_is_refused_and_changes_nothing(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        """The story from the issue: PUT {"currency": "XYZ"} wiped tiers, bonuses and expiry."""
        key, program = shop
        before = rules(client, key, program)
        response = client.put(rules_url(program), json={"currency": "XYZ"}, headers=auth(key))
        assert response.status_code == 422
        problem = response.json()
        assert problem["type"] == "validation_error"
        locations = [error["location"] for error in problem["errors"]]
        assert ["body", "currency"] in locations  # not ISO 4217
        assert ["body", "tiers"] in locations  # a missing section is refused, not defaulted
        assert rules(client, key, program) == before

    def test_a_complete_document_replaces_and_is_versioned(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        document = rules(client, key, program)["rules"]
        document["earn"]["points"] = 7
        response = client.put(rules_url(program), json=document, headers=auth(key))
        assert response.status_code == 200, response.text
        assert response.json()["rules"]["tiers"]["levels"][0]["name"] == "Gold"
        assert rules(client, key, program)["version"] == 2


class TestPatch:
    def test_a_merge_patch_changes_only_what_it_names(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        response = client.patch(
            rules_url(program),
            content=b'{"earn": {"points": 10, "max_points_per_day": null}}',
            headers={**auth(key), "Content-Type": "application/merge-patch+json"},
        )
        assert response.status_code == 200, response.text
        after = rules(client, key, program)["rules"]
        assert after["earn"]["points"] == 10
        assert after["earn"]["max_points_per_day"] is None  # null removes: back to the default
        assert after["earn"]["per_amount"] == "100"
        assert after["tiers"]["levels"][0]["name"] == "Gold"
        assert (after["timezone"], after["bonuses"]["welcome_points"]) == ("Europe/Moscow", 50)
        assert after["expiry"] == {**after["expiry"], "policy": "days", "days": 365}

    @pytest.mark.parametrize(
        ("patch", "field"),
        [
            ({"earn": {"per_amount": "0"}}, "earn.per_amount"),
            ({"tiers": None}, "tiers"),
            ({"currency": "XYZ"}, "currency"),
            ({"earn": {"bogus": 1}}, "earn.bogus"),
            ({"expiry": {"days": None}}, "expiry"),
        ],
    )
    def test_a_bad_patch_names_the_field_and_saves_nothing(
        self,
        client: TestClient,
        shop: tuple[str, dict[str, Any]],
        patch: dict[str, Any],
        field: str,
    ) -> None:
        key, program = shop
        before = rules(client, key, program)
        response = client.patch(rules_url(program), json=patch, headers=auth(key))
        assert response.status_code == 422, response.text
        assert (response.json()["type"], response.json()["field"]) == ("rules_invalid", field)
        assert rules(client, key, program) == before


class TestBreakingChanges:
    def test_changing_the_currency_under_live_balances_needs_confirming(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        member = enrol(client, key, program["id"])
        purchase(client, key, member["id"], "1000")
        change = {"currency": "EUR"}
        refused = client.patch(rules_url(program), json=change, headers=auth(key))
        assert refused.status_code == 409
        assert refused.json()["type"] == "rules_change_unconfirmed"
        assert refused.json()["changes"] == ["currency"]
        assert rules(client, key, program)["rules"]["currency"] == "RUB"

        confirmed = client.patch(
            rules_url(program, "?confirm=currency"), json=change, headers=auth(key)
        )
        assert confirmed.status_code == 200, confirmed.text
        versions = client.get(rules_url(program, "/versions"), headers=auth(key)).json()
        assert versions["items"][-1]["confirmed"] == ["currency"]

    def test_a_program_without_balances_changes_freely(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        enrol(client, key, program["id"])  # this program has a balance (the welcome bonus)
        other = new_program(client, key, name="Empty", rules={"currency": "RUB"})
        response = client.patch(rules_url(other), json={"currency": "KZT"}, headers=auth(key))
        assert response.status_code == 200, response.text


class TestHistory:
    def test_versions_record_who_when_before_after_and_roll_back(
        self, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        original = rules(client, key, program)["rules"]
        assert client.patch(rules_url(program), json={"earn": {"points": 9}}, headers=auth(key))
        versions = client.get(rules_url(program, "/versions"), headers=auth(key)).json()
        first, second = versions["items"]
        assert (first["version"], first["changed_by"], first["before"]) == (1, None, None)
        assert first["after"] == original
        assert second["version"] == 2
        assert (second["before"]["earn"]["points"], second["after"]["earn"]["points"]) == (5, 9)
        assert second["changed_by"] is not None

        back = client.post(rules_url(program, "/rollback"), json={"version": 1}, headers=auth(key))
        assert back.status_code == 200, back.text
        now = rules(client, key, program)
        assert (now["version"], now["rules"]) == (3, original)
        missing = client.post(
            rules_url(program, "/rollback"), json={"version": 99}, headers=auth(key)
        )
        assert (missing.status_code, missing.json()["type"]) == (404, "rules_version_not_found")

    def test_another_merchant_cannot_read_or_change_the_rules(
        self, app: FastAPI, client: TestClient, shop: tuple[str, dict[str, Any]]
    ) -> None:
        key, program = shop
        other = new_merchant(app, "Other")
        for method, tail, body in [
            ("GET", "", None),
            ("PATCH", "", {"earn": {"points": 1}}),
            ("GET", "/versions", None),
            ("POST", "/rollback", {"version": 1}),
        ]:
            response = client.request(
                method, rules_url(program, tail), json=body, headers=auth(other)
            )
            assert response.status_code == 404, (method, tail, response.text)


@pytest.mark.db
def test_concurrent_changes_each_get_their_own_version(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    """40 patches at once: every one applies, in some order, each as its own version."""
    if settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    key = new_merchant(app)
    program = new_program(client, key, rules=TIERED)
    url = rules_url(program)

    def change(points: int) -> Any:
        return lambda http: http.patch(url, json={"earn": {"points": points}}, headers=auth(key))

    with running_server(settings) as base:
        # None of them is the program's 5 points: a patch to the rules it finds would change
        # nothing and make no version (one run in 40 had the 5 first).
        responses = at_once(base, [change(points) for points in range(6, 46)])
    assert outcomes(responses) == {(200, ""): 40}
    versions = client.get(f"{url}/versions?limit=200", headers=auth(key)).json()["items"]
    assert [v["version"] for v in versions] == list(range(1, 42))
    # Each change saw the one before it: the history is a chain, nothing lost in between.
    for earlier, later in zip(versions[1:], versions[2:], strict=False):
        assert later["before"] == earlier["after"]
    assert rules(client, key, program)["rules"] == versions[-1]["after"]
