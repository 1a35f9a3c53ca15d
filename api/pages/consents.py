"""The words of the optional marketing consents the join page asks for, per channel, and of
the console's consent table, in Russian and English (merged into ``texts.TEXTS``).

Advertising by email or SMS needs the member's prior, explicit consent (Russia's 38-FZ,
article 18; GDPR): each channel has its own box, unticked until the visitor ticks it, and no
box is needed to get the card. Each consent stored names ``MARKETING_CONSENT_VERSION``, so the
exact words agreed to can be shown later: change the words, change the version.
"""

from __future__ import annotations

MARKETING_CONSENT_VERSION = "2026-12-marketing-1"

MARKETING_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "marketing_title": "Новости и предложения — по желанию",
        "marketing_email": "Да, присылайте мне рекламные сообщения {program} по эл. почте.",
        "marketing_sms": "Да, присылайте мне рекламные сообщения {program} по SMS.",
        "marketing_note": "Карту выпустим и без этого. Отписаться можно в любой момент: по "
        "ссылке в письме или ответом СТОП на SMS.",
        "marketing_consents": "Согласие на рекламу",
        "consent_channel": "Канал",
        "consent_state": "Согласие",
        "consent_source": "Откуда (версия текста)",
        "consent_granted": "дано",
        "consent_withdrawn": "отозвано",
        "consent_none": "не давалось",
    },
    "en": {
        "marketing_title": "News and offers (optional)",
        "marketing_email": "Yes, send me promotional messages from {program} by email.",
        "marketing_sms": "Yes, send me promotional messages from {program} by SMS.",
        "marketing_note": "You get the card either way. You can unsubscribe at any time: by "
        "the link in any email, or by replying STOP to a text.",
        "marketing_consents": "Consent to marketing",
        "consent_channel": "Channel",
        "consent_state": "Consent",
        "consent_source": "Source (text version)",
        "consent_granted": "given",
        "consent_withdrawn": "withdrawn",
        "consent_none": "never given",
    },
}
