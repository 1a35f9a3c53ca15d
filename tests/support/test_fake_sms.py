"""The SMS fakes check what the real gateways check and answer in their formats."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from tests.support.fake_sms import FakeSmsRu, FakeTwilio


def post(
    url: str,
    fields: dict[str, str],
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    data = raw if raw is not None else urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
        exc.close()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()


class TestFakeSmsRu:
    def test_sends_and_answers_json(self) -> None:
        with FakeSmsRu() as fake:
            fields = {
                "api_id": fake.api_id,
                "to": "79161234567",
                "msg": "Привет",
                "json": "1",
                "from": "CoffeeCo",
            }
            status, body = post(f"{fake.url}/sms/send", fields)
        assert status == 200
        assert body["status"] == "OK"
        item = body["sms"]["79161234567"]
        assert item["status_code"] == 100
        assert fake.sent[0].id == item["sms_id"]
        assert fake.sent[0].sender == "CoffeeCo"

    def test_plain_text_answer_without_json(self) -> None:
        with FakeSmsRu() as fake:
            fields = {"api_id": fake.api_id, "to": "79161234567", "msg": "hi"}
            status, body = post(f"{fake.url}/sms/send", fields)
        lines = str(body).split("\n")
        assert status == 200
        assert lines[0] == "100"
        assert lines[1] == fake.sent[0].id
        assert lines[2].startswith("balance=")

    def test_checks_what_sms_ru_checks(self) -> None:
        with FakeSmsRu(balance=11, price=3.5) as fake:
            base = {"api_id": fake.api_id, "to": "79161234567", "msg": "hi", "json": "1"}
            url = f"{fake.url}/sms/send"
            assert post(url, {**base, "api_id": "wrong"})[1]["status_code"] == 200
            assert post(url, {**base, "from": "Unknown"})[1]["status_code"] == 204
            assert post(url, {**base, "msg": " "})[1]["status_code"] == 203
            assert post(url, {**base, "to": "12"})[1]["sms"]["12"]["status_code"] == 202
            long = {**base, "msg": "ж" * (67 * 8 + 1)}
            assert post(url, long)[1]["sms"]["79161234567"]["status_code"] == 205
            raw = urlencode({**base, "msg": "x"}).encode() + b"&x=\xff"
            assert post(url, {}, raw=raw)[1]["status_code"] == 212
            fake.stop_list.add("79160000000")
            stopped = post(url, {**base, "to": "79160000000"})[1]
            assert stopped["sms"]["79160000000"]["status_code"] == 209
            assert (
                post(url, {**base, "msg": "a" * 400})[1]["sms"]["79161234567"]["status_code"] == 100
            )
            poor = post(url, {**base})[1]["sms"]["79161234567"]
            assert poor["status_code"] == 201
        assert len(fake.sent) == 1
        assert fake.sent[0].segments == 3

    def test_outage(self) -> None:
        with FakeSmsRu() as fake:
            fake.fail_next(1)
            fields = {"api_id": fake.api_id, "to": "79161234567", "msg": "hi", "json": "1"}
            assert post(f"{fake.url}/sms/send", fields)[0] == 503
            assert post(f"{fake.url}/sms/send", fields)[0] == 200
        assert fake.requests == 2


class TestFakeTwilio:
    def auth(self, fake: FakeTwilio, token: str | None = None) -> dict[str, str]:
        pair = f"{fake.account_sid}:{token or fake.auth_token}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def url(self, fake: FakeTwilio, sid: str | None = None) -> str:
        return f"{fake.url}/2010-04-01/Accounts/{sid or fake.account_sid}/Messages.json"

    def test_sends_and_answers_the_message_resource(self) -> None:
        with FakeTwilio() as fake:
            fields = {"To": "+447700900123", "From": fake.numbers[0], "Body": "Привет"}
            status, body = post(self.url(fake), fields, self.auth(fake))
        assert status == 201
        assert body["sid"].startswith("SM")
        assert len(body["sid"]) == 34
        assert body["status"] == "queued"
        assert body["num_segments"] == "1"
        assert fake.sent[0].to == "+447700900123"

    def test_checks_auth(self) -> None:
        with FakeTwilio() as fake:
            fields = {"To": "+447700900123", "From": fake.numbers[0], "Body": "hi"}
            wrong = post(self.url(fake), fields, self.auth(fake, "bad"))
            other = post(self.url(fake, "AC" + "1" * 32), fields, self.auth(fake))
            none = post(self.url(fake), fields)
        for status, body in (wrong, other, none):
            assert status == 401
            assert body["code"] == 20003
        assert fake.sent == []

    def test_checks_what_twilio_checks(self) -> None:
        with FakeTwilio() as fake:
            url, auth = self.url(fake), self.auth(fake)
            base = {"To": "+447700900123", "From": fake.numbers[0], "Body": "hi"}
            fake.unsubscribed.add("+447700900999")
            cases = {
                21604: {k: v for k, v in base.items() if k != "To"},
                21211: {**base, "To": "8 916 123"},
                21603: {k: v for k, v in base.items() if k != "From"},
                21606: {**base, "From": "+15550000000"},
                21602: {**base, "Body": ""},
                21617: {**base, "Body": "a" * 1601},
                21610: {**base, "To": "+447700900999"},
            }
            for code, fields in cases.items():
                status, body = post(url, fields, auth)
                assert (status, body["code"]) == (400, code)
                assert body["more_info"].endswith(str(code))
            assert post(url, {**base, "Body": "a" * 1600}, auth)[0] == 201
        assert len(fake.sent) == 1
