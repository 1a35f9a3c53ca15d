"""Program analytics over a few hundred members (both databases): every figure equals the
one counted by hand from the same rows, and the CSV carries the same figures."""

from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from api.enrolment.models import MemberConsent
from api.ledger.models import LedgerEntry, Transaction
from api.members.models import Member
from api.programs.models import Program
from api.stores.models import Store
from tests.support.factories import POINTS_RULES, auth, new_merchant, new_program

pytestmark = pytest.mark.db

FIRST, LAST = date(2026, 1, 1), date(2026, 3, 31)
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
MEMBERS = 300
GAPS = (10, 45, 75, 120)  # days between one member's purchases
QUERY = {"from": "2026-01-01", "to": "2026-03-31", "goal": "250", "point_value": "0.5"}


@dataclass
class Bought:
    member: int
    at: datetime
    amount: Decimal
    refunded: Decimal
    actor: str


@dataclass
class World:
    key: str
    program_id: str
    enrolled: dict[int, datetime]
    bought: list[Bought]
    entries: list[tuple[int, str, int, datetime]]  # member, kind, signed points, at
    stores: dict[int, str]  # member -> the store whose QR code they joined by
    store_ids: dict[str, UUID]


def build(app: FastAPI, client: TestClient) -> World:
    """300 members joining from 20 December to 29 March, 0-3 purchases each, some gaps
    short and some long, some at the scanner, redemptions, an expiry and a refund."""
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    enrolled: dict[int, datetime] = {}
    bought: list[Bought] = []
    entries: list[tuple[int, str, int, datetime]] = []
    stores: dict[int, str] = {}
    with Session(app.state.engine) as session, session.begin():
        merchant_id = session.get_one(Program, UUID(program["id"])).merchant_id
        store_ids = {}
        for name in ("Arbat", "Tverskaya"):
            store = Store(merchant_id=merchant_id, name=name, latitude=55.75, longitude=37.6)
            session.add(store)
            store_ids[name] = store.id
        session.flush()
        ids = [uuid4() for _ in range(MEMBERS)]
        members, transactions, ledger, consents = [], [], [], []
        for i, member_id in enumerate(ids):
            joined = datetime(2025, 12, 20, 10, tzinfo=UTC) + timedelta(days=i % 100)
            enrolled[i] = joined
            balance = 0
            gap = GAPS[(i // 4) % 4]
            for j in range(i % 4):
                at = joined + timedelta(days=j * gap, hours=1)
                amount = Decimal(100 * (j + 1) + i % 7)
                refunded = Decimal(50) if i % 37 == 0 and j == 0 else Decimal(0)
                actor = "staff S1: Ann" if (i + j) % 2 == 0 else "api"
                bought.append(Bought(i, at, amount, refunded, actor))
                transactions.append({
                    "id": uuid4(), "merchant_id": merchant_id, "member_id": member_id,
                    "kind": "purchase", "amount": amount, "currency": "RUB",
                    "refunded_amount": refunded, "actor": actor, "created_at": at,
                })  # fmt: skip
                earned = int(amount) // 20
                balance += earned
                entries.append((i, "earn", earned, at))
            if i % 4 and i % 5 == 0:
                balance -= 5
                entries.append((i, "redeem", -5, joined + timedelta(days=2)))
            if i % 4 and i % 7 == 0:
                balance -= 1
                entries.append((i, "expire", -1, joined + timedelta(days=3)))
            if i % 3 < 2:
                stores[i] = ("Arbat", "Tverskaya")[i % 3]
                consents.append({
                    "id": uuid4(), "merchant_id": merchant_id, "member_id": member_id,
                    "text_version": "v1", "locale": "ru", "store_id": store_ids[stores[i]],
                    "is_new_member": True, "accepted_at": joined,
                })  # fmt: skip
            members.append({
                "id": member_id, "merchant_id": merchant_id, "program_id": UUID(program["id"]),
                "name": f"Member {i}", "referral_code": secrets.token_hex(6), "points": balance,
                "created_at": joined,
            })  # fmt: skip
        ledger = [
            {"id": uuid4(), "merchant_id": merchant_id, "member_id": ids[i], "kind": kind,
             "currency": "points", "amount": points, "balance_after": 0, "created_at": at}
            for i, kind, points, at in entries
        ]  # fmt: skip
        session.execute(insert(Member), members)
        session.execute(insert(Transaction), transactions)
        session.execute(insert(LedgerEntry), ledger)
        session.execute(insert(MemberConsent), consents)
    return World(key, program["id"], enrolled, bought, entries, stores, store_ids)


def month(at: datetime | date) -> int:
    return at.year * 12 + at.month - 1


def expected(world: World) -> dict[str, Any]:
    """The figures counted one member at a time, the slow obvious way."""
    inside = [b for b in world.bought if START <= b.at < END]
    per_member: dict[int, list[Bought]] = defaultdict(list)
    for b in sorted(world.bought, key=lambda b: b.at):
        per_member[b.member].append(b)
    firsts = {m: bs[0].at for m, bs in per_member.items()}
    first_time = [m for m, at in firsts.items() if START <= at < END]
    revenue = sum((b.amount - b.refunded for b in inside), Decimal(0))
    counts: dict[int, int] = defaultdict(int)
    for b in inside:
        counts[b.member] += 1
    joined = {m for m, at in world.enrolled.items() if START <= at < END}
    cohorts: dict[int, list[int]] = defaultdict(list)
    for m in joined:
        cohorts[month(world.enrolled[m])].append(m)
    active: dict[tuple[int, int], set[int]] = defaultdict(set)
    for b in world.bought:
        if b.member in joined and b.at < END:
            c = month(world.enrolled[b.member])
            active[(c, month(b.at) - c)].add(b.member)
    staff = [b for b in inside if b.actor.startswith("staff ")]
    points = [e for e in world.entries if START <= e[3] < END]
    return {
        "purchases": len(inside),
        "buyers": len(counts),
        "returning": sum(1 for n in counts.values() if n >= 2),
        "revenue": revenue,
        "average": (revenue / len(inside)).quantize(Decimal("0.01")),
        "first_time": len(first_time),
        "came_back": [
            sum(
                1
                for m in first_time
                if len(per_member[m]) > 1 and per_member[m][1].at - firsts[m] <= timedelta(days)
            )  # fmt: skip
            for days in (30, 60, 90)
        ],
        "issued": sum(p for _, kind, p, _ in points if kind == "earn"),
        "redeemed": -sum(p for _, kind, p, _ in points if kind == "redeem"),
        "expired": -sum(p for _, kind, p, _ in points if kind == "expire"),
        "outstanding": sum(p for _, _, p, _ in world.entries),
        "joined": len(joined),
        "stores": {
            name: sum(1 for m in joined if world.stores.get(m) == name)
            for name in ("Arbat", "Tverskaya")
        },
        "staff": (
            len(staff),
            len({b.member for b in staff}),
            sum(1 for b in staff if b.at == firsts[b.member]),
        ),  # fmt: skip
        "cohorts": {
            f"{c // 12:04d}-{c % 12 + 1:02d}": (
                len(ms),
                [len(active[(c, k)]) for k in range(month(LAST) - c + 1)],
            )
            for c, ms in cohorts.items()
        },
    }


@pytest.fixture
def world(app: FastAPI, client: TestClient) -> World:
    return build(app, client)


class TestAnalytics:
    def test_every_figure_matches_the_rows(self, client: TestClient, world: World) -> None:
        response = client.get(
            f"/api/v1/programs/{world.program_id}/analytics", params=QUERY, headers=auth(world.key)
        )
        assert response.status_code == 200, response.text
        got, want = response.json(), expected(world)
        assert (got["from"], got["to"], got["currency"]) == ("2026-01-01", "2026-03-31", "RUB")
        checks = got["checks"]
        assert checks["purchases"] == want["purchases"]
        assert want["purchases"] == 282
        assert checks["buyers"] == want["buyers"]
        assert Decimal(checks["revenue"]) == want["revenue"]
        assert Decimal(checks["average_check"]) == want["average"]
        assert checks["frequency"] == round(want["purchases"] / want["buyers"], 4)
        assert checks["goal_reached"] is (want["average"] >= 250)
        assert Decimal(checks["goal_gap"]) == want["average"] - 250
        returns = got["returns"]
        assert returns["returning"] == want["returning"]
        assert returns["rate"] == round(want["returning"] / want["buyers"], 4)
        assert returns["first_time_buyers"] == want["first_time"]
        assert [c["members"] for c in returns["came_back"]] == want["came_back"]
        assert [c["days"] for c in returns["came_back"]] == [30, 60, 90]
        # a longer window never counts fewer
        assert want["came_back"][0] < want["came_back"][1] < want["came_back"][2]
        points = got["points"]
        assert (points["issued"], points["redeemed"], points["expired"]) == (
            want["issued"], want["redeemed"], want["expired"]
        )  # fmt: skip
        assert points["redemption_rate"] == round(want["redeemed"] / want["issued"], 4)
        assert points["outstanding"] == want["outstanding"]
        assert Decimal(points["liability"]) == (Decimal(want["outstanding"]) / 2).quantize(
            Decimal("0.01")
        )
        enrolments = got["enrolments"]
        assert enrolments["total"] == want["joined"]
        assert {s["store_name"]: s["members"] for s in enrolments["by_store"]} == want["stores"]
        assert enrolments["without_store"] == want["joined"] - sum(want["stores"].values())
        [staff] = enrolments["by_staff"]
        assert staff["staff"] == "staff S1: Ann"
        assert (staff["purchases"], staff["members"], staff["first_purchases"]) == want["staff"]
        cohorts = {c["month"]: (c["members"], c["active"]) for c in got["cohorts"]}
        assert cohorts == want["cohorts"]
        assert list(cohorts) == ["2026-01", "2026-02", "2026-03"]
        january = got["cohorts"][0]
        assert january["retention"] == [round(n / january["members"], 4) for n in january["active"]]

    def test_the_csv_carries_the_same_figures(self, client: TestClient, world: World) -> None:
        url = f"/api/v1/programs/{world.program_id}/analytics.csv"
        whole = client.get(url, params=QUERY, headers=auth(world.key))
        assert whole.status_code == 200
        assert whole.headers["content-type"].startswith("text/csv")
        assert "attachment" in whole.headers["content-disposition"]
        sections = [r[0] for r in csv.reader(io.StringIO(whole.text)) if r and r[0][:1] == "#"]
        assert sections == ["# checks", "# returns", "# points", "# stores", "# staff", "# cohorts"]
        cohorts = client.get(url, params={**QUERY, "metric": "cohorts"}, headers=auth(world.key))
        rows = list(csv.reader(io.StringIO(cohorts.text)))
        assert rows[0][:3] == ["cohort", "members", "month 0"]
        want = expected(world)["cohorts"]
        assert {r[0]: int(r[1]) for r in rows[1:]} == {m: n for m, (n, _) in want.items()}
        checks = list(csv.DictReader(io.StringIO(client.get(
            url, params={**QUERY, "metric": "checks"}, headers=auth(world.key)).text)))  # fmt: skip
        assert int(checks[0]["purchases"]) == 282
        assert "filename=" in cohorts.headers["content-disposition"]


class TestPeriod:
    def test_an_empty_program_answers_none_not_zero(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        got = client.get(f"/api/v1/programs/{program['id']}/analytics", headers=auth(key)).json()
        assert got["checks"]["average_check"] is None
        assert got["returns"]["rate"] is None
        assert got["points"]["redemption_rate"] is None
        assert date.fromisoformat(got["to"]) - date.fromisoformat(got["from"]) == timedelta(29)

    @pytest.mark.parametrize(
        "params",
        [
            {"from": "2026-03-01", "to": "2026-02-01"},
            {"from": "2020-01-01", "to": "2026-01-01"},
            # Found by the long fuzz hunt: 30 days before 0001-01-01 overflowed (a 500).
            {"to": "0001-01-01"},
            {"from": "9999-12-31"},
        ],
    )
    def test_a_backwards_or_huge_period_is_refused(
        self, app: FastAPI, client: TestClient, params: dict[str, str]
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        response = client.get(
            f"/api/v1/programs/{program['id']}/analytics", params=params, headers=auth(key)
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "analytics_period_invalid"

    def test_a_bad_metric_is_a_validation_error(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        response = client.get(
            f"/api/v1/programs/{program['id']}/analytics.csv", params={"metric": "x"},
            headers=auth(key),
        )  # fmt: skip
        assert response.status_code == 422
