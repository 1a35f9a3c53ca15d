"""Twilio's Messages API: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP Basic
auth with the Account SID and auth token, form fields ``To``, ``From`` and ``Body`` (at most
1600 characters). 201 answers the message resource (``sid``, ``status``, ``num_segments``);
errors answer ``{"code", "message", "more_info", "status"}``.

Twilio takes no idempotency key for sending, so a message whose outcome is unknown (the sender
died during the request) cannot be sent again without risking a duplicate: the sender job
decides (see ``sender.py``)."""

from __future__ import annotations

import base64
import json
import logging

from api.messaging.channels import Outcome, SendResult, Sms, post_form

logger = logging.getLogger(__name__)

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
    ) -> None:
        self.account_sid, self.sender, self.timeout = account_sid, sender, timeout
        self.endpoint = f"{url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}

    def send(self, sms: Sms) -> SendResult:
        fields = {"To": sms.to, "From": self.sender, "Body": sms.text}
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
        return SendResult(Outcome.failed, error=error)

    def close(self) -> None:
        return None
