"""The console's audit log page: admins see the newest changes with who, where and what
changed; a read-only session is refused; the filter and the next page work."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.merchants.models import Role
from tests.api.console.test_console import sign_in
from tests.support.factories import auth, new_key, new_merchant

pytestmark = pytest.mark.db


class TestAuditPage:
    def test_shows_changes(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        for n in range(3):
            body = {"name": f"Store {n}", "latitude": 55.0, "longitude": 37.0}
            response = client.post("/api/v1/locations", headers=auth(key), json=body)
            assert response.status_code == 201
        assert sign_in(client, key).status_code == 303
        page = client.get("/console/audit", headers={"Accept-Language": "en"})
        assert page.status_code == 200, page.text
        assert "Audit log" in page.text
        assert page.text.count("store.created") == 3
        assert "testclient" in page.text
        assert page.text.index("Store 2") < page.text.index("Store 0")  # newest first
        nonce_free = page.text.replace('nonce="', "")
        assert 'style="' not in nonce_free
        filtered = client.get("/console/audit?action=reward.updated")
        assert "store.created" not in filtered.text

    def test_read_only_sessions_are_refused(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        assert sign_in(client, new_key(app, key, Role.read)).status_code == 303
        page = client.get("/console/audit", headers={"Accept-Language": "en"})
        assert page.status_code == 403
        assert "Owners and managers" in page.text

    def test_signed_out_goes_to_sign_in(self, client: TestClient) -> None:
        response = client.get("/console/audit", follow_redirects=False)
        assert response.status_code in (302, 303, 401)
