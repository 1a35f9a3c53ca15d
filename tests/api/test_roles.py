"""Which API key roles may call each ``/api/v1`` route (both databases).

Roles: ``admin`` may do anything; ``pos`` is a till (enrol, transact, use coupons, tag); ``read``
is for reports and the console (sees everything, changes nothing). Every read is open to all
three: the till looks members up, reports and the console read them. Writes at the till need
``pos``; configuration needs ``admin``. The table below is the contract: a route added without
a row fails :func:`test_every_route_has_a_row`, and each row is checked for every role.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.merchants.models import Role
from tests.support.factories import COMPLETE_RULES, auth, new_key, new_merchant

pytestmark = pytest.mark.db

ANY = frozenset(Role)  # reads: a till's lookups, reports, the console
POS = frozenset({Role.admin, Role.pos})  # writes at the till
ADMIN = frozenset({Role.admin})  # configuration: programs, rewards, stores, campaigns, keys
ADMIN_READ = frozenset({Role.admin, Role.read})  # operators' diagnostics, not the till's

OPERATOR = frozenset[Role]()  # the installation's state: the operator's token, no API key

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/operator/status"): OPERATOR,
    ("GET", "/api/v1/programs"): ANY,
    ("POST", "/api/v1/programs"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}"): ANY,
    ("GET", "/api/v1/programs/{program_id}/rules"): ANY,
    ("PUT", "/api/v1/programs/{program_id}/rules"): ADMIN,
    ("PATCH", "/api/v1/programs/{program_id}/rules"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/rules/versions"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/rules/rollback"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/rules/simulate"): ADMIN_READ,
    ("POST", "/api/v1/programs/{program_id}/members"): POS,
    ("GET", "/api/v1/members"): ANY,
    ("GET", "/api/v1/members/by-barcode/{barcode}"): ANY,
    ("GET", "/api/v1/members/{member_id}"): ANY,
    ("GET", "/api/v1/programs/{program_id}/members/by-external-id/{external_id}"): ANY,
    ("POST", "/api/v1/programs/{program_id}/members/by-external-id/{external_id}/transactions"): (
        POS
    ),
    ("POST", "/api/v1/programs/{program_id}/imports"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/imports/{import_id}"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/export/{dataset}.csv"): ADMIN,
    ("PUT", "/api/v1/members/{member_id}/tags"): POS,
    ("POST", "/api/v1/members/{member_id}/transactions"): POS,
    ("GET", "/api/v1/members/{member_id}/transactions"): ANY,
    ("GET", "/api/v1/members/{member_id}/ledger"): ANY,
    ("POST", "/api/v1/transactions/{transaction_id}/refund"): POS,
    ("POST", "/api/v1/programs/{program_id}/rewards"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/rewards"): ANY,
    ("GET", "/api/v1/programs/{program_id}/rewards/{reward_id}"): ANY,
    ("PATCH", "/api/v1/programs/{program_id}/rewards/{reward_id}"): ADMIN,
    ("POST", "/api/v1/coupons/{code}/use"): POS,
    ("POST", "/api/v1/programs/{program_id}/actions"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/actions"): ANY,
    ("GET", "/api/v1/programs/{program_id}/actions/{rule_id}"): ANY,
    ("PATCH", "/api/v1/programs/{program_id}/actions/{rule_id}"): ADMIN,
    ("POST", "/api/v1/members/{member_id}/actions"): POS,
    ("GET", "/api/v1/programs/{program_id}/feedback"): ANY,
    ("POST", "/api/v1/programs/{program_id}/promos"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/promos"): ANY,
    ("GET", "/api/v1/programs/{program_id}/promos/{promo_id}"): ANY,
    ("PATCH", "/api/v1/programs/{program_id}/promos/{promo_id}"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/promos/{promo_id}/codes.csv"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/promos/{promo_id}/redemptions"): ADMIN,
    ("POST", "/api/v1/members/{member_id}/promo"): POS,
    ("GET", "/api/v1/members/{member_id}/discount"): ANY,
    ("GET", "/api/v1/members/{member_id}/coupons"): ANY,
    ("GET", "/api/v1/locations"): ANY,
    ("POST", "/api/v1/locations"): ADMIN,
    ("GET", "/api/v1/locations/{store_id}"): ANY,
    ("PATCH", "/api/v1/locations/{store_id}"): ADMIN,
    ("DELETE", "/api/v1/locations/{store_id}"): ADMIN,
    ("POST", "/api/v1/locations/import"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/audience"): ANY,  # a count; nothing is written
    ("POST", "/api/v1/programs/{program_id}/segments"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/segments"): ANY,
    ("GET", "/api/v1/programs/{program_id}/rfm"): ANY,
    ("GET", "/api/v1/programs/{program_id}/analytics"): ADMIN_READ,
    ("GET", "/api/v1/programs/{program_id}/analytics.csv"): ADMIN_READ,
    ("POST", "/api/v1/programs/{program_id}/campaigns"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/campaigns"): ANY,
    ("POST", "/api/v1/programs/{program_id}/campaigns/preview"): ANY,  # counts; nothing written
    ("GET", "/api/v1/members/{member_id}/messages"): ANY,
    ("GET", "/api/v1/campaigns/{campaign_id}"): ANY,
    ("POST", "/api/v1/campaigns/{campaign_id}/cancel"): ADMIN,
    ("GET", "/api/v1/geo-campaigns"): ANY,
    ("POST", "/api/v1/geo-campaigns"): ADMIN,
    ("POST", "/api/v1/geo-campaigns/{geo_campaign_id}/cancel"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/automations"): ANY,
    ("PUT", "/api/v1/programs/{program_id}/automations/{kind}"): ADMIN,
    ("GET", "/api/v1/keys"): ADMIN,
    ("POST", "/api/v1/keys"): ADMIN,
    ("DELETE", "/api/v1/keys/{key_id}"): ADMIN,
    ("GET", "/api/v1/members/{member_id}/delivery"): ANY,
    ("GET", "/api/v1/members/{member_id}/personal-data"): ADMIN,
    ("POST", "/api/v1/members/{member_id}/erase"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/api/v1/apple/device-logs"): ADMIN_READ,
    ("GET", "/api/v1/staff"): ADMIN,
    ("POST", "/api/v1/staff"): ADMIN,
    ("GET", "/api/v1/staff/{staff_id}"): ADMIN,
    ("PATCH", "/api/v1/staff/{staff_id}"): ADMIN,
    ("PUT", "/api/v1/programs/{program_id}/wheel"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/wheel"): ANY,
    ("GET", "/api/v1/programs/{program_id}/design"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/design/draft"): ADMIN,
    ("PUT", "/api/v1/programs/{program_id}/design/draft"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/design/draft/starter"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/design/draft/images/{file}"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/design/draft/uploads/{slot}"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/design/draft/preview"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/design/publish"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/design/versions"): ADMIN,
    ("POST", "/api/v1/programs/{program_id}/design/rollback"): ADMIN,
    ("GET", "/api/v1/programs/{program_id}/design/progress"): ADMIN,
    ("POST", "/api/v1/webhooks"): ADMIN,
    ("GET", "/api/v1/webhooks"): ADMIN,
    ("GET", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): ADMIN,
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): ADMIN,
    ("POST", "/api/v1/webhooks/{webhook_id}/replay"): ADMIN,
}

# Valid bodies, so that the role check (not the body's validation) answers a refused role
# on every route, whichever order a route checks them in.
_SOON, _LATER = "2030-01-01T10:00:00+00:00", "2030-01-02T10:00:00+00:00"
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/programs"): {"name": "Role Club", "kind": "points"},
    ("PUT", "/api/v1/programs/{program_id}/rules"): {},
    ("POST", "/api/v1/programs/{program_id}/rules/simulate"): {"rules": COMPLETE_RULES},
    ("POST", "/api/v1/programs/{program_id}/members"): {"name": "Eve", "email": "e@example.com"},
    ("PUT", "/api/v1/members/{member_id}/tags"): {"tags": []},
    ("POST", "/api/v1/members/{member_id}/transactions"): {"kind": "earn", "points": 5},
    ("POST", "/api/v1/programs/{program_id}/members/by-external-id/{external_id}/transactions"): {
        "kind": "earn",
        "points": 5,
    },
    ("POST", "/api/v1/transactions/{transaction_id}/refund"): {},
    ("POST", "/api/v1/programs/{program_id}/rewards"): {"name": "Tea", "cost_points": 5},
    ("POST", "/api/v1/programs/{program_id}/actions"): {"kind": "review", "points": 5},
    ("PATCH", "/api/v1/programs/{program_id}/actions/{rule_id}"): {"points": 5},
    ("POST", "/api/v1/members/{member_id}/actions"): {"kind": "review", "reference": "r1"},
    ("POST", "/api/v1/programs/{program_id}/promos"): {
        "name": "Summer",
        "kind": "shared",
        "code": "SUMMER",
        "grant": "points",
        "points": 5,
    },  # fmt: skip
    ("POST", "/api/v1/members/{member_id}/promo"): {"code": "SUMMER"},
    ("POST", "/api/v1/members/{member_id}/erase"): {"reason": "the member asked"},
    ("POST", "/api/v1/locations"): {"name": "Arbat", "latitude": 55.75, "longitude": 37.59},
    ("PATCH", "/api/v1/locations/{store_id}"): {"name": "Tverskaya"},
    ("POST", "/api/v1/programs/{program_id}/audience"): {},
    ("POST", "/api/v1/programs/{program_id}/segments"): {"name": "Everyone"},
    ("POST", "/api/v1/programs/{program_id}/campaigns"): {"name": "Hello", "message": "Hi"},
    ("POST", "/api/v1/programs/{program_id}/campaigns/preview"): {"message": "Hi"},
    ("POST", "/api/v1/geo-campaigns"): {
        "name": "Autumn",
        "relevant_text": "Coffee nearby",
        "store_ids": [str(uuid.uuid4())],
        "starts_at": _SOON,
        "ends_at": _LATER,
    },  # fmt: skip
    ("PUT", "/api/v1/programs/{program_id}/automations/{kind}"): {"text": "Happy birthday!"},
    ("POST", "/api/v1/keys"): {"name": "Till 9", "role": "pos"},
    ("POST", "/api/v1/staff"): {"name": "Olga", "store_id": str(uuid.uuid4()), "pin": "4821"},
    ("PUT", "/api/v1/programs/{program_id}/wheel"): {
        "min_purchase": "300",
        "prizes": [
            {"label": "50 points", "kind": "points", "points": 50, "weight": 3},
            {"label": "No luck", "kind": "nothing", "weight": 7},
        ],
    },
}
BODIES[("PUT", "/api/v1/programs/{program_id}/design/draft")] = {"program": {}, "colors": {}}
BODIES[("POST", "/api/v1/programs/{program_id}/design/draft/starter")] = {"starter": "florist"}
BODIES[("POST", "/api/v1/programs/{program_id}/design/rollback")] = {"version": 1}
BODIES[("POST", "/api/v1/webhooks")] = {"url": "https://1.1.1.1/hook"}
CSV = "name,latitude,longitude\nArbat,55.75,37.59\n"
PATH_VALUES = {
    "barcode": "123456789012",
    "code": "ABCD1234",
    "kind": "birthday",
    "file": "logo.png",
    "dataset": "members",
}


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves under /api/v1 (all of them are in its OpenAPI)."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1/")
        for method in operations
    }


def test_every_route_has_a_row(app: FastAPI) -> None:
    served = api_routes(app)
    assert served - ROUTES.keys() == set(), "add these routes to ROUTES with their roles"
    assert ROUTES.keys() - served == set(), "these rows name routes the app no longer has"


@pytest.fixture
def keys(app: FastAPI) -> dict[Role, str]:
    admin = new_merchant(app, "Roles")
    return {
        Role.admin: admin,
        Role.pos: new_key(app, admin, Role.pos),
        Role.read: new_key(app, admin, Role.read),
    }


@pytest.mark.parametrize(
    ("method", "path"), sorted(ROUTES), ids=[f"{m} {p}" for m, p in sorted(ROUTES)]
)
def test_each_role_is_allowed_or_forbidden(
    client: TestClient, keys: dict[Role, str], method: str, path: str
) -> None:
    url = path.format_map(_PathValues())
    for role, key in keys.items():
        headers = auth(key)
        if path.endswith("/import"):
            headers["Content-Type"] = "text/csv"
            response = client.request(method, url, content=CSV, headers=headers)
        else:
            body = BODIES.get((method, path))
            response = client.request(method, url, json=body, headers=headers)
        if role in ROUTES[(method, path)]:
            assert response.status_code != 403, f"{role} is refused: {response.text}"
        else:
            assert response.status_code == 403, f"{role} is let through: {response.text}"
            assert response.json()["type"] == "forbidden"


class _PathValues(dict[str, str]):
    def __missing__(self, name: str) -> str:
        return PATH_VALUES.get(name) or str(uuid.uuid4())
