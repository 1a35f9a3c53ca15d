"""Reading members and setting their tags (enrolment, which grants bonuses, sits above the
ledger in ``api/enrolment/service.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlmodel import Session

from api.members import repository
from api.members.errors import MemberNotFound
from api.members.models import Card, Member
from api.members.schemas import MemberPage, MemberPublic
from api.programs import repository as program_repository
from api.programs.models import Program
from api.programs.rules import ProgramRules, rules_of
from api.webhooks import service as webhook_service


def get_member(session: Session, merchant_id: UUID, member_id: UUID) -> tuple[Member, Card]:
    found = repository.get(session, merchant_id, member_id)
    if found is None:
        raise MemberNotFound()
    return found


def get_by_external_id(
    session: Session, merchant_id: UUID, program_id: UUID, external_id: str
) -> tuple[Member, Card]:
    """The program's member with the merchant's own customer id ``external_id``.

    Raises: MemberNotFound (also for another merchant's program).
    """
    found = repository.find_by_external_id(session, merchant_id, program_id, external_id)
    if found is None:
        raise MemberNotFound()
    return found


def set_tags(
    session: Session, merchant_id: UUID, member_id: UUID, tags: list[str]
) -> tuple[Member, Card]:
    """Replace the member's tags with ``tags``.

    Raises: MemberNotFound (also for another merchant's member).
    """
    member, card = get_member(session, merchant_id, member_id)
    wanted, have = set(tags), _tags(session, member)
    repository.remove_tags(session, member.id, have - wanted)
    repository.insert_tags(session, member, wanted - have)
    if wanted != have:
        updated(session, member, {"tags": sorted(wanted)})
    return member, card


def add_tags(session: Session, member: Member, tags: list[str]) -> None:
    """Add ``tags`` the member does not have yet (a re-enrolment adds its tags)."""
    have = _tags(session, member)
    new = set(tags) - have
    if new:
        repository.insert_tags(session, member, new)
        updated(session, member, {"tags": sorted(have | new)})


def updated(session: Session, member: Member, changes: Mapping[str, Any]) -> None:
    """The ``member.updated`` webhook for a change of the member's profile (tags, consent,
    and any later profile field): ``changed`` names the fields, their new values beside it.
    Call it in the change's own transaction."""
    data = {"member_id": member.id, "program_id": member.program_id,
            "changed": sorted(changes), **changes}  # fmt: skip
    webhook_service.enqueue(session, member.merchant_id, "member.updated", data)


def _tags(session: Session, member: Member) -> set[str]:
    return set(repository.tags_of(session, [member.id]).get(member.id, []))


def search(
    session: Session,
    merchant_id: UUID,
    *,
    query: str | None,
    program_id: UUID | None,
    limit: int,
    offset: int,
    public_url: str,
    google: bool = False,
) -> MemberPage:
    rows, total = repository.search(
        session, merchant_id, query=query, program_id=program_id, limit=limit, offset=offset
    )
    tags = repository.tags_of(session, (m.id for m, _ in rows))
    rules = _rules(session, merchant_id, {m.program_id for m, _ in rows})
    return MemberPage(
        items=[
            MemberPublic.of(
                m,
                c,
                public_url=public_url,
                google=google,
                tags=tags.get(m.id),
                discount_percent=rules[m.program_id].discount_percent(m.tier),
            )  # fmt: skip
            for m, c in rows
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


def public(
    session: Session, member: Member, card: Card, *, public_url: str, google: bool = False
) -> MemberPublic:
    """The API view of a member, with the soonest-expiring points and the tier's discount."""
    expiry = repository.next_expiry(session, member.id)
    tags = repository.tags_of(session, [member.id]).get(member.id)
    # The program is usually in the session already (the enrolment or purchase loaded it):
    # session.get answers from the identity map without a query.
    program = session.get(Program, member.program_id)
    if program is None:  # the foreign key makes this impossible; keep the type honest
        raise MemberNotFound()
    rules = rules_of(program)
    return MemberPublic.of(
        member, card, public_url=public_url, google=google, next_expiry=expiry, tags=tags,
        discount_percent=rules.discount_percent(member.tier),
    )  # fmt: skip


def _rules(session: Session, merchant_id: UUID, program_ids: set[UUID]) -> dict[UUID, ProgramRules]:
    return {
        program.id: rules_of(program)
        for program in program_repository.many(session, merchant_id, program_ids)
    }


def get_by_barcode(session: Session, merchant_id: UUID, barcode: str) -> tuple[Member, Card]:
    """The member whose card shows ``barcode`` (what a scanner reads)."""
    found = repository.get_by_serial(session, merchant_id, barcode.strip())
    if found is None:
        raise MemberNotFound("no card of this merchant has that barcode")
    return found
