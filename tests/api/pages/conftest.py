"""Fixtures of the pages' HTTP tests: a shop to use them with, and the service behind a TLS
proxy (an https public URL, reached as plain http)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.support.pages import PageShop, new_page_shop

HTTPS_URL = "https://loyalpass.example"


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> PageShop:
    return new_page_shop(app, client)


@pytest.fixture
def behind_tls_proxy(app: FastAPI, settings: Settings) -> Iterator[TestClient]:
    """The service with an https public URL, reached over plain http (a TLS proxy in front
    that sends no X-Forwarded-Proto). Same database as ``app``."""
    https = settings.model_copy(update={"public_url": HTTPS_URL})
    with TestClient(create_app(https), base_url="http://loyalpass.example") as client:
        yield client
