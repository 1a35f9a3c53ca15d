"""The console's words for a program's rules and a member's ledger, and the scanner's and join
page's words for coupons and promo codes, in Russian and English (merged into
``texts.TEXTS``)."""

from __future__ import annotations

MECHANICS_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
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
        "scan_promo": "Промокод",
        "scan_promo_redeem": "Применить промокод",
        "scan_promo_points": "Промокод {code}: начислено {points} баллов.",
        "scan_promo_coupon": "Промокод {code}: выдан купон {coupon}.",
        "scan_promo_discount": "Промокод {code}: скидка {percent}% на следующую покупку.",
        "scan_promo_again": "Этот промокод уже был применён к карте.",
        "scan_promo_pending": "Скидка по промокоду",
        "join_promo": "Промокод {code} будет применён к новой карте.",
    },
    "en": {
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
        "scan_promo": "Promo code",
        "scan_promo_redeem": "Apply the promo code",
        "scan_promo_points": "Promo code {code}: {points} points added.",
        "scan_promo_coupon": "Promo code {code}: coupon {coupon} issued.",
        "scan_promo_discount": "Promo code {code}: {percent}% off the next purchase.",
        "scan_promo_again": "This promo code was applied to the card before.",
        "scan_promo_pending": "Promo discount",
        "join_promo": "Promo code {code} will be applied to the new card.",
    },
}
