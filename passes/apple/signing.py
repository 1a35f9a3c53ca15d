"""PKCS#7 detached signatures of ``manifest.json`` (Apple's Wallet Developer Guide, "Signing").

"Make a PKCS #7 detached signature of the manifest file ... Include the WWDR intermediate
certificate ... Include the date and time that the pass was signed using the S/MIME
signing-time attribute." We sign with SHA-256 in binary mode: without ``Binary`` the manifest
would be signed as S/MIME text (LF turned into CRLF) and fail verification.

The private key is loaded and validated once, when the :class:`Signer` is built: the RSA
consistency check costs about 50 ms, which is why a library that reloads the key per pass
manages about 19 passes a second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from passes.apple.certificates import CertificateReport, check_pass_certificate
from passes.errors import CertificateError, SigningError

_OPTIONS = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]


class Signer:
    """Signs manifests with one Pass Type ID certificate. Build once at start-up; thread-safe."""

    def __init__(
        self,
        certificate: x509.Certificate,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        wwdr: x509.Certificate,
        report: CertificateReport,
    ) -> None:
        self.certificate = certificate
        self.wwdr = wwdr
        self.report = report
        self._private_key = private_key

    def __repr__(self) -> str:  # never show key material
        return f"Signer(pass_type_identifier={self.pass_type_identifier!r})"

    @property
    def pass_type_identifier(self) -> str:
        return self.report.pass_type_identifier

    @property
    def team_identifier(self) -> str:
        return self.report.team_identifier

    @classmethod
    def from_pem(
        cls,
        certificate_pem: bytes,
        key_pem: bytes,
        wwdr_pem: bytes,
        *,
        pass_type_identifier: str,
        team_identifier: str,
        password: bytes | None = None,
        now: datetime | None = None,
    ) -> Signer:
        """Load and check the certificate, its key and the WWDR intermediate.

        Raises:
            CertificateError: unreadable PEM, wrong password, or a failed certificate check.
        """
        try:
            certificate = x509.load_pem_x509_certificate(certificate_pem)
        except ValueError:
            raise CertificateError("the pass certificate is not a PEM certificate") from None
        try:
            wwdr = x509.load_pem_x509_certificate(wwdr_pem)
        except ValueError:
            raise CertificateError("the WWDR certificate is not a PEM certificate") from None
        try:
            key = serialization.load_pem_private_key(key_pem, password=password)
        except (ValueError, TypeError) as exc:
            raise CertificateError(f"cannot load the pass private key: {exc}") from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CertificateError("the pass private key must be RSA or EC")
        report = check_pass_certificate(
            certificate,
            wwdr,
            pass_type_identifier=pass_type_identifier,
            team_identifier=team_identifier,
            now=now or datetime.now(UTC),
            private_key=key,
        )
        return cls(certificate, key, wwdr, report)

    @classmethod
    def from_files(
        cls,
        certificate_file: Path,
        key_file: Path,
        wwdr_file: Path,
        *,
        pass_type_identifier: str,
        team_identifier: str,
        password: bytes | None = None,
        now: datetime | None = None,
    ) -> Signer:
        """:meth:`from_pem` with the PEMs read from files.

        Raises:
            CertificateError: a file is missing or unreadable, or a check failed.
        """
        try:
            pems = [path.read_bytes() for path in (certificate_file, key_file, wwdr_file)]
        except OSError as exc:
            raise CertificateError(f"cannot read {exc.filename}: {exc.strerror}") from None
        return cls.from_pem(
            *pems,
            pass_type_identifier=pass_type_identifier,
            team_identifier=team_identifier,
            password=password,
            now=now,
        )

    def sign(self, manifest: bytes) -> bytes:
        """Return the DER PKCS#7 detached signature of ``manifest``.

        Raises:
            SigningError: the signature could not be made.
        """
        try:
            return (
                pkcs7.PKCS7SignatureBuilder()
                .set_data(manifest)
                .add_signer(self.certificate, self._private_key, hashes.SHA256())
                .add_certificate(self.wwdr)
                .sign(serialization.Encoding.DER, _OPTIONS)
            )
        except (ValueError, TypeError) as exc:
            raise SigningError(f"signing the manifest failed: {exc}") from exc
