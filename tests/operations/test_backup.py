"""Backup and restore as docs/OPERATIONS.md says: ``pg_dump -Fc`` of a live database,
``pg_restore`` into a fresh one, and the service started on the copy serves the same cards
with the same balances (and the merchant's API key still works)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.conftest import BACKENDS, make_settings
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase
from tests.support.pkpass import verify_pkpass
from tests.support.postgres import PostgresServer, find_bindir

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="PostgreSQL is not among the backends"
)


def _client_tool(server: PostgresServer, tool: str, *args: str) -> None:
    """pg_dump and pg_restore are clients: they connect over TCP as the postgres role (the
    test server trusts it), so they need not run as the postgres user."""
    command = [str(find_bindir() / tool), "-h", "127.0.0.1", "-p", str(server.port)]
    result = subprocess.run(
        [*command, "-U", "postgres", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def _cards(client: TestClient, key: str, members: list[str]) -> dict[str, tuple[int, Any]]:
    """Each member's balance and their pass.json (the signed pass verified)."""
    seen = {}
    for member_id in members:
        member = client.get(f"/api/v1/members/{member_id}", headers=auth(key))
        assert member.status_code == 200, member.text
        body = member.json()
        card = client.get(body["apple_pass_url"])
        assert card.status_code == 200
        root = client.app.state.settings.apple_cert_file.parent / "root-ca.pem"  # type: ignore[attr-defined]
        seen[member_id] = (body["balance"], verify_pkpass(card.content, root).pass_json)
    return seen


def test_a_restored_dump_serves_the_same_cards_and_balances(
    postgres: PostgresServer, pki_dir: Path, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    source = postgres.create_database(f"loyalpass_backup_{suffix}")
    with TestClient(create_app(make_settings(source, pki_dir))) as client:
        key = new_merchant(client.app)  # type: ignore[arg-type]
        program = new_program(client, key, rules=POINTS_RULES)["id"]
        members = []
        for n, amount in enumerate(("450", "1200", "80")):
            member = enrol(client, key, program, name=f"Member {n}", phone=f"+7916123450{n}")
            purchase(client, key, member["id"], amount)
            members.append(member["id"])
        before = _cards(client, key, members)
    assert sorted(balance for balance, _ in before.values()) == [4, 22, 60]  # 5 points per 100

    dump = tmp_path / "loyalpass.dump"
    _client_tool(postgres, "pg_dump", "-Fc", "-f", str(dump), "-d", f"loyalpass_backup_{suffix}")
    restored = postgres.create_database(f"loyalpass_restored_{suffix}")
    _client_tool(
        postgres, "pg_restore", "--no-owner", "--exit-on-error",
        "-d", f"loyalpass_restored_{suffix}", str(dump),
    )  # fmt: skip

    with TestClient(create_app(make_settings(restored, pki_dir))) as client:
        after = _cards(client, key, members)
        assert after == before
        listed = client.get(f"/api/v1/members?program_id={program}", headers=auth(key))
        assert listed.status_code == 200
        assert listed.json()["total"] == 3
        # the restored copy takes new work: a purchase on it changes the card
        purchase(client, key, members[2], "400")
        balance = client.get(f"/api/v1/members/{members[2]}", headers=auth(key)).json()["balance"]
        assert balance == before[members[2]][0] + 20
