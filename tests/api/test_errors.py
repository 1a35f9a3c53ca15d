"""The error contract: one class per stable code, every code in docs/ERRORS.md with its status
and title, and every problem answer ``application/problem+json`` with a documented code.

The codes are collected from the code (every ``ApiError`` subclass under ``api``, wherever it
is defined, plus the codes the handlers in ``api/errors.py`` produce), never listed here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import (
    PROBLEM_JSON,
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    install_error_handlers,
)
from api.merchants.models import Role
from passes import DesignError, PassError
from tests.support import error_codes
from tests.support.error_codes import DOC, REGENERATE, Row, Source
from tests.support.factories import auth, enrol, new_key, new_merchant, new_program

if TYPE_CHECKING:
    from httpx2 import Response

# The generic parents in api/errors.py. Each is a class with its own code, and the only
# classes whose code a handler may produce too (Starlette's 404 is `not_found`, an unexpected
# exception `internal_error`). Every other error class sets its own code and title.
GENERIC = (
    ApiError,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    InvalidRequest,
    ServiceUnavailable,
)

SOURCES = error_codes.sources()
CLASSES = error_codes.api_error_classes()
DOCUMENTED = error_codes.parse(DOC.read_text(encoding="utf-8"))


def _by_code(items: list[Source] | list[Row]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        grouped[item.code].append(item)
    return grouped


def _describe(source: Source) -> str:
    return f"{source.code!r} ({source.status}, {source.title!r}) from {source.defined_in}"


class TestOneClassPerCode:
    def test_every_error_class_sets_its_own_code_and_title(self) -> None:
        inheriting = [
            f"{cls.__module__}.{cls.__qualname__}"
            for cls in CLASSES
            if cls not in GENERIC and not {"code", "title"} <= set(vars(cls))
        ]
        assert not inheriting, (
            f"{inheriting} inherit the code or title of a parent: give each error class its "
            "own stable `code` and `title` (only the generic bases in api/errors.py share theirs)"
        )

    def test_each_code_is_defined_by_one_class(self) -> None:
        by_code: dict[str, list[str]] = defaultdict(list)
        for cls in CLASSES:
            by_code[cls.code].append(f"{cls.__module__}.{cls.__qualname__}")
        shared = {code: paths for code, paths in by_code.items() if len(paths) > 1}
        assert not shared, (
            f"one class per code, but {shared}: raise the one class everywhere (import it "
            "from the domain's errors.py that owns it)"
        )

    def test_handlers_share_a_code_only_with_a_generic_base(self) -> None:
        classes = _by_code([s for s in SOURCES if s.cls is not None])
        clashes = [
            f"{_describe(handler)} is also {[_describe(s) for s in classes[handler.code]]}"
            for handler in SOURCES
            if handler.cls is None
            for s in classes.get(handler.code, [])
            if s.cls not in GENERIC
        ]
        assert not clashes, f"a handler's code is taken by a domain error: {clashes}"

    def test_each_code_has_one_status(self) -> None:
        mixed = {
            code: sorted({_describe(s) for s in sources})
            for code, sources in _by_code(SOURCES).items()
            if len({s.status for s in sources}) > 1
        }
        assert not mixed, f"a code must always answer the same HTTP status: {mixed}"

    def test_translated_pass_errors_still_exist(self) -> None:
        pass_codes = {c.code for c in error_codes.pass_error_classes()}
        api_codes = {c.code for c in CLASSES}
        stale = set(error_codes.TRANSLATED_PASS_ERRORS) - (pass_codes & api_codes)
        assert not stale, f"delete {stale} from TRANSLATED_PASS_ERRORS in tests/support"


class TestDocumented:
    """docs/ERRORS.md lists exactly the codes in the code, with their statuses and titles.
    Its "Defined in" column is informational: a class may move between modules freely."""

    def test_every_code_is_documented(self) -> None:
        documented = {r.code for r in DOCUMENTED}
        missing = [_describe(s) for s in SOURCES if s.code not in documented]
        assert not missing, (
            f"not in docs/ERRORS.md: {missing}. Run `{REGENERATE}` and write the new rows' "
            '"When" cells'
        )

    def test_no_documented_code_disappeared(self) -> None:
        gone = sorted({r.code for r in DOCUMENTED} - {s.code for s in SOURCES})
        assert not gone, (
            f"a code disappeared: {gone} are in docs/ERRORS.md but nothing answers with them "
            "any more. Clients match on these codes: restore them, or if the removal is "
            f"deliberate, tell the API's clients and run `{REGENERATE}`"
        )

    def test_no_code_changed_status(self) -> None:
        statuses = {code: {s.status for s in group} for code, group in _by_code(SOURCES).items()}
        changed = [
            f"{row.code!r}: documented {row.status}, answers {sorted(statuses[row.code])}"
            for row in DOCUMENTED
            if row.code in statuses and statuses[row.code] != {row.status}
        ]
        assert not changed, (
            f"a code changed status: {changed}. Clients rely on a code's status: give the new "
            "behaviour a new code instead"
        )

    def test_titles_match(self) -> None:
        titles = {code: {s.title for s in group} for code, group in _by_code(SOURCES).items()}
        documented = {
            code: {r.title for r in group} for code, group in _by_code(DOCUMENTED).items()
        }
        changed = {
            code: {"documented": sorted(documented[code]), "in the code": sorted(found)}
            for code, found in titles.items()
            if code in documented and documented[code] != found
        }
        assert not changed, f"titles differ from docs/ERRORS.md: {changed}; run `{REGENERATE}`"

    def test_every_row_says_when(self) -> None:
        silent = [r.code for r in DOCUMENTED if not r.when]
        assert not silent, f'write the "When" cell of {silent} in docs/ERRORS.md'

    def test_the_page_says_how_to_regenerate_it(self) -> None:
        assert REGENERATE in DOC.read_text(encoding="utf-8")


def _assert_documented_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    rows = {(r.code, r.status, r.title) for r in DOCUMENTED}
    assert (body["type"], status, body["title"]) in rows, f"{body} is not in docs/ERRORS.md"
    return body


def _raising_app() -> FastAPI:
    """An app with nothing but the error handlers and routes that fail in every way."""
    app = FastAPI()
    install_error_handlers(app)
    by_name = {f"{c.__module__}.{c.__qualname__}": c for c in CLASSES}

    @app.get("/api-error/{name}")
    def api_error(name: str) -> None:
        raise by_name[name]("what went wrong this time")

    @app.get("/pass-error")
    def pass_error() -> None:
        raise DesignError("design.toml", "colors.background", "not a colour")

    @app.get("/bug")
    def bug() -> None:
        raise RuntimeError("a bug")

    @app.get("/teapot")
    def teapot() -> None:
        raise StarletteHTTPException(418)

    @app.get("/number")
    def number(n: int) -> int:
        return n

    return app


@pytest.fixture(scope="module")
def bare() -> TestClient:
    return TestClient(_raising_app(), raise_server_exceptions=False)


class TestEveryRenderedProblemIsDocumented:
    """Each error class, rendered by the one handler set, answers as docs/ERRORS.md says."""

    @pytest.mark.parametrize("cls", CLASSES, ids=[f"{c.code}-{c.__qualname__}" for c in CLASSES])
    def test_api_error(self, bare: TestClient, cls: type[ApiError]) -> None:
        response = bare.get(f"/api-error/{cls.__module__}.{cls.__qualname__}")
        body = _assert_documented_problem(response, cls.status_code)
        assert (body["type"], body["title"]) == (cls.code, cls.title)
        assert body["detail"] == "what went wrong this time"
        assert response.headers.get("www-authenticate") == (
            cls.challenge if cls.status_code == 401 else None
        )

    def test_pass_error(self, bare: TestClient) -> None:
        body = _assert_documented_problem(bare.get("/pass-error"), 500)
        assert body["type"] == DesignError.code
        assert issubclass(DesignError, PassError)

    def test_unexpected_exception(self, bare: TestClient) -> None:
        body = _assert_documented_problem(bare.get("/bug"), 500)
        assert body["type"] == "internal_error"
        assert "a bug" not in body["detail"]

    def test_validation_error_lists_each_problem(self, bare: TestClient) -> None:
        body = _assert_documented_problem(bare.get("/number", params={"n": "x"}), 422)
        assert body["type"] == "validation_error"
        assert body["errors"][0]["location"] == ["query", "n"]

    def test_starlette_errors(self, bare: TestClient) -> None:
        assert _assert_documented_problem(bare.get("/nowhere"), 404)["type"] == "not_found"
        assert _assert_documented_problem(bare.post("/bug"), 405)["type"] == "method_not_allowed"

    def test_another_http_status_is_the_documented_pattern(self, bare: TestClient) -> None:
        response = bare.get("/teapot")
        assert response.headers["content-type"] == PROBLEM_JSON
        assert re.fullmatch(r"http_\d{3}", response.json()["type"])
        assert "`http_<status>`" in DOC.read_text(encoding="utf-8")


@pytest.mark.db
class TestServiceAnswers:
    """A handful of real failing requests through the service answer documented problems."""

    def test_unknown_member(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.get(f"/api/v1/members/{uuid4()}", headers=auth(key))
        assert _assert_documented_problem(response, 404)["type"] == "member_not_found"

    def test_bad_or_missing_key(self, client: TestClient) -> None:
        for headers in (auth("lp_not-a-key"), {}):
            response = client.get("/api/v1/programs", headers=headers)
            assert _assert_documented_problem(response, 401)["type"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"

    def test_wrong_role(self, app: FastAPI, client: TestClient) -> None:
        read_key = new_key(app, new_merchant(app), Role.read)
        response = client.post(
            "/api/v1/programs",
            json={"name": "Coffee Club", "kind": "points"},
            headers=auth(read_key),
        )
        assert _assert_documented_problem(response, 403)["type"] == "forbidden"

    def test_invalid_body(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        response = client.post("/api/v1/programs", json={"name": "X", "kind": 7}, headers=auth(key))
        body = _assert_documented_problem(response, 422)
        assert body["type"] == "validation_error"
        assert body["errors"]

    def test_conflict_carries_its_extra_member(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        member = enrol(client, key, new_program(client, key)["id"])
        response = client.post(
            f"/api/v1/members/{member['id']}/transactions",
            json={"kind": "redeem", "points": 100},
            headers=auth(key),
        )
        body = _assert_documented_problem(response, 409)
        assert (body["type"], body["balance"]) == ("insufficient_balance", 0)

    def test_unknown_path(self, client: TestClient) -> None:
        response = client.get("/api/v1/no-such-thing")
        assert _assert_documented_problem(response, 404)["type"] == "not_found"
