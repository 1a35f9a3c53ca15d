"""SMS part counting per 3GPP TS 23.038 / 23.040, and the cost estimate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.messaging.sms_encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    estimate,
    estimate_cost,
    sms_length,
)

gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=1200)
basic_text = st.text(alphabet=sorted(GSM7_BASIC), max_size=1200)
cyrillic = st.builds(
    str.__add__, st.sampled_from("жЯ"), st.text(alphabet="абвгдеёжзий klm,.", max_size=700)
)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # 160 septets
        ("€" * 81, "GSM-7", 2),
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 2),  # the escape pair is not split
        ("a" * 152 + "{" + "a" * 152, "GSM-7", 3),
        ("ж" * 70, "UCS-2", 1),
        ("ж" * 71, "UCS-2", 2),
        ("ж" * 134, "UCS-2", 2),
        ("ж" * 135, "UCS-2", 3),
        ("Hello ж", "UCS-2", 1),  # one Cyrillic letter makes the whole text UCS-2
        ("😀" * 35, "UCS-2", 1),  # surrogate pairs: two units each
        ("a" * 66 + "😀" + "a" * 10, "UCS-2", 2),
        ("`", "UCS-2", 1),  # the backtick is not in the GSM alphabet
    ],
)
def test_known_lengths(text: str, encoding: str, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


@given(basic_text)
def test_basic_alphabet_is_one_septet_each(text: str) -> None:
    length = sms_length(text)
    assert length.encoding == "GSM-7"
    assert length.units == len(text)
    expected = 0 if not text else 1 if len(text) <= 160 else -(-len(text) // 153)
    assert length.segments == expected


@given(gsm_text)
def test_gsm_parts_hold_the_whole_text(text: str) -> None:
    length = sms_length(text)
    septets = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    assert length.units == septets
    if septets > 160:
        assert length.segments * 153 >= septets
        assert (length.segments - 1) * 153 < septets + length.segments  # at most a septet lost
    else:
        assert length.segments == (1 if text else 0)


@given(cyrillic)
def test_cyrillic_is_ucs2(text: str) -> None:
    length = sms_length(text)
    assert length.encoding == "UCS-2"
    expected = 1 if len(text) <= 70 else -(-len(text) // 67)
    assert length.segments == expected


@given(st.text(max_size=500), st.text(max_size=500))
def test_more_text_never_needs_fewer_parts(head: str, tail: str) -> None:
    whole, part = sms_length(head + tail), sms_length(head)
    if whole.encoding == part.encoding:
        assert whole.segments >= part.segments


def test_cost_is_segments_times_price() -> None:
    assert estimate_cost(sms_length("ж" * 71).segments, Decimal("3.50")) == Decimal("7.00")
    assert estimate_cost(0, Decimal("3.50")) == Decimal("0")


def test_campaign_estimate() -> None:
    found = estimate("Скидка 20% на всё в пятницу! " * 3, 1000, Decimal("4.20"))
    assert found.length.encoding == "UCS-2"
    assert found.length.segments == 2
    assert (found.segments, found.cost) == (2000, Decimal("8400.00"))
