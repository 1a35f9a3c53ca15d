"""Values the service fills, in the design's languages: tier names translated once in the
design (``tiers.<name>``) or on the card, and the message as its campaign translated it."""

from __future__ import annotations

import dataclasses

import pytest

from passes import CardDesign, DesignError, LoyaltyCard, check_translations
from passes.localization import card_values_by_language, tier_text


@pytest.fixture
def tiered(florist: CardDesign) -> CardDesign:
    checked = check_translations(florist, {"ru": {"tiers.Gold": "Золото", **_russian(florist)}})
    return dataclasses.replace(florist, translations=checked)


def _russian(design: CardDesign) -> dict[str, str]:
    return {text_id: texts["ru"] for text_id, texts in design.translations.items()}


class TestTierNames:
    def test_the_design_translates_a_tier_name(self, tiered: CardDesign) -> None:
        card = LoyaltyCard("1", "A", "1", tier="Gold")
        assert tier_text(card, tiered) == {"en-US": "Gold", "ru": "Золото"}
        values = card_values_by_language(card, tiered, {"tier": "Gold"})
        assert (values["en-US"]["tier"], values["ru"]["tier"]) == ("Gold", "Золото")

    def test_the_cards_own_translation_wins_and_other_tiers_stay_as_named(
        self, tiered: CardDesign
    ) -> None:
        own = LoyaltyCard("1", "A", "1", tier="Gold", translations={"tier": {"ru": "Злато"}})
        assert tier_text(own, tiered)["ru"] == "Злато"
        silver = LoyaltyCard("1", "A", "1", tier="Silver")
        assert tier_text(silver, tiered) == {"en-US": "Silver", "ru": "Silver"}

    @pytest.mark.parametrize(
        ("texts", "key", "message"),
        [
            ({"tiers.Gold": "З" * 41}, "translations.ru.tiers.Gold", "at most 40"),
            ({"tiers.Gold": " "}, "translations.ru.tiers.Gold", "non-empty"),
            ({"tiers.": "x"}, "translations.ru.tiers.", "unknown text"),
        ],
    )
    def test_bad_tier_names_are_refused_by_key(
        self, florist: CardDesign, texts: dict[str, str], key: str, message: str
    ) -> None:
        with pytest.raises(DesignError, match=message) as info:
            check_translations(florist, {"ru": texts})
        assert info.value.key == key


def test_the_message_shows_in_each_language(florist: CardDesign) -> None:
    card = LoyaltyCard("1", "A", "1", message="Tulips are here",
                       translations={"message": {"ru": "Тюльпаны приехали"}})  # fmt: skip
    values = card_values_by_language(card, florist, {"message": "Tulips are here"})
    assert values["ru"]["message"] == "Тюльпаны приехали"
    assert values["en-US"]["message"] == "Tulips are here"
