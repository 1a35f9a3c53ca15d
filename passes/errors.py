"""Errors raised by the wallet-format library.

::

    PassError                  base class; every error here is one of these
    ├── DesignError            a card design folder is invalid (names the file and key)
    ├── PassValidationError    a pass breaks one of Apple's or Google's limits
    ├── CertificateError       a signing certificate or key is unusable
    └── SigningError           signing failed although the certificates loaded
"""

from __future__ import annotations

from pathlib import Path


class PassError(Exception):
    """Base class for every error raised by :mod:`passes`."""

    code = "pass_error"


class DesignError(PassError):
    """A card design is invalid. ``file`` and ``key`` say where."""

    code = "invalid_design"

    def __init__(self, file: Path | str, key: str, message: str) -> None:
        self.file = str(file)
        self.key = key
        self.message = message
        super().__init__(f"{self.file}: {key}: {message}" if key else f"{self.file}: {message}")


class PassValidationError(PassError):
    """A rendered pass breaks a wallet limit; ``problems`` lists every one found."""

    code = "invalid_pass"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class CertificateError(PassError):
    """A certificate or private key is missing, expired, mismatched or not in the chain."""

    code = "certificate_error"


class SigningError(PassError):
    """Creating the PKCS#7 signature failed."""

    code = "signing_error"
