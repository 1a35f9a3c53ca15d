"""Google Wallet object messages (walletobjects v1: ``Message``), as ``addMessage`` and the
``messages`` list of a LoyaltyObject take them.

A message is shown on the card for its ``displayInterval``; ``TEXT_AND_NOTIFY`` also asks for
a notification, which counts against Google's budget of 3 per object per 24 hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from passes.google.objects import localized

MAX_MESSAGE_BODY = 500


def object_message(
    *,
    message_id: str,
    header: str,
    body: str,
    start: datetime,
    lifetime: timedelta,
    notify: bool = False,
    language: str = "en-US",
    translations: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """One message: shown from ``start`` for ``lifetime``; the body is cut to 500 characters.

    ``header`` and ``body`` are in ``language`` (the design's); ``translations`` gives them in
    other languages (language -> (header, body)), sent as ``localizedHeader``/``localizedBody``.
    """
    message: dict[str, Any] = {
        "id": message_id,
        "header": header,
        "body": body[:MAX_MESSAGE_BODY],
        "messageType": "TEXT_AND_NOTIFY" if notify else "TEXT",
        "displayInterval": {
            "start": {"date": _rfc3339(start)},
            "end": {"date": _rfc3339(start + lifetime)},
        },
    }
    others = translations or {}
    headers = {language: header} | {lang: texts[0] for lang, texts in others.items()}
    bodies = {language: body} | {lang: texts[1] for lang, texts in others.items()}
    localized_header = localized(headers, language)
    if localized_header is not None:
        message["localizedHeader"] = localized_header
    localized_body = localized({lang: text[:MAX_MESSAGE_BODY] for lang, text in bodies.items()},
                               language)  # fmt: skip
    if localized_body is not None:
        message["localizedBody"] = localized_body
    return message


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
