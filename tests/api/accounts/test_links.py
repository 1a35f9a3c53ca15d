"""One-time links: an owner invites people (accept sets a password, once), a password reset
is mailed (30 minutes, once, under concurrency too) or made by the operator's CLI, and an
owner changes roles and stores or removes someone (their sessions end at once)."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from api.accounts import links, operator
from api.accounts import repository as account_repository
from api.accounts.errors import AccountLinkInvalid, LastOwner
from api.accounts.models import AccountRole
from api.accounts.service import caller_of
from api.cli import app as cli_app
from api.clock import utcnow
from api.stores.models import Store
from tests.api.accounts.conftest import PASSWORD, Shop, sign_in
from tests.support.smtp import PASSWORD as SMTP_PASSWORD
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.db
NEW_PASSWORD = "a brand new passphrase"


def invite_link(client: TestClient, email: str, role: str = "manager", **stores: str) -> str:
    response = client.post("/console/account/people", data={"email": email, "role": role, **stores})
    assert response.status_code == 200, response.text
    found = re.search(r"/console/invite/[\w-]+", response.text)
    assert found is not None
    return found.group(0)


class TestInvitations:
    def test_an_invited_manager_sets_a_password_and_is_signed_in(
        self, app: FastAPI, client: TestClient, shop: Shop
    ) -> None:
        with Session(app.state.engine) as session, session.begin():
            store = Store(merchant_id=shop.merchant_id, name="Arbat", latitude=55.7, longitude=37.6)
            session.add(store)
            session.flush()
            store_id = str(store.id)
        assert sign_in(client, shop.email, PASSWORD) == 303
        path = invite_link(client, "Mia@Example.com", "manager", **{f"store_{store_id}": "on"})
        people = client.get("/console/account/people")
        assert "mia@example.com" in people.text  # pending
        newcomer = TestClient(app, headers={"Accept-Language": "en"})
        form = newcomer.get(path)
        assert form.status_code == 200
        assert "mia@example.com" in form.text
        weak = newcomer.post(path, data={"password": "password123"})
        assert weak.status_code == 422
        assert "most common" in weak.text
        accepted = newcomer.post(path, data={"password": NEW_PASSWORD}, follow_redirects=False)
        assert accepted.status_code == 303
        assert newcomer.get("/console").status_code == 200
        assert newcomer.get("/console/account/people").status_code == 403  # owners only
        again = TestClient(app).post(path, data={"password": NEW_PASSWORD})
        assert again.status_code == 404
        with Session(app.state.engine) as session:
            mia = account_repository.by_email(session, "mia@example.com")
            assert mia is not None
            assert (mia.role, mia.stores) == (AccountRole.manager, [store_id])
            assert mia.password_hash.startswith("$argon2id$")

    def test_another_merchants_store_cannot_be_granted(
        self, app: FastAPI, client: TestClient, shop: Shop
    ) -> None:
        from tests.support.factories import new_merchant

        other = new_merchant(app, "Other")
        with Session(app.state.engine) as session, session.begin():
            from api.merchants.service import authenticate

            other_id = authenticate(session, f"Bearer {other}").merchant_id
            store = Store(merchant_id=other_id, name="Theirs", latitude=55.7, longitude=37.6)
            session.add(store)
            session.flush()
            store_id = str(store.id)
        assert sign_in(client, shop.email, PASSWORD) == 303
        response = client.post("/console/account/people",
                               data={"email": "x@example.com", "role": "manager",
                                     f"store_{store_id}": "on"})  # fmt: skip
        assert response.status_code == 422

    def test_an_expired_invitation_is_refused(self, engine: Engine, shop: Shop) -> None:
        with Session(engine) as session, session.begin():
            owner = account_repository.by_email(session, shop.email)
            assert owner is not None
            link = links.invite(session, caller_of(owner), email="late@example.com",
                                role=AccountRole.analyst, stores=[],
                                now=utcnow() - timedelta(days=8))  # fmt: skip
        with Session(engine) as session, pytest.raises(AccountLinkInvalid):
            links.accept(session, link.token, NEW_PASSWORD, now=utcnow())


class TestPeople:
    def test_removing_someone_ends_their_sessions_at_once(
        self, app: FastAPI, client: TestClient, shop: Shop
    ) -> None:
        assert sign_in(client, shop.email, PASSWORD) == 303
        path = invite_link(client, "leo@example.com", "analyst")
        leo = TestClient(app)
        assert (
            leo.post(path, data={"password": NEW_PASSWORD}, follow_redirects=False).status_code
            == 303
        )
        assert leo.get("/console", follow_redirects=False).text.count("f-email") == 0
        with Session(app.state.engine) as session:
            account = account_repository.by_email(session, "leo@example.com")
            assert account is not None
            leo_id = account.id
        removed = client.post(f"/console/account/people/{leo_id}", data={"action": "remove"},
                              follow_redirects=False)  # fmt: skip
        assert removed.status_code == 303
        assert "f-email" in leo.get("/console").text  # signed out
        assert sign_in(leo, "leo@example.com", NEW_PASSWORD) == 401

    def test_the_last_owner_stays(self, engine: Engine, shop: Shop) -> None:
        with Session(engine) as session, session.begin():
            owner = account_repository.by_email(session, shop.email)
            assert owner is not None
            with pytest.raises(LastOwner):
                links.change_access(session, caller_of(owner), owner.id, role=AccountRole.analyst)


class TestSessions:
    def test_listed_and_revoked(self, app: FastAPI, client: TestClient, shop: Shop) -> None:
        other = TestClient(app, headers={"Accept-Language": "en"})
        assert sign_in(other, shop.email, PASSWORD) == 303
        assert sign_in(client, shop.email, PASSWORD) == 303
        page = client.get("/console/account/sessions")
        assert page.text.count('name="session" value="') == 2  # the other one, and "others"
        other_id = re.findall(r'name="session" value="([0-9a-f-]{36})"', page.text)[0]
        ended = client.post("/console/account/sessions", data={"session": other_id},
                            follow_redirects=False)  # fmt: skip
        assert ended.status_code == 303
        assert "f-email" in other.get("/console").text
        assert client.get("/console").status_code == 200
        assert "f-email" not in client.get("/console").text

    def test_another_accounts_session_cannot_be_revoked(
        self, app: FastAPI, client: TestClient, shop: Shop
    ) -> None:
        assert sign_in(client, shop.email, PASSWORD) == 303
        path = invite_link(client, "eve@example.com", "analyst")
        eve = TestClient(app)
        eve.post(path, data={"password": NEW_PASSWORD})
        page = client.get("/console/account/sessions")
        mine = re.findall(r'name="session" value="([0-9a-f-]{36})"', page.text)
        with Session(app.state.engine) as session:
            eve_account = account_repository.by_email(session, "eve@example.com")
            assert eve_account is not None
            eve_sessions = account_repository.sessions_of(session, eve_account.id, utcnow())
        assert len(eve_sessions) == 1
        assert str(eve_sessions[0].id) not in mine
        eve_page = eve.post(
            "/console/account/sessions", data={"session": str(mine[0]) if mine else ""}
        )
        assert eve_page.status_code == 200
        assert client.get("/console/account").status_code == 200


class TestPasswordReset:
    def test_mailed_link_sets_a_password_once_and_ends_sessions(
        self, app: FastAPI, client: TestClient, shop: Shop, tmp_path: Path
    ) -> None:
        assert sign_in(client, shop.email, PASSWORD) == 303
        with SmtpServer(tmp_path) as smtp:
            # model_copy does not validate: the password is given as the SecretStr it becomes
            update = {**smtp.settings(), "smtp_password": SecretStr(SMTP_PASSWORD)}
            # (monkeypatch cannot restore a State attribute: it deletes it on undo)
            original = app.state.settings
            app.state.settings = original.model_copy(update=update)
            try:
                stranger = TestClient(app, headers={"Accept-Language": "en"})
                asked = stranger.post("/console/reset", data={"email": shop.email})
                unknown = stranger.post("/console/reset", data={"email": "nobody@example.com"})
                assert asked.status_code == unknown.status_code == 200
                # The same answer either way (but its CSP nonce): it does not tell who has accounts.
                nonce = re.compile(r'nonce="[^"]+"')
                assert nonce.sub("", asked.text) == nonce.sub("", unknown.text)
                assert len(smtp.messages) == 1
                message = smtp.messages[0]
            finally:
                app.state.settings = original
        assert message["To"] == shop.email
        body = message.get_content()
        assert PASSWORD not in body
        found = re.search(r"https?://\S+(/console/reset/[\w-]+)", body)
        assert found is not None
        path = found.group(1)
        short = stranger.post(path, data={"password": "short"})
        assert short.status_code == 422
        done = stranger.post(path, data={"password": NEW_PASSWORD})
        assert done.status_code == 200
        assert "Password changed" in done.text
        assert stranger.post(path, data={"password": NEW_PASSWORD}).status_code == 404
        assert "f-email" in client.get("/console").text  # the old session ended
        assert sign_in(client, shop.email, PASSWORD) == 401
        assert sign_in(client, shop.email, NEW_PASSWORD) == 303

    def test_an_expired_link_is_refused(self, engine: Engine, shop: Shop) -> None:
        with Session(engine) as session, session.begin():
            link = links.request_reset(session, shop.email, now=utcnow() - timedelta(minutes=31))
        assert link is not None
        with Session(engine) as session, pytest.raises(AccountLinkInvalid):
            links.reset_password(session, link.token, NEW_PASSWORD, now=utcnow())

    def test_twenty_parallel_uses_of_one_link_set_one_password(
        self, engine: Engine, shop: Shop
    ) -> None:
        if engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
        with Session(engine) as session, session.begin():
            link = links.request_reset(session, shop.email, now=utcnow())
        assert link is not None
        barrier = threading.Barrier(20)

        def use(i: int) -> str:
            barrier.wait()
            with Session(engine) as session, session.begin():
                try:
                    links.reset_password(session, link.token, f"{NEW_PASSWORD} {i}", now=utcnow())
                except AccountLinkInvalid:
                    return "refused"
                return f"set {i}"

        with ThreadPoolExecutor(20) as pool:
            outcomes = list(pool.map(use, range(20)))
        assert Counter(o.split()[0] for o in outcomes) == {"set": 1, "refused": 19}
        winner = next(o for o in outcomes if o.startswith("set")).split()[1]
        with Session(engine) as session:
            from api.accounts import passwords

            account = account_repository.by_email(session, shop.email)
            assert account is not None
            assert passwords.is_password(f"{NEW_PASSWORD} {winner}", account.password_hash)


class TestOperatorCli:
    def test_create_owner_and_reset_password(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("LOYALPASS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
        runner = CliRunner()
        created = runner.invoke(cli_app, ["merchant", "create", "--name", "Florist"])
        merchant_id = json.loads(created.output.strip().splitlines()[-1])["merchant_id"]
        owner = runner.invoke(
            cli_app,
            ["accounts", "create-owner", "--merchant", merchant_id, "--email", "Flo@Example.com"],
        )
        assert owner.exit_code == 0, owner.output
        printed = json.loads(owner.output.strip().splitlines()[-1])
        assert printed["email"] == "flo@example.com"
        assert len(printed["password"]) >= 10
        again = runner.invoke(
            cli_app,
            ["accounts", "create-owner", "--merchant", merchant_id, "--email", "flo@example.com"],
        )
        assert again.exit_code == 1
        reset = runner.invoke(cli_app, ["accounts", "reset-password", "flo@example.com"])
        assert reset.exit_code == 0, reset.output
        assert re.search(r"/console/reset/[\w-]{40,}$", reset.output.strip())
        unknown = runner.invoke(cli_app, ["accounts", "reset-password", "nobody@example.com"])
        assert unknown.exit_code == 1


def test_operator_functions_refuse_an_unknown_merchant(engine: Engine) -> None:
    import uuid

    from api.accounts.errors import AccountNotFound

    with Session(engine) as session, pytest.raises(AccountNotFound):
        operator.create_owner(session, uuid.uuid4(), "who@example.com")


def test_reset_requests_are_limited_per_email(engine: Engine, shop: Shop) -> None:
    """The form cannot flood a mailbox: three links per email an hour, whatever the address;
    the operator's CLI (no client address) is not limited."""
    made = []
    for i in range(5):
        with Session(engine) as session, session.begin():
            made.append(
                links.request_reset(session, shop.email, client=f"10.2.{i}.1", now=utcnow())
            )
    assert [link is not None for link in made] == [True, True, True, False, False]
    with Session(engine) as session, session.begin():
        assert links.request_reset(session, shop.email, now=utcnow()) is not None
