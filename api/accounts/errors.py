"""Errors of console accounts: sign-in, invitations, password resets."""

from api.errors import Conflict, InvalidRequest, NotFound, Unauthorized


class AccountSignInFailed(Unauthorized):
    """Unknown email, removed account or wrong password: the same answer for each, so the
    form does not tell which emails have accounts."""

    code, title = "account_sign_in_failed", "Wrong email or password"


class AccountSignInLocked(Unauthorized):
    """Too many wrong passwords (per email and address, per address, or per account)."""

    code, title = "account_sign_in_locked", "Too many wrong passwords; try again later"


class SecondFactorFailed(Unauthorized):
    """The password was right, but the account has a second factor and the code was
    missing or wrong."""

    code, title = "second_factor_failed", "The authenticator code is missing or wrong"


class AccountLinkInvalid(NotFound):
    """An invitation or password reset link that is unknown, used or expired."""

    code, title = "account_link_invalid", "This link is unknown, used or expired"


class AccountNotFound(NotFound):
    """The account id is unknown or another merchant's (or, from the operator's CLI, no
    active account has that email, or no merchant that id)."""

    code, title = "account_not_found", "Account not found"


class AccountExists(Conflict):
    """An invitation or a new account names an email that has an account: emails are
    unique across the service, as they alone name an account at sign-in."""

    code, title = "account_exists", "An account with this email exists"


class WeakPassword(InvalidRequest):
    """Shorter than 10 characters, or one of the most common passwords; ``reason`` is the
    page text that says which."""

    code, title = "weak_password", "Choose a longer, less common password"


class LastOwner(Conflict):
    """The merchant's last active owner cannot be removed or demoted."""

    code, title = "last_owner", "A merchant keeps at least one owner"
