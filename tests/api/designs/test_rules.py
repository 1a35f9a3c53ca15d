"""Design rules at save time: contrast warnings, length limits, contacts, the barcode."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.designs.test_designs import design_url
from tests.support.factories import auth, new_merchant, new_program


def draft(client: TestClient, key: str, program: dict[str, Any]) -> dict[str, Any]:
    response = client.get(design_url(program, "/draft"), headers=auth(key))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()["document"]
    return document


def put(client: TestClient, key: str, program: dict[str, Any], document: dict[str, Any]) -> Any:
    return client.put(design_url(program, "/draft"), json=document, headers=auth(key))


class TestContrast:
    def test_a_low_contrast_draft_saves_with_a_warning(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app, name="Pale Florist")
        program = new_program(client, key, name="Petals")
        assert client.get(design_url(program, "/draft"), headers=auth(key)).json()["warnings"] == []
        document = draft(client, key, program)
        document["colors"] = {"background": "#ffffff", "foreground": "#777777", "label": "#000000"}

        saved = put(client, key, program, document)

        assert saved.status_code == 200, saved.text
        assert saved.json()["warnings"] == [
            {
                "field": "colors.foreground",
                "code": "low_contrast",
                "ratio": 4.47,
                "detail": saved.json()["warnings"][0]["detail"],
            }
        ]
        again = client.get(design_url(program, "/draft"), headers=auth(key)).json()
        assert again["document"]["colors"]["foreground"] == "#777777"
        assert [w["field"] for w in again["warnings"]] == ["colors.foreground"]
        preview = client.post(design_url(program, "/draft/preview"), headers=auth(key))
        assert preview.status_code == 200, preview.text
        assert [w["ratio"] for w in preview.json()["warnings"]] == [4.47]
