"""A real SMTP server for tests: aiosmtpd on a loopback port, in its own thread, speaking
STARTTLS (or implicit TLS) with a throwaway CA, requiring AUTH (PLAIN/LOGIN, only after TLS)
and keeping every message it accepted.

    with SmtpServer(tmp_path, security="starttls") as smtp:
        settings = make_settings(..., **smtp.settings())
        ...
        smtp.messages[0]["To"]

``refuse`` maps a recipient address to the SMTP reply its RCPT TO gets (e.g. ``"550 5.1.1 no
such user"`` or ``"451 4.3.0 try later"``).
"""

from __future__ import annotations

import logging
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.fake_apns import make_server_pki
from tests.support.server import free_port

USERNAME, PASSWORD = "loyalpass", "smtp-secret"

# aiosmtpd logs every connection at INFO ("EOF received"), from its own thread, even after
# pytest has closed the stream a test's log handler wrote to.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None
    is_tls: bool


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if session.auth_data else None
        transport = server.transport
        is_tls = session.ssl is not None or (  # STARTTLS, or implicit TLS
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        with self.lock:
            self.received.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    parsed,
                    login,
                    is_tls,
                )
            )
        return "250 2.0.0 queued"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    if isinstance(data, LoginPassword) and (data.login, data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    ):
        return AuthResult(success=True, auth_data=data)
    return AuthResult(success=False, handled=False)


class _Controller(Controller):
    def factory(self) -> SMTP:
        with warnings.catch_warnings():  # AUTH without STARTTLS: ours is implicit TLS
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


class SmtpServer:
    def __init__(
        self, directory: Path, *, security: Literal["starttls", "tls"] = "starttls"
    ) -> None:
        self.security = security
        self.handler = _Handler()
        pki = make_server_pki()
        self.ca_file = directory / "smtp-ca.pem"
        self.ca_file.write_bytes(pki.ca_pem)
        (directory / "smtp-cert.pem").write_bytes(pki.certificate_pem)
        (directory / "smtp-key.pem").write_bytes(pki.key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(directory / "smtp-cert.pem", directory / "smtp-key.pem")
        self.port = free_port()
        tls: dict[str, Any] = (
            {"tls_context": context, "require_starttls": True}
            if security == "starttls"
            else {"ssl_context": context}
        )
        self.controller = _Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_authenticate,
            auth_required=True,
            # Implicit TLS: the whole connection is TLS, but aiosmtpd only counts STARTTLS.
            auth_require_tls=security == "starttls",
            **tls,
        )

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return [r.message for r in self.handler.received]

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def settings(self) -> dict[str, object]:
        """The ``LOYALPASS_SMTP_*`` settings that reach this server."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": self.security,
            "smtp_username": USERNAME,
            "smtp_password": PASSWORD,
            "smtp_ca_file": self.ca_file,
            "smtp_from": "Coffee <cards@example.com>",
        }

    def __enter__(self) -> Self:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
