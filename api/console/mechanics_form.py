"""The mechanics editor's form: a program's rules as flat form fields and back, and a draft's
validation errors mapped to the fields they belong to, as ru/en text keys.

Field names are the rules' own paths (``earn.per_amount``, ``tiers.levels.2.threshold``), so
a pydantic error location is a field name; an error of a whole section (a rule across its
fields) goes to the field its message names, else to the section.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from api.mechanics.schemas import CompleteRules
from api.programs.rules import ProgramRules

SCALARS: Final = (
    "currency", "timezone",
    "earn.points", "earn.per_amount", "earn.rounding", "earn.min_purchase",
    "earn.max_points_per_transaction", "earn.max_points_per_day",
    "stamps.basis", "stamps.stamp_amount", "stamps.min_purchase", "stamps.max_stamps_per_day",
    "tiers.metric", "tiers.window", "tiers.window_days", "tiers.downgrade", "tiers.grace_days",
    "bonuses.welcome_points", "bonuses.birthday_points", "bonuses.referrer_points",
    "bonuses.referee_points",
    "expiry.policy", "expiry.days", "expiry.warn_days",
)  # fmt: skip
#: Left empty, these mean "none" (no cap, no window); any other empty field is an error.
OPTIONAL: Final = frozenset(
    {
        "earn.max_points_per_transaction", "earn.max_points_per_day", "stamps.stamp_amount",
        "stamps.max_stamps_per_day", "tiers.window_days", "tiers.grace_days", "expiry.days",
    }
)  # fmt: skip
TIER_FIELDS: Final = ("name", "threshold", "discount_percent", "earn_multiplier")
_TEXTS: Final = frozenset(
    {"currency", "timezone", "earn.rounding", "stamps.basis", "tiers.metric", "tiers.window",
     "tiers.downgrade", "expiry.policy", "name"}
)  # fmt: skip
_NUMBER: Final = re.compile(r"[0-9]+(\.[0-9]+)?")
MAX_TIERS: Final = 20
#: Fields a rule of a whole section is about, by the words of its message.
_SECTION_RULES: Final = (
    ("stamp_amount", "stamps.stamp_amount"),
    ("window_days", "tiers.window_days"),
    ("grace_days", "tiers.grace_days"),
    ("days is required", "expiry.days"),
    ("thresholds", "tiers.levels"),
    ("tier names", "tiers.levels"),
)
_TYPES: Final = {
    "missing": "err_required",
    "string_too_short": "err_required",
    "ascii_number": "err_number",
    "int_parsing": "err_number",
    "int_type": "err_number",
    "decimal_parsing": "err_number",
    "decimal_type": "err_number",
    "int_from_float": "err_whole",
    "greater_than": "err_gt",
    "greater_than_equal": "err_ge",
    "less_than": "err_lt",
    "less_than_equal": "err_le",
    "string_too_long": "err_too_long",
    "string_pattern_mismatch": "err_currency",
    "enum": "err_choice",
    "literal_error": "err_choice",
    "too_long": "err_too_many_tiers",
}
_VALUE_ERRORS: Final = (
    ("ASCII digits", "err_number"),
    ("is required", "err_required"),
    ("strictly increasing", "err_tier_order"),
    ("must be unique", "err_tier_names"),
    ("time zone", "err_timezone"),
    ("ISO 4217", "err_currency"),
    ("currency", "err_currency"),
)


@dataclass(frozen=True, slots=True)
class FieldError:
    """A message for one field: a text key and its placeholders."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Draft:
    """The form read back: the values as typed (to show again), the tier rows, the document."""

    values: dict[str, str]
    tiers: list[dict[str, str]]
    document: dict[str, Any]
    rows: list[int]  # the form row of each tier in the document


def values_of(rules: ProgramRules) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The form's values for ``rules``: the scalar fields and one row per tier."""
    document = rules.model_dump(mode="json")
    values = {name: _text(_get(document, name)) for name in SCALARS}
    tiers = [
        {name: _text(level.get(name)) for name in TIER_FIELDS}
        for level in document["tiers"]["levels"]
    ]
    return values, tiers


def read_form(fields: Mapping[str, str], current: ProgramRules) -> Draft:
    """The draft the form describes. A tier row left blank or ticked for removal is left out;
    the settings the form does not show (messaging, the birthday multiplier, surprises) stay
    as they are."""
    values = {name: fields.get(name, "").strip() for name in SCALARS}
    bonuses = current.bonuses.model_dump(mode="json")
    document: dict[str, Any] = {
        "messaging": current.messaging.model_dump(mode="json"),
        "bonuses": {k: v for k, v in bonuses.items() if f"bonuses.{k}" not in SCALARS},
    }
    for name in SCALARS:
        raw = values[name]
        _set(document, name, None if raw == "" and name in OPTIONAL else raw)
    tiers, levels, rows = [], [], []
    for index in range(MAX_TIERS + 1):
        row = {name: fields.get(f"tiers.levels.{index}.{name}", "").strip() for name in TIER_FIELDS}
        if not any(row.values()) or fields.get(f"tiers.levels.{index}.remove"):
            continue
        tiers.append(row)
        # An empty discount or multiplier is the default (none, x1); name and threshold stay,
        # empty or not, so that a missing one is an error shown in its row.
        level = {name: value for name, value in row.items() if value != ""}
        levels.append({**level, "name": row["name"], "threshold": row["threshold"]})
        rows.append(len(tiers) - 1)
    document["tiers"]["levels"] = levels
    return Draft(values, tiers, document, rows)


def validate(draft: Draft) -> tuple[CompleteRules | None, dict[str, FieldError]]:
    """The draft's rules, or the errors by field name (the first error of each field)."""
    # A number typed wrong is caught here, field by field: the rules' own check of digits
    # stops at the first one of a section, and the form should mark them all at once.
    errors = {name: FieldError("err_number") for name in _not_numbers(draft)}
    document = _with_numbers(draft.document, errors, draft.rows)
    try:
        rules = CompleteRules.model_validate(document)
    except ValidationError as error:
        for detail in error.errors():
            errors.setdefault(_field(detail, draft.rows), _message(detail))
        return None, errors
    return (None, errors) if errors else (rules, {})


def _not_numbers(draft: Draft) -> list[str]:
    names = [
        name
        for name, value in draft.values.items()
        if name not in _TEXTS and value and not _NUMBER.fullmatch(value)
    ]
    for index, row in enumerate(draft.tiers):
        names += [
            f"tiers.levels.{index}.{name}"
            for name, value in row.items()
            if name not in _TEXTS and value and not _NUMBER.fullmatch(value)
        ]
    return names


def _with_numbers(
    document: dict[str, Any], errors: Mapping[str, FieldError], rows: list[int]
) -> dict[str, Any]:
    """``document`` with each badly typed number replaced by 1, so that the other fields are
    still checked (the fields replaced already have their error)."""
    if not errors:
        return document
    fixed: dict[str, Any] = json.loads(json.dumps(document))
    for name in errors:
        parts = name.split(".")
        if parts[:2] == ["tiers", "levels"]:
            fixed["tiers"]["levels"][rows.index(int(parts[2]))][parts[3]] = "1"
        else:
            _set(fixed, name, "1")
    return fixed


def changed_paths(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """The settings a version changed (``earn.points``; the tier table as ``tiers.levels``)."""
    if before is None:
        return []
    old, new = _flat(before), _flat(after)
    return sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))


def _field(detail: ErrorDetails, rows: list[int]) -> str:
    loc = [str(part) for part in detail["loc"]]
    if loc[:2] == ["tiers", "levels"] and len(loc) > 2 and loc[2].isdigit():
        loc[2] = str(rows[int(loc[2])]) if int(loc[2]) < len(rows) else loc[2]
    name = ".".join(loc) or "rules"
    if len(loc) == 1:
        for words, target in _SECTION_RULES:
            if words in detail["msg"] and target.startswith(loc[0]):
                return target
    return name


def _message(detail: ErrorDetails) -> FieldError:
    kind, context = detail["type"], dict(detail.get("ctx") or {})
    if kind in _TYPES:
        return FieldError(_TYPES[kind], {k: str(v) for k, v in context.items()})
    for words, key in _VALUE_ERRORS:
        if words in detail["msg"]:
            return FieldError(key)
    return FieldError("err_invalid", {"message": detail["msg"]})


def _flat(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _get(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        document = document.setdefault(part, {})
    document[last] = value


def _text(value: Any) -> str:
    return "" if value is None else str(value)
