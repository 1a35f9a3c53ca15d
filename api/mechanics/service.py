"""Changing a program's rules without destroying it.

Every change goes through :func:`change_rules`: the program row is locked (concurrent changes
queue up and each gets its own version), the new document is validated as a whole, a change
that would reinterpret balances members already hold needs confirming, and the change is
recorded as a version with who made it and the document before and after. ``PUT`` replaces a
complete document, ``PATCH`` merges a JSON Merge Patch (RFC 7396) into the stored one, and a
roll back applies an older version's document again as a new version.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from pydantic import ValidationError
from sqlmodel import Session

from api.audit import service as audit
from api.mechanics import repository
from api.mechanics.errors import RulesChangeUnconfirmed, RulesInvalid, RulesVersionNotFound
from api.mechanics.models import RulesVersion
from api.merchants.service import Caller
from api.paging import PageRequest
from api.programs.errors import ProgramNotFound
from api.programs.models import Program
from api.programs.rules import ProgramRules, rules_of
from api.programs.service import get_program

#: Changes that reinterpret the balances members hold: points bought in roubles are not worth
#: the same in euros, and stamps earned per visit are not stamps earned per 500 spent.
BREAKING: Final[Mapping[str, Callable[[ProgramRules], object]]] = {
    "currency": lambda rules: rules.currency,
    "stamps.basis": lambda rules: (rules.stamps.basis, rules.stamps.stamp_amount),
}


def current_rules(
    session: Session, merchant_id: UUID, program_id: UUID
) -> tuple[Program, ProgramRules, int]:
    """The program, its rules and their version (1 until they first change)."""
    program = get_program(session, merchant_id, program_id)
    return program, rules_of(program), max(repository.latest_version(session, program.id), 1)


def replace_rules(
    session: Session,
    caller: Caller,
    program_id: UUID,
    rules: ProgramRules,
    *,
    confirm: Collection[str] = (),
    now: datetime,
) -> Program:
    """Replace the rules with a complete document (the route refuses a missing section).

    Raises:
        RulesChangeUnconfirmed: a breaking change on a program with balances, not confirmed.
    """
    program = _locked(session, caller.merchant_id, program_id)
    _change(session, caller, program, rules, confirm=confirm, now=now)
    return program


def patch_rules(
    session: Session,
    caller: Caller,
    program_id: UUID,
    patch: Mapping[str, Any],
    *,
    confirm: Collection[str] = (),
    now: datetime,
) -> Program:
    """Merge ``patch`` (RFC 7396: objects merge, ``null`` removes, anything else replaces)
    into the stored rules; the result must still be a complete, valid document.

    Raises:
        RulesInvalid: the merged rules break a rule (``field`` names it).
        RulesChangeUnconfirmed: as for :func:`replace_rules`.
    """
    program = _locked(session, caller.merchant_id, program_id)
    merged = merge_patch(rules_of(program).model_dump(mode="json"), patch)
    _change(session, caller, program, validate(merged), confirm=confirm, now=now)
    return program


def rollback_rules(
    session: Session,
    caller: Caller,
    program_id: UUID,
    number: int,
    *,
    confirm: Collection[str] = (),
    now: datetime,
) -> Program:
    """Apply version ``number``'s rules again, as a new version.

    Raises:
        RulesVersionNotFound: the program has no such version.
        RulesChangeUnconfirmed: as for :func:`replace_rules`.
    """
    program = _locked(session, caller.merchant_id, program_id)
    if number == 1 and repository.latest_version(session, program.id) == 0:
        return program  # the rules never changed: version 1 is live
    old = repository.version(session, caller.merchant_id, program.id, number)
    if old is None:
        raise RulesVersionNotFound(f"the program has no rules version {number}")
    _change(session, caller, program, validate(old.after), confirm=confirm, now=now)
    return program


def page_versions(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[RulesVersion], int]:
    program = get_program(session, merchant_id, program_id)
    return repository.page_versions(session, merchant_id, program.id, page)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch of ``patch`` onto ``target`` (neither is modified)."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def validate(document: Any) -> ProgramRules:
    """A complete rules document, or :class:`RulesInvalid` naming the first bad field."""
    missing = [
        name
        for name in ProgramRules.model_fields
        if isinstance(document, Mapping) and name not in document
    ]
    if missing:
        raise RulesInvalid(f"{missing[0]}: the section is required", field=missing[0])
    try:
        return ProgramRules.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "rules"
        raise RulesInvalid(f"{field}: {first['msg']}", field=field) from None


def _locked(session: Session, merchant_id: UUID, program_id: UUID) -> Program:
    program = repository.lock_program(session, merchant_id, program_id)
    if program is None:
        raise ProgramNotFound()
    return program


def _change(
    session: Session,
    caller: Caller,
    program: Program,
    rules: ProgramRules,
    *,
    confirm: Collection[str],
    now: datetime,
) -> None:
    before = rules_of(program)
    after = rules.model_dump(mode="json")
    if after == before.model_dump(mode="json"):
        return
    breaking = [name for name, part in BREAKING.items() if part(before) != part(rules)]
    unconfirmed = [name for name in breaking if name not in confirm]
    if unconfirmed and repository.has_balances(session, program.merchant_id, program.id):
        raise RulesChangeUnconfirmed(
            f"members hold balances earned under the current {unconfirmed[0]}; "
            f"repeat the change with confirm={unconfirmed[0]} to apply it",
            changes=unconfirmed,
        )
    latest = repository.latest_version(session, program.id)
    if latest == 0:
        session.add(_first_version(program))
        latest = 1
    session.add(
        RulesVersion(
            merchant_id=program.merchant_id,
            program_id=program.id,
            version=latest + 1,
            before=program.rules,
            after=after,
            confirmed=sorted(set(breaking) & set(confirm)),
            changed_by=caller.key_id,
            changed_at=now,
        )
    )
    audit.record(session, caller, "rules.changed", "program", program.id, program.rules, after)
    program.rules = after
    session.add(program)
    session.flush()


def _first_version(program: Program) -> RulesVersion:
    return RulesVersion(
        merchant_id=program.merchant_id,
        program_id=program.id,
        version=1,
        before=None,
        after=program.rules,
        changed_by=None,
        changed_at=program.created_at,
    )
