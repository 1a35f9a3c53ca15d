"""The words of the staff scanner and of the wheel of fortune, in Russian and English (merged
into ``texts.TEXTS``)."""

from __future__ import annotations

TILL_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "scan_title": "Сканер",
        "scan_signin": "Вход для сотрудников",
        "scan_card": "Номер карты",
        "scan_camera": "Сканировать камерой",
        "scan_find": "Найти",
        "scan_no_camera": "Камера недоступна — введите номер вручную.",
        "scan_photo": "Или сфотографируйте код карты",
        "scan_done": "Готово. Баллы: {points}. Штампы: {stamps}.",
        "scan_coupon": "Купон: {code}",
        "scan_refused": "Отказано: {reason}",
        "wheel_title": "Колесо фортуны",
        "wheel_lead": "За покупку от {amount} — одно вращение.",
        "wheel_spins": "Доступно вращений: {count}",
        "wheel_spin": "Крутить",
        "wheel_odds": "Шансы",
        "wheel_won": "Ваш приз: {prize}",
        "wheel_nothing": "В этот раз без приза. Удачи в следующий раз!",
        "wheel_no_spins": "Совершите покупку, чтобы получить вращение.",
    },
    "en": {
        "scan_title": "Scanner",
        "scan_signin": "Staff sign-in",
        "scan_card": "Card number",
        "scan_camera": "Scan with the camera",
        "scan_find": "Find",
        "scan_no_camera": "No camera here: type the card number.",
        "scan_photo": "Or take a photo of the card's code",
        "scan_done": "Done. Points: {points}. Stamps: {stamps}.",
        "scan_coupon": "Coupon: {code}",
        "scan_refused": "Refused: {reason}",
        "wheel_title": "Wheel of fortune",
        "wheel_lead": "One spin for every purchase of {amount} or more.",
        "wheel_spins": "Spins available: {count}",
        "wheel_spin": "Spin",
        "wheel_odds": "Odds",
        "wheel_won": "You won: {prize}",
        "wheel_nothing": "No prize this time. Good luck next time!",
        "wheel_no_spins": "Make a purchase to earn a spin.",
    },
}
