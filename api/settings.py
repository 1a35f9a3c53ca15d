"""Service settings, read from ``LOYALPASS_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def packaged_dir(name: str) -> Path:
    """``templates`` or ``migrations``: the installed wheel carries them as package data
    (``api/_data/<name>``, pyproject's ``force-include``); a source checkout has them at its
    top level."""
    data = resources.files("api").joinpath("_data", name)
    if isinstance(data, Path) and data.is_dir():
        return data
    return PROJECT_ROOT / name


def package_version() -> str:
    """The installed loyalpass version: pyproject.toml's, the one place it is written."""
    return metadata.version("loyalpass")


def default_dev_certs_dir() -> Path:
    """The development PKI: ``certs_example/dev`` in a source checkout; installed, a folder in
    the working directory, beside the demo's SQLite database (never inside the package)."""
    if (PROJECT_ROOT / "certs_example").is_dir():
        return PROJECT_ROOT / "certs_example" / "dev"
    return Path.cwd() / "loyalpass-dev-certs"


DEV_PASS_TYPE_ID = "pass.dev.loyalpass.demo"
DEV_TEAM_ID = "DEVTEAM000"
DEV_CERT_FILES = {
    "apple_cert_file": "apple/pass.pem",
    "apple_key_file": "apple/pass.key",
    "apple_wwdr_file": "apple/wwdr.pem",
}


class Settings(BaseSettings):
    """Everything the service reads from its environment. Build once; tests pass their own."""

    model_config = SettingsConfigDict(env_prefix="LOYALPASS_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./loyalpass.db"
    public_url: str = "http://127.0.0.1:8000"
    templates_dir: Path = Field(default_factory=lambda: packaged_dir("templates"))
    migrations_dir: Path = Field(default_factory=lambda: packaged_dir("migrations"))
    # The app's lifespan migrates the database only when this is on: for one process started
    # by other means (the tests, `uvicorn --factory api.main:create_app`). `loyalpass serve`
    # and `loyalpass demo` migrate once before the server starts and turn it off; run
    # `loyalpass migrate` yourself before starting several processes any other way.
    migrate_on_start: bool = True
    default_design: str = "coffee"

    apple_pass_type_id: str = DEV_PASS_TYPE_ID
    apple_team_id: str = DEV_TEAM_ID
    # Unset certificate paths fall back to the development set in dev_certs_dir, which
    # `loyalpass demo` creates on first use (never in production: see validate below).
    dev_certs_dir: Path = Field(default_factory=default_dev_certs_dir)
    apple_cert_file: Path = Path()
    apple_key_file: Path = Path()
    apple_key_password: SecretStr | None = None
    apple_wwdr_file: Path = Path()

    apns_url: str = "https://api.push.apple.com"
    apns_ca_file: Path | None = None  # an extra CA to trust (a local fake APNs)
    apns_push_type: str | None = None  # undocumented for passes; most senders send none
    apns_priority: int | None = None
    apns_enabled: bool | None = None  # unset: on, except development certificates vs Apple
    apns_in_process: bool = True  # push from the service (off: `loyalpass worker` pushes)
    apns_batch_size: int = 1000
    apns_lease_seconds: float = 60.0  # a crashed worker's batch is retried after this
    apns_max_in_flight: int = 100

    # Third-party Android wallet apps on the Apple web service (api/apple_webservice/
    # android_wallets.py): their push endpoints and keys. Wallet Passes needs no key (one
    # raises its rate limit); Pass2U and Passworks are pushed to once their key is set.
    walletpasses_push_url: str = "https://walletpasses.appspot.com/api/v1/push"
    walletpasses_api_key: SecretStr | None = None
    walletpasses_batch_size: int = 500
    pass2u_push_url: str = "https://api.passesalliance.com/v2/registrations"
    pass2u_api_key: SecretStr | None = None
    pass2u_batch_size: int = 1000  # Pass2U takes at most 1,000 registration ids per call
    passworks_push_url: str = "https://wallet.passworks.io/v1/pushUpdate"
    passworks_api_key: SecretStr | None = None
    passworks_batch_size: int = 500  # relayed to FCM as one multicast (500 tokens at most)

    # Google Wallet is on when both the issuer id and the service-account key file are set.
    google_issuer_id: str | None = None
    google_service_account_file: Path | None = None
    google_api_url: str = "https://walletobjects.googleapis.com/walletobjects/v1"
    google_origins: list[str] = []  # web origins that may show the save button (JWT origins)
    google_callback_url: str | None = None  # default: <public_url>/google/v1/callbacks
    google_callback_sender_id: str = "GooglePayPasses"
    google_callback_keys_url: str = "https://pay.google.com/gp/m/issuer/keys"
    google_in_process: bool = True  # sync cards from the service (off: `loyalpass worker`)
    google_requests_per_second: float = 15.0  # Google allows 20 per second per project
    google_batch_size: int = 200
    google_message_days: int = 7  # how long a message stays on the card

    # Retention (api/privacy/retention.py): Wallet's device log lines are deleted after this
    # many days; finished email/SMS deliveries keep their status but lose the address and
    # the message's values after this many.
    device_log_retention_days: int = Field(default=14, ge=1, le=3650)
    delivery_log_retention_days: int = Field(default=90, ge=1, le=3650)
    # Web Push: the VAPID key is made once and kept in the database unless given here (PEM).
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = ""  # mailto: or https: contact; default: the public URL
    webpush_allow_hosts: list[str] = []  # endpoint hosts allowed although local (tests)
    webpush_ca_file: Path | None = None  # an extra CA to trust (a local fake push service)
    webpush_in_process: bool = True  # send from the service (off: `loyalpass worker`)

    log_level: str = "INFO"
    # One JSON object per line (for a log collector), or text for a person at a terminal;
    # unset: json in production, text in development and the demo.
    log_format: Literal["json", "text"] | None = None
    # The operator's bearer token: opens /metrics and GET /api/v1/operator/status (unset:
    # /metrics is 404; merchants' API keys never open either).
    metrics_token: SecretStr | None = None
    jobs_in_process: bool = True  # run scheduled jobs in the service (off: `loyalpass worker`)
    jobs_interval_seconds: float = 15.0
    pass_cache_size: int = 2048
    request_body_timeout: float = 10.0  # seconds for a request body to arrive, then 408
    # The join form's limits, shared by all processes (api/enrolment/throttle.py): per client
    # address and program (generous: a shop's Wi-Fi), and per phone or email and program.
    join_rate_limit: int = 60
    join_contact_rate_limit: int = 3
    join_rate_window_seconds: float = 600.0

    # Email and SMS (api/messaging): a channel is on when its server or provider is set.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_from: str | None = None  # "Coffee & Co <cards@example.com>"
    smtp_ca_file: Path | None = None  # an extra CA to trust (a local test server)
    sms_provider: Literal["smsru", "twilio"] | None = None
    sms_sender: str | None = None  # the approved sender name (SMS.ru) or From number (Twilio)
    smsru_api_id: SecretStr | None = None
    smsru_url: str = "https://sms.ru"
    # SMS.ru signs no callback: its URL carries this secret, /messaging/v1/smsru/<token>/status
    smsru_callback_token: SecretStr | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_url: str = "https://api.twilio.com"
    sms_segment_price: Decimal = Decimal("0")  # per SMS segment, for cost estimates
    messaging_secret: SecretStr | None = None  # signs unsubscribe links (required in production)
    message_max_attempts: int = 8
    message_lease_seconds: float = 120.0
    messages_in_process: bool = True  # send from the service (off: `loyalpass worker` sends)
    # Webhooks may go to private, loopback or link-local addresses (SSRF guard off): only for
    # receivers on the operator's own network.
    webhooks_allow_private: bool = False
    webhooks_in_process: bool = True  # deliver from the service (off: `loyalpass worker`)

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _development_certificates(self) -> Self:
        missing = []
        for name, relative in DEV_CERT_FILES.items():
            if getattr(self, name) == Path():
                if not self.is_development:
                    missing.append(f"LOYALPASS_{name.upper()}")
                setattr(self, name, self.dev_certs_dir / relative)
        if missing:
            raise ValueError(f"{', '.join(missing)} required in production")
        return self

    @model_validator(mode="after")
    def _messaging_secret(self) -> Self:
        has_channel = bool(self.smtp_host or self.sms_provider)
        if self.messaging_secret is None and not self.is_development and has_channel:
            raise ValueError("LOYALPASS_MESSAGING_SECRET is required in production")
        return self

    @property
    def uses_dev_certs(self) -> bool:
        return self.apple_cert_file.is_relative_to(self.dev_certs_dir)

    @property
    def pushes_enabled(self) -> bool:
        """Apple accepts no push signed with the fake development certificate."""
        if self.apns_enabled is not None:
            return self.apns_enabled
        return not (self.uses_dev_certs and self.apns_url == "https://api.push.apple.com")

    @property
    def google_enabled(self) -> bool:
        return bool(self.google_issuer_id and self.google_service_account_file)

    @property
    def google_callbacks_url(self) -> str:
        return self.google_callback_url or f"{self.public_url}/google/v1/callbacks"

    @property
    def logs_as_json(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and not self.is_development)

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def apple_web_service_url(self) -> str:
        """The pass's ``webServiceURL``; Wallet appends ``/v1/...`` itself."""
        return f"{self.public_url}/apple"


class ProductionConfigError(RuntimeError):
    """``LOYALPASS_ENVIRONMENT=production`` with a configuration that must not serve; the
    message names every problem, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "refusing to start in production:\n" + "\n".join(f"  - {p}" for p in problems)
        )
        self.problems = problems


def production_problems(settings: Settings) -> list[str]:
    """What keeps ``settings`` from serving in production (empty outside production): the
    development certificates, a public URL that is not https, a missing secret or key file.

    Secrets and key files: the Apple certificate, key and WWDR files (always; unset, the
    settings themselves refuse, as they do a missing messaging secret with email or SMS on);
    the SMTP password (an SMTP user set); the SMS.ru api_id or the Twilio account SID and
    auth token (that provider chosen); the Google service-account file (a Google issuer set).
    The Android wallet keys, the Apple key password, the metrics token and the VAPID key are
    optional (the VAPID key is made and kept in the database).
    """
    if settings.is_development:
        return []
    problems = []
    if not settings.public_url.startswith("https://"):
        problems.append(f"LOYALPASS_PUBLIC_URL must be https:// (it is {settings.public_url})")
    problems += _certificate_problems(settings)
    required = {
        "LOYALPASS_SMTP_PASSWORD": bool(settings.smtp_username) and not settings.smtp_password,
        "LOYALPASS_SMSRU_API_ID": settings.sms_provider == "smsru" and not settings.smsru_api_id,
        "LOYALPASS_TWILIO_ACCOUNT_SID": settings.sms_provider == "twilio"
        and not settings.twilio_account_sid,
        "LOYALPASS_TWILIO_AUTH_TOKEN": settings.sms_provider == "twilio"
        and not settings.twilio_auth_token,
        "LOYALPASS_GOOGLE_SERVICE_ACCOUNT_FILE": bool(settings.google_issuer_id)
        and not settings.google_service_account_file,
    }
    problems += [f"{name} is missing" for name, is_missing in required.items() if is_missing]
    google_key = settings.google_service_account_file
    if google_key is not None and not google_key.is_file():
        problems.append(f"LOYALPASS_GOOGLE_SERVICE_ACCOUNT_FILE: no file at {google_key}")
    return problems


def _certificate_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.uses_dev_certs:
        problems.append(
            "LOYALPASS_APPLE_CERT_FILE is the development certificate "
            f"(in {settings.dev_certs_dir})"
        )
    if settings.apple_pass_type_id == DEV_PASS_TYPE_ID:
        problems.append(f"LOYALPASS_APPLE_PASS_TYPE_ID is the development one ({DEV_PASS_TYPE_ID})")
    if settings.apple_team_id == DEV_TEAM_ID:
        problems.append(f"LOYALPASS_APPLE_TEAM_ID is the development one ({DEV_TEAM_ID})")
    for name in DEV_CERT_FILES:
        path: Path = getattr(settings, name)
        if not path.is_file():
            problems.append(f"LOYALPASS_{name.upper()}: no file at {path}")
        elif name != "apple_key_file" and _is_development_certificate(path):
            problems.append(f"LOYALPASS_{name.upper()} is a development certificate (FAKE)")
    return problems


def _is_development_certificate(path: Path) -> bool:
    """The development PKI (``passes.devpki``) names every certificate "FAKE, NOT APPLE"."""
    from cryptography import x509

    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return False  # not ours to judge: the signer reports an unreadable certificate
    names = certificate.subject.rfc4514_string() + certificate.issuer.rfc4514_string()
    return "NOT APPLE" in names


def check_production(settings: Settings) -> None:
    """Raise :class:`ProductionConfigError` naming each problem (nothing in development)."""
    problems = production_problems(settings)
    if problems:
        raise ProductionConfigError(problems)


@lru_cache
def get_settings() -> Settings:
    return Settings()
