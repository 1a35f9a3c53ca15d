"""The application factory: ``create_app(settings)`` and the lifespan that builds, once,
everything expensive (engine, designs, the pass signer), and migrates the database when
``settings.migrate_on_start`` says so (never in a worker of ``loyalpass serve --workers N``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from api import health
from api.actions import routes as action_routes
from api.analytics import routes as analytics_routes
from api.apple_webservice import android_wallets, prerender
from api.apple_webservice import routes as apple_routes
from api.apple_webservice.pusher import ApplePusher
from api.apple_webservice.sender import ApnsSender
from api.audit import routes as audit_routes
from api.audit.context import ClientAddress
from api.campaigns import routes as campaign_routes
from api.card_page import routes as card_page_routes
from api.cards import routes as card_routes
from api.cards.apple import AppleWallet
from api.clock import utcnow
from api.console import analytics as console_analytics
from api.console import audit as console_audit
from api.console import campaigns as console_campaigns
from api.console import imports as console_imports
from api.console import keys as console_keys
from api.console import people as console_people
from api.console import promos as console_promos
from api.console import routes as console_routes
from api.console import status as console_status
from api.console import webhooks as console_webhooks
from api.db import make_engine, migrate
from api.designs import routes as design_routes
from api.designs.registry import DesignRegistry
from api.enrolment import api_routes as enrolment_api_routes
from api.enrolment import routes as enrolment_routes
from api.enrolment.throttle import JoinLimits
from api.errors import install_error_handlers
from api.google_wallet import routes as google_routes
from api.google_wallet.sync import GoogleSync
from api.google_wallet.wallet import GoogleWallet, SessionFactory, default_session
from api.imports import routes as import_routes
from api.jobs.worker import JobThread
from api.limits import POSTGRES_IN_FLIGHT, SQLITE_IN_FLIGHT, InFlightLimit, RequestLimits
from api.logs import RequestId, redact_access_log
from api.mechanics import routes as mechanics_routes
from api.members import routes as member_routes
from api.merchants import routes as merchant_routes
from api.messaging import routes as messaging_routes
from api.messaging import webhooks as messaging_webhooks
from api.messaging.sender import build_sender
from api.metrics.exposition import process_exited
from api.metrics.instruments import watch_pool
from api.metrics.middleware import RequestMetrics
from api.pages.docs import install_docs
from api.pages.headers import SecurityHeaders
from api.pages.origin import SameOriginForms
from api.pages.sessions import install_sign_in_redirect
from api.polling import PollingThread
from api.privacy import routes as privacy_routes
from api.programs import routes as program_routes
from api.programs.rules import ProgramRules
from api.promos import routes as promo_routes
from api.rewards import routes as reward_routes
from api.settings import Settings, check_production, get_settings, package_version
from api.staff import routes as staff_routes
from api.staff import scanner as staff_scanner
from api.status import routes as status_routes
from api.status.certificates import WARNINGS, expiries
from api.stores import routes as store_routes
from api.transactions import routes as transaction_routes
from api.verification import routes as verification_routes
from api.webhooks import routes as webhook_routes
from api.webhooks.sender import WebhookSender
from api.webpush import routes as webpush_routes
from api.webpush import tasks as webpush_tasks
from api.wheel import routes as wheel_routes
from passes import CardDesign, Signer, length_warnings, load_designs

logger = logging.getLogger(__name__)


def build_signer(settings: Settings) -> Signer:
    """The Apple pass signer, with its certificate checks; warnings are logged."""
    password = settings.apple_key_password
    signer = Signer.from_files(
        settings.apple_cert_file,
        settings.apple_key_file,
        settings.apple_wwdr_file,
        pass_type_identifier=settings.apple_pass_type_id,
        team_identifier=settings.apple_team_id,
        password=password.get_secret_value().encode() if password else None,
    )
    for warning in signer.report.warnings:
        logger.warning("certificate expiring", extra={"detail": warning})
    return signer


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    check_production(settings)  # names every problem: dev certificates, http, a secret
    engine = make_engine(settings.database_url)
    watch_pool(engine)
    if settings.migrate_on_start:
        migrate(engine, settings.migrations_dir)
    # The shipped designs, and each program's own versions from the database when first used.
    designs = DesignRegistry(engine, load_designs(settings.templates_dir / "cards"))
    if settings.default_design not in designs:
        raise RuntimeError(f"default design {settings.default_design!r} is not in {designs}")
    for name, design in designs.items():
        try:
            ProgramRules.model_validate(design.rule_defaults)
        except ValidationError as exc:
            raise RuntimeError(f"templates/cards/{name}/design.toml [rules]: {exc}") from None
    app.state.engine = engine
    app.state.designs = designs
    app.state.apple_wallet = AppleWallet(
        build_signer(settings),
        designs,
        web_service_url=settings.apple_web_service_url,
        allow_http=settings.is_development,
        cache_size=settings.pass_cache_size,
    )
    app.state.pages = Environment(
        loader=FileSystemLoader(settings.templates_dir / "pages"),
        autoescape=select_autoescape(["html"]),
    )
    google = build_google(settings, designs, app.state.google_session_factory)
    app.state.google_wallet = google
    app.state.google_sync = build_google_sync(engine, settings, google) if google else None
    jobs = JobThread(engine, interval=settings.jobs_interval_seconds)
    if settings.jobs_in_process:
        jobs.start()
    topic = app.state.apple_wallet.pass_type_identifier
    loops = [start_push_thread(engine, settings, topic)]
    if settings.apns_in_process:
        loops += build_android_push_threads(engine, settings, topic)
    if settings.pushes_enabled and settings.apns_in_process:  # passes signed before the fetch
        loops.append(prerender.start_thread(engine, app.state.apple_wallet))
    if app.state.google_sync is not None and settings.google_in_process:
        loops.append(google_thread(app.state.google_sync))
    app.state.vapid_keys = webpush_tasks.load_keys(engine, settings)
    loops.append(webpush_tasks.start_thread(engine, settings, app.state.vapid_keys))
    messages = build_sender(engine, settings, designs)
    if messages is not None and settings.messages_in_process:
        loops.append(messages.start_thread())
    if settings.webhooks_in_process:
        loops.append(webhook_thread(engine, settings))
    WARNINGS.check(expiries(settings), now=utcnow())  # then once a day, from the jobs
    logger.info("loyalpass started", extra={"designs": ",".join(designs)})
    yield
    for loop in loops:
        if loop is not None:
            loop.stop()
    if google is not None:
        google.close()
    if settings.jobs_in_process:
        jobs.stop()
    engine.dispose()
    process_exited()


def build_google(
    settings: Settings,
    designs: Mapping[str, CardDesign],
    session_factory: SessionFactory | None = None,
) -> GoogleWallet | None:
    """The Google Wallet client, when an issuer id and a service-account key are set."""
    if not settings.google_enabled:
        logger.info("Google Wallet is off", extra={"reason": "no issuer id or key file"})
        return None
    wallet = GoogleWallet.from_settings(
        settings, designs, session_factory=session_factory or default_session
    )
    for name, design in designs.items():
        for warning in length_warnings(design):
            logger.warning("google wallet text too long", extra={"design": name, "detail": warning})
    return wallet


def build_google_sync(engine: Engine, settings: Settings, wallet: GoogleWallet) -> GoogleSync:
    return GoogleSync(
        engine,
        wallet,
        batch_size=settings.google_batch_size,
        message_days=settings.google_message_days,
    )


def webhook_thread(engine: Engine, settings: Settings) -> PollingThread:
    """The webhook sender's loop (https only in production; private addresses by setting)."""
    sender = WebhookSender(
        engine, require_https=not settings.is_development,
        allow_private=settings.webhooks_allow_private,
    )  # fmt: skip
    thread = PollingThread("webhooks", has_work=sender.has_work, run_once=sender.run_once)
    thread.start()
    return thread


def google_thread(sync: GoogleSync) -> PollingThread:
    thread = PollingThread("google-sync", has_work=sync.has_work, run_once=sync.run_once)
    thread.start()
    return thread


def start_push_thread(engine: Engine, settings: Settings, topic: str) -> PollingThread | None:
    """The in-process Apple pusher, unless pushes are off or left to `loyalpass worker`."""
    if not settings.pushes_enabled:
        logger.warning("Apple pushes are off", extra={"reason": "development certificates"})
        return None
    if not settings.apns_in_process:
        return None
    return build_push_thread(engine, settings, topic)


def build_push_thread(engine: Engine, settings: Settings, topic: str) -> PollingThread:
    """A started pusher thread with its own APNs connection (closed when it stops)."""
    sender = ApnsSender.from_settings(settings, topic)
    pusher = ApplePusher(
        engine,
        sender.send,
        batch_size=settings.apns_batch_size,
        lease=timedelta(seconds=settings.apns_lease_seconds),
        credential=sender.credential,
    )
    thread = PollingThread(
        "apple-push", has_work=pusher.has_work, run_once=pusher.run_once, on_stop=sender.close
    )
    thread.start()
    return thread


def build_android_push_threads(
    engine: Engine, settings: Settings, topic: str
) -> list[PollingThread | None]:
    """Started pusher threads for the Android wallet apps (Wallet Passes, Pass2U, Passworks)."""
    threads: list[PollingThread | None] = []
    for pusher in android_wallets.build_pushers(engine, settings, topic):
        thread = PollingThread(
            f"{pusher.client}-push", has_work=pusher.has_work, run_once=pusher.run_once
        )
        thread.start()
        threads.append(thread)
    return threads


def create_app(
    settings: Settings | None = None, *, google_session_factory: SessionFactory | None = None
) -> FastAPI:
    """The service. ``google_session_factory`` builds Google's authorized HTTP session from the
    key file (default: google-auth's own); tests hand in one that reaches a local fake."""
    app = FastAPI(
        title="loyalpass",
        version=package_version(),
        summary="Loyalty cards in Apple Wallet and Google Wallet, self-hosted.",
        lifespan=lifespan,
        docs_url=None,  # api.pages.docs serves /docs without a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings or get_settings()
    redact_access_log()
    app.state.google_session_factory = google_session_factory
    is_sqlite = app.state.settings.database_url.startswith("sqlite")
    app.add_middleware(ClientAddress)
    app.add_middleware(InFlightLimit, limit=SQLITE_IN_FLIGHT if is_sqlite else POSTGRES_IN_FLIGHT)
    app.add_middleware(RequestLimits, body_timeout=app.state.settings.request_body_timeout)
    # Outside the limits: a cross-site form is refused before its body is read, and every
    # answer, the limits' own included, carries the security headers.
    app.add_middleware(
        SameOriginForms,
        public_url=app.state.settings.public_url,
        is_development=app.state.settings.is_development,
    )
    app.add_middleware(SecurityHeaders, public_url=app.state.settings.public_url)
    app.add_middleware(RequestMetrics)
    app.add_middleware(RequestId)  # outermost: every record of the request carries its id
    install_error_handlers(app)
    install_sign_in_redirect(app)
    # Starlette tries the routes in order, so the hot paths come first: a device fetching its
    # pass, the first download and a till's purchase were matched after 100 to 200 others
    # (60-180 us a request). No path of these routers is reachable through another router.
    app.include_router(health.router)
    app.include_router(apple_routes.router)
    app.include_router(card_routes.router)
    app.include_router(transaction_routes.router)
    app.include_router(enrolment_api_routes.router)
    app.include_router(status_routes.router)
    app.include_router(program_routes.router)
    app.include_router(mechanics_routes.router)
    app.include_router(design_routes.router)
    app.include_router(member_routes.router)
    app.include_router(import_routes.router)
    app.include_router(reward_routes.router)
    app.include_router(action_routes.router)
    app.include_router(promo_routes.router)
    app.include_router(privacy_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(store_routes.router)
    app.include_router(campaign_routes.router)
    app.include_router(analytics_routes.router)
    app.include_router(merchant_routes.router)
    app.include_router(apple_routes.operator)
    app.include_router(card_page_routes.router)
    app.include_router(webpush_routes.router)
    app.include_router(card_routes.designs)
    app.include_router(google_routes.router)
    app.include_router(enrolment_routes.router)
    app.include_router(verification_routes.router)
    app.include_router(staff_routes.router)
    app.include_router(staff_scanner.router)
    app.include_router(wheel_routes.router)
    app.include_router(wheel_routes.spins)
    app.include_router(console_imports.router)  # before /console/members/{member_id}
    app.include_router(console_routes.router)
    app.include_router(console_campaigns.router)
    app.include_router(console_promos.router)
    app.include_router(console_people.router)
    app.include_router(console_keys.router)
    app.include_router(console_analytics.router)
    app.include_router(console_webhooks.router)
    app.include_router(console_audit.router)
    app.include_router(console_status.router)
    app.include_router(messaging_routes.router)
    app.include_router(messaging_webhooks.router)
    app.include_router(webhook_routes.router)
    install_docs(app)
    app.state.join_limits = JoinLimits.of(app.state.settings)
    return app
