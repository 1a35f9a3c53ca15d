"""``loyalpass members import`` and ``members export`` against the test database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.imports.test_imports import MESSY, RULES, members
from tests.support.factories import new_merchant, new_program

pytestmark = pytest.mark.db
runner = CliRunner()


def test_import_dry_run_then_import_then_export(
    app: FastAPI, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOYALPASS_DATABASE_URL", app.state.settings.database_url)
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES)["id"]
    file = tmp_path / "clients.csv"
    file.write_bytes(MESSY)
    dry = runner.invoke(cli, ["members", "import", str(file), "--program", program, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "line 5: Телефон" in dry.output
    assert json.loads(dry.output.strip().splitlines()[-1])["valid"] == 3
    assert members(client, key, program) == []
    done = runner.invoke(cli, ["members", "import", str(file), "--program", program])
    assert done.exit_code == 0, done.output
    assert len(members(client, key, program)) == 3
    again = runner.invoke(cli, ["members", "import", str(file), "--program", program])
    assert "nothing to do" in again.output
    out = tmp_path / "members.csv"
    exported = runner.invoke(
        cli, ["members", "export", "members", "--program", program, "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sorted(r["external_id"] for r in rows) == ["", "POS-1", "POS-2"]
