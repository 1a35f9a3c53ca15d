"""The words of the card page's feedback form (a rating of the latest purchase), in Russian
and English (merged into ``texts.TEXTS``)."""

from __future__ import annotations

FEEDBACK_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "feedback_title": "Как вам покупка?",
        "feedback_lead": "Оцените покупку от {date} на {amount} {currency}.",
        "feedback_points": "За отзыв — {points} баллов.",
        "feedback_rating": "Оценка",
        "feedback_star": "{count} из 5",
        "feedback_comment": "Комментарий (по желанию)",
        "feedback_send": "Отправить",
        "feedback_thanks": "Спасибо за отзыв!",
        "feedback_taken": "Эту покупку уже оценили.",
        "feedback_invalid": "Выберите оценку от 1 до 5.",
    },
    "en": {
        "feedback_title": "How was your purchase?",
        "feedback_lead": "Rate your purchase of {amount} {currency} on {date}.",
        "feedback_points": "Your feedback earns {points} points.",
        "feedback_rating": "Rating",
        "feedback_star": "{count} of 5",
        "feedback_comment": "Comment (optional)",
        "feedback_send": "Send",
        "feedback_thanks": "Thank you for your feedback!",
        "feedback_taken": "This purchase has been rated already.",
        "feedback_invalid": "Choose a rating from 1 to 5.",
    },
}
