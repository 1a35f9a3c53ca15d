"""The console's mechanics editor (``/console/programs/{id}/rules``): the rules as a form, with
field-level errors in ru/en, the confirmation of breaking changes when the server asks for it,
a simulation of the draft beside the live rules (nothing saved), and the history of versions
with roll back. Changes go through ``api.mechanics.service`` like the API's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.console.auth import ConsoleUser
from api.console.mechanics_form import (
    MAX_TIERS,
    FieldError,
    changed_paths,
    read_form,
    validate,
    values_of,
)
from api.console.service import ConsoleCaller
from api.deps import EngineDep, SessionDep
from api.mechanics import service as mechanics_service
from api.mechanics import simulation
from api.mechanics.errors import RulesChangeUnconfirmed, RulesVersionNotFound
from api.mechanics.service import BREAKING
from api.merchants.models import ApiKey
from api.pages.errors import TooManyFormFields
from api.pages.render import Page, PageDep
from api.paging import PageRequest
from api.programs.models import Program
from api.programs.rules import (
    Downgrade,
    ExpiryPolicy,
    Rounding,
    StampBasis,
    TierMetric,
    TierWindow,
)

# Included under ``/console`` by ``api/console/routes.py``.
router = APIRouter(prefix="/programs/{program_id}/rules", tags=["pages"], include_in_schema=False)

#: The editor's form is larger than the others: 24 settings and 5 fields per tier row.
MAX_FIELDS: Final = 40 + 5 * (MAX_TIERS + 1)
SIMULATION_DAYS: Final = (30, 90, 365)
HISTORY: Final = 20
CHOICES: Final = {
    "earn.rounding": [r.value for r in Rounding],
    "stamps.basis": [b.value for b in StampBasis],
    "tiers.metric": [m.value for m in TierMetric],
    "tiers.window": [w.value for w in TierWindow],
    "tiers.downgrade": [d.value for d in Downgrade],
    "expiry.policy": [p.value for p in ExpiryPolicy],
}


async def editor_fields(request: Request) -> dict[str, str]:
    """The form body as a dict (the last value of a repeated field wins).

    Raises:
        TooManyFormFields: more fields than the largest tier table needs.
    """
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(body, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise TooManyFormFields(f"at most {MAX_FIELDS} fields") from None
    return {key: value.replace("\x00", "") for key, value in pairs}


EditorFields = Annotated[dict[str, str], Depends(editor_fields)]


@router.get("", response_class=HTMLResponse)
def editor(
    program_id: UUID,
    page: PageDep,
    session: SessionDep,
    user: ConsoleUser,
    saved: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The rules as a form, and their history."""
    program, rules, _ = mechanics_service.current_rules(session, user.merchant_id, program_id)
    values, tiers = values_of(rules)
    return _render(page, session, user, program, values=values, tiers=tiers, saved=saved)


@router.post("", response_class=HTMLResponse)
def submit(
    program_id: UUID,
    page: PageDep,
    session: SessionDep,
    engine: EngineDep,
    user: ConsoleUser,
    fields: EditorFields,
) -> Response:
    """``action=save`` saves the form's rules; ``action=simulate`` shows what they would have
    done over the last ``days`` beside the live rules, saving nothing."""
    program, current, _ = mechanics_service.current_rules(session, user.merchant_id, program_id)
    draft = read_form(fields, current)
    form: dict[str, Any] = {"values": draft.values, "tiers": draft.tiers}
    rules, errors = validate(draft)
    if rules is None:
        return _render(page, session, user, program, **form, errors=errors, status_code=422)
    if fields.get("action") == "simulate":
        days = _days(fields.get("days", ""))
        point_value = _point_value(fields.get("point_value", ""))
        if point_value is None:
            errors = {"point_value": FieldError("err_number")}
            return _render(page, session, user, program, **form, errors=errors, status_code=422)
        with simulation.read_only_session(engine) as readonly:
            result = simulation.simulate(
                readonly, user.merchant_id, program.id, rules, days=days,
                point_value=point_value, now=utcnow(),
            )  # fmt: skip
        return _render(page, session, user, program, **form, simulation=result, days=days,
                       comparison=_comparison(result),
                       point_value=fields.get("point_value", ""))  # fmt: skip
    if not user.can_edit:
        return _render(page, session, user, program, **form, error="read_only", status_code=403)
    try:
        changed = mechanics_service.replace_rules(
            session, user.caller, program.id, rules, confirm=_confirmed(fields), now=utcnow()
        )
    except RulesChangeUnconfirmed as refused:
        return _render(page, session, user, program, **form, status_code=409,
                       confirm=refused.extra.get("changes", []))  # fmt: skip
    _, _, version = mechanics_service.current_rules(session, user.merchant_id, changed.id)
    return RedirectResponse(f"/console/programs/{program.id}/rules?saved={version}", 303)


@router.post("/rollback", response_class=HTMLResponse)
def rollback(
    program_id: UUID, page: PageDep, session: SessionDep, user: ConsoleUser, fields: EditorFields
) -> Response:
    """Apply an older version's rules again (a new version)."""
    program, current, _ = mechanics_service.current_rules(session, user.merchant_id, program_id)
    values, tiers = values_of(current)
    form: dict[str, Any] = {"values": values, "tiers": tiers}
    number = _whole(fields.get("version", "")) or 0
    if not user.can_edit:
        return _render(page, session, user, program, **form, error="read_only", status_code=403)
    try:
        mechanics_service.rollback_rules(
            session, user.caller, program.id, number, confirm=_confirmed(fields), now=utcnow()
        )
    except RulesVersionNotFound:
        return _render(page, session, user, program, **form, error="rules_no_version",
                       status_code=404)  # fmt: skip
    except RulesChangeUnconfirmed as refused:
        return _render(page, session, user, program, **form, status_code=409,
                       confirm=refused.extra.get("changes", []), rollback_to=number)  # fmt: skip
    _, _, version = mechanics_service.current_rules(session, user.merchant_id, program.id)
    return RedirectResponse(f"/console/programs/{program.id}/rules?saved={version}", 303)


def _render(
    page: Page,
    session: Session,
    user: ConsoleCaller,
    program: Program,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("errors", {})
    context.setdefault("confirm", [])
    context.setdefault("days", 90)
    return page.render(
        "console/mechanics.html", status_code=status_code, caller=user.caller,
        can_edit=user.can_edit, program=program, choices=CHOICES,
        simulation_days=SIMULATION_DAYS, breaking=list(BREAKING), max_tiers=MAX_TIERS,
        history=_history(session, user.merchant_id, program.id), **context,
    )  # fmt: skip


def _history(session: Session, merchant_id: UUID, program_id: UUID) -> list[dict[str, Any]]:
    """The last versions, newest first: number, when, which key, what changed."""
    _, total = mechanics_service.page_versions(
        session, merchant_id, program_id, PageRequest(limit=1)
    )
    rows, _ = mechanics_service.page_versions(
        session, merchant_id, program_id,
        PageRequest(limit=HISTORY, offset=max(total - HISTORY, 0)),
    )  # fmt: skip
    keys = {row.changed_by for row in rows if row.changed_by is not None}
    names = dict(
        session.exec(
            select(ApiKey.id, ApiKey.name).where(
                ApiKey.merchant_id == merchant_id, col(ApiKey.id).in_(keys)
            )
        ).all()
        if keys
        else []
    )
    return [
        {
            "version": row.version,
            "changed_at": row.changed_at,
            "who": names.get(row.changed_by) if row.changed_by else None,
            "changes": changed_paths(row.before, row.after),
            "confirmed": row.confirmed,
            "is_current": row.version == total,
        }
        for row in reversed(rows)
    ]


def _comparison(result: simulation.Simulation) -> list[dict[str, Any]]:
    """The simulation's tiers and rewards as rows of live beside draft (a tier or a reward
    only one side has counts 0 on the other)."""
    live = {tier.tier: tier.members for tier in result.live.tiers}
    draft = {tier.tier: tier.members for tier in result.draft.tiers}
    names = list(draft) + [name for name in live if name not in draft]
    rows = [
        {
            "id": f"tier-{index}",
            "key": "sim_tier" if name else "sim_no_tier",
            "values": {"tier": name} if name else {},
            "live": live.get(name, 0),
            "draft": draft.get(name, 0),
        }
        for index, name in enumerate(names)
    ]
    reach = {reward.reward_id: reward.members for reward in result.live.rewards}
    rows += [
        {
            "id": f"reward-{index}",
            "key": "sim_reward",
            "values": {"reward": reward.name},
            "live": reach.get(reward.reward_id, 0),
            "draft": reward.members,
        }
        for index, reward in enumerate(result.draft.rewards)
    ]
    return rows


def _confirmed(fields: Mapping[str, str]) -> list[str]:
    return [name for name in BREAKING if fields.get(f"confirm.{name}")]


def _days(raw: str) -> int:
    days = _whole(raw)
    return days if days in SIMULATION_DAYS else 90


def _whole(raw: str) -> int | None:
    """A small whole number typed in ASCII digits (``str.isdigit`` also takes "²")."""
    return int(raw) if re.fullmatch(r"[0-9]{1,7}", raw) else None


def _point_value(raw: str) -> Decimal | None:
    if raw.strip() == "":
        return Decimal(1)
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and 0 <= value <= 1_000_000 else None
