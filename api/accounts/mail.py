"""The emails of accounts: an invitation link and a password reset link, sent over the
service's SMTP settings (``LOYALPASS_SMTP_*``).

The messaging outbox is for members (each message names one); a person of a merchant is not
a member, so these few emails are sent directly, after the request's transaction committed
(a background task of the answer): a link is mailed only once it exists. A failed send is
logged (without the link) and the person asks again; without SMTP the owner copies the
invitation link from the console, and the operator makes reset links with the CLI.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from api.messaging.channels import Outcome
from api.messaging.smtp import SmtpConfig, SmtpMailer
from api.settings import Settings

logger = logging.getLogger(__name__)

_TEXTS = {
    "reset": {
        "ru": ("Сброс пароля loyalpass",
               "Чтобы задать новый пароль, откройте ссылку (30 минут, один раз):\n\n{url}\n\n"
               "Если вы не просили сброс, ничего не делайте: пароль не изменится.\n"),
        "en": ("Reset your loyalpass password",
               "To set a new password, open this link (30 minutes, once):\n\n{url}\n\n"
               "If you did not ask for it, do nothing: your password stays as it is.\n"),
    },
    "invite": {
        "ru": ("Приглашение в консоль loyalpass",
               "Вас пригласили в консоль программы лояльности. Откройте ссылку и задайте "
               "пароль (7 дней, один раз):\n\n{url}\n"),
        "en": ("You are invited to the loyalpass console",
               "You are invited to a loyalty program's console. Open the link and choose a "
               "password (7 days, once):\n\n{url}\n"),
    },
}  # fmt: skip


def can_mail(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def link_message(settings: Settings, *, kind: str, to: str, url: str, locale: str) -> EmailMessage:
    subject, body = _TEXTS[kind]["ru" if locale == "ru" else "en"]
    message = EmailMessage()
    message["From"] = settings.smtp_from or f"loyalpass@{settings.smtp_host}"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body.format(url=url))
    return message


def send_link(settings: Settings, *, kind: str, to: str, url: str, locale: str) -> bool:
    """Mail one link now (call it after the commit); False when it was not sent."""
    if not settings.smtp_host:
        return False
    password = settings.smtp_password
    mailer = SmtpMailer(
        SmtpConfig(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
            ca_file=settings.smtp_ca_file,
        )
    )  # fmt: skip
    try:
        result = mailer.send(link_message(settings, kind=kind, to=to, url=url, locale=locale))
    finally:
        mailer.close()
    if result.outcome != Outcome.sent:
        logger.warning("account email not sent", extra={"kind": kind, "reason": result.error})
        return False
    return True
