"""What the SMS providers post back to us: delivery reports and replies.

- ``POST /messaging/v1/twilio/status``: Twilio's status callback (``MessageSid``,
  ``MessageStatus``, ``ErrorCode``), the URL every message names as its ``StatusCallback``.
- ``POST /messaging/v1/twilio/inbound``: a reply to our number (set it as the number's
  messaging webhook). A stop word, or Twilio's ``OptOutType=STOP``, withdraws the SMS
  marketing consent of every member with that phone. Answered with empty TwiML (no reply
  from us: Twilio itself confirms an opt-out).
- ``POST /messaging/v1/smsru/{token}/status``: SMS.ru's callback (``data[N]`` lines), answered
  ``100`` as SMS.ru expects, else it posts the batch again.

Twilio signs its requests (``X-Twilio-Signature``, HMAC-SHA1 of the URL it called and the
form, keyed by our auth token): an unsigned or wrongly signed request is 403, before anything
is read or written. The URL Twilio signed is our public URL, not the address the request
reached us at (a proxy may stand between). SMS.ru signs nothing, so its URL carries a secret
(``LOYALPASS_SMSRU_CALLBACK_TOKEN``); a wrong one is 404, like a provider that is not set up.
These routes are exempt from the forms' Origin check (``api/pages/origin.py``): servers post
them, not browsers.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import PlainTextResponse

from api.clock import utcnow
from api.deps import SessionDep, SettingsDep
from api.messaging import service, smsru, twilio
from api.messaging.errors import WebhookNotConfigured, WebhookSignatureInvalid
from api.messaging.models import Status
from api.pages.errors import TooManyFormFields
from api.settings import Settings

logger = logging.getLogger(__name__)
router = APIRouter(tags=["messaging"], include_in_schema=False)
MAX_FIELDS = 500  # SMS.ru batches reports, one field each
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TWILIO_OPTED_OUT = "21610"  # "Attempt to send to unsubscribed recipient"


async def webhook_form(request: Request) -> dict[str, str]:
    """The posted form exactly as sent, blank values included (Twilio signs them too).

    Raises:
        TooManyFormFields: more than ``MAX_FIELDS`` fields.
    """
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise TooManyFormFields(f"at most {MAX_FIELDS} fields") from None
    return dict(pairs)


WebhookForm = Annotated[dict[str, str], Depends(webhook_form)]
TwilioSignature = Annotated[str, Header(alias="X-Twilio-Signature")]


def without_nul(form: dict[str, str]) -> dict[str, str]:
    """The form with NUL characters dropped (PostgreSQL text refuses them), once checked."""
    return {key.replace("\x00", ""): value.replace("\x00", "") for key, value in form.items()}


def check_twilio(
    request: Request, settings: Settings, form: dict[str, str], signature: str
) -> dict[str, str]:
    """The form to act on, once Twilio's signature over it as sent is checked.

    Raises:
        WebhookNotConfigured: no Twilio auth token is set.
        WebhookSignatureInvalid: the signature is missing or not Twilio's.
    """
    token = settings.twilio_auth_token
    if token is None:
        raise WebhookNotConfigured()
    url = f"{settings.public_url}{request.url.path}"
    if request.url.query:
        url = f"{url}?{request.url.query}"
    if not signature or not twilio.is_signed_by_twilio(
        token.get_secret_value(), url, form, signature
    ):
        logger.warning("unsigned Twilio webhook refused", extra={"path": request.url.path})
        raise WebhookSignatureInvalid()
    return without_nul(form)


@router.post(twilio.TWILIO_STATUS_PATH, status_code=204)
def twilio_status(
    request: Request,
    form: WebhookForm,
    session: SessionDep,
    settings: SettingsDep,
    signature: TwilioSignature = "",
) -> Response:
    """A Twilio delivery report: delivered, undelivered or failed (earlier steps are skipped)."""
    form = check_twilio(request, settings, form, signature)
    now = utcnow()
    report = twilio.callback_status(form)
    if report is not None:
        sid, status = report
        code = form.get("ErrorCode", "")
        error = f"twilio {code}" if code and status != Status.delivered else None
        service.record_delivery(
            session, provider="twilio", provider_id=sid, status=Status(status), now=now,
            error=error,
        )  # fmt: skip
    if form.get("ErrorCode") == TWILIO_OPTED_OUT and form.get("To"):
        service.stop_by_reply(session, phone=form["To"], text="STOP", now=now)
    return Response(status_code=204)


@router.post(twilio.TWILIO_INBOUND_PATH)
def twilio_inbound(
    request: Request,
    form: WebhookForm,
    session: SessionDep,
    settings: SettingsDep,
    signature: TwilioSignature = "",
) -> Response:
    """A reply to our number: a stop word withdraws SMS marketing for that phone."""
    form = check_twilio(request, settings, form, signature)
    text = "STOP" if form.get("OptOutType", "").upper() == "STOP" else form.get("Body", "")
    phone = form.get("From", "")
    if phone:
        stopped = service.stop_by_reply(session, phone=phone, text=text, now=utcnow())
        if stopped:
            logger.info("SMS marketing stopped by reply", extra={"members": stopped})
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post("/messaging/v1/smsru/{token}/status", response_class=PlainTextResponse)
def smsru_status(
    token: str, form: WebhookForm, session: SessionDep, settings: SettingsDep
) -> PlainTextResponse:
    """SMS.ru's delivery reports; ``100`` tells it they arrived."""
    expected = settings.smsru_callback_token
    if expected is None or not hmac.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    ):
        raise WebhookNotConfigured()
    now = utcnow()
    for sms_id, status, code in smsru.callback_statuses(without_nul(form)):
        service.record_delivery(
            session, provider="smsru", provider_id=sms_id, status=Status(status), now=now,
            error=None if status == Status.delivered else f"smsru {code}",
        )  # fmt: skip
    return PlainTextResponse("100")
