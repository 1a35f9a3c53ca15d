"""Google Wallet gets the program's own design: its names at first, the published ones after."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.google_wallet.sync import GoogleSync
from tests.support.factories import auth, enrol, new_merchant, new_program
from tests.support.fake_google import FakeGoogle
from tests.support.server import google_fixtures

ISSUER = "3388000000087654321"


google, google_app, client, app = google_fixtures(ISSUER)


def synced_class(app: FastAPI, google: FakeGoogle, program: dict[str, Any]) -> dict[str, Any]:
    syncer: GoogleSync = app.state.google_sync
    syncer.run_once()
    klass = google.get_class(f"{ISSUER}.lp-program-{program['id'].replace('-', '')}")
    assert klass is not None
    return klass


def test_the_class_shows_the_programs_own_names_then_the_published_ones(
    app: FastAPI, client: TestClient, google: FakeGoogle
) -> None:
    key = new_merchant(app, name="Corner Coffee")
    program = new_program(client, key, name="Corner Points")
    enrol(client, key, program["id"])
    klass = synced_class(app, google, program)
    assert klass["issuerName"] == "Corner Coffee"
    assert klass["programName"] == "Corner Points"
    assert "Bean" not in json.dumps(klass, ensure_ascii=False)
    logo = urlsplit(klass["programLogo"]["sourceUri"]["uri"]).path
    assert client.get(logo).headers["content-type"] == "image/png"

    url = f"/api/v1/programs/{program['id']}/design"
    document = client.get(f"{url}/draft", headers=auth(key)).json()["document"]
    document["program"]["organization"] = "Corner Roasters"
    assert client.put(f"{url}/draft", json=document, headers=auth(key)).status_code == 200
    assert client.post(f"{url}/publish", headers=auth(key)).status_code == 201
    assert synced_class(app, google, program)["issuerName"] == "Corner Roasters"
    assert google.errors == []
