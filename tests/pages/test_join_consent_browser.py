"""The join page's optional marketing boxes in a real browser, in English and Russian: found by
their labels, unticked until the visitor ticks them, and each ticked box becomes a consent."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page
from sqlmodel import Session, select

from api.db import make_engine
from api.members.models import Member
from api.messaging.models import Channel, ChannelConsent
from tests.pages.conftest import ACCESSIBILITY_CHECK, Site


@pytest.fixture(scope="module")
def program(site: Site) -> dict[str, Any]:
    body = {"name": "Coffee Club", "kind": "points", "design": "coffee"}
    result: dict[str, Any] = site.api("POST", "/api/v1/programs", body)
    return result


def granted(site: Site, phone: str) -> set[Channel]:
    engine = make_engine(site.database_url)
    try:
        with Session(engine) as session:
            member = session.exec(select(Member).where(Member.phone == phone)).one()
            rows = session.exec(
                select(ChannelConsent).where(ChannelConsent.member_id == member.id)
            ).all()
            return {Channel(row.channel) for row in rows if row.is_granted}
    finally:
        engine.dispose()


class TestMarketingBoxes:
    def test_english_one_box_ticked(self, page: Page, site: Site, program: dict[str, Any]) -> None:
        page.goto(f"{site.url}/join/{program['public_slug']}")
        email = page.get_by_label("Yes, send me promotional messages from Coffee Club by email.")
        sms = page.get_by_label("Yes, send me promotional messages from Coffee Club by SMS.")
        assert not email.is_checked()
        assert not sms.is_checked()
        assert page.get_by_role("group", name="News and offers (optional)").is_visible()
        assert page.evaluate(ACCESSIBILITY_CHECK) == []
        page.get_by_label("Name", exact=True).fill("Anna Petrova")
        page.get_by_label("Phone", exact=True).fill("+7 916 555-11-11")
        page.get_by_label("Email", exact=True).fill("anna.consent@example.com")
        page.get_by_label("I agree").check()
        sms.check()
        page.get_by_role("button", name="Get my card").click()
        page.wait_for_url(re.compile(r"/cards/[A-Za-z0-9_-]+\?welcome=new"))
        assert granted(site, "+79165551111") == {Channel.sms}

    def test_russian_both_boxes_ticked(
        self, ru_page: Page, site: Site, program: dict[str, Any]
    ) -> None:
        ru_page.goto(f"{site.url}/join/{program['public_slug']}")
        assert ru_page.locator("html").get_attribute("lang") == "ru"
        email = ru_page.get_by_label(
            "Да, присылайте мне рекламные сообщения Coffee Club по эл. почте."
        )
        sms = ru_page.get_by_label("Да, присылайте мне рекламные сообщения Coffee Club по SMS.")
        assert not email.is_checked()
        assert not sms.is_checked()
        ru_page.get_by_label("Имя", exact=True).fill("Анна")
        ru_page.get_by_label("Телефон", exact=True).fill("+7 916 555-22-22")
        ru_page.get_by_label("Эл. почта", exact=True).fill("anna.ru@example.com")
        email.check()
        sms.check()
        ru_page.get_by_role("button", name="Получить карту").click()  # the required box unticked
        ru_page.wait_for_load_state()
        assert ru_page.locator("#e-consent").is_visible()
        assert email.is_checked()  # the choice survives the error
        assert sms.is_checked()
        ru_page.get_by_label("Я согласен(на)").check()
        ru_page.get_by_role("button", name="Получить карту").click()
        ru_page.wait_for_url(re.compile(r"/cards/"))
        assert granted(site, "+79165552222") == {Channel.email, Channel.sms}
