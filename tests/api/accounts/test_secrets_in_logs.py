"""Passwords and link tokens stay out of the logs: sign-in, a reset and an invitation log
who and what, never the password; the access log hides the tokens in link paths."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.logs import redact_url
from tests.api.accounts.conftest import PASSWORD, Shop, sign_in

pytestmark = pytest.mark.db


def test_no_password_or_token_is_logged(
    client: TestClient, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert sign_in(client, shop.email, "a wrong password") == 401
    assert sign_in(client, shop.email, PASSWORD) == 303
    invited = client.post(
        "/console/account/people", data={"email": "z@example.com", "role": "analyst"}
    )
    token = invited.text.split("/console/invite/")[1].split("<")[0]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert PASSWORD not in logged
    assert "a wrong password" not in logged
    assert token not in logged


def test_link_tokens_are_redacted_in_the_access_log() -> None:
    assert "secret" not in redact_url("/console/invite/secret-token-value")
    assert "secret" not in redact_url("/console/reset/secret-token-value")
    assert redact_url("/console/reset") == "/console/reset"
