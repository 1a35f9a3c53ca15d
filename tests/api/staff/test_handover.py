"""At the till, staff open a member's card on the customer's new phone: the way back to a card
for a member whose contact no channel can reach (both databases)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.members.models import Card
from api.staff.models import StaffAction
from tests.api.staff.test_scanner import shop, sign_in

pytestmark = pytest.mark.db
__all__ = ["shop"]  # the fixture, shared with the scanner's tests


def test_the_card_link_is_shown_as_a_qr_code_and_recorded(
    app: FastAPI, client: TestClient, shop: dict[str, Any]
) -> None:
    serial = shop["member"]["serial_number"]
    assert sign_in(client, shop["staff"]["code"], "4821").status_code == 303
    card_page = client.get(f"/scan/cards/{serial}")
    assert f'href="/scan/cards/{serial}/handover"' in card_page.text
    response = client.get(f"/scan/cards/{serial}/handover")
    assert response.status_code == 200
    assert '<figure class="qr" id="handover-qr"><svg' in response.text
    assert response.headers["cache-control"] == "no-store"
    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.member_id == UUID(shop["member"]["id"]))).one()
        [action] = session.exec(select(StaffAction)).all()
    assert card.public_token not in response.text  # only inside the QR code's drawing
    assert (action.kind, action.member_id) == ("handover", card.member_id)


def test_only_signed_in_staff_can_hand_a_card_over(
    client: TestClient, shop: dict[str, Any]
) -> None:
    serial = shop["member"]["serial_number"]
    response = client.get(f"/scan/cards/{serial}/handover", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/scan")
