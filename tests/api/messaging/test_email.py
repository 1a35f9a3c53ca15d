"""Email: templates become multipart text + HTML with the program's colours and logo, and
travel over a real SMTP server (aiosmtpd) with STARTTLS or implicit TLS and AUTH."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.messaging.channels import Outcome
from api.messaging.mail import Brand, build_email, message_templates, render_email
from api.messaging.smtp import SmtpConfig, SmtpMailer
from tests.support.smtp import PASSWORD, USERNAME, SmtpServer

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
BRAND = Brand("Coffee & Co", "#3b2418", "#fff8f0", b"\x89PNG\r\n\x1a\nlogo")


def campaign_email(to: str = "anna@example.com", unsubscribe: str | None = "https://x/u/t"):
    rendered = render_email(
        message_templates(TEMPLATES),
        "campaign",
        "ru",
        {"text": "Скидка 20% <в пятницу>", "subject": "Пятница"},
        BRAND,
        unsubscribe_url=unsubscribe,
    )
    return build_email(
        rendered,
        sender="cards@example.com",
        to=to,
        brand=BRAND,
        idempotency_key="campaign:1:member:2",
        unsubscribe_url=unsubscribe,
    )


class TestBuildEmail:
    def test_multipart_text_and_html_with_brand_and_logo(self) -> None:
        message = campaign_email()
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert text is not None
        assert html is not None
        assert "Скидка 20% <в пятницу>" in text.get_content()
        body = html.get_content()
        assert "Скидка 20% &lt;в пятницу&gt;" in body  # escaped in HTML
        assert "#3b2418" in body
        assert "#fff8f0" in body
        assert 'src="cid:logo"' in body
        related = next(
            p for p in message.iter_parts() if p.get_content_type() == "multipart/related"
        )
        logo = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
        assert logo["Content-ID"] == "<logo>"
        assert logo.get_content() == BRAND.logo_png
        assert message["From"].addresses[0].display_name == "Coffee & Co"
        assert message["From"].addresses[0].addr_spec == "cards@example.com"
        assert message["Subject"] == "Пятница"
        assert message["Message-ID"] == "<campaign-1-member-2@example.com>"

    def test_one_click_unsubscribe_headers_rfc_8058(self) -> None:
        message = campaign_email()
        assert message["List-Unsubscribe"] == "<https://x/u/t>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_service_messages_carry_no_unsubscribe(self) -> None:
        message = campaign_email(unsubscribe=None)
        assert message["List-Unsubscribe"] is None

    @pytest.mark.parametrize("locale", ["ru", "en"])
    def test_every_template_renders_in_both_languages(self, locale: str) -> None:
        templates = message_templates(TEMPLATES)
        context = {"name": "Anna", "card_url": "https://c/1", "code": "123456", "text": "Hi"}
        for template in ("card_link", "verification_code", "campaign"):
            rendered = render_email(templates, template, locale, context, BRAND)
            assert rendered.subject
            assert rendered.text
            assert "<html" in rendered.html

    def test_subject_is_one_line(self) -> None:
        rendered = render_email(
            message_templates(TEMPLATES),
            "card_link",
            "en",
            {"name": "A", "card_url": "u"},
            Brand("Evil\r\nBcc: x@y"),
        )
        assert "\n" not in rendered.subject
        assert "\r" not in rendered.subject


@pytest.mark.parametrize("security", ["starttls", "tls"])
class TestSmtp:
    def test_sends_over_tls_with_auth(self, tmp_path: Path, security: str) -> None:
        with SmtpServer(tmp_path, security=security) as server:  # type: ignore[arg-type]
            mailer = SmtpMailer(
                SmtpConfig(
                    "127.0.0.1",
                    server.port,
                    security,  # type: ignore[arg-type]
                    USERNAME,
                    PASSWORD,
                    server.ca_file,
                )
            )
            first = mailer.send(campaign_email())
            second = mailer.send(campaign_email("boris@example.com"))  # same connection
            mailer.close()
        assert first.outcome is Outcome.sent
        assert second.outcome is Outcome.sent
        assert [r.rcpt_tos for r in server.received] == [
            ["anna@example.com"],
            ["boris@example.com"],
        ]
        assert [(r.is_tls, r.authenticated_as) for r in server.received] == [(True, USERNAME)] * 2
        assert server.messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_wrong_password_is_retried_not_dropped(self, tmp_path: Path, security: str) -> None:
        with SmtpServer(tmp_path, security=security) as server:  # type: ignore[arg-type]
            mailer = SmtpMailer(
                SmtpConfig(
                    "127.0.0.1",
                    server.port,
                    security,  # type: ignore[arg-type]
                    USERNAME,
                    "wrong",
                    server.ca_file,
                )
            )
            result = mailer.send(campaign_email())
        assert result.outcome is Outcome.retry
        assert "535" in (result.error or "")
        assert server.messages == []

    def test_untrusted_certificate_is_refused(self, tmp_path: Path, security: str) -> None:
        with SmtpServer(tmp_path, security=security) as server:  # type: ignore[arg-type]
            mailer = SmtpMailer(
                SmtpConfig(
                    "127.0.0.1",
                    server.port,
                    security,  # type: ignore[arg-type]
                    USERNAME,
                    PASSWORD,
                    None,
                )
            )
            result = mailer.send(campaign_email())
        assert result.outcome is Outcome.retry
        assert "SSL" in (result.error or "")
        assert server.messages == []

    def test_unknown_recipient_bounces_and_busy_one_retries(
        self, tmp_path: Path, security: str
    ) -> None:
        with SmtpServer(tmp_path, security=security) as server:  # type: ignore[arg-type]
            server.handler.refuse = {
                "gone@example.com": "550 5.1.1 no such user",
                "busy@example.com": "451 4.3.0 try again later",
            }
            mailer = SmtpMailer(
                SmtpConfig(
                    "127.0.0.1",
                    server.port,
                    security,  # type: ignore[arg-type]
                    USERNAME,
                    PASSWORD,
                    server.ca_file,
                )
            )
            gone = mailer.send(campaign_email("gone@example.com"))
            busy = mailer.send(campaign_email("busy@example.com"))
            fine = mailer.send(campaign_email())
            mailer.close()
        assert gone.outcome is Outcome.bounced
        assert "550" in (gone.error or "")
        assert busy.outcome is Outcome.retry
        assert "451" in (busy.error or "")
        assert fine.outcome is Outcome.sent

    def test_server_down_is_a_retry(self, tmp_path: Path, security: str) -> None:
        from tests.support.server import free_port

        mailer = SmtpMailer(SmtpConfig("127.0.0.1", free_port(), security, timeout=2))  # type: ignore[arg-type]
        assert mailer.send(campaign_email()).outcome is Outcome.retry


class TestPlainRefusedWithoutTls:
    def test_starttls_server_refuses_auth_before_tls(self, tmp_path: Path) -> None:
        with SmtpServer(tmp_path, security="starttls") as server:
            mailer = SmtpMailer(SmtpConfig("127.0.0.1", server.port, "none", USERNAME, PASSWORD))
            result = mailer.send(campaign_email())
        assert result.outcome is Outcome.retry
        assert server.messages == []
