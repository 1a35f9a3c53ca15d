"""How many SMS parts a text takes, per 3GPP TS 23.038 (the GSM 7-bit default alphabet and its
extension table) and TS 23.040 (concatenation).

A text made only of the GSM-7 default alphabet is sent 7-bit: 160 septets fit one SMS; a
longer text is split into parts of 153 septets (the user-data header takes 7). Characters of
the extension table (``^{}\\[~]|€`` and form feed) take two septets (escape + character) and
are never split across parts. Any other character (Cyrillic, emoji) makes the whole text UCS-2:
70 UTF-16 code units in one SMS, 67 per part, and a surrogate pair is never split.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True, slots=True)
class SmsLength:
    """``units``: septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def sms_length(text: str) -> SmsLength:
    """The encoding and number of parts of ``text`` (an empty text takes none)."""
    if is_gsm7(text):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return SmsLength("GSM-7", sum(sizes), _parts(sizes, GSM7_SINGLE, GSM7_PART))
    sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SmsLength("UCS-2", sum(sizes), _parts(sizes, UCS2_SINGLE, UCS2_PART))


def _parts(sizes: list[int], single: int, part: int) -> int:
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:  # a character that does not fit whole starts the next part
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


def estimate_cost(segments: int, price_per_segment: Decimal) -> Decimal:
    """What ``segments`` SMS parts cost at ``price_per_segment`` (providers bill per part)."""
    return price_per_segment * segments


@dataclass(frozen=True, slots=True)
class SmsEstimate:
    """What a text sent to ``recipients`` members takes and costs, before it is sent."""

    length: SmsLength
    recipients: int
    segments: int
    cost: Decimal


def estimate(text: str, recipients: int, price_per_segment: Decimal) -> SmsEstimate:
    """Parts per message and in all, and the cost (``LOYALPASS_SMS_SEGMENT_PRICE`` each)."""
    length = sms_length(text)
    segments = length.segments * recipients
    return SmsEstimate(length, recipients, segments, estimate_cost(segments, price_per_segment))
