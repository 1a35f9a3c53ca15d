"""Certificate checks made when a Signer is built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import CertificateError, Signer, create_development_pki
from passes.apple.certificates import (
    PASS_TYPE_ID_OID,
    pass_type_identifier_of,
    team_identifier_of,
)


def pems(pki_dir: Path) -> tuple[bytes, bytes, bytes]:
    apple = pki_dir / "apple"
    return (
        (apple / "pass.pem").read_bytes(),
        (apple / "pass.key").read_bytes(),
        (apple / "wwdr.pem").read_bytes(),
    )


class TestSignerChecks:
    def test_valid_set_reports_identities(self, pki_dir: Path) -> None:
        signer = Signer.from_pem(
            *pems(pki_dir), pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
        )
        assert signer.pass_type_identifier == DEV_PASS_TYPE_ID
        assert signer.team_identifier == DEV_TEAM_ID
        assert signer.report.warnings == ()
        assert "pass.key" not in repr(signer)
        assert "PRIVATE" not in repr(signer)

    def test_wrong_pass_type(self, pki_dir: Path) -> None:
        with pytest.raises(CertificateError, match="passTypeIdentifier is 'pass.other'"):
            Signer.from_pem(
                *pems(pki_dir), pass_type_identifier="pass.other", team_identifier=DEV_TEAM_ID
            )

    def test_wrong_team(self, pki_dir: Path) -> None:
        with pytest.raises(CertificateError, match="OU"):
            Signer.from_pem(
                *pems(pki_dir), pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier="OTHER"
            )

    def test_not_issued_by_the_wwdr_given(self, pki_dir: Path) -> None:
        other = create_development_pki(
            pass_type_identifier=DEV_PASS_TYPE_ID,
            team_identifier=DEV_TEAM_ID,
            google_token_uri="http://127.0.0.1/token",
            now=datetime.now(UTC),
        )
        cert, key, _ = pems(pki_dir)
        with pytest.raises(CertificateError, match="not issued by the WWDR"):
            Signer.from_pem(
                cert,
                key,
                other.wwdr_pem,
                pass_type_identifier=DEV_PASS_TYPE_ID,
                team_identifier=DEV_TEAM_ID,
            )

    def test_key_of_another_certificate(self, pki_dir: Path) -> None:
        other = create_development_pki(
            pass_type_identifier=DEV_PASS_TYPE_ID,
            team_identifier=DEV_TEAM_ID,
            google_token_uri="http://127.0.0.1/token",
            now=datetime.now(UTC),
        )
        cert, _, wwdr = pems(pki_dir)
        with pytest.raises(CertificateError, match="does not belong"):
            Signer.from_pem(
                cert,
                other.pass_key_pem,
                wwdr,
                pass_type_identifier=DEV_PASS_TYPE_ID,
                team_identifier=DEV_TEAM_ID,
            )

    def test_expired(self, pki_dir: Path) -> None:
        later = datetime.now(UTC) + timedelta(days=400)
        with pytest.raises(CertificateError, match="expired on"):
            Signer.from_pem(
                *pems(pki_dir),
                pass_type_identifier=DEV_PASS_TYPE_ID,
                team_identifier=DEV_TEAM_ID,
                now=later,
            )

    def test_warns_thirty_days_before_expiry(self, pki_dir: Path) -> None:
        soon = datetime.now(UTC) + timedelta(days=350)
        signer = Signer.from_pem(
            *pems(pki_dir),
            pass_type_identifier=DEV_PASS_TYPE_ID,
            team_identifier=DEV_TEAM_ID,
            now=soon,
        )
        assert any("pass certificate expires" in w for w in signer.report.warnings)

    def test_garbage_pem(self, pki_dir: Path) -> None:
        _, key, wwdr = pems(pki_dir)
        with pytest.raises(CertificateError, match="not a PEM certificate"):
            Signer.from_pem(
                b"hello", key, wwdr, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier="X"
            )

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(CertificateError, match="cannot read"):
            Signer.from_files(
                tmp_path / "pass.pem",
                tmp_path / "pass.key",
                tmp_path / "wwdr.pem",
                pass_type_identifier=DEV_PASS_TYPE_ID,
                team_identifier=DEV_TEAM_ID,
            )

    def test_encrypted_key_needs_its_password(self, pki_dir: Path) -> None:
        from cryptography.hazmat.primitives import serialization

        cert, key_pem, wwdr = pems(pki_dir)
        key = serialization.load_pem_private_key(key_pem, password=None)
        encrypted = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
        with pytest.raises(CertificateError, match="cannot load the pass private key"):
            Signer.from_pem(
                cert,
                encrypted,
                wwdr,
                pass_type_identifier=DEV_PASS_TYPE_ID,
                team_identifier=DEV_TEAM_ID,
            )
        signer = Signer.from_pem(
            cert,
            encrypted,
            wwdr,
            pass_type_identifier=DEV_PASS_TYPE_ID,
            team_identifier=DEV_TEAM_ID,
            password=b"s3cret",
        )
        assert signer.team_identifier == DEV_TEAM_ID


class TestIdentityExtraction:
    def _cert(self, name: x509.Name, extensions: list[x509.ExtensionType]) -> x509.Certificate:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=1))
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(key, hashes.SHA256())

    def test_falls_back_to_the_subject_uid(self) -> None:
        cert = self._cert(x509.Name([x509.NameAttribute(NameOID.USER_ID, "pass.uid.only")]), [])
        assert pass_type_identifier_of(cert) == "pass.uid.only"
        assert team_identifier_of(cert) is None

    def test_reads_a_plain_text_extension(self) -> None:
        raw = x509.UnrecognizedExtension(PASS_TYPE_ID_OID, b"pass.raw.text")
        cert = self._cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]), [raw])
        assert pass_type_identifier_of(cert) == "pass.raw.text"

    def test_nothing_to_read(self) -> None:
        binary = x509.UnrecognizedExtension(PASS_TYPE_ID_OID, b"\xff\xfe")
        cert = self._cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]), [binary])
        assert pass_type_identifier_of(cert) is None
