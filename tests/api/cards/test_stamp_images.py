"""Stamp cards show their stamps, end to end on SQLite and PostgreSQL: the .pkpass carries
the strip of the member's count, the Google object names its hero picture by count, and the
service serves that picture to Google (the fake Google of tests/support/fake_google.py)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from api.cards.apple import AppleWallet
from api.google_wallet.sync import GoogleSync
from api.members.models import Card
from passes import CardDesign, StampImages
from tests.conftest import wipe
from tests.support.factories import enrol, new_merchant, new_program, transact
from tests.support.fake_google import FakeGoogle
from tests.support.pkpass import verify_pkpass
from tests.support.server import google_client

ISSUER = "3388000000012345678"
STRIPS = ("strip.png", "strip@2x.png", "strip@3x.png")
STAMP_RULES = {"stamps": {"basis": "visit"}}


@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle(issuer_id=ISSUER) as fake:
        yield fake


@pytest.fixture(scope="module")
def stamps_app(
    google: FakeGoogle, database_url: str, pki_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    workdir = tmp_path_factory.mktemp("google")
    with google_client(google, database_url, pki_dir, workdir) as client:
        yield client


@pytest.fixture
def client(stamps_app: TestClient, google: FakeGoogle) -> Iterator[TestClient]:
    yield stamps_app
    wipe(stamps_app.app.state.engine)  # type: ignore[attr-defined]
    google.reset()


@pytest.fixture
def app(client: TestClient) -> FastAPI:
    return client.app  # type: ignore[return-value]


def coffee(app: FastAPI) -> CardDesign:
    design: CardDesign = app.state.designs["coffee"]
    return design


def wallet(app: FastAPI) -> AppleWallet:
    apple: AppleWallet = app.state.apple_wallet
    return apple


def stamp_member(
    app: FastAPI, client: TestClient, stamps: int, *, key: str | None = None,
    phone: str = "+7 916 123-45-67",
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """A member of a 10-stamp coffee program with ``stamps`` stamps."""
    key = key or new_merchant(app)
    program = new_program(
        client, key, kind="stamps", stamps_required=10, design="coffee", rules=STAMP_RULES
    )
    member = enrol(client, key, program["id"], phone=phone)
    if stamps:
        transact(client, key, member["id"], kind="earn", stamps=stamps)
    return key, member


def strips_of(client: TestClient, member: dict[str, Any], root_ca: Path) -> dict[str, bytes]:
    response = client.get(urlsplit(member["apple_pass_url"]).path)
    assert response.status_code == 200, response.text
    verify_pkpass(response.content, root_ca)  # signed, every file in the manifest
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {name: archive.read(name) for name in STRIPS}


def card_id_of(app: FastAPI, member: dict[str, Any]) -> UUID:
    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.member_id == UUID(member["id"]))).one()
    return card.id


def sync(app: FastAPI) -> None:
    syncer: GoogleSync = app.state.google_sync
    report = syncer.run_once()
    assert report.failed == 0


def hero_uri(app: FastAPI, google: FakeGoogle, member: dict[str, Any]) -> str:
    stored = google.get_object(f"{ISSUER}.lp-card-{card_id_of(app, member).hex}")
    assert stored is not None
    uri: str = stored["heroImage"]["sourceUri"]["uri"]
    return uri


class TestApplePass:
    def test_the_pass_carries_the_strip_of_its_count_and_a_stamp_changes_it(
        self, app: FastAPI, client: TestClient, root_ca: Path
    ) -> None:
        key, member = stamp_member(app, client, 3)
        expected = StampImages()  # drawn independently: the pictures are deterministic
        three = strips_of(client, member, root_ca)
        assert three == expected.strips(coffee(app), 3, 10)
        transact(client, key, member["id"], kind="earn", stamps=1)
        four = strips_of(client, member, root_ca)
        assert four == expected.strips(coffee(app), 4, 10)
        assert all(three[name] != four[name] for name in STRIPS)
        for name, data in four.items():
            assert data != coffee(app).images[name]

    def test_a_points_card_keeps_the_designs_strip(
        self, app: FastAPI, client: TestClient, root_ca: Path
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, design="coffee")
        member = enrol(client, key, program["id"])
        assert strips_of(client, member, root_ca) == {
            name: coffee(app).images[name] for name in STRIPS
        }

    def test_cards_at_the_same_count_share_one_drawing(
        self, app: FastAPI, client: TestClient, root_ca: Path
    ) -> None:
        key, first = stamp_member(app, client, 6)
        _, second = stamp_member(app, client, 6, key=key, phone="+7 916 765-43-21")
        before = wallet(app).stamps.renders
        assert strips_of(client, first, root_ca) == strips_of(client, second, root_ca)
        assert wallet(app).stamps.renders - before == 1  # no other test draws 6 of 10


class TestGoogleHero:
    def test_the_object_names_its_count_and_the_service_serves_it(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = stamp_member(app, client, 3)
        sync(app)
        uri = hero_uri(app, google, member)
        version = wallet(app).stamps.version(coffee(app))
        assert uri == f"http://testserver/designs/coffee/stamps/{version}/3-of-10.png"
        response = client.get(urlsplit(uri).path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["etag"] == f'"{version}-3-of-10"'
        assert Image.open(io.BytesIO(response.content)).size == (1032, 336)
        assert response.content == StampImages().hero(coffee(app), 3, 10)
        again = client.get(urlsplit(uri).path, headers={"If-None-Match": response.headers["etag"]})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == response.headers["etag"]

        transact(client, key, member["id"], kind="earn", stamps=1)
        sync(app)
        assert hero_uri(app, google, member).endswith(f"/stamps/{version}/4-of-10.png")
        four = client.get(urlsplit(hero_uri(app, google, member)).path)
        assert four.status_code == 200
        assert four.content != response.content

    def test_each_picture_is_drawn_once(self, app: FastAPI, client: TestClient) -> None:
        stamp_member(app, client, 0)
        version = wallet(app).stamps.version(coffee(app))
        path = f"/designs/coffee/stamps/{version}/9-of-10.png"
        before = wallet(app).stamps.renders
        assert client.get(path).status_code == 200
        assert client.get(path).status_code == 200
        assert wallet(app).stamps.renders - before == 1  # no other test draws 9 of 10

    def test_points_cards_have_no_stamp_hero(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key = new_merchant(app)
        member = enrol(client, key, new_program(client, key, design="coffee")["id"])
        sync(app)
        stored = google.get_object(f"{ISSUER}.lp-card-{card_id_of(app, member).hex}")
        assert stored is not None
        assert "heroImage" not in stored

    @pytest.mark.parametrize(
        "picture",
        [
            "11-of-10.png",  # more than the card holds
            "3-of-12.png",  # no program of the design has 12 stamps
            "03-of-10.png",  # one name per picture
            "3-of-0.png",
            "3-of-99.png",
        ],
    )
    def test_pictures_no_card_shows_are_not_found(
        self, app: FastAPI, client: TestClient, picture: str
    ) -> None:
        stamp_member(app, client, 1)
        version = wallet(app).stamps.version(coffee(app))
        response = client.get(f"/designs/coffee/stamps/{version}/{picture}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "image_not_found"

    def test_an_old_version_or_another_design_is_not_found(
        self, app: FastAPI, client: TestClient
    ) -> None:
        stamp_member(app, client, 1)
        version = wallet(app).stamps.version(coffee(app))
        for path in (
            "/designs/coffee/stamps/0123456789abcdef/1-of-10.png",
            f"/designs/florist/stamps/{version}/1-of-10.png",
            f"/designs/nope/stamps/{version}/1-of-10.png",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json()["type"] == "image_not_found"
