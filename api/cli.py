"""The ``loyalpass`` command: migrate, serve, demo, worker, merchants, console accounts,
member imports and exports (``api/imports/commands.py``) and development certificates.

Migrations run once per start, in this process, before any server process starts:
``serve`` and ``demo`` migrate and then start the app(s) with ``migrate_on_start`` off, so the
workers of ``serve --workers N`` never race to migrate. ``worker`` never migrates.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI
from pydantic import ValidationError
from sqlmodel import Session

from api.accounts.commands import accounts_app
from api.db import make_engine, migrate
from api.devcerts import ensure_dev_certs, write_dev_certs
from api.imports.commands import members_app
from api.logs import configure_logging
from api.merchants import service as merchant_service
from api.polling import PollingThread
from api.settings import (
    ProductionConfigError,
    Settings,
    check_production,
    default_dev_certs_dir,
    package_version,
)

app = typer.Typer(help="loyalpass: loyalty cards in Apple Wallet and Google Wallet.")
merchant_app = typer.Typer(help="Manage merchants.")
certs_app = typer.Typer(help="Certificates.")
stores_app = typer.Typer(help="Manage a merchant's stores.")
app.add_typer(merchant_app, name="merchant")
app.add_typer(stores_app, name="stores")
app.add_typer(certs_app, name="certs")
app.add_typer(accounts_app, name="accounts")
deliveries_app = typer.Typer(help="Card updates to the wallets.")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(members_app, name="members")
logger = logging.getLogger(__name__)

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"loyalpass {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """loyalpass: loyalty cards in Apple Wallet and Google Wallet."""


def _settings(*, serving: bool = False) -> Settings:
    """The settings from the environment; a process that serves (``serve``, ``worker``) also
    refuses a production configuration that must not serve, naming every problem."""
    try:
        settings = Settings()
        if serving:
            check_production(settings)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            name = f"LOYALPASS_{where.upper()}: " if where else ""
            typer.echo(f"error: {name}{error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None
    except ProductionConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, as_json=settings.logs_as_json)
    return settings


def _ensure_dev_certs(settings: Settings) -> None:
    is_dev = settings.is_development and settings.uses_dev_certs
    if is_dev and ensure_dev_certs(settings.dev_certs_dir):
        typer.echo(f"Created development certificates (FAKE) in {settings.dev_certs_dir}")


def _migrate(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        migrate(engine, settings.migrations_dir)
    finally:
        engine.dispose()


def _run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Run the service on a database this process has migrated already."""
    import uvicorn

    if workers > 1:  # before anything imports prometheus_client (it reads the variable once)
        from api.metrics.exposition import share_between_processes

        share_between_processes()  # /metrics adds up every worker's counters
    from api.main import create_app

    if workers > 1:  # each worker process builds its app: server_process_app
        # A new worker process must answer the parent's ping within timeout_worker_healthcheck
        # (uvicorn: 5 s) or it is killed and replaced; on a loaded host a process needs longer
        # than that just to start Python, and none would ever come up.
        uvicorn.run(
            "api.cli:server_process_app", factory=True, host=host, port=port, workers=workers,
            log_config=None, timeout_worker_healthcheck=30,
        )  # fmt: skip
        return
    service = create_app(settings.model_copy(update={"migrate_on_start": False}))
    uvicorn.run(service, host=host, port=port, log_config=None)


def server_process_app() -> FastAPI:
    """The app of one worker process of ``serve --workers N``: settings from the environment,
    like its parent's, and no migrations (the parent ran them before starting the workers)."""
    from api.main import create_app

    settings = _settings()
    return create_app(settings.model_copy(update={"migrate_on_start": False}))


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest migration, then exit. Run it before starting
    service processes by other means than `loyalpass serve` (which migrates itself)."""
    _migrate(_settings())
    typer.echo("database schema is current")


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use the cores).")] = 1,
) -> None:
    """Migrate the database once, then run the service (in --workers processes)."""
    settings = _settings(serving=True)
    _ensure_dev_certs(settings)
    if settings.migrate_on_start:  # off when `loyalpass migrate` ran first (several hosts)
        _migrate(settings)
    _run_server(settings, host, port, workers)


@app.command()
def demo(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Set up a demo coffee-shop program (and development certificates) and run the service."""
    from api.demo import seed_demo

    settings = _settings()
    if settings.public_url == Settings.model_fields["public_url"].default:
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    _ensure_dev_certs(settings)
    _migrate(settings)
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        info = seed_demo(session, settings)
    engine.dispose()
    typer.echo(info.describe())
    _run_server(settings, host, port)


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run the jobs once and exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between runs.")] = 60.0,
) -> None:
    """Run the scheduled jobs (points expiry, birthday bonuses, tier downgrades), send the
    Apple pushes, sync Google Wallet cards and, when the service does not
    (LOYALPASS_MESSAGES_IN_PROCESS=false, LOYALPASS_WEBPUSH_IN_PROCESS=false), send the email
    and SMS messages and the web pushes. Run as many as you
    like: they share the work through the database."""
    from api.apple_webservice import prerender
    from api.cards.apple import AppleWallet
    from api.designs.registry import DesignRegistry
    from api.jobs.worker import JobThread, run_once
    from api.main import (
        build_android_push_threads,
        build_google,
        build_google_sync,
        build_push_thread,
        build_signer,
        google_thread,
        webhook_thread,
    )
    from api.messaging.sender import build_sender
    from passes import load_designs

    settings = _settings(serving=True)
    engine = make_engine(settings.database_url)
    if once:
        run_once(engine)
        return
    threads: list[JobThread | PollingThread] = [JobThread(engine, interval=interval)]
    threads[0].start()
    topic = build_signer(settings).pass_type_identifier
    if settings.pushes_enabled:
        threads.append(build_push_thread(engine, settings, topic))
    threads += [t for t in build_android_push_threads(engine, settings, topic) if t is not None]
    designs = DesignRegistry(engine, load_designs(settings.templates_dir / "cards"))
    if settings.pushes_enabled:  # sign the changed passes before the devices fetch them
        wallet = AppleWallet(build_signer(settings), designs, cache_size=1,
                             web_service_url=settings.apple_web_service_url,
                             allow_http=settings.is_development)  # fmt: skip
        threads.append(prerender.start_thread(engine, wallet))
    google = build_google(settings, designs)
    if google is not None:
        threads.append(google_thread(build_google_sync(engine, settings, google)))
    if not settings.webpush_in_process:
        from api.webpush import tasks as webpush_tasks

        keys = webpush_tasks.load_keys(engine, settings)
        threads.append(webpush_tasks.build_thread(engine, settings, keys))
    messages = build_sender(engine, settings, designs)
    if messages is not None and not settings.messages_in_process:
        threads.append(messages.start_thread())
    if not settings.webhooks_in_process:
        threads.append(webhook_thread(engine, settings))
    typer.echo(f"loyalpass worker running ({len(threads)} loops)")
    # SIGTERM (systemd, docker stop, Kubernetes) stops like Ctrl-C: each loop finishes its
    # round (a push batch sent and recorded, a sync written) and the process exits 0; a round
    # cut short by SIGKILL is retried by another worker when its lease expires.
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    for thread in threads:
        thread.stop()
    typer.echo("loyalpass worker stopped")


@merchant_app.command("create")
def create_merchant(name: Annotated[str, typer.Option(help="The merchant's name.")]) -> None:
    """Create a merchant and print its first admin API key (shown only this once)."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    migrate(engine, settings.migrations_dir)
    with Session(engine) as session, session.begin():
        merchant, api_key = merchant_service.create_merchant(session, name=name)
        merchant_id = str(merchant.id)
    engine.dispose()
    typer.echo(json.dumps({"merchant_id": merchant_id, "api_key": api_key}))


@stores_app.command("import")
def import_stores(
    csv_file: Annotated[Path, typer.Argument(help="CSV with a header row (name, latitude, ...).")],
    merchant: Annotated[str, typer.Option(help="The merchant's id.")],
) -> None:
    """Create or update (by name) a merchant's stores from a CSV file, with a progress bar.
    All or nothing: with any bad row nothing is imported and every bad row is listed."""
    from uuid import UUID

    from api.errors import ApiError
    from api.stores import service as store_service

    try:
        merchant_id = UUID(merchant)
        text = csv_file.read_text(encoding="utf-8-sig")
    except (ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    rows = max(0, len(text.splitlines()) - 1)
    settings = _settings()
    engine = make_engine(settings.database_url)
    migrate(engine, settings.migrations_dir)
    try:
        with (
            Session(engine) as session,
            session.begin(),
            typer.progressbar(length=rows, label="importing stores") as bar,
        ):
            done = 0

            def progress(count: int) -> None:
                nonlocal done
                bar.update(count - done)
                done = count

            result = store_service.import_csv(session, merchant_id, text, progress=progress)
    except ApiError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        for row in exc.extra.get("errors", []):
            typer.echo(f"  line {row['line']}: {row['error']}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(json.dumps(result.model_dump()))


@certs_app.command("dev")
def certs_dev(
    out: Annotated[
        Path | None,
        typer.Option(help="Folder to write the fake PKI into (default: LOYALPASS_DEV_CERTS_DIR)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing set.")] = False,
) -> None:
    """Write an obviously fake development PKI (Apple stand-ins and a Google key file)."""
    if out is None:
        configured = os.environ.get("LOYALPASS_DEV_CERTS_DIR")
        out = Path(configured) if configured else default_dev_certs_dir()
    if (out / "apple" / "pass.pem").exists() and not force:
        typer.echo(f"{out} already holds a development set; use --force to replace it", err=True)
        raise typer.Exit(1)
    for path in write_dev_certs(out):
        typer.echo(f"wrote {path}")


@app.command("settings")
def settings_command(
    markdown: Annotated[bool, typer.Option(help="Print the settings table (Markdown).")] = False,
    write: Annotated[
        Path | None, typer.Option(help="Replace the table between its markers in this file.")
    ] = None,
) -> None:
    """Every LOYALPASS_* setting with its default and meaning, as one Markdown table."""
    from api import settings_table

    if write is not None:
        try:
            changed = settings_table.write_table(write)
        except (OSError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{write}: {'updated' if changed else 'already current'}")
    if markdown or write is None:
        typer.echo(settings_table.render_table(), nl=False)


@deliveries_app.command("retry")
def deliveries_retry() -> None:
    """Lift a block after APNs or Google refused our credential, and re-send stale updates."""
    from api.apple_webservice import tasks as apple_tasks
    from api.clock import utcnow
    from api.google_wallet import tasks as google_tasks

    engine = make_engine(_settings().database_url)
    apple = apple_tasks.retry_refused(engine, now=utcnow())
    google = google_tasks.retry_refused(engine, now=utcnow())
    engine.dispose()
    typer.echo(json.dumps({"apns_unblocked": apple, "google_unblocked": google}))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
