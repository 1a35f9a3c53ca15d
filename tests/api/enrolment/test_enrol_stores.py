"""A new member's first pass carries the stores nearest their home point, chosen in the
enrolment's transaction (both databases): no worker has run when the pass is downloaded."""

from __future__ import annotations

import io
import json
import math
import zipfile
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.factories import auth, enrol, new_merchant, new_program

pytestmark = pytest.mark.db
HOME = (55.70, 37.50)
Chain = tuple[str, dict[str, Any], list[tuple[float, float]]]


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + (
        math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def locations(client: TestClient, member: dict[str, Any]) -> set[tuple[float, float]]:
    response = client.get(member["apple_pass_url"].removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    pass_json = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("pass.json"))
    return {(loc["latitude"], loc["longitude"]) for loc in pass_json.get("locations", [])}


@pytest.fixture
def chain(app: FastAPI, client: TestClient) -> Chain:
    """A program of 40 stores on a grid over Moscow; the first five, far from ``HOME``, are
    the flagships (what a card shows before its stores are chosen)."""
    key = new_merchant(app)
    program = new_program(client, key)
    points = [(55.60 + 0.03 * (i // 8), 37.40 + 0.03 * (i % 8)) for i in range(40)]
    points = points[::-1]  # the ones far from HOME first
    for i, (latitude, longitude) in enumerate(points):
        body = {"name": f"Store {i}", "latitude": latitude, "longitude": longitude,
                "is_flagship": i < 5}  # fmt: skip
        response = client.post("/api/v1/locations", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
    return key, program, points


class TestFirstPass:
    def test_carries_the_ten_stores_nearest_the_home_point(
        self, client: TestClient, chain: Chain
    ) -> None:
        key, program, points = chain
        member = enrol(client, key, program["id"], home_latitude=HOME[0],
                       home_longitude=HOME[1])  # fmt: skip
        nearest = sorted(points, key=lambda point: km(HOME, point))[:10]
        assert locations(client, member) == set(nearest)

    def test_without_a_home_point_shows_the_flagships_first(
        self, client: TestClient, chain: Chain
    ) -> None:
        key, program, points = chain
        member = enrol(client, key, program["id"])
        assert locations(client, member) == set(points[:10])

    @pytest.mark.parametrize("home", [(55.05, 37.0), (60.0, 30.3)], ids=["near", "far"])
    def test_a_home_far_from_the_chain_still_gets_the_nearest(
        self, client: TestClient, chain: Chain, home: tuple[float, float]
    ) -> None:
        """The stores are read from a box around the home point that grows until it holds
        the ten nearest, however far the chain is (Saint Petersburg is 630 km away)."""
        key, program, points = chain
        member = enrol(client, key, program["id"], home_latitude=home[0],
                       home_longitude=home[1])  # fmt: skip
        nearest = sorted(points, key=lambda point: km(home, point))[:10]
        assert locations(client, member) == set(nearest)


def test_a_chain_of_fewer_stores_than_a_card_holds_shows_them_all(
    app: FastAPI, client: TestClient
) -> None:
    key = new_merchant(app)
    program = new_program(client, key)
    points = {(55.75 + 0.01 * i, 37.6) for i in range(3)}
    for i, (latitude, longitude) in enumerate(sorted(points)):
        body = {"name": f"Store {i}", "latitude": latitude, "longitude": longitude}
        assert client.post("/api/v1/locations", json=body, headers=auth(key)).status_code == 201
    member = enrol(client, key, program["id"], home_latitude=55.0, home_longitude=37.0)
    assert locations(client, member) == points
