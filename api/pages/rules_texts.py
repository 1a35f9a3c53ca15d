"""The console's words for editing a program's rules, in Russian and English (merged into
``texts.TEXTS``)."""

from __future__ import annotations

RULES_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "rules_confirm": "Я понимаю: смена валюты или способа начисления штампов меняет смысл "
        "баллов и штампов, которые уже есть у участников",
        "rules_version": "Версия правил",
    },
    "en": {
        "rules_confirm": "I understand: changing the currency or how stamps are earned changes "
        "what the points and stamps members already hold mean",
        "rules_version": "Rules version",
    },
}
