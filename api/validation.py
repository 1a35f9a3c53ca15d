"""The base class of every request body, and the value types that are checked at the edge.

Text that PostgreSQL cannot store is refused: PostgreSQL text columns reject the NUL
character, and SQLite would store it and later hand it to a wallet. No field of ours has a use
for it, so any string anywhere in a body that contains one is a 422 before a route runs. URLs
are checked by :class:`api.limits.RequestLimits`.

Numbers written as text must be plain ASCII decimals. Python's ``int``, ``float`` and
``Decimal`` (and so pydantic) also read other scripts' digits (``"١٢٣"`` is 123), full-width
digits and underscores (``"1_000"``); no till means those, and a receipt printed from them
would not show what was charged. The rule holds for every number field of every request body.

Checks that hold only for what a client sends now (a currency still in ISO 4217, a birthday
before today) are skipped for documents we stored earlier and read back, validated with
``context=STORED``: a program saved with a currency that has since been withdrawn must still
load, and is corrected when its rules are next replaced.
"""

from __future__ import annotations

import functools
import re
import types
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Union, get_args, get_origin

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

STORED: dict[str, Any] = {"stored": True}

# Every active ISO 4217 code (pycountry ships the list Debian's iso-codes keeps up to date).
ISO_4217: frozenset[str] = frozenset(currency.alpha_3 for currency in pycountry.currencies)

EARLIEST_BIRTHDAY = date(1900, 1, 1)

_ASCII_NUMBER = re.compile(r" *[+-]?[0-9]+(?:\.[0-9]+)? *")
_NUMBER_TYPES = (int, float, Decimal)
_NOT_ASCII = PydanticCustomError(
    "ascii_number",
    "write the number with the ASCII digits 0-9 and an optional '.' decimal point (no other "
    "digits, underscores, exponents or thousands separators)",
)


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def is_stored(info: ValidationInfo) -> bool:
    """Whether this is a document we stored earlier (validated with ``context=STORED``)."""
    return isinstance(info.context, dict) and bool(info.context.get("stored"))


def _is_number(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _is_number(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_number(arg) for arg in get_args(annotation))
    return (
        isinstance(annotation, type)
        and issubclass(annotation, _NUMBER_TYPES)
        and not issubclass(annotation, bool)
    )


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if contains_nul(data):
            raise ValueError("text must not contain NUL (U+0000) characters")
        return data

    @model_validator(mode="before")
    @classmethod
    def _ascii_numbers(cls, data: Any, info: ValidationInfo) -> Any:
        # A model validator, not a field one: pydantic allows no "before" field validator on
        # a union's discriminator field (``kind``). Raising a ValidationError here keeps each
        # error at its field (``body.purchase.amount``). A stored document is ours: a large
        # Decimal was saved as "3.6E+16" and must read back.
        if not isinstance(data, dict) or is_stored(info):
            return data
        errors = [
            InitErrorDetails(type=_NOT_ASCII, loc=(name,), input=data[name])
            for name in sorted(_number_fields(cls))
            if isinstance(data.get(name), str) and not _ASCII_NUMBER.fullmatch(data[name])
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


@functools.cache
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name for name, field in model.model_fields.items() if _is_number(field.annotation)
    )


def _iso_4217(value: str, info: ValidationInfo) -> str:
    if value not in ISO_4217 and not is_stored(info):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. RUB, EUR, USD)")
    return value


CurrencyCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="An ISO 4217 currency code", examples=["RUB"]),
    AfterValidator(_iso_4217),
]


def latest_today() -> date:
    """Today's date where it is latest (UTC+14): a date a client calls today is never later."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def _plausible_birthday(value: date, info: ValidationInfo) -> date:
    if not EARLIEST_BIRTHDAY <= value <= latest_today() and not is_stored(info):
        raise ValueError(f"a birthday must be between {EARLIEST_BIRTHDAY} and today")
    return value


Birthday = Annotated[date, AfterValidator(_plausible_birthday)]
