"""A program created without a design shows its own merchant's names, never the demo brand."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.designs.helpers import card_page, google_class, pass_json
from tests.support.factories import enrol, new_merchant, new_program


class TestNeutralDesign:
    def test_corner_coffee_shows_its_own_name_everywhere(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Corner Coffee")
        program = new_program(client, key, name="Corner Points")
        member = enrol(client, key, program["id"])

        join = client.get(f"/join/{program['public_slug']}", headers={"Accept-Language": "en"})
        assert join.status_code == 200
        assert "Corner" in join.text
        assert "Bean &amp; Brew" not in join.text
        assert "Bean & Brew" not in join.text

        page = card_page(client, member)
        assert "Corner Coffee" in page or "Corner Points" in page
        assert "Bean &amp; Brew" not in page
        assert "Bean & Brew" not in page

        document = pass_json(client, member)
        assert document["organizationName"] == "Corner Coffee"
        assert document["logoText"] == "Corner Coffee"
        assert "Bean" not in json.dumps(document, ensure_ascii=False)
        assert "coffee" not in json.dumps(document).replace("Corner Coffee", "").lower()

        klass = google_class(app, program)
        assert klass["issuerName"] == "Corner Coffee"
        assert klass["programName"] == "Corner Points"
        assert "Bean" not in json.dumps(klass, ensure_ascii=False)

    def test_a_stamp_program_gets_a_neutral_stamp_card(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Bloom Florist")
        program = new_program(client, key, name="Bloom Club", kind="stamps", stamps_required=8)
        document = pass_json(client, enrol(client, key, program["id"]))
        assert document["organizationName"] == "Bloom Florist"
        assert "Bean" not in json.dumps(document, ensure_ascii=False)
