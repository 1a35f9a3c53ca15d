"""Fixtures of the account tests: a merchant with an owner account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.accounts import operator
from api.merchants.service import authenticate
from tests.support.factories import new_merchant

PASSWORD = "correct horse battery"


@dataclass
class Shop:
    key: str
    merchant_id: uuid.UUID
    email: str
    password: str = PASSWORD


@pytest.fixture
def shop(app: FastAPI) -> Shop:
    key = new_merchant(app)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    with Session(app.state.engine) as session, session.begin():
        merchant_id = authenticate(session, f"Bearer {key}").merchant_id
        operator.create_owner(session, merchant_id, email, password=PASSWORD)
    return Shop(key, merchant_id, email)


def sign_in(client: TestClient, email: str, password: str, **extra: str) -> int:
    """Posts the console's sign-in form; the status (303 signed in, 401 refused)."""
    body = {"email": email, "password": password, **extra}
    response = client.post("/console/sign-in", data=body, follow_redirects=False)
    return response.status_code


@pytest.fixture(autouse=True)
def _english(client: TestClient) -> None:
    """The pages answer in English here (the texts the tests look for)."""
    client.headers["Accept-Language"] = "en"
