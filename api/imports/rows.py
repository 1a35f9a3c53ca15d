"""Checking each row of a member file before anything is written: every bad row is reported
with its line, the column (the file's own header) and why; a row that repeats an earlier
row's phone, email or external id is a duplicate of that line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from api.imports.reader import Row, Table
from api.members.schemas import normalise_email, normalise_phone
from api.validation import EARLIEST_BIRTHDAY, latest_today

MAX_BALANCE = 10_000_000
KEYS = ("phone", "email", "external_id")


@dataclass(frozen=True, slots=True)
class Member:
    """A valid row: what the new member starts with."""

    line: int
    name: str
    phone: str | None
    email: str | None
    external_id: str | None
    birthday: date | None
    points: int
    stamps: int
    tier: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    column: str | None  # the file's header (None: the row as a whole)
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


def check(table: Table, tiers: set[str]) -> tuple[list[Member], list[Problem]]:
    """The valid rows and every problem, in file order."""
    members: list[Member] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        member, row_problems = _member(row, table.columns, tiers)
        if member is not None:
            for key in KEYS:
                value = getattr(member, key)
                first = seen.get((key, value)) if value else None
                if first is not None:
                    column = table.columns[key]
                    row_problems.append(
                        Problem(row.line, column, f"duplicate of line {first} ({column})")
                    )
                    break
        if row_problems:
            problems.extend(row_problems)
            continue
        assert member is not None
        for key in KEYS:
            value = getattr(member, key)
            if value:
                seen[(key, value)] = row.line
        members.append(member)
    return members, problems


def _member(
    row: Row, columns: dict[str, str], tiers: set[str]
) -> tuple[Member | None, list[Problem]]:
    problems: list[Problem] = []
    values = row.values

    def bad(field: str, reason: str) -> None:
        problems.append(Problem(row.line, columns[field], reason))

    name = " ".join(values.get("name", "").split())  # a line break inside a cell: a space
    if len(name) > 100:
        bad("name", "longer than 100 characters")
    phone = email = external_id = None
    if values.get("phone"):
        try:
            phone = normalise_phone(values["phone"])
        except ValueError as exc:
            bad("phone", str(exc))
    if values.get("email"):
        try:
            email = normalise_email(values["email"])
        except ValueError as exc:
            bad("email", str(exc))
    if values.get("external_id"):
        external_id = values["external_id"]
        if len(external_id) > 64:
            bad("external_id", "longer than 64 characters")
    birthday = _birthday(values.get("birthday", ""), bad)
    points = _count(values.get("points", ""), "points", bad)
    stamps = _count(values.get("stamps", ""), "stamps", bad)
    tier = values.get("tier") or None
    if tier is not None and tier not in tiers:
        known = ", ".join(sorted(tiers)) or "none"
        bad("tier", f"the program has no tier {tier!r} (its tiers: {known})")
    if not problems and not (phone or email or external_id):
        problems.append(Problem(row.line, None, "no phone, email or external id"))
    if problems:
        return None, problems
    member = Member(
        row.line, name, phone, email, external_id, birthday, points, stamps, tier
    )  # fmt: skip
    return member, problems


def _count(raw: str, field: str, bad: Callable[[str, str], None]) -> int:
    if not raw:
        return 0
    text = raw.replace(" ", "").replace("\u00a0", "")
    if not text.isascii() or not text.isdigit() or int(text) > MAX_BALANCE:
        bad(field, f"not a whole number from 0 to {MAX_BALANCE}")
        return 0
    return int(text)


def _birthday(raw: str, bad: Callable[[str, str], None]) -> date | None:
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            value = datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        if EARLIEST_BIRTHDAY <= value <= latest_today():
            return value
        break
    bad("birthday", "not a plausible date (YYYY-MM-DD or DD.MM.YYYY)")
    return None
