"""A development PKI that is obviously fake: stand-ins for Apple's root, WWDR G4 and a Pass
Type ID certificate, and a Google service-account key file.

Real passes need Apple-issued certificates; these exist so that the service, the tests and the
demo sign real PKCS#7 signatures that ``openssl cms -verify`` checks against the fake root.
Every subject says "NOT APPLE" / "FAKE".
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from passes.apple.certificates import PASS_EKU_OID, PASS_TYPE_ID_OID

_FAKE_ORG = "loyalpass development (FAKE, NOT APPLE)"


@dataclass(frozen=True, slots=True)
class DevelopmentPki:
    """PEM and JSON bytes of a complete development set."""

    root_ca_pem: bytes
    wwdr_pem: bytes
    pass_certificate_pem: bytes
    pass_key_pem: bytes
    service_account_json: bytes


def create_development_pki(
    *,
    pass_type_identifier: str,
    team_identifier: str,
    google_token_uri: str,
    now: datetime,
    pass_lifetime: timedelta = timedelta(days=365),
) -> DevelopmentPki:
    """Make a fake root, a fake WWDR under it, a Pass Type ID certificate and a Google key."""
    root_key, wwdr_key, pass_key, google_key = (_rsa_key() for _ in range(4))
    root_name = _name("LOYALPASS DEVELOPMENT ROOT CA (FAKE, NOT APPLE)")
    root = _certificate(
        root_name,
        root_name,
        root_key,
        root_key,
        now=now,
        lifetime=timedelta(days=3650),
        extensions=_ca_extensions(path_length=1),
    )
    wwdr_name = _name("LOYALPASS DEVELOPMENT WWDR G4 (FAKE, NOT APPLE)", unit="G4 stand-in (FAKE)")
    wwdr = _certificate(
        wwdr_name,
        root_name,
        wwdr_key,
        root_key,
        now=now,
        lifetime=timedelta(days=3000),
        extensions=_ca_extensions(path_length=0),
    )
    pass_name = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, pass_type_identifier),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_identifier}"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, team_identifier),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _FAKE_ORG),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )
    pass_id = pass_type_identifier.encode()
    leaf_extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(signing=True), True),
        (x509.ExtendedKeyUsage([PASS_EKU_OID, ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (
            x509.UnrecognizedExtension(PASS_TYPE_ID_OID, bytes([0x0C, len(pass_id)]) + pass_id),
            False,
        ),
    ]
    leaf = _certificate(
        pass_name,
        wwdr_name,
        pass_key,
        wwdr_key,
        now=now,
        lifetime=pass_lifetime,
        extensions=leaf_extensions,
    )
    return DevelopmentPki(
        root_ca_pem=_pem(root),
        wwdr_pem=_pem(wwdr),
        pass_certificate_pem=_pem(leaf),
        pass_key_pem=_key_pem(pass_key),
        service_account_json=_service_account(google_key, google_token_uri),
    )


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, *, unit: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _FAKE_ORG))
    return x509.Name(attributes)


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _ca_extensions(*, path_length: int) -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=True, path_length=path_length), True),
        (_key_usage(signing=False), True),
    ]


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer_key: rsa.RSAPrivateKey,
    *,
    now: datetime,
    lifetime: timedelta,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + lifetime)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _service_account(key: rsa.RSAPrivateKey, token_uri: str) -> bytes:
    """A key file in Google's service-account JSON format, for a project that does not exist."""
    client_email = "loyalpass-dev@loyalpass-dev-fake.iam.gserviceaccount.com"
    body = {
        "type": "service_account",
        "project_id": "loyalpass-dev-fake",
        "private_key_id": secrets.token_hex(20),
        "private_key": _key_pem(key).decode(),
        "client_email": client_email,
        "client_id": str(secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + client_email.replace("@", "%40"),
        "universe_domain": "googleapis.com",
    }
    return (json.dumps(body, indent=2) + "\n").encode()
