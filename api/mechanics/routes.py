"""HTTP routes of a program's rules: read, replace, patch, history and roll back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query
from sqlmodel import Session

from api.clock import utcnow
from api.deps import AdminCaller, AuthorizationDep, EngineDep, ReaderCaller, SessionDep
from api.mechanics import service as mechanics_service
from api.mechanics import simulation
from api.mechanics.schemas import (
    CompleteRules,
    Confirmable,
    RulesPublic,
    RulesRollback,
    RulesVersionPublic,
    SimulationPublic,
    SimulationRequest,
)
from api.merchants.models import Role
from api.merchants.service import Caller, authenticate
from api.paging import Page, Paging
from api.programs.schemas import ProgramPublic

router = APIRouter(prefix="/api/v1/programs/{program_id}/rules", tags=["programs"])

Confirm = Annotated[
    list[Confirmable],
    Query(
        description="Breaking changes you mean to make on a program whose members hold "
        "balances (a 409 `rules_change_unconfirmed` lists them)",
        max_length=2,
    ),
]


@router.get("")
def get_rules(program_id: UUID, session: SessionDep, caller: ReaderCaller) -> RulesPublic:
    """The program's mechanics and their version."""
    _, rules, version = mechanics_service.current_rules(session, caller.merchant_id, program_id)
    return RulesPublic(version=version, rules=rules)


@router.put("")
def replace_rules(
    program_id: UUID,
    rules: CompleteRules,
    session: SessionDep,
    caller: AdminCaller,
    confirm: Confirm = [],  # noqa: B006 (FastAPI copies defaults)
) -> ProgramPublic:
    """Replace the mechanics with a complete document (a missing section is a 422, never a
    default). Changing the currency or how stamps are earned while members hold balances
    needs `confirm`. Every change is a version (who, when, before and after)."""
    program = mechanics_service.replace_rules(
        session, caller, program_id, rules, confirm=confirm, now=utcnow()
    )
    return ProgramPublic.of(program)


@router.patch(
    "",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/merge-patch+json": {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
def patch_rules(
    program_id: UUID,
    patch: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    caller: AdminCaller,
    confirm: Confirm = [],  # noqa: B006
) -> ProgramPublic:
    """Change part of the mechanics with a JSON Merge Patch (RFC 7396): objects merge, `null`
    removes a setting (back to its default), anything else replaces. The result is checked
    as a whole; 422 `rules_invalid` names the field."""
    program = mechanics_service.patch_rules(
        session, caller, program_id, patch, confirm=confirm, now=utcnow()
    )
    return ProgramPublic.of(program)


@router.get("/versions")
def list_versions(
    program_id: UUID, session: SessionDep, caller: AdminCaller, page: Paging
) -> Page[RulesVersionPublic]:
    """Every change of the rules, oldest first: who, when, before and after."""
    rows, total = mechanics_service.page_versions(session, caller.merchant_id, program_id, page)
    return Page.of([RulesVersionPublic.of(row) for row in rows], total, page)


@router.post("/rollback")
def rollback(
    program_id: UUID,
    body: RulesRollback,
    session: SessionDep,
    caller: AdminCaller,
    confirm: Confirm = [],  # noqa: B006
) -> ProgramPublic:
    """Apply an older version's rules again (as a new version)."""
    program = mechanics_service.rollback_rules(
        session, caller, program_id, body.version, confirm=confirm, now=utcnow()
    )
    return ProgramPublic.of(program)


def read_only_reporter(
    engine: EngineDep, authorization: AuthorizationDep
) -> Iterator[tuple[Session, Caller]]:
    """A read-only transaction and the caller (a ``read`` or ``admin`` key) found in it.

    The simulation reads for seconds: in the request's own transaction it would hold
    SQLite's write lock (``BEGIN IMMEDIATE``) all that time and stall every till."""
    with simulation.read_only_session(engine) as session:
        caller = authenticate(session, authorization)
        caller.require(Role.read)
        yield session, caller


ReadOnlyReporter = Annotated[tuple[Session, Caller], Depends(read_only_reporter)]


@router.post("/simulate")
def simulate(
    program_id: UUID, body: SimulationRequest, reporter: ReadOnlyReporter
) -> SimulationPublic:
    """Replay the program's purchases of the last `days` under a draft of the rules (a
    complete document, as `PUT` takes it) and under the live rules, side by side: points
    issued, liability, tiers at the end, rewards members could afford, cost as a share of
    revenue. Nothing is saved; the replay runs in a read-only transaction."""
    session, caller = reporter
    result = simulation.simulate(
        session, caller.merchant_id, program_id, body.rules, days=body.days,
        point_value=body.point_value, now=utcnow(),
    )  # fmt: skip
    return SimulationPublic.of(result)
