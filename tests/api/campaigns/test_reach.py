"""Stores, the stores each card carries, geo campaigns, push campaigns to segments, RFM and
automations: on SQLite and PostgreSQL, through the API and the jobs with a controlled clock."""

from __future__ import annotations

import io
import json
import random
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.automations import tasks as automation_tasks
from api.campaigns import geo as geo_service
from api.campaigns import service as campaign_service
from api.campaigns import tasks as campaign_tasks
from api.campaigns.models import Campaign
from api.cards import service as card_service
from api.jobs.service import run_all
from api.members.models import Card, Member
from api.segments import rfm
from api.segments import tasks as segment_tasks
from api.stores import service as store_service
from api.stores.schemas import StoreCreate
from passes.geo import Point, distance_km
from passes.google.objects import loyalty_object
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase

MOSCOW = (55.7558, 37.6173)


def world(app: FastAPI, client: TestClient, **program: Any) -> tuple[str, dict[str, Any], UUID]:
    key = new_merchant(app)
    created = new_program(client, key, rules=POINTS_RULES, **program)
    with Session(app.state.engine) as session:
        merchant_id = session.get_one(
            Member, UUID(enrol(client, key, created["id"], phone="+79160000999")["id"])
        ).merchant_id
    return key, created, merchant_id


def chain(app: FastAPI, merchant_id: UUID, count: int, *, seed: int = 3) -> list[UUID]:
    rng = random.Random(seed)
    ids = []
    with Session(app.state.engine) as session, session.begin():
        for i in range(count):
            store = store_service.create(
                session,
                merchant_id,
                StoreCreate(
                    name=f"Store {i:03d}",
                    latitude=MOSCOW[0] + rng.uniform(-0.3, 0.3),
                    longitude=MOSCOW[1] + rng.uniform(-0.3, 0.3),
                    relevant_text=f"Store {i:03d} is near",
                ),
            )
            ids.append(store.id)
    return ids


def card_of(app: FastAPI, member_id: str) -> Card:
    with Session(app.state.engine) as session:
        return session.exec(select(Card).where(Card.member_id == UUID(member_id))).one()


def pass_json(client: TestClient, member: dict[str, Any]) -> dict[str, Any]:
    data = client.get(member["apple_pass_url"]).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        result: dict[str, Any] = json.loads(archive.read("pass.json"))
    return result


def jobs(app: FastAPI, now: datetime | None = None) -> Any:
    report = run_all(app.state.engine, now=now or datetime.now(UTC))
    assert report.errors == []
    return report


class TestStoresApi:
    def test_create_list_update_close(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        body = {
            "name": "Arbat",
            "latitude": 55.75,
            "longitude": 37.59,
            "opening_hours": "Mo-Su 08-22",
            "relevant_text": "Coffee 50 m away",
            "beacon_uuid": "f7826da6-4fa2-4e98-8024-bc5b71e0893e",
            "beacon_major": 1,
            "beacon_minor": 7,
        }
        created = client.post("/api/v1/locations", json=body, headers=auth(key))
        assert created.status_code == 201, created.text
        store = created.json()
        assert store["beacon_uuid"] == "F7826DA6-4FA2-4E98-8024-BC5B71E0893E"
        changed = client.patch(
            f"/api/v1/locations/{store['id']}", json={"name": "Arbat 10"}, headers=auth(key)
        )
        assert changed.json()["name"] == "Arbat 10"
        assert changed.json()["beacon_minor"] == 7
        listed = client.get("/api/v1/locations", headers=auth(key)).json()["items"]
        assert [s["name"] for s in listed] == ["Arbat 10"]
        closed = client.delete(f"/api/v1/locations/{store['id']}", headers=auth(key))
        assert closed.json()["closed_at"] is not None
        assert client.get("/api/v1/locations", headers=auth(key)).json()["items"] == []

    @pytest.mark.parametrize(
        "body",
        [
            {"name": "X", "latitude": 91, "longitude": 0},
            {"name": "X", "latitude": 0, "longitude": 181},
            {"name": "", "latitude": 0, "longitude": 0},
            {"name": "X", "latitude": 0, "longitude": 0, "relevant_text": "x" * 101},
            {"name": "X", "latitude": 0, "longitude": 0, "beacon_major": 1},
            {"name": "X", "latitude": 0, "longitude": 0, "beacon_uuid": "not-a-uuid"},
        ],
    )
    def test_bad_stores_are_422(self, app: FastAPI, client: TestClient, body: Any) -> None:
        key = new_merchant(app)
        response = client.post("/api/v1/locations", json=body, headers=auth(key))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    def test_at_most_ten_beacon_uuids(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        for i in range(11):
            body = {
                "name": f"S{i}",
                "latitude": 55,
                "longitude": 37,
                "beacon_uuid": f"00000000-0000-0000-0000-{i:012d}",
            }
            response = client.post("/api/v1/locations", json=body, headers=auth(key))
        assert response.status_code == 422
        assert response.json()["type"] == "too_many_beacon_uuids"
        assert client.get("/api/v1/locations", headers=auth(key)).json()["total"] == 10

    def test_csv_import_all_or_nothing(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        headers = {**auth(key), "Content-Type": "text/csv"}
        good = (
            "name,latitude,longitude,is_flagship\nArbat,55.75,37.59,true\nTverskaya,55.76,37.6,\n"
        )
        result = client.post("/api/v1/locations/import", content=good, headers=headers)
        assert result.json() == {"created": 2, "updated": 0, "errors": []}
        bad = "name,latitude,longitude\nArbat,55.70,37.50\nNowhere,95,37\n,55,37\n"
        result = client.post("/api/v1/locations/import", content=bad, headers=headers)
        assert result.status_code == 422
        assert [e["line"] for e in result.json()["errors"]] == [3, 4]
        stores = client.get("/api/v1/locations", headers=auth(key)).json()["items"]
        assert {s["name"]: s["latitude"] for s in stores} == {"Arbat": 55.75, "Tverskaya": 55.76}
        fixed = bad.replace("Nowhere,95,37\n,55,37\n", "")
        again = client.post("/api/v1/locations/import", content=fixed, headers=headers)
        assert again.json()["updated"] == 1
        wrong = client.post("/api/v1/locations/import", content="a,b\n1,2\n", headers=headers)
        assert wrong.json()["type"] == "bad_store_import"

    def test_csv_import_reads_any_line_end_and_refuses_broken_csv(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        headers = {**auth(key), "Content-Type": "text/csv"}
        windows = "name,latitude,longitude\r\nArbat,55.75,37.59\r\n"
        old_mac = "name,latitude,longitude\rTverskaya,55.76,37.6\r"
        for text in (windows, old_mac):
            result = client.post("/api/v1/locations/import", content=text, headers=headers)
            assert result.json()["created"] == 1
        for broken in ("\r0", "name,latitude,longitude\nA\x00,55,37\n"):
            result = client.post("/api/v1/locations/import", content=broken, headers=headers)
            assert result.status_code == 422
            assert result.json()["type"] == "bad_store_import"
        assert client.get("/api/v1/locations", headers=auth(key)).json()["total"] == 2


class TestCardStores:
    def test_nearest_ten_to_home_of_a_chain_of_200(self, app: FastAPI, client: TestClient) -> None:
        key, program, merchant_id = world(app, client)
        ids = chain(app, merchant_id, 200)
        home = (55.70, 37.55)
        member = enrol(
            client,
            key,
            program["id"],
            phone="+79161110000",
            home_latitude=home[0],
            home_longitude=home[1],
        )
        jobs(app)
        with Session(app.state.engine) as session:
            stores = {s.id: s for s in store_service.list_open(session, merchant_id)}
        nearest = sorted(
            ids,
            key=lambda i: distance_km(Point(*home), Point(stores[i].latitude, stores[i].longitude)),
        )[:10]
        card = card_of(app, member["id"])
        assert card.store_ids == ",".join(str(i) for i in nearest)
        locations = pass_json(client, member)["locations"]
        assert [(loc["latitude"], loc["longitude"]) for loc in locations] == [
            (stores[i].latitude, stores[i].longitude) for i in nearest
        ]
        version = card.version
        jobs(app)  # nothing changed: the card is not touched
        assert card_of(app, member["id"]).version == version

    def test_a_purchase_at_a_far_store_puts_it_on_the_card(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, program, merchant_id = world(app, client)
        ids = chain(app, merchant_id, 30)
        member = enrol(
            client,
            key,
            program["id"],
            phone="+79161110001",
            home_latitude=MOSCOW[0],
            home_longitude=MOSCOW[1],
        )
        jobs(app)
        far = next(i for i in ids if str(i) not in (card_of(app, member["id"]).store_ids or ""))
        purchase(client, key, member["id"], "100", location_id=str(far))
        assert (card_of(app, member["id"]).store_ids or "").startswith(str(far))

    def test_no_card_exceeds_the_wallet_limits(self, app: FastAPI, client: TestClient) -> None:
        key, program, merchant_id = world(app, client)
        ids = chain(app, merchant_id, 25)
        with Session(app.state.engine) as session, session.begin():
            for i, store_id in enumerate(ids):
                store = session.get_one(store_service.Store, store_id)
                store.beacon_uuid = "F7826DA6-4FA2-4E98-8024-BC5B71E0893E"
                store.beacon_major, store.beacon_minor = 1, i
        members = [enrol(client, key, program["id"], phone=f"+7916222000{i}") for i in range(5)]
        for i, member in enumerate(members):
            for store_id in ids[i * 4 : i * 4 + 12]:
                purchase(client, key, member["id"], "100", location_id=str(store_id))
        jobs(app)
        design = app.state.designs["coffee"]
        for member in members:
            body = pass_json(client, member)
            assert 1 <= len(body["locations"]) <= 10
            assert len(body.get("beacons", [])) <= 10
            card = card_of(app, member["id"])
            with Session(app.state.engine) as session:
                found = session.get_one(Member, UUID(member["id"]))
                view = card_service.view_of(session, found, card)
                state = card_service.card_state(
                    session, view, web_service_url=None, now=datetime.now(UTC)
                )
            google = loyalty_object(state, design, object_id="1.o", class_id="1.c")
            assert len(google["merchantLocations"]) <= 10


class TestGeoCampaigns:
    def test_start_and_end_change_exactly_the_affected_cards(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, program, merchant_id = world(app, client)
        ids = chain(app, merchant_id, 40)
        a = enrol(client, key, program["id"], phone="+79163330001")
        b = enrol(client, key, program["id"], phone="+79163330002")
        purchase(client, key, a["id"], "100", location_id=str(ids[0]))
        purchase(client, key, b["id"], "100", location_id=str(ids[39]))
        with Session(app.state.engine) as session, session.begin():  # b's card lacks ids[0]
            session.execute(
                update(Card)
                .where(col(Card.member_id) == UUID(b["id"]))
                .values(store_ids=str(ids[39]))
            )
        start = datetime.now(UTC) - timedelta(minutes=1)
        created = client.post(
            "/api/v1/geo-campaigns",
            json={
                "name": "Tulips",
                "relevant_text": "Fresh tulips today",
                "store_ids": [str(ids[0])],
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=8)).isoformat(),
            },
            headers=auth(key),
        )
        assert created.status_code == 201, created.text
        before = {m["id"]: card_of(app, m["id"]).version for m in (a, b)}
        assert (
            campaign_tasks.geo_transitions(app.state.engine, now=start - timedelta(minutes=1)) == 0
        )
        # a, and the world's first member, whose card shows the chain's first stores
        assert campaign_tasks.geo_transitions(app.state.engine, now=start) == 2
        assert card_of(app, a["id"]).version == before[a["id"]] + 1
        assert card_of(app, b["id"]).version == before[b["id"]]
        texts = {loc["relevantText"] for loc in pass_json(client, a)["locations"]}
        assert "Fresh tulips today" in texts
        end = start + timedelta(hours=9)
        assert campaign_tasks.geo_transitions(app.state.engine, now=end) == 2
        assert card_of(app, a["id"]).version == before[a["id"]] + 2
        card = card_of(app, a["id"])
        with Session(app.state.engine) as session:
            view = card_service.view_of(session, session.get_one(Member, UUID(a["id"])), card)
            state = card_service.card_state(session, view, web_service_url=None, now=end)
        assert "Fresh tulips today" not in {loc.relevant_text for loc in state.locations}

    def test_higher_priority_wins_a_store(self, app: FastAPI, client: TestClient) -> None:
        key, _, merchant_id = world(app, client)
        ids = chain(app, merchant_id, 2)
        now = datetime.now(UTC)
        for name, priority in (("Low", 0), ("High", 5)):
            client.post(
                "/api/v1/geo-campaigns",
                json={
                    "name": name,
                    "relevant_text": name,
                    "store_ids": [str(ids[0])],
                    "starts_at": (now - timedelta(hours=1)).isoformat(),
                    "ends_at": (now + timedelta(hours=1)).isoformat(),
                    "priority": priority,
                },
                headers=auth(key),
            )
        with Session(app.state.engine) as session:
            assert geo_service.store_texts(session, merchant_id, now) == {ids[0]: "High"}

    def test_bad_window_is_422(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        now = datetime.now(UTC)
        response = client.post(
            "/api/v1/geo-campaigns",
            json={
                "name": "X",
                "relevant_text": "X",
                "store_ids": [str(UUID(int=1))],
                "starts_at": now.isoformat(),
                "ends_at": now.isoformat(),
            },
            headers=auth(key),
        )
        assert response.status_code == 422


class TestSegments:
    def test_by_tags_any_and_all(self, app: FastAPI, client: TestClient) -> None:
        key, program, _ = world(app, client)
        tag_sets = [["vegan"], ["vegan", "wholesale"], ["wholesale"], []]
        for i, tags in enumerate(tag_sets):
            enrol(client, key, program["id"], phone=f"+7916555000{i}", tags=tags)

        def audience(segment: dict[str, object]) -> int:
            url = f"/api/v1/programs/{program['id']}/audience"
            response = client.post(url, json=segment, headers=auth(key))
            assert response.status_code == 200, response.text
            members: int = response.json()["members"]
            return members

        assert audience({"tags_any": ["Vegan", "wholesale"]}) == 3
        assert audience({"tags_all": ["vegan", "wholesale"]}) == 1
        assert audience({"tags_all": ["vegan"], "tags_any": ["wholesale"]}) == 1
        assert audience({"tags_any": ["nobody"]}) == 0
        assert audience({}) == 4 + 1  # world() enrols one member without tags


class TestPushCampaigns:
    def test_reaches_exactly_the_members_the_preview_counted(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, program, _ = world(app, client)
        members = [enrol(client, key, program["id"], phone=f"+7916444000{i}") for i in range(6)]
        for member in members[:4]:
            purchase(client, key, member["id"], "300")  # 15 points each
        segment = {"min_balance": 10}
        preview = client.post(
            f"/api/v1/programs/{program['id']}/audience", json=segment, headers=auth(key)
        ).json()
        assert preview == {"members": 4}
        saved = client.post(
            f"/api/v1/programs/{program['id']}/segments",
            json={"name": "Buyers", "filter": segment},
            headers=auth(key),
        )
        assert saved.json()["members"] == 4
        created = client.post(
            f"/api/v1/programs/{program['id']}/campaigns",
            json={"name": "News", "message": "New autumn menu!", "segment_id": saved.json()["id"]},
            headers=auth(key),
        ).json()
        assert created["audience_preview"] == 4
        assert created["status"] == "scheduled"
        jobs(app)
        sent = client.get(f"/api/v1/campaigns/{created['id']}", headers=auth(key)).json()
        assert sent["status"] == "sent"
        assert sent["recipients"] == 4
        assert sent["stats"]["recipients"] == 4
        assert sent["stats"]["apple_alerts"] == 4
        reached = {m["id"] for m in members if card_of(app, m["id"]).message == "New autumn menu!"}
        assert reached == {m["id"] for m in members[:4]}
        news = [
            f
            for f in pass_json(client, members[0])["storeCard"]["backFields"]
            if f["value"] == "New autumn menu!"
        ]
        assert news[0]["changeMessage"] == "%@"
        jobs(app)  # sending again changes nothing
        assert card_of(app, members[0]["id"]).message == "New autumn menu!"
        assert (
            client.get(f"/api/v1/campaigns/{created['id']}", headers=auth(key)).json()["recipients"]
            == 4
        )

    def test_apple_budget_holds_under_repeated_campaigns(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, program, _ = world(app, client)
        member = enrol(client, key, program["id"], phone="+79165550000")
        quiet = []
        for i in range(5):
            created = client.post(
                f"/api/v1/programs/{program['id']}/campaigns",
                json={"name": f"C{i}", "message": f"Message {i}"},
                headers=auth(key),
            ).json()
            jobs(app)
            stats = client.get(f"/api/v1/campaigns/{created['id']}", headers=auth(key)).json()
            quiet.append(stats["stats"]["apple_silent"] > 0)
        assert quiet == [False, False, False, True, True]
        back = pass_json(client, member)["storeCard"]["backFields"]
        news = next(f for f in back if f["value"] == "Message 4")
        assert "changeMessage" not in news  # landed on the card, without an alert

    def test_scheduled_campaign_waits_and_can_be_cancelled(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, program, _ = world(app, client)
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        created = client.post(
            f"/api/v1/programs/{program['id']}/campaigns",
            json={"name": "Later", "message": "Tomorrow", "send_at": later},
            headers=auth(key),
        ).json()
        jobs(app)
        assert (
            client.get(f"/api/v1/campaigns/{created['id']}", headers=auth(key)).json()["status"]
            == "scheduled"
        )
        cancelled = client.post(f"/api/v1/campaigns/{created['id']}/cancel", headers=auth(key))
        assert cancelled.json()["status"] == "cancelled"
        again = client.post(f"/api/v1/campaigns/{created['id']}/cancel", headers=auth(key))
        assert again.status_code == 409

    def test_a_crashed_send_resumes_without_repeats(self, app: FastAPI, client: TestClient) -> None:
        key, program, _ = world(app, client)
        for i in range(3):
            enrol(client, key, program["id"], phone=f"+7916666000{i}")
        created = client.post(
            f"/api/v1/programs/{program['id']}/campaigns",
            json={"name": "C", "message": "Hello"},
            headers=auth(key),
        ).json()
        now = datetime.now(UTC)
        with Session(app.state.engine) as session, session.begin():  # as if it died mid-way
            campaign = session.get_one(Campaign, UUID(created["id"]))
            first = session.exec(
                select(Member).where(Member.program_id == UUID(program["id"]))
            ).first()
            assert first is not None
            campaign.status = campaign_service.CampaignStatus.sending
            campaign_service.deliver(session, campaign, [first.id], now)
        jobs(app)
        done = client.get(f"/api/v1/campaigns/{created['id']}", headers=auth(key)).json()
        assert done["recipients"] == 4  # the three and the world's first member, once each


class TestRfm:
    def test_quintiles_and_groups(self) -> None:
        assert rfm.quintile_scores([1, 2, 3, 4, 5]) == [1, 2, 3, 4, 5]
        assert rfm.quintile_scores([7, 7, 7]) == [1, 1, 1]
        assert rfm.quintile_scores([]) == []
        assert rfm.group_of(5, 5) is rfm.RfmGroup.champions
        assert rfm.group_of(3, 4) is rfm.RfmGroup.loyal
        assert rfm.group_of(5, 1) is rfm.RfmGroup.new
        assert rfm.group_of(3, 2) is rfm.RfmGroup.potential
        assert rfm.group_of(2, 4) is rfm.RfmGroup.at_risk
        assert rfm.group_of(1, 5) is rfm.RfmGroup.cant_lose
        assert rfm.group_of(2, 1) is rfm.RfmGroup.hibernating
        assert rfm.group_of(1, 1) is rfm.RfmGroup.lost
        groups = {rfm.group_of(r, f) for r in range(1, 6) for f in range(1, 6)}
        assert groups == set(rfm.RfmGroup)

    def test_daily_scores_and_segment_by_group(self, app: FastAPI, client: TestClient) -> None:
        key, program, _ = world(app, client)
        members = [enrol(client, key, program["id"], phone=f"+7916777000{i}") for i in range(5)]
        for i, member in enumerate(members):
            for _ in range(i):
                purchase(client, key, member["id"], "100")
        jobs(app)
        groups = client.get(f"/api/v1/programs/{program['id']}/rfm", headers=auth(key)).json()
        assert sum(groups.values()) == 6  # with the world's first member
        best = client.post(
            f"/api/v1/programs/{program['id']}/audience",
            json={"rfm_groups": ["champions"]},
            headers=auth(key),
        ).json()
        assert best["members"] >= 1
        assert (
            segment_tasks.run_daily(app.state.engine, now=datetime.now(UTC)) == 0
        )  # done for today


class TestAutomations:
    def set(
        self, client: TestClient, key: str, program: dict[str, Any], kind: str, **body: Any
    ) -> None:
        response = client.put(
            f"/api/v1/programs/{program['id']}/automations/{kind}", json=body, headers=auth(key)
        )
        assert response.status_code == 200, response.text

    def test_win_back_fires_once_per_lapse(self, app: FastAPI, client: TestClient) -> None:
        key, program, _ = world(app, client)
        self.set(client, key, program, "win_back", text="We miss you, {name}!", days=30)
        member = enrol(client, key, program["id"], phone="+79168880000", name="Olga")
        later = datetime.now(UTC) + timedelta(days=31)
        fired = [automation_tasks.run_all(app.state.engine, now=later) for _ in range(2)]
        assert fired[0] >= 1
        assert fired[1] == 0
        assert card_of(app, member["id"]).message == "We miss you, Olga!"

    def test_birthday_once_a_year(self, app: FastAPI, client: TestClient) -> None:
        key, program, _ = world(app, client)
        self.set(client, key, program, "birthday", text="Happy birthday, {name}!")
        today = datetime.now(UTC)
        enrol(
            client,
            key,
            program["id"],
            phone="+79168880001",
            name="Ivan",
            birthday=today.date().replace(year=1990).isoformat(),
        )
        assert automation_tasks.run_all(app.state.engine, now=today) == 1
        assert automation_tasks.run_all(app.state.engine, now=today) == 0

    def test_tier_up_fires_with_the_purchase(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, design="florist")  # the design's tiers
        self.set(client, key, program, "tier_up", text="Welcome to {tier}!")
        member = enrol(client, key, program["id"])
        purchase(client, key, member["id"], "16000")
        assert card_of(app, member["id"]).message == "Welcome to Bloom!"

    def test_reward_available_rearms_after_a_redemption(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, program, _ = world(app, client)
        reward = client.post(
            f"/api/v1/programs/{program['id']}/rewards",
            json={"name": "Free latte", "cost_points": 10},
            headers=auth(key),
        ).json()
        self.set(client, key, program, "reward_available", text="{reward} is yours")
        member = enrol(client, key, program["id"], phone="+79168880002")
        purchase(client, key, member["id"], "400")  # 20 points
        now = datetime.now(UTC)
        assert automation_tasks.run_all(app.state.engine, now=now) == 1
        assert automation_tasks.run_all(app.state.engine, now=now) == 0
        client.post(
            f"/api/v1/members/{member['id']}/transactions",
            json={"kind": "redeem_reward", "reward_id": reward["id"]},
            headers=auth(key),
        )
        assert automation_tasks.run_all(app.state.engine, now=now) == 1

    def test_unknown_kind_and_missing_text_are_422(self, app: FastAPI, client: TestClient) -> None:
        key, program, _ = world(app, client)
        url = f"/api/v1/programs/{program['id']}/automations"
        assert (
            client.put(f"{url}/lottery", json={"text": "x"}, headers=auth(key)).status_code == 422
        )
        assert client.put(f"{url}/birthday", json={}, headers=auth(key)).status_code == 422
        assert client.get(url, headers=auth(key)).json()["items"] == []
