"""The installation's VAPID keys: made once and kept in the database, or given by settings;
the signed header (RFC 8292) is reused per origin and checked by the fake push service."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api.settings import Settings
from api.webpush import tasks
from api.webpush.keys import VapidKeys, new_private_pem

pytestmark = pytest.mark.db


class TestKeys:
    def test_made_once_per_installation(self, app: FastAPI, settings: Settings) -> None:
        first = tasks.load_keys(app.state.engine, settings)
        again = tasks.load_keys(app.state.engine, settings)
        assert again.public_key == first.public_key

    def test_settings_override(self, app: FastAPI, settings: Settings) -> None:
        pem = new_private_pem()
        given = settings.model_copy(update={"vapid_private_key": SecretStr(pem.decode()),
                                            "vapid_subject": "mailto:ops@example.com"})  # fmt: skip
        keys = tasks.load_keys(app.state.engine, given)
        assert keys.public_key == VapidKeys(pem, "x").public_key
        assert keys.public_key != app.state.vapid_keys.public_key
        assert keys.subject == "mailto:ops@example.com"

    def test_header_reused_per_origin(self) -> None:
        keys = VapidKeys(new_private_pem(), "mailto:ops@example.com")
        first = keys.header("https://push.example.com/a")
        assert keys.header("https://push.example.com/b") == first
        assert keys.header("https://other.example.net/a") != first
        assert first.startswith("vapid t=")
        assert f"k={keys.public_key}" in first
