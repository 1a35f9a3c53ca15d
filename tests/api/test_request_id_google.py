"""The Google sync sends a card's calls with the request id of the change that made them."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.google_wallet.sync import GoogleSync
from tests.support.factories import POINTS_RULES, enrol, new_merchant, new_program, purchase
from tests.support.server import google_fixtures

pytestmark = pytest.mark.db

ISSUER = "3388000000012345679"
RID = "abc123-purchase"

google, google_app, client, app = google_fixtures(ISSUER)


def test_a_purchase_s_object_patch_carries_its_request_id(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    member = enrol(client, key, program["id"])
    syncer: GoogleSync = app.state.google_sync
    syncer.run_once()  # the enrolment's class and object
    sent: list[str | None] = []
    send = requests.Session.send

    def recording(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        if "loyaltyObject" in (request.url or ""):
            sent.append(request.headers.get("X-Request-ID"))
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording)
    purchase(client, key, member["id"], "1000", headers={"X-Request-ID": RID})
    assert syncer.run_once().synced == 1
    assert sent  # the object's PATCH
    assert sent == [RID] * len(sent)
