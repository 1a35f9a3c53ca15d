"""The SMS providers against faithful fakes of SMS.ru and Twilio."""

from __future__ import annotations

import base64
import hashlib
import hmac

from api.messaging.channels import Outcome, Sms
from api.messaging.smsru import SmsRu
from api.messaging.twilio import Twilio, callback_status, is_signed_by_twilio
from tests.support.fake_sms import FakeSmsRu, FakeTwilio


def sms(to: str = "+79161234567", text: str = "Ваша карта: https://c/1") -> Sms:
    return Sms(to, text, "key-1")


class TestSmsRu:
    def test_sends_with_sender_name_and_records_the_id(self) -> None:
        with FakeSmsRu() as fake:
            result = SmsRu(fake.api_id, sender="CoffeeCo", url=fake.url).send(sms())
        assert result.outcome is Outcome.sent
        assert result.provider_id == fake.sent[0].id
        assert result.segments == 1
        assert (fake.sent[0].to, fake.sent[0].sender) == ("79161234567", "CoffeeCo")
        assert fake.sent[0].text == "Ваша карта: https://c/1"  # UTF-8 arrives intact

    def test_account_problems_keep_the_message(self) -> None:
        with FakeSmsRu() as fake:
            wrong_key = SmsRu("wrong", sender=None, url=fake.url).send(sms())
            unapproved = SmsRu(fake.api_id, sender="Other", url=fake.url).send(sms())
        assert wrong_key.outcome is Outcome.retry
        assert "200" in (wrong_key.error or "")
        assert unapproved.outcome is Outcome.retry
        assert "204" in (unapproved.error or "")

    def test_message_problems_fail_for_good(self) -> None:
        with FakeSmsRu() as fake:
            provider = SmsRu(fake.api_id, sender=None, url=fake.url)
            too_long = provider.send(sms(text="ж" * 600))
            bad_number = provider.send(sms(to="+7916"))
        assert too_long.outcome is Outcome.failed
        assert "205" in (too_long.error or "")
        assert bad_number.outcome is Outcome.failed
        assert "202" in (bad_number.error or "")

    def test_outage_and_unreachable_are_retries(self) -> None:
        with FakeSmsRu() as fake:
            fake.fail_next(1)
            provider = SmsRu(fake.api_id, sender=None, url=fake.url)
            assert provider.send(sms()).outcome is Outcome.retry
            assert provider.send(sms()).outcome is Outcome.sent
        gone = SmsRu("x", sender=None, url=fake.url, timeout=1).send(sms())
        assert gone.outcome is Outcome.retry


class TestTwilio:
    def provider(self, fake: FakeTwilio, token: str | None = None) -> Twilio:
        return Twilio(
            fake.account_sid, token or fake.auth_token, sender=fake.numbers[0], url=fake.url
        )

    def test_sends_with_basic_auth(self) -> None:
        with FakeTwilio() as fake:
            result = self.provider(fake).send(sms(text="x" * 161))
        assert result.outcome is Outcome.sent
        assert result.provider_id == fake.sent[0].id
        assert result.segments == 2
        assert fake.sent[0].to == "+79161234567"

    def test_wrong_token_keeps_the_message(self) -> None:
        with FakeTwilio() as fake:
            result = self.provider(fake, "bad").send(sms())
        assert result.outcome is Outcome.retry
        assert "20003" in (result.error or "")

    def test_unsubscribed_and_too_long_fail_for_good(self) -> None:
        with FakeTwilio() as fake:
            fake.unsubscribed.add("+79160000000")
            stop = self.provider(fake).send(sms(to="+79160000000"))
            long = self.provider(fake).send(sms(text="a" * 1601))
        assert stop.outcome is Outcome.failed
        assert "21610" in (stop.error or "")
        assert long.outcome is Outcome.failed
        assert "21617" in (long.error or "")

    def test_rate_limit_says_how_long_to_wait(self) -> None:
        with FakeTwilio() as fake:
            fake.fail_next(1, status=429)
            result = self.provider(fake).send(sms())
        assert result.outcome is Outcome.retry
        assert result.retry_after == 7


class TestTwilioCallbacks:
    def test_signature_round_trip_and_tampering(self) -> None:
        url = "https://cards.example/twilio/status"
        form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": "+7916"}
        payload = url + "".join(f"{k}{form[k]}" for k in sorted(form))
        digest = hmac.new(b"token", payload.encode(), hashlib.sha1).digest()
        signature = base64.b64encode(digest).decode()
        assert is_signed_by_twilio("token", url, form, signature)
        assert not is_signed_by_twilio("other", url, form, signature)
        assert not is_signed_by_twilio("token", url, {**form, "MessageStatus": "failed"}, signature)

    def test_final_statuses_only(self) -> None:
        sid = "SM" + "a" * 32
        assert callback_status({"MessageSid": sid, "MessageStatus": "delivered"}) == (
            sid,
            "delivered",
        )
        assert callback_status({"MessageSid": sid, "MessageStatus": "undelivered"}) == (
            sid,
            "failed",
        )
        assert callback_status({"MessageSid": sid, "MessageStatus": "sent"}) is None

    def test_opted_out_recipient_is_reported(self) -> None:
        with FakeTwilio() as fake:
            fake.unsubscribed.add("+79160000000")
            provider = Twilio(
                fake.account_sid, fake.auth_token, sender=fake.numbers[0], url=fake.url
            )
            assert provider.send(sms(to="+79160000000")).is_opted_out
            assert not provider.send(sms()).is_opted_out
