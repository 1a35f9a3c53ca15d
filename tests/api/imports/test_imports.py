"""Member imports through the API: a messy file's bad rows reported by line and column before
anything is written, opening balances the ledger explains, a re-run that changes nothing,
XLSX and an explicit mapping, and another merchant kept out (both databases)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook

from tests.api.transactions.test_ledger import reconcile
from tests.support.factories import auth, enrol, new_merchant, new_program

pytestmark = pytest.mark.db

RULES = {
    "currency": "RUB",
    "earn": {"points": 5, "per_amount": "100"},
    "tiers": {
        "levels": [{"name": "Silver", "threshold": "0"}, {"name": "Gold", "threshold": "1000"}]
    },
    "expiry": {"policy": "days", "days": 365},
}  # fmt: skip

# A spreadsheet saved by a Russian Excel: a BOM, ';' between cells, a name spanning two lines.
MESSY = (
    "\ufeffИмя;Телефон;E-mail;Код клиента;Баллы;Штампы;Уровень\r\n"
    "Анна Петрова;8 (916) 123-45-67;Anna@Example.ru;POS-1;120;2;Gold\r\n"
    '"Иван\r\nСидоров";+7 916 765 43 21;;POS-2;0;;\r\n'
    "Пётр;12345;;POS-3;10;;\r\n"
    "Мария;+79161234567;;POS-4;5;;\r\n"
    "Ольга;;olga@example.ru;POS-5;abc;;\r\n"
    "Дина;;dina@example.ru;POS-6;;;Platinum\r\n"
    "Ника;;nika@example.ru;;30;;\r\n"
).encode()
BAD = [(5, "Телефон"), (6, "Телефон"), (7, "Баллы"), (8, "Уровень")]


def upload(
    client: TestClient,
    key: str,
    program_id: str,
    data: bytes,
    *,
    name: str = "clients.csv",
    dry_run: bool = False,
    mapping: dict[str, str] | None = None,
    expect: int = 200,
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/programs/{program_id}/imports",
        params={"dry_run": "true"} if dry_run else None,
        files={"file": (name, data)},
        data={"mapping": json.dumps(mapping)} if mapping else None,
        headers=auth(key),
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def members(client: TestClient, key: str, program_id: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/members", params={"program_id": program_id, "limit": 200}, headers=auth(key)
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture
def key(app: FastAPI) -> str:
    return new_merchant(app)


@pytest.fixture
def program(client: TestClient, key: str) -> dict[str, Any]:
    return new_program(client, key, rules=RULES)


class TestMessyFile:
    def test_dry_run_reports_every_bad_row_by_line_and_column_and_writes_nothing(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        report = upload(client, key, program["id"], MESSY, dry_run=True)
        assert [(e["line"], e["column"]) for e in report["errors"]] == BAD
        assert "duplicate of line 2" in report["errors"][1]["reason"]
        assert (report["rows"], report["valid"], report["existing"]) == (7, 3, 0)
        assert report["columns"]["phone"] == "Телефон"
        assert members(client, key, program["id"]) == []

    def test_import_writes_the_good_rows_and_a_rerun_changes_nothing(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        job = upload(client, key, program["id"], MESSY)
        assert [(e["line"], e["column"]) for e in job["errors"]] == BAD
        progress = client.get(
            f"/api/v1/programs/{program['id']}/imports/{job['id']}", headers=auth(key)
        ).json()
        assert (progress["status"], progress["done"], progress["valid"]) == ("done", 3, 3)
        imported = members(client, key, program["id"])
        assert sorted(m["name"] for m in imported) == ["Анна Петрова", "Иван Сидоров", "Ника"]

        again = upload(client, key, program["id"], MESSY)
        assert again["id"] == job["id"]
        # The same people in another file (Windows-1251, commas): all of them known already.
        other = MESSY.decode().lstrip("\ufeff").replace(";", ",").encode("cp1251")
        rerun = upload(client, key, program["id"], other)
        assert (rerun["valid"], rerun["existing"], rerun["done"]) == (0, 3, 0)
        assert len(members(client, key, program["id"])) == 3

    def test_opening_balances_are_ledger_entries_the_books_explain(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        upload(client, key, program["id"], MESSY)
        anna = client.get(
            f"/api/v1/programs/{program['id']}/members/by-external-id/POS-1", headers=auth(key)
        ).json()
        assert (anna["phone"], anna["email"]) == ("+79161234567", "anna@example.ru")
        assert (anna["balance"], anna["stamps"], anna["tier"]) == (120, 2, "Gold")
        moves = reconcile(client, key, anna["id"])
        assert [(m["kind"], m["currency"], m["amount"]) for m in moves] == [
            ("import", "points", 120),
            ("import", "stamps", 2),
        ]
        bought = client.post(
            f"/api/v1/members/{anna['id']}/transactions",
            json={"kind": "purchase", "amount": "1000", "currency": "RUB"},
            headers=auth(key),
        )
        assert bought.status_code == 201, bought.text
        reconcile(client, key, anna["id"])
        card = client.get(anna["card_url"].split("testserver")[-1])
        assert card.status_code == 200

    def test_a_member_already_enrolled_is_skipped(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        before = enrol(client, key, program["id"], phone="+7 916 765-43-21")
        job = upload(client, key, program["id"], MESSY)
        assert (job["valid"], job["existing"]) == (2, 1)
        after = client.get(f"/api/v1/members/{before['id']}", headers=auth(key)).json()
        assert after["balance"] == before["balance"]
        assert len(members(client, key, program["id"])) == 3


def test_a_pos_records_a_purchase_by_its_own_customer_id(
    client: TestClient, key: str, program: dict[str, Any]
) -> None:
    upload(client, key, program["id"], MESSY)
    url = f"/api/v1/programs/{program['id']}/members/by-external-id/POS-2/transactions"
    body = {"kind": "purchase", "amount": "500", "currency": "RUB", "receipt_id": "R-1"}
    first = client.post(url, json=body, headers=auth(key))
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers=auth(key))
    assert again.status_code == 200  # the same receipt: recorded once
    ivan = client.get(
        f"/api/v1/programs/{program['id']}/members/by-external-id/POS-2", headers=auth(key)
    ).json()
    assert ivan["balance"] == 25
    reconcile(client, key, ivan["id"])
    unknown = client.post(url.replace("POS-2", "POS-404"), json=body, headers=auth(key))
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "member_not_found"


def test_enrolment_takes_an_external_id_and_finds_the_member_by_it(
    client: TestClient, key: str, program: dict[str, Any]
) -> None:
    first = enrol(client, key, program["id"], external_id="CRM-7")
    assert first["external_id"] == "CRM-7"
    again = enrol(client, key, program["id"], phone="+7 903 555-01-02", external_id="CRM-7")
    assert again["id"] == first["id"]
    found = client.get(
        f"/api/v1/programs/{program['id']}/members/by-external-id/CRM-7", headers=auth(key)
    ).json()
    assert found["id"] == first["id"]


class TestFormats:
    def test_xlsx_with_an_explicit_mapping(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["Client", "Mobile phone", "Bonus"])
        sheet.append(["Olga", "+79035550101", 40])
        sheet.append(["Boris", "not a phone", 10])
        buffer = io.BytesIO()
        book.save(buffer)
        mapping = {"name": "Client", "phone": "Mobile phone", "points": "Bonus"}
        job = upload(
            client, key, program["id"], buffer.getvalue(), name="crm.xlsx", mapping=mapping
        )
        assert [(e["line"], e["column"]) for e in job["errors"]] == [(3, "Mobile phone")]
        (olga,) = members(client, key, program["id"])
        assert (olga["name"], olga["balance"]) == ("Olga", 40)

    def test_a_file_larger_than_a_json_body_is_accepted(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        lines = ["name,phone"] + [f"{'Client ' * 8}{n},+7916{n:07d}" for n in range(20_000)]
        data = "\n".join(lines).encode()
        assert len(data) > 1_000_000
        report = upload(client, key, program["id"], data, dry_run=True)
        assert (report["valid"], report["errors"]) == (20_000, [])

    @pytest.mark.parametrize(
        ("data", "mapping"),
        [
            (b"", None),
            (b"name,city\nAnna,Moscow\n", None),
            (b"name,phone\nAnna,+79161234567\n", {"phone": "Mobile"}),
            (b"name,phone\nAnna,+79161234567\n", {"colour": "phone"}),
        ],
    )
    def test_an_unreadable_file_is_a_client_error(
        self,
        client: TestClient,
        key: str,
        program: dict[str, Any],
        data: bytes,
        mapping: dict[str, str] | None,
    ) -> None:
        problem = upload(client, key, program["id"], data, mapping=mapping, expect=422)
        assert problem["type"] == "import_file_unreadable"


def test_another_merchant_sees_nothing(
    app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
) -> None:
    job = upload(client, key, program["id"], MESSY)
    theirs = new_merchant(app, "Other")
    base = f"/api/v1/programs/{program['id']}"
    for url in (
        f"{base}/imports/{job['id']}",
        f"{base}/members/by-external-id/POS-1",
        f"{base}/export/members.csv",
    ):
        assert client.get(url, headers=auth(theirs)).status_code == 404, url
    assert upload(client, theirs, program["id"], MESSY, expect=404)["type"] == ("program_not_found")
