"""Configuration: the generated settings table, production mode's refusals, and rotating the
pass certificate."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from api import settings_table
from api.cli import app as cli
from api.clock import utcnow
from api.devcerts import write_dev_certs
from api.main import create_app
from api.settings import (
    ProductionConfigError,
    Settings,
    check_production,
    production_problems,
)
from tests.conftest import PROJECT_ROOT, make_settings
from tests.support.factories import enrol, new_merchant, new_program
from tests.support.pkpass import verify_pkpass

runner = CliRunner()


class TestSettingsTable:
    def test_every_setting_is_described(self) -> None:
        assert settings_table.undescribed() == []

    def test_the_readme_table_is_the_generated_one(self) -> None:
        readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
        start = readme.index(settings_table.BEGIN) + len(settings_table.BEGIN) + 1
        committed = readme[start : readme.index(settings_table.END)]
        assert committed == settings_table.render_table(), (
            "the README's settings table is stale: run `loyalpass settings --write README.md`"
        )

    def test_every_setting_has_a_row(self) -> None:
        table = settings_table.render_table()
        for name in Settings.model_fields:
            assert f"| `LOYALPASS_{name.upper()}` |" in table
        assert str(PROJECT_ROOT) not in table  # defaults in words, never this machine's paths

    def test_write_replaces_between_the_markers(self, tmp_path: Path) -> None:
        document = tmp_path / "doc.md"
        document.write_text(f"# Doc\n{settings_table.BEGIN}\nold\n{settings_table.END}\ntail\n")
        first = runner.invoke(cli, ["settings", "--write", str(document)])
        assert first.exit_code == 0, first.output
        assert "updated" in first.output
        text = document.read_text()
        assert text.startswith("# Doc\n")
        assert text.endswith(f"{settings_table.END}\ntail\n")
        assert settings_table.render_table() in text
        again = runner.invoke(cli, ["settings", "--write", str(document)])
        assert "already current" in again.output
        bare = tmp_path / "bare.md"
        bare.write_text("no markers\n")
        assert runner.invoke(cli, ["settings", "--write", str(bare)]).exit_code == 1


def _real_looking_certificates(folder: Path) -> dict[str, Path]:
    """Files shaped like an operator's own (not the FAKE development set)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Pass Type ID: pass.com.example.coffee"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Coffee & Co"),
        ]
    )
    now = utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "apple_cert_file": folder / "pass.pem",
        "apple_key_file": folder / "pass.key",
        "apple_wwdr_file": folder / "wwdr.pem",
    }
    files["apple_cert_file"].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files["apple_wwdr_file"].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files["apple_key_file"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def _production(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "environment": "production",
        "public_url": "https://cards.example.com",
        "apple_pass_type_id": "pass.com.example.coffee",
        "apple_team_id": "ABCDE12345",
        "dev_certs_dir": tmp_path / "dev-certs",
        **_real_looking_certificates(tmp_path / "certs"),
    }
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[arg-type]


def test_one_version_for_the_package_the_cli_and_the_api() -> None:
    version = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert runner.invoke(cli, ["--version"]).output == f"loyalpass {version}\n"
    assert create_app(Settings(_env_file=None)).version == version  # type: ignore[call-arg]


class TestProductionMode:
    def test_a_valid_production_configuration_starts(self, tmp_path: Path) -> None:
        settings = _production(
            tmp_path,
            smtp_host="smtp.example.com",
            smtp_username="cards",
            smtp_password="pw",
            messaging_secret="a-long-random-secret",
            sms_provider="twilio",
            twilio_account_sid="AC1",
            twilio_auth_token="token",
        )
        assert production_problems(settings) == []
        check_production(settings)

    def test_development_needs_nothing(self) -> None:
        assert production_problems(Settings(_env_file=None)) == []  # type: ignore[call-arg]

    def test_refuses_the_development_certificates(self, tmp_path: Path) -> None:
        dev = tmp_path / "dev-certs"
        write_dev_certs(dev)
        settings = _production(
            tmp_path,
            apple_cert_file=dev / "apple" / "pass.pem",
            apple_key_file=dev / "apple" / "pass.key",
            apple_wwdr_file=dev / "apple" / "wwdr.pem",
            apple_pass_type_id="pass.dev.loyalpass.demo",
            apple_team_id="DEVTEAM000",
        )
        problems = "\n".join(production_problems(settings))
        assert "LOYALPASS_APPLE_CERT_FILE is the development certificate" in problems
        assert "LOYALPASS_APPLE_WWDR_FILE is a development certificate (FAKE)" in problems
        assert "LOYALPASS_APPLE_PASS_TYPE_ID is the development one" in problems
        assert "LOYALPASS_APPLE_TEAM_ID is the development one" in problems

    def test_refuses_a_fake_certificate_copied_elsewhere(self, tmp_path: Path) -> None:
        dev = tmp_path / "elsewhere"
        write_dev_certs(dev)
        settings = _production(tmp_path, apple_cert_file=dev / "apple" / "pass.pem")
        assert production_problems(settings) == [
            "LOYALPASS_APPLE_CERT_FILE is a development certificate (FAKE)"
        ]

    def test_refuses_an_http_public_url(self, tmp_path: Path) -> None:
        settings = _production(tmp_path, public_url="http://cards.example.com")
        assert production_problems(settings) == [
            "LOYALPASS_PUBLIC_URL must be https:// (it is http://cards.example.com)"
        ]

    @pytest.mark.parametrize(
        ("values", "missing"),
        [
            ({"smtp_host": "smtp.example.com", "smtp_username": "u", "messaging_secret": "s"},
             "LOYALPASS_SMTP_PASSWORD"),
            ({"sms_provider": "smsru", "messaging_secret": "s"}, "LOYALPASS_SMSRU_API_ID"),
            ({"sms_provider": "twilio", "twilio_account_sid": "AC1", "messaging_secret": "s"},
             "LOYALPASS_TWILIO_AUTH_TOKEN"),
            ({"sms_provider": "twilio", "twilio_auth_token": "t", "messaging_secret": "s"},
             "LOYALPASS_TWILIO_ACCOUNT_SID"),
            ({"google_issuer_id": "3388000000012345678"}, "LOYALPASS_GOOGLE_SERVICE_ACCOUNT_FILE"),
        ],
    )  # fmt: skip
    def test_refuses_a_missing_secret(
        self, tmp_path: Path, values: dict[str, object], missing: str
    ) -> None:
        assert production_problems(_production(tmp_path, **values)) == [f"{missing} is missing"]

    def test_refuses_missing_files(self, tmp_path: Path) -> None:
        settings = _production(
            tmp_path,
            apple_key_file=tmp_path / "nowhere.key",
            google_issuer_id="3388000000012345678",
            google_service_account_file=tmp_path / "nowhere.json",
        )
        assert production_problems(settings) == [
            f"LOYALPASS_APPLE_KEY_FILE: no file at {tmp_path / 'nowhere.key'}",
            f"LOYALPASS_GOOGLE_SERVICE_ACCOUNT_FILE: no file at {tmp_path / 'nowhere.json'}",
        ]

    def test_unset_certificates_and_messaging_secret_are_named(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError) as raised:
            Settings(  # type: ignore[call-arg]
                _env_file=None, environment="production", smtp_host="smtp.example.com"
            )
        message = str(raised.value)
        for name in ("APPLE_CERT_FILE", "APPLE_KEY_FILE", "APPLE_WWDR_FILE"):
            assert f"LOYALPASS_{name}" in message

    def test_the_app_refuses_to_start_naming_every_problem(self, tmp_path: Path) -> None:
        settings = _production(
            tmp_path, public_url="http://cards.example.com", apple_team_id="DEVTEAM000"
        )
        with pytest.raises(ProductionConfigError) as raised, TestClient(create_app(settings)):
            pass
        assert "LOYALPASS_PUBLIC_URL" in str(raised.value)
        assert "LOYALPASS_APPLE_TEAM_ID" in str(raised.value)

    def test_serve_and_worker_refuse_naming_every_problem(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dev = tmp_path / "dev-certs"
        write_dev_certs(dev)
        monkeypatch.setenv("LOYALPASS_ENVIRONMENT", "production")
        monkeypatch.setenv("LOYALPASS_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
        monkeypatch.setenv("LOYALPASS_PUBLIC_URL", "http://cards.example.com")
        for name in ("cert", "key", "wwdr"):
            file = "pass.pem" if name == "cert" else "pass.key" if name == "key" else "wwdr.pem"
            monkeypatch.setenv(f"LOYALPASS_APPLE_{name.upper()}_FILE", str(dev / "apple" / file))
        for command in (["serve"], ["worker", "--once"]):
            result = runner.invoke(cli, command)
            assert result.exit_code == 2, result.output
            assert "refusing to start in production" in result.output
            assert "LOYALPASS_PUBLIC_URL must be https://" in result.output
            assert "LOYALPASS_APPLE_WWDR_FILE is a development certificate" in result.output
        monkeypatch.delenv("LOYALPASS_APPLE_CERT_FILE")
        unset = runner.invoke(cli, ["serve"])
        assert unset.exit_code == 2
        assert "LOYALPASS_APPLE_CERT_FILE required in production" in unset.output


class TestPassCertificateRotation:
    def test_passes_signed_before_and_after_a_new_certificate_both_verify(
        self, tmp_path: Path
    ) -> None:
        """The operator installs a new Pass Type ID certificate (same pass type and team) and
        restarts: cards keep their serial, token and web service, and a device that asks for
        its pass again gets one signed with the new certificate."""
        old, new = tmp_path / "old", tmp_path / "new"
        write_dev_certs(old)
        write_dev_certs(new)
        database = f"sqlite:///{tmp_path / 'rotation.db'}"
        with TestClient(create_app(make_settings(database, old))) as client:
            key = new_merchant(client.app)  # type: ignore[arg-type]
            program = new_program(client, key)
            member = enrol(client, key, program["id"])
            before = client.get(member["apple_pass_url"])
            assert before.status_code == 200
        with TestClient(create_app(make_settings(database, new))) as client:
            after = client.get(member["apple_pass_url"])
            assert after.status_code == 200
            signed_before = verify_pkpass(before.content, old / "apple" / "root-ca.pem")
            signed_after = verify_pkpass(after.content, new / "apple" / "root-ca.pem")
            with pytest.raises(AssertionError, match="cms -verify"):  # the new one signs it
                verify_pkpass(after.content, old / "apple" / "root-ca.pem")
            same = ("serialNumber", "authenticationToken", "passTypeIdentifier", "webServiceURL")
            for name in same:
                assert signed_before.pass_json[name] == signed_after.pass_json[name]
            pass_json = signed_after.pass_json
            webservice = client.get(
                f"/apple/v1/passes/{pass_json['passTypeIdentifier']}/{pass_json['serialNumber']}",
                headers={"Authorization": f"ApplePass {pass_json['authenticationToken']}"},
            )
            assert webservice.status_code == 200
            verify_pkpass(webservice.content, new / "apple" / "root-ca.pem")
