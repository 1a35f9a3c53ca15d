"""Enrolment, member reads and the card download."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.factories import auth, enrol, new_merchant, new_program
from tests.support.pkpass import verify_pkpass


class TestEnrol:
    def test_returns_the_card_contract(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        member = enrol(client, key, program["id"])
        assert member["name"] == "Anna Petrova"
        assert member["phone"] == "+79161234567"
        assert member["balance"] == 0
        assert len(member["serial_number"]) == 12
        assert member["card_url"].startswith("http://testserver/cards/")
        assert member["apple_pass_url"] == member["card_url"] + "/apple.pkpass"
        assert member["google_save_url"] is None  # Google Wallet is not set up here
        assert client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json() == member

    def test_card_urls_are_unguessable(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        tokens = [
            enrol(client, key, program["id"], phone=f"+7916000000{i}")["card_url"].rsplit("/", 1)[1]
            for i in range(3)
        ]
        assert len(set(tokens)) == 3
        assert all(len(token) >= 32 for token in tokens)  # 24 random bytes = 192 bits

    def test_same_phone_or_email_returns_the_existing_member(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        first = client.post(
            f"/api/v1/programs/{program['id']}/members",
            json={"name": "Anna", "phone": "+7 (916) 123-45-67", "email": "Anna@Example.com"},
            headers=auth(key),
        )
        again = client.post(
            f"/api/v1/programs/{program['id']}/members",
            json={"name": "Anna P", "email": "anna@example.com"},
            headers=auth(key),
        )
        assert first.status_code == 201
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]

    def test_needs_phone_or_email(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        response = client.post(
            f"/api/v1/programs/{program['id']}/members", json={"name": "Anna"}, headers=auth(key)
        )
        assert response.status_code == 422
        assert "phone number or an email" in response.json()["detail"]

    def test_bad_phone_and_email(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        url = f"/api/v1/programs/{program['id']}/members"
        for body in ({"name": "A", "phone": "call me"}, {"name": "A", "email": "not-an-email"}):
            response = client.post(url, json=body, headers=auth(key))
            assert response.status_code == 422, body
            assert response.headers["content-type"] == "application/problem+json"

    def test_unknown_program(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.post(
            "/api/v1/programs/00000000-0000-0000-0000-000000000000/members",
            json={"name": "A", "phone": "+79160000000"},
            headers=auth(key),
        )
        assert response.status_code == 404

    def test_other_merchants_member_is_404(self, app: FastAPI, client: TestClient) -> None:
        mine, theirs = new_merchant(app, "A"), new_merchant(app, "B")
        member = enrol(client, theirs, new_program(client, theirs)["id"])
        response = client.get(f"/api/v1/members/{member['id']}", headers=auth(mine))
        assert response.status_code == 404
        assert response.json()["type"] == "member_not_found"
        assert "Anna" not in response.text


class TestTags:
    def test_set_at_enrolment_added_on_reenrolment_replaced_by_put(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        member = enrol(client, key, program["id"], tags=[" Vegan ", "vegan", "Кофе с собой"])
        assert member["tags"] == ["vegan", "кофе с собой"]
        again = enrol(client, key, program["id"], tags=["autumn-fair"])
        assert again["id"] == member["id"]
        assert again["tags"] == ["autumn-fair", "vegan", "кофе с собой"]
        url = f"/api/v1/members/{member['id']}/tags"
        replaced = client.put(url, json={"tags": ["Wholesale", "vegan"]}, headers=auth(key))
        assert replaced.status_code == 200
        assert replaced.json()["tags"] == ["vegan", "wholesale"]
        assert client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json() == (
            replaced.json()
        )
        found = client.get("/api/v1/members", params={"query": "Anna"}, headers=auth(key))
        assert found.json()["items"][0]["tags"] == ["vegan", "wholesale"]
        cleared = client.put(url, json={"tags": []}, headers=auth(key))
        assert cleared.json()["tags"] == []

    def test_bad_tags_are_refused_and_change_nothing(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        member = enrol(client, key, program["id"], tags=["vip"])
        url = f"/api/v1/members/{member['id']}/tags"
        for tags in (["x" * 41], ["<script>"], [""], [f"t{i}" for i in range(21)]):
            response = client.put(url, json={"tags": tags}, headers=auth(key))
            assert response.status_code == 422, tags
            assert response.headers["content-type"] == "application/problem+json"
        missing = client.put(
            "/api/v1/members/00000000-0000-0000-0000-000000000000/tags",
            json={"tags": ["vip"]},
            headers=auth(key),
        )
        assert missing.status_code == 404
        got = client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json()
        assert got["tags"] == ["vip"]


class TestCardDownload:
    def test_pkpass_verifies_and_carries_the_member(
        self, app: FastAPI, client: TestClient, root_ca: Path
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, kind="stamps", stamps_required=8)
        member = enrol(client, key, program["id"])
        response = client.get(member["apple_pass_url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.apple.pkpass"
        assert "attachment" in response.headers["content-disposition"]
        assert response.headers["last-modified"].endswith("GMT")
        body = verify_pkpass(response.content, root_ca).pass_json
        assert body["serialNumber"] == member["serial_number"]
        assert body["barcodes"][0]["message"] == member["serial_number"]
        assert body["storeCard"]["primaryFields"][0]["value"] == "0/8"
        assert body["webServiceURL"] == "http://testserver/apple"
        assert len(body["authenticationToken"]) >= 32

    def test_second_download_is_served_from_the_cache(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        member = enrol(client, key, new_program(client, key)["id"])
        first = client.get(member["apple_pass_url"]).content
        assert client.get(member["apple_pass_url"]).content == first  # same signature bytes

    def test_card_page(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        member = enrol(client, key, new_program(client, key)["id"])
        page = client.get(member["card_url"])
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "Anna Petrova" in page.text
        assert member["apple_pass_url"] in page.text

    def test_unknown_and_absurd_tokens_look_the_same(self, client: TestClient) -> None:
        for token in ("A" * 32, "../../etc/passwd", "x" * 500):
            response = client.get(f"/cards/{token}/apple.pkpass")
            assert response.status_code in (404, 422), token
            assert response.headers["content-type"] == "application/problem+json"

    def test_member_response_never_leaks_the_pass_token(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        member = enrol(client, key, new_program(client, key)["id"])
        pass_json = verify_pkpass(
            client.get(member["apple_pass_url"]).content,
            Path(app.state.settings.apple_wwdr_file).parent / "root-ca.pem",
        ).pass_json
        assert pass_json["authenticationToken"] not in json.dumps(member)


class TestNulCharacters:
    """PostgreSQL cannot store or compare text with U+0000: it is refused at the edge."""

    def test_in_a_query(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.get("/api/v1/members?query=%00", headers=auth(key))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "invalid_request"

    def test_in_a_path(self, client: TestClient) -> None:
        assert client.get("/cards/ab%00cd").status_code == 422

    def test_in_a_body(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        response = client.post(
            f"/api/v1/programs/{program['id']}/members",
            json={"name": "An\x00na", "phone": "+79160000001"},
            headers=auth(key),
        )
        assert response.status_code == 422
        assert "NUL" in response.text
        search = client.get("/api/v1/members", headers=auth(key)).json()
        assert search["total"] == 0
