"""Access logs carry no card tokens, card numbers, coupon codes, device ids or contacts."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2 as httpx
import pytest

from api.logs import redact_url
from tests.conftest import make_settings
from tests.support.server import running_server


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/cards/Zq9x_secret", "/cards/***"),
        ("/cards/Zq9x_secret/apple.pkpass", "/cards/***/apple.pkpass"),
        ("/api/v1/members/by-barcode/LP123456", "/api/v1/members/by-barcode/***"),
        ("/api/v1/coupons/WELCOME-7F3A/use", "/api/v1/coupons/***/use"),
        (
            "/apple/v1/devices/abc123/registrations/pass.x/SER?passesUpdatedSince=17",
            "/apple/v1/devices/***/registrations/pass.x/***?passesUpdatedSince=17",
        ),
        (
            "/console/members?query=%2B79161234567&limit=50",
            "/console/members?query=***&limit=50",
        ),
        ("/scan/cards/4411?email=anna@example.com&lang=en", "/scan/cards/***?email=***&lang=en"),
        ("/healthz", "/healthz"),
        ("/join/corner?flag", "/join/corner?flag"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_a_real_servers_access_log_is_redacted(
    tmp_path: Path, pki_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'logs.db'}", pki_dir)
    with (
        caplog.at_level(logging.INFO, logger="uvicorn.access"),
        running_server(settings, log_level="info") as base,
    ):
        httpx.get(f"{base}/cards/Zq9x-secret-token", timeout=10)
        httpx.get(f"{base}/api/v1/members?query=%2B79161234567", timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/cards/***" in line for line in lines), lines
    assert any("query=***" in line for line in lines), lines
    assert not any("Zq9x" in line or "7916" in line for line in lines), lines
