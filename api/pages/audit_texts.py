"""The words of the console's audit log page, in Russian and English (merged into
``texts.TEXTS``)."""

from __future__ import annotations

AUDIT_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "nav_audit": "Журнал",
        "audit_title": "Журнал изменений",
        "audit_lead": "Кто, когда и откуда что изменил: правила, дизайн, награды, промокоды, "
        "точки, сотрудники, ключи, рассылки, корректировки, удаление данных клиентов.",
        "audit_when": "Когда",
        "audit_who": "Кто",
        "audit_where": "Откуда",
        "audit_action": "Действие",
        "audit_object": "Объект",
        "audit_change": "Было → стало",
        "audit_filter": "Действие (например, reward.updated)",
        "audit_show": "Показать",
        "audit_empty": "Записей нет.",
        "audit_more": "Дальше",
        "audit_editors_only": "Журнал видят владельцы и менеджеры.",
    },
    "en": {
        "nav_audit": "Audit log",
        "audit_title": "Audit log",
        "audit_lead": "Who changed what, when and from where: rules, designs, rewards, promo "
        "codes, stores, staff, keys, campaigns, adjustments, erasures.",
        "audit_when": "When",
        "audit_who": "Who",
        "audit_where": "From",
        "audit_action": "Action",
        "audit_object": "Object",
        "audit_change": "Before → after",
        "audit_filter": "Action (e.g. reward.updated)",
        "audit_show": "Show",
        "audit_empty": "No entries.",
        "audit_more": "Next",
        "audit_editors_only": "Owners and managers see the audit log.",
    },
}
