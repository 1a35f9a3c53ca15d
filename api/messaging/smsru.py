"""SMS.ru (https://sms.ru/api/send): ``POST /sms/send`` with ``api_id``, ``to``, ``msg``
(UTF-8), ``from`` (a sender name approved in the account) and ``json=1``. The answer is
``{"status": "OK"|"ERROR", "status_code": N, "sms": {"<phone>": {"status", "status_code",
"sms_id" | "status_text"}}, "balance"}``; 100 is success. SMS.ru takes no idempotency key: the
sender records its ``sms_id``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from api.messaging.channels import Outcome, SendResult, Sms, post_form
from api.messaging.sms_encoding import sms_length

logger = logging.getLogger(__name__)

# Account or request problems: the message is fine, our setup is not. Keep it and retry.
ACCOUNT_CODES = {200, 201, 204, 300, 301, 302}
# Temporary: service unavailable, daily limits, too many identical messages per minute/day.
TEMPORARY_CODES = {206, 220, 230, 231, 232}


class SmsRu:
    name = "smsru"
    supports_idempotency = False

    def __init__(
        self, api_id: str, *, sender: str | None, url: str = "https://sms.ru", timeout: float = 20.0
    ) -> None:
        self.api_id, self.sender, self.url, self.timeout = api_id, sender, url.rstrip("/"), timeout

    def send(self, sms: Sms) -> SendResult:
        phone = sms.to.lstrip("+")
        fields = {"api_id": self.api_id, "to": phone, "msg": sms.text, "json": "1"}
        if self.sender:
            fields["from"] = self.sender
        segments = sms_length(sms.text).segments
        try:
            answer = post_form(f"{self.url}/sms/send", fields, headers={}, timeout=self.timeout)
        except OSError as exc:
            return SendResult(Outcome.retry, error=f"smsru: {type(exc).__name__}: {exc}"[:300])
        if answer.status >= 500 or answer.status == 429:
            return SendResult(Outcome.retry, error=f"smsru: HTTP {answer.status}",
                              retry_after=answer.retry_after)  # fmt: skip
        try:
            body = json.loads(answer.body)
            code = int(body["status_code"])
            item = body.get("sms", {}).get(phone, {})
        except (ValueError, KeyError, TypeError, AttributeError):
            return SendResult(Outcome.retry, error=f"smsru: unreadable answer {answer.status}")
        if code == 100 and item:
            code = int(item.get("status_code", 0))
            if code == 100 and item.get("sms_id"):
                return SendResult(Outcome.sent, provider_id=str(item["sms_id"]), segments=segments)
        text = (item or body).get("status_text", "")
        error = f"smsru {code}: {text}"[:300]
        if code in ACCOUNT_CODES:
            logger.error("SMS.ru refused our account or sender", extra={"code": code})
            return SendResult(Outcome.retry, error=error)
        if code in TEMPORARY_CODES:
            return SendResult(Outcome.retry, error=error)
        return SendResult(Outcome.failed, error=error, is_opted_out=code == 209)

    def close(self) -> None:
        return None


# SMS.ru's delivery codes in callbacks, as our statuses (101 and 102 are steps on the way: at
# the operator, sent). 110 is "read" (messengers), later than delivered.
CALLBACK_STATUSES = {
    "103": "delivered",
    "110": "delivered",
    **dict.fromkeys(("104", "105", "106", "107", "108", "150"), "failed"),
}


def callback_statuses(form: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(sms_id, our status, SMS.ru's code) of each final report in a callback. SMS.ru posts
    ``data[0]``, ``data[1]``, ... each ``"sms_status\n<sms_id>\n<code>\n<unix time>"``
    (other kinds of line, such as ``callback_check``, are skipped) and wants ``100`` back,
    else it posts the batch again."""
    found = []
    for name, value in form.items():
        if not name.startswith("data["):
            continue
        lines = value.split("\n")
        if len(lines) >= 3 and lines[0].strip() == "sms_status":
            sms_id, code = lines[1].strip(), lines[2].strip()
            status = CALLBACK_STATUSES.get(code)
            if sms_id and status:
                found.append((sms_id, status, code))
    return found
