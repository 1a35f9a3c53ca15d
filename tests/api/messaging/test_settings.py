"""Messaging settings: which channels are on, and the unsubscribe secret in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.messaging.links import DEVELOPMENT_SECRET, messaging_secret
from api.messaging.sender import sms_provider
from api.messaging.smsru import SmsRu
from api.messaging.twilio import Twilio
from api.settings import Settings


def settings(tmp_path: Path, **values: object) -> Settings:
    certs = {f"apple_{n}_file": tmp_path / n for n in ("cert", "key", "wwdr")}
    return Settings(_env_file=None, **{**certs, **values})  # type: ignore[arg-type]


class TestSettings:
    def test_production_channels_need_a_secret(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="LOYALPASS_MESSAGING_SECRET"):
            settings(tmp_path, environment="production", smtp_host="smtp.example.com")
        ok = settings(
            tmp_path,
            environment="production",
            smtp_host="smtp.example.com",
            messaging_secret="s3cret",
        )
        assert messaging_secret(ok) == b"s3cret"
        assert messaging_secret(settings(tmp_path)) == DEVELOPMENT_SECRET

    def test_sms_provider_from_settings(self, tmp_path: Path) -> None:
        assert sms_provider(settings(tmp_path)) is None
        smsru = sms_provider(settings(tmp_path, sms_provider="smsru", smsru_api_id="k"))
        assert isinstance(smsru, SmsRu)
        twilio = sms_provider(
            settings(
                tmp_path,
                sms_provider="twilio",
                twilio_account_sid="AC1",
                twilio_auth_token="t",
                sms_sender="+15005550006",
            )
        )
        assert isinstance(twilio, Twilio)
        with pytest.raises(RuntimeError, match="SMS_SENDER"):
            sms_provider(
                settings(
                    tmp_path, sms_provider="twilio", twilio_account_sid="AC1", twilio_auth_token="t"
                )
            )
        with pytest.raises(RuntimeError, match="no credentials"):
            sms_provider(settings(tmp_path, sms_provider="twilio"))
