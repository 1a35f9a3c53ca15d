"""Sending email over SMTP: STARTTLS (port 587), implicit TLS (465) or plain (tests and
local relays only), with AUTH when a user name is set. One connection is kept open across a
batch and reopened when the server dropped it."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from api.messaging.channels import Outcome, SendResult

logger = logging.getLogger(__name__)
Security = Literal["starttls", "tls", "none"]


@dataclass
class SmtpConfig:
    host: str
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    timeout: float = 20.0


class SmtpMailer:
    """An SMTP client for a run of messages. Not thread-safe: one per sender thread."""

    name = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.config.ca_file is not None:
            context.load_verify_locations(cafile=self.config.ca_file)
        return context

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp: smtplib.SMTP
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            if smtp.sock is not None:  # smtplib writes a command in pieces: no Nagle delay
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if config.security == "starttls":
                smtp.starttls(context=self._context())
            if config.username:
                smtp.login(config.username, config.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> SendResult:
        """Send one message; the answer says whether to retry. Never raises for SMTP trouble."""
        try:
            return self._send(message, reconnect=True)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return _refused(code, reply)
        except smtplib.SMTPResponseException as exc:  # AUTH, MAIL FROM, DATA refused
            self.close()
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                logger.error("SMTP server refused our credentials", extra={"code": exc.smtp_code})
            outcome = Outcome.failed if 500 <= exc.smtp_code < 600 else Outcome.retry
            if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
                outcome = Outcome.retry  # our configuration, not the message: keep it
            return SendResult(outcome, error=_reply(exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:  # refused connection, timeout, TLS
            self.close()
            return SendResult(Outcome.retry, error=f"smtp: {type(exc).__name__}: {exc}"[:300])

    def _send(self, message: EmailMessage, *, reconnect: bool) -> SendResult:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            if not reconnect:
                raise
            return self._send(message, reconnect=False)
        return SendResult(Outcome.sent, provider_id=str(message["Message-ID"]))

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _refused(code: int, reply: bytes) -> SendResult:
    if 500 <= code < 600:
        return SendResult(Outcome.bounced, error=_reply(code, reply))
    return SendResult(Outcome.retry, error=_reply(code, reply))


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    return f"smtp {code}: {text}"[:300]
