"""Design rules beyond the shape of design.toml: how many fields a store card shows, what the
barcode carries, and how long each text may be so both wallets show it whole.

:func:`check_field_counts` and :func:`read_barcode_prefix` run when a design loads.
:func:`check_limits` runs when a merchant saves or publishes a design (designs already stored
keep loading as they are): Apple and Google mostly cut long texts with an ellipsis rather than
refuse them, so each limit below is the length that stays visible, with where it comes from.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from passes.errors import DesignError

if TYPE_CHECKING:
    from passes.design import CardDesign, FieldSpec

Fail = Callable[[str, str], NoReturn]

SQUARE_BARCODES = frozenset({"qr", "aztec"})
MAX_HEADER_FIELDS = 3
MAX_SECONDARY_PLUS_AUXILIARY = 4
MAX_BACK_FIELDS = 20
#: What a barcode may carry. Only the card number: a barcode is read by any camera pointed at
#: the phone (or at a screenshot), so it must never carry the member's phone or name.
BARCODE_VALUES = ("card_number",)
_MEMBER_DATA = frozenset({"phone", "member_phone", "email", "member_email", "member_name"})
# Letters only: card numbers are digits, so a scanner tells the prefix from the number (and
# every barcode format, Code 128 included, encodes A-Z).
_PREFIX_RE = re.compile(r"^[A-Z]{1,8}$")


@dataclass(frozen=True, slots=True)
class Limit:
    length: int
    why: str


# Google's LoyaltyClass reference: "the app may display an ellipsis after the first 20
# characters" (programName); issuerName is recommended at 20 as well.
ISSUER = Limit(20, "Google Wallet cuts the issuer name after 20 characters")
PROGRAM = Limit(20, "Google Wallet cuts the program name after 20 characters")
# Apple draws logoText beside the logo, in the row of the header fields, and cuts it with an
# ellipsis: with a square logo and one header field about 20 characters fit on a 375 pt phone.
LOGO_TEXT = Limit(20, "Apple Wallet cuts the logo text beside the logo after about 20")
# Google's loyaltyPoints.label: "recommended maximum length is 9 characters".
PRIMARY_LABEL = Limit(9, "Google Wallet shows at most 9 characters of the balance label")
# Apple's header fields share the logo's row; secondary and auxiliary fields share the card's
# width (up to four in a row on a store card with a square barcode). Labels are cut, not wrapped.
HEADER_LABEL = Limit(12, "Apple Wallet fits about 12 characters in a header field label")
FRONT_LABEL = Limit(16, "Apple Wallet fits about 16 characters in a front field label")
FRONT_TEXT = Limit(20, "Apple Wallet shows front field values on one line")
# Google's text module: header 35 characters (its body's 500 is checked on load, as are the
# lock-screen text's 100 and the description's 200).
BACK_LABEL = Limit(35, "Google Wallet's text module header holds 35 characters")


def check_field_counts(
    fail: Fail, groups: Mapping[str, tuple[FieldSpec, ...]], *, barcode: str, primary: str
) -> None:
    """Apple's field counts on a store card, and every field key used once."""
    if len(groups["header"]) > MAX_HEADER_FIELDS:
        fail("fields.header", f"at most {MAX_HEADER_FIELDS} header fields")
    side = len(groups["secondary"]) + len(groups["auxiliary"])
    if barcode in SQUARE_BARCODES and side > MAX_SECONDARY_PLUS_AUXILIARY:
        fail(
            "fields.secondary",
            f"a store card with a square barcode shows at most {MAX_SECONDARY_PLUS_AUXILIARY} "
            f"secondary and auxiliary fields together (found {side})",
        )
    for group in ("secondary", "auxiliary"):
        if len(groups[group]) > MAX_SECONDARY_PLUS_AUXILIARY:
            fail(f"fields.{group}", f"at most {MAX_SECONDARY_PLUS_AUXILIARY} fields")
    if len(groups["back"]) > MAX_BACK_FIELDS:
        fail("fields.back", f"at most {MAX_BACK_FIELDS} back fields (contacts included)")
    seen: set[str] = {primary}
    for group, specs in groups.items():
        for spec in specs:
            if spec.key in seen:
                fail(f"fields.{group}", f"duplicate field key {spec.key!r}")
            seen.add(spec.key)


def read_barcode_prefix(card: Mapping[str, Any], fail: Fail) -> str:
    """What the barcode carries: ``card.barcode_value`` (the card number, the default) and
    ``card.barcode_prefix`` (letters before it, so a till tells the card from a product)."""
    value = card.get("barcode_value", "card_number")
    if not isinstance(value, str):
        fail("card.barcode_value", f"must be one of {', '.join(BARCODE_VALUES)}")
    if value in _MEMBER_DATA:
        fail(
            "card.barcode_value",
            "a barcode must not carry the member's own data: anyone with a camera can read "
            "it from the phone or a screenshot; it carries the card number",
        )
    if value not in BARCODE_VALUES:
        fail("card.barcode_value", f"must be one of {', '.join(BARCODE_VALUES)} (got {value!r})")
    prefix = card.get("barcode_prefix", "")
    if prefix != "" and not (isinstance(prefix, str) and _PREFIX_RE.match(prefix)):
        fail("card.barcode_prefix", "must be 1 to 8 capital letters A-Z (the number is digits)")
    return str(prefix)


def template_names(template: str) -> set[str]:
    """The names a field's value template shows. A stray brace, ``{}`` or a format
    (``{points:d}``) comes back as a name no card has: it would fail when a pass is rendered,
    so the design is refused for it."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return {"a stray { or } (write {{ or }} for the character)"}
    names: set[str] = set()
    for _, name, spec, conversion in parsed:
        if name is not None:
            names.add(f"{{{name}:{spec}}}" if spec or conversion else name or "{}")
    return names


def check_limits(design: CardDesign) -> None:
    """Every text of ``design``, in every language, within the length both wallets show.

    Raises:
        DesignError: ``key`` names the text (``program.name``, ``fields.secondary[0].label``,
            ``contacts.hours.label``, ``translations.ru.program.name``).
    """
    for text_id, key, default, limit in _texts(design):
        translated = design.translations.get(text_id, {})
        texts = [(key, default), *((f"translations.{lang}.{text_id}", t) for lang, t in
                                   sorted(translated.items()))]  # fmt: skip
        for where, text in texts:
            length = len(_literal(text) if text_id.startswith("fields.") else text)
            if length > limit.length:
                raise DesignError(
                    f"design {design.name}",
                    where,
                    f"at most {limit.length} characters (has {length}): {limit.why}",
                )


def _texts(design: CardDesign) -> Iterator[tuple[str, str, str, Limit]]:
    """(text id, where the default text is, the default text, its limit)."""
    yield "program.organization", "program.organization", design.organization_name, ISSUER
    yield "program.name", "program.name", design.program_name, PROGRAM
    if design.logo_text:
        yield "program.logo_text", "program.logo_text", design.logo_text, LOGO_TEXT
    yield "card.primary_label", "card.primary_label", design.primary_label, PRIMARY_LABEL
    limits = {
        "header": (HEADER_LABEL, FRONT_TEXT),
        "secondary": (FRONT_LABEL, FRONT_TEXT),
        "auxiliary": (FRONT_LABEL, FRONT_TEXT),
        "back": (BACK_LABEL, None),
    }
    for group, (label_limit, value_limit) in limits.items():
        index = 0
        for spec in getattr(design, f"{group}_fields"):
            if spec.contact:
                where = f"contacts.{spec.contact}"
            else:
                where, index = f"fields.{group}[{index}]", index + 1
            if spec.label:
                yield f"fields.{spec.key}.label", f"{where}.label", spec.label, label_limit
            if value_limit is not None:
                yield f"fields.{spec.key}.value", f"{where}.value", spec.value, value_limit


def _literal(template: str) -> str:
    """A field's own text: its value template without the values the card fills in."""
    try:
        return "".join(text for text, _, _, _ in string.Formatter().parse(template))
    except ValueError:
        return template
