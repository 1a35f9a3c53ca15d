"""The console's words for a program's rules and a member's ledger, in Russian and English
(merged into ``texts.TEXTS``)."""

from __future__ import annotations

from api.pages.rules_editor_texts import RULES_EDITOR_TEXTS

MECHANICS_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        **RULES_EDITOR_TEXTS["ru"],
        "rules_confirm": "Я понимаю: смена валюты или способа начисления штампов меняет смысл "
        "баллов и штампов, которые уже есть у участников",
        "rules_version": "Версия правил",
        "balance_after": "Остаток после",
        "discount": "Скидка",
        "scan_coupons": "Купоны участника",
        "scan_coupon_code": "Код купона",
        "scan_coupon_state": "Состояние",
        "scan_coupon_use": "Погасить купон",
        "scan_coupon_used_now": "Купон погашен: выдайте «{reward}»",
        "scan_coupon_was_used": "погашен {date}",
        "scan_coupon_expired": "истёк {date}",
        "scan_card_or_coupon": "Номер карты или код купона",
    },
    "en": {
        **RULES_EDITOR_TEXTS["en"],
        "rules_confirm": "I understand: changing the currency or how stamps are earned changes "
        "what the points and stamps members already hold mean",
        "rules_version": "Rules version",
        "balance_after": "Balance after",
        "discount": "Discount",
        "scan_coupons": "The member's coupons",
        "scan_coupon_code": "Coupon code",
        "scan_coupon_state": "State",
        "scan_coupon_use": "Use the coupon",
        "scan_coupon_used_now": "Coupon used: hand over \u201c{reward}\u201d",
        "scan_coupon_was_used": "used on {date}",
        "scan_coupon_expired": "expired on {date}",
        "scan_card_or_coupon": "Card number or coupon code",
    },
}
