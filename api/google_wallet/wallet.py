"""Everything the service needs to talk to Google Wallet, built once at start-up: the REST
client, the save-link signer, and the rendering of classes and objects from our designs."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import requests
from google.auth import crypt
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from api.logs import request_id, request_id_header
from api.settings import Settings
from passes import (
    GOOGLE_WALLET_SCOPE,
    CardDesign,
    Location,
    LoyaltyCard,
    RootKey,
    StampImages,
    WalletClient,
    loyalty_class,
    loyalty_object,
    parse_root_keys,
    resource_id,
    save_url,
    stamp_image_name,
)

logger = logging.getLogger(__name__)

# Builds the authorized HTTP session from the key file's contents. Production uses google-auth's
# own; tests hand in one whose requests to Google's hosts reach a local fake Google.
SessionFactory = Callable[[Mapping[str, Any]], AuthorizedSession]


def default_session(info: Mapping[str, Any]) -> AuthorizedSession:
    credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        dict(info), scopes=[GOOGLE_WALLET_SCOPE]
    )
    return AuthorizedSession(credentials)  # type: ignore[no-untyped-call]


def with_request_id(session: AuthorizedSession) -> AuthorizedSession:
    """``session``, its calls made for one card carrying that card's change's request id as
    ``X-Request-ID`` (the sync sets it around each card's calls; a batch of many cards has
    none)."""
    send = session.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        rid = request_id.get()
        if rid:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), **request_id_header(rid)}
        return send(method, url, *args, **kwargs)  # type: ignore[no-untyped-call]

    session.request = request  # type: ignore[method-assign]
    return session


class GoogleWallet:
    def __init__(
        self,
        client: WalletClient,
        *,
        issuer_id: str,
        issuer_email: str,
        signer: crypt.Signer,
        designs: Mapping[str, CardDesign],
        public_url: str,
        origins: Sequence[str],
        callback_url: str,
        keys: CallbackKeys,
        sender_id: str,
        stamps: StampImages | None = None,
    ) -> None:
        self.client = client
        self.issuer_id = issuer_id
        self.issuer_email = issuer_email
        self.signer = signer
        self.designs = designs
        self.public_url = public_url
        self.origins = list(origins) or [public_url]
        self.callback_url = callback_url
        self.keys = keys
        self.sender_id = sender_id
        self.stamps = stamps or StampImages()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        designs: Mapping[str, CardDesign],
        *,
        session_factory: SessionFactory = default_session,
        stamps: StampImages | None = None,
    ) -> GoogleWallet:
        assert settings.google_issuer_id
        assert settings.google_service_account_file
        info = _read_key_file(settings.google_service_account_file)
        client = WalletClient(
            with_request_id(session_factory(info)),
            api_url=settings.google_api_url,
            per_second=settings.google_requests_per_second,
        )
        resource_id(settings.google_issuer_id, "check")  # a bad issuer id fails at start-up
        return cls(
            client,
            issuer_id=settings.google_issuer_id,
            issuer_email=str(info["client_email"]),
            signer=crypt.RSASigner.from_service_account_info(info),  # type: ignore[no-untyped-call]
            designs=designs,
            public_url=settings.public_url,
            origins=settings.google_origins,
            callback_url=settings.google_callbacks_url,
            keys=CallbackKeys(settings.google_callback_keys_url),
            sender_id=settings.google_callback_sender_id,
            stamps=stamps,
        )

    def close(self) -> None:
        self.client.close()

    # ids -------------------------------------------------------------------------------------

    def class_id(self, program_id: UUID) -> str:
        return resource_id(self.issuer_id, f"lp-program-{program_id.hex}")

    def object_id(self, card_id: UUID) -> str:
        return resource_id(self.issuer_id, f"lp-card-{card_id.hex}")

    # rendering -------------------------------------------------------------------------------

    def class_body(
        self, program_id: UUID, design_name: str, locations: Sequence[Location]
    ) -> dict[str, Any]:
        return loyalty_class(
            self.designs[design_name],
            class_id=self.class_id(program_id),
            images_url=f"{self.public_url}/designs/{design_name}",
            callback_url=self.callback_url,
            locations=locations,
        )

    def object_body(
        self, card: LoyaltyCard, *, card_id: UUID, program_id: UUID, design_name: str
    ) -> dict[str, Any]:
        design = self.designs[design_name]
        return loyalty_object(
            card,
            design,
            object_id=self.object_id(card_id),
            class_id=self.class_id(program_id),
            hero_url=self.stamp_hero_url(card, design),
            state="EXPIRED" if card.is_voided else "ACTIVE",
        )

    def stamp_hero_url(self, card: LoyaltyCard, design: CardDesign) -> str | None:
        """A stamp card's hero image URL: it names the design's art version and the count, so
        a stamp (or a new design) is a new picture Google fetches from us."""
        if card.stamps_required is None:
            return None
        name = stamp_image_name(card.stamps, card.stamps_required)
        version = self.stamps.version(design)
        return f"{self.public_url}/designs/{design.name}/stamps/{version}/{name}"

    def save_url(self, *, card_id: UUID, program_id: UUID, now: datetime) -> str:
        return save_url(
            self.signer,
            issuer_email=self.issuer_email,
            object_id=self.object_id(card_id),
            class_id=self.class_id(program_id),
            origins=self.origins,
            now=now,
        )


def digest(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _read_key_file(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"LOYALPASS_GOOGLE_SERVICE_ACCOUNT_FILE {path}: {exc}") from None
    missing = {"client_email", "private_key", "token_uri"} - set(info)
    if missing:
        raise RuntimeError(f"{path} is not a service-account key file: no {sorted(missing)}")
    return dict(info)


class CallbackKeys:
    """Google's callback root keys, fetched from the keys URL and cached until the earliest
    ``keyExpiration`` (at most an hour, so a rotation is picked up)."""

    MAX_AGE_MS = 3_600_000

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self._keys: list[RootKey] = []
        self._fresh_until_ms = 0
        self._lock = threading.Lock()

    def get(self, now_ms: int) -> list[RootKey]:
        with self._lock:
            if now_ms >= self._fresh_until_ms:
                response = requests.get(self.url, timeout=self.timeout)
                response.raise_for_status()
                self._keys = parse_root_keys(response.json())
                expiries = [k.expires_ms for k in self._keys if k.expires_ms is not None]
                self._fresh_until_ms = min([now_ms + self.MAX_AGE_MS, *expiries])
            return self._keys

    def forget(self) -> None:
        with self._lock:
            self._fresh_until_ms = 0
