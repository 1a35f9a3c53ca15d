"""Errors of the operator's endpoints."""

from __future__ import annotations

from api.errors import NotFound


class MetricsOff(NotFound):
    """``/metrics`` was asked for while ``LOYALPASS_METRICS_TOKEN`` is unset: not served."""

    code, title = "metrics_off", "Metrics are off (LOYALPASS_METRICS_TOKEN is not set)"
