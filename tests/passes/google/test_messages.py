"""Google Wallet object messages: Google's camelCase shape, built from snake_case values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from passes import object_message

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


class TestObjectMessage:
    def test_shape(self) -> None:
        body = object_message(message_id="lp-7", header="Florist", body="Hello",
                              start=START, lifetime=timedelta(days=7))  # fmt: skip
        assert body == {
            "id": "lp-7",
            "header": "Florist",
            "body": "Hello",
            "messageType": "TEXT",
            "displayInterval": {
                "start": {"date": "2026-03-01T09:30:00Z"},
                "end": {"date": "2026-03-08T09:30:00Z"},
            },
        }

    def test_notify_and_long_body(self) -> None:
        body = object_message(message_id="lp-1", header="h", body="x" * 600, start=START,
                              lifetime=timedelta(days=1), notify=True)  # fmt: skip
        assert body["messageType"] == "TEXT_AND_NOTIFY"
        assert len(body["body"]) == 500
