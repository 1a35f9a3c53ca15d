"""``GET /healthz`` (liveness) and ``GET /readyz`` (readiness).

``/healthz`` says the process answers: no database, no file, nothing that can be slow, so a
supervisor restarts the process only when it is really stuck. ``/readyz`` says this process
can serve: the database answers, its schema is at the newest migration, the designs are
loaded; 503 with the failing check otherwise (a load balancer then sends traffic elsewhere).
What the operator watches beyond that (the wallets' channels, the outbox lag, certificate
expiry) is ``GET /api/v1/operator/status`` and ``/metrics`` (``api.status``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.db import alembic_config
from api.deps import SettingsDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 while the process answers (liveness)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, settings: SettingsDep) -> JSONResponse:
    """200 when the database answers at the newest migration and the designs are loaded; 503
    with the failing check otherwise."""
    checks: dict[str, Any] = {}
    engine: Engine | None = getattr(request.app.state, "engine", None)
    try:
        if engine is None:
            raise RuntimeError("the service has not started")
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        checks["database"] = "ok"
        newest = _heads(settings.migrations_dir)
        checks["migrations"] = "ok" if current == newest else (
            f"at {','.join(sorted(current)) or 'nothing'}, newest {','.join(sorted(newest))}"
        )  # fmt: skip
    except Exception as exc:  # report, never raise: this is the readiness check
        checks["database"] = f"error: {type(exc).__name__}"
    designs = getattr(request.app.state, "designs", None)
    has_default = designs is not None and settings.default_design in designs
    checks["designs"] = "ok" if has_default else "not loaded"
    ready = all(value == "ok" for value in checks.values()) and "migrations" in checks
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@functools.cache
def _heads(migrations_dir: Path) -> set[str]:
    """The newest migration(s) shipped with this code (read once)."""
    script = ScriptDirectory.from_config(alembic_config(migrations_dir, "sqlite://"))
    return set(script.get_heads())
