"""The console over HTTP (both databases): sign-in rules, charts, rules editing, campaigns."""

from __future__ import annotations

import html
import json
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.console.charts import bar_chart
from api.merchants.models import Role
from tests.support.factories import (
    auth,
    enrol,
    new_key,
    new_merchant,
    new_program,
    purchase,
    transact,
)

pytestmark = pytest.mark.db


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> dict[str, Any]:
    key = new_merchant(app)
    program = new_program(client, key)
    member = enrol(client, key, program["id"])
    purchase(client, key, member["id"], "500")
    client.headers["Accept-Language"] = "en"
    return {"key": key, "program": program, "member": member}


def sign_in(client: TestClient, key: str) -> Any:
    return client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)


class TestConsole:
    def test_a_till_key_cannot_sign_in(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        response = sign_in(client, new_key(app, shop["key"], Role.pos))
        assert response.status_code == 401

    def test_the_overview_counts_today(self, client: TestClient, shop: dict[str, Any]) -> None:
        assert sign_in(client, shop["key"]).status_code == 303
        page = client.get("/console")
        # each of the three charts says it twice: in its caption and its image's label
        assert page.text.count("Last 30 days: 1, busiest day: 1") == 6

    def test_member_page_shows_ledger_and_tags(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        member = shop["member"]
        tags = {"tags": ["vegan", "wholesale"]}
        client.put(f"/api/v1/members/{member['id']}/tags", json=tags, headers=auth(shop["key"]))
        sign_in(client, shop["key"])
        page = client.get(f"/console/members/{member['id']}")
        assert page.status_code == 200
        assert '<td id="tags">vegan, wholesale</td>' in page.text
        assert '<td id="balance">25</td>' in page.text

    def test_member_page_shows_whether_the_card_reached_the_phones(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        """The same delivery read model as GET /api/v1/members/{id}/delivery."""
        member = shop["member"]
        api = client.get(f"/api/v1/members/{member['id']}/delivery", headers=auth(shop["key"]))
        sign_in(client, shop["key"])
        page = client.get(f"/console/members/{member['id']}")
        assert api.json()["registered_devices"] == 0
        assert api.json()["google"] is None
        assert "devices holding the card: 0" in page.text
        assert "no Google Wallet card" in page.text

    def test_the_ledger_shows_every_movement_signed_with_the_balance_after(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        member = shop["member"]
        transact(client, shop["key"], member["id"], kind="adjust", points=15, reason="goodwill")
        transact(client, shop["key"], member["id"], kind="adjust", points=-4, reason="typo")
        balance = client.get(f"/api/v1/members/{member['id']}", headers=auth(shop["key"]))
        sign_in(client, shop["key"])
        page = client.get(f"/console/members/{member['id']}").text
        assert "<td>+15</td>" in page
        assert "<td>-4</td>" in page
        assert f"<td>{balance.json()['balance']}</td>" in page

    def test_rules_are_edited_and_checked(self, client: TestClient, shop: dict[str, Any]) -> None:
        sign_in(client, shop["key"])
        path = f"/console/programs/{shop['program']['id']}"
        bad = client.post(path, data={"action": "rules", "rules": '{"currency": "rubles"}'})
        assert bad.status_code == 422
        assert "currency" in bad.text
        rules = client.get(
            f"/api/v1/programs/{shop['program']['id']}", headers=auth(shop["key"])
        ).json()["rules"]
        rules["bonuses"]["welcome_points"] = 77
        good = client.post(path, data={"action": "rules", "rules": json.dumps(rules)})
        assert good.status_code == 200
        assert "Saved" in good.text
        saved = client.get(f"/api/v1/programs/{shop['program']['id']}", headers=auth(shop["key"]))
        assert saved.json()["rules"]["bonuses"]["welcome_points"] == 77

    def test_a_currency_change_under_balances_asks_for_the_box(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["key"])  # the shop's member holds points
        path = f"/console/programs/{shop['program']['id']}"
        rules = client.get(
            f"/api/v1/programs/{shop['program']['id']}", headers=auth(shop["key"])
        ).json()["rules"]
        form = {"action": "rules", "rules": json.dumps({**rules, "currency": "EUR"})}
        unticked = client.post(path, data=form)
        assert unticked.status_code == 422
        assert "confirm=currency" in unticked.text
        ticked = client.post(path, data={**form, "confirm": "currency,stamps.basis"})
        assert ticked.status_code == 200, ticked.text
        saved = client.get(f"/api/v1/programs/{shop['program']['id']}", headers=auth(shop["key"]))
        assert saved.json()["rules"]["currency"] == "EUR"

    def test_a_read_key_changes_nothing(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, new_key(app, shop["key"], Role.read))
        path = f"/console/programs/{shop['program']['id']}"
        response = client.post(path, data={"action": "reward", "name": "Tea", "cost": "5"})
        assert response.status_code == 422
        assert "This key can only read" in response.text

    def test_audience_and_campaign(self, client: TestClient, shop: dict[str, Any]) -> None:
        sign_in(client, shop["key"])
        program_id = shop["program"]["id"]
        count = client.get(f"/console/campaigns/audience?program={program_id}&min_balance=1")
        assert count.json() == {"members": 1}
        none = client.get(f"/console/campaigns/audience?program={program_id}&min_balance=9999")
        assert none.json() == {"members": 0}
        sent = client.post(
            "/console/campaigns",
            data={"program": program_id, "action": "send", "name": "Hello", "message": "Hi!"},
        )
        assert 'Campaign "Hello" is on its way to 1 members.' in html.unescape(sent.text)

    def test_a_read_key_sends_no_campaign(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, new_key(app, shop["key"], Role.read))
        form = {"program": shop["program"]["id"], "action": "send", "name": "Hi", "message": "Hi"}
        response = client.post("/console/campaigns", data=form)
        assert response.status_code == 422
        assert "this needs a key with role admin" in response.text
        listed = client.get(
            f"/api/v1/programs/{shop['program']['id']}/campaigns", headers=auth(shop["key"])
        )
        assert listed.json()["items"] == []

    def test_the_session_cookie_stays_on_the_console(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        cookie = sign_in(client, shop["key"]).headers["set-cookie"]
        for part in (
            "lp_console=",
            "HttpOnly",
            "Path=/console",
            "SameSite=strict",
            "Max-Age=28800",
        ):
            assert part in cookie, cookie
        signed_out = client.post("/console/sign-out", follow_redirects=False)
        assert signed_out.headers["location"] == "/console"
        assert client.get("/console/members", follow_redirects=False).status_code == 303

    def test_signed_out_pages_redirect(self, client: TestClient) -> None:
        response = client.get("/console/members", follow_redirects=False)
        assert response.headers["location"] == "/console"
        audience = client.get("/console/campaigns/audience")
        assert (audience.status_code, audience.json()) == (401, {"members": None})


def test_bar_chart_fills_missing_days() -> None:
    chart = bar_chart("x", {date(2026, 1, 2): 4}, last=date(2026, 1, 3), days=3)
    assert [bar.value for bar in chart.bars] == [0, 4, 0]
    assert chart.bars[1].height == 86
