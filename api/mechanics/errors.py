"""Errors of editing a program's mechanics."""

from api.errors import Conflict, InvalidRequest, NotFound


class RulesInvalid(InvalidRequest):
    """The rules after the change break a rule; ``field`` names it (``earn.per_amount``)."""

    code, title = "rules_invalid", "The program's rules are not valid"


class RulesChangeUnconfirmed(Conflict):
    """The change would reinterpret balances members already hold (the currency, how stamps
    are earned); ``changes`` lists them. Repeat it with ``confirm`` naming each one."""

    code, title = "rules_change_unconfirmed", "The change needs confirming"


class RulesVersionNotFound(NotFound):
    """A roll back to a version the program's rules never had (or another merchant's)."""

    code, title = "rules_version_not_found", "The program has no such rules version"
