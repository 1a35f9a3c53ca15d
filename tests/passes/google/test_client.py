"""The Google Wallet REST client and callback verifier against the fake Google (a real HTTP
server that checks what Google checks)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.auth import crypt

from passes import CardDesign, LoyaltyCard
from passes.google.callbacks import CallbackRejected, parse_root_keys, verify_callback
from passes.google.client import (
    GoogleBadRequest,
    GooglePermissionDenied,
    GoogleUnavailable,
    NotificationQuotaExceeded,
    RateLimiter,
    WalletClient,
)
from passes.google.objects import loyalty_class, loyalty_object, resource_id
from passes.google.savelink import save_url
from tests.support.fake_google import FakeGoogle, make_service_account

ISSUER = "3388000000012345678"


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle(issuer_id=ISSUER) as fake:
        yield fake


@pytest.fixture
def account(google: FakeGoogle) -> dict[str, str]:
    info = make_service_account(google.token_url)
    google.register_service_account(info)
    return info


@pytest.fixture
def client(google: FakeGoogle, account: dict[str, str]) -> Iterator[WalletClient]:
    wallet = WalletClient(
        google.authorized_session(account), api_url=google.api_url, sleep=lambda _: None
    )
    yield wallet
    wallet.close()


def sync_card(client: WalletClient, card: LoyaltyCard, design: CardDesign) -> tuple[str, str]:
    class_id, object_id = resource_id(ISSUER, "coffee"), resource_id(ISSUER, card.serial_number)
    client.upsert_class(
        loyalty_class(design, class_id=class_id, images_url="https://cards.example/coffee")
    )
    client.upsert_object(loyalty_object(card, design, object_id=object_id, class_id=class_id))
    return class_id, object_id


class TestWrites:
    def test_insert_then_upsert_patches(
        self, client: WalletClient, google: FakeGoogle, card: LoyaltyCard, coffee: CardDesign
    ) -> None:
        class_id, object_id = sync_card(client, card, coffee)
        assert google.get_class(class_id)["reviewStatus"] == "APPROVED"
        sync_card(client, card, coffee)  # 409 on insert becomes a PATCH
        stored = google.get_object(object_id)
        assert stored["loyaltyPoints"]["balance"] == {"string": "3/10"}
        assert stored["barcode"]["value"] == card.barcode_message

    def test_class_updates_never_resend_approved(
        self, client: WalletClient, google: FakeGoogle, card: LoyaltyCard, coffee: CardDesign
    ) -> None:
        class_id, _ = sync_card(client, card, coffee)
        client.patch_class(class_id, {"programName": "Bean & Brew Club"})
        assert google.get_class(class_id)["programName"] == "Bean & Brew Club"

    def test_notifications_stop_at_the_daily_budget(
        self, client: WalletClient, card: LoyaltyCard, coffee: CardDesign
    ) -> None:
        _, object_id = sync_card(client, card, coffee)
        for balance in range(3):
            client.patch_object(object_id, {"accountName": f"Anna {balance}"}, notify=True)
        with pytest.raises(NotificationQuotaExceeded):
            client.patch_object(object_id, {"accountName": "Anna 9"}, notify=True)
        client.patch_object(object_id, {"accountName": "Anna 9"})  # silently still works

    def test_bad_id_and_foreign_issuer(
        self, client: WalletClient, card: LoyaltyCard, coffee: CardDesign
    ) -> None:
        with pytest.raises(GoogleBadRequest):
            client.get_object("not-an-id")
        body = loyalty_class(coffee, class_id="1234.other", images_url="https://x.example/c")
        with pytest.raises(GooglePermissionDenied, match="Pay & Wallet Console"):
            client.upsert_class(body)

    def test_server_errors_are_retried(
        self, client: WalletClient, google: FakeGoogle, card: LoyaltyCard, coffee: CardDesign
    ) -> None:
        _, object_id = sync_card(client, card, coffee)
        google.inject_error(503, times=2)
        assert client.get_object(object_id)["id"] == object_id

    def test_expired_token_is_refreshed(
        self, client: WalletClient, google: FakeGoogle, card: LoyaltyCard, coffee: CardDesign
    ) -> None:
        _, object_id = sync_card(client, card, coffee)
        tokens = len(google.token_requests)
        google.expire_all_tokens()
        assert client.get_object(object_id)["id"] == object_id
        assert len(google.token_requests) == tokens + 1


class TestSaveAndCallbacks:
    def test_save_link_and_a_verified_callback(
        self, client: WalletClient, google: FakeGoogle, account: dict[str, str],
        card: LoyaltyCard, coffee: CardDesign,
    ) -> None:  # fmt: skip
        class_id, object_id = sync_card(client, card, coffee)
        url = save_url(
            crypt.RSASigner.from_service_account_info(account),
            issuer_email=account["client_email"],
            object_id=object_id,
            class_id=class_id,
            origins=["https://cards.example"],
            now=datetime.now(UTC),
        )
        saved = google.save(url.removeprefix("https://pay.google.com/gp/v/save/"))
        assert saved.object_ids == [object_id]
        assert google.get_object(object_id)["hasUsers"] is True
        body = google.build_callback(object_id, "save")
        event = verify_callback(
            body,
            root_keys=parse_root_keys(google.root_keys_json()),
            issuer_id=ISSUER,
            now_ms=int(time.time() * 1000),
        )
        assert (event.object_id, event.event_type) == (object_id, "save")

    @pytest.mark.parametrize(
        "forgery",
        [
            {"tamper": "message"},
            {"tamper": "signature"},
            {"tamper": "key_signature"},
            {"tamper": "signed_key"},
            {"tamper": "protocol"},
            {"unknown_root": True},
            {"exp_offset_ms": -5000},
            {"key_expiration_offset_ms": -5000},
            {"sender_id": "SomebodyElse"},
            {"issuer_id": "999"},
        ],
    )
    def test_forged_or_expired_callbacks_are_rejected(
        self, google: FakeGoogle, forgery: dict[str, object]
    ) -> None:
        body = google.build_callback(
            f"{ISSUER}.123",
            "save",
            class_id=f"{ISSUER}.coffee",
            **forgery,  # type: ignore[arg-type]
        )
        with pytest.raises(CallbackRejected):
            verify_callback(
                body,
                root_keys=parse_root_keys(google.root_keys_json()),
                issuer_id=ISSUER,
                now_ms=int(time.time() * 1000),
            )

    def test_garbage_is_rejected(self) -> None:
        with pytest.raises(CallbackRejected, match="protocolVersion"):
            verify_callback({"x": 1}, root_keys=[], issuer_id=ISSUER, now_ms=0)
        with pytest.raises(CallbackRejected, match="malformed"):
            verify_callback(
                {"protocolVersion": "ECv2SigningOnly"}, root_keys=[], issuer_id=ISSUER, now_ms=0
            )


class TestClientEdges:
    def test_messages_and_from_a_key_file(
        self, google: FakeGoogle, account: dict[str, str], card: LoyaltyCard, coffee: CardDesign,
        tmp_path: Path,
    ) -> None:  # fmt: skip
        key_file = tmp_path / "service-account.json"
        key_file.write_text(json.dumps(account))
        wallet = WalletClient.from_service_account_file(key_file, api_url=google.api_url)
        wallet.session = google.authorized_session(account)  # keep google-auth offline
        try:
            class_id, object_id = sync_card(wallet, card, coffee)
            assert wallet.get_class(class_id)["id"] == class_id
            message = {"id": "news-1", "header": "Hello", "body": "Double points",
                       "messageType": "TEXT"}  # fmt: skip
            resource = wallet.add_object_message(object_id, message)
            assert resource["messages"][0]["id"] == "news-1"
        finally:
            wallet.close()

    def test_unreachable_google_is_unavailable(self, account: dict[str, str]) -> None:
        wallet = WalletClient(
            _plain_session(),  # type: ignore[arg-type]
            api_url="http://127.0.0.1:9/walletobjects/v1",
            max_retries=1,
            sleep=lambda _: None,
        )
        with pytest.raises(GoogleUnavailable):
            wallet.get_object(f"{ISSUER}.x")

    def test_rate_limiter_spaces_calls(self) -> None:
        moments = iter([0.0, 0.0, 0.0])
        slept: list[float] = []
        limiter = RateLimiter(10, clock=lambda: next(moments), sleep=slept.append)
        limiter.wait()
        limiter.wait()
        limiter.wait()
        assert slept == [pytest.approx(0.1), pytest.approx(0.2)]


def _plain_session() -> object:
    """A requests session without Google credentials: nothing listens on port 9."""
    import requests

    return requests.Session()
