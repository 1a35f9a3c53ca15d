"""``GET /healthz``: is the database reachable, is the pass certificate still valid, and are
card changes reaching the wallets.

200 while the service can serve cards (``status`` ``ok``, or ``degraded`` when card updates
are not reaching a wallet: the operator alert, with the details under ``checks.deliveries``);
503 with the failing check when it cannot (no database, an expired certificate).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session

from api.clock import utcnow
from api.deps import AppleWalletDep, EngineDep
from api.outbound import service as outbound_service

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(engine: EngineDep, wallet: AppleWalletDep) -> JSONResponse:
    """200 when the service can serve cards (``degraded`` when updates are not reaching a
    wallet); 503 with the failing check otherwise."""
    checks: dict[str, Any] = {}
    healthy = True
    degraded = False
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this is the health check
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    if healthy:
        try:
            with Session(engine) as session:
                channels = outbound_service.status(session)
            checks["deliveries"] = {c.name: _delivery(c) for c in channels}
            degraded = any(c.state != "ok" for c in channels)
        except Exception as exc:
            checks["deliveries"] = f"error: {type(exc).__name__}"
            degraded = True
    report = wallet.signer.report
    days_left = (report.not_after - utcnow()).days
    checks["apple_certificate"] = {
        "pass_type_identifier": report.pass_type_identifier,
        "expires": report.not_after.isoformat(),
        "days_left": days_left,
    }
    if days_left < 0:
        healthy = False
    status = "unhealthy" if not healthy else "degraded" if degraded else "ok"
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if healthy else 503)


def _delivery(channel: outbound_service.ChannelStatus) -> dict[str, Any]:
    detail: dict[str, Any] = {"state": channel.state, "stale": channel.stale}
    if channel.reason:
        detail["reason"] = channel.reason
    for name in ("blocked_since", "last_ok_at", "last_failure_at"):
        moment = getattr(channel, name)
        if moment is not None:
            detail[name] = moment.isoformat()
    return detail
