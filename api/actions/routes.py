"""HTTP routes of the actions that earn points, their rules, and purchase feedback."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from api.actions import feedback as feedback_service
from api.actions import service as action_service
from api.actions.schemas import (
    ActionRequest,
    ActionResult,
    ActionRuleCreate,
    ActionRulePublic,
    ActionRuleUpdate,
    FeedbackPublic,
)
from api.clock import utcnow
from api.deps import AdminCaller, PosCaller, ReaderCaller, SessionDep
from api.ledger.postings import Actor
from api.paging import Page, Paging

router = APIRouter(prefix="/api/v1", tags=["actions"])


@router.post("/programs/{program_id}/actions", status_code=status.HTTP_201_CREATED)
def create_action_rule(
    program_id: UUID, data: ActionRuleCreate, session: SessionDep, caller: AdminCaller
) -> ActionRulePublic:
    """Make an action earn points: its kind, points, and a cap per member per period.
    One rule per kind (409 `action_rule_exists`)."""
    rule = action_service.create_rule(session, caller.merchant_id, program_id, data, now=utcnow())
    return ActionRulePublic.of(rule)


@router.get("/programs/{program_id}/actions")
def list_action_rules(
    program_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[ActionRulePublic]:
    """The program's action rules, oldest first."""
    rules, total = action_service.page_rules(session, caller.merchant_id, program_id, page)
    return Page.of([ActionRulePublic.of(r) for r in rules], total, page)


@router.get("/programs/{program_id}/actions/{rule_id}")
def read_action_rule(
    program_id: UUID, rule_id: UUID, session: SessionDep, caller: ReaderCaller
) -> ActionRulePublic:
    rule = action_service.get_rule(session, caller.merchant_id, program_id, rule_id)
    return ActionRulePublic.of(rule)


@router.patch("/programs/{program_id}/actions/{rule_id}")
def update_action_rule(
    program_id: UUID, rule_id: UUID, data: ActionRuleUpdate, session: SessionDep,
    caller: AdminCaller,
) -> ActionRulePublic:  # fmt: skip
    """Change a rule's points, cap or period; `{"is_active": false}` stops it earning
    (`{"cap": null}` removes the cap)."""
    rule = action_service.update_rule(
        session, caller.merchant_id, program_id, rule_id, data, now=utcnow()
    )
    return ActionRulePublic.of(rule)


@router.post("/members/{member_id}/actions", status_code=status.HTTP_201_CREATED)
def trigger_action(
    member_id: UUID, data: ActionRequest, response: Response, session: SessionDep,
    caller: PosCaller,
) -> ActionResult:  # fmt: skip
    """The member did an action (left a review, shared, completed the profile...): earn the
    rule's points unless the member reached its cap (then `capped` and 0 points). The same
    `reference` again returns the first answer with 200 and earns nothing more."""
    event, member, is_new = action_service.trigger(
        session, caller.merchant_id, member_id, data.kind, data.reference,
        actor=Actor(caller.label, caller.key_id), now=utcnow(),
    )  # fmt: skip
    if not is_new:
        response.status_code = status.HTTP_200_OK
    return ActionResult.of(event, balance=member.points)


@router.get("/programs/{program_id}/feedback")
def list_feedback(
    program_id: UUID, session: SessionDep, caller: ReaderCaller, page: Paging
) -> Page[FeedbackPublic]:
    """Members' ratings and comments on their purchases, newest first."""
    items, total = feedback_service.page(session, caller.merchant_id, program_id, page)
    return Page.of([FeedbackPublic.of(f) for f in items], total, page)
