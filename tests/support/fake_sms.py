"""Faithful local fakes of two SMS gateways, each a real HTTP server (standard library
``ThreadingHTTPServer``) on a loopback port in a thread, checking what the real one checks and
answering in its format, errors included.

``FakeSmsRu`` plays https://sms.ru/api/send: ``/sms/send`` (GET or POST) with ``api_id``,
``to``, ``msg`` (UTF-8), optional ``from`` and ``json=1``. Checks, with SMS.ru's codes: the
``api_id`` (200), the balance (201), the number (202), an empty text (203), the sender name
approved for the account (204), at most 8 SMS parts (205), text that is not UTF-8 (212), the
stop list (209). Without ``json=1`` it answers SMS.ru's plain-text lines.

``FakeTwilio`` plays Twilio's ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``:
HTTP Basic auth with the Account SID and auth token, matching the SID in the path (401, code
20003), ``To`` (21604 missing, 21211 not E.164), ``From`` one of the account's numbers (21603
missing, 21606 not ours), ``Body`` (21602 missing, 21617 over 1600 characters), recipients who
replied STOP (21610). Success is 201 with the message resource (``sid`` "SM" + 32 hex digits,
``status`` "queued", ``num_segments``); errors are ``{"code", "message", "more_info",
"status"}``.

Both can play an outage: ``fail_next(n)`` answers the next ``n`` requests 503 (Twilio: also 429
with ``Retry-After`` via ``status=429``), and count every request in ``requests``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from api.messaging.sms_encoding import sms_length


@dataclass
class SentSms:
    to: str
    text: str
    sender: str | None
    id: str
    segments: int


@dataclass
class _State:
    sent: list[SentSms] = field(default_factory=list)
    requests: int = 0
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _FakeServer:
    """The HTTP plumbing both fakes share; subclasses answer ``handle``."""

    def __init__(self) -> None:
        self.state = _State()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.state.lock:
                    fake.state.requests += 1
                    failure = fake.state.failures.pop(0) if fake.state.failures else None
                if failure is not None:
                    status, headers, payload = failure, {"Retry-After": "7"}, b"unavailable"
                else:
                    status, headers, payload = fake.handle(method, self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    @property
    def sent(self) -> list[SentSms]:
        with self.state.lock:
            return list(self.state.sent)

    @property
    def requests(self) -> int:
        with self.state.lock:
            return self.state.requests

    def fail_next(self, count: int, *, status: int = 503) -> None:
        with self.state.lock:
            self.state.failures.extend([status] * count)

    def _record(self, to: str, text: str, sender: str | None, sms_id: str) -> SentSms:
        sms = SentSms(to, text, sender, sms_id, sms_length(text).segments)
        with self.state.lock:
            self.state.sent.append(sms)
        return sms

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def _form(query: str, body: bytes, headers: Any) -> dict[str, str] | None:
    """Query and form fields; None when the body is not UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    fields = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    fields.update({k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()})
    return fields


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    payload = json.dumps(body, ensure_ascii=False).encode()
    return status, {"Content-Type": "application/json; charset=utf-8"}, payload


class FakeSmsRu(_FakeServer):
    def __init__(
        self,
        *,
        api_id: str = "7F3A0C1E-2B4D-4E6F-8A9B-0C1D2E3F4A5B",
        senders: tuple[str, ...] = ("CoffeeCo",),
        balance: float = 1000.0,
        price: float = 3.5,
    ) -> None:
        super().__init__()
        self.api_id, self.senders, self.balance, self.price = api_id, senders, balance, price
        self.stop_list: set[str] = set()

    def handle(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(path)
        if url.path != "/sms/send":
            return self._error(211, "Метод не найден", as_json=True)
        fields = _form(url.query, body, headers)
        if fields is None:
            return self._error(212, "Текст сообщения необходимо передать в кодировке UTF-8", True)
        as_json = fields.get("json") == "1"
        if fields.get("api_id") != self.api_id:
            return self._error(200, "Неправильный api_id", as_json)
        sender = fields.get("from")
        if sender is not None and sender not in self.senders:
            return self._error(204, "Имя отправителя не согласовано с администрацией", as_json)
        text = fields.get("msg", "")
        if not text.strip():
            return self._error(203, "Нет текста сообщения", as_json)
        results: dict[str, dict[str, Any]] = {}
        for phone in [p for p in fields.get("to", "").split(",") if p]:
            results[phone] = self._one(phone, text, sender)
        if not results:
            return self._error(202, "Неправильно указан номер телефона получателя", as_json)
        if not as_json:
            lines = ["100"] + [r.get("sms_id") or str(r["status_code"]) for r in results.values()]
            return (
                200,
                {"Content-Type": "text/plain"},
                "\n".join([*lines, f"balance={self.balance:.2f}"]).encode(),
            )
        return _json(
            200,
            {"status": "OK", "status_code": 100, "sms": results, "balance": round(self.balance, 2)},
        )

    def _one(self, phone: str, text: str, sender: str | None) -> dict[str, Any]:
        segments = sms_length(text).segments
        if not phone.isdigit() or not 11 <= len(phone) <= 15:
            return _item_error(202, "Неправильно указан номер телефона получателя")
        if phone in self.stop_list:
            return _item_error(209, "Вы добавили этот номер (или один из номеров) в стоп-лист")
        if segments > 8:
            return _item_error(205, "Сообщение слишком длинное (превышает 8 СМС)")
        with self.state.lock:
            if self.balance < segments * self.price:
                return _item_error(201, "Не хватает средств на лицевом счету")
            self.balance -= segments * self.price
        sms_id = f"{secrets.randbelow(10**6):06d}-{secrets.randbelow(10**8):08d}"
        self._record(phone, text, sender, sms_id)
        return {"status": "OK", "status_code": 100, "sms_id": sms_id}

    def _error(self, code: int, text: str, as_json: bool) -> tuple[int, dict[str, str], bytes]:
        if not as_json:
            return 200, {"Content-Type": "text/plain"}, str(code).encode()
        return _json(200, {"status": "ERROR", "status_code": code, "status_text": text})


def _item_error(code: int, text: str) -> dict[str, Any]:
    return {"status": "ERROR", "status_code": code, "status_text": text}


class FakeTwilio(_FakeServer):
    def __init__(
        self,
        *,
        account_sid: str = "AC" + "0123456789abcdef" * 2,
        auth_token: str = "f" * 32,
        numbers: tuple[str, ...] = ("+15005550006",),
    ) -> None:
        super().__init__()
        self.account_sid, self.auth_token, self.numbers = account_sid, auth_token, numbers
        self.unsubscribed: set[str] = set()

    def handle(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path).path.split("/")
        if len(parts) != 5 or parts[1:3] != ["2010-04-01", "Accounts"]:
            return _twilio_error(404, 20404, "The requested resource was not found")
        if parts[4] != "Messages.json":
            return _twilio_error(404, 20404, "The requested resource was not found")
        if not self._authorized(headers.get("Authorization", ""), parts[3]):
            return _twilio_error(401, 20003, "Authenticate")
        if method != "POST":
            return _twilio_error(405, 20004, "Method not allowed")
        fields = _form("", body, headers) or {}
        to, sender, text = fields.get("To"), fields.get("From"), fields.get("Body")
        if not to:
            return _twilio_error(400, 21604, "A 'To' phone number is required.")
        if not (to.startswith("+") and to[1:].isdigit() and 8 <= len(to) <= 16):
            return _twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not sender:
            return _twilio_error(400, 21603, "A 'From' phone number is required.")
        if sender not in self.numbers:
            return _twilio_error(
                400,
                21606,
                "The 'From' phone number provided is not a valid "
                "message-capable Twilio phone number for this destination.",
            )
        if not text:
            return _twilio_error(400, 21602, "Message body is required.")
        if len(text) > 1600:
            return _twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in self.unsubscribed:
            return _twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = "SM" + secrets.token_hex(16)
        sms = self._record(to, text, sender, sid)
        return _json(
            201,
            {
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": text,
                "date_created": None,
                "date_sent": None,
                "date_updated": None,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": sender,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": str(sms.segments),
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "to": to,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
        )

    def _authorized(self, header: str, path_sid: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        expected = (self.account_sid, self.auth_token)
        return (user, password) == expected and path_sid == self.account_sid


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return _json(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )
