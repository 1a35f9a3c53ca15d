"""The console's mechanics editor over HTTP (both databases): the form saves a complete
document, errors are shown per field in ru/en with nothing saved and the values kept, a
breaking change asks for confirmation, the draft is simulated without saving, and an older
version is rolled back."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.console.mechanics_form import SCALARS, TIER_FIELDS, values_of
from api.merchants.models import Role
from api.programs.rules import ProgramRules
from tests.support.factories import auth, enrol, new_key, new_merchant, new_program, purchase

pytestmark = pytest.mark.db


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> dict[str, Any]:
    """A points program whose member holds points (so breaking changes need confirming)."""
    key = new_merchant(app)
    program = new_program(client, key, rules={"currency": "RUB", "timezone": "Europe/Moscow"})
    member = enrol(client, key, program["id"])
    purchase(client, key, member["id"], "500")
    client.headers["Accept-Language"] = "en"
    signed = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    assert signed.status_code == 303
    return {"key": key, "program": program, "url": f"/console/programs/{program['id']}/rules"}


def live_rules(client: TestClient, shop: dict[str, Any]) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/programs/{shop['program']['id']}/rules", headers=auth(shop["key"])
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def form_of(rules: dict[str, Any], **changes: str) -> dict[str, str]:
    """The editor's fields for ``rules`` (as the page shows them), with ``changes`` applied
    (``earn__points="7"`` sets ``earn.points``)."""
    values, tiers = values_of(ProgramRules.model_validate(rules))
    form = dict(values)
    for index, row in enumerate(tiers):
        for name in TIER_FIELDS:
            form[f"tiers.levels.{index}.{name}"] = row[name]
    form.update({name.replace("__", "."): value for name, value in changes.items()})
    return form


def error_of(page: str, field_id: str) -> str:
    found = re.search(rf'id="err-{re.escape(field_id)}">([^<]*)<', page)
    assert found, f"no error shown for {field_id}"
    return html.unescape(found.group(1))


class TestForm:
    def test_the_page_shows_the_rules_as_a_form(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        page = client.get(shop["url"])
        assert page.status_code == 200
        assert 'name="earn.points" type="text" inputmode="numeric" value="5"' in page.text
        assert 'name="tiers.levels.0.name"' in page.text  # the blank row to add a tier
        assert '<option value="Europe/Moscow"' not in page.text
        assert 'value="Europe/Moscow"' in page.text

    def test_saving_the_form_replaces_the_rules_and_adds_a_version(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        before = live_rules(client, shop)["rules"]
        form = form_of(before, earn__points="7", earn__max_points_per_day="300")
        form |= {"tiers.levels.0.name": "Gold", "tiers.levels.0.threshold": "10000",
                 "tiers.levels.0.discount_percent": "5", "action": "save"}  # fmt: skip
        response = client.post(shop["url"], data=form, follow_redirects=False)
        assert response.status_code == 303, response.text
        assert response.headers["location"].endswith("?saved=2")
        after = live_rules(client, shop)
        assert after["version"] == 2
        assert after["rules"]["earn"]["points"] == 7
        assert after["rules"]["earn"]["max_points_per_day"] == 300
        assert after["rules"]["tiers"]["levels"] == [
            {"name": "Gold", "threshold": "10000", "discount_percent": 5, "earn_multiplier": "1"}
        ]
        assert after["rules"]["messaging"] == before["messaging"]  # not on the form: kept
        page = client.get(response.headers["location"]).text
        assert "Saved: version 2" in page
        assert "earn.max_points_per_day, earn.points, tiers.levels" in page

    def test_settings_the_form_does_not_show_are_kept(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        """The birthday multiplier and surprises are set through the API; saving the form
        must not reset them to their defaults."""
        bonuses = {
            "birthday_multiplier": "2",
            "birthday_window_days": 5,
            "surprise": {"share_percent": 10, "points": 50, "budget_points": 1000},
        }
        patched = client.patch(
            f"/api/v1/programs/{shop['program']['id']}/rules",
            json={"bonuses": bonuses},
            headers=auth(shop["key"]),
        )
        assert patched.status_code == 200, patched.text
        form = form_of(live_rules(client, shop)["rules"], bonuses__welcome_points="25")
        response = client.post(shop["url"], data={**form, "action": "save"}, follow_redirects=False)
        assert response.status_code == 303, response.text
        after = live_rules(client, shop)["rules"]["bonuses"]
        assert after["welcome_points"] == 25
        assert (after["birthday_multiplier"], after["birthday_window_days"]) == ("2", 5)
        assert after["surprise"]["budget_points"] == 1000

    def test_a_ticked_row_is_removed(self, client: TestClient, shop: dict[str, Any]) -> None:
        form = form_of(live_rules(client, shop)["rules"])
        form |= {"tiers.levels.0.name": "Gold", "tiers.levels.0.threshold": "100",
                 "tiers.levels.1.name": "Silver", "tiers.levels.1.threshold": "10",
                 "tiers.levels.1.remove": "1", "action": "save"}  # fmt: skip
        assert client.post(shop["url"], data=form, follow_redirects=False).status_code == 303
        levels = live_rules(client, shop)["rules"]["tiers"]["levels"]
        assert [level["name"] for level in levels] == ["Gold"]


class TestFieldErrors:
    def test_each_error_is_shown_at_its_field_and_nothing_is_saved(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        before = live_rules(client, shop)
        form = form_of(before["rules"], earn__per_amount="0", currency="XYZ")
        form |= {"tiers.levels.0.name": "Gold", "tiers.levels.0.threshold": "lots",
                 "action": "save"}  # fmt: skip
        response = client.post(shop["url"], data=form)
        assert response.status_code == 422
        page = response.text
        assert error_of(page, "f-earn-per_amount") == "Must be greater than 0"
        assert error_of(page, "f-currency") == "A three-letter ISO 4217 currency code, such as RUB"
        assert error_of(page, "tier-0-threshold") == "Enter a number"
        assert 'value="lots"' in page
        assert 'value="XYZ"' in page
        assert live_rules(client, shop) == before

    def test_rules_across_fields_go_to_the_field_they_need(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        form = form_of(
            live_rules(client, shop)["rules"],
            stamps__basis="amount", tiers__window="rolling_days", expiry__policy="days",
        )  # fmt: skip
        form |= {"tiers.levels.0.name": "Gold", "tiers.levels.0.threshold": "100",
                 "tiers.levels.1.name": "Silver", "tiers.levels.1.threshold": "10"}  # fmt: skip
        page = client.post(shop["url"], data=form).text
        assert error_of(page, "f-stamps-stamp_amount") == "Fill in this field"
        assert error_of(page, "f-tiers-window_days") == "Fill in this field"
        assert error_of(page, "f-expiry-days") == "Fill in this field"

    def test_tier_order_is_a_table_error(self, client: TestClient, shop: dict[str, Any]) -> None:
        form = form_of(live_rules(client, shop)["rules"])
        form |= {"tiers.levels.0.name": "Gold", "tiers.levels.0.threshold": "100",
                 "tiers.levels.1.name": "Silver", "tiers.levels.1.threshold": "10"}  # fmt: skip
        page = client.post(shop["url"], data=form).text
        assert error_of(page, "tiers-levels") == "Tier thresholds must increase"

    def test_messages_in_russian(self, client: TestClient, shop: dict[str, Any]) -> None:
        form = form_of(live_rules(client, shop)["rules"], earn__per_amount="0", earn__points="x")
        page = client.post(shop["url"], data=form, headers={"Accept-Language": "ru"}).text
        assert error_of(page, "f-earn-per_amount") == "Должно быть больше 0"
        assert error_of(page, "f-earn-points") == "Введите число"


class TestConfirm:
    def test_a_breaking_change_asks_then_saves_when_ticked(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        before = live_rules(client, shop)
        form = form_of(before["rules"], currency="EUR", action="save")
        asked = client.post(shop["url"], data=form)
        assert asked.status_code == 409
        assert 'name="confirm.currency"' in asked.text
        assert 'value="EUR"' in asked.text
        assert live_rules(client, shop) == before
        confirmed = client.post(
            shop["url"], data={**form, "confirm.currency": "1"}, follow_redirects=False
        )
        assert confirmed.status_code == 303
        assert live_rules(client, shop)["rules"]["currency"] == "EUR"


class TestSimulate:
    def test_the_draft_is_simulated_beside_the_live_rules_without_saving(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        before = live_rules(client, shop)
        form = form_of(before["rules"], earn__points="10", action="simulate", days="30")
        response = client.post(shop["url"], data=form)
        assert response.status_code == 200, response.text
        row = re.search(r'id="sim-issued">(.*?)</tr>', response.text)
        assert row is not None
        assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', row.group(1)) == ["25", "50"]
        assert 'value="10"' in response.text  # the draft stays in the form
        assert live_rules(client, shop) == before

    def test_a_read_key_simulates_but_cannot_save(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        reader = new_key(app, shop["key"], Role.read)
        client.cookies.clear()
        client.post("/console/sign-in", data={"api_key": reader}, follow_redirects=False)
        form = form_of(live_rules(client, shop)["rules"], earn__points="10")
        assert client.post(shop["url"], data={**form, "action": "simulate"}).status_code == 200
        refused = client.post(shop["url"], data={**form, "action": "save"})
        assert refused.status_code == 403
        assert live_rules(client, shop)["rules"]["earn"]["points"] == 5


class TestHistory:
    def test_roll_back_to_an_older_version(self, client: TestClient, shop: dict[str, Any]) -> None:
        form = form_of(live_rules(client, shop)["rules"], earn__points="9", action="save")
        assert client.post(shop["url"], data=form, follow_redirects=False).status_code == 303
        page = client.get(shop["url"]).text
        assert 'id="rollback-1"' in page
        assert 'id="rollback-2"' not in page
        back = client.post(f"{shop['url']}/rollback", data={"version": "1"}, follow_redirects=False)
        assert back.status_code == 303
        after = live_rules(client, shop)
        assert (after["version"], after["rules"]["earn"]["points"]) == (3, 5)
        missing = client.post(f"{shop['url']}/rollback", data={"version": "42"})
        assert missing.status_code == 404
        assert "There is no such rules version" in missing.text

    def test_a_breaking_roll_back_asks_for_confirmation(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        form = form_of(live_rules(client, shop)["rules"], currency="EUR", action="save")
        form["confirm.currency"] = "1"
        assert client.post(shop["url"], data=form, follow_redirects=False).status_code == 303
        asked = client.post(f"{shop['url']}/rollback", data={"version": "1"})
        assert asked.status_code == 409
        assert f'action="{shop["url"]}/rollback"' in asked.text
        assert '<input type="hidden" name="version" value="1">' in asked.text
        assert live_rules(client, shop)["rules"]["currency"] == "EUR"
        back = client.post(
            f"{shop['url']}/rollback",
            data={"version": "1", "confirm.currency": "1"},
            follow_redirects=False,
        )
        assert back.status_code == 303
        assert live_rules(client, shop)["rules"]["currency"] == "RUB"

    def test_another_merchants_program_is_not_found(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        other = new_merchant(app, "Other Coffee")
        theirs = new_program(client, other)
        assert client.get(f"/console/programs/{theirs['id']}/rules").status_code == 404


FIELD_NAMES = [
    *SCALARS, "action", "days", "point_value", "version", "confirm.currency",
    *(f"tiers.levels.{i}.{name}" for i in (0, 1, 20, 21) for name in (*TIER_FIELDS, "remove")),
]  # fmt: skip
PLAUSIBLE = [
    "", "0", "1", "-1", "100", "1e9", "99999999999999999999", "12.50", "١٢٣", "²", "1_000",
    "NaN", "sNaN", "Infinity", "save", "simulate", "30", "365", "amount", "rolling_days",
    "days", "grace", "EUR", "XYZ", "Europe/Moscow", "../../etc", "a" * 5000, "\x00",
]  # fmt: skip


class TestFuzz:
    def test_whatever_is_posted_the_editor_never_answers_5xx(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        fuzzer = TestClient(app, raise_server_exceptions=False)
        fuzzer.cookies.update(client.cookies)
        values = st.one_of(st.sampled_from(PLAUSIBLE), st.text(max_size=30))
        fields = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=40)
        statuses: Counter[int] = Counter()

        @settings(max_examples=60, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(form=fields, tail=st.sampled_from(["", "/rollback"]))
        def post(form: dict[str, str], tail: str) -> None:
            response = fuzzer.post(shop["url"] + tail, data=form, follow_redirects=False)
            statuses[response.status_code] += 1
            assert response.status_code < 500, (form, response.text[:300])

        post()
        assert statuses[422] > 0, statuses
