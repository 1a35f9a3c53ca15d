"""A real uvicorn server on a loopback port, in a thread, for tests that need real HTTP
concurrency (the in-process TestClient serialises requests)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.support.fake_google import FakeGoogle


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    settings: Settings, *, port: int | None = None, log_level: str = "warning",
    overrides: Mapping[Callable[..., Any], Callable[..., Any]] | None = None,
) -> Iterator[str]:  # fmt: skip
    """Serve ``create_app(settings)`` (on ``port``, default a free one), with dependency
    ``overrides``; yields the base URL."""
    port = port or free_port()
    app = create_app(settings)
    app.dependency_overrides.update(overrides or {})
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def google_client(
    google: FakeGoogle, database_url: str, pki_dir: Path, workdir: Path
) -> Iterator[TestClient]:
    """The service with Google Wallet set up against ``google``, its lifespan running; the
    sync is not started (tests run it) and retries do not really back off."""
    from tests.conftest import make_settings

    key_file = workdir / "service-account.json"
    key_file.write_text(json.dumps(google.new_service_account()))
    settings = make_settings(
        database_url,
        pki_dir,
        google_issuer_id=google.issuer_id,
        google_service_account_file=key_file,
        google_api_url=google.api_url,
        google_callback_keys_url=google.keys_url,
        google_in_process=False,
    )
    app = create_app(settings, google_session_factory=google.authorized_session)
    with TestClient(app) as client:
        app.state.google_wallet.client.sleep = lambda _seconds: None
        yield client


def google_fixtures(issuer_id: str) -> tuple[Any, Any, Any, Any]:
    """The fixtures of a test module that runs the service against a fake Google:
    ``google``, ``google_app`` (one service per module), ``client`` (the tables wiped and the
    fake reset after each test) and ``app``. Assign them in the module::

        google, google_app, client, app = google_fixtures(ISSUER)
    """
    import pytest

    from tests.conftest import wipe

    @pytest.fixture(scope="module")
    def google() -> Iterator[FakeGoogle]:
        with FakeGoogle(issuer_id=issuer_id) as fake:
            yield fake

    @pytest.fixture(scope="module")
    def google_app(
        google: FakeGoogle,
        database_url: str,
        pki_dir: Path,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[TestClient]:
        with google_client(google, database_url, pki_dir, tmp_path_factory.mktemp("g")) as client:
            yield client

    @pytest.fixture
    def client(google_app: TestClient, google: FakeGoogle) -> Iterator[TestClient]:
        yield google_app
        wipe(google_app.app.state.engine)  # type: ignore[attr-defined]
        google.reset()

    @pytest.fixture
    def app(client: TestClient) -> Any:
        return client.app

    return google, google_app, client, app
