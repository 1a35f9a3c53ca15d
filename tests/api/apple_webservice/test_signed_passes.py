"""The signed-pass store behind Wallet's pass route: what the worker pre-renders is what a
fresh render gives, a change is never answered with the old pass, every service process sends
the same bytes, and pre-rendering a campaign's cards twice changes nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx2
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.apple_webservice import passfiles
from api.apple_webservice.prerender import Prerenderer
from api.audit.service import OperatorActor
from api.campaigns import service as campaign_service
from api.campaigns import tasks as campaign_tasks
from api.cards import service as card_service
from api.cards.apple import AppleWallet
from api.clock import utcnow
from api.members.models import Card
from api.programs.models import Program
from api.settings import Settings
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase
from tests.support.pkpass import verify_pkpass
from tests.support.server import running_server

from .test_web_service import Wallet, points_on

EXPIRING_RULES: dict[str, Any] = {**POINTS_RULES, "expiry": {"policy": "days", "days": 90}}


def _installed(
    app: FastAPI, client: TestClient, *, members: int = 1
) -> tuple[str, dict[str, Any], list[tuple[dict[str, Any], Wallet]]]:
    """A program whose members each added the pass and registered a device."""
    key = new_merchant(app)
    program = new_program(client, key, rules=EXPIRING_RULES, design="florist")
    found = []
    for i in range(members):
        member = enrol(client, key, program["id"], phone=f"+7900000{i:04d}")
        wallet = Wallet(client, client.get(member["apple_pass_url"]).content, f"device{i}")
        assert wallet.register(f"{i:02d}" * 32).status_code == 201
        found.append((member, wallet))
    return key, program, found


def _card_id(app: FastAPI, serial: str) -> UUID:
    with Session(app.state.engine) as session:
        return session.exec(select(Card.id).where(Card.serial_number == serial)).one()


def _stored(app: FastAPI, serial: str) -> tuple[int, bytes] | None:
    with app.state.engine.connect() as connection:
        return passfiles.stored_version(connection, _card_id(app, serial))


def _unsigned(data: bytes) -> dict[str, bytes]:
    """Every file of the pass but the signature (which carries its signing time)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist() if name != "signature"}


def _fresh_render(app: FastAPI, serial: str) -> bytes:
    """The pass as the request path signs it, by a wallet with nothing cached."""
    shared: AppleWallet = app.state.apple_wallet
    wallet = AppleWallet(shared.signer, app.state.designs, cache_size=1, allow_http=True,
                         web_service_url=shared.web_service_url)  # fmt: skip
    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.serial_number == serial)).one()
        view = card_service.get_card(session, card.public_token)
        return card_service.render_apple_view(session, view, wallet=wallet).data


def _prerender(app: FastAPI) -> int:
    return Prerenderer(app.state.engine, app.state.apple_wallet).run_once().rendered


class TestPrerender:
    def test_the_prerendered_pass_is_a_fresh_render_and_is_what_wallet_gets(
        self, app: FastAPI, client: TestClient, root_ca: Path
    ) -> None:
        key, _, [(member, wallet)] = _installed(app, client)
        purchase(client, key, member["id"], "300")  # points that expire: the back shows them
        assert _prerender(app) == 1
        stored = _stored(app, wallet.serial)
        assert stored is not None
        version, data = stored
        verify_pkpass(data, root_ca)
        assert _unsigned(data) == _unsigned(_fresh_render(app, wallet.serial))
        assert points_on(data) == 15
        fetched = wallet.fetch()
        assert fetched.status_code == 200
        assert fetched.content == data  # a lookup, not a second signature

    def test_a_stale_entry_is_never_served_after_a_change(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, _, [(member, wallet)] = _installed(app, client)
        assert _prerender(app) == 1
        before = _stored(app, wallet.serial)
        assert before is not None
        purchase(client, key, member["id"], "100")  # a new version, not pre-rendered yet
        fetched = wallet.fetch()
        assert fetched.status_code == 200
        assert points_on(fetched.content) == 5
        assert fetched.content != before[1]
        after = _stored(app, wallet.serial)
        assert after == (before[0] + 1, fetched.content)  # the miss was stored for the others
        assert _prerender(app) == 0  # and the worker has nothing left to do for it

    def test_a_miss_is_rendered_on_the_request_stored_and_noted_as_fetched(
        self, app: FastAPI, client: TestClient
    ) -> None:
        _, _, [(_, wallet)] = _installed(app, client)
        assert wallet.fetch(method="HEAD").status_code == 200
        first = wallet.fetch()
        assert first.status_code == 200
        assert wallet.fetch().content == first.content
        with Session(app.state.engine) as session:
            card = session.exec(select(Card).where(Card.serial_number == wallet.serial)).one()
        assert card.last_fetched_version == card.version
        assert _stored(app, wallet.serial) == (card.version, first.content)

    def test_cards_without_a_device_are_left_to_their_request(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        member = enrol(client, key, program["id"])
        purchase(client, key, member["id"], "100")
        assert _prerender(app) == 0


class TestCampaign:
    def test_prerendering_a_campaign_twice_changes_nothing(
        self, app: FastAPI, client: TestClient
    ) -> None:
        _, program, installed = _installed(app, client, members=3)
        assert _prerender(app) == 3
        with Session(app.state.engine) as session, session.begin():
            merchant_id = session.exec(
                select(Program.merchant_id).where(Program.id == UUID(program["id"]))
            ).one()
            campaign = campaign_service.create(
                session, OperatorActor(merchant_id), UUID(program["id"]), name="Autumn",
                message="New autumn menu!", segment_id=None, segment=None, send_at=None,
                now=utcnow(),
            )  # fmt: skip
            campaign_id = campaign.id
        assert campaign_tasks.send(app.state.engine, campaign_id, now=utcnow()) == 3
        assert _prerender(app) == 3
        stored = {w.serial: _stored(app, w.serial) for _, w in installed}
        assert _prerender(app) == 0  # a second worker, or a restarted one, from tag zero
        assert {w.serial: _stored(app, w.serial) for _, w in installed} == stored
        for _, wallet in installed:
            fetched = wallet.fetch()
            assert b"New autumn menu!" in _unsigned(fetched.content)["pass.json"]
            assert fetched.content == stored[wallet.serial][1]  # type: ignore[index]


class TestSeveralProcesses:
    def test_two_service_processes_serve_the_same_bytes(
        self, app: FastAPI, client: TestClient, settings: Settings
    ) -> None:
        key, _, [(member, wallet)] = _installed(app, client)
        path = f"/apple/v1/passes/{wallet.pass_type}/{wallet.serial}"
        with running_server(settings) as one, running_server(settings) as two:
            for change in range(2):
                answers = [
                    httpx2.get(base + path, headers=wallet.headers, timeout=30)
                    for base in (one, two)
                ]
                assert [a.status_code for a in answers] == [200, 200]
                assert answers[0].content == answers[1].content
                assert points_on(answers[0].content) == 5 * change
                purchase(client, key, member["id"], "100")


class TestErasure:
    def test_erasing_the_member_drops_the_stored_pass_that_shows_their_name(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, _, [(member, wallet)] = _installed(app, client)
        assert _prerender(app) == 1
        erased = client.post(
            f"/api/v1/members/{member['id']}/erase",
            json={"reason": "the member asked"},
            headers=auth(key),
        )
        assert erased.status_code == 200, erased.text
        assert _stored(app, wallet.serial) is None
        void = wallet.fetch()
        assert void.status_code == 200
        assert member["name"].encode() not in _unsigned(void.content)["pass.json"]
