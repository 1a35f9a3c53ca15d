"""The card page's feedback form: offered for the member's latest purchase not yet rated,
stored once per purchase, earning the program's feedback points once; the merchant lists it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.transactions.test_ledger import reconcile
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase


class Shop:
    def __init__(self, app: FastAPI, client: TestClient, *, points: int | None = 25) -> None:
        self.client = client
        self.key = new_merchant(app)
        self.program = new_program(client, self.key, rules=POINTS_RULES)["id"]
        if points is not None:
            response = client.post(
                f"/api/v1/programs/{self.program}/actions",
                json={"kind": "feedback", "points": points},
                headers=auth(self.key),
            )
            assert response.status_code == 201, response.text

    def member(self, name: str = "Anna", phone: str = "+79161234567") -> dict[str, Any]:
        return enrol(self.client, self.key, self.program, name=name, phone=phone)

    def page(self, member: dict[str, Any], query: str = "") -> str:
        response = self.client.get(f"{_path(member)}{query}")
        assert response.status_code == 200, response.text
        return response.text

    def send(self, member: dict[str, Any], **fields: str) -> str:
        response = self.client.post(
            f"{_path(member)}/feedback", data=fields, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        location: str = response.headers["location"]
        return location.split("feedback=")[1].split("#")[0]

    def feedback(self) -> list[dict[str, Any]]:
        response = self.client.get(
            f"/api/v1/programs/{self.program}/feedback", headers=auth(self.key)
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


def _path(member: dict[str, Any]) -> str:
    return "/cards/" + member["card_url"].rsplit("/", 1)[1]


class TestTheForm:
    def test_offered_for_the_latest_purchase_only(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        anna = shop.member()
        assert 'id="feedback-form"' not in shop.page(anna)  # nothing bought yet
        purchase(client, shop.key, anna["id"], "300")
        latest = purchase(client, shop.key, anna["id"], "450")["transaction"]["id"]
        page = shop.page(anna)
        assert 'id="feedback-form"' in page
        assert f'value="{latest}"' in page
        assert "25" in page
        assert "450" in page
        assert "nonce=" in page
        assert "style=" not in page

    def test_sent_once_earns_once(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        anna = shop.member()
        bought = purchase(client, shop.key, anna["id"], "300")["transaction"]["id"]
        assert shop.send(anna, transaction_id=bought, rating="4", comment=" Tasty ") == "thanks"
        assert shop.send(anna, transaction_id=bought, rating="1") == "taken"
        page = shop.page(anna, "?feedback=thanks")
        assert 'id="feedback-form"' not in page
        assert 'id="feedback-result"' in page
        [stored] = shop.feedback()
        assert (stored["rating"], stored["comment"], stored["points"]) == (4, "Tasty", 25)
        assert stored["transaction_id"] == bought
        bonuses = [m for m in reconcile(client, shop.key, anna["id"]) if m["kind"] == "bonus"]
        assert [(m["amount"], m["reason"]) for m in bonuses] == [(25, "action: feedback")]

    def test_without_a_feedback_rule_it_is_stored_without_points(
        self, app: FastAPI, client: TestClient
    ) -> None:
        shop = Shop(app, client, points=None)
        anna = shop.member()
        bought = purchase(client, shop.key, anna["id"], "300")["transaction"]["id"]
        assert shop.send(anna, transaction_id=bought, rating="5") == "thanks"
        assert [f["points"] for f in shop.feedback()] == [0]
        assert not any(m["kind"] == "bonus" for m in reconcile(client, shop.key, anna["id"]))

    def test_another_members_purchase_cannot_be_rated(
        self, app: FastAPI, client: TestClient
    ) -> None:
        shop = Shop(app, client)
        anna, boris = shop.member(), shop.member("Boris", "+79160000001")
        hers = purchase(client, shop.key, anna["id"], "300")["transaction"]["id"]
        assert shop.send(boris, transaction_id=hers, rating="1") == "taken"
        assert shop.feedback() == []
        assert hers not in shop.page(boris)

    def test_a_bad_form_is_refused_with_a_message(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        anna = shop.member()
        bought = purchase(client, shop.key, anna["id"], "300")["transaction"]["id"]
        for fields in (
            {"transaction_id": bought},
            {"transaction_id": bought, "rating": "6"},
            {"transaction_id": "nope", "rating": "3"},
        ):
            assert shop.send(anna, **fields) == "invalid"
        assert shop.feedback() == []
        assert 'id="feedback-result"' in shop.page(anna, "?feedback=invalid")

    def test_an_unknown_card_is_404(self, client: TestClient) -> None:
        response = client.post("/cards/" + "x" * 32 + "/feedback", data={"rating": "5"})
        assert response.status_code == 404

    def test_russian_texts(self, app: FastAPI, client: TestClient) -> None:
        shop = Shop(app, client)
        anna = shop.member()
        purchase(client, shop.key, anna["id"], "300")
        response = client.get(_path(anna), headers={"Accept-Language": "ru"})
        assert "Как вам покупка?" in response.text
