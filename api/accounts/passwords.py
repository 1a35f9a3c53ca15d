"""Console passwords: argon2id hashes (argon2-cffi, RFC 9106) and what a new password must be.

A password is at least ``MIN_LENGTH`` characters and not one of the most common passwords
(the few dozen that credential-stuffing lists start with; the length rule already rules out
most of the rest). Passwords are never logged; the hash carries its own salt and parameters,
so raising the cost later re-hashes each password at its next sign-in (``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.accounts.errors import WeakPassword

MIN_LENGTH = 10
MAX_LENGTH = 200  # argon2 takes any length; this bounds the work an attacker can ask for
# argon2id at OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): about 0.1 s of one
# core per check, and little memory, so a burst of sign-ins cannot exhaust the server.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# A password nobody knows: an unknown email's password is checked against its hash, so an
# unknown email takes as long as a known one.
DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$DML9Bhr+aaHHTxCsaTI"
    "8IQ$3Dv6E8DyZpEg0w1H0b9u99vz00+uy0nPb+iN/Bei0RY"
)
COMMON = frozenset(
    [
        "1234567890", "12345678910", "0123456789", "0987654321", "1111111111", "1234512345",
        "1q2w3e4r5t", "1qaz2wsx3edc", "1q2w3e4r5t6y", "123qweasdzxc", "qwertyuiop", "qwerty1234",
        "qwerty12345", "1234qwer", "password", "password1", "password12", "password123",
        "password1234", "passw0rd123", "p@ssw0rd123", "iloveyou12", "abc1234567", "abcdefghij",
        "aaaaaaaaaa", "zxcvbnm123", "asdfghjkl1", "qazwsxedcrfv", "letmein123", "welcome123",
        "admin12345", "administrator", "football12", "baseball12", "sunshine12", "princess12",
        "dragon1234", "monkey1234", "superman12", "trustno1234", "starwars12", "whatever12",
        "loyalpass1", "loyalpass123", "changeme123", "parol12345", "qwerty123456", "йцукенгшщз",
    ]
)  # fmt: skip


def check_new(password: str) -> None:
    """Raises WeakPassword unless ``password`` may be set."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword("err_password_short", reason="err_password_short")
    if len(password) > MAX_LENGTH:
        raise WeakPassword("err_password_long", reason="err_password_long")
    if password.lower() in COMMON or len(set(password)) < 4:
        raise WeakPassword("err_password_common", reason="err_password_common")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def is_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the hash (argon2 compares in constant time)."""
    try:
        return _HASHER.verify(stored, password[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
