"""A schemathesis-style fuzz of every HTML form route: whatever a browser, a script or an
attacker posts, never a 5xx.

The routes are found by walking the app: every POST outside the JSON API (``/api/``, fuzzed
from its OpenAPI by ``test_fuzz.py``) whose body is a form (it reads ``FormFields`` or
declares a ``Form``/``File`` parameter) or that takes no body at all (sign-out, the wheel).
Hypothesis generates, per route: real and random path values; signed in to the console, to
the scanner, with a forged cookie or none; our Origin, another site's, ``null`` or none;
and fields (the forms' own names with plausible and random values, or random names, up to
60 of them) in every encoding: urlencoded, multipart (with files, broken boundaries),
JSON, raw bytes under a random content type, or no body. Derandomized, so CI is repeatable.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.params import Form
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from api.clock import utcnow
from api.console.design_routes import design_fields
from api.pages.render import form_fields
from api.programs.models import Program
from api.verification.models import ContactChallenge
from tests.support.pages import PIN, console_cookie, new_page_shop, scanner_cookie

pytestmark = pytest.mark.db

# CI runs 25 per route; set LOYALPASS_FUZZ_EXAMPLES for a longer hunt.
EXAMPLES_PER_ROUTE = int(os.environ.get("LOYALPASS_FUZZ_EXAMPLES", "25"))
OURS = "http://testserver"
KNOWN_FORMS = {
    "/console/sign-in",
    "/console/sign-out",
    "/console/programs/{program_id}",
    "/console/campaigns",
    "/console/promos",
    "/scan/sign-in",
    "/scan/sign-out",
    "/scan/lookup",
    "/scan/photo",
    "/scan/cards/{number}",
    "/scan/cards/{number}/promo",
    "/join/{public_slug}",
    "/join/{public_slug}/card",
    "/join/{public_slug}/card/{challenge_id}",
    "/cards/{token}/wheel",
}
FIELD_NAMES = [
    "api_key", "code", "pin", "number", "action", "amount", "reward_id", "nonce", "name",
    "phone", "email", "birthday", "consent", "ref", "store", "website", "rules", "cost",
    "contact",
    "program", "segment", "min_balance", "visited_within_days", "not_visited_for_days",
    "message", "photo", "password", "session", "secret", "role",
    "promo", "kind", "grant", "points", "count", "usage_limit", "discount_percent",
]  # fmt: skip
PLAUSIBLE = [
    "", "0", "1", "-1", "100", "1e9", "99999999999999999999", "12.50", "١٢٣", "1_000", "yes",
    "purchase", "stamp", "redeem", "send", "count", "rules", "reward", "+79161234567",
    "a@b.example", "2000-02-29", "1899-12-31", "9999-12-31", "{}", '{"earn": null}', "null",
    "\x00", "%00", "' OR 1=1 --", "<script>alert(1)</script>", "x" * 5000,
]  # fmt: skip
CONTENT_TYPES = [
    "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=",
    "multipart/mixed; boundary=b", "text/plain", "application/json", "application/octet-stream",
    "image/png", "", "x/y; charset=nope",
]  # fmt: skip


@dataclass(frozen=True)
class FormRoute:
    path: str
    is_multipart: bool

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


def _reads_form(dependant: Dependant) -> bool:
    readers = (form_fields, design_fields)
    return any(d.call in readers or _reads_form(d) for d in dependant.dependencies)


def _routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every API route with the path it is served at (included routers are walked)."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None:
            if isinstance(route, APIRoute):
                yield route.path, route
            continue
        for context in contexts():
            if isinstance(context.original_route, APIRoute):
                yield context.path, context.original_route


def form_routes(app: FastAPI) -> list[FormRoute]:
    found = []
    for path, route in _routes(app):
        if "POST" not in route.methods or path.startswith("/api/"):
            continue
        body = route.body_field
        is_multipart = body is not None and isinstance(body.field_info, Form)  # File is a Form
        if body is None or is_multipart or _reads_form(route.dependant):
            found.append(FormRoute(path, is_multipart))
    return sorted(found, key=lambda r: r.path)


def _text(max_size: int = 60) -> st.SearchStrategy[str]:
    return st.text(max_size=max_size)


field_values = st.one_of(st.sampled_from(PLAUSIBLE), _text(), st.just(PIN))
field = st.tuples(st.one_of(st.sampled_from(FIELD_NAMES), _text(20)), field_values)
# A few fields, as our forms have, or around the 40 fields form_fields reads at most.
field_counts = st.one_of(st.integers(0, 10), st.integers(38, 60))
fields = field_counts.flatmap(lambda n: st.lists(field, min_size=n, max_size=n))


def _multipart(pairs: list[tuple[str, str]], files: list[bytes], boundary: str) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode(
            "utf-8", "replace"
        )
        for name, value in pairs
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p{i}.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + data
        + b"\r\n"
        for i, data in enumerate(files)
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@st.composite
def bodies(draw: st.DrawFn, route: FormRoute) -> tuple[bytes | None, str | None]:
    """A body and its content type, in one of the encodings a client might use."""
    encoding = draw(st.sampled_from(["urlencoded", "multipart", "json", "raw", "none"]))
    pairs = draw(fields)
    if encoding == "urlencoded":
        raw = draw(st.booleans())  # raw: broken percent escapes and bare separators
        body = "&".join(f"{k}={v}" for k, v in pairs) if raw else urlencode(pairs)
        return body.encode("utf-8", "replace"), "application/x-www-form-urlencoded"
    if encoding == "multipart":
        files = draw(st.lists(st.binary(max_size=200), max_size=3 if route.is_multipart else 1))
        boundary = draw(st.sampled_from(["b", "----x", "a" * 71]))
        sent = boundary if draw(st.integers(0, 4)) else "other"  # sometimes a wrong boundary
        body = _multipart(pairs, files, boundary)
        return body, f"multipart/form-data; boundary={sent}"
    if encoding == "json":
        return json.dumps(dict(pairs)).encode(), "application/json"
    if encoding == "raw":
        return draw(st.binary(max_size=400)), draw(st.sampled_from(CONTENT_TYPES))
    return None, None


def test_form_routes_never_answer_5xx(app: FastAPI, client: TestClient) -> None:
    shop = new_page_shop(app, client)
    routes = form_routes(app)
    assert {r.path for r in routes} >= KNOWN_FORMS, [r.path for r in routes]
    # Signed in once, before the fuzz: it may lock the staff member out with wrong PINs.
    console = "=".join(console_cookie(client, shop.key))
    scanner = "=".join(scanner_cookie(client, shop.staff_code))
    client.cookies.clear()
    fuzzer = TestClient(app, raise_server_exceptions=False)
    known = {
        "program_id": shop.program_id,
        "number": shop.serial,
        "public_slug": shop.public_slug,
        "token": shop.card_token,
        "challenge_id": str(a_code_sent(app, shop.public_slug)),
        "code": "ABCDEFGH23",  # a coupon code no coupon has: the scanner answers 404
        "account_id": "00000000-0000-4000-8000-000000000000",  # no such account
        "key_id": "00000000-0000-4000-8000-000000000000",  # no such key
        "endpoint_id": "00000000-0000-4000-8000-000000000000",  # no such webhook endpoint
        "upload_id": "00000000-0000-4000-8000-000000000000",  # no such kept import file
        "import_id": "00000000-0000-4000-8000-000000000000",  # no such import
        "dataset": "members",
    }
    cookies = {
        "none": None,
        "console": console,
        "scanner": scanner,
        "forged": f"{console.split('=')[0]}={secrets.token_urlsafe(32)}",
        "both": f"{console}; {scanner}",
    }
    failures: list[str] = []
    statuses: Counter[int] = Counter()

    for route, mode in itertools.product(routes, ("valid paths", "any paths")):
        values = {
            name: st.just(known[name])
            if mode == "valid paths"
            else st.one_of(st.just(known[name]), st.text(min_size=1, max_size=40))
            for name in route.parameters
        }

        @settings(
            max_examples=max(EXAMPLES_PER_ROUTE // 2, 1),
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            path_values=st.fixed_dictionaries(values),
            body=bodies(route),
            cookie=st.sampled_from(sorted(cookies)),
            origin=st.sampled_from([None, None, OURS, OURS, "https://evil.example", "null"]),
            accept=st.sampled_from([None, "application/json", "text/html"]),
        )
        def call(
            route: FormRoute,
            path_values: dict[str, str],
            body: tuple[bytes | None, str | None],
            cookie: str,
            origin: str | None,
            accept: str | None,
        ) -> None:
            content, content_type = body
            headers: dict[str, Any] = {
                "content-type": content_type,
                "cookie": cookies[cookie] if "sign-out" not in route.path else None,
                "origin": origin,
                "accept": accept,
            }
            path = route.path
            for name, value in path_values.items():
                path = path.replace("{" + name + "}", quote(value, safe=""))
            response = fuzzer.post(
                path,
                content=content,
                headers={k: v for k, v in headers.items() if v is not None},
                follow_redirects=False,
            )
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(
                    f"POST {path} {headers}: {response.status_code} {response.text[:300]}"
                )

        call(route)  # type: ignore[call-arg]
    assert failures == []
    # The fuzz got past the door: forms were read and answered, not only refused.
    assert statuses[200] + statuses[303] > len(routes), statuses
    assert statuses[403] > 0, statuses  # cross-site
    assert statuses[422] > 0, statuses  # too many fields, bad values


def a_code_sent(app: FastAPI, public_slug: str) -> UUID:
    """A one-time code waiting on the "I already have a card" page (the row the page writes)."""
    with Session(app.state.engine) as session, session.begin():
        program = session.exec(select(Program).where(Program.public_slug == public_slug)).one()
        now = utcnow()
        challenge = ContactChallenge(
            merchant_id=program.merchant_id, program_id=program.id, channel="sms",
            masked_contact="+7 *** ***-45-67", code_hash="0" * 64,
            expires_at=now + timedelta(minutes=10), created_at=now,
        )  # fmt: skip
        session.add(challenge)
        return challenge.id
