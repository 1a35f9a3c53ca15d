"""The example Grafana dashboard (docs/grafana-dashboard.json) graphs only series /metrics
serves: a renamed metric fails here, not on an operator's wall."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import OPERATOR_TOKEN
from tests.support.factories import auth

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "grafana-dashboard.json"
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def test_every_series_in_the_dashboard_is_served(client: TestClient) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    wanted = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"loyalpass_[a-z0-9_]+", target["expr"])
    }
    client.get("/healthz")  # at least one request and its histogram
    text = client.get("/metrics", headers=auth(OPERATOR_TOKEN)).text
    served = {line.split(" ")[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    names = served | {name + suffix for name in served for suffix in SUFFIXES}
    assert wanted - names == set()
    assert len(wanted) >= 15
