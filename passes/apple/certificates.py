"""Checks on a Pass Type ID certificate before it signs anything.

Apple's rejection causes include a pass type ID or team that does not match the certificate,
a signature without the WWDR intermediate, and an expired or wrong WWDR (G1 instead of G4).
Pass Type ID certificates carry the pass type ID in extension 1.2.840.113635.100.6.1.16 (and in
the subject UID) and the team identifier in the subject OU; they last about a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from passes.errors import CertificateError

PASS_TYPE_ID_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.1.16")
PASS_EKU_OID = x509.ObjectIdentifier("1.2.840.113635.100.4.14")
EXPIRY_WARNING = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class CertificateReport:
    """What the checks found: the identities in the certificate and any warnings."""

    pass_type_identifier: str
    team_identifier: str
    not_after: datetime
    warnings: tuple[str, ...]


def pass_type_identifier_of(certificate: x509.Certificate) -> str | None:
    """The pass type ID a certificate was issued for, from Apple's extension or the subject UID."""
    try:
        extension = certificate.extensions.get_extension_for_oid(PASS_TYPE_ID_OID)
    except x509.ExtensionNotFound:
        extension = None
    if extension is not None and isinstance(extension.value, x509.UnrecognizedExtension):
        value = _der_string(extension.value.value)
        if value:
            return value
    uids = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
    return str(uids[0].value) if uids else None


def team_identifier_of(certificate: x509.Certificate) -> str | None:
    """The team identifier: the certificate subject's organizational unit."""
    units = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return str(units[0].value) if units else None


def check_pass_certificate(
    certificate: x509.Certificate,
    wwdr: x509.Certificate,
    *,
    pass_type_identifier: str,
    team_identifier: str,
    now: datetime,
    private_key: PrivateKeyTypes | None = None,
) -> CertificateReport:
    """Check that ``certificate`` can sign passes of ``pass_type_identifier`` for the team.

    Raises:
        CertificateError: the IDs do not match, the certificate is not issued by ``wwdr``,
            either certificate is outside its validity period, or the key does not match.
    """
    found_type = pass_type_identifier_of(certificate)
    if found_type != pass_type_identifier:
        raise CertificateError(
            f"the pass certificate is for pass type {found_type!r}, "
            f"but passTypeIdentifier is {pass_type_identifier!r}"
        )
    found_team = team_identifier_of(certificate)
    if found_team != team_identifier:
        raise CertificateError(
            f"the pass certificate belongs to team {found_team!r} (its OU), "
            f"but teamIdentifier is {team_identifier!r}"
        )
    try:
        certificate.verify_directly_issued_by(wwdr)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise CertificateError(
            "the pass certificate is not issued by the WWDR certificate given "
            f"({wwdr.subject.rfc4514_string()}); Pass Type ID certificates need WWDR G4: {exc}"
        ) from None
    for name, cert in (("pass certificate", certificate), ("WWDR certificate", wwdr)):
        if now < cert.not_valid_before_utc:
            raise CertificateError(f"the {name} is not valid before {cert.not_valid_before_utc}")
        if now > cert.not_valid_after_utc:
            raise CertificateError(f"the {name} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    if private_key is not None and _public_bytes(private_key.public_key()) != _public_bytes(
        certificate.public_key()
    ):
        raise CertificateError("the private key does not belong to the pass certificate")
    warnings: list[str] = []
    for name, cert in (("pass certificate", certificate), ("WWDR certificate", wwdr)):
        left = cert.not_valid_after_utc - now
        if left < EXPIRY_WARNING:
            warnings.append(
                f"the {name} expires on {cert.not_valid_after_utc:%Y-%m-%d} "
                f"(in {left.days} days): renew it, or Wallet stops accepting new passes and pushes"
            )
    return CertificateReport(
        pass_type_identifier=found_type,
        team_identifier=found_team,
        not_after=certificate.not_valid_after_utc,
        warnings=tuple(warnings),
    )


def _public_bytes(key: object) -> bytes:
    public_bytes = getattr(key, "public_bytes", None)
    if public_bytes is None:
        return b""
    result: bytes = public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return result


def _der_string(value: bytes) -> str | None:
    """Decode a DER UTF8String/IA5String/PrintableString, or plain text if it is not DER."""
    if len(value) >= 2 and value[0] in (0x0C, 0x13, 0x16) and value[1] < 0x80:
        length = value[1]
        if len(value) == 2 + length:
            return value[2:].decode("utf-8", errors="replace")
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None
