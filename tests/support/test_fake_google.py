"""The fake Google (token endpoint, walletobjects v1 loyalty API, Wallet callbacks) behaves as
Google documents it, seen from google-auth's ``AuthorizedSession`` as our client uses it."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from google.auth import crypt, jwt
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from tests.support.fake_google import (
    GOOGLE_TOKEN_AUDIENCE,
    WALLET_SCOPE,
    FakeGoogle,
    SaveRejected,
    make_service_account,
)

ISSUER = "3388000000012345678"
OTHER_ISSUER = "3388000000099999999"
CLASS_ID = f"{ISSUER}.florist"
OBJECT_ID = f"{ISSUER}.florist-member-1"
LOGO = {"sourceUri": {"uri": "https://cards.example/logo.png"}}
NOTIFY = {"notifyPreference": "NOTIFY_ON_UPDATE"}
DAY = 24 * 3600


def loyalty_class(class_id: str = CLASS_ID, **fields: Any) -> dict[str, Any]:
    return {
        "id": class_id,
        "issuerName": "Florist",
        "programName": "Petals",
        "programLogo": LOGO,
        "reviewStatus": "UNDER_REVIEW",
        **fields,
    }


def loyalty_object(
    object_id: str = OBJECT_ID, class_id: str = CLASS_ID, **fields: Any
) -> dict[str, Any]:
    return {
        "id": object_id,
        "classId": class_id,
        "state": "ACTIVE",
        "accountId": "M-1",
        "accountName": "Ada",
        "loyaltyPoints": {"label": "Points", "balance": {"int": 120}},
        "barcode": {"type": "QR_CODE", "value": "M-1"},
        **fields,
    }


def authorized(
    google: FakeGoogle, info: dict[str, Any], scopes: list[str] | None = None
) -> AuthorizedSession:
    """google-auth's AuthorizedSession whose requests to Google's own hosts (google-auth's
    background Regional Access Boundary lookup) reach the fake, never the network."""
    return google.authorized_session(info, scopes=scopes or [WALLET_SCOPE])


def reason(response: requests.Response) -> str:
    return str(response.json()["error"]["errors"][0]["reason"])


def message_of(response: requests.Response) -> str:
    return str(response.json()["error"]["message"])


class Api:
    """Calls relative to the fake's ``api_url`` through an AuthorizedSession."""

    def __init__(self, session: AuthorizedSession, google: FakeGoogle) -> None:
        self.session = session
        self.google = google

    def __call__(
        self, method: str, path: str, body: Any = None, **params: Any
    ) -> requests.Response:
        return self.session.request(
            method, f"{self.google.api_url}/{path}", json=body, params=params or None, timeout=10
        )


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle(issuer_id=ISSUER) as fake:
        yield fake
        assert fake.errors == []


@pytest.fixture(scope="session")
def key_file() -> dict[str, str]:
    """One RSA key for the whole run (generating one takes ~0.1 s)."""
    return make_service_account("http://127.0.0.1:9/token")


@pytest.fixture
def account(google: FakeGoogle, key_file: dict[str, str]) -> dict[str, str]:
    info = {**key_file, "token_uri": google.token_url}
    google.register_service_account(info)
    return info


@pytest.fixture
def api(google: FakeGoogle, account: dict[str, str]) -> Iterator[Api]:
    with authorized(google, account) as session:
        yield Api(session, google)


@pytest.fixture
def program(api: Api) -> dict[str, Any]:
    response = api("POST", "loyaltyClass", loyalty_class())
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def card(api: Api, program: dict[str, Any]) -> dict[str, Any]:
    response = api("POST", "loyaltyObject", loyalty_object())
    assert response.status_code == 200, response.text
    return dict(response.json())


def save_jwt(info: dict[str, str], payload: dict[str, Any], **claims: Any) -> str:
    signer = crypt.RSASigner.from_service_account_info(info)
    body = {
        "iss": info["client_email"],
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()),
        "origins": ["https://cards.example"],
        "payload": payload,
        **claims,
    }
    token = jwt.encode(signer, body)
    return token.decode() if isinstance(token, bytes) else str(token)


# --- OAuth -----------------------------------------------------------------------------------


class TestToken:
    def test_authorized_session_gets_a_token_and_calls_the_api(
        self, google: FakeGoogle, account: dict[str, str]
    ) -> None:
        credentials = service_account.Credentials.from_service_account_info(
            account, scopes=[WALLET_SCOPE]
        )
        auth_request, token_session = google.auth_request()
        with token_session, AuthorizedSession(credentials, auth_request=auth_request) as session:
            response = session.get(f"{google.api_url}/loyaltyClass?issuerId={ISSUER}", timeout=10)
            assert session.get(f"{google.api_url}/loyaltyClass?issuerId={ISSUER}", timeout=10).ok
        assert response.status_code == 200
        assert response.json()["resources"] == []
        [token_request] = google.token_requests
        assert token_request.status == 200
        assert token_request.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        claims = jwt.decode(token_request.body["assertion"], verify=False)
        assert claims["aud"] == GOOGLE_TOKEN_AUDIENCE
        assert claims["scope"] == WALLET_SCOPE
        answer = token_request.response
        assert answer["token_type"] == "Bearer"
        assert answer["expires_in"] == 3600
        assert answer["access_token"]
        # both API calls carried the one token: the second did not fetch another
        assert [r.account for r in google.api_requests[-2:]] == [account["client_email"]] * 2

    @pytest.mark.parametrize(
        ("claims", "error"),
        [
            ({"aud": "https://127.0.0.1/token"}, "invalid_grant"),
            ({"iss": "someone@else.iam.gserviceaccount.com"}, "invalid_grant"),
            ({"exp_after": 7200}, "invalid_grant"),
            ({"iat_ago": 7200, "exp_after": -3600}, "invalid_grant"),
            ({"scope": ""}, "invalid_scope"),
        ],
    )
    def test_rejects_bad_assertions(
        self, google: FakeGoogle, account: dict[str, str], claims: dict[str, Any], error: str
    ) -> None:
        now = int(time.time()) - claims.pop("iat_ago", 0)
        body = {
            "iss": account["client_email"],
            "scope": WALLET_SCOPE,
            "aud": GOOGLE_TOKEN_AUDIENCE,
            "iat": now,
            "exp": now + claims.pop("exp_after", 3600),
            **claims,
        }
        assertion = jwt.encode(crypt.RSASigner.from_service_account_info(account), body)
        response = requests.post(
            google.token_url,
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                  "assertion": assertion},
            timeout=10,
        )  # fmt: skip
        assert response.status_code == 400
        assert response.json()["error"] == error
        assert response.json()["error_description"]

    def test_rejects_a_key_it_does_not_know_and_a_wrong_grant(self, google: FakeGoogle) -> None:
        stranger = make_service_account(google.token_url)
        with authorized(google, stranger) as session, pytest.raises(RefreshError, match="Sig"):
            session.get(f"{google.api_url}/loyaltyClass?issuerId={ISSUER}", timeout=10)
        response = requests.post(
            google.token_url, data={"grant_type": "client_credentials"}, timeout=10
        )
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    def test_api_needs_a_valid_bearer(self, google: FakeGoogle) -> None:
        url = f"{google.api_url}/loyaltyClass/{CLASS_ID}"
        missing = requests.get(url, timeout=10)
        bogus = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
        for response in (missing, bogus):
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert response.json()["error"]["status"] == "UNAUTHENTICATED"
        assert message_of(bogus).startswith("Request had invalid authentication credentials")

    def test_a_token_without_the_wallet_scope_is_forbidden(
        self, google: FakeGoogle, account: dict[str, str]
    ) -> None:
        scopes = ["https://www.googleapis.com/auth/userinfo.email"]
        with authorized(google, account, scopes) as session:
            response = session.get(f"{google.api_url}/loyaltyClass/{CLASS_ID}", timeout=10)
        assert response.status_code == 403
        assert reason(response) == "insufficientPermissions"

    def test_expired_tokens_answer_401_and_the_session_refreshes(
        self, google: FakeGoogle, api: Api, program: dict[str, Any]
    ) -> None:
        google.expire_all_tokens()
        response = api("GET", f"loyaltyClass/{CLASS_ID}")
        assert response.status_code == 200
        assert len(google.token_requests) == 2
        statuses = [r.status for r in google.api_requests]
        assert statuses == [200, 401, 200]

    def test_tokens_expire_by_the_fake_clock(
        self, google: FakeGoogle, api: Api, program: dict[str, Any]
    ) -> None:
        google.advance(3600)
        assert api("GET", f"loyaltyClass/{CLASS_ID}").status_code == 200
        assert len(google.token_requests) == 2
        assert [r.status for r in google.api_requests][-2:] == [401, 200]

    def test_token_lifetime_is_configurable(self) -> None:
        with FakeGoogle(issuer_id=ISSUER, token_lifetime=600) as google:
            with authorized(google, google.new_service_account()) as session:
                session.get(f"{google.api_url}/loyaltyClass?issuerId={ISSUER}", timeout=10)
            assert google.token_requests[0].response["expires_in"] == 600


# --- classes ---------------------------------------------------------------------------------


class TestClasses:
    def test_under_review_is_stored_as_approved(self, api: Api, program: dict[str, Any]) -> None:
        assert program["reviewStatus"] == "APPROVED"
        assert program["kind"] == "walletobjects#loyaltyClass"
        fetched = api("GET", f"loyaltyClass/{CLASS_ID}").json()
        assert fetched == program

    @pytest.mark.parametrize("status", ["APPROVED", "approved", "REJECTED"])
    def test_a_client_may_not_send_approved_or_rejected(self, api: Api, status: str) -> None:
        response = api("POST", "loyaltyClass", loyalty_class(reviewStatus=status))
        assert response.status_code == 400
        assert reason(response) == "invalidResource"
        assert "reviewStatus" in message_of(response)

    def test_draft_rules(self, api: Api) -> None:
        draft = api("POST", "loyaltyClass", loyalty_class(reviewStatus="DRAFT"))
        assert draft.json()["reviewStatus"] == "DRAFT"
        blocked = api("POST", "loyaltyObject", loyalty_object())
        assert blocked.status_code == 400
        assert "DRAFT" in message_of(blocked)
        approved = api("PATCH", f"loyaltyClass/{CLASS_ID}", {"reviewStatus": "UNDER_REVIEW"})
        assert approved.json()["reviewStatus"] == "APPROVED"
        back = api("PATCH", f"loyaltyClass/{CLASS_ID}", {"reviewStatus": "DRAFT"})
        assert back.status_code == 400
        resent = api("PATCH", f"loyaltyClass/{CLASS_ID}", {"reviewStatus": "APPROVED"})
        assert resent.status_code == 400
        assert api("POST", "loyaltyObject", loyalty_object()).status_code == 200

    def test_put_needs_review_status_and_replaces(self, api: Api, program: dict[str, Any]) -> None:
        body = loyalty_class(hexBackgroundColor="#ffcc00")
        del body["reviewStatus"]
        assert api("PUT", f"loyaltyClass/{CLASS_ID}", body).status_code == 400
        body = loyalty_class(programName="Blooms")
        replaced = api("PUT", f"loyaltyClass/{CLASS_ID}", body).json()
        assert replaced["programName"] == "Blooms"
        assert replaced["reviewStatus"] == "APPROVED"

    def test_duplicate_insert_is_409(self, api: Api, program: dict[str, Any]) -> None:
        response = api("POST", "loyaltyClass", loyalty_class())
        assert response.status_code == 409
        assert reason(response) == "duplicate"
        assert "already exists" in message_of(response)


# --- objects ---------------------------------------------------------------------------------


class TestObjects:
    def test_insert_answers_the_full_object(self, api: Api, card: dict[str, Any]) -> None:
        assert card["kind"] == "walletobjects#loyaltyObject"
        assert card["loyaltyPoints"] == {"label": "Points", "balance": {"int": 120}}
        assert card["classReference"]["id"] == CLASS_ID
        assert "hasUsers" not in card
        assert api("GET", f"loyaltyObject/{OBJECT_ID}").json() == card

    def test_enums_and_int64_are_canonical(self, api: Api, program: dict[str, Any]) -> None:
        money = {"money": {"currencyCode": "EUR", "micros": 2500000}}
        body = loyalty_object(
            state="active",
            barcode={"type": "qrCode", "value": "M-1"},
            secondaryLoyaltyPoints={"label": "Credit", "balance": money},
        )
        created = api("POST", "loyaltyObject", body).json()
        assert created["state"] == "ACTIVE"
        assert created["barcode"]["type"] == "QR_CODE"
        assert created["secondaryLoyaltyPoints"]["balance"]["money"]["micros"] == "2500000"

    def test_object_of_a_missing_class_is_404(self, api: Api) -> None:
        response = api("POST", "loyaltyObject", loyalty_object())
        assert response.status_code == 404
        assert reason(response) == "classNotFound"

    def test_duplicate_insert_is_409(self, api: Api, card: dict[str, Any]) -> None:
        response = api("POST", "loyaltyObject", loyalty_object())
        assert response.status_code == 409
        assert reason(response) == "duplicate"
        assert "already exists" in message_of(response)

    def test_patch_merges_deletes_nulls_and_replaces_arrays(
        self, api: Api, card: dict[str, Any]
    ) -> None:
        url = f"loyaltyObject/{OBJECT_ID}"
        modules = [{"id": "a", "header": "A", "body": "1"}, {"id": "b", "header": "B", "body": "2"}]
        api("PATCH", url, {"textModulesData": modules})
        patched = api(
            "PATCH",
            url,
            {
                "loyaltyPoints": {"balance": {"int": 130}},
                "barcode": {"alternateText": "M 1"},
                "accountName": None,
                "textModulesData": [{"id": "c", "header": "C", "body": "3"}],
            },
        ).json()
        assert patched["loyaltyPoints"] == {"label": "Points", "balance": {"int": 130}}
        assert patched["barcode"] == {"type": "QR_CODE", "value": "M-1", "alternateText": "M 1"}
        assert "accountName" not in patched
        assert patched["textModulesData"] == [{"id": "c", "header": "C", "body": "3"}]
        # a balance is a one-of: a PATCH of it replaces it whole
        tier = api("PATCH", url, {"loyaltyPoints": {"balance": {"string": "Gold"}}}).json()
        assert tier["loyaltyPoints"]["balance"] == {"string": "Gold"}
        assert api("GET", url).json() == tier

    def test_put_replaces(self, api: Api, card: dict[str, Any]) -> None:
        body = loyalty_object()
        del body["accountName"]
        replaced = api("PUT", f"loyaltyObject/{OBJECT_ID}", body).json()
        assert "accountName" not in replaced
        # what GET answers can be sent back: output-only fields are ignored
        echoed = api("PUT", f"loyaltyObject/{OBJECT_ID}", replaced)
        assert echoed.status_code == 200
        assert echoed.json() == replaced

    def test_method_override_patch(
        self, api: Api, google: FakeGoogle, card: dict[str, Any]
    ) -> None:
        response = api.session.post(
            f"{google.api_url}/loyaltyObject/{OBJECT_ID}",
            json={"accountName": "Grace"},
            headers={"x-http-method-override": "PATCH"},  # header names are case-insensitive
            timeout=10,
        )
        assert response.json()["accountName"] == "Grace"
        assert response.json()["accountId"] == "M-1"

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", f"loyaltyClass/{ISSUER}.nope", None),
            ("PATCH", f"loyaltyClass/{ISSUER}.nope", {"programName": "X"}),
            ("PUT", f"loyaltyClass/{ISSUER}.nope", loyalty_class(f"{ISSUER}.nope")),
            ("POST", f"loyaltyClass/{ISSUER}.nope/addMessage",
             {"message": {"header": "H", "body": "B"}}),
            ("GET", f"loyaltyObject/{ISSUER}.nope", None),
            ("PATCH", f"loyaltyObject/{ISSUER}.nope", {"accountName": "X"}),
            ("PUT", f"loyaltyObject/{ISSUER}.nope", loyalty_object(f"{ISSUER}.nope")),
            ("POST", f"loyaltyObject/{ISSUER}.nope/addMessage",
             {"message": {"header": "H", "body": "B"}}),
        ],
    )  # fmt: skip
    def test_unknown_ids_are_404(
        self, api: Api, program: dict[str, Any], method: str, path: str, body: Any
    ) -> None:
        response = api(method, path, body)
        assert response.status_code == 404
        assert reason(response) == "resourceNotFound"

    def test_there_is_no_delete(self, api: Api, card: dict[str, Any]) -> None:
        response = api("DELETE", f"loyaltyObject/{OBJECT_ID}")
        assert response.status_code == 404
        assert "INACTIVE" in message_of(response)

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("POST", "loyaltyClass", loyalty_class("florist")),
            ("POST", "loyaltyClass", loyalty_class(f"{ISSUER}.flo rist")),
            ("POST", "loyaltyClass", loyalty_class(f"{ISSUER}.")),
            ("POST", "loyaltyObject", loyalty_object(f"{ISSUER}.é")),
            ("POST", "loyaltyObject", loyalty_object(class_id="florist")),
            ("GET", "loyaltyObject/abc", None),
            ("PATCH", f"loyaltyObject/{OBJECT_ID}", {"id": f"{ISSUER}.other"}),
            ("PUT", f"loyaltyClass/{CLASS_ID}", loyalty_class(f"{ISSUER}.other")),
        ],
    )
    def test_bad_or_mismatched_ids_are_400(
        self, api: Api, card: dict[str, Any], method: str, path: str, body: Any
    ) -> None:
        response = api(method, path, body)
        assert response.status_code == 400
        assert reason(response) == "invalidResource"

    def test_foreign_issuer_is_403_with_the_console_hint(
        self, google: FakeGoogle, api: Api, account: dict[str, str], program: dict[str, Any]
    ) -> None:
        foreign = f"{OTHER_ISSUER}.florist"
        for method, path, body in [
            ("POST", "loyaltyClass", loyalty_class(foreign)),
            ("GET", f"loyaltyClass/{foreign}", None),
            ("GET", "loyaltyClass", None),
            ("POST", "loyaltyObject", loyalty_object(f"{ISSUER}.x", foreign)),
        ]:
            params = {"issuerId": OTHER_ISSUER} if path == "loyaltyClass" and not body else {}
            response = api(method, path, body, **params)
            assert response.status_code == 403, (method, path)
            assert reason(response) == "permissionDenied"
            assert "Google Pay & Wallet Console" in message_of(response)
            assert account["client_email"] in message_of(response)
        google.register_service_account(account, issuer_ids=[ISSUER, OTHER_ISSUER])
        assert api("POST", "loyaltyClass", loyalty_class(foreign)).status_code == 200


BAD_CLASSES: list[tuple[dict[str, Any], str]] = [
    ({"issuerName": None}, "issuerName"),
    ({"programLogo": None}, "programLogo"),
    ({"hexBackgroundColor": "#ffcc0"}, "hexBackgroundColor"),
    ({"hexBackgroundColor": "red"}, "hexBackgroundColor"),
    ({"programLogo": {"sourceUri": {"uri": "https://x/l.png"}, "privateImageId": "p"}},
     "privateImageId"),
    ({"programLogo": {"contentDescription": {"defaultValue": {"language": "en", "value": "x"}}}},
     "sourceUri"),
    ({"programLogo": {"sourceUri": {"uri": "cards.example/logo.png"}}}, "uri"),
    ({"heroImage": {"sourceUri": {"uri": "ftp://cards.example/hero.png"}}}, "heroImage"),
    ({"homepageUri": {"uri": "cards.example"}}, "homepageUri"),
    ({"linksModuleData": {"uris": [{"uri": "example.com", "description": "x"}]}},
     "linksModuleData"),
    ({"merchantLocations": [{"latitude": 1.0, "longitude": 2.0}] * 11}, "merchantLocations"),
    ({"merchantLocations": [{"latitude": 91.0, "longitude": 2.0}]}, "latitude"),
    ({"merchantLocations": [{"latitude": 1.0, "longitude": -180.5}]}, "longitude"),
    ({"messages": [{"header": "h", "body": "b"}] * 11}, "messages"),
    ({"messages": [{"header": "h", "body": "b", "messageType": "LOUD"}]}, "messageType"),
    ({"textModulesData": [{"id": "a.b", "header": "h", "body": "b"}]}, "id"),
    ({"multipleDevicesAndHoldersAllowedStatus": "EVERYONE"},
     "multipleDevicesAndHoldersAllowedStatus"),
    ({"reviewStatus": "PENDING"}, "reviewStatus"),
    ({"callbackOptions": {"url": "cards.example/cb"}}, "callbackOptions"),
    ({"programNmae": "typo"}, "programNmae"),
    ({"issuerName": 7}, "issuerName"),
]  # fmt: skip
BAD_OBJECTS: list[tuple[dict[str, Any], str]] = [
    ({"state": None}, "state"),
    ({"state": "DELETED"}, "state"),
    ({"classId": None}, "classId"),
    ({"barcode": {"type": "QR", "value": "x"}}, "type"),
    ({"barcode": {"value": "x"}}, "type"),
    ({"loyaltyPoints": {"label": "Points"}}, "balance"),
    ({"loyaltyPoints": {"balance": {}}}, "balance"),
    ({"loyaltyPoints": {"balance": {"int": 1, "string": "1"}}}, "balance"),
    ({"loyaltyPoints": {"balance": {"int": "many"}}}, "int"),
    ({"loyaltyPoints": {"balance": {"money": {"micros": "1"}}}}, "currencyCode"),
    ({"hexBackgroundColor": "#fff"}, "hexBackgroundColor"),  # not a LoyaltyObject field
    ({"validTimeInterval": {"start": {"date": "2025-13-01T00:00:00Z"}}}, "date"),
    ({"validTimeInterval": {"start": {"date": "2026-01-02T00:00:00Z"},
                            "end": {"date": "2026-01-01T00:00:00Z"}}}, "validTimeInterval"),
    ({"heroImage": {"privateImageId": "a", "sourceUri": {"uri": "https://x/h.png"}}},
     "heroImage"),
]  # fmt: skip


class TestValidation:
    @pytest.mark.parametrize(("fields", "named"), BAD_CLASSES)
    def test_bad_classes_are_400(self, api: Api, fields: dict[str, Any], named: str) -> None:
        body = {k: v for k, v in loyalty_class(**fields).items() if v is not None}
        response = api("POST", "loyaltyClass", body)
        assert response.status_code == 400, response.text
        assert reason(response) in ("invalidResource", "invalidArgument")
        assert named in message_of(response)

    @pytest.mark.parametrize(("fields", "named"), BAD_OBJECTS)
    def test_bad_objects_are_400(
        self, api: Api, program: dict[str, Any], fields: dict[str, Any], named: str
    ) -> None:
        body = {k: v for k, v in loyalty_object(**fields).items() if v is not None}
        response = api("POST", "loyaltyObject", body)
        assert response.status_code == 400, response.text
        assert named in message_of(response)

    def test_a_patch_is_validated_as_merged(self, api: Api, card: dict[str, Any]) -> None:
        url = f"loyaltyObject/{OBJECT_ID}"
        assert api("PATCH", url, {"state": None}).status_code == 400
        too_many = {"merchantLocations": [{"latitude": 0, "longitude": 0}] * 11}
        assert api("PATCH", url, too_many).status_code == 400
        assert api("GET", url).json() == card

    def test_a_reasonable_full_object_passes(self, api: Api, program: dict[str, Any]) -> None:
        body = loyalty_object(
            textModulesData=[{"id": "tier_1", "header": "Tier", "body": "Gold"}],
            linksModuleData={"uris": [{"uri": "tel:+3212345678", "description": "Call"},
                                      {"uri": "mailto:a@b.example", "description": "Mail"}]},
            merchantLocations=[{"latitude": 50.85, "longitude": 4.35}],
            validTimeInterval={"start": {"date": "2026-01-01T00:00:00.123456789Z"}},
            heroImage={"sourceUri": {"uri": "https://cards.example/hero.png"}},
            messages=[{"id": "m1", "header": "Hi", "body": "Welcome", "messageType": "TEXT"}],
        )  # fmt: skip
        response = api("POST", "loyaltyObject", body)
        assert response.status_code == 200, response.text


# --- notifications -----------------------------------------------------------------------------


class TestNotifications:
    def test_three_per_24_hours(self, google: FakeGoogle, api: Api, card: dict[str, Any]) -> None:
        url = f"loyaltyObject/{OBJECT_ID}"
        for balance in (130, 140, 150):
            response = api("PATCH", url, {"loyaltyPoints": {"balance": {"int": balance}}, **NOTIFY})
            assert response.status_code == 200
            assert "notifyPreference" not in response.json()
            google.advance(60)
        refused = api("PATCH", url, {"loyaltyPoints": {"balance": {"int": 160}}, **NOTIFY})
        assert refused.status_code == 429
        assert reason(refused) == "quotaExceeded"
        assert google.get_object(OBJECT_ID)["loyaltyPoints"]["balance"] == {"int": 150}
        message = {"message": {"header": "H", "body": "B", "messageType": "TEXT_AND_NOTIFY"}}
        assert api("POST", f"{url}/addMessage", message).status_code == 429
        assert "messages" not in google.get_object(OBJECT_ID)
        # silent updates and plain messages still go through
        assert api("PATCH", url, {"loyaltyPoints": {"balance": {"int": 160}}}).status_code == 200
        text = {"message": {"header": "H", "body": "B", "messageType": "TEXT"}}
        assert api("POST", f"{url}/addMessage", text).status_code == 200
        google.advance(23 * 3600)  # 23 h 3 min after the first
        assert (
            api("PATCH", url, {"loyaltyPoints": {"balance": {"int": 170}}, **NOTIFY}).status_code
            == 429
        )
        google.advance(3600 - 180 + 1)  # just over 24 h after the first
        assert (
            api("PATCH", url, {"loyaltyPoints": {"balance": {"int": 170}}, **NOTIFY}).status_code
            == 200
        )
        assert (
            api("PATCH", url, {"loyaltyPoints": {"balance": {"int": 180}}, **NOTIFY}).status_code
            == 429
        )
        sent = google.notifications(OBJECT_ID)
        assert [n.kind for n in sent] == ["update"] * 4
        assert sent[0].fields == ("loyaltyPoints.balance",)
        assert google.notification_quota_left(OBJECT_ID) == 0

    def test_only_allowlisted_changes_count(
        self, google: FakeGoogle, api: Api, card: dict[str, Any]
    ) -> None:
        url = f"loyaltyObject/{OBJECT_ID}"
        api("PATCH", url, {"accountId": "M-2", **NOTIFY})  # not on the allowlist
        api("PATCH", url, {"loyaltyPoints": {"balance": {"int": 120}}, **NOTIFY})  # unchanged
        api("PATCH", url, {"loyaltyPoints": {"balance": {"int": 125}}})  # silent
        assert google.notifications(OBJECT_ID) == []
        api("PUT", url, {**loyalty_object(accountName="Grace"), **NOTIFY})
        assert [n.fields for n in google.notifications(OBJECT_ID)] == [
            ("loyaltyPoints.balance", "accountName")
        ]

    def test_text_and_notify_messages_count(
        self, google: FakeGoogle, api: Api, card: dict[str, Any]
    ) -> None:
        message = {"id": "m", "header": "H", "body": "B", "messageType": "TEXT_AND_NOTIFY"}
        for _ in range(3):
            assert api("POST", f"loyaltyObject/{OBJECT_ID}/addMessage",
                       {"message": message}).status_code == 200  # fmt: skip
        assert [n.kind for n in google.notifications(OBJECT_ID)] == ["message"] * 3
        assert google.notifications(OBJECT_ID)[0].message_id == "m"

    def test_class_notifications_reach_saved_objects_within_quota(
        self, google: FakeGoogle, api: Api, account: dict[str, str], card: dict[str, Any]
    ) -> None:
        api("POST", "loyaltyObject", loyalty_object(f"{ISSUER}.unsaved"))
        google.save(save_jwt(account, {"loyaltyObjects": [{"id": OBJECT_ID, "classId": CLASS_ID}]}))
        api("PATCH", f"loyaltyClass/{CLASS_ID}", {"rewardsTier": "Gold", **NOTIFY})
        message = {"header": "Sale", "body": "Today", "messageType": "TEXT_AND_NOTIFY"}
        response = api("POST", f"loyaltyClass/{CLASS_ID}/addMessage", {"message": message})
        assert response.status_code == 200
        assert response.json()["resource"]["messages"][-1]["header"] == "Sale"
        assert [n.kind for n in google.notifications()] == ["class_update", "class_message"]
        assert all(n.object_id == OBJECT_ID and n.delivered for n in google.notifications())


# --- addMessage ---------------------------------------------------------------------------------


class TestAddMessage:
    def test_wraps_the_resource_and_appends(self, api: Api, card: dict[str, Any]) -> None:
        message = {"id": "welcome", "header": "Welcome", "body": "Hello Ada", "messageType": "text"}
        response = api("POST", f"loyaltyObject/{OBJECT_ID}/addMessage", {"message": message})
        assert response.status_code == 200
        resource = response.json()["resource"]
        assert resource["id"] == OBJECT_ID
        assert resource["messages"] == [{**message, "messageType": "TEXT"}]
        assert resource["classReference"]["id"] == CLASS_ID

    def test_at_most_ten_messages(self, api: Api, card: dict[str, Any]) -> None:
        url = f"loyaltyObject/{OBJECT_ID}"
        api("PATCH", url, {"messages": [{"header": "h", "body": str(i)} for i in range(10)]})
        response = api("POST", f"{url}/addMessage", {"message": {"header": "h", "body": "x"}})
        assert response.status_code == 400
        assert "10" in message_of(response)

    @pytest.mark.parametrize(
        "body",
        [{}, {"message": {"body": "no header"}}, {"message": {"header": "h", "body": "b",
                                                               "messageType": "PUSH"}}, []],
    )  # fmt: skip
    def test_bad_messages_are_400(self, api: Api, card: dict[str, Any], body: Any) -> None:
        response = api("POST", f"loyaltyObject/{OBJECT_ID}/addMessage", body)
        assert response.status_code == 400


# --- list ---------------------------------------------------------------------------------------


class TestList:
    def test_objects_page_by_max_results(self, api: Api, program: dict[str, Any]) -> None:
        ids = [f"{ISSUER}.m{i}" for i in range(5)]
        for object_id in ids:
            api("POST", "loyaltyObject", loyalty_object(object_id))
        seen, token, pages = [], None, 0
        while True:
            params = {"classId": CLASS_ID, "maxResults": 2, **({"token": token} if token else {})}
            answer = api("GET", "loyaltyObject", **params).json()
            pages += 1
            seen += [r["id"] for r in answer["resources"]]
            assert answer["pagination"]["resultsPerPage"] == len(answer["resources"])
            token = answer["pagination"].get("nextPageToken")
            if not token:
                break
        assert (seen, pages) == (ids, 3)
        everything = api("GET", "loyaltyObject", classId=CLASS_ID).json()
        assert [r["id"] for r in everything["resources"]] == ids
        assert "nextPageToken" not in everything["pagination"]

    def test_classes_by_issuer(self, api: Api) -> None:
        for name in ("a", "b", "c"):
            api("POST", "loyaltyClass", loyalty_class(f"{ISSUER}.{name}"))
        first = api("GET", "loyaltyClass", issuerId=ISSUER, maxResults=2).json()
        assert [r["id"] for r in first["resources"]] == [f"{ISSUER}.a", f"{ISSUER}.b"]
        token = first["pagination"]["nextPageToken"]
        rest = api("GET", "loyaltyClass", issuerId=ISSUER, maxResults=2, token=token).json()
        assert [r["id"] for r in rest["resources"]] == [f"{ISSUER}.c"]

    @pytest.mark.parametrize(
        ("path", "params", "status"),
        [
            ("loyaltyClass", {}, 400),
            ("loyaltyClass", {"issuerId": ISSUER, "maxResults": 0}, 400),
            ("loyaltyClass", {"issuerId": ISSUER, "maxResults": 1, "token": "garbage"}, 400),
            ("loyaltyObject", {}, 400),
            ("loyaltyObject", {"classId": f"{ISSUER}.nope"}, 404),
        ],
    )
    def test_bad_list_requests(
        self, api: Api, program: dict[str, Any], path: str, params: dict[str, Any], status: int
    ) -> None:
        assert api("GET", path, **params).status_code == status


# --- save and callbacks -------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(received.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/google/callbacks"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class CallbackRejected(Exception):
    pass


def _lv(text: str) -> bytes:
    data = text.encode("utf-8")
    return len(data).to_bytes(4, "little") + data


def _verifies(key: Any, signature_b64: str, data: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature_b64), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_callback(
    body: dict[str, Any], *, keys_url: str, issuer_id: str, sender_id: str = "GooglePayPasses"
) -> dict[str, Any]:
    """The six steps of Google's ECv2SigningOnly verification (reference §4), independently."""
    now_ms = time.time() * 1000
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(keys_url, timeout=10) as response:  # 1. the root keys
        keys = json.load(response)["keys"]
    roots = [
        load_der_public_key(base64.b64decode(k["keyValue"]))
        for k in keys
        if k["protocolVersion"] == "ECv2SigningOnly" and int(k["keyExpiration"]) > now_ms
    ]
    if body.get("protocolVersion") != "ECv2SigningOnly":  # 2.
        raise CallbackRejected("protocolVersion")
    intermediate = body["intermediateSigningKey"]
    signed_key = intermediate["signedKey"]
    key_data = _lv(sender_id) + _lv("ECv2SigningOnly") + _lv(signed_key)
    if not any(_verifies(r, s, key_data) for r in roots for s in intermediate["signatures"]):
        raise CallbackRejected("intermediate key signature")  # 3.
    key = json.loads(signed_key)
    if int(key["keyExpiration"]) <= now_ms:  # 4.
        raise CallbackRejected("intermediate key expired")
    message_data = (
        _lv(sender_id) + _lv(issuer_id) + _lv("ECv2SigningOnly") + _lv(body["signedMessage"])
    )
    public = load_der_public_key(base64.b64decode(key["keyValue"]))
    if not _verifies(public, body["signature"], message_data):  # 5.
        raise CallbackRejected("message signature")
    message: dict[str, Any] = json.loads(body["signedMessage"])
    if message["expTimeMillis"] <= now_ms:  # 6. (and the receiver dedupes on nonce)
        raise CallbackRejected("message expired")
    return message


class TestSave:
    def test_save_posts_a_signed_callback_and_marks_the_object_saved(
        self, google: FakeGoogle, api: Api, account: dict[str, str], receiver: Receiver
    ) -> None:
        api("POST", "loyaltyClass", loyalty_class(callbackOptions={"url": receiver.url}))
        api("POST", "loyaltyObject", loyalty_object())
        token = save_jwt(account, {"loyaltyObjects": [{"id": OBJECT_ID, "classId": CLASS_ID}]})
        result = google.save(token)
        assert result.object_ids == [OBJECT_ID]
        [delivery] = result.callbacks
        assert (delivery.url, delivery.status) == (receiver.url, 200)
        assert receiver.bodies == [delivery.body]
        assert google.callbacks_sent == [delivery]
        message = verify_callback(receiver.bodies[0], keys_url=google.keys_url, issuer_id=ISSUER)
        assert message["eventType"] == "save"
        assert (message["objectId"], message["classId"]) == (OBJECT_ID, CLASS_ID)
        assert message["count"] == 1
        assert message["nonce"]
        assert api("GET", f"loyaltyObject/{OBJECT_ID}").json()["hasUsers"] is True

        deleted = google.delete_from_wallet(OBJECT_ID)
        assert deleted is not None
        assert deleted.status == 200
        removal = verify_callback(receiver.bodies[1], keys_url=google.keys_url, issuer_id=ISSUER)
        assert removal["eventType"] == "del"
        assert removal["nonce"] != message["nonce"]
        assert "hasUsers" not in api("GET", f"loyaltyObject/{OBJECT_ID}").json()

        again = google.redeliver(delivery)  # Google may deliver twice: same nonce
        assert again.body == delivery.body
        assert receiver.bodies[2] == receiver.bodies[0]

    def test_save_inserts_a_full_object_and_its_class(
        self, google: FakeGoogle, api: Api, account: dict[str, str]
    ) -> None:
        payload = {"loyaltyClasses": [loyalty_class()], "loyaltyObjects": [loyalty_object()]}
        result = google.save(save_jwt(account, payload))
        assert result.callbacks == []  # no callback URL configured
        saved = api("GET", f"loyaltyObject/{OBJECT_ID}").json()
        assert saved["hasUsers"] is True
        assert saved["classReference"]["reviewStatus"] == "APPROVED"

    def test_the_save_link_route(
        self, google: FakeGoogle, account: dict[str, str], card: dict[str, Any]
    ) -> None:
        token = save_jwt(account, {"loyaltyObjects": [{"id": OBJECT_ID, "classId": CLASS_ID}]})
        response = requests.get(google.save_url + token, timeout=10)
        assert response.status_code == 200
        assert response.json()["saved"] == [OBJECT_ID]
        assert requests.get(google.save_url + "x.y.z", timeout=10).status_code == 400

    @pytest.mark.parametrize(
        ("claims", "payload"),
        [
            ({"aud": "https://pay.google.com"}, None),
            ({"typ": "savetoandroidpay"}, None),
            ({"iss": "someone@else.iam.gserviceaccount.com"}, None),
            ({}, {"loyaltyObjects": [{"id": f"{ISSUER}.missing", "classId": CLASS_ID}]}),
            ({}, {"loyaltyObjects": []}),
            ({}, {"genericObjects": [{"id": f"{ISSUER}.g", "classId": CLASS_ID}]}),
            ({}, {"loyaltyObjects": [loyalty_object(f"{ISSUER}.bad", state="GONE")]}),
        ],
    )
    def test_bad_save_jwts_are_rejected(
        self,
        google: FakeGoogle,
        account: dict[str, str],
        card: dict[str, Any],
        claims: dict[str, Any],
        payload: dict[str, Any] | None,
    ) -> None:
        payload = payload or {"loyaltyObjects": [{"id": OBJECT_ID, "classId": CLASS_ID}]}
        with pytest.raises(SaveRejected):
            google.save(save_jwt(account, payload, **claims))
        assert google.get_object(f"{ISSUER}.bad") is None
        assert "hasUsers" not in google.get_object(OBJECT_ID)

    def test_a_key_the_fake_does_not_know_is_rejected(
        self, google: FakeGoogle, card: dict[str, Any]
    ) -> None:
        stranger = make_service_account(google.token_url)
        with pytest.raises(SaveRejected, match="kid"):
            google.save(save_jwt(stranger, {"loyaltyObjects": [{"id": OBJECT_ID}]}))

    def test_callbacks_to_external_hosts_are_not_sent(
        self, google: FakeGoogle, api: Api, account: dict[str, str]
    ) -> None:
        external = "https://loyalty.example/google/callbacks"
        api("POST", "loyaltyClass", loyalty_class(callbackOptions={"url": external}))
        api("POST", "loyaltyObject", loyalty_object())
        token = save_jwt(account, {"loyaltyObjects": [{"id": OBJECT_ID, "classId": CLASS_ID}]})
        [delivery] = google.save(token).callbacks
        assert (delivery.url, delivery.status) == (external, None)
        assert "loopback" in (delivery.error or "")

    def test_a_custom_transport_receives_callbacks(self, account: dict[str, str]) -> None:
        received: list[tuple[str, bytes]] = []

        def transport(url: str, data: bytes, headers: Any) -> int:
            received.append((url, data))
            return 204

        with FakeGoogle(issuer_id=ISSUER, callback_transport=transport) as google:
            google.register_service_account(account)
            google.issuer_callback_urls[ISSUER] = "https://loyalty.example/google/callbacks"
            payload = {"loyaltyClasses": [loyalty_class()], "loyaltyObjects": [loyalty_object()]}
            [delivery] = google.save(save_jwt(account, payload)).callbacks
        assert delivery.status == 204
        assert received == [(delivery.url, json.dumps(delivery.body).encode())]


class TestCallbacks:
    def test_built_callbacks_verify(self, google: FakeGoogle, card: dict[str, Any]) -> None:
        body = google.build_callback(OBJECT_ID, "save", nonce="n-1")
        message = verify_callback(body, keys_url=google.keys_url, issuer_id=ISSUER)
        assert message["nonce"] == "n-1"
        assert message["classId"] == CLASS_ID

    @pytest.mark.parametrize(
        "options",
        [
            {"tamper": True},
            {"tamper": "signed_key"},
            {"tamper": "signature"},
            {"tamper": "key_signature"},
            {"tamper": "protocol"},
            {"exp_offset_ms": -1},
            {"key_expiration_offset_ms": -1},
            {"unknown_root": True},
            {"sender_id": "GoogleWalletPasses"},
            {"issuer_id": OTHER_ISSUER},
        ],
    )
    def test_bad_callbacks_fail_verification(
        self, google: FakeGoogle, card: dict[str, Any], options: dict[str, Any]
    ) -> None:
        body = google.build_callback(OBJECT_ID, "save", **options)
        with pytest.raises(CallbackRejected):
            verify_callback(body, keys_url=google.keys_url, issuer_id=ISSUER)

    def test_rotated_root_keys(self, google: FakeGoogle, card: dict[str, Any]) -> None:
        old = google.build_callback(OBJECT_ID, "save")
        google.rotate_root_key()
        assert len(google.root_keys_json()["keys"]) == 2
        new = google.build_callback(OBJECT_ID, "save")
        for body in (old, new):
            verify_callback(body, keys_url=google.keys_url, issuer_id=ISSUER)
        google.rotate_root_key(keep_old=False)
        with pytest.raises(CallbackRejected):
            verify_callback(new, keys_url=google.keys_url, issuer_id=ISSUER)

    def test_configurable_sender_id(self, card: dict[str, Any]) -> None:
        with FakeGoogle(issuer_id=ISSUER, sender_id="GoogleWalletPasses") as google:
            body = google.build_callback(OBJECT_ID, "del", class_id=CLASS_ID)
            message = verify_callback(
                body, keys_url=google.keys_url, issuer_id=ISSUER, sender_id="GoogleWalletPasses"
            )
        assert message["eventType"] == "del"


# --- limits, faults, bookkeeping -----------------------------------------------------------------


class TestOperations:
    def test_rate_limit_is_off_by_default_and_429_when_set(self) -> None:
        with FakeGoogle(issuer_id=ISSUER, rate_limit=2) as google:
            with authorized(google, google.new_service_account()) as session:
                statuses = [
                    session.get(f"{google.api_url}/loyaltyClass?issuerId={ISSUER}", timeout=10)
                    for _ in range(6)
                ]
            limited = [r for r in statuses if r.status_code == 429]
            assert limited
            assert reason(limited[0]) == "rateLimitExceeded"

    def test_injected_errors(self, google: FakeGoogle, api: Api, program: dict[str, Any]) -> None:
        google.inject_error(503, times=2)
        assert [api("GET", f"loyaltyClass/{CLASS_ID}").status_code for _ in range(3)] == [
            503,
            503,
            200,
        ]

    def test_requests_are_recorded_and_reset_forgets(
        self, google: FakeGoogle, api: Api, card: dict[str, Any]
    ) -> None:
        inserts = [r for r in google.api_requests if r.method == "POST"]
        assert [(r.path, r.status) for r in inserts] == [
            ("/walletobjects/v1/loyaltyClass", 200),
            ("/walletobjects/v1/loyaltyObject", 200),
        ]
        assert inserts[1].body == loyalty_object()
        google.reset()
        assert google.api_requests == []
        assert api("GET", f"loyaltyObject/{OBJECT_ID}").status_code == 404
        assert google.token_requests == []  # the token survived the reset

    def test_malformed_json_is_400(self, google: FakeGoogle, api: Api) -> None:
        response = api.session.post(
            f"{google.api_url}/loyaltyClass",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 400
        assert reason(response) == "invalidArgument"
