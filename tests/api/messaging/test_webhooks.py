"""The providers' webhooks over HTTP, on both databases: Twilio's signed STOP reply withdraws
SMS marketing and an unsigned one is 403; Twilio's and SMS.ru's delivery reports move a sent
message to delivered or failed; servers post them without an Origin check; an unsubscribe link
that is not valid shows a browser a page."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import Session, select

from api.clock import utcnow
from api.deps import get_settings
from api.members.models import Member
from api.messaging import service
from api.messaging.links import unsubscribe_token
from api.messaging.models import Channel, Kind, Message, Purpose, Status
from api.settings import Settings
from tests.support.factories import enrol, new_merchant, new_program

pytestmark = pytest.mark.db
AUTH_TOKEN = "twilio-auth-token-for-tests"
SMSRU_TOKEN = "smsru-callback-secret"
PHONE = "+79161234567"


@pytest.fixture
def settings_with_webhooks(app: FastAPI, settings: Settings) -> Iterator[Settings]:
    configured = settings.model_copy(
        update={
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
            "smsru_callback_token": SecretStr(SMSRU_TOKEN),
        }
    )
    app.dependency_overrides[get_settings] = lambda: configured
    yield configured
    app.dependency_overrides.pop(get_settings, None)


@pytest.fixture
def anna(app: FastAPI, client: TestClient) -> Member:
    """A member who agreed to SMS marketing, with one SMS sent through each provider."""
    key = new_merchant(app)
    program = new_program(client, key)
    body = enrol(client, key, program["id"], phone=PHONE)
    with Session(app.state.engine) as session, session.begin():
        member = session.get(Member, UUID(body["id"]))
        assert member is not None
        service.record_consent(
            session, member=member, channel=Channel.sms, purpose=Purpose.marketing,
            is_granted=True, source="join_page", text_version="t", now=utcnow(),
        )  # fmt: skip
        for provider, provider_id in (("twilio", "SM" + "a" * 32), ("smsru", "000000-100001")):
            assert service.enqueue(
                session, member=member, channel=Channel.sms, kind=Kind.marketing,
                template="campaign", locale="ru", context={"text": "-20%"},
                idempotency_key=provider, now=utcnow(),
            )  # fmt: skip
            session.execute(
                update(Message)
                .where(Message.idempotency_key == provider)  # type: ignore[arg-type]
                .values(
                    status=Status.sent, provider=provider, provider_id=provider_id, sent_at=utcnow()
                )  # fmt: skip
            )
        session.expunge(member)
    return member


def sign(url: str, form: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """Twilio's signature, as its docs describe it: HMAC-SHA1 over the URL and then every
    parameter name and value, sorted by name, base64-encoded."""
    data = url + "".join(k + form[k] for k in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def post_twilio(
    client: TestClient, path: str, form: dict[str, str], *, signature: str | None = None,
    **headers: str,
) -> Any:  # fmt: skip
    if signature is None:
        signature = sign(f"http://testserver{path}", form)
    return client.post(
        path,
        content=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
            **headers,
        },
    )


def has_sms_marketing(app: FastAPI, member: Member) -> bool:
    with Session(app.state.engine) as session:
        return service.has_consent(session, member.id, Channel.sms, Purpose.marketing)


def message(app: FastAPI, key: str) -> Message:
    with Session(app.state.engine) as session:
        found = session.exec(select(Message).where(Message.idempotency_key == key)).one()
        session.expunge(found)
    return found


def inbound(body: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": "SM" + "b" * 32,
        "AccountSid": "AC" + "c" * 32,
        "From": PHONE,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "FromCity": "",  # Twilio sends blank fields, and signs them too
        **extra,
    }


@pytest.mark.usefixtures("settings_with_webhooks")
class TestTwilioInbound:
    PATH = "/messaging/v1/twilio/inbound"

    def test_a_signed_stop_withdraws_sms_marketing(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        response = post_twilio(client, self.PATH, inbound("Stop"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        assert "<Response>" in response.text
        assert not has_sms_marketing(app, anna)
        with Session(app.state.engine) as session:
            service_ok = service.has_consent(session, anna.id, Channel.sms, Purpose.service)
        assert service_ok  # codes and the card link still reach the member

    def test_twilios_opt_out_type_counts_whatever_the_words(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        post_twilio(client, self.PATH, inbound("please no more", OptOutType="STOP"))
        assert not has_sms_marketing(app, anna)

    def test_other_replies_change_nothing(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        assert post_twilio(client, self.PATH, inbound("thanks!")).status_code == 200
        assert has_sms_marketing(app, anna)

    @pytest.mark.parametrize("signature", ["", "forged", "wrong-token"])
    def test_an_unsigned_or_forged_stop_is_403(
        self, app: FastAPI, client: TestClient, anna: Member, signature: str
    ) -> None:
        form = inbound("STOP")
        if signature == "wrong-token":
            signature = sign(f"http://testserver{self.PATH}", form, token="not ours")
        response = post_twilio(client, self.PATH, form, signature=signature)
        assert response.status_code == 403
        assert response.json()["type"] == "webhook_signature_invalid"
        assert has_sms_marketing(app, anna)

    def test_a_signature_for_another_url_or_form_is_403(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        form = inbound("STOP")
        other_url = sign("http://testserver/messaging/v1/twilio/status", form)
        assert post_twilio(client, self.PATH, form, signature=other_url).status_code == 403
        other_form = sign(f"http://testserver{self.PATH}", inbound("hello"))
        assert post_twilio(client, self.PATH, form, signature=other_form).status_code == 403
        assert has_sms_marketing(app, anna)

    def test_servers_post_without_the_forms_origin_check(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        response = post_twilio(
            client, self.PATH, inbound("STOP"), Origin="https://elsewhere.example"
        )
        assert response.status_code == 200
        assert not has_sms_marketing(app, anna)


class TestNotConfigured:
    def test_twilio_without_an_auth_token_is_404(self, client: TestClient) -> None:
        response = post_twilio(client, "/messaging/v1/twilio/inbound", inbound("STOP"))
        assert response.status_code == 404
        assert response.json()["type"] == "webhook_not_configured"

    def test_smsru_without_a_token_is_404(self, client: TestClient) -> None:
        response = client.post(f"/messaging/v1/smsru/{SMSRU_TOKEN}/status", data={"data[0]": ""})
        assert response.status_code == 404


@pytest.mark.usefixtures("settings_with_webhooks")
class TestTwilioStatus:
    PATH = "/messaging/v1/twilio/status"

    def report(self, status: str, **extra: str) -> dict[str, str]:
        return {
            "MessageSid": "SM" + "a" * 32,
            "MessageStatus": status,
            "AccountSid": "AC" + "c" * 32,
            "To": PHONE,
            "ErrorCode": "",
            **extra,
        }

    def test_delivered(self, app: FastAPI, client: TestClient, anna: Member) -> None:
        response = post_twilio(client, self.PATH, self.report("delivered"))
        assert response.status_code == 204, response.text
        assert message(app, "twilio").status == Status.delivered

    def test_undelivered_is_failed_with_the_code(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        post_twilio(client, self.PATH, self.report("undelivered", ErrorCode="30003"))
        found = message(app, "twilio")
        assert found.status == Status.failed
        assert found.error == "twilio 30003"

    def test_steps_on_the_way_change_nothing(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        assert post_twilio(client, self.PATH, self.report("sent")).status_code == 204
        assert message(app, "twilio").status == Status.sent

    def test_an_opted_out_recipient_stops_marketing(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        post_twilio(client, self.PATH, self.report("failed", ErrorCode="21610"))
        assert message(app, "twilio").status == Status.failed
        assert not has_sms_marketing(app, anna)

    def test_unsigned_is_403_and_changes_nothing(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        response = post_twilio(client, self.PATH, self.report("delivered"), signature="")
        assert response.status_code == 403
        assert message(app, "twilio").status == Status.sent


@pytest.mark.usefixtures("settings_with_webhooks")
class TestSmsRuStatus:
    PATH = f"/messaging/v1/smsru/{SMSRU_TOKEN}/status"

    def test_reports_update_the_messages_and_answer_100(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        form = {
            "data[0]": "sms_status\n000000-100001\n103\n1893456000",
            "data[1]": "sms_status\n999999-000000\n103\n1893456000",  # not ours: skipped
            "data[2]": "callback_check\n1893456000",
        }
        response = client.post(self.PATH, data=form, headers={"Origin": "https://sms.ru"})
        assert response.status_code == 200
        assert response.text == "100"
        assert message(app, "smsru").status == Status.delivered

    def test_an_undeliverable_number_fails(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        client.post(self.PATH, data={"data[0]": "sms_status\n000000-100001\n106\n1893456000"})
        found = message(app, "smsru")
        assert found.status == Status.failed
        assert found.error == "smsru 106"

    def test_a_wrong_token_is_404_and_changes_nothing(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        response = client.post(
            "/messaging/v1/smsru/guess/status",
            data={"data[0]": "sms_status\n000000-100001\n106\n1"},
        )
        assert response.status_code == 404
        assert message(app, "smsru").status == Status.sent


class TestInvalidUnsubscribeLink:
    def test_a_browser_gets_a_page(self, client: TestClient, anna: Member) -> None:
        forged = unsubscribe_token(b"not our secret", anna.id, Channel.email)
        for method in ("GET", "POST"):
            response = client.request(
                method, f"/unsubscribe/{forged}?lang=en", headers={"Accept": "text/html"}
            )
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("text/html")
            assert "This link is not valid" in response.text
            assert 'method="post"' not in response.text

    def test_a_program_gets_the_problem(self, client: TestClient, anna: Member) -> None:
        forged = unsubscribe_token(b"not our secret", anna.id, Channel.email)
        response = client.get(f"/unsubscribe/{forged}", headers={"Accept": "application/json"})
        assert response.status_code == 404
        assert response.json()["type"] == "unsubscribe_link_invalid"


class TestStatusCallbackUrl:
    def test_each_twilio_message_names_our_status_webhook(self, settings: Settings) -> None:
        from api.messaging.sender import sms_provider
        from api.messaging.twilio import Twilio

        configured = settings.model_copy(
            update={
                "sms_provider": "twilio",
                "twilio_account_sid": "AC" + "c" * 32,
                "twilio_auth_token": SecretStr(AUTH_TOKEN),
                "sms_sender": "+15005550006",
            }
        )
        provider = sms_provider(configured)
        assert isinstance(provider, Twilio)
        assert provider.status_callback == "http://testserver/messaging/v1/twilio/status"


CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", ""]
form_text = st.text(max_size=40)
forms = st.dictionaries(
    st.one_of(
        st.sampled_from(
            ["MessageSid", "MessageStatus", "ErrorCode", "To", "From", "Body", "OptOutType",
             "data[0]", "data[1]"]
        ),
        form_text,
    ),
    st.one_of(
        form_text,
        st.sampled_from(["delivered", "undelivered", "failed", "STOP", "21610", PHONE, "SM1"]),
        st.builds(lambda i, c: f"sms_status\n{i}\n{c}\n1", form_text, st.sampled_from(
            ["103", "106", "110", "x", ""])),
    ),
    max_size=8,
)  # fmt: skip


@pytest.mark.usefixtures("settings_with_webhooks")
class TestWebhooksNeverFail:
    @examples(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(form=forms, path=st.sampled_from(
        [TestTwilioInbound.PATH, TestTwilioStatus.PATH, TestSmsRuStatus.PATH]))  # fmt: skip
    def test_whatever_a_signed_provider_posts_is_never_a_5xx(
        self, client: TestClient, anna: Member, form: dict[str, str], path: str
    ) -> None:
        response = post_twilio(client, path, form)  # signed: the parsing is reached
        assert response.status_code < 500, response.text

    @examples(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(body=st.binary(max_size=300), content_type=st.sampled_from(CONTENT_TYPES))
    def test_whatever_anyone_posts_is_never_a_5xx(
        self, client: TestClient, anna: Member, body: bytes, content_type: str
    ) -> None:
        for path in (TestTwilioInbound.PATH, TestTwilioStatus.PATH, TestSmsRuStatus.PATH):
            response = client.post(path, content=body, headers={"Content-Type": content_type})
            assert response.status_code < 500, response.text

    def test_nul_characters_are_not_a_5xx(self, client: TestClient, anna: Member) -> None:
        """PostgreSQL refuses NUL in text: a report carrying one must still not be a 500."""
        for path, form in (
            (TestTwilioStatus.PATH, {"MessageSid": "SM\x00", "MessageStatus": "delivered"}),
            (TestTwilioInbound.PATH, {"From": "+7916\x00", "Body": "STOP"}),
            (TestSmsRuStatus.PATH, {"data[0]": "sms_status\n1\x00\n103\n1"}),
        ):
            assert post_twilio(client, path, form).status_code < 500
