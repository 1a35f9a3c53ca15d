"""Shared fixtures: a development PKI, and the service on SQLite and on a real PostgreSQL.

Every test that uses ``client`` or ``session`` runs once per backend. Choose backends with
``LOYALPASS_TEST_BACKENDS=sqlite`` (default: ``sqlite,postgresql``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from api.devcerts import write_dev_certs
from api.main import create_app
from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID, Settings
from api.tables import metadata
from tests.support.postgres import PostgresServer, start_postgres

BACKENDS = [b for b in os.environ.get("LOYALPASS_TEST_BACKENDS", "sqlite,postgresql").split(",")]
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pki")
    write_dev_certs(out)
    return out


@pytest.fixture(scope="session")
def root_ca(pki_dir: Path) -> Path:
    return pki_dir / "apple" / "root-ca.pem"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database("loyalpass_test")


OPERATOR_TOKEN = "operator-test-token"


def make_settings(database_url: str, pki_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "public_url": "http://testserver",
        "apple_pass_type_id": DEV_PASS_TYPE_ID,
        "apple_team_id": DEV_TEAM_ID,
        "apple_cert_file": pki_dir / "apple" / "pass.pem",
        "apple_key_file": pki_dir / "apple" / "pass.key",
        "apple_wwdr_file": pki_dir / "apple" / "wwdr.pem",
        "templates_dir": PROJECT_ROOT / "templates",
        "migrations_dir": PROJECT_ROOT / "migrations",
        "jobs_in_process": False,  # tests run jobs themselves, with a controlled clock
        "apns_in_process": False,  # and drive the pusher against a fake APNs
        "webhooks_in_process": False,  # and deliver webhooks with a controlled clock
        "webpush_in_process": False,  # and the Web Push loop against a fake push service
        "webpush_allow_hosts": ["127.0.0.1"],  # where that fake listens
        "metrics_token": OPERATOR_TOKEN,  # /metrics and the operator's status
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def settings(database_url: str, pki_dir: Path) -> Settings:
    return make_settings(database_url, pki_dir)


@pytest.fixture(scope="session")
def _started(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:  # runs the lifespan: migrations, signer
        yield client


@pytest.fixture
def app(_started: TestClient) -> Iterator[FastAPI]:
    yield _started.app  # type: ignore[misc]
    wipe(_started.app.state.engine)  # type: ignore[attr-defined]


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    engine: Engine = app.state.engine
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s
        transaction.rollback()


def wipe(engine: Engine) -> None:
    quote = engine.dialect.identifier_preparer.quote
    tables = [quote(t.name) for t in reversed(metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
