"""RFM scores are read fresh: a member who joined or bought since the daily run is scored
before a segment or the console reads the groups, and nobody with less than 30 days of
history is "lost" (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.ledger.models import Transaction
from api.members.models import Member
from api.programs.models import Program
from api.segments import rfm
from api.segments import tasks as segment_tasks
from api.segments.models import MemberRfm
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase


def audience(client: TestClient, key: str, program_id: str, group: str) -> int:
    response = client.post(
        f"/api/v1/programs/{program_id}/audience", json={"rfm_groups": [group]}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return int(response.json()["members"])


def group_of(app: FastAPI, member_id: str) -> str | None:
    with Session(app.state.engine) as session:
        row = session.get(MemberRfm, UUID(member_id))
        return row.group if row else None


class TestSettling:
    def test_a_member_of_less_than_30_days_is_never_lost(self) -> None:
        now = 0.1  # days: everyone joined this morning
        best = rfm.MemberActivity(uuid4(), days_since=0.09, visits=6, spend=Decimal(9000),
                                  history_days=now)  # fmt: skip
        others = [
            rfm.MemberActivity(
                uuid4(), days_since=0.01, visits=1, spend=Decimal(100), history_days=now
            )  # fmt: skip
            for _ in range(8)
        ]
        silent = rfm.MemberActivity(uuid4(), days_since=0.1, visits=0, spend=Decimal(0),
                                    history_days=now)  # fmt: skip
        scored = {m: g for m, _, _, _, g in rfm.score([best, *others, silent])}
        # by the quintiles alone (the earliest last purchase) the best customer would be
        # "can't lose" and the silent one "lost"
        assert scored[best.member_id] is rfm.RfmGroup.champions
        assert scored[silent.member_id] is rfm.RfmGroup.new
        assert {scored[o.member_id] for o in others} == {rfm.RfmGroup.new}

    def test_after_30_days_the_quintiles_decide(self) -> None:
        assert rfm.settled_group(1, 1, history_days=29.9) is rfm.RfmGroup.new
        assert rfm.settled_group(1, 1, history_days=30) is rfm.RfmGroup.lost
        assert rfm.settled_group(1, 5, history_days=3) is rfm.RfmGroup.champions


@pytest.mark.db
class TestOnDemand:
    def test_day_one_the_best_customer_is_not_lost(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        regulars = [enrol(client, key, program["id"], phone=f"+7916555000{i}") for i in range(4)]
        with Session(app.state.engine) as session, session.begin():
            # the regulars joined a year ago and last bought 90 days ago
            long_ago = datetime.now(UTC) - timedelta(days=365)
            for member in regulars:
                session.execute(
                    update(Member).where(col(Member.id) == UUID(member["id"]))
                    .values(created_at=long_ago)
                )  # fmt: skip
        for member in regulars[:2]:
            purchase(client, key, member["id"], "300")
        with Session(app.state.engine) as session, session.begin():
            session.execute(
                update(Transaction).values(created_at=datetime.now(UTC) - timedelta(days=90))
                .where(col(Transaction.member_id).in_([UUID(m["id"]) for m in regulars]))
            )  # fmt: skip
        segment_tasks.run_daily(app.state.engine, now=datetime.now(UTC))  # this morning's run

        best = enrol(client, key, program["id"], phone="+79165550099")
        newcomer = enrol(client, key, program["id"], phone="+79165550098")
        for _ in range(5):
            purchase(client, key, best["id"], "2500")
        assert group_of(app, best["id"]) is None  # the daily scores do not know her yet

        groups = client.get(f"/api/v1/programs/{program['id']}/rfm", headers=auth(key)).json()
        assert sum(groups.values()) == 6  # everyone is scored, the newcomers too
        assert group_of(app, best["id"]) == "champions"
        assert group_of(app, newcomer["id"]) == "new"
        # the regulars who stopped buying are still told apart
        assert {group_of(app, m["id"]) for m in regulars} <= {"lost", "hibernating", "at_risk"}
        assert audience(client, key, program["id"], "lost") == groups.get("lost", 0)
        assert audience(client, key, program["id"], "champions") >= 1

    def test_a_purchase_after_scoring_is_scored_before_the_audience(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        members = [enrol(client, key, program["id"], phone=f"+7916444000{i}") for i in range(5)]
        client.get(f"/api/v1/programs/{program['id']}/rfm", headers=auth(key))
        with Session(app.state.engine) as session:
            scored_at = session.execute(select(MemberRfm.computed_at)).scalars().first()
        for _ in range(4):
            purchase(client, key, members[0]["id"], "800")
        audience(client, key, program["id"], "champions")
        assert group_of(app, members[0]["id"]) == "champions"
        with Session(app.state.engine) as session:
            rescored = session.get_one(MemberRfm, UUID(members[0]["id"])).computed_at
        assert scored_at is not None
        assert rescored > scored_at

    def test_fresh_scores_are_not_recomputed(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        member: dict[str, Any] = enrol(client, key, program["id"])
        purchase(client, key, member["id"], "100")
        client.get(f"/api/v1/programs/{program['id']}/rfm", headers=auth(key))
        with Session(app.state.engine) as session, session.begin():
            row = session.get_one(Program, UUID(program["id"]))
            assert not rfm.refresh_if_stale(session, row, datetime.now(UTC))
