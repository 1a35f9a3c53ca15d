"""``GET /metrics`` (Prometheus text format) and ``GET /api/v1/operator/status``, both for the
operator's token only."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.clock import utcnow
from api.deps import EngineDep, SessionDep, SettingsDep
from api.metrics.exposition import CONTENT_TYPE, render
from api.status import service as status_service
from api.status.auth import Operator, Scraper
from api.status.collector import StatusCollector
from api.status.schemas import OperatorStatus

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(_: Scraper, engine: EngineDep, settings: SettingsDep) -> Response:
    """Every series: the processes' counters and the state computed from the database."""
    return Response(render([StatusCollector(engine, settings)]), media_type=CONTENT_TYPE)


@router.get("/api/v1/operator/status")
def operator_status(_: Operator, session: SessionDep, settings: SettingsDep) -> OperatorStatus:
    """APNs and Google (reachability, last answer, credential), the outbox lag, pending and
    failed pushes per channel, and the certificates' expiry (warned from 30 days before)."""
    return status_service.operator_status(session, settings, now=utcnow())
