"""The loyalpass command as an operator uses it."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx2
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from api.db import alembic_config
from tests.conftest import BACKENDS, PROJECT_ROOT
from tests.support.pkpass import verify_pkpass
from tests.support.postgres import PostgresServer

runner = CliRunner()


def test_certs_dev_writes_a_fake_pki(tmp_path: Path) -> None:
    result = runner.invoke(app, ["certs", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("apple/root-ca.pem", "apple/wwdr.pem", "apple/pass.pem", "apple/pass.key"):
        assert (tmp_path / name).exists(), name
    key_mode = stat.S_IMODE((tmp_path / "apple" / "pass.key").stat().st_mode)
    assert key_mode == 0o600
    account = json.loads((tmp_path / "google" / "service-account.json").read_text())
    assert account["type"] == "service_account"
    assert account["token_uri"].startswith("http://127.0.0.1")
    assert "BEGIN PRIVATE KEY" in account["private_key"]
    again = runner.invoke(app, ["certs", "dev", "--out", str(tmp_path)])
    assert again.exit_code == 1
    assert "--force" in again.output


def test_merchant_create_prints_a_working_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOYALPASS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    result = runner.invoke(app, ["merchant", "create", "--name", "Corner Florist"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output.strip().splitlines()[-1])
    assert set(created) == {"merchant_id", "api_key"}
    assert created["api_key"].startswith("lp_")


def test_stores_import_reports_bad_rows_then_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOYALPASS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    created = runner.invoke(app, ["merchant", "create", "--name", "Chain"])
    merchant = json.loads(created.output.strip().splitlines()[-1])["merchant_id"]
    csv_file = tmp_path / "stores.csv"
    csv_file.write_text("name,latitude,longitude\nArbat,55.75,37.59\nMoon,95,37\n")
    bad = runner.invoke(app, ["stores", "import", str(csv_file), "--merchant", merchant])
    assert bad.exit_code == 1
    assert "line 3" in bad.output
    csv_file.write_text("name,latitude,longitude\nArbat,55.75,37.59\nTverskaya,55.76,37.6\n")
    good = runner.invoke(app, ["stores", "import", str(csv_file), "--merchant", merchant])
    assert good.exit_code == 0, good.output
    assert json.loads(good.output.strip().splitlines()[-1])["created"] == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_a_signed_pass(tmp_path: Path) -> None:
    """What the README's first command ends in, as a new user runs it."""
    port = _free_port()
    env = {
        **os.environ,
        "LOYALPASS_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "LOYALPASS_DEV_CERTS_DIR": str(tmp_path / "certs"),
    }
    command = [sys.executable, "-m", "api.cli", "demo", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output = ""
        deadline = time.monotonic() + 60
        with httpx2.Client() as http:
            while time.monotonic() < deadline:
                try:
                    if http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.2)
            else:
                pytest.fail("the demo server did not come up")
            process.terminate()
            output = process.communicate(timeout=30)[0]
        assert "Created development certificates (FAKE)" in output
        key = re.search(r"demo API key:\s+(\S+)", output)
        pass_url = re.search(r"Apple pass:\s+(\S+)", output)
        assert key, output
        assert pass_url, output
    finally:
        if process.poll() is None:
            process.kill()
    # Start it again to fetch the pass: the second run reuses the demo and prints a new key.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        with httpx2.Client() as http:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    response = http.get(pass_url.group(1))
                    break
                except httpx2.TransportError:
                    time.sleep(0.2)
            else:
                pytest.fail("the demo server did not come up the second time")
            assert response.status_code == 200
            verify_pkpass(response.content, tmp_path / "certs" / "apple" / "root-ca.pem")
            member = http.get(
                f"http://127.0.0.1:{port}/api/v1/programs",
                headers={"Authorization": f"Bearer {key.group(1)}"},
            )
            assert member.status_code == 200
            assert member.json()["items"][0]["name"] == "Bean & Brew Rewards"
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_migrate_brings_a_fresh_database_to_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "migrate.db"
    monkeypatch.setenv("LOYALPASS_DATABASE_URL", f"sqlite:///{database}")
    for _ in range(2):  # the second run finds the schema current and changes nothing
        result = runner.invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert "database schema is current" in result.output
    with sqlite3.connect(database) as connection:
        [version] = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert version == (_head(),)


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL is not among the backends")
def test_serve_with_four_workers_migrates_once(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Four worker processes start at once on a fresh PostgreSQL database: the parent
    migrates before they start, and none of them migrates again."""
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database(f"loyalpass_serve_{uuid.uuid4().hex[:8]}")
    port = _free_port()
    env = {
        **os.environ,
        "LOYALPASS_DATABASE_URL": url,
        "LOYALPASS_DEV_CERTS_DIR": str(tmp_path / "certs"),
        "LOYALPASS_LOG_LEVEL": "INFO",
        "LOYALPASS_JOBS_IN_PROCESS": "false",
        "LOYALPASS_APNS_IN_PROCESS": "false",
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "4"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        # every worker has run its lifespan (where it would have migrated) ...
        while sum("Application startup complete" in line for line in lines) < 4:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("loyalpass serve --workers 4 did not come up:\n" + "".join(lines))
            time.sleep(0.2)
        # ... and the service answers
        health = httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
        assert health.status_code == 200, health.text
        assert health.json()["checks"]["database"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    output = "".join(lines)
    assert output.count("database schema is current") == 1, output
    assert output.count("Running upgrade  -> 0001") == 1, output
    assert "already exists" not in output, output
    assert "Traceback" not in output, output
    engine = create_engine(url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert versions == [(_head(),)]


def _head() -> str:
    config = alembic_config(PROJECT_ROOT / "migrations", "sqlite://")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
