"""The words of the console's status page (``/console/status``), in Russian and English
(merged into ``texts.TEXTS``)."""

from __future__ import annotations

STATUS_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "nav_status": "Состояние",
        "status_title": "Состояние сервиса",
        "status_lead": "Сертификаты, доставка в кошельки и очередь изменений карт.",
        "status_editors_only": "Эта страница — для владельцев и менеджеров.",
        "status_ok": "Всё работает.",
        "status_warnings": "Требует внимания",
        "status_cert_expiring": "Сертификат {which} истекает {date} (осталось дней: {days}). "
        "Продлите его, иначе карты перестанут обновляться.",
        "status_cert_expired": "Сертификат {which} истёк {date}: карты не обновляются.",
        "status_cert_unreadable": "Сертификат {which} не читается: {error}.",
        "status_certificates": "Сертификаты",
        "status_which": "Сертификат",
        "status_expires": "Истекает",
        "status_days_left": "Дней",
        "status_channels": "Доставка",
        "status_channel": "Канал",
        "status_state": "Состояние",
        "status_last_ok": "Последняя доставка",
        "status_last_failure": "Последняя ошибка",
        "status_apns": "Apple Push (APNs)",
        "status_apns_off": "выключен",
        "status_google_token": "Ключ Google Wallet",
        "status_lag": "Очередь изменений (секунд до самого старого)",
        "status_pending": "Ожидают отправки / не доставлены",
    },
    "en": {
        "nav_status": "Status",
        "status_title": "Service status",
        "status_lead": "Certificates, wallet delivery and the queue of card changes.",
        "status_editors_only": "This page is for owners and managers.",
        "status_ok": "Everything works.",
        "status_warnings": "Needs attention",
        "status_cert_expiring": "The {which} certificate expires on {date} ({days} days left). "
        "Renew it, or cards stop updating.",
        "status_cert_expired": "The {which} certificate expired on {date}: cards do not update.",
        "status_cert_unreadable": "The {which} certificate cannot be read: {error}.",
        "status_certificates": "Certificates",
        "status_which": "Certificate",
        "status_expires": "Expires",
        "status_days_left": "Days left",
        "status_channels": "Delivery",
        "status_channel": "Channel",
        "status_state": "State",
        "status_last_ok": "Last delivery",
        "status_last_failure": "Last failure",
        "status_apns": "Apple Push (APNs)",
        "status_apns_off": "off",
        "status_google_token": "Google Wallet key",
        "status_lag": "Card changes queue (seconds to the oldest)",
        "status_pending": "Pending / undelivered",
    },
}
