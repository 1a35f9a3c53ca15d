"""Google's batch endpoint: our multipart request and the parsing of the answer, against the
fake Google (which checks the request as Google documents it and answers out of order)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.transport.requests import AuthorizedSession

from api.google_wallet import batch
from api.google_wallet.batch import Call
from passes import GoogleWalletError, WalletClient
from tests.support.fake_google import API_PREFIX, FakeGoogle

ISSUER = "3388000000012345678"
CLASS_ID = f"{ISSUER}.lp-program-batch"


class CountingPace:
    def __init__(self) -> None:
        self.places = 0

    def wait(self) -> None:
        self.places += 1


@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle(issuer_id=ISSUER) as fake:
        yield fake


@pytest.fixture
def http(google: FakeGoogle) -> Iterator[AuthorizedSession]:
    google.reset()
    with google.authorized_session(google.new_service_account()) as session:
        yield session


@pytest.fixture
def client(google: FakeGoogle, http: AuthorizedSession) -> WalletClient:
    wallet = WalletClient(http, api_url=google.api_url, per_second=1e9, sleep=lambda _s: None)
    wallet.limiter = CountingPace()
    wallet.upsert_class({
        "id": CLASS_ID, "issuerName": "Batch", "programName": "Batch",
        "programLogo": {"sourceUri": {"uri": "https://loyalty.example.com/logo.png"}},
    })  # fmt: skip
    return wallet


def an_object(suffix: str, points: int = 0) -> dict[str, Any]:
    return {
        "id": f"{ISSUER}.{suffix}", "classId": CLASS_ID, "state": "ACTIVE",
        "loyaltyPoints": {"label": "Points", "balance": {"int": points}},
    }  # fmt: skip


class TestSend:
    def test_every_call_is_answered_in_the_order_of_the_calls(
        self, google: FakeGoogle, client: WalletClient
    ) -> None:
        client.upsert_object(an_object("kept"))
        calls = [
            Call("POST", "loyaltyObject", an_object("new", 5)),
            Call("PATCH", f"loyaltyObject/{ISSUER}.kept",
                 {"loyaltyPoints": {"label": "Points", "balance": {"int": 7}}}),
            Call("PATCH", f"loyaltyObject/{ISSUER}.missing",
                 {"loyaltyPoints": {"label": "Points", "balance": {"int": 1}}}),
            Call("POST", "loyaltyObject", {**an_object("bad"), "state": "SHINY"}),
            Call("GET", f"loyaltyObject/{ISSUER}.kept"),
        ]  # fmt: skip
        answers = batch.send(client, calls)
        assert [a.status for a in answers] == [200, 200, 404, 400, 200]
        assert answers[0].body["id"] == f"{ISSUER}.new"
        assert answers[2].body["error"]["errors"][0]["reason"] == "resourceNotFound"
        assert answers[4].body["loyaltyPoints"]["balance"] == {"int": 7}
        stored = google.get_object(f"{ISSUER}.new")
        assert stored is not None
        assert stored["loyaltyPoints"]["balance"] == {"int": 5}
        assert google.batches == [5]
        inner = [(r.method, r.path.removeprefix(API_PREFIX)) for r in google.api_requests[-5:]]
        assert inner[0] == ("POST", "/loyaltyObject")  # each call recorded as if sent alone
        assert google.errors == []

    def test_each_call_takes_its_place_in_the_limiter(self, client: WalletClient) -> None:
        pace = client.limiter
        assert isinstance(pace, CountingPace)
        before = pace.places
        batch.send(client, [Call("POST", "loyaltyObject", an_object(f"o{i}")) for i in range(7)])
        assert pace.places - before == 7

    def test_each_call_counts_against_googles_rate_limit(
        self, google: FakeGoogle, client: WalletClient
    ) -> None:
        google.rate_limit = 3
        try:
            answers = batch.send(
                client, [Call("POST", "loyaltyObject", an_object(f"r{i}")) for i in range(5)]
            )
        finally:
            google.rate_limit = None
        assert sorted(a.status for a in answers) == [200, 200, 200, 429, 429]

    def test_an_error_injected_for_one_call_fails_that_call_only(
        self, google: FakeGoogle, client: WalletClient
    ) -> None:
        google.inject_error(400, "invalidResource", match=f"/loyaltyObject/{ISSUER}.two")
        calls = [Call("PATCH", f"loyaltyObject/{ISSUER}.{name}", {"state": "ACTIVE"})
                 for name in ("one", "two", "three")]  # fmt: skip
        for name in ("one", "two", "three"):
            client.upsert_object(an_object(name))
        assert [a.ok for a in batch.send(client, calls)] == [True, False, True]

    def test_a_batch_that_fails_as_a_whole_is_retried_then_raises(
        self, google: FakeGoogle, client: WalletClient
    ) -> None:
        google.inject_error(503, match="POST /batch", times=1)
        assert batch.send(client, [Call("POST", "loyaltyObject", an_object("x"))])[0].ok
        google.inject_error(403, "permissionDenied", match="POST /batch", times=1)
        with pytest.raises(GoogleWalletError) as refused:
            batch.send(client, [Call("POST", "loyaltyObject", an_object("y"))])
        assert refused.value.status == 403


class TestTheFakeChecksTheRequest:
    def post(self, google: FakeGoogle, http: AuthorizedSession, body: bytes, ctype: str) -> Any:
        return http.post(f"{google.url}/batch", data=body, headers={"Content-Type": ctype})

    def test_not_multipart_is_400(self, google: FakeGoogle, http: AuthorizedSession) -> None:
        response = self.post(google, http, b"{}", "application/json")
        assert response.status_code == 400
        assert response.json()["error"]["errors"][0]["reason"] == "invalidArgument"

    def test_a_part_that_is_not_http_is_400(
        self, google: FakeGoogle, http: AuthorizedSession
    ) -> None:
        body = b"--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b--\r\n"
        assert self.post(google, http, body, "multipart/mixed; boundary=b").status_code == 400

    def test_more_than_1000_calls_is_400(self, google: FakeGoogle, http: AuthorizedSession) -> None:
        calls = [Call("GET", f"loyaltyObject/{ISSUER}.o")] * (batch.MAX_CALLS + 1)
        body = batch.encode(calls, api_path=API_PREFIX, boundary="b")
        assert self.post(google, http, body, "multipart/mixed; boundary=b").status_code == 400
        assert google.batches == []

    def test_without_a_token_is_401(self, google: FakeGoogle) -> None:
        import requests

        body = batch.encode([Call("GET", "loyaltyClass/x")], api_path=API_PREFIX, boundary="b")
        headers = {"Content-Type": "multipart/mixed; boundary=b"}
        response = requests.post(f"{google.url}/batch", data=body, headers=headers, timeout=10)
        assert response.status_code == 401


class TestParse:
    def test_an_answer_missing_a_call_is_an_error(self) -> None:
        data = (
            b"--z\r\nContent-Type: application/http\r\nContent-ID: <response-item-0>\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}\r\n--z--\r\n"
        )
        assert batch.parse("multipart/mixed; boundary=z", data, 1)[0].ok
        with pytest.raises(GoogleWalletError):
            batch.parse("multipart/mixed; boundary=z", data, 2)
        with pytest.raises(GoogleWalletError):
            batch.parse("application/json", data, 1)


class TestCallsPerBatch:
    def test_under_the_pace_a_batch_keeps_within_googles_20_per_second(self) -> None:
        assert batch.calls_per_batch(15) == 4
        assert batch.calls_per_batch(20) == 1
        assert batch.calls_per_batch(1) == 18

    def test_with_the_limiter_off_googles_own_limit(self) -> None:
        assert batch.calls_per_batch(1e9) == batch.MAX_CALLS
