"""Writing the development PKI to disk (``loyalpass certs dev``)."""

from __future__ import annotations

import os
from pathlib import Path

from api.clock import utcnow
from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import create_development_pki

DEV_FILES = (
    "apple/root-ca.pem",
    "apple/wwdr.pem",
    "apple/pass.pem",
    "apple/pass.key",
    "google/service-account.json",
)


def write_dev_certs(
    out: Path,
    *,
    pass_type_identifier: str = DEV_PASS_TYPE_ID,
    team_identifier: str = DEV_TEAM_ID,
    google_token_uri: str = "http://127.0.0.1:8765/token",
) -> list[Path]:
    """Write a fresh fake PKI under ``out``; private keys get mode 0600."""
    pki = create_development_pki(
        pass_type_identifier=pass_type_identifier,
        team_identifier=team_identifier,
        google_token_uri=google_token_uri,
        now=utcnow(),
    )
    contents = dict(
        zip(
            DEV_FILES,
            (
                pki.root_ca_pem,
                pki.wwdr_pem,
                pki.pass_certificate_pem,
                pki.pass_key_pem,
                pki.service_account_json,
            ),
            strict=True,
        )
    )
    written = []
    for name, data in contents.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = name.endswith((".key", ".json"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        written.append(path)
    return written


def ensure_dev_certs(out: Path) -> bool:
    """Create the development set if any file is missing; True when it was (re)created."""
    if all((out / name).exists() for name in DEV_FILES):
        return False
    write_dev_certs(out)
    return True
