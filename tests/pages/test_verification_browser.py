"""In Chromium, with a real SMTP server: a member on a new phone gets their card back only
through the code mailed to them, in Russian and in English; a stranger who knows the email
gets the link sent to its owner, never the card."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from sqlmodel import Session

from api.db import make_engine
from api.merchants import service as merchant_service
from tests.conftest import make_settings
from tests.pages.conftest import Site
from tests.support.server import free_port, running_server
from tests.support.smtp import SmtpServer


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(scope="module")
def mail_site(
    tmp_path_factory: pytest.TempPathFactory, pki_dir: Path, smtp: SmtpServer
) -> Iterator[Site]:
    """The service with email configured and its message sender running."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{tmp_path_factory.mktemp('mail') / 'mail.db'}"
    settings = make_settings(
        database_url, pki_dir, public_url=url, messages_in_process=True, **smtp.settings()
    )
    with running_server(settings, port=port):
        engine = make_engine(database_url)
        with Session(engine) as session, session.begin():
            merchant, key = merchant_service.create_merchant(session, name="Bean & Brew")
            merchant_id = str(merchant.id)
        engine.dispose()
        yield Site(url, database_url, key, merchant_id)


@pytest.fixture(scope="module")
def program(mail_site: Site) -> dict[str, Any]:
    body = {"name": "Coffee Club", "kind": "points", "design": "coffee"}
    result: dict[str, Any] = mail_site.api("POST", "/api/v1/programs", body)
    return result


def member(site: Site, program: dict[str, Any], email: str) -> dict[str, Any]:
    body = {"name": "Anna Petrova", "email": email}
    result: dict[str, Any] = site.api("POST", f"/api/v1/programs/{program['id']}/members", body)
    return result


def mail_to(smtp: SmtpServer, address: str, *, timeout: float = 15) -> EmailMessage:
    """The newest message to ``address``, waiting for the sender to deliver it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in reversed(smtp.received):
            if address in received.rcpt_tos:
                return received.message
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en", {"contact": "Phone or email", "send": "Send me a code",
                "code": "Code from the message", "open": "Open my card"}),
        ("ru", {"contact": "Телефон или эл. почта", "send": "Прислать код",
                "code": "Код из сообщения", "open": "Открыть карту"}),
    ],
)  # fmt: skip
def test_a_new_phone_opens_the_card_with_the_mailed_code(
    page: Page, ru_page: Page, mail_site: Site, program: dict[str, Any], smtp: SmtpServer,
    locale: str, labels: dict[str, str],
) -> None:  # fmt: skip
    tab = ru_page if locale == "ru" else page
    address = f"anna-{locale}@example.com"
    anna = member(mail_site, program, address)
    tab.goto(f"{mail_site.url}/join/{program['public_slug']}/card")
    assert tab.locator("html").get_attribute("lang") == locale
    tab.get_by_label(labels["contact"]).fill(address.upper())
    tab.get_by_role("button", name=labels["send"]).click()
    tab.wait_for_url(re.compile(r"/card/[0-9a-f-]{36}$"))
    assert "a***@example.com" in tab.content()
    code = re.search(r"\b(\d{6})\b", text_of(mail_to(smtp, address)))
    assert code is not None
    tab.get_by_label(labels["code"]).fill(code.group(1))
    tab.get_by_role("button", name=labels["open"]).click()
    tab.wait_for_url(re.compile(r"/cards/"))
    assert tab.locator("#serial").inner_text() == anna["serial_number"]


def test_a_stranger_with_the_email_gets_nothing_and_the_owner_gets_the_link(
    page: Page, mail_site: Site, program: dict[str, Any], smtp: SmtpServer
) -> None:
    address = "olga@example.com"
    olga = member(mail_site, program, address)
    page.goto(f"{mail_site.url}/join/{program['public_slug']}")
    page.get_by_label("Name", exact=True).fill("Mallory")
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Get my card").click()
    page.wait_for_load_state()
    assert "/cards/" not in page.url
    assert "We have sent its link there" in page.content()
    assert olga["serial_number"] not in page.content()
    link = re.search(r"https?://\S+/cards/[\w-]+", text_of(mail_to(smtp, address)))
    assert link is not None  # the owner can open it from their mailbox
    page.goto(link.group(0))
    assert page.locator("#serial").inner_text() == olga["serial_number"]
