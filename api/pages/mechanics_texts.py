"""The console's words for a program's rules and a member's ledger, in Russian and English
(merged into ``texts.TEXTS``)."""

from __future__ import annotations

MECHANICS_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "rules_confirm": "Я понимаю: смена валюты или способа начисления штампов меняет смысл "
        "баллов и штампов, которые уже есть у участников",
        "rules_version": "Версия правил",
        "balance_after": "Остаток после",
        "discount": "Скидка",
    },
    "en": {
        "rules_confirm": "I understand: changing the currency or how stamps are earned changes "
        "what the points and stamps members already hold mean",
        "rules_version": "Rules version",
        "balance_after": "Balance after",
        "discount": "Discount",
    },
}
