"""Twilio's Messages API: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP Basic
auth with the Account SID and auth token, form fields ``To``, ``From`` and ``Body`` (at most
1600 characters). 201 answers the message resource (``sid``, ``status``, ``num_segments``);
errors answer ``{"code", "message", "more_info", "status"}``.

Twilio takes no idempotency key for sending, so a message whose outcome is unknown (the sender
died during the request) cannot be sent again without risking a duplicate: the sender job
decides (see ``sender.py``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping

from api.messaging.channels import Outcome, SendResult, Sms, post_form

logger = logging.getLogger(__name__)

# Our webhooks (api/messaging/webhooks.py): Twilio posts delivery reports and replies there.
TWILIO_STATUS_PATH = "/messaging/v1/twilio/status"
TWILIO_INBOUND_PATH = "/messaging/v1/twilio/inbound"

# Our account or From number is wrong: the message is fine. Keep it and retry.
ACCOUNT_CODES = {20003, 20005, 21606, 21659, 21212}


class Twilio:
    name = "twilio"
    supports_idempotency = False

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        sender: str,
        url: str = "https://api.twilio.com",
        timeout: float = 20.0,
        status_callback: str | None = None,
    ) -> None:
        self.account_sid, self.sender, self.timeout = account_sid, sender, timeout
        self.status_callback = status_callback  # where Twilio reports delivery (webhooks.py)
        self.endpoint = f"{url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}

    def send(self, sms: Sms) -> SendResult:
        fields = {"To": sms.to, "From": self.sender, "Body": sms.text}
        if self.status_callback:
            fields["StatusCallback"] = self.status_callback
        try:
            answer = post_form(self.endpoint, fields, headers=self._headers, timeout=self.timeout)
        except OSError as exc:
            return SendResult(Outcome.retry, error=f"twilio: {type(exc).__name__}: {exc}"[:300])
        try:
            body = json.loads(answer.body)
        except ValueError:
            body = {}
        if answer.status in (200, 201) and isinstance(body, dict) and body.get("sid"):
            parts = str(body.get("num_segments"))
            segments = int(parts) if parts.isdigit() else None
            return SendResult(Outcome.sent, provider_id=str(body["sid"]), segments=segments)
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message", "") if isinstance(body, dict) else ""
        error = f"twilio {answer.status} {code}: {message}"[:300]
        if answer.status == 429 or answer.status >= 500:
            return SendResult(Outcome.retry, error=error, retry_after=answer.retry_after)
        if answer.status in (401, 403) or code in ACCOUNT_CODES:
            logger.error("Twilio refused our account or From number", extra={"code": code})
            return SendResult(Outcome.retry, error=error)
        return SendResult(Outcome.failed, error=error, is_opted_out=code == 21610)

    def close(self) -> None:
        return None


# Twilio's MessageStatus values in status callbacks, as our statuses (the others are steps on
# the way: queued, sending, sent, accepted, scheduled).
CALLBACK_STATUSES = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def callback_status(form: Mapping[str, str]) -> tuple[str, str] | None:
    """(MessageSid, our status) from a status callback's form, or None when not final. Check
    the request's ``X-Twilio-Signature`` first (``is_signed_by_twilio``)."""
    status = CALLBACK_STATUSES.get(form.get("MessageStatus", ""))
    sid = form.get("MessageSid")
    return (sid, status) if sid and status else None


def is_signed_by_twilio(auth_token: str, url: str, form: Mapping[str, str], signature: str) -> bool:
    """Twilio's webhook signature: base64 HMAC-SHA1, keyed by the auth token, of the full URL
    followed by each POST parameter's name and value, sorted by name."""
    payload = url + "".join(f"{name}{form[name]}" for name in sorted(form))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature)
