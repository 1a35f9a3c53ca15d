"""What the design tests share: a pass's pass.json, a program's live Google class."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from passes import loyalty_class


def pass_json(client: TestClient, member: dict[str, Any]) -> dict[str, Any]:
    response = client.get(urlsplit(member["apple_pass_url"]).path)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document: dict[str, Any] = json.loads(archive.read("pass.json"))
    return document


def pass_files(client: TestClient, member: dict[str, Any]) -> dict[str, bytes]:
    response = client.get(urlsplit(member["apple_pass_url"]).path)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def google_class(app: FastAPI, program: dict[str, Any]) -> dict[str, Any]:
    """The Google class the program's live design renders to (what the sync sends)."""
    design = app.state.designs[program["design"]]
    return loyalty_class(
        design,
        class_id="1.test",
        images_url="http://testserver/designs/x",
        callback_url="http://testserver/google/v1/callbacks",
        locations=[],
    )


def card_page(client: TestClient, member: dict[str, Any]) -> str:
    response = client.get(urlsplit(member["card_url"]).path)
    assert response.status_code == 200, response.text
    return response.text
