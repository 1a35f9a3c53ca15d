"""``GET /healthz``: is the database reachable and is the pass certificate still valid."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.clock import utcnow
from api.deps import AppleWalletDep, EngineDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(engine: EngineDep, wallet: AppleWalletDep) -> JSONResponse:
    """200 when the service can serve cards; 503 with the failing check otherwise."""
    checks: dict[str, Any] = {}
    healthy = True
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this is the health check
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    report = wallet.signer.report
    days_left = (report.not_after - utcnow()).days
    checks["apple_certificate"] = {
        "pass_type_identifier": report.pass_type_identifier,
        "expires": report.not_after.isoformat(),
        "days_left": days_left,
    }
    if days_left < 0:
        healthy = False
    body = {"status": "ok" if healthy else "unhealthy", "checks": checks}
    return JSONResponse(body, status_code=200 if healthy else 503)
