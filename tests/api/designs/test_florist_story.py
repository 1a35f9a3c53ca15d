"""The florist's story, end to end: she makes her program's card her own and publishes it;
an iPhone holding the card gets its push and downloads the new card, Google gets the class
once and the objects whose content changed, and the console's progress counts the phone that
fetched it. Another merchant never sees her name or her art."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.apple_webservice.pusher import ApplePusher
from api.apple_webservice.sender import ApnsSender
from api.campaigns import tasks as campaign_tasks
from api.clock import utcnow
from api.google_wallet.sync import GoogleSync
from api.members.models import Card, Member
from api.settings import DEV_PASS_TYPE_ID, Settings
from passes.google.savelink import SAVE_URL
from tests.support.factories import auth, enrol, new_merchant, new_program
from tests.support.fake_apns import FakeApns
from tests.support.fake_google import FakeGoogle, RecordedRequest
from tests.support.server import google_fixtures

ISSUER = "3388000000011223344"
PUSH_TOKEN = "f1" * 32
APPLE = "/apple/v1"


google, google_app, client, app = google_fixtures(ISSUER)


@pytest.fixture(scope="module")
def fake_apns(pki_dir: Path) -> Iterator[FakeApns]:
    with FakeApns(topic=DEV_PASS_TYPE_ID, client_ca_file=pki_dir / "apple" / "root-ca.pem") as fake:
        yield fake


@pytest.fixture
def pusher(app: FastAPI, fake_apns: FakeApns) -> Iterator[ApplePusher]:
    fake_apns.reset()
    settings: Settings = app.state.settings
    apns = settings.model_copy(
        update={"apns_url": fake_apns.url, "apns_ca_file": fake_apns.ca_file}
    )
    sender = ApnsSender.from_settings(apns, app.state.apple_wallet.pass_type_identifier)
    yield ApplePusher(app.state.engine, sender.send, batch_size=50)
    sender.close()


def design_url(program: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/programs/{program['id']}/design{tail}"


def read_pass(pkpass: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(pkpass)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["pass.json"]), files


def photo(kind: str) -> bytes:
    out = io.BytesIO()
    Image.radial_gradient("L").resize((900, 600)).convert("RGB").save(out, format=kind)
    return out.getvalue()


def object_id(card_id: UUID) -> str:
    return f"{ISSUER}.lp-card-{card_id.hex}"


def card_of(app: FastAPI, member: dict[str, Any]) -> Card:
    with Session(app.state.engine) as session:
        return session.exec(select(Card).where(Card.member_id == UUID(member["id"]))).one()


def writes(requests: list[RecordedRequest], kind: str) -> list[RecordedRequest]:
    """Requests that wrote a ``kind`` (loyaltyClass, loyaltyObject) resource."""
    return [r for r in requests if f"/{kind}" in r.path and r.method in ("POST", "PUT", "PATCH")]


def make_it_hers(client: TestClient, key: str, program: dict[str, Any]) -> None:
    """Starter, logo from her phone, two colours, texts in English and Russian."""
    headers = auth(key)
    started = client.post(design_url(program, "/draft/starter"), json={"starter": "florist"},
                          headers=headers)  # fmt: skip
    assert started.status_code == 200, started.text
    logo = client.post(
        design_url(program, "/draft/uploads/logo"),
        content=photo("JPEG"),
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert logo.status_code == 201, logo.text
    document = client.get(design_url(program, "/draft"), headers=headers).json()["document"]
    document["program"].update(organization="Rosa Flowers", name="Rosa Club",
                               logo_text="Rosa Flowers",
                               description="Rosa Flowers loyalty card")  # fmt: skip
    document["colors"].update(background="#5b1a3a", foreground="#ffffff")
    russian = document["translations"]["ru"]
    russian["program"].update(organization="Цветы Розы", name="Клуб Розы", logo_text="Роза",
                              description="Карта лояльности Цветов Розы")  # fmt: skip
    saved = client.put(design_url(program, "/draft"), json=document, headers=headers)
    assert saved.status_code == 200, saved.text
    preview = client.post(design_url(program, "/draft/preview"), headers=headers)
    assert preview.json()["pass_json"]["organizationName"] == "Rosa Flowers"


def test_the_florist_publishes_her_card_and_every_phone_gets_it(
    app: FastAPI, client: TestClient, google: FakeGoogle, pusher: ApplePusher, fake_apns: FakeApns
) -> None:
    sync: GoogleSync = app.state.google_sync
    key = new_merchant(app, name="Rosa Flowers")
    program = new_program(client, key, name="Rosa Club")
    anna = enrol(client, key, program["id"], phone="+79160000001")  # an iPhone
    boris = enrol(client, key, program["id"], phone="+79160000002")  # an Android phone

    # Anna adds the card to Wallet (a minute ago) and her iPhone registers for its updates.
    with Session(app.state.engine) as session, session.begin():
        session.execute(update(Card).where(col(Card.member_id) == UUID(anna["id"]))
                        .values(updated_at=utcnow() - timedelta(minutes=1)))  # fmt: skip
    added = client.get(anna["apple_pass_url"])
    body, _ = read_pass(added.content)
    wallet = {"Authorization": f"ApplePass {body['authenticationToken']}"}
    registration = f"{APPLE}/devices/iphone1/registrations/{body['passTypeIdentifier']}"
    registered = client.post(f"{registration}/{body['serialNumber']}",
                             json={"pushToken": PUSH_TOKEN}, headers=wallet)  # fmt: skip
    assert registered.status_code == 201
    since = client.get(registration).json()["lastUpdated"]
    # Boris saves it to Google Wallet.
    link = client.get(boris["google_save_url"], follow_redirects=False).headers["location"]
    google.save(link.removeprefix(SAVE_URL))
    saved = google.get_object(object_id(card_of(app, boris).id))
    assert saved is not None
    assert saved["hasUsers"] is True
    sync.run_once()
    pusher.run_once()
    fake_apns.reset()
    before = len(google.api_requests)

    make_it_hers(client, key, program)
    published = client.post(design_url(program, "/publish"), headers=auth(key))
    assert published.status_code == 201, published.text
    progress = client.get(design_url(program, "/progress"), headers=auth(key)).json()
    assert (progress["cards_total"], progress["cards_marked"], progress["cards_fetched"]) == (
        2, 2, 0)  # fmt: skip

    # Apple: a push to the iPhone, which asks what changed and downloads the new card.
    assert pusher.run_once().delivered == 1
    assert fake_apns.wait_for(1)[0].token == PUSH_TOKEN
    changed = client.get(registration, params={"passesUpdatedSince": since})
    assert changed.json()["serialNumbers"] == [body["serialNumber"]]
    fetched = client.get(
        f"{APPLE}/passes/{body['passTypeIdentifier']}/{body['serialNumber']}",
        headers={**wallet, "If-Modified-Since": added.headers["last-modified"]},
    )
    assert fetched.status_code == 200
    new_body, files = read_pass(fetched.content)
    assert new_body["organizationName"] == "Rosa Flowers"
    assert new_body["backgroundColor"] == "rgb(91, 26, 58)"
    assert new_body["foregroundColor"] == "rgb(255, 255, 255)"
    assert "Цветы Розы" in files["ru.lproj/pass.strings"].decode("utf-16")
    assert "Petal" not in json.dumps(new_body) + files["ru.lproj/pass.strings"].decode("utf-16")

    # Google: the class written once, both objects patched (the program's name is on them),
    # and nobody notified for a design.
    report = sync.run_once()
    assert (report.synced, report.failed, report.notified) == (2, 0, 0)
    after = google.api_requests[before:]
    assert len(writes(after, "loyaltyClass")) == 1
    patched = [r.path.rsplit("/", 1)[-1] for r in writes(after, "loyaltyObject")]
    assert sorted(patched) == sorted(object_id(card_of(app, m).id) for m in (anna, boris))
    assert all(r.method == "PATCH" for r in writes(after, "loyaltyObject"))
    held = google.get_object(object_id(card_of(app, boris).id))
    assert held is not None
    assert held["classReference"]["issuerName"] == "Rosa Flowers"
    assert google.notifications(object_id(card_of(app, boris).id)) == []

    progress = client.get(design_url(program, "/progress"), headers=auth(key)).json()
    assert (progress["cards_pushed"], progress["cards_fetched"]) == (2, 1)
    assert progress["marking_done"] is True

    # Another merchant: none of the florist's names or art.
    other_key = new_merchant(app, name="Corner Coffee")
    other_program = new_program(client, other_key, name="Corner Points")
    other = enrol(client, other_key, other_program["id"], phone="+79160000003")
    other_body, other_files = read_pass(client.get(other["apple_pass_url"]).content)
    strings = other_files.get("ru.lproj/pass.strings")
    shown = json.dumps(other_body, ensure_ascii=False) + (strings or b"").decode("utf-16")
    assert "Rosa" not in shown
    assert "Роз" not in shown
    her_logos = {data for name, data in files.items() if name.startswith("logo")}
    assert her_logos
    assert not her_logos & set(other_files.values())
    sync.run_once()
    other_object = google.get_object(object_id(card_of(app, other).id))
    assert other_object is not None
    assert "Rosa" not in json.dumps(other_object, ensure_ascii=False)
    assert google.errors == []


def test_a_change_only_the_class_shows_patches_no_object(
    app: FastAPI, client: TestClient, google: FakeGoogle
) -> None:
    sync: GoogleSync = app.state.google_sync
    key = new_merchant(app, name="Rosa Flowers")
    program = new_program(client, key, name="Rosa Club")
    for i in range(3):
        enrol(client, key, program["id"], phone=f"+7916000000{i}")
    sync.run_once()
    before = len(google.api_requests)

    document = client.get(design_url(program, "/draft"), headers=auth(key)).json()["document"]
    document["colors"]["background"] = "#123456"
    document["program"]["organization"] = "Rosa & Daughters"
    assert client.put(design_url(program, "/draft"), json=document,
                      headers=auth(key)).status_code == 200  # fmt: skip
    assert client.post(design_url(program, "/publish"), headers=auth(key)).status_code == 201

    report = sync.run_once()
    assert (report.synced, report.failed) == (3, 0)
    after = google.api_requests[before:]
    assert len(writes(after, "loyaltyClass")) == 1
    assert writes(after, "loyaltyObject") == []
    assert sync.run_once().cards == 0  # nothing left pending


def test_a_phone_in_russian_shows_the_tier_and_the_campaign_in_russian(
    app: FastAPI, client: TestClient, google: FakeGoogle
) -> None:
    sync: GoogleSync = app.state.google_sync
    key = new_merchant(app, name="Rosa Flowers")
    program = new_program(client, key, name="Rosa Club")
    client.post(design_url(program, "/draft/starter"), json={"starter": "florist"},
                headers=auth(key))  # fmt: skip
    document = client.get(design_url(program, "/draft"), headers=auth(key)).json()["document"]
    document["translations"]["ru"]["tiers"] = {"Gold": "Золото"}  # where she edits her texts
    saved = client.put(design_url(program, "/draft"), json=document, headers=auth(key))
    assert saved.status_code == 200, saved.text
    assert client.post(design_url(program, "/publish"), headers=auth(key)).status_code == 201
    anna = enrol(client, key, program["id"], phone="+79160000001")
    with Session(app.state.engine) as session, session.begin():
        session.execute(update(Member).where(col(Member.id) == UUID(anna["id"]))
                        .values(tier="Gold"))  # fmt: skip
    body, _ = read_pass(client.get(anna["apple_pass_url"]).content)
    registered = client.post(
        f"{APPLE}/devices/iphone1/registrations/{body['passTypeIdentifier']}/{body['serialNumber']}",
        json={"pushToken": PUSH_TOKEN},
        headers={"Authorization": f"ApplePass {body['authenticationToken']}"},
    )
    assert registered.status_code == 201

    campaign = client.post(
        f"/api/v1/programs/{program['id']}/campaigns",
        json={"name": "Spring", "message": "Tulips are here",
              "message_translations": {"ru": "Тюльпаны приехали"}, "channels": ["wallet"]},
        headers=auth(key),
    )  # fmt: skip
    assert campaign.status_code == 201, campaign.text
    assert campaign.json()["message_translations"] == {"ru": "Тюльпаны приехали"}
    assert campaign_tasks.send_due(app.state.engine, now=utcnow()) == 1

    new_body, files = read_pass(client.get(anna["apple_pass_url"]).content)
    shown = json.dumps(new_body, ensure_ascii=False)
    assert "Gold" in shown
    assert "Tulips are here" in shown
    russian = files["ru.lproj/pass.strings"].decode("utf-16")
    assert '"Gold" = "Золото";' in russian
    assert '"Tulips are here" = "Тюльпаны приехали";' in russian
    assert "Тюльпаны" not in files["en.lproj/pass.strings"].decode("utf-16")

    sync.run_once()
    held = google.get_object(object_id(card_of(app, anna).id))
    assert held is not None
    translated = [
        (m["localizedBody"]["translatedValues"] if "localizedBody" in m else [])
        for m in held.get("messages", [])
    ]
    assert [{"language": "ru", "value": "Тюльпаны приехали"}] in translated
    values = json.dumps(held["textModulesData"], ensure_ascii=False)
    assert '"value": "Тюльпаны приехали"' in values
    assert '"value": "Золото"' in values
    assert google.errors == []
