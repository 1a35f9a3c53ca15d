"""Passwords: argon2id hashes, and the rules a new password must pass."""

from __future__ import annotations

import pytest

from api.accounts import passwords
from api.accounts.errors import WeakPassword


class TestHashing:
    def test_argon2id_with_a_salt_and_never_the_password(self) -> None:
        first, second = (
            passwords.hash_password("a fine password"),
            passwords.hash_password("a fine password"),
        )
        assert first.startswith("$argon2id$")
        assert first != second  # salted
        assert "a fine password" not in first
        assert passwords.is_password("a fine password", first)
        assert not passwords.is_password("a fine passwork", first)

    def test_a_broken_hash_is_a_wrong_password_not_an_error(self) -> None:
        assert not passwords.is_password("anything at all", "not a hash")

    def test_the_dummy_hash_is_a_real_hash_of_the_same_cost(self) -> None:
        assert passwords.DUMMY_HASH.startswith("$argon2id$")
        assert not passwords.needs_rehash(passwords.DUMMY_HASH)
        assert not passwords.is_password("", passwords.DUMMY_HASH)


class TestNewPasswords:
    @pytest.mark.parametrize(
        ("password", "reason"),
        [
            ("short pwd", "err_password_short"),
            ("x" * 201, "err_password_long"),
            ("Password123", "err_password_common"),
            ("qwertyuiop", "err_password_common"),
            ("aaaaaaaaaaaa", "err_password_common"),
        ],
    )
    def test_refused(self, password: str, reason: str) -> None:
        with pytest.raises(WeakPassword) as refused:
            passwords.check_new(password)
        assert refused.value.extra["reason"] == reason

    def test_a_long_uncommon_password_passes(self) -> None:
        passwords.check_new("correct horse battery")
        assert passwords.MIN_LENGTH >= 10


class TestStoreScope:
    def test_a_scoped_manager_covers_their_stores_only(self) -> None:
        import uuid

        from api.accounts.models import AccountRole
        from api.accounts.service import AccountCaller
        from api.console.auth import covers_store
        from api.console.service import ConsoleCaller
        from api.merchants.models import Role
        from api.merchants.service import Caller

        mine, other = uuid.uuid4(), uuid.uuid4()
        manager = AccountCaller(uuid.uuid4(), uuid.uuid4(), Role.admin, email="m@example.com",
                                account_role=AccountRole.manager, stores=(str(mine),))  # fmt: skip
        everyone = AccountCaller(uuid.uuid4(), uuid.uuid4(), Role.admin, email="o@example.com",
                                 account_role=AccountRole.owner)  # fmt: skip
        key = Caller(uuid.uuid4(), uuid.uuid4(), Role.admin)
        assert covers_store(ConsoleCaller(manager, can_edit=True), mine)
        assert not covers_store(ConsoleCaller(manager, can_edit=True), other)
        assert covers_store(ConsoleCaller(everyone, can_edit=True), other)
        assert covers_store(ConsoleCaller(key, can_edit=True), other)
        assert manager.label == "account:m@example.com"
