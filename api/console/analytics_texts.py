"""The words of the console's analytics page, in Russian and English. The page reads them
through its own ``at()`` (the shared ``texts`` module is at its size limit); a test keeps
both languages' keys equal."""

from __future__ import annotations

from collections.abc import Callable

ANALYTICS_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "an_title": "Аналитика",
        "an_lead": "Работает ли программа: возвращаются ли клиенты, растёт ли средний чек, "
        "сколько баллов списывают и сколько вы им должны.",
        "an_from": "С",
        "an_to": "По",
        "an_goal": "Цель среднего чека",
        "an_point_value": "Стоимость балла",
        "an_show": "Показать",
        "an_bad": "Период или число не понятны (начало позже конца, период длиннее трёх лет "
        "или не число). Показаны последние 30 дней.",
        "an_period": "{first} — {last}, время UTC",
        "an_returns_title": "Возвращаемость",
        "an_returning": "Купили два раза и больше",
        "an_back_30": "Вернулись в течение 30 дней",
        "an_back_60": "Вернулись в течение 60 дней",
        "an_back_90": "Вернулись в течение 90 дней",
        "an_returns_note": "Покупателей за период: {buyers}, из них впервые: {first}.",
        "an_checks_title": "Средний чек",
        "an_average_check": "Средний чек",
        "an_goal_line": "Цель: {goal}",
        "an_goal_reached": "Цель достигнута.",
        "an_goal_missed": "До цели не хватает {gap} {currency}.",
        "an_checks_note": "Покупок: {purchases}, покупателей: {buyers}, выручка: {revenue} "
        "{currency}, покупок на покупателя: {frequency}.",
        "an_points_title": "Баллы",
        "an_points_issued": "Начислено",
        "an_points_redeemed": "Списано",
        "an_points_expired": "Сгорело",
        "an_points_outstanding": "На счетах сейчас",
        "an_points_note": "Доля списанных: {rate}. Обязательства: {points} баллов = {value} "
        "{currency} (балл = {point_value}).",
        "an_stores_title": "Вступили по магазинам",
        "an_without_store": "Без магазина (ссылка, API)",
        "an_stores_note": "Всего вступили за период: {total}.",
        "an_staff_title": "Покупки через сканер по сотрудникам",
        "an_staff": "Сотрудник",
        "an_purchases": "Покупки",
        "an_members": "Клиенты",
        "an_first_purchases": "Первые покупки",
        "an_no_staff": "Сканером за период не пользовались.",
        "an_cohorts_title": "Удержание по месяцу вступления",
        "an_cohorts_lead": "Доля вступивших в месяце, кто покупал через 0, 1, 2… месяца.",
        "an_cohort": "Месяц",
        "an_joined": "Вступили",
        "an_month_n": "+{n}",
        "an_no_cohorts": "За период никто не вступил.",
        "an_csv": "Скачать CSV",
        "an_csv_all": "все показатели",
        "an_m_checks": "чеки",
        "an_m_returns": "возвращаемость",
        "an_m_points": "баллы",
        "an_m_stores": "магазины",
        "an_m_staff": "сотрудники",
        "an_m_cohorts": "когорты",
    },
    "en": {
        "an_title": "Analytics",
        "an_lead": "Is the program working: do customers come back, does the average check "
        "grow, how many points are redeemed and how much you owe in points.",
        "an_from": "From",
        "an_to": "To",
        "an_goal": "Average check goal",
        "an_point_value": "Value of a point",
        "an_show": "Show",
        "an_bad": "The period or a number could not be read (start after end, longer than "
        "three years, or not a number). Showing the last 30 days.",
        "an_period": "{first} to {last}, UTC",
        "an_returns_title": "Return rate",
        "an_returning": "Bought twice or more",
        "an_back_30": "Came back within 30 days",
        "an_back_60": "Came back within 60 days",
        "an_back_90": "Came back within 90 days",
        "an_returns_note": "Buyers in the period: {buyers}, first-time: {first}.",
        "an_checks_title": "Average check",
        "an_average_check": "Average check",
        "an_goal_line": "Goal: {goal}",
        "an_goal_reached": "Goal reached.",
        "an_goal_missed": "{gap} {currency} short of the goal.",
        "an_checks_note": "Purchases: {purchases}, buyers: {buyers}, revenue: {revenue} "
        "{currency}, purchases per buyer: {frequency}.",
        "an_points_title": "Points",
        "an_points_issued": "Issued",
        "an_points_redeemed": "Redeemed",
        "an_points_expired": "Expired",
        "an_points_outstanding": "Held now",
        "an_points_note": "Redemption rate: {rate}. Liability: {points} points = {value} "
        "{currency} (a point = {point_value}).",
        "an_stores_title": "Enrolments by store",
        "an_without_store": "No store (link, API)",
        "an_stores_note": "Joined in the period: {total}.",
        "an_staff_title": "Scanner purchases by staff",
        "an_staff": "Staff",
        "an_purchases": "Purchases",
        "an_members": "Customers",
        "an_first_purchases": "First purchases",
        "an_no_staff": "The scanner was not used in the period.",
        "an_cohorts_title": "Retention by month joined",
        "an_cohorts_lead": "The share of each month's new members who bought 0, 1, 2... months "
        "later.",
        "an_cohort": "Month",
        "an_joined": "Joined",
        "an_month_n": "+{n}",
        "an_no_cohorts": "Nobody joined in the period.",
        "an_csv": "Download CSV",
        "an_csv_all": "every metric",
        "an_m_checks": "checks",
        "an_m_returns": "return rate",
        "an_m_points": "points",
        "an_m_stores": "stores",
        "an_m_staff": "staff",
        "an_m_cohorts": "cohorts",
    },
}


def analytics_translator(locale: str) -> Callable[..., str]:
    """``at(key, **values)``: the analytics text ``key`` in ``locale``, placeholders filled."""
    texts = ANALYTICS_TEXTS[locale]

    def at(key: str, **values: object) -> str:
        return texts[key].format(**values) if values else texts[key]

    return at
