"""Structured logs: one JSON object per line, the request id (the client's X-Request-ID when
sane, echoed in the answer) on every record of the request, and no secret, token, card token
or contact in the records of an enrolment, a purchase and a push."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.apple_webservice.pusher import ApplePusher
from api.apple_webservice.sender import ApnsSender
from api.logs import JsonFormatter, KeyValueFormatter, RequestIdFilter, request_id
from api.settings import Settings
from tests.api.apple_webservice.test_web_service import TOKEN_A, card, fake_apns
from tests.support.factories import auth, new_merchant, new_program, purchase
from tests.support.fake_apns import FakeApns

__all__ = ["fake_apns"]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record of every logger, as the service writes them in production (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # the production level (DEBUG is for a developer)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def record(message: str, **extra: Any) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "api.test", "levelno": logging.WARNING,
                                  "levelname": "WARNING", "msg": message, **extra})  # fmt: skip
    RequestIdFilter().filter(made)
    return made


class TestJsonLines:
    def test_one_object_per_record_with_its_fields(self) -> None:
        token = request_id.set("req-12345678")
        try:
            line = JsonFormatter().format(record("card pushed", card_id="c-1", attempts=2))
        finally:
            request_id.reset(token)
        assert "\n" not in line
        body = json.loads(line)
        assert body["level"] == "WARNING"
        assert body["logger"] == "api.test"
        assert body["message"] == "card pushed"
        assert body["request_id"] == "req-12345678"
        assert (body["card_id"], body["attempts"]) == ("c-1", 2)
        assert body["time"].endswith("+00:00")

    def test_a_traceback_stays_on_the_line(self) -> None:
        try:
            raise ValueError("boom")
        except ValueError:
            import sys

            made = record("crashed", exc_info=sys.exc_info())
        body = json.loads(JsonFormatter().format(made))
        assert "ValueError: boom" in body["exc"]

    @pytest.mark.parametrize("formatter", [JsonFormatter(), KeyValueFormatter()])
    def test_secrets_and_contacts_are_scrubbed(self, formatter: logging.Formatter) -> None:
        made = record(
            "mail to anna@example.com or +7 916 123-45-67, card 123456789012",
            push_token="a1" * 32, authorization="Bearer lp_x_y", email="b@example.org",
            phone="+79161234567", reason="BadDeviceToken", status_code=410,
            code="forbidden", path="/cards/Zq9xSecretCardToken/feedback",
        )  # fmt: skip
        line = formatter.format(made)
        for secret in ("anna@example.com", "916 123", "123456789012", "a1a1", "lp_x_y",
                       "b@example.org", "79161234567", "Zq9x"):  # fmt: skip
            assert secret not in line, (secret, line)
        assert "BadDeviceToken" in line
        assert "410" in line
        assert "forbidden" in line  # an error code is no secret
        assert "/cards/***/feedback" in line


class TestRequestId:
    def test_a_sane_id_is_kept_and_echoed(self, client: TestClient, captured: io.StringIO) -> None:
        response = client.get("/api/v1/programs", headers={"X-Request-ID": "lb-7f3a9c21"})
        assert response.headers["X-Request-ID"] == "lb-7f3a9c21"

    @pytest.mark.parametrize("given", [None, "short", "x" * 65, "bad id\twith space", "a/b?c=d&e"])
    def test_otherwise_a_new_one(self, client: TestClient, given: str | None) -> None:
        headers = {"X-Request-ID": given} if given else {}
        response = client.get("/healthz", headers=headers)
        rid = response.headers["X-Request-ID"]
        assert rid != given
        assert len(rid) == 32
        int(rid, 16)

    def test_every_record_of_the_request_carries_it(
        self, app: FastAPI, client: TestClient, captured: io.StringIO
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        response = client.post(
            f"/api/v1/programs/{program['id']}/members",
            json={"name": "Anna", "phone": "+7 916 123-45-67"},
            headers={**auth(key), "X-Request-ID": "till-0001-abcd"},
        )
        assert response.status_code == 201
        enrolled = [r for r in lines(captured) if r["message"] == "member enrolled"]
        assert [r.get("request_id") for r in enrolled] == ["till-0001-abcd"]
        assert request_id.get() is None  # not left behind for the next request


@pytest.fixture
def pusher(app: FastAPI, settings: Settings, fake_apns: FakeApns) -> Iterator[ApplePusher]:
    fake_apns.reset()
    apns = settings.model_copy(
        update={"apns_url": fake_apns.url, "apns_ca_file": fake_apns.ca_file}
    )
    sender = ApnsSender.from_settings(apns, app.state.apple_wallet.pass_type_identifier)
    yield ApplePusher(app.state.engine, sender.send, credential=sender.credential)
    sender.close()


def test_enrol_purchase_and_push_log_no_secret_or_contact(
    app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns,
    captured: io.StringIO,
) -> None:  # fmt: skip
    email = "anna.petrova@example.com"
    key, member, wallet = card(app, client, name="Logs")
    client.patch(f"/api/v1/members/{member['id']}", json={"email": email}, headers=auth(key))
    assert wallet.register(TOKEN_A).status_code == 201
    purchase(client, key, member["id"], "300")
    fake_apns.script(TOKEN_A, 410, "Unregistered")  # a failure's record too
    pusher.run_once()
    purchase(client, key, member["id"], "300")
    pusher.run_once()
    # the service's records; the test client's own log of the URLs it fetched is not one
    text = "\n".join(
        line for line in captured.getvalue().splitlines() if "http://testserver/" not in line
    )
    assert text, "nothing was logged"
    card_token = member["card_url"].rsplit("/", 1)[-1]
    secrets = {
        "phone": "916 123-45-67", "phone digits": "9161234567", "email": email,
        "card token": card_token, "pass auth token": wallet.token, "api key": key,
        "api key secret": key.split("_", 2)[2], "push token": TOKEN_A, "serial": wallet.serial,
    }  # fmt: skip
    leaked = {name: value for name, value in secrets.items() if value in text}
    assert not leaked, leaked
